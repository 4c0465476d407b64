"""Draw which insole stream each body part of the denoiser draws on, under the signals it saw.

Panels on one time axis (the recording's clock, s), top to bottom: total force of each foot (N), gyroscope
magnitude of each foot (deg/s), then one heat-map per body part with the condition streams on the Y axis
and the cross-attention share (:mod:`step2motion.reconstruction.attention`) as colour. The colour scale
is diverging about 1/S, the share every stream would have if all contributed equally: red = more than
that, blue = less. Beside each heat-map, the share averaged over time per stream, labelled with where
that stream's head looks on average (attention-weighted key time minus query time, s). The caption
states what was averaged. Built on a bare ``Figure`` (no pyplot), like
:mod:`~step2motion.visualisation.recording_plot`.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import numpy as np
from matplotlib.axes import Axes
from matplotlib.colors import TwoSlopeNorm
from matplotlib.figure import Figure

from step2motion.io.atomic_file import atomic_path
from step2motion.reconstruction.attention import StreamAttention
from step2motion.recording import SIDES, InsoleRecording
from step2motion.visualisation.recording_plot import SIDE_COLOURS, bin_edges_s

FIGSIZE_IN = (15.0, 12.0)
DPI = 100
CAPTION_CHARACTERS = 190


def _draw_signals(force_ax: Axes, gyro_ax: Axes, rec: InsoleRecording) -> None:
    """Total force and gyroscope magnitude of each foot (NaN kept: gaps break the lines)."""
    for side in SIDES:
        foot, colour = rec.foot(side), SIDE_COLOURS[side]
        force_ax.plot(rec.time_s, foot.total_force_n, color=colour, lw=0.9, label=side, gid=f"{side}-force")
        gyro = np.linalg.norm(foot.gyro_dps, axis=1)
        gyro_ax.plot(rec.time_s, gyro, color=colour, lw=0.9, label=side, gid=f"{side}-gyro")
    force_ax.set_ylabel("total force\n[N]", fontsize=9)
    gyro_ax.set_ylabel("|gyro|\n[deg/s]", fontsize=9)
    for ax in (force_ax, gyro_ax):
        ax.grid(alpha=0.3)
        ax.legend(loc="upper right", fontsize=7, framealpha=0.7)


def _left_right_boundary(streams: tuple[str, ...]) -> list[float]:
    """Y positions between consecutive streams of different feet (by their ``left_``/``right_`` prefix)."""
    feet = [name.split("_", 1)[0] for name in streams]
    return [index + 0.5 for index in range(len(feet) - 1) if feet[index] != feet[index + 1]]


def _draw_part(ax: Axes, bars: Axes, attention: StreamAttention, part: int, norm: TwoSlopeNorm) -> object:
    """One body part: share heat-map (streams × time) and, beside it, the time-mean share per stream."""
    streams = attention.streams
    rows = np.arange(len(streams))
    mesh = ax.pcolormesh(
        bin_edges_s(attention.time_s),
        np.arange(len(streams) + 1) - 0.5,
        attention.share[part],
        cmap="RdBu_r",
        norm=norm,
        gid=f"{attention.parts[part]}-share",
    )
    ax.set_yticks(rows, labels=list(streams), fontsize=7)
    ax.set_ylabel(attention.parts[part].replace("_", " "), fontsize=10, fontweight="bold")
    mean_share, mean_offset_s = attention.mean_share()[part], attention.mean_offset_s()[part]
    bars.barh(rows, mean_share, color="0.55", height=0.7)
    bars.axvline(1.0 / len(streams), color="black", ls="--", lw=0.8)
    for row, share, offset_s in zip(rows, mean_share, mean_offset_s, strict=True):
        bars.text(share, row, f" {offset_s:+.2f} s", va="center", fontsize=6)
    bars.set(xlim=(0.0, 1.45 * float(attention.mean_share().max())), yticks=[])
    bars.tick_params(labelsize=7)
    for axis in (ax, bars):
        axis.set_ylim(len(streams) - 0.5, -0.5)  # schema order from the top
        for boundary in _left_right_boundary(streams):
            axis.axhline(boundary, color="black", lw=0.8)
    return mesh


def draw_attention(rec: InsoleRecording, attention: StreamAttention, title: str) -> Figure:
    """The figure of ``attention`` (computed on ``rec``), headed by ``title``."""
    n_streams, n_parts = len(attention.streams), len(attention.parts)
    uniform = 1.0 / n_streams
    norm = TwoSlopeNorm(vcenter=uniform, vmin=0.0, vmax=max(float(attention.share.max()), 2.0 * uniform))
    fig = Figure(figsize=FIGSIZE_IN, dpi=DPI)
    grid = fig.add_gridspec(
        2 + n_parts,
        3,
        width_ratios=[1.0, 0.14, 0.012],
        height_ratios=[1.0, 1.0] + [0.22 * n_streams] * n_parts,
        hspace=0.12,
        wspace=0.04,
        left=0.11,
        right=0.95,
        top=0.93,
        bottom=0.12,
    )
    force_ax = fig.add_subplot(grid[0, 0])
    axes = [force_ax] + [fig.add_subplot(grid[row, 0], sharex=force_ax) for row in range(1, 2 + n_parts)]
    _draw_signals(axes[0], axes[1], rec)
    meshes = []
    for part in range(n_parts):
        bars = fig.add_subplot(grid[2 + part, 1])
        meshes.append(_draw_part(axes[2 + part], bars, attention, part, norm))
        if part == 0:
            bars.set_title("mean share\n(text: mean look, s)", fontsize=8)
    fig.colorbar(
        meshes[0],
        cax=fig.add_subplot(grid[2:, 2]),
        label=f"share of the cross-attention update (all streams alike: 1/{n_streams} = {uniform:.2f})",
    )
    for ax in axes[:-1]:
        ax.tick_params(labelbottom=False)
    axes[-1].set_xlabel("time [s]")
    axes[0].set_xlim(rec.time_s[0], rec.time_s[-1])
    fig.suptitle(title, fontsize=11)
    caption = (
        f"{attention.description}. Look: attention-weighted mean key time minus the token's own time "
        "(negative: looking back), same averaging. Dashed: the equal share."
    )
    fig.text(0.02, 0.01, textwrap.fill(caption, CAPTION_CHARACTERS), fontsize=8, va="bottom")
    return fig


def plot_attention(rec: InsoleRecording, attention: StreamAttention, path: str | Path, title: str) -> Path:
    """Draw :func:`draw_attention` into ``path`` (PNG of ``FIGSIZE_IN × DPI`` pixels, or the format its
    extension names), written atomically."""
    path = Path(path)
    fig = draw_attention(rec, attention, title)
    with atomic_path(path) as partial:  # matplotlib takes the format from the name, here ".partial"
        fig.savefig(partial, format=path.suffix[1:].lower() or "png", dpi=DPI)
    return path
