"""Foot contacts from the insoles' pressure, pelvis height from the predicted pose, and planted feet that
do not slide.

**Contacts** come from the recording, not from the motion: a foot is planted while its total force says
stance (:func:`step2motion.gait_events.detect_stance`, threshold 0.10 body weight). An output frame takes
the stance of the nearest insole sample.

**Pelvis height**: the pose network predicts root-relative joints; the floor is where the toe joints
(``*ToeBase``) of planted feet are (the same floor as the training target, :mod:`~step2motion.dataset.
pose_features`). So the pelvis is as high above the floor as the lowest planted toe joint is below it.
Frames without a planted foot (flight, or no force) hold the last height; frames before the first
contact use the lower toe joint of either foot.

**No sliding** (:class:`FootPinner`): the pinned point is the toe joint (ball of the foot), which stays
still from heel strike through push-off while the ankle rolls over it. At the first stance frame its
horizontal position becomes the anchor (or where the caller says the foot lands, when it knows better:
streaming places footprints by the feet's odometry); on every later stance frame the foot is translated
back onto it (the toe keeps its predicted height) and the leg is re-solved with two-bone inverse kinematics
(hip → knee → ankle, knee bending toward where the prediction bent it, leaning toward the pelvis' front by
:data:`KNEE_FORWARD_BIAS_M`, bone lengths unchanged, the foot keeping its orientation). After toe-off the
remaining correction fades out over :data:`RELEASE_S`.
When a planted foot would be out of the leg's reach, the whole body is moved toward it: horizontally
for good (the root stays held back, so the trajectory remains continuous), vertically (pelvis lowered)
for that frame only. Everything is causal (a frame depends on earlier frames only), so offline and
streaming reconstruction share it; the pinner keeps its state between calls.

**Where the root is measured** (the caller gives ``landing_m``, the feet's odometry: the root is placed on
its pelvis path, and each toe's landing place is known on every frame): holding the body back for good
would undo the measurement, so the reach shift relaxes back (:data:`MEASURED_ROOT_RELAX_S`); and a
swinging foot is drawn toward its measured place as it goes (:data:`SWING_FOLLOW_S`, at most
:data:`MAX_FOLLOW_M_S` faster than the pose), so that it lands where its stance is anchored instead of
jumping there at heel strike.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from pymotion.rotations import quat_np as quat

from step2motion import skeleton
from step2motion.motion import forward_kinematics
from step2motion.reconstruction.skeleton_fit import shortest_arc
from step2motion.recording import SIDES

#: After toe-off, a planted foot's correction fades out over this time.
RELEASE_S = 0.1
#: Where the root is measured (``landing_m`` given), the body's reach shift relaxes back with this time
#: constant, s, instead of holding for good ...
MEASURED_ROOT_RELAX_S = 1.0
#: ... and a swinging foot follows its measured place with this time constant, s, ...
SWING_FOLLOW_S = 0.05
#: ... at most this much faster than the pose moves it, m/s (the measurement can step when it begins).
MAX_FOLLOW_M_S = 2.0
#: Largest hip-ankle distance used, as a fraction of thigh + shin (a fully straight knee is singular).
REACH_FRACTION = 0.995
#: Passes of the reach fix per frame (two feet pulling in different directions converge in a few).
REACH_PASSES = 4
#: The knee bends toward the predicted knee's offset from the hip-ankle line plus this much toward the
#: pelvis' front, m: a nearly straight predicted leg gives its knee no reliable direction (it swung from
#: frame to frame, popping the knee out sideways as the IK bent it), and knees bend forward.
KNEE_FORWARD_BIAS_M = 0.1

_LEGS = {side: skeleton.joint_indices(skeleton.BODY_PARTS[f"{side}_leg"]) for side in SIDES}
_POSE_TOES = [skeleton.POSE_JOINT_NAMES.index(f"{side.capitalize()}ToeBase") for side in SIDES]
_EPS_M = 1e-9


def pelvis_height_m(
    poses_m: np.ndarray, stance: np.ndarray, last_height_m: float | None = None
) -> np.ndarray:
    """``[T]`` pelvis height above the floor from root-relative poses ``[T, 21, 3]`` and stance ``[T, 2]``
    (module docstring); ``last_height_m`` continues an earlier call's last frame."""
    toe_y = poses_m[:, _POSE_TOES, 1]
    planted = np.where(stance, toe_y, np.inf).min(axis=1)
    measured = np.isfinite(planted)
    latest = np.maximum.accumulate(np.where(measured, np.arange(planted.size), -1))
    before_first = -toe_y.min(axis=1) if last_height_m is None else np.full(planted.size, last_height_m)
    return np.where(latest >= 0, -planted[np.maximum(latest, 0)], before_first)


@dataclass
class _FootState:
    """A foot's anchor while planted, and the correction fading out after toe-off."""

    anchor_xz: np.ndarray | None = None
    release_xz: np.ndarray = field(default_factory=lambda: np.zeros(2))
    release_frames_left: int = 0

    def give_way(self, move_xz: np.ndarray) -> None:
        """The planted foot could not be held: it moves by ``-move_xz`` and is held there from now on."""
        if self.anchor_xz is not None:
            self.anchor_xz = self.anchor_xz - move_xz
        self.release_xz = self.release_xz - move_xz


class FootPinner:
    """Keeps planted feet still (module docstring); call it on consecutive chunks of one motion."""

    def __init__(self, offsets_m: np.ndarray, fps: float) -> None:
        self.offsets_m = offsets_m
        self.release_frames = max(1, round(RELEASE_S * fps))
        self._relax = float(np.exp(-1.0 / (MEASURED_ROOT_RELAX_S * fps)))
        self._follow = float(1.0 - np.exp(-1.0 / (SWING_FOLLOW_S * fps)))
        self._max_follow_m = MAX_FOLLOW_M_S / fps
        self.root_shift_xz = np.zeros(2)
        self._feet = {side: _FootState() for side in SIDES}
        self._reach_m = leg_reach_m(offsets_m)
        self._hips = [_LEGS[side][0] for side in SIDES]

    def __call__(
        self,
        local_rotations: np.ndarray,
        root_position_m: np.ndarray,
        stance: np.ndarray,
        landing_m: np.ndarray | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Pinned copies of local rotations ``[T, 22, 4]`` and root positions ``[T, 3]`` given the stance
        ``[T, 2]`` (left, right) of the same frames; ``landing_m`` ``[T, 2, 3]``, where given (not
        ``NaN``), is where each toe joint lands when its stance begins on that frame (same frame as the
        root positions; only x and z are read)."""
        positions, _ = forward_kinematics(local_rotations, root_position_m, self.offsets_m)
        if landing_m is None:
            landing_m = np.full((positions.shape[0], len(SIDES), 3), np.nan)
        shift, ankle_targets = self._shifts_and_targets(positions, stance, landing_m)
        root = root_position_m + shift
        return solve_legs(local_rotations, root, self.offsets_m, ankle_targets), root

    def _shifts_and_targets(
        self, positions: np.ndarray, stance: np.ndarray, landing_m: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Per frame, the body's translation ``[T, 3]`` and each foot's ankle target ``[T, 2, 3]`` (NaN:
        foot left alone), frame after frame (the anchors and the held-back root carry over)."""
        n_frames = positions.shape[0]
        shift = np.zeros((n_frames, 3))
        targets = np.full((n_frames, len(SIDES), 3), np.nan)
        for t in range(n_frames):
            offset = np.array([self.root_shift_xz[0], 0.0, self.root_shift_xz[1]])
            for index, side in enumerate(SIDES):
                toe = positions[t, _LEGS[side][3]] + offset
                correction = self._correction_xz(side, toe, stance[t, index], landing_m[t, index] + offset)
                if correction is not None:
                    ankle = positions[t, _LEGS[side][2]] + offset
                    targets[t, index] = ankle + np.array([correction[0], 0.0, correction[1]])
            # the body moves horizontally for good, vertically (index 1) for this frame only
            hips = positions[t, self._hips]
            offset += reach_shift((hips + offset)[None], targets[t][None], self._reach_m)[0]
            # still out of reach (feet further apart than the legs allow): the foot gives way
            excess = reach_excess(hips + offset, targets[t], self._reach_m)
            for index in np.flatnonzero(np.any(excess != 0.0, axis=-1)):
                targets[t, index] -= excess[index]
                self._feet[SIDES[index]].give_way(excess[index, [0, 2]])
            measured = np.isfinite(landing_m[t]).any()
            self.root_shift_xz = offset[[0, 2]] * (self._relax if measured else 1.0)
            shift[t] = offset
        return shift, targets

    def _correction_xz(
        self, side: str, toe_m: np.ndarray, planted: bool, landing_m: np.ndarray
    ) -> np.ndarray | None:
        """Horizontal move of a foot whose toe joint is at ``toe_m`` this frame (``landing_m``: where the
        foot is measured to be, ``NaN`` where it is not); None when free."""
        state = self._feet[side]
        toe_xz, measured = toe_m[[0, 2]], bool(np.isfinite(landing_m).all())
        if planted:
            if state.anchor_xz is None:
                drawn = self._drawn(state, toe_xz, landing_m[[0, 2]]) if measured else 0.0
                state.anchor_xz = toe_xz + drawn
            state.release_xz = state.anchor_xz - toe_xz
            state.release_frames_left = self.release_frames
            return state.release_xz
        state.anchor_xz = None
        if measured:  # swinging toward where the foot is measured to be
            state.release_xz = self._drawn(state, toe_xz, landing_m[[0, 2]])
            state.release_frames_left = self.release_frames
            return state.release_xz
        if state.release_frames_left == 0:
            return None
        state.release_frames_left -= 1
        return state.release_xz * (state.release_frames_left / self.release_frames)

    def _drawn(self, state: _FootState, toe_xz: np.ndarray, landing_xz: np.ndarray) -> np.ndarray:
        """The foot's correction (as applied on the last frame) moved toward its measured place
        ``landing_xz`` (:data:`SWING_FOLLOW_S`), by at most :data:`MAX_FOLLOW_M_S` over the frame."""
        current = state.release_xz * (state.release_frames_left / self.release_frames)
        step = self._follow * (landing_xz - toe_xz - current)
        length = float(np.linalg.norm(step))
        return current + (step if length <= self._max_follow_m else step * (self._max_follow_m / length))


def leg_reach_m(offsets_m: np.ndarray) -> np.ndarray:
    """``[2]`` (left, right) the farthest hip-ankle distance used: :data:`REACH_FRACTION` of thigh + shin."""
    return np.array(
        [REACH_FRACTION * sum(np.linalg.norm(offsets_m[j]) for j in _LEGS[side][1:3]) for side in SIDES]
    )


def reach_excess(hips_m: np.ndarray, ankles_m: np.ndarray, reach_m: np.ndarray) -> np.ndarray:
    """``[..., 2, 3]`` per foot, the move that would bring the hip ``[..., 2, 3]`` within ``reach_m`` ``[2]``
    of its ankle target ``[..., 2, 3]`` (0 where within reach or without target, ``NaN``)."""
    to_target = ankles_m - hips_m
    distance = np.linalg.norm(to_target, axis=-1)
    with np.errstate(invalid="ignore"):
        over = np.isfinite(distance) & (distance > reach_m)
    safe = np.where(over, distance, 1.0)
    return np.where(over[..., None], ((safe - reach_m) / safe)[..., None] * to_target, 0.0)


def reach_shift(hips_m: np.ndarray, ankles_m: np.ndarray, reach_m: np.ndarray) -> np.ndarray:
    """``[n, 3]`` per frame, the body's move toward ankle targets ``[n, 2, 3]`` (NaN: none) out of reach
    ``reach_m`` ``[2]`` from the hips ``[n, 2, 3]``: the mean of the feet's excess, :data:`REACH_PASSES`
    passes at most (two feet pulling different ways converge in a few; module docstring)."""
    shift = np.zeros((len(hips_m), 3))
    for _ in range(REACH_PASSES):
        excess = reach_excess(hips_m + shift[:, None], ankles_m, reach_m)
        pulling = np.any(excess != 0.0, axis=-1).sum(axis=1)
        if not pulling.any():
            break
        shift += excess.sum(axis=1) / np.maximum(pulling, 1)[:, None]
    return shift


def solve_legs(
    local_rotations: np.ndarray,
    root_m: np.ndarray,
    offsets_m: np.ndarray,
    ankle_targets_m: np.ndarray,
    foot_rotations: np.ndarray | None = None,
) -> np.ndarray:
    """:func:`solve_leg` for both legs: local rotations ``[T, 22, 4]`` with each ankle on its target of
    ``[T, 2, 3]`` (left, right; NaN: that leg left as it is), feet keeping their orientation or taking
    ``foot_rotations`` ``[T, 2, 4]``."""
    rotations = local_rotations.copy()
    for index, side in enumerate(SIDES):
        frames = np.flatnonzero(np.isfinite(ankle_targets_m[:, index, 0]))
        if frames.size:
            foot = None if foot_rotations is None else foot_rotations[frames, index]
            rotations[frames] = solve_leg(
                rotations[frames], root_m[frames], offsets_m, ankle_targets_m[frames, index], side, foot
            )
    return rotations


def solve_leg(
    local_rotations: np.ndarray,
    root_m: np.ndarray,
    offsets_m: np.ndarray,
    ankle_target_m: np.ndarray,
    side: str,
    foot_rotation: np.ndarray | None = None,
) -> np.ndarray:
    """Two-bone IK of one leg on ``[n]`` frames: new local rotations ``[n, 22, 4]`` putting the ankle on
    its target ``[n, 3]`` (within reach; the knee bends toward where it was bent, leaning forward: module
    docstring), the foot keeping its global orientation or, when given, taking ``foot_rotation`` ``[n, 4]``
    (global, ``[w, x, y, z]``)."""
    hip_j, knee_j, ankle_j, _ = _LEGS[side]
    thigh_m, shin_m = np.linalg.norm(offsets_m[knee_j]), np.linalg.norm(offsets_m[ankle_j])
    positions, rotmats = forward_kinematics(local_rotations, root_m, offsets_m)
    global_q = quat.from_matrix(rotmats[:, [skeleton.PARENTS[hip_j], hip_j, knee_j, ankle_j]])
    if foot_rotation is not None:
        global_q[:, 3] = foot_rotation
    hip, knee, ankle = positions[:, hip_j], positions[:, knee_j], positions[:, ankle_j]
    to_target = ankle_target_m - hip
    axis = to_target / np.maximum(np.linalg.norm(to_target, axis=-1, keepdims=True), _EPS_M)
    distance = np.clip(
        np.linalg.norm(to_target, axis=-1),
        abs(thigh_m - shin_m) + 1e-6,
        REACH_FRACTION * (thigh_m + shin_m),
    )
    bend = (knee - hip) - np.sum((knee - hip) * axis, axis=-1, keepdims=True) * axis
    forward = quat.mul_vec(global_q[:, 0], np.broadcast_to([0.0, 0.0, 1.0], bend.shape))
    forward = forward - np.sum(forward * axis, axis=-1, keepdims=True) * axis
    bend = bend + KNEE_FORWARD_BIAS_M * forward / np.maximum(
        np.linalg.norm(forward, axis=-1, keepdims=True), _EPS_M
    )
    bend /= np.maximum(np.linalg.norm(bend, axis=-1, keepdims=True), _EPS_M)
    along_m = (thigh_m**2 - shin_m**2 + distance**2) / (2.0 * distance)
    across_m = np.sqrt(np.maximum(thigh_m**2 - along_m**2, 0.0))
    new_knee = hip + along_m[:, None] * axis + across_m[:, None] * bend
    new_ankle = hip + distance[:, None] * axis
    turn_thigh = shortest_arc(knee - hip, new_knee - hip)
    thigh_q = quat.mul(turn_thigh, global_q[:, 1])
    turn_shin = shortest_arc(quat.mul_vec(turn_thigh, ankle - knee), new_ankle - new_knee)
    shin_q = quat.mul(turn_shin, quat.mul(turn_thigh, global_q[:, 2]))
    out = local_rotations.copy()
    out[:, hip_j] = quat.normalize(quat.mul(quat.inverse(global_q[:, 0]), thigh_q))
    out[:, knee_j] = quat.normalize(quat.mul(quat.inverse(thigh_q), shin_q))
    out[:, ankle_j] = quat.normalize(quat.mul(quat.inverse(shin_q), global_q[:, 3]))
    return out
