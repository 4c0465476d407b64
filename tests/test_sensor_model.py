"""The insole sensor model: digitising like a real export, and seeded realistic errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from step2motion import insole_layout
from step2motion.recording import SIDES, FootSignals, InsoleRecording
from step2motion.simulation import sensor_model as sm
from step2motion.simulation.imu import MOUNT_UP_G

SIZE = 7


def _recording(n: int = 400, rate_hz: float = 100.0, seed: int = 0) -> InsoleRecording:
    """Ideal (unquantised) signals: a loaded stance half, an unloaded swing half, moving IMU."""
    rng = np.random.default_rng(seed)
    t = np.arange(n) / rate_hz
    feet = {}
    for side in SIDES:
        load = np.where(np.arange(n) < n // 2, 1.0, 0.0)[:, None]
        pressure = load * rng.uniform(0.0, 30.0, (n, 16))
        pressure[: n // 2, 3] = 0.1  # barely loaded cell
        acc = MOUNT_UP_G + 0.5 * np.sin(2 * np.pi * 1.3 * t)[:, None] * rng.normal(size=3)
        gyro = 200.0 * np.sin(2 * np.pi * 0.9 * t)[:, None] * rng.normal(size=3)
        feet[side] = FootSignals(pressure, acc, gyro, np.zeros(n), np.zeros((n, 2)))
    return InsoleRecording(t, feet["left"], feet["right"], insole_size=SIZE, extra_columns={"x": t.copy()})


def _still_foot(n: int) -> FootSignals:
    """An unloaded, motionless insole lying flat."""
    return FootSignals(
        np.zeros((n, 16)), np.tile(MOUNT_UP_G, (n, 1)), np.zeros((n, 3)), np.zeros(n), np.zeros((n, 2))
    )


def _is_multiple(values: np.ndarray, step: float) -> bool:
    """Whole multiples of ``step`` up to the exports' 6-decimal float32 printing (< 0.2 % of a step)."""
    steps = values[np.isfinite(values)] / step
    return bool(np.abs(steps - np.round(steps)).max() < 2e-3)


@pytest.mark.parametrize("noise", sm.NOISE_LEVELS)
def test_output_is_digitised_like_a_real_export(noise: str) -> None:
    out = sm.apply_sensor_model(_recording(), noise, np.random.default_rng(1))
    for side in SIDES:
        foot = out.foot(side)
        p = foot.pressure_ncm2[np.isfinite(foot.pressure_ncm2)]
        assert p.min() >= 0.0 and p.max() <= sm.PRESSURE_MAX_NCM2
        assert _is_multiple(p, 0.25) and p[p > 0].min() >= 0.25
        assert _is_multiple(foot.acc_g, 1 / 2048) and _is_multiple(foot.gyro_dps, 0.07)
        force = insole_layout.total_force_n(foot.pressure_ncm2, SIZE)
        ok = np.isfinite(force)
        assert np.abs(foot.total_force_n[ok] - force[ok]).max() <= 0.5  # whole newtons
        assert np.array_equal(foot.total_force_n, np.round(foot.total_force_n), equal_nan=True)
        loaded = ok & (force > sm.COP_MIN_FORCE_N)
        cop = insole_layout.centre_of_pressure_norm(foot.pressure_ncm2[loaded], SIZE)
        np.testing.assert_allclose(foot.cop_norm[loaded], cop, atol=5e-7)
        assert np.all(foot.cop_norm[ok & ~loaded] == 0.0)  # unloaded: (0, 0), as the exports write it
        assert np.array_equal(np.isnan(foot.total_force_n), foot.missing_mask())


def test_noise_none_only_quantises_and_saturates() -> None:
    rec = _recording()
    rec.left.pressure_ncm2[5, 0] = 80.0  # beyond the 0-50 N/cm² range
    rec.left.pressure_ncm2[6, 0] = -1.0
    rec.left.acc_g[7] = [20.0, -20.0, 1.0]  # beyond ±16 g
    rec.left.gyro_dps[8] = [3000.0, 0.0, -2500.0]  # beyond the int16 range
    rec.right.acc_g[9] = np.nan  # a missing sample stays missing
    before = rec.left.pressure_ncm2.copy()
    out = sm.apply_sensor_model(rec, "none", np.random.default_rng(0))
    np.testing.assert_array_equal(rec.left.pressure_ncm2, before)  # the input is untouched
    left = out.left
    assert left.pressure_ncm2[5, 0] == 50.0 and left.pressure_ncm2[6, 0] == 0.0
    np.testing.assert_allclose(left.acc_g[7], [32767 / 2048, -16.0, 1.0], atol=1e-6)
    np.testing.assert_allclose(left.gyro_dps[8], [2293.69, 0.0, -2293.76], atol=1e-4)
    inside = np.ones(rec.n_samples, bool)
    inside[5:9] = False
    np.testing.assert_allclose(
        left.pressure_ncm2[inside], np.clip(rec.left.pressure_ncm2[inside], 0, 50), atol=0.125
    )
    np.testing.assert_allclose(left.acc_g[inside], rec.left.acc_g[inside], atol=0.5 / 2048 + 1e-6)
    np.testing.assert_allclose(left.gyro_dps[inside], rec.left.gyro_dps[inside], atol=0.035 + 1e-4)
    assert np.isnan(out.right.acc_g[9]).all() and not np.isnan(out.right.gyro_dps[9]).any()
    np.testing.assert_array_equal(out.extra_columns["x"], rec.extra_columns["x"])


def test_realistic_noise_is_reproducible_from_the_seed() -> None:
    rec = _recording()
    first = sm.apply_sensor_model(rec, "realistic", np.random.default_rng(42))
    again = sm.apply_sensor_model(rec, "realistic", np.random.default_rng(42))
    other = sm.apply_sensor_model(rec, "realistic", np.random.default_rng(43))
    for side in SIDES:
        for name in ("pressure_ncm2", "acc_g", "gyro_dps", "total_force_n", "cop_norm"):
            a, b = getattr(first.foot(side), name), getattr(again.foot(side), name)
            np.testing.assert_array_equal(a, b)
        assert not np.array_equal(first.foot(side).gyro_dps, other.foot(side).gyro_dps, equal_nan=True)


def test_missing_samples_come_in_short_bursts_at_the_real_rate() -> None:
    n = 120_000  # 20 minutes at 100 Hz
    rec = InsoleRecording(np.arange(n) / 100.0, _still_foot(n), _still_foot(n), insole_size=SIZE)
    out = sm.apply_sensor_model(rec, "realistic", np.random.default_rng(7))
    masks = [out.foot(side).missing_mask() for side in SIDES]
    for mask, foot in zip(masks, (out.left, out.right), strict=True):
        lo, hi = sm.MISSING_FRACTION_RANGE
        assert lo <= mask.mean() <= hi
        assert np.isnan(foot.pressure_ncm2[mask]).all() and np.isnan(foot.gyro_dps[mask]).all()
        edges = np.diff(np.r_[0, mask.astype(int), 0])
        lengths = np.flatnonzero(edges == -1) - np.flatnonzero(edges == 1)
        assert np.mean(lengths == 1) > 0.7 and lengths.max() <= 14  # at most two real bursts touching
        assert foot.pressure_ncm2[~mask].max() == 0.0  # unloaded cells carry no noise
    assert not np.array_equal(masks[0], masks[1])  # each side drops its own samples


@pytest.mark.parametrize("rate_hz", [100.0, 400.0])
def test_white_noise_scales_with_the_square_root_of_the_rate(rate_hz: float) -> None:
    n = 4000
    rec = InsoleRecording(np.arange(n) / rate_hz, _still_foot(n), _still_foot(n), insole_size=SIZE)
    gyro = sm.apply_sensor_model(rec, "realistic", np.random.default_rng(3)).left.gyro_dps
    gyro = gyro[np.isfinite(gyro[:, 0])]
    white_dps = np.std(np.diff(gyro, axis=0), axis=0) / np.sqrt(2)
    expected = sm.GYRO_WHITE_NOISE_DPS * np.sqrt(rate_hz / 100.0)
    quantisation = 0.07 / np.sqrt(12)
    np.testing.assert_allclose(white_dps, np.hypot(expected, quantisation), rtol=0.15)
    # the constant bias (σ 2 deg/s per axis) dominates the mean reading of a still foot
    assert 0.05 < np.abs(gyro.mean(axis=0)).max() < 4 * sm.GYRO_BIAS_DPS


def test_bad_arguments_are_refused() -> None:
    rec = _recording(20)
    with pytest.raises(ValueError, match="noise"):
        sm.apply_sensor_model(rec, "loud", np.random.default_rng(0))
    rec.insole_size = None
    with pytest.raises(ValueError, match="insole_size"):
        sm.apply_sensor_model(rec, "none", np.random.default_rng(0))


def _real_recording(path: Path) -> InsoleRecording:
    data = np.genfromtxt(path, delimiter="\t", comments="#", encoding="utf-8")
    feet = [np.split(data[:, c : c + 25], [16, 19, 22, 23], axis=1) for c in (1, 26)]  # OpenGo column order
    left, right = (FootSignals(p, acc, gyro, force[:, 0], cop) for p, acc, gyro, force, cop in feet)
    return InsoleRecording(data[:, 0], left, right, insole_size=SIZE)


def test_digitising_a_real_export_reproduces_it(shared_dir: Path) -> None:
    for path in sorted((shared_dir / "data/insoles_real/moticon-opengo-1.0.3_testdata").glob("*.txt")):
        real = _real_recording(path)
        out = sm.apply_sensor_model(real, "none", np.random.default_rng(0))
        for side in SIDES:
            got, want = out.foot(side), real.foot(side)
            for name in ("pressure_ncm2", "acc_g", "gyro_dps"):
                np.testing.assert_array_equal(getattr(got, name), getattr(want, name), err_msg=name)
            np.testing.assert_allclose(got.total_force_n, want.total_force_n, atol=1.0)
            np.testing.assert_allclose(got.cop_norm, want.cop_norm, atol=5e-4)  # fitted cell centroids
