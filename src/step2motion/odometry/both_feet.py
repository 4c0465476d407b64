"""Both feet in one frame, and the pelvis path they imply.

Each foot's track (:func:`~step2motion.odometry.strapdown.track_foot`) starts at its own first still
moment with heading 0 along its own toe axis, so the two tracks differ by a rotation (the toe-out of each
foot, ~5-15° together) and by where the feet stood. Both feet travel the same path, a stance width apart
across the way they face, so the right track is rotated and moved onto the left one: a 2-D Kabsch fit of
the right foot's *gait-cycle average* (positions averaged over ``AVERAGE_WINDOW_S``, which removes the
half-cycle lag between the feet; a line fitted at the ends, so the average does not lag there) onto the
left one's moved ``STANCE_WIDTH_M`` to its right across the feet's heading at that moment, when both feet
travel at least ``MIN_TRAVEL_M`` (below that the rotation is not observable and only the start positions
are matched). The width turns with the walker: fitting the bare averages onto each other and setting the
feet apart across one heading afterwards put them twice the width apart on the way out and on top of
each other on the way back of a walk there and back (and the inner and outer foot's paths of a turn are
not a rigid move of each other, which turned the fit). The insoles cannot measure how far apart the feet
are: the width is a nominal one.

The pelvis path is the mean of the two feet's averaged tracks (one foot's, shifted to the middle, where
only one is tracked); its heading is the circular mean of the two feet's *planted* toe headings (their
toe-out angles cancel), averaged the same way. A foot's toe heading is read only while it stands still
(flat on the floor) and interpolated between its still moments: through the swing the foot pitches and
turns out at toe-off, and its toe axis swings tens of degrees about the walking direction, which a
one-stride average does not cancel, least at a recording's ends. There the average is held at the mean
of the first (last) window rather than the fitted line: the planted headings step once per stride, and a
line through the first steps, extrapolated to the edge, would carry one step's error onto the body's
initial heading. One foot often turns out more than the other, and then the mean toe heading is off the
walking direction by half the difference: where the recording walks straight ahead most of the time, the
heading is turned by the median angle between it and the pelvis' direction of travel there, in full while
the pelvis moves and faded out where it stands. Frame: the left foot's navigation frame (Z up,
:mod:`step2motion.odometry.strapdown`).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
from scipy.ndimage import uniform_filter1d
from scipy.signal import savgol_filter

from step2motion.gait_events import runs
from step2motion.odometry.strapdown import FootTrack, track_foot
from step2motion.recording import InsoleRecording, samples_spanning

#: Window of the gait-cycle average (about one stride), s.
AVERAGE_WINDOW_S = 1.0
#: Fewest metres both feet must travel for their relative rotation to be fitted.
MIN_TRAVEL_M = 1.0
#: Nominal distance between the two feet's mid-foot (insole chip) lines across the way they face, m: the
#: median over the training subjects' walks (across their mocap hips' heading; p10-p90 about 0.10-0.19).
STANCE_WIDTH_M = 0.13
#: Walking forward: the pelvis path faster than this, m/s, ...
FORWARD_MIN_SPEED_M_S = 0.3
#: ... and its direction within this of the toes' mean heading, rad; over at least ``FORWARD_MIN_S``, s.
FORWARD_MAX_RAD = np.radians(30.0)
FORWARD_MIN_S = 1.0
#: ... and at least this fraction of the recording: where walking straight is the lesser part (turning,
#: stepping about), the straight stretches are entries into and exits from turns, and the toes' heading
#: there was seen to lie several degrees off the one of steady walking.
FORWARD_MIN_FRACTION = 0.5
#: Walking straight: the heading turns slower than this, rad/s (on a curve the smoothed path and the
#: planted toes do not point the same way).
STRAIGHT_MAX_RAD_S = np.radians(10.0)


@dataclass(frozen=True)
class FeetOdometry:
    """Both feet's tracks in one frame, ``T`` samples of the recording.

    Attributes:
        left, right: the feet's tracks (the right one moved into the left one's frame).
        pelvis_xy_m: ``[T, 2]`` horizontal pelvis path, m (``NaN`` where neither foot is tracked).
        heading_rad: ``[T]`` walking heading (mean planted toe heading of both feet), rad.
        reconciled: True when the right track's rotation was fitted to the left's (enough travel).
    """

    left: FootTrack
    right: FootTrack
    pelvis_xy_m: np.ndarray
    heading_rad: np.ndarray
    reconciled: bool

    def foot(self, side: str) -> FootTrack:
        return self.left if side == "left" else self.right

    def moved(self, angle: float, shift_xy: np.ndarray) -> FeetOdometry:
        """Everything turned by ``angle`` (rad) about Z, then shifted horizontally by ``shift_xy`` ``[2]``."""
        return dataclasses.replace(
            self,
            left=_moved(self.left, angle, shift_xy),
            right=_moved(self.right, angle, shift_xy),
            pelvis_xy_m=_rotate(self.pelvis_xy_m, angle) + shift_xy,
            heading_rad=self.heading_rad + angle,
        )


def _nan_average(values: np.ndarray, window: int, end_order: int = 1) -> np.ndarray:
    """Centred moving average ``[T, C]`` over ``window`` samples within each run of finite rows (``NaN``
    stays ``NaN``); near a run's ends, where a centred window would be lopsided and lag, the polynomial of
    ``end_order`` fitted to the window at the end instead (Savitzky-Golay, which is the moving average
    inside): 1, a line, follows a trend to the edge; 0 holds the end window's mean."""
    out = np.full(values.shape, np.nan)
    finite = np.isfinite(values).all(axis=1)
    for start, stop, is_finite in zip(*runs(finite), strict=True):
        if not is_finite:
            continue
        length = min(window, stop - start)
        length -= 1 - length % 2  # odd
        run = values[start:stop]
        out[start:stop] = run if length < 3 else savgol_filter(run, length, end_order, axis=0, mode="interp")
    return out


def _kabsch_2d(source: np.ndarray, target: np.ndarray) -> tuple[float, np.ndarray]:
    """Angle (rad) and translation ``[2]`` of the rotation + shift best mapping ``source`` onto ``target``."""
    source_mean, target_mean = source.mean(axis=0), target.mean(axis=0)
    a, b = source - source_mean, target - target_mean
    angle = float(np.arctan2(np.sum(a[:, 0] * b[:, 1] - a[:, 1] * b[:, 0]), np.sum(a * b)))
    return angle, target_mean - _rotate(source_mean[None], angle)[0]


def _rotate(xy: np.ndarray, angle: float) -> np.ndarray:
    c, s = np.cos(angle), np.sin(angle)
    return xy @ np.array([[c, s], [-s, c]])


def _moved(track: FootTrack, angle: float, shift_xy: np.ndarray) -> FootTrack:
    """``track`` rotated by ``angle`` about Z, then shifted horizontally by ``shift_xy``."""
    position = track.position_m.copy()
    velocity = track.velocity_m_s.copy()
    position[:, :2] = _rotate(position[:, :2], angle) + shift_xy
    velocity[:, :2] = _rotate(velocity[:, :2], angle)
    return dataclasses.replace(
        track, position_m=position, velocity_m_s=velocity, heading_rad=track.heading_rad + angle
    )


def _travel_m(xy: np.ndarray) -> float:
    finite = xy[np.isfinite(xy).all(axis=1)]
    return float(np.linalg.norm(finite - finite[0], axis=1).max()) if len(finite) else 0.0


def combine_feet(left: FootTrack, right: FootTrack) -> FeetOdometry:
    """Both tracks in the left one's frame and the pelvis path (module docstring)."""
    window = samples_spanning(AVERAGE_WINDOW_S, left.time_s)
    mean_left = _nan_average(left.position_m[:, :2], window)
    mean_right = _nan_average(right.position_m[:, :2], window)
    both = np.isfinite(mean_left).all(axis=1) & np.isfinite(mean_right).all(axis=1)
    reconciled = bool(both.sum() >= 2 and min(_travel_m(mean_left), _travel_m(mean_right)) >= MIN_TRAVEL_M)
    left_heading = _planted_heading(left)
    # the right foot's average belongs a stance width right of the left one's, across the way the feet
    # face (read with the right track turned by a first fit of the bare averages)
    turn = _kabsch_2d(mean_right[both], mean_left[both])[0] if reconciled else 0.0
    to_right = _to_right(_circular_mean(left_heading, _planted_heading(right) + turn))
    target = mean_left + STANCE_WIDTH_M * to_right
    if reconciled:
        angle, shift = _kabsch_2d(mean_right[both], target[both])
    elif both.any():
        first = int(np.argmax(both))
        angle, shift = 0.0, target[first] - mean_right[first]
    else:
        angle, shift = 0.0, np.zeros(2)
    right = _moved(right, angle, shift)
    mean_right = _rotate(mean_right, angle) + shift  # the average of the moved track (a linear filter)
    heading = _circular_mean(left_heading, _planted_heading(right))
    # the middle of the two averages; one foot alone lies half a stance width off it
    half = 0.5 * STANCE_WIDTH_M * to_right
    pelvis = np.where(np.isfinite(mean_left), mean_left + half, mean_right - half)
    pelvis = np.where(both[:, None], 0.5 * (mean_left + mean_right), pelvis)
    heading_xy = _nan_average(np.stack([np.cos(heading), np.sin(heading)], axis=1), window, end_order=0)
    heading = np.arctan2(heading_xy[:, 1], heading_xy[:, 0])
    heading += _toe_out_correction_rad(left.time_s, pelvis, heading, window)
    return FeetOdometry(left, right, pelvis, heading, reconciled)


def _to_right(heading_rad: np.ndarray) -> np.ndarray:
    """``[T, 2]`` unit vectors to the right of headings ``[T]`` (rad), interpolated across missing ones
    and held beyond the first and last known (heading 0's right, -Y, without any)."""
    known = np.flatnonzero(np.isfinite(heading_rad))
    if not known.size:
        return np.tile([0.0, -1.0], (heading_rad.size, 1))
    index = np.arange(heading_rad.size)
    right = np.column_stack([np.sin(heading_rad[known]), -np.cos(heading_rad[known])])
    right = np.column_stack([np.interp(index, known, right[:, 0]), np.interp(index, known, right[:, 1])])
    # (where the headings either side point opposite ways the mean is no direction: no width there)
    return right / np.maximum(np.linalg.norm(right, axis=1, keepdims=True), 1e-9)


def _toe_out_correction_rad(
    time_s: np.ndarray, pelvis_xy_m: np.ndarray, heading_rad: np.ndarray, window: int
) -> np.ndarray:
    """``[T]`` what to add to the toes' mean heading (rad) so that, while walking, it points where the pelvis
    goes (module docstring): the median of the direction of travel minus the heading over the samples where
    the pelvis walks straight ahead (faster than :data:`FORWARD_MIN_SPEED_M_S`, within
    :data:`FORWARD_MAX_RAD` of the heading, turning slower than :data:`STRAIGHT_MAX_RAD_S`; at least
    :data:`FORWARD_MIN_S` and :data:`FORWARD_MIN_FRACTION` of the recording, else no correction), faded in
    and out over ``window`` samples with the pelvis' moving (standing feet point where they like)."""
    if time_s.size < 2:
        return np.zeros(time_s.size)
    velocity = np.gradient(pelvis_xy_m, time_s, axis=0)
    with np.errstate(invalid="ignore"):
        moving = np.linalg.norm(velocity, axis=1) > FORWARD_MIN_SPEED_M_S
        off = np.angle(np.exp(1j * (np.arctan2(velocity[:, 1], velocity[:, 0]) - heading_rad)))
        cos, sin = np.cos(heading_rad), np.sin(heading_rad)
        turn_rate = cos * np.gradient(sin, time_s) - sin * np.gradient(cos, time_s)  # rad/s, NaN stays local
        straight = np.abs(turn_rate) < STRAIGHT_MAX_RAD_S
        forward = moving & straight & (np.abs(off) < FORWARD_MAX_RAD)
    if forward.sum() < max(samples_spanning(FORWARD_MIN_S, time_s), FORWARD_MIN_FRACTION * time_s.size):
        return np.zeros(time_s.size)
    return float(np.median(off[forward])) * uniform_filter1d(moving.astype(float), window, mode="nearest")


def _planted_heading(track: FootTrack) -> np.ndarray:
    """``[T]`` the toe heading of ``track`` read only while the foot is still (flat on the floor; module
    docstring), interpolated in time between still samples (taken the short way round: the unwrapped
    heading may gain a full turn in a swing) and held before the first and after the last one, per
    segment; ``NaN`` where untracked or in a segment without a still sample."""
    out = np.full(track.time_s.size, np.nan)
    for segment in np.unique(track.segment[track.tracked]):
        indices = np.flatnonzero(track.segment == segment)
        still = indices[track.still[indices] & np.isfinite(track.heading_rad[indices])]
        if still.size:
            planted = np.unwrap(track.heading_rad[still])
            out[indices] = np.interp(track.time_s[indices], track.time_s[still], planted)
    return out


def _circular_mean(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Per-sample circular mean of two headings (rad); one where the other is ``NaN``."""
    x = np.nansum(np.stack([np.cos(a), np.cos(b)]), axis=0)
    y = np.nansum(np.stack([np.sin(a), np.sin(b)]), axis=0)
    out = np.arctan2(y, x)
    return np.where(np.isfinite(a) | np.isfinite(b), out, np.nan)


def track_feet(rec: InsoleRecording) -> FeetOdometry:
    """Odometry of both insoles of ``rec`` in one frame, with the pelvis path."""
    return combine_feet(track_foot(rec, "left"), track_foot(rec, "right"))
