"""The root's horizontal path and heading from foot odometry instead of the root network.

The root network integrates predicted per-frame moves open loop, so its errors add up (it walks a real
10-s walk less than half as far as the insoles' own IMUs say). The feet's odometry
(:mod:`step2motion.odometry`) measures where each foot goes, stride by stride; its pelvis path and
walking heading place the root directly (:func:`odometry_root_path`), in the odometry's own frame, so
that the feet's tracks (:mod:`~step2motion.reconstruction.odometry_feet`) are in the same frame as the
body.

What is trusted (:func:`reliable_feet`): zero-velocity odometry is only as good as its zero-velocity
moments (the foot-flats, and a loaded foot's quiet moments: :attr:`FootTrack.velocity_reset`). A
foot that moves for long without one (dancing, running, a foot off the floor while sitting; a walking
swing with its heel strike and roll-over lasts about a second) integrates its accelerometer open loop for
that long, and its track ends up metres off. Between two still moments the velocity error is ramped out,
so up to :data:`MAX_MOVING_S` is trusted; a longer stretch there would shift everything after it. So would a
stretch in which the foot turns faster than :data:`MAX_TRUSTED_GYRO_DPS` (a kick, a spin on one foot): the
ramp assumes a steady error, and such a swing's tilt error is not steady (about 15° between two samples at
100 Hz, and every percent of gyro scale error is tens of degrees per second), so gravity leaks into the track
and its stride comes out a metre or more off. So the recording is cut there: the stretches where either foot
moves too long or too fast are left out and the odometry is
computed afresh on each piece between them (:func:`trusted_pieces`), so that one such stretch in an hour
does not cost the whole hour its odometry. Before the first or after the last still moment of a piece's
track, integrated from one side only, a stretch longer than :data:`MAX_OPEN_END_S` is dropped (those
samples become untracked). A piece is only used when its two feet's tracks could be put in one frame
(:attr:`FeetOdometry.reconciled`: enough travel), because otherwise the feet say nothing reliable about
heading. Each piece has a frame of its own; the network's moves carry the body across the stretch before
it, and the piece is turned and moved to go on from where they arrive (one frame for all pieces). Without
any trusted piece the network's moves are kept. Frames the odometry cannot place (neither foot tracked)
follow the network's moves from the nearest placed frame (the one before them; the first placed one for
frames before it).

Frames: odometry is Z up (x, y horizontal, heading counter-clockwise from +x); motion is Y up with
yaw the rotation about +Y that turns +Z into the facing direction. Odometry (x, y, z) is motion
(x, z, −y) (:func:`to_motion_frame`), so an odometry heading ``h`` faces motion direction
(cos h, −sin h) and has yaw ``atan2(cos h, −sin h)`` (:func:`motion_yaw_rad`). The root's height is not
the odometry's business (the pelvis height is set from the pose and the planted feet).
"""

from __future__ import annotations

import dataclasses
from typing import NamedTuple

import numpy as np
from scipy.ndimage import uniform_filter1d

from step2motion.dataset.pose_features import integrate_root
from step2motion.gait_events import runs
from step2motion.heading import rotate_about_y
from step2motion.odometry.both_feet import FeetOdometry, combine_feet
from step2motion.odometry.strapdown import FootTrack, track_foot
from step2motion.recording import SIDES, InsoleRecording, samples_spanning

#: Longest a foot may move between two still moments for its track to be trusted, s (the velocity error
#: of such a stretch is ramped out, :mod:`~step2motion.odometry.strapdown`) ...
MAX_MOVING_S = 2.0
#: ... and before its first or after its last still moment, integrated from one side only, s.
MAX_OPEN_END_S = 1.5
#: ... nor a moving stretch in which the foot turns faster than this, deg/s (module docstring): far above
#: any walking or running swing, and where the stride errors of the training subjects' simulated clips
#: jump (``benchmarks/foot_odometry.py``, table "Stride length error by the foot's peak rotation rate").
MAX_TRUSTED_GYRO_DPS = 1500.0
#: The odometry's walking heading is smooth; the pelvis turns to and fro within every stride, which the
#: network's yaw follows. Its part faster than a moving average over this window (about a gait cycle), s,
#: is added to the odometry's heading.
PELVIS_SWING_WINDOW_S = 1.0


def _without_untrusted_moves(track: FootTrack, too_fast: np.ndarray) -> tuple[FootTrack, np.ndarray]:
    """``track`` with its moving stretches (between velocity resets) that last too long or hold a sample of
    ``too_fast`` ``[T]`` (bool) untracked, and ``[T]`` bool marking those that lie between two resets
    (module docstring)."""
    drop = np.zeros(track.time_s.size, dtype=bool)
    interior_long = np.zeros(track.time_s.size, dtype=bool)
    for segment in np.unique(track.segment[track.tracked]):
        indices = np.flatnonzero(track.segment == segment)
        time_s, reset = track.time_s[indices], track.velocity_reset[indices]
        for start, stop, is_reset in zip(*runs(reset), strict=True):
            interior = start > 0 and stop < indices.size
            duration_s = time_s[min(stop, indices.size - 1)] - time_s[max(start - 1, 0)]
            short = duration_s <= (MAX_MOVING_S if interior else MAX_OPEN_END_S)
            if is_reset or (short and not too_fast[indices[start:stop]].any()):
                continue
            interior_long[indices[start:stop]] = interior
            drop[indices[start:stop]] = True
    if not drop.any():
        return track, interior_long
    nan3 = np.where(drop[:, None], np.nan, 1.0)
    return (
        dataclasses.replace(
            track,
            position_m=track.position_m * nan3,
            velocity_m_s=track.velocity_m_s * nan3,
            heading_rad=np.where(drop, np.nan, track.heading_rad),
            still=track.still & ~drop,
            segment=np.where(drop, -1, track.segment),
            velocity_reset=track.velocity_reset & ~drop,
        ),
        interior_long,
    )


def _too_fast(gyro_dps: np.ndarray) -> np.ndarray:
    """``[T]`` bool: samples whose angular rate ``[T, 3]`` exceeds :data:`MAX_TRUSTED_GYRO_DPS` (missing
    ones do not)."""
    return np.linalg.norm(np.nan_to_num(gyro_dps), axis=-1) > MAX_TRUSTED_GYRO_DPS


def trusted_pieces(rec: InsoleRecording, first_sample: int = 0) -> list[tuple[int, FeetOdometry]]:
    """The reconciled both-feet odometry of each piece of ``rec`` between the stretches where a foot moves
    too long or too fast between two still moments (module docstring), in time order, each with the index
    of its first sample (counted from ``first_sample``, which ``rec``'s first sample has)."""
    trimmed = [
        _without_untrusted_moves(track_foot(rec, side), _too_fast(rec.foot(side).gyro_dps)) for side in SIDES
    ]
    cut = trimmed[0][1] | trimmed[1][1]
    if not cut.any():
        feet = combine_feet(*(track for track, _ in trimmed))
        return [(first_sample, feet)] if feet.reconciled else []
    return [
        piece
        for start, stop, is_cut in zip(*runs(cut), strict=True)
        if not is_cut and stop - start > 1
        for piece in trusted_pieces(rec.take(slice(start, stop)), first_sample + start)
    ]


def reliable_feet(
    rec: InsoleRecording, frame_time_s: np.ndarray, network_root_motion: np.ndarray
) -> FeetOdometry | None:
    """Both feet's odometry of ``rec`` in one frame, restricted to what is trusted, its pieces joined by
    the network's moves ``[n, 4]`` at ``frame_time_s`` ``[n]`` (module docstring); None when no piece can
    place the root. Each piece is looked at on its own frames only, so the work grows with the recording,
    not with the recording times its pieces."""
    pieces = trusted_pieces(rec)
    if not pieces:
        return None
    network_m, network_yaw = integrate_root(network_root_motion, np.zeros(3), 0.0)
    swing = pelvis_swing_rad(network_yaw, frame_time_s)
    placed, segments = _empty_feet(rec.time_s), 0
    leave: tuple[int, np.ndarray, float] | None = None  # the last placed frame: index, position, yaw
    for first_sample, piece in pieces:
        lo, hi = np.searchsorted(frame_time_s, piece.left.time_s[[0, -1]], side="left")
        position, yaw, known = odometry_pelvis(piece, frame_time_s[lo : hi + 1])
        if not known.any():  # between two frames: it cannot be placed, so its feet are not used either
            continue
        arrive = int(np.argmax(known))
        turn, shift = 0.0, np.zeros(3)
        if leave is not None:
            # the network carries the placed root (swing included, as odometry_root_path bridges) from the
            # last frame it knows to the piece's first
            frame, leave_position, leave_yaw = leave
            to_placed = leave_yaw + swing[frame] - network_yaw[frame]
            target = leave_position + _turned(network_m[lo + arrive] - network_m[frame], to_placed)
            turn = float(to_placed + network_yaw[lo + arrive] - swing[lo + arrive] - yaw[arrive])
            shift = target - _turned(position[arrive], turn)
            piece = piece.moved(turn, np.array([shift[0], -shift[2]]))  # motion (x, z) = odometry (x, -y)
        last = int(np.flatnonzero(known)[-1])
        leave = (lo + last, _turned(position[last], turn) + shift, float(yaw[last] + turn))
        segments = _put(placed, first_sample, piece, segments)
    return placed if leave is not None else None


def _turned(vector: np.ndarray, yaw_rad: float) -> np.ndarray:
    """One motion-frame vector ``[3]`` turned about +Y by ``yaw_rad`` (a turn by θ there turns the odometry
    frame by θ about Z: :func:`to_motion_frame`)."""
    return rotate_about_y(vector[None], np.array([yaw_rad]))[0]


def _empty_track(side: str, time_s: np.ndarray) -> FootTrack:
    n = time_s.size
    nan3 = np.full((n, 3), np.nan)
    return FootTrack(
        side,
        time_s,
        nan3,
        nan3.copy(),
        np.full(n, np.nan),
        np.zeros(n, bool),
        np.full(n, -1),
        np.zeros(n, bool),
    )


def _empty_feet(time_s: np.ndarray) -> FeetOdometry:
    """Untracked feet on ``time_s`` (what pieces are put into)."""
    left, right = (_empty_track(side, time_s) for side in SIDES)
    return FeetOdometry(left, right, np.full((time_s.size, 2), np.nan), np.full(time_s.size, np.nan), True)


def _put(feet: FeetOdometry, first_sample: int, piece: FeetOdometry, segments: int) -> int:
    """Write ``piece`` into ``feet``'s arrays (in place) from sample ``first_sample`` on, its track
    segments numbered from ``segments`` on; the number of segments then used."""
    span = slice(first_sample, first_sample + piece.pelvis_xy_m.shape[0])
    used = segments
    for side in SIDES:
        track, new = feet.foot(side), piece.foot(side)
        for name in ("position_m", "velocity_m_s", "heading_rad", "still", "velocity_reset"):
            getattr(track, name)[span] = getattr(new, name)
        track.segment[span] = np.where(new.segment >= 0, new.segment + segments, -1)
        used = max(used, segments + int(new.segment.max()) + 1)
    feet.pelvis_xy_m[span], feet.heading_rad[span] = piece.pelvis_xy_m, piece.heading_rad
    return used


def to_motion_frame(odometry_m: np.ndarray) -> np.ndarray:
    """Points ``[..., 3]`` of the odometry frame (Z up) in the motion frame (Y up): (x, z, −y)."""
    return np.stack([odometry_m[..., 0], odometry_m[..., 2], -odometry_m[..., 1]], axis=-1)


def motion_yaw_rad(heading_rad: np.ndarray) -> np.ndarray:
    """Motion yaw (about +Y, from +Z) of an odometry heading (about +Z, from +X)."""
    return np.arctan2(np.cos(heading_rad), -np.sin(heading_rad))


def at_frames(sample_time_s: np.ndarray, values: np.ndarray, frame_time_s: np.ndarray) -> np.ndarray:
    """``values`` ``[T, C]`` on ``sample_time_s`` linearly interpolated at ``frame_time_s`` ``[n]``;
    ``NaN`` outside the samples and next to ``NaN`` samples."""
    return np.stack(
        [np.interp(frame_time_s, sample_time_s, column, left=np.nan, right=np.nan) for column in values.T],
        axis=1,
    )


def heading_at_frames(
    sample_time_s: np.ndarray, heading_rad: np.ndarray, frame_time_s: np.ndarray
) -> np.ndarray:
    """Headings ``[T]`` (rad) interpolated on the unit circle at ``frame_time_s`` (``NaN`` where unknown)."""
    unit = at_frames(sample_time_s, np.column_stack([np.cos(heading_rad), np.sin(heading_rad)]), frame_time_s)
    return np.arctan2(unit[:, 1], unit[:, 0])


def odometry_pelvis(
    feet: FeetOdometry, frame_time_s: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The odometry's pelvis at ``frame_time_s`` ``[n]`` (s on the tracks' clock) in the motion frame:
    position ``[n, 3]`` (height 0), yaw ``[n]`` (rad, unwrapped over the known frames) and which frames
    are known ``[n]`` (bool; elsewhere position and yaw are ``NaN``)."""
    time_s = feet.left.time_s
    pelvis = at_frames(time_s, feet.pelvis_xy_m, frame_time_s)
    heading = heading_at_frames(time_s, feet.heading_rad, frame_time_s)
    known = np.isfinite(pelvis).all(axis=1) & np.isfinite(heading)
    position = to_motion_frame(np.column_stack([pelvis, np.zeros(len(pelvis))]))
    yaw = np.full(len(heading), np.nan)
    yaw[known] = np.unwrap(motion_yaw_rad(heading[known]))
    position[~known] = np.nan
    return position, yaw, known


def pelvis_swing_rad(yaw_rad: np.ndarray, time_s: np.ndarray) -> np.ndarray:
    """The part of yaws ``[n]`` (rad, unwrapped) that swings within a stride: ``yaw_rad`` minus its centred
    moving average over :data:`PELVIS_SWING_WINDOW_S` (about one gait cycle)."""
    window = samples_spanning(PELVIS_SWING_WINDOW_S, time_s)
    return yaw_rad - uniform_filter1d(yaw_rad, window, mode="nearest")


class RootPath(NamedTuple):
    """The root on each frame (:func:`odometry_root_path`): positions ``[n, 3]`` (height 0), yaws ``[n]``
    (rad) and which frames the odometry placed ``[n]`` (bool; elsewhere the network's moves carried it)."""

    position_m: np.ndarray
    yaw_rad: np.ndarray
    placed: np.ndarray


def odometry_root_path(
    feet: FeetOdometry, frame_time_s: np.ndarray, network_root_motion: np.ndarray
) -> RootPath | None:
    """The root at ``frame_time_s`` in the odometry's frame (module docstring) from :func:`reliable_feet`,
    the network's moves ``[n, 4]`` where the odometry has no pelvis; None when fewer than two frames are
    known."""
    position, yaw, known = odometry_pelvis(feet, frame_time_s)
    if known.sum() < 2:
        return None
    network_m, network_yaw = integrate_root(network_root_motion, np.zeros(3), 0.0)
    yaw[known] += pelvis_swing_rad(network_yaw, frame_time_s)[known]
    network_m[:, 1] = 0.0
    first_known = int(np.argmax(known))
    for start, stop, is_known in zip(*runs(known), strict=True):
        if is_known:
            continue
        anchor = start - 1 if start > 0 else first_known
        turn = yaw[anchor] - network_yaw[anchor]
        span = slice(start, stop)
        position[span] = position[anchor] + rotate_about_y(
            network_m[span] - network_m[anchor], np.full(stop - start, turn)
        )
        yaw[span] = network_yaw[span] + turn
    return RootPath(position, yaw, known)
