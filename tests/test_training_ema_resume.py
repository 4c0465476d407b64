"""Training: the weights' exponential moving average, resume that checks the config, the learning-rate
schedule of an extended run, and the validation loss."""

from __future__ import annotations

import json
import shutil
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
from step2motion.training import TrainConfig, learning_rate, load_train_config, loop, train
from step2motion.training.config import resume_changes
from step2motion.training.data import Batch
from step2motion.training.loop import LrSchedule
from step2motion.training.objective import validation_sums
from step2motion.training.resume_state import METADATA_KEY

REPO = Path(__file__).resolve().parents[1]
SMOKE_CONFIG = REPO / "configs" / "smoke.json"
SPLIT = {"train": ["1", "2"], "validation": ["3"], "test": []}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Config overrides for a tiny paired corpus, its split and one feature cache shared by the runs."""
    root = tmp_path_factory.mktemp("ema_resume")
    data, split = write_paired_corpus_and_split(root, {"1": 2, "2": 1, "3": 1}, SPLIT)
    return {"data_dir": str(data), "split_file": str(split), "cache_dir": str(root / "cache")}


def _config(corpus: dict[str, str], out: Path, **changes: object) -> TrainConfig:
    return load_train_config(SMOKE_CONFIG, **corpus, output_dir=str(out), **changes)


class _Interrupted(Exception):
    """Stands for a run killed right after a checkpoint."""


@pytest.fixture(scope="module")
def interrupted(corpus: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 6-step run stopped after its step-3 checkpoint (copy it before resuming)."""
    out = tmp_path_factory.mktemp("interrupted") / "run"
    save_last = loop._Run._save_last

    def save_then_stop_at_step_3(run: loop._Run) -> None:
        save_last(run)
        if run.progress.step == 3:
            raise _Interrupted

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(loop._Run, "_save_last", save_then_stop_at_step_3)
        with pytest.raises(_Interrupted):
            train(_config(corpus, out, steps=6))
    return out


def _copy(run: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(run, tmp_path / "run"))


def _resume_description(out: Path) -> dict:
    with safe_open(out / "last.resume.safetensors", framework="pt") as handle:
        return json.loads(handle.metadata()[METADATA_KEY])


def _resume_weights(out: Path) -> dict[str, torch.Tensor]:
    with safe_open(out / "last.resume.safetensors", framework="pt") as handle:
        names = handle.keys()
        return {n.removeprefix("model/"): handle.get_tensor(n) for n in names if n.startswith("model/")}


# --- EMA -------------------------------------------------------------------------------------------------
def test_checkpoints_hold_the_running_average_of_the_optimiser_weights(
    corpus: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[dict[str, torch.Tensor]] = []
    optimise = loop._Run._optimise

    def optimise_and_keep_weights(run: loop._Run, *args: object) -> dict[str, float]:
        losses = optimise(run, *args)
        seen.append({k: v.detach().clone() for k, v in run.model.named_parameters()})
        return losses

    monkeypatch.setattr(loop._Run, "_optimise", optimise_and_keep_weights)
    out = tmp_path / "run"
    train(_config(corpus, out, steps=4, validation_interval=4, checkpoint_interval=4))
    expected = dict(seen[0])  # the first update copies the weights, update k then uses min(0.999, k/(k+9))
    for k, weights in enumerate(seen[1:], start=2):
        decay = min(0.999, k / (k + 9))
        expected = {name: decay * expected[name] + (1 - decay) * weights[name] for name in weights}
    checkpoint = load_checkpoint(out / "last.safetensors")
    assert checkpoint.info["weights"] == "ema"
    assert checkpoint.info["ema"] == {"decay": 0.999, "warmup": True, "updates": 4}
    averaged, raw = checkpoint.model.state_dict(), _resume_weights(out)
    for name, tensor in expected.items():
        torch.testing.assert_close(averaged[name], tensor, rtol=1e-5, atol=1e-7)
        torch.testing.assert_close(raw[name], seen[-1][name], rtol=0, atol=0)
    assert any(not torch.allclose(averaged[name], raw[name]) for name in expected)
    for name in averaged.keys() - expected.keys():  # persistent buffers: copied, not averaged
        assert torch.equal(averaged[name], raw[name])
    best = load_checkpoint(out / "best.safetensors")  # validated at step 4 only: the same average
    for name, tensor in averaged.items():
        torch.testing.assert_close(best.model.state_dict()[name], tensor, rtol=0, atol=0)


def test_ema_decay_zero_keeps_the_optimiser_weights(corpus: dict[str, str], tmp_path: Path) -> None:
    out = tmp_path / "run"
    train(_config(corpus, out, steps=2, ema_decay=0.0))
    checkpoint = load_checkpoint(out / "last.safetensors")
    assert checkpoint.info["weights"] == "optimiser" and checkpoint.info["ema"] is None
    for name, tensor in _resume_weights(out).items():
        torch.testing.assert_close(checkpoint.model.state_dict()[name], tensor, rtol=0, atol=0)


@pytest.mark.parametrize("value", [1.0, -0.1, 2, "0.9", None])
def test_ema_decay_must_be_in_zero_one(value: object) -> None:
    with pytest.raises(InputError, match="ema_decay"):
        TrainConfig(data_dir="d", ema_decay=value)  # type: ignore[arg-type]
    with pytest.raises(InputError, match="ema_warmup"):
        TrainConfig(data_dir="d", ema_warmup=1)  # type: ignore[arg-type]


# --- resume: the config ------------------------------------------------------------------------------------
def test_resume_refuses_changed_training_settings_naming_each(
    interrupted: Path, tmp_path: Path, corpus: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    out = _copy(interrupted, tmp_path)
    before = (out / "metrics.jsonl").read_text(encoding="utf-8")
    smoke = json.loads(SMOKE_CONFIG.read_text(encoding="utf-8"))
    changed = {**smoke, "lr": 0.002, "steps": 9}
    changed["model"] = {**smoke["model"], "diffusion": {**smoke["model"]["diffusion"], "cond_drop_prob": 0.5}}
    config_path = tmp_path / "changed.json"
    config_path.write_text(json.dumps(changed), encoding="utf-8")
    args = [
        "train",
        "--config",
        str(config_path),
        "--data",
        corpus["data_dir"],
        "--split",
        corpus["split_file"],
    ]
    assert main([*args, "--out", str(out), "--batch-size", "4", "--seed", "3", "--resume"]) == 2
    error = capsys.readouterr().err.strip()
    assert "\n" not in error and "cannot resume with changed training settings" in error
    assert "lr 0.001 → 0.002" in error and "batch_size 8 → 4" in error and "seed 0 → 3" in error
    assert "model.diffusion.cond_drop_prob 0.2 → 0.5" in error
    assert "steps" not in error.split("(a resumed run")[0]  # steps may change: not among the refused
    assert (out / "metrics.jsonl").read_text(encoding="utf-8") == before  # the run is left as it was


def test_resume_changes_lists_what_differs_dotted() -> None:
    saved = TrainConfig(data_dir="d").to_dict()
    new = TrainConfig(data_dir="d", steps=5000, log_interval=7, cache_dir="c").to_dict()
    assert resume_changes(saved, new) == {
        "cache_dir": (None, "c"),
        "log_interval": (50, 7),
        "steps": (2000, 5000),
    }
    with pytest.raises(InputError) as refused:
        resume_changes(saved, {**new, "style_weights": {"dance": 0.5}, "ema_decay": 0.99, "seed": 1})
    for part in ("style_weights.dance (unset) → 0.5", "ema_decay 0.999 → 0.99", "seed 0 → 1"):
        assert part in refused.value.message
    del saved["ema_decay"]  # a setting the resumed run did not know
    with pytest.raises(InputError, match=r"ema_decay \(unset\) → 0.999"):
        resume_changes(saved, new)
    del saved["init_from"], saved["frozen"]  # added since; a run without them started fresh, froze nothing
    saved["ema_decay"] = new["ema_decay"]
    assert "init_from" not in resume_changes(saved, new) and "frozen" not in resume_changes(saved, new)
    with pytest.raises(InputError, match=r"frozen \[\] → \[\"pose\"\]"):
        resume_changes(saved, {**new, "frozen": ["pose"]})


def test_resume_with_more_steps_is_reported_and_continues_the_rate(
    interrupted: Path, tmp_path: Path, corpus: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    out = _copy(interrupted, tmp_path)
    config = _config(corpus, out, steps=9)
    capsys.readouterr()
    result = train(config, resume=True)
    assert result.progress.step == 9
    printed = [line for line in capsys.readouterr().out.splitlines() if line.startswith("resume:")]
    assert "resume: steps 6 → 9" in printed
    assert any(line.startswith("resume: output_dir ") for line in printed)  # the copied folder
    starts = [json.loads(x) for x in (out / "metrics.jsonl").read_text().splitlines() if '"start"' in x]
    assert starts[-1]["changed"]["steps"] == [6, 9]
    old = LrSchedule.of(_config(corpus, out, steps=6))
    new = LrSchedule.from_dict(_resume_description(out)["lr_schedule"])
    assert [new.rate(s) for s in range(3)] == [old.rate(s) for s in range(3)]  # the steps taken
    assert new.rate(3) == old.rate(3)  # no jump at the resume step
    assert new.rate(9) == pytest.approx(config.lr * config.final_lr_fraction)  # the floor at the new end
    rates = [new.rate(s) for s in range(3, 10)]
    assert rates == sorted(rates, reverse=True) and len(set(rates)) == len(rates)
    assert new.rate(6) > old.rate(6)  # decays over the longer run
    assert _resume_description(out)["param_groups"][0]["lr"] == new.rate(8)  # what the last step used
    assert load_checkpoint(out / "last.safetensors").info["lr_schedule"] == new.to_dict()


# --- the learning-rate schedule ------------------------------------------------------------------------
def _cosine_rate(config: TrainConfig, step: int) -> float:
    """The schedule as it was before resumable schedules: warm-up, cosine to the floor at ``steps``."""
    if step < config.warmup_steps:
        return config.lr * (step + 1) / config.warmup_steps
    progress = min((step - config.warmup_steps) / max(config.steps - config.warmup_steps, 1), 1.0)
    floor = config.lr * config.final_lr_fraction
    return floor + 0.5 * (config.lr - floor) * (1.0 + np.cos(np.pi * progress))


def test_an_uninterrupted_schedule_is_the_warm_up_and_one_cosine() -> None:
    config = TrainConfig(data_dir="d", steps=100, lr=1e-3, warmup_steps=10, final_lr_fraction=0.1)
    schedule = LrSchedule.of(config)
    for step in range(101):
        assert learning_rate(config, step) == pytest.approx(_cosine_rate(config, step), rel=1e-12)
    assert schedule.extended(40, 100) is schedule  # resumed with the same steps: unchanged
    assert LrSchedule.from_dict(json.loads(json.dumps(schedule.to_dict()))) == schedule


def test_an_extended_schedule_decays_from_the_resume_rate_to_the_floor_at_the_new_end() -> None:
    config = TrainConfig(data_dir="d", steps=100, lr=1e-3, warmup_steps=10, final_lr_fraction=0.1)
    schedule = LrSchedule.of(config)
    longer = schedule.extended(40, 250)
    assert [longer.rate(s) for s in range(41)] == [schedule.rate(s) for s in range(41)]
    rates = np.array([longer.rate(s) for s in range(40, 251)])
    assert np.all(np.diff(rates) < 0) and rates[-1] == pytest.approx(1e-4, rel=1e-12)
    assert abs(longer.rate(41) - longer.rate(40)) < abs(schedule.rate(41) - schedule.rate(40))  # smooth
    again = longer.extended(200, 300)  # extended twice: each segment kept up to its resume step
    assert [again.rate(s) for s in range(201)] == [longer.rate(s) for s in range(201)]
    assert again.rate(300) == pytest.approx(1e-4) and again.rate(250) > 1.01e-4
    assert LrSchedule.from_dict(json.loads(json.dumps(again.to_dict()))) == again
    finished = schedule.extended(100, 150)  # a finished run is at the floor: it stays there
    assert {finished.rate(s) for s in range(100, 151)} == {schedule.rate(100)}
    shorter = schedule.extended(40, 60)  # shortened: still ends at the floor
    assert shorter.rate(40) == schedule.rate(40) and shorter.rate(60) == pytest.approx(1e-4)
    during_warm_up = schedule.extended(5, 250)  # no decay started yet: as if run for 250 from the start
    assert during_warm_up == LrSchedule.of(replace(config, steps=250))


# --- validation loss ---------------------------------------------------------------------------------------
def test_validation_loss_is_deterministic_and_has_no_condition_dropout(corpus: dict[str, str]) -> None:
    config = _config(corpus, Path("unused"))
    clips = load_paired_clips(
        read_paired_index(corpus["data_dir"])[:2], config.model.frame_rate_hz, progress=False
    )
    dataset = WindowDataset(clips, config.model.window_frames, NormalisationStats.from_clips(clips))
    batches = [
        Batch.of(default_collate([dataset[i] for i in (0, 9)]), config.model.schema, torch.device("cpu")),
        Batch.of(default_collate([dataset[i] for i in (3, 20)]), config.model.schema, torch.device("cpu")),
    ]
    torch.manual_seed(0)
    model = Step2MotionModel(config.model)
    first = validation_sums(model, batches, dataset.stats, seed=7)
    assert validation_sums(model, batches, dataset.stats, seed=7) == first
    assert model.training  # the model's mode is left as it was
    # Whatever the training dropout, validation scores the conditional loss on the recorded streams.
    diffusion = replace(config.model.diffusion, cond_drop_prob=1.0, stream_drop_prob=1.0)
    always_dropping = Step2MotionModel(replace(config.model, diffusion=diffusion))
    always_dropping.load_state_dict(model.state_dict())
    assert validation_sums(always_dropping, batches, dataset.stats, seed=7) == first
    assert always_dropping.pose_model.config.cond_drop_prob == 1.0  # restored afterwards
    assert validation_sums(model, batches, dataset.stats, seed=8)["loss"] != first["loss"]
