"""The in-memory insole recording type: a pair of insoles on one time axis.

Units live in the field names. A missing sample is ``NaN`` (never 0.0: a zero is a real reading
of an unloaded cell), so gaps survive every step of the pipeline and can be written back out.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

N_PRESSURE_CELLS = 16
SIDES: tuple[str, str] = ("left", "right")


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

    def missing_mask(self) -> np.ndarray:
        """``[T]`` True where any channel of this foot is missing."""
        channels = (self.pressure_ncm2, self.acc_g, self.gyro_dps, self.total_force_n[:, None], self.cop_norm)
        return np.any(np.concatenate([np.isnan(c) for c in channels], axis=1), axis=1)


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
        """Nominal sample rate from the median time step."""
        if self.n_samples < 2:
            return float("nan")
        return float(1.0 / np.median(np.diff(self.time_s)))

    @property
    def duration_s(self) -> float:
        """Covered time: samples × sample period (0 for fewer than two samples)."""
        return self.n_samples / self.rate_hz if self.n_samples > 1 else 0.0
