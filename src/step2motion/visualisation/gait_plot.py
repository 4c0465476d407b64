"""Draw a foot-odometry gait report: where the feet went, how high they rose, how long each stride was.

Panels, top to bottom: (a) top view of both feet's tracks (metres, equal aspect, the left foot's
navigation frame) with each foot-flat (still) position marked and the pelvis path dashed; (b) each foot's
insole-chip height over time with its stride boundaries; (c) each stride's length drawn across the
stride's time span, with each foot's median. Left is blue, right red, as in
:mod:`~step2motion.visualisation.recording_plot`; untracked stretches are ``NaN`` and show as gaps. The
figure is built without pyplot (a bare ``Figure`` renders with Agg) and written atomically: to a
temporary file beside the target, then moved into place, so a reader never sees half a PNG.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from step2motion.io.atomic_file import atomic_path
from step2motion.odometry.both_feet import FeetOdometry
from step2motion.odometry.strides import still_runs
from step2motion.recording import SIDES, InsoleRecording

FIGSIZE_IN = (12.0, 13.0)
DPI = 100
SIDE_COLOURS = {"left": "tab:blue", "right": "tab:red"}


def _format(value: float | None, spec: str, unit: str) -> str:
    return "–" if value is None else f"{value:{spec}} {unit}"


def _title(rec: InsoleRecording, report: dict[str, Any]) -> str:
    name = Path(report.get("source") or rec.source).name or "recording"
    title = (
        f"{name}: distance {_format(report['distance_m'], '.2f', 'm')}, "
        f"speed {_format(report['speed_m_s'], '.2f', 'm/s')}, "
        f"cadence {_format(report['cadence_steps_per_min'], '.0f', 'steps/min')}"
    )
    if not report["reconciled"]:
        title += (
            "\n(too little travel to fit the feet's relative rotation: only their start positions matched)"
        )
    return title


def _draw_top_view(ax: Axes, feet: FeetOdometry) -> None:
    for side in SIDES:
        track = feet.foot(side)
        colour = SIDE_COLOURS[side]
        ax.plot(*track.position_m[:, :2].T, color=colour, lw=1.0, label=f"{side} foot", gid=f"{side}-track")
        flat = [track.position_m[start:stop, :2].mean(axis=0) for start, stop, _ in still_runs(track)]
        flat = np.reshape(flat, (-1, 2))
        ax.plot(*flat.T, "o", ms=5, mfc="white", color=colour, label=f"{side} foot flat", gid=f"{side}-still")
    ax.plot(*feet.pelvis_xy_m.T, "--", color="0.3", lw=1.2, label="pelvis", gid="pelvis")
    ax.set_aspect("equal", adjustable="datalim")
    ax.set_xlabel("x [m] (left foot's first toe direction)")
    ax.set_ylabel("y [m]")
    ax.set_title("top view", fontsize=10)
    ax.legend(fontsize=8, ncols=5, loc="best")


def _draw_heights(ax: Axes, feet: FeetOdometry, report: dict[str, Any]) -> None:
    for side in SIDES:
        track = feet.foot(side)
        colour = SIDE_COLOURS[side]
        ax.plot(
            track.time_s,
            100.0 * track.position_m[:, 2],
            color=colour,
            lw=1.0,
            label=side,
            gid=f"{side}-height",
        )
        bounds = sorted({t for s in report[side]["strides"] for t in (s["start_s"], s["end_s"])})
        for t in bounds:
            ax.axvline(t, color=colour, lw=0.6, ls=":", alpha=0.7)
    ax.set_ylabel("chip height [cm]")
    ax.set_title("clearance: insole height over time (dotted: stride boundaries)", fontsize=10)
    ax.legend(fontsize=8, loc="upper right")


def _draw_stride_lengths(ax: Axes, report: dict[str, Any]) -> None:
    for side in SIDES:
        strides = [s for s in report[side]["strides"] if s["length_m"] is not None]
        colour = SIDE_COLOURS[side]
        if not strides:
            continue
        starts, ends, lengths = (
            np.array([s[key] for s in strides]) for key in ("start_s", "end_s", "length_m")
        )
        ax.hlines(lengths, starts, ends, color=colour, lw=2.0, gid=f"{side}-stride-length")
        ax.plot(
            0.5 * (starts + ends), lengths, "o", color=colour, ms=4, label=f"{side} ({len(strides)} strides)"
        )
        median = report[side]["stride_length_m"]
        if median is not None:
            ax.axhline(median, color=colour, lw=0.8, ls="--", alpha=0.7)
    ax.set_ylabel("stride length [m]")
    ax.set_xlabel("time [s]")
    ax.set_title("stride length over each stride's time span (dashed: median)", fontsize=10)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=8, loc="upper right")
    else:
        ax.text(0.5, 0.5, "no strides found", ha="center", va="center", transform=ax.transAxes)


def draw_gait(rec: InsoleRecording, feet: FeetOdometry, report: dict[str, Any]) -> Figure:
    """The figure of ``report`` (from :func:`~step2motion.odometry.gait_report.gait_report` of ``rec``
    with the odometry ``feet``)."""
    fig = Figure(figsize=FIGSIZE_IN, dpi=DPI, layout="constrained")
    grid = fig.add_gridspec(3, 1, height_ratios=(1.1, 1.0, 1.0))
    top = fig.add_subplot(grid[0])
    heights = fig.add_subplot(grid[1])
    lengths = fig.add_subplot(grid[2], sharex=heights)
    _draw_top_view(top, feet)
    _draw_heights(heights, feet, report)
    _draw_stride_lengths(lengths, report)
    if rec.n_samples > 1:
        heights.set_xlim(rec.time_s[0], rec.time_s[-1])
    for ax in (top, heights, lengths):
        ax.grid(alpha=0.3)
    fig.suptitle(_title(rec, report), fontsize=12)
    return fig


def plot_gait(rec: InsoleRecording, feet: FeetOdometry, report: dict[str, Any], path: str | Path) -> Path:
    """Draw :func:`draw_gait` into a PNG at ``path`` (``FIGSIZE_IN × DPI`` pixels), written atomically."""
    path = Path(path)
    fig = draw_gait(rec, feet, report)
    with atomic_path(path) as partial:
        fig.savefig(partial, format="png", dpi=DPI)
    return path
