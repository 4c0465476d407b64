"""Nearest-neighbour retrieval baseline: each window's motion is copied from the training window whose
insole features are closest.

The database holds every ``hop_frames``-th window of every training clip and of its mirror (clips
shorter than a window are padded by repeating their last frame). The key of a window is its z-scored,
packed condition (absent frames 0, as the model sees it) at every ``key_stride``-th frame; distance is
the squared Euclidean distance over the frames the query has and the streams it recorded, so a missing
sensor is left out rather than matched as zeros. The retrieved window's poses and root moves are the
answer; frames already given by the previous window are kept (so neighbouring windows meet with a jump,
the price of copying).
"""

from __future__ import annotations

import numpy as np

from step2motion.baselines.training_set import TrainingSet
from step2motion.dataset.insole_features import CONDITION_SCHEMA, InsoleFeatures
from step2motion.reconstruction.windowed_sampling import Condition, prepare_condition

HOP_FRAMES = 8
KEY_STRIDE = 2


def _padded(values: np.ndarray, n_frames: int) -> np.ndarray:
    """``values [T, ...]`` extended to at least ``n_frames`` frames by repeating the last one."""
    missing = n_frames - values.shape[0]
    return values if missing <= 0 else np.concatenate([values, np.repeat(values[-1:], missing, axis=0)])


class NearestNeighbourPredictor:
    """A :class:`~step2motion.reconstruction.windowed_sampling.WindowPredictor` by retrieval (module
    docstring)."""

    n_samples = 1
    steps = 0
    guidance = 0.0

    def __init__(
        self,
        training: TrainingSet,
        window_frames: int,
        frame_rate_hz: float,
        hop_frames: int = HOP_FRAMES,
        key_stride: int = KEY_STRIDE,
    ) -> None:
        self.window_frames = window_frames
        self.frame_rate_hz = frame_rate_hz
        self.stats = training.stats
        self.key_stride = key_stride
        self.schema = CONDITION_SCHEMA
        keys, origins = [], []
        self.clip_poses_m: list[np.ndarray] = []  # per clip [T', 21, 3], padded to a window
        self.clip_roots: list[np.ndarray] = []  # per clip [T', 4]
        for clip_index, clip in enumerate(training.clips):
            values = _padded(prepare_condition(clip, self.schema, self.stats).values, window_frames)
            self.clip_poses_m.append(_padded(clip.poses, window_frames))
            self.clip_roots.append(_padded(clip.root_motion, window_frames))
            for start in range(0, values.shape[0] - window_frames + 1, hop_frames):
                keys.append(values[start : start + window_frames : key_stride])
                origins.append((clip_index, start))
        self.keys = np.stack(keys).astype(np.float32)  # [N, F, C]
        self.key_norms = np.einsum("nfc,nfc->n", self.keys, self.keys)
        self.origins = np.array(origins)  # [N, 2]: clip, first frame
        self._last: tuple[Condition, int] | None = None

    @property
    def n_windows(self) -> int:
        return int(self.keys.shape[0])

    def prepare(self, features: InsoleFeatures) -> Condition:
        return prepare_condition(features, self.schema, self.stats)

    def nearest(self, condition: Condition) -> int:
        """Database index of the window closest to ``condition`` (at most ``window_frames`` frames)."""
        if self._last is not None and self._last[0] is condition:
            return self._last[1]
        query = condition.values[:: self.key_stride].astype(np.float32)  # [F', C]
        channels = np.concatenate(
            [
                np.full(self.schema.channels(name), bool(condition.present[:, index].all()))
                for index, name in enumerate(self.schema.names)
            ]
        )
        n_key_frames = query.shape[0]
        if n_key_frames == self.keys.shape[1] and channels.all():
            distance = self.key_norms - 2.0 * np.einsum("nfc,fc->n", self.keys, query)
        else:
            keys = self.keys[:, :n_key_frames][:, :, channels]
            distance = np.einsum("nfc,nfc->n", keys, keys) - 2.0 * np.einsum(
                "nfc,fc->n", keys, query[:, channels]
            )
        index = int(np.argmin(distance))
        self._last = (condition, index)
        return index

    def _retrieved(self, arrays: list[np.ndarray], condition: Condition) -> np.ndarray:
        clip, start = self.origins[self.nearest(condition)]
        return arrays[clip][start : start + condition.n_frames].astype(np.float64)

    def sample_poses(self, condition: Condition, known_m: np.ndarray | None = None) -> np.ndarray:
        poses = self._retrieved(self.clip_poses_m, condition)[None].copy()
        if known_m is not None:
            poses[:, : known_m.shape[1]] = known_m
        return poses

    def root_motion(self, condition: Condition) -> np.ndarray:
        return self._retrieved(self.clip_roots, condition)
