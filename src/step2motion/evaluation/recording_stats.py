"""Statistics that characterise a walking insole recording, and their side-by-side comparison.

Why: a simulated ("virtual insole") recording is only useful as training data if it looks like a
real one in the ways that matter; these numbers make that checkable for any pair of recordings, real
or simulated. Every statistic is defined here once, with the tolerance beyond which a difference is
flagged (:data:`STATISTICS`).

Conventions:

* Steps are complete stances from :mod:`step2motion.gait_events` (contact threshold 0.10 × body
  weight), kept when they last at most 1.5 s (longer is standing, not a walking step) and contain no
  missing stretch longer than 50 ms. Per-step values are summarised by their median over steps.
* Body weight (the unit of force ratios) comes from the metadata when a body mass is given
  (:func:`~step2motion.gait_events.body_weight_from_metadata`), else from the recording itself
  (:func:`~step2motion.gait_events.estimate_body_weight_n`).
* The force curve of a step is smoothed (σ = 17 ms) before peaks are found. A step has a double
  hump when it has a peak in each half of the stance, each standing out by at least 0.05 body weight
  (``scipy.signal.find_peaks`` prominence); peak 1 / valley / peak 2 are reported for those steps only.
* Pressure impulse shares are Σ pressure over stance samples and cells of a region (N/cm²·s, no
  area weighting), as in the documented real ranges (domain notes §3).
* Real exports write the CoP as exactly (0, 0) while a foot carries less than ≈ 50 N; CoP
  statistics treat that as "undefined", and ``cop_placeholder_max_force_n`` reports the level.
* Rest samples (for the accelerometer's gravity reading) are stance samples with |gyro| < 10 deg/s
  and | |acc| − 1 g | < 0.05 g.

Memory: every statistic is computed from :class:`RecordingColumns`, the recording reduced to the
per-sample columns the statistics need (time; per foot force, CoP X, acc, gyro, a missing flag, and of
the 16 pressure cells only each region's maximum and sum) plus counts. :func:`recording_statistics`
reduces a recording in memory; :func:`file_statistics` reduces an export chunk by chunk as it is read
(:func:`~step2motion.io.moticon.iter_moticon`), so the cells of the whole file are never held. Both give
the same statistics (the impulse shares to the last bits: their sums are taken in another order).
Stance detection, the body-weight estimate and exact percentiles need whole columns, hence the columns.
"""

from __future__ import annotations

import itertools
import math
import warnings
from dataclasses import dataclass, field, fields
from pathlib import Path

import numpy as np
from scipy import ndimage, signal

from step2motion import gait_events
from step2motion.insole_layout import REGIONS, region_indices
from step2motion.recording import SIDES, FootSignals, InsoleRecording, covered_duration_s, median_rate_hz

MAX_STEP_STANCE_S = 1.5
MAX_GAP_IN_STEP_S = 0.05
HUMP_PROMINENCE_BW = 0.05
PEAK_SMOOTH_SIGMA_S = 0.017
REST_GYRO_DPS = 10.0
REST_ACC_TOLERANCE_G = 0.05
PRESSURE_QUANTUM_NCM2 = 0.25
AXES = ("x", "y", "z")

Value = float | int | str


@dataclass(frozen=True)
class StatisticSpec:
    """One statistic: where it lives, what it means, and the difference worth flagging.

    ``tolerance`` is an absolute difference in ``unit``; ``None`` = shown, not compared (counts,
    durations of the file); ``0`` = categorical, flagged when different.
    """

    scope: str  # "recording" or "foot"
    key: str
    description: str
    unit: str
    tolerance: float | None


def _foot_specs() -> list[StatisticSpec]:
    """Per-foot statistics, in display order."""
    specs = [
        StatisticSpec("foot", "n_steps", "complete walking steps", "", None),
        StatisticSpec("foot", "stance_s", "stance duration (median)", "s", 0.05),
        StatisticSpec("foot", "swing_s", "swing duration (median)", "s", 0.05),
        StatisticSpec("foot", "peak_bw", "step peak force / body weight", "BW", 0.10),
        StatisticSpec("foot", "peak_over_stance_mean", "step peak / mean stance force", "", 0.10),
        StatisticSpec("foot", "t_peak_pct", "time of step peak", "% stance", 10.0),
        StatisticSpec("foot", "double_hump_share", "steps with a double hump", "share", 0.25),
        StatisticSpec("foot", "peak1_bw", "first (heel) peak / body weight", "BW", 0.10),
        StatisticSpec("foot", "valley_bw", "mid-stance valley / body weight", "BW", 0.10),
        StatisticSpec("foot", "peak2_bw", "second (push-off) peak / body weight", "BW", 0.10),
        StatisticSpec("foot", "t_peak1_pct", "time of first peak", "% stance", 8.0),
        StatisticSpec("foot", "t_peak2_pct", "time of second peak", "% stance", 8.0),
    ]
    for region in REGIONS:
        specs += [
            StatisticSpec(
                "foot", f"peak_{region}_p50_ncm2", f"{region} peak pressure, p50 of steps", "N/cm²", 3.0
            ),
            StatisticSpec(
                "foot", f"peak_{region}_p95_ncm2", f"{region} peak pressure, p95 of steps", "N/cm²", 4.0
            ),
        ]
    specs += [
        StatisticSpec("foot", f"impulse_share_{region}", f"{region} share of pressure impulse", "share", 0.05)
        for region in REGIONS
    ]
    specs += [
        StatisticSpec("foot", "cop_x_range", "CoP X range in stance (median)", "norm", 0.05),
        StatisticSpec("foot", "cop_x_heel_strike", "CoP X at heel strike (median)", "norm", 0.05),
        StatisticSpec("foot", "cop_x_toe_off", "CoP X at toe-off (median)", "norm", 0.05),
        StatisticSpec("foot", "cop_placeholder_max_force_n", "largest force with CoP = (0, 0)", "N", 10.0),
        StatisticSpec("foot", "rest_samples", "rest samples (still, loaded)", "", None),
    ]
    specs += [
        StatisticSpec("foot", f"acc_rest_{axis}_g", f"acc {axis} at rest (mean)", "g", 0.05) for axis in AXES
    ]
    for sensor, unit, tolerance in (("acc", "g", 0.3), ("gyro", "deg/s", 50.0)):
        for axis in AXES:
            for percentile in ("p1", "p99"):
                key = f"{sensor}_{axis}_{percentile}_{'g' if sensor == 'acc' else 'dps'}"
                specs.append(StatisticSpec("foot", key, f"{sensor} {axis} {percentile}", unit, tolerance))
    specs += [
        StatisticSpec("foot", "gyro_dominant_axis", "gyro axis with the widest p1-p99", "", 0.0),
        StatisticSpec("foot", "gyro_dominant_abs_p99_dps", "|gyro| p99 on that axis", "deg/s", 50.0),
        StatisticSpec("foot", "missing_samples", "missing samples", "", None),
        StatisticSpec("foot", "missing_share", "missing samples / all", "share", 0.02),
        StatisticSpec("foot", "longest_gap_s", "longest run of missing samples", "s", 0.1),
    ]
    return specs


#: Every statistic, in display order.
STATISTICS: tuple[StatisticSpec, ...] = (
    StatisticSpec("recording", "duration_s", "duration", "s", None),
    StatisticSpec("recording", "rate_hz", "sample rate", "Hz", None),
    StatisticSpec("recording", "insole_size", "insole size", "", None),
    StatisticSpec("recording", "body_weight_n", "body weight used for ratios", "N", None),
    StatisticSpec("recording", "body_weight_source", "body weight from", "", None),
    StatisticSpec("recording", "n_strides", "strides (heel strike to heel strike)", "", None),
    StatisticSpec("recording", "cadence_steps_per_min", "cadence (120 / median stride)", "steps/min", 8.0),
    StatisticSpec("recording", "double_support_share", "double support / stride (median)", "share", 0.05),
    StatisticSpec("recording", "quantised_share", "non-zero pressures on the 0.25 N/cm² grid", "share", 0.02),
    *_foot_specs(),
)


def _median(values: list[float] | np.ndarray) -> float:
    """Median ignoring NaN (NaN for no values)."""
    return float(np.nanmedian(np.asarray(values, dtype=float))) if len(values) else math.nan


def _longest_run(mask: np.ndarray) -> int:
    """Length of the longest run of True in a bool ``[T]``."""
    labels, n_labels = ndimage.label(mask)
    return int(np.bincount(labels)[1:].max()) if n_labels else 0


@dataclass
class FootColumns:
    """What the statistics need of one foot's ``T`` samples (see :class:`RecordingColumns`).

    Attributes:
        total_force_n: ``[T]`` total force (N, NaN = missing).
        cop_x: ``[T]`` CoP X (normalised), NaN where missing or at the exporter's "unloaded" (0, 0).
        acc_g, gyro_dps: ``[T, 3]`` as in :class:`~step2motion.recording.FootSignals`.
        missing: ``[T]`` True where any channel of the foot is missing.
        region_peak_ncm2: ``[T, R]`` highest pressure of each region of ``REGIONS`` (NaN: all missing).
        region_sum_ncm2: ``[T, R]`` sum of each region's pressures (missing cells left out).
        cop_placeholder_max_force_n: largest finite force with CoP = (0, 0); NaN when there is none.
        pressure_values, quantised_values: non-zero finite pressures, and those on the 0.25 N/cm² grid.
    """

    total_force_n: np.ndarray
    cop_x: np.ndarray
    acc_g: np.ndarray
    gyro_dps: np.ndarray
    missing: np.ndarray
    region_peak_ncm2: np.ndarray
    region_sum_ncm2: np.ndarray
    cop_placeholder_max_force_n: float
    pressure_values: int
    quantised_values: int

    @classmethod
    def of(cls, foot: FootSignals) -> FootColumns:
        """The columns of a foot's signals (each sample reduced on its own: chunks reduce alike)."""
        pressure = foot.pressure_ncm2
        regions = [region_indices(region) for region in REGIONS]
        placeholder = np.all(foot.cop_norm == 0.0, axis=1)  # the exporter's "unloaded" CoP
        placeholder_force = foot.total_force_n[placeholder & np.isfinite(foot.total_force_n)]
        values = pressure[np.isfinite(pressure) & (pressure != 0.0)]  # zeros lie on every grid
        steps = values / PRESSURE_QUANTUM_NCM2
        return cls(
            total_force_n=foot.total_force_n,
            cop_x=np.where(placeholder, np.nan, foot.cop_norm[:, 0]),
            acc_g=foot.acc_g,
            gyro_dps=foot.gyro_dps,
            missing=foot.missing_mask(),
            region_peak_ncm2=np.stack([np.fmax.reduce(pressure[:, c], axis=1) for c in regions], axis=1),
            region_sum_ncm2=np.stack([np.nansum(pressure[:, c], axis=1) for c in regions], axis=1),
            cop_placeholder_max_force_n=float(placeholder_force.max())
            if placeholder_force.size
            else math.nan,
            pressure_values=int(values.size),
            quantised_values=int(np.count_nonzero(np.abs(steps - np.round(steps)) < 1e-6)),
        )

    @classmethod
    def concatenate(cls, parts: list[FootColumns]) -> FootColumns:
        """The columns of consecutive stretches of samples joined; ``parts`` is emptied as they are."""
        joined: dict[str, object] = {
            "cop_placeholder_max_force_n": float(
                np.fmax.reduce([p.cop_placeholder_max_force_n for p in parts])
            ),
            "pressure_values": sum(p.pressure_values for p in parts),
            "quantised_values": sum(p.quantised_values for p in parts),
        }
        names = [f.name for f in fields(cls) if f.name not in joined]
        for name in names:
            joined[name] = np.concatenate([getattr(p, name) for p in parts])
            for part in parts:  # each column's chunks freed once joined, not all held twice
                setattr(part, name, None)
        parts.clear()
        return cls(**joined)


@dataclass
class RecordingColumns:
    """A recording reduced to what :data:`STATISTICS` need: ``time_s`` ``[T]``, per-foot
    :class:`FootColumns`, and the header fields (insole size, metadata)."""

    time_s: np.ndarray
    left: FootColumns
    right: FootColumns
    insole_size: int | None = None
    metadata: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, rec: InsoleRecording) -> RecordingColumns:
        return cls(
            rec.time_s, FootColumns.of(rec.left), FootColumns.of(rec.right), rec.insole_size, rec.metadata
        )

    @classmethod
    def concatenate(cls, parts: list[RecordingColumns]) -> RecordingColumns:
        """Consecutive chunks' columns joined (header fields from the first); ``parts`` is emptied."""
        first = parts[0]
        time_s = np.concatenate([p.time_s for p in parts])
        feet = {}
        for side in SIDES:
            feet[side] = FootColumns.concatenate([p.foot(side) for p in parts])
            for part in parts:
                setattr(part, side, None)
        parts.clear()
        return cls(time_s, feet["left"], feet["right"], first.insole_size, first.metadata)

    def foot(self, side: str) -> FootColumns:
        return {"left": self.left, "right": self.right}[side]

    @property
    def rate_hz(self) -> float:
        return median_rate_hz(self.time_s)

    @property
    def duration_s(self) -> float:
        return covered_duration_s(self.time_s)


def walking_steps(missing: np.ndarray, stance: np.ndarray, rate_hz: float) -> np.ndarray:
    """``[n, 2]`` sample intervals of a foot's walking steps (see module conventions), from its missing
    samples (``[T]`` bool, :meth:`~step2motion.recording.FootSignals.missing_mask`) and stance ``[T]``."""
    steps = [
        (start, stop)
        for start, stop in gait_events.stance_intervals(stance)
        if (stop - start) <= MAX_STEP_STANCE_S * rate_hz
        and _longest_run(missing[start:stop]) <= MAX_GAP_IN_STEP_S * rate_hz
    ]
    return np.array(steps, dtype=int).reshape(-1, 2)


def _force_shape(force_n: np.ndarray, body_weight_n: float, rate_hz: float) -> dict[str, float]:
    """Peaks and valley of one step's force curve ``[S]`` (N): ratios to body weight, times in %."""
    smooth = ndimage.gaussian_filter1d(
        gait_events.bridge_gaps(force_n), PEAK_SMOOTH_SIGMA_S * rate_hz, mode="nearest"
    )
    pct = 100.0 * np.arange(smooth.size) / max(smooth.size - 1, 1)
    peak = int(np.argmax(smooth))
    shape = {
        "peak_bw": float(np.nanmax(force_n)) / body_weight_n,
        "peak_over_stance_mean": float(np.nanmax(force_n) / np.nanmean(force_n)),
        "t_peak_pct": pct[peak],
        "double_hump": 0.0,
        **dict.fromkeys(("peak1_bw", "valley_bw", "peak2_bw", "t_peak1_pct", "t_peak2_pct"), math.nan),
    }
    peaks, _ = signal.find_peaks(smooth, prominence=HUMP_PROMINENCE_BW * body_weight_n)
    first, second = peaks[pct[peaks] < 50.0], peaks[pct[peaks] >= 50.0]
    if first.size and second.size:
        p1, p2 = first[np.argmax(smooth[first])], second[np.argmax(smooth[second])]
        shape.update(
            double_hump=1.0,
            peak1_bw=smooth[p1] / body_weight_n,
            valley_bw=smooth[p1 : p2 + 1].min() / body_weight_n,
            peak2_bw=smooth[p2] / body_weight_n,
            t_peak1_pct=pct[p1],
            t_peak2_pct=pct[p2],
        )
    return shape


def _step_statistics(
    foot: FootColumns, steps: np.ndarray, body_weight_n: float, rate_hz: float
) -> dict[str, Value]:
    """Force-curve shape, regional peak pressures and CoP per step, summarised over steps."""
    shapes = [_force_shape(foot.total_force_n[a:b], body_weight_n, rate_hz) for a, b in steps]
    stats: dict[str, Value] = {
        "n_steps": len(steps),
        "stance_s": _median((steps[:, 1] - steps[:, 0]) / rate_hz),
    }
    for key in (
        "peak_bw",
        "peak_over_stance_mean",
        "t_peak_pct",
        "peak1_bw",
        "valley_bw",
        "peak2_bw",
        "t_peak1_pct",
        "t_peak2_pct",
    ):
        stats[key] = _median([s[key] for s in shapes])
    stats["double_hump_share"] = float(np.mean([s["double_hump"] for s in shapes])) if shapes else math.nan
    for r, region in enumerate(REGIONS):
        peaks = np.array([np.nanmax(foot.region_peak_ncm2[a:b, r]) for a, b in steps])
        stats[f"peak_{region}_p50_ncm2"] = float(np.nanpercentile(peaks, 50))
        stats[f"peak_{region}_p95_ncm2"] = float(np.nanpercentile(peaks, 95))
    cop_x = [foot.cop_x[a:b] for a, b in steps]
    cop_x = [x[np.isfinite(x)] for x in cop_x if np.isfinite(x).any()]
    stats["cop_x_range"] = _median([x.max() - x.min() for x in cop_x])
    stats["cop_x_heel_strike"] = _median([x[0] for x in cop_x])
    stats["cop_x_toe_off"] = _median([x[-1] for x in cop_x])
    return stats


def _swing_s(stance: np.ndarray, time_s: np.ndarray) -> float:
    """Median swing duration (s): toe-off to the next heel strike, pauses longer than a stride dropped."""
    offs, strikes = gait_events.toe_offs(stance, time_s), gait_events.heel_strikes(stance, time_s)
    following = np.searchsorted(strikes, offs, side="right")  # first heel strike after each toe-off
    has_next = following < strikes.size
    swings = strikes[following[has_next]] - offs[has_next]
    return _median(swings[swings <= gait_events.MAX_STRIDE_S])


def _impulse_shares(foot: FootColumns, stance: np.ndarray) -> dict[str, float]:
    """Share of the stance pressure impulse (Σ p over samples and cells) carried by each region.

    The total is the regions' sum: ``REGIONS`` split the 16 cells between them, each cell in one region.
    """
    impulse = np.sum(foot.region_sum_ncm2[stance], axis=0)  # [R]
    total = impulse.sum()
    return {
        f"impulse_share_{region}": float(impulse[r] / total) if total > 0 else math.nan
        for r, region in enumerate(REGIONS)
    }


def _imu_statistics(foot: FootColumns, stance: np.ndarray) -> dict[str, Value]:
    """Gravity reading at rest, per-axis percentiles and the dominant rotation axis."""
    gyro_norm = np.linalg.norm(foot.gyro_dps, axis=1)
    acc_norm = np.linalg.norm(foot.acc_g, axis=1)
    rest = stance & (gyro_norm < REST_GYRO_DPS) & (np.abs(acc_norm - 1.0) < REST_ACC_TOLERANCE_G)
    stats: dict[str, Value] = {"rest_samples": int(rest.sum())}
    rest_mean = np.mean(foot.acc_g[rest], axis=0) if rest.any() else np.full(3, math.nan)
    stats.update({f"acc_rest_{axis}_g": float(v) for axis, v in zip(AXES, rest_mean, strict=True)})
    percentiles = {}
    for name, values, unit in (("acc", foot.acc_g, "g"), ("gyro", foot.gyro_dps, "dps")):
        percentiles[name] = np.nanpercentile(values, [1, 99], axis=0)  # [2, 3]
        for i, axis in enumerate(AXES):
            stats[f"{name}_{axis}_p1_{unit}"] = float(percentiles[name][0, i])
            stats[f"{name}_{axis}_p99_{unit}"] = float(percentiles[name][1, i])
    spread = percentiles["gyro"][1] - percentiles["gyro"][0]
    dominant = int(np.argmax(np.nan_to_num(spread, nan=-1.0)))
    stats["gyro_dominant_axis"] = AXES[dominant] if np.isfinite(spread).any() else "n/a"
    stats["gyro_dominant_abs_p99_dps"] = float(np.nanpercentile(np.abs(foot.gyro_dps[:, dominant]), 99))
    return stats


def _foot_statistics(
    foot: FootColumns, stance: np.ndarray, time_s: np.ndarray, rate_hz: float, body_weight_n: float
) -> dict[str, Value]:
    """Every per-foot statistic of :data:`STATISTICS`."""
    missing = foot.missing
    steps = walking_steps(missing, stance, rate_hz)
    stats = _step_statistics(foot, steps, body_weight_n, rate_hz)
    stats["swing_s"] = _swing_s(stance, time_s)
    stats.update(_impulse_shares(foot, stance))
    stats.update(_imu_statistics(foot, stance))
    stats["cop_placeholder_max_force_n"] = foot.cop_placeholder_max_force_n
    stats["missing_samples"] = int(missing.sum())
    stats["missing_share"] = float(missing.mean()) if missing.size else math.nan
    stats["longest_gap_s"] = _longest_run(missing) / rate_hz
    return stats


def gait_cycle_statistics(stances: dict[str, np.ndarray], time_s: np.ndarray) -> dict[str, Value]:
    """Cadence and double support from the strides of both feet (pauses longer than a stride dropped)."""
    both = stances["left"] & stances["right"]
    strides_s, double_support = [], []
    for stance in stances.values():
        onsets = np.searchsorted(time_s, gait_events.heel_strikes(stance, time_s))
        for a, b in itertools.pairwise(onsets):
            if time_s[b] - time_s[a] <= gait_events.MAX_STRIDE_S:
                strides_s.append(time_s[b] - time_s[a])
                double_support.append(both[a:b].mean())
    stride_s = _median(strides_s)
    return {
        "n_strides": len(strides_s),
        "cadence_steps_per_min": 120.0 / stride_s,
        "double_support_share": _median(double_support),
    }


def _quantised_share(rec: RecordingColumns) -> float:
    """Share of the non-zero pressure values (both feet) that are multiples of 0.25 N/cm².

    Zeros are left out: they lie on every grid, and unloaded cells would swamp the answer.
    """
    n_values = sum(rec.foot(side).pressure_values for side in SIDES)
    n_quantised = sum(rec.foot(side).quantised_values for side in SIDES)
    return n_quantised / n_values if n_values else math.nan


def recording_statistics(
    rec: InsoleRecording, body_weight_n: float | None = None
) -> dict[str, dict[str, Value]]:
    """The statistics of :data:`STATISTICS` for one recording.

    Returns ``{"recording": {...}, "left": {...}, "right": {...}}``, keys as in :data:`STATISTICS`;
    ``NaN`` where a statistic is undefined (e.g. no double-hump step, a side with no data).
    ``body_weight_n`` overrides the metadata / estimated body weight.
    """
    return columns_statistics(RecordingColumns.of(rec), body_weight_n)


def file_statistics(
    path: str | Path, body_weight_n: float | None = None, chunk_rows: int | None = None
) -> dict[str, dict[str, Value]]:
    """:func:`recording_statistics` of a Moticon OpenGo export, read chunk by chunk (``chunk_rows`` rows,
    default :data:`~step2motion.io.moticon.PARSE_CHUNK_ROWS`) and reduced as read: the pressure cells of
    only one chunk are held. Raises what :func:`~step2motion.io.moticon.read_moticon` raises."""
    from step2motion.io.moticon import PARSE_CHUNK_ROWS, iter_moticon

    stream = iter_moticon(path, PARSE_CHUNK_ROWS if chunk_rows is None else chunk_rows)
    return columns_statistics(
        RecordingColumns.concatenate([RecordingColumns.of(chunk) for chunk in stream]), body_weight_n
    )


def columns_statistics(
    rec: RecordingColumns, body_weight_n: float | None = None
) -> dict[str, dict[str, Value]]:
    """:func:`recording_statistics` of a recording already reduced to its :class:`RecordingColumns`."""
    source = "given"
    if body_weight_n is None:
        body_weight_n = gait_events.body_weight_from_metadata(rec.metadata)
        source = "metadata"
    if body_weight_n is None:
        body_weight_n = gait_events.estimate_body_weight_n(
            rec.left.total_force_n, rec.right.total_force_n, rec.rate_hz
        )
        source = "estimated"
    with warnings.catch_warnings():  # all-NaN slices (a side without data, no steps) give NaN: intended
        warnings.simplefilter("ignore", RuntimeWarning)
        return _statistics(rec, body_weight_n, source)


def _statistics(rec: RecordingColumns, body_weight_n: float, source: str) -> dict[str, dict[str, Value]]:
    """:func:`columns_statistics` once the body weight is settled."""
    rate_hz = rec.rate_hz
    threshold_n = gait_events.stance_threshold_n(body_weight_n) if np.isfinite(body_weight_n) else None
    stances = {
        side: gait_events.detect_stance(rec.foot(side).total_force_n, rate_hz, threshold_n) for side in SIDES
    }
    recording: dict[str, Value] = {
        "duration_s": rec.duration_s,
        "rate_hz": rate_hz,
        "insole_size": rec.insole_size if rec.insole_size is not None else "n/a",
        "body_weight_n": body_weight_n,
        "body_weight_source": source,
        **gait_cycle_statistics(stances, rec.time_s),
        "quantised_share": _quantised_share(rec),
    }
    feet = {
        side: _foot_statistics(rec.foot(side), stances[side], rec.time_s, rate_hz, body_weight_n)
        for side in SIDES
    }
    return {"recording": recording, **feet}


@dataclass(frozen=True)
class ComparisonRow:
    """One statistic across recordings: ``values[i][scope]`` per recording, ``flags[i]`` per recording
    after the first (the reference): ``{scope: mark}`` with mark "" (within tolerance or not compared),
    "≠" (beyond tolerance, or a different category) or "?" (defined in only one of the two)."""

    spec: StatisticSpec
    values: list[dict[str, Value]]
    flags: list[dict[str, str]]


def _difference_mark(reference: Value, other: Value, tolerance: float | None) -> str:
    """ "" / "≠" / "?" for one value against the reference (see :class:`ComparisonRow`)."""
    if tolerance is None:
        return ""
    if isinstance(reference, str) or isinstance(other, str):
        return "" if reference == other else "≠"
    defined = (math.isfinite(reference), math.isfinite(other))
    if not all(defined):
        return "" if not any(defined) else "?"
    return "≠" if abs(other - reference) > tolerance else ""


def compare_statistics(statistics: list[dict[str, dict[str, Value]]]) -> list[ComparisonRow]:
    """Rows of :data:`STATISTICS` over recordings (outputs of :func:`recording_statistics`), each
    compared with the first recording."""
    rows = []
    for spec in STATISTICS:
        scopes = ("recording",) if spec.scope == "recording" else SIDES
        values = [{scope: stats[scope][spec.key] for scope in scopes} for stats in statistics]
        flags = [
            {scope: _difference_mark(values[0][scope], other[scope], spec.tolerance) for scope in scopes}
            for other in values[1:]
        ]
        rows.append(ComparisonRow(spec, values, flags))
    return rows
