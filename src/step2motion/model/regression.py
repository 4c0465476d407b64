"""The deterministic regression baseline: the diffusion model's network without diffusion.

Same denoiser, same condition encoders, same loss on the same z-scored poses, but the network is asked
once, from a constant input (zero pose, timestep 0), to output the pose. Comparing it with
:class:`~step2motion.model.diffusion.PoseDiffusion` isolates what the generative formulation buys; it
has the same interface (``training_loss``, ``sample``) so training, reconstruction and evaluation run it
unchanged.

Differences that follow from having no noise: no classifier-free-guidance condition dropout (there is
no unconditional model to guide with; per-stream dropout stays, for missing sensors), ``num_steps``,
``guidance_scale`` and ``generator`` are ignored, and every "sample" is the same pose. Windows overlap
as in diffusion, but known frames cannot be inpainted into a one-pass prediction: they simply replace
the prediction's first frames.
"""

from __future__ import annotations

import torch

from step2motion.model.config import DiffusionConfig
from step2motion.model.denoiser import Step2MotionDenoiser
from step2motion.model.diffusion import evaluating, pose_loss
from step2motion.model.guidance import condition_dropout_mask
from step2motion.model.modality_encoders import all_present


def _predict(
    denoiser: Step2MotionDenoiser, condition: torch.Tensor, stream_mask: torch.Tensor, n_frames: int
) -> torch.Tensor:
    """One pass from the constant input: poses ``[B, T, 21, 3]`` (z-scored)."""
    batch = condition.shape[0]
    blank = torch.zeros(batch, n_frames, *denoiser.pose_shape, device=condition.device, dtype=condition.dtype)
    timesteps = torch.zeros(batch, dtype=torch.long, device=condition.device)
    return denoiser(blank, timesteps, denoiser.encode_condition(condition, stream_mask))


class PoseRegression:
    """Training loss and prediction of the regression baseline (module docstring)."""

    def __init__(self, config: DiffusionConfig) -> None:
        self.config = config

    def condition_mask(self, present: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        """The streams ``[B, S]`` a training pass sees: ``present`` with each stream dropped independently
        with ``stream_drop_prob`` (no guidance, so no whole-condition dropout)."""
        return condition_dropout_mask(present, 0.0, self.config.stream_drop_prob, generator)

    def training_loss(
        self,
        denoiser: Step2MotionDenoiser,
        x0: torch.Tensor,
        condition: torch.Tensor,
        present: torch.Tensor | None = None,
        generator: torch.Generator | None = None,
        frame_valid: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Loss of the prediction for clean poses ``[B, T, 21, 3]`` and packed condition ``[B, T, C]`` over
        the frames of ``frame_valid [B, T]`` (default all), and the stream mask ``[B, S]`` it used: streams
        of ``present [B, S]`` dropped independently with ``stream_drop_prob``."""
        if present is None:
            present = all_present(x0.shape[0], denoiser.schema, x0.device)
        stream_mask = self.condition_mask(present, generator)
        predicted = _predict(denoiser, condition, stream_mask, x0.shape[1])
        loss = pose_loss(predicted, x0, self.config.loss, self.config.part_weights, frame_valid)
        return loss, stream_mask

    def sample(
        self,
        denoiser: Step2MotionDenoiser,
        condition: torch.Tensor,
        stream_mask: torch.Tensor | None = None,
        *,
        num_steps: int | None = None,
        guidance_scale: float | None = None,
        generator: torch.Generator | None = None,
        known: torch.Tensor | None = None,
        known_frame_mask: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """Poses ``[B, T, 21, 3]`` (z-scored); ``known`` replaces the frames of ``known_frame_mask``."""
        del num_steps, guidance_scale, generator  # the interface of PoseDiffusion.sample; nothing to draw
        if (known is None) != (known_frame_mask is None):
            raise ValueError("known frames need both `known` and `known_frame_mask`")
        batch, n_frames = condition.shape[:2]
        if stream_mask is None:
            stream_mask = all_present(batch, denoiser.schema, condition.device)
        with evaluating(denoiser), torch.inference_mode():
            predicted = _predict(denoiser, condition, stream_mask, n_frames)
        if known is None:
            return predicted
        return torch.where(known_frame_mask[:, :, None, None], known, predicted)
