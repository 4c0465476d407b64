"""The data layer between files and the network: insole recording → input streams, motion → targets,
and training windows (see each module's docstring for channel tables and conventions)."""

from step2motion.dataset.insole_features import (
    CONDITION_SCHEMA,
    MODALITY_CHANNELS,
    InsoleFeatures,
    estimate_body_weight_n,
    insole_streams,
)
from step2motion.dataset.pose_features import (
    POSE_JOINTS,
    PoseTargets,
    integrate_root,
    pose_targets,
    targets_from_positions,
    to_world,
)
from step2motion.dataset.windows import (
    NormalisationStats,
    TrainingClip,
    WindowDataset,
    mirror_clip,
    pair_clip,
)

__all__ = [
    "CONDITION_SCHEMA",
    "MODALITY_CHANNELS",
    "POSE_JOINTS",
    "InsoleFeatures",
    "NormalisationStats",
    "PoseTargets",
    "TrainingClip",
    "WindowDataset",
    "estimate_body_weight_n",
    "insole_streams",
    "integrate_root",
    "mirror_clip",
    "pair_clip",
    "pose_targets",
    "targets_from_positions",
    "to_world",
]
