"""The whole Step2Motion network (pose denoiser + root displacement) rebuilt from a config alone.

A checkpoint is ``state_dict()`` + ``config.to_dict()`` (+ the caller's normalisation statistics);
``Step2MotionModel(ModelConfig.from_dict(saved))`` rebuilds the modules the weights load into.
"""

from __future__ import annotations

from torch import nn

from step2motion.model.config import ModelConfig
from step2motion.model.denoiser import Step2MotionDenoiser
from step2motion.model.diffusion import PoseDiffusion
from step2motion.model.root_displacement import RootDisplacementNet


class Step2MotionModel(nn.Module):
    """``denoiser`` (poses), ``root`` (root displacement), ``diffusion`` (schedule, loss, sampler)."""

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        self.config = config
        self.denoiser = Step2MotionDenoiser(config.schema, config.denoiser)
        self.root = RootDisplacementNet(config.schema, config.root)
        self.diffusion = PoseDiffusion(config.diffusion)
