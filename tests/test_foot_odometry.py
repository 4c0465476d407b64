"""Foot odometry: strides recovered from simulated insoles (the simulator and the integrator must agree on
the physics), heading from a pure turn, the left insole's mirrored axes, stillness, gaps."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from motion_fixtures import Gait, standing_motion, walking_motion

from step2motion.gait_events import detect_stance, runs
from step2motion.insole_layout import REPORTED_ACC_SIGNS, REPORTED_GYRO_SIGNS
from step2motion.odometry import strapdown
from step2motion.odometry.both_feet import STANCE_WIDTH_M, combine_feet, track_feet
from step2motion.odometry.stillness import detect_still
from step2motion.odometry.strapdown import (
    FootTrack,
    acc_up_bias_g,
    gyro_bias_dps,
    quiet_standing,
    segment_spans,
    tilt_gyro_bias_dps,
    track_foot,
)
from step2motion.odometry.strides import foot_strides
from step2motion.recording import FootSignals, InsoleRecording
from step2motion.simulation.imu import chip_world_poses
from step2motion.simulation.simulate import motion_at_rate, simulate_recording

RATE_HZ = 100.0


def _truth_strides(motion, side: str, strides) -> tuple[np.ndarray, np.ndarray]:
    """Mocap stride lengths and clearances (m) of the chip between the same samples as ``strides``."""
    position_m, _ = chip_world_poses(motion_at_rate(motion, RATE_HZ), side)  # Y up
    lengths, clearances = [], []
    for s in strides:
        a, b = s.start_index, s.end_index
        lengths.append(np.hypot(*(position_m[b, [0, 2]] - position_m[a, [0, 2]])))
        clearances.append(position_m[a : b + 1, 1].max() - position_m[a, 1])
    return np.array(lengths), np.array(clearances)


@pytest.mark.parametrize("noise", ["none", "realistic"])
def test_simulated_walk_strides_match_the_motion(noise: str) -> None:
    gait = Gait(stride_m=1.3, swing_lift_m=0.1)
    motion = walking_motion(n_cycles=6, gait=gait)
    rec = simulate_recording(motion, noise=noise, seed=3)
    for side in ("left", "right"):
        strides = foot_strides(track_foot(rec, side))
        assert len(strides) >= 4, side
        true_length, true_clearance = _truth_strides(motion, side, strides)
        length = np.array([s.length_m for s in strides])
        np.testing.assert_allclose(true_length, gait.stride_m, rtol=0.01)
        assert np.median(np.abs(length / true_length - 1)) < (0.005 if noise == "none" else 0.05), side
        clearance = np.array([s.clearance_m for s in strides])
        assert np.median(np.abs(clearance - true_clearance)) < (0.01 if noise == "none" else 0.03), side
        turns = np.array([s.heading_change_deg for s in strides])
        assert np.all(np.abs(turns) < (0.5 if noise == "none" else 5.0)), side
        durations = np.array([s.duration_s for s in strides])
        np.testing.assert_allclose(durations, gait.cycle_s, atol=0.03)


def _standing_first(rec: InsoleRecording, seconds: float) -> InsoleRecording:
    """``rec`` with ``seconds`` of quiet standing before it: each foot's first still sample, repeated."""
    n = round(seconds * RATE_HZ)
    feet = {}
    for side in ("left", "right"):
        foot = rec.foot(side)
        k = int(np.argmax(track_foot(rec, side).still))
        feet[side] = FootSignals(
            *(np.concatenate([np.repeat(v[k : k + 1], n, axis=0), v]) for v in dataclasses.astuple(foot))
        )
    time_s = np.concatenate([rec.time_s[0] + (np.arange(n) - n) / RATE_HZ, rec.time_s])
    return dataclasses.replace(rec, time_s=time_s, left=feet["left"], right=feet["right"])


@pytest.mark.parametrize("bias_g", [-0.015, 0.015])
def test_an_accelerometer_bias_along_the_up_axis_does_not_scale_the_strides(bias_g: float) -> None:
    # the real left unit reads |a| = 0.985-0.990 g standing and on every foot-flat (the right one 1.00 g);
    # the bias along the resting up axis turns with the foot through the swing and scaled every stride
    # (-0.4 % here for -0.015 g, +1.1 % on the real slow walk when removed)
    gait = Gait(stride_m=1.3, swing_lift_m=0.1)
    rec = _standing_first(simulate_recording(walking_motion(n_cycles=6, gait=gait), noise="none"), 0.6)
    up = np.array([0.0, 0.0, 1.0])
    rec = dataclasses.replace(
        rec,
        **{
            side: dataclasses.replace(
                rec.foot(side), acc_g=rec.foot(side).acc_g + bias_g * up * REPORTED_ACC_SIGNS[side]
            )
            for side in ("left", "right")
        },
    )
    for side in ("left", "right"):
        lengths = [s.length_m for s in foot_strides(track_foot(rec, side)) if s.steady]
        assert len(lengths) >= 4, side
        assert np.median(lengths) == pytest.approx(gait.stride_m, rel=0.001), side


def test_a_gyro_bias_across_the_resting_up_axis_is_read_from_the_swings_tilt() -> None:
    # a walk without quiet standing: the bias across the up axis tilts every swing and is estimated from
    # the swings; the bias along the up axis (heading) is not observable that way and is left at 0
    rec = simulate_recording(
        walking_motion(n_cycles=6, gait=Gait(stride_m=1.3, swing_lift_m=0.1)), noise="none"
    )
    foot = rec.foot("right")
    acc = foot.acc_g * REPORTED_ACC_SIGNS["right"]
    gyro = foot.gyro_dps * REPORTED_GYRO_SIGNS["right"]
    still = detect_still(acc, gyro, foot.total_force_n, RATE_HZ)
    up = acc[still].mean(axis=0) / np.linalg.norm(acc[still].mean(axis=0))
    bias = np.array([2.0, -2.5, 1.5])
    across = bias - (bias @ up) * up
    estimate = tilt_gyro_bias_dps(rec.time_s, acc, gyro + bias, still)
    np.testing.assert_allclose(estimate, across, atol=0.3)
    assert abs(estimate @ up) < 0.05
    # swings that disagree (a made-up tilt jump in every other still run) are not trusted
    jumped = acc.copy()
    flip = np.cumsum(np.diff(still.astype(int), prepend=0) == 1) % 2 == 1
    jumped[still & flip] += 0.2 * np.cross(up, [1.0, 0.0, 0.0])
    np.testing.assert_array_equal(tilt_gyro_bias_dps(rec.time_s, jumped, gyro + bias, still), 0.0)


@pytest.mark.parametrize("estimated", [True, False])
def test_a_pitch_bias_of_the_gyro_does_not_shorten_the_strides(monkeypatch, estimated: bool) -> None:
    # a walk without quiet standing and a 3 deg/s bias about the chip's across-foot axis: the tilt error it
    # gathers in every swing leaks gravity into the forward acceleration, which the velocity ramp does not
    # remove (checked with the estimate switched off, so that the test can fail)
    if not estimated:
        monkeypatch.setattr(strapdown, "tilt_gyro_bias_dps", lambda *args: np.zeros(3))
    gait = Gait(stride_m=1.3, swing_lift_m=0.1)
    rec = simulate_recording(walking_motion(n_cycles=6, gait=gait), noise="none")
    bias_dps = np.array([0.0, 3.0, 0.0])
    rec = dataclasses.replace(
        rec,
        **{
            side: dataclasses.replace(
                rec.foot(side), gyro_dps=rec.foot(side).gyro_dps + bias_dps * REPORTED_GYRO_SIGNS[side]
            )
            for side in ("left", "right")
        },
    )
    for side in ("left", "right"):
        lengths = [s.length_m for s in foot_strides(track_foot(rec, side)) if s.steady]
        assert len(lengths) >= 4, side
        error = abs(np.median(lengths) / gait.stride_m - 1.0)
        assert (error < 0.005) if estimated else (error > 0.01), (side, error)


@pytest.mark.parametrize(("spread_g", "estimated"), [(0.004, True), (0.02, False)])
def test_the_up_axis_bias_is_only_taken_from_genuinely_still_standing(
    spread_g: float, estimated: bool
) -> None:
    # a still sensor's |a| spreads by its white noise (0.003-0.004 g on the real exports); motion-capture
    # "standing" jitters by 0.014 g and more, and its median |a| is off 1 g without any sensor bias
    rng = np.random.default_rng(0)
    up = np.array([0.1, -0.2, 1.0]) / np.linalg.norm([0.1, -0.2, 1.0])
    acc = (0.985 + spread_g * rng.standard_normal(200))[:, None] * up
    bias = acc_up_bias_g(acc, np.ones(200, dtype=bool))
    if estimated:
        np.testing.assert_allclose(bias, -0.015 * up, atol=0.001)
    else:
        np.testing.assert_array_equal(bias, 0.0)


def test_the_gyro_bias_is_only_taken_from_runs_whose_rate_holds_steady() -> None:
    # standing: the rate is the bias plus white noise, and is taken for the bias
    rng = np.random.default_rng(0)
    time_s, still = np.arange(200) / RATE_HZ, np.ones(200, dtype=bool)
    bias = np.array([1.0, -2.0, 1.5])
    standing = bias + 0.1 * rng.standard_normal((200, 3))
    quiet = quiet_standing(time_s, standing, still)
    assert quiet.all()
    np.testing.assert_allclose(gyro_bias_dps(standing, quiet), bias, atol=0.05)
    # a still foot-flat that slowly turns (yaw rate wandering over 0-6 deg/s, below the quiet threshold):
    # its mean rate is motion, and taken for a bias it would turn the heading ~3 deg per second after it
    turning = standing + np.outer(3.0 + 3.0 * np.sin(2 * np.pi * time_s), [0.0, 0.0, 1.0])
    assert np.abs(turning).max() < strapdown.BIAS_QUIET_DPS
    assert not quiet_standing(time_s, turning, still).any()


def test_both_feet_travel_the_same_path_side_by_side() -> None:
    rec = simulate_recording(walking_motion(n_cycles=6), noise="none")
    feet = track_feet(rec)
    assert feet.reconciled
    pelvis = feet.pelvis_xy_m[np.isfinite(feet.pelvis_xy_m).all(axis=1)]
    travel = pelvis[-1] - pelvis[0]
    direction = np.arctan2(travel[1], travel[0])
    assert np.linalg.norm(travel) > 5.0
    # the feet's heading (toe-out cancelled) points along the travel
    assert abs(np.angle(np.exp(1j * (np.nanmedian(feet.heading_rad) - direction)))) < np.radians(3)
    # the left foot is on the left of the path (+90° from the heading), the right foot on the right
    normal = np.array([-np.sin(direction), np.cos(direction)])
    for side, sign in (("left", 1.0), ("right", -1.0)):
        offset = (feet.foot(side).position_m[:, :2] - feet.pelvis_xy_m) @ normal
        assert sign * np.nanmedian(offset) > 0.03, side


def test_walking_there_and_back_keeps_each_foot_on_its_own_side() -> None:
    # 4 m along +X, a half circle of 0.5 m radius to the left, 4 m back: the feet stand a stance width
    # apart across the way the walker faces, so the left foot is on +Y going and on -Y coming back; the
    # right track starts in a frame of its own (shifted), and only its gait-cycle average is matched
    time_s = np.arange(0.0, 10.0 + np.pi * 0.5, 0.01)
    s = time_s  # 1 m/s along the path
    turning = (s > 4.0) & (s < 4.0 + np.pi * 0.5)
    angle = np.clip((s - 4.0) / 0.5, 0.0, np.pi)
    x = np.where(s <= 4.0, s, np.where(turning, 4.0 + 0.5 * np.sin(angle), 4.0 - (s - 4.0 - np.pi * 0.5)))
    y = np.where(s <= 4.0, 0.0, np.where(turning, 0.5 - 0.5 * np.cos(angle), 1.0))
    heading = angle
    to_left = np.column_stack([-np.sin(heading), np.cos(heading)])
    width = STANCE_WIDTH_M

    def track(side: str, sign: float, shift_xy: np.ndarray) -> FootTrack:
        xy = np.column_stack([x, y]) + sign * 0.5 * width * to_left + shift_xy
        position = np.column_stack([xy, np.zeros_like(x)])
        still, segment = np.ones(time_s.size, dtype=bool), np.zeros(time_s.size, dtype=int)
        return FootTrack(side, time_s, position, np.zeros_like(position), heading, still, segment, still)

    feet = combine_feet(track("left", 1.0, np.zeros(2)), track("right", -1.0, np.array([0.3, -0.7])))
    assert feet.reconciled
    apart = np.sum((feet.left.position_m[:, :2] - feet.right.position_m[:, :2]) * to_left, axis=1)
    going, coming = s < 3.5, s > 4.5 + np.pi * 0.5
    # a width across the first heading alone: twice the width going, the feet on top of each other back
    assert np.abs(apart[going] - width).max() < 0.02
    assert np.abs(apart[coming] - width).max() < 0.02


def _stepping_track(
    side: str,
    swing_yaw_deg: float,
    first_swing_s: float,
    turns: int = 0,
    toe_out_deg: float = 0.0,
    duration_s: float = 5.0,
) -> FootTrack:
    """A foot standing until ``first_swing_s``, then walking along +X (1 s strides: 0.6 s swing, 0.4 s
    still), heading ``toe_out_deg`` while still; its toe yaws by up to ``swing_yaw_deg`` more in each swing
    (``turns`` full turns gained in the first one)."""
    time_s = np.arange(0.0, duration_s, 0.01)
    phase = (time_s - first_swing_s) % 1.0
    swinging = (time_s >= first_swing_s) & (phase < 0.6)
    stride = np.floor((time_s - first_swing_s) / 1.0) + np.where(swinging, phase / 0.6, 1.0)
    x = 1.2 * np.clip(stride, 0.0, None)
    heading = np.where(swinging, np.radians(swing_yaw_deg) * np.sin(np.pi * phase / 0.6), 0.0)
    heading += 2 * np.pi * turns * (time_s > first_swing_s + 0.3)
    heading += np.radians(toe_out_deg)
    position = np.column_stack([x, np.zeros_like(x), np.zeros_like(x)])
    still = ~swinging
    return FootTrack(
        side,
        time_s,
        position,
        np.zeros_like(position),
        heading,
        still,
        np.zeros(time_s.size, dtype=int),
        still,
    )


def test_walking_heading_reads_the_planted_feet_not_the_swings() -> None:
    # the swinging toe turns out by tens of degrees (opposite ways on the two feet, not at the same time):
    # the body's heading is the feet's when flat, at the recording's ends too
    left = _stepping_track("left", 40.0, first_swing_s=0.0)
    right = _stepping_track("right", -60.0, first_swing_s=0.5, turns=1)
    feet = combine_feet(left, right)
    assert feet.reconciled
    assert np.all(np.abs(np.angle(np.exp(1j * feet.heading_rad))) < np.radians(1.0))


def test_a_foot_turned_out_more_than_the_other_does_not_turn_the_walking_heading() -> None:
    # the right toe points 12° off the walking line, the left one straight: the toes' mean is 6° off
    left = _stepping_track("left", 0.0, first_swing_s=0.0)
    right = _stepping_track("right", 0.0, first_swing_s=0.5, toe_out_deg=12.0)
    heading = combine_feet(left, right).heading_rad
    assert np.all(np.abs(np.angle(np.exp(1j * heading))) < np.radians(1.0))
    # standing before walking off: the feet point where they like, the heading stays theirs there
    left = _stepping_track("left", 0.0, first_swing_s=3.0, duration_s=10.0)
    right = _stepping_track("right", 0.0, first_swing_s=3.5, toe_out_deg=12.0, duration_s=10.0)
    heading = np.degrees(combine_feet(left, right).heading_rad)
    assert heading[:150] == pytest.approx(6.0, abs=0.5)
    assert np.abs(heading[500:]).max() < 1.0
    # walking straight for less than half the recording: nothing to read the asymmetry from
    left = _stepping_track("left", 0.0, first_swing_s=6.0, duration_s=10.0)
    right = _stepping_track("right", 0.0, first_swing_s=6.5, toe_out_deg=12.0, duration_s=10.0)
    assert np.degrees(combine_feet(left, right).heading_rad) == pytest.approx(6.0, abs=0.5)


def test_standing_is_still_with_no_strides_and_no_drift() -> None:
    rec = simulate_recording(standing_motion(3.0), noise="realistic", seed=0)
    for side in ("left", "right"):
        track = track_foot(rec, side)
        assert track.still.mean() > 0.95
        assert foot_strides(track) == []
        assert np.nanmax(np.abs(track.position_m)) < 0.01


def _imu_recording(gyro_dps: np.ndarray, acc_g: np.ndarray, force_n: np.ndarray) -> InsoleRecording:
    n = len(force_n)
    foot = FootSignals(np.zeros((n, 16)), acc_g, gyro_dps, force_n, np.zeros((n, 2)))
    return InsoleRecording(np.arange(n) / RATE_HZ, foot, dataclasses.replace(foot))


def _turn_in_place(turn_deg: float) -> InsoleRecording:
    """1 s still, 1 s turning about the vertical (foot lifted, a sine-shaped rate), 1 s still."""
    n = int(3 * RATE_HZ)
    t = np.arange(n) / RATE_HZ
    moving = (t >= 1.0) & (t < 2.0)
    gyro = np.zeros((n, 3))
    gyro[moving, 2] = turn_deg * 0.5 * np.pi * np.sin(np.pi * (t[moving] - 1.0))  # integrates to turn_deg
    acc = np.tile([0.0, 0.0, 1.0], (n, 1))
    force = np.where(moving, 0.0, 600.0)
    return _imu_recording(gyro, acc, force)


def test_a_turn_about_the_vertical_is_read_back_and_the_left_insole_is_mirrored() -> None:
    rec = _turn_in_place(90.0)
    right = foot_strides(track_foot(rec, "right"))
    left = foot_strides(track_foot(rec, "left"))
    assert len(right) == len(left) == 1
    assert right[0].heading_change_deg == pytest.approx(90.0, abs=0.5)  # +Z gyro: toes turn left (CCW)
    # the left insole reports gyro Z mirrored (+Z = toes turning medially = clockwise for the left foot)
    assert left[0].heading_change_deg == pytest.approx(-90.0, abs=0.5)
    assert right[0].length_m < 0.01


def test_a_long_gap_splits_the_track_and_no_stride_spans_it() -> None:
    rec = simulate_recording(walking_motion(n_cycles=6), noise="none")
    gap = (rec.time_s > 2.9) & (rec.time_s < 3.6)
    left = rec.left
    for name in ("acc_g", "gyro_dps", "pressure_ncm2", "total_force_n", "cop_norm"):
        getattr(left, name)[gap] = np.nan
    track = track_foot(rec, "left")
    assert set(np.unique(track.segment)) == {-1, 0, 1}
    assert np.all(track.segment[gap] == -1) and np.all(np.isnan(track.position_m[gap]))
    for stride in foot_strides(track):
        assert track.segment[stride.start_index] == track.segment[stride.end_index]
    # short drop-outs are bridged, long ones split
    time_s = np.arange(20) / RATE_HZ
    missing = np.zeros(20, dtype=bool)
    missing[5:8] = True
    assert segment_spans(missing, time_s) == [(0, 20)]
    missing[9:19] = True  # samples 8 and 19 are 0.11 s apart
    assert segment_spans(missing, time_s) == [(0, 9), (19, 20)]


def test_corpus_walks_of_test_subjects_give_back_their_strides(shared_dir) -> None:
    """The simulated IMU is consistent with the motion it came from (else the simulator is wrong)."""
    from step2motion.evaluation.split import load_split
    from step2motion.io.corpus import corpus_entries, read_corpus_motion

    root = shared_dir / "data" / "mocap"
    test_subjects = set(load_split().test)
    entries = [e for e in corpus_entries(root) if e.subject in test_subjects and e.style == "walk"][:6]
    errors = []
    for entry in entries:
        motion = read_corpus_motion(root, entry)
        rec = simulate_recording(motion, noise="realistic", seed=0)
        for side in ("left", "right"):
            strides = foot_strides(track_foot(rec, side))
            true_length, _ = _truth_strides(motion, side, strides)
            keep = true_length > 0.2
            errors.extend(np.array([s.length_m for s in strides])[keep] / true_length[keep] - 1)
    assert len(errors) >= 15
    assert np.median(np.abs(errors)) < 0.03


def test_reconstruction_root_follows_the_feet() -> None:
    from step2motion.errors import InputError
    from step2motion.reconstruction.odometry_root import odometry_root_path, reliable_feet, trusted_pieces
    from step2motion.reconstruction.pipeline import ReconstructionOptions

    motion = walking_motion(n_cycles=6)
    rec = simulate_recording(motion, noise="none")
    frame_time_s = np.arange(0.0, rec.time_s[-1], 1 / 30)
    feet = reliable_feet(rec, frame_time_s, np.zeros((len(frame_time_s), 4)))
    assert feet is not None
    path = odometry_root_path(feet, frame_time_s, np.zeros((len(frame_time_s), 4)))
    assert path is not None
    position, yaw, _ = path
    # straight walking: the root travels the feet's pelvis path, as far as the mocap root, with no net turn
    travelled_m = np.linalg.norm(position[-1, [0, 2]] - position[0, [0, 2]])
    pelvis = feet.pelvis_xy_m[np.isfinite(feet.pelvis_xy_m).all(axis=1)]
    assert travelled_m == pytest.approx(np.linalg.norm(pelvis[-1] - pelvis[0]), rel=0.02)
    true_m = np.linalg.norm(motion.root_position_m[-1, [0, 2]] - motion.root_position_m[0, [0, 2]])
    assert travelled_m == pytest.approx(true_m, rel=0.03)
    assert np.all(position[:, 1] == 0.0) and abs(yaw[-1] - yaw[0]) < np.radians(3)
    # the pelvis' swing within each stride comes from the network's yaw; its slow turning does not
    swing_rad = np.radians(5.0) * np.sin(2 * np.pi * frame_time_s)  # one gait cycle a second
    turning_rad = 0.3 * frame_time_s
    network = np.zeros((len(frame_time_s), 4))
    network[1:, 3] = np.diff(swing_rad + turning_rad)
    swung = odometry_root_path(feet, frame_time_s, network)
    assert swung is not None
    np.testing.assert_array_equal(swung[0], position)
    inner = slice(30, -30)  # a cycle away from the ends, where the moving average is one-sided
    np.testing.assert_allclose(swung[1][inner] - yaw[inner], swing_rad[inner], atol=np.radians(0.5))
    # standing: nothing to reconcile, so no odometry root (the network's moves are kept)
    assert trusted_pieces(simulate_recording(standing_motion(3.0), noise="none")) == []
    with pytest.raises(InputError, match="root source"):
        ReconstructionOptions(root="gps")


def _fast_strides(stance_min_dps: list[float]) -> tuple[InsoleRecording, np.ndarray]:
    """A foot taking one fast stride per entry of ``stance_min_dps``: 0.3 s loaded, 0.4 s in the air
    (running cadence). It rolls through every stance (pitch rate never below ``stance_min_dps``, least at
    mid-stance) while the accelerometer reads 1 g, so only the rotation tells stance from rest. Returns
    the recording and each stance's ``[first, stop)`` samples ``[n, 2]``."""
    stance_n, swing_n = round(0.3 * RATE_HZ), round(0.4 * RATE_HZ)
    u = (np.arange(stance_n) + 0.5) / stance_n - 0.5  # -0.5 .. 0.5 over a stance
    pitch = np.concatenate(
        [np.full(swing_n, 250.0)]
        + [np.r_[rate + 800.0 * u**2, np.full(swing_n, 250.0)] for rate in stance_min_dps]
    )
    first = swing_n + (stance_n + swing_n) * np.arange(len(stance_min_dps))
    stances = np.column_stack([first, first + stance_n])
    loaded = np.zeros(pitch.size, dtype=bool)
    for a, b in stances:
        loaded[a:b] = True
    gyro = np.column_stack([np.zeros_like(pitch), pitch, np.zeros_like(pitch)])
    acc = np.tile([0.0, 0.0, 1.0], (pitch.size, 1))
    return _imu_recording(gyro, acc, np.where(loaded, 800.0, 0.0)), stances


def test_every_loaded_stance_of_a_fast_stride_gets_its_zero_velocity_moment(monkeypatch) -> None:
    """The three-signal test alone finds no still sample when a foot rolls through a short stance; the
    stance's quietest sample is still, one short run centred on it, unless even that turns fast."""
    from step2motion.odometry import stillness

    rates_dps = [45.0, 60.0, 50.0, 450.0, 45.0]
    rec, stances = _fast_strides(rates_dps)
    foot = rec.right
    still = stillness.detect_still(foot.acc_g, foot.gyro_dps, foot.total_force_n, RATE_HZ)
    in_stance = np.zeros(rec.n_samples, dtype=bool)
    for (first, stop), rate_dps in zip(stances, rates_dps, strict=True):
        in_stance[first:stop] = True
        marked = np.flatnonzero(still[first:stop]) + first
        if (rate_dps / stillness.STILL_GYRO_DPS) ** 2 > stillness.STANCE_MAX_SCORE:  # spinning: not at rest
            assert marked.size == 0
            continue
        assert marked.size == round(stillness.STANCE_MINIMUM_S * RATE_HZ)
        assert np.all(np.diff(marked) == 1) and abs(marked.mean() - (first + stop - 1) / 2) <= 1.0
    assert not still[~in_stance].any()
    # the strides between the four quiet stances are tracked ...
    assert len(foot_strides(track_foot(rec, "right"))) == 3
    # ... where the three-signal test alone leaves the foot untracked
    monkeypatch.setattr(stillness, "STANCE_MAX_SCORE", -1.0)
    assert not stillness.detect_still(foot.acc_g, foot.gyro_dps, foot.total_force_n, RATE_HZ).any()
    assert foot_strides(track_foot(rec, "right")) == []


def _pivot_on_the_spot(pivot_s: float = 2.5) -> InsoleRecording:
    """1 s flat, ``pivot_s`` loaded and turning about the vertical (50-250 deg/s, quietest every 0.6 s:
    faster than a foot-flat), 1 s flat; an accelerometer bias of 0.05 g while it turns."""
    t = np.arange(int((2.0 + pivot_s) * RATE_HZ)) / RATE_HZ
    pivoting = (t >= 1.0) & (t < 1.0 + pivot_s)
    gyro = np.zeros((t.size, 3))
    gyro[pivoting, 2] = 150.0 - 100.0 * np.cos(2 * np.pi * (t[pivoting] - 1.0) / 0.6)
    acc = np.tile([0.0, 0.0, 1.0], (t.size, 1))
    acc[pivoting, 0] += 0.05
    return _imu_recording(gyro, acc, np.full(t.size, 800.0))


def test_a_foot_pivoting_under_load_resets_its_velocity_at_its_quiet_moments(monkeypatch) -> None:
    """Stopping and turning about on the spot: a loaded foot turning faster than a foot-flat for seconds.
    Its quiet moments reset the velocity (not still: the foot is on its heel or ball), so no stretch
    between resets lasts long enough for the reconstruction to cut the track; without them it would."""
    from step2motion.odometry import stillness
    from step2motion.reconstruction.odometry_root import MAX_MOVING_S, _without_untrusted_moves

    rec = _pivot_on_the_spot()
    track = track_foot(rec, "right")
    pivoting = (rec.time_s >= 1.0) & (rec.time_s < 3.5)
    assert not track.still[pivoting].any()
    starts, stops, reset = runs(track.velocity_reset)
    inside = [(a, b) for a, b, r in zip(starts, stops, reset, strict=True) if r and pivoting[a]]
    # the quiet moments at 1.6, 2.2, 2.8 and 3.4 s (the one at 1.0 s starts the move)
    np.testing.assert_allclose(
        [rec.time_s[(a + b - 1) // 2] for a, b in inside], [1.6, 2.2, 2.8, 3.4], atol=0.02
    )
    gaps = [rec.time_s[b] - rec.time_s[a - 1] for a, b, r in zip(starts, stops, reset, strict=True) if not r]
    assert max(gaps) < MAX_MOVING_S
    never_fast = np.zeros(rec.n_samples, bool)
    assert np.isfinite(_without_untrusted_moves(track, never_fast)[0].position_m).all()
    # the bias integrates between resets only: the chip stays near where it stood
    assert np.abs(track.position_m[:, :2]).max() < 0.15
    # without the quiet moments the whole turn is one move, too long to trust
    monkeypatch.setattr(stillness, "LOADED_MOVE_MAX_SCORE", -1.0)
    open_loop = track_foot(rec, "right")
    assert not open_loop.velocity_reset[pivoting].any()
    assert np.isnan(_without_untrusted_moves(open_loop, never_fast)[0].position_m[pivoting]).all()


def test_walking_stances_get_no_loaded_quiet_moments() -> None:
    """A walking stance's heel-strike and heel-rise parts are short: walking keeps its foot-flats only."""
    from step2motion.odometry.stillness import detect_rest

    for gait in (Gait(), Gait(cycle_s=0.9, stride_m=1.5, heel_rocker_end=0.12, heel_rise_start=0.12)):
        rec = simulate_recording(walking_motion(n_cycles=4, gait=gait), noise="realistic", seed=1)
        for foot in (rec.left, rec.right):
            rest = detect_rest(foot.acc_g, foot.gyro_dps, foot.total_force_n, RATE_HZ)
            assert rest.still.any() and not rest.loaded_quiet.any()


def test_stances_that_hold_still_keep_what_the_three_signal_test_found(monkeypatch) -> None:
    """Walking with a foot-flat (and a foot without pressure data): nothing is added."""
    from step2motion.odometry import stillness

    rec = simulate_recording(walking_motion(n_cycles=4), noise="realistic", seed=1)
    no_force = dataclasses.replace(
        rec, left=dataclasses.replace(rec.left, total_force_n=np.full(rec.n_samples, np.nan))
    )
    found = {}
    for max_score in (stillness.STANCE_MAX_SCORE, -1.0):
        monkeypatch.setattr(stillness, "STANCE_MAX_SCORE", max_score)
        found[max_score] = [track_foot(r, side).still for r in (rec, no_force) for side in ("left", "right")]
    for new, old in zip(*found.values(), strict=True):
        assert old.any()
        np.testing.assert_array_equal(new, old)


def test_a_recording_cut_as_a_heel_rises_resets_the_velocity_there_but_is_not_still_there() -> None:
    """A brisk walk without a foot-flat (the stances' zero-velocity moments are their quietest samples),
    cut 0.2 s before a right toe-off: that stance's zero-velocity moment is the recording's first sample.
    Without it the track is integrated back from the next stance's quietest moment, where the rolling
    foot is not quite at rest, and the whole swing comes out too high."""
    gait = Gait(cycle_s=0.9, stride_m=1.5, heel_rocker_end=0.12, heel_rise_start=0.12, swing_lift_m=0.1)
    motion = walking_motion(n_cycles=6, gait=gait)
    rec = simulate_recording(motion, noise="none", seed=0)
    stance = detect_stance(rec.right.total_force_n, RATE_HZ)
    _, stop = [(a, b) for a, b, loaded in zip(*runs(stance), strict=True) if loaded][2]
    cut = stop - round(0.2 * RATE_HZ)
    track = track_foot(rec.take(slice(cut, None)), "right")
    first_still = int(np.argmax(track.still))
    assert not track.still[0] and np.all(track.velocity_m_s[0] == 0.0)
    true_height = chip_world_poses(motion_at_rate(motion, RATE_HZ), "right")[0][cut:, 1]
    true_height = true_height - true_height[first_still]
    error_m = np.abs(track.position_m[:first_still, 2] - true_height[:first_still])
    assert error_m.max() < 0.05
    assert [s.steady for s in foot_strides(track)] == [True] * len(foot_strides(track))
