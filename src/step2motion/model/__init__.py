"""Neural core of Step2Motion: condition schema, pose denoiser, root displacement, diffusion, guidance.

Pure PyTorch modules; data preparation (z-scoring, windowing, feature extraction) is the caller's.
"""

from step2motion.condition_schema import DEFAULT_SCHEMA, ConditionSchema
from step2motion.model.config import DenoiserConfig, DiffusionConfig, ModelConfig, RootConfig
from step2motion.model.denoiser import (
    POSE_JOINT_NAMES,
    EncodedCondition,
    Step2MotionDenoiser,
    split_attention_by_part,
)
from step2motion.model.diffusion import NoiseSchedule, PoseDiffusion, ddim_sample, pose_loss
from step2motion.model.full_model import Step2MotionModel
from step2motion.model.guidance import GuidedDenoiser, condition_dropout_mask
from step2motion.model.root_displacement import (
    ROOT_DISPLACEMENT_CHANNELS,
    RootDisplacementNet,
    root_displacement_loss,
)

__all__ = [
    "DEFAULT_SCHEMA",
    "POSE_JOINT_NAMES",
    "ROOT_DISPLACEMENT_CHANNELS",
    "ConditionSchema",
    "DenoiserConfig",
    "DiffusionConfig",
    "EncodedCondition",
    "GuidedDenoiser",
    "ModelConfig",
    "NoiseSchedule",
    "PoseDiffusion",
    "RootConfig",
    "RootDisplacementNet",
    "Step2MotionDenoiser",
    "Step2MotionModel",
    "condition_dropout_mask",
    "ddim_sample",
    "pose_loss",
    "root_displacement_loss",
    "split_attention_by_part",
]
