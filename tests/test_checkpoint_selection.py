"""Choosing a run's best checkpoint on the whole reconstruction pipeline (``select_on: pipeline``)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_paired_corpus import write_paired_corpus_and_split

from step2motion.cli import main
from step2motion.errors import InputError
from step2motion.evaluation.checkpoint_scoring import pipeline_scorer
from step2motion.model.checkpoint import load_checkpoint
from step2motion.training import load_train_config, train
from step2motion.training.config import resume_changes

REPO = Path(__file__).resolve().parents[1]
SMOKE_CONFIG = REPO / "configs" / "smoke.json"
SPLIT = {"train": ["1", "2"], "validation": ["3", "4"], "test": []}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("selection")
    data, split = write_paired_corpus_and_split(root, {"1": 2, "2": 1, "3": 1, "4": 1}, SPLIT)
    return {"data": data, "split": split, "cache": root / "cache"}


def test_pipeline_selection_keeps_the_checkpoint_evaluate_ranks_first(
    corpus: dict[str, Path], tmp_path: Path
) -> None:
    config = tmp_path / "pipeline.json"
    config.write_text(
        json.dumps({"extends": str(SMOKE_CONFIG), "select_on": "pipeline", "steps": 9}),
        encoding="utf-8",
    )
    out = tmp_path / "run"
    args = ["--data", str(corpus["data"]), "--split", str(corpus["split"]), "--out", str(out)]
    assert main(["train", "--config", str(config), *args]) == 0

    records = [json.loads(line) for line in (out / "metrics.jsonl").read_text(encoding="utf-8").splitlines()]
    validations = [r for r in records if r["event"] == "validation"]
    assert [r["step"] for r in validations] == [3, 6, 9]
    scores = {r["step"]: r["val_pipeline_mpjpe_cm"] for r in validations}
    assert all("val_pipeline_mpjpe_legs_cm" in r and "val_mpjpe_cm" in r for r in validations)
    best_step = min(scores, key=scores.get)
    assert validations[-1]["best_step"] == best_step
    assert validations[-1]["best_val_pipeline_mpjpe_cm"] == pytest.approx(scores[best_step])
    assert not (out / "scoring.safetensors").exists()

    best = out / "best.safetensors"
    recorded = load_checkpoint(best).info["best"]
    assert recorded == {"step": best_step, "val_pipeline_mpjpe_cm": scores[best_step]}
    # the score the run selected on is what the evaluation command gives for that checkpoint
    report = tmp_path / "validation.json"
    evaluate = ["evaluate", "--split", "validation", "--data", str(corpus["data"]), "--model", str(best)]
    assert main([*evaluate, "--split-file", str(corpus["split"]), "--json", str(report)]) == 0
    evaluated = json.loads(report.read_text(encoding="utf-8"))["step2motion"]
    assert evaluated["clips"] == 2
    assert evaluated["mpjpe_cm"] == pytest.approx(scores[best_step], rel=1e-6)


def test_pipeline_scorer_needs_validation_takes(corpus: dict[str, Path], tmp_path: Path) -> None:
    split = tmp_path / "split.json"
    split.write_text(json.dumps({"train": ["1", "2", "3", "4"], "validation": ["9"], "test": []}))
    with pytest.raises(InputError, match="no take of the validation subjects"):
        pipeline_scorer(corpus["data"], split)


def test_pipeline_selection_without_a_scorer_is_refused(corpus: dict[str, Path], tmp_path: Path) -> None:
    config = load_train_config(
        SMOKE_CONFIG, data_dir=str(corpus["data"]), output_dir=str(tmp_path / "run"), select_on="pipeline"
    )
    with pytest.raises(InputError, match="needs a checkpoint scorer"):
        train(config)
    assert not (tmp_path / "run").exists()
    with pytest.raises(InputError, match=r"select_on must be one of \['windows', 'pipeline'\]"):
        load_train_config(SMOKE_CONFIG, data_dir="d", select_on="best")


def test_runs_saved_before_select_on_resume_as_window_selected() -> None:
    saved = load_train_config(SMOKE_CONFIG, data_dir="d").to_dict()
    del saved["select_on"]
    assert resume_changes(saved, load_train_config(SMOKE_CONFIG, data_dir="d").to_dict()) == {}
    with pytest.raises(InputError, match='select_on "windows" → "pipeline"'):
        resume_changes(saved, load_train_config(SMOKE_CONFIG, data_dir="d", select_on="pipeline").to_dict())
