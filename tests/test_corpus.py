"""Corpus manifests and folders: parsing, error lines, and the true-rate / T-pose handling of clips."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from step2motion import skeleton
from step2motion.errors import InputError
from step2motion.io.bvh import inspect_bvh, write_bvh
from step2motion.io.corpus import (
    CorpusEntry,
    corpus_entries,
    find_corpus_entries,
    read_corpus_motion,
    read_manifest,
)
from step2motion.motion import Motion

HEADER = "path,subject,style,fps,first_frame_tpose,release,description\n"


def _clip(n_frames: int, fps: float) -> Motion:
    """A canonical clip whose root x counts frames (frame i at x = i cm), so dropped frames show."""
    rotations = Rotation.from_rotvec(np.full((n_frames * skeleton.N_JOINTS, 3), 0.1)).as_quat()[
        :, [3, 0, 1, 2]
    ]
    root = np.stack([np.arange(n_frames) * 0.01, np.full(n_frames, 0.9), np.zeros(n_frames)], axis=1)
    offsets = np.tile([0.0, -0.1, 0.02], (skeleton.N_JOINTS, 1))
    return Motion(rotations.reshape(n_frames, skeleton.N_JOINTS, 4), root, offsets, fps)


def _write_manifest(root: Path, rows: list[str]) -> Path:
    path = root / "MANIFEST.csv"
    path.write_text(HEADER + "".join(row + "\n" for row in rows), encoding="utf-8")
    return path


def test_manifest_rows_become_entries(tmp_path: Path) -> None:
    manifest = _write_manifest(
        tmp_path,
        [
            'cmu/02/02_01.bvh,2,walk,120,yes,cgspeed-mb,"walk, then stop"',
            "cmu/35/35_01.bvh,35,walk,120,yes (rest pose; root rotation 0),cgspeed-daz,",
            "cmu/60/60_01.bvh,060,dance,60,no,cgspeed-daz-scaled,salsa",
        ],
    )
    entries = read_manifest(manifest)
    assert entries[0] == CorpusEntry(
        "cmu/02/02_01.bvh", "2", "walk", 120.0, True, "cgspeed-mb", "walk, then stop"
    )
    assert [e.first_frame_tpose for e in entries] == [True, True, False]
    assert entries[2].subject == "60" and entries[2].fps == 60.0


@pytest.mark.parametrize(
    ("row", "line", "message"),
    [
        ("a.bvh,1,walk,fast,no,x,", 3, "fps is not a number"),
        ("a.bvh,1,walk,0,no,x,", 3, "fps must be positive"),
        ("a.bvh,1,walk,120,maybe,x,", 3, "first_frame_tpose"),
        ("a.bvh,1,walk,120,no", 3, "number of fields"),
    ],
)
def test_bad_manifest_row_names_its_line(tmp_path: Path, row: str, line: int, message: str) -> None:
    manifest = _write_manifest(tmp_path, ["ok.bvh,1,walk,120,no,x,", row])
    with pytest.raises(InputError, match=message) as caught:
        read_manifest(manifest)
    assert (caught.value.path, caught.value.line) == (str(manifest), line)


def test_manifest_without_required_columns_is_refused_at_line_1(tmp_path: Path) -> None:
    manifest = tmp_path / "MANIFEST.csv"
    manifest.write_text("path,subject\na.bvh,1\n", encoding="utf-8")
    with pytest.raises(InputError, match="style, fps, first_frame_tpose, release") as caught:
        read_manifest(manifest)
    assert caught.value.line == 1


def test_folder_without_manifest_lists_every_bvh(tmp_path: Path) -> None:
    for name in ("cmu/07/07_02.bvh", "cmu/07/07_01.bvh", "extra/s1/take.bvh"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        write_bvh(_clip(4, 120.0), tmp_path / name)
    (tmp_path / "cmu" / "notes.txt").write_text("not motion", encoding="utf-8")
    entries = corpus_entries(tmp_path)
    assert entries == find_corpus_entries(tmp_path)
    assert [e.path for e in entries] == ["cmu/07/07_01.bvh", "cmu/07/07_02.bvh", "extra/s1/take.bvh"]
    assert [e.subject for e in entries] == ["7", "7", "s1"]
    assert {(e.style, e.release, e.fps, e.first_frame_tpose) for e in entries} == {
        ("unknown", "unknown", None, False)
    }
    motion = read_corpus_motion(tmp_path, entries[0])
    assert motion.fps == 120.0 and motion.n_frames == 4
    with pytest.raises(InputError, match="corpus folder not found"):
        find_corpus_entries(tmp_path / "missing")


def test_corpus_motion_uses_the_true_rate_and_drops_the_tpose_frame(tmp_path: Path) -> None:
    (tmp_path / "s").mkdir()
    write_bvh(_clip(9, 120.0), tmp_path / "s" / "take.bvh")  # header says 120 fps
    manifest = _write_manifest(tmp_path, ["s/take.bvh,s,walk,60,yes,test,"])
    (entry,) = corpus_entries(tmp_path)
    assert entry == read_manifest(manifest)[0]
    motion = read_corpus_motion(tmp_path, entry)
    assert motion.fps == 60.0 and motion.n_frames == 8
    np.testing.assert_allclose(motion.root_position_m[:, 0], np.arange(1, 9) * 0.01, atol=1e-6)
    half = read_corpus_motion(tmp_path, entry, fps=30.0)  # 8 frames at 60 Hz → frames 0, 2, 4, 6
    np.testing.assert_allclose(half.root_position_m[:, 0], np.arange(1, 9, 2) * 0.01, atol=1e-6)


def test_shared_manifest_lists_existing_files_with_true_rates(shared_dir: Path) -> None:
    root = shared_dir / "data" / "mocap"
    entries = read_manifest(root / "MANIFEST.csv")
    assert len(entries) == len({e.path for e in entries}) == len(list(root.rglob("*.bvh")))
    assert all((root / e.path).is_file() for e in entries)
    # first-pass salsa takes: header says 120 fps, the manifest 60
    salsa = [
        e
        for e in entries
        if e.release == "cgspeed-daz-scaled" and inspect_bvh(root / e.path).header_fps > 100
    ]
    assert salsa and all(e.fps == 60.0 for e in salsa)
    entry = salsa[0]
    motion = read_corpus_motion(root, entry)
    assert motion.fps == 60.0 and motion.n_frames == inspect_bvh(root / entry.path).n_frames
