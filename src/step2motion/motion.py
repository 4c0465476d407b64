"""The in-memory motion type: one clip on the canonical skeleton.

A motion is stored as local joint rotations plus a root trajectory, so bone lengths are constant by
construction; global joint positions come from forward kinematics (pymotion) on demand.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from pymotion.ops.skeleton_np import fk

from step2motion import skeleton

#: Frames per forward-kinematics call: pymotion's temporaries for a call are several times its outputs, so
#: a long motion goes through in pieces (frames are independent) and memory follows the outputs alone.
FK_CHUNK_FRAMES = 2_000


def forward_kinematics(
    local_rotations: np.ndarray, root_position_m: np.ndarray, offsets_m: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Global joint positions ``[T, 22, 3]`` (m) and rotation matrices ``[T, 22, 3, 3]`` of a motion on the
    canonical skeleton: local rotations ``[T, 22, 4]``, root path ``[T, 3]``, rest offsets ``[22, 3]``."""
    positions, rotmats = by_frame_chunks(
        lambda chunk: fk(local_rotations[chunk], root_position_m[chunk], offsets_m, skeleton.PARENTS),
        local_rotations.shape[0],
    )
    return positions, rotmats


def by_frame_chunks(
    compute: Callable[[slice], tuple[np.ndarray, ...]], n_frames: int, chunk_frames: int = FK_CHUNK_FRAMES
) -> tuple[np.ndarray, ...]:
    """The outputs of a frame-wise ``compute`` (frames independent of each other; each output has the
    frames on its first axis) over ``n_frames`` frames, computed ``chunk_frames`` at a time into
    preallocated arrays: its temporaries (forward kinematics, IK) then take one chunk's memory whatever
    the length of the motion."""
    outputs: tuple[np.ndarray, ...] = ()
    for start in range(0, max(n_frames, 1), chunk_frames):
        chunk = slice(start, start + chunk_frames)
        parts = compute(chunk)
        if not outputs:
            outputs = tuple(np.empty((n_frames, *part.shape[1:]), dtype=part.dtype) for part in parts)
        for output, part in zip(outputs, parts, strict=True):
            output[chunk] = part
    return outputs


def joint_positions(
    local_rotations: np.ndarray, root_position_m: np.ndarray, offsets_m: np.ndarray
) -> np.ndarray:
    """Global joint positions ``[T, 22, 3]`` (m) alone, without holding every frame's rotation matrices."""
    (positions,) = by_frame_chunks(
        lambda chunk: (forward_kinematics(local_rotations[chunk], root_position_m[chunk], offsets_m)[0],),
        local_rotations.shape[0],
    )
    return positions


@dataclass(frozen=True)
class Motion:
    """A clip on the canonical 22-joint skeleton, metres, Y up.

    Attributes:
        local_rotations: ``[T, 22, 4]`` unit quaternions ``[w, x, y, z]``, each joint relative to its parent.
        root_position_m: ``[T, 3]`` world position of the Hips joint.
        offsets_m: ``[22, 3]`` rest offset of each joint from its parent (the root's is ignored by FK).
        fps: frame rate in Hz.
        end_sites_m: rest offsets of end sites keyed by the canonical joint they hang from
            (at least the toe tips under ``LeftToeBase``/``RightToeBase`` when the source has them).
        source: where the clip came from (file path or a description), for messages.
    """

    local_rotations: np.ndarray
    root_position_m: np.ndarray
    offsets_m: np.ndarray
    fps: float
    end_sites_m: dict[str, np.ndarray] = field(default_factory=dict)
    source: str = ""

    def __post_init__(self) -> None:
        n_frames = self.local_rotations.shape[0]
        if self.local_rotations.shape != (n_frames, skeleton.N_JOINTS, 4):
            raise ValueError(
                f"local_rotations must be [T, {skeleton.N_JOINTS}, 4], got {self.local_rotations.shape}"
            )
        if self.root_position_m.shape != (n_frames, 3):
            raise ValueError(f"root_position_m must be [{n_frames}, 3], got {self.root_position_m.shape}")
        if self.offsets_m.shape != (skeleton.N_JOINTS, 3):
            raise ValueError(f"offsets_m must be [{skeleton.N_JOINTS}, 3], got {self.offsets_m.shape}")
        if not self.fps > 0:
            raise ValueError(f"fps must be positive, got {self.fps}")

    @property
    def n_frames(self) -> int:
        return int(self.local_rotations.shape[0])

    @property
    def duration_s(self) -> float:
        return self.n_frames / self.fps

    def forward_kinematics(self) -> tuple[np.ndarray, np.ndarray]:
        """Global joint positions ``[T, 22, 3]`` (m) and rotation matrices ``[T, 22, 3, 3]``."""
        return forward_kinematics(self.local_rotations, self.root_position_m, self.offsets_m)

    def joint_positions_m(self) -> np.ndarray:
        """Global joint positions ``[T, 22, 3]`` in metres."""
        return joint_positions(self.local_rotations, self.root_position_m, self.offsets_m)

    def end_site_positions_m(self, parent_joint: str) -> np.ndarray:
        """Global position ``[T, 3]`` of the end site under ``parent_joint``."""
        positions, rotmats = self.forward_kinematics()
        j = skeleton.joint_index(parent_joint)
        return positions[:, j] + rotmats[:, j] @ self.end_sites_m[parent_joint]
