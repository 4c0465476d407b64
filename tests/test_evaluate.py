"""``step2motion evaluate``: clips of a split, truth on the method's frames, alignment, reports, refusals."""

from __future__ import annotations

import csv
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from test_paired_corpus import write_paired_corpus
from test_reconstruction import _one_torch_thread, simulated_walk, tiny_checkpoint  # noqa: F401 (fixture)

from step2motion.cli import main
from step2motion.dataset.insole_features import CONDITION_SCHEMA
from step2motion.dataset.paired_corpus import read_paired_index
from step2motion.evaluation.evaluate import (
    TABLE_METRICS,
    MethodOutput,
    evaluate,
    select_clips,
)
from step2motion.evaluation.split import load_split
from step2motion.heading import rotate_about_y
from step2motion.io.bvh import read_bvh
from step2motion.io.moticon import read_moticon
from step2motion.model.checkpoint import load_checkpoint, save_checkpoint
from step2motion.reconstruction.body_size import NOT_TOLD, Wearer
from step2motion.recording import InsoleRecording
from step2motion.skeleton import LEG_PER_STATURE

SPLIT = {"train": ["3"], "validation": ["9"], "test": ["1", "2"]}
#: Variant per (subject, take); the others are 0.
VARIANTS = {("2", 1): 1}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Paired takes of subjects 1-3 (walk and stand, 50 Hz) with a variant column, and a split file
    holding subjects 1 and 2 out for test."""
    root = tmp_path_factory.mktemp("evaluate")
    data = write_paired_corpus(root / "data", {"1": 2, "2": 2, "3": 1})
    with open(data / "index.csv", encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    for row in rows:
        take = int(Path(row["recording"]).stem.removeprefix("take"))
        row["variant"] = str(VARIANTS.get((row["subject"], take), 0))
    with open(data / "index.csv", "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    split = root / "split.json"
    split.write_text(json.dumps(SPLIT), encoding="utf-8")
    return data, split


@pytest.fixture(scope="module")
def model_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tiny_checkpoint(tmp_path_factory.mktemp("model") / "tiny.safetensors", simulated_walk()[1])


def _index_rows(data: Path) -> list[dict[str, str]]:
    with open(data / "index.csv", encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _evaluate_cli(corpus: tuple[Path, Path], model: Path, *extra: str) -> int:
    data, split = corpus
    return main(["evaluate", "--model", str(model), "--data", str(data), "--split-file", str(split), *extra])


def test_select_clips_takes_the_split_subjects_and_the_chosen_variants(corpus: tuple[Path, Path]) -> None:
    data, split_path = corpus
    split = load_split(split_path)
    base = select_clips(data, split, "test")
    assert [(c.entry.name, c.variant) for c in base] == [
        ("1/take0.txt", 0),
        ("1/take1.txt", 0),
        ("2/take0.txt", 0),
    ]
    both = select_clips(data, split, "test", variants=(0, 1))
    assert [c.entry.name for c in both] == ["1/take0.txt", "1/take1.txt", "2/take0.txt", "2/take1.txt"]
    assert len(select_clips(data, split, "test", variants=(0, 1), limit=2)) == 2


def test_evaluate_writes_json_markdown_and_plots(
    corpus: tuple[Path, Path], model_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "report"
    out.mkdir()
    code = _evaluate_cli(
        corpus,
        model_path,
        *("--steps", "2", "--samples", "2"),
        *(
            "--json",
            str(out / "eval.json"),
            "--markdown",
            str(out / "eval.md"),
            "--plots",
            str(out / "plots"),
        ),
    )
    assert code == 0
    report = json.loads((out / "eval.json").read_text(encoding="utf-8"))
    assert set(report) == {"step2motion", "meta"}
    meta = report["meta"]
    assert {"model", "split", "data", "clips", "seconds", "steps", "samples", "wall_s"} <= set(meta)
    assert (meta["split"], meta["clips"], meta["steps"], meta["samples"]) == ("test", 3, 2, 2)
    rows = [r for r in _index_rows(corpus[0]) if r["subject"] in SPLIT["test"] and r["variant"] == "0"]
    seconds = sum(read_moticon(corpus[0] / r["recording"]).duration_s for r in rows)
    assert meta["seconds"] == pytest.approx(seconds, abs=len(rows) / 60)
    method = report["step2motion"]
    for key in (*TABLE_METRICS, "best_of_k_mpjpe_cm", "spread_error_ratio", "wall_s", "motion_s_per_wall_s"):
        assert key in method
    assert all(0.0 <= c["odometry_root_share"] <= 1.0 for c in method["per_clip"])
    assert 0 < method["mpjpe_cm"] < 100 and method["best_of_k_mpjpe_cm"] <= method["mpjpe_cm"] + 1e-9
    assert set(method["per_style"]) == {r["style"] for r in rows}
    assert sum(s["clips"] for s in method["per_style"].values()) == 3
    assert [c["name"] for c in method["per_clip"]] == [r["recording"] for r in rows]
    assert len(method["joint_mpjpe_cm"]) == 21
    markdown = (out / "eval.md").read_text(encoding="utf-8")
    for label in ("all", *method["per_style"]):
        assert f"| {label} |" in markdown
    plots = sorted((out / "plots").glob("*.png"))
    assert [p.name for p in plots] == [
        "step2motion_joints.png",
        "step2motion_over_time.png",
        "step2motion_styles.png",
    ]
    assert all(p.stat().st_size > 10_000 for p in plots)
    printed = capsys.readouterr().out
    assert "mpjpe_cm" in printed and "| all |" in printed


class TruthMethod:
    """A "method" that returns the paired motion itself at 25 fps, delayed by ``delay_s``, turned by 1 rad
    and moved to the origin (as a reconstruction starts): only its delay may cost anything."""

    def __init__(self, data: Path, delay_s: float = 0.0) -> None:
        self.motions = {str(e.recording_path): e.motion_path for e in read_paired_index(data)}
        self.delay_s = delay_s
        self.heights_m: list[float | None] = []  # what each call was told
        self.skeletons_m: list[np.ndarray | None] = []

    @property
    def settings(self) -> dict[str, Any]:
        return {"delay_s": self.delay_s}

    @property
    def subjects_seen(self) -> Mapping[str, frozenset[str]]:
        return {}

    def __call__(self, rec: InsoleRecording, wearer: Wearer = NOT_TOLD) -> MethodOutput:
        self.heights_m.append(wearer.height_m)
        self.skeletons_m.append(wearer.skeleton_offsets_m)
        motion = read_bvh(self.motions[rec.source])
        fps = 25.0
        time_s = np.arange(round(rec.duration_s * fps)) / fps
        frames = np.clip(np.round((time_s - self.delay_s) * motion.fps).astype(int), 0, motion.n_frames - 1)
        positions = motion.joint_positions_m()[frames]
        positions = rotate_about_y(positions - positions[0, 0] * [1, 0, 1], np.full(len(frames), 1.0))
        return MethodOutput(time_s, fps, positions, None, 0.1)


def test_the_truth_as_a_method_scores_zero_error_and_a_delayed_truth_does_not(
    corpus: tuple[Path, Path],
) -> None:
    data, split = corpus
    clips = select_clips(data, load_split(split), "test", variants=(0, 1))
    told = TruthMethod(data)
    result = evaluate({"truth": told, "late": TruthMethod(data, 0.2)}, clips, progress=False)
    truth, late = result.methods["truth"], result.methods["late"]
    for clip in truth.clips:
        m = clip.metrics
        assert clip.n_frames == round(clip.seconds * 25) and clip.fps == 25.0
        for key in ("mpjpe_cm", "mpjpe_heading_aligned_cm", "pa_mpjpe_cm", "mpjve_cm_s"):
            assert m[key] < 1e-6, (clip.clip.entry.name, key, m[key])
        assert m["root_error_window_m"] < 1e-8
        assert m["jitter_m_s3"] == pytest.approx(m["jitter_true_m_s3"])
        assert m["contact_f1"] == pytest.approx(m["contact_f1_true"], nan_ok=True)
    walking = [c for c in truth.clips if c.clip.entry.style == "walk"]
    assert walking and all(c.metrics["root_drift_m_per_m"] < 1e-8 for c in walking)
    assert all(
        c.metrics["mpjpe_legs_cm"] > 1.0 for c in late.clips if c.clip.entry.style == "walk"
    )  # the metric path does see a 0.2-s error
    assert result.meta["clips"] == 4 and result.meta["variants"] == [0, 1]
    assert result.meta["wearer_height"] is None and told.heights_m == [None] * len(clips)
    assert result.meta["wearer_skeleton"] is None and told.skeletons_m == [None] * len(clips)


def test_told_the_wearer_height_a_method_gets_the_height_of_the_captured_legs(
    corpus: tuple[Path, Path],
) -> None:
    data, split = corpus
    clips = select_clips(data, load_split(split), "test")
    method = TruthMethod(data)
    result = evaluate({"truth": method}, clips, progress=False, wearer="height")
    assert result.meta["wearer_height"] == "from the motion capture's legs"
    assert method.skeletons_m == [None] * len(clips)
    for clip, height_m in zip(clips, method.heights_m, strict=True):
        offsets = read_bvh(clip.entry.motion_path).offsets_m
        legs = [np.linalg.norm(offsets[[knee, ankle]], axis=1).sum() for knee, ankle in ((2, 3), (6, 7))]
        assert height_m == pytest.approx(np.mean(legs) / LEG_PER_STATURE)


def test_told_the_wearer_skeleton_a_method_gets_the_captured_rest_offsets(corpus: tuple[Path, Path]) -> None:
    data, split = corpus
    clips = select_clips(data, load_split(split), "test")
    method = TruthMethod(data)
    result = evaluate({"truth": method}, clips, progress=False, wearer="skeleton")
    assert result.meta["wearer_skeleton"] == "the motion capture's" and result.meta["wearer_height"] is None
    assert method.heights_m == [None] * len(clips)
    for clip, offsets_m in zip(clips, method.skeletons_m, strict=True):
        np.testing.assert_array_equal(offsets_m, read_bvh(clip.entry.motion_path).offsets_m)
    with pytest.raises(ValueError, match="wearer must be one of"):
        evaluate({"truth": method}, clips, progress=False, wearer="weight")


def _with_info(model_path: Path, path: Path, info: dict[str, Any]) -> Path:
    checkpoint = load_checkpoint(model_path)
    return save_checkpoint(path, checkpoint.model, checkpoint.stats, info)


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--split", "bogus"], "unknown split 'bogus'"),
        (["--split", "validation"], "no take of the validation subjects"),
        (["--split", "train"], "held-out subjects"),
        (["--variants", "7"], "with variant(s) [7]"),
        (["--baselines", "oracle"], "unknown baseline(s) oracle"),
        (["--baselines", "regression", "--runs", "RUNS"], "regression is not trained; train it"),
        (["--json", "MODEL"], "only reads models"),
        (["--trained-on-test"], "used subject(s) 1 of the test split for training"),
        (["--selected-on-test"], "used subject(s) 2 of the test split for checkpoint selection"),
    ],
)
def test_bad_inputs_exit_2_with_one_line(
    corpus: tuple[Path, Path],
    model_path: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    extra: list[str],
    message: str,
) -> None:
    model = model_path
    if extra == ["--trained-on-test"]:
        model, extra = _with_info(model_path, tmp_path / "m.safetensors", {"subjects": {"train": ["1"]}}), []
    elif extra == ["--selected-on-test"]:
        info = {"subjects": {"train": ["3"], "validation": ["2"]}}
        model, extra = _with_info(model_path, tmp_path / "m.safetensors", info), []
    extra = [str(model) if arg == "MODEL" else str(tmp_path) if arg == "RUNS" else arg for arg in extra]
    assert _evaluate_cli(corpus, model, *extra) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err, err


def test_baselines_run_beside_the_model_on_the_same_clips(
    corpus: tuple[Path, Path], model_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Fitted baselines come from the training subject (3) only; a trained baseline is read from the
    runs folder; the ones not trained are skipped with a note; the comparison table lists all."""
    runs = tmp_path / "runs"
    info = {"subjects": {"train": ["3"], "validation": ["9"]}}
    _with_info(model_path, runs / "train_regression" / "best.safetensors", info)
    report = tmp_path / "eval.json"
    args = ("--steps", "2", "--runs", str(runs), "--cache", str(tmp_path / "cache"), "--json", str(report))
    outputs = ("--markdown", str(tmp_path / "e.md"), "--plots", str(tmp_path / "plots"))
    assert _evaluate_cli(corpus, model_path, *args, "--baselines", *outputs) == 0
    captured = capsys.readouterr()
    assert "skipping no_cross_attention, not trained" in captured.err
    results = json.loads(report.read_text(encoding="utf-8"))
    assert list(results) == [
        "step2motion",
        "mean_pose",
        "nearest_neighbour",
        "regression",
        "step2motion_pressure_only",
        "step2motion_imu_only",
        "step2motion_left_foot_only",
        "step2motion_streamed",
        "meta",
    ]
    assert results["step2motion_streamed"]["settings"]["streamed"] is True
    assert results["step2motion_imu_only"]["settings"]["streams"] == [
        "left_imu",
        "left_odometry",
        "right_imu",
        "right_odometry",
    ]
    assert len(results["step2motion"]["settings"]["streams"]) == CONDITION_SCHEMA.n_streams
    names = [[c["name"] for c in results[m]["per_clip"]] for m in ("step2motion", "mean_pose", "regression")]
    assert names[0] == names[1] == names[2]
    for method in ("mean_pose", "nearest_neighbour", "regression"):
        assert 0 < results[method]["mpjpe_cm"] < 100
    assert results["mean_pose"]["settings"]["training_clips"] == 1  # subject 3's one take
    assert results["nearest_neighbour"]["settings"]["database_windows"] > 0
    # the tiny regression "baseline" is the diffusion checkpoint: the same network, scored the same way
    assert results["regression"]["settings"]["pose_model"] == "diffusion"
    assert "methods compared on test" in captured.out and "| nearest_neighbour |" in captured.out
    assert "## Methods compared" in (tmp_path / "e.md").read_text(encoding="utf-8")
    assert (tmp_path / "plots" / "methods_styles.png").stat().st_size > 10_000
    assert len(list((tmp_path / "plots").glob("*.png"))) == 3 * 8 + 1


def test_sensor_subsets_are_what_training_leaves_when_it_drops_a_sensor_group() -> None:
    """Each fewer-sensor variant reads exactly the streams a training window keeps when one of the model's
    sensor groups is dropped (so inference never meets a combination training never showed)."""
    from fnmatch import fnmatchcase

    from step2motion.evaluation.evaluate import SENSOR_SUBSETS
    from step2motion.training.config import DEFAULT_SENSOR_GROUPS

    def matching(patterns: tuple[str, ...]) -> set[str]:
        return {name for name in CONDITION_SCHEMA.names if any(fnmatchcase(name, p) for p in patterns)}

    drops = {"pressure_only": "imu", "imu_only": "pressure", "left_foot_only": "right_foot"}
    for subset, dropped in drops.items():
        kept = set(CONDITION_SCHEMA.names) - matching(DEFAULT_SENSOR_GROUPS[dropped])
        assert matching(SENSOR_SUBSETS[f"step2motion_{subset}"]) == kept, subset
