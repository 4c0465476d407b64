"""One insole's path from its own IMU: strapdown integration reset to zero velocity whenever it is still.

The classic foot-mounted-IMU technique (zero-velocity updates, "ZUPT"), written for what an insole gives:

1. **Segments.** Missing samples (``NaN``) up to ``MAX_BRIDGED_GAP_S`` are bridged by linear interpolation;
   a longer gap (missing rows or a jump of the time column) ends the track, and a new one starts after it
   at the last known position and heading (the gap's own motion is unknown; :attr:`FootTrack.segment`
   says where tracks break, and strides never span a break). A segment without a still moment cannot be
   anchored and stays untracked (``NaN``).
2. **Stillness** from force, gyro and accelerometer together (:mod:`step2motion.odometry.stillness`).
3. **Gyro bias**: the mean angular rate while the foot stands quiet, its rate steady
   (:func:`quiet_standing`, :func:`gyro_bias_dps`), removed
   before anything is integrated (a constant 2 deg/s bias, typical of these chips, turns a foot by 2° per
   stride). Roll and pitch bias are also held in check by the tilt correction; heading bias is not
   observable without a quiet moment. Without one, the bias across the resting up axis is estimated from
   the tilt each swing gathers (:func:`tilt_gyro_bias_dps`), kept only when the swings agree.
4. **Accelerometer bias along the up axis** (:func:`acc_up_bias_g`): a still foot's specific force is
   exactly 1 g, so the median of ``|a|`` over the quiet runs of step 3 minus 1 g is the bias along the resting
   up direction, removed from every sample (a real unit can read a percent low at rest). Left in, it
   rotates with the foot through the swing (toes down at toe-off, up at heel strike) into a forward
   acceleration error that the per-swing velocity ramp does not remove, shortening (or lengthening) every
   stride. The bias across the up axis is not observable from one
   resting attitude (it reads as tilt) and is left to the tilt correction. Only estimated when the foot is
   genuinely still: ``|a|`` over the quiet runs must spread no more than the sensor's noise allows
   (``ACC_QUIET_SPREAD_G``), else a shuffling foot's (or motion capture's) own acceleration would be taken
   for bias.
5. **Orientation** (sensor → navigation frame): starts at the first still moment, tilt from the
   accelerometer, heading 0 along the insole's toe axis; integrated from the bias-free gyro (mid-point
   rate over each step, exact quaternion exponential) forward to the end and backward to the start; while
   still, the tilt is pulled toward the accelerometer's gravity direction by ``TILT_GAIN`` of the error per
   sample, about a horizontal axis only, so the heading is left to the gyro. Hand-written rather than an
   ``ahrs`` filter because those correct the tilt from the accelerometer on every sample, and during a
   swing the accelerometer reads the foot's own acceleration, not gravity.
6. **Velocity**: the gravity-free acceleration is integrated (trapezoid) from zero at the end of each
   still run; the velocity left at the next still run (which must be zero) is removed as a linear ramp over
   that swing (a constant acceleration error per swing). Swings at a segment's ends, with a still run on
   one side only, are integrated from that side without the ramp. The quietest recorded moment of a
   stance the recording's edge cut (:attr:`~step2motion.odometry.stillness.Rest.cut_stance`) and the
   quiet moments of a long loaded move (:attr:`~step2motion.odometry.stillness.Rest.loaded_quiet`) count
   as zero velocity here, and only here: the foot is on its ball or heel there, so they neither anchor
   nor correct the tilt, are not levelled to the floor, and are not still moments of the track (its
   ``velocity_reset`` marks them).
7. **Position**: the integral of the velocity, held while still. With ``flat_floor`` (default) every
   still run is put back at floor height 0 and the height error is ramped out over each swing the same way,
   so walking on level ground never drifts up or down (stairs and slopes need ``flat_floor=False``).

Frames and conventions: the *navigation frame* is right-handed, Z up, origin at the foot's first still
position, X along that foot's toe axis (projected on the floor) at its first still moment. The *sensor
frame* is a right-handed chip frame (X toes, Y body-left, Z up): the left insole's mirrored readings are
turned into it with :data:`~step2motion.insole_layout.REPORTED_ACC_SIGNS` / ``REPORTED_GYRO_SIGNS``, so
both feet's tracks are in true body geometry. Heading is the yaw of the toe axis, counter-clockwise seen
from above, radians, unwrapped.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.integrate import cumulative_trapezoid
from scipy.spatial.transform import Rotation

from step2motion.gait_events import GRAVITY_MS2, runs
from step2motion.insole_layout import REPORTED_ACC_SIGNS, REPORTED_GYRO_SIGNS
from step2motion.odometry.stillness import detect_rest
from step2motion.recording import InsoleRecording, median_rate_hz, samples_spanning

#: Longest stretch of missing samples (or time step) bridged by interpolation inside one track, s.
MAX_BRIDGED_GAP_S = 0.1
#: Fraction of the tilt error removed on each still sample.
TILT_GAIN = 0.1
#: The gyro bias is the mean rate over quiet runs: still, every axis below ``BIAS_QUIET_DPS``, lasting at
#: least ``BIAS_MIN_QUIET_S`` (standing). A walking foot is never that quiet (it rolls at tens of deg/s
#: through stance), and its stance rates would be taken for bias; without a quiet run none is removed.
BIAS_QUIET_DPS = 10.0
BIAS_MIN_QUIET_S = 0.3
#: ... and only runs whose rate holds steady, its robust spread (1.4826 × median absolute deviation, per
#: axis, the larger) at most ``GYRO_QUIET_SPREAD_DPS``: a resting sensor's spread is its white noise
#: (:data:`~step2motion.simulation.sensor_model.GYRO_WHITE_NOISE_DPS`), and the real exports' standing runs
#: spread by 0.1–0.8 deg/s, their foot-flats while walking by 1–5: there the foot still turns slowly (or
#: motion capture's foot drifts), and a short run's mean rate would be taken for a bias of several deg/s,
#: which turns the heading by tens of degrees over a recording.
GYRO_QUIET_SPREAD_DPS = 1.0
#: The accelerometer bias along the up axis is only estimated when ``|a|`` over the quiet runs spreads by at
#: most ``ACC_QUIET_SPREAD_G`` (1.4826 × median absolute deviation): a still sensor's spread is its white
#: noise (:data:`~step2motion.simulation.sensor_model.ACC_WHITE_NOISE_G` per axis; quantisation, 1/2048 g /
#: √12, is negligible), and this allows a little over twice that. A foot that is not truly at rest (motion
#: capture's "standing" jitters far more) would otherwise have its own acceleration taken for a bias.
ACC_QUIET_SPREAD_G = 0.008
#: Without a quiet run, the gyro bias across the resting up axis is estimated from the tilt each swing
#: gathers (:func:`swing_tilt_bias_dps`), compared with the accelerometer over the first
#: ``TILT_BIAS_COMPARE_S`` of the next still run, and removed only when the per-swing estimates agree:
#: at least ``TILT_BIAS_MIN_SWINGS`` swings, their median at most ``TILT_BIAS_MAX_DPS`` (a few times the
#: simulated sensor's :data:`~step2motion.simulation.sensor_model.GYRO_BIAS_DPS`, 1 σ per axis), and their
#: robust spread (1.4826 × median absolute deviation, per axis, the larger) at most ``TILT_BIAS_MAX_SPREAD``
#: times the median's size (thresholds chosen on the training and validation subjects' walks).
TILT_BIAS_COMPARE_S = 1.0
TILT_BIAS_MIN_SWINGS = 2
TILT_BIAS_MAX_DPS = 8.0
TILT_BIAS_MAX_SPREAD = 0.6

_UP = np.array([0.0, 0.0, 1.0])
_GRAVITY_NAV = np.array([0.0, 0.0, -GRAVITY_MS2])


@dataclass(frozen=True)
class FootTrack:
    """One foot's odometry on the recording's ``T`` samples (``NaN`` where untracked).

    Attributes:
        side: ``"left"`` or ``"right"``.
        time_s: ``[T]`` the recording's time axis, s.
        position_m: ``[T, 3]`` insole chip (mid-foot) position in the navigation frame, m (Z up).
        velocity_m_s: ``[T, 3]`` its velocity, m/s (exactly 0 while still).
        heading_rad: ``[T]`` yaw of the insole's toe axis, rad, unwrapped within each segment.
        still: ``[T]`` bool, the foot-flats (zero velocity, the foot on the floor).
        segment: ``[T]`` int, index of the track segment each sample belongs to, -1 where untracked.
        velocity_reset: ``[T]`` bool, every sample whose velocity was set to zero: ``still`` and the
            zero-velocity moments that are no foot-flats (step 6 of the module docstring).
    """

    side: str
    time_s: np.ndarray
    position_m: np.ndarray
    velocity_m_s: np.ndarray
    heading_rad: np.ndarray
    still: np.ndarray
    segment: np.ndarray
    velocity_reset: np.ndarray

    @property
    def tracked(self) -> np.ndarray:
        """``[T]`` bool: samples with a position."""
        return self.segment >= 0


def segment_spans(
    missing: np.ndarray, time_s: np.ndarray, max_gap_s: float = MAX_BRIDGED_GAP_S
) -> list[tuple[int, int]]:
    """``(start, stop)`` sample ranges (stop exclusive) of the tracks: recorded samples, split wherever the
    time between two recorded samples exceeds ``max_gap_s``; each starts and ends on a recorded sample."""
    recorded = np.flatnonzero(~np.asarray(missing, dtype=bool))
    if recorded.size == 0:
        return []
    breaks = np.flatnonzero(np.diff(time_s[recorded]) > max_gap_s + 1e-9)
    firsts = np.concatenate([[0], breaks + 1])
    lasts = np.concatenate([breaks, [recorded.size - 1]])
    return [(int(recorded[a]), int(recorded[b]) + 1) for a, b in zip(firsts, lasts, strict=True)]


def _bridged(values: np.ndarray, time_s: np.ndarray) -> np.ndarray:
    """``values`` ``[T, C]`` with ``NaN`` rows interpolated linearly in time (first and last rows finite)."""
    finite = np.isfinite(values).all(axis=1)
    if finite.all():
        return values
    return np.stack([np.interp(time_s, time_s[finite], column[finite]) for column in values.T], axis=1)


def _initial_quaternion(up_in_sensor: np.ndarray) -> np.ndarray:
    """``[w, x, y, z]`` sensor → navigation rotation: ``up_in_sensor`` to Z, the toe axis to heading 0."""
    z_axis = up_in_sensor / np.linalg.norm(up_in_sensor)
    x_axis = np.array([1.0, 0.0, 0.0]) - z_axis[0] * z_axis
    x_axis /= np.linalg.norm(x_axis)
    rows = np.stack([x_axis, np.cross(z_axis, x_axis), z_axis])  # nav axes in sensor coordinates
    x, y, z, w = Rotation.from_matrix(rows).as_quat()
    return np.array([w, x, y, z])


def _propagate(
    q: list[float], rates_rad_s: np.ndarray, dt_s: np.ndarray, up_in_sensor: np.ndarray, still: np.ndarray
) -> np.ndarray:
    """Quaternions ``[N + 1, 4]`` from ``q`` through ``N`` steps of body rate ``rates_rad_s`` ``[N, 3]`` over
    ``dt_s`` ``[N]`` (negative for backward steps); after step ``i`` the tilt is corrected when ``still[i]``,
    toward ``up_in_sensor[i]``. Plain floats: one step is a few microseconds."""
    w, x, y, z = q
    out = np.empty((len(dt_s) + 1, 4))
    out[0] = q
    for i, ((rx, ry, rz), dt, (ux, uy, uz), is_still) in enumerate(
        zip(rates_rad_s.tolist(), dt_s.tolist(), up_in_sensor.tolist(), still.tolist(), strict=True)
    ):
        rate = math.sqrt(rx * rx + ry * ry + rz * rz)
        if rate > 0.0:
            half = 0.5 * rate * dt
            s = math.sin(half) / rate
            dw, dx, dy, dz = math.cos(half), rx * s, ry * s, rz * s
            w, x, y, z = (
                w * dw - x * dx - y * dy - z * dz,
                w * dx + x * dw + y * dz - z * dy,
                w * dy - x * dz + y * dw + z * dx,
                w * dz + x * dy - y * dx + z * dw,
            )
        if is_still:
            # Measured up direction in the navigation frame: v = q u q*.
            vx = (1 - 2 * (y * y + z * z)) * ux + 2 * (x * y - w * z) * uy + 2 * (x * z + w * y) * uz
            vy = 2 * (x * y + w * z) * ux + (1 - 2 * (x * x + z * z)) * uy + 2 * (y * z - w * x) * uz
            vz = 2 * (x * z - w * y) * ux + 2 * (y * z + w * x) * uy + (1 - 2 * (x * x + y * y)) * uz
            sin_error = math.hypot(vx, vy)  # rotate v toward +Z about (vy, -vx, 0) / |.|
            if sin_error > 1e-12:
                half = 0.5 * TILT_GAIN * math.atan2(sin_error, vz)
                s = math.sin(half) / sin_error
                cw, cx, cy = math.cos(half), vy * s, -vx * s
                w, x, y, z = (
                    cw * w - cx * x - cy * y,
                    cw * x + cx * w + cy * z,
                    cw * y - cx * z + cy * w,
                    cw * z + cx * y - cy * x,
                )
        norm = math.sqrt(w * w + x * x + y * y + z * z)
        w, x, y, z = w / norm, x / norm, y / norm, z / norm
        out[i + 1] = (w, x, y, z)
    return out


def _pass(
    q0: np.ndarray,
    time_s: np.ndarray,
    up: np.ndarray,
    gyro_rad_s: np.ndarray,
    still: np.ndarray,
    anchor: int,
) -> np.ndarray:
    """Quaternions ``[T, 4]`` integrated from ``q0`` at sample ``anchor`` forward to the end and backward to
    the start (mid-point rate over each step), tilt-corrected on still samples."""
    mid_rates = 0.5 * (gyro_rad_s[1:] + gyro_rad_s[:-1])  # rate over step k -> k + 1
    dt_s = np.diff(time_s)
    forward = _propagate(list(q0), mid_rates[anchor:], dt_s[anchor:], up[anchor + 1 :], still[anchor + 1 :])
    backward = _propagate(
        list(q0), mid_rates[:anchor][::-1], -dt_s[:anchor][::-1], up[:anchor][::-1], still[:anchor][::-1]
    )
    return np.concatenate([backward[::-1][:-1], forward])


def _orientations(
    time_s: np.ndarray, acc_g: np.ndarray, gyro_rad_s: np.ndarray, still: np.ndarray, anchor: int
) -> Rotation:
    """Sensor → navigation orientation of every sample, integrated both ways from the still sample
    ``anchor``."""
    up = acc_g / np.linalg.norm(acc_g, axis=1, keepdims=True)
    q = _pass(_initial_quaternion(up[anchor]), time_s, up, gyro_rad_s, still, anchor)
    return Rotation.from_quat(q[:, [1, 2, 3, 0]])


def _zero_velocity_integral(values: np.ndarray, time_s: np.ndarray, still: np.ndarray) -> np.ndarray:
    """Integral ``[T, C]`` of ``values`` ``[T, C]`` over each moving run, zero on still samples.

    A run between two still runs starts at zero and its end value is removed as a linear ramp in time (it
    must end at zero); a run with a still neighbour on one side only is integrated from that side.
    """
    out = np.zeros_like(values)
    n = len(time_s)
    for start, stop, is_still in zip(*runs(still), strict=True):
        if is_still:
            continue
        first = start - 1 if start > 0 else None  # the still sample before the run
        last = stop if stop < n else None  # the still sample after it
        if first is not None:
            span = slice(first, stop + 1 if last is not None else stop)
            t = time_s[span]
            integral = cumulative_trapezoid(values[span], t, axis=0, initial=0.0)
            if last is not None:
                integral -= integral[-1] * ((t - t[0]) / (t[-1] - t[0]))[:, None]
            out[span] = integral
        elif last is not None:
            span = slice(start, last + 1)
            integral = cumulative_trapezoid(values[span], time_s[span], axis=0, initial=0.0)
            out[span] = integral - integral[-1]
    return out


def _floor_levelled(position_m: np.ndarray, time_s: np.ndarray, still: np.ndarray) -> np.ndarray:
    """Heights ``[T]`` with every still run at 0 and each swing's height error ramped out linearly."""
    raw = position_m[:, 2]
    height = raw.copy()
    n = len(time_s)
    for start, stop, is_still in zip(*runs(still), strict=True):
        if is_still:
            height[start:stop] = 0.0
            continue
        before = raw[start - 1] if start > 0 else None
        after = raw[stop] if stop < n else None
        t = time_s[start:stop]
        if before is not None and after is not None:
            t0, t1 = time_s[start - 1], time_s[stop]
            height[start:stop] -= before + (after - before) * (t - t0) / (t1 - t0)
        else:
            height[start:stop] -= before if before is not None else after
    return height


def quiet_standing(time_s: np.ndarray, gyro_dps: np.ndarray, still: np.ndarray) -> np.ndarray:
    """``[T]`` bool: the quiet runs of a segment: still, every gyro axis below ``BIAS_QUIET_DPS``, lasting
    at least ``BIAS_MIN_QUIET_S`` with a steady rate (``GYRO_QUIET_SPREAD_DPS``): standing, not a walking
    foot-flat."""
    quiet = still & (np.abs(gyro_dps) < BIAS_QUIET_DPS).all(axis=1)
    standing = np.zeros_like(quiet)
    for start, stop, value in zip(*runs(quiet), strict=True):
        if value and time_s[stop - 1] - time_s[start] >= BIAS_MIN_QUIET_S:
            rates = gyro_dps[start:stop]
            spread = 1.4826 * np.median(np.abs(rates - np.median(rates, axis=0)), axis=0)
            standing[start:stop] = spread.max() <= GYRO_QUIET_SPREAD_DPS
    return standing


def gyro_bias_dps(gyro_dps: np.ndarray, quiet: np.ndarray) -> np.ndarray:
    """``[3]`` gyro bias (deg/s): mean rate over the ``quiet`` samples (:func:`quiet_standing`), else 0."""
    return gyro_dps[quiet].mean(axis=0) if quiet.any() else np.zeros(3)


def acc_up_bias_g(acc_g: np.ndarray, quiet: np.ndarray) -> np.ndarray:
    """``[3]`` accelerometer bias (g) along the resting up direction: ``(median |a| - 1 g)`` over the
    ``quiet`` samples (:func:`quiet_standing`) times their mean unit reading; zeros without one, or when
    ``|a|`` there spreads by more than ``ACC_QUIET_SPREAD_G`` (not genuinely still)."""
    if not quiet.any():
        return np.zeros(3)
    at_rest = acc_g[quiet]
    magnitude = np.linalg.norm(at_rest, axis=1)
    median = float(np.median(magnitude))
    if 1.4826 * float(np.median(np.abs(magnitude - median))) > ACC_QUIET_SPREAD_G:
        return np.zeros(3)
    up = at_rest.mean(axis=0)
    return (median - 1.0) * up / np.linalg.norm(up)


def _across_up_basis(acc_g: np.ndarray, still: np.ndarray) -> np.ndarray:
    """``[3, 2]`` orthonormal sensor-frame axes across the mean resting up direction of the still samples."""
    up = acc_g[still].mean(axis=0)
    up /= np.linalg.norm(up)
    across = np.array([1.0, 0.0, 0.0]) - up[0] * up
    across /= np.linalg.norm(across)
    return np.stack([across, np.cross(up, across)], axis=1)


def swing_tilt_bias_dps(
    time_s: np.ndarray, acc_g: np.ndarray, gyro_dps: np.ndarray, still: np.ndarray
) -> np.ndarray:
    """``[S, 3]`` gyro bias (deg/s) across the resting up axis, one estimate per swing between two still runs.

    Each swing is integrated from the gyro alone, from the accelerometer's tilt at the last still sample
    before it through the first ``TILT_BIAS_COMPARE_S`` of the next still run; there, the tilt error
    ``phi`` (navigation frame, horizontal) against the accelerometer is ``M b`` with ``M`` the time integral
    of the orientation since the start. Only the two horizontal rows are observed, so ``b`` is solved on
    the two sensor axes across the resting up direction; the bias along it (heading, at rest) is not
    observable from the tilt and is left at 0.
    """
    if still.all() or not still.any():
        return np.zeros((0, 3))
    basis = _across_up_basis(acc_g, still)
    gyro_rad_s = np.radians(gyro_dps)
    n = len(time_s)
    window = samples_spanning(TILT_BIAS_COMPARE_S, time_s)
    starts, stops, values = runs(still)
    estimates = []
    for k, (start, stop, is_still) in enumerate(zip(starts, stops, values, strict=True)):
        if is_still or start == 0 or stop >= n:
            continue
        first = max(int(starts[k - 1]), start - window)  # the still run before, up to ``window`` of it
        end = min(int(stops[k + 1]), stop + window)  # the still run after
        t = time_s[first:end]
        mid_rates = 0.5 * (gyro_rad_s[first + 1 : end] + gyro_rad_s[first : end - 1])
        reference = acc_g[first:start].mean(axis=0)
        q = _propagate(
            list(_initial_quaternion(reference)),
            mid_rates,
            np.diff(t),
            np.zeros((len(t) - 1, 3)),
            np.zeros(len(t) - 1, dtype=bool),
        )
        rotation = Rotation.from_quat(q[:, [1, 2, 3, 0]]).as_matrix()
        integral = cumulative_trapezoid(rotation, t, axis=0, initial=0.0)
        force = np.einsum("lij,lj->li", rotation, acc_g[first:end])  # specific force, navigation frame, g
        before, after = slice(0, start - first), slice(stop - first, end - first)
        # mean horizontal specific force over a still run: (phi_y, -phi_x), the foot's own acceleration
        # averaging out; its change across the swing is the tilt the bias gathered
        change = force[after, :2].mean(axis=0) - force[before, :2].mean(axis=0)
        phi = np.array([-change[1], change[0]])
        system = (integral[after, :2, :].mean(axis=0) - integral[before, :2, :].mean(axis=0)) @ basis
        try:
            estimates.append(np.degrees(basis @ np.linalg.solve(system, phi)))
        except np.linalg.LinAlgError:
            continue
    return np.array(estimates).reshape(-1, 3)


def tilt_gyro_bias_dps(
    time_s: np.ndarray, acc_g: np.ndarray, gyro_dps: np.ndarray, still: np.ndarray
) -> np.ndarray:
    """``[3]`` gyro bias (deg/s) across the resting up axis: the median of :func:`swing_tilt_bias_dps`
    when the swings agree (``TILT_BIAS_*``), else 0."""
    estimates = swing_tilt_bias_dps(time_s, acc_g, gyro_dps, still)
    if len(estimates) < TILT_BIAS_MIN_SWINGS:
        return np.zeros(3)
    median = np.median(estimates, axis=0)
    size = float(np.linalg.norm(median))
    spread = float((1.4826 * np.median(np.abs(estimates - median), axis=0)).max())
    if size > TILT_BIAS_MAX_DPS or spread > TILT_BIAS_MAX_SPREAD * size:
        return np.zeros(3)
    return median


def _integrate_segment(
    time_s: np.ndarray,
    acc_g: np.ndarray,
    gyro_dps: np.ndarray,
    still: np.ndarray,
    zero_velocity: np.ndarray,
    flat_floor: bool,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Position ``[N, 3]``, velocity ``[N, 3]`` and heading ``[N]`` of one segment with a still sample;
    ``zero_velocity`` ``[N]`` holds ``still`` and the cut stances' moments (module docstring, step 6)."""
    quiet = quiet_standing(time_s, gyro_dps, still)
    bias_dps = gyro_bias_dps(gyro_dps, quiet)
    acc_g = acc_g - acc_up_bias_g(acc_g, quiet)
    if not quiet.any():
        bias_dps = tilt_gyro_bias_dps(time_s, acc_g, gyro_dps, still)
    anchor = int(np.argmax(still))
    orientation = _orientations(time_s, acc_g, np.radians(gyro_dps - bias_dps), still, anchor)
    free_acc_m_s2 = orientation.apply(acc_g * GRAVITY_MS2) + _GRAVITY_NAV
    velocity = _zero_velocity_integral(free_acc_m_s2, time_s, zero_velocity)
    position = cumulative_trapezoid(velocity, time_s, axis=0, initial=0.0)
    position -= position[anchor]
    if flat_floor:
        position[:, 2] = _floor_levelled(position, time_s, still)
    toes = orientation.apply(np.array([1.0, 0.0, 0.0]))
    return position, velocity, np.unwrap(np.arctan2(toes[:, 1], toes[:, 0]))


def track_foot(rec: InsoleRecording, side: str, *, flat_floor: bool = True) -> FootTrack:
    """The odometry of ``side``'s insole over the whole recording (module docstring for the method)."""
    foot = rec.foot(side)
    time_s = np.asarray(rec.time_s, dtype=float)
    n = rec.n_samples
    imu_missing = ~np.isfinite(np.concatenate([foot.acc_g, foot.gyro_dps], axis=1)).all(axis=1)
    position = np.full((n, 3), np.nan)
    velocity = np.full((n, 3), np.nan)
    heading = np.full(n, np.nan)
    still = np.zeros(n, dtype=bool)
    reset = np.zeros(n, dtype=bool)
    segment = np.full(n, -1)
    origin, start_heading = np.zeros(3), 0.0
    for start, stop in segment_spans(imu_missing, time_s):
        t = time_s[start:stop]
        acc = _bridged(foot.acc_g[start:stop] * REPORTED_ACC_SIGNS[side], t)
        gyro = _bridged(foot.gyro_dps[start:stop] * REPORTED_GYRO_SIGNS[side], t)
        force = foot.total_force_n[start:stop]
        if np.isfinite(force).any() and not np.isfinite(force).all():
            force = _bridged(force[:, None], t)[:, 0]
        rate_hz = median_rate_hz(t) if len(t) > 1 else 1.0
        rest = detect_rest(acc, gyro, force, rate_hz)
        seg_still = rest.still
        still[start:stop] = seg_still
        if not seg_still.any() or len(t) < 2:
            continue
        zero_velocity = seg_still | rest.cut_stance | rest.loaded_quiet
        reset[start:stop] = zero_velocity
        p, v, h = _integrate_segment(t, acc, gyro, seg_still, zero_velocity, flat_floor)
        anchor = int(np.argmax(seg_still))
        turn = start_heading - h[anchor] if segment.max() >= 0 else 0.0
        rotation = Rotation.from_euler("z", turn)
        position[start:stop] = origin + rotation.apply(p - p[anchor])
        velocity[start:stop] = rotation.apply(v)
        heading[start:stop] = h + turn
        segment[start:stop] = segment.max() + 1
        origin, start_heading = position[stop - 1].copy(), float(heading[stop - 1])
        if flat_floor:
            origin[2] = 0.0
    return FootTrack(side, time_s, position, velocity, heading, still, segment, reset)
