"""Reconstruction that obeys the feet's odometry (``root="odometry"``): planted toes where and while each
insole is still, the swing along its track, no foot under the floor, constant bones; the network root
untouched; recordings without trusted odometry fall back to the pinner.

The predictor is an oracle: the fixture walk's own poses, with root moves 40 % short (a weak root
network's), so that the open-loop root falls behind the feet and only the odometry can place the body.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import pytest
from motion_fixtures import Gait, standing_motion, walking_motion

from step2motion import skeleton
from step2motion.cli._recording_notes import root_notes
from step2motion.dataset.insole_features import InsoleFeatures, insole_streams
from step2motion.dataset.pose_features import PoseTargets, integrate_root, pose_targets, to_world
from step2motion.gait_events import detect_stance, nearest_samples, runs, stance_at_times
from step2motion.motion import Motion, forward_kinematics
from step2motion.odometry.both_feet import FeetOdometry
from step2motion.odometry.strapdown import FootTrack, track_foot
from step2motion.odometry.strides import foot_strides
from step2motion.reconstruction.foot_contacts import FootPinner, pelvis_height_m
from step2motion.reconstruction.odometry_feet import CHIP_FRACTION, feet_above_floor, foot_targets
from step2motion.reconstruction.odometry_root import (
    MAX_MOVING_S,
    MAX_OPEN_END_S,
    MAX_TRUSTED_GYRO_DPS,
    heading_at_frames,
    motion_yaw_rad,
    odometry_pelvis,
    reliable_feet,
    to_motion_frame,
    trusted_pieces,
)
from step2motion.reconstruction.pipeline import (
    Reconstruction,
    ReconstructionOptions,
    from_first_sample,
    reconstruct_with,
    resample_frames,
    smoothed_poses,
    wearer_weight_n,
)
from step2motion.reconstruction.skeleton_fit import fit_rotations, rest_offsets_m
from step2motion.reconstruction.windowed_sampling import Condition
from step2motion.recording import SIDES, InsoleRecording, median_rate_hz
from step2motion.simulation.simulate import motion_at_rate, simulate_recording

FPS = 30.0
GAIT = Gait(stride_m=1.3, swing_lift_m=0.1)
_TOES = {side: skeleton.joint_index(f"{side.title()}ToeBase") for side in SIDES}
_FEET = skeleton.joint_indices(("LeftFoot", "LeftToeBase", "RightFoot", "RightToeBase"))


@dataclass
class OraclePredictor:
    """A window predictor answering the poses of ``targets``, root moves scaled by ``root_scale``."""

    targets: PoseTargets
    root_scale: float = 0.6
    window_frames: int = 16
    frame_rate_hz: float = FPS
    n_samples: int = 1
    steps: int = 0
    guidance: float = 0.0

    def prepare(self, features: InsoleFeatures) -> Condition:
        n = features.time_s.size
        return Condition(np.arange(n, dtype=np.float64)[:, None], np.ones((n, 1), dtype=bool))

    def _frames(self, condition: Condition) -> np.ndarray:
        return np.minimum(condition.values[:, 0].astype(int), self.targets.n_frames - 1)

    def sample_poses(self, condition: Condition, known_m: np.ndarray | None = None) -> np.ndarray:
        return self.targets.joints_local_m[self._frames(condition)][None].copy()

    def root_motion(self, condition: Condition) -> np.ndarray:
        return self.targets.root_motion[self._frames(condition)] * self.root_scale


def _odometry(rec: InsoleRecording, network_root_motion: np.ndarray | None = None) -> FeetOdometry | None:
    """The trusted odometry of ``rec`` from its first sample, its pieces joined by ``network_root_motion``
    ``[n, 4]`` at ``FPS`` (default: a network that stands still)."""
    local = from_first_sample(rec)
    frame_time_s = np.arange(round(local.duration_s * FPS)) / FPS
    if network_root_motion is None:
        network_root_motion = np.zeros((frame_time_s.size, 4))
    return reliable_feet(local, frame_time_s, network_root_motion[: frame_time_s.size])


def _reconstruct(motion: Motion, rec: InsoleRecording, root: str) -> Reconstruction:
    return reconstruct_with(rec, OraclePredictor(pose_targets(motion, FPS)), ReconstructionOptions(root=root))


@pytest.fixture(scope="module")
def walk() -> tuple[Motion, InsoleRecording]:
    motion = walking_motion(n_cycles=6, gait=GAIT)
    return motion, simulate_recording(motion, mass_kg=70.0, insole_size=7, noise="none", seed=0)


@pytest.fixture(scope="module")
def followed(walk: tuple[Motion, InsoleRecording]) -> Reconstruction:
    return _reconstruct(*walk, root="odometry")


def _still_runs(rec: InsoleRecording, side: str, time_s: np.ndarray) -> list[np.ndarray]:
    """Output frames of each still run of ``side``'s odometry (at least 3 frames long)."""
    feet = _odometry(rec)
    track = feet.foot(side)
    still = track.still[nearest_samples(track.time_s, time_s)]
    return [np.arange(a, b) for a, b, value in zip(*runs(still), strict=True) if value and b - a >= 3]


def test_planted_toes_hold_still_on_the_odometry_positions(
    walk: tuple[Motion, InsoleRecording], followed: Reconstruction
) -> None:
    _, rec = walk
    assert followed.odometry_root.all()  # a steady walk: the odometry places every frame
    assert root_notes(followed.odometry_root, followed.time_s, "odometry") == []
    positions = followed.motion.joint_positions_m()
    time_s = followed.time_s - rec.time_s[0]
    feet = _odometry(rec)
    toe_offset = followed.motion.offsets_m[_TOES["left"]]
    ahead_m = (1.0 - CHIP_FRACTION) * np.hypot(toe_offset[0], toe_offset[2])
    toes_xz, expected_xz = [], []
    for side in SIDES:
        track = feet.foot(side)
        chip = to_motion_frame(track.position_m[nearest_samples(track.time_s, time_s)])
        yaw = motion_yaw_rad(heading_at_frames(track.time_s, track.heading_rad, time_s))
        expected = chip[:, [0, 2]] + ahead_m * np.stack([np.sin(yaw), np.cos(yaw)], axis=1)
        stills = _still_runs(rec, side, time_s)
        assert len(stills) >= 5, side
        planted_xz = []
        for frames in stills:
            toe = positions[frames, _TOES[side]]
            assert np.ptp(toe[:, [0, 2]], axis=0).max() < 0.01, side  # held within 1 cm
            np.testing.assert_allclose(toe[:, 1], 0.0, atol=1e-6)  # on the floor
            toes_xz.append(toe[:, [0, 2]])
            expected_xz.append(expected[frames])
            planted_xz.append(toe[0, [0, 2]])
        # consecutive footprints of one foot are one stride apart, as in the fixture walk
        strides = np.linalg.norm(np.diff(planted_xz, axis=0), axis=1)
        np.testing.assert_allclose(np.median(strides), GAIT.stride_m, rtol=0.05)
    # the footprints are the odometry's, up to the one rigid move that starts the output at the origin
    # facing +Z: after the best such move (2-D Kabsch) every planted toe lies within 1 cm of its own
    out, odo = np.concatenate(toes_xz), np.concatenate(expected_xz)
    a, b = odo - odo.mean(axis=0), out - out.mean(axis=0)
    angle = np.arctan2(np.sum(a[:, 0] * b[:, 1] - a[:, 1] * b[:, 0]), np.sum(a * b))
    rotation = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    assert np.linalg.norm(a @ rotation.T - b, axis=1).max() < 0.01


def test_the_body_keeps_up_with_its_feet(
    walk: tuple[Motion, InsoleRecording], followed: Reconstruction
) -> None:
    motion, rec = walk
    network = _reconstruct(motion, rec, root="network")
    true_path = np.linalg.norm(motion.root_position_m[-1, [0, 2]] - motion.root_position_m[0, [0, 2]])
    for result, tolerance in ((followed, 0.05), (network, None)):
        root = result.motion.root_position_m
        # either root starts above the origin heading +Z (the straight walk goes along +Z)
        np.testing.assert_allclose(root[0, [0, 2]], 0.0, atol=1e-9)
        assert abs(root[-1, 0]) < 0.1 * root[-1, 2]
        travelled = np.linalg.norm(root[-1, [0, 2]] - root[0, [0, 2]])
        if tolerance is None:  # the short root moves stay short under the pinner
            assert travelled < 0.85 * true_path
        else:
            assert travelled == pytest.approx(true_path, rel=tolerance)
    # the hips stay above the feet: horizontal hip-to-toe distance within a leg's reach
    positions = followed.motion.joint_positions_m()
    for side in SIDES:
        gap = np.linalg.norm(positions[:, 0, [0, 2]] - positions[:, _TOES[side], [0, 2]], axis=1)
        assert gap.max() < 0.8, side


def test_swing_follows_the_odometry_track(
    walk: tuple[Motion, InsoleRecording], followed: Reconstruction
) -> None:
    motion, _ = walk
    positions = followed.motion.joint_positions_m()
    truth = motion_at_rate(motion, FPS).joint_positions_m()
    n = min(len(truth), len(positions))
    for side in SIDES:
        # toe-joint height above its planted level (the floors differ: the fixture's ball is 2.5 cm up)
        true_height = truth[:n, _TOES[side], 1] - truth[:n, _TOES[side], 1].min()
        height = positions[:n, _TOES[side], 1]
        swinging = true_height > 0.03
        assert swinging.sum() > 10, side
        assert np.median(np.abs(height[swinging] - true_height[swinging])) < 0.015, side
        assert height.max() == pytest.approx(true_height.max(), abs=0.02)


def test_from_heel_strike_to_foot_flat_the_heel_holds_on_the_floor(
    walk: tuple[Motion, InsoleRecording], followed: Reconstruction
) -> None:
    """Loaded from the force onset on, the heel (the point on the floor under the flat foot's ankle) must
    neither float nor slide while the foot rolls down onto its sole, toes first up, flat at foot-flat."""
    _, rec = walk
    motion = followed.motion
    rotations_q, root_m, offsets_m = motion.local_rotations, motion.root_position_m, motion.offsets_m
    positions, rotations = forward_kinematics(rotations_q, root_m, offsets_m)
    time_s = followed.time_s - rec.time_s[0]
    feet = _odometry(rec)
    rolls = 0
    for index, side in enumerate(SIDES):
        ankle_j = skeleton.joint_index(f"{side.title()}Foot")
        ankle_to_heel = np.array([0.0, offsets_m[_TOES[side], 1], 0.0])  # rest foot: flat
        heel = positions[:, ankle_j] + rotations[:, ankle_j] @ ankle_to_heel
        track = feet.foot(side)
        still = track.still[nearest_samples(track.time_s, time_s)]
        for start, stop, in_stance in zip(*runs(followed.contacts[:, index]), strict=True):
            stills = np.flatnonzero(still[start:stop])
            if not in_stance or start == 0 or stills.size == 0 or stills[0] < 2:
                continue
            frames = np.arange(start, start + stills[0] + 1)  # force onset .. first still frame
            np.testing.assert_allclose(heel[frames, 1], 0.0, atol=1e-3)
            assert np.ptp(heel[frames][:, [0, 2]], axis=0).max() < 2e-3, (side, start)
            toe_height = positions[frames, _TOES[side], 1]
            assert toe_height[0] > 0.01 and np.all(np.diff(toe_height) <= 1e-6), (side, start)
            rolls += 1
    assert rolls >= 8


def test_no_foot_under_the_floor_and_constant_bones(followed: Reconstruction) -> None:
    positions = followed.motion.joint_positions_m()
    assert positions[:, _FEET, 1].min() > -1e-6
    bones = np.linalg.norm(positions[:, 1:] - positions[:, skeleton.PARENTS[1:]], axis=-1)
    assert np.ptp(bones, axis=0).max() < 1e-6
    assert np.isfinite(positions).all()


def test_the_network_root_is_unchanged(walk: tuple[Motion, InsoleRecording]) -> None:
    motion, rec = walk
    predictor = OraclePredictor(pose_targets(motion, FPS))
    result = reconstruct_with(rec, predictor, ReconstructionOptions(root="network"))
    # the published pipeline written out: open-loop root, pelvis height from the pose, smoothed poses,
    # pinned feet, none under the floor
    local, weight_n = from_first_sample(rec), wearer_weight_n(rec)
    model_time_s = insole_streams(local, FPS, weight_n).time_s
    frames = np.minimum(np.arange(model_time_s.size), predictor.targets.n_frames - 1)
    poses = predictor.targets.joints_local_m[frames]
    root_m, heading = integrate_root(predictor.targets.root_motion[frames] * 0.6, np.zeros(3), 0.0)
    height = pelvis_height_m(poses, stance_at_times(local, weight_n, model_time_s))
    world = to_world(poses, np.column_stack([root_m[:, 0], height, root_m[:, 2]]), heading)
    world = resample_frames(smoothed_poses(world[None], FPS)[0], FPS, result.time_s - rec.time_s[0])
    offsets = rest_offsets_m(world)
    rotations, root = FootPinner(offsets, FPS)(*fit_rotations(world, offsets), result.contacts)
    rotations, root = feet_above_floor(rotations, root, offsets)
    np.testing.assert_array_equal(result.motion.local_rotations, rotations)
    np.testing.assert_array_equal(result.motion.root_position_m, root)


@pytest.mark.parametrize("case", ["standing", "one foot without IMU"])
def test_without_trusted_odometry_the_pinner_is_kept(walk: tuple[Motion, InsoleRecording], case: str) -> None:
    if case == "standing":
        motion = standing_motion(3.0)
        rec = simulate_recording(motion, mass_kg=70.0, insole_size=7, noise="none")
    else:
        motion, rec = walk
        right = dataclasses.replace(
            rec.right,
            acc_g=np.full_like(rec.right.acc_g, np.nan),
            gyro_dps=np.full_like(rec.right.gyro_dps, np.nan),
        )
        rec = dataclasses.replace(rec, right=right)
    assert _odometry(rec) is None
    odometry = _reconstruct(motion, rec, root="odometry")
    assert not odometry.odometry_root.any()
    (note,) = root_notes(odometry.odometry_root, odometry.time_s, "odometry")
    assert note.startswith("no trusted foot odometry")
    network = _reconstruct(motion, rec, root="network")
    rotations, root = feet_above_floor(
        network.motion.local_rotations, network.motion.root_position_m, network.motion.offsets_m
    )
    np.testing.assert_allclose(odometry.motion.local_rotations, rotations, atol=1e-12)
    np.testing.assert_allclose(odometry.motion.root_position_m, root, atol=1e-12)
    assert odometry.motion.joint_positions_m()[:, _FEET, 1].min() > -1e-6


def _unloaded(rec: InsoleRecording, first: int, stop: int) -> InsoleRecording:
    """``rec`` from its first sample with no force under the left foot on samples ``first:stop`` (so it is
    never still there)."""
    sample = np.arange(rec.n_samples)
    force = np.where((sample >= first) & (sample < stop), 0.0, rec.left.total_force_n)
    left = dataclasses.replace(rec.left, total_force_n=force)
    return from_first_sample(dataclasses.replace(rec, left=left))


def test_a_foot_moving_too_long_at_a_track_end_is_dropped(walk: tuple[Motion, InsoleRecording]) -> None:
    _, rec = walk
    open_s = round(1.2 * MAX_OPEN_END_S * rec.rate_hz)
    feet = _odometry(_unloaded(rec, 0, open_s))
    assert feet is not None
    assert not feet.left.tracked[:open_s].any() and feet.left.tracked[open_s + round(rec.rate_hz) :].all()
    assert feet.right.tracked.all()


@pytest.fixture(scope="module")
def long_walk() -> tuple[Motion, InsoleRecording]:
    motion = walking_motion(n_cycles=10, gait=GAIT)
    return motion, simulate_recording(motion, mass_kg=70.0, insole_size=7, noise="none", seed=0)


def test_a_foot_turning_too_fast_between_still_moments_cuts_the_odometry_there(
    long_walk: tuple[Motion, InsoleRecording],
) -> None:
    """A swing in which the foot turns faster than any walking step (a kick, a spin) is integrated with a
    tilt error the ramp cannot remove: it is left out like a stretch too long, the pieces on either side
    kept; a rate below the limit cuts nothing."""
    _, rec = long_walk
    rec = from_first_sample(rec)
    starts, stops, still = runs(track_foot(rec, "left").still)
    middle = rec.n_samples // 2
    start, stop = next((a, b) for a, b, s in zip(starts, stops, still, strict=True) if not s and b > middle)
    assert len(trusted_pieces(rec)) == 1

    def spun(rate_dps: float) -> InsoleRecording:
        gyro = rec.left.gyro_dps.copy()
        gyro[(start + stop) // 2] = [0.0, 0.0, rate_dps]
        return dataclasses.replace(rec, left=dataclasses.replace(rec.left, gyro_dps=gyro))

    assert len(trusted_pieces(spun(0.9 * MAX_TRUSTED_GYRO_DPS))) == 1
    pieces = trusted_pieces(spun(1.1 * MAX_TRUSTED_GYRO_DPS))
    assert len(pieces) == 2 and pieces[0][0] == 0
    assert pieces[0][1].left.time_s.size <= start and pieces[1][0] >= stop
    for _, piece in pieces:
        assert piece.left.tracked.sum() > 2 * rec.rate_hz and piece.right.tracked.sum() > 2 * rec.rate_hz


def test_a_foot_moving_too_long_between_still_moments_cuts_the_odometry_into_pieces(
    long_walk: tuple[Motion, InsoleRecording],
) -> None:
    """Such a stretch would shift all that follows it, but must not cost the rest of the recording its
    odometry (one in an hour would cost the hour): the pieces on either side are trusted, each in a frame
    of its own, and the network's moves carry the body from one to the next."""
    motion, rec = long_walk
    middle, long_n = rec.n_samples // 2, round(1.2 * MAX_MOVING_S * rec.rate_hz)
    first, stop = middle - long_n // 2, middle + long_n // 2
    cut_rec = _unloaded(rec, first, stop)
    pieces = trusted_pieces(cut_rec)
    assert len(pieces) == 2 and pieces[0][0] == 0
    assert stop <= pieces[1][0] < stop + round(rec.rate_hz)
    # joined by the true root moves, the second piece goes on along the mocap's path
    truth = motion_at_rate(motion, FPS)
    feet = _odometry(cut_rec, pose_targets(motion, FPS).root_motion)
    assert feet is not None and not feet.left.tracked[first:stop].any()
    frame_time_s = np.arange(truth.n_frames) / FPS
    position, _, known = odometry_pelvis(feet, frame_time_s)
    before, after = known & (frame_time_s < first / rec.rate_hz), known & (frame_time_s > stop / rec.rate_hz)
    assert before.sum() > 2 * FPS and after.sum() > 2 * FPS
    true_xz = truth.root_position_m[:, [0, 2]]
    a, b = position[before][:, [0, 2]], true_xz[before]  # the first piece's frame onto the mocap's
    ac, bc = a - a.mean(axis=0), b - b.mean(axis=0)  # (the rotation of the centred paths: Kabsch)
    angle = np.arctan2(np.sum(ac[:, 0] * bc[:, 1] - ac[:, 1] * bc[:, 0]), np.sum(ac * bc))
    rotation = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    shift = b.mean(axis=0) - a.mean(axis=0) @ rotation.T
    placed = position[after][:, [0, 2]] @ rotation.T + shift
    assert np.linalg.norm(placed - true_xz[after], axis=1).max() < 0.1
    # the whole reconstruction with a network 40 % short: short only over the cut (a fifth of the walk)
    result = _reconstruct(motion, cut_rec, root="odometry")
    root = result.motion.root_position_m
    travelled = np.linalg.norm(root[-1, [0, 2]] - root[0, [0, 2]])
    assert travelled > 0.85 * np.linalg.norm(true_xz[-1] - true_xz[0])
    # which frames the odometry placed is saved and told
    cut_frames = (result.time_s > first / rec.rate_hz + 0.5) & (result.time_s < stop / rec.rate_hz - 0.5)
    assert not result.odometry_root[cut_frames].any() and 0.7 < result.odometry_root.mean() < 0.9
    (note,) = root_notes(result.odometry_root, result.time_s, "odometry")
    assert "over 1 stretch(es)" in note and f"{100 * result.odometry_root.mean():.0f} %" in note
    assert root_notes(result.odometry_root, result.time_s, "network") == []
    # and the foot cut off lands on its next footprint without a jump (no joint faster than a swinging toe)
    speed = np.linalg.norm(np.diff(result.motion.joint_positions_m()[..., [0, 2]], axis=0), axis=-1) * FPS
    assert speed.max() < 6.0


def _untracked(track: FootTrack, cut: np.ndarray) -> FootTrack:
    """``track`` with no position, heading or stillness on the samples ``cut`` ``[T]``."""
    return dataclasses.replace(
        track,
        position_m=np.where(cut[:, None], np.nan, track.position_m),
        heading_rad=np.where(cut, np.nan, track.heading_rad),
        still=track.still & ~cut,
        segment=np.where(cut, -1, track.segment),
    )


def _toe_sliding_along_x(n: int) -> np.ndarray:
    """``[n, 3]`` pose toe joints 3 cm up, moving along x from 0 to 1 m."""
    return np.column_stack([np.linspace(0.0, 1.0, n), np.full(n, 0.03), np.zeros(n)])


def test_untracked_stance_holds_the_toe_where_the_pose_put_it(walk: tuple[Motion, InsoleRecording]) -> None:
    _, rec = walk
    local = from_first_sample(rec)
    track = _odometry(local).left
    cut = (track.time_s > 2.0) & (track.time_s < 3.5)
    untracked = _untracked(track, cut)
    time_s = np.arange(round(local.duration_s * FPS)) / FPS
    stance = np.zeros(time_s.size, dtype=bool)
    stance[(time_s > 2.2) & (time_s < 2.8)] = True
    pose_toe = _toe_sliding_along_x(time_s.size)
    targets = foot_targets(untracked, time_s, stance, np.array([0.0, -0.045, 0.13]), pose_toe, FPS)
    held = np.flatnonzero(stance)
    np.testing.assert_allclose(targets.toe_m[held], np.tile(pose_toe[held[0]], (held.size, 1)))
    free = (time_s > 2.0) & (time_s < 3.5) & ~stance
    assert np.isnan(targets.toe_m[free]).all() and np.isnan(targets.yaw_rad[free]).all()
    assert np.isfinite(targets.chip_m[time_s < 1.9]).all()


def test_a_stance_whose_track_begins_inside_it_is_held_where_it_is_planted(
    walk: tuple[Motion, InsoleRecording],
) -> None:
    """A recording that starts standing, its track beginning at the first still moment: the stance's
    untracked frames hold the toe where its planted frames do (no jump when the track begins)."""
    _, rec = walk
    local = from_first_sample(rec)
    track = _odometry(local).left
    starts, stops, values = runs(track.still)
    first = next(i for i in range(starts.size) if values[i] and track.time_s[starts[i]] > 1.0)
    begin_s, end_s = track.time_s[starts[first]], track.time_s[stops[first] - 1]
    cut = track.time_s < 0.5 * (begin_s + end_s)
    untracked = _untracked(track, cut)
    time_s = np.arange(round(local.duration_s * FPS)) / FPS
    stance = (time_s > begin_s - 0.3) & (time_s < end_s)
    pose_toe = _toe_sliding_along_x(time_s.size)
    targets = foot_targets(untracked, time_s, stance, np.array([0.0, -0.045, 0.13]), pose_toe, FPS)
    held = np.flatnonzero(stance)
    assert np.isfinite(targets.toe_m[held]).all()
    np.testing.assert_allclose(targets.toe_m[held], np.tile(targets.toe_m[held[-1]], (held.size, 1)))
    assert targets.toe_m[held[-1], 1] == 0.0


def test_a_recording_that_begins_as_a_heel_rises_keeps_that_loaded_foot_on_the_floor(
    walk: tuple[Motion, InsoleRecording],
) -> None:
    """Cut to begin halfway between a foot's last still moment and its toe-off: that stance's zero-velocity
    moment is its first recorded sample (without one, the foot's track is integrated back from the next
    still moment and lifts the loaded toe); it is not a foot-flat, so no stride starts there."""
    motion, rec = walk
    track = track_foot(rec, "right")
    stance = detect_stance(rec.right.total_force_n, median_rate_hz(rec.time_s))
    first, stop = next((a, b) for a, b, loaded in zip(*runs(stance), strict=True) if loaded and a > 50)
    cut = (first + np.flatnonzero(track.still[first:stop])[-1] + stop) // 2
    k = round(rec.time_s[cut] * motion.fps)
    later = dataclasses.replace(
        motion, local_rotations=motion.local_rotations[k:], root_position_m=motion.root_position_m[k:]
    )
    result = reconstruct_with(
        rec.take(slice(cut, None)), OraclePredictor(pose_targets(later, FPS)), ReconstructionOptions()
    )
    loaded = np.flatnonzero(result.contacts[:, 1])
    loaded = loaded[loaded < np.argmin(result.contacts[:, 1])]  # the cut stance's frames
    assert loaded.size >= 3
    toe_m = result.motion.joint_positions_m()[loaded, _TOES["right"], 1]
    assert np.abs(toe_m).max() < 0.005
    later_track = track_foot(rec.take(slice(cut, None)), "right")
    assert not later_track.still[0] and later_track.velocity_m_s[0] == pytest.approx(np.zeros(3))
    assert all(s.steady for s in foot_strides(later_track))


def test_the_bodys_moves_toward_out_of_reach_feet_are_smooth_and_never_too_shallow() -> None:
    """Per frame, the body must come down by whatever a foot out of reach needs, which changes from frame to
    frame as feet come into and out of reach (the whole body shook with it). Smoothed, it comes down at
    least as far on every frame, and shakes a fraction as much."""
    from step2motion.reconstruction.odometry_feet import _smoothed_shift

    rng = np.random.default_rng(0)
    n = 300
    need = np.zeros((n, 3))
    need[:, 1] = -np.abs(rng.normal(0.0, 0.02, n)) * (rng.random(n) < 0.3)  # now and then down by cm
    need[:, 0] = rng.normal(0.0, 0.01, n)
    smooth = _smoothed_shift(need, 9)
    assert np.all(smooth[:, 1] <= need[:, 1] + 1e-12)
    shake = lambda x: np.abs(np.diff(x, n=3, axis=0)).mean(axis=0)  # noqa: E731
    assert np.all(shake(smooth)[:2] < 0.25 * shake(need)[:2])
    np.testing.assert_array_equal(_smoothed_shift(need, 1), need)
