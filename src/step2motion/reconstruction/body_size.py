"""The wearer's size: generated poses scaled to a standing height the user gives.

Insoles do not measure how tall their wearer is, so the model draws a body of the size it guesses from
gait and load, which can be centimetres off in leg length (and so in every root-relative leg joint and
in the pelvis height over the planted feet). Whoever records insoles usually knows the wearer's height
(stature): given it, every generated pose is scaled about the root so that the legs (thigh + shank, the
hip-to-ankle length of a straight leg, both sides' median) are an average adult's share of it
(:data:`~step2motion.skeleton.LEG_PER_STATURE`; a given wearer's legs may be a few per cent longer or
shorter); the whole body takes the same factor, so its proportions are the model's. The root's
horizontal path is not scaled: the feet's odometry and the root network measure it in metres.
"""

from __future__ import annotations

import numpy as np

from step2motion import skeleton
from step2motion.errors import InputError

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
    with_root = np.concatenate([np.zeros((*root_relative_m.shape[:-2], 1, 3)), root_relative_m], axis=-2)
    return skeleton.LEG_PER_STATURE * check_height_m(height_m) / leg_length_m(with_root)
