"""Mean-pose baseline: the training set's mean pose at every frame, moving at its mean root velocity.

It ignores the insoles entirely, so any method's MPJPE below it measures what the insoles tell.
"""

from __future__ import annotations

import numpy as np

from step2motion.baselines.training_set import TrainingSet
from step2motion.dataset.insole_features import CONDITION_SCHEMA, InsoleFeatures
from step2motion.reconstruction.windowed_sampling import Condition, prepare_condition


class MeanPosePredictor:
    """A :class:`~step2motion.reconstruction.windowed_sampling.WindowPredictor` that always answers the
    mean pose ``[21, 3]`` and mean root move ``[4]`` of ``training`` (mirrors included, so symmetric)."""

    n_samples = 1
    steps = 0
    guidance = 0.0

    def __init__(self, training: TrainingSet, window_frames: int, frame_rate_hz: float) -> None:
        self.window_frames = window_frames
        self.frame_rate_hz = frame_rate_hz
        self.stats = training.stats
        self.pose_m = np.asarray(training.stats.poses.mean, dtype=np.float64)
        self.root_move = np.asarray(training.stats.root_motion.mean, dtype=np.float64)

    def prepare(self, features: InsoleFeatures) -> Condition:
        return prepare_condition(features, CONDITION_SCHEMA, self.stats)

    def sample_poses(self, condition: Condition, known_m: np.ndarray | None = None) -> np.ndarray:
        poses = np.broadcast_to(self.pose_m, (1, condition.n_frames, *self.pose_m.shape)).copy()
        if known_m is not None:
            poses[:, : known_m.shape[1]] = known_m
        return poses

    def root_motion(self, condition: Condition) -> np.ndarray:
        return np.broadcast_to(self.root_move, (condition.n_frames, self.root_move.size)).copy()
