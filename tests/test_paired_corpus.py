"""Paired data folders: index.csv formats, clips on common frames, errors naming file and line, cache."""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path

import numpy as np
import pytest
from motion_fixtures import Gait, standing_motion, walking_motion

from step2motion.dataset.insole_features import CONDITION_SCHEMA
from step2motion.dataset.paired_corpus import load_paired_clips, read_paired_index
from step2motion.errors import InputError
from step2motion.io.bvh import write_bvh
from step2motion.io.moticon import write_moticon
from step2motion.motion import Motion
from step2motion.simulation.simulate import motion_at_rate, simulate_recording

RATE_HZ = 50.0


def _take(index: int) -> tuple[Motion, str]:
    """A few seconds of motion that differ between takes (walking pace, or standing)."""
    if index % 3 == 2:
        return standing_motion(seconds=2.5), "stand"
    gait = Gait(cycle_s=1.0 + 0.1 * (index % 4), stride_m=1.0 + 0.1 * (index % 3))
    return walking_motion(n_cycles=3, gait=gait), "walk"


def write_paired_corpus_and_split(
    root: Path, takes_per_subject: dict[str, int], split: dict[str, list[str]]
) -> tuple[Path, Path]:
    """:func:`write_paired_corpus` under ``root / "data"`` and the subject ``split`` written as
    ``root / "split.json"``: (data folder, split file)."""
    data = write_paired_corpus(root / "data", takes_per_subject)
    split_path = root / "split.json"
    split_path.write_text(json.dumps(split), encoding="utf-8")
    return data, split_path


def write_paired_corpus(root: Path, takes_per_subject: dict[str, int], layout: str = "explicit") -> Path:
    """Simulated recordings + motions of synthetic takes under ``root`` with an ``index.csv``:
    ``explicit`` rows name recording and motion; ``simulate-corpus`` rows name the source clip."""
    rows = []
    for subject, n_takes in takes_per_subject.items():
        (root / subject).mkdir(parents=True, exist_ok=True)
        for take in range(n_takes):
            motion, style = _take(take + int(subject))
            seed = 100 * int(subject) + take
            recording = simulate_recording(motion, 60.0 + 5 * take, 5 + take % 3, RATE_HZ, "realistic", seed)
            name = f"{subject}/take{take}"
            write_moticon(recording, root / f"{name}.txt")
            write_bvh(motion_at_rate(motion, RATE_HZ), root / f"{name}.bvh")
            rows.append(
                {"subject": subject, "style": style, "recording": f"{name}.txt", "motion": f"{name}.bvh"}
                if layout == "explicit"
                else {
                    "clip": f"cmu/{subject}/take{take}.bvh",
                    "subject": subject,
                    "style": style,
                    "seed": seed,
                }
            )
    with open(root / "index.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return root


@pytest.mark.parametrize("layout", ["explicit", "simulate-corpus"])
def test_index_layouts_give_clips_on_common_frames(tmp_path: Path, layout: str) -> None:
    root = write_paired_corpus(tmp_path, {"1": 2, "2": 1}, layout)
    entries = read_paired_index(root)
    assert [(e.subject, e.name) for e in entries] == [
        ("1", "1/take0.txt"),
        ("1", "1/take1.txt"),
        ("2", "2/take0.txt"),
    ]
    assert all(e.recording_path.is_file() and e.motion_path.is_file() for e in entries)
    clips = load_paired_clips(entries, 30.0, progress=False)
    for clip in clips:
        assert set(clip.streams) == set(CONDITION_SCHEMA.names)
        assert clip.poses.shape == (clip.n_frames, 21, 3) and clip.root_motion.shape == (clip.n_frames, 4)
        assert 2.4 * 30 <= clip.n_frames <= 3.6 * 30
        for name, channels in CONDITION_SCHEMA.streams:
            assert clip.streams[name].shape == (clip.n_frames, channels)
    # the motion is the take's: walking moves the root forward 3 strides, standing does not
    for entry, clip in zip(entries, clips, strict=True):
        forward_m = clip.root_motion[:, 0].sum()
        assert forward_m > 2.5 if entry.style == "walk" else abs(forward_m) < 0.05
    assert [e.style for e in entries] == ["walk", "stand", "stand"]


def test_cache_is_reused_and_invalidated_by_a_changed_file(tmp_path: Path) -> None:
    root = write_paired_corpus(tmp_path / "data", {"1": 2})
    entries = read_paired_index(root)
    cache = tmp_path / "cache"
    first = load_paired_clips(entries, 30.0, cache, progress=False)
    files = sorted(cache.glob("*.npz"))
    assert len(files) == 2
    mtimes = [f.stat().st_mtime_ns for f in files]
    again = load_paired_clips(entries, 30.0, cache, progress=False)
    assert [f.stat().st_mtime_ns for f in sorted(cache.glob("*.npz"))] == mtimes
    for a, b in zip(first, again, strict=True):
        assert a.name == b.name
        np.testing.assert_array_equal(a.poses, b.poses)
        for name in a.streams:
            np.testing.assert_array_equal(a.streams[name], b.streams[name])
            np.testing.assert_array_equal(a.present[name], b.present[name])
    stat = entries[0].recording_path.stat()
    os.utime(entries[0].recording_path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    load_paired_clips(entries, 30.0, cache, progress=False)
    assert len(list(cache.glob("*.npz"))) == 3  # one new entry for the touched take


def _write_index(root: Path, text: str) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "index.csv").write_text(text, encoding="utf-8")
    return root


@pytest.mark.parametrize(
    ("index", "line", "message"),
    [
        ("recording,motion\na.txt,a.bvh\n", 1, "lacks column"),
        ("recording,motion,subject\n1/take0.txt,1/take0.bvh,1\n1/nope.txt,1/take0.bvh,1\n", 3, "not found"),
        ("recording,motion,subject\n1/take0.txt,1/take0.bvh,1\n1/take0.txt,1/take0.bvh,2\n", 3, "line 2"),
        ("recording,motion,subject\n1/take0.txt,1/take0.bvh,\n", 2, "empty subject"),
        ("recording,motion,subject\n1/take0.txt,1/take0.bvh\n", 2, "number of fields"),
        ("recording,motion,subject,variant\n1/take0.txt,1/take0.bvh,1,two\n", 2, "variant is not a whole"),
    ],
)
def test_bad_index_rows_name_file_and_line(tmp_path: Path, index: str, line: int, message: str) -> None:
    root = write_paired_corpus(tmp_path, {"1": 1})
    _write_index(root, index)
    with pytest.raises(InputError, match=message) as caught:
        read_paired_index(root)
    assert caught.value.path == str(root / "index.csv") and caught.value.line == line


@pytest.mark.parametrize("jobs", [1, 2])
def test_missing_index_and_bad_files_are_input_errors(tmp_path: Path, jobs: int) -> None:
    with pytest.raises(InputError, match=r"no index\.csv"):
        read_paired_index(tmp_path)
    root = write_paired_corpus(tmp_path / "data", {"1": 2})
    entry = read_paired_index(root)[1]
    lines = entry.recording_path.read_text(encoding="utf-8").splitlines()
    bad_line = len(lines) - 5
    lines[bad_line - 1] = lines[bad_line - 1].replace("\t", "\tabc", 1)
    entry.recording_path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load_paired_clips(read_paired_index(root), 30.0, progress=False, jobs=jobs)
    assert caught.value.path == str(entry.recording_path) and caught.value.line == bad_line


def test_recording_and_motion_that_do_not_overlap_are_refused(tmp_path: Path) -> None:
    root = write_paired_corpus(tmp_path, {"1": 1})
    motion = walking_motion(n_cycles=1)
    late = Motion(motion.local_rotations[:5], motion.root_position_m[:5], motion.offsets_m, 1.0, {})
    write_bvh(late, root / "1" / "take0.bvh")
    recording = simulate_recording(walking_motion(n_cycles=1), 70.0, 7, RATE_HZ, "none", 0)
    recording.time_s += 100.0
    write_moticon(recording, root / "1" / "take0.txt")
    with pytest.raises(InputError, match="pair") as caught:
        load_paired_clips(read_paired_index(root), 30.0, progress=False)
    assert caught.value.line == 2
