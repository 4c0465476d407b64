"""A recording file reconstructed in bounded memory (``step2motion reconstruct --stream``).

Why: the offline pipeline (:mod:`~step2motion.reconstruction.pipeline`) holds the whole recording, its
streams and its motion, so its memory grows with the recording's length. Here the export is read chunk by
chunk (:func:`~step2motion.io.moticon.iter_moticon`), pushed through the
:class:`~step2motion.reconstruction.streaming.StreamingReconstructor` (one window plus a margin of samples
in memory) and every committed frame goes straight to the BVH and NPZ writers
(:class:`~step2motion.io.bvh.BvhWriter`, :class:`~step2motion.io.npz_writer.NpzWriter`): memory is flat
in the length. What it gives up (the streaming reconstructor's own limits): the root is the root
network's (the foot odometry needs the whole recording), one sample, output at the model's rate, and
the body weight is estimated from the recent samples unless given.

The time column is obeyed as offline: samples go onto the regular grid of the rate of the first chunk's
median time step by their time stamps (``round((t − t₀) × rate)``), a stretch without rows becomes missing
samples (never closed up) and is counted, and a row falling on a grid slot already taken is dropped (an
irregular export; counted too).
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from step2motion import skeleton
from step2motion.errors import InputError
from step2motion.io.bvh import BvhWriter
from step2motion.io.moticon import MoticonStream, header_duration_s
from step2motion.io.npz_writer import NpzWriter
from step2motion.model.checkpoint import Checkpoint
from step2motion.motion import Motion
from step2motion.reconstruction.streaming import StreamChunk, StreamingReconstructor
from step2motion.recording import FOOT_FIELDS, SIDES, FootSignals, InsoleRecording, time_gaps


@dataclass(frozen=True)
class StreamedReconstruction:
    """What a streamed reconstruction wrote: ``n_frames`` at ``fps`` covering ``duration_s`` of the
    recording; ``missing_samples`` grid slots without a row, ``dropped_rows`` rows on a taken slot, the
    time ``gaps`` as :meth:`~step2motion.recording.InsoleRecording.time_gaps` gives them and the
    ``empty_sides`` (insoles without a single sample) and ``data_ends_s`` (per insole with data: seconds
    from the first grid slot to its first sample with data, and from its last such sample to the last
    slot), the facts the recording notes are worded from; ``odometry_root`` ``[n_frames]`` (bool): the
    frames whose move the feet's odometry gave; ``steps``/``guidance`` of the sampler and the ``wall_s``
    it took."""

    n_frames: int
    fps: float
    duration_s: float
    missing_samples: int
    dropped_rows: int
    gaps: np.ndarray
    empty_sides: tuple[str, ...]
    data_ends_s: dict[str, tuple[float, float]]
    odometry_root: np.ndarray
    steps: int
    guidance: float
    wall_s: float


class _RegularGrid:
    """Rows of successive chunks → samples on one regular grid (module docstring)."""

    def __init__(self) -> None:
        self.start_s: float | None = None
        self.rate_hz = float("nan")
        self.next_index = 0  # grid slot of the next sample to emit
        self.missing_samples = 0
        self.dropped_rows = 0
        self.gaps: list[tuple[float, float]] = []  # (start, length) s, as InsoleRecording.time_gaps
        self.data_slots: dict[str, list[int]] = {}  # per insole: first and last slot with data
        self._last_row_s: float | None = None

    def place(self, chunk: InsoleRecording) -> tuple[FootSignals, FootSignals]:
        """Both feet's samples from the next free slot to the chunk's last row (NaN where no row)."""
        if self.start_s is None:
            if chunk.n_samples < 2:
                raise InputError("fewer than 2 rows to tell the sample rate from", chunk.source or None)
            self.start_s, self.rate_hz = float(chunk.time_s[0]), chunk.rate_hz
        slots = np.rint((chunk.time_s - self.start_s) * self.rate_hz).astype(np.int64)
        keep = slots >= self.next_index
        keep[1:] &= slots[1:] != slots[:-1]  # one row a slot: the first
        self.dropped_rows += int(chunk.n_samples - keep.sum())
        if not keep.any():
            return FootSignals.missing(0), FootSignals.missing(0)
        self._note_gaps(chunk.time_s[keep])
        slots = slots[keep]
        n = int(slots[-1]) + 1 - self.next_index
        self.missing_samples += n - slots.size
        feet = []
        for side in SIDES:
            foot, placed = chunk.foot(side).take(keep), FootSignals.missing(n)
            with_data = slots[~foot.missing_mask()]
            if with_data.size:
                span = self.data_slots.setdefault(side, [int(with_data[0]), 0])
                span[1] = int(with_data[-1])
            for name in FOOT_FIELDS:
                getattr(placed, name)[slots - self.next_index] = getattr(foot, name)
            feet.append(placed)
        self.next_index += n
        return feet[0], feet[1]

    def _note_gaps(self, row_s: np.ndarray) -> None:
        """Record the stretches without a row (:func:`~step2motion.recording.time_gaps` at the grid's
        period), across chunk boundaries too."""
        times = row_s if self._last_row_s is None else np.concatenate([[self._last_row_s], row_s])
        self.gaps.extend(
            (float(start), float(length)) for start, length in time_gaps(times, 1.0 / self.rate_hz)
        )
        self._last_row_s = float(row_s[-1])


class ChunkedReconstruction:
    """Chunks of one recording (consecutive rows, its own clock) → the frames they commit: the samples
    placed on the stream's grid (:class:`_RegularGrid`), then the
    :class:`~step2motion.reconstruction.streaming.StreamingReconstructor`. One object per recording; what
    ``reconstruct --stream`` runs, and what ``evaluate`` scores as ``step2motion_streamed``."""

    def __init__(
        self,
        checkpoint: Checkpoint,
        insole_size: int | None = None,
        *,
        steps: int | None = None,
        guidance: float | None = None,
        seed: int = 0,
        body_weight_n: float | None = None,
        root: str = "odometry",
        height_m: float | None = None,
        skeleton_offsets_m: np.ndarray | None = None,
    ) -> None:
        self.checkpoint = checkpoint
        self.insole_size = insole_size
        self._settings = {
            "steps": steps,
            "guidance": guidance,
            "seed": seed,
            "body_weight_n": body_weight_n,
            "root": root,
            "height_m": height_m,
            "skeleton_offsets_m": skeleton_offsets_m,
        }
        self.grid = _RegularGrid()
        self.reconstructor: StreamingReconstructor | None = None

    def frames(self, chunks: Iterable[InsoleRecording]) -> Iterator[StreamChunk]:
        """The non-empty committed chunks, the last one after the input ends (frame times from the first
        sample: add ``grid.start_s`` for the recording's clock)."""
        for chunk in chunks:
            left, right = self.grid.place(chunk)
            if self.reconstructor is None:
                self.reconstructor = StreamingReconstructor(
                    self.checkpoint, self.grid.rate_hz, insole_size=self.insole_size, **self._settings
                )
            committed = self.reconstructor.push(left, right)
            if committed.n_frames:
                yield committed
        if self.reconstructor is None:
            raise InputError("no data rows")
        yield self.reconstructor.finish()


def reconstruct_file_streaming(
    stream: MoticonStream,
    checkpoint: Checkpoint,
    bvh_path: str | Path,
    npz_path: str | Path,
    *,
    steps: int | None = None,
    guidance: float | None = None,
    seed: int = 0,
    body_weight_n: float | None = None,
    root: str = "odometry",
    height_m: float | None = None,
    skeleton_offsets_m: np.ndarray | None = None,
    progress: bool = False,
) -> StreamedReconstruction:
    """Reconstruct ``stream``'s recording chunk by chunk into ``bvh_path`` and ``npz_path`` (the NPZ has
    the keys of :func:`~step2motion.reconstruction.pipeline.write_npz` with one sample); both files appear
    only when complete."""
    from tqdm import tqdm

    started_s = time.perf_counter()
    run = ChunkedReconstruction(
        checkpoint,
        stream.insole_size,
        steps=steps,
        guidance=guidance,
        seed=seed,
        body_weight_n=body_weight_n,
        root=root,
        height_m=height_m,
        skeleton_offsets_m=skeleton_offsets_m,
    )
    fps = checkpoint.config.frame_rate_hz
    fixed = {"fps": np.float64(fps), "joint_names": np.array(skeleton.JOINT_NAMES)}
    expected_s = header_duration_s(stream.metadata)  # for the progress bar (None: a count without a bar)
    placed: list[np.ndarray] = []  # 1 byte a frame: what the closing note is worded from
    with (
        BvhWriter(bvh_path) as bvh,
        NpzWriter(npz_path, fixed) as npz,
        tqdm(
            desc="reconstructing",
            total=expected_s,
            disable=not progress,
            bar_format="{desc}: {percentage:3.0f}%|{bar}| {n:.0f}/{total:.0f} s [{elapsed}<{remaining}]"
            if expected_s
            else "{desc}: {n:.0f} s [{elapsed}]",
        ) as bar,
    ):
        for chunk in run.frames(stream):
            assert run.reconstructor is not None and run.reconstructor.offsets_m is not None
            bvh.append(Motion(chunk.local_rotations, chunk.root_position_m, run.reconstructor.offsets_m, fps))
            npz.append(
                time_s=run.grid.start_s + chunk.time_s,
                joint_positions_m=chunk.joint_positions_m,
                **{f"contact_{side}": chunk.contacts[:, i] for i, side in enumerate(SIDES)},
                odometry_root=chunk.odometry_root,
            )
            placed.append(chunk.odometry_root)
            done_s = chunk.n_frames / fps
            if bar.total is not None and bar.n + done_s > bar.total:  # the header said a little less
                bar.total = bar.n + done_s
            bar.update(done_s)
        n_frames = bvh.written
    grid, reconstructor = run.grid, run.reconstructor
    return StreamedReconstruction(
        n_frames=n_frames,
        fps=fps,
        duration_s=grid.next_index / grid.rate_hz,
        missing_samples=grid.missing_samples,
        dropped_rows=grid.dropped_rows,
        gaps=np.array(grid.gaps).reshape(-1, 2),
        empty_sides=tuple(side for side in SIDES if side not in grid.data_slots),
        data_ends_s={
            side: (first / grid.rate_hz, (grid.next_index - 1 - last) / grid.rate_hz)
            for side, (first, last) in grid.data_slots.items()
        },
        odometry_root=np.concatenate(placed),
        steps=reconstructor.steps,
        guidance=reconstructor.guidance,
        wall_s=time.perf_counter() - started_s,
    )
