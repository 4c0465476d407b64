"""Draw an insole recording as a person wants to see it: one figure, shared time axis, gaps visible.

Panels, top to bottom: left and right pressure heat-maps (cells grouped by region, N/cm² colour
bar), total force of each foot and their sum (body-weight line when the metadata gives a mass),
centre of pressure X and Y, accelerometer and gyroscope of each foot. Beside them, a footprint of
each insole with its 16 cells at their centroids, coloured by peak pressure, medial side marked.

Missing samples stay ``NaN`` all the way into matplotlib: lines break, heat-map cells show the
"bad" colour, and every missing stretch is shaded (hatched on one-foot panels, a coloured band at
the bottom of shared panels). The exporter's CoP placeholder (exactly 0, 0 while a foot is unloaded)
is not drawn. Figures are built without pyplot (a bare ``Figure`` renders with Agg), so no display
and no global state are involved. Long windows are decimated before drawing: lines become a min/max
envelope and the heat-map shows the per-bin maximum, so peaks survive.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path

import matplotlib
import numpy as np
from matplotlib.axes import Axes
from matplotlib.collections import QuadMesh
from matplotlib.colors import Colormap, Normalize
from matplotlib.figure import Figure

from step2motion.errors import InputError
from step2motion.gait_events import body_weight_from_metadata
from step2motion.insole_layout import (
    CELL_CENTROIDS_NORM,
    DEFAULT_INSOLE_SIZE,
    REGIONS,
    cell_areas_cm2,
    top_view,
)
from step2motion.io.atomic_file import atomic_path
from step2motion.io.moticon import read_step_events
from step2motion.recording import SIDES, InsoleRecording, median_step_s

FIGSIZE_IN = (16.0, 20.0)
DPI = 100
#: Beyond this many samples in the window, samples are binned (≈ 1 bin per pixel column).
MAX_DRAWN_COLUMNS = 2000
SIDE_COLOURS = {"left": "tab:blue", "right": "tab:red"}
AXIS_COLOURS = ("tab:blue", "tab:orange", "tab:green")
MISSING_COLOUR = "#d0d0d0"
GRAVITY_MS2 = 9.81


@dataclass(frozen=True)
class _Window:
    """The drawn part of a recording: samples ``[start, stop)`` binned ``factor`` at a time."""

    start: int
    stop: int
    factor: int

    def reduce(self, values: np.ndarray, how: str) -> np.ndarray:
        """Bin ``values [T, ...]`` of the whole recording over the window: ``how`` = "min"/"max"/"mean".

        A bin with no finite sample stays ``NaN`` (never 0).
        """
        part = values[self.start : self.stop].astype(float)
        if self.factor == 1:
            return part
        n_bins = -(-part.shape[0] // self.factor)
        padded = np.full((n_bins * self.factor, *part.shape[1:]), np.nan)
        padded[: part.shape[0]] = part
        binned = padded.reshape(n_bins, self.factor, *part.shape[1:])
        with warnings.catch_warnings():  # all-NaN bins are the point: they stay NaN
            warnings.simplefilter("ignore", RuntimeWarning)
            return {"min": np.nanmin, "max": np.nanmax, "mean": np.nanmean}[how](binned, axis=1)

    def envelope(self, time_s: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Line data for ``values [T, ...]``: as is, or per-bin (min, max) pairs interleaved."""
        if self.factor == 1:
            return time_s[self.start : self.stop], values[self.start : self.stop]
        t = np.repeat(self.reduce(time_s, "mean"), 2)
        low, high = self.reduce(values, "min"), self.reduce(values, "max")
        return t, np.stack([low, high], axis=1).reshape(-1, *values.shape[1:])


def select_window(rec: InsoleRecording, start_s: float | None, end_s: float | None) -> _Window:
    """Samples within ``[start_s, end_s]`` (defaults: the whole recording) and their bin size."""
    t0 = rec.time_s[0] if start_s is None else start_s
    t1 = rec.time_s[-1] if end_s is None else end_s
    if t1 <= t0:
        raise InputError(f"--end ({t1:g} s) must be after --start ({t0:g} s)", rec.source or None)
    start, stop = np.searchsorted(rec.time_s, [t0, t1], side="left")
    stop = np.searchsorted(rec.time_s, t1, side="right")
    if stop - start < 2:
        raise InputError(
            f"the window {t0:g}-{t1:g} s holds fewer than 2 samples; the recording spans "
            f"{rec.time_s[0]:g}-{rec.time_s[-1]:g} s",
            rec.source or None,
        )
    return _Window(int(start), int(stop), max(1, -(-(stop - start) // MAX_DRAWN_COLUMNS)))


def bin_edges_s(time_s: np.ndarray) -> np.ndarray:
    """``[T + 1]`` cell edges half a step either side of the sample or frame times ``[T]`` (a step of 1 s
    for a single time), for ``pcolormesh``."""
    step = median_step_s(time_s) if time_s.size > 1 else 1.0
    return np.concatenate([time_s - step / 2, [time_s[-1] + step / 2]])


def _cell_order() -> np.ndarray:
    """0-based cells bottom-to-top in the heat-map: regions heel → toes, cells ascending within."""
    return np.concatenate([np.array(cells) - 1 for cells in REGIONS.values()])


def _missing_spans(window: _Window, time_s: np.ndarray, missing: np.ndarray) -> list[tuple[float, float]]:
    """(t0, t1) of each run of missing samples in the window, half a sample wide on each side."""
    mask = missing[window.start : window.stop]
    t = time_s[window.start : window.stop]
    half = 0.5 * (median_step_s(t) if t.size > 1 else 0.0)
    edges = np.diff(np.concatenate([[0], mask.astype(np.int8), [0]]))
    return [
        (t[a] - half, t[b - 1] + half)
        for a, b in zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1), strict=True)
    ]


def _shade_missing(
    ax: Axes, spans: list[tuple[float, float]], colour: str, band: tuple[float, float] | None, label: str
) -> None:
    """Shade missing stretches: full height, hatched (``band`` None) or a band in axes fraction."""
    ymin, ymax = band or (0.0, 1.0)
    for i, (t0, t1) in enumerate(spans):
        ax.axvspan(
            t0,
            t1,
            ymin=ymin,
            ymax=ymax,
            color=colour,
            alpha=0.35 if band else 0.15,
            hatch=None if band else "///",
            lw=0,
            label=label if i == 0 else None,
        )


def _draw_pressure(
    ax: Axes, window: _Window, rec: InsoleRecording, side: str, norm: Normalize, cmap: Colormap
) -> QuadMesh:
    """Heat-map of one foot's 16 cells over time; rows grouped by region, labelled on the left."""
    order = _cell_order()
    pressure = window.reduce(rec.foot(side).pressure_ncm2, "max")[:, order]  # [bins, 16]
    t = window.reduce(rec.time_s, "mean")
    t_edges = bin_edges_s(t)
    mesh = ax.pcolormesh(
        t_edges,
        np.arange(17) - 0.5,
        np.ma.masked_invalid(pressure.T),
        cmap=cmap,
        norm=norm,
        gid=f"{side}-pressure",
    )
    ax.set_yticks(np.arange(16), labels=[str(c + 1) for c in order], minor=True, fontsize=6)
    bounds = np.cumsum([len(cells) for cells in REGIONS.values()])
    centres = bounds - np.array([len(cells) for cells in REGIONS.values()]) / 2 - 0.5
    ax.set_yticks(centres, labels=list(REGIONS), fontsize=8)
    ax.tick_params(axis="y", which="major", length=0, pad=16)
    for bound in bounds[:-1]:
        ax.axhline(bound - 0.5, color="white", lw=0.8)
    ax.set_ylabel(f"{side} foot: cell / region", fontsize=9)
    return mesh


def _draw_lines(
    ax: Axes,
    window: _Window,
    time_s: np.ndarray,
    values: np.ndarray,
    labels: list[str],
    colours: list[str],
    gid: str,
) -> None:
    """Plot the columns of ``values [T, k]`` (NaN kept, so gaps show as breaks)."""
    t, v = window.envelope(time_s, values)
    for i, (label, colour) in enumerate(zip(labels, colours, strict=True)):
        ax.plot(t, v[:, i], color=colour, lw=0.8, label=label, gid=f"{gid}-{i}")


def _draw_force(ax: Axes, window: _Window, rec: InsoleRecording) -> None:
    """Total force per foot, their sum (NaN where a foot is missing) and the body-weight line."""
    forces = np.stack([rec.left.total_force_n, rec.right.total_force_n], axis=1)
    both = forces.sum(axis=1, keepdims=True)
    _draw_lines(
        ax,
        window,
        rec.time_s,
        np.concatenate([forces, both], axis=1),
        ["left", "right", "left + right"],
        [SIDE_COLOURS["left"], SIDE_COLOURS["right"], "black"],
        "total-force",
    )
    ax.lines[-1].set_linewidth(0.5)
    body_weight_n = body_weight_from_metadata(rec.metadata)
    if body_weight_n is not None:
        ax.axhline(
            body_weight_n,
            color="grey",
            ls="--",
            lw=0.8,
            label=f"body weight {body_weight_n / GRAVITY_MS2:.0f} kg",
        )
    ax.set_ylabel("total force\n[N]", fontsize=9)


def _draw_step_events(ax: Axes, rec: InsoleRecording, window: _Window) -> None:
    """Vertical lines at the export's own step events (heel strike solid, toe-off dotted), if any."""
    try:
        events = read_step_events(rec)
    except InputError:  # no steps column: nothing to mark
        return
    t0, t1 = rec.time_s[window.start], rec.time_s[window.stop - 1]
    for side in SIDES:
        for kind, style in (("heel_strike", "-"), ("toe_off", ":")):
            times = events[side][f"{kind}_s"]
            for i, t in enumerate(times[(times >= t0) & (times <= t1)]):
                label = f"{side} {kind.replace('_', ' ')} (file)" if i == 0 else None
                ax.axvline(t, color=SIDE_COLOURS[side], lw=0.7, alpha=0.8, ls=style, label=label)


def _draw_footprint(
    ax: Axes, side: str, peak_ncm2: np.ndarray, size: int | None, norm: Normalize, cmap: Colormap
) -> None:
    """Top view of one insole (:func:`~step2motion.insole_layout.top_view`: toes up, the medial side facing
    the other foot): cells at their centroids, coloured by ``peak_ncm2 [16]``."""
    across, along = top_view(side, CELL_CENTROIDS_NORM).T
    areas = cell_areas_cm2(size if size is not None else DEFAULT_INSOLE_SIZE)
    ax.scatter(
        across,
        along,
        s=areas * 28,
        c=np.ma.masked_invalid(peak_ncm2),
        cmap=cmap,
        norm=norm,
        edgecolors="black",
        linewidths=0.5,
        plotnonfinite=True,
        gid=f"{side}-footprint",
    )
    for cell, (x, y) in enumerate(zip(across, along, strict=True)):
        ax.text(x, y, str(cell + 1), ha="center", va="center", fontsize=6, color="white")
    medial = top_view(side, np.array([0.0, 0.45]))  # beside the foot's middle, on its medial edge
    ax.annotate("medial", xy=tuple(medial), ha="center", va="center", rotation=90, fontsize=8)
    ax.set(xlim=(-0.55, 0.55), ylim=(-0.55, 0.55), aspect="equal", xticks=[], yticks=[])
    ax.set_title(f"{side}: peak pressure", fontsize=9)


def _title(rec: InsoleRecording, window: _Window) -> str:
    """File, insole size, rate, shown window, decimation and missing-sample counts."""
    name = Path(rec.source).name if rec.source else "recording"
    size = rec.insole_size if rec.insole_size is not None else "?"
    shown = f"{rec.time_s[window.start]:.2f}-{rec.time_s[window.stop - 1]:.2f} s of {rec.duration_s:.1f} s"
    missing = ", ".join(f"{side} {int(rec.foot(side).missing_mask().sum())}" for side in SIDES)
    missing = f"missing samples in the file: {missing}"
    binned = f"; drawn as min/max of {window.factor}-sample bins" if window.factor > 1 else ""
    return f"{name} — insole size {size}, {rec.rate_hz:g} Hz, {shown}{binned}\n{missing}"


def _draw_cop(axes: list[Axes], window: _Window, rec: InsoleRecording) -> None:
    """CoP X and Y of both feet, the exporter's (0, 0) "unloaded" placeholder left out."""
    for i, (ax, axis) in enumerate(zip(axes, "XY", strict=True)):
        for side in SIDES:
            cop = rec.foot(side).cop_norm
            defined = np.where(np.all(cop == 0.0, axis=1), np.nan, cop[:, i])
            gid = f"{side}-cop-{axis}"
            _draw_lines(ax, window, rec.time_s, defined[:, None], [side], [SIDE_COLOURS[side]], gid)
        ax.set_ylabel(f"CoP {axis}\n[norm]", fontsize=9)


def _draw_imu(axes: list[Axes], window: _Window, rec: InsoleRecording, missing: dict) -> None:
    """Accelerometer (left, right) then gyroscope (left, right), x/y/z each, gaps hatched."""
    panels = [
        (sensor, unit, side)
        for sensor, unit in (("acc_g", "acc\n[g]"), ("gyro_dps", "gyro\n[deg/s]"))
        for side in SIDES
    ]
    for ax, (sensor, unit, side) in zip(axes, panels, strict=True):
        values = getattr(rec.foot(side), sensor)
        _draw_lines(ax, window, rec.time_s, values, list("xyz"), list(AXIS_COLOURS), f"{side}-{sensor}")
        _shade_missing(ax, missing[side], "red", None, "missing")
        ax.set_ylabel(f"{side} {unit}", fontsize=9)


def _layout(fig: Figure) -> tuple[list[Axes], list[Axes], Axes]:
    """Axes: 9 time panels sharing X, a footprint beside each heat-map, and a colour-bar axis."""
    grid = fig.add_gridspec(
        9,
        3,
        width_ratios=[1.0, 0.13, 0.012],
        height_ratios=[2, 2, 1.6, 1, 1, 1, 1, 1, 1],
        hspace=0.12,
        wspace=0.05,
        left=0.07,
        right=0.955,
        top=0.94,
        bottom=0.04,
    )
    main = fig.add_subplot(grid[0, 0])
    panels = [main] + [fig.add_subplot(grid[i, 0], sharex=main) for i in range(1, 9)]
    footprints = [fig.add_subplot(grid[i, 1]) for i in range(2)]
    return panels, footprints, fig.add_subplot(grid[0:2, 2])


def draw_recording(rec: InsoleRecording, start_s: float | None = None, end_s: float | None = None) -> Figure:
    """The figure of ``rec`` between ``start_s`` and ``end_s`` (s, on the recording's time axis)."""
    window = select_window(rec, start_s, end_s)
    missing = {side: _missing_spans(window, rec.time_s, rec.foot(side).missing_mask()) for side in SIDES}
    peaks = {side: _nan_max(rec.foot(side).pressure_ncm2[window.start : window.stop]) for side in SIDES}
    cmap = matplotlib.colormaps["viridis"].with_extremes(bad=MISSING_COLOUR)
    norm = Normalize(0.0, max(float(np.nanmax([*peaks["left"], *peaks["right"], 0.0])), 1.0))

    fig = Figure(figsize=FIGSIZE_IN, dpi=DPI)
    axes, footprints, colour_bar = _layout(fig)
    for ax, footprint, side in zip(axes[:2], footprints, SIDES, strict=True):
        mesh = _draw_pressure(ax, window, rec, side, norm, cmap)
        _shade_missing(ax, missing[side], "red", None, "missing")
        _draw_footprint(footprint, side, peaks[side], rec.insole_size, norm, cmap)
    fig.colorbar(mesh, cax=colour_bar, label="pressure [N/cm²] (footprints: peak in window)")
    _draw_force(axes[2], window, rec)
    _draw_step_events(axes[2], rec, window)
    _draw_cop(axes[3:5], window, rec)
    for ax in axes[2:5]:
        for band, side in enumerate(SIDES):
            _shade_missing(
                ax, missing[side], SIDE_COLOURS[side], (0.06 * band, 0.06 * (band + 1)), f"{side} missing"
            )
    _draw_imu(axes[5:], window, rec, missing)
    for ax in axes[2:]:
        ax.grid(alpha=0.3)
        ax.legend(loc="upper left", bbox_to_anchor=(1.005, 1.0), fontsize=7, framealpha=0.7)
    for ax in axes[:-1]:
        ax.tick_params(labelbottom=False)
    axes[-1].set_xlabel("time [s]")
    axes[0].set_xlim(rec.time_s[window.start], rec.time_s[window.stop - 1])
    fig.suptitle(_title(rec, window), fontsize=11)
    return fig


def _nan_max(pressure_ncm2: np.ndarray) -> np.ndarray:
    """Per-cell maximum ``[16]`` over time, NaN for a cell with no finite sample."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanmax(pressure_ncm2, axis=0)


def plot_recording(
    rec: InsoleRecording, path: str | Path, start_s: float | None = None, end_s: float | None = None
) -> Path:
    """Draw ``rec`` (see :func:`draw_recording`) into a PNG of ``FIGSIZE_IN × DPI`` pixels at ``path``,
    written atomically; another image format when the name's extension asks for one (``.svg``, ``.pdf``)."""
    path = Path(path)
    fig = draw_recording(rec, start_s, end_s)
    with atomic_path(path) as partial:  # matplotlib takes the format from the name, here ".partial"
        fig.savefig(partial, format=path.suffix[1:].lower() or "png", dpi=DPI)
    return path
