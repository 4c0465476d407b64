"""Virtual 6-axis IMU of an OpenGo insole, computed from a motion on the canonical skeleton.

Physics. The accelerometer reads specific force ``a_S = R_WSᵀ (p̈_W − g_W)`` with ``g_W = (0, −9.81, 0)``,
in g (so +1 g along the chip's up axis when still); the gyroscope reads the chip's angular velocity in
its own axes, in deg/s. Both use the ``±40 ms`` stencils of ``step2motion.kinematics``.

Where the chip sits. The insole lies under the foot, rigidly attached to the ``Foot`` (ankle) joint, so
its frame is one constant rotation in that joint's frame: the sole model of
:func:`~step2motion.simulation.foot_contact.calibrate_sole`, the same one that places the pressure cells
(one model of one sole, so the pressure cells and the IMU can never disagree about where the foot is).
It is built from geometry and from how the foot stands, never from the joint's local axes (arbitrary
per skeleton: the CMU rest pose rolls the foot by ±25° against its stance orientation):

* Z (sole normal, up) = world up seen from the foot while it stands flat and still (the sole model's
  calibration frames), for any rig's ankle → ball angle, unless the clip never stands flat (judged by
  :func:`~step2motion.simulation.foot_contact.stands_flat`: tiptoes throughout, tiptoe walking): the
  sole is then tilted so that the ankle → ball line descends as a human-proportioned foot's does;
* X = the sole's forward axis (toward the toes), Y = Z × X (body-left); the frame is right-handed;
* position: on the sole plate at insole X = ``CHIP_X_NORM`` (midfoot, half-way from under the ankle to
  under the ball), on the centre line.

The chip is then tilted against the sole by ``MOUNT_UP_G`` (11.0° toes-down, 2.2° medial edge up),
the mean quiet-stance accelerometer direction of the real exports: every real insole reads about
(−0.19, 0.04, 0.97) g when the foot is flat and still, on both feet, in both recordings.

Reported axes, per foot (decided from the two real OpenGo exports 230927_102114/102137, 100 Hz):

* Both feet: +X toward the toes, +Y **medial**, +Z out of the top of the insole (up when standing).
  Positive gyro X = inversion (medial edge rising), Y = toes going down, Z = adduction (toes turning
  medially). The right insole is therefore right-handed (medial = body-left); the **left insole is
  the mirror image, left-handed in body terms**: it reports ``acc · (1, −1, 1)`` and
  ``gyro · (−1, 1, −1)`` of a right-handed (toes, body-left, up) chip frame, i.e. exactly what a right
  insole would read on the mirror-image motion.
* Evidence: mean gait cycle per foot, heel strike to heel strike (the exports' step events), 6 strides
  per foot in 102114 and 8 in 102137. The left/right correlation of the mean cycles is
  +0.98/+0.90 (acc X), +0.84/+0.65 (acc Y), +0.95/+0.78 (acc Z), +0.83/+0.78 (gyro X), +0.99/+0.94
  (gyro Y) and +0.82/+0.92 (gyro Z) for 102114/102137. With same-handed frames the lateral channels
  (acc Y, gyro X, gyro Z) would be anti-correlated between the feet. They are not, so the frames
  are mirror images.
* Gyro Y dominates (p99 |ω| 402/346 deg/s against X 135/167 and Z 119/112, left/right, 102114). It is
  the pitch, and + means toes down on both feet: the push-off peak is +381/+340 (102114) and
  +196/+173 (102137) deg/s as the heel rises; the swing minimum is −302/−312 and −197/−197 deg/s.
* Y is medial, not lateral. At push-off acc Y rises from +0.02…+0.04 to +0.24…+0.36 g while gyro X
  peaks at +45…+94 deg/s, on every foot and file, consistent with each other (d a_Y/dt ≈ +ω_X).
  This is the foot inverting as the heel rises (rearfoot supination; pivoting about the oblique
  metatarsal break, first metatarsal ahead of the fifth, lifts the medial edge). At the same moment
  gyro Z reads −72…−103 deg/s: abduction (toes turning out), the known external rotation of the foot
  at toe-off. Right after heel strike gyro X goes to −13…−154 deg/s: the heel everts as it loads.
  Under the lateral reading all three would be backwards. The quiet-stance acc Y (+0.03…+0.04 g on
  both feet) is then the same small medial-edge-up tilt on both sides, which also fits the mirroring.

Check against the real insoles: on 80 CMU walks (165–174 strides per foot) the simulated mean gait
cycle correlates with the real one (102114) at +0.86/+0.71 (acc X), +0.81/+0.96 (gyro Y) and
+0.63/+0.70 (gyro Z), left/right, with swing pitch minima of −380 deg/s (real −300) and a mid-stance
acc X of −0.2…−0.3 g (real −0.19). Roll is not reproduced (gyro X −0.15/+0.06): CMU feet barely roll.
"""

from __future__ import annotations

import numpy as np
from scipy.spatial.transform import Rotation

from step2motion.insole_layout import REPORTED_ACC_SIGNS, REPORTED_GYRO_SIGNS
from step2motion.kinematics import body_angular_velocity, time_derivative
from step2motion.motion import Motion
from step2motion.simulation import foot_contact
from step2motion.simulation.body_model import GRAVITY_MS2 as GRAVITY_MPS2

_GRAVITY_W = np.array([0.0, -GRAVITY_MPS2, 0.0])

#: Unit accelerometer reading of a flat, still insole in the reported axes (both feet): the mean of
#: the quiet-stance readings (foot loaded > 200 N, all gyro axes < 8 deg/s) of the real exports, normalised:
#: 102114 left (−0.183, 0.030, 0.966), right (−0.196, 0.037, 0.980); 102137 left (−0.178, 0.038, 0.967),
#: right (−0.196, 0.043, 0.980) g.
MOUNT_UP_G: np.ndarray = np.array([-0.190, 0.037, 0.981]) / np.linalg.norm([-0.190, 0.037, 0.981])

#: Insole X of the chip: midfoot, half-way between the ankle and the ball.
CHIP_X_NORM = 0.5 * (foot_contact.X_ANKLE_NORM + foot_contact.X_BALL_NORM)


def chip_frame_in_sole(sole: foot_contact.SoleModel) -> tuple[np.ndarray, np.ndarray]:
    """Right-handed chip axes ``[3, 3]`` (columns) and position ``[3]`` (m) in the foot joint's frame.

    The chip is the sole frame tilted so that a flat, still foot reads ``MOUNT_UP_G`` (reported axes).
    """
    up_in_chip = MOUNT_UP_G * REPORTED_ACC_SIGNS[sole.side]  # back from reported to right-handed chip axes
    mount, _ = Rotation.align_vectors([[0.0, 0.0, 1.0]], [up_in_chip])  # chip coords -> sole coords
    position_m = sole.plate_points_local(np.array([CHIP_X_NORM]), np.zeros(1))[0]
    return sole.axes_local @ mount.as_matrix(), position_m


def chip_frame_in_foot(motion: Motion, side: str) -> tuple[np.ndarray, np.ndarray]:
    """:func:`chip_frame_in_sole` of the sole model that ``motion`` calibrates for ``side``."""
    positions_m, rotmats = motion.forward_kinematics()
    return chip_frame_in_sole(foot_contact.calibrate_sole(positions_m, rotmats, motion.fps, side))


def chip_world_poses(
    motion: Motion, side: str, sole: foot_contact.SoleModel | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """World position ``[T, 3]`` (m, Y up) and right-handed axes ``[T, 3, 3]`` (columns: toes, body-left,
    up) of ``side``'s virtual IMU chip on every frame of ``motion``.

    What the simulated IMU measures, hence also the ground truth for foot odometry. ``sole`` is the
    foot's sole model when the caller has calibrated it already (else it is fitted here).
    """
    foot, _ = foot_contact.foot_joints(side)
    positions_m, rotmats = motion.forward_kinematics()
    if sole is None:
        sole = foot_contact.calibrate_sole(positions_m, rotmats, motion.fps, side)
    elif sole.side != side:
        raise ValueError(f"the sole model is the {sole.side} foot's, not the {side} foot's")
    chip_axes, chip_position_m = chip_frame_in_sole(sole)
    return positions_m[:, foot] + rotmats[:, foot] @ chip_position_m, rotmats[:, foot] @ chip_axes


def chip_heading_rad(chip_axes: np.ndarray) -> np.ndarray:
    """``[T]`` unwrapped yaw of the chip's toe axis from its axes ``[T, 3, 3]`` (:func:`chip_world_poses`)
    in the foot odometry's convention (:mod:`~step2motion.odometry.strapdown`: Z up, counter-clockwise
    seen from above; the motion's -Z is its Y): what an odometry heading is compared with."""
    return np.unwrap(np.arctan2(-chip_axes[:, 2, 0], chip_axes[:, 0, 0]))


def simulate_imu(
    motion: Motion, side: str, sole: foot_contact.SoleModel | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Accelerometer ``[T, 3]`` (g) and gyroscope ``[T, 3]`` (deg/s) of one insole, at ``motion.fps``.

    Axes are the reported insole axes of that foot (module docstring): +X toes, +Y medial, +Z up.
    ``sole`` as in :func:`chip_world_poses`.
    """
    chip_position_w, world_from_chip = chip_world_poses(motion, side, sole)
    specific_force_w = time_derivative(chip_position_w, motion.fps, order=2) - _GRAVITY_W
    acc_g = np.einsum("tji,tj->ti", world_from_chip, specific_force_w) / GRAVITY_MPS2
    gyro_dps = np.degrees(body_angular_velocity(world_from_chip, motion.fps))
    return acc_g * REPORTED_ACC_SIGNS[side], gyro_dps * REPORTED_GYRO_SIGNS[side]
