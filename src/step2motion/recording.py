"""The in-memory insole recording type: a pair of insoles on one time axis.

Units live in the field names. A missing sample is ``NaN`` (never 0.0: a zero is a real reading
of an unloaded cell), so gaps survive every step of the pipeline and can be written back out.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import numpy as np

from step2motion.errors import InputError

N_PRESSURE_CELLS = 16
SIDES: tuple[str, str] = ("left", "right")
#: Sample rates an OpenGo insole records at (Hz).
OPENGO_RATES_HZ: tuple[float, ...] = (10.0, 25.0, 50.0, 100.0)
#: How far (relative) a recording's median time step may be from one of those rates' periods.
RATE_TOLERANCE = 0.1
#: Stretches of missing time (s) longer than this between consecutive time stamps are reported: the
#: model's input features bridge shorter ones and leave longer ones missing (the same value as
#: :data:`step2motion.dataset.insole_features.MAX_GAP_S`).
REPORTED_GAP_S = 0.1


def opengo_rate(rate_hz: float) -> float | None:
    """The OpenGo rate ``rate_hz`` is (within :data:`RATE_TOLERANCE`), or None when it is none of them."""
    return next((r for r in OPENGO_RATES_HZ if abs(rate_hz / r - 1.0) <= RATE_TOLERANCE), None)


@dataclass
class FootSignals:
    """What one insole measures, ``T`` samples on the recording's time axis (``NaN`` = missing).

    Attributes:
        pressure_ncm2: ``[T, 16]`` cell pressures in N/cm², cells in OpenGo order 1..16.
        acc_g: ``[T, 3]`` accelerometer (specific force) in the insole frame, in g.
        gyro_dps: ``[T, 3]`` angular rate in the insole frame, in deg/s.
        total_force_n: ``[T]`` total normal force in N (= Σ pressure × cell area).
        cop_norm: ``[T, 2]`` centre of pressure in the size- and side-agnostic normalised insole
            frame, each axis in [-0.5, 0.5] (X heel→toe, Y across the foot).
    """

    pressure_ncm2: np.ndarray
    acc_g: np.ndarray
    gyro_dps: np.ndarray
    total_force_n: np.ndarray
    cop_norm: np.ndarray

    def __post_init__(self) -> None:
        n = self.pressure_ncm2.shape[0]
        expected = {
            "pressure_ncm2": (n, N_PRESSURE_CELLS),
            "acc_g": (n, 3),
            "gyro_dps": (n, 3),
            "total_force_n": (n,),
            "cop_norm": (n, 2),
        }
        for name, shape in expected.items():
            if getattr(self, name).shape != shape:
                raise ValueError(f"{name} must have shape {shape}, got {getattr(self, name).shape}")

    @classmethod
    def missing(cls, n_samples: int) -> FootSignals:
        """A foot with every sample missing (for a side the file does not contain)."""
        nan = np.full
        return cls(
            pressure_ncm2=nan((n_samples, N_PRESSURE_CELLS), np.nan),
            acc_g=nan((n_samples, 3), np.nan),
            gyro_dps=nan((n_samples, 3), np.nan),
            total_force_n=nan((n_samples,), np.nan),
            cop_norm=nan((n_samples, 2), np.nan),
        )

    def take(self, index: np.ndarray | slice) -> FootSignals:
        """The samples ``index`` picks (a boolean mask or indices along time) of every channel."""
        return FootSignals(**{name: getattr(self, name)[index] for name in FOOT_FIELDS})

    def missing_mask(self) -> np.ndarray:
        """``[T]`` True where any channel of this foot is missing."""
        channels = (self.pressure_ncm2, self.acc_g, self.gyro_dps, self.total_force_n[:, None], self.cop_norm)
        return np.any(np.concatenate([np.isnan(c) for c in channels], axis=1), axis=1)


#: The names of :class:`FootSignals`' channels, in field order.
FOOT_FIELDS: tuple[str, ...] = tuple(f.name for f in dataclasses.fields(FootSignals))


@dataclass
class InsoleRecording:
    """A left/right insole recording on one shared time axis.

    Attributes:
        time_s: ``[T]`` sample times in seconds, increasing.
        left, right: per-foot signals.
        insole_size: insole size (OpenGo sizes 1..10), ``None`` when the file does not say.
        metadata: header fields as found (e.g. ``{"Start time": ..., "Name": ...}``), order kept.
        extra_columns: channels outside the per-foot schema (step events, manual events, CoP
            velocity, ...) keyed by their full column title, ``[T]`` each; kept so nothing is lost.
        missing_channels: schema columns the file did not contain (filled with ``NaN``).
        source: file path or description, for messages.
    """

    time_s: np.ndarray
    left: FootSignals
    right: FootSignals
    insole_size: int | None = None
    metadata: dict[str, str] = field(default_factory=dict)
    extra_columns: dict[str, np.ndarray] = field(default_factory=dict)
    missing_channels: tuple[str, ...] = ()
    source: str = ""

    def foot(self, side: str) -> FootSignals:
        if side not in SIDES:
            raise KeyError(f"side must be one of {SIDES}, got {side!r}")
        return self.left if side == "left" else self.right

    @property
    def n_samples(self) -> int:
        return int(self.time_s.shape[0])

    @property
    def rate_hz(self) -> float:
        """Nominal sample rate from the median time step (:func:`median_rate_hz`)."""
        return median_rate_hz(self.time_s)

    @property
    def duration_s(self) -> float:
        """Time the time stamps cover (:func:`covered_duration_s`)."""
        return covered_duration_s(self.time_s)

    def time_gaps(self, longer_than_s: float = REPORTED_GAP_S) -> np.ndarray:
        """Stretches without a time stamp (:func:`time_gaps`)."""
        return time_gaps(self.time_s, longer_than_s=longer_than_s)

    def between(self, start_s: float | None, end_s: float | None) -> InsoleRecording:
        """The samples with ``start_s ≤ t ≤ end_s`` (s on this clock; None: that end of the recording), every
        channel cut alike; ``InputError`` (worded for ``--start``/``--end``) when fewer than 2 remain."""
        if start_s is not None and end_s is not None and not end_s > start_s:
            raise InputError(
                f"--end ({end_s:g} s) must be after --start ({start_s:g} s)", self.source or None
            )
        t0 = self.time_s[0] if start_s is None else start_s
        t1 = self.time_s[-1] if end_s is None else end_s
        keep = (self.time_s >= t0) & (self.time_s <= t1)
        if keep.sum() < 2:
            raise InputError(
                f"{t0:g}-{t1:g} s holds fewer than 2 samples; the recording spans "
                f"{self.time_s[0]:g}-{self.time_s[-1]:g} s",
                self.source or None,
            )
        return self.take(keep)

    def take(self, index: np.ndarray | slice) -> InsoleRecording:
        """The samples ``index`` picks (a boolean mask, indices or a slice along time), all channels alike."""
        return dataclasses.replace(
            self,
            time_s=self.time_s[index],
            **{side: self.foot(side).take(index) for side in SIDES},
            extra_columns={name: column[index] for name, column in self.extra_columns.items()},
        )


# What the time stamps alone tell; functions of the time column, so that a reader that keeps only the time
# stamps of a long export (``info``, chunked statistics, a stream) computes them as a whole recording does.


def median_step_s(time_s: np.ndarray) -> float:
    """Nominal time step (s): the median of the steps, so that a dropped or doubled sample does not move
    it; NaN for fewer than two samples."""
    if time_s.shape[0] < 2:
        return float("nan")
    return float(np.median(np.diff(time_s)))


def median_rate_hz(time_s: np.ndarray) -> float:
    """Nominal sample rate from the median time step; NaN for fewer than two samples."""
    return 1.0 / median_step_s(time_s)


def samples_spanning(duration_s: float, time_s: np.ndarray) -> int:
    """Whole samples (at least 1) that ``duration_s`` spans at the median rate of ``time_s``: the length of a
    moving window given in seconds (1 for fewer than two samples)."""
    if time_s.shape[0] < 2:
        return 1
    return max(1, round(duration_s * median_rate_hz(time_s)))


def covered_duration_s(time_s: np.ndarray) -> float:
    """Time the time stamps cover: first sample to the end of the last one's period (= samples × period
    when no row is missing; rows dropped from the export must not shorten it), 0 for fewer than two."""
    if time_s.shape[0] < 2:
        return 0.0
    return float(time_s[-1] - time_s[0]) + 1.0 / median_rate_hz(time_s)


def time_gaps(
    time_s: np.ndarray, period_s: float | None = None, longer_than_s: float = REPORTED_GAP_S
) -> np.ndarray:
    """``[n, 2]`` (start, length) in seconds of every stretch of more than ``longer_than_s`` without a time
    stamp (rows missing from the export): from one sample ``period_s`` (default: the median step's) after a
    sample to the next."""
    if time_s.shape[0] < 2:
        return np.zeros((0, 2))
    period_s = 1.0 / median_rate_hz(time_s) if period_s is None else period_s
    missing_s = np.diff(time_s) - period_s
    before = np.flatnonzero(missing_s > longer_than_s + 1e-9)
    return np.column_stack([time_s[before] + period_s, missing_s[before]])
