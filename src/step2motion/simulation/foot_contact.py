"""Where each insole cell is in the world, where the floor is, and whether a foot is on it.

Why: a motion-capture skeleton has an ankle, a ball (``ToeBase``) and usually a toe tip, but no sole
and no heel, and its floor is neither flat nor at y = 0 (CMU stance toe heights drift by centimetres,
DAZ-retargeted clips float 4–6 cm). So each foot gets a rigid *sole model*, calibrated once per clip,
that places the 16 OpenGo cells on the underside of the foot; the floor is estimated from where the
soles go; and contact is judged from each sole's height above that floor and its speed.

Sole model (per foot, in the ``Foot`` joint's frame):

* Sole normal: world up seen from the foot in the clip's *calibration frames* (the foot still and its
  ankle at its lowest, i.e. standing flat), averaged: the floor is level, so a flat-standing foot's
  sole is level too, whatever the rig. The sole's forward axis is the ankle→ball direction tilted up
  into the sole plane by its measured descent below the floor there (at least 5°). That descent is a
  property of the rig, not of the foot: human proportions (ankle centre ≈ 7 cm and ball ≈ 2.5 cm above
  the floor, ≈ 14 cm apart) give ≈ 20°, but many commercial rigs put the ankle joint well above the
  anatomical ankle (e.g. 12 cm up, the ball 4 cm: ≈ 37°). A prior on the angle that fits human feet
  tilts such a sole toes-down and starves the heel.
* A clip that never stands flat (tiptoes throughout, tiptoe walking, forefoot running) calibrates a
  raised-heel posture instead, and nothing in a still clip tells a heel raised on a human-proportioned
  rig from a steep rig standing flat. So the descent decides only where no rig could stand flat: above
  ``MAX_FLAT_DESCENT_RAD`` the foot is taken to be a human-proportioned one on tiptoes and fitted with
  ``TIPTOE_DESCENT_RAD`` (the steepest human-proportioned foot: the least heel raise it can mean)
  — unless the clip shows the foot rocking on its heel (:func:`stands_flat`), which a foot
  that never stands flat does not do. A human-proportioned foot whose heel is raised less than that
  throughout the clip is read as flat.
* Length: 0.31 × the leg (hip → knee → ankle), the ratio of foot length (0.152 stature) to thigh +
  shank (0.245 + 0.246 stature) in Drillis & Contini's segment table. The skeleton's ball is not
  used for it: retargeted DAZ clips put ``ToeBase`` on a foot → End Site segment only 13 cm long.
  Width = 0.38 × length. The ankle lies above insole X = -0.27 (≈ 23 % of the length from the heel)
  and the ball (metatarsal heads, the toes' hinge) above X = +0.20 (≈ 70 %).
* Heel: the sole under the ankle lies ``ankle_height_m`` below it, the ball's clearance
  (0.10 × length, the metatarsal head's radius) plus the ankle→ball drop. All cells but the toes sit
  on this rigid plate, the metatarsal cells (X ≤ 0.26) at most at the hinge.
* Toe cells (14–16) hinge at the ball and follow the ``ToeBase`` joint's rotation, so they stay flat
  on the floor when the heel rises at push-off. The toes are taken to lie flat on the floor in the
  calibration frames.
* Medial (+Y of the normalised insole frame, the same for both feet) is toward the body's midline:
  the right-hand side of the left foot and the left-hand side of the right foot.

Only relative cell heights shape the pressure, and the floor is estimated from the cells themselves,
so a constant error in ``ankle_height_m`` moves nothing. The same sole model carries the insole's IMU
chip (:mod:`~step2motion.simulation.imu`), so cells and chip share one frame.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.ndimage import gaussian_filter1d, percentile_filter

from step2motion import insole_layout, skeleton
from step2motion.kinematics import time_derivative

#: Sole geometry and roll-over centre (see the module docstring and :func:`rollover_cop_x_norm`).
X_ANKLE_NORM = -0.27
X_BALL_NORM = 0.20
BALL_CLEARANCE_PER_LENGTH = 0.10
WIDTH_PER_LENGTH = 0.38
#: Ankle→ball descent below the sole (see the module docstring): never less than the first value; a foot
#: standing steeper than the second is taken to be on tiptoes (unless it rocks on its heel), and its sole
#: is then fitted with the third, the steepest human-proportioned foot.
MIN_DESCENT_RAD = np.radians(5.0)
MAX_FLAT_DESCENT_RAD = np.radians(45.0)
TIPTOE_DESCENT_RAD = np.radians(25.0)
#: Heel rocker: the foot pitched at least this much toes-up from its standing pitch while its ankle is
#: within ``HEEL_ROCKER_ANKLE_M`` of its standing height, i.e. resting on its heel.
HEEL_ROCKER_RAD = np.radians(10.0)
HEEL_ROCKER_ANKLE_M = 0.03
FOOT_LENGTH_PER_LEG = 0.31
ROLLOVER_CENTRE_ALONG_SHANK = 0.35
#: Calibration frames: ankle speed at most this (or the clip's 20th percentile if larger), and the
#: ankle within this height of its lowest still position.
STILL_SPEED_MS = 0.10
FLAT_ANKLE_TOLERANCE_M = 0.015
#: Floor: a low percentile of the lowest sole point over a sliding window, then smoothed.
FLOOR_WINDOW_S = 1.0
FLOOR_PERCENTILE = 10
FLOOR_SMOOTH_S = 0.25
#: A foot's stance level may lie this much above the common floor; "slow" = stance-like frames.
MAX_FOOT_FLOOR_OFFSET_M = 0.03
SLOW_SPEED_MS = 0.3
#: Contact: full below the first value, none above the second (smooth in between).
CONTACT_HEIGHT_M = (0.02, 0.05)
CONTACT_SPEED_MS = (0.6, 1.4)

_UP = np.array([0.0, 1.0, 0.0])
_TOE_CELLS = np.isin(np.arange(1, 17), insole_layout.REGIONS["toes"])


@dataclass(frozen=True)
class SoleModel:
    """One foot's calibrated sole: unit axes in the ``Foot`` joint frame and sizes in metres.

    ``toe_forward_local`` is the sole's forward axis seen from the ``ToeBase`` joint frame.
    """

    side: str
    forward_local: np.ndarray
    normal_local: np.ndarray
    medial_local: np.ndarray
    toe_forward_local: np.ndarray
    ankle_height_m: float
    length_m: float

    @property
    def width_m(self) -> float:
        return WIDTH_PER_LENGTH * self.length_m

    @property
    def axes_local(self) -> np.ndarray:
        """Right-handed sole axes ``[3, 3]`` in the ``Foot`` frame, as columns: toes, body-left, up."""
        return np.stack(
            [self.forward_local, np.cross(self.normal_local, self.forward_local), self.normal_local], axis=1
        )

    def plate_points_local(self, x_norm: np.ndarray, y_norm: np.ndarray) -> np.ndarray:
        """Points ``[N, 3]`` on the rigid sole plate at insole coordinates ``x_norm``, ``y_norm`` ``[N]``,
        in the ``Foot`` frame (X beyond the ball is held at the ball: the toes hinge there)."""
        return (
            -self.ankle_height_m * self.normal_local
            + (np.minimum(x_norm, X_BALL_NORM) - X_ANKLE_NORM)[:, None] * self.length_m * self.forward_local
            + np.asarray(y_norm)[:, None] * self.width_m * self.medial_local
        )


def _unit(vectors: np.ndarray) -> np.ndarray:
    return vectors / np.linalg.norm(vectors, axis=-1, keepdims=True)


def foot_joints(side: str) -> tuple[int, int]:
    """Indices of the ``Foot`` (ankle) and ``ToeBase`` (ball) joints of ``side`` ("left" or "right")."""
    if side not in ("left", "right"):
        raise ValueError(f"side must be 'left' or 'right', got {side!r}")
    foot, toe = ("LeftFoot", "LeftToeBase") if side == "left" else ("RightFoot", "RightToeBase")
    return skeleton.joint_index(foot), skeleton.joint_index(toe)


def calibration_frames(ankle_m: np.ndarray, fps: float) -> np.ndarray:
    """``[T]`` mask of frames where the foot stands still at its lowest (flat on the floor)."""
    speed = np.linalg.norm(time_derivative(ankle_m, fps, 1), axis=1)
    still = speed <= max(STILL_SPEED_MS, float(np.quantile(speed, 0.2)))
    height = ankle_m[:, 1]
    return still & (height <= height[still].min() + FLAT_ANKLE_TOLERANCE_M)


def stands_flat(
    standing_descent_rad: float, ankle_m: np.ndarray, ankle_to_ball_w: np.ndarray, frames: np.ndarray
) -> bool:
    """Whether a foot stands flat in its calibration ``frames`` (``[T]`` mask), rather than on tiptoes.

    ``standing_descent_rad``: how far the ankle→ball line descends below the horizontal there;
    ``ankle_m`` ``[T, 3]`` and ``ankle_to_ball_w`` ``[T, 3]`` (unit): the ankle and that line, per frame.
    Flat if the descent is one a rig can have with the foot flat (at most ``MAX_FLAT_DESCENT_RAD``), or,
    steeper still, if the foot rocks on its heel: at some frame it pitches at least ``HEEL_ROCKER_RAD``
    toes-up from its standing pitch while its ankle stays within ``HEEL_ROCKER_ANKLE_M`` of its standing
    height. A foot on tiptoes cannot do that: pitching toes-up about the ball lowers the ankle below its
    standing height (then the lowest, so flat, posture would have been calibrated), and a swinging foot
    is higher.
    """
    if standing_descent_rad <= MAX_FLAT_DESCENT_RAD:
        return True
    descent = np.arcsin(np.clip(-ankle_to_ball_w[:, 1], -1.0, 1.0))
    near_floor = ankle_m[:, 1] <= ankle_m[frames, 1].mean() + HEEL_ROCKER_ANKLE_M
    return bool(np.any(descent[near_floor] <= standing_descent_rad - HEEL_ROCKER_RAD))


def calibrate_sole(positions_m: np.ndarray, rotmats: np.ndarray, fps: float, side: str) -> SoleModel:
    """Fit one foot's sole model to a clip: global positions ``[T, 22, 3]``, rotations ``[T, 22, 3, 3]``."""
    foot, toe = foot_joints(side)
    knee = skeleton.PARENTS[foot]
    leg_m = sum(np.linalg.norm(positions_m[0, j] - positions_m[0, skeleton.PARENTS[j]]) for j in (foot, knee))
    length = FOOT_LENGTH_PER_LEG * float(leg_m)
    frames = calibration_frames(positions_m[:, foot], fps)
    up_local = _unit(np.einsum("tji,j->ti", rotmats[frames, foot], _UP).mean(axis=0))
    ball_local = rotmats[0, foot].T @ (positions_m[0, toe] - positions_m[0, foot])  # constant in the foot
    ankle_to_ball = _unit(ball_local)
    lateral = _unit(np.cross(ankle_to_ball, up_local))  # the body's right-hand side
    up_perpendicular = np.cross(lateral, ankle_to_ball)
    standing = float(np.arcsin(-ankle_to_ball @ up_local))
    if stands_flat(standing, positions_m[:, foot], rotmats[:, foot] @ ankle_to_ball, frames):
        descent = max(standing, MIN_DESCENT_RAD)
    else:
        descent = TIPTOE_DESCENT_RAD
    forward = np.cos(descent) * ankle_to_ball + np.sin(descent) * up_perpendicular
    normal = -np.sin(descent) * ankle_to_ball + np.cos(descent) * up_perpendicular
    # the toes lie on the floor in the calibration frames (also when those are on tiptoes)
    floor_forward = np.einsum("tij,j->ti", rotmats[frames, foot], forward) * [1.0, 0.0, 1.0]
    toe_forward = np.einsum("tji,tj->ti", rotmats[frames, toe], _unit(floor_forward))
    return SoleModel(
        side=side,
        forward_local=forward,
        normal_local=normal,
        medial_local=lateral if side == "left" else -lateral,
        toe_forward_local=_unit(toe_forward.mean(axis=0)),
        ankle_height_m=float(-(ball_local @ normal)) + BALL_CLEARANCE_PER_LENGTH * length,
        length_m=length,
    )


def cell_positions_m(positions_m: np.ndarray, rotmats: np.ndarray, sole: SoleModel) -> np.ndarray:
    """World position ``[T, 16, 3]`` of each insole cell's centroid on the sole of ``sole.side``."""
    foot, toe = foot_joints(sole.side)
    x, y = insole_layout.CELL_CENTROIDS_NORM.T
    plate_local = sole.plate_points_local(x, y)  # [16, 3]; toe cells at the ball, then pushed along the toes
    cells = positions_m[:, foot, None, :] + np.einsum("tij,cj->tci", rotmats[:, foot], plate_local)
    # the toes cannot point into the floor: the toe joint bends them flat as the heel rises, which
    # mocap toe rotations (nearly rigid in CMU) miss, so a downward toe direction is laid level
    toe_direction = rotmats[:, toe] @ sole.toe_forward_local  # [T, 3]
    toe_direction[:, 1] = np.maximum(toe_direction[:, 1], 0.0)
    toe_direction = _unit(toe_direction)
    along_toes = np.where(_TOE_CELLS, x - X_BALL_NORM, 0.0) * sole.length_m
    return cells + along_toes[None, :, None] * toe_direction[:, None, :]


def insole_x_norm(
    points_xz_m: np.ndarray, positions_m: np.ndarray, rotmats: np.ndarray, sole: SoleModel
) -> np.ndarray:
    """Normalised insole X ``[T]`` (heel end -0.5, toe end +0.5) of ground points ``[T, 2]`` (world x, z).

    The point is projected, horizontally, onto the line of the foot's rigid sole plate.
    """
    foot, _ = foot_joints(sole.side)
    under_ankle = positions_m[:, foot] - sole.ankle_height_m * (rotmats[:, foot] @ sole.normal_local)
    forward_xz = (rotmats[:, foot] @ sole.forward_local)[:, [0, 2]]  # shortened by the foot's pitch
    along_m = np.einsum("ti,ti->t", points_xz_m - under_ankle[:, [0, 2]], forward_xz)
    return X_ANKLE_NORM + along_m / (sole.length_m * np.einsum("ti,ti->t", forward_xz, forward_xz))


def rollover_cop_x_norm(positions_m: np.ndarray, rotmats: np.ndarray, sole: SoleModel) -> np.ndarray:
    """Normalised insole X ``[T]`` of the centre of pressure a walking foot's roll-over shape puts there.

    Why: from heel contact to opposite heel contact the centre of pressure, seen from the shank,
    traces a nearly circular arc (the ankle-foot "roll-over shape", Hansen & Childress) of radius
    ≈ 20 % of stature, the same across speeds, loads and shoes. An arc rolling on the floor touches it
    straight below its centre, a point fixed to the shank; it needs only the shank's tilt, which motion
    capture gives cleanly (the zero-moment point does not: on CMU 07_01 it scatters by a foot length
    from frame to frame). The published radius puts the centre ≈ 0.65 of the way from ankle to knee
    (radius 0.2 stature, less the ankle's 0.04, over the shank's 0.25). On six CMU/DAZ walks that
    runs ≈ 0.1 ahead of the real OpenGo walks at 30–60 % of stance and leaves the heel 35 % of the
    pressure impulse (real 45–55 %). The circle holds only until the heel lifts (the forefoot rocker
    takes over, :func:`~step2motion.simulation.plantar_pressure.cop_target_x_norm`); with that,
    ``ROLLOVER_CENTRE_ALONG_SHANK`` = 0.35 gives, on 12 corpus walks (median), CoP X -0.38, -0.22,
    -0.09, +0.03, +0.27 at 0, 20, 40, 60, 80 % of stance (real -0.34…-0.35, -0.20…-0.22, -0.02…-0.10,
    +0.07…+0.10, +0.27…+0.28) and a heel impulse share of 0.47 (real 0.50). It also sets quiet
    standing, where the CMU shank leans 16–20° forward: CoP X -0.07, heel 60 % and toes 11 % of the
    foot's load on CMU 29_07 (the real exports' quiet stance: -0.06…-0.11, 52–65 %, 9–15 %); 0.3
    would move walking's 40–60 % back to -0.12, -0.01 and 0.4 standing's heel down to 55 %.
    """
    foot, _ = foot_joints(sole.side)
    knee = skeleton.PARENTS[foot]
    centre = positions_m[:, foot] + ROLLOVER_CENTRE_ALONG_SHANK * (
        positions_m[:, knee] - positions_m[:, foot]
    )
    return insole_x_norm(centre[:, [0, 2]], positions_m, rotmats, sole)


def lowest_cell(cells_m: np.ndarray, fps: float) -> tuple[np.ndarray, np.ndarray]:
    """Height ``[T]`` (world y, m) and speed ``[T]`` (m/s) of each frame's lowest cell of one foot."""
    lowest = np.argmin(cells_m[..., 1], axis=1)
    frames = np.arange(len(lowest))
    speed = np.linalg.norm(time_derivative(cells_m, fps, 1)[frames, lowest], axis=-1)
    return cells_m[frames, lowest, 1], speed


def floor_heights_m(
    lowest_m: dict[str, np.ndarray], speed_ms: dict[str, np.ndarray], fps: float
) -> dict[str, np.ndarray]:
    """Floor height ``[T]`` under each foot, from its lowest cell's height and speed (``[T]`` per side).

    The common floor is a low percentile, over a one-second window, of the lower foot's lowest cell:
    it follows a tilted or drifting mocap floor while ignoring swing phases and single frames of
    marker noise; smoothing removes the window's steps. Each foot then stands at its own level above
    it, the median over its slow frames (at most ``MAX_FOOT_FLOOR_OFFSET_M`` higher), because marker
    placement differs between feet (CMU 07_01: the left sole stands 2–3 cm above the right one).
    """
    window = max(1, round(FLOOR_WINDOW_S * fps))
    lower = np.minimum.reduce(list(lowest_m.values()))
    common = percentile_filter(lower, FLOOR_PERCENTILE, size=window, mode="reflect")
    common = gaussian_filter1d(common, FLOOR_SMOOTH_S * fps, mode="nearest")
    floors = {}
    for side, lowest in lowest_m.items():
        slow = speed_ms[side] < SLOW_SPEED_MS
        offset = float(np.median(lowest[slow] - common[slow])) if slow.any() else 0.0
        floors[side] = common + np.clip(offset, 0.0, MAX_FOOT_FLOOR_OFFSET_M)
    return floors


def _falling_ramp(values: np.ndarray, full: float, none: float) -> np.ndarray:
    """1 up to ``full``, 0 from ``none`` on, a smoothstep between."""
    t = np.clip((values - full) / (none - full), 0.0, 1.0)
    return 1.0 - t * t * (3.0 - 2.0 * t)


def contact_weight(height_m: np.ndarray, speed_ms: np.ndarray) -> np.ndarray:
    """``[T]`` in [0, 1]: how surely a foot stands on the floor, from its lowest cell (``[T]`` each).

    Near the floor and slow: a swing foot skimming the floor is too fast, a raised foot too high.
    """
    return _falling_ramp(height_m, *CONTACT_HEIGHT_M) * _falling_ramp(speed_ms, *CONTACT_SPEED_MS)
