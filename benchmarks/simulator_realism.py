"""Sim-to-real benchmark: walking statistics of simulated corpus walks next to the real OpenGo exports.

Simulates every clip of a style (default ``walk``) of the shared corpus with the realistic sensor model,
computes :mod:`step2motion.evaluation.recording_stats` for each, and prints, per statistic, each real
export's value, the simulated clips' median and interquartile range, and a flag where the simulated
median lies beyond the statistic's tolerance from the mean of the real files. Left and right are averaged.

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
from step2motion.io.corpus import corpus_entries, read_corpus_motion
from step2motion.io.moticon import read_moticon
from step2motion.simulation.simulate import simulate_recording

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared" / "data"


def _numeric(stats: dict, spec: StatisticSpec) -> float:
    """A statistic as one number: the mean of left and right for a per-foot one (NaN if undefined)."""
    if spec.scope == "foot":
        values = [stats[side][spec.key] for side in ("left", "right")]
    else:
        values = [stats["recording"][spec.key]]
    numbers = [float(v) for v in values if isinstance(v, int | float) and math.isfinite(v)]
    return float(np.mean(numbers)) if numbers else math.nan


def _simulated_statistics(job: tuple[Path, object, int]) -> dict:
    corpus, entry, seed = job
    motion = read_corpus_motion(corpus, entry)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return recording_statistics(simulate_recording(motion, noise="realistic", seed=seed))


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
        simulated = list(
            pool.map(_simulated_statistics, [(args.corpus, e, i) for i, e in enumerate(entries)])
        )
    elapsed_s = time.perf_counter() - start
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        real = [recording_statistics(read_moticon(path)) for path in real_paths]

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
    Console(width=160).print(table)


if __name__ == "__main__":
    main()
