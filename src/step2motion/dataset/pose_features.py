"""Training targets from a motion: heading-free root-relative joint positions and root motion, and back.

Conventions (Y up, right-handed, metres, radians; the root network of
:mod:`step2motion.model.root_displacement` predicts the root target defined here):

* **Heading** ``yaw`` of a frame: :mod:`step2motion.heading` (the hips' facing direction about +Y).
* **Heading-free frame** of a frame: rotate about Y by ``-yaw``; then +Z is forward, +X the character's
  left, +Y up.
* **Pose target** ``[T, 21, 3]``: the 21 non-root joints (skeleton order without ``Hips``) minus the
  Hips position, in the frame's heading-free frame.
* **Root target** ``[T, 4]`` (forward, leftward, up displacement in m, heading change in rad): the Hips
  move from frame ``t-1`` to ``t`` in the heading-free frame of ``t-1``; frame 0 is zero
  (:func:`displacement_from_trajectory`, on tensors of any batch shape; :func:`integrate_displacement`
  inverts it).
* **Pelvis height** ``[T]``: Hips height above the clip's floor, a separate target because root-relative
  poses and per-frame vertical moves lose it (an integrated ``up`` drifts). Motion capture has no sole,
  so the floor is the level of the toe joints in contact: the 5th percentile over frames of the lower
  toe-joint (``*ToeBase``) height. The height is therefore "above the toe joints on the ground", a few
  centimetres less than above the floor proper.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from step2motion import skeleton
from step2motion.heading import heading_rad, rotate_about_y
from step2motion.io.bvh import resample_motion
from step2motion.motion import Motion

#: Joints of the pose target, in order: the model's pose layout (every joint but the root).
POSE_JOINTS: tuple[str, ...] = skeleton.POSE_JOINT_NAMES
#: Percentile of the per-frame lower toe-joint height taken as the floor level.
FLOOR_PERCENTILE = 5.0

_ROOT = skeleton.joint_index("Hips")
_POSE = skeleton.joint_indices(POSE_JOINTS)
_TOES = skeleton.joint_indices(("LeftToeBase", "RightToeBase"))


@dataclass(frozen=True)
class PoseTargets:
    """Targets of one clip at ``fps`` (see the module docstring for every convention).

    Attributes:
        joints_local_m: ``[T, 21, 3]`` heading-free, root-relative positions of :data:`POSE_JOINTS`.
        root_motion: ``[T, 4]`` forward, leftward, up move (m) and heading change (rad) per frame.
        pelvis_height_m: ``[T]`` Hips height above the floor level.
        root_position_m: ``[T, 3]`` world Hips position (to integrate from and to check against).
        heading_rad: ``[T]`` world heading.
        floor_height_m: the floor level used for ``pelvis_height_m`` (world Y).
        fps: frame rate in Hz; frame ``t`` is at ``t / fps`` seconds from the clip start.
    """

    joints_local_m: np.ndarray
    root_motion: np.ndarray
    pelvis_height_m: np.ndarray
    root_position_m: np.ndarray
    heading_rad: np.ndarray
    floor_height_m: float
    fps: float

    @property
    def n_frames(self) -> int:
        return int(self.joints_local_m.shape[0])


def _wrap_angle(angle_rad: torch.Tensor) -> torch.Tensor:
    """Wrap to ``(-π, π]``."""
    return math.pi - torch.remainder(math.pi - angle_rad, 2 * math.pi)


def displacement_from_trajectory(position_m: torch.Tensor, yaw_rad: torch.Tensor) -> torch.Tensor:
    """Root positions ``[..., T, 3]``, headings ``[..., T]`` → displacement ``[..., T, 4]`` (see module)."""
    step_m = position_m[..., 1:, :] - position_m[..., :-1, :]
    sin, cos = torch.sin(yaw_rad[..., :-1]), torch.cos(yaw_rad[..., :-1])
    forward = step_m[..., 0] * sin + step_m[..., 2] * cos
    leftward = step_m[..., 0] * cos - step_m[..., 2] * sin
    turn = _wrap_angle(yaw_rad[..., 1:] - yaw_rad[..., :-1])
    moves = torch.stack([forward, leftward, step_m[..., 1], turn], dim=-1)
    return torch.cat([torch.zeros_like(moves[..., :1, :]), moves], dim=-2)


def integrate_displacement(
    displacement: torch.Tensor, start_position_m: torch.Tensor, start_yaw_rad: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """Open-loop integration: displacement ``[..., T, 4]`` → positions ``[..., T, 3]``, yaw ``[..., T]``.

    ``start_position_m [..., 3]`` and ``start_yaw_rad [...]`` are the pose *before* frame 0's move, so
    the inverse of :func:`displacement_from_trajectory` (whose frame 0 is zero) is exact.
    """
    yaw = start_yaw_rad[..., None] + torch.cumsum(displacement[..., 3], dim=-1)
    yaw_before = torch.cat([start_yaw_rad[..., None], yaw[..., :-1]], dim=-1)
    sin, cos = torch.sin(yaw_before), torch.cos(yaw_before)
    forward, leftward = displacement[..., 0], displacement[..., 1]
    step_m = torch.stack(
        [forward * sin + leftward * cos, displacement[..., 2], forward * cos - leftward * sin], -1
    )
    return start_position_m[..., None, :] + torch.cumsum(step_m, dim=-2), yaw


def targets_from_positions(joint_positions_m: np.ndarray, fps: float) -> PoseTargets:
    """Targets from world joint positions ``[T, 22, 3]`` (canonical order) sampled at ``fps``."""
    root_m = joint_positions_m[:, _ROOT]
    yaw = heading_rad(joint_positions_m)
    local = rotate_about_y(joint_positions_m[:, _POSE] - root_m[:, None], -yaw)
    floor_m = float(np.percentile(joint_positions_m[:, _TOES, 1].min(axis=1), FLOOR_PERCENTILE))
    root_motion = displacement_from_trajectory(torch.from_numpy(root_m), torch.from_numpy(yaw)).numpy()
    return PoseTargets(
        joints_local_m=local,
        root_motion=root_motion,
        pelvis_height_m=root_m[:, 1] - floor_m,
        root_position_m=root_m,
        heading_rad=yaw,
        floor_height_m=floor_m,
        fps=float(fps),
    )


def pose_targets(motion: Motion, rate_hz: float = 30.0) -> PoseTargets:
    """Targets of ``motion`` after resampling it to ``rate_hz``."""
    resampled = resample_motion(motion, rate_hz)
    return targets_from_positions(resampled.joint_positions_m(), resampled.fps)


def integrate_root(
    root_motion: np.ndarray, initial_position_m: np.ndarray, initial_heading_rad: float
) -> tuple[np.ndarray, np.ndarray]:
    """Root targets ``[T, 4]`` → world Hips positions ``[T, 3]`` and headings ``[T]`` (open loop).

    The initial pose is that of frame 0 (whose target move is zero), so targets of a clip integrate back
    to its trajectory exactly.
    """
    positions, yaw = integrate_displacement(
        torch.as_tensor(root_motion, dtype=torch.float64),
        torch.as_tensor(initial_position_m, dtype=torch.float64),
        torch.as_tensor(initial_heading_rad, dtype=torch.float64),
    )
    return positions.numpy(), yaw.numpy()


def to_world(joints_local_m: np.ndarray, root_position_m: np.ndarray, heading_rad: np.ndarray) -> np.ndarray:
    """World positions ``[T, 22, 3]`` of all joints (canonical order) from pose targets ``[T, 21, 3]``,
    Hips positions ``[T, 3]`` and headings ``[T]``."""
    world = np.empty((joints_local_m.shape[0], skeleton.N_JOINTS, 3))
    world[:, _ROOT] = root_position_m
    world[:, _POSE] = rotate_about_y(joints_local_m, heading_rad) + root_position_m[:, None]
    return world
