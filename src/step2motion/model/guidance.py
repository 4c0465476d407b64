"""Classifier-free guidance and condition dropout, both through the per-stream null embedding.

Training marks streams absent (:func:`condition_dropout_mask`); sampling marks all streams absent for
the unconditional prediction. Either way the absent streams' encodings become their null embeddings
(:class:`~step2motion.model.modality_encoders.ConditionEncoder`), so the unconditional path at sampling
time is exactly the one trained.
"""

from __future__ import annotations

import torch

from step2motion.model.denoiser import EncodedCondition, Step2MotionDenoiser
from step2motion.model.modality_encoders import all_present, check_stream_mask


def condition_dropout_mask(
    present: torch.Tensor,
    cond_drop_prob: float,
    stream_drop_prob: float,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """Training stream mask ``[B, S]``: ``present`` minus randomly dropped streams and whole conditions.

    Each stream is dropped with ``stream_drop_prob``; then each sample's whole condition with
    ``cond_drop_prob``. Streams already absent (``present`` False, e.g. a sensor gap) stay absent.
    """
    shape, device = present.shape, present.device
    keep_stream = torch.rand(shape, generator=generator, device=device) >= stream_drop_prob
    keep_sample = torch.rand(shape[:1], generator=generator, device=device) >= cond_drop_prob
    return present & keep_stream & keep_sample[:, None]


class GuidedDenoiser:
    """x0 prediction with guidance ``x0 = x0_uncond + w·(x0_cond − x0_uncond)`` for one batch of windows.

    The condition is encoded once here and reused at every denoising step. ``w = 1`` runs only the
    conditional pass, ``w = 0`` only the unconditional one; any other ``w ≥ 0`` (``w > 1`` included)
    runs both in one batched forward pass.
    """

    def __init__(
        self,
        denoiser: Step2MotionDenoiser,
        condition: torch.Tensor,
        stream_mask: torch.Tensor | None,
        guidance_scale: float,
    ) -> None:
        if guidance_scale < 0:
            raise ValueError(f"guidance scale must be ≥ 0, got {guidance_scale}")
        batch_size = condition.shape[0]
        present = (
            all_present(batch_size, denoiser.schema, condition.device) if stream_mask is None else stream_mask
        )
        check_stream_mask(present, batch_size, denoiser.schema)
        self.denoiser = denoiser
        self.scale = guidance_scale
        passes = []
        if guidance_scale != 0:
            passes.append(denoiser.encode_condition(condition, present))
        if guidance_scale != 1:
            passes.append(denoiser.encode_condition(condition, torch.zeros_like(present)))
        self.encoded = passes[0] if len(passes) == 1 else EncodedCondition.cat(passes)
        self.n_passes = len(passes)

    def __call__(self, x_t: torch.Tensor, timesteps: torch.Tensor) -> torch.Tensor:
        """Noisy pose ``[B, T, 21, 3]``, timesteps ``[B]`` → guided x0 ``[B, T, 21, 3]``."""
        if self.n_passes == 1:
            return self.denoiser(x_t, timesteps, self.encoded)
        both = self.denoiser(torch.cat([x_t, x_t]), torch.cat([timesteps, timesteps]), self.encoded)
        conditional, unconditional = both.chunk(2)
        return unconditional + self.scale * (conditional - unconditional)
