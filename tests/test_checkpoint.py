"""Checkpoints: a save → load round trip rebuilds the same network; bad files are user errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors.torch import save_file

from step2motion.dataset.insole_features import CONDITION_SCHEMA
from step2motion.dataset.windows import ChannelStats, NormalisationStats
from step2motion.errors import InputError
from step2motion.io.model_header import read_description
from step2motion.model import DenoiserConfig, ModelConfig, RootConfig, Step2MotionModel
from step2motion.model.checkpoint import load_checkpoint, save_checkpoint


def _tiny_model() -> Step2MotionModel:
    config = ModelConfig(
        schema=CONDITION_SCHEMA,
        window_frames=8,
        denoiser=DenoiserConfig(d_model=32, n_layers=1, n_heads=2, ffn_dim=32),
        root=RootConfig(d_model=16, n_layers=1, n_heads=2, ffn_dim=16),
    )
    return Step2MotionModel(config)


def _stats() -> NormalisationStats:
    rng = np.random.default_rng(0)
    streams = {
        name: ChannelStats.of(rng.normal(size=(5, CONDITION_SCHEMA.channels(name))))
        for name in CONDITION_SCHEMA.names
    }
    return NormalisationStats(
        streams=streams,
        poses=ChannelStats.of(rng.normal(size=(5, 21, 3))),
        root_motion=ChannelStats.of(rng.normal(size=(5, 4))),
        pelvis_height_m=ChannelStats.of(rng.normal(size=(5,))),
    )


def test_round_trip_restores_weights_config_stats_and_info(tmp_path: Path) -> None:
    model = _tiny_model()
    path = save_checkpoint(tmp_path / "m.safetensors", model, _stats(), {"steps": 3})
    loaded = load_checkpoint(path)
    assert loaded.config == model.config
    assert loaded.info == {"steps": 3}
    np.testing.assert_allclose(loaded.stats.poses.mean, _stats().poses.mean)
    for name, tensor in model.state_dict().items():
        torch.testing.assert_close(loaded.model.state_dict()[name], tensor)
    assert not loaded.model.training
    assert read_description(path)["info"] == {"steps": 3}
    assert not (tmp_path / "m.safetensors.partial").exists()


def test_bad_checkpoints_are_input_errors(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not found"):
        load_checkpoint(tmp_path / "missing.safetensors")
    garbage = tmp_path / "garbage.safetensors"
    garbage.write_bytes(b"\x00" * 64)
    with pytest.raises(InputError, match="not a safetensors"):
        load_checkpoint(garbage)
    foreign = tmp_path / "foreign.safetensors"
    save_file({"w": torch.zeros(2)}, foreign)
    with pytest.raises(InputError, match="not a step2motion model"):
        load_checkpoint(foreign)


def test_info_prints_a_checkpoint_header(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from step2motion.cli import main

    path = save_checkpoint(tmp_path / "m.safetensors", _tiny_model(), _stats(), {"steps": 3})
    assert main(["info", str(path)]) == 0
    printed = capsys.readouterr().out
    assert "8 frames at 30.0 Hz" in printed and "left_imu" in printed and "steps: 3" in printed
