"""Masks in training: padding frames out of every loss, and the stream mask into the root network."""

from __future__ import annotations

from dataclasses import replace

import pytest
import torch

from step2motion.model import (
    DEFAULT_SCHEMA,
    DenoiserConfig,
    DiffusionConfig,
    ModelConfig,
    RootConfig,
    Step2MotionModel,
    pose_loss,
    root_displacement_loss,
)
from step2motion.model.embeddings import frame_encoding
from step2motion.model.root_displacement import RootDisplacementNet
from step2motion.training.data import Batch
from step2motion.training.objective import TrainingObjective

B, T = 3, 10
GARBAGE = 1e6
#: Window 0 full, window 1 padded after 6 frames, window 2 padded before its last 4 (a short clip's offset).
VALID = torch.ones(B, T, dtype=torch.bool)
VALID[1, 6:] = False
VALID[2, :6] = False
ROOT = RootConfig(d_model=32, n_heads=2, ffn_dim=64, dropout=0.0)
TINY = ModelConfig(
    denoiser=DenoiserConfig(d_model=32, n_layers=1, n_heads=2, ffn_dim=64, dropout=0.0),
    root=replace(ROOT, stream_presence_input=True),
    diffusion=DiffusionConfig(train_steps=100, sample_steps=4),
)


def _with_padding(values: torch.Tensor, fill: float) -> torch.Tensor:
    """``values [B, T, ...]`` with ``fill`` on the padding frames of :data:`VALID`."""
    mask = VALID.reshape(B, T, *[1] * (values.ndim - 2))
    return torch.where(mask, values, torch.full_like(values, fill))


@pytest.mark.parametrize("kind", ["l1", "mse", "smooth_l1"])
def test_pose_loss_averages_real_frames_only_and_padding_gets_no_gradient(kind: str) -> None:
    generator = torch.Generator().manual_seed(0)
    predicted, target = torch.randn(2, B, T, 21, 3, generator=generator)
    zeroed = pose_loss(_with_padding(predicted, 0.0), _with_padding(target, 0.0), kind, frame_valid=VALID)
    garbage = _with_padding(predicted, GARBAGE).requires_grad_()
    loss = pose_loss(garbage, _with_padding(target, -GARBAGE), kind, {"left_leg": 2.0}, VALID)
    loss.backward()
    assert (garbage.grad[~VALID] == 0).all() and (garbage.grad[VALID] != 0).any()
    # the real frames alone, as one unpadded window, give the same loss
    real = pose_loss(predicted[VALID][None], target[VALID][None], kind, {"left_leg": 2.0})
    torch.testing.assert_close(loss, real)
    torch.testing.assert_close(zeroed, pose_loss(predicted[VALID][None], target[VALID][None], kind))


def test_root_loss_sums_and_averages_real_frames_only_and_padding_gets_no_gradient() -> None:
    generator = torch.Generator().manual_seed(1)
    predicted, target = torch.randn(2, B, T, 4, generator=generator)
    garbage = _with_padding(predicted, GARBAGE).requires_grad_()
    loss = root_displacement_loss(garbage, _with_padding(target, -GARBAGE), 0.5, VALID)
    zeroed = root_displacement_loss(_with_padding(predicted, 0.0), _with_padding(target, 0.0), 0.5, VALID)
    torch.testing.assert_close(loss, zeroed)
    loss.backward()
    assert (garbage.grad[~VALID] == 0).all() and (garbage.grad[VALID] != 0).any()
    # by hand: each window's running sum starts at its first real frame, means over the 20 real frames
    squared, drift = 0.0, 0.0
    for b in range(B):
        error = predicted[b][VALID[b]] - target[b][VALID[b]]
        squared += error.square().sum()
        drift += torch.cumsum(error, dim=0).square().sum()
    n_values = int(VALID.sum()) * 4
    torch.testing.assert_close(loss, (squared + 0.5 * drift) / n_values)


def _batch(fill: float) -> Batch:
    generator = torch.Generator().manual_seed(2)
    return Batch(
        condition=torch.randn(B, T, DEFAULT_SCHEMA.total_channels, generator=generator),
        recorded=torch.ones(B, DEFAULT_SCHEMA.n_streams, dtype=torch.bool),
        poses=_with_padding(torch.randn(B, T, 21, 3, generator=generator), fill),
        root_motion=_with_padding(torch.randn(B, T, 4, generator=generator), fill),
        frame_valid=VALID,
    )


@pytest.mark.parametrize("pose_model", ["diffusion", "regression"])
def test_training_losses_do_not_see_what_padding_targets_hold(pose_model: str) -> None:
    torch.manual_seed(0)
    objective = TrainingObjective(Step2MotionModel(replace(TINY, pose_model=pose_model)))
    losses = [
        objective(batch, batch.recorded, torch.Generator().manual_seed(5))
        for batch in (_batch(0.0), _batch(GARBAGE))
    ]
    for name in ("pose_loss", "root_loss"):
        torch.testing.assert_close(losses[1][name], losses[0][name])
        assert losses[0][name] < 10


def test_the_root_network_sees_the_stream_mask_the_denoiser_saw() -> None:
    torch.manual_seed(0)
    model = Step2MotionModel(replace(TINY, diffusion=replace(TINY.diffusion, cond_drop_prob=1.0)))
    batch = _batch(0.0)
    dropped = model.root(batch.condition, torch.zeros_like(batch.recorded))
    losses = TrainingObjective(model)(batch, batch.recorded)  # every condition dropped for the denoiser
    expected = root_displacement_loss(dropped, batch.root_motion, TINY.root.cumsum_weight, VALID)
    torch.testing.assert_close(losses["root_loss"], expected)


def test_root_network_with_presence_input_reads_the_mask() -> None:
    torch.manual_seed(0)
    root = RootDisplacementNet(DEFAULT_SCHEMA, TINY.root).eval()
    imu = sum(DEFAULT_SCHEMA.channels(name) for name in TINY.root.streams)
    assert root.input.in_features == imu + len(TINY.root.streams)
    condition = torch.randn(2, T, DEFAULT_SCHEMA.total_channels)
    everything = torch.ones(2, DEFAULT_SCHEMA.n_streams, dtype=torch.bool)
    no_left_imu = everything.clone()
    no_left_imu[:, DEFAULT_SCHEMA.index("left_imu")] = False
    no_pressure = everything.clone()
    no_pressure[:, DEFAULT_SCHEMA.index("left_rearfoot_pressure")] = False
    with torch.no_grad():
        full = root(condition, everything)
        torch.testing.assert_close(root(condition), full)
        torch.testing.assert_close(root(condition, no_pressure), full)  # not one of its streams
        without = root(condition, no_left_imu)
        assert not torch.allclose(without, full)
        changed = condition.clone()
        changed[..., DEFAULT_SCHEMA.channel_slice("left_imu")] = 9.0
        torch.testing.assert_close(root(changed, no_left_imu), without)  # absent: its values unread
        zeroed = condition.clone()
        zeroed[..., DEFAULT_SCHEMA.channel_slice("left_imu")] = 0.0
        assert not torch.allclose(root(zeroed, everything), without)  # absent ≠ present reading zeros


def _forward_before_the_mask(root: RootDisplacementNet, condition: torch.Tensor) -> torch.Tensor:
    """What ``RootDisplacementNet.forward`` computed before it took a stream mask."""
    selected = torch.cat([condition[..., root.schema.channel_slice(name)] for name in root.streams], dim=-1)
    positions = frame_encoding(condition.shape[1], root.d_model, condition.device)
    return root.head(root.encoder(root.input(selected) + positions))


def test_old_configs_ignore_the_mask_as_before() -> None:
    """Checkpoints saved before the root network took a mask load with the old behaviour."""
    old = ModelConfig(root=ROOT).to_dict()  # as saved before the key existed:
    del old["root"]["stream_presence_input"]
    old_config = ModelConfig.from_dict(old)
    assert not old_config.root.stream_presence_input
    root = RootDisplacementNet(old_config.schema, old_config.root).eval()
    schema = root.schema
    condition = torch.randn(2, T, schema.total_channels, generator=torch.Generator().manual_seed(3))
    nothing = torch.zeros(2, schema.n_streams, dtype=torch.bool)
    with torch.no_grad():
        before = _forward_before_the_mask(root, condition)
        assert torch.equal(root(condition), before) and torch.equal(root(condition, nothing), before)
