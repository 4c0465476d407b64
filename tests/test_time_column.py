"""The time column is the truth: durations and frame times come from the time stamps, rows missing from
an export stay a (reported) gap, and a time column in the wrong unit or at a rate OpenGo cannot record
is refused with one line."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from test_reconstruction import _one_torch_thread, simulated_walk, tiny_checkpoint  # noqa: F401 (fixture)

from step2motion.cli import main
from step2motion.dataset.insole_features import MAX_GAP_S, insole_streams
from step2motion.dataset.windows import NormalisationStats
from step2motion.errors import InputError
from step2motion.io.moticon import read_moticon, write_moticon
from step2motion.model.checkpoint import Checkpoint, load_checkpoint
from step2motion.reconstruction.pipeline import ReconstructionOptions, output_frame_count, reconstruct
from step2motion.recording import REPORTED_GAP_S, InsoleRecording

GAP_S = 10.0
SPLIT_ROW = 150  # the rows from 1.5 s on come 10 s later


def _retimed(rec: InsoleRecording, time_s: np.ndarray) -> InsoleRecording:
    """``rec``'s samples at other times."""
    return InsoleRecording(time_s, rec.left, rec.right, insole_size=rec.insole_size)


@pytest.fixture(scope="module")
def fixture_walk() -> tuple[InsoleRecording, NormalisationStats]:
    return simulated_walk()


@pytest.fixture(scope="module")
def walk(fixture_walk: tuple[InsoleRecording, NormalisationStats]) -> InsoleRecording:
    return fixture_walk[0]


@pytest.fixture(scope="module")
def gapped(walk: InsoleRecording, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The walk (3.3 s at 100 Hz) with 10 s of rows missing after 1.5 s, as an export."""
    time_s = walk.time_s + np.where(np.arange(walk.n_samples) >= SPLIT_ROW, GAP_S, 0.0)
    path = tmp_path_factory.mktemp("gap") / "gap.txt"
    write_moticon(_retimed(walk, time_s), path)
    return path


@pytest.fixture(scope="module")
def model_path(
    fixture_walk: tuple[InsoleRecording, NormalisationStats], tmp_path_factory: pytest.TempPathFactory
) -> Path:
    return tiny_checkpoint(tmp_path_factory.mktemp("model") / "tiny.safetensors", fixture_walk[1])


@pytest.fixture(scope="module")
def checkpoint(model_path: Path) -> Checkpoint:
    return load_checkpoint(model_path)


def test_removed_rows_keep_the_real_span_and_are_reported(walk: InsoleRecording, gapped: Path) -> None:
    rec = read_moticon(gapped)
    assert rec.duration_s == pytest.approx(walk.duration_s + GAP_S)
    assert output_frame_count(rec, 30.0) == round((walk.duration_s + GAP_S) * 30.0)
    np.testing.assert_allclose(rec.time_gaps(), [[SPLIT_ROW / 100.0, GAP_S]])
    assert REPORTED_GAP_S == MAX_GAP_S  # reported exactly when the features leave the stretch missing
    features = insole_streams(rec, 30.0)
    inside = (features.time_s > 1.6) & (features.time_s < 11.4)
    assert not any(present[inside].any() for present in features.present.values())  # missing, not closed up


def test_reconstruction_of_a_gapped_recording_puts_later_frames_at_their_times(
    walk: InsoleRecording, gapped: Path, checkpoint: Checkpoint
) -> None:
    options = ReconstructionOptions(steps=2)
    whole = reconstruct(walk, checkpoint, options)
    result = reconstruct(read_moticon(gapped), checkpoint, options)
    assert result.motion.n_frames == round((walk.duration_s + GAP_S) * 30.0)
    np.testing.assert_allclose(result.time_s, np.arange(result.motion.n_frames) / 30.0)
    # After the gap, the contacts (from the insoles' force) are the whole walk's, 10 s later.
    after = np.flatnonzero(whole.time_s >= SPLIT_ROW / 100.0 + 0.5)
    shifted = np.round((whole.time_s[after] + GAP_S) * 30.0).astype(int)
    np.testing.assert_array_equal(result.contacts[shifted], whole.contacts[after])


def test_irregular_steps_keep_their_span(walk: InsoleRecording, tmp_path: Path) -> None:
    steps = np.random.default_rng(0).choice([0.005, 0.01, 0.02], size=walk.n_samples - 1, p=[0.2, 0.6, 0.2])
    time_s = np.round(np.concatenate([[0.0], np.cumsum(steps)]), 3)
    write_moticon(_retimed(walk, time_s), tmp_path / "irregular.txt")
    rec = read_moticon(tmp_path / "irregular.txt")
    assert rec.rate_hz == pytest.approx(100.0)
    assert rec.duration_s == pytest.approx(time_s[-1] + 0.01)
    assert output_frame_count(rec, 30.0) == round((time_s[-1] + 0.01) * 30.0)
    assert insole_streams(rec, 30.0).time_s[-1] == pytest.approx(np.floor(time_s[-1] * 30.0) / 30.0)


def test_a_gap_is_a_note_in_info_and_reconstruct(
    gapped: Path, model_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["info", str(gapped)]) == 0
    assert "1 gap(s) in the time column longer than 0.1 s, 10.00 s in all" in capsys.readouterr().out
    output = str(tmp_path / "out.bvh")
    argv = ["reconstruct", str(gapped), "-o", output, "--model", str(model_path), "--steps", "2"]
    assert main(argv) == 0
    notes = [line for line in capsys.readouterr().err.splitlines() if line.startswith("note:")]
    assert len(notes) == 1 and "longest 10.00 s from 1.50 s" in notes[0]


@pytest.mark.parametrize(
    ("scale", "message"),
    [
        (1000.0, "'time' column: median time step 10 looks like milliseconds (100 Hz): expected seconds"),
        (100.0, "median time step 1 s = 1 Hz: expected an OpenGo rate (10, 25, 50, 100 Hz"),
        (1 / 0.8, "median time step 0.0125 s = 80 Hz"),
    ],
)
def test_a_time_column_in_another_unit_or_rate_is_refused(
    walk: InsoleRecording, tmp_path: Path, capsys: pytest.CaptureFixture[str], scale: float, message: str
) -> None:
    path = tmp_path / "rec.txt"
    write_moticon(_retimed(walk, walk.time_s * scale), path)
    with pytest.raises(InputError, match="time") as error:
        read_moticon(path)
    assert message in str(error.value) and error.value.line is not None
    assert main(["info", str(path)]) == 2
    printed = capsys.readouterr().err.strip()
    assert message in printed and "\n" not in printed
