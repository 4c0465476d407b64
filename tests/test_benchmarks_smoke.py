"""The benchmark scripts still run (tiny random model, a simulated 3.3-s walk) and their helpers measure
what they say; the numbers themselves are only meaningful with a trained model on a quiet machine."""

from __future__ import annotations

import dataclasses
import functools
import importlib.util
import json
import re
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest
from test_reconstruction import _one_torch_thread, simulated_walk, tiny_checkpoint  # noqa: F401 (fixture)

from step2motion import gait_events
from step2motion.gait_events import wearer_weight_n
from step2motion.io.moticon import STEP_EVENT_CODES, write_moticon
from step2motion.model.checkpoint import load_checkpoint
from step2motion.recording import SIDES
from step2motion.training.config import load_train_config

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"


@functools.cache
def _script(name: str) -> ModuleType:
    """A benchmark script as a module (registered, as dataclasses need, before it runs)."""
    spec = importlib.util.spec_from_file_location(f"benchmark_{name}", BENCHMARKS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A tiny checkpoint and the simulated walk as an export whose step events are the edges of its own
    force stance (as the pipeline detects it), so the insole contacts must match them."""
    folder = tmp_path_factory.mktemp("bench")
    recording, stats = simulated_walk()
    threshold_n = gait_events.stance_threshold_n(wearer_weight_n(recording))
    columns = {}
    for side in SIDES:
        stance = gait_events.detect_stance(recording.foot(side).total_force_n, recording.rate_hz, threshold_n)
        codes = np.full(recording.n_samples, np.nan)
        for code, (code_side, event) in STEP_EVENT_CODES.items():
            if code_side == side:
                edges = gait_events.heel_strikes if event == "heel_strike" else gait_events.toe_offs
                codes[np.searchsorted(recording.time_s, edges(stance, recording.time_s))] = code
        columns[f"{side} steps[]"] = codes
    path = folder / "walk.txt"
    write_moticon(dataclasses.replace(recording, extra_columns=columns), path)
    return tiny_checkpoint(folder / "tiny.safetensors", stats), path


def test_speed_script_prints_every_table(
    files: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    model, recording = files
    speed = _script("speed")
    argv = ["--model", str(model), "--recording", str(recording), "--threads", "1", "--repeats", "1"]
    assert speed.main([*argv, "--train-steps", "1"]) == 0
    out = capsys.readouterr().out
    for title in ("Offline reconstruction", "Streaming", "Training objective", "Peak memory", "CPU:"):
        assert title in out
    n_parameters = sum(p.numel() for p in load_checkpoint(model).model.parameters())
    assert f"{n_parameters / 1e6:.2f} M parameters" in out
    with pytest.raises(SystemExit, match="step2motion train"):
        speed.main(["--model", str(model.with_name("absent.safetensors"))])


def test_speed_helpers_measure_streaming_and_training(files: tuple[Path, Path]) -> None:
    model, _ = files
    speed = _script("speed")
    checkpoint = load_checkpoint(model)
    recording = simulated_walk()[0]
    timing = speed.stream_timing(recording, checkpoint, push_samples=10)
    assert timing.lookahead_s == pytest.approx(0.1)
    # pushes commit frames once the lookahead is covered: all but the first few of the 33 pushes
    assert 25 <= timing.committing_push_s.size <= 33 and (timing.committing_push_s > 0).all()
    assert timing.total_compute_s >= timing.committing_push_s.sum()
    train_config = load_train_config(BENCHMARKS.parent / "configs" / "default.json")
    step_s = speed.training_step_s(checkpoint.config, train_config, n_steps=2)
    assert step_s.shape == (2,) and (step_s > 0).all()


def test_event_timing_takes_the_nearest_edge() -> None:
    timing = _script("real_recordings").event_timing(
        np.array([1.0, 2.0, 3.0, 4.0]), np.array([1.05, 2.3, 3.98])
    )
    assert (timing.n_events, timing.n_edges) == (4, 3)
    assert timing.matched_share == pytest.approx(0.5)  # 1.05 and 3.98 are within 150 ms; 2.3 is not
    assert timing.target_share == pytest.approx(0.5)  # and within 50 ms
    assert timing.edge_precision == pytest.approx(2 / 3)
    # nearest edges: 1.05, 2.3, 2.3 (for 3.0: 0.7 away, 3.98 is 0.98 away), 3.98
    assert timing.median_abs_s == pytest.approx(np.median([0.05, 0.3, 0.7, 0.02]))
    assert timing.p90_abs_s == pytest.approx(np.percentile([0.05, 0.3, 0.7, 0.02], 90))
    assert timing.median_signed_s == pytest.approx(np.median([0.05, 0.3, -0.7, -0.02]))
    empty = _script("real_recordings").event_timing(np.array([1.0]), np.array([]))
    assert empty.matched_share == 0.0 and np.isnan(empty.median_abs_s)
    # the target window is narrower: 100 ms off is matched but not within 50 ms
    late = _script("real_recordings").event_timing(np.array([1.0, 2.0]), np.array([1.1, 2.04]))
    assert (late.matched_share, late.target_share) == (1.0, 0.5)


def test_debouncing_drops_flicker_and_keeps_steps() -> None:
    steps = np.zeros(90, dtype=bool)
    steps[10:30] = steps[50:70] = True  # two 0.67-s contacts at 30 Hz
    flicker = steps.copy()
    flicker[[20, 40, 41, 60]] = ~flicker[[20, 40, 41, 60]]  # a 1-frame gap, a 2-frame blip, a 1-frame gap
    clean = _script("real_recordings").debounced(np.stack([flicker, steps], axis=1), 30.0)
    np.testing.assert_array_equal(clean, np.stack([steps, steps], axis=1))


def test_real_recordings_script_writes_and_scores(
    files: tuple[Path, Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    model, recording = files
    real = _script("real_recordings")
    assert real.main([str(recording), "--model", str(model), "--out", str(tmp_path)]) == 0
    assert (tmp_path / "walk.bvh").is_file() and (tmp_path / "walk.npz").is_file()
    out = capsys.readouterr().out
    assert "Does it walk" in out
    slides_cm = re.search(r"([\d.]+) / ([\d.]+)\s*│\s*$", next(r for r in out.splitlines() if "│ walk " in r))
    assert slides_cm and float(slides_cm[2]) < 0.5  # the exported planted balls stay put
    planted_rows = [line for line in out.splitlines() if "│ planted" in line]
    assert len(planted_rows) == 4  # 2 feet × heel strike, toe-off
    for row in planted_rows:  # events are the force stance's own edges, found again on the 30-Hz frame grid:
        # within a frame period plus half a sample period (nearest sample to each frame)
        shares_and_ms = re.search(r"(\d+)%\s*│\s*(\d+)%\s*│\s*(\d+)\s*│\s*(\d+)", row).groups()
        matched, near, median_ms, p90_ms = map(int, shares_and_ms)
        assert matched == near == 100 and median_ms <= p90_ms <= 1000 / 30 + 5
    posture = [line for line in out.splitlines() if line.startswith("│ walk ") and " / " in line]
    assert [row.split("│")[2].strip() for row in posture[1:]] == [
        "all",
        "pressure_only",
        "imu_only",
        "left_foot_only",
    ]
    monkeypatch.setattr(real, "REAL_DIR", tmp_path / "absent")
    assert real.main(["--model", str(model)]) == 0
    assert "skipped" in capsys.readouterr().out


def _report(mpjpe: dict[str, float]) -> dict:
    method = {"mpjpe_cm": 0.0, "per_style": {"walk": {"mpjpe_cm": 1.0}}, "root_drift_m_per_m": None}
    return {name: {**method, "mpjpe_cm": v} for name, v in mpjpe.items()} | {"meta": {"split": "test"}}


def test_accuracy_reading_says_which_baselines_the_model_beats(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    accuracy = _script("accuracy")
    beaten = accuracy.reading(_report({"step2motion": 10.0, "mean_pose": 20.0, "no_cross_attention": 9.5}))
    assert beaten[0] == "step2motion (10.00 cm) beats every baseline on full-body MPJPE (mean_pose 20.00 cm)"
    assert beaten[1] == "variants at least as accurate as the model: no_cross_attention (9.50 cm)"
    assert "-0.50 cm" in beaten[2] and "not better with cross-attention" in beaten[2]
    assert beaten[3].startswith("not evaluated: nearest_neighbour, regression")
    lost = accuracy.reading(_report({"step2motion": 10.0, "regression": 9.0, "no_cross_attention": 12.5}))
    assert lost[0] == "step2motion (10.00 cm) does NOT beat the baseline(s) regression (9.00 cm)"
    assert "+2.50 cm" in lost[1] and "(better with cross-attention)" in lost[1]
    first, second = tmp_path / "a.json", tmp_path / "b.json"
    first.write_text(json.dumps(_report({"step2motion": 10.0, "mean_pose": 20.0})), encoding="utf-8")
    second.write_text(json.dumps(_report({"step2motion": 10.0, "regression": 11.0})), encoding="utf-8")
    assert accuracy.main(["--from-json", str(first), str(second)]) == 0
    printed = capsys.readouterr().out
    assert "mean_pose" in printed and "+10.00" in printed and "+1.00" in printed
    other = _report({"step2motion": 10.0}) | {"meta": {"split": "validation"}}
    second.write_text(json.dumps(other), encoding="utf-8")
    with pytest.raises(SystemExit, match="evaluates other clips"):
        accuracy.main(["--from-json", str(first), str(second)])


def test_long_recordings_script_measures_each_command(capsys: pytest.CaptureFixture[str]) -> None:
    long_recordings = _script("long_recordings")
    assert long_recordings.main(["--minutes", "0.1", "0.2", "--commands", "info", "gait"]) == 0
    out = capsys.readouterr().out
    assert "Long recordings" in out and re.search(r"gait\s+│\s+[\d.]+\s+│\s+\d+", out)


def test_viewer_page_script_prints_size_and_times(capsys: pytest.CaptureFixture[str]) -> None:
    _script("viewer_page").main(["--minutes", "0.1", "--repeats", "1"])
    out = capsys.readouterr().out
    assert "page size (MB)" in out and "10-min" not in out and "0.1-min" in out


def test_cell_load_shares_of_a_known_split() -> None:
    """Cells that share a region's pressure equally carry force in proportion to their areas: the shares
    the realism benchmark compares cell by cell, and they sum to 1."""
    from test_recording_stats import REGION_SHARES, SIZE, synthetic_walk

    from step2motion import insole_layout

    weights = np.zeros(16)
    for region, share in REGION_SHARES.items():
        cells = insole_layout.region_indices(region)
        weights[cells] = share / cells.size
    force_weights = weights * insole_layout.cell_areas_cm2(SIZE)
    shares = _script("simulator_realism").cell_load_shares(synthetic_walk())
    np.testing.assert_allclose(shares, force_weights / force_weights.sum(), atol=1e-9)
    assert shares.sum() == pytest.approx(1.0)


def test_walk_drift_helpers_read_the_hips_angle_and_the_heading_bias() -> None:
    """A straight fixture walk: its hips face the way it walks (0°) wherever it heads, its toes point along
    it too, and a body turned off its path reads that turn; its noise-free insoles leave no heading bias (the
    odometry's heading keeps the chip's)."""
    from motion_fixtures import walking_motion
    from pymotion.rotations import quat_np as quat

    from step2motion.simulation.simulate import simulate_recording

    walk_drift = _script("walk_drift")
    motion = walking_motion(n_cycles=6)
    hips_deg, toes_deg = walk_drift.angles_to_travel_deg(motion)
    assert abs(hips_deg) < 0.5 and abs(toes_deg) < 2.0
    turn = quat.from_angle_axis(np.array([[0.7]]), np.array([[0.0, 1.0, 0.0]]))[0]  # 40° about +Y
    rotations = motion.local_rotations.copy()
    rotations[:, 0] = quat.mul(np.broadcast_to(turn, rotations[:, 0].shape), rotations[:, 0])
    turned = dataclasses.replace(
        motion,
        local_rotations=rotations,
        root_position_m=quat.mul_vec(np.broadcast_to(turn, (motion.n_frames, 4)), motion.root_position_m),
    )
    assert walk_drift.angles_to_travel_deg(turned) == pytest.approx((hips_deg, toes_deg), abs=0.1)
    off_path = dataclasses.replace(motion, local_rotations=rotations)  # the body turned, its path not
    assert walk_drift.angles_to_travel_deg(off_path) == pytest.approx((np.degrees(0.7),) * 2, abs=0.1)
    standing = dataclasses.replace(motion, root_position_m=np.zeros_like(motion.root_position_m))
    assert walk_drift.angles_to_travel_deg(standing) is None
    rec = simulate_recording(motion, mass_kg=70.0, insole_size=7, noise="none", seed=0)
    assert np.abs(walk_drift.heading_rate_dps(rec, motion)).max() < 0.3
