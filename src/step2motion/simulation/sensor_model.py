"""Sensor realism: turn ideal simulated insole signals into what a real OpenGo export contains.

Every call (also ``noise="none"``) digitises like the real device: pressures clipped to
[0, 50] N/cm² and quantised to 0.25 N/cm², accelerometer and gyroscope quantised to their chip LSB
and saturated at the int16 range, then total force = Σ p·A and the centre of pressure are recomputed
from the final pressures and rounded like the exports (CoP is written as (0, 0) while the foot carries
≤ 50 N). ``noise="realistic"`` first adds the errors below, all drawn from the caller's ``rng``
(one fixed draw order, so a seed reproduces the output exactly). NaN (missing) samples stay NaN.

Numbers. "Measured" = the two real exports 230927_102114/102137 (one insole pair, size 7, 100 Hz).
Quiet stance = foot loaded > 200 N with all gyro axes < 8 deg/s (687–885 samples per foot and file).
White-noise levels there are second differences / √6 (unbiased for white noise on a slow signal).

==========================  ==========================  =================================================
quantity                    value                       source / why
==========================  ==========================  =================================================
pressure step               0.25 N/cm²                  every exported pressure is a multiple of 0.25
pressure saturation         50 N/cm²                    OpenGo's published range 0–50 N/cm² (walking
                                                        peaks measured: 20–32 N/cm²)
acc LSB, range              1/2048 g, int16 (±16 g)     every exported acc × 2048 is an integer (to the
                                                        6 exported decimals): a ±16 g 16-bit chip
gyro LSB, range             0.07 deg/s, int16           every exported gyro / 0.07 is an integer: the
                            (±2293.7 deg/s)             70 mdps LSB of a ±2000 deg/s 16-bit chip
export rounding             acc, gyro: float32 code ×   reproduces every acc and gyro value of both
                            LSB, 6 decimals; CoP 6      exports (gyro 13.44 is written 13.440001); total
                            decimals; force whole N     force in whole newtons (|F − Σ p·A| ≤ 0.6 N)
CoP written as (0, 0)       total force ≤ 50 N          measured: largest force with CoP (0, 0) is 50 N,
                                                        smallest force with a CoP is 50 N (both files)
acc white noise σ           0.003 g at 100 Hz,          measured 0.0029–0.0039 g per axis (an upper
                            × √(rate / 100 Hz)          bound: the foot is not perfectly still). The PNP
                                                        recipe (0.05 m/s² per 60 fps sample) would give
                                                        0.0066 g at 100 Hz, 2× the real sensor. Constant
                                                        noise density, so σ scales with √rate
gyro white noise σ          0.1 deg/s at 100 Hz,        measured 0.055–0.079 deg/s on the quietest axis
                            × √(rate / 100 Hz)          (Z), 0.074–0.18 on X and Y; PNP (0.005 rad/s per
                                                        60 fps sample) would give 0.37 deg/s at 100 Hz
acc constant bias σ         0.01 g per axis             measured quiet-stance |acc|: 0.983–0.984 g
                                                        (left unit), 1.000–1.001 g (right unit)
gyro constant bias σ        2 deg/s per axis            measured quiet-stance mean gyro per unit: left
                                                        (−0.6…−0.9, 0.9…1.3, −1.1…−1.2), right
                                                        (−2.3…−2.8, −2.5…−2.9, 1.8…2.4) deg/s, RMS 1.9
acc bias random walk        1e-4 m/s² per √s            PNP recipe (1e-4·√(1/60) per 60 fps sample);
                                                        per-sample step = 1e-4·√(1/rate)
gyro bias random walk       1e-5 rad/s per √s           PNP recipe; likewise. Both walks are tiny over a
                                                        clip; the real exports cannot resolve them
misalignment (acc & gyro)   rotation vector, σ 2° per   the two real units' quiet-stance tilts differ by
                            axis, constant per foot     ≈ 1°; shoes and feet add more. PNP's 0.1 rad is
                                                        for straps on body segments, not a shoe insole
pressure cell noise σ       U(0.18, 0.32) N/cm² per     measured at loads ≥ 1 N/cm²: 0.19–0.20 (right
                            foot at loads ≥ 1 N/cm²,    unit), 0.30–0.32 (left unit), 0.18–0.31 without
                            ramping to 0 at no load     the quantisation (0.072); below 1 N/cm² 0.13–0.17.
                                                        Unloaded cells carry no noise: 42–72 % of swing
                                                        rows read exactly 0 in all 16 cells, and the
                                                        rest are short loads at the start and end of swing
activation threshold        U(0.125, 0.375) N/cm² per   a cell reads 0 below its threshold, else at least
                            cell and foot               0.25. Measured: 80–88 % of cell onsets (0 → >0)
                                                        read 0.25 and every cell reads 0.25 at times, so
                                                        no threshold exceeds 1.5 steps; noise="none" uses
                                                        0.125 (plain rounding)
missing samples             gap starts 0.32 / s per     measured (within each side's recorded span): 25
                            side; lengths 10/20/60/70   gaps in 79.3 side-seconds; 21 of one sample, 2
                            ms with p 21/2/1/1 (/25)    of two, one of 6 and one of 7; 0.26–0.76 % of
                                                        samples per side (mean 0.48 %); all 25 channels
                                                        of the side are empty together
==========================  ==========================  =================================================

Not simulated: a side starting late or stopping early (the left side of both exports is empty for the
first 0.5–0.6 s; 4–5 trailing samples of one side are empty), and the brief loads that real insoles
record early and late in swing (shoe contact).
"""

from __future__ import annotations

import dataclasses

import numpy as np
from scipy.spatial.transform import Rotation

from step2motion import insole_layout
from step2motion.recording import SIDES, FootSignals, InsoleRecording
from step2motion.simulation.imu import GRAVITY_MPS2

NOISE_LEVELS: tuple[str, ...] = ("none", "realistic")

PRESSURE_STEP_NCM2 = 0.25
PRESSURE_MAX_NCM2 = 50.0
ACC_LSB_G = 1.0 / 2048.0
GYRO_LSB_DPS = 0.07
_INT16_RANGE = (-32768, 32767)
IMU_DECIMALS, COP_DECIMALS, FORCE_DECIMALS = 6, 6, 0
COP_MIN_FORCE_N = 50.0

NOISE_REFERENCE_RATE_HZ = 100.0
ACC_WHITE_NOISE_G = 0.003
GYRO_WHITE_NOISE_DPS = 0.1
ACC_BIAS_G = 0.01
GYRO_BIAS_DPS = 2.0
ACC_BIAS_WALK_G_PER_SQRT_S = 1e-4 / GRAVITY_MPS2
GYRO_BIAS_WALK_DPS_PER_SQRT_S = float(np.degrees(1e-5))
MISALIGNMENT_DEG = 2.0
PRESSURE_NOISE_RANGE_NCM2 = (0.18, 0.32)
PRESSURE_NOISE_FULL_LOAD_NCM2 = 1.0
ACTIVATION_THRESHOLD_RANGE_NCM2 = (0.125, 0.375)
GAP_RATE_PER_S = 0.32
GAP_DURATIONS_S = (0.01, 0.02, 0.06, 0.07)
GAP_DURATION_PROBABILITIES = (21 / 25, 2 / 25, 1 / 25, 1 / 25)
#: Per-side missing-sample fraction seen in the real exports (min, max).
MISSING_FRACTION_RANGE = (0.0026, 0.0076)


def digitise_pressure(pressure_ncm2: np.ndarray, threshold_ncm2: np.ndarray | float) -> np.ndarray:
    """Clip to [0, 50] N/cm², quantise to 0.25; below ``threshold`` a cell reads 0, above it ≥ 0.25.

    ``pressure_ncm2`` is ``[T, 16]``; ``threshold_ncm2`` a scalar or ``[16]``. NaN stays NaN.
    """
    clipped = np.clip(pressure_ncm2, 0.0, PRESSURE_MAX_NCM2)
    steps = np.round(clipped / PRESSURE_STEP_NCM2)
    with np.errstate(invalid="ignore"):
        steps = np.where(clipped >= threshold_ncm2, np.maximum(steps, 1.0), 0.0)
    return np.where(np.isnan(pressure_ncm2), np.nan, steps * PRESSURE_STEP_NCM2)


def _digitise_imu(values: np.ndarray, lsb: float) -> np.ndarray:
    """Quantise to the chip LSB and saturate at the int16 range; scale in float32 and round to 6 decimals
    as the exports do (this reproduces every exported acc and gyro value). NaN stays NaN."""
    codes = np.clip(np.round(values / lsb), *_INT16_RANGE)
    scaled = codes.astype(np.float32) * np.float32(lsb)
    return np.round(scaled.astype(np.float64), IMU_DECIMALS)


def derived_channels(pressure_ncm2: np.ndarray, insole_size: int) -> tuple[np.ndarray, np.ndarray]:
    """Total force ``[T]`` (N, whole newtons) and CoP ``[T, 2]`` from final pressures ``[T, 16]``.

    CoP is (0, 0) while the exact force is ≤ ``COP_MIN_FORCE_N``, as the exports write it; rows with a
    missing pressure give NaN in both.
    """
    force_n = insole_layout.total_force_n(pressure_ncm2, insole_size)
    with np.errstate(invalid="ignore"):
        loaded = force_n > COP_MIN_FORCE_N
        cop = np.where(
            loaded[:, None], insole_layout.centre_of_pressure_norm(pressure_ncm2, insole_size), 0.0
        )
    cop = np.where(np.isnan(force_n)[:, None], np.nan, np.round(cop, COP_DECIMALS))
    return np.round(force_n, FORCE_DECIMALS), cop


def _white_noise_scale(rate_hz: float) -> float:
    """Per-sample σ multiplier at ``rate_hz`` for a noise specified per sample at 100 Hz."""
    return float(np.sqrt(rate_hz / NOISE_REFERENCE_RATE_HZ))


def _imu_errors(
    values: np.ndarray,
    rotation: Rotation,
    bias_sigma: float,
    walk_per_sqrt_s: float,
    white_sigma: float,
    rate_hz: float,
    rng: np.random.Generator,
) -> np.ndarray:
    """Misaligned, biased, drifting and noisy version of ``values`` ``[T, 3]``."""
    n = values.shape[0]
    bias = rng.normal(0.0, bias_sigma, 3)
    walk = np.cumsum(rng.normal(0.0, walk_per_sqrt_s / np.sqrt(rate_hz), (n, 3)), axis=0)
    white = rng.normal(0.0, white_sigma * _white_noise_scale(rate_hz), (n, 3))
    return rotation.apply(values) + bias + walk + white


def _pressure_errors(pressure_ncm2: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Noisy pressures ``[T, 16]`` (noise grows from 0 at no load to full at 1 N/cm²) and thresholds."""
    sigma = rng.uniform(*PRESSURE_NOISE_RANGE_NCM2)
    load_share = np.clip(pressure_ncm2 / PRESSURE_NOISE_FULL_LOAD_NCM2, 0.0, 1.0)
    noisy = pressure_ncm2 + sigma * load_share * rng.standard_normal(pressure_ncm2.shape)
    thresholds = rng.uniform(*ACTIVATION_THRESHOLD_RANGE_NCM2, insole_layout.CELL_CENTROIDS_NORM.shape[0])
    return noisy, thresholds


def missing_sample_mask(n_samples: int, rate_hz: float, rng: np.random.Generator) -> np.ndarray:
    """``[T]`` True where a side drops its sample: gaps start at ``GAP_RATE_PER_S`` with real lengths."""
    starts = np.flatnonzero(rng.random(n_samples) < GAP_RATE_PER_S / rate_hz)
    durations_s = rng.choice(GAP_DURATIONS_S, size=starts.size, p=GAP_DURATION_PROBABILITIES)
    lengths = np.maximum(1, np.round(durations_s * rate_hz)).astype(int)
    mask = np.zeros(n_samples, dtype=bool)
    for start, length in zip(starts, lengths, strict=True):
        mask[start : start + length] = True
    return mask


def _realistic_foot(
    foot: FootSignals, rate_hz: float, rng: np.random.Generator
) -> tuple[FootSignals, np.ndarray]:
    """Add every ``realistic`` error to one foot; returns the foot (undigitised) and pressure thresholds."""
    misalignment = Rotation.from_rotvec(rng.normal(0.0, np.radians(MISALIGNMENT_DEG), 3))
    acc_g = _imu_errors(
        foot.acc_g, misalignment, ACC_BIAS_G, ACC_BIAS_WALK_G_PER_SQRT_S, ACC_WHITE_NOISE_G, rate_hz, rng
    )
    gyro_dps = _imu_errors(
        foot.gyro_dps,
        misalignment,
        GYRO_BIAS_DPS,
        GYRO_BIAS_WALK_DPS_PER_SQRT_S,
        GYRO_WHITE_NOISE_DPS,
        rate_hz,
        rng,
    )
    pressure_ncm2, thresholds = _pressure_errors(foot.pressure_ncm2, rng)
    missing = missing_sample_mask(foot.pressure_ncm2.shape[0], rate_hz, rng)
    pressure_ncm2[missing] = np.nan
    acc_g[missing] = np.nan
    gyro_dps[missing] = np.nan
    return dataclasses.replace(foot, pressure_ncm2=pressure_ncm2, acc_g=acc_g, gyro_dps=gyro_dps), thresholds


def _digitise_foot(foot: FootSignals, thresholds_ncm2: np.ndarray | float, insole_size: int) -> FootSignals:
    pressure_ncm2 = digitise_pressure(foot.pressure_ncm2, thresholds_ncm2)
    total_force_n, cop_norm = derived_channels(pressure_ncm2, insole_size)
    return FootSignals(
        pressure_ncm2=pressure_ncm2,
        acc_g=_digitise_imu(foot.acc_g, ACC_LSB_G),
        gyro_dps=_digitise_imu(foot.gyro_dps, GYRO_LSB_DPS),
        total_force_n=total_force_n,
        cop_norm=cop_norm,
    )


def apply_sensor_model(recording: InsoleRecording, noise: str, rng: np.random.Generator) -> InsoleRecording:
    """A new recording that reads like a real OpenGo export (module docstring); the input is untouched.

    Args:
        recording: ideal signals; ``insole_size`` must be set (cell areas for force and CoP).
        noise: ``"none"`` (digitise only) or ``"realistic"`` (add sensor errors and missing samples first).
        rng: the only source of randomness (unused for ``"none"``).
    """
    if noise not in NOISE_LEVELS:
        raise ValueError(f"noise must be one of {NOISE_LEVELS}, got {noise!r}")
    if recording.insole_size is None:
        raise ValueError("recording.insole_size must be set to recompute total force and centre of pressure")
    feet = {}
    for side in SIDES:
        foot = recording.foot(side)
        thresholds: np.ndarray | float = PRESSURE_STEP_NCM2 / 2
        if noise == "realistic":
            foot, thresholds = _realistic_foot(foot, _rate_hz(recording), rng)
        feet[side] = _digitise_foot(foot, thresholds, recording.insole_size)
    return dataclasses.replace(
        recording,
        time_s=recording.time_s.copy(),
        left=feet["left"],
        right=feet["right"],
        metadata=dict(recording.metadata),
        extra_columns={name: values.copy() for name, values in recording.extra_columns.items()},
    )


def _rate_hz(recording: InsoleRecording) -> float:
    rate_hz = recording.rate_hz
    if not rate_hz > 0:
        raise ValueError("realistic sensor noise needs a recording of at least two samples")
    return rate_hz
