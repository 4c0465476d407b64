"""Two-bone leg IK (:func:`step2motion.reconstruction.foot_contacts.solve_leg`): the ankle reaches its target,
the bones keep their lengths, and a straight leg bent by the IK bends its knee forward."""

from __future__ import annotations

import numpy as np
from motion_fixtures import standing_motion

from step2motion import skeleton
from step2motion.motion import forward_kinematics
from step2motion.reconstruction.foot_contacts import solve_leg

_HIP, _KNEE, _ANKLE = skeleton.joint_indices(("RightUpLeg", "RightLeg", "RightFoot"))


def test_a_straight_leg_bent_by_the_ik_bends_its_knee_forward_whatever_its_tiny_sideways_lean() -> None:
    """A straight predicted leg, its thigh leaning out or in by 0.01 rad (the knee ~4 mm off the hip-ankle
    line), says nothing of where to bend; that lean used to pick the knee's direction. Lifted by 15 cm
    toward the hip, the ankle lands on its target, the bones keep their lengths, and every knee goes
    forward (the pelvis faces +Z), none out sideways."""
    motion = standing_motion(0.2)
    n = motion.n_frames
    lean = np.random.default_rng(0).choice([-1.0, 1.0], n) * 0.01  # rad, thigh out or in by ~4 mm
    rotations = motion.local_rotations.copy()
    rotations[:, _HIP] = np.column_stack([np.cos(lean / 2), 0 * lean, 0 * lean, np.sin(lean / 2)])
    rotations[:, _KNEE] = np.column_stack([np.cos(lean), 0 * lean, 0 * lean, -np.sin(lean)])
    rotations[:, _ANKLE] = np.column_stack([np.cos(lean / 2), 0 * lean, 0 * lean, np.sin(lean / 2)])
    positions, _ = forward_kinematics(rotations, motion.root_position_m, motion.offsets_m)
    target = positions[:, _ANKLE] + [0.0, 0.15, 0.0]
    solved = solve_leg(rotations, motion.root_position_m, motion.offsets_m, target, "right")
    out, _ = forward_kinematics(solved, motion.root_position_m, motion.offsets_m)
    np.testing.assert_allclose(out[:, _ANKLE], target, atol=1e-6)
    for joint in (_KNEE, _ANKLE):
        length = np.linalg.norm(out[:, joint] - out[:, skeleton.PARENTS[joint]], axis=1)
        np.testing.assert_allclose(length, np.linalg.norm(motion.offsets_m[joint]), atol=1e-9)
    line = out[:, _ANKLE] - out[:, _HIP]
    line /= np.linalg.norm(line, axis=1, keepdims=True)
    off_line = (out[:, _KNEE] - out[:, _HIP]) - np.sum((out[:, _KNEE] - out[:, _HIP]) * line, axis=1)[
        :, None
    ] * line
    assert np.all(off_line[:, 2] > 0.05)  # forward, by centimetres
    assert np.all(np.abs(off_line[:, 0]) < 0.5 * off_line[:, 2])  # not out sideways
