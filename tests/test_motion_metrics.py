"""Motion metrics on hand-made cases whose answers are known."""

from __future__ import annotations

import math

import numpy as np
import pytest
from motion_fixtures import Gait, lifted_foot_motion, standing_motion, walking_motion
from scipy.spatial.transform import Rotation

from step2motion import skeleton
from step2motion.evaluation import motion_metrics as mm
from step2motion.heading import rotate_about_y

FPS = 30.0


@pytest.fixture(scope="module")
def walk_m() -> np.ndarray:
    return walking_motion(n_cycles=3, fps=FPS).joint_positions_m()


@pytest.fixture(scope="module")
def walk_stance() -> np.ndarray:
    """The fixture walk's true stance ``[T, 2]``: left from each cycle start, right half a cycle later."""
    gait = Gait()
    time_s = np.arange(round(3 * gait.cycle_s * FPS)) / FPS
    phase = np.stack([time_s / gait.cycle_s, time_s / gait.cycle_s - 0.5], axis=1) % 1.0
    return phase < gait.toe_off


def _translated(positions_m: np.ndarray, offset_m: np.ndarray) -> np.ndarray:
    """Every joint moved by ``offset_m`` ``[T, 3]`` (the heading is unchanged)."""
    return positions_m + offset_m[:, None, :]


def _rest_pose_m() -> np.ndarray:
    return standing_motion(seconds=0.1, fps=FPS).joint_positions_m()[0]


def test_constant_offset_of_non_root_joints_is_one_cm(walk_m: np.ndarray) -> None:
    pred = walk_m.copy()
    pred[:, 1:] += [0.01, 0.0, 0.0]
    for joints in (mm.NON_ROOT_JOINTS, mm.LEG_JOINTS, mm.UPPER_JOINTS):
        assert mm.mpjpe_cm(pred, walk_m, joints) == pytest.approx(1.0)
    # moving the whole body is a root error, not a pose error
    assert mm.mpjpe_cm(walk_m + np.array([0.3, 0.0, -2.0]), walk_m) == pytest.approx(0.0, abs=1e-9)
    errors = mm.joint_errors_cm(pred, walk_m)  # per frame and joint: 1 cm everywhere but the root
    assert errors.shape == walk_m.shape[:2]
    np.testing.assert_allclose(errors[:, 1:], 1.0)
    assert np.all(errors[:, mm.ROOT] == 0.0)


def test_joint_groups_split_the_skeleton() -> None:
    assert len(mm.LEG_JOINTS) == 8 and len(mm.UPPER_JOINTS) == 13
    assert sorted([*mm.LEG_JOINTS, *mm.UPPER_JOINTS]) == sorted(mm.NON_ROOT_JOINTS)
    assert skeleton.JOINT_NAMES[mm.ROOT] == "Hips" and mm.ROOT not in mm.NON_ROOT_JOINTS


def test_heading_rotation_is_removed_by_alignment(walk_m: np.ndarray) -> None:
    angle = np.radians(np.linspace(-60.0, 60.0, walk_m.shape[0]))
    root = walk_m[:, :1]
    pred = rotate_about_y(walk_m - root, angle) + root
    assert mm.mpjpe_cm(pred, walk_m) > 5.0
    assert mm.mpjpe_heading_aligned_cm(pred, walk_m) == pytest.approx(0.0, abs=1e-9)
    # a non-heading error survives the alignment
    pred[:, 1:] += [0.0, 0.02, 0.0]
    assert mm.mpjpe_heading_aligned_cm(pred, walk_m) == pytest.approx(2.0)


def test_procrustes_removes_a_similarity_transform_but_not_a_mirror(walk_m: np.ndarray) -> None:
    n = walk_m.shape[0]
    rotations = Rotation.random(n, random_state=1)
    pred = 1.3 * np.stack([rotations[t].apply(walk_m[t]) for t in range(n)]) + [1.0, -2.0, 0.5]
    assert mm.mpjpe_cm(pred, walk_m) > 10.0
    assert mm.pa_mpjpe_cm(pred, walk_m) == pytest.approx(0.0, abs=1e-6)
    mirrored = walk_m * [-1.0, 1.0, 1.0]
    assert mm.pa_mpjpe_cm(mirrored, walk_m) > 1.0


def test_velocity_error_of_a_growing_offset(walk_m: np.ndarray) -> None:
    time_s = np.arange(walk_m.shape[0]) / FPS
    pred = walk_m.copy()
    pred[:, 1:] += (0.05 * time_s)[:, None, None] * np.array([0.0, 0.0, 1.0])  # 5 cm/s, root-relative
    assert mm.mpjve_cm_s(pred, walk_m, FPS) == pytest.approx(5.0)
    assert mm.mpjve_cm_s(pred, walk_m, FPS, mm.LEG_JOINTS) == pytest.approx(5.0)
    assert mm.mpjve_cm_s(walk_m + 0.1, walk_m, FPS) == pytest.approx(0.0, abs=1e-9)


def test_jitter_is_zero_at_constant_velocity_and_6c_for_ct3() -> None:
    time_s = np.arange(60) / FPS
    rest = np.random.default_rng(0).normal(size=(skeleton.N_JOINTS, 3))
    direction = np.array([0.6, 0.0, 0.8])
    linear = rest + (1.4 * time_s)[:, None, None] * direction
    assert mm.jitter_m_s3(linear, FPS) == pytest.approx(0.0, abs=1e-6)
    cubic = rest + (0.5 * time_s**3)[:, None, None] * direction
    assert mm.jitter_m_s3(cubic, FPS) == pytest.approx(3.0, rel=1e-6)  # d³(0.5 t³)/dt³ = 3
    assert math.isnan(mm.jitter_m_s3(linear[:3], FPS))


def test_root_window_error_of_a_steady_sideways_drift(walk_m: np.ndarray) -> None:
    n, window = 90, 30
    true = walk_m[:n]
    drift_m_s = 0.3
    pred = _translated(true, np.outer(np.arange(n) / FPS, [drift_m_s, 0.0, 0.0]))
    # aligned at each window start, the error grows 0 .. 29 frames of drift: mean 14.5 frames
    expected = drift_m_s * 14.5 / FPS
    assert mm.root_window_error_m(pred, true, window) == pytest.approx(expected)


def test_root_window_error_ignores_a_start_offset_in_position_and_heading(walk_m: np.ndarray) -> None:
    turned = rotate_about_y(walk_m, np.full(walk_m.shape[0], np.radians(70.0))) + np.array([3.0, 0.0, -1.0])
    assert mm.root_window_error_m(turned, walk_m, 40) == pytest.approx(0.0, abs=1e-9)
    assert mm.root_drift_m_per_m(turned, walk_m) == pytest.approx(0.0, abs=1e-9)


def test_drift_per_metre_of_a_known_end_offset() -> None:
    n = 101
    root = np.outer(np.linspace(0.0, 10.0, n), [0.0, 0.0, 1.0])  # 10 m straight along +Z
    true = _translated(np.tile(_rest_pose_m(), (n, 1, 1)), root)
    pred = _translated(true, np.outer(np.linspace(0.0, 0.5, n), [1.0, 0.0, 0.0]))  # 0.5 m off at the end
    assert mm.root_drift_m_per_m(pred, true) == pytest.approx(0.05)
    standing = np.tile(_rest_pose_m(), (n, 1, 1))
    assert math.isnan(mm.root_drift_m_per_m(standing, standing))


def test_travel_aligned_drift_forgives_the_hips_facing_off_the_walking_direction() -> None:
    """A straight 10-m walk predicted exactly but with the hips turned 5° off the path at frame 0 (the
    whole body: as if the prediction faced where the capture's hips did not): the frame-0 hip alignment
    turns the whole path by 5° (drift sin 5°), the travel alignment does not; a path that bends is
    still charged."""
    n = 101
    root = np.outer(np.linspace(0.0, 10.0, n), [0.0, 0.0, 1.0])
    true = _translated(np.tile(_rest_pose_m(), (n, 1, 1)), root)
    hips_off = true.copy()
    hips_off[:, 1:] = rotate_about_y(true[:, 1:] - true[:, :1], np.full(n, np.radians(5.0))) + true[:, :1]
    assert mm.root_drift_m_per_m(hips_off, true) == pytest.approx(2 * np.sin(np.radians(2.5)), rel=1e-6)
    assert mm.root_drift_travel_aligned_m_per_m(hips_off, true) == pytest.approx(0.0, abs=1e-9)
    bent = _translated(true, np.outer(np.linspace(0.0, 1.0, n) ** 2, [0.5, 0.0, 0.0]))  # veers 0.5 m late
    assert 0.03 < mm.root_drift_travel_aligned_m_per_m(bent, true) < 0.05
    standing = np.tile(_rest_pose_m(), (n, 1, 1))
    assert math.isnan(mm.root_drift_travel_aligned_m_per_m(standing, standing))


def test_turned_drift_is_the_drift_of_the_path_turned_by_that_angle() -> None:
    """The same 10-m walk with the hips 5° off: told to turn back by those 5° it has no drift (the walk a
    body told the hips' angle would draw); told to turn further, a chord of the angle per metre; a whole
    prediction turned and moved away is brought back to frame 0's root first."""
    n = 101
    root = np.outer(np.linspace(0.0, 10.0, n), [0.0, 0.0, 1.0])
    true = _translated(np.tile(_rest_pose_m(), (n, 1, 1)), root)
    hips_off = true.copy()
    hips_off[:, 1:] = rotate_about_y(true[:, 1:] - true[:, :1], np.full(n, np.radians(5.0))) + true[:, :1]
    hip_turn = -np.radians(5.0)  # the frame-0 hip alignment turns the prediction by this
    assert mm.root_drift_turned_m_per_m(hips_off, true, hip_turn) == pytest.approx(
        mm.root_drift_m_per_m(hips_off, true)
    )
    assert mm.root_drift_turned_m_per_m(hips_off, true, 0.0) == pytest.approx(0.0, abs=1e-9)
    assert mm.root_drift_turned_m_per_m(hips_off, true, np.radians(10.0)) == pytest.approx(
        2 * np.sin(np.radians(5.0)), rel=1e-6
    )
    moved = rotate_about_y(true, np.full(n, np.radians(30.0))) + np.array([2.0, 0.0, 1.0])
    assert mm.root_drift_turned_m_per_m(moved, true, -np.radians(30.0)) == pytest.approx(0.0, abs=1e-9)
    standing = np.tile(_rest_pose_m(), (n, 1, 1))
    assert math.isnan(mm.root_drift_turned_m_per_m(standing, standing, 0.0))


def test_path_ratio_of_a_walk_that_shuffles_at_two_thirds_of_the_stride() -> None:
    n = 101
    root = np.outer(np.linspace(0.0, 6.0, n), [0.0, 0.0, 1.0])
    true = _translated(np.tile(_rest_pose_m(), (n, 1, 1)), root)
    shuffled = _translated(np.tile(_rest_pose_m(), (n, 1, 1)), root * 2.0 / 3.0)
    assert mm.root_path_ratio(shuffled, true) == pytest.approx(2.0 / 3.0)
    standing = np.tile(_rest_pose_m(), (n, 1, 1))
    assert math.isnan(mm.root_path_ratio(true, standing))


def test_sliding_planted_foot_skates_at_its_speed() -> None:
    standing = standing_motion(seconds=2.0, fps=FPS).joint_positions_m()
    n = standing.shape[0]
    contacts = np.ones((n, 2), dtype=bool)
    assert mm.foot_skate_cm_s(standing, contacts, FPS) == pytest.approx(0.0, abs=1e-9)
    sliding = _translated(standing, np.outer(np.arange(n) / FPS, [0.06, 0.0, 0.08]))  # 10 cm/s
    assert mm.foot_skate_cm_s(sliding, contacts, FPS) == pytest.approx(10.0)
    # only steps loaded at both ends count: a fast move while unloaded is no skating
    fast = sliding.copy()
    fast[n // 2 :] += [2.0, 0.0, 0.0]
    contacts[n // 2] = False
    assert mm.foot_skate_cm_s(fast, contacts, FPS) == pytest.approx(10.0)
    assert math.isnan(mm.foot_skate_cm_s(standing, np.zeros((n, 2), dtype=bool), FPS))


def test_contact_f1_counts() -> None:
    reference = np.array([[1, 1], [1, 0], [0, 0], [0, 1]], dtype=bool)
    assert mm.contact_f1(reference, reference) == 1.0
    detected = np.array([[1, 0], [0, 0], [1, 0], [0, 1]], dtype=bool)  # TP 2, FP 1, FN 2
    assert mm.contact_f1(detected, reference) == pytest.approx(4 / 7)
    assert math.isnan(mm.contact_f1(np.zeros((3, 2), bool), np.zeros((3, 2), bool)))


def test_motion_contacts_follow_the_walk_and_a_raised_foot(
    walk_m: np.ndarray, walk_stance: np.ndarray
) -> None:
    detected = mm.motion_contacts(walk_m, FPS)
    assert mm.contact_f1(detected, walk_stance) > 0.9
    lifted = lifted_foot_motion(seconds=2.0, fps=FPS).joint_positions_m()
    detected = mm.motion_contacts(lifted, FPS)
    assert detected[:, 0].all() != detected[:, 1].all()
    assert detected.any(axis=0).sum() == 1  # the raised foot never touches down
    # a constant float of the whole body changes nothing: floors come from the motion itself
    assert np.array_equal(mm.motion_contacts(lifted + np.array([0.0, 0.07, 0.0]), FPS), detected)


def test_best_of_k_picks_the_closest_sample(walk_m: np.ndarray) -> None:
    samples = np.stack([walk_m.copy() for _ in range(3)])
    for k, offset_cm in enumerate((3.0, 1.0, 2.0)):
        samples[k, :, 1:] += [0.0, offset_cm / 100, 0.0]
    index, error_cm = mm.best_of_k(samples, walk_m)
    assert index == 1 and error_cm == pytest.approx(1.0)


def test_spread_calibration_of_calibrated_and_overconfident_samples(walk_m: np.ndarray) -> None:
    rng = np.random.default_rng(3)
    k = 3
    sigma_m = np.linspace(0.005, 0.05, skeleton.N_JOINTS)[None, :, None]  # per joint, root exact
    sigma_m[:, mm.ROOT] = 0.0
    centre = walk_m + rng.normal(size=walk_m.shape) * sigma_m  # what the model believes
    samples = centre + rng.normal(size=(k, *walk_m.shape)) * sigma_m
    truth = centre + rng.normal(size=walk_m.shape) * sigma_m  # the truth is one more draw: calibrated
    calibrated = mm.spread_calibration(samples, truth)
    assert calibrated["spread_error_ratio"] == pytest.approx(1.0, abs=0.05)
    assert calibrated["spread_error_pearson"] > 0.9 and calibrated["spread_error_spearman"] > 0.9
    overconfident = centre + (samples - centre) * 0.1
    assert mm.spread_calibration(overconfident, truth)["spread_error_ratio"] > 5.0
    with pytest.raises(ValueError, match="at least 2"):
        mm.spread_calibration(samples[:1], truth)


def test_summarise_keys_and_a_perfect_prediction(walk_m: np.ndarray, walk_stance: np.ndarray) -> None:
    metrics = mm.summarise(walk_m, walk_m, FPS, contacts=walk_stance)
    assert set(metrics) == {
        "mpjpe_cm", "mpjpe_legs_cm", "mpjpe_upper_cm", "mpjpe_heading_aligned_cm", "pa_mpjpe_cm",
        "mpjve_cm_s", "mpjve_legs_cm_s", "jitter_m_s3", "jitter_true_m_s3", "root_error_window_m",
        "root_drift_m_per_m", "root_drift_travel_aligned_m_per_m", "root_path_ratio", "foot_skate_cm_s",
        "foot_skate_true_cm_s", "contact_f1",
        "contact_f1_true",
    }  # fmt: skip
    assert metrics["root_path_ratio"] == pytest.approx(1.0)
    for name in ("mpjpe_cm", "mpjpe_legs_cm", "pa_mpjpe_cm", "mpjve_cm_s", "root_error_window_m"):
        assert metrics[name] == pytest.approx(0.0, abs=1e-6), name
    assert metrics["jitter_m_s3"] == metrics["jitter_true_m_s3"] > 0
    assert metrics["contact_f1"] == metrics["contact_f1_true"] > 0.9
    assert metrics["foot_skate_cm_s"] < 5.0
    without = mm.summarise(walk_m, walk_m, FPS)
    assert math.isnan(without["foot_skate_cm_s"]) and math.isnan(without["contact_f1"])


def test_shape_mismatch_is_refused(walk_m: np.ndarray) -> None:
    with pytest.raises(ValueError, match="differ in shape"):
        mm.mpjpe_cm(walk_m[:-1], walk_m)
    with pytest.raises(ValueError, match="22"):
        mm.jitter_m_s3(walk_m[:, :21], FPS)
    with pytest.raises(ValueError, match="contacts"):
        mm.foot_skate_cm_s(walk_m, np.ones((walk_m.shape[0], 3), bool), FPS)


def test_aggregation_is_frame_weighted_per_style_and_skips_nan() -> None:
    clips = [
        mm.ClipMetrics("walk", 100, {"mpjpe_cm": 1.0, "root_drift_m_per_m": math.nan}),
        mm.ClipMetrics("walk", 300, {"mpjpe_cm": 3.0, "root_drift_m_per_m": 0.2}),
        mm.ClipMetrics("stand", 50, {"mpjpe_cm": 7.0, "root_drift_m_per_m": math.nan}),
    ]
    by_style = mm.aggregate_by_style(clips)
    assert list(by_style) == ["stand", "walk"]
    assert by_style["walk"]["mpjpe_cm"] == pytest.approx(2.5)
    assert by_style["walk"]["root_drift_m_per_m"] == pytest.approx(0.2)
    assert by_style["walk"]["frames"] == 400 and by_style["walk"]["clips"] == 2
    assert math.isnan(by_style["stand"]["root_drift_m_per_m"])
    assert mm.aggregate(clips)["mpjpe_cm"] == pytest.approx((100 + 900 + 350) / 450)
