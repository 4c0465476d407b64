"""The body's heading about the vertical, and turning about it: one convention, one place.

Y up, right-handed, radians. The **heading** ``yaw`` of a frame is the rotation about +Y that turns +Z
into the direction the hips face; the hips face ``left × up`` with ``left`` the horizontal part of
``LeftUpLeg - RightUpLeg`` (so a character whose left hip is at +X faces +Z). It follows the pelvis,
including its small swing within a stride. NumPy only, so that drawing and scoring motions need no torch.
"""

from __future__ import annotations

import numpy as np

from step2motion import skeleton

_LEFT_HIP = skeleton.joint_index("LeftUpLeg")
_RIGHT_HIP = skeleton.joint_index("RightUpLeg")


def heading_rad(joint_positions_m: np.ndarray) -> np.ndarray:
    """Heading ``[T]`` of the hips from world joint positions ``[T, 22, 3]`` (module docstring)."""
    left = joint_positions_m[:, _LEFT_HIP] - joint_positions_m[:, _RIGHT_HIP]
    # facing = left × up = (-left_z, 0, left_x); yaw turns +Z onto it.
    return np.arctan2(-left[:, 2], left[:, 0])


def rotate_about_y(vectors: np.ndarray, angle_rad: np.ndarray) -> np.ndarray:
    """Rotate ``[T, ..., 3]`` vectors about +Y by ``[T]`` angles (right-handed: +Z turns toward +X)."""
    angle = np.reshape(angle_rad, angle_rad.shape + (1,) * (vectors.ndim - 2))
    cos, sin = np.cos(angle), np.sin(angle)
    x, y, z = vectors[..., 0], vectors[..., 1], vectors[..., 2]
    return np.stack([cos * x + sin * z, y, cos * z - sin * x], axis=-1)
