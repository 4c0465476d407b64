"""Diffusion process for the pose denoiser: zero-terminal-SNR schedule, x0 loss, DDIM sampler with inpainting.

The schedule (:class:`NoiseSchedule`) is the one of ``diffusers``' ``DDIMScheduler`` with
``rescale_betas_zero_snr=True`` (ᾱ_T = 0 exactly, so training at the last step sees pure noise, as
sampling does) and ``timestep_spacing="trailing"`` (the first sampling step is t = T−1), computed here
in a few lines because importing ``diffusers`` costs more than a second at every start; the bundled
models were trained with it, and a test checks the two agree. The network predicts x0.

The deterministic DDIM update itself (:func:`ddim_step`, three lines) steps to the next timestep of the
list and ends at ᾱ = 1, i.e. on the final x0 prediction (``DDIMScheduler.step`` takes the previous level
as ``t − T // n``, which with trailing spacing is wrong whenever ``n`` does not divide ``T``, diffusers
issues #9261, #12633). The only division is by √(1−ᾱ_t) ≥ √β_0 > 0; at ᾱ_T = 0 the implied noise is
simply the current sample.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from step2motion.model.config import DiffusionConfig
from step2motion.model.denoiser import N_POSE_JOINTS, PART_NAMES, Step2MotionDenoiser, part_joint_indices
from step2motion.model.guidance import GuidedDenoiser, condition_dropout_mask
from step2motion.model.modality_encoders import all_present

#: x0 prediction from (noisy pose ``[B, T, 21, 3]``, timesteps ``[B]``).
X0Predictor = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]

_ELEMENTWISE_LOSSES: dict[str, Callable[..., torch.Tensor]] = {
    "l1": F.l1_loss,
    "mse": F.mse_loss,
    "smooth_l1": F.smooth_l1_loss,
}


def _base_betas(config: DiffusionConfig) -> torch.Tensor:
    """``config.beta_schedule`` over ``train_steps`` in float32, as ``diffusers`` builds it."""
    steps = config.train_steps
    if config.beta_schedule == "linear":
        return torch.linspace(config.beta_start, config.beta_end, steps, dtype=torch.float32)
    if config.beta_schedule == "scaled_linear":
        return torch.linspace(config.beta_start**0.5, config.beta_end**0.5, steps, dtype=torch.float32) ** 2

    def alpha_bar(t: float) -> float:  # "squaredcos_cap_v2": the cosine schedule, betas capped at 0.999
        return math.cos((t + 0.008) / 1.008 * math.pi / 2) ** 2

    betas = [min(1 - alpha_bar((i + 1) / steps) / alpha_bar(i / steps), 0.999) for i in range(steps)]
    return torch.tensor(betas, dtype=torch.float32)


def _zero_terminal_snr(betas: torch.Tensor) -> torch.Tensor:
    """Betas rescaled so that √ᾱ is shifted to 0 at the last step and keeps its first value (Lin et al.
    2024, Algorithm 1), in ``diffusers``' order of float32 operations."""
    alphas_bar_sqrt = torch.cumprod(1.0 - betas, dim=0).sqrt()
    first, last = alphas_bar_sqrt[0].clone(), alphas_bar_sqrt[-1].clone()
    alphas_bar_sqrt -= last
    alphas_bar_sqrt *= first / (first - last)
    alphas_bar = alphas_bar_sqrt**2
    return 1 - torch.cat([alphas_bar[0:1], alphas_bar[1:] / alphas_bar[:-1]])


class NoiseSchedule:
    """ᾱ per training timestep, forward noising and the sampling timesteps of one :class:`DiffusionConfig`."""

    def __init__(self, config: DiffusionConfig) -> None:
        self.train_steps = config.train_steps
        #: ᾱ_t ``[train_steps]`` (float32), decreasing from ≈ 1 − β_0 to exactly 0.
        self.alphas_cumprod = torch.cumprod(1.0 - _zero_terminal_snr(_base_betas(config)), dim=0)

    def add_noise(self, x0: torch.Tensor, noise: torch.Tensor, timesteps: torch.Tensor) -> torch.Tensor:
        """√ᾱ_t·x0 + √(1−ᾱ_t)·noise for samples ``[B, ...]`` at timesteps ``[B]``."""
        alpha_bar = self.alphas_cumprod.to(x0.device, x0.dtype)[timesteps.to(x0.device)]
        alpha_bar = alpha_bar.reshape(alpha_bar.shape + (1,) * (x0.ndim - alpha_bar.ndim))
        return alpha_bar**0.5 * x0 + (1 - alpha_bar) ** 0.5 * noise

    def timesteps(self, num_steps: int) -> torch.Tensor:
        """``num_steps`` decreasing sampling timesteps ``[num_steps]`` (int64), the first T − 1.

        "Trailing" spacing computed exactly as ``diffusers`` does (its float ``arange`` decides the
        rounding of ties), except that the spurious extra last timestep −1 its ``arange`` yields for some
        step counts (e.g. 61 of 1000) is dropped.
        """
        if not 1 <= num_steps <= self.train_steps:
            raise ValueError(f"num_steps must be in [1, {self.train_steps}], got {num_steps}")
        spaced = np.round(np.arange(self.train_steps, 0, -self.train_steps / num_steps)).astype(np.int64) - 1
        return torch.from_numpy(spaced[:num_steps])


def joint_weights(part_weights: Mapping[str, float]) -> torch.Tensor:
    """Per-pose-joint loss weights ``[21]`` from per-part weights (parts not named weigh 1)."""
    weights = torch.ones(N_POSE_JOINTS)
    for part in PART_NAMES:
        weights[part_joint_indices(part)] = float(part_weights.get(part, 1.0))
    return weights


def pose_loss(
    predicted: torch.Tensor,
    target: torch.Tensor,
    kind: str = "l1",
    part_weights: Mapping[str, float] | None = None,
    frame_valid: torch.Tensor | None = None,
) -> torch.Tensor:
    """Weighted mean of an elementwise loss over the real frames of ``[B, T, 21, 3]`` poses; joints
    weighted by body part.

    ``sum_j w_j·mean(loss_j) / sum_j w_j``, so uniform weights give the plain mean whatever their scale.
    Means run over the frames where ``frame_valid [B, T]`` is True (default all): padding neither adds
    to the loss nor gets a gradient, whatever it holds.
    """
    elementwise = _ELEMENTWISE_LOSSES[kind](predicted, target, reduction="none")
    if frame_valid is None:
        frame_valid = torch.ones(elementwise.shape[:2], dtype=torch.bool, device=elementwise.device)
    valid = frame_valid[:, :, None, None]
    n_values = valid.sum() * elementwise.shape[-1]
    per_joint = torch.where(valid, elementwise, 0.0).sum(dim=(0, 1, 3)) / n_values.clamp_min(1)
    weights = joint_weights(part_weights or {}).to(per_joint)
    return (per_joint * weights).sum() / weights.sum()


def ddim_sample(
    predict_x0: X0Predictor,
    noise: torch.Tensor,
    schedule: NoiseSchedule,
    num_steps: int,
    known: torch.Tensor | None = None,
    known_frame_mask: torch.Tensor | None = None,
) -> torch.Tensor:
    """Deterministic DDIM from pure noise ``[B, T, 21, 3]`` to a pose ``[B, T, 21, 3]``.

    Inpainting: where ``known_frame_mask [B, T]`` is True, the sample is replaced before every model
    call by ``known`` noised to the current level with the same ``noise`` (the DDIM trajectory those
    frames would follow if predicted perfectly), and by ``known`` itself at the end, so known frames
    come back exactly.
    """
    if (known is None) != (known_frame_mask is None):
        raise ValueError("inpainting needs both `known` and `known_frame_mask`")
    if known is not None and (known.shape != noise.shape or tuple(known_frame_mask.shape) != noise.shape[:2]):
        raise ValueError(
            f"known {list(known.shape)} must match the sample {list(noise.shape)}, "
            f"known_frame_mask {list(known_frame_mask.shape)} must be {list(noise.shape[:2])}"
        )
    steps = schedule.timesteps(num_steps)
    alphas_cumprod = schedule.alphas_cumprod.to(noise.device, noise.dtype)
    levels = [alphas_cumprod[t] for t in steps] + [torch.ones_like(alphas_cumprod[0])]
    mask = None if known_frame_mask is None else known_frame_mask[:, :, None, None]
    sample = noise
    for index, timestep in enumerate(steps):
        timesteps = timestep.expand(noise.shape[0]).to(noise.device)
        if mask is not None:
            sample = torch.where(mask, schedule.add_noise(known, noise, timesteps), sample)
        sample = ddim_step(sample, predict_x0(sample, timesteps), levels[index], levels[index + 1])
    return sample if mask is None else torch.where(mask, known, sample)


def ddim_step(
    sample: torch.Tensor, x0: torch.Tensor, alpha_bar: torch.Tensor, alpha_bar_next: torch.Tensor
) -> torch.Tensor:
    """Deterministic DDIM (η = 0) from level ``alpha_bar`` to ``alpha_bar_next`` given predicted ``x0``."""
    noise = (sample - alpha_bar.sqrt() * x0) / (1 - alpha_bar).sqrt()
    return alpha_bar_next.sqrt() * x0 + (1 - alpha_bar_next).sqrt() * noise


@contextmanager
def evaluating(module: nn.Module) -> Iterator[None]:
    """Run a block in eval mode (no dropout), restoring the module's previous mode afterwards."""
    was_training = module.training
    module.eval()
    try:
        yield
    finally:
        module.train(was_training)


class PoseDiffusion:
    """Training loss and sampler of the pose denoiser for one :class:`DiffusionConfig`."""

    def __init__(self, config: DiffusionConfig) -> None:
        self.config = config
        self.schedule = NoiseSchedule(config)

    def condition_mask(self, present: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        """The streams ``[B, S]`` a training pass sees: ``present`` minus classifier-free-guidance condition
        dropout and per-stream dropout (:func:`condition_dropout_mask`)."""
        return condition_dropout_mask(
            present, self.config.cond_drop_prob, self.config.stream_drop_prob, generator
        )

    def training_loss(
        self,
        denoiser: Step2MotionDenoiser,
        x0: torch.Tensor,
        condition: torch.Tensor,
        present: torch.Tensor | None = None,
        generator: torch.Generator | None = None,
        frame_valid: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Loss on x0 for clean poses ``[B, T, 21, 3]`` and packed condition ``[B, T, C]``, and the stream
        mask ``[B, S]`` the denoiser saw (so the root network can be trained on the same dropout).

        Draws one timestep uniformly in ``[0, T)`` per window, noises ``x0``, and drops condition
        streams (see :func:`condition_dropout_mask`) on top of ``present [B, S]`` (sensors actually
        recorded; default all). The loss averages over the frames where ``frame_valid [B, T]`` is True
        (default all); ``x0`` is 0 (the mean pose) on the others before noising, so what padding holds
        cannot reach the real frames through attention.
        """
        batch, device = x0.shape[0], x0.device
        if present is None:
            present = all_present(batch, denoiser.schema, device)
        if frame_valid is not None:
            x0 = torch.where(frame_valid[:, :, None, None], x0, 0.0)
        timesteps = torch.randint(0, self.config.train_steps, (batch,), generator=generator, device=device)
        noise = torch.randn(x0.shape, generator=generator, device=device, dtype=x0.dtype)
        x_t = self.schedule.add_noise(x0, noise, timesteps)
        stream_mask = self.condition_mask(present, generator)
        predicted = denoiser(x_t, timesteps, denoiser.encode_condition(condition, stream_mask))
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
        """Poses ``[B, T, 21, 3]`` (z-scored) for packed condition ``[B, T, C]``, in eval + inference mode.

        ``stream_mask [B, S]`` marks recorded streams (default all); steps and guidance default to the
        config; ``known``/``known_frame_mask`` inpaint given frames (see :func:`ddim_sample`).
        """
        batch, n_frames = condition.shape[:2]
        shape = (batch, n_frames, N_POSE_JOINTS, 3)
        scale = self.config.guidance_scale if guidance_scale is None else guidance_scale
        with evaluating(denoiser), torch.inference_mode():
            noise = torch.randn(shape, generator=generator, device=condition.device, dtype=condition.dtype)
            predict_x0 = GuidedDenoiser(denoiser, condition, stream_mask, scale)
            steps = self.config.sample_steps if num_steps is None else num_steps
            return ddim_sample(predict_x0, noise, self.schedule, steps, known, known_frame_mask)
