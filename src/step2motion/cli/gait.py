"""``step2motion gait REC.txt [--json OUT] [--plot PNG]``: strides, distance, speed and cadence from the
insoles' own IMUs (foot odometry), per foot."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from step2motion.cli._output_paths import check_outputs
from step2motion.errors import InputError
from step2motion.io.atomic_file import atomic_path
from step2motion.recording import SIDES


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "gait",
        help="strides, walked distance, speed and cadence of each foot from the insoles' IMUs",
        description="Track each insole through space with zero-velocity foot odometry: its accelerometer "
        "and gyroscope are integrated between the moments the foot lies still on the floor (found from "
        "force, gyro and accelerometer together), where the velocity is known to be zero, so the drift "
        "of the integration is reset at every step. A stride runs from one foot-flat moment to the next; "
        "its length is how far the foot moved. No model or training is needed. Prints per-foot medians "
        "(stride length and time, stance, swing, clearance), each foot's distance and total turn, and the "
        "overall distance, speed and cadence.",
    )
    parser.add_argument("recording", type=Path, help="a Moticon OpenGo .txt export")
    parser.add_argument(
        "--json", type=Path, metavar="OUT", help="also write the report, every stride included, as JSON"
    )
    parser.add_argument(
        "--plot", type=Path, metavar="PNG", help="also draw the feet's tracks and strides into a PNG"
    )
    parser.set_defaults(run=run)


def write_json(report: dict[str, Any], path: Path) -> None:
    """``report`` as JSON at ``path``, written atomically (:mod:`step2motion.io.atomic_file`)."""
    with atomic_path(path) as partial:
        partial.write_text(json.dumps(report, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def _format(value: float | None, spec: str) -> str:
    return "–" if value is None else f"{value:{spec}}"


#: Table rows of each foot: (label, unit, report key, format).
_FOOT_ROWS = (
    ("strides", "", "n_strides", "d"),
    ("distance", "m", "distance_m", ".2f"),
    ("stride length (median)", "m", "stride_length_m", ".3f"),
    ("stride time (median)", "s", "stride_time_s", ".3f"),
    ("cadence", "steps/min", "cadence_steps_per_min", ".1f"),
    ("stance (median)", "s", "stance_s", ".3f"),
    ("swing (median)", "s", "swing_s", ".3f"),
    ("clearance (median)", "m", "clearance_m", ".3f"),
    ("total turn", "deg", "heading_change_deg", ".1f"),
    ("samples tracked", "", "tracked_fraction", ".0%"),
)
#: Rows of both feet together.
_OVERALL_ROWS = (
    ("distance (mean of feet)", "m", "distance_m", ".2f"),
    ("speed", "m/s", "speed_m_s", ".2f"),
    ("cadence (mean of feet)", "steps/min", "cadence_steps_per_min", ".1f"),
    ("left / right distance", "", "left_right_distance_ratio", ".3f"),
)


def report_table(report: dict[str, Any], name: str) -> Table:
    """The report as a table: per-foot rows (left, right columns), then the overall rows (both)."""
    table = Table(
        title=f"Foot odometry: {name} ({report['duration_s']:.1f} s)",
        caption="stride = one foot-flat to the next; medians over steady strides (not into or out of "
        "standing); distance = sum of all stride lengths"
        + ("" if report["reconciled"] else "; feet not reconciled (too little travel)"),
    )
    table.add_column("quantity", no_wrap=True)
    table.add_column("unit", no_wrap=True)
    for column in (*SIDES, "both"):
        table.add_column(column, justify="right", no_wrap=True, min_width=7)
    for i, (label, unit, key, spec) in enumerate(_FOOT_ROWS):
        row = [_format(report[side][key], spec) for side in SIDES]
        table.add_row(label, unit, *row, "", end_section=i == len(_FOOT_ROWS) - 1)
    for label, unit, key, spec in _OVERALL_ROWS:
        table.add_row(label, unit, "", "", _format(report[key], spec))
    return table


def run(args: argparse.Namespace) -> int:
    from step2motion.io.moticon import read_moticon
    from step2motion.odometry.both_feet import track_feet
    from step2motion.odometry.gait_report import gait_report

    check_outputs({"the input recording": args.recording}, {"--json": args.json, "--plot": args.plot})
    if args.plot is not None and args.plot.suffix.lower() != ".png":
        raise InputError("--plot must name a .png file", args.plot)
    rec = read_moticon(args.recording)
    feet = track_feet(rec)
    report = gait_report(rec, feet)
    Console(width=100).print(report_table(report, args.recording.name))
    if args.json:
        write_json(report, args.json)
        print(f"wrote {args.json}")
    if args.plot:
        from step2motion.visualisation.gait_plot import plot_gait

        plot_gait(rec, feet, report, args.plot)
        print(f"wrote {args.plot}")
    return 0
