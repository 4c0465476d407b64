"""Model input streams from an insole recording alone (real export or simulated: same code path).

Per foot, five streams named ``"{side}_{modality}"`` (:func:`step2motion.condition_schema.stream_name`),
each ``[T, C]`` float32 at ``rate_hz`` with a ``[T]`` bool ``present`` mask:

======================  ==  =========================================================================
modality                 C  channels
======================  ==  =========================================================================
``rearfoot_pressure``    8  force of cells 1-8 (heel, midfoot) = p·A / body weight (dimensionless)
``forefoot_pressure``    8  force of cells 9-16 (metatarsals, toes) = p·A / body weight
``imu``                  9  0-2 gravity-free acceleration in the level frame, g (≈ 0 at rest);
                            3-5 angular rate in the level frame, deg/s;
                            6-8 up direction (opposite to gravity) in the sensor frame, unit vector
``force_cop``            4  0 total force / body weight; 1-2 centre of pressure (normalised insole
                            frame, X heel→toe, +Y medial), 0.0 when not loaded; 3 loaded flag (1.0
                            when total force ≥ 5 % body weight, else 0.0)
``odometry``             6  the foot's inertial odometry (:func:`step2motion.odometry.strapdown.
                            track_foot`): 0-2 insole velocity forward (along the foot's own heading),
                            leftward, up, m/s; 3 heading rate, rad/s (+ = turning left); 4 height
                            above the floor, m; 5 still (zero-velocity moment: 1.0, else 0.0)
======================  ==  =========================================================================

Why these choices:

* Pressure becomes per-cell *force* as a fraction of body weight, so insole size (cell areas) and body
  mass drop out and real and simulated wearers are comparable. Cell order and the CoP frame are the same
  for both feet (anatomical: +Y medial), so a cell means the same place on either foot.
* The IMU is expressed in the insole's level frame (:mod:`step2motion.dataset.orientation`): tilt from
  the insole's own acc + gyro, no yaw, no motion-capture orientation (the reference leaked ground truth
  that way), and gravity is subtracted with the right sign (at rest the free acceleration is 0, not
  the reference's -1.7 g). Level frame axes: X the insole's toe direction projected on the horizontal,
  Z up, Y = Z × X in the insole's reported axes. The left insole reports mirror-image axes (+Y medial
  on both feet, :mod:`step2motion.simulation.imu`), so every IMU channel is anatomical: Y is medial and
  +Z angular rate turns the toes medially, on either foot.
* Odometry turns what the IMU measures into what the motion is made of: the foot's velocity, turn and
  lift, integrated between its still moments (drift removed at each). Velocities are expressed in the
  foot's own heading frame, so the stream is the same whatever way the wearer faces (as the model's
  heading-free poses and root moves); the model still sees the two feet's relative heading through
  their heading rates. Untracked samples (no IMU, or a foot never still) leave the stream absent.
* An unloaded foot has no centre of pressure; instead of NaN it reads (0, 0) with loaded = 0, so the
  network gets a defined value and knows to ignore it. Below 5 % body weight (≈ 35 N) a real insole's
  swing-phase readings (a few newtons on a few cells) make the CoP jump around meaninglessly.
* Missing samples are never zeros: short gaps (≤ :data:`MAX_GAP_S` of missing time) are bridged by
  linear interpolation at the input rate, longer gaps leave the stream absent (``present`` False and
  the values NaN) for every output frame inside them.
* Resampling: each gap-free segment is low-pass filtered (zero-phase Butterworth, order 4, cut-off 0.8
  × the output Nyquist frequency) when the output rate is lower, then linearly interpolated at the
  output times. ``scipy.signal.resample_poly`` would need one uniform, gap-free signal per call and
  output samples aligned to each segment's start; filtering + interpolation puts every segment on one
  global grid (multiples of ``1 / rate_hz`` from time zero, so frames line up with motion frames).

Body weight: given, or estimated from the recording (:func:`estimate_body_weight_n`). The metadata mass
is not used on purpose: training recordings are normalised by the weight as the insoles see it, so
inference must do the same.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy import ndimage, signal

from step2motion import gait_events
from step2motion.condition_schema import ConditionSchema, stream_name
from step2motion.dataset.orientation import level_imu
from step2motion.errors import InputError
from step2motion.insole_layout import VALID_SIZES, cell_areas_cm2, region_indices
from step2motion.odometry.strapdown import FootTrack, track_foot
from step2motion.recording import SIDES, FootSignals, InsoleRecording, median_step_s

#: Longest stretch of missing time (s) bridged by interpolation; longer gaps make a stream absent.
MAX_GAP_S = 0.1
#: Anti-aliasing low-pass cut-off as a fraction of the output Nyquist frequency.
ANTI_ALIAS_FRACTION = 0.8
FILTER_ORDER = 4
#: A foot is "loaded" (CoP meaningful) from this fraction of body weight.
LOADED_FRACTION = 0.05

#: Channel names per modality, in stream order (see the table in the module docstring).
MODALITY_CHANNELS: dict[str, tuple[str, ...]] = {
    "rearfoot_pressure": tuple(f"cell{c}_force_bw" for c in range(1, 9)),
    "forefoot_pressure": tuple(f"cell{c}_force_bw" for c in range(9, 17)),
    "imu": (
        "free_acc_x_g", "free_acc_y_g", "free_acc_z_g",
        "gyro_x_dps", "gyro_y_dps", "gyro_z_dps",
        "up_x", "up_y", "up_z",
    ),
    "force_cop": ("total_force_bw", "cop_x_norm", "cop_y_norm", "loaded"),
    "odometry": ("forward_m_s", "leftward_m_s", "up_m_s", "heading_rate_rad_s", "height_m", "still"),
}  # fmt: skip

#: Sign of each channel when the wearer is mirrored left ↔ right (streams also swap sides). +1 for the
#: sensor channels: cell numbers and the CoP frame are anatomical (+Y medial on both feet), and so are
#: the IMU axes, because the left insole reports what a right insole would read on the mirror-image
#: motion (acc · (1, -1, 1), gyro · (-1, 1, -1) of a right-handed chip; :mod:`step2motion.simulation.
#: imu`, derived from the real exports). Were both feet right-handed, mirroring would negate acc/up Y
#: and gyro X, Z instead. Odometry is in the world's right-handed frame: a mirrored foot moves and turns
#: the other way (leftward velocity and heading rate negated).
MIRROR_SIGNS: dict[str, tuple[float, ...]] = {
    **{m: (1.0,) * len(c) for m, c in MODALITY_CHANNELS.items()},
    "odometry": (1.0, -1.0, 1.0, -1.0, 1.0, 1.0),
}

#: The condition layout these features fill ({left, right} × modalities, left first).
CONDITION_SCHEMA = ConditionSchema.per_foot({m: len(c) for m, c in MODALITY_CHANNELS.items()})


@dataclass(frozen=True)
class InsoleFeatures:
    """Model input streams of one recording at a fixed frame rate.

    Attributes:
        time_s: ``[T]`` frame times, multiples of ``1 / rate_hz``.
        rate_hz: frame rate.
        streams: ``{stream name: [T, C] float32}`` (NaN where absent), see the module table.
        present: ``{stream name: [T] bool}``, False where the source samples were missing.
        body_weight_n: the weight used for normalisation (N).
        body_weight_estimated: True when it was estimated from the recording.
        source: the recording's source, for messages.
    """

    time_s: np.ndarray
    rate_hz: float
    streams: dict[str, np.ndarray]
    present: dict[str, np.ndarray]
    body_weight_n: float
    body_weight_estimated: bool
    source: str = ""

    @property
    def n_frames(self) -> int:
        return int(self.time_s.shape[0])


def estimate_body_weight_n(rec: InsoleRecording) -> float:
    """Body weight (N) the insoles see (:func:`step2motion.gait_events.estimate_body_weight_n`);
    ``InputError`` when no sample has both feet's total force."""
    weight_n = gait_events.estimate_body_weight_n(
        rec.left.total_force_n, rec.right.total_force_n, rec.rate_hz
    )
    if not np.isfinite(weight_n):
        raise InputError("cannot estimate body weight: no sample has both feet's total force", rec.source)
    return weight_n


def insole_size_of(rec: InsoleRecording) -> int:
    """The recording's insole size; when the file does not say, the size whose cell areas best explain
    its total force (Σ p·A = total force holds exactly in OpenGo exports, areas differ ~8 % per size)."""
    if rec.insole_size is not None:
        return rec.insole_size
    pressure = np.concatenate([rec.left.pressure_ncm2, rec.right.pressure_ncm2])
    total = np.concatenate([rec.left.total_force_n, rec.right.total_force_n])
    usable = np.isfinite(pressure).all(axis=1) & np.isfinite(total) & (total > 0)
    if not usable.any():
        raise InputError(
            "insole size unknown and not inferable (no loaded sample with pressures)", rec.source
        )
    residuals = [np.median(np.abs(pressure[usable] @ cell_areas_cm2(s) - total[usable])) for s in VALID_SIZES]
    return VALID_SIZES[int(np.argmin(residuals))]


def insole_streams(
    rec: InsoleRecording, rate_hz: float = 30.0, body_weight_n: float | None = None
) -> InsoleFeatures:
    """Resampled, normalised input streams of ``rec`` (see the module docstring for every channel)."""
    if rec.n_samples < 2:
        raise InputError(f"recording has {rec.n_samples} sample(s); need at least 2", rec.source)
    if not rate_hz > 0:
        raise InputError(f"frame rate must be positive, got {rate_hz}")
    if not np.all(np.diff(rec.time_s) > 0):
        raise InputError("the time axis is not strictly increasing", rec.source)
    estimated = body_weight_n is None
    weight_n = estimate_body_weight_n(rec) if estimated else float(body_weight_n)
    if not weight_n > 0:
        raise InputError(f"body weight must be positive, got {weight_n:.1f} N", rec.source)
    areas_cm2 = cell_areas_cm2(insole_size_of(rec))
    grid = _NativeGrid.of(rec.time_s)
    first, last = np.ceil(rec.time_s[0] * rate_hz - 1e-6), np.floor(rec.time_s[-1] * rate_hz + 1e-6)
    frame_time_s = np.arange(first, last + 1) / rate_hz
    streams: dict[str, np.ndarray] = {}
    present: dict[str, np.ndarray] = {}
    for side in SIDES:
        modalities = _modalities(rec.foot(side), areas_cm2, weight_n)
        modalities["odometry"] = _Modality(_odometry_rows(track_foot(rec, side)), finish=_clip_still)
        for modality, source in modalities.items():
            frames, mask = _to_frames(rec.time_s, source, grid, frame_time_s, rate_hz)
            values = np.full((frame_time_s.size, len(MODALITY_CHANNELS[modality])), np.nan, dtype=np.float32)
            if mask.any():
                values[mask] = frames[mask] if source.finish is None else source.finish(frames[mask])
            streams[stream_name(side, modality)] = values
            present[stream_name(side, modality)] = mask
    return InsoleFeatures(frame_time_s, float(rate_hz), streams, present, weight_n, estimated, rec.source)


@dataclass(frozen=True)
class _Modality:
    """How one stream is made: input-rate channels ``[N, c]`` (NaN = missing), an optional transform of
    each gap-free segment ``([n, c], rate_hz) → [n, C]`` and an optional fix-up of present frames."""

    values: np.ndarray
    segment_transform: Callable[[np.ndarray, float], np.ndarray] | None = None
    finish: Callable[[np.ndarray], np.ndarray] | None = None


def _modalities(foot: FootSignals, areas_cm2: np.ndarray, weight_n: float) -> dict[str, _Modality]:
    force_bw = foot.pressure_ncm2 * areas_cm2 / weight_n
    total_bw = foot.total_force_n / weight_n
    # Force-weighted CoP (a moment) is continuous through unloading, so it can be filtered; the NaN CoP
    # of an unloaded foot is a zero moment, not a missing sample.
    unloaded = np.isfinite(total_bw) & (total_bw <= 0)
    moment_bw = np.where(unloaded[:, None], 0.0, total_bw[:, None] * foot.cop_norm)
    return {
        "rearfoot_pressure": _Modality(force_bw[:, region_indices("rearfoot")]),
        "forefoot_pressure": _Modality(force_bw[:, region_indices("forefoot")]),
        "imu": _Modality(np.concatenate([foot.acc_g, foot.gyro_dps], axis=1), _imu_channels, _unit_up),
        "force_cop": _Modality(np.concatenate([total_bw[:, None], moment_bw], axis=1), finish=_cop_channels),
    }


def _odometry_rows(track: FootTrack) -> np.ndarray:
    """``[N, 6]`` odometry channels on the recording's samples (module table), NaN where untracked."""
    rows = np.full((track.time_s.size, len(MODALITY_CHANNELS["odometry"])), np.nan)
    for index in np.unique(track.segment[track.tracked]):
        samples = np.flatnonzero(track.segment == index)
        if samples.size < 2:
            continue
        heading = track.heading_rad[samples]
        cos, sin = np.cos(heading), np.sin(heading)
        velocity = track.velocity_m_s[samples]
        rows[samples] = np.column_stack(
            [
                cos * velocity[:, 0] + sin * velocity[:, 1],
                -sin * velocity[:, 0] + cos * velocity[:, 1],
                velocity[:, 2],
                np.gradient(heading, track.time_s[samples]),
                track.position_m[samples, 2],
                track.still[samples],
            ]
        )
    return rows


def _clip_still(frames: np.ndarray) -> np.ndarray:
    """The still flag, smoothed by resampling, stays a fraction in [0, 1]."""
    return np.concatenate([frames[:, :5], np.clip(frames[:, 5:], 0.0, 1.0)], axis=1)


def _imu_channels(acc_gyro: np.ndarray, rate_hz: float) -> np.ndarray:
    """``[n, 6]`` acc (g) + gyro (deg/s) of a gap-free segment → the 9 imu stream channels."""
    levelled = level_imu(acc_gyro[:, :3], acc_gyro[:, 3:], rate_hz)
    return np.concatenate([levelled.free_acc_g, levelled.gyro_level_dps, levelled.up_in_sensor], axis=1)


def _unit_up(frames: np.ndarray) -> np.ndarray:
    """Re-normalise the up direction (channels 6-8) after filtering and interpolation."""
    up = frames[:, 6:9]
    return np.concatenate([frames[:, :6], up / np.linalg.norm(up, axis=1, keepdims=True)], axis=1)


def _cop_channels(frames: np.ndarray) -> np.ndarray:
    """``[n, 3]`` force, moment x, moment y (body weights) → ``[n, 4]`` force, CoP x, CoP y, loaded."""
    force_bw = frames[:, :1]
    loaded = force_bw >= LOADED_FRACTION
    cop = np.where(loaded, frames[:, 1:3] / np.where(loaded, force_bw, 1.0), 0.0)
    return np.concatenate([force_bw, cop, loaded.astype(float)], axis=1)


@dataclass(frozen=True)
class _NativeGrid:
    """The recording's nominal uniform sample grid (its time axis can lack rows)."""

    time_s: np.ndarray
    rate_hz: float

    @classmethod
    def of(cls, time_s: np.ndarray) -> _NativeGrid:
        step_s = median_step_s(time_s)
        n = round((time_s[-1] - time_s[0]) / step_s) + 1
        return cls(time_s[0] + np.arange(n) * step_s, 1.0 / step_s)

    @property
    def tolerance_s(self) -> float:
        return 0.25 / self.rate_hz


def _bridge_short_gaps(
    time_s: np.ndarray, values: np.ndarray, grid: _NativeGrid
) -> tuple[np.ndarray, np.ndarray]:
    """Rows ``[N, c]`` on ``time_s`` → grid values ``[G, c]`` and ``[G]`` validity.

    A grid time is valid when a complete sample lies on it, or when the complete samples around it leave
    at most :data:`MAX_GAP_S` of missing time between them (then it is linearly interpolated).
    """
    complete = np.isfinite(values).all(axis=1)
    t_ok, v_ok = time_s[complete], values[complete]
    on_grid = np.full((grid.time_s.size, values.shape[1]), np.nan)
    if t_ok.size == 0:
        return on_grid, np.zeros(grid.time_s.size, dtype=bool)
    tol = grid.tolerance_s
    after = np.searchsorted(t_ok, grid.time_s - tol, side="left")  # first complete sample ≥ t - tol
    before = np.searchsorted(t_ok, grid.time_s + tol, side="right") - 1  # last complete sample ≤ t + tol
    inside = (after < t_ok.size) & (before >= 0)
    gap_s = t_ok[np.minimum(after, t_ok.size - 1)] - t_ok[np.maximum(before, 0)] - 1.0 / grid.rate_hz
    valid = inside & (gap_s <= MAX_GAP_S + tol)
    for c in range(values.shape[1]):
        on_grid[valid, c] = np.interp(grid.time_s[valid], t_ok, v_ok[:, c])
    return on_grid, valid


def _to_frames(
    time_s: np.ndarray, source: _Modality, grid: _NativeGrid, frame_time_s: np.ndarray, rate_hz: float
) -> tuple[np.ndarray, np.ndarray]:
    """One modality: input rows → ``[T, c]`` frames (meaningful where present; ``c`` = the transformed
    width, 0 when nothing was recorded) and ``[T]`` presence."""
    on_grid, valid = _bridge_short_gaps(time_s, source.values, grid)
    lowpass = None
    if rate_hz < grid.rate_hz:
        cutoff_hz = ANTI_ALIAS_FRACTION * rate_hz / 2.0
        lowpass = signal.butter(FILTER_ORDER, cutoff_hz, fs=grid.rate_hz, output="sos")
    frames: np.ndarray | None = None
    present = np.zeros(frame_time_s.size, dtype=bool)
    labels, _ = ndimage.label(valid)
    for segment in ndimage.find_objects(labels):
        seg_time_s = grid.time_s[segment]
        seg = on_grid[segment]
        if source.segment_transform is not None:
            seg = source.segment_transform(seg, grid.rate_hz)
        if lowpass is not None and len(seg) > 1:
            edge = min(3 * (2 * len(lowpass) + 1), len(seg) - 1)
            seg = signal.sosfiltfilt(lowpass, seg, axis=0, padlen=edge)
        inside = (
            np.abs(frame_time_s - np.clip(frame_time_s, seg_time_s[0], seg_time_s[-1])) <= grid.tolerance_s
        )
        if frames is None:
            frames = np.full((frame_time_s.size, seg.shape[1]), np.nan)
        for c in range(seg.shape[1]):
            frames[inside, c] = np.interp(frame_time_s[inside], seg_time_s, seg[:, c])
        present |= inside
    return (np.empty((frame_time_s.size, 0)) if frames is None else frames), present
