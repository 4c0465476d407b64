"""Physics and axis conventions of the virtual insole IMU, on motions built in code."""

from __future__ import annotations

import dataclasses
import itertools
from pathlib import Path

import numpy as np
import pytest
from moticon_opengo.txt_export import Measurement
from moticon_opengo.utils import Side
from scipy.spatial.transform import Rotation

from step2motion import insole_layout, skeleton
from step2motion.motion import Motion
from step2motion.simulation import foot_contact
from step2motion.simulation.imu import GRAVITY_MPS2, MOUNT_UP_G, chip_frame_in_foot, simulate_imu

FPS = 100.0
SIDES = ("left", "right")

# A symmetric standing skeleton (metres): Y up, facing +Z, so the body's left is +X.
_REST_OFFSETS_M = {
    "LeftUpLeg": (0.10, -0.05, 0.0), "LeftLeg": (0.0, -0.45, 0.0), "LeftFoot": (0.0, -0.42, 0.0),
    "LeftToeBase": (0.0, -0.06, 0.14),
    "Spine": (0.0, 0.10, 0.0), "Spine1": (0.0, 0.12, 0.0), "Spine2": (0.0, 0.12, 0.0),
    "Neck": (0.0, 0.15, 0.0), "Head": (0.0, 0.10, 0.0),
    "LeftShoulder": (0.05, 0.10, 0.0), "LeftArm": (0.12, 0.0, 0.0), "LeftForeArm": (0.28, 0.0, 0.0),
    "LeftHand": (0.25, 0.0, 0.0),
}  # fmt: skip
_MIRROR = np.diag([-1.0, 1.0, 1.0])  # reflection through the body's sagittal plane


def _mirror_name(name: str) -> str:
    if name.startswith("Left"):
        return "Right" + name[4:]
    if name.startswith("Right"):
        return "Left" + name[5:]
    return name


def _offsets_m() -> np.ndarray:
    offsets = np.zeros((skeleton.N_JOINTS, 3))
    for name, offset in _REST_OFFSETS_M.items():
        offsets[skeleton.joint_index(name)] = offset
        offsets[skeleton.joint_index(_mirror_name(name))] = _MIRROR @ offset
    return offsets


def _motion(
    n_frames: int = 100,
    root_position_m: np.ndarray | None = None,
    rotations: dict[str, Rotation] | None = None,
) -> Motion:
    """A motion of the test skeleton; ``rotations`` maps joint names ("Hips" = root) to ``[T]`` rotations."""
    local = np.zeros((n_frames, skeleton.N_JOINTS, 4))
    local[..., 0] = 1.0
    for name, rotation in (rotations or {}).items():
        local[:, skeleton.joint_index(name)] = rotation.as_quat(scalar_first=True)
    root = np.tile([0.0, 0.93, 0.0], (n_frames, 1)) if root_position_m is None else root_position_m
    tips = {name: np.array([0.0, 0.0, 0.05]) for name in ("LeftToeBase", "RightToeBase")}
    return Motion(local, root, _offsets_m(), FPS, tips, "test")


def _mirrored(motion: Motion) -> Motion:
    """The mirror-image motion: reflected through the sagittal plane, left and right joints swapped."""
    reflect = np.array([1.0, 1.0, -1.0, -1.0])  # S R S for S = diag(-1, 1, 1), on [w, x, y, z]
    order = [skeleton.joint_index(_mirror_name(name)) for name in skeleton.JOINT_NAMES]
    return dataclasses.replace(
        motion,
        local_rotations=motion.local_rotations[:, order] * reflect,
        root_position_m=motion.root_position_m @ _MIRROR,
    )


def _ramp(n_frames: int, axis: np.ndarray, rate_dps: float, start: int) -> Rotation:
    """Identity until frame ``start``, then a constant-rate rotation about ``axis``."""
    angle_rad = np.radians(rate_dps) * np.maximum(np.arange(n_frames) - start, 0) / FPS
    return Rotation.from_rotvec(angle_rad[:, None] * axis)


def test_still_foot_reads_the_real_insoles_rest_vector() -> None:
    for side in SIDES:
        acc_g, gyro_dps = simulate_imu(_motion(), side)
        np.testing.assert_allclose(acc_g, np.tile(MOUNT_UP_G, (100, 1)), atol=1e-9)
        np.testing.assert_allclose(np.linalg.norm(acc_g, axis=1), 1.0, atol=1e-9)
        np.testing.assert_allclose(gyro_dps, 0.0, atol=1e-9)
    # (−0.19, +0.04, 0.98) g on both feet: toes-down and medial-edge-up tilt, the same on both sides
    assert MOUNT_UP_G[0] == pytest.approx(-0.19, abs=0.005) and 0.03 < MOUNT_UP_G[1] < 0.045


def test_turning_left_reads_the_rate_as_adduction_right_and_abduction_left() -> None:
    rate_dps = 90.0
    spin = _ramp(200, np.array([0.0, 1.0, 0.0]), rate_dps, start=0)  # whole body turning left
    motion = _motion(200, rotations={"Hips": spin})
    gyro = {side: simulate_imu(motion, side)[1] for side in SIDES}
    for side in SIDES:
        np.testing.assert_allclose(np.linalg.norm(gyro[side], axis=1), rate_dps, rtol=0.01)
    # the chip is tilted by MOUNT_UP_G; + about Z = toes turning medially, mirrored on the left foot
    np.testing.assert_allclose(gyro["right"], np.tile(rate_dps * MOUNT_UP_G, (200, 1)), rtol=1e-5)
    np.testing.assert_allclose(gyro["left"], np.tile(-rate_dps * MOUNT_UP_G, (200, 1)), rtol=1e-5)


def test_toes_going_down_read_positive_pitch_on_both_feet() -> None:
    rate_dps = 150.0
    toes_down = _ramp(200, np.array([1.0, 0.0, 0.0]), rate_dps, start=100)  # about the body's left axis
    motion = _motion(200, rotations={"LeftFoot": toes_down, "RightFoot": toes_down})
    k = 4
    for side in SIDES:
        gyro_dps = simulate_imu(motion, side)[1][100 + k :]
        np.testing.assert_allclose(np.linalg.norm(gyro_dps, axis=1), rate_dps, rtol=0.01)
        np.testing.assert_allclose(gyro_dps[:, 1], rate_dps, rtol=0.01)  # Y carries the pitch


def test_free_fall_reads_zero() -> None:
    t = np.arange(60) / FPS
    root = np.stack([0.2 * t, 2.0 - 0.5 * GRAVITY_MPS2 * t**2, np.zeros_like(t)], axis=1)
    for side in SIDES:
        acc_g, gyro_dps = simulate_imu(_motion(60, root), side)
        np.testing.assert_allclose(acc_g, 0.0, atol=1e-9)
        np.testing.assert_allclose(gyro_dps, 0.0, atol=1e-9)


@pytest.mark.parametrize("acc_mps2", [3.0, -3.0])
def test_accelerating_toward_the_toes_reads_positive_x(acc_mps2: float) -> None:
    t = np.arange(80) / FPS
    root = np.stack([np.zeros_like(t), np.full_like(t, 0.93), 0.5 * acc_mps2 * t**2], axis=1)  # along +Z
    for side in SIDES:
        extra_g = simulate_imu(_motion(80, root), side)[0] - MOUNT_UP_G
        np.testing.assert_allclose(np.linalg.norm(extra_g, axis=1), abs(acc_mps2) / GRAVITY_MPS2, rtol=1e-6)
        # X takes cos(11°) of it: the chip is pitched 11° toes-down against the sole
        pitch_rad = np.arcsin(-MOUNT_UP_G[0])
        np.testing.assert_allclose(extra_g[:, 0], acc_mps2 / GRAVITY_MPS2 * np.cos(pitch_rad), rtol=1e-3)


def _wobbly_motion(n_frames: int = 150) -> Motion:
    """Feet rotating about all three axes while the body travels: exercises every channel."""
    t = np.arange(n_frames) / FPS
    wobble = np.stack([np.sin(3.0 * t), 0.6 * np.sin(5.0 * t + 1.0), 0.4 * np.cos(4.0 * t)], axis=1)
    root = np.stack([0.1 * np.sin(2.0 * t), 0.93 + 0.02 * np.cos(6.0 * t), 1.2 * t], axis=1)
    return _motion(
        n_frames,
        root,
        {
            "LeftFoot": Rotation.from_rotvec(0.5 * wobble),
            "RightFoot": Rotation.from_rotvec(-0.3 * wobble[:, ::-1]),
            "Hips": Rotation.from_rotvec(0.2 * wobble[:, [2, 0, 1]]),
        },
    )


def test_left_insole_reads_what_the_right_reads_on_the_mirror_image() -> None:
    motion = _wobbly_motion()
    mirrored = _mirrored(motion)
    for side, other in (("left", "right"), ("right", "left")):
        acc_g, gyro_dps = simulate_imu(motion, side)
        mirror_acc_g, mirror_gyro_dps = simulate_imu(mirrored, other)
        assert np.abs(gyro_dps).max() > 50.0  # the comparison is not between zeros
        np.testing.assert_allclose(mirror_acc_g, acc_g, atol=1e-9)
        np.testing.assert_allclose(mirror_gyro_dps, gyro_dps, atol=1e-7)


def test_chip_frame_ignores_the_foot_joints_local_axes() -> None:
    """Re-expressing the foot joint in other local axes (same world motion) changes nothing."""
    motion = _wobbly_motion()
    q = Rotation.from_rotvec([0.7, -1.9, 0.4])  # new foot axes, seen from the old ones
    foot, toe = skeleton.joint_index("LeftFoot"), skeleton.joint_index("LeftToeBase")
    local = Rotation.from_quat(motion.local_rotations.reshape(-1, 4), scalar_first=True)
    local = local.as_matrix().reshape(motion.n_frames, skeleton.N_JOINTS, 3, 3)
    local[:, foot] = local[:, foot] @ q.as_matrix()
    local[:, toe] = q.inv().as_matrix() @ local[:, toe]
    offsets = motion.offsets_m.copy()
    offsets[toe] = q.inv().apply(offsets[toe])
    reframed = dataclasses.replace(
        motion,
        local_rotations=Rotation.from_matrix(local.reshape(-1, 3, 3))
        .as_quat(scalar_first=True)
        .reshape(motion.n_frames, skeleton.N_JOINTS, 4),
        offsets_m=offsets,
        end_sites_m={**motion.end_sites_m},
    )
    np.testing.assert_allclose(reframed.joint_positions_m(), motion.joint_positions_m(), atol=1e-8)
    acc_g, gyro_dps = simulate_imu(reframed, "left")
    expected_acc_g, expected_gyro_dps = simulate_imu(motion, "left")
    np.testing.assert_allclose(acc_g, expected_acc_g, atol=1e-7)
    np.testing.assert_allclose(gyro_dps, expected_gyro_dps, atol=1e-5)  # FK quaternions: float noise


def test_chip_sits_mid_foot_on_the_pressure_cells_sole_in_a_right_handed_frame() -> None:
    """The IMU and the pressure cells share one sole model: the chip lies on the cells' plate."""
    motion = _motion()
    positions, rotmats = motion.forward_kinematics()
    plate = insole_layout.CELL_CENTROIDS_NORM[:, 0] <= foot_contact.X_BALL_NORM  # cells on the rigid plate
    for side in SIDES:
        axes, position_m = chip_frame_in_foot(motion, side)
        np.testing.assert_allclose(axes.T @ axes, np.eye(3), atol=1e-12)
        assert np.linalg.det(axes) == pytest.approx(1.0)
        assert axes[:, 0] @ [0.0, 0.0, 1.0] > 0.97  # X toward the toes
        # rest pose: every joint frame is the world frame, so foot-frame offsets are world offsets
        sole = foot_contact.calibrate_sole(positions, rotmats, FPS, side)
        cells_m = foot_contact.cell_positions_m(positions, rotmats, sole)[0, plate]
        ankle_m = positions[0, skeleton.joint_index(f"{side.capitalize()}Foot")]
        design = np.c_[np.ones(plate.sum()), insole_layout.CELL_CENTROIDS_NORM[plate]]  # affine in (X, Y)
        coefficients, *_ = np.linalg.lstsq(design, cells_m - ankle_m, rcond=None)
        midfoot_x = 0.5 * (foot_contact.X_ANKLE_NORM + foot_contact.X_BALL_NORM)
        np.testing.assert_allclose(position_m, [1.0, midfoot_x, 0.0] @ coefficients, atol=1e-9)
    with pytest.raises(ValueError, match="side"):
        simulate_imu(motion, "middle")


def _mean_gait_cycle(signals: np.ndarray, heel_strikes: list[int]) -> np.ndarray:
    """``[101, C]`` mean of ``signals`` ``[T, C]`` over strides (heel strike to heel strike), NaN-aware."""
    frames = np.arange(signals.shape[0])
    strides = [
        np.stack([np.interp(np.linspace(a, b, 101), frames, channel) for channel in signals.T], axis=1)
        for a, b in itertools.pairwise(heel_strikes)
        if 0.7 < (b - a) / 100.0 < 2.5  # 100 Hz; skips turns and pauses
    ]
    return np.nanmean(strides, axis=0)


def test_real_insoles_read_the_rest_vector_and_mirror_their_lateral_axes(shared_dir: Path) -> None:
    """The two conventions taken from the real exports: the rest vector, and left = mirror of right."""
    folder = shared_dir / "data/insoles_real/moticon-opengo-1.0.3_testdata"
    for path in sorted(folder.glob("*.txt")):
        measurement = Measurement(str(path), trim=False, fill_method="keep")
        cycles = []
        for side in (Side.LEFT, Side.RIGHT):
            data = measurement.side_data[side]
            with np.errstate(invalid="ignore"):
                quiet = (data.total_force > 200.0) & (np.abs(data.angular).max(axis=1) < 8.0)
            rest = data.acceleration[quiet].mean(axis=0)
            angle_deg = np.degrees(np.arccos(rest @ MOUNT_UP_G / np.linalg.norm(rest)))
            assert angle_deg < 1.5, (path.name, side, rest)
            strikes = [step.heel_strike_idx for step in measurement.steps if step.side == side]
            cycles.append(_mean_gait_cycle(np.c_[data.acceleration, data.angular], strikes))
        left, right = cycles
        correlations = [np.corrcoef(left[:, c], right[:, c])[0, 1] for c in range(6)]
        # acc Y, gyro X and gyro Z would be anti-correlated if both insoles used one handedness
        assert min(correlations) > 0.6, (path.name, correlations)
