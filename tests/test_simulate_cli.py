"""The ``simulate`` and ``simulate-corpus`` verbs end to end, on tiny BVH files written in the test."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
from motion_fixtures import standing_motion, walking_motion

from step2motion.cli import main
from step2motion.dataset.paired_corpus import read_paired_index
from step2motion.io.bvh import read_bvh, write_bvh
from step2motion.io.moticon import read_moticon


@pytest.fixture
def walk_bvh(tmp_path: Path) -> Path:
    path = tmp_path / "walk.bvh"
    write_bvh(walking_motion(n_cycles=1, fps=120.0), path)
    return path


def test_simulate_writes_a_recording_of_the_motion_duration(walk_bvh: Path, tmp_path: Path) -> None:
    output = tmp_path / "walk.txt"
    argv = ["simulate", str(walk_bvh), "-o", str(output), "--mass-kg", "80", "--rate", "50", "--seed", "4"]
    assert main(argv) == 0
    recording = read_moticon(output)
    motion = read_bvh(walk_bvh)
    assert recording.rate_hz == pytest.approx(50.0)
    assert abs(recording.duration_s - motion.duration_s) <= 0.5 / 50.0
    assert recording.insole_size == 7
    assert recording.metadata["Body mass"] == "80 kg"
    assert recording.metadata["Recording type"] == "simulated"
    total = recording.left.total_force_n + recording.right.total_force_n
    assert np.nanmean(total) == pytest.approx(80.0 * 9.81, rel=0.15)


def test_simulate_reports_a_bad_value_in_one_line(
    walk_bvh: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    output = tmp_path / "walk.txt"
    assert main(["simulate", str(walk_bvh), "-o", str(output), "--mass-kg", "5"]) == 2
    error = capsys.readouterr().err.strip()
    assert error.count("\n") == 0 and "body mass" in error
    assert not output.exists()


def _corpus(root: Path) -> None:
    """Two subjects' folders with one tiny clip each (no manifest: subjects from the folder names)."""
    for subject, motion in (
        ("01", walking_motion(n_cycles=1, fps=60.0)),
        ("02", standing_motion(0.5, fps=60.0)),
    ):
        (root / subject).mkdir(parents=True)
        write_bvh(motion, root / subject / f"{subject}_01.bvh")


def _index(output: Path) -> list[dict[str, str]]:
    with open(output / "index.csv", encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_simulate_corpus_pairs_recordings_with_resampled_motions(tmp_path: Path, jobs: str) -> None:
    corpus, output = tmp_path / "corpus", tmp_path / "out"
    _corpus(corpus)
    assert main(["simulate-corpus", str(corpus), "-o", str(output), "--noise", "none", "--jobs", jobs]) == 0
    rows = _index(output)
    assert [row["clip"] for row in rows] == ["01/01_01.bvh", "02/02_01.bvh"]
    assert [row["subject"] for row in rows] == ["1", "2"]
    for row in rows:
        stem = output / row["subject"] / Path(row["clip"]).stem
        recording, motion = read_moticon(stem.with_suffix(".txt")), read_bvh(stem.with_suffix(".bvh"))
        assert motion.fps == pytest.approx(100.0)
        assert motion.n_frames == recording.n_samples  # frame k of the motion is sample k of the recording
        source = read_bvh(corpus / row["clip"])
        assert float(row["seconds"]) == pytest.approx(source.duration_s, abs=0.01)
        assert (row["mass_kg"], row["insole_size"]) == ("70", "7")
    assert rows[0]["seed"] != rows[1]["seed"]  # each clip draws its own noise


def test_simulate_corpus_skips_done_clips_and_reports_failures(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    corpus, output = tmp_path / "corpus", tmp_path / "out"
    _corpus(corpus)
    assert main(["simulate-corpus", str(corpus), "-o", str(output), "--jobs", "1"]) == 0
    written = output / "1" / "01_01.txt"
    first_write = written.stat().st_mtime_ns
    (corpus / "03").mkdir()
    (corpus / "03" / "broken.bvh").write_text("HIERARCHY\nROOT Hips\n{\n")
    capsys.readouterr()
    assert main(["simulate-corpus", str(corpus), "-o", str(output), "--jobs", "1"]) == 1
    report = capsys.readouterr().out
    assert "0 clips simulated, 2 already done" in report
    assert "failed: 03/broken.bvh:" in report
    assert written.stat().st_mtime_ns == first_write
    assert [row["clip"] for row in _index(output)] == ["01/01_01.bvh", "02/02_01.bvh"]
    (corpus / "03" / "broken.bvh").unlink()
    assert main(["simulate-corpus", str(corpus), "-o", str(output), "--jobs", "1", "--overwrite"]) == 0
    assert written.stat().st_mtime_ns != first_write


def test_simulate_corpus_takes_frame_rates_from_the_manifest(tmp_path: Path) -> None:
    corpus, output = tmp_path / "corpus", tmp_path / "out"
    _corpus(corpus)
    manifest = "path,subject,style,fps,first_frame_tpose,release\n01/01_01.bvh,01,walk,30,yes,test\n"
    (corpus / "MANIFEST.csv").write_text(manifest)  # the header says 60 fps; the true rate is 30
    assert main(["simulate-corpus", str(corpus), "-o", str(output), "--jobs", "1"]) == 0
    (row,) = _index(output)
    source = read_bvh(corpus / "01" / "01_01.bvh")
    assert row["style"] == "walk"
    assert float(row["seconds"]) == pytest.approx((source.n_frames - 1) / 30.0, abs=0.01)


def test_simulate_corpus_variants_draw_people_insoles_and_pace_per_clip(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    _corpus(corpus)
    plain, varied = tmp_path / "plain", tmp_path / "varied"
    base = ["simulate-corpus", str(corpus), "--noise", "none", "--jobs", "1"]
    assert main([*base, "-o", str(plain)]) == 0
    assert main([*base, "-o", str(varied), "--variants", "3"]) == 0
    rows = _index(varied)
    assert [(row["clip"], row["variant"]) for row in rows] == [
        (clip, str(k)) for clip in ("01/01_01.bvh", "02/02_01.bvh") for k in range(3)
    ]
    assert [row for row in rows if row["variant"] == "0"] == _index(plain)  # variant 0 is the plain run
    for row in rows:
        recording, motion = read_moticon(varied / row["recording"]), read_bvh(varied / row["motion"])
        assert motion.n_frames == recording.n_samples
        source = read_bvh(corpus / row["clip"])
        warp = float(row["time_warp"])
        assert motion.duration_s == pytest.approx(warp * source.duration_s, abs=0.02)  # the BVH is warped
        assert recording.metadata["Body mass"] == f"{row['mass_kg']} kg"
        assert recording.insole_size == int(row["insole_size"])
        if row["variant"] != "0":
            assert Path(row["recording"]).name == f"{Path(row['clip']).stem}__v{row['variant']}.txt"
            assert 50.0 <= float(row["mass_kg"]) <= 110.0 and 3 <= int(row["insole_size"]) <= 8
            assert 0.8 <= warp <= 1.25 and warp != 1.0
    drawn = {(row["mass_kg"], row["insole_size"], row["seed"], row["time_warp"]) for row in rows}
    assert len(drawn) == len(rows)
    # the paired-data reader takes each variant as its own take of the same subject
    entries = read_paired_index(varied)
    assert len({entry.recording_path for entry in entries}) == 6
    assert {entry.subject for entry in entries} == {"1", "2"}


def test_simulate_corpus_adds_variants_without_redoing_or_changing_earlier_ones(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    corpus, output = tmp_path / "corpus", tmp_path / "out"
    _corpus(corpus)
    base = ["simulate-corpus", str(corpus), "-o", str(output), "--jobs", "1", "--seed", "5"]
    assert main([*base, "--variants", "2"]) == 0
    before = _index(output)
    written = output / "1" / "01_01__v1.txt"
    first_write = written.stat().st_mtime_ns
    capsys.readouterr()
    assert main([*base, "--variants", "3"]) == 0
    assert "2 clips simulated, 4 already done" in capsys.readouterr().out
    assert written.stat().st_mtime_ns == first_write
    after = _index(output)
    assert [row for row in after if row["variant"] != "2"] == before
    assert main([*base, "--variants", "0"]) == 2


def test_simulate_corpus_index_describes_the_files_after_an_interruption(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    corpus, output = tmp_path / "corpus", tmp_path / "out"
    _corpus(corpus)
    argv = ["simulate-corpus", str(corpus), "-o", str(output), "--jobs", "1", "--mass-kg", "60"]
    assert main(argv) == 0
    rows = _index(output)
    # an interrupted index write: the last row cut short, then the index gone entirely
    index = output / "index.csv"
    cut = index.read_text(encoding="utf-8").rstrip("\n").rsplit(",", 3)[0]
    index.write_text(cut + "\n", encoding="utf-8")
    capsys.readouterr()
    assert main([*argv[:-1], "70"]) == 2  # the cut row's file was made with 60 kg: refused, one line
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "02_01.txt" in error and "'60 kg', this run '70 kg'" in error
    index.unlink()
    assert main([*argv[:-1], "70"]) == 2
    assert main(argv) == 0  # the settings the files were made with: the index is rebuilt from them
    assert _index(output) == rows
