"""Diffusion: zero terminal SNR, DDIM sampler, inpainting, guidance, losses, condition dropout, overfit."""

from __future__ import annotations

import time

import pytest
import torch

from step2motion.model import (
    DEFAULT_SCHEMA,
    DenoiserConfig,
    DiffusionConfig,
    GuidedDenoiser,
    NoiseSchedule,
    PoseDiffusion,
    Step2MotionDenoiser,
    condition_dropout_mask,
    ddim_sample,
    pose_loss,
)
from step2motion.model.denoiser import part_joint_indices

SMALL = DenoiserConfig(d_model=32, n_layers=1, n_heads=2, ffn_dim=64, dropout=0.1)


def small_denoiser(config: DenoiserConfig = SMALL, seed: int = 0) -> Step2MotionDenoiser:
    torch.manual_seed(seed)
    return Step2MotionDenoiser(DEFAULT_SCHEMA, config)


def noise_like_pose(batch: int, n_frames: int, seed: int) -> torch.Tensor:
    return torch.randn(batch, n_frames, 21, 3, generator=torch.Generator().manual_seed(seed))


@pytest.mark.parametrize("beta_schedule", ["linear", "squaredcos_cap_v2"])
def test_schedule_has_zero_terminal_snr(beta_schedule: str) -> None:
    schedule = NoiseSchedule(DiffusionConfig(beta_schedule=beta_schedule))
    alphas_cumprod = schedule.alphas_cumprod
    assert alphas_cumprod[-1] == 0
    assert alphas_cumprod[0] > 0.99 and (alphas_cumprod.diff() < 0).all()
    x0, noise = noise_like_pose(2, 4, 0), noise_like_pose(2, 4, 1)
    torch.testing.assert_close(schedule.add_noise(x0, noise, torch.tensor([999, 999])), noise)


def test_default_sampling_is_few_steps_from_the_last_timestep() -> None:
    config = DiffusionConfig()
    assert config.sample_steps <= 10
    timesteps = NoiseSchedule(config).timesteps(config.sample_steps)
    assert timesteps[0] == config.train_steps - 1 and len(timesteps) == config.sample_steps


@pytest.mark.parametrize("num_steps", [1, 3, 7, 10])
def test_ddim_with_an_exact_x0_predictor_returns_x0(num_steps: int) -> None:
    """Pure noise in, the predictor's x0 out: no division by zero at ᾱ_T = 0, last step lands on ᾱ = 1."""
    target = noise_like_pose(2, 6, 0)
    calls = []

    def oracle(x_t: torch.Tensor, timesteps: torch.Tensor) -> torch.Tensor:
        calls.append(int(timesteps[0]))
        return target

    sample = ddim_sample(oracle, noise_like_pose(2, 6, 1), NoiseSchedule(DiffusionConfig()), num_steps)
    torch.testing.assert_close(sample, target)
    assert len(calls) == num_steps and calls[0] == 999


def test_inpainting_keeps_known_frames_exactly_and_feeds_them_at_the_current_noise_level() -> None:
    schedule = NoiseSchedule(DiffusionConfig(train_steps=100))
    known, noise = noise_like_pose(1, 8, 0), noise_like_pose(1, 8, 1)
    frame_mask = torch.zeros(1, 8, dtype=torch.bool)
    frame_mask[:, :5] = True
    seen_known = []

    def zero_predictor(x_t: torch.Tensor, timesteps: torch.Tensor) -> torch.Tensor:
        alpha_bar = schedule.alphas_cumprod[timesteps[0]]
        expected = alpha_bar.sqrt() * known + (1 - alpha_bar).sqrt() * noise
        seen_known.append(torch.allclose(x_t[:, :5], expected[:, :5], atol=1e-6))
        return torch.zeros_like(x_t)

    sample = ddim_sample(zero_predictor, noise, schedule, 4, known, frame_mask)
    assert seen_known == [True] * 4
    assert torch.equal(sample[:, :5], known[:, :5])
    torch.testing.assert_close(sample[:, 5:], torch.zeros(1, 3, 21, 3))


def test_sampler_is_deterministic_for_a_seed_and_restores_training_mode() -> None:
    denoiser = small_denoiser()
    diffusion = PoseDiffusion(DiffusionConfig(train_steps=100, sample_steps=5))
    condition = torch.randn(2, 10, DEFAULT_SCHEMA.total_channels)

    def sample(seed: int) -> torch.Tensor:
        return diffusion.sample(denoiser, condition, generator=torch.Generator().manual_seed(seed))

    first = sample(3)
    assert first.shape == (2, 10, 21, 3) and not first.requires_grad
    assert torch.equal(sample(3), first)
    assert not torch.allclose(sample(4), first)
    assert denoiser.training


def test_sample_with_inpainting_and_guidance_returns_known_frames() -> None:
    denoiser = small_denoiser()
    diffusion = PoseDiffusion(DiffusionConfig(train_steps=100, sample_steps=3))
    condition = torch.randn(1, 10, DEFAULT_SCHEMA.total_channels)
    known, frame_mask = noise_like_pose(1, 10, 5), torch.arange(10)[None] < 4
    sample = diffusion.sample(
        denoiser, condition, guidance_scale=2.0, known=known, known_frame_mask=frame_mask
    )
    assert torch.equal(sample[:, :4], known[:, :4])
    with pytest.raises(ValueError, match="both"):
        diffusion.sample(denoiser, condition, known=known)


def test_guidance_combines_conditional_and_unconditional_predictions() -> None:
    denoiser = small_denoiser().eval()
    condition, x_t = torch.randn(2, 6, DEFAULT_SCHEMA.total_channels), noise_like_pose(2, 6, 0)
    timesteps = torch.tensor([10, 90])
    mask = torch.ones(2, DEFAULT_SCHEMA.n_streams, dtype=torch.bool)
    mask[1, DEFAULT_SCHEMA.index("left_imu")] = False
    conditional = denoiser(x_t, timesteps, denoiser.encode_condition(condition, mask))
    unconditional = denoiser(x_t, timesteps, denoiser.encode_condition(condition, torch.zeros_like(mask)))
    assert not torch.allclose(conditional, unconditional)
    for scale in (0.0, 1.0, 2.5):
        guided = GuidedDenoiser(denoiser, condition, mask, scale)(x_t, timesteps)
        torch.testing.assert_close(guided, unconditional + scale * (conditional - unconditional))
    assert GuidedDenoiser(denoiser, condition, mask, 1.0).n_passes == 1
    with pytest.raises(ValueError, match="≥ 0"):
        GuidedDenoiser(denoiser, condition, mask, -1.0)


def test_condition_dropout_mask() -> None:
    generator = torch.Generator().manual_seed(0)
    present = torch.ones(20_000, 8, dtype=torch.bool)
    present[:, 3] = False
    assert torch.equal(condition_dropout_mask(present, 0.0, 0.0, generator), present)
    assert not condition_dropout_mask(present, 1.0, 0.0, generator).any()
    mask = condition_dropout_mask(present, 0.2, 0.1, generator)
    assert not mask[:, 3].any()
    assert (~mask.any(dim=1)).float().mean().item() == pytest.approx(0.2, abs=0.02)
    kept = mask[mask.any(dim=1)]  # rows whose condition was not dropped as a whole
    assert kept[:, [0, 1, 2, 4, 5, 6, 7]].float().mean().item() == pytest.approx(0.9, abs=0.01)


def test_pose_loss_weights_body_parts() -> None:
    target = noise_like_pose(2, 5, 0)
    predicted = target.clone()
    predicted[:, :, part_joint_indices("left_leg")] += 0.4
    n_left = len(part_joint_indices("left_leg"))
    assert pose_loss(predicted, target).item() == pytest.approx(0.4 * n_left / 21)
    assert pose_loss(predicted, target, "mse").item() == pytest.approx(0.16 * n_left / 21)
    assert pose_loss(predicted, target, part_weights={"left_leg": 0.0}).item() == 0
    doubled = {"left_leg": 2.0, "right_leg": 2.0, "body": 2.0}
    assert pose_loss(predicted, target, part_weights=doubled).item() == pytest.approx(0.4 * n_left / 21)


def test_tiny_model_overfits_a_small_batch() -> None:
    """Training loss (fixed evaluation draw) falls ≥ 10× and DDIM samples land near the training poses."""
    torch.manual_seed(2)
    denoiser = Step2MotionDenoiser(
        DEFAULT_SCHEMA, DenoiserConfig(d_model=32, n_layers=1, n_heads=2, ffn_dim=64, dropout=0.0)
    )
    config = DiffusionConfig(train_steps=100, sample_steps=10, cond_drop_prob=0.0, stream_drop_prob=0.0)
    diffusion = PoseDiffusion(config)
    x0, condition = torch.randn(2, 4, 21, 3), torch.randn(2, 4, DEFAULT_SCHEMA.total_channels)

    def evaluation_loss() -> float:
        with torch.no_grad():
            draw = torch.Generator().manual_seed(123)
            loss, _ = diffusion.training_loss(
                denoiser, x0.repeat(64, 1, 1, 1), condition.repeat(64, 1, 1), None, draw
            )
            return loss.item()

    steps = 600
    optimiser = torch.optim.Adam(denoiser.parameters(), lr=3e-3)
    decay = torch.optim.lr_scheduler.LambdaLR(optimiser, lambda step: 1 - step / steps)
    generator = torch.Generator().manual_seed(1)
    start_loss, start_s = evaluation_loss(), time.perf_counter()
    for _ in range(steps):
        loss, _ = diffusion.training_loss(denoiser, x0, condition, generator=generator)
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
        decay.step()
    print(f"overfit: {steps} steps in {time.perf_counter() - start_s:.1f} s")
    assert evaluation_loss() < start_loss / 10
    sample = diffusion.sample(denoiser, condition, generator=torch.Generator().manual_seed(0))
    assert (sample - x0).abs().mean() < 0.1 * x0.abs().mean()
