"""The baseline and ablation networks: concatenated conditioning, fewer sensors, regression."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
import torch
from test_model import TINY, random_inputs, with_stream_changed

from step2motion.condition_schema import DEFAULT_SCHEMA
from step2motion.model import ModelConfig, Step2MotionModel
from step2motion.model.config import DiffusionConfig, RootConfig
from step2motion.model.denoiser import Step2MotionDenoiser
from step2motion.model.modality_encoders import all_present
from step2motion.model.regression import PoseRegression

CONCAT = replace(TINY, conditioning="concat")
PRESSURE = tuple(name for name in DEFAULT_SCHEMA.names if not name.endswith("_imu"))


def _model(**changes: object) -> Step2MotionModel:
    torch.manual_seed(0)
    root = RootConfig(d_model=32, n_heads=2, ffn_dim=64, dropout=0.0)
    config = ModelConfig(denoiser=TINY, root=root, diffusion=DiffusionConfig(train_steps=50, sample_steps=3))
    return Step2MotionModel(replace(config, **changes)).eval()


def test_concat_conditioning_has_no_cross_attention_but_still_reads_every_frame_of_the_insoles() -> None:
    torch.manual_seed(0)
    denoiser = Step2MotionDenoiser(DEFAULT_SCHEMA, CONCAT).eval()
    assert all(layer.cross_attn is None for layer in denoiser.layers)
    x_t, timesteps, condition = random_inputs()
    encoded = denoiser.encode_condition(condition)
    assert encoded.keys_values == () and encoded.batch_frames == (2, x_t.shape[1])
    output, attention = denoiser.forward_with_attention(x_t, timesteps, encoded)
    assert output.shape == x_t.shape and attention == []
    changed = with_stream_changed(condition, "left_imu", 3.0)
    assert not torch.allclose(denoiser(x_t, timesteps, denoiser.encode_condition(changed)), output)
    counts = denoiser.parameter_counts()
    assert counts["conditioning"] > 0 and counts["prior"] > 0


def test_a_model_without_a_sensor_ignores_that_sensor_in_the_denoiser() -> None:
    model = _model(streams_used=PRESSURE, root=RootConfig(streams=("left_force_cop",), d_model=32, n_heads=2))
    assert set(model.denoiser.condition_encoder.encoders) == set(PRESSURE)
    x_t, timesteps, condition = random_inputs()
    denoiser = model.denoiser
    output = denoiser(x_t, timesteps, denoiser.encode_condition(condition))
    for name in ("left_imu", "right_imu"):
        changed = with_stream_changed(condition, name, 5.0)
        torch.testing.assert_close(denoiser(x_t, timesteps, denoiser.encode_condition(changed)), output)
    changed = with_stream_changed(condition, "left_force_cop", 5.0)
    assert not torch.allclose(denoiser(x_t, timesteps, denoiser.encode_condition(changed)), output)


def test_regression_predicts_once_ignores_noise_and_keeps_known_frames() -> None:
    model = _model(pose_model="regression")
    assert isinstance(model.pose_model, PoseRegression)
    _, _, condition = random_inputs()
    first = model.pose_model.sample(model.denoiser, condition, generator=torch.Generator().manual_seed(1))
    again = model.pose_model.sample(model.denoiser, condition, generator=torch.Generator().manual_seed(2))
    torch.testing.assert_close(first, again)
    known = torch.full_like(first, 7.0)
    mask = torch.zeros(first.shape[:2], dtype=torch.bool)
    mask[:, :4] = True
    inpainted = model.pose_model.sample(model.denoiser, condition, known=known, known_frame_mask=mask)
    assert torch.all(inpainted[:, :4] == 7.0)
    torch.testing.assert_close(inpainted[:, 4:], first[:, 4:])


def test_regression_training_reaches_every_parameter_of_the_denoiser() -> None:
    model = _model(pose_model="regression").train()
    x_t, _, condition = random_inputs()
    loss, _ = model.pose_model.training_loss(model.denoiser, x_t, condition, all_present(2, DEFAULT_SCHEMA))
    loss.backward()
    missing = [n for n, p in model.denoiser.named_parameters() if p.grad is None]
    assert torch.isfinite(loss) and missing == []


@pytest.mark.parametrize(
    "changes",
    [
        {"pose_model": "regression"},
        {"denoiser": CONCAT},
        {"streams_used": ("left_imu", "right_imu")},
    ],
)
def test_variant_configs_round_trip_and_rebuild_the_same_network(changes: dict) -> None:
    model = _model(**changes)
    restored = ModelConfig.from_dict(json.loads(json.dumps(model.config.to_dict())))
    assert restored == model.config
    rebuilt = Step2MotionModel(restored)
    rebuilt.load_state_dict(model.state_dict())  # strict: the same parameters


def test_configs_saved_before_the_variants_existed_still_load_as_the_published_model() -> None:
    saved = ModelConfig().to_dict()
    for key in ("pose_model", "streams_used"):
        del saved[key]
    del saved["denoiser"]["conditioning"]
    config = ModelConfig.from_dict(saved)
    assert config.pose_model == "diffusion" and config.streams_used is None
    assert config.denoiser.conditioning == "cross_attention"
