"""``step2motion compare-recordings A.txt B.txt [...]``: walking statistics side by side, flagged."""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console
from rich.table import Table

from step2motion.cli._output_paths import check_outputs
from step2motion.io.atomic_file import atomic_path
from step2motion.recording import SIDES

if TYPE_CHECKING:
    from step2motion.evaluation.recording_stats import ComparisonRow, Value


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "compare-recordings",
        help="compare the walking statistics of insole recordings (real or simulated)",
        description="Compute the statistics that characterise a walking insole recording (steps, force-curve "
        "shape, regional peak pressures and impulse shares, CoP path, IMU ranges, cadence, double support, "
        "quantisation, missing samples) for each file and print them side by side. The first file is the "
        "reference: a value of another file beyond the stated tolerance is flagged '≠', one defined in only "
        "one of the two '?'. Force ratios are in body weights (from a 'mass' header field, else estimated).",
    )
    parser.add_argument("recordings", type=Path, nargs="+", metavar="REC", help="Moticon OpenGo .txt exports")
    parser.add_argument(
        "--json", type=Path, metavar="OUT", help="also write all statistics and flags as JSON"
    )
    parser.set_defaults(run=run)


def _format(value: Value) -> str:
    """Compact text of a statistic: integers as is, floats to 3 significant figures."""
    if isinstance(value, str | int):
        return str(value)
    return "–" if not math.isfinite(value) else f"{value:.3g}"


def _table(names: list[str], rows: list[ComparisonRow]) -> Table:
    """A rich table: statistic, unit, tolerance, then L/R (or one value) per file as A, B, ..., flags.

    A flag ``B:LR≠`` says file B's left and right values differ from file A's beyond the tolerance.
    """
    letters = [chr(ord("A") + i) for i in range(len(names))]
    caption = "  ".join(f"{letter} = {name}" for letter, name in zip(letters, names, strict=True))
    table = Table(title="Recording statistics (A = reference)", caption=caption)
    table.add_column("statistic", no_wrap=True)
    table.add_column("unit", no_wrap=True)
    table.add_column("tol", justify="right")
    for letter in letters:
        table.add_column(f"{letter} L", justify="right", no_wrap=True, min_width=6)
        table.add_column(f"{letter} R", justify="right", no_wrap=True, min_width=6)
    table.add_column("differs", no_wrap=True)
    for row, next_row in zip(rows, [*rows[1:], None], strict=True):
        cells = []
        for values in row.values:
            cells += [_format(v) for v in values.values()] + ([""] if len(values) == 1 else [])
        marks = []
        for letter, flags in zip(letters[1:], row.flags, strict=True):
            for mark in sorted(set(flags.values()) - {""}):
                sides = "".join(
                    scope[0].upper() for scope, m in flags.items() if m == mark and scope in SIDES
                )
                marks.append(f"{letter}:{sides}{mark}")
        tolerance = "" if row.spec.tolerance is None else _format(row.spec.tolerance)
        section_ends = next_row is not None and next_row.spec.scope != row.spec.scope
        table.add_row(
            row.spec.description, row.spec.unit, tolerance, *cells, " ".join(marks), end_section=section_ends
        )
    return table


def _json_ready(value: Value) -> Value | None:
    """NaN becomes null (JSON has no NaN)."""
    return None if isinstance(value, float) and not math.isfinite(value) else value


def _write_json(path: Path, names: list[str], rows: list[ComparisonRow]) -> None:
    """All statistics, tolerances and flags, keyed by statistic."""
    document = {
        "files": names,
        "reference": names[0],
        "statistics": {
            f"{row.spec.scope}.{row.spec.key}": {
                "description": row.spec.description,
                "unit": row.spec.unit,
                "tolerance": row.spec.tolerance,
                "values": {
                    name: {scope: _json_ready(v) for scope, v in values.items()}
                    for name, values in zip(names, row.values, strict=True)
                },
                "flags": dict(zip(names[1:], row.flags, strict=True)),
            }
            for row in rows
        },
    }
    with atomic_path(path) as partial:
        partial.write_text(json.dumps(document, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def run(args: argparse.Namespace) -> int:
    from step2motion.evaluation.recording_stats import compare_statistics, file_statistics

    names = [path.name for path in args.recordings]
    if len(set(names)) < len(names):
        names = [str(path) for path in args.recordings]
    inputs = {f"the input recording {name}": path for name, path in zip(names, args.recordings, strict=True)}
    check_outputs(inputs, {"--json": args.json})
    # each export reduced chunk by chunk as it is read: memory grows by a few columns per sample, not the file
    rows = compare_statistics([file_statistics(path) for path in args.recordings])
    Console(width=80 + 28 * len(names)).print(_table(names, rows))
    if args.json:
        _write_json(args.json, names, rows)
        print(f"wrote {args.json}")
    return 0
