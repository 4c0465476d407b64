"""The foot-odometry gait report, its plot and the ``gait`` verb: strides of a simulated walk against the
motion's own chip positions, the JSON schema, every refused output path, a recording without strides,
and (with ``../shared``) the real exports against their own step events."""

from __future__ import annotations

import dataclasses
import json
import struct
from pathlib import Path

import numpy as np
import pytest
from motion_fixtures import Gait, standing_motion, walking_motion

from step2motion.cli import main
from step2motion.gait_events import MAX_STRIDE_S
from step2motion.io.moticon import read_moticon, read_step_events, write_moticon
from step2motion.odometry.both_feet import track_feet
from step2motion.odometry.gait_report import DEFINITIONS, gait_report
from step2motion.recording import SIDES, InsoleRecording
from step2motion.simulation.imu import chip_world_poses
from step2motion.simulation.simulate import motion_at_rate, simulate_recording
from step2motion.visualisation import gait_plot

RATE_HZ = 100.0
GAIT = Gait()
STRIDE_KEYS = {
    "start_s", "end_s", "length_m", "heading_change_deg", "clearance_m", "duration_s", "stance_s", "swing_s",
    "steady",
}  # fmt: skip
FOOT_KEYS = {
    "strides", "n_strides", "n_steady_strides", "distance_m", "stride_length_m", "stride_time_s",
    "stance_s", "swing_s", "clearance_m", "heading_change_deg", "cadence_steps_per_min",
}  # fmt: skip
TOP_KEYS = {
    "source", "duration_s", "left", "right", "distance_m", "speed_m_s", "cadence_steps_per_min",
    "left_right_distance_ratio", "reconciled", "definitions",
}  # fmt: skip
REAL_EXPORTS = ("230927_102114.txt", "230927_102137.txt")


@pytest.fixture(scope="module")
def walk() -> tuple[InsoleRecording, np.ndarray]:
    """A simulated 4-cycle straight walk (realistic sensor noise) and each foot's true horizontal chip
    position per recording sample ``{side: [T, 2]}`` (from the motion itself)."""
    motion = walking_motion(n_cycles=4, gait=GAIT)
    rec = simulate_recording(motion, rate_hz=RATE_HZ, noise="realistic", seed=3)
    on_samples = motion_at_rate(motion, RATE_HZ)
    truth = {side: chip_world_poses(on_samples, side)[0][:, [0, 2]] for side in SIDES}  # Y up: floor is X, Z
    return rec, truth


def png_size(path: Path) -> tuple[int, int]:
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", header[16:24])


def assert_json_ready(value: object) -> None:
    """Only plain JSON types, no NaN anywhere."""
    json.dumps(value, allow_nan=False)
    if isinstance(value, dict):
        for item in value.values():
            assert_json_ready(item)
    elif isinstance(value, list):
        for item in value:
            assert_json_ready(item)
    else:
        assert value is None or type(value) in (str, int, float, bool), type(value)


def test_walk_strides_match_the_motion(walk) -> None:
    rec, truth = walk
    report = gait_report(rec)
    assert report.keys() >= TOP_KEYS
    assert report["definitions"] == DEFINITIONS
    assert_json_ready(report)
    t0, t1 = rec.time_s[0], rec.time_s[-1]
    for side in SIDES:
        foot = report[side]
        assert foot.keys() >= FOOT_KEYS
        assert foot["n_strides"] == len(foot["strides"]) >= 2
        true_total = 0.0
        for stride in foot["strides"]:
            assert set(stride) == STRIDE_KEYS
            assert t0 <= stride["start_s"] < stride["end_s"] <= t1
            assert stride["duration_s"] == pytest.approx(stride["end_s"] - stride["start_s"], abs=1e-5)
            assert stride["duration_s"] == pytest.approx(GAIT.cycle_s, abs=0.05)
            assert stride["stance_s"] + stride["swing_s"] == pytest.approx(stride["duration_s"], abs=1e-5)
            start, end = np.searchsorted(rec.time_s, [stride["start_s"], stride["end_s"]])
            true_length = float(np.linalg.norm(truth[side][end] - truth[side][start]))
            assert true_length == pytest.approx(GAIT.stride_m, rel=0.02)
            assert stride["length_m"] == pytest.approx(true_length, rel=0.08), side
            assert 0.03 < stride["clearance_m"] < 0.2
            assert abs(stride["heading_change_deg"]) < 5.0
            true_total += true_length
        assert foot["distance_m"] == pytest.approx(true_total, rel=0.08)
        assert foot["cadence_steps_per_min"] == pytest.approx(120.0 / GAIT.cycle_s, rel=0.05)
        assert foot["stance_s"] == pytest.approx(GAIT.toe_off * GAIT.cycle_s, abs=0.1)
    assert report["speed_m_s"] == pytest.approx(GAIT.stride_m / GAIT.cycle_s, rel=0.08)
    assert report["distance_m"] == pytest.approx(
        np.mean([report[side]["distance_m"] for side in SIDES]), rel=1e-6
    )
    assert report["left_right_distance_ratio"] == pytest.approx(1.0, abs=0.1)


def test_a_stride_over_a_stretch_without_a_still_moment_is_counted_but_not_steady() -> None:
    """A foot unloaded for 3 s mid-walk (so never still there): the stride across it holds several gait
    cycles; its length stays in the distance, but not in the medians, cadence or speed."""
    motion = walking_motion(n_cycles=8, gait=GAIT)
    rec = simulate_recording(motion, rate_hz=RATE_HZ, noise="none", seed=0)
    first = rec.n_samples // 2 - round(1.5 * RATE_HZ)
    force = rec.left.total_force_n.copy()
    force[first : first + round(3.0 * RATE_HZ)] = 0.0
    cut = dataclasses.replace(rec, left=dataclasses.replace(rec.left, total_force_n=force))
    whole, report = gait_report(rec), gait_report(cut)
    long = [s for s in report["left"]["strides"] if s["duration_s"] > MAX_STRIDE_S]
    assert len(long) == 1 and not long[0]["steady"]
    assert report["left"]["n_strides"] < whole["left"]["n_strides"]
    assert report["left"]["distance_m"] == pytest.approx(whole["left"]["distance_m"], rel=0.03)
    for key in ("stride_time_s", "stride_length_m", "cadence_steps_per_min"):
        assert report["left"][key] == pytest.approx(whole["left"][key], rel=0.03), key


def test_plot_draws_tracks_and_every_stride(walk, tmp_path: Path) -> None:
    rec, _ = walk
    feet = track_feet(rec)
    report = gait_report(rec, feet)
    fig = gait_plot.draw_gait(rec, feet, report)
    for side in SIDES:
        (track,) = fig.findobj(lambda artist, side=side: artist.get_gid() == f"{side}-track")
        np.testing.assert_array_equal(track.get_xdata(), feet.foot(side).position_m[:, 0])
        (lengths,) = fig.findobj(lambda artist, side=side: artist.get_gid() == f"{side}-stride-length")
        assert len(lengths.get_segments()) == report[side]["n_strides"]
    out = gait_plot.plot_gait(rec, feet, report, tmp_path / "walk.png")
    expected = tuple(round(size * gait_plot.DPI) for size in gait_plot.FIGSIZE_IN)
    assert png_size(out) == expected
    assert [p.name for p in tmp_path.iterdir()] == ["walk.png"]  # no temporary file left behind


def test_cli_writes_json_and_png(walk, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rec, _ = walk
    path = tmp_path / "walk.txt"
    write_moticon(rec, path)
    out_json, out_png = tmp_path / "walk.json", tmp_path / "walk.png"
    assert main(["gait", str(path), "--json", str(out_json), "--plot", str(out_png)]) == 0
    printed = capsys.readouterr().out
    assert "stride length" in printed and "cadence" in printed and "speed" in printed
    report = json.loads(out_json.read_text(encoding="utf-8"))
    assert report.keys() >= TOP_KEYS and report["left"]["n_strides"] >= 2
    assert png_size(out_png)[0] > 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["walk.json", "walk.png", "walk.txt"]


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--json", "{rec}"], "overwrite the input"),
        (["--plot", "{rec}"], "overwrite the input"),
        (["--json", "{dir}/out.png", "--plot", "{dir}/out.png"], "overwrite --json"),
        (["--plot", "{dir}/out.jpg"], ".png"),
        (["--json", "{dir}/missing/out.json"], "does not exist"),
        (["--json", "{dir}"], "folder"),
    ],
)
def test_cli_refuses_bad_outputs_before_any_work(
    walk, tmp_path: Path, capsys: pytest.CaptureFixture[str], options: list[str], message: str
) -> None:
    rec, _ = walk
    path = tmp_path / "walk.txt"
    write_moticon(rec, path)
    before = path.read_bytes()
    argv = ["gait", str(path), *(o.format(rec=path, dir=tmp_path) for o in options)]
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert captured.out == ""  # refused before reading or printing anything
    assert captured.err.count("\n") == 1 and message in captured.err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["walk.txt"] and path.read_bytes() == before


def test_cli_missing_recording(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["gait", str(tmp_path / "nothing.txt"), "--json", str(tmp_path / "out.json")]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "nothing.txt" in error
    assert not (tmp_path / "out.json").exists()


def test_standing_still_gives_no_strides(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rec = simulate_recording(standing_motion(3.0), rate_hz=RATE_HZ, noise="realistic", seed=1)
    report = gait_report(rec)
    assert_json_ready(report)
    for side in SIDES:
        assert report[side]["n_strides"] == 0 and report[side]["strides"] == []
        assert report[side]["distance_m"] == 0.0
        assert report[side]["stride_length_m"] is None and report[side]["cadence_steps_per_min"] is None
    assert report["speed_m_s"] is None and report["cadence_steps_per_min"] is None
    assert report["left_right_distance_ratio"] is None and report["distance_m"] == 0.0

    path = tmp_path / "stand.txt"
    write_moticon(rec, path)
    out_json, out_png = tmp_path / "stand.json", tmp_path / "stand.png"
    assert main(["gait", str(path), "--json", str(out_json), "--plot", str(out_png)]) == 0
    assert "strides" in capsys.readouterr().out
    assert json.loads(out_json.read_text(encoding="utf-8"))["left"]["n_strides"] == 0
    assert png_size(out_png)[0] > 0


@pytest.mark.parametrize("name", REAL_EXPORTS)
def test_real_exports_feet_agree_with_each_other_and_the_step_events(shared_dir: Path, name: str) -> None:
    rec = read_moticon(shared_dir / "data/insoles_real/moticon-opengo-1.0.3_testdata" / name)
    report = gait_report(rec)
    assert_json_ready(report)
    assert report["reconciled"]
    left, right = report["left"]["distance_m"], report["right"]["distance_m"]
    assert left > 5.0 and right > 5.0
    assert abs(left - right) <= 0.05 * max(left, right)
    events = read_step_events(rec)
    for side in SIDES:
        assert abs(report[side]["n_strides"] - events[side]["heel_strike_s"].size) <= 2, side
        for stride in report[side]["strides"]:
            assert rec.time_s[0] <= stride["start_s"] < stride["end_s"] <= rec.time_s[-1]
