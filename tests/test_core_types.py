"""Known answers for the shared core: canonical skeleton, insole layout, recording and motion types."""

from __future__ import annotations

import numpy as np
import pytest

from step2motion import insole_layout, skeleton
from step2motion.errors import InputError
from step2motion.motion import Motion
from step2motion.recording import FootSignals, InsoleRecording


def test_skeleton_is_a_tree_with_the_paper_parts() -> None:
    assert skeleton.N_JOINTS == 22
    assert skeleton.PARENTS[0] == -1
    assert all(0 <= p < j for j, p in enumerate(skeleton.PARENTS) if j > 0)  # parents come first
    sizes = {part: 3 * len(joints) for part, joints in skeleton.BODY_PARTS.items()}
    assert sizes == {"left_leg": 12, "right_leg": 12, "body": 39}
    all_parts = sum(skeleton.BODY_PARTS.values(), ())
    assert sorted(all_parts) == sorted(skeleton.JOINT_NAMES[1:])
    with pytest.raises(KeyError, match="Tail"):
        skeleton.joint_index("Tail")


def test_layout_published_areas_and_medial_side() -> None:
    assert insole_layout.cell_areas_cm2(6)[0] == pytest.approx(11.30)
    assert insole_layout.cell_areas_cm2(4)[15] == pytest.approx(5.01)
    assert insole_layout.cell_areas_cm2(7).sum() == pytest.approx(204.78, abs=0.01)
    # interpolated size 5 lies between its neighbours, cell by cell
    a4, a5, a6 = (insole_layout.cell_areas_cm2(s) for s in (4, 5, 6))
    assert np.all((a4 < a5) & (a5 < a6))
    # hallux (14) and first metatarsal (9) are medial (+Y); little toes (16), fifth metatarsal (13) lateral
    y = insole_layout.CELL_CENTROIDS_NORM[:, 1]
    assert y[13] > 0 and y[8] > 0 and y[15] < 0 and y[12] < 0
    with pytest.raises(ValueError, match="insole size"):
        insole_layout.cell_areas_cm2(42)


def test_total_force_and_cop_of_a_single_loaded_cell() -> None:
    pressure = np.zeros((1, 16))
    pressure[0, 9] = 10.0  # cell 10
    area = insole_layout.cell_areas_cm2(7)[9]
    assert insole_layout.total_force_n(pressure, 7)[0] == pytest.approx(10.0 * area)
    np.testing.assert_allclose(insole_layout.centre_of_pressure_norm(pressure, 7)[0], [0.240, 0.064])
    assert np.isnan(insole_layout.centre_of_pressure_norm(np.zeros((1, 16)), 7)).all()


def test_recording_shapes_rate_and_missing_mask() -> None:
    n = 50
    left = FootSignals(np.zeros((n, 16)), np.zeros((n, 3)), np.zeros((n, 3)), np.zeros(n), np.zeros((n, 2)))
    left.acc_g[10] = np.nan
    rec = InsoleRecording(time_s=np.arange(n) / 25.0, left=left, right=FootSignals.missing(n))
    assert rec.rate_hz == pytest.approx(25.0)
    assert rec.duration_s == pytest.approx(2.0)
    assert rec.left.missing_mask().sum() == 1
    assert rec.right.missing_mask().all()
    with pytest.raises(ValueError, match="acc_g"):
        FootSignals(np.zeros((n, 16)), np.zeros((n, 2)), np.zeros((n, 3)), np.zeros(n), np.zeros((n, 2)))


def test_motion_fk_of_identity_pose_adds_offsets() -> None:
    offsets = np.random.default_rng(0).normal(size=(22, 3))
    rotations = np.tile([1.0, 0, 0, 0], (3, 22, 1))
    motion = Motion(rotations, np.zeros((3, 3)), offsets, fps=30.0)
    positions = motion.joint_positions_m()
    foot = skeleton.joint_index("LeftFoot")
    expected = offsets[[1, 2, 3]].sum(axis=0)  # LeftUpLeg + LeftLeg + LeftFoot offsets from the root
    np.testing.assert_allclose(positions[:, foot], np.tile(expected, (3, 1)), atol=1e-12)
    assert motion.duration_s == pytest.approx(0.1)


def test_input_error_formats_file_and_line() -> None:
    assert str(InputError("bad value", "rec.txt", 12)) == "rec.txt:12: bad value"
    assert str(InputError("bad value", "rec.txt")) == "rec.txt: bad value"
    assert str(InputError("bad value")) == "bad value"


def test_forward_kinematics_in_pieces_equals_one_call() -> None:
    from pymotion.ops.skeleton_np import fk

    from step2motion.motion import FK_CHUNK_FRAMES, forward_kinematics

    rng = np.random.default_rng(0)
    n_frames = 2 * FK_CHUNK_FRAMES + 17  # two full pieces and a short one
    rotations = rng.normal(size=(n_frames, skeleton.N_JOINTS, 4))
    rotations /= np.linalg.norm(rotations, axis=-1, keepdims=True)
    root_m, offsets_m = rng.normal(size=(n_frames, 3)), rng.normal(size=(skeleton.N_JOINTS, 3))
    positions, rotmats = forward_kinematics(rotations, root_m, offsets_m)
    whole_positions, whole_rotmats = fk(rotations, root_m, offsets_m, skeleton.PARENTS)
    np.testing.assert_array_equal(positions, whole_positions)
    np.testing.assert_array_equal(rotmats, whole_rotmats)
