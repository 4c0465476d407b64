"""Time derivatives of sampled trajectories: linear (positions) and angular (rotation sequences).

Mocap positions carry millimetre jitter that a frame-to-frame second difference turns into metres per
second squared of noise, so derivatives here difference over ``±k`` frames with ``k`` chosen by *time*
(``DEFAULT_HALF_WINDOW_S``): TransPose found ±4 frames at 60 fps (±67 ms) matched real IMUs better
than ±1 frame, which is far too jittery. We took ±40 ms from the real OpenGo exports: the share of
accelerometer power at 10–45 Hz (walking, 100 Hz) is (0.07, 0.37, 0.19) for X, Y, Z. The virtual insole
on 40 CMU walks gives (0.42, 0.74, 0.63) at ±20 ms, (0.045, 0.21, 0.09) at ±40 ms and
(0.011, 0.06, 0.02) at ±60 ms. Below ±40 ms the extra high frequencies are mocap jitter, not the
heel-strike transients that the real sensor records.

The ``k``-spaced three-point second difference equals the exact second difference of the signal after
a triangular smoothing of half-width ``k``. Near the ends the same spacing is used with one-sided
stencils (second-order accurate, exact for quadratics), so the first and last ``k`` frames are neither
dropped nor padded.

Why hand-written: ``np.gradient`` only differences neighbouring samples, and scipy's Savitzky-Golay
derivative is a different (least-squares) filter than the validated ``±k`` stencil. Rotations are never
differenced component-wise: the angular velocity at frame ``t`` is the derivative of the rotation
vector ``Log(R_tᵀ R_{t+j})`` (scipy ``Rotation``), i.e. the same stencil applied in the tangent space
at ``R_t``; it is exact for a constant-rate rotation as long as the rotation over the stencil stays
below 180° (±k frames: 4500 deg/s at ``k·Δt`` = 40 ms, one-sided ends 2250 deg/s, both above
the OpenGo gyro's ±2000 deg/s range).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy.spatial.transform import Rotation

#: Half-width of the difference stencil in seconds (±40 ms: ±4 frames at 100 Hz, ±5 at 120 fps).
DEFAULT_HALF_WINDOW_S = 0.04

_Stencil = tuple[tuple[int, ...], tuple[float, ...]]  # (offsets in units of k, coefficients)

# order -> (central stencil, forward stencil). Backward stencils mirror the forward ones: offsets
# negated, coefficients times (-1)**order.
_STENCILS: dict[int, tuple[_Stencil, _Stencil]] = {
    1: (((-1, 1), (-0.5, 0.5)), ((0, 1, 2), (-1.5, 2.0, -0.5))),
    2: (((-1, 0, 1), (1.0, -2.0, 1.0)), ((0, 1, 2, 3), (2.0, -5.0, 4.0, -1.0))),
}


def stencil_spacing_frames(fps: float, half_window_s: float = DEFAULT_HALF_WINDOW_S) -> int:
    """Stencil spacing ``k`` (frames, ≥ 1) that spans about ``±half_window_s`` at ``fps``."""
    if not fps > 0 or not half_window_s > 0:
        raise ValueError(f"fps and half_window_s must be positive, got {fps} and {half_window_s}")
    return max(1, round(half_window_s * fps))


def _stencil_derivative(
    n_frames: int,
    fps: float,
    order: int,
    half_window_s: float,
    sample: Callable[[np.ndarray, int], np.ndarray],
) -> np.ndarray:
    """Apply the order-``order`` ``±k`` stencil; ``sample(t, shift)`` returns the signal at ``t + shift``.

    ``k`` shrinks for short clips so the one-sided end stencils still fit inside the clip.
    """
    if order not in _STENCILS:
        raise ValueError(f"derivative order must be 1 or 2, got {order}")
    (central_off, central_coef), (fwd_off, fwd_coef) = _STENCILS[order]
    span = fwd_off[-1] + 1  # the one-sided stencil needs k * span <= n_frames
    if n_frames < span:
        raise ValueError(f"an order-{order} derivative needs at least {span} frames, got {n_frames}")
    k = min(stencil_spacing_frames(fps, half_window_s), n_frames // span)
    bwd_off = tuple(-o for o in fwd_off)
    bwd_coef = tuple(c * (-1) ** order for c in fwd_coef)
    frames = np.arange(n_frames)
    pieces = (
        (frames[:k], fwd_off, fwd_coef),
        (frames[k : n_frames - k], central_off, central_coef),
        (frames[n_frames - k :], bwd_off, bwd_coef),
    )
    parts = [
        sum(c * sample(t, k * o) for o, c in zip(offs, coefs, strict=True))
        for t, offs, coefs in pieces
        if t.size
    ]
    return np.concatenate(parts, axis=0) * (fps / k) ** order


def time_derivative(
    x: np.ndarray, fps: float, order: int = 1, half_window_s: float = DEFAULT_HALF_WINDOW_S
) -> np.ndarray:
    """First or second time derivative of ``x`` ``[T, ...]`` sampled at ``fps`` (per second, per second²).

    Returns an array of the same shape. Exact for polynomials up to degree 2 (one-sided ends) or 3
    (central part), whatever the spacing.
    """
    x = np.asarray(x, dtype=float)
    return _stencil_derivative(x.shape[0], fps, order, half_window_s, lambda t, shift: x[t + shift])


def body_angular_velocity(
    rotmats: np.ndarray, fps: float, half_window_s: float = DEFAULT_HALF_WINDOW_S
) -> np.ndarray:
    """Angular velocity ``[T, 3]`` (rad/s) of a rotating frame, expressed in that frame's own axes.

    Args:
        rotmats: ``[T, 3, 3]`` rotation matrices mapping the moving frame's coordinates to world
            coordinates (columns are the frame's axes in the world), sampled at ``fps``.
    """
    rotations = Rotation.from_matrix(np.asarray(rotmats, dtype=float))

    def relative_rotvec(t: np.ndarray, shift: int) -> np.ndarray:
        return (rotations[t].inv() * rotations[t + shift]).as_rotvec()

    return _stencil_derivative(len(rotations), fps, 1, half_window_s, relative_rotvec)
