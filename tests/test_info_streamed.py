"""``step2motion info REC.txt`` reads the export chunk by chunk, keeping the time stamps and counts only:
its lines are those the whole recording gives (here computed from ``read_moticon``), with gaps and empty
insoles across chunk boundaries, and its errors are the reader's."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from test_moticon import synthetic_recording

from step2motion.cli import info, main
from step2motion.cli._recording_notes import recording_notes
from step2motion.io import moticon
from step2motion.io.moticon import SCHEMA, read_moticon, write_moticon
from step2motion.recording import FootSignals, InsoleRecording, covered_duration_s, median_rate_hz, time_gaps

CHUNK = 7  # rows: the 60-row files below cross 8 chunk boundaries
N = 60


def _whole_recording_lines(path: Path) -> list[str]:
    """What ``info`` printed when it read the whole recording (its code before it streamed)."""
    rec = read_moticon(path)
    lines = [
        f"Insole recording: {path}",
        f"  samples:       {rec.n_samples} at {rec.rate_hz:g} Hz = {rec.duration_s:.2f} s",
        f"  insole size:   {rec.insole_size if rec.insole_size is not None else 'not given'}",
    ]
    for side in ("left", "right"):
        missing = int(rec.foot(side).missing_mask().sum())
        lines.append(f"  {side:5s} foot:    {missing} of {rec.n_samples} samples missing")
    lines += [f"  note:          {note}" for note in recording_notes(rec)]
    if rec.missing_channels:
        lines.append(
            f"  absent columns: {len(rec.missing_channels)} ({', '.join(rec.missing_channels[:4])}, ...)"
        )
    if rec.extra_columns:
        lines.append(f"  extra columns: {', '.join(rec.extra_columns)}")
    lines += [f"  {key}: {value}" for key, value in rec.metadata.items()]
    return lines


@pytest.fixture
def gapped(tmp_path: Path) -> Path:
    """60 rows at 100 Hz, some samples missing, 2 s of rows missing inside a chunk (after row 20) and 0.5 s
    at a chunk boundary (after row 28 = 4 x 7)."""
    rec = synthetic_recording(n=N)
    rec.time_s = rec.time_s + np.where(np.arange(N) >= 20, 2.0, 0.0) + np.where(np.arange(N) >= 28, 0.5, 0.0)
    write_moticon(rec, tmp_path / "gapped.txt")
    return tmp_path / "gapped.txt"


@pytest.fixture(params=["left", "right"])
def one_sided(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    """60 rows with one insole's columns absent from the file (so its every sample missing)."""
    empty = request.param
    rec = synthetic_recording(n=N)
    setattr(rec, empty, FootSignals.missing(N))
    rec.missing_channels = tuple(channel.title for channel in SCHEMA if channel.side == empty)
    rec.insole_size = None
    write_moticon(rec, tmp_path / f"{empty}_empty.txt")
    return tmp_path / f"{empty}_empty.txt"


class _Counted:
    """A :class:`MoticonStream` whose chunks' sizes are noted as they are read."""

    def __init__(self, stream: moticon.MoticonStream, sizes: list[int]) -> None:
        self._stream, self._sizes = stream, sizes

    def __getattr__(self, name: str) -> object:
        return getattr(self._stream, name)

    def __iter__(self) -> Iterator[InsoleRecording]:
        for chunk in self._stream:
            self._sizes.append(chunk.n_samples)
            yield chunk


@pytest.fixture
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """``info`` reads 7 rows at a time, and never the whole recording; the sizes of the chunks read 7 rows at
    a time, as read (``read_moticon`` reads by the default, so the expected lines add none)."""
    sizes: list[int] = []
    iter_moticon = moticon.iter_moticon

    def spied(path: Path, chunk_rows: int = moticon.PARSE_CHUNK_ROWS) -> object:
        stream = iter_moticon(path, chunk_rows)
        return _Counted(stream, sizes) if chunk_rows == CHUNK else stream

    def whole(path: object) -> None:
        raise AssertionError("info read the whole recording")

    monkeypatch.setattr(info, "CHUNK_ROWS", CHUNK)
    monkeypatch.setattr(moticon, "iter_moticon", spied)
    monkeypatch.setattr(moticon, "read_moticon", whole)
    return sizes


def _info_output(path: Path, capsys: pytest.CaptureFixture[str]) -> list[str]:
    assert main(["info", str(path)]) == 0
    return capsys.readouterr().out.splitlines()


def test_a_gapped_recording_read_in_small_chunks_gives_the_whole_recordings_lines(
    gapped: Path, small_chunks: list[int], capsys: pytest.CaptureFixture[str]
) -> None:
    expected = _whole_recording_lines(gapped)
    assert _info_output(gapped, capsys) == expected
    assert small_chunks == [CHUNK] * (N // CHUNK) + [N % CHUNK]
    assert "  samples:       60 at 100 Hz = 3.10 s" in expected
    assert (
        "  note:          2 gap(s) in the time column longer than 0.1 s, 2.50 s in all "
        "(longest 2.00 s from 0.20 s): kept as missing samples"
    ) in expected
    assert "  left  foot:    7 of 60 samples missing" in expected


def test_a_one_sided_recording_read_in_small_chunks_gives_the_whole_recordings_lines(
    one_sided: Path, small_chunks: list[int], capsys: pytest.CaptureFixture[str]
) -> None:
    expected = _whole_recording_lines(one_sided)
    assert _info_output(one_sided, capsys) == expected
    assert small_chunks == [CHUNK] * (N // CHUNK) + [N % CHUNK]
    empty = "left" if one_sided.name.startswith("left") else "right"
    other = "right" if empty == "left" else "left"
    assert f"  {empty:5s} foot:    60 of 60 samples missing" in expected
    assert (
        f"  note:          the {empty} insole has no data: the motion comes from the {other} foot alone"
        in (expected)
    )
    assert "  insole size:   not given" in expected
    assert any(line.startswith("  absent columns: 25 (") for line in expected)


def test_the_default_chunks_give_the_same_lines(gapped: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert info.CHUNK_ROWS is None  # the reader's default, which read_moticon reads by too
    assert _info_output(gapped, capsys) == _whole_recording_lines(gapped)


def test_an_insole_empty_in_every_chunk_but_one_is_not_empty(
    tmp_path: Path, small_chunks: list[int], capsys: pytest.CaptureFixture[str]
) -> None:
    rec = synthetic_recording(n=N)
    keep = 45  # one sample in the 7th chunk
    rec.right = rec.right.take(np.arange(N))
    for name in ("pressure_ncm2", "acc_g", "gyro_dps", "total_force_n", "cop_norm"):
        getattr(rec.right, name)[np.arange(N) != keep] = np.nan
    write_moticon(rec, tmp_path / "almost.txt")
    lines = _info_output(tmp_path / "almost.txt", capsys)
    assert lines == _whole_recording_lines(tmp_path / "almost.txt")
    assert "  right foot:    59 of 60 samples missing" in lines
    assert not any("has no data" in line for line in lines)
    # its one sample's time, found across chunks: the right insole's data starts late and stops early
    notes = "\n".join(line for line in lines if line.startswith("  note:"))
    assert "the right insole's data starts 0.45 s after the recording's first row" in notes
    assert "the right insole's data stops 0.14 s before the recording's last row" in notes


def test_a_problem_in_a_later_chunk_is_the_readers_one_line_error(
    tmp_path: Path, small_chunks: list[int], capsys: pytest.CaptureFixture[str]
) -> None:
    write_moticon(synthetic_recording(n=N), tmp_path / "walk.txt")
    lines = (tmp_path / "walk.txt").read_text(encoding="utf-8").split("\n")
    row = next(i for i, line in enumerate(lines) if not line.startswith("#")) + 40
    fields = lines[row].split("\t")
    fields[1] = "999"  # left pressure 1: above what the insole records
    lines[row] = "\t".join(fields)
    (tmp_path / "bad.txt").write_text("\n".join(lines), encoding="utf-8")
    assert main(["info", str(tmp_path / "bad.txt")]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == (
        f"step2motion info: error: {tmp_path / 'bad.txt'}:{row + 1}: column 2 'left pressure 1[N/cm²]': "
        "value 999, expected 0 to 50, what an OpenGo insole records\n"
    )
    assert small_chunks == [CHUNK] * 5  # the chunks before the bad row's were read


def test_the_time_column_alone_gives_what_the_recording_gives() -> None:
    """``info`` keeps only the time stamps: rate, duration and gaps from them equal the recording's."""
    time_s = np.delete(np.arange(360_000) / 100.0, np.s_[1000:1050])
    rec = InsoleRecording(time_s, FootSignals.missing(time_s.size), FootSignals.missing(time_s.size))
    assert median_rate_hz(time_s) == rec.rate_hz == pytest.approx(100.0)
    assert covered_duration_s(time_s) == rec.duration_s == pytest.approx(3600.0)
    np.testing.assert_array_equal(time_gaps(time_s), rec.time_gaps())
    assert time_gaps(time_s) == pytest.approx(np.array([[10.0, 0.5]]))


def test_ctrl_c_while_reading_chunks_is_one_line_and_exit_130(
    gapped: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def interrupted(path: object, chunk_rows: int = moticon.PARSE_CHUNK_ROWS) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(moticon, "iter_moticon", interrupted)
    assert main(["info", str(gapped)]) == 130
    assert capsys.readouterr().err == "step2motion info: interrupted\n"
