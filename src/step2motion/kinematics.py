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
a triangular smoothing of half-width ``k``. The first and last ``k`` frames have no full stencil:

* first derivatives use the one-sided stencil of the same spacing there (second-order accurate,
  exact for quadratics);
* second derivatives *hold* the nearest full-stencil value (frame ``k`` or ``T−1−k``). A one-sided
  second difference (2, −5, 4, −1) extrapolates a cubic-looking trend and multiplies the jitter by
  √46/√6 ≈ 2.8: at the clip ends it made a walking COM read 2 body weights (CMU 38_02's last 50 ms)
  and a foot 16 g. Holding is still exact for quadratics (free fall stays free fall) and never
  reports an acceleration that no interior frame reports.

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
#: Frames a derivative needs: one full three-point stencil.
MIN_FRAMES = 3

_Stencil = tuple[tuple[int, ...], tuple[float, ...]]  # (offsets in units of k, coefficients)

#: order -> central stencil; first derivatives also have a forward stencil for the ends (backward
#: = offsets negated, coefficients negated).
_CENTRAL: dict[int, _Stencil] = {1: ((-1, 1), (-0.5, 0.5)), 2: ((-1, 0, 1), (1.0, -2.0, 1.0))}
_FORWARD_FIRST: _Stencil = ((0, 1, 2), (-1.5, 2.0, -0.5))


def stencil_spacing_frames(fps: float, half_window_s: float = DEFAULT_HALF_WINDOW_S) -> int:
    """Stencil spacing ``k`` (frames, ≥ 1) that spans about ``±half_window_s`` at ``fps``."""
    if not fps > 0 or not half_window_s > 0:
        raise ValueError(f"fps and half_window_s must be positive, got {fps} and {half_window_s}")
    return max(1, round(half_window_s * fps))


def _apply(
    stencil: _Stencil, frames: np.ndarray, k: int, sample: Callable[[np.ndarray, int], np.ndarray]
) -> np.ndarray:
    """``Σ c · sample(frames, k · offset)`` over the stencil (not yet scaled by ``(fps / k)^order``)."""
    offsets, coefficients = stencil
    return sum(c * sample(frames, k * o) for o, c in zip(offsets, coefficients, strict=True))


def _stencil_derivative(
    n_frames: int,
    fps: float,
    order: int,
    half_window_s: float,
    sample: Callable[[np.ndarray, int], np.ndarray],
) -> np.ndarray:
    """Apply the order-``order`` ``±k`` stencil; ``sample(t, shift)`` returns the signal at ``t + shift``.

    ``k`` shrinks for short clips so that the end stencils fit: ``2k + 1`` frames for a held second
    derivative, ``3k`` for the one-sided first-derivative stencils.
    """
    if order not in _CENTRAL:
        raise ValueError(f"derivative order must be 1 or 2, got {order}")
    if n_frames < MIN_FRAMES:
        raise ValueError(f"a derivative needs at least {MIN_FRAMES} frames, got {n_frames}")
    k = min(stencil_spacing_frames(fps, half_window_s), (n_frames - 1) // 2 if order == 2 else n_frames // 3)
    frames = np.arange(n_frames)
    inner = _apply(_CENTRAL[order], frames[k : n_frames - k], k, sample)
    if order == 2:  # hold the nearest full-stencil value (module docstring)
        head, tail = np.repeat(inner[:1], k, axis=0), np.repeat(inner[-1:], k, axis=0)
    else:
        offsets, coefficients = _FORWARD_FIRST
        head = _apply(_FORWARD_FIRST, frames[:k], k, sample)
        backward = (tuple(-o for o in offsets), tuple(-c for c in coefficients))
        tail = _apply(backward, frames[n_frames - k :], k, sample)
    return np.concatenate([head, inner, tail], axis=0) * (fps / k) ** order


def time_derivative(
    x: np.ndarray, fps: float, order: int = 1, half_window_s: float = DEFAULT_HALF_WINDOW_S
) -> np.ndarray:
    """First or second time derivative of ``x`` ``[T, ...]`` sampled at ``fps`` (per second, per second²).

    Returns an array of the same shape. Exact for polynomials up to degree 2 everywhere and up to
    degree 3 where the full central stencil fits.
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
