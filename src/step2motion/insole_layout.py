"""Geometry of the 16-cell OpenGo insole: cell centroids, areas per size, anatomical regions.

Frame (normalised, size- and side-agnostic, the frame of the exported centre of pressure):
X runs along the foot from heel (≈ -0.42) to toes (≈ +0.41); Y runs across the foot with **+Y on
the medial side** (big toe / first metatarsal): cell 14 (the most anterior toe cell, hallux) sits at
y = +0.18, cell 16 (smallest, little toes) at y = -0.31, and metatarsal cell 9 (y = +0.27) lies
further forward than cell 13 (y = -0.46), as the first metatarsal head does against the fifth.

Sources: centroids and the size-7/size-3 areas are a least-squares fit to real OpenGo exports in
which total force = Σ p·A and CoP = area-weighted centroid hold exactly; the size-4/size-6 areas
are Moticon's published figures. Other sizes use a per-cell linear fit of area against size
(the four known sizes lie on a line within 0.3 %).
"""

from __future__ import annotations

from functools import cache

import numpy as np

#: ``[16, 2]`` normalised (x, y) centroid of each cell, cells 1..16 in order.
CELL_CENTROIDS_NORM: np.ndarray = np.array([
    [-0.403, 0.109], [-0.417, -0.166], [-0.266, 0.089], [-0.288, -0.225],
    [-0.125, 0.061], [-0.152, -0.273], [0.079, 0.243], [-0.012, -0.392],
    [0.256, 0.274], [0.240, 0.064], [0.226, -0.116], [0.207, -0.295],
    [0.170, -0.462], [0.413, 0.178], [0.408, -0.082], [0.358, -0.312],
])  # fmt: skip

_KNOWN_AREAS_CM2: dict[int, tuple[float, ...]] = {
    3: (8.66, 7.69, 9.34, 9.18, 9.19, 9.10, 12.81, 12.71, 10.95, 8.72, 8.75, 8.86, 7.35, 7.16, 8.83, 4.62),
    4: (9.46, 8.42, 10.22, 10.03, 10.04, 9.95, 13.94, 13.90, 11.97, 9.51, 9.58, 9.69, 7.97, 7.80, 9.65, 5.01),
    6: (11.30, 10.08, 12.21, 11.99, 12.00, 11.90, 16.47, 16.65, 14.31, 11.36, 11.44, 11.58, 9.41, 9.28,
        11.46, 5.94),
    7: (12.37, 11.05, 13.36, 13.12, 13.12, 13.02, 17.94, 18.22, 15.66, 12.42, 12.50, 12.67, 10.23, 10.13,
        12.50, 6.47),
}  # fmt: skip

#: Sign maps between a right-handed (toes, body-left, up) chip frame and the reported IMU axes (+X toes,
#: +Y medial, +Z up on both feet, so the left insole's axes are a mirror image; evidence in
#: :mod:`step2motion.simulation.imu`). Each map is its own inverse: multiplying a left insole's reported
#: acc and gyro by them gives the readings of a right-handed chip in the same place.
REPORTED_ACC_SIGNS: dict[str, np.ndarray] = {"left": np.array([1.0, -1.0, 1.0]), "right": np.ones(3)}
REPORTED_GYRO_SIGNS: dict[str, np.ndarray] = {"left": np.array([-1.0, 1.0, -1.0]), "right": np.ones(3)}

#: Insole sizes the layout is defined for (OpenGo sizes).
VALID_SIZES: tuple[int, ...] = tuple(range(1, 11))

#: Size whose cell areas set the drawn cell sizes when a recording does not say its own (a mid size).
DEFAULT_INSOLE_SIZE = 7

#: How every footprint is drawn, in the plots, the videos and the viewer page alike: both insoles seen from
#: above, toes up, medial sides facing each other. ``TOP_VIEW_MATRIX[side] @ (x, y)`` is a point's screen
#: (across, rightwards; along, towards the toes): the left foot as is (+Y medial to the right), the right
#: foot mirrored (+Y to the left). Kept as matrices so that the viewer page applies them as data.
TOP_VIEW_MATRIX: dict[str, np.ndarray] = {
    "left": np.array([[0.0, 1.0], [1.0, 0.0]]),
    "right": np.array([[0.0, -1.0], [1.0, 0.0]]),
}

#: Cell numbers (1-based, as in exports) of each anatomical region.
REGIONS: dict[str, tuple[int, ...]] = {
    "heel": (1, 2, 3, 4, 5, 6),
    "midfoot": (7, 8),
    "metatarsal": (9, 10, 11, 12, 13),
    "toes": (14, 15, 16),
}

#: The two pressure groups the Step2Motion conditioning encodes separately (cells 1-8, 9-16).
PRESSURE_GROUPS: dict[str, tuple[int, ...]] = {
    "rearfoot": REGIONS["heel"] + REGIONS["midfoot"],
    "forefoot": REGIONS["metatarsal"] + REGIONS["toes"],
}


def region_indices(region: str) -> np.ndarray:
    """0-based column indices of a region's cells (``REGIONS`` or ``PRESSURE_GROUPS`` name)."""
    cells = REGIONS.get(region) or PRESSURE_GROUPS.get(region)
    if cells is None:
        raise KeyError(f"unknown insole region {region!r}")
    return np.array(cells) - 1


@cache
def cell_areas_cm2(size: int) -> np.ndarray:
    """``[16]`` cell areas in cm² for an OpenGo insole size (same for left and right)."""
    if size not in VALID_SIZES:
        raise ValueError(f"insole size must be one of {VALID_SIZES[0]}..{VALID_SIZES[-1]}, got {size}")
    if size in _KNOWN_AREAS_CM2:
        return np.array(_KNOWN_AREAS_CM2[size])
    sizes = np.array(sorted(_KNOWN_AREAS_CM2), dtype=float)
    table = np.array([_KNOWN_AREAS_CM2[int(s)] for s in sizes])  # [n_sizes, 16]
    slope, intercept = np.polyfit(sizes, table, 1)
    return intercept + slope * size


def total_force_n(pressure_ncm2: np.ndarray, size: int) -> np.ndarray:
    """Total force ``[...]`` (N) from cell pressures ``[..., 16]`` (N/cm²): Σ p·A."""
    return pressure_ncm2 @ cell_areas_cm2(size)


def centre_of_pressure_norm(pressure_ncm2: np.ndarray, size: int) -> np.ndarray:
    """Area-weighted cell centroid ``[..., 2]`` in the normalised frame; NaN where nothing is loaded."""
    forces = pressure_ncm2 * cell_areas_cm2(size)
    total = forces.sum(axis=-1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        cop = (forces @ CELL_CENTROIDS_NORM) / total
    return np.where(total > 0, cop, np.nan)


def top_view(side: str, points_norm: np.ndarray) -> np.ndarray:
    """Screen (across, along) ``[..., 2]`` of normalised points ``[..., 2]`` of one foot, as
    :data:`TOP_VIEW_MATRIX` draws them; one rule, so that no drawing mirrors the feet its own way."""
    return np.asarray(points_norm) @ TOP_VIEW_MATRIX[side].T
