"""The wearer's size: generated poses scaled to a standing height the user gives.

Insoles do not measure how tall their wearer is, so the model draws a body of the size it guesses from
gait and load, which can be centimetres off in leg length (and so in every root-relative leg joint and
in the pelvis height over the planted feet). Whoever records insoles usually knows the wearer's height
(stature): given it, every generated pose is scaled about the root so that the legs (thigh + shank, the
hip-to-ankle length of a straight leg, both sides' median) are an average adult's share of it
(:data:`~step2motion.skeleton.LEG_PER_STATURE`; a given wearer's legs may be a few per cent longer or
shorter); the whole body takes the same factor, so its proportions are the model's. The root's
horizontal path is not scaled: the feet's odometry and the root network measure it in metres.

A user may know more than the height: the wearer's skeleton (a motion-capture calibration of the
subject, or the character an animator wants the motion on), as rest offsets of the canonical joints
(what :func:`~step2motion.io.bvh.read_bvh` makes of a BVH of any rig). Given it, every generated pose
is redrawn on that skeleton (:func:`on_skeleton`): the rotations that turn its bones onto the generated
bone directions (:func:`~step2motion.reconstruction.skeleton_fit.fit_rotations`: each single bone along
its direction, the pelvis and chest turned to fit their several bones best), its bones at their own
lengths. The model draws one of its training corpus's joint-placement conventions and a size of its
own; the skeleton replaces both, and the output BVH has the skeleton's offsets. A skeleton has a height
of its own, so height and skeleton are not given together.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from step2motion import skeleton
from step2motion.errors import InputError
from step2motion.motion import forward_kinematics
from step2motion.reconstruction.skeleton_fit import fit_rotations

#: Standing heights accepted, m (a typo such as centimetres for metres is refused, not scaled by 100).
MIN_HEIGHT_M, MAX_HEIGHT_M = 0.5, 2.5


def check_height_m(height_m: float) -> float:
    """``height_m`` when it is a standing height in metres, else ``InputError``."""
    if not MIN_HEIGHT_M <= height_m <= MAX_HEIGHT_M:
        raise InputError(
            f"the wearer's height must be in metres, {MIN_HEIGHT_M:g} to {MAX_HEIGHT_M:g}, got {height_m:g}"
        )
    return float(height_m)


def leg_length_m(joint_positions_m: np.ndarray) -> float:
    """Median hip-to-ankle length (thigh + shank, both sides) of poses ``[..., 22, 3]``."""
    lengths = [
        np.linalg.norm(joint_positions_m[..., knee, :] - joint_positions_m[..., hip, :], axis=-1)
        + np.linalg.norm(joint_positions_m[..., ankle, :] - joint_positions_m[..., knee, :], axis=-1)
        for hip, knee, ankle in skeleton.LEG_CHAINS
    ]
    return float(np.median(np.stack(lengths)))


def height_scale(root_relative_m: np.ndarray, height_m: float) -> float:
    """The factor that scales root-relative poses ``[..., 21, 3]`` (joints after the root, canonical order)
    to a wearer ``height_m`` tall (module docstring)."""
    return skeleton.LEG_PER_STATURE * check_height_m(height_m) / leg_length_m(_with_root(root_relative_m))


def check_skeleton(offsets_m: np.ndarray) -> np.ndarray:
    """``offsets_m`` as ``[22, 3]`` floats when they are a skeleton's rest offsets of the canonical joints
    in metres with legs of a standing height's share (:func:`check_height_m`), else ``InputError``."""
    offsets = np.asarray(offsets_m, dtype=float)
    if offsets.shape != (skeleton.N_JOINTS, 3) or not np.isfinite(offsets).all():
        raise InputError(
            f"the wearer's skeleton must be finite rest offsets of the {skeleton.N_JOINTS} canonical joints "
            f"[{skeleton.N_JOINTS}, 3], got shape {offsets.shape}"
        )
    stature = skeleton.stature_m(offsets)
    if not MIN_HEIGHT_M <= stature <= MAX_HEIGHT_M:
        raise InputError(
            f"the wearer's skeleton has legs of a {stature:.3g} m tall person; its offsets must be in metres "
            f"and stand for {MIN_HEIGHT_M:g} to {MAX_HEIGHT_M:g} m"
        )
    return offsets


def check_wearer(
    height_m: float | None, skeleton_offsets_m: np.ndarray | None
) -> tuple[float | None, np.ndarray | None]:
    """The wearer's height and skeleton checked (:func:`check_height_m`, :func:`check_skeleton`; either
    may be None, not both given: a skeleton has a height of its own), else ``InputError``."""
    if height_m is not None and skeleton_offsets_m is not None:
        raise InputError("give the wearer's height or skeleton, not both: a skeleton has a height of its own")
    return (
        None if height_m is None else check_height_m(height_m),
        None if skeleton_offsets_m is None else check_skeleton(skeleton_offsets_m),
    )


@dataclass(frozen=True, eq=False)
class Wearer:
    """What a user knows of the wearer's body: the standing height (m) or the skeleton (rest offsets
    ``[22, 3]``, m), or neither (None); checked by :func:`check_wearer`."""

    height_m: float | None = None
    skeleton_offsets_m: np.ndarray | None = None

    def __post_init__(self) -> None:
        height_m, offsets_m = check_wearer(self.height_m, self.skeleton_offsets_m)
        object.__setattr__(self, "height_m", height_m)
        object.__setattr__(self, "skeleton_offsets_m", offsets_m)


#: Nothing known of the wearer: the size and shape the model draws.
NOT_TOLD = Wearer()


def on_skeleton(root_relative_m: np.ndarray, offsets_m: np.ndarray) -> np.ndarray:
    """Heading-free root-relative poses ``[..., N, 21, 3]`` redrawn on the skeleton ``offsets_m`` ``[22, 3]``
    (module docstring), same shape."""
    flat = _with_root(root_relative_m.reshape(-1, *root_relative_m.shape[-3:]))
    out = np.empty_like(flat)
    for k, poses in enumerate(flat):
        out[k], _ = forward_kinematics(*fit_rotations(poses, offsets_m), offsets_m)
    return (out[..., 1:, :] - out[..., :1, :]).reshape(root_relative_m.shape)


def _with_root(root_relative_m: np.ndarray) -> np.ndarray:
    """Root-relative poses ``[..., 21, 3]`` with the root joint at the origin put first: ``[..., 22, 3]``."""
    return np.concatenate([np.zeros((*root_relative_m.shape[:-2], 1, 3)), root_relative_m], axis=-2)
