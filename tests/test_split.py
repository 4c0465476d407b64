"""The committed subject split: loading, validation, and (with the corpus) its coverage of the manifest."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from step2motion.errors import InputError
from step2motion.evaluation.split import (
    SPLIT_NAMES,
    ClipSeconds,
    Split,
    load_split,
    manifest_clip_seconds,
    split_of,
    split_stats,
    subjects_of,
)

REPO = Path(__file__).resolve().parents[1]


def _write(path: Path, document: object) -> Path:
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


def test_committed_split_loads_with_disjoint_non_empty_splits() -> None:
    split = load_split()
    assert all(subjects_of(split, name) for name in SPLIT_NAMES)
    everyone = [s for name in SPLIT_NAMES for s in subjects_of(split, name)]
    assert len(everyone) == len(set(everyone))
    assert split.notes


def test_subjects_of_and_split_of(tmp_path: Path) -> None:
    path = _write(tmp_path / "split.json", {"train": ["1", "7"], "validation": ["3"], "test": ["12", "x9"]})
    split = load_split(path)
    assert subjects_of(split, "train") == ("1", "7") and subjects_of(split, "test") == ("12", "x9")
    assert split_of(split, "3") == "validation" and split_of(split, "x9") == "test"
    assert split_of(split, "99") is None
    with pytest.raises(InputError, match="unknown split 'val'"):
        subjects_of(split, "val")


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({"train": ["1"], "validation": ["2"], "test": ["3"], "tests": []}, "unknown key.*tests"),
        ({"train": ["1", "2"], "validation": ["2"], "test": ["3"]}, "2 in both 'train' and 'validation'"),
        ({"train": ["1"], "validation": [], "test": ["1"]}, "1 in both 'train' and 'test'"),
        ({"train": ["1"], "validation": ["2"]}, "'test' must be a list"),
        ({"train": [1], "validation": ["2"], "test": ["3"]}, "'train' must be a list of subject ids"),
        ({"train": ["02"], "validation": ["3"], "test": ["4"]}, "'02' in 'train' must be written '2'"),
        ({"train": ["1", "1"], "validation": ["3"], "test": ["4"]}, "lists a subject twice"),
        ({"train": ["1"], "validation": ["3"], "test": ["4"], "notes": 5}, "'notes' must be a string"),
        (["1", "2"], "JSON object"),
    ],
)
def test_bad_split_files_are_refused(tmp_path: Path, document: object, message: str) -> None:
    path = _write(tmp_path / "split.json", document)
    with pytest.raises(InputError, match=message) as error:
        load_split(path)
    assert error.value.path == str(path)


def test_invalid_json_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "split.json"
    path.write_text('{\n  "train": ["1"],\n  "test": [\n}\n', encoding="utf-8")
    with pytest.raises(InputError, match="not valid JSON") as error:
        load_split(path)
    assert error.value.line == 4
    with pytest.raises(InputError, match="not found"):
        load_split(tmp_path / "missing.json")


def test_split_stats_sum_seconds_per_split_and_style() -> None:
    split = Split(train=("1", "2"), validation=("3",), test=("4",))
    clips = [
        ClipSeconds("1", "walk", 10.0),
        ClipSeconds("1", "run", 5.0),
        ClipSeconds("2", "walk", 15.0),
        ClipSeconds("3", "walk", 5.0),
        ClipSeconds("4", "dance", 15.0),
        ClipSeconds("unknown", "walk", 100.0),  # not in the split: left out
    ]
    stats = split_stats(split, clips)
    assert stats["train"] == {
        "subjects": 2,
        "seconds": 30.0,
        "fraction_of_seconds": 0.6,
        "seconds_by_style": {"run": 5.0, "walk": 25.0},
    }
    assert stats["validation"]["fraction_of_seconds"] == 0.1
    assert stats["test"]["seconds_by_style"] == {"dance": 15.0}


def test_manifest_clip_seconds_normalises_subjects(tmp_path: Path) -> None:
    manifest = tmp_path / "MANIFEST.csv"
    manifest.write_text(
        "path,subject,style,fps,first_frame_tpose,release,seconds\n"
        "a/02_01.bvh,02,walk,120,yes,r,2.5\n"
        "b/x_01.bvh,x,run,60,no,r,1.25\n",
        encoding="utf-8",
    )
    assert manifest_clip_seconds(manifest) == [ClipSeconds("2", "walk", 2.5), ClipSeconds("x", "run", 1.25)]
    manifest.write_text(manifest.read_text().replace(",1.25", ",long"), encoding="utf-8")
    with pytest.raises(InputError, match="seconds is not a number") as error:
        manifest_clip_seconds(manifest)
    assert error.value.line == 3


def test_committed_split_covers_the_corpus(shared_dir: Path) -> None:
    manifest = shared_dir / "data" / "mocap" / "MANIFEST.csv"
    clips = manifest_clip_seconds(manifest)
    split = load_split()
    subjects = {clip.subject for clip in clips}
    for subject in subjects:
        assert sum(subject in subjects_of(split, name) for name in SPLIT_NAMES) == 1, subject
    assert {s for name in SPLIT_NAMES for s in subjects_of(split, name)} == subjects
    stats = split_stats(split, clips)
    assert set(stats["test"]["seconds_by_style"]) == {clip.style for clip in clips}
    assert 0.65 <= stats["train"]["fraction_of_seconds"] <= 0.75
    committed = json.loads((REPO / "src/step2motion/data/split.json").read_text(encoding="utf-8"))
    assert committed["stats"] == stats
    assert committed["train_lacks_styles"] == sorted(
        set(stats["test"]["seconds_by_style"]) - set(stats["train"]["seconds_by_style"])
    )


def test_split_script_reproduces_the_committed_split(shared_dir: Path) -> None:
    spec = importlib.util.spec_from_file_location("make_split", REPO / "scripts" / "make_split.py")
    assert spec is not None and spec.loader is not None
    make_split = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(make_split)
    subjects: dict[str, dict[str, float]] = {}
    for clip in manifest_clip_seconds(shared_dir / "data" / "mocap" / "MANIFEST.csv"):
        styles = subjects.setdefault(clip.subject, {})
        styles[clip.style] = styles.get(clip.style, 0.0) + clip.seconds
    test = make_split.choose_test(subjects)
    validation = make_split.choose_validation(subjects, test)
    split = load_split()
    assert test == set(split.test) and validation == set(split.validation)
