"""Accuracy on held-out subjects: the default model against every baseline and ablation, one table.

Runs ``step2motion evaluate --split test --baselines`` (same library, same clips, same pipeline for every
method; JSON, Markdown and plots written under ``--out``), or reads the JSON of earlier runs
(``--from-json``; several files, e.g. one per method evaluated as its training finished, are merged when
they cover the same clips). Prints one row per method: what it is, MPJPE over all joints / legs / upper
body, PA-MPJPE, MPJPE on walks and dance, root drift, speed and the difference to the model; then the
reading: does the model beat every baseline on full-body MPJPE, and what does the modality
cross-attention buy (``no_cross_attention`` minus ``step2motion``).

Trained baselines and ablations are read from ``--runs``/train_<name>/best.safetensors; train each with
``step2motion train --config configs/ablations/<name>.json`` (the same budget as the default model).

    .venv/bin/python benchmarks/accuracy.py [--model M] [--data out/sim_corpus] [--runs out] [--out DIR]
    .venv/bin/python benchmarks/accuracy.py --from-json out/accuracy/test.json [more.json ...]
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from step2motion.cli import main as cli_main

MODEL = "step2motion"
#: What each method is, for the table (names as ``step2motion evaluate`` reports them).
DESCRIPTIONS: dict[str, str] = {
    MODEL: "diffusion model, all sensors (bundled)",
    "mean_pose": "baseline: training mean pose, mean root velocity",
    "nearest_neighbour": "baseline: nearest training window by insole features",
    "regression": "baseline: same network, one deterministic pass",
    "no_cross_attention": "ablation: stream encodings concatenated to tokens",
    "pressure_only": "ablation: pressure, force and CoP only",
    "imu_only": "ablation: IMUs only",
    "left_foot_only": "ablation: left insole only",
    "step2motion_pressure_only": "bundled model, IMUs removed at inference",
    "step2motion_imu_only": "bundled model, pressure removed at inference",
    "step2motion_left_foot_only": "bundled model, right insole removed at inference",
}
#: The baselines (the rest are ablations: the model's own network with something taken away).
BASELINES: tuple[str, ...] = ("mean_pose", "nearest_neighbour", "regression")
#: Columns: (heading, metric key, style or None for all clips).
COLUMNS: tuple[tuple[str, str, str | None], ...] = (
    ("MPJPE cm", "mpjpe_cm", None),
    ("legs", "mpjpe_legs_cm", None),
    ("upper", "mpjpe_upper_cm", None),
    ("PA", "pa_mpjpe_cm", None),
    ("walk", "mpjpe_cm", "walk"),
    ("dance", "mpjpe_cm", "dance"),
    ("jitter m/s³", "jitter_m_s3", None),
    ("drift m/m", "root_drift_m_per_m", None),
    ("motion s/s", "motion_s_per_wall_s", None),
)


def value(report: dict[str, Any], key: str, style: str | None) -> float:
    """A metric of one method's report (NaN when absent or null)."""
    source = report if style is None else report.get("per_style", {}).get(style, {})
    number = source.get(key)
    return math.nan if number is None else float(number)


def methods_of(results: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {name: report for name, report in results.items() if name != "meta"}


def merged(reports: list[dict[str, Any]], names: list[str]) -> dict[str, Any]:
    """The methods of several ``evaluate`` JSON reports in one (the first report's entry wins); exits when
    they did not evaluate the same clips of the same split."""

    def clips(report: dict[str, Any]) -> tuple[Any, ...]:
        first = next(iter(methods_of(report).values()), {})
        return (report.get("meta", {}).get("split"), tuple(c["name"] for c in first.get("per_clip", [])))

    result: dict[str, Any] = {}
    for report, name in zip(reports, names, strict=True):
        if clips(report) != clips(reports[0]):
            sys.exit(f"{name}: evaluates other clips than {names[0]}; cannot compare")
        result |= {k: v for k, v in methods_of(report).items() if k not in result}
    return result | {"meta": reports[0].get("meta", {})}


def accuracy_table(results: dict[str, Any]) -> Table:
    """One row per method (:data:`COLUMNS`), with the MPJPE difference to the model."""
    methods = methods_of(results)
    meta = results.get("meta", {})
    table = Table(
        title=f"accuracy on the {meta.get('split', '?')} split: {meta.get('clips', '?')} clips, "
        f"{meta.get('seconds', '?')} s of motion, {meta.get('data', '?')}"
    )
    for heading in ("method", "what it is", *(c[0] for c in COLUMNS), "Δ MPJPE cm"):
        table.add_column(heading, justify="left" if heading in ("method", "what it is") else "right")
    reference = value(methods.get(MODEL, {}), "mpjpe_cm", None)
    for name, report in methods.items():
        cells = [f"{value(report, key, style):.3g}" for _, key, style in COLUMNS]
        delta = value(report, "mpjpe_cm", None) - reference
        table.add_row(name, DESCRIPTIONS.get(name, ""), *cells, "" if name == MODEL else f"{delta:+.2f}")
    return table


def reading(results: dict[str, Any]) -> list[str]:
    """The verdicts on full-body MPJPE: which baselines the model beats, which ablations beat it, and
    what the modality cross-attention buys."""
    methods = methods_of(results)
    if MODEL not in methods:
        return [f"no {MODEL} entry in the results"]
    model = value(methods[MODEL], "mpjpe_cm", None)
    mpjpe = {name: value(report, "mpjpe_cm", None) for name, report in methods.items() if name != MODEL}
    lines = []
    baselines = {name: v for name, v in mpjpe.items() if name in BASELINES}
    listed = ", ".join(f"{name} {v:.2f}" for name, v in baselines.items())
    if not baselines:
        lines.append("no baseline was evaluated")
    elif all(v > model for v in baselines.values()):
        lines.append(f"{MODEL} ({model:.2f} cm) beats every baseline on full-body MPJPE ({listed} cm)")
    else:
        lost = ", ".join(f"{name} ({v:.2f} cm)" for name, v in baselines.items() if not v > model)
        lines.append(f"{MODEL} ({model:.2f} cm) does NOT beat the baseline(s) {lost}")
    better = {name: v for name, v in mpjpe.items() if name not in BASELINES and not v > model}
    if better:
        lines.append(
            "variants at least as accurate as the model: "
            + ", ".join(f"{name} ({v:.2f} cm)" for name, v in sorted(better.items(), key=lambda kv: kv[1]))
        )
    if "no_cross_attention" in mpjpe:
        gain = mpjpe["no_cross_attention"] - model
        jitter = {name: value(methods[name], "jitter_m_s3", None) for name in (MODEL, "no_cross_attention")}
        lines.append(
            f"modality cross-attention: {gain:+.2f} cm full-body MPJPE against concatenated conditioning "
            f"({'better' if gain > 0 else 'not better'} with cross-attention); jitter "
            f"{jitter[MODEL]:.0f} vs {jitter['no_cross_attention']:.0f} m/s³"
        )
    missing = [name for name in DESCRIPTIONS if name not in methods]
    if missing:
        lines.append("not evaluated: " + ", ".join(missing))
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--model", type=Path, help="model checkpoint (default: the bundled model)")
    parser.add_argument("--data", type=Path, default=Path("out/sim_corpus"), help="paired data folder")
    parser.add_argument("--runs", type=Path, default=Path("out"), help="the trained baselines' runs folder")
    parser.add_argument("--split", default="test", help="test (default) or validation")
    parser.add_argument("--out", type=Path, default=Path("out/accuracy"), help="reports folder")
    parser.add_argument(
        "--from-json", type=Path, nargs="+", metavar="PATH", help="print the table of earlier runs"
    )
    args = parser.parse_args(argv)
    if args.from_json is None:
        args.out.mkdir(parents=True, exist_ok=True)
        report = args.out / f"{args.split}.json"
        command = ["evaluate", "--split", args.split, "--data", str(args.data), "--baselines"]
        command += ["--runs", str(args.runs), "--json", str(report)]
        command += ["--markdown", str(args.out / f"{args.split}.md"), "--plots", str(args.out / "plots")]
        if args.model is not None:
            command += ["--model", str(args.model)]
        print("step2motion " + " ".join(command))
        code = cli_main(command)
        if code:
            return code
        args.from_json = [report]
    reports = [json.loads(path.read_text(encoding="utf-8")) for path in args.from_json]
    results = merged(reports, [str(path) for path in args.from_json])
    console = Console(width=200)
    console.print(accuracy_table(results))
    for line in reading(results):
        console.print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
