"""Training: config, schedule, sensor dropout, overfitting, end-to-end runs, resume and DDP with torchrun."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors import safe_open
from test_paired_corpus import write_paired_corpus_and_split
from torch.utils.data import default_collate

from step2motion.cli import main
from step2motion.dataset.paired_corpus import load_paired_clips, read_paired_index
from step2motion.dataset.windows import NormalisationStats, WindowDataset
from step2motion.errors import InputError
from step2motion.model.checkpoint import load_checkpoint
from step2motion.model.full_model import Step2MotionModel
from step2motion.training import TrainConfig, learning_rate, load_train_config, loop
from step2motion.training.data import Batch, sensor_dropout, sensor_group_masks
from step2motion.training.objective import TrainingObjective

REPO = Path(__file__).resolve().parents[1]
SMOKE_CONFIG = REPO / "configs" / "smoke.json"
SPLIT = {"train": ["1", "2"], "validation": ["3"], "test": ["4"]}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A small paired corpus (subjects 1-4) and a split file that holds subject 4 out for test."""
    root = tmp_path_factory.mktemp("paired")
    return write_paired_corpus_and_split(root, {"1": 3, "2": 3, "3": 2, "4": 1}, SPLIT)


def _train_cli(corpus: tuple[Path, Path], out: Path, *extra: str) -> int:
    data, split = corpus
    args = ["train", "--config", str(SMOKE_CONFIG), "--data", str(data), "--split", str(split)]
    return main([*args, "--out", str(out), *extra])


def _records(out: Path) -> list[dict]:
    return [json.loads(line) for line in (out / "metrics.jsonl").read_text(encoding="utf-8").splitlines()]


def test_configs_load_and_bad_settings_name_the_file(tmp_path: Path) -> None:
    for name in ("default.json", "smoke.json"):
        config = load_train_config(REPO / "configs" / name, data_dir="somewhere")
        assert TrainConfig.from_dict(json.loads(json.dumps(config.to_dict()))) == config
    smoke = json.loads(SMOKE_CONFIG.read_text(encoding="utf-8"))
    for change, message in (
        ({"stepz": 3}, "unknown training settings"),
        ({"batch_size": 0}, "batch_size"),
        ({"device": "gpu"}, "device"),
        ({"sensor_groups": {"x": ["nothing_*"]}}, "matches no stream"),
        ({"model": {"denoiser": {"d_model": 30}}}, "d_model"),
    ):
        path = tmp_path / "bad.json"
        path.write_text(json.dumps(smoke | change), encoding="utf-8")
        with pytest.raises(InputError, match=message) as caught:
            load_train_config(path)
        assert caught.value.path == str(path)
    path.write_text('{\n  "steps": 3,\n  oops\n}', encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load_train_config(path)
    assert caught.value.line == 3


def test_a_config_extends_another_and_changes_only_what_it_names(tmp_path: Path) -> None:
    base = json.loads(SMOKE_CONFIG.read_text(encoding="utf-8"))
    (tmp_path / "configs").mkdir()
    (tmp_path / "configs" / "base.json").write_text(json.dumps(base), encoding="utf-8")
    child = tmp_path / "configs" / "child.json"
    child.write_text(
        json.dumps({"extends": "base.json", "steps": 9, "model": {"denoiser": {"conditioning": "concat"}}}),
        encoding="utf-8",
    )
    parent, config = load_train_config(tmp_path / "configs" / "base.json"), load_train_config(child)
    assert config.steps == 9 and config.model.denoiser.conditioning == "concat"
    assert config.model.denoiser.d_model == parent.model.denoiser.d_model  # merged, not replaced
    assert replace(config, steps=parent.steps, model=parent.model) == parent
    for extends, message in (("child.json", "cycle"), ("missing.json", "no config file"), (3, "must name")):
        child.write_text(json.dumps({"extends": extends}), encoding="utf-8")
        with pytest.raises(InputError, match=message) as caught:
            load_train_config(child)
        assert caught.value.path == str(child)


def test_ablation_configs_change_one_thing_of_the_default_run() -> None:
    default = load_train_config(REPO / "configs" / "default.json")
    changed = {}
    for path in sorted((REPO / "configs" / "ablations").glob("*.json")):
        config = load_train_config(path)
        assert Path(config.output_dir).name == f"train_{path.stem}"
        model = config.model
        changed[path.stem] = (
            model.pose_model != default.model.pose_model,
            model.denoiser != default.model.denoiser,
            model.used_stream_names != default.model.used_stream_names,
            config.target_proportions != default.target_proportions,
        )
        assert replace(
            config, output_dir="x", cache_dir=None, model=default.model, target_proportions="captured"
        ) == replace(default, output_dir="x")
    assert changed == {
        "imu_only": (False, False, True, False),
        "left_foot_only": (False, False, True, False),
        "no_cross_attention": (False, True, False, False),
        "pressure_only": (False, False, True, False),
        "reference_proportions": (False, False, False, True),
        "regression": (True, False, False, False),
    }


def test_learning_rate_warms_up_then_decays_to_the_floor() -> None:
    config = TrainConfig(data_dir="d", steps=100, lr=1e-3, warmup_steps=10, final_lr_fraction=0.1)
    rates = np.array([learning_rate(config, step) for step in range(100)])
    assert rates[0] == pytest.approx(1e-4) and rates[9] == pytest.approx(1e-3)
    assert np.all(np.diff(rates[:10]) > 0) and np.all(np.diff(rates[10:]) < 0)
    assert rates[-1] == pytest.approx(1e-4, rel=0.01)


def test_sensor_dropout_removes_whole_groups() -> None:
    config = TrainConfig(data_dir="d")
    names = config.model.schema.names
    groups = sensor_group_masks(config.model.schema, config.sensor_groups)
    dropped_with_imu = [names[i] for i in np.flatnonzero(groups[2])]
    assert dropped_with_imu == ["left_imu", "left_odometry", "right_imu", "right_odometry"]
    recorded = torch.ones(2000, len(names), dtype=torch.bool)
    recorded[:, names.index("right_imu")] = False  # a sensor gap stays absent
    masked = sensor_dropout(recorded, groups, 0.5, np.random.default_rng(0))
    dropped = recorded & ~masked
    changed = dropped.any(dim=1)
    assert 0.45 < changed.float().mean() < 0.55
    patterns = {tuple(row.tolist()) for row in dropped[changed]}
    expected = {tuple((g & recorded[0]).tolist()) for g in groups}
    assert patterns == expected  # every dropped set is exactly one group
    assert not masked[:, names.index("right_imu")].any()


def _fixed_draw_losses(objective: TrainingObjective, batch: Batch) -> dict[str, float]:
    """Mean losses over 16 fixed draws of timestep and noise, without dropout."""
    objective.eval()
    with torch.no_grad():
        draws = [objective(batch, batch.recorded, torch.Generator().manual_seed(s)) for s in range(16)]
    objective.train()
    return {name: float(np.mean([d[name].item() for d in draws])) for name in ("pose_loss", "root_loss")}


def test_model_overfits_a_small_batch(corpus: tuple[Path, Path]) -> None:
    data, _ = corpus
    config = load_train_config(SMOKE_CONFIG, data_dir=str(data))
    diffusion = replace(config.model.diffusion, cond_drop_prob=0.0, stream_drop_prob=0.0)
    model_config = replace(config.model, diffusion=diffusion)
    clips = load_paired_clips(read_paired_index(data)[:2], model_config.frame_rate_hz, progress=False)
    dataset = WindowDataset(clips, model_config.window_frames, NormalisationStats.from_clips(clips))
    batch = Batch.of(default_collate([dataset[0], dataset[40]]), model_config.schema, torch.device("cpu"))
    torch.manual_seed(0)
    objective = TrainingObjective(Step2MotionModel(model_config))
    optimizer = torch.optim.AdamW(objective.parameters(), lr=1e-2)
    before = _fixed_draw_losses(objective, batch)
    for _ in range(300):
        losses = objective(batch, batch.recorded)
        optimizer.zero_grad()
        losses["loss"].backward()
        optimizer.step()
    after = _fixed_draw_losses(objective, batch)
    assert after["pose_loss"] < before["pose_loss"] / 10
    assert after["root_loss"] < before["root_loss"] / 10


def test_training_writes_loadable_checkpoints_and_a_metrics_log(
    corpus: tuple[Path, Path], tmp_path: Path
) -> None:
    out = tmp_path / "run"
    assert _train_cli(corpus, out) == 0
    for name in ("last.safetensors", "best.safetensors"):
        checkpoint = load_checkpoint(out / name)
        info = checkpoint.info
        assert info["training_config"]["steps"] == 6 and info["subjects"]["train"] == ["1", "2"]
        assert info["subjects"]["validation"] == ["3"] and info["world_size"] == 1
        assert info["windows_per_s"] > 0 and info["wall_time_s"] > 0
        assert checkpoint.config.window_frames == 32
    assert load_checkpoint(out / "last.safetensors").info["step"] == 6
    records = _records(out)
    assert [r["event"] for r in records if r["event"] != "train"] == [
        "start",
        "validation",
        "validation",
        "end",
    ]
    validation = [r for r in records if r["event"] == "validation"]
    assert [r["step"] for r in validation] == [3, 6]
    assert all(np.isfinite(r["val_mpjpe_cm"]) and r["val_mpjpe_cm"] > 0 for r in validation)
    best = min(validation, key=lambda r: r["val_mpjpe_cm"])
    assert load_checkpoint(out / "best.safetensors").info["step"] == best["step"]
    # the test subject's take is never read: the cache holds the 8 train + validation takes only
    assert len(list((out / "feature_cache").glob("*.npz"))) == 8
    assert _train_cli(corpus, out) == 2  # refuses to overwrite a run without --resume


class _Interrupted(Exception):
    """Stands for a run killed right after a checkpoint."""


def test_resume_continues_from_the_saved_step_exactly(
    corpus: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    straight, resumed = tmp_path / "straight", tmp_path / "resumed"
    assert _train_cli(corpus, straight) == 0
    save_last = loop._Run._save_last

    def save_then_stop_at_step_3(run: loop._Run) -> None:
        save_last(run)
        if run.progress.step == 3:
            raise _Interrupted

    with monkeypatch.context() as patch:
        patch.setattr(loop._Run, "_save_last", save_then_stop_at_step_3)
        with pytest.raises(_Interrupted):
            _train_cli(corpus, resumed)
    assert load_checkpoint(resumed / "last.safetensors").info["step"] == 3
    assert _train_cli(corpus, resumed, "--resume") == 0
    records = _records(resumed)
    starts = [r for r in records if r["event"] == "start"]
    assert [s["resumed"] for s in starts] == [False, True]
    assert [r["step"] for r in records if r["event"] == "train"] == [2, 4, 6]
    for name in ("last.safetensors", "best.safetensors"):  # the EMA weights
        first, second = load_checkpoint(straight / name), load_checkpoint(resumed / name)
        assert second.info["step"] == first.info["step"] and second.info["weights"] == "ema"
        for key, tensor in first.model.state_dict().items():
            torch.testing.assert_close(second.model.state_dict()[key], tensor, rtol=1e-5, atol=1e-6)
    for key, tensor in _resume_weights(straight).items():  # the optimiser's weights
        torch.testing.assert_close(_resume_weights(resumed)[key], tensor, rtol=1e-5, atol=1e-6)


def _resume_weights(out: Path) -> dict[str, torch.Tensor]:
    """The optimiser's (not averaged) weights in a run's resume state."""
    with safe_open(out / "last.resume.safetensors", framework="pt") as handle:
        names = handle.keys()
        return {n.removeprefix("model/"): handle.get_tensor(n) for n in names if n.startswith("model/")}


def test_torchrun_with_two_cpu_processes(corpus: tuple[Path, Path], tmp_path: Path) -> None:
    """Two processes, one writer; checkpoints chosen on the whole pipeline, which rank 0 alone runs and
    the other receives (a deadlock or a disagreement on the best step would show here)."""
    data, split = corpus
    out = tmp_path / "ddp"
    config = tmp_path / "pipeline.json"
    config.write_text(json.dumps({"extends": str(SMOKE_CONFIG), "select_on": "pipeline"}), encoding="utf-8")
    command = [
        sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2",
        "-m", "step2motion", "train", "--config", str(config), "--data", str(data),
        "--split", str(split), "--out", str(out), "--device", "cpu",
    ]  # fmt: skip
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    done = subprocess.run(command, capture_output=True, text=True, timeout=300, env=env, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    assert sorted(p.name for p in out.iterdir()) == [
        "best.safetensors", "feature_cache", "last.resume.safetensors", "last.safetensors", "metrics.jsonl",
    ]  # fmt: skip
    records = _records(out)  # one writer: every event once
    assert [r["event"] for r in records if r["event"] != "train"] == [
        "start",
        "validation",
        "validation",
        "end",
    ]
    assert [r["step"] for r in records if r["event"] == "train"] == [2, 4, 6]
    info = load_checkpoint(out / "last.safetensors").info
    assert info["world_size"] == 2 and info["step"] == 6
    assert done.stdout.count("best validation MPJPE (pipeline)") == 1
    scores = {r["step"]: r["val_pipeline_mpjpe_cm"] for r in records if r["event"] == "validation"}
    assert load_checkpoint(out / "best.safetensors").info["best"]["step"] == min(scores, key=scores.get)
