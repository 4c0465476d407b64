"""The wearer's height and skeleton: poses scaled to the one or redrawn on the other, offline and streamed;
the feet stay on the floor, the path kept."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from motion_fixtures import walking_motion
from test_odometry_feet import FPS, GAIT, OraclePredictor
from test_reconstruction import _one_torch_thread, simulated_walk, tiny_checkpoint  # noqa: F401 (fixture)

from step2motion import skeleton
from step2motion.cli import main
from step2motion.dataset.pose_features import pose_targets
from step2motion.errors import InputError
from step2motion.io.bvh import write_bvh
from step2motion.model.checkpoint import load_checkpoint
from step2motion.motion import Motion
from step2motion.reconstruction import ReconstructionOptions, StreamingReconstructor
from step2motion.reconstruction.body_size import (
    height_scale,
    leg_length_m,
    on_skeleton,
)
from step2motion.reconstruction.pipeline import Reconstruction, reconstruct_with
from step2motion.recording import InsoleRecording
from step2motion.simulation.simulate import simulate_recording

_FEET = skeleton.joint_indices(("LeftFoot", "LeftToeBase", "RightFoot", "RightToeBase"))


@pytest.fixture(scope="module")
def walk() -> tuple[Motion, InsoleRecording]:
    motion = walking_motion(n_cycles=6, gait=GAIT)
    return motion, simulate_recording(motion, mass_kg=70.0, insole_size=7, noise="none", seed=0)


def _reconstruct(
    walk: tuple[Motion, InsoleRecording], height_m: float | None, skeleton_offsets_m: np.ndarray | None = None
) -> Reconstruction:
    motion, rec = walk
    options = ReconstructionOptions(height_m=height_m, skeleton_offsets_m=skeleton_offsets_m)
    return reconstruct_with(rec, OraclePredictor(pose_targets(motion, FPS)), options)


def _legs_m(offsets_m: np.ndarray) -> float:
    """Mean hip-to-ankle length of a skeleton's rest offsets (thigh + shank)."""
    thigh_and_shank = [np.linalg.norm(offsets_m[joints], axis=1).sum() for joints in ([2, 3], [6, 7])]
    return float(np.mean(thigh_and_shank))


def test_the_skeleton_takes_the_wearers_height_and_the_path_and_floor_stay(
    walk: tuple[Motion, InsoleRecording],
) -> None:
    motion, _ = walk
    true_height_m = skeleton.stature_m(motion.offsets_m)
    assert _legs_m(motion.offsets_m) == pytest.approx(skeleton.LEG_PER_STATURE * true_height_m)
    as_drawn = _reconstruct(walk, None)
    told = _reconstruct(walk, 1.1 * true_height_m)
    # the oracle draws the mocap's own body; told a wearer 10 % taller, the whole body is 10 % larger
    assert _legs_m(as_drawn.motion.offsets_m) == pytest.approx(_legs_m(motion.offsets_m), abs=2e-3)
    assert _legs_m(told.motion.offsets_m) == pytest.approx(1.1 * _legs_m(motion.offsets_m), abs=2e-3)
    np.testing.assert_allclose(told.motion.offsets_m, 1.1 * as_drawn.motion.offsets_m, atol=2e-3)
    # the path is the feet's, in metres: not scaled; the planted feet still stand on the floor
    drawn_root, told_root = (r.motion.root_position_m[:, [0, 2]] for r in (as_drawn, told))
    assert np.linalg.norm(told_root - drawn_root, axis=1).max() < 0.03
    for result in (as_drawn, told):
        feet = result.motion.joint_positions_m()[:, _FEET, 1]
        assert feet.min() > -1e-6 and np.median(feet.min(axis=1)) < 0.03
    assert told.motion.root_position_m[:, 1].mean() > as_drawn.motion.root_position_m[:, 1].mean() + 0.05


def test_the_scale_gives_the_legs_their_share_of_the_height() -> None:
    rng = np.random.default_rng(0)
    poses = rng.normal(0.0, 0.3, (2, 40, skeleton.N_JOINTS - 1, 3))  # any root-relative poses
    scale = height_scale(poses, 1.62)
    with_root = np.concatenate([np.zeros((2, 40, 1, 3)), scale * poses], axis=-2)
    assert leg_length_m(with_root) == pytest.approx(skeleton.LEG_PER_STATURE * 1.62)


@pytest.mark.parametrize("height_m", [170.0, 0.0, -1.7, 3.0])
def test_a_height_that_is_not_in_metres_is_refused(height_m: float) -> None:
    with pytest.raises(InputError, match="height must be in metres"):
        ReconstructionOptions(height_m=height_m)


def test_a_stream_told_the_height_keeps_it_from_its_first_commit(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    walk_rec, stats = simulated_walk()
    path = tiny_checkpoint(tmp_path_factory.mktemp("model") / "tiny.safetensors", stats)
    checkpoint = load_checkpoint(path)
    legs = []
    for height_m in (None, 1.5, 1.9):
        stream = StreamingReconstructor(checkpoint, walk_rec.rate_hz, steps=2, seed=0, height_m=height_m)
        chunks = [stream.push(walk_rec.left, walk_rec.right), stream.finish()]
        positions = np.concatenate([c.joint_positions_m for c in chunks])
        assert np.isfinite(positions).all() and positions[:, _FEET, 1].min() > -1e-6
        legs.append(_legs_m(stream.offsets_m))
        if height_m is not None:
            assert legs[-1] == pytest.approx(skeleton.LEG_PER_STATURE * height_m, abs=0.01)
    assert legs[2] / legs[1] == pytest.approx(1.9 / 1.5, rel=1e-3)


def test_info_tells_the_height_a_skeleton_stands_for(
    walk: tuple[Motion, InsoleRecording], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "told.bvh"
    write_bvh(_reconstruct(walk, 1.62).motion, path)
    assert main(["info", str(path)]) == 0
    assert "a wearer 1.62 m tall at the average share" in capsys.readouterr().out


def _other_skeleton(offsets_m: np.ndarray) -> np.ndarray:
    """``offsets_m`` 10 % larger, with the hip joints half as far again from the root (another rig's
    joint placement)."""
    other = 1.1 * offsets_m
    for hip in skeleton.joint_indices(("LeftUpLeg", "RightUpLeg")):
        other[hip] *= 1.5
    return other


def test_poses_redrawn_on_a_skeleton_keep_their_bone_directions_and_take_its_bone_lengths(
    walk: tuple[Motion, InsoleRecording],
) -> None:
    motion, _ = walk
    poses = pose_targets(motion, FPS).joints_local_m  # [N, 21, 3], root-relative
    other = _other_skeleton(motion.offsets_m)
    redrawn = on_skeleton(poses[None], other)[0]
    assert redrawn.shape == poses.shape

    def bones(local: np.ndarray) -> np.ndarray:
        world = np.concatenate([np.zeros((len(local), 1, 3)), local], axis=1)
        return world[:, 1:] - world[:, skeleton.PARENTS[1:]]

    lengths = np.linalg.norm(bones(redrawn), axis=-1)
    np.testing.assert_allclose(
        lengths, np.broadcast_to(np.linalg.norm(other[1:], axis=-1), lengths.shape), atol=1e-6
    )
    for name in ("LeftLeg", "LeftFoot", "RightLeg", "RightFoot", "LeftForeArm", "RightHand", "Head"):
        j = skeleton.joint_index(name) - 1
        given, drawn = bones(poses)[:, j], bones(redrawn)[:, j]
        cosine = (
            np.sum(given * drawn, axis=-1) / np.linalg.norm(given, axis=-1) / np.linalg.norm(drawn, axis=-1)
        )
        assert cosine.min() > 1 - 1e-6, name
    # the hip joints stand where the skeleton puts them, half as far again from the root
    hips = skeleton.joint_indices(("LeftUpLeg", "RightUpLeg"))
    drawn_width = np.linalg.norm(redrawn[:, hips[0] - 1] - redrawn[:, hips[1] - 1], axis=-1)
    assert drawn_width == pytest.approx(np.linalg.norm(other[hips[0]] - other[hips[1]]), abs=1e-6)


def test_the_motion_is_drawn_on_the_wearers_skeleton_and_the_path_and_floor_stay(
    walk: tuple[Motion, InsoleRecording],
) -> None:
    motion, _ = walk
    other = _other_skeleton(motion.offsets_m)
    as_drawn, told = _reconstruct(walk, None), _reconstruct(walk, None, other)
    np.testing.assert_array_equal(told.motion.offsets_m, other)  # the output BVH has the wearer's bones
    drawn_root, told_root = (r.motion.root_position_m[:, [0, 2]] for r in (as_drawn, told))
    assert np.linalg.norm(told_root - drawn_root, axis=1).max() < 0.03
    feet = told.motion.joint_positions_m()[:, _FEET, 1]
    assert feet.min() > -1e-6 and np.median(feet.min(axis=1)) < 0.03
    assert told.motion.root_position_m[:, 1].mean() > as_drawn.motion.root_position_m[:, 1].mean() + 0.05


def test_a_skeleton_not_in_metres_or_given_with_a_height_is_refused(
    walk: tuple[Motion, InsoleRecording],
) -> None:
    offsets = walk[0].offsets_m
    with pytest.raises(InputError, match="its offsets must be in metres"):
        ReconstructionOptions(skeleton_offsets_m=100.0 * offsets)
    with pytest.raises(InputError, match="rest offsets of the 22 canonical joints"):
        ReconstructionOptions(skeleton_offsets_m=offsets[:20])
    with pytest.raises(InputError, match="height or skeleton, not both"):
        ReconstructionOptions(height_m=1.7, skeleton_offsets_m=offsets)
    with pytest.raises(InputError, match="height or skeleton, not both"):
        StreamingReconstructor(None, 100.0, height_m=1.7, skeleton_offsets_m=offsets)  # type: ignore[arg-type]


def test_a_stream_told_the_skeleton_draws_on_it(tmp_path_factory: pytest.TempPathFactory) -> None:
    walk_rec, stats = simulated_walk()
    path = tiny_checkpoint(tmp_path_factory.mktemp("model") / "tiny.safetensors", stats)
    other = _other_skeleton(walking_motion(n_cycles=1, gait=GAIT).offsets_m)
    stream = StreamingReconstructor(
        load_checkpoint(path), walk_rec.rate_hz, steps=2, seed=0, skeleton_offsets_m=other
    )
    chunks = [stream.push(walk_rec.left, walk_rec.right), stream.finish()]
    positions = np.concatenate([c.joint_positions_m for c in chunks])
    np.testing.assert_array_equal(stream.offsets_m, other)
    assert np.isfinite(positions).all() and positions[:, _FEET, 1].min() > -1e-6
    bones = positions[:, 1:] - positions[:, skeleton.PARENTS[1:]]
    np.testing.assert_allclose(
        np.linalg.norm(bones, axis=-1),
        np.broadcast_to(np.linalg.norm(other[1:], axis=-1), bones.shape[:2]),
        atol=1e-5,
    )
