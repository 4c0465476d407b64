"""Synthetic motions on the canonical skeleton with known contacts, for simulator tests.

Each builder returns a :class:`~step2motion.motion.Motion` (metres, Y up, walking toward +Z, floor at
y = 0) whose feet do something known: stand flat, walk with heel strike → foot flat → heel rise → swing,
stand on tiptoes, or hold one foot high. Legs stay in their sagittal planes, so every leg joint rotates
about X only and the poses come from an exact two-bone inverse kinematics; the rest of the body keeps
its rest pose, so the centre of mass moves only with the pelvis and the legs.

Foot geometry (rest pose, foot flat): ankle 7 cm above the floor, ball (``ToeBase``) 13 cm ahead and
2.5 cm high, toe tip 5.5 cm further; the sole under the heel lies 5 cm behind the ankle.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
from scipy.spatial.transform import Rotation

from step2motion import skeleton
from step2motion.motion import Motion

FPS_HZ = 100.0
HIP_HALF_WIDTH_M = 0.09
HIP_DROP_M = 0.05
THIGH_M = 0.42
SHANK_M = 0.42
ANKLE_HEIGHT_M = 0.07
#: Sole points relative to the ankle in the foot frame (foot flat): under the heel and under the ball.
HEEL_SOLE_FROM_ANKLE_M = np.array([0.0, -ANKLE_HEIGHT_M, -0.05])
BALL_SOLE_FROM_ANKLE_M = np.array([0.0, -ANKLE_HEIGHT_M, 0.13])

_REST_OFFSETS_M: dict[str, tuple[float, float, float]] = {
    "Hips": (0.0, 0.0, 0.0),
    "LeftUpLeg": (HIP_HALF_WIDTH_M, -HIP_DROP_M, 0.0), "RightUpLeg": (-HIP_HALF_WIDTH_M, -HIP_DROP_M, 0.0),
    "LeftLeg": (0.0, -THIGH_M, 0.0), "RightLeg": (0.0, -THIGH_M, 0.0),
    "LeftFoot": (0.0, -SHANK_M, 0.0), "RightFoot": (0.0, -SHANK_M, 0.0),
    "LeftToeBase": (0.0, -0.045, 0.13), "RightToeBase": (0.0, -0.045, 0.13),
    "Spine": (0.0, 0.10, 0.0), "Spine1": (0.0, 0.12, 0.0), "Spine2": (0.0, 0.12, 0.0),
    "Neck": (0.0, 0.15, 0.0), "Head": (0.0, 0.10, 0.0),
    "LeftShoulder": (0.04, 0.10, 0.0), "RightShoulder": (-0.04, 0.10, 0.0),
    "LeftArm": (0.14, 0.0, 0.0), "RightArm": (-0.14, 0.0, 0.0),
    "LeftForeArm": (0.28, 0.0, 0.0), "RightForeArm": (-0.28, 0.0, 0.0),
    "LeftHand": (0.25, 0.0, 0.0), "RightHand": (-0.25, 0.0, 0.0),
}  # fmt: skip
_TOE_TIP_M = np.array([0.0, -0.015, 0.055])
_LEG_JOINTS = {side: skeleton.BODY_PARTS[f"{side}_leg"] for side in ("left", "right")}


@dataclass
class FootTrack:
    """Where one foot is, per frame: ankle ``[T, 3]`` (m), foot and toe pitch ``[T]`` (rad, toes up +)."""

    ankle_m: np.ndarray
    foot_pitch_rad: np.ndarray
    toe_pitch_rad: np.ndarray


def rest_offsets_m() -> np.ndarray:
    """``[22, 3]`` rest offsets of the fixture skeleton (arms out in a T-pose)."""
    return np.array([_REST_OFFSETS_M[name] for name in skeleton.JOINT_NAMES])


def _rot_x(angle_rad: np.ndarray) -> np.ndarray:
    """``[..., 3, 3]`` rotations about X."""
    c, s = np.cos(angle_rad), np.sin(angle_rad)
    zero, one = np.zeros_like(c), np.ones_like(c)
    return np.stack(
        [np.stack([one, zero, zero], -1), np.stack([zero, c, -s], -1), np.stack([zero, s, c], -1)], -2
    )


def _quat_x(angle_rad: np.ndarray) -> np.ndarray:
    """``[..., 4]`` quaternions ``[w, x, y, z]`` of rotations about X."""
    half = 0.5 * np.asarray(angle_rad)
    zero = np.zeros_like(half)
    return np.stack([np.cos(half), np.sin(half), zero, zero], axis=-1)


def foot_on_pivot(pivot_m: np.ndarray, pivot_from_ankle_m: np.ndarray, pitch_rad: np.ndarray) -> np.ndarray:
    """Ankle ``[T, 3]`` of a foot pitched by ``pitch_rad`` ``[T]`` about a sole point resting at ``pivot_m``.

    The global foot rotation is a rotation about X by ``-pitch`` (toes up for positive pitch).
    """
    return pivot_m - _rot_x(-pitch_rad) @ pivot_from_ankle_m


def _sagittal_angle(vector_m: np.ndarray) -> np.ndarray:
    """Angle (rad) of ``[T, 3]`` vectors from straight down, positive toward +Z."""
    return np.arctan2(vector_m[:, 2], -vector_m[:, 1])


def assemble_motion(root_m: np.ndarray, feet: dict[str, FootTrack], fps: float = FPS_HZ) -> Motion:
    """A motion whose pelvis follows ``root_m`` ``[T, 3]`` and whose feet follow ``feet`` (two-bone IK).

    Each foot's ankle must lie in its hip's sagittal plane (same X as the hip) and within reach.
    """
    n_frames = root_m.shape[0]
    rotations = np.tile([1.0, 0.0, 0.0, 0.0], (n_frames, skeleton.N_JOINTS, 1))
    offsets = rest_offsets_m()
    for side, track in feet.items():
        up_leg, leg, foot, toe = (skeleton.joint_index(name) for name in _LEG_JOINTS[side])
        hip = root_m + offsets[up_leg]
        to_ankle = track.ankle_m - hip
        reach = np.minimum(np.linalg.norm(to_ankle, axis=1), 0.999 * (THIGH_M + SHANK_M))
        bend = np.arccos((THIGH_M**2 + reach**2 - SHANK_M**2) / (2 * THIGH_M * reach))
        thigh = _sagittal_angle(to_ankle) + bend  # knee forward of the hip-ankle line
        knee = hip + THIGH_M * np.stack([np.zeros(n_frames), -np.cos(thigh), np.sin(thigh)], axis=1)
        shank = _sagittal_angle(track.ankle_m - knee)
        # a global rotation about X by -angle turns "down" toward +Z by angle; local = parent⁻¹ · global
        rotations[:, up_leg] = _quat_x(-thigh)
        rotations[:, leg] = _quat_x(thigh - shank)
        rotations[:, foot] = _quat_x(shank - track.foot_pitch_rad)
        rotations[:, toe] = _quat_x(track.foot_pitch_rad - track.toe_pitch_rad)
    end_sites = {parent: _TOE_TIP_M.copy() for parent in skeleton.TOE_TIP_PARENTS.values()}
    return Motion(rotations, root_m, offsets, fps, end_sites, source="synthetic fixture")


def _still_foot(side: str, pitch_rad: np.ndarray, pivot: str) -> FootTrack:
    """A foot on the floor under its hip, pitched by ``pitch_rad`` ``[T]`` about the heel or the ball.

    Pivoting about the ball, the toes stay flat on the floor.
    """
    x = HIP_HALF_WIDTH_M if side == "left" else -HIP_HALF_WIDTH_M
    offset = HEEL_SOLE_FROM_ANKLE_M if pivot == "heel" else BALL_SOLE_FROM_ANKLE_M
    pivot_m = np.tile([x, 0.0, offset[2]], (len(pitch_rad), 1))
    ankle = foot_on_pivot(pivot_m, offset, pitch_rad)
    toe_pitch = np.zeros_like(pitch_rad) if pivot == "ball" else pitch_rad
    return FootTrack(ankle, pitch_rad, toe_pitch)


def _standing_root(ankle_height_m: np.ndarray) -> np.ndarray:
    """Pelvis ``[T, 3]`` above ankles at heights ``[T]``, with nearly straight knees."""
    height = ankle_height_m + 0.97 * (THIGH_M + SHANK_M) + HIP_DROP_M
    return np.stack([np.zeros_like(height), height, np.zeros_like(height)], axis=1)


def standing_motion(seconds: float = 1.0, fps: float = FPS_HZ) -> Motion:
    """Quiet standing, both feet flat and still."""
    flat = np.zeros(round(seconds * fps))
    feet = {side: _still_foot(side, flat, "heel") for side in ("left", "right")}
    return assemble_motion(_standing_root(flat + ANKLE_HEIGHT_M), feet, fps)


def tiptoe_motion(
    seconds: float = 1.0, heel_raise_deg: float = 35.0, flat_s: float = 0.0, fps: float = FPS_HZ
) -> Motion:
    """Standing on tiptoes: both heels raised by ``heel_raise_deg`` about the balls, toes flat.

    With ``flat_s`` > 0 the clip first stands flat for that long, then rises over 0.2 s.
    """
    time_s = np.arange(round(seconds * fps)) / fps
    rise = np.clip((time_s - flat_s) / 0.2, 0.0, 1.0) if flat_s > 0 else np.ones_like(time_s)
    pitch = -np.radians(heel_raise_deg) * rise * rise * (3.0 - 2.0 * rise)
    feet = {side: _still_foot(side, pitch, "ball") for side in ("left", "right")}
    return assemble_motion(_standing_root(feet["left"].ankle_m[:, 1]), feet, fps)


def lifted_foot_motion(
    seconds: float = 1.0, lifted_side: str = "right", lift_m: float = 0.3, fps: float = FPS_HZ
) -> Motion:
    """Standing on one flat foot while the other is held ``lift_m`` above the floor, knee raised."""
    n = round(seconds * fps)
    stance_side = "left" if lifted_side == "right" else "right"
    feet = {stance_side: _still_foot(stance_side, np.zeros(n), "heel")}
    x = HIP_HALF_WIDTH_M if lifted_side == "left" else -HIP_HALF_WIDTH_M
    ankle = np.tile([x, ANKLE_HEIGHT_M + lift_m, 0.15], (n, 1))
    feet[lifted_side] = FootTrack(ankle, np.zeros(n), np.zeros(n))
    return assemble_motion(_standing_root(np.full(n, ANKLE_HEIGHT_M)), feet, fps)


@dataclass(frozen=True)
class Gait:
    """Timing and size of the synthetic walk, as fractions of the gait cycle (per foot)."""

    cycle_s: float = 1.1
    stride_m: float = 1.2
    heel_rocker_end: float = 0.08  # heel strike → foot flat
    heel_rise_start: float = 0.35  # foot flat → heel rise (pivot on the ball)
    toe_off: float = 0.60  # stance ends, swing starts
    heel_strike_pitch_deg: float = 15.0
    toe_off_pitch_deg: float = -35.0
    swing_lift_m: float = 0.08
    pelvis_bob_m: float = 0.02
    pelvis_surge_m: float = 0.015
    pelvis_height_m: float = 0.86


def _walking_foot(side: str, time_s: np.ndarray, gait: Gait) -> FootTrack:
    """Heel rocker → foot flat → heel rise on the ball → swing to the next heel strike."""
    cycles = time_s / gait.cycle_s - (0.0 if side == "left" else 0.5)
    k, u = np.floor(cycles), cycles - np.floor(cycles)
    x = HIP_HALF_WIDTH_M if side == "left" else -HIP_HALF_WIDTH_M
    heel_z = (k + (0.0 if side == "left" else 0.5)) * gait.stride_m  # heel sole point of this stance
    hs, to = np.radians(gait.heel_strike_pitch_deg), np.radians(gait.toe_off_pitch_deg)

    def on_pivot(pivot_z: np.ndarray, offset: np.ndarray, pitch: np.ndarray) -> np.ndarray:
        pivot = np.stack([np.full_like(pivot_z, x), np.zeros_like(pivot_z), pivot_z], axis=1)
        return foot_on_pivot(pivot, offset, pitch)

    ball_shift = BALL_SOLE_FROM_ANKLE_M[2] - HEEL_SOLE_FROM_ANKLE_M[2]
    rocker = np.clip(u / gait.heel_rocker_end, 0.0, 1.0)
    rise = np.clip((u - gait.heel_rise_start) / (gait.toe_off - gait.heel_rise_start), 0.0, 1.0)
    pitch = np.where(u < gait.heel_rise_start, hs * (1.0 - rocker), to * rise)
    ankle = np.where(
        (u < gait.heel_rise_start)[:, None],
        on_pivot(heel_z, HEEL_SOLE_FROM_ANKLE_M, pitch),
        on_pivot(heel_z + ball_shift, BALL_SOLE_FROM_ANKLE_M, pitch),
    )
    toe_pitch = np.where(u < gait.heel_rise_start, pitch, 0.0)

    swing = u >= gait.toe_off
    w = np.clip((u - gait.toe_off) / (1.0 - gait.toe_off), 0.0, 1.0)
    blend = 0.5 - 0.5 * np.cos(np.pi * w)
    start = on_pivot(heel_z + ball_shift, BALL_SOLE_FROM_ANKLE_M, np.full_like(u, to))
    end = on_pivot(heel_z + gait.stride_m, HEEL_SOLE_FROM_ANKLE_M, np.full_like(u, hs))
    swing_ankle = start + blend[:, None] * (end - start)
    swing_ankle[:, 1] += gait.swing_lift_m * np.sin(np.pi * w)
    ankle = np.where(swing[:, None], swing_ankle, ankle)
    pitch = np.where(swing, to + blend * (hs - to), pitch)
    toe_pitch = np.where(swing, pitch * np.clip(2.0 * w, 0.0, 1.0), toe_pitch)
    return FootTrack(ankle, pitch, toe_pitch)


def walking_motion(n_cycles: int = 3, gait: Gait | None = None, fps: float = FPS_HZ) -> Motion:
    """Straight walking along +Z at constant mean speed, starting at a left heel strike.

    Double support lasts from each heel strike to the other foot's toe off (10 % of the cycle with the
    default timing); the pelvis bobs, highest at mid single support, so the vertical force shows the
    double hump.
    """
    gait = gait or Gait()
    time_s = np.arange(round(n_cycles * gait.cycle_s * fps)) / fps
    speed = gait.stride_m / gait.cycle_s
    mid_single_support_s = 0.5 * gait.toe_off * gait.cycle_s  # left single support: toe_off - 0.5 .. 0.5
    flat_ankle_z = -HEEL_SOLE_FROM_ANKLE_M[2]
    # the pelvis speeds up in late single support and slows after heel strike (fastest in double
    # support), so the zero-moment point sweeps from the trailing to the leading foot
    double_support_mid_s = 0.5 * (gait.toe_off - 0.5) * gait.cycle_s
    surge = gait.pelvis_surge_m * np.sin(4.0 * np.pi * (time_s - double_support_mid_s) / gait.cycle_s)
    root_z = flat_ankle_z + speed * (time_s - mid_single_support_s) + surge
    bob = gait.pelvis_bob_m * np.cos(4.0 * np.pi * (time_s - mid_single_support_s) / gait.cycle_s)
    root = np.stack([np.zeros_like(time_s), gait.pelvis_height_m + bob, root_z], axis=1)
    feet = {side: _walking_foot(side, time_s, gait) for side in ("left", "right")}
    return assemble_motion(root, feet, fps)


def with_rest_pose_blend(motion: Motion, n_frames: int = 4) -> Motion:
    """``motion`` preceded by ``n_frames`` that blend in from the rest pose, as the DAZ releases of CMU do.

    Frame ``i`` of the blend is the rest pose (all local rotations identity, arms out) rotated a fraction
    ``i / n_frames`` of the way toward the motion's first pose, with the first frame's root position.
    """
    first = Rotation.from_quat(motion.local_rotations[0], scalar_first=True)  # [22]
    fractions = np.arange(n_frames) / n_frames
    blend = np.stack(
        [Rotation.from_rotvec(f * first.as_rotvec()).as_quat(scalar_first=True) for f in fractions]
    )
    return dataclasses.replace(
        motion,
        local_rotations=np.concatenate([blend, motion.local_rotations]),
        root_position_m=np.concatenate(
            [np.repeat(motion.root_position_m[:1], n_frames, 0), motion.root_position_m]
        ),
    )
