"""Render a :class:`~step2motion.visualisation.scene.Scene` into an MP4 or GIF for slides.

Each frame shows what the viewer page shows, from a fixed camera: the skeletons in two orthographic
views, a front view (world X across, seen from +Z) and a side view (world Z across, seen from -X, so a
walk along +Z goes left to right), both 2.5 m wide and centred on the first motion's hips (smoothed over
1 s), so the camera follows the walk while the floor's metre grid scrolls past. The insole panel shows
both feet from above, toes up, medial sides facing each other, cells coloured by pressure on one scale
for the whole clip (N/cm²; grey where missing) with the centre of pressure; below, each foot's total
force over the clip with a playhead. A foot the insoles call planted is marked on every skeleton.

Clock: frame ``i`` shows time ``start_s + i / fps`` on the scene clock (s from the recording's first
sample); a video has ``round((end_s - start_s) · fps)`` frames and lasts that many frames / fps. The
figure is built once and its artists updated per frame; Agg (no pyplot, no display) redraws only what
changes over a saved background. MP4 (H.264) goes through the ffmpeg of ``imageio-ffmpeg``; GIF through
Pillow on one palette taken from the first frame, its delays in 1/100 s rounded so that frame ``i``
starts at ``i / fps`` within 5 ms.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import chain
from pathlib import Path

import numpy as np
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection, PathCollection
from matplotlib.colors import Normalize, to_rgba
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.text import Text
from matplotlib.ticker import MultipleLocator
from PIL import Image

from step2motion.errors import InputError
from step2motion.insole_layout import CELL_CENTROIDS_NORM, DEFAULT_INSOLE_SIZE, cell_areas_cm2, top_view
from step2motion.io.atomic_file import atomic_path
from step2motion.recording import SIDES
from step2motion.visualisation.colours import (
    FOOT_COLOURS,
    PLANTED_COLOUR,
    PREDICTION_COLOURS,
    TRUTH_COLOUR,
    pressure_colour_map,
)
from step2motion.visualisation.scene import MotionTrack, Scene

VIDEO_SUFFIXES = (".mp4", ".gif")
#: GIF delays are whole 1/100 s and viewers slow down frames shorter than 2/100 s.
MAX_GIF_FPS = 50.0
#: The GIF palette: 255 colours fitted to the first frame, then pure white at this index.
GIF_WHITE_INDEX = 255
MIN_WIDTH_PX = 320
#: Layout is designed on a 16:9 figure this wide; the pixel width sets the dpi, so text scales with it.
FIGURE_WIDTH_IN = 12.8
VIEW_WIDTH_M = 2.5
VIEW_HEIGHT_M = (-0.15, 2.05)
CAMERA_SMOOTHING_S = 1.0
#: Insole panel: where each foot's footprint is centred (normalised insole units, left foot on the left).
FOOT_OFFSETS = {"left": -0.41, "right": 0.41}
INSOLE_LIMITS = ((-1.0, 1.0), (-0.62, 0.52))
#: Footprint marker area per cm² of cell (points²).
CELL_MARKER_PT2_PER_CM2 = 16.0


@dataclass(frozen=True)
class VideoStats:
    """What was written: ``n_frames`` at ``fps`` Hz lasting ``duration_s``, drawn and encoded in
    ``render_s`` seconds of wall time."""

    path: Path
    n_frames: int
    fps: float
    duration_s: float
    render_s: float


def check_video_path(path: Path) -> str:
    """The format (``"mp4"`` or ``"gif"``) from the name; ``InputError`` for any other suffix."""
    suffix = path.suffix.lower()
    if suffix not in VIDEO_SUFFIXES:
        wanted = " or ".join(VIDEO_SUFFIXES)
        raise InputError(f"cannot write a {suffix or 'suffix-less'} video; name it {wanted}", path)
    return suffix[1:]


def frame_size_px(width_px: int) -> tuple[int, int]:
    """(width, height) of a 16:9 frame about ``width_px`` wide, both even (as H.264 in yuv420p needs)."""
    width = 2 * round(width_px / 2)
    return width, 2 * round(width * 9 / 32)


def _lighter(colour: str, amount: float = 0.5) -> tuple[float, ...]:
    """``colour`` mixed with white by ``amount`` (0: unchanged, 1: white)."""
    rgba = np.array(to_rgba(colour))
    rgba[:3] += (1.0 - rgba[:3]) * amount
    return tuple(rgba)


def _motion_colours(scene: Scene) -> list[str]:
    """Colour of each of ``scene.motions``: truth near-black, predictions in turn from
    ``PREDICTION_COLOURS``."""
    predictions = iter(PREDICTION_COLOURS * len(scene.motions))
    return [TRUTH_COLOUR if m.role == "truth" else next(predictions) for m in scene.motions]


def _camera_centres(scene: Scene) -> tuple[MotionTrack | None, np.ndarray]:
    """The motion the camera follows (the first) and its hips ``[T, 3]`` smoothed over
    ``CAMERA_SMOOTHING_S`` so that the view does not sway with each step."""
    from scipy.ndimage import uniform_filter1d

    if not scene.motions:
        return None, np.zeros((1, 3))
    lead = scene.motions[0]
    hips = lead.joint_positions_m[:, scene.joint_names.index("Hips")]
    width = max(1, round(CAMERA_SMOOTHING_S * lead.fps))
    return lead, uniform_filter1d(hips, width, axis=0, mode="nearest")


@dataclass(frozen=True)
class _Skeleton:
    """The artists of one motion in one view."""

    track: MotionTrack
    bones: LineCollection
    head: Line2D
    planted: dict[str, Line2D]


class _SkeletonView:
    """One orthographic view: world axis ``across`` (0 = X, 2 = Z) horizontal, height vertical.

    The whole axes is animated (redrawn each frame): its window, hence its ticks, moves with the camera.
    """

    def __init__(self, ax: Axes, scene: Scene, colours: list[str], across: int, title: str) -> None:
        self.ax = ax
        self.across = across
        children = np.array([j for j, parent in enumerate(scene.parents) if parent >= 0])
        self.bone_ends = (children, np.array(scene.parents)[children])
        self.head = scene.joint_names.index("Head")
        self.feet = {
            side: np.array([scene.joint_names.index(f"{side.title()}{j}") for j in ("Foot", "ToeBase")])
            for side in SIDES
        }
        right_side = np.array([scene.joint_names[j].startswith("Right") for j in children])
        self.skeletons = [
            self._add_skeleton(track, colour, right_side)
            for track, colour in zip(scene.motions, colours, strict=True)
        ]
        ax.axhspan(VIEW_HEIGHT_M[0], 0.0, color="0.9", zorder=0)
        ax.axhline(0.0, color="0.35", lw=1.0, zorder=1)
        ax.xaxis.set_major_locator(MultipleLocator(0.5))
        ax.yaxis.set_major_locator(MultipleLocator(0.5))
        ax.grid(alpha=0.35)
        ax.set_ylim(*VIEW_HEIGHT_M)
        ax.set_xlim(-VIEW_WIDTH_M / 2, VIEW_WIDTH_M / 2)
        ax.set_animated(True)
        ax.set_aspect("equal", adjustable="box")
        ax.set_title(title, fontsize=10)
        ax.set_xlabel(f"world {'XYZ'[across]} [m]", fontsize=9)
        ax.tick_params(labelsize=8)
        if not scene.motions:
            ax.text(0.5, 0.5, "no motion given", transform=ax.transAxes, ha="center")

    def _add_skeleton(self, track: MotionTrack, colour: str, right_side: np.ndarray) -> _Skeleton:
        """Bones (right limbs lighter, so the two legs can be told apart), head, planted-foot markers."""
        colours = [_lighter(colour) if right else to_rgba(colour) for right in right_side]
        bones = LineCollection([], colors=colours, linewidths=2.5, capstyle="round", zorder=3)
        self.ax.add_collection(bones)
        (head,) = self.ax.plot([], [], "o", color=colour, markersize=9, zorder=3)
        planted = {
            side: self.ax.plot(
                [], [], "o", color=PLANTED_COLOUR, markersize=7, markeredgecolor="white", zorder=4
            )[0]
            for side in SIDES
        }
        return _Skeleton(track, bones, head, planted)

    def update(self, time_s: float, centre_m: np.ndarray, planted: dict[str, bool]) -> None:
        """Pose every skeleton at ``time_s`` and centre the window on ``centre_m`` (world, [3])."""
        dims = [self.across, 1]
        for skeleton in self.skeletons:
            joints = skeleton.track.joint_positions_m[skeleton.track.frame_at(time_s)][:, dims]
            child, parent = self.bone_ends
            skeleton.bones.set_segments(np.stack([joints[child], joints[parent]], axis=1))
            skeleton.head.set_data(joints[[self.head], 0], joints[[self.head], 1])
            for side, marker in skeleton.planted.items():
                marker.set_data(joints[self.feet[side], 0], joints[self.feet[side], 1])
                marker.set_visible(planted[side])
        middle = centre_m[self.across]
        self.ax.set_xlim(middle - VIEW_WIDTH_M / 2, middle + VIEW_WIDTH_M / 2)


class _InsoleView:
    """Both footprints seen from above, toes up, medial sides facing each other; the force strip.

    ``animated`` lists what changes per frame; everything else is drawn once into the background.
    """

    def __init__(
        self, feet_ax: Axes, colour_bar_ax: Axes, force_ax: Axes, scene: Scene, window: tuple[float, float]
    ) -> None:
        self.insoles = scene.insoles
        for ax in (feet_ax, force_ax):
            ax.tick_params(labelsize=8)
        feet_ax.set(xlim=INSOLE_LIMITS[0], ylim=INSOLE_LIMITS[1], aspect="equal", xticks=[], yticks=[])
        feet_ax.set_title("insoles from above (toes up), pressure now", fontsize=10)
        force_ax.set_xlim(*window)
        force_ax.set_xlabel("time [s]", fontsize=9)
        force_ax.set_ylabel("force [N]", fontsize=9)
        force_ax.grid(alpha=0.3)
        self.playhead = force_ax.axvline(window[0], color="black", lw=1.2, animated=True)
        self.animated: list[Artist] = [self.playhead]
        if self.insoles is None:
            colour_bar_ax.set_visible(False)
            for ax in (feet_ax, force_ax):
                ax.text(0.5, 0.5, "no insole recording given", transform=ax.transAxes, ha="center")
            return
        cmap = pressure_colour_map()
        peak = np.nanmax([np.nanmax(p, initial=0.0) for p in self.insoles.pressure_ncm2.values()])
        norm = Normalize(0.0, max(float(peak), 1.0))
        areas = cell_areas_cm2(self.insoles.insole_size or DEFAULT_INSOLE_SIZE)
        self.cells: dict[str, PathCollection] = {}
        self.cop: dict[str, Line2D] = {}
        self.force_text: dict[str, Text] = {}
        for side in SIDES:
            x, y = self._on_screen(side, CELL_CENTROIDS_NORM)
            self.cells[side] = feet_ax.scatter(
                x,
                y,
                s=areas * CELL_MARKER_PT2_PER_CM2,
                c=np.zeros(16),
                cmap=cmap,
                norm=norm,
                edgecolors="0.2",
                linewidths=0.5,
                plotnonfinite=True,
                animated=True,
            )
            (self.cop[side],) = feet_ax.plot(
                [], [], "o", color="white", markeredgecolor="k", markersize=8, animated=True
            )
            self.force_text[side] = feet_ax.text(
                FOOT_OFFSETS[side], INSOLE_LIMITS[1][0] + 0.03, "", ha="center", fontsize=9, animated=True
            )
            self.animated += [self.cells[side], self.cop[side], self.force_text[side]]
        feet_ax.text(0.0, 0.0, "medial", rotation=90, ha="center", va="center", fontsize=8, color="0.4")
        feet_ax.figure.colorbar(
            self.cells["left"],
            cax=colour_bar_ax,
            orientation="horizontal",
            label="pressure [N/cm²]; grey: missing",
        )
        colour_bar_ax.tick_params(labelsize=8)
        first, last = self.insoles.sample_at(np.array(window))
        for side in SIDES:
            force_ax.plot(
                self.insoles.time_s[first : last + 1],
                self.insoles.force_n[side][first : last + 1],
                color=FOOT_COLOURS[side],
                lw=1.0,
                label=f"{side} foot",
            )
        peak_n = np.nanmax([np.nanmax(f, initial=0.0) for f in self.insoles.force_n.values()])
        force_ax.set_ylim(0.0, 1.3 * max(float(peak_n), 1.0))  # room for the legend
        force_ax.legend(loc="upper right", fontsize=8, ncol=2)

    @staticmethod
    def _on_screen(side: str, points_norm: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Screen (x, y) of insole points ``[n, 2]`` (normalised frame): the shared top view
        (:func:`~step2motion.insole_layout.top_view`), moved to the foot's place in the panel."""
        across, along = top_view(side, points_norm).T
        return across + FOOT_OFFSETS[side], along

    def planted(self, time_s: float) -> dict[str, bool]:
        """Stance of each foot at ``time_s`` from the insoles (none without them)."""
        if self.insoles is None:
            return dict.fromkeys(SIDES, False)
        sample = self.insoles.sample_at(time_s)
        return {side: bool(self.insoles.planted[side][sample]) for side in SIDES}

    def update(self, time_s: float) -> None:
        """Pressures, CoP and force of the sample shown at ``time_s``; the playhead."""
        self.playhead.set_xdata([time_s, time_s])
        if self.insoles is None:
            return
        sample = self.insoles.sample_at(time_s)
        for side in SIDES:
            self.cells[side].set_array(np.ma.masked_invalid(self.insoles.pressure_ncm2[side][sample]))
            self.cop[side].set_data(*self._on_screen(side, self.insoles.cop_norm[side][[sample]]))
            force = self.insoles.force_n[side][sample]
            self.force_text[side].set_text(
                f"{side} {force:.0f} N" if np.isfinite(force) else f"{side}: missing"
            )


class _VideoFigure:
    """The figure, built once; :meth:`draw` poses it at a time and returns the RGBA pixels.

    Blitting: everything that does not change (legend, colour bar, force curves, titles) is drawn once
    into a background; each frame restores it and draws only the animated artists over it.
    """

    def __init__(self, scene: Scene, window: tuple[float, float], size_px: tuple[int, int]) -> None:
        width_px, height_px = size_px
        dpi = width_px / FIGURE_WIDTH_IN
        # A hundredth of a pixel over, because Agg truncates the float size to whole pixels.
        self.figure = Figure(figsize=((width_px + 0.01) / dpi, (height_px + 0.01) / dpi), dpi=dpi)
        self.canvas = FigureCanvasAgg(self.figure)
        colours = _motion_colours(scene)
        self.duration_s = scene.duration_s
        self.lead, self.centres = _camera_centres(scene)
        add = self.figure.add_axes
        self.views = [
            _SkeletonView(add((0.045, 0.29, 0.325, 0.6)), scene, colours, 0, "front (seen from +Z)"),
            _SkeletonView(add((0.405, 0.29, 0.325, 0.6)), scene, colours, 2, "side (seen from −X)"),
        ]
        self.views[0].ax.set_ylabel("height [m]", fontsize=9)
        self.insoles = _InsoleView(
            add((0.745, 0.52, 0.245, 0.26)),
            add((0.765, 0.44, 0.205, 0.022)),
            add((0.06, 0.075, 0.92, 0.14)),
            scene,
            window,
        )
        self.clock = self.figure.text(
            0.99, 0.965, "", ha="right", va="center", size=13, family="monospace", animated=True
        )
        if scene.insoles is not None:
            self.figure.text(0.01, 0.965, f"insoles: {scene.insoles.label}", va="center", fontsize=11)
        self._legend(scene, colours)
        self.animated = [*(view.ax for view in self.views), *self.insoles.animated, self.clock]
        self.canvas.draw()
        self.background = self.canvas.copy_from_bbox(self.figure.bbox)

    def _legend(self, scene: Scene, colours: list[str]) -> None:
        """One entry per motion (role and file), and the planted-foot markers when there are insoles."""
        handles = [
            Line2D([], [], color=colour, lw=2.5, label=f"{m.role}: {m.label}")
            for m, colour in zip(scene.motions, colours, strict=True)
        ]
        if scene.insoles is not None and scene.motions:
            handles.append(
                Line2D([], [], ls="", marker="o", color=PLANTED_COLOUR, label="foot planted (insoles)")
            )
        if handles:
            self.figure.legend(
                handles=handles,
                loc="center",
                bbox_to_anchor=(0.36, 0.925),
                ncol=len(handles),
                fontsize=8,
                frameon=False,
                title="right limbs drawn lighter",
                title_fontsize=7,
            )

    def draw(self, time_s: float) -> memoryview:
        """The frame at ``time_s`` (scene clock, s) as RGBA bytes, rows top to bottom; valid until the
        next call."""
        centre = self.centres[self.lead.frame_at(time_s)] if self.lead is not None else self.centres[0]
        planted = self.insoles.planted(time_s)
        for view in self.views:
            view.update(time_s, centre, planted)
        self.insoles.update(time_s)
        self.clock.set_text(f"t = {time_s:5.2f} s / {self.duration_s:.2f} s")
        self.canvas.restore_region(self.background)
        for artist in self.animated:
            self.figure.draw_artist(artist)
        return self.canvas.buffer_rgba()


def _write_mp4(frames: Iterator[memoryview], path: Path, size_px: tuple[int, int], fps: float) -> None:
    """H.264 (yuv420p, so that every player and slide program plays it) into ``path``, whatever its name."""
    import imageio_ffmpeg

    writer = imageio_ffmpeg.write_frames(
        str(path),
        size_px,
        pix_fmt_in="rgba",
        fps=fps,
        quality=None,
        macro_block_size=2,
        ffmpeg_log_level="error",
        output_params=["-crf", "20", "-movflags", "+faststart", "-f", "mp4"],
    )
    writer.send(None)  # start ffmpeg
    try:
        for frame in frames:
            writer.send(frame)
    finally:
        writer.close()


def _write_gif(
    frames: Iterator[memoryview], path: Path, size_px: tuple[int, int], fps: float, n_frames: int
) -> None:
    """Looping GIF into ``path``: one palette, fitted to the first frame (whose colour bar shows every
    colour of the scale) plus pure white; delays rounded on the cumulative clock, so the GIF keeps time."""
    edges_cs = np.round(np.arange(n_frames + 1) * 100.0 / fps)
    delays_ms = (np.diff(edges_cs) * 10).astype(int).tolist()
    images = (Image.frombuffer("RGBA", size_px, rgba, "raw", "RGBA", 0, 1).convert("RGB") for rgba in frames)
    sample = next(images)
    fitted = sample.quantize(colors=GIF_WHITE_INDEX, method=Image.Quantize.MEDIANCUT).getpalette()
    palette = Image.new("P", (1, 1))
    padded = (fitted + [0, 0, 0] * GIF_WHITE_INDEX)[: GIF_WHITE_INDEX * 3]  # a plain frame has fewer colours
    palette.putpalette([*padded, 255, 255, 255])
    indexed = (_on_palette(image, palette) for image in chain([sample], images))
    first = next(indexed)
    first.save(path, format="GIF", save_all=True, append_images=indexed, duration=delays_ms, loop=0)


def _on_palette(image: Image.Image, palette: Image.Image) -> Image.Image:
    """``image`` (RGB) on ``palette``, undithered, its pure white (the background) kept exactly: Pillow
    looks colours up through a coarse cache that would give white a near-white neighbour, a grey box
    on a white slide."""
    indexed = image.quantize(palette=palette, dither=Image.Dither.NONE)
    white = np.all(np.asarray(image) == 255, axis=-1)
    indexed.paste(GIF_WHITE_INDEX, mask=Image.fromarray(white.astype(np.uint8) * 255))
    return indexed


def render_video(
    scene: Scene,
    path: Path,
    fps: float = 30.0,
    width_px: int = 1280,
    start_s: float | None = None,
    end_s: float | None = None,
    progress: bool = True,
) -> VideoStats:
    """Write ``scene`` between ``start_s`` and ``end_s`` (scene clock, s; default: all of it) to ``path``
    (``.mp4`` or ``.gif``, written atomically) at ``fps`` frames per second, ``width_px`` wide (16:9).

    ``InputError`` before any work for another suffix, an fps or width out of range, or an empty window.
    """
    from tqdm import tqdm

    path = Path(path)
    video_format = check_video_path(path)
    max_fps = MAX_GIF_FPS if video_format == "gif" else float("inf")
    if not 0 < fps <= max_fps:
        limit = f" and at most {max_fps:g} for a GIF" if video_format == "gif" else ""
        raise InputError(f"--fps must be above 0{limit}, got {fps:g}")
    if width_px < MIN_WIDTH_PX:
        raise InputError(
            f"--width-px must be at least {MIN_WIDTH_PX} (smaller is unreadable), got {width_px}"
        )
    start = 0.0 if start_s is None else start_s
    end = scene.duration_s if end_s is None else end_s
    if start < 0:
        raise InputError(f"--start must be 0 s (the recording's first sample) or later, got {start:g} s")
    n_frames = round((end - start) * fps)
    if n_frames < 1:
        raise InputError(
            f"nothing to draw from {start:g} s to {end:g} s at {fps:g} fps; "
            f"the scene lasts {scene.duration_s:g} s"
        )
    size_px = frame_size_px(width_px)
    began = time.perf_counter()
    figure = _VideoFigure(scene, (start, start + n_frames / fps), size_px)
    times = start + np.arange(n_frames) / fps
    with (
        tqdm(times, desc="rendering", unit="frame", disable=not progress) as bar,
        atomic_path(path) as partial,  # named "<name>.partial": both writers are told the format
    ):
        frames = (figure.draw(float(t)) for t in bar)
        if video_format == "mp4":
            _write_mp4(frames, partial, size_px, fps)
        else:
            _write_gif(frames, partial, size_px, fps, n_frames)
    return VideoStats(path, n_frames, fps, n_frames / fps, time.perf_counter() - began)
