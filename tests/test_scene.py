"""The scene a viewer page or video shows: truth placed on the prediction, planted feet from the insoles."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from step2motion.cli.demo import DEMO_RECORDING, DEMO_TRUTH
from step2motion.errors import InputError
from step2motion.gait_events import wearer_weight_n
from step2motion.heading import heading_rad, rotate_about_y
from step2motion.io.bvh import read_bvh, write_bvh
from step2motion.io.moticon import read_moticon
from step2motion.visualisation.scene import load_scene

ROOT = 0


def _moved_copy(tmp_path: Path, turn_rad: float, shift_m: np.ndarray) -> Path:
    """The demo truth turned about the vertical through its first root position and shifted: a BVH."""
    truth = read_bvh(DEMO_TRUTH)
    turn = np.array([np.cos(turn_rad / 2), 0.0, np.sin(turn_rad / 2), 0.0])  # [w, x, y, z] about +Y
    w1, v1 = turn[0], turn[1:]
    w2, v2 = truth.local_rotations[:, ROOT, 0], truth.local_rotations[:, ROOT, 1:]
    root_rotation = np.concatenate(
        [(w1 * w2 - v2 @ v1)[:, None], w1 * v2 + w2[:, None] * v1 + np.cross(v1, v2)], axis=1
    )
    rotations = truth.local_rotations.copy()
    rotations[:, ROOT] = root_rotation
    start = truth.root_position_m[:1] * np.array([1.0, 0.0, 1.0])
    root = rotate_about_y(truth.root_position_m - start, np.full(1, turn_rad)) + start + shift_m
    path = tmp_path / "moved.bvh"
    write_bvh(dataclasses.replace(truth, local_rotations=rotations, root_position_m=root), path)
    return path


def test_truth_is_placed_rigidly_on_the_prediction(tmp_path: Path) -> None:
    moved = _moved_copy(tmp_path, turn_rad=1.1, shift_m=np.array([2.0, 0.0, -3.0]))
    scene = load_scene(DEMO_RECORDING, [moved], DEMO_TRUTH)
    prediction, truth = scene.motions
    assert (prediction.role, truth.role) == ("prediction", "truth")
    # the moved copy is a rigid move of the truth: placing the truth undoes it on every frame
    np.testing.assert_allclose(truth.joint_positions_m, prediction.joint_positions_m, atol=2e-3)
    unplaced = load_scene(None, [moved], DEMO_TRUTH, align="none").motions[1]
    original_m = read_bvh(DEMO_TRUTH).joint_positions_m()
    np.testing.assert_allclose(unplaced.joint_positions_m, original_m, atol=1e-9)
    turn = heading_rad(unplaced.joint_positions_m[:1]) - heading_rad(truth.joint_positions_m[:1])
    assert abs(turn[0]) > 1


def test_insoles_on_the_recording_clock_with_planted_feet_from_force() -> None:
    recording = read_moticon(DEMO_RECORDING)
    scene = load_scene(DEMO_RECORDING, [], None)
    insoles = scene.insoles
    assert insoles is not None and scene.motions == ()
    assert insoles.time_s[0] == 0 and insoles.time_s.size == recording.n_samples
    assert scene.duration_s == pytest.approx(recording.duration_s)
    for side in ("left", "right"):
        force_n = recording.foot(side).total_force_n
        planted = insoles.planted[side]
        assert 0.3 < planted.mean() < 0.9  # a walk: each foot both planted and swinging
        threshold_n = 0.3 * wearer_weight_n(recording)
        assert np.nanmedian(force_n[planted]) > threshold_n > np.nanmedian(force_n[~planted])
        assert np.isnan(insoles.cop_norm[side][~(force_n > 0)]).all()
    assert insoles.sample_at(-1.0) == 0 and insoles.sample_at(1e6) == insoles.time_s.size - 1
    assert insoles.sample_at(insoles.time_s[10]) == 10


def test_frames_hold_at_the_ends() -> None:
    truth = load_scene(None, [DEMO_TRUTH]).motions[0]
    last = truth.joint_positions_m.shape[0] - 1
    frames = truth.frame_at(np.array([-0.5, 0.0, 1.0 / truth.fps, 1e3]))
    np.testing.assert_array_equal(frames, [0, 0, 1, last])


def test_nothing_to_show_is_a_user_error() -> None:
    with pytest.raises(InputError, match="nothing to show"):
        load_scene(None, [])
