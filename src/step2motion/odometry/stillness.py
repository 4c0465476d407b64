"""When an insole lies still on the floor: the zero-velocity moments that foot odometry integrates between.

Why three signals, not force alone: the insole's IMU sits under the mid-foot. While the heel loads after
heel strike and while the heel rises before toe-off, the foot carries weight yet the chip still moves
(it rolls with the foot), so a force-only test would reset the velocity of a moving foot and lose part
of every stride. A sample is *still* when

* the foot is loaded: total force above ``STILL_FORCE_FRACTION`` of its loaded level (95th percentile);
  a foot without force data (pressure channels missing) skips this test;
* it hardly rotates: ``|ω| < STILL_GYRO_DPS``;
* it hardly accelerates: ``| |a| − 1 g | < STILL_ACC_DEVIATION_G`` (specific force ≈ gravity).

Flicker is removed afterwards: moving runs shorter than ``MIN_MOVING_S`` inside a still stretch are taken
as still (an impact spike at heel strike is not a stride), then still runs shorter than ``MIN_STILL_S``
are dropped (one quiet sample mid-swing is not foot-flat).

Fast walking and running: the foot-flat of a fast stance is short and the foot rolls through it, so the
three-signal test may find no still run in a whole stance, and the track then integrates open loop over
two strides or more (the reconstruction stops trusting it). Yet a foot that carries weight comes to rest
once in every stance; stride-event zero-velocity detectors take each stride's minimum of rotation as its
zero-velocity instant. So every stance of the pressure (:func:`step2motion.gait_events.detect_stance`)
that holds no still sample gets one still run of ``STANCE_MINIMUM_S`` centred on its *quietest* sample:
the minimum of the stillness score ``(|ω| / STILL_GYRO_DPS)² + ((|a| − 1 g) / STILL_ACC_DEVIATION_G)²``
averaged over ``SCORE_WINDOW_S`` (the three-signal test's thresholds as units: below 1-2 where that test
holds). Relaxed thresholds: the minimum must lie inside the stance (not at heel strike or toe-off) and
score at most ``STANCE_MAX_SCORE`` (a running mid-stance scores ~10-100: 100-150 deg/s, 0.3-1 g off;
what spins faster or shakes harder on a loaded foot is not at rest). A stance cut by the edge of the
recording counts only when ``MIN_CUT_STANCE_S`` of it were recorded (a shorter piece may be nothing but
a heel strike, the foot still moving fast). Stances with a still run keep exactly what the three-signal
test found, so slow walking is unchanged and heel-strike and heel-rise samples are still never taken as
still; without force data there are no stances and nothing is added.

A foot can also carry weight for long without coming to rest: stopping, rocking and turning about on
the spot, the foot rolls onto its heel or ball and pivots there, loaded and turning faster than a
foot-flat, for a second or two. A track integrated open loop that long drifts, and the reconstruction
stops trusting it. Yet such a foot hardly goes anywhere, and it comes close to rest between its rolls:
inside every loaded stretch without a still sample longer than ``LONG_LOADED_MOVE_S`` (longer than a
whole walking stance: a stance's stretches without one are shorter, or get its stance minimum above),
each local minimum of the stillness score of at most ``LOADED_MOVE_MAX_SCORE``, ``LOADED_MOVE_SPACING_S``
apart at least and not at the stretch's ends, is a zero-velocity moment of ``STANCE_MINIMUM_S``
(:attr:`Rest.loaded_quiet`). The foot is not flat there (on its heel or ball, turning), so, like the cut
stances below, these moments reset the velocity and nothing else: they are not *still*.

A stance the recording's edge cut may have its quietest recorded sample on the edge itself: a recording
that begins while a heel rises (or ends as a foot lands). That sample is not a foot-flat (the foot is on
its ball, or its heel, and may be turned out), so it is not *still*; but it is the stance's best guess
of zero velocity (:attr:`Rest.cut_stance`): without it the loaded foot's track would be integrated
one-sided from the next still moment, back through the swing, and any velocity left there would grow
unchecked (a loaded foot drawn high into the air). The odometry resets the velocity there and nothing else
(:mod:`~step2motion.odometry.strapdown`).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from scipy.ndimage import uniform_filter1d
from scipy.signal import find_peaks

from step2motion.gait_events import detect_stance, runs, set_short_runs

#: A foot is loaded above this fraction of its loaded level (95th percentile of its total force).
STILL_FORCE_FRACTION = 0.05
STILL_FORCE_PERCENTILE = 95.0
#: Largest angular rate of a still foot, deg/s.
STILL_GYRO_DPS = 40.0
#: Largest deviation of the specific force from 1 g for a still foot, g.
STILL_ACC_DEVIATION_G = 0.15
#: Shorter moving runs inside stillness are still; shorter still runs are moving.
MIN_MOVING_S = 0.08
MIN_STILL_S = 0.03
#: A stance without a still run: the stillness score is averaged over this window, s ...
SCORE_WINDOW_S = 0.05
#: ... its minimum may score at most this (1: on both thresholds of the three-signal test) ...
STANCE_MAX_SCORE = 100.0
#: ... and a still run this long is centred on it, s (an odd number of samples, at least 3).
STANCE_MINIMUM_S = 0.05
#: A stance cut by the edge of the recording counts when at least this much of it was recorded, s.
MIN_CUT_STANCE_S = 0.15
#: A loaded stretch without a still sample longer than this (a whole walking stance), s, gets
#: zero-velocity moments ...
LONG_LOADED_MOVE_S = 1.0
#: ... at the local minima of its stillness score of at most this (4: twice the still thresholds) ...
LOADED_MOVE_MAX_SCORE = 4.0
#: ... that lie this far from a quieter one at least, s.
LOADED_MOVE_SPACING_S = 0.2


def stillness_score(acc_g: np.ndarray, gyro_dps: np.ndarray, rate_hz: float) -> np.ndarray:
    """``[T]`` how far each sample is from rest, in units of the still thresholds (module docstring),
    averaged over ``SCORE_WINDOW_S``."""
    score = (np.linalg.norm(gyro_dps, axis=1) / STILL_GYRO_DPS) ** 2 + (
        (np.linalg.norm(acc_g, axis=1) - 1.0) / STILL_ACC_DEVIATION_G
    ) ** 2
    window = max(1, 2 * round(SCORE_WINDOW_S * rate_hz / 2) + 1)  # odd: centred
    return uniform_filter1d(score, window, mode="nearest")


def stance_minima(
    score: np.ndarray, stance: np.ndarray, still: np.ndarray, rate_hz: float, *, on_edge: bool = False
) -> np.ndarray:
    """``[T]`` bool: a still run of ``STANCE_MINIMUM_S`` around the minimum of ``score`` in every run of
    ``stance`` without a ``still`` sample (a run cut by an edge: if ``MIN_CUT_STANCE_S`` long), where that
    minimum lies inside the run (``on_edge``: instead, on the recording's edge that cut the run) and is at
    most ``STANCE_MAX_SCORE``."""
    out = np.zeros(score.size, dtype=bool)
    half = max(1, int(STANCE_MINIMUM_S * rate_hz) // 2)
    for start, stop, loaded in zip(*runs(stance), strict=True):
        cut = start == 0 or stop == stance.size
        if not loaded or still[start:stop].any() or (cut and stop - start < MIN_CUT_STANCE_S * rate_hz):
            continue
        k = start + int(np.argmin(score[start:stop]))
        placed = k in (0, stance.size - 1) if on_edge else start < k < stop - 1
        if placed and score[k] <= STANCE_MAX_SCORE:
            out[max(k - half, start) : min(k + half + 1, stop)] = True
    return out


def loaded_quiet_moments(
    score: np.ndarray, stance: np.ndarray, still: np.ndarray, rate_hz: float
) -> np.ndarray:
    """``[T]`` bool: a run of ``STANCE_MINIMUM_S`` around each local minimum of ``score`` of at most
    ``LOADED_MOVE_MAX_SCORE`` (``LOADED_MOVE_SPACING_S`` apart at least) inside every run of ``stance``
    without ``still`` longer than ``LONG_LOADED_MOVE_S``, the run around it lying inside too (module
    docstring)."""
    out = np.zeros(score.size, dtype=bool)
    half = max(1, int(STANCE_MINIMUM_S * rate_hz) // 2)
    spacing = max(1, round(LOADED_MOVE_SPACING_S * rate_hz))
    quiet, _ = find_peaks(-score, height=-LOADED_MOVE_MAX_SCORE, distance=spacing)
    for start, stop, moving in zip(*runs(stance & ~still), strict=True):
        if not moving or stop - start <= LONG_LOADED_MOVE_S * rate_hz:
            continue
        for k in quiet[(quiet > start + half) & (quiet < stop - 1 - half)]:
            out[k - half : k + half + 1] = True
    return out


class Rest(NamedTuple):
    """Where an insole rests on the floor (:func:`detect_rest`), ``[T]`` bool each: ``still``, the foot-flats
    (and stance minima) the odometry integrates between; ``cut_stance``, the zero-velocity moments of the
    stances the recording's edge cut that ``still`` leaves without one; ``loaded_quiet``, those of long
    loaded moves (module docstring; neither is a foot-flat)."""

    still: np.ndarray
    cut_stance: np.ndarray
    loaded_quiet: np.ndarray


def detect_rest(acc_g: np.ndarray, gyro_dps: np.ndarray, force_n: np.ndarray, rate_hz: float) -> Rest:
    """Where the insole is still on the floor, and the zero-velocity moments that are no foot-flats
    (:class:`Rest`).

    ``acc_g`` ``[T, 3]`` (g), ``gyro_dps`` ``[T, 3]`` (deg/s), ``force_n`` ``[T]`` (N), all finite except
    ``force_n``, which may be all ``NaN`` (no pressure data: the load test is skipped, and so are the
    stance minima and the other zero-velocity moments).
    """
    quiet = (np.linalg.norm(gyro_dps, axis=1) < STILL_GYRO_DPS) & (
        np.abs(np.linalg.norm(acc_g, axis=1) - 1.0) < STILL_ACC_DEVIATION_G
    )
    finite_force = force_n[np.isfinite(force_n)]
    if finite_force.size:
        loaded_level = np.percentile(finite_force, STILL_FORCE_PERCENTILE)
        quiet &= np.nan_to_num(force_n, nan=0.0) > STILL_FORCE_FRACTION * loaded_level
    still = set_short_runs(quiet, False, round(MIN_MOVING_S * rate_hz))
    still = set_short_runs(still, True, round(MIN_STILL_S * rate_hz))
    if not finite_force.size:
        return Rest(still, np.zeros(still.size, dtype=bool), np.zeros(still.size, dtype=bool))
    stance, score = detect_stance(force_n, rate_hz), stillness_score(acc_g, gyro_dps, rate_hz)
    still |= stance_minima(score, stance, still, rate_hz)
    return Rest(
        still,
        stance_minima(score, stance, still, rate_hz, on_edge=True),
        loaded_quiet_moments(score, stance, still, rate_hz),
    )


def detect_still(acc_g: np.ndarray, gyro_dps: np.ndarray, force_n: np.ndarray, rate_hz: float) -> np.ndarray:
    """``[T]`` bool: True where the insole is still on the floor (:attr:`Rest.still` of :func:`detect_rest`,
    same arguments)."""
    return detect_rest(acc_g, gyro_dps, force_n, rate_hz).still
