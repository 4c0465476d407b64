"""Fitted baselines: what they learn from, and that they answer what they should."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from test_paired_corpus import write_paired_corpus_and_split

from step2motion.baselines.mean_pose import MeanPosePredictor
from step2motion.baselines.nearest_neighbour import NearestNeighbourPredictor
from step2motion.baselines.training_set import TrainingSet, load_training_set
from step2motion.dataset.insole_features import CONDITION_SCHEMA
from step2motion.evaluation.split import load_split
from step2motion.io.moticon import read_moticon
from step2motion.reconstruction.pipeline import ReconstructionOptions, reconstruct_with
from step2motion.reconstruction.windowed_sampling import Condition, prepare_condition

SPLIT = {"train": ["1", "2"], "validation": ["3"], "test": ["4"]}
WINDOW = 24
RATE_HZ = 30.0


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("baselines")
    return write_paired_corpus_and_split(root, {"1": 2, "2": 1, "3": 1, "4": 1}, SPLIT)


@pytest.fixture(scope="module")
def training(corpus: tuple[Path, Path]) -> TrainingSet:
    data, split = corpus
    return load_training_set(data, load_split(split), RATE_HZ, progress=False)


def test_the_training_set_is_the_training_subjects_and_their_mirrors(training: TrainingSet) -> None:
    assert training.subjects == frozenset({"1", "2"})
    assert len(training.clips) == 2 * 3
    mean_x = training.stats.poses.mean[..., 0]  # mirrors included: left/right symmetric on average
    assert abs(float(np.mean(mean_x))) < 0.02


def test_mean_pose_answers_the_mean_pose_and_keeps_known_frames(training: TrainingSet) -> None:
    predictor = MeanPosePredictor(training, WINDOW, RATE_HZ)
    condition = prepare_condition(training.clips[0], CONDITION_SCHEMA, training.stats).frames(0, WINDOW)
    poses = predictor.sample_poses(condition)
    assert poses.shape == (1, WINDOW, 21, 3)
    np.testing.assert_allclose(poses[0], np.broadcast_to(training.stats.poses.mean, (WINDOW, 21, 3)))
    known = np.ones((1, 5, 21, 3))
    assert np.all(predictor.sample_poses(condition, known)[:, :5] == 1.0)
    np.testing.assert_allclose(predictor.root_motion(condition)[3], training.stats.root_motion.mean)


def test_nearest_neighbour_retrieves_a_training_window_from_its_own_insoles(training: TrainingSet) -> None:
    predictor = NearestNeighbourPredictor(training, WINDOW, RATE_HZ, hop_frames=4)
    clip_index, start = 1, 8  # a database window (starts are multiples of the hop)
    clip = training.clips[clip_index]
    condition = prepare_condition(clip, CONDITION_SCHEMA, training.stats).frames(start, start + WINDOW)
    np.testing.assert_allclose(predictor.sample_poses(condition)[0], clip.poses[start : start + WINDOW])
    np.testing.assert_allclose(predictor.root_motion(condition), clip.root_motion[start : start + WINDOW])
    # without its IMU streams (absent, zeroed) the same window is still the nearest
    imu = [i for i, name in enumerate(CONDITION_SCHEMA.names) if name.endswith("_imu")]
    present = condition.present.copy()
    present[:, imu] = False
    values = condition.values.copy()
    for index in imu:
        values[:, CONDITION_SCHEMA.channel_slice(CONDITION_SCHEMA.names[index])] = 0.0
    assert tuple(predictor.origins[predictor.nearest(Condition(values, present))]) == (clip_index, start)
    # a window shorter than the database's compares only the frames it has
    short = condition.frames(0, WINDOW // 2)
    np.testing.assert_allclose(predictor.sample_poses(short)[0], clip.poses[start : start + WINDOW // 2])


def test_a_baseline_reconstructs_a_recording_through_the_model_pipeline(
    corpus: tuple[Path, Path], training: TrainingSet
) -> None:
    data, _ = corpus
    rec = read_moticon(data / "4" / "take0.txt")
    predictor = NearestNeighbourPredictor(training, WINDOW, RATE_HZ)
    result = reconstruct_with(rec, predictor, ReconstructionOptions(fps=30.0))
    assert result.motion.n_frames == round(rec.duration_s * 30.0)
    assert np.isfinite(result.motion.joint_positions_m()).all()
    assert (result.steps, result.n_samples) == (0, 1)
