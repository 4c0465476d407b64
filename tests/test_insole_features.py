"""Insole recording → model input streams: gravity, gaps, resampling, body weight, CoP, real exports."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from step2motion import insole_layout
from step2motion.dataset.insole_features import (
    CONDITION_SCHEMA,
    MODALITY_CHANNELS,
    estimate_body_weight_n,
    insole_size_of,
    insole_streams,
)
from step2motion.dataset.orientation import level_imu
from step2motion.errors import InputError
from step2motion.recording import FootSignals, InsoleRecording

RATE_HZ = 100.0
SIZE = 7
#: Share of a foot's force on each cell (heel-heavy, sums to 1).
CELL_SHARE = np.array([12, 10, 10, 9, 7, 6, 2, 3, 6, 7, 6, 5, 3, 6, 5, 3], dtype=float) / 100.0


def _foot(
    force_n: np.ndarray, acc_g: np.ndarray | None = None, gyro_dps: np.ndarray | None = None
) -> FootSignals:
    """A consistent foot: cells carry fixed shares of ``force_n [T]``, pressures quantised like OpenGo."""
    n = force_n.size
    pressure = np.round(force_n[:, None] * CELL_SHARE / insole_layout.cell_areas_cm2(SIZE) * 4) / 4
    return FootSignals(
        pressure_ncm2=pressure,
        acc_g=np.tile([0.0, 0.0, 1.0], (n, 1)) if acc_g is None else acc_g,
        gyro_dps=np.zeros((n, 3)) if gyro_dps is None else gyro_dps,
        total_force_n=insole_layout.total_force_n(pressure, SIZE),
        cop_norm=insole_layout.centre_of_pressure_norm(pressure, SIZE),
    )


def _recording(left: FootSignals, right: FootSignals, size: int | None = SIZE) -> InsoleRecording:
    return InsoleRecording(np.arange(left.total_force_n.size) / RATE_HZ, left, right, insole_size=size)


def _standing(duration_s: float = 4.0, weight_n: float = 700.0, seed: int = 0) -> InsoleRecording:
    rng = np.random.default_rng(seed)
    n = round(duration_s * RATE_HZ)

    def still_foot(share: float) -> FootSignals:
        acc = np.array([0.0, 0.0, 1.0]) + rng.normal(0, 0.005, (n, 3))
        return _foot(np.full(n, share * weight_n), acc, rng.normal(0, 0.3, (n, 3)))

    return _recording(still_foot(0.55), still_foot(0.45))


def _turning_rocking_sensor(time_s: np.ndarray) -> tuple[Rotation, np.ndarray, np.ndarray]:
    """Orientations of an insole that yaws steadily while rocking in pitch and roll about its own
    origin (no linear acceleration): (orientation sensor → world Z up, acc ``[T, 3]`` g, gyro ``[T, 3]``
    deg/s), the angular rate by central differences of the exact orientation."""

    def orientation(t: np.ndarray) -> Rotation:
        angles = np.stack(
            [0.8 * t, 0.35 * np.sin(2 * np.pi * 0.7 * t), 0.2 * np.sin(2 * np.pi * 0.45 * t)], 1
        )
        return Rotation.from_euler("ZYX", angles)

    h = 1e-5
    body_rate = (orientation(time_s - h).inv() * orientation(time_s + h)).as_rotvec() / (2 * h)
    rot = orientation(time_s)
    return rot, rot.inv().apply([0.0, 0.0, 1.0]), np.degrees(body_rate)


def test_condition_schema_matches_the_channel_table() -> None:
    assert CONDITION_SCHEMA.names[:4] == (
        "left_rearfoot_pressure",
        "left_forefoot_pressure",
        "left_imu",
        "left_force_cop",
    )
    assert CONDITION_SCHEMA.names[4] == "left_odometry"
    assert CONDITION_SCHEMA.names[5] == "right_rearfoot_pressure"
    for name in CONDITION_SCHEMA.names:
        assert CONDITION_SCHEMA.channels(name) == len(MODALITY_CHANNELS[name.partition("_")[2]])


def test_standing_still_has_no_free_acceleration_and_up_is_the_sole_normal() -> None:
    features = insole_streams(_standing())
    for side in ("left", "right"):
        imu = features.streams[f"{side}_imu"]
        assert features.present[f"{side}_imu"].all()
        assert np.abs(imu[:, :3]).max() < 0.01  # g; the reference left -1.7 g here
        assert np.abs(imu[:, 3:6]).max() < 1.0  # deg/s, noise only
        np.testing.assert_allclose(imu[:, 6:9], np.tile([0, 0, 1], (imu.shape[0], 1)), atol=0.01)


def test_tilted_still_insole_reports_its_tilt_and_no_free_acceleration() -> None:
    n = 300
    up = Rotation.from_euler("YX", [-0.3, 0.15]).inv().apply([0, 0, 1.0])  # heel raised, rolled
    levelled = level_imu(np.tile(up, (n, 1)), np.full((n, 3), 0.1), RATE_HZ)
    # Madgwick's normalised correction step makes it chatter by gain × dt = 2 mrad around the answer.
    np.testing.assert_allclose(levelled.up_in_sensor, np.tile(up, (n, 1)), atol=5e-3)
    assert np.abs(levelled.free_acc_g).max() < 5e-3


def test_moving_insole_tilt_and_level_frame_rates_are_right() -> None:
    """Yawing 0.8 rad/s while rocking: the tilt is tracked, the free acceleration stays ≈ 0 and the
    level-frame angular rate is (0, pitch rate, yaw rate) up to the roll terms, with no trace of the
    absolute yaw (heading-free)."""
    time_s = np.arange(0, 8, 1 / RATE_HZ)
    rot, acc_g, gyro_dps = _turning_rocking_sensor(time_s)
    levelled = level_imu(acc_g, gyro_dps, RATE_HZ)
    true_up = rot.inv().apply([0, 0, 1.0])
    error_deg = np.degrees(np.arccos(np.clip((levelled.up_in_sensor * true_up).sum(1), -1, 1)))
    assert error_deg.max() < 2.0  # ahrs integrates to first order: ≈ 1° at these rates
    assert np.abs(levelled.free_acc_g).max() < 0.02
    _, pitch, roll = rot.as_euler("ZYX").T
    level = Rotation.from_euler("ZYX", np.stack([np.zeros_like(pitch), pitch, roll], 1))
    np.testing.assert_allclose(levelled.gyro_level_dps, level.apply(gyro_dps), atol=1.0)
    assert np.abs(levelled.gyro_level_dps[:, 2].mean() - np.degrees(0.8)) < 1.0


def test_long_gap_is_absent_and_short_gap_is_interpolated() -> None:
    rec = _standing(duration_s=6.0)
    rec.left.acc_g[100:105] = np.nan  # 0.05 s: bridged
    rec.left.pressure_ncm2[100:105] = np.nan
    rec.left.pressure_ncm2[300:350] = np.nan  # 0.5 s: absent
    rec.left.gyro_dps[300:350] = np.nan
    features = insole_streams(rec)
    frame_time_s = features.time_s
    in_long_gap = (frame_time_s >= 3.0 - 1e-9) & (frame_time_s < 3.5 - 1e-9)
    for name in ("left_rearfoot_pressure", "left_forefoot_pressure", "left_imu"):
        np.testing.assert_array_equal(features.present[name], ~in_long_gap, err_msg=name)
        assert np.isnan(features.streams[name][in_long_gap]).all()
        assert np.isfinite(features.streams[name][~in_long_gap]).all()
    assert features.present["left_force_cop"].all()  # total force and CoP were not missing
    assert all(features.present[n].all() for n in features.present if n.startswith("right"))
    short = (frame_time_s > 0.99) & (frame_time_s < 1.06)
    np.testing.assert_allclose(
        features.streams["left_rearfoot_pressure"][short],
        np.tile(features.streams["left_rearfoot_pressure"][10], (short.sum(), 1)),
        atol=0.01,
    )


def test_rows_missing_from_the_time_axis_count_as_gaps() -> None:
    rec = _standing(duration_s=6.0)
    keep = np.ones(rec.n_samples, dtype=bool)
    keep[200:203] = False  # 0.03 s of rows
    keep[400:440] = False  # 0.4 s of rows
    take = lambda foot: FootSignals(*(getattr(foot, f)[keep] for f in FootSignals.__dataclass_fields__))  # noqa: E731
    features = insole_streams(InsoleRecording(rec.time_s[keep], take(rec.left), take(rec.right), SIZE))
    absent = ~features.present["right_imu"]
    np.testing.assert_array_equal(features.time_s[absent], np.arange(120, 132) / 30.0)  # 4.00-4.39 s


def test_resampling_keeps_a_slow_sine_and_removes_what_would_alias() -> None:
    """1.5 Hz survives 100 → 30 Hz; a 40 Hz component (it would alias to 10 Hz) is filtered out."""
    time_s = np.arange(0, 8, 1 / RATE_HZ)
    slow = 300 + 100 * np.sin(2 * np.pi * 1.5 * time_s)
    fast = 40 * np.sin(2 * np.pi * 40.0 * time_s)
    rec = _recording(_foot(slow + fast), _foot(np.full_like(time_s, 400.0)))
    rec.left.total_force_n = slow + fast  # without the pressure quantisation (±5 N)
    features = insole_streams(rec, rate_hz=30.0, body_weight_n=700.0)
    total_bw = features.streams["left_force_cop"][:, 0]
    inner = (features.time_s > 0.5) & (features.time_s < 7.5)
    expected = (300 + 100 * np.sin(2 * np.pi * 1.5 * features.time_s)) / 700.0
    assert np.abs(total_bw - expected)[inner].max() < 0.02 * 100 / 700.0
    assert features.time_s[1] - features.time_s[0] == pytest.approx(1 / 30.0)


def _walking(weight_n: float, seed: int) -> InsoleRecording:
    """Standing 1.5 s, walking 12 s (cycle 1.1 s, stance 62 %, double-hump force), standing 1.5 s;
    left + right averages exactly ``weight_n`` over every gait cycle and while standing."""
    rng = np.random.default_rng(seed)
    time_s = np.arange(0, 15, 1 / RATE_HZ)
    walking = (time_s >= 1.5) & (time_s < 13.5)

    def stance_force(phase: np.ndarray) -> np.ndarray:
        s = phase / 0.62  # 0..1 within stance
        hump = np.sin(np.pi * s) * (1.0 + 0.35 * np.cos(2 * np.pi * s) ** 2 * (s > 0.15) * (s < 0.85))
        return np.where(phase < 0.62, np.maximum(hump, 0.0), 0.0)

    phase = ((time_s - 1.5) / 1.1) % 1.0
    left, right = stance_force(phase), stance_force((phase + 0.5) % 1.0)
    cycle = np.linspace(0, 1, 10000, endpoint=False)
    scale = weight_n / (stance_force(cycle) + stance_force((cycle + 0.5) % 1.0)).mean()
    left = np.where(walking, scale * left, 0.5 * weight_n) + rng.normal(0, 5, time_s.size)
    right = np.where(walking, scale * right, 0.5 * weight_n) + rng.normal(0, 5, time_s.size)
    return _recording(_foot(np.maximum(left, 0)), _foot(np.maximum(right, 0)))


@pytest.mark.parametrize("weight_n", [550.0, 900.0])
def test_body_weight_estimate_within_3_percent(weight_n: float) -> None:
    rec = _walking(weight_n, seed=int(weight_n))
    assert estimate_body_weight_n(rec) == pytest.approx(weight_n, rel=0.03)
    features = insole_streams(rec)
    assert features.body_weight_estimated
    assert features.body_weight_n == pytest.approx(weight_n, rel=0.03)
    assert not insole_streams(rec, body_weight_n=weight_n).body_weight_estimated


def test_body_weight_of_a_simulated_walk_within_3_percent() -> None:
    """The same path on a virtual insole recording (simulator, realistic noise and dropouts)."""
    from motion_fixtures import walking_motion

    from step2motion.simulation.simulate import simulate_recording

    for seed, mass_kg in ((0, 55.0), (1, 95.0)):
        rec = simulate_recording(walking_motion(n_cycles=4), mass_kg, 5, noise="realistic", seed=seed)
        features = insole_streams(rec)
        assert features.body_weight_n == pytest.approx(mass_kg * 9.81, rel=0.03)
        for name, values in features.streams.items():
            assert np.isfinite(values[features.present[name]]).all(), name


def test_odometry_stream_measures_the_feet_of_a_straight_walk() -> None:
    """Forward speed integrated over the walk = the chip's horizontal path; no sideways drift or turn on a
    straight walk; zero velocity while the foot is flat."""
    from motion_fixtures import walking_motion

    from step2motion.simulation.imu import chip_world_poses
    from step2motion.simulation.simulate import motion_at_rate, settled_motion, simulate_recording

    motion = walking_motion(n_cycles=4)
    features = insole_streams(simulate_recording(motion, noise="none"))
    truth = settled_motion(motion_at_rate(motion, 100.0))
    channels = MODALITY_CHANNELS["odometry"]
    for side in ("left", "right"):
        odometry = features.streams[f"{side}_odometry"]
        assert features.present[f"{side}_odometry"].all()
        chip_m, _ = chip_world_poses(truth, side)
        path_m = np.sum(np.linalg.norm(np.diff(chip_m[:, [0, 2]], axis=0), axis=1))
        travelled_m = np.sum(odometry[:, channels.index("forward_m_s")]) / features.rate_hz
        assert travelled_m == pytest.approx(path_m, rel=0.05), side
        sideways_m = np.sum(odometry[:, channels.index("leftward_m_s")]) / features.rate_hz
        assert abs(sideways_m) < 0.02 * path_m, side
        turn_rad = np.sum(odometry[:, channels.index("heading_rate_rad_s")]) / features.rate_hz
        assert abs(turn_rad) < np.radians(3.0), side
        still = odometry[:, channels.index("still")] > 0.5
        assert 0.1 < still.mean() < 0.8, side
        assert np.abs(odometry[still, : channels.index("up_m_s") + 1]).max() < 0.3, side


def test_pressure_streams_are_cell_forces_over_body_weight() -> None:
    rec = _standing()
    features = insole_streams(rec, body_weight_n=700.0)
    forces = np.concatenate(
        [features.streams["left_rearfoot_pressure"], features.streams["left_forefoot_pressure"]], axis=1
    )
    expected = rec.left.pressure_ncm2[0] * insole_layout.cell_areas_cm2(SIZE) / 700.0
    np.testing.assert_allclose(forces, np.tile(expected, (forces.shape[0], 1)), atol=1e-5)
    np.testing.assert_allclose(forces.sum(1), features.streams["left_force_cop"][:, 0], atol=1e-5)


def test_unloaded_foot_has_a_defined_cop_and_a_loaded_flag() -> None:
    time_s = np.arange(0, 4, 1 / RATE_HZ)
    force = np.where(time_s < 2.0, 350.0, 0.0)
    rec = _recording(_foot(force), _foot(np.full_like(time_s, 350.0)))
    assert np.isnan(rec.left.cop_norm[-1]).all()
    features = insole_streams(rec, body_weight_n=700.0)
    cop = features.streams["left_force_cop"]
    assert features.present["left_force_cop"].all()
    loaded, unloaded = features.time_s < 1.7, features.time_s > 2.3
    np.testing.assert_allclose(cop[loaded, 1:3], np.tile(rec.left.cop_norm[0], (loaded.sum(), 1)), atol=1e-4)
    assert (cop[loaded, 3] == 1.0).all()
    assert (cop[unloaded, 1:4] == 0.0).all()


def test_unknown_insole_size_is_inferred_from_total_force() -> None:
    rec = _standing()
    rec.insole_size = None
    assert insole_size_of(rec) == SIZE


def test_recording_without_both_feet_needs_a_body_weight() -> None:
    rec = _standing()
    rec.right = FootSignals.missing(rec.n_samples)
    with pytest.raises(InputError, match="body weight"):
        insole_streams(rec)
    features = insole_streams(rec, body_weight_n=700.0)
    assert not any(features.present[n].any() for n in features.present if n.startswith("right"))
    assert np.isnan(features.streams["right_imu"]).all()


def test_real_exports_give_finite_features_a_plausible_weight_and_still_standing(shared_dir) -> None:
    from step2motion.io.moticon import read_moticon

    paths = sorted((shared_dir / "data/insoles_real").glob("*/*.txt"))
    assert paths
    for path in paths:
        features = insole_streams(read_moticon(path))
        assert 600.0 < features.body_weight_n < 1100.0, (path.name, features.body_weight_n)
        for name, values in features.streams.items():
            present = features.present[name]
            assert present.mean() > 0.95, name  # the left insole starts ~0.5 s late
            assert np.isfinite(values[present]).all(), name
        for side in ("left", "right"):
            imu, present = features.streams[f"{side}_imu"], features.present[f"{side}_imu"]
            standing = present & (features.time_s < 1.2)
            assert standing.sum() >= 15
            assert np.abs(imu[standing, :3]).max() < 0.05, (path.name, side)  # g
            assert imu[standing, 8].min() > 0.95  # insole nearly flat: up ≈ sole normal
