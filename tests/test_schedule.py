"""Our noise schedule against ``diffusers``' ``DDIMScheduler``, the one the bundled models were trained with.

``diffusers`` is a test dependency only (the runtime computes the schedule itself to start fast), so this
is the check that the two agree: ᾱ, forward noising and the sampling timesteps.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from step2motion.model.config import BETA_SCHEDULES, DiffusionConfig
from step2motion.model.diffusion import NoiseSchedule

diffusers = pytest.importorskip("diffusers")

CONFIGS = [
    DiffusionConfig(),
    DiffusionConfig(train_steps=100, beta_start=5e-4, beta_end=0.05),
    DiffusionConfig(train_steps=257, beta_schedule="scaled_linear", beta_start=8.5e-4, beta_end=0.012),
    DiffusionConfig(train_steps=1000, beta_schedule="squaredcos_cap_v2"),
    DiffusionConfig(train_steps=50, beta_schedule="squaredcos_cap_v2"),
]


def oracle(config: DiffusionConfig) -> diffusers.DDIMScheduler:
    """The scheduler step2motion used to build with ``diffusers`` (its ``step`` was never used)."""
    return diffusers.DDIMScheduler(
        num_train_timesteps=config.train_steps,
        beta_start=config.beta_start,
        beta_end=config.beta_end,
        beta_schedule=config.beta_schedule,
        clip_sample=False,
        set_alpha_to_one=True,
        prediction_type="sample",
        timestep_spacing="trailing",
        rescale_betas_zero_snr=True,
    )


def test_every_configurable_beta_schedule_is_covered() -> None:
    assert {config.beta_schedule for config in CONFIGS} == set(BETA_SCHEDULES)


@pytest.mark.parametrize("config", CONFIGS, ids=lambda c: f"{c.beta_schedule}-{c.train_steps}")
def test_alphas_cumprod_and_add_noise_are_bit_identical(config: DiffusionConfig) -> None:
    ours, theirs = NoiseSchedule(config), oracle(config)
    assert ours.alphas_cumprod.dtype == theirs.alphas_cumprod.dtype == torch.float32
    assert torch.equal(ours.alphas_cumprod, theirs.alphas_cumprod)
    generator = torch.Generator().manual_seed(config.train_steps)
    for dtype in (torch.float32, torch.float64):
        x0 = torch.randn(4, 5, 21, 3, generator=generator, dtype=dtype)
        noise = torch.randn(4, 5, 21, 3, generator=generator, dtype=dtype)
        timesteps = torch.tensor([0, 1, config.train_steps // 2, config.train_steps - 1])
        assert torch.equal(ours.add_noise(x0, noise, timesteps), theirs.add_noise(x0, noise, timesteps))


@pytest.mark.parametrize("train_steps", [7, 50, 100, 257, 1000])
def test_sampling_timesteps_are_diffusers_trailing_spacing(train_steps: int) -> None:
    config = DiffusionConfig(train_steps=train_steps, sample_steps=1)
    ours, theirs = NoiseSchedule(config), oracle(config)
    step_counts = sorted({1, 2, 3, 7, 10, 16, 20, 61, 122, train_steps // 3, train_steps} - {0})
    for num_steps in [n for n in step_counts if n <= train_steps]:
        theirs.set_timesteps(num_steps)
        timesteps = ours.timesteps(num_steps)
        assert timesteps.dtype == torch.int64 and len(timesteps) == num_steps
        assert timesteps[0] == train_steps - 1 and (timesteps.diff() < 0).all() and timesteps[-1] >= 0
        # diffusers' float arange yields one spurious extra step, -1, for some counts; the rest agrees.
        assert torch.equal(timesteps, theirs.timesteps[:num_steps])
        assert len(theirs.timesteps) == num_steps or theirs.timesteps[num_steps:].tolist() == [-1]


def test_ties_round_as_in_diffusers() -> None:
    """16 of 1000 steps puts every other step on a .5: the float arange decides, so ours must use it."""
    ours, theirs = NoiseSchedule(DiffusionConfig()), oracle(DiffusionConfig())
    theirs.set_timesteps(16)
    assert np.any((1000 * np.arange(1, 17) / 16) % 1 == 0.5)
    assert torch.equal(ours.timesteps(16), theirs.timesteps)


def test_step_counts_outside_the_schedule_are_refused() -> None:
    schedule = NoiseSchedule(DiffusionConfig(train_steps=10, sample_steps=1))
    for num_steps in (0, 11):
        with pytest.raises(ValueError, match="num_steps"):
            schedule.timesteps(num_steps)
