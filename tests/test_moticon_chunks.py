"""Reading an OpenGo export chunk by chunk (``iter_moticon``): the chunks join to ``read_moticon``'s
recording exactly, the header is there before any data row is parsed, and every check holds across
chunk boundaries, each problem raised (at its line) only when its chunk is reached."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from test_moticon import FIELDS, GOOD_HEADER, assert_same_signals, synthetic_recording, write_text

from step2motion.errors import InputError
from step2motion.io.moticon import iter_moticon, read_moticon, write_moticon
from step2motion.recording import SIDES, InsoleRecording

CHUNK = 7


def _rows(n: int, rate_hz: float = 100.0) -> list[str]:
    """``n`` valid rows under :data:`GOOD_HEADER` (time, left and right total force)."""
    return [f"{i / rate_hz:.2f}\t{i}\t{2 * i}" for i in range(n)]


def _chunks_until_error(path: Path) -> tuple[list[InsoleRecording], InputError]:
    chunks = []
    with pytest.raises(InputError) as info:
        for chunk in iter_moticon(path, CHUNK):
            chunks.append(chunk)
    return chunks, info.value


def test_chunks_join_to_read_moticons_recording_exactly(tmp_path) -> None:
    rec = synthetic_recording(n=400)
    write_moticon(rec, tmp_path / "walk.txt")
    whole = read_moticon(tmp_path / "walk.txt")
    chunks = list(iter_moticon(tmp_path / "walk.txt", CHUNK))

    assert [chunk.n_samples for chunk in chunks] == [CHUNK] * (400 // CHUNK) + [400 % CHUNK]
    np.testing.assert_array_equal(np.concatenate([chunk.time_s for chunk in chunks]), whole.time_s)
    for side in SIDES:
        for name in FIELDS:
            joined = np.concatenate([getattr(chunk.foot(side), name) for chunk in chunks])
            assert joined.tobytes() == getattr(whole.foot(side), name).tobytes(), name  # NaN bits too
    for title, values in whole.extra_columns.items():
        joined = np.concatenate([chunk.extra_columns[title] for chunk in chunks])
        assert joined.dtype == values.dtype
        np.testing.assert_array_equal(joined, values)
    for chunk in chunks:
        assert list(chunk.extra_columns) == list(whole.extra_columns)
        assert (chunk.insole_size, chunk.metadata, chunk.source) == (7, whole.metadata, whole.source)
        assert chunk.missing_channels == whole.missing_channels
    assert_same_signals(rec, whole)


def test_header_is_read_before_iterating(tmp_path) -> None:
    """The call reads the header; the data rows (here a bad first one) are parsed only when iterated."""
    rec = synthetic_recording(n=30)
    write_moticon(rec, tmp_path / "walk.txt")
    lines = (tmp_path / "walk.txt").read_text(encoding="utf-8").split("\n")
    row = next(i for i, line in enumerate(lines) if not line.startswith("#"))
    lines[row] = "x" + lines[row]
    path = write_text(tmp_path, "\n".join(lines))

    stream = iter_moticon(path, CHUNK)
    whole = read_moticon(tmp_path / "walk.txt")
    assert (stream.insole_size, stream.metadata, stream.source) == (7, whole.metadata, str(path))
    assert stream.missing_channels == whole.missing_channels == ()
    with pytest.raises(InputError) as info:
        next(iter(stream))
    assert info.value.line == row + 1 and "got 'x0.00'" in info.value.message


@pytest.mark.parametrize(
    ("text", "line", "fragment"),
    [
        (GOOD_HEADER, 2, "no data rows"),
        ("# Size: big\n# time\tleft total force[N]\n0.00\t1\n", 1, "expected an integer OpenGo size"),
        ("\n \n", 1, "empty file"),
    ],
)
def test_a_bad_header_raises_at_the_call(tmp_path, text: str, line: int, fragment: str) -> None:
    with pytest.raises(InputError) as info:
        iter_moticon(write_text(tmp_path, text), CHUNK)
    assert info.value.line == line and fragment in info.value.message


@pytest.mark.parametrize("later", ["0.06", "0.05"])
def test_a_time_step_back_at_a_chunk_boundary_names_its_line(tmp_path, later: str) -> None:
    """Row 8 (the second chunk's first) is not after row 7; blank lines and CRLF line ends shift the lines."""
    rows = _rows(12)
    rows[CHUNK] = f"{later}\t1\t2"
    rows[3] += "\r\n"  # a blank line after row 4
    text = GOOD_HEADER.replace("\n", "\r\n") + "\r\n".join(rows) + "\r\n"
    path = write_text(tmp_path, text)
    chunks, error = _chunks_until_error(path)

    assert len(chunks) == 1 and chunks[0].time_s[-1] == 0.06
    message = f"time {float(later):g} s is not after the previous row's 0.06 s: expected strictly increasing"
    assert (error.line, error.path) == (2 + CHUNK + 2, str(path)) and message in error.message
    with pytest.raises(InputError) as whole:
        read_moticon(path)
    assert (whole.value.line, whole.value.message) == (error.line, error.message)


@pytest.mark.parametrize(
    ("bad_row", "fragment"),
    [
        ("0.16\t1\tabc", "got 'abc'"),
        ("0.16\t1", "2 tab-separated fields: expected 3"),
        ("0.16\t-1\t2", "value -1, expected 0 to"),
        ("\t1\t2", "empty or non-finite time"),
        ("0.16\t1\t2\xff", "not UTF-8 text (byte 0xff)"),
    ],
)
def test_a_bad_row_in_the_third_chunk_raises_when_it_is_reached(
    tmp_path, bad_row: str, fragment: str
) -> None:
    rows = _rows(30)
    rows[2 * CHUNK + 2] = bad_row
    text = (GOOD_HEADER + "\n".join(rows) + "\n").encode("utf-8").replace(b"\xc3\xbf", b"\xff")
    chunks, error = _chunks_until_error(write_text(tmp_path, text))

    assert [chunk.n_samples for chunk in chunks] == [CHUNK, CHUNK]
    np.testing.assert_array_equal(np.concatenate([c.time_s for c in chunks]), np.arange(2 * CHUNK) / 100.0)
    assert error.line == 2 + 2 * CHUNK + 3 and fragment in error.message


def test_a_last_chunk_of_one_row_is_not_a_file_of_one_row(tmp_path) -> None:
    path = write_text(tmp_path, GOOD_HEADER + "\n".join(_rows(CHUNK + 1)) + "\n")
    assert [chunk.n_samples for chunk in iter_moticon(path, CHUNK)] == [CHUNK, 1]
    with pytest.raises(InputError, match="only one data row") as info:
        list(iter_moticon(write_text(tmp_path, GOOD_HEADER + "0.00\t1\t2\n", "one.txt"), CHUNK))
    assert info.value.line == 3


def test_the_rate_is_judged_on_the_first_chunk(tmp_path) -> None:
    """100 Hz for the first chunk, then 1-s steps: the first chunk says 100 Hz (the whole file's median,
    1 s, would not be an OpenGo rate); a first chunk in milliseconds is refused at the first row."""
    times = [i / 100.0 for i in range(CHUNK)] + [float(s) for s in range(1, 20)]
    path = write_text(tmp_path, GOOD_HEADER + "".join(f"{t:.2f}\t1\t2\n" for t in times))
    assert sum(chunk.n_samples for chunk in iter_moticon(path, CHUNK)) == len(times)
    with pytest.raises(InputError, match="median time step 1 s = 1 Hz"):
        read_moticon(path)  # one chunk: the whole file's median step
    ms = write_text(tmp_path, GOOD_HEADER + "".join(f"{10 * i}\t1\t2\n" for i in range(20)), "ms.txt")
    with pytest.raises(InputError, match="looks like milliseconds") as info:
        list(iter_moticon(ms, CHUNK))
    assert info.value.line == 3


def test_a_byte_order_mark_does_not_shift_a_bad_bytes_line(tmp_path) -> None:
    text = b"\xef\xbb\xbf" + GOOD_HEADER.encode() + b"0.00\t1\t2\n\xff0.01\t1\t2\n"
    with pytest.raises(InputError) as info:
        read_moticon(write_text(tmp_path, text))
    assert info.value.line == 4 and "(byte 0xff)" in info.value.message


def test_a_stream_is_read_once_in_chunks_of_two_rows_or_more(tmp_path) -> None:
    path = write_text(tmp_path, GOOD_HEADER + "\n".join(_rows(10)) + "\n")
    stream = iter_moticon(path, CHUNK)
    assert sum(chunk.n_samples for chunk in stream) == 10
    with pytest.raises(RuntimeError, match="read once"):
        list(stream)
    with pytest.raises(ValueError, match="at least 2"):
        iter_moticon(path, 1)
