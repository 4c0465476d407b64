"""Known answers for the finite-difference and angular-velocity layer."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from step2motion.kinematics import body_angular_velocity, stencil_spacing_frames, time_derivative


def test_spacing_is_chosen_by_time() -> None:
    assert stencil_spacing_frames(100.0) == 4  # ±40 ms
    assert stencil_spacing_frames(120.0) == 5
    assert stencil_spacing_frames(60.0, half_window_s=4 / 60) == 4  # TransPose's ±4 frames at 60 fps
    assert stencil_spacing_frames(5.0) == 1  # never below one frame
    with pytest.raises(ValueError, match="positive"):
        stencil_spacing_frames(0.0)


@pytest.mark.parametrize("n_frames", [3, 4, 9, 50])
def test_quadratic_trajectories_are_differentiated_exactly_up_to_the_ends(n_frames: int) -> None:
    fps = 100.0
    t = np.arange(n_frames) / fps
    coeffs = np.array([[0.3, -1.2, 2.5], [1.0, 0.0, -4.0]])  # [2 points, 3 axes]
    x = 0.1 + coeffs[None] * t[:, None, None] + 0.5 * 9.0 * t[:, None, None] ** 2  # [T, 2, 3]
    np.testing.assert_allclose(
        time_derivative(x, fps, order=1), coeffs[None] + 9.0 * t[:, None, None], atol=1e-9
    )
    np.testing.assert_allclose(time_derivative(x, fps, order=2), np.full_like(x, 9.0), atol=1e-7)


def test_cubic_interior_is_exact_and_nyquist_jitter_cancels() -> None:
    fps = 100.0
    t = np.arange(60) / fps
    k = stencil_spacing_frames(fps)
    acc = time_derivative(t**3, fps, order=2)
    np.testing.assert_allclose(acc[k:-k], 6.0 * t[k:-k], atol=1e-9)
    # ±1 mm frame-to-frame jitter: an even spacing sees the same phase on both sides, a ±1 stencil
    # would report (4 mm) * fps² = 40 m/s².
    jitter = 0.001 * (-1.0) ** np.arange(60)
    assert k % 2 == 0
    np.testing.assert_allclose(time_derivative(jitter, fps, order=2)[k:-k], 0.0, atol=1e-9)


def test_end_accelerations_hold_the_nearest_full_stencil_and_never_extrapolate() -> None:
    """A one-sided second difference would extrapolate the cubic's growing acceleration past the end
    and triple the jitter there; the held value is the last one a full stencil sees."""
    fps = 120.0
    k = stencil_spacing_frames(fps)
    t = np.arange(40) / fps
    rng = np.random.default_rng(0)
    x = 40.0 * t**3 + 0.001 * rng.standard_normal(40)  # acceleration 240 t m/s², plus 1 mm jitter
    acc = time_derivative(x, fps, order=2)
    np.testing.assert_array_equal(acc[:k], acc[k])
    np.testing.assert_array_equal(acc[-k:], acc[-k - 1])
    assert acc[k:-k].min() <= acc.min() and acc.max() <= acc[k:-k].max()
    assert acc[-1] < 240.0 * t[-1]  # the true end value lies beyond what the stencil can see


def test_too_short_or_bad_order_is_refused() -> None:
    for order in (1, 2):
        with pytest.raises(ValueError, match="at least 3 frames"):
            time_derivative(np.zeros((2, 3)), 100.0, order=order)
    with pytest.raises(ValueError, match="order"):
        time_derivative(np.zeros((10, 3)), 100.0, order=3)


def test_constant_rotation_rate_is_recovered_in_body_axes() -> None:
    fps = 100.0
    t = np.arange(80) / fps
    omega_rps = np.array([2.0, -5.0, 1.5])  # |ω| ≈ 320 deg/s
    start = Rotation.from_rotvec([0.4, -1.1, 2.0])
    spin = Rotation.from_rotvec(t[:, None] * omega_rps)
    # spinning about a body-fixed axis: the body rate is ω at every frame, ends included
    body = (start * spin).as_matrix()
    np.testing.assert_allclose(body_angular_velocity(body, fps), np.tile(omega_rps, (80, 1)), atol=1e-9)
    # spinning about a world-fixed axis: seen from the body, the rate is Rᵀ ω for the start pose R
    world = (spin * start).as_matrix()
    expected = start.inv().apply(omega_rps)
    np.testing.assert_allclose(body_angular_velocity(world, fps), np.tile(expected, (80, 1)), atol=1e-9)
