"""Vertical ground reaction force of the whole body, and how it is shared between the feet.

Why: insoles measure the normal force under each foot; in a motion clip that force is fixed by
Newton's law on the centre of mass (COM), F = m (g + ÿ_com), and, while both feet are down, by where
the combined centre of pressure must lie: under the zero-moment point (ZMP),
x_zmp = x_com − y_com · ẍ_com / (g + ÿ_com) (heights above the floor), on both horizontal axes.
"""

from __future__ import annotations

import numpy as np
from scipy.ndimage import gaussian_filter1d

from step2motion.simulation.body_model import GRAVITY_MS2

#: Per-foot force smoothing: real insole forces rise over ≈ 50–100 ms at heel strike.
FOOT_FORCE_SMOOTH_S = 0.015
#: ZMP smoothing on top of the COM's ±40 ms stencil: enough to calm the mocap scatter, short against
#: a walking double support (≈ 0.1–0.15 s). At 60 ms the load passed to the leading foot too slowly
#: (12 CMU walks: 0.42 BW at 10 % of its stance, 0.65 at 15 %; the real exports 0.84, 0.97); at 30 ms
#: 0.53 and 0.80, and the double-support share of the stride drops from 0.30 to 0.26 (real 0.25–0.33).
ZMP_SMOOTH_S = 0.03
#: Contact weight (either foot) from which the feet carry the whole body force.
SURE_CONTACT = 0.5
_HORIZONTAL = [0, 2]


def vertical_force_n(com_acc_ms2: np.ndarray, mass_kg: float) -> np.ndarray:
    """Whole-body vertical ground reaction ``[T]`` (N) from the COM acceleration ``[T, 3]`` (m/s²).

    Never negative: the floor can push but not pull (a negative value is flight, or noise).
    """
    return np.maximum(mass_kg * (GRAVITY_MS2 + com_acc_ms2[:, 1]), 0.0)


def zero_moment_point_m(
    com_m: np.ndarray, com_acc_ms2: np.ndarray, floor_m: np.ndarray, fps: float
) -> np.ndarray:
    """Horizontal ZMP ``[T, 2]`` (world x, z in m) of a COM ``[T, 3]`` over a floor at height ``[T]``.

    Smoothed (σ = ``ZMP_SMOOTH_S``): from mocap the correction term scatters by about a foot length
    from frame to frame (CMU 07_01), while the smoothed ZMP rolls from heel to toes over a single
    support as it should. Where the vertical acceleration nears free fall the correction term is
    meaningless; the COM's own ground projection is used there instead.
    """
    height = com_m[:, 1] - floor_m
    vertical = GRAVITY_MS2 + com_acc_ms2[:, 1]
    safe = vertical > 0.2 * GRAVITY_MS2
    shift = np.where(safe[:, None], height[:, None] * com_acc_ms2[:, _HORIZONTAL], 0.0)
    zmp = com_m[:, _HORIZONTAL] - shift / np.where(safe, vertical, 1.0)[:, None]
    return gaussian_filter1d(zmp, ZMP_SMOOTH_S * fps, axis=0, mode="nearest")


def left_share_from_zmp(zmp_m: np.ndarray, left_m: np.ndarray, right_m: np.ndarray) -> np.ndarray:
    """``[T]`` fraction of the double-support force on the left foot, in [0, 1].

    The combined centre of pressure λ·left + (1 − λ)·right is the point of the segment between the two
    feet's centres of pressure (``[T, 2]`` each) nearest to the ZMP ``[T, 2]``.
    """
    between = left_m - right_m
    span = np.einsum("ti,ti->t", between, between)
    along = np.einsum("ti,ti->t", zmp_m - right_m, between)
    share = np.divide(along, span, out=np.full_like(along, 0.5), where=span > 1e-6)
    return np.clip(share, 0.0, 1.0)


def split_between_feet(
    force_n: np.ndarray,
    left_share: np.ndarray,
    contact_left: np.ndarray,
    contact_right: np.ndarray,
    fps: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Per-foot vertical force ``[T]`` (N) each, from the whole-body force ``[T]``.

    ``contact_*`` (``[T]`` in [0, 1]) say how surely each foot is on the floor. With one foot down it
    takes everything; with both down they share by ``left_share``; a foot in the air carries nothing,
    and with neither foot down the force (flight, or mocap error) is dropped. Soft contacts blend
    these cases, so loads ramp rather than jump. The body's acceleration is the stronger evidence:
    once either foot is down with weight ``SURE_CONTACT`` the feet carry the whole force (a running
    foot lands at 1–2 m/s, while its contact weight, judged on speed, is still rising). A short
    Gaussian smooths what is left of the steps.
    """
    left = contact_left * (1.0 - contact_right + contact_right * left_share)
    right = contact_right * (1.0 - contact_left + contact_left * (1.0 - left_share))
    scale = force_n / np.maximum(left + right, SURE_CONTACT)
    sigma = FOOT_FORCE_SMOOTH_S * fps
    return (
        gaussian_filter1d(scale * left, sigma, mode="nearest"),
        gaussian_filter1d(scale * right, sigma, mode="nearest"),
    )
