"""Motion → heading-free pose and root targets, and back to world positions."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from step2motion import skeleton
from step2motion.dataset.pose_features import (
    heading_rad,
    integrate_root,
    pose_targets,
    targets_from_positions,
    to_world,
)
from step2motion.motion import Motion

_OFFSETS_M = {
    "Hips": (0, 0, 0),
    "LeftUpLeg": (0.1, -0.05, 0), "LeftLeg": (0, -0.42, 0), "LeftFoot": (0, -0.42, 0),
    "LeftToeBase": (0, -0.05, 0.14),
    "RightUpLeg": (-0.1, -0.05, 0), "RightLeg": (0, -0.42, 0), "RightFoot": (0, -0.42, 0),
    "RightToeBase": (0, -0.05, 0.14),
    "Spine": (0, 0.1, 0), "Spine1": (0, 0.12, 0), "Spine2": (0, 0.12, 0), "Neck": (0, 0.15, 0),
    "Head": (0, 0.1, 0),
    "LeftShoulder": (0.05, 0.1, 0), "LeftArm": (0.12, 0, 0), "LeftForeArm": (0.28, 0, 0),
    "LeftHand": (0.25, 0, 0),
    "RightShoulder": (-0.05, 0.1, 0), "RightArm": (-0.12, 0, 0), "RightForeArm": (-0.28, 0, 0),
    "RightHand": (-0.25, 0, 0),
}  # fmt: skip
OFFSETS_M = np.array([_OFFSETS_M[name] for name in skeleton.JOINT_NAMES], dtype=float)
HIP_TO_TOE_M = 0.05 + 0.42 + 0.42 + 0.05


def _wxyz(rot: Rotation) -> np.ndarray:
    return rot.as_quat()[..., [3, 0, 1, 2]]


def _motion(n_frames: int = 90, fps: float = 30.0, seed: int = 0) -> Motion:
    """A turning, swaying walk: smooth random joint rotations, root advancing along its heading."""
    rng = np.random.default_rng(seed)
    t = np.arange(n_frames) / fps
    axes = rng.normal(size=(skeleton.N_JOINTS, 3))
    phases = rng.uniform(0, 2 * np.pi, skeleton.N_JOINTS)
    rotvecs = 0.4 * np.sin(2 * np.pi * 0.9 * t[:, None, None] + phases[None, :, None]) * axes[None]
    local = Rotation.from_rotvec(rotvecs.reshape(-1, 3))
    yaw = 0.5 + 0.6 * t
    root = Rotation.from_euler("YXZ", np.stack([yaw, 0.1 * np.sin(5 * t), 0.05 * np.cos(4 * t)], 1))
    quats = _wxyz(local).reshape(n_frames, skeleton.N_JOINTS, 4)
    quats[:, 0] = _wxyz(root)
    step = np.stack([np.sin(yaw), np.zeros(n_frames), np.cos(yaw)], 1) * 1.3 / fps
    bob = np.outer(0.02 * np.sin(11 * t), [0, 1, 0])
    position = np.cumsum(step, axis=0) + np.array([0.4, 0.95, -1.0]) + bob
    return Motion(quats, position, OFFSETS_M, fps, source="synthetic")


def _rotated_about_y(motion: Motion, angle_rad: float) -> Motion:
    turn = Rotation.from_euler("Y", angle_rad)
    quats = motion.local_rotations.copy()
    quats[:, 0] = _wxyz(turn * Rotation.from_quat(quats[:, 0][:, [1, 2, 3, 0]]))
    return Motion(quats, turn.apply(motion.root_position_m), motion.offsets_m, motion.fps)


def _still(root_rotation: Rotation, n_frames: int = 5, root_step_m: tuple = (0, 0, 0)) -> Motion:
    quats = np.tile([1.0, 0, 0, 0], (n_frames, skeleton.N_JOINTS, 1))
    quats[:, 0] = _wxyz(root_rotation)
    position = np.array([0, 1.0, 0]) + np.outer(np.arange(n_frames), root_step_m)
    return Motion(quats, position, OFFSETS_M, 30.0)


def test_heading_known_answers() -> None:
    """Left hip at +X faces +Z (heading 0); turning the root +90° about Y makes it face +X."""
    assert heading_rad(_still(Rotation.identity()).joint_positions_m()) == pytest.approx(np.zeros(5))
    turned = _still(Rotation.from_euler("Y", np.pi / 2)).joint_positions_m()
    assert heading_rad(turned) == pytest.approx(np.full(5, np.pi / 2))


def test_root_motion_known_answer() -> None:
    """Facing +X and moving 2 cm/frame along +X and 1 mm/frame up: forward 0.02, leftward 0, up 0.001."""
    targets = targets_from_positions(
        _still(Rotation.from_euler("Y", np.pi / 2), root_step_m=(0.02, 0.001, 0)).joint_positions_m(), 30.0
    )
    np.testing.assert_allclose(targets.root_motion[0], 0.0, atol=1e-12)
    np.testing.assert_allclose(targets.root_motion[1:], np.tile([0.02, 0, 0.001, 0], (4, 1)), atol=1e-8)
    # Standing straight: the feet are below the hips, the left one on +X; pelvis 0.94 m above the toes.
    standing = targets_from_positions(_still(Rotation.from_euler("Y", 2.0)).joint_positions_m(), 30.0)
    left_foot = standing.joints_local_m[:, skeleton.joint_index("LeftFoot") - 1]
    np.testing.assert_allclose(left_foot, np.tile([0.1, -0.89, 0.0], (5, 1)), atol=1e-12)
    np.testing.assert_allclose(standing.pelvis_height_m, HIP_TO_TOE_M, atol=1e-12)


@pytest.mark.parametrize("angle_rad", [0.7, -2.5, np.pi])
def test_targets_do_not_depend_on_the_world_heading(angle_rad: float) -> None:
    motion = _motion()
    reference = pose_targets(motion)
    turned = pose_targets(_rotated_about_y(motion, angle_rad))
    np.testing.assert_allclose(turned.joints_local_m, reference.joints_local_m, atol=1e-6)
    np.testing.assert_allclose(turned.root_motion, reference.root_motion, atol=1e-6)
    np.testing.assert_allclose(turned.pelvis_height_m, reference.pelvis_height_m, atol=1e-6)
    heading_change = np.exp(1j * (turned.heading_rad - reference.heading_rad))
    np.testing.assert_allclose(heading_change, np.exp(1j * angle_rad), atol=1e-9)


def test_targets_round_trip_to_world_positions() -> None:
    motion = _motion()
    targets = pose_targets(motion)
    positions, headings = integrate_root(
        targets.root_motion, targets.root_position_m[0], targets.heading_rad[0]
    )
    world = to_world(targets.joints_local_m, positions, headings)
    np.testing.assert_allclose(world, motion.joint_positions_m(), atol=1e-6)
    np.testing.assert_allclose(positions[:, 1] - targets.floor_height_m, targets.pelvis_height_m, atol=1e-6)


def test_pose_targets_resample_to_the_model_rate() -> None:
    fast = _motion(n_frames=241, fps=120.0)
    targets = pose_targets(fast, rate_hz=30.0)
    assert targets.fps == 30.0
    assert targets.joints_local_m.shape == (61, 21, 3)
    assert targets.root_motion.shape == (61, 4)
    np.testing.assert_allclose(targets.root_position_m, fast.root_position_m[::4], atol=1e-12)
