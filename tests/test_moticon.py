"""Moticon OpenGo text export reader/writer: round trips, both header variants, header-driven parsing,
every error path with its line, and (with ``../shared``) real exports against the vendor's reader."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from step2motion import insole_layout
from step2motion.errors import InputError
from step2motion.io import moticon
from step2motion.io.moticon import SCHEMA, read_moticon, read_step_events, write_moticon
from step2motion.recording import SIDES, FootSignals, InsoleRecording

FIELDS = ("pressure_ncm2", "acc_g", "gyro_dps", "total_force_n", "cop_norm")
LEFT_TITLES = tuple(ch.title for ch in SCHEMA if ch.side == "left")
RIGHT_TITLES = tuple(ch.title for ch in SCHEMA if ch.side == "right")


def _foot(rng: np.random.Generator, n: int, size: int) -> FootSignals:
    pressure = rng.integers(0, 80, (n, 16)) * 0.25  # real exports quantise to 0.25 N/cm²
    pressure[: n // 4] = 0.0  # an unloaded stretch
    return FootSignals(
        pressure_ncm2=pressure,
        acc_g=rng.normal(0.0, 1.0, (n, 3)),  # full-precision doubles: need the repr fallback
        gyro_dps=np.round(rng.normal(0.0, 100.0, (n, 3)), 2),
        total_force_n=insole_layout.total_force_n(pressure, size),
        cop_norm=np.nan_to_num(insole_layout.centre_of_pressure_norm(pressure, size)),  # exporter: (0, 0)
    )


def synthetic_recording(n: int = 400, rate_hz: float = 100.0, seed: int = 0) -> InsoleRecording:
    """Both feet with gaps (left starts late, right drops a few samples) and every kind of extra column."""
    rng = np.random.default_rng(seed)
    left, right = _foot(rng, n, 7), _foot(rng, n, 7)
    for foot, rows in ((left, slice(0, 7)), (right, slice(n // 2, n // 2 + 3))):
        for name in FIELDS:
            getattr(foot, name)[rows] = np.nan
    steps = np.full(n, np.nan)
    steps[np.array([50, 150, 250]) * n // 400] = 11.0  # at 0.5, 1.5, 2.5 s when n = 400
    steps[np.array([90, 190]) * n // 400] = 15.0
    labels = np.full(n, "", dtype=object)
    labels[np.array([60, 160]) * n // 400] = "heel strike – ünïcode"
    return InsoleRecording(
        time_s=np.arange(n) / rate_hz,
        left=left,
        right=right,
        insole_size=7,
        metadata={
            "Start time": "27.09.2023 10:21:14.922",
            "Name": "walk 1",
            "Notes": "",
            "Subject mass": "72 kg",
        },
        extra_columns={
            "left steps[]": steps,
            "Left Events label[]": labels,
            "Left Events[]": np.where(labels != "", 1.0, np.nan),
            "left COP velocity[1]": rng.normal(0.0, 0.3, n),
        },
    )


def assert_same_signals(a: InsoleRecording, b: InsoleRecording) -> None:
    """Bit-identical time and foot channels; ``NaN`` in the same places."""
    np.testing.assert_array_equal(a.time_s, b.time_s)
    for side in SIDES:
        for name in FIELDS:
            np.testing.assert_array_equal(
                getattr(a.foot(side), name), getattr(b.foot(side), name), err_msg=name
            )


def export_text(titles: list[str], rows: list[list[str]], header: tuple[str, ...] = ("Size: 7",)) -> str:
    lines = [f"# {line}" for line in header] + ["# " + "\t".join(titles)]
    return "\n".join(lines + ["\t".join(row) for row in rows]) + "\n"


def column_header_index(lines: list[str]) -> int:
    return next(i for i, line in enumerate(lines) if line.startswith("# time"))


def write_text(tmp_path: Path, text: str | bytes, name: str = "export.txt") -> Path:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


# ------------------------------------------------------------------------------------------- round trip


def test_write_read_round_trip_is_exact(tmp_path) -> None:
    rec = synthetic_recording()
    path = tmp_path / "walk.txt"
    write_moticon(rec, path)
    back = read_moticon(path)

    assert_same_signals(rec, back)
    assert back.left.missing_mask()[:7].all() and not back.left.missing_mask()[7:].any()
    assert back.right.missing_mask().sum() == 3
    assert list(back.extra_columns) == list(rec.extra_columns)
    for title, values in rec.extra_columns.items():
        np.testing.assert_array_equal(back.extra_columns[title], values)
    assert back.extra_columns["Left Events label[]"].dtype == object
    assert back.insole_size == 7 and back.missing_channels == ()
    assert back.metadata["Name"] == "walk 1" and back.metadata["Subject mass"] == "72 kg"
    assert back.metadata["Notes"] == "" and back.source == str(path)


def test_written_file_looks_like_a_real_export(tmp_path) -> None:
    path = tmp_path / "walk.txt"
    write_moticon(synthetic_recording(), path)
    lines = path.read_text(encoding="utf-8").split("\n")

    assert lines[:4] == [
        "# Start time: 27.09.2023 10:21:14.922",
        "# Duration: 00:04.000",  # 400 samples at 100 Hz
        "# Sensor insoles:",
        "# Size: 7",
    ]
    assert lines[4:9] == [
        "# Recording type:",
        "# Name: walk 1",
        "# Notes:",
        "# Tag:",
        "# Subject mass: 72 kg",
    ]
    titles = lines[9].removeprefix("# ").split("\t")
    assert titles[:3] == ["time", "left pressure 1[N/cm²]", "left pressure 2[N/cm²]"]
    first_row = lines[10].split("\t")
    assert first_row[0] == "0.00" and first_row[1:26] == [""] * 25  # left gap: empty fields
    assert all(len(text.split(".")[1]) == 2 for text in lines[-2].split("\t")[26:42])  # "6.50" style
    assert lines[-1] == ""  # ends with a newline


def test_vendor_reader_reads_what_we_write(tmp_path) -> None:
    """moticon-opengo's own reader (an independent implementation) sees the same numbers."""
    from moticon_opengo.txt_export import Measurement
    from moticon_opengo.utils import Side

    rec = synthetic_recording()
    rec.extra_columns = {"right steps[]": rec.extra_columns["left steps[]"] + 10.0}
    path = tmp_path / "walk.txt"
    write_moticon(rec, path)
    vendor = Measurement(str(path), trim=False, fill_method="keep")

    np.testing.assert_array_equal(vendor.time, rec.time_s)
    for side, vendor_side in (("left", Side.LEFT), ("right", Side.RIGHT)):
        np.testing.assert_array_equal(vendor.side_data[vendor_side].pressure, rec.foot(side).pressure_ncm2)
        np.testing.assert_array_equal(vendor.side_data[vendor_side].acceleration, rec.foot(side).acc_g)
        np.testing.assert_array_equal(vendor.side_data[vendor_side].cop, rec.foot(side).cop_norm)
    vendor_heel_strikes = [step.heel_strike_idx for step in vendor.steps]
    assert (
        rec.time_s[vendor_heel_strikes].tolist()
        == read_step_events(rec)["right"]["heel_strike_s"][:2].tolist()
    )


def test_writer_refuses_recordings_it_could_not_read_back(tmp_path) -> None:
    rec = synthetic_recording(n=20)
    rec.time_s[5] = rec.time_s[4]
    with pytest.raises(ValueError, match="strictly increasing"):
        write_moticon(rec, tmp_path / "x.txt")
    rec = synthetic_recording(n=20)
    rec.extra_columns["comment[]"] = np.full(20, "text", dtype=object)
    with pytest.raises(ValueError, match="label"):
        write_moticon(rec, tmp_path / "x.txt")
    rec = synthetic_recording(n=20)
    rec.extra_columns["x label[]"] = np.arange(20.0)  # numbers under a label title would read back as text
    with pytest.raises(ValueError, match="label"):
        write_moticon(rec, tmp_path / "x.txt")
    rec = synthetic_recording(n=20)
    rec.extra_columns["two\nlines[]"] = np.arange(20.0)
    with pytest.raises(ValueError, match="a line break"):
        write_moticon(rec, tmp_path / "x.txt")


# ------------------------------------------------------------------------------- header-driven parsing

TITLES = ["time", "left total force[N]", "left pressure 1[N/cm²]", "right total force[N]", "right steps[]"]
ROWS = [
    ["0.00", "", "", "500.00", ""],
    ["0.01", "12.37", "1.00", "480.00", "21.00"],
    ["0.02", "24.74", "2.00", "", ""],
]


def test_old_header_variant_reads_like_the_new_one(tmp_path) -> None:
    """Old exports: one ``# Measurement <Www, DD Mon YYYY - HH:MM:SS.fff> (<MM:SS.fff>) ... size <n>, ...``
    line (the shape UnderPressure's ``MoticonTXT`` parses) instead of ``Key: value`` lines."""
    old_line = "Measurement Wed, 27 Sep 2023 - 10:21:14.922 (00:17.496) Insole size 7, 100 Hz"
    old = read_moticon(write_text(tmp_path, export_text(TITLES, ROWS, (old_line,)), "old.txt"))
    new = read_moticon(write_text(tmp_path, export_text(TITLES, ROWS), "new.txt"))

    assert_same_signals(old, new)
    assert old.insole_size == 7
    assert old.metadata["Start time"] == "27.09.2023 10:21:14.922"
    assert old.metadata["Duration"] == "00:17.496"
    assert old.metadata["Measurement"] == old_line.removeprefix("Measurement ")


def test_old_header_round_trips_through_the_new_variant(tmp_path) -> None:
    old_line = "Measurement Mon, 07 Mar 2022 - 09:05:01.250 (01:02.500) size 4, left+right"
    rec = read_moticon(write_text(tmp_path, export_text(TITLES, ROWS, (old_line,))))
    write_moticon(rec, tmp_path / "new.txt")
    text = (tmp_path / "new.txt").read_text(encoding="utf-8")
    assert text.startswith("# Start time: 07.03.2022 09:05:01.250\n# Duration: 01:02.500\n")
    back = read_moticon(tmp_path / "new.txt")
    assert {key: back.metadata[key] for key in rec.metadata} == rec.metadata and back.insole_size == 4
    assert set(back.metadata) - set(rec.metadata) == {
        "Sensor insoles",
        "Recording type",
        "Name",
        "Notes",
        "Tag",
    }
    assert_same_signals(back, rec)


def test_columns_are_found_by_name_whatever_their_order(tmp_path) -> None:
    rec = synthetic_recording(n=30)
    write_moticon(rec, tmp_path / "ordered.txt")
    lines = (tmp_path / "ordered.txt").read_text(encoding="utf-8").split("\n")
    n_header = column_header_index(lines)
    table = [line.split("\t") for line in [lines[n_header].removeprefix("# "), *lines[n_header + 1 : -1]]]
    order = np.random.default_rng(1).permutation(len(table[0]))
    shuffled = ["\t".join(row[k] for k in order) for row in table]
    header = "\n".join(lines[:n_header])
    write_text(
        tmp_path, header + "\n# " + shuffled[0] + "\n" + "\n".join(shuffled[1:]) + "\n", "shuffled.txt"
    )
    back = read_moticon(tmp_path / "shuffled.txt")

    assert order[0] != 0  # time is not the first column any more
    assert_same_signals(rec, back)
    assert set(back.extra_columns) == set(rec.extra_columns)
    np.testing.assert_array_equal(back.extra_columns["left steps[]"], rec.extra_columns["left steps[]"])


def test_extra_and_missing_columns(tmp_path) -> None:
    rec = read_moticon(write_text(tmp_path, export_text(TITLES, ROWS)))

    np.testing.assert_array_equal(rec.left.total_force_n, [np.nan, 12.37, 24.74])
    np.testing.assert_array_equal(rec.left.pressure_ncm2[:, 0], [np.nan, 1.0, 2.0])
    assert np.isnan(rec.left.pressure_ncm2[:, 1:]).all() and np.isnan(rec.right.acc_g).all()
    np.testing.assert_array_equal(rec.right.total_force_n, [500.0, 480.0, np.nan])
    np.testing.assert_array_equal(rec.extra_columns["right steps[]"], [np.nan, 21.0, np.nan])
    assert len(rec.missing_channels) == 50 - 3
    assert (
        "left pressure 2[N/cm²]" in rec.missing_channels and "left total force[N]" not in rec.missing_channels
    )


def test_a_file_with_one_side_only(tmp_path) -> None:
    rec = synthetic_recording(n=40)
    rec.left = FootSignals.missing(40)
    rec.missing_channels = LEFT_TITLES
    write_moticon(rec, tmp_path / "right_only.txt")
    lines = (tmp_path / "right_only.txt").read_text(encoding="utf-8").split("\n")
    titles = lines[column_header_index(lines)].split("\t")
    back = read_moticon(tmp_path / "right_only.txt")

    assert not any(title.startswith("left pressure") for title in titles)
    assert back.missing_channels == LEFT_TITLES
    assert back.left.missing_mask().all() and not back.right.missing_mask()[: 40 // 2].any()
    assert_same_signals(rec, back)


@pytest.mark.parametrize("rate_hz", [10, 25, 50, 100])
def test_sample_rate_is_detected(tmp_path, rate_hz: int) -> None:
    rec = synthetic_recording(n=200, rate_hz=rate_hz)
    keep = np.ones(200, dtype=bool)
    keep[[40, 41, 120]] = False  # dropped rows (a real export skips one now and then)
    rec = InsoleRecording(
        time_s=rec.time_s[keep],
        left=FootSignals(*(getattr(rec.left, name)[keep] for name in FIELDS)),
        right=FootSignals(*(getattr(rec.right, name)[keep] for name in FIELDS)),
        insole_size=7,
    )
    write_moticon(rec, tmp_path / "r.txt")
    back = read_moticon(tmp_path / "r.txt")
    assert back.rate_hz == pytest.approx(rate_hz, rel=1e-9)
    assert back.n_samples == 197


def test_step_events_known_answer() -> None:
    rec = synthetic_recording()
    rec.extra_columns["right steps[]"] = np.where(np.isin(np.arange(400), [70, 170]), 21.0, np.nan)
    rec.extra_columns["right steps[]"][110] = 25.0
    events = read_step_events(rec)
    np.testing.assert_allclose(events["left"]["heel_strike_s"], [0.5, 1.5, 2.5])
    np.testing.assert_allclose(events["left"]["toe_off_s"], [0.9, 1.9])
    np.testing.assert_allclose(events["right"]["heel_strike_s"], [0.7, 1.7])
    np.testing.assert_allclose(events["right"]["toe_off_s"], [1.1])
    rec.extra_columns = {}
    with pytest.raises(InputError, match="no step events"):
        read_step_events(rec)


# ------------------------------------------------------------------------------------------- errors

GOOD_HEADER = "# Size: 7\n# time\tleft total force[N]\tright total force[N]\n"


@pytest.mark.parametrize(
    ("text", "line", "fragment"),
    [
        ("", 1, "empty file"),
        ("\n  \n", 1, "empty file"),
        ("0.00\t1\t2\n", 1, "no column header"),
        ("# Size: 7\n# Name: x\n0.00\t1\t2\n", 2, "no column header"),
        ("# left total force[N]\tright total force[N]\n1\t2\n", 1, "no 'time' column"),
        ("# time\tleft total force[N]\tleft total force[N]\n0.00\t1\t2\n", 1, "duplicate column"),
        ("# time\tleft total force[N]\tLeft  Total Force[N]\n0.00\t1\t2\n", 1, "duplicate column"),
        ("# time\tleft total force[kN]\n0.00\t1\n", 1, "expected the unit [N]"),
        ("# time[ms]\tleft total force[N]\n0.00\t1\n", 1, "expected seconds"),
        (GOOD_HEADER + "0.00\t1\t2\n0.01\t1\n", 4, "2 tab-separated fields: expected 3"),
        (GOOD_HEADER + "0.00\t1\t2\n0.01\t1\t2\t\n", 4, "4 tab-separated fields: expected 3"),
        (GOOD_HEADER + "0.00\t1\t2\n0.01\t1\t2\n0.02\t1\tabc\n", 5, "got 'abc'"),
        (GOOD_HEADER + "0.00\t1\t2\n# note\t\t\n", 4, "got '# note'"),
        (GOOD_HEADER + "0.00\t1\t2\n0.02\t1\t2\n0.01\t1\t2\n", 5, "not after the previous row's 0.02 s"),
        (GOOD_HEADER + "0.00\t1\t2\n0.00\t1\t2\n", 4, "strictly increasing"),
        (GOOD_HEADER + "0.00\t1\t2\n\t1\t2\n", 4, "empty or non-finite time"),
        (GOOD_HEADER, 2, "no data rows"),
        ("# Size: big\n# time\tleft total force[N]\n0.00\t1\n", 1, "expected an integer OpenGo size"),
        ("# Measurement yesterday\n# time\tleft total force[N]\n0.00\t1\n", 1, "old-style header"),
        ("# Measurement Xyz, 99 Sep 2023 - 10:21:14.922 (00:17.496) size 7\n# time\n0.0\n", 1, "start"),
    ],
)
def test_errors_name_the_line(tmp_path, text: str, line: int, fragment: str) -> None:
    path = write_text(tmp_path, text)
    with pytest.raises(InputError) as info:
        read_moticon(path)
    assert (info.value.line, info.value.path) == (line, str(path))
    assert fragment in info.value.message


def test_unreadable_encoding_names_the_line(tmp_path) -> None:
    text = GOOD_HEADER.replace("# time", "# time\tleft pressure 1[N/cm²]")
    path = write_text(tmp_path, text.encode("latin-1") + b"0.00\t1\t2\t3\n")
    with pytest.raises(InputError) as info:
        read_moticon(path)
    assert info.value.line == 2 and "UTF-8" in info.value.message


def test_missing_file_is_an_input_error(tmp_path) -> None:
    with pytest.raises(InputError, match="cannot read"):
        read_moticon(tmp_path / "absent.txt")


def test_valid_files_never_take_the_cell_by_cell_path(tmp_path, monkeypatch) -> None:
    """Speed by construction, not by a wall-clock bound that a loaded CI box would break: a valid file
    with gaps and text columns goes through ``np.loadtxt``'s C parser (a 10-minute 100 Hz export reads
    in about 0.8 s that way); the per-cell Python loop only runs to name the line of a bad value."""

    def forbidden(*args: object) -> None:
        raise AssertionError("cell-by-cell parse used for a valid file")

    rec = synthetic_recording(n=3000)
    write_moticon(rec, tmp_path / "long.txt")
    monkeypatch.setattr(moticon, "_parse_numbers_by_cell", forbidden)
    assert_same_signals(read_moticon(tmp_path / "long.txt"), rec)


# ------------------------------------------------------------------------------------------- real data


def real_exports(shared_dir: Path) -> list[Path]:
    paths = sorted((shared_dir / "data/insoles_real").glob("*/*.txt"))  # not the LICENSE .txt
    if not paths:
        pytest.skip("../shared present but holds no real OpenGo exports")
    return paths


def test_real_exports_match_the_vendor_reader(shared_dir) -> None:
    """Independent oracle: moticon-opengo's ``Measurement`` with gaps kept, channel by channel."""
    from moticon_opengo.txt_export import Measurement
    from moticon_opengo.utils import Side

    for path in real_exports(shared_dir):
        rec = read_moticon(path)
        vendor = Measurement(str(path), trim=False, fill_method="keep")
        np.testing.assert_array_equal(rec.time_s, vendor.time)
        assert rec.insole_size == vendor.sensor_insole_size and rec.metadata["Tag"] == vendor.tag
        for side, vendor_side in (("left", Side.LEFT), ("right", Side.RIGHT)):
            ours, theirs = rec.foot(side), vendor.side_data[vendor_side]
            for mine, vendors in (
                (ours.pressure_ncm2, theirs.pressure),
                (ours.acc_g, theirs.acceleration),
                (ours.gyro_dps, theirs.angular),
                (ours.total_force_n, theirs.total_force),
                (ours.cop_norm, theirs.cop),
            ):
                np.testing.assert_array_equal(mine, vendors, err_msg=f"{path.name} {side}")
        events = read_step_events(rec)
        for step in vendor.steps:
            side = "left" if step.side == Side.LEFT else "right"
            assert rec.time_s[step.heel_strike_idx] in events[side]["heel_strike_s"]
            assert rec.time_s[step.toe_off_idx] in events[side]["toe_off_s"]


def test_real_exports_parse_and_obey_the_insole_physics(shared_dir) -> None:
    """Σ p·A = total force (1 N: the export rounds force to 1 N), CoP = area-weighted cell centroid where
    loaded (the exporter writes CoP (0, 0) below about 50 N), pressure on the 0.25 N/cm² grid."""
    for path in real_exports(shared_dir):
        rec = read_moticon(path)
        assert rec.n_samples > 1000 and rec.rate_hz == pytest.approx(100.0)
        assert rec.missing_channels == () and set(rec.extra_columns) == {"left steps[]", "right steps[]"}
        for side in SIDES:
            foot = rec.foot(side)
            present = ~foot.missing_mask()
            assert 0 < (~present).sum() < 0.05 * rec.n_samples  # one side starts late or drops samples
            pressure, force_n = foot.pressure_ncm2[present], foot.total_force_n[present]
            assert np.all(pressure % 0.25 == 0.0)
            np.testing.assert_allclose(
                insole_layout.total_force_n(pressure, rec.insole_size), force_n, atol=1.0
            )
            loaded = force_n > 50.0
            cop = insole_layout.centre_of_pressure_norm(pressure[loaded], rec.insole_size)
            np.testing.assert_allclose(cop, foot.cop_norm[present][loaded], atol=1e-3)
            assert np.all(foot.cop_norm[present][force_n < 50.0] == 0.0)


def test_real_exports_rewrite_byte_for_byte(shared_dir, tmp_path) -> None:
    """Writing a real export back reproduces the file exactly: header, formatting, gaps, extra columns."""
    for path in real_exports(shared_dir):
        write_moticon(read_moticon(path), tmp_path / path.name)
        assert (tmp_path / path.name).read_bytes() == path.read_bytes()
