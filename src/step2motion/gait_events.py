"""Stance / swing of each foot from insole total force, and the heel-strike and toe-off times.

Why force alone: it is what every insole recording has (real or simulated), and the contact signal
in it is strong: a foot in swing reads a few newtons, a loaded foot hundreds.

Rule (documented thresholds, in the spirit of UnderPressure's contact labels, domain notes §4):

1. Missing samples (``NaN``) are bridged by linear interpolation (ends: nearest value), so a dropped
   sample never splits a stance; callers that care exclude steps containing long gaps.
2. The force is smoothed with a running median over 50 ms (at least 3 samples). UnderPressure uses a
   Gaussian (σ ≈ 1.7 frames at 100 Hz); a median removes spikes just as well but does not move a
   step edge (a Gaussian shifts a crossing at 5 % of the step by 1.6 σ), so timings stay unbiased.
3. Hysteresis: a foot is in stance on a connected stretch where the smoothed force stays at or above
   ``release_ratio × threshold_n`` *and* reaches ``threshold_n`` somewhere, so noise around the
   release level alone never makes a step. The heel strike is timed at that lower (release) level, the
   toe-off where the force last falls below ``toe_off_ratio × threshold_n`` (default: the threshold
   itself). Why asymmetric: that is where real insoles' own step events put them. In Moticon's exports
   a heel strike sits at the force onset (0.00–0.11 body weight on the rise) but a toe-off where the
   force has fallen to 0.07–0.17 body weight; the tail below that is the forefoot and toes unloading
   slowly, and a toe-off timed at 0.05 body weight comes 40–55 ms after the exporter's. Simulated
   recordings fall steeply at toe-off, so the level barely moves their stance.
4. Swing gaps shorter than ``min_swing_s`` are closed, then stances shorter than ``min_stance_s``
   are dropped (stretches touching the ends of the recording are kept: their true length is unknown).

Default threshold: UnderPressure's 0.10 × body weight when the weight is known
(:func:`stance_threshold_n`). Without a weight, ``0.10 ×`` the foot's loaded level, taken as the
90th percentile of its force: in walking that is ≈ 1.0-1.1 body weight (the stance peaks), in quiet
standing ≈ 0.5 body weight, so the threshold stays between 0.05 and 0.11 body weight, far above the
0-20 N a real insole reads in swing.
"""

from __future__ import annotations

import re

import numpy as np
from scipy import ndimage

from step2motion.errors import InputError
from step2motion.recording import SIDES, InsoleRecording

#: Longest gait cycle taken for one stride, s: slow walks at 58 steps/min take 2.1 s; a longer span between
#: two heel strikes (or two still moments) holds several cycles or a stretch without a step.
MAX_STRIDE_S = 2.5
#: UnderPressure's contact level: a foot carries at least this fraction of body weight.
CONTACT_FRACTION_OF_BODY_WEIGHT = 0.10
#: Without a body weight: this fraction of the foot's loaded level (90th percentile of its force).
CONTACT_FRACTION_OF_LOADED_LEVEL = 0.10
LOADED_LEVEL_PERCENTILE = 90.0
MEDIAN_WINDOW_S = 0.05
GRAVITY_MS2 = 9.81
#: Body-weight estimate: mean of left + right force over windows of this length (≥ one gait cycle) ...
BODY_WEIGHT_WINDOW_S = 2.0
BODY_WEIGHT_HOP_S = 0.25
#: ... that have both feet sampled on at least this share of their samples; median over windows.
BODY_WEIGHT_MIN_COVERAGE = 0.9


def stance_threshold_n(body_weight_n: float) -> float:
    """Contact threshold (N) for one foot of a person of known weight: 0.10 body weight."""
    return CONTACT_FRACTION_OF_BODY_WEIGHT * body_weight_n


def body_weight_from_metadata(metadata: dict[str, str]) -> float | None:
    """Body weight (N) from a metadata field whose key mentions "mass" (value in kg, e.g. ``72.5 kg``).

    ``None`` when no such field holds a positive number.
    """
    for key, value in metadata.items():
        match = re.search(r"[-+]?\d+(?:\.\d+)?", value)
        if "mass" in key.lower() and match and float(match.group()) > 0:
            return float(match.group()) * GRAVITY_MS2
    return None


def estimate_body_weight_n(left_force_n: np.ndarray, right_force_n: np.ndarray, rate_hz: float) -> float:
    """Body weight (N) as the insoles see it: median over 2-s windows of the mean of left + right force.

    Why: averaged over whole gait cycles (or while standing) the vertical ground reaction equals m·g, so
    a window mean is unbiased where the instantaneous sum is not (single-support humps and valleys); the
    median over windows discards turns, stumbles and partly missing stretches. Insoles measure only the
    normal force under the cells, so this is the weight *the insoles see*. Recordings shorter than a
    window use the mean over all samples with both feet; NaN when no sample has both feet.
    """
    both = left_force_n + right_force_n
    finite = np.isfinite(both)
    if not finite.any():
        return float("nan")
    window = max(1, round(BODY_WEIGHT_WINDOW_S * rate_hz))
    if both.size < window:
        return float(both[finite].mean())
    sums = np.concatenate([[0.0], np.cumsum(np.where(finite, both, 0.0))])
    counts = np.concatenate([[0], np.cumsum(finite)])
    starts = np.arange(0, both.size - window + 1, max(1, round(BODY_WEIGHT_HOP_S * rate_hz)))
    n_finite = counts[starts + window] - counts[starts]
    covered = n_finite >= BODY_WEIGHT_MIN_COVERAGE * window
    if not covered.any():
        return float(both[finite].mean())
    means = (sums[starts + window] - sums[starts])[covered] / n_finite[covered]
    return float(np.median(means))


def bridge_gaps(values: np.ndarray) -> np.ndarray:
    """``[T]`` copy with ``NaN`` replaced by linear interpolation (nearest value at the ends)."""
    finite = np.isfinite(values)
    if finite.all() or not finite.any():
        return np.where(finite, values, 0.0)
    index = np.arange(values.size)
    return np.interp(index, index[finite], values[finite])


def runs(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Run-length encoding of a bool ``[T]``: (starts, stops (exclusive), values) per run."""
    change = np.flatnonzero(np.diff(mask.astype(np.int8))) + 1
    starts = np.concatenate([[0], change])
    stops = np.concatenate([change, [mask.size]])
    return starts, stops, mask[starts]


def set_short_runs(mask: np.ndarray, value: bool, min_samples: int) -> np.ndarray:
    """Flip interior runs equal to ``value`` shorter than ``min_samples`` (edge runs kept)."""
    out = mask.copy()
    for start, stop, run_value in zip(*runs(mask), strict=True):
        interior = start > 0 and stop < mask.size
        if run_value == value and interior and stop - start < min_samples:
            out[start:stop] = not value
    return out


def detect_stance(
    total_force_n: np.ndarray,
    rate_hz: float,
    threshold_n: float | None = None,
    *,
    release_ratio: float = 0.5,
    toe_off_ratio: float = 1.0,
    min_stance_s: float = 0.12,
    min_swing_s: float = 0.10,
) -> np.ndarray:
    """``[T]`` bool, True while the foot is on the ground, from its total force ``[T]`` (N, NaN = missing).

    ``threshold_n``: force the foot must reach to count as loaded (default: module docstring);
    heel strikes are timed where the smoothed force rises through ``release_ratio × threshold_n``,
    toe-offs where it last falls below ``toe_off_ratio × threshold_n`` (module docstring).
    ``min_stance_s`` (0.12 s, below a running stance) and ``min_swing_s`` (0.10 s, below a walking
    or running swing) remove flicker.
    """
    force = bridge_gaps(np.asarray(total_force_n, dtype=float))
    if force.size == 0:
        return np.zeros(0, dtype=bool)
    if threshold_n is None:
        finite = total_force_n[np.isfinite(total_force_n)]
        loaded_level = np.percentile(finite, LOADED_LEVEL_PERCENTILE) if finite.size else 0.0
        threshold_n = CONTACT_FRACTION_OF_LOADED_LEVEL * loaded_level
    if threshold_n <= 0:
        return np.zeros(force.size, dtype=bool)
    width = max(3, 2 * round(MEDIAN_WINDOW_S * rate_hz / 2) + 1)  # odd: centred
    smooth = ndimage.median_filter(force, size=width, mode="nearest")
    labels, n_labels = ndimage.label(smooth >= release_ratio * threshold_n)
    reaches = ndimage.maximum(smooth, labels, np.arange(1, n_labels + 1)) >= threshold_n
    stance = np.concatenate([[False], np.atleast_1d(reaches)])[labels]
    stance = _end_at_toe_off(stance, smooth >= toe_off_ratio * threshold_n)
    stance = set_short_runs(stance, False, round(min_swing_s * rate_hz))
    return set_short_runs(stance, True, round(min_stance_s * rate_hz))


def _end_at_toe_off(stance: np.ndarray, above_toe_off: np.ndarray) -> np.ndarray:
    """``stance`` with each stance that ends inside the recording cut after its last sample in
    ``above_toe_off``."""
    out = stance.copy()
    for start, stop, value in zip(*runs(stance), strict=True):
        if value and stop < stance.size:
            loaded = np.flatnonzero(above_toe_off[start:stop])
            out[start + (loaded[-1] + 1 if loaded.size else stop - start) : stop] = False
    return out


def stance_intervals(stance: np.ndarray) -> np.ndarray:
    """``[n, 2]`` int sample indices (first stance sample, first sample after) of every *complete*
    stance: one that begins with a heel strike and ends with a toe-off inside the recording."""
    starts, stops, values = runs(np.asarray(stance, dtype=bool))
    keep = values & (starts > 0) & (stops < stance.size)
    return np.stack([starts[keep], stops[keep]], axis=1).astype(int)


def heel_strikes(stance: np.ndarray, time_s: np.ndarray) -> np.ndarray:
    """Times (s) of swing→stance transitions: the first stance sample of each contact."""
    onsets = np.flatnonzero(~stance[:-1] & stance[1:]) + 1
    return time_s[onsets]


def toe_offs(stance: np.ndarray, time_s: np.ndarray) -> np.ndarray:
    """Times (s) of stance→swing transitions: the first swing sample after each contact."""
    offsets = np.flatnonzero(stance[:-1] & ~stance[1:]) + 1
    return time_s[offsets]


def wearer_weight_n(rec: InsoleRecording) -> float:
    """The wearer's weight (N) as the insoles see it: from both feet's force, or from the one foot that has
    force (it carries half the weight on average); ``InputError`` when no foot has any."""
    left, right = rec.left.total_force_n, rec.right.total_force_n
    weight_n = estimate_body_weight_n(left, right, rec.rate_hz)
    for force_n in (left, right):
        if not np.isfinite(weight_n) and np.isfinite(force_n).any():
            weight_n = estimate_body_weight_n(force_n, force_n, rec.rate_hz)
    if not (np.isfinite(weight_n) and weight_n > 0):
        raise InputError("no foot has any total force: cannot estimate the body weight", rec.source)
    return weight_n


def stance_at_times(rec: InsoleRecording, body_weight_n: float, time_s: np.ndarray) -> np.ndarray:
    """``[T, 2]`` bool stance (left, right) at ``time_s`` (s from the recording's first sample)."""
    threshold_n = stance_threshold_n(body_weight_n)
    nearest = nearest_samples(rec.time_s - rec.time_s[0], time_s)
    return np.stack(
        [detect_stance(rec.foot(side).total_force_n, rec.rate_hz, threshold_n)[nearest] for side in SIDES],
        axis=1,
    )


def reference_contacts(rec: InsoleRecording, time_s: np.ndarray) -> np.ndarray:
    """``[T, 2]`` stance per the recording's force at ``time_s`` (recording clock), as inference sees it."""
    return stance_at_times(rec, wearer_weight_n(rec), np.asarray(time_s) - rec.time_s[0])


def nearest_samples(sample_time_s: np.ndarray, time_s: np.ndarray) -> np.ndarray:
    """Index of the sample nearest each of ``time_s`` on the sorted ``sample_time_s`` (same clock)."""
    after = np.clip(np.searchsorted(sample_time_s, time_s), 1, max(sample_time_s.size - 1, 1))
    before = after - 1
    return np.where(
        np.abs(sample_time_s[after] - time_s) < np.abs(time_s - sample_time_s[before]), after, before
    )
