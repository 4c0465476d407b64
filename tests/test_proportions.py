"""Training targets on reference proportions: legs and motion kept, the rest re-proportioned, cached apart."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from motion_fixtures import walking_motion
from test_paired_corpus import write_paired_corpus

from step2motion import skeleton
from step2motion.dataset.paired_corpus import load_paired_clips, read_paired_index
from step2motion.dataset.proportions import REFERENCE_BONE_SHARES, with_reference_proportions
from step2motion.errors import InputError
from step2motion.training.config import TrainConfig

_LEGS = skeleton.joint_indices(
    ("LeftLeg", "LeftFoot", "LeftToeBase", "RightLeg", "RightFoot", "RightToeBase")
)


def test_reference_proportions_keep_the_legs_and_the_motion_and_re_proportion_the_rest() -> None:
    motion = walking_motion(n_cycles=2)
    reference = with_reference_proportions(motion)
    legs_m = skeleton.rest_leg_length_m(motion.offsets_m)
    np.testing.assert_array_equal(reference.offsets_m[_LEGS], motion.offsets_m[_LEGS])
    np.testing.assert_array_equal(reference.local_rotations, motion.local_rotations)
    np.testing.assert_array_equal(reference.root_position_m, motion.root_position_m)
    lengths = np.linalg.norm(reference.offsets_m, axis=1)
    before = np.linalg.norm(motion.offsets_m, axis=1)
    kept = before > 0
    moved = np.setdiff1d(np.flatnonzero(kept), [*_LEGS, skeleton.joint_index("Hips")])
    np.testing.assert_allclose(lengths[moved], REFERENCE_BONE_SHARES[moved] * legs_m)
    # each bone along its own rest direction; a zero offset has none and stays zero
    unit = motion.offsets_m[moved] / before[moved, None]
    np.testing.assert_allclose(np.sum(reference.offsets_m[moved] * unit, axis=1), lengths[moved])
    assert not reference.offsets_m[~kept].any()
    # the ankles move only as far as the hip joints do: the legs swing from where the hips are now
    ankles = skeleton.joint_indices(("LeftFoot", "RightFoot"))
    shift = reference.joint_positions_m()[:, ankles] - motion.joint_positions_m()[:, ankles]
    hip_move = np.abs(np.linalg.norm(reference.offsets_m[[1, 5]], axis=1) - before[[1, 5]]).max()
    assert np.linalg.norm(shift, axis=-1).max() <= hip_move + 1e-9


def test_clips_on_reference_proportions_are_cached_apart_from_the_captured_ones(tmp_path: Path) -> None:
    entries = read_paired_index(write_paired_corpus(tmp_path / "data", {"1": 1}))
    cache = tmp_path / "cache"
    captured = load_paired_clips(entries, 30.0, cache, progress=False)
    reference = load_paired_clips(entries, 30.0, cache, progress=False, proportions="reference")
    assert len(list(cache.glob("*.npz"))) == 2
    head = skeleton.joint_index("Head") - 1  # pose targets hold the joints after the root
    knee, ankle = skeleton.joint_index("LeftLeg") - 1, skeleton.joint_index("LeftFoot") - 1
    (a,), (b,) = captured, reference
    assert np.abs(a.poses[:, head] - b.poses[:, head]).max() > 0.005
    shank = [clip.poses[:, ankle] - clip.poses[:, knee] for clip in (a, b)]
    np.testing.assert_allclose(*shank, atol=1e-9)
    np.testing.assert_array_equal(a.streams["left_imu"], b.streams["left_imu"])


def test_target_proportions_must_be_known() -> None:
    with pytest.raises(InputError, match="target_proportions must be one of"):
        TrainConfig(data_dir="data", target_proportions="daz")
