"""Recording statistics: known answers on a synthetic walk, documented ranges on real exports, the CLI."""

from __future__ import annotations

import json

import numpy as np
import pytest

from step2motion import insole_layout
from step2motion.evaluation.recording_stats import (
    STATISTICS,
    compare_statistics,
    recording_statistics,
)
from step2motion.recording import FootSignals, InsoleRecording

RATE_HZ = 100.0
MASS_KG = 70.0
BODY_WEIGHT_N = MASS_KG * 9.81
STRIDE_S, STANCE_S = 1.2, 0.72
#: Share of the pressure impulse per region, by construction (cells of a region share it equally).
REGION_SHARES = {"heel": 0.50, "midfoot": 0.06, "metatarsal": 0.24, "toes": 0.20}
ACC_REST_G = np.array([-0.19, 0.05, 0.97])
SIZE = 7


def stance_force_bw(phase: np.ndarray) -> np.ndarray:
    """Double-hump vertical force (body weights) over stance phase ``[0, 1]``."""
    return 1.1 * np.sin(np.pi * phase) + 0.35 * np.sin(3 * np.pi * phase)


def synthetic_foot(time_s: np.ndarray, first_strike_s: float) -> FootSignals:
    """One foot walking with a fixed stride; pressure split over cells with fixed region shares."""
    phase = ((time_s - first_strike_s) % STRIDE_S) / STANCE_S
    in_stance = (time_s >= first_strike_s) & (phase < 1.0)
    force_n = np.where(in_stance, BODY_WEIGHT_N * stance_force_bw(np.clip(phase, 0, 1)), 0.0)
    weights = np.zeros(16)
    for region, share in REGION_SHARES.items():
        cells = insole_layout.region_indices(region)
        weights[cells] = share / cells.size
    areas = insole_layout.cell_areas_cm2(SIZE)
    pressure = force_n[:, None] * weights / (weights @ areas)
    swing_phase = np.clip((phase - 1.0) / (STRIDE_S / STANCE_S - 1.0), 0, 1)
    gyro = np.zeros((time_s.size, 3))
    gyro[:, 1] = np.where(in_stance, 0.0, 300.0 * np.sin(np.pi * swing_phase))
    gyro[:, 0] = 0.2 * gyro[:, 1]
    acc = np.where(in_stance[:, None], ACC_REST_G, ACC_REST_G + np.array([1.5, 0.0, 0.5]))
    cop = np.nan_to_num(insole_layout.centre_of_pressure_norm(pressure, SIZE))  # exports write 0, 0 unloaded
    return FootSignals(pressure, acc, gyro, insole_layout.total_force_n(pressure, SIZE), cop)


def synthetic_walk(duration_s: float = 20.0) -> InsoleRecording:
    """A 100-steps/min walk, right foot half a stride after the left, body mass in the metadata."""
    time_s = np.arange(round(duration_s * RATE_HZ)) / RATE_HZ
    return InsoleRecording(
        time_s=time_s,
        left=synthetic_foot(time_s, 0.5),
        right=synthetic_foot(time_s, 0.5 + STRIDE_S / 2),
        insole_size=SIZE,
        metadata={"Body mass": f"{MASS_KG} kg"},
        source="synthetic",
    )


def test_known_gait_timing_and_force_shape() -> None:
    stats = recording_statistics(synthetic_walk())
    assert stats["recording"]["body_weight_source"] == "metadata"
    assert stats["recording"]["body_weight_n"] == pytest.approx(BODY_WEIGHT_N)
    assert stats["recording"]["cadence_steps_per_min"] == pytest.approx(120.0 / STRIDE_S, abs=0.5)
    # the detected stance starts where the force rises through 0.05 body weight and ends where it falls
    # below 0.10 (gait_events), a few milliseconds inside the force's own stance
    phase = np.linspace(0, 1, 100_001)
    rising = phase[np.argmax(stance_force_bw(phase) >= 0.05)]
    falling = phase[np.flatnonzero(stance_force_bw(phase) >= 0.10)[-1]]
    detected_stance_s = (falling - rising) * STANCE_S
    expected_double_support = 2 * (detected_stance_s - STRIDE_S / 2) / STRIDE_S
    assert stats["recording"]["double_support_share"] == pytest.approx(expected_double_support, abs=0.02)
    expected_peak = stance_force_bw(phase).max()
    for side in ("left", "right"):
        foot = stats[side]
        assert foot["n_steps"] >= 15
        assert foot["stance_s"] == pytest.approx(STANCE_S, abs=0.03)
        assert foot["swing_s"] == pytest.approx(STRIDE_S - STANCE_S, abs=0.03)
        assert foot["double_hump_share"] == 1.0
        assert foot["peak1_bw"] == pytest.approx(expected_peak, abs=0.02)
        assert foot["peak2_bw"] == pytest.approx(expected_peak, abs=0.02)
        assert foot["valley_bw"] == pytest.approx(stance_force_bw(np.array(0.5)), abs=0.02)
        assert foot["t_peak1_pct"] + foot["t_peak2_pct"] == pytest.approx(100.0, abs=3.0)  # symmetric curve


def test_known_impulse_shares_cop_and_imu() -> None:
    stats = recording_statistics(synthetic_walk())
    weights_cop = insole_layout.centre_of_pressure_norm(synthetic_walk(2.0).left.pressure_ncm2[60:61], SIZE)
    for side in ("left", "right"):
        foot = stats[side]
        for region, share in REGION_SHARES.items():
            assert foot[f"impulse_share_{region}"] == pytest.approx(share, abs=1e-9)
        assert foot["cop_x_range"] == pytest.approx(0.0, abs=1e-9)  # fixed distribution: CoP does not move
        assert foot["cop_x_heel_strike"] == pytest.approx(weights_cop[0, 0])
        for i, axis in enumerate("xyz"):
            assert foot[f"acc_rest_{axis}_g"] == pytest.approx(ACC_REST_G[i])
        assert foot["gyro_dominant_axis"] == "y"
        assert foot["gyro_dominant_abs_p99_dps"] == pytest.approx(300.0, rel=0.02)
        assert foot["missing_samples"] == 0


def test_quantisation_and_missing_samples() -> None:
    rec = synthetic_walk()
    assert recording_statistics(rec)["recording"]["quantised_share"] < 0.05
    for side in ("left", "right"):
        foot = rec.foot(side)
        foot.pressure_ncm2[:] = np.round(foot.pressure_ncm2 / 0.25) * 0.25
    rec.left.acc_g[100:107] = np.nan  # a 70 ms gap
    rec.left.gyro_dps[500] = np.nan
    stats = recording_statistics(rec)
    assert stats["recording"]["quantised_share"] == 1.0
    assert stats["left"]["missing_samples"] == 8
    assert stats["left"]["longest_gap_s"] == pytest.approx(0.07)
    assert stats["right"]["missing_samples"] == 0


def test_a_side_without_data_gives_nan_not_errors() -> None:
    rec = synthetic_walk(5.0)
    rec.right = FootSignals.missing(rec.n_samples)
    stats = recording_statistics(rec)
    assert stats["right"]["n_steps"] == 0
    assert np.isnan(stats["right"]["stance_s"]) and np.isnan(stats["right"]["impulse_share_heel"])
    assert stats["right"]["missing_share"] == 1.0
    assert stats["recording"]["body_weight_n"] == pytest.approx(BODY_WEIGHT_N)  # from the metadata


def test_comparison_flags_only_real_differences() -> None:
    walk = recording_statistics(synthetic_walk())
    heavier = synthetic_walk()
    heavier.metadata["Body mass"] = "90 kg"  # same forces, larger weight: ratios drop by 70/90
    rows = {row.spec.key: row for row in compare_statistics([walk, walk, recording_statistics(heavier)])}
    assert len(rows) == len({(s.scope, s.key) for s in STATISTICS})
    assert rows["peak1_bw"].flags[0] == {"left": "", "right": ""}  # identical recording
    assert rows["peak1_bw"].flags[1] == {"left": "≠", "right": "≠"}
    assert rows["impulse_share_heel"].flags[1] == {"left": "", "right": ""}  # weight-independent
    assert rows["n_steps"].flags[1] == {"left": "", "right": ""}  # counts are shown, not compared


def test_real_exports_land_in_documented_ranges(shared_dir) -> None:
    """Pins the statistics code to reality (domain notes §3): region impulse shares (±0.01 around the
    documented 'about' ranges), gravity at rest, pitch-dominant gyro, walking cadence."""
    from step2motion.io.moticon import read_moticon

    documented = {
        "heel": (0.45, 0.55),
        "midfoot": (0.04, 0.07),
        "metatarsal": (0.19, 0.26),
        "toes": (0.16, 0.24),
    }
    for path in sorted((shared_dir / "data/insoles_real/moticon-opengo-1.0.3_testdata").glob("*.txt")):
        stats = recording_statistics(read_moticon(path))
        assert 50.0 <= stats["recording"]["cadence_steps_per_min"] <= 130.0, path.name
        assert stats["recording"]["quantised_share"] == 1.0
        for side in ("left", "right"):
            foot = stats[side]
            assert foot["n_steps"] >= 7
            for region, (low, high) in documented.items():
                assert low - 0.01 <= foot[f"impulse_share_{region}"] <= high + 0.01, (path.name, side, region)
            assert [foot[f"acc_rest_{axis}_g"] for axis in "xyz"] == pytest.approx(
                [-0.19, 0.05, 0.97], abs=0.03
            )
            assert foot["gyro_dominant_axis"] == "y"
            assert 200.0 <= foot["gyro_dominant_abs_p99_dps"] <= 600.0
            assert 1.0 <= foot["peak_bw"] <= 1.8


def test_compare_recordings_cli_on_generated_files(tmp_path, capsys) -> None:
    from step2motion.cli import main
    from step2motion.io.moticon import write_moticon

    slow = synthetic_walk()
    fast = synthetic_walk()  # made 1.25× faster at the same 100 Hz: the reader takes only OpenGo rates
    fast.left, fast.right = (synthetic_foot(1.25 * fast.time_s, t) for t in (0.5, 0.5 + STRIDE_S / 2))
    paths = [tmp_path / "slow.txt", tmp_path / "fast.txt"]
    for rec, path in zip((slow, fast), paths, strict=True):
        write_moticon(rec, path)
    out = tmp_path / "stats.json"
    assert main(["compare-recordings", *map(str, paths), "--json", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "cadence" in printed and "slow.txt" in printed and "≠" in printed
    document = json.loads(out.read_text(encoding="utf-8"))
    cadence = document["statistics"]["recording.cadence_steps_per_min"]
    assert cadence["values"]["slow.txt"]["recording"] == pytest.approx(100.0, abs=1.0)
    assert cadence["values"]["fast.txt"]["recording"] == pytest.approx(125.0, abs=1.5)
    assert cadence["flags"]["fast.txt"] == {"recording": "≠"}
    assert main(["compare-recordings", str(tmp_path / "absent.txt")]) == 2
