"""Spread one foot's vertical force over the 16 insole cells, following how the foot rolls.

Why: as a foot rolls from heel strike to push-off, the part of the sole nearest the floor carries the
load: heel cells while the toes point up, everything while the foot is flat, metatarsal and toe
cells once the heel has risen (tiptoes: those only). Two things shape a foot's pressure:

* Geometry (which cells *can* carry load): the sole model of :mod:`~step2motion.simulation.foot_contact`
  gives each cell's height; a cell's pressure falls exponentially with its height above the foot's
  lowest cell (a soft sole, ``ROLL_SCALE_M``) and is zero from ``LIFTED_M`` up (that part of the sole
  is in the air: heel pad, insole and shoe compress by about a centimetre under body weight, so a
  cell 2 cm up no longer touches), on top of an anatomical flat-foot pattern. Flat-foot phases of
  CMU walks keep every cell within 0.1–0.4 cm of the lowest, well inside that band.
* Progression (where the centre of pressure *is*): :func:`tilt_towards` moves the centre of pressure
  along the foot to the target of :func:`cop_target_x_norm`, within the loaded cells: the roll-over
  target of :func:`~step2motion.simulation.foot_contact.rollover_cop_x_norm` while the heel is down,
  and no further back than the loaded cells' own centroid once the heel has lifted (the forefoot
  rocker: the foot pivots on the metatarsal heads and toes, which alone carry the load).

Calibration (the constants below): the flat-foot pattern started from the relative cell pressures of
the real OpenGo walks at mid-stance (35–50 % of stance): heel pad high, lateral midfoot moderate,
medial arch (cell 7) almost unloaded, hallux high, lesser toes low. It was then fitted, with the
roll-over centre and ``ROLL_SCALE_M``, so that six corpus walks (CMU 02_01, 05_01, 07_01, 08_01 and
DAZ 35_01, 38_01), simulated at the real walker's weight (85 kg), match the real exports' region
impulse shares and peak pressures: heel × 1.3, the metatarsal row peaked on cell 11 (2nd–3rd heads,
the real exports' highest metatarsal cell), lesser toes × 2. The real exports' own quiet stance (mean
of 4 feet, relative to cell 6) has the same heel (0.61–1.0), midfoot and hallux (1.08), but lower
metatarsals (0.18–0.40) and lesser toes (0.11–0.12); used as the pattern it matches the walks' per-cell
impulse shares better but puts the hallux peak at 32 N/cm² (real 19–25), so the walking fit is kept.
In that quiet stance the hallux cell reads as much as the heel cells (cell 14 / mean heel cell
0.9–1.7 in the four feet), as the simulation does.

Forces are exact: Σ pressure·area equals the foot's force in every frame.
"""

from __future__ import annotations

import numpy as np

from step2motion import insole_layout

#: Relative pressure of cells 1..16 when the whole foot is flat on the floor.
FLAT_FOOT_PRESSURE: np.ndarray = np.array([
    0.72, 0.56, 0.78, 0.78, 0.67, 1.0, 0.04, 0.51,
    0.17, 0.3, 0.68, 0.43, 0.21, 0.92, 0.26, 0.26,
])  # fmt: skip
#: Extra height of the foot above each cell: the medial longitudinal arch spans cell 7 by ≈ 1 cm.
ARCH_CLEARANCE_M: np.ndarray = np.where(np.arange(1, 17) == 7, 0.01, 0.0)
#: A cell this much higher than the foot's lowest cell carries 1/e as much.
ROLL_SCALE_M = 0.01
#: Centre-of-pressure X targets are kept within the real heel-strike … toe-off range (OpenGo walks:
#: -0.33 … -0.35 at heel strike, +0.32 … +0.35 at toe-off).
COP_X_RANGE_NORM = (-0.35, 0.34)
#: Largest tilt (per unit of normalised X) towards a centre-of-pressure target, and bisection steps.
MAX_TILT = 6.0
TILT_BISECTIONS = 30
#: Cells higher than the first value above the lowest cell are fading out; above the second, unloaded
#: (the sole's compliance, module docstring).
LIFTED_M = (0.01, 0.02)
#: Heel off (:func:`cop_target_x_norm`): the heel pad's cells (those behind the ankle) this far above
#: the lowest cell, on average, start / finish handing the centre of pressure to the forefoot's
#: geometry. The scale is the sole's compliance (``ROLL_SCALE_M``): within it the heel still bears.
HEEL_OFF_M = (0.005, 0.015)
_HEEL_PAD = insole_layout.CELL_CENTROIDS_NORM[:, 0] < -0.25


def pressure_shape(cell_heights_m: np.ndarray) -> np.ndarray:
    """Relative cell pressures ``[T, 16]`` of a foot from its cell heights ``[T, 16]`` (any floor level)."""
    heights = cell_heights_m + ARCH_CLEARANCE_M
    above_lowest = heights - heights.min(axis=1, keepdims=True)
    fade = np.clip((LIFTED_M[1] - above_lowest) / (LIFTED_M[1] - LIFTED_M[0]), 0.0, 1.0)
    return FLAT_FOOT_PRESSURE * np.exp(-above_lowest / ROLL_SCALE_M) * fade


def cop_target_x_norm(
    shape: np.ndarray, cell_heights_m: np.ndarray, rollover_x_norm: np.ndarray
) -> np.ndarray:
    """Centre-of-pressure X target ``[T]`` of a foot: roll-over while the heel is down, forefoot rocker after.

    Why: the roll-over circle (Hansen & Childress) describes the CoP from heel contact to opposite heel
    contact while the foot rolls on its sole; from heel-off to toe-off the foot pivots on the metatarsal
    heads with the toes flat, so the CoP lies among those loaded cells (real OpenGo walks: +0.27 at
    80 % of stance, +0.34 just before toe-off), while the shank-fixed circle centre still lags behind
    the ball (CMU walks: +0.09 at 80 %, a backward tilt that reloaded the lifting heel and kept the toes
    at 12–16 % of the impulse). So, as the heel pad rises through ``HEEL_OFF_M`` above the lowest cell,
    the target becomes at least the centroid of ``shape`` ``[T, 16]`` (the cells that can still bear);
    ``cell_heights_m`` ``[T, 16]`` and ``rollover_x_norm`` ``[T]`` (NaN: no target, kept NaN).
    """
    heights = cell_heights_m + ARCH_CLEARANCE_M
    heel_lift_m = heights[:, _HEEL_PAD].mean(axis=1) - heights.min(axis=1)
    t = np.clip((heel_lift_m - HEEL_OFF_M[0]) / (HEEL_OFF_M[1] - HEEL_OFF_M[0]), 0.0, 1.0)
    heel_off = t * t * (3.0 - 2.0 * t)
    x = insole_layout.CELL_CENTROIDS_NORM[:, 0]
    geometric_x = (shape @ x) / np.maximum(shape.sum(axis=1), 1e-12)
    return rollover_x_norm + heel_off * np.maximum(geometric_x - rollover_x_norm, 0.0)


def tilt_towards(shape: np.ndarray, target_x_norm: np.ndarray, insole_size: int) -> np.ndarray:
    """``shape`` ``[T, 16]`` reweighted by ``exp(β·x)`` so its centre of pressure lies at ``target_x_norm``.

    Why: the cells a foot stands on say where its centre of pressure *can* be; the roll-over target
    says where it *is* (heel → toes as the body passes over the foot). Exponential tilting along the
    insole X axis moves the centre of pressure while keeping zero cells zero; β is found by bisection
    (the tilted mean grows monotonically with β) and bounded by ``MAX_TILT``, so a target outside the
    loaded cells leaves the load at that end rather than on a single cell. Targets are clipped to
    ``COP_X_RANGE_NORM``; NaN (a foot pointing straight down has no horizontal axis) means no tilt.
    """
    x = insole_layout.CELL_CENTROIDS_NORM[:, 0]
    forces = shape * insole_layout.cell_areas_cm2(insole_size)
    target = np.clip(np.nan_to_num(target_x_norm, nan=0.0), *COP_X_RANGE_NORM)
    low, high = np.full(len(shape), -MAX_TILT), np.full(len(shape), MAX_TILT)
    for _ in range(TILT_BISECTIONS):
        beta = 0.5 * (low + high)
        tilted = forces * np.exp(beta[:, None] * x)
        too_far = tilted @ x > target * tilted.sum(axis=1)
        high, low = np.where(too_far, beta, high), np.where(too_far, low, beta)
    beta = np.where(np.isnan(target_x_norm), 0.0, 0.5 * (low + high))
    return shape * np.exp(beta[:, None] * x)


def distribute_force(force_n: np.ndarray, shape: np.ndarray, insole_size: int) -> np.ndarray:
    """Cell pressures ``[T, 16]`` (N/cm²) carrying ``force_n`` ``[T]`` with relative pressures ``shape``."""
    return force_n[:, None] * shape / (shape @ insole_layout.cell_areas_cm2(insole_size))[:, None]


def shape_centroid(shape: np.ndarray, points: np.ndarray, insole_size: int) -> np.ndarray:
    """Area-weighted mean ``[T, D]`` of per-cell ``points`` ``[T, 16, D]`` or ``[16, D]`` under ``shape``."""
    forces = shape * insole_layout.cell_areas_cm2(insole_size)
    weights = forces / forces.sum(axis=1, keepdims=True)
    return np.einsum("tc,tcd->td", weights, np.broadcast_to(points, (*weights.shape, points.shape[-1])))
