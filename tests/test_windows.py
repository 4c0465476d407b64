"""Training windows: pairing, fixed shapes and masks, z-score statistics, left/right mirroring."""

from __future__ import annotations

import json
import re
from dataclasses import replace

import numpy as np
import pytest
import torch
from pymotion.rotations import quat
from torch.utils.data import DataLoader

from step2motion import skeleton
from step2motion.dataset.insole_features import CONDITION_SCHEMA, InsoleFeatures, insole_streams
from step2motion.dataset.pose_features import POSE_JOINTS, targets_from_positions
from step2motion.dataset.windows import (
    NormalisationStats,
    TrainingClip,
    WindowDataset,
    mirror_clip,
    mirror_poses,
    mirror_present,
    mirror_root_motion,
    mirror_streams,
    pair_clip,
)
from step2motion.errors import InputError
from step2motion.motion import Motion


def _clip(n_frames: int, seed: int, gap: slice = slice(0, 0)) -> TrainingClip:
    rng = np.random.default_rng(seed)
    streams, present = {}, {}
    for name, channels in CONDITION_SCHEMA.streams:
        streams[name] = rng.normal(seed, 1.0 + seed, (n_frames, channels)).astype(np.float32)
        present[name] = np.ones(n_frames, dtype=bool)
    streams["left_imu"][gap] = np.nan
    present["left_imu"][gap] = False
    return TrainingClip(
        name=f"clip{seed}",
        streams=streams,
        present=present,
        poses=rng.normal(0, 0.3, (n_frames, 21, 3)),
        root_motion=rng.normal(0, 0.01, (n_frames, 4)),
        pelvis_height_m=rng.normal(0.9, 0.02, n_frames),
    )


CLIPS = (_clip(250, 1, gap=slice(40, 70)), _clip(60, 2), _clip(100, 3))


def test_every_start_gives_a_fixed_shape_window_with_valid_masks() -> None:
    dataset = WindowDataset(CLIPS, window_frames=100)
    assert len(dataset) == 151 + 1 + 1
    assert dataset.padded_clips == ("clip2",)
    assert dataset.summary()["padded_clips"] == 1
    for index in range(len(dataset)):
        item = dataset[index]
        assert item["poses"].shape == (100, 21, 3) and item["root_motion"].shape == (100, 4)
        for name, channels in CONDITION_SCHEMA.streams:
            assert item["streams"][name].shape == (100, channels)
            assert torch.isfinite(item["streams"][name]).all()
            assert not item["present"][name][~item["frame_valid"]].any()
    short = dataset[151]
    assert (
        short["clip_index"] == 1 and short["frame_valid"].sum() == 60 and not short["frame_valid"][60:].any()
    )
    assert (short["poses"][60:] == 0).all()
    gap_window = dataset[30]  # frames 30..129 of clip1: its left_imu gap is frames 40..69
    np.testing.assert_array_equal(
        gap_window["present"]["left_imu"].numpy(), ~((np.arange(30, 130) >= 40) & (np.arange(30, 130) < 70))
    )
    assert (gap_window["streams"]["left_imu"][10:40] == 0).all()


def test_windows_batch_through_a_dataloader() -> None:
    loader = DataLoader(WindowDataset(CLIPS, window_frames=32), batch_size=8, shuffle=True)
    batch = next(iter(loader))
    assert batch["poses"].shape == (8, 32, 21, 3)
    assert batch["present"]["right_force_cop"].shape == (8, 32)
    packed = CONDITION_SCHEMA.pack(batch["streams"])
    assert packed.shape == (8, 32, CONDITION_SCHEMA.total_channels)


def test_statistics_skip_absent_frames_and_normalise_windows() -> None:
    stats = NormalisationStats.from_clips(CLIPS)
    present = np.concatenate([c.streams["left_imu"][c.present["left_imu"]] for c in CLIPS])
    np.testing.assert_allclose(stats.streams["left_imu"].mean, present.mean(0), rtol=1e-5)
    np.testing.assert_allclose(stats.streams["left_imu"].std, present.std(0), rtol=1e-5)
    assert stats.poses.mean.shape == (21, 3) and stats.root_motion.std.shape == (4,)
    item = WindowDataset(CLIPS, window_frames=100, stats=stats)[5]
    expected = (CLIPS[0].poses[5:105] - stats.poses.mean) / stats.poses.std
    np.testing.assert_allclose(item["poses"].numpy(), expected, rtol=1e-5, atol=1e-6)
    all_poses = np.concatenate([c.poses for c in CLIPS])
    np.testing.assert_allclose(stats.poses.normalise(all_poses).mean(0), 0, atol=1e-9)


def test_a_condition_reading_far_outside_training_is_clipped_for_training_and_inference() -> None:
    """A channel the training set barely moved (a cell the simulated soles never load) read at tens of
    deviations reaches the model at MAX_CONDITION_Z, in training windows and at inference alike; NaN stays."""
    from step2motion.dataset.windows import MAX_CONDITION_Z
    from step2motion.reconstruction.windowed_sampling import prepare_condition

    stats = NormalisationStats.from_clips(CLIPS)
    channel = stats.streams["left_rearfoot_pressure"]
    values = np.tile(channel.mean, (4, 1))
    values[0, 6] = channel.mean[6] + 55 * channel.std[6]
    values[1, 6] = channel.mean[6] - 3 * channel.std[6]
    values[2, 6] = np.nan
    z = stats.condition_z("left_rearfoot_pressure", values)
    assert z[0, 6] == MAX_CONDITION_Z and z[1, 6] == pytest.approx(-3.0) and np.isnan(z[2, 6])
    np.testing.assert_allclose(np.delete(z[:2], 6, axis=1), 0.0, atol=1e-9)
    far_streams = {**CLIPS[1].streams, "left_rearfoot_pressure": np.tile(values[0], (60, 1))}
    far = replace(CLIPS[1], streams=far_streams)
    item = WindowDataset([far], window_frames=60, stats=stats)[0]
    assert item["streams"]["left_rearfoot_pressure"][:, 6].max().item() == pytest.approx(MAX_CONDITION_Z)
    packed = prepare_condition(far, CONDITION_SCHEMA, stats).values
    assert np.abs(packed).max() <= MAX_CONDITION_Z + 1e-6 and packed.max() == pytest.approx(MAX_CONDITION_Z)


def test_statistics_survive_a_json_round_trip_and_reject_bad_input() -> None:
    stats = NormalisationStats.from_clips(CLIPS, mirrored=True)
    restored = NormalisationStats.from_dict(json.loads(json.dumps(stats.to_dict())))
    for name in stats.streams:
        np.testing.assert_array_equal(restored.streams[name].mean, stats.streams[name].mean)
        np.testing.assert_array_equal(restored.streams[name].std, stats.streams[name].std)
    np.testing.assert_array_equal(restored.poses.std, stats.poses.std)
    np.testing.assert_array_equal(restored.pelvis_height_m.mean, stats.pelvis_height_m.mean)
    broken = stats.to_dict()
    broken["poses"]["std"][0][0] = 0.0
    with pytest.raises(InputError, match="poses"):
        NormalisationStats.from_dict(broken)
    with pytest.raises(InputError, match="version"):
        NormalisationStats.from_dict({"streams": {}})


def test_mirrored_statistics_are_left_right_symmetric() -> None:
    stats = NormalisationStats.from_clips(CLIPS, mirrored=True)
    np.testing.assert_allclose(
        stats.streams["left_rearfoot_pressure"].mean, stats.streams["right_rearfoot_pressure"].mean
    )
    np.testing.assert_allclose(stats.poses.mean[:, 0], -stats.poses.mean[mirror_index(), 0], atol=1e-12)


def mirror_index() -> np.ndarray:
    return np.array(
        [
            POSE_JOINTS.index(n.replace("Left", "R_").replace("Right", "Left").replace("R_", "Right"))
            for n in POSE_JOINTS
        ]
    )


def test_mirroring_twice_is_the_identity() -> None:
    clip = CLIPS[0]
    twice = mirror_clip(mirror_clip(clip))
    for name in clip.streams:
        np.testing.assert_array_equal(twice.streams[name], clip.streams[name])
        np.testing.assert_array_equal(twice.present[name], clip.present[name])
    np.testing.assert_array_equal(twice.poses, clip.poses)
    np.testing.assert_array_equal(twice.root_motion, clip.root_motion)
    once = mirror_clip(clip)
    np.testing.assert_array_equal(once.present["right_imu"], clip.present["left_imu"])
    np.testing.assert_array_equal(once.streams["right_imu"], clip.streams["left_imu"])


def test_mirrored_dataset_items_are_mirrored_windows() -> None:
    dataset = WindowDataset(CLIPS, window_frames=100, mirror=True)
    assert len(dataset) == 2 * 153
    plain, mirrored = dataset[7], dataset[153 + 7]
    assert mirrored["mirrored"] and not plain["mirrored"]
    np.testing.assert_allclose(mirrored["poses"].numpy(), mirror_poses(plain["poses"].numpy()))
    np.testing.assert_array_equal(mirrored["present"]["right_imu"], plain["present"]["left_imu"])


def _mirrored_motion(motion: Motion) -> Motion:
    """The motion reflected across the world plane X = 0, left and right swapped: global rotations
    R → M R M with M = diag(-1, 1, 1), i.e. quaternion (w, x, y, z) → (w, x, -y, -z)."""
    swap = np.concatenate([[0], mirror_index() + 1])
    sides = {"Left": "Right", "Right": "Left"}
    return Motion(
        local_rotations=motion.local_rotations[:, swap] * [1, 1, -1, -1],
        root_position_m=motion.root_position_m * [-1, 1, 1],
        offsets_m=motion.offsets_m[swap] * [-1, 1, 1],
        fps=motion.fps,
        end_sites_m={
            re.sub(r"^(Left|Right)", lambda m: sides[m[1]], k): v * [-1, 1, 1]
            for k, v in motion.end_sites_m.items()
        },
    )


def test_mirrored_streams_are_the_streams_of_the_mirrored_motion() -> None:
    """Simulate a motion turning and rolling in 3-D and its mirror image: mirroring the first one's
    features gives the second one's (this pins MIRROR_SIGNS to the insoles' axis conventions)."""
    from test_pose_features import _motion

    from step2motion.simulation.simulate import simulate_recording

    motion = _motion(n_frames=180, fps=60.0)
    features = [
        insole_streams(simulate_recording(m, 70.0, 7, noise="none"), body_weight_n=700.0)
        for m in (motion, _mirrored_motion(motion))
    ]
    _assert_mirrored(features[0], features[1], skip=("left_odometry", "right_odometry"))
    imu_spread = np.nanstd(features[0].streams["left_imu"], axis=0)
    assert imu_spread[1] > 0.1 and imu_spread[3] > 10 and imu_spread[5] > 10  # lateral channels active


def _assert_mirrored(original: InsoleFeatures, mirror: InsoleFeatures, skip: tuple[str, ...] = ()) -> None:
    """``mirror``'s streams are ``original``'s mirrored (present on the same frames, values within 1 %)."""
    mirrored, mirrored_present = mirror_streams(original.streams), mirror_present(original.present)
    for name, values in mirror.streams.items():
        if name in skip:
            continue
        present = mirror.present[name]
        assert present.any() and np.array_equal(mirrored_present[name], present), name
        scale = np.std(values[present], axis=0) + 1e-3
        assert np.max(np.abs(mirrored[name][present] - values[present]) / scale) < 0.01, name


def _curved(motion: Motion, curvature_rad_m: float = 0.15) -> Motion:
    """``motion`` (walking along +Z) bent onto an arc turning left: the root turns about the vertical by
    ``curvature × distance walked`` and moves along the arc."""
    distance_m = motion.root_position_m[:, 2] - motion.root_position_m[0, 2]
    heading = curvature_rad_m * distance_m
    radius_m = 1.0 / curvature_rad_m
    root = motion.root_position_m.copy()
    root[:, 0] += radius_m * (1.0 - np.cos(heading))
    root[:, 2] = motion.root_position_m[0, 2] + radius_m * np.sin(heading)
    turn = np.column_stack([np.cos(heading / 2), np.zeros_like(heading), np.sin(heading / 2), 0 * heading])
    rotations = motion.local_rotations.copy()
    rotations[:, 0] = quat.mul(turn, rotations[:, 0])
    return replace(motion, local_rotations=rotations, root_position_m=root)


def test_mirrored_odometry_is_the_odometry_of_the_mirrored_walk() -> None:
    """The turning, rolling motion above never stands still, so its feet have no odometry; a walk with a
    curve does: this pins the odometry's MIRROR_SIGNS (sideways velocity and turn rate flip)."""
    from motion_fixtures import walking_motion

    from step2motion.simulation.simulate import simulate_recording

    motion = _curved(walking_motion(n_cycles=4))
    features = [
        insole_streams(simulate_recording(m, 70.0, 7, noise="none"), body_weight_n=700.0)
        for m in (motion, _mirrored_motion(motion))
    ]
    _assert_mirrored(features[0], features[1])
    turn_rate = features[0].streams["left_odometry"][:, 3]
    assert np.abs(turn_rate).max() > 0.2  # rad/s: the curve is seen, so the sign test means something


def test_pose_mirroring_matches_a_mirrored_world() -> None:
    """Targets of world positions reflected across X = 0 (left and right joints swapped) equal the
    mirrored targets: the pose/root sign conventions agree with the heading convention."""
    rng = np.random.default_rng(4)
    n = 40
    positions = rng.normal(0, 0.3, (n, skeleton.N_JOINTS, 3))
    positions[:, skeleton.joint_index("LeftUpLeg")] += [0.3, 0, 0.1]  # a well-defined hip axis
    positions += np.cumsum(rng.normal(0, 0.02, (n, 1, 3)), axis=0)
    swap = np.concatenate([[0], mirror_index() + 1])
    reflected = positions[:, swap] * [-1, 1, 1]
    original, mirrored = targets_from_positions(positions, 30.0), targets_from_positions(reflected, 30.0)
    np.testing.assert_allclose(mirrored.joints_local_m, mirror_poses(original.joints_local_m), atol=1e-9)
    np.testing.assert_allclose(mirrored.root_motion, mirror_root_motion(original.root_motion), atol=1e-9)


def test_pairing_puts_features_and_targets_on_common_frames() -> None:
    n_features, n_targets = 50, 45
    time_s = (np.arange(n_features) + 3) / 30.0  # the recording starts at frame 3
    features = InsoleFeatures(
        time_s=time_s,
        rate_hz=30.0,
        streams={
            name: np.full((n_features, c), float(i), np.float32)
            for i, (name, c) in enumerate(CONDITION_SCHEMA.streams)
        },
        present={name: np.arange(n_features) % 2 == 0 for name in CONDITION_SCHEMA.names},
        body_weight_n=700.0,
        body_weight_estimated=True,
    )
    rng = np.random.default_rng(0)
    positions = rng.normal(0, 0.3, (n_targets, skeleton.N_JOINTS, 3))
    targets = targets_from_positions(positions, 30.0)
    clip = pair_clip(features, targets, "paired")
    assert clip.n_frames == n_targets - 3
    np.testing.assert_array_equal(clip.poses, targets.joints_local_m[3:])
    np.testing.assert_array_equal(clip.present["left_imu"], features.present["left_imu"][: n_targets - 3])
    with pytest.raises(ValueError, match="Hz"):
        pair_clip(features, targets_from_positions(positions, 60.0), "wrong rate")
