"""The whole Step2Motion network (pose denoiser + root displacement) rebuilt from a config alone.

A checkpoint is ``state_dict()`` + ``config.to_dict()`` (+ the caller's normalisation statistics);
``Step2MotionModel(ModelConfig.from_dict(saved))`` rebuilds the modules the weights load into.
"""

from __future__ import annotations

from torch import nn

from step2motion.model.config import ModelConfig
from step2motion.model.denoiser import Step2MotionDenoiser
from step2motion.model.diffusion import PoseDiffusion
from step2motion.model.regression import PoseRegression
from step2motion.model.root_displacement import RootDisplacementNet


class Step2MotionModel(nn.Module):
    """``denoiser`` (the pose network), ``root`` (root displacement), ``pose_model`` (how the denoiser
    makes poses: :class:`PoseDiffusion` — schedule, loss, sampler — or the :class:`PoseRegression`
    baseline, per ``config.pose_model``)."""

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        self.config = config
        self.denoiser = Step2MotionDenoiser(config.schema, config.denoiser, config.used_stream_names)
        self.root = RootDisplacementNet(config.schema, config.root)
        pose_model = PoseDiffusion if config.pose_model == "diffusion" else PoseRegression
        self.pose_model: PoseDiffusion | PoseRegression = pose_model(config.diffusion)
