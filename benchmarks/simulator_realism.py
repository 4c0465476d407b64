"""Sim-to-real benchmark: walking statistics of simulated corpus walks next to the real OpenGo exports.

Simulates every clip of a style (default ``walk``) of the shared corpus with the realistic sensor model,
computes :mod:`step2motion.evaluation.recording_stats` for each, and prints, per statistic, each real
export's value, the simulated clips' median and interquartile range, and a flag where the simulated
median lies beyond the statistic's tolerance from the mean of the real files. Left and right are averaged.
A second table does the same for each pressure cell's share of the foot's load over its stances
(:func:`cell_load_shares`): what the model reads cell by cell, where the region shares can hide a cell the
simulated soles never load.

    .venv/bin/python benchmarks/simulator_realism.py [--corpus ../shared/data/mocap] [--style walk]
"""

from __future__ import annotations

import argparse
import math
import time
import warnings
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.table import Table

from step2motion.evaluation.recording_stats import STATISTICS, StatisticSpec, recording_statistics
from step2motion.gait_events import stance_at_times, wearer_weight_n
from step2motion.insole_layout import CELL_CENTROIDS_NORM, REGIONS, cell_areas_cm2
from step2motion.io.corpus import corpus_entries, read_corpus_motion
from step2motion.io.moticon import read_moticon
from step2motion.recording import SIDES, InsoleRecording
from step2motion.simulation.simulate import simulate_recording

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared" / "data"
#: A cell's simulated median share of the load this far (absolute) from the real mean is flagged, and so
#: is one more than this factor above or below it (a cell the simulated soles never load, however small).
CELL_SHARE_TOLERANCE = 0.01
CELL_SHARE_FACTOR = 1.5


def _numeric(stats: dict, spec: StatisticSpec) -> float:
    """A statistic as one number: the mean of left and right for a per-foot one (NaN if undefined)."""
    if spec.scope == "foot":
        values = [stats[side][spec.key] for side in ("left", "right")]
    else:
        values = [stats["recording"][spec.key]]
    numbers = [float(v) for v in values if isinstance(v, int | float) and math.isfinite(v)]
    return float(np.mean(numbers)) if numbers else math.nan


def cell_load_shares(rec: InsoleRecording) -> np.ndarray:
    """``[16]`` each cell's share of the force the foot carries over its stance samples (the pipeline's
    stance: :func:`~step2motion.gait_events.stance_at_times`), left and right averaged (NaN for a foot
    without pressure)."""
    stance = stance_at_times(rec, wearer_weight_n(rec), rec.time_s - rec.time_s[0])
    shares = []
    for column, side in enumerate(SIDES):
        pressure_ncm2 = np.nan_to_num(rec.foot(side).pressure_ncm2[stance[:, column]])
        force_n = pressure_ncm2 * cell_areas_cm2(rec.insole_size)
        total = force_n.sum()
        shares.append(force_n.sum(axis=0) / total if total > 0 else np.full(16, np.nan))
    return np.nanmean(shares, axis=0)


def _cell_name(index: int) -> str:
    region = next(name for name, cells in REGIONS.items() if index + 1 in cells)
    side = "medial" if CELL_CENTROIDS_NORM[index, 1] > 0 else "lateral"
    return f"cell {index + 1} ({region}, {side})"


def _simulated_statistics(job: tuple[Path, object, int]) -> tuple[dict, np.ndarray]:
    corpus, entry, seed = job
    motion = read_corpus_motion(corpus, entry)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        recording = simulate_recording(motion, noise="realistic", seed=seed)
        return recording_statistics(recording), cell_load_shares(recording)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--corpus", type=Path, default=SHARED / "mocap")
    parser.add_argument(
        "--real", type=Path, default=SHARED / "insoles_real" / "moticon-opengo-1.0.3_testdata"
    )
    parser.add_argument("--style", default="walk")
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()

    entries = [e for e in corpus_entries(args.corpus) if e.style == args.style]
    real_paths = sorted(args.real.glob("*.txt"))
    start = time.perf_counter()
    with ProcessPoolExecutor(args.jobs) as pool:
        jobs = [(args.corpus, e, i) for i, e in enumerate(entries)]
        simulated, simulated_cells = zip(*pool.map(_simulated_statistics, jobs), strict=True)
    elapsed_s = time.perf_counter() - start
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        real_recordings = [read_moticon(path) for path in real_paths]
        real = [recording_statistics(recording) for recording in real_recordings]
        real_cells = [cell_load_shares(recording) for recording in real_recordings]

    table = Table(
        title=f"Simulated '{args.style}' clips (n={len(entries)}) vs real OpenGo walking exports",
        caption=f"simulated in {elapsed_s:.0f} s with {args.jobs} processes; L/R averaged; "
        "≠: simulated median beyond tolerance from the real mean",
    )
    for column in (
        "statistic",
        "unit",
        "tol",
        *(p.stem for p in real_paths),
        "sim median",
        "sim p25–p75",
        "",
    ):
        table.add_column(column, justify="left" if column == "statistic" else "right", no_wrap=True)
    for spec in STATISTICS:
        if spec.tolerance is None or spec.tolerance == 0:
            continue
        real_values = [_numeric(s, spec) for s in real]
        sim_values = np.array([_numeric(s, spec) for s in simulated])
        sim_values = sim_values[np.isfinite(sim_values)]
        if sim_values.size == 0:
            median = p25 = p75 = math.nan
        else:
            median, p25, p75 = np.median(sim_values), *np.percentile(sim_values, [25, 75])
        reference = np.nanmean(real_values) if np.isfinite(real_values).any() else math.nan
        flag = "≠" if math.isfinite(reference) and abs(median - reference) > spec.tolerance else ""
        table.add_row(
            spec.description,
            spec.unit,
            f"{spec.tolerance:g}",
            *(f"{v:.3g}" for v in real_values),
            f"{median:.3g}",
            f"{p25:.3g}–{p75:.3g}",
            flag,
        )
    cells = Table(
        title="Each cell's share of the foot's load over its stances",
        caption=f"L/R averaged; ≠: simulated median more than {CELL_SHARE_TOLERANCE:g} from the real mean "
        f"or more than {CELL_SHARE_FACTOR:g}× above or below it",
    )
    for column in ("cell", *(p.stem for p in real_paths), "sim median", "sim p25–p75", ""):
        cells.add_column(column, justify="left" if column == "cell" else "right", no_wrap=True)
    sim_cells = np.array(simulated_cells)
    for index in range(16):
        real_values = [float(shares[index]) for shares in real_cells]
        median, p25, p75 = np.nanmedian(sim_cells[:, index]), *np.nanpercentile(sim_cells[:, index], [25, 75])
        reference = np.nanmean(real_values)
        ratio = median / reference if reference > 0 else math.inf
        within_factor = 1 / CELL_SHARE_FACTOR <= ratio <= CELL_SHARE_FACTOR
        beyond = abs(median - reference) > CELL_SHARE_TOLERANCE or not within_factor
        cells.add_row(
            _cell_name(index),
            *(f"{v:.3f}" for v in real_values),
            f"{median:.3f}",
            f"{p25:.3f}–{p75:.3f}",
            "≠" if beyond else "",
        )
    console = Console(width=160)
    console.print(table)
    console.print(cells)


if __name__ == "__main__":
    main()
