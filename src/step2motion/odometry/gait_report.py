"""Walking report of an insole recording from foot odometry: strides, distance, speed and cadence per foot.

Why: each insole's IMU, integrated between the moments its foot lies still (zero-velocity odometry,
:mod:`step2motion.odometry.strapdown`), says how far and where each foot went, with no model and no
training. This module turns the two feet's tracks into the numbers a gait report gives, as one plain
JSON-ready ``dict`` (``float``/``int``/``str``/``bool``/lists; a value that is not defined is ``None``,
never ``NaN``, which JSON cannot hold).

Definitions (also written into the report under ``"definitions"``, :data:`DEFINITIONS`):

* a **stride** runs from the middle of one foot-flat (still) moment of a foot to the middle of its next
  one in the same track segment (:func:`~step2motion.odometry.strides.foot_strides`): one gait cycle, two
  steps; its length is the horizontal distance between the two still positions;
* a stride is **steady** when neither of its still moments is standing at an end of a track and it lasts
  no longer than a gait cycle can (:attr:`~step2motion.odometry.strides.Stride.steady`): the step out of
  standing and the step into it also contain standing time, and a longer one several cycles or a stretch
  without a still moment, so they would bias times, cadence and speed;
* per foot, **distance** is the sum of all its stride lengths, **stride length / time, stance, swing,
  clearance** are medians over its steady strides (all strides when none is steady; medians are robust to a
  stride broken by a stop or a turn on the spot),
  **total turn** is the sum of the strides' heading changes (counter-clockwise seen from above, i.e. a
  left turn, positive) and **cadence** is ``120 / median stride time`` (steps per minute);
* overall, **distance** is the mean of the two feet's distances (the one available when only one foot
  has a track), **speed** is the total length over the total time of both feet's steady strides,
  **cadence** the mean of the feet's cadences.

Conventions: metres, seconds, degrees; times on the recording's own time axis (``rec.time_s`` as is);
stance and swing from the pressure stance of each foot
(:func:`~step2motion.gait_events.detect_stance`), ``None`` for a foot without force data. A foot with
no tracked sample (no IMU data, or never still) has ``distance_m`` ``None``; a tracked foot without
strides has distance 0 and ``None`` medians.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from step2motion.gait_events import MAX_STRIDE_S, detect_stance
from step2motion.odometry.both_feet import FeetOdometry, track_feet
from step2motion.odometry.strapdown import FootTrack
from step2motion.odometry.strides import Stride, foot_strides
from step2motion.recording import SIDES, InsoleRecording

#: Steps per stride: cadence in steps/min is ``STEPS_PER_STRIDE × 60 / stride time``.
STEPS_PER_STRIDE = 2
#: Decimals kept in the report (µm, µs): beyond any resolution of the method, and short to read.
DECIMALS = 6

DEFINITIONS: dict[str, str] = {
    "duration_s": "length of the recording by its time stamps, s (first sample to the end of the last)",
    "start_s, end_s": "first and last sample time of the recording, s, on its own time axis",
    "stride": "one gait cycle of one foot: from the middle of a foot-flat (still) moment to the middle of "
    "the foot's next one",
    "stride.start_s, stride.end_s": "stride start and end, s, on the recording's time axis",
    "stride.length_m": "horizontal distance between the foot's still positions at the stride's ends, m",
    "stride.heading_change_deg": "change of the toe axis' yaw over the stride, deg, left turn positive",
    "stride.clearance_m": "highest rise of the insole's mid-foot chip during the stride above its height at "
    "the start, m",
    "stride.duration_s": "end_s - start_s, s",
    "stride.steady": "true when neither end of the stride is standing at the start or end of a track and it "
    f"lasts at most {MAX_STRIDE_S:g} s (longer: several cycles, or a stretch without a still moment)",
    "stride.stance_s, stride.swing_s": "time within the stride with the foot loaded / unloaded (pressure "
    "stance), s; null without force data",
    "foot.n_strides": "number of strides of the foot (n_steady_strides of them steady)",
    "foot.tracked_fraction": "share of the recording's samples with an odometry position for the foot",
    "foot.distance_m": "sum of the foot's stride lengths, m; null when the foot has no track",
    "foot.stride_length_m, stride_time_s, stance_s, swing_s, clearance_m": "medians over the foot's "
    "steady strides (all strides when none is steady), m or s",
    "foot.heading_change_deg": "sum of the strides' heading changes (total turn), deg, left turn positive",
    "foot.cadence_steps_per_min": "120 / median stride time (two steps per stride), steps/min",
    "distance_m": "mean of the two feet's distances (the one available when only one has a track), m",
    "speed_m_s": "total length / total time of both feet's steady strides, m/s",
    "cadence_steps_per_min": "mean of the two feet's cadences, steps/min",
    "left_right_distance_ratio": "left foot's distance / right foot's distance",
    "reconciled": "true when the right foot's track was rotated onto the left one's by fitting their paths "
    "(enough travel); false when only their start positions were matched",
}


def _number(value: float) -> float | None:
    """``value`` as a plain float rounded to ``DECIMALS``, ``None`` when it is not finite."""
    value = float(value)
    return round(value, DECIMALS) if math.isfinite(value) else None


def _median(values: list[float]) -> float | None:
    """Median of the finite ``values``; ``None`` when there is none."""
    finite = [v for v in values if math.isfinite(v)]
    return _number(np.median(finite)) if finite else None


def _ratio(numerator: float | None, denominator: float | None) -> float | None:
    """``numerator / denominator``; ``None`` when either is missing or the denominator is not positive."""
    if numerator is None or denominator is None or denominator <= 0.0:
        return None
    return _number(numerator / denominator)


def _mean(values: list[float | None]) -> float | None:
    """Mean of the values that are not ``None``; ``None`` when there is none."""
    present = [v for v in values if v is not None]
    return _number(np.mean(present)) if present else None


def _stride_entry(stride: Stride) -> dict[str, float | None]:
    return {
        "start_s": _number(stride.start_s),
        "end_s": _number(stride.end_s),
        "length_m": _number(stride.length_m),
        "heading_change_deg": _number(stride.heading_change_deg),
        "clearance_m": _number(stride.clearance_m),
        "duration_s": _number(stride.duration_s),
        "stance_s": _number(stride.stance_s),
        "swing_s": _number(stride.swing_s),
        "steady": stride.steady,
    }


def strides_of(rec: InsoleRecording, track: FootTrack) -> list[Stride]:
    """The strides of ``track`` (one foot of ``rec``), with stance and swing from the foot's force when the
    recording has any."""
    force_n = rec.foot(track.side).total_force_n
    stance = detect_stance(force_n, rec.rate_hz) if np.isfinite(force_n).any() else None
    return foot_strides(track, stance)


def foot_report(track: FootTrack, strides: list[Stride]) -> dict[str, Any]:
    """The ``"left"`` / ``"right"`` part of :func:`gait_report` (module docstring for the definitions)."""
    typical = [s for s in strides if s.steady] or strides
    stride_time = _median([s.duration_s for s in typical])
    return {
        "strides": [_stride_entry(s) for s in strides],
        "n_strides": len(strides),
        "n_steady_strides": sum(s.steady for s in strides),
        "tracked_fraction": _number(track.tracked.mean()) if track.tracked.size else 0.0,
        "distance_m": _number(sum(s.length_m for s in strides)) if track.tracked.any() else None,
        "stride_length_m": _median([s.length_m for s in typical]),
        "stride_time_s": stride_time,
        "stance_s": _median([s.stance_s for s in typical]),
        "swing_s": _median([s.swing_s for s in typical]),
        "clearance_m": _median([s.clearance_m for s in typical]),
        "heading_change_deg": _number(sum(s.heading_change_deg for s in strides)),
        "cadence_steps_per_min": _ratio(STEPS_PER_STRIDE * 60.0, stride_time),
    }


def gait_report(rec: InsoleRecording, feet: FeetOdometry | None = None) -> dict[str, Any]:
    """The walking report of ``rec`` (module docstring); ``feet`` is its odometry when already computed."""
    if feet is None:
        feet = track_feet(rec)
    strides = {side: strides_of(rec, feet.foot(side)) for side in SIDES}
    per_foot = {side: foot_report(feet.foot(side), strides[side]) for side in SIDES}
    pooled = [s for s in strides["left"] + strides["right"] if s.steady]
    has_time = rec.n_samples > 0
    return {
        "source": rec.source,
        "duration_s": _number(rec.duration_s),
        "start_s": _number(rec.time_s[0]) if has_time else None,
        "end_s": _number(rec.time_s[-1]) if has_time else None,
        **per_foot,
        "distance_m": _mean([per_foot[side]["distance_m"] for side in SIDES]),
        "speed_m_s": _ratio(sum(s.length_m for s in pooled), sum(s.duration_s for s in pooled)),
        "cadence_steps_per_min": _mean([per_foot[side]["cadence_steps_per_min"] for side in SIDES]),
        "left_right_distance_ratio": _ratio(per_foot["left"]["distance_m"], per_foot["right"]["distance_m"]),
        "reconciled": bool(feet.reconciled),
        "definitions": dict(DEFINITIONS),
    }
