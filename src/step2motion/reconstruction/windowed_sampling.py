"""The model on windows of a long input: condition preparation, the window schedule, inpainted sampling.

The networks see windows of ``config.window_frames`` frames at ``config.frame_rate_hz`` (100 at 30 Hz),
as in training. A recording is covered by windows that start every half window; the last one is aligned
to the recording's end, so every frame is generated exactly once. Every frame a window shares with
earlier windows is *known*: it is inpainted (its already generated pose, noised to the current level,
overwrites the sample before every denoising step, :func:`step2motion.model.diffusion.ddim_sample`), so
windows join without a seam and nothing is emitted twice. A recording shorter than one window is padded
at its end like training's short clips (condition zeros, streams absent there) and cropped.

Condition: each stream is z-scored with the checkpoint's statistics; frames where a stream is absent
(sensor gap) read 0, the training mean, as in :class:`~step2motion.dataset.windows.WindowDataset`. The
networks take one presence flag per stream and window; as in training (:mod:`step2motion.training.data`) a
stream counts as present in a window only when it is present on every real frame of it, so a gap longer
than the features bridge, or a foot missing throughout, makes the stream absent for that window (its
null embedding is used) rather than feeding zeros as if they were readings.

The root network is deterministic and sees the same windows and stream mask; each frame's root move comes
from the first window that contains it (the later windows only add new frames), like the poses.

Frames before the first frame any stream is present on (an export whose insoles start late, or one insole
read alone whose data starts late), and after the last, tell the model nothing: the windows cover only
the frames from the first to the last informed one, and those outside hold the nearest generated pose
without moving. Why: a first window that reads nothing draws an unconditioned pose, and the overlapping
windows carry it on for seconds (one real export, its left insole alone, starting 0.5 s before that
insole's data: crouched through the whole walk).

Anything with the :class:`WindowPredictor` interface can stand in for the model (the baselines of
:mod:`step2motion.baselines` do), so every method is cut into windows, placed in the world, fitted to the
skeleton and pinned by the same code.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import torch

from step2motion.condition_schema import ConditionSchema
from step2motion.dataset.insole_features import InsoleFeatures
from step2motion.dataset.windows import NormalisationStats, TrainingClip
from step2motion.errors import InputError
from step2motion.model.checkpoint import Checkpoint
from step2motion.model.denoiser import N_POSE_JOINTS
from step2motion.model.diffusion import evaluating


@dataclass(frozen=True)
class Condition:
    """Model input of consecutive frames: z-scored packed streams and per-frame presence.

    Attributes:
        values: ``[N, C]`` float32, schema order, 0 where a stream is absent.
        present: ``[N, S]`` bool, per stream in schema order.
    """

    values: np.ndarray
    present: np.ndarray

    @property
    def n_frames(self) -> int:
        return int(self.values.shape[0])

    def frames(self, start: int, stop: int) -> Condition:
        return Condition(self.values[start:stop], self.present[start:stop])

    def only(self, schema: ConditionSchema, streams: tuple[str, ...]) -> Condition:
        """This condition with every stream but ``streams`` absent (zeroed), as if not recorded."""
        unknown = sorted(set(streams) - set(schema.names))
        if unknown:
            raise InputError(f"unknown condition stream(s) {unknown}; the streams are {list(schema.names)}")
        values, present = self.values.copy(), self.present.copy()
        for index, name in enumerate(schema.names):
            if name not in streams:
                values[:, schema.channel_slice(name)] = 0.0
                present[:, index] = False
        return Condition(values, present)


def prepare_condition(
    features: InsoleFeatures | TrainingClip, schema: ConditionSchema, stats: NormalisationStats
) -> Condition:
    """Z-scored (with ``stats``), packed (in ``schema`` order) condition of a recording's ``features``
    (or of a training clip's, which have the same ``streams`` and ``present``)."""
    values, present = [], []
    for name in schema.names:
        mask = features.present[name]
        z = stats.condition_z(name, features.streams[name].astype(np.float64))
        values.append(np.where(mask[:, None], z, 0.0))
        present.append(mask)
    return Condition(np.concatenate(values, axis=1).astype(np.float32), np.stack(present, axis=1))


def window_starts(n_frames: int, window_frames: int) -> list[int]:
    """First frame of each window: every half window, the last aligned to the end (one window when
    ``n_frames <= window_frames``)."""
    if n_frames <= window_frames:
        return [0]
    hop = max(1, window_frames // 2)
    starts = list(range(0, n_frames - window_frames, hop))
    return [*starts, n_frames - window_frames]


class WindowPredictor(Protocol):
    """Poses and root moves of one window at a time (at most ``window_frames`` frames at
    ``frame_rate_hz``): the model (:class:`WindowModel`) or a baseline. ``steps`` and ``guidance`` are
    reported with the result (0 for methods that do not denoise)."""

    window_frames: int
    frame_rate_hz: float
    n_samples: int
    steps: int
    guidance: float

    def prepare(self, features: InsoleFeatures) -> Condition:
        """The predictor's input for a recording's features."""
        ...

    def sample_poses(self, condition: Condition, known_m: np.ndarray | None = None) -> np.ndarray:
        """Poses ``[K, n, 21, 3]`` (m, heading-free, root-relative) of an ``n``-frame window whose
        first frames ``known_m [K, k, 21, 3]`` were already generated."""
        ...

    def root_motion(self, condition: Condition) -> np.ndarray:
        """Root moves ``[n, 4]`` of an ``n``-frame window."""
        ...


class WindowModel:
    """One checkpoint's networks applied to one window at a time (at most ``window_frames`` frames).

    ``n_samples`` poses are drawn together (a batch) with ``steps`` DDIM steps and guidance weight
    ``guidance`` (None: the model's defaults); one generator seeded with ``seed`` draws every window's
    noise, so the seed fixes the result. A regression checkpoint reports 0 steps and guidance 1: one
    conditional pass. ``streams`` (None: all) restricts the input to those condition streams, the others
    treated as not recorded (e.g. to measure what the model does without its IMUs).
    """

    def __init__(
        self,
        checkpoint: Checkpoint,
        n_samples: int = 1,
        steps: int | None = None,
        guidance: float | None = None,
        seed: int = 0,
        streams: tuple[str, ...] | None = None,
    ) -> None:
        diffusion = checkpoint.config.diffusion
        self.streams = streams
        self.checkpoint = checkpoint
        self.window_frames = checkpoint.config.window_frames
        self.frame_rate_hz = checkpoint.config.frame_rate_hz
        self.n_samples = n_samples
        self.steps = diffusion.sample_steps if steps is None else steps
        self.guidance = diffusion.guidance_scale if guidance is None else guidance
        if checkpoint.config.pose_model == "regression":
            self.steps, self.guidance = 0, 1.0
        self.generator = torch.Generator().manual_seed(seed)
        pose_stats = checkpoint.stats.poses
        self._pose_mean = torch.as_tensor(pose_stats.mean, dtype=torch.float32)
        self._pose_std = torch.as_tensor(pose_stats.std, dtype=torch.float32)

    def prepare(self, features: InsoleFeatures) -> Condition:
        schema = self.checkpoint.config.schema
        condition = prepare_condition(features, schema, self.checkpoint.stats)
        return condition if self.streams is None else condition.only(schema, self.streams)

    def _padded(self, condition: Condition) -> tuple[torch.Tensor, torch.Tensor]:
        """``[1, W, C]`` condition padded with zeros, and the ``[1, S]`` window stream mask."""
        n = condition.n_frames
        if not 0 < n <= self.window_frames:
            raise ValueError(f"a window holds 1..{self.window_frames} frames, got {n}")
        values = np.zeros((self.window_frames, condition.values.shape[1]), dtype=np.float32)
        values[:n] = condition.values
        stream_mask = condition.present.all(axis=0)
        return torch.from_numpy(values)[None], torch.from_numpy(stream_mask)[None]

    def sample_poses(self, condition: Condition, known_m: np.ndarray | None = None) -> np.ndarray:
        """Poses ``[K, n, 21, 3]`` (m, heading-free, root-relative) for an ``n``-frame window.

        ``known_m`` ``[K, k, 21, 3]`` are the window's first ``k`` frames, already generated: they are
        inpainted and come back unchanged.
        """
        n, w, k = condition.n_frames, self.window_frames, 0 if known_m is None else known_m.shape[1]
        packed, stream_mask = self._padded(condition)
        batch = self.n_samples
        known = torch.zeros(batch, w, N_POSE_JOINTS, 3)
        known_mask = torch.zeros(batch, w, dtype=torch.bool)
        if k:
            known[:, :k] = (torch.as_tensor(known_m, dtype=torch.float32) - self._pose_mean) / self._pose_std
            known_mask[:, :k] = True
        model = self.checkpoint.model
        z = model.pose_model.sample(
            model.denoiser,
            packed.expand(batch, -1, -1),
            stream_mask.expand(batch, -1),
            num_steps=self.steps,
            guidance_scale=self.guidance,
            generator=self.generator,
            known=known if k else None,
            known_frame_mask=known_mask if k else None,
        )
        poses = (z * self._pose_std + self._pose_mean).numpy()[:, :n].astype(np.float64)
        if k:  # exactly the given frames, not their float32 round trip through the z-score
            poses[:, :k] = known_m
        return poses

    def root_motion(self, condition: Condition) -> np.ndarray:
        """Root moves ``[n, 4]`` (forward, leftward, up in m; heading change in rad) of a window."""
        packed, stream_mask = self._padded(condition)
        root_net = self.checkpoint.model.root
        with evaluating(root_net), torch.inference_mode():
            z = root_net(packed, stream_mask)[0, : condition.n_frames].numpy().astype(np.float64)
        return self.checkpoint.stats.root_motion.denormalise(z)


@dataclass(frozen=True)
class SampledMotion:
    """Model output for a whole recording at the model rate.

    Attributes:
        poses_m: ``[K, N, 21, 3]`` heading-free root-relative poses, one per sample.
        root_motion: ``[N, 4]`` root moves (see :mod:`step2motion.model.root_displacement`).
    """

    poses_m: np.ndarray
    root_motion: np.ndarray


def window_spans(n_frames: int, window_frames: int) -> Iterator[tuple[int, int, int]]:
    """``(start, first new frame, stop)`` of each window of :func:`window_starts`."""
    done = 0
    for start in window_starts(n_frames, window_frames):
        stop = min(start + window_frames, n_frames)
        yield start, done, stop
        done = stop


def sample_recording(
    window_model: WindowPredictor, condition: Condition, progress: bool = False
) -> SampledMotion:
    """Poses and root moves of every frame of ``condition``, window by window, over the frames from the
    first to the last with a stream present (module docstring)."""
    from tqdm import tqdm

    n = condition.n_frames
    informed = np.flatnonzero(condition.present.any(axis=1))
    first, stop_informed = (int(informed[0]), int(informed[-1]) + 1) if informed.size else (0, n)
    poses = np.zeros((window_model.n_samples, n, N_POSE_JOINTS, 3))
    root = np.zeros((n, 4))
    spans = list(window_spans(stop_informed - first, window_model.window_frames))
    for start, first_new, stop in tqdm(spans, desc="reconstructing", unit="window", disable=not progress):
        start, first_new, stop = start + first, first_new + first, stop + first
        window = condition.frames(start, stop)
        known = poses[:, start:first_new] if first_new > start else None
        poses[:, start:stop] = window_model.sample_poses(window, known)
        root[first_new:stop] = window_model.root_motion(window)[first_new - start :]
    poses[:, :first] = poses[:, first : first + 1]
    poses[:, stop_informed:] = poses[:, stop_informed - 1 : stop_informed]
    if first:
        root[first] = 0.0  # a window's first frame has no move of its own (its target is 0 in training)
    return SampledMotion(poses, root)
