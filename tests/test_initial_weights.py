"""Training from a checkpoint's weights: which sub-networks fit, frozen ones untouched, a new root network
trained beside a kept pose model, and the refusals."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
import torch
from test_paired_corpus import write_paired_corpus

from step2motion.errors import InputError
from step2motion.model.checkpoint import load_checkpoint
from step2motion.training import load_train_config, train
from step2motion.training.initial_weights import matching_sub_networks, sub_network

REPO = Path(__file__).resolve().parents[1]
SMOKE_CONFIG = REPO / "configs" / "smoke.json"
ROOT_STREAMS = ["left_imu", "right_imu", "left_rearfoot_pressure", "right_rearfoot_pressure"]


@pytest.fixture(scope="module")
def first_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, str], Path]:
    """Config overrides for a tiny corpus and a finished 3-step run on it (the initial weights)."""
    root = tmp_path_factory.mktemp("initial_weights")
    data = write_paired_corpus(root / "data", {"1": 1, "2": 1, "3": 1})
    split = root / "split.json"
    split.write_text(json.dumps({"train": ["1", "2"], "validation": ["3"], "test": []}), encoding="utf-8")
    corpus = {"data_dir": str(data), "split_file": str(split), "cache_dir": str(root / "cache")}
    train(load_train_config(SMOKE_CONFIG, **corpus, output_dir=str(root / "first"), steps=3))
    return corpus, root / "first" / "last.safetensors"


def _root_streams_changed(path: Path) -> dict:
    """The smoke config with a root network that also reads the rear-foot pressure, as a file's JSON."""
    data = json.loads(SMOKE_CONFIG.read_text(encoding="utf-8"))
    data["model"]["root"]["streams"] = ROOT_STREAMS
    path.write_text(json.dumps(data), encoding="utf-8")
    return data


def test_which_sub_networks_fit(first_run: tuple[dict[str, str], Path]) -> None:
    config = load_checkpoint(first_run[1]).config
    assert matching_sub_networks(config, config) == ("pose", "root")
    new_root = dataclasses.replace(config, root=dataclasses.replace(config.root, streams=tuple(ROOT_STREAMS)))
    assert matching_sub_networks(config, new_root) == ("pose",)
    wider = dataclasses.replace(config, denoiser=dataclasses.replace(config.denoiser, d_model=64))
    assert matching_sub_networks(config, wider) == ("root",)
    assert sub_network("root.head.weight") == "root" and sub_network("denoiser.final_norm.weight") == "pose"


def test_new_root_network_beside_a_frozen_pose_model(
    first_run: tuple[dict[str, str], Path], tmp_path: Path
) -> None:
    corpus, initial_path = first_run
    config_path = tmp_path / "root_only.json"
    _root_streams_changed(config_path)
    out = tmp_path / "root_only"
    config = load_train_config(
        config_path, **corpus, output_dir=str(out), steps=3, init_from=str(initial_path), frozen=["pose"]
    )
    train(config)
    initial, trained = load_checkpoint(initial_path), load_checkpoint(out / "last.safetensors")
    assert trained.config.root.streams == tuple(ROOT_STREAMS)
    before, after = initial.model.state_dict(), trained.model.state_dict()
    pose_names = [name for name in after if sub_network(name) == "pose"]
    assert pose_names and all(torch.equal(before[name], after[name]) for name in pose_names)
    assert trained.stats.to_dict() == initial.stats.to_dict()  # the pose model's statistics travel with it
    records = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    assert records[0]["initialised"] == ["pose"]
    losses = [r for r in records if r["event"] == "train"]
    assert losses and all(r["pose_loss"] == 0 and r["root_loss"] > 0 for r in losses)


def test_refusals(first_run: tuple[dict[str, str], Path], tmp_path: Path) -> None:
    corpus, initial_path = first_run
    with pytest.raises(InputError, match="needs init_from"):
        load_train_config(SMOKE_CONFIG, **corpus, frozen=["pose"])
    with pytest.raises(InputError, match="nothing would be trained"):
        load_train_config(SMOKE_CONFIG, **corpus, init_from=str(initial_path), frozen=["pose", "root"])
    with pytest.raises(InputError, match="sub-networks"):
        load_train_config(SMOKE_CONFIG, **corpus, init_from=str(initial_path), frozen=["legs"])
    config_path = tmp_path / "new_root.json"
    _root_streams_changed(config_path)
    config = load_train_config(
        config_path, **corpus, output_dir=str(tmp_path / "r"), init_from=str(initial_path), frozen=["root"]
    )
    with pytest.raises(InputError, match=r"frozen \['root'\]"):
        train(config)
    missing = load_train_config(SMOKE_CONFIG, **corpus, init_from=str(tmp_path / "none.safetensors"))
    with pytest.raises(InputError):
        train(missing)
