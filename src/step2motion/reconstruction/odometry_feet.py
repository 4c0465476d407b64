"""Feet that obey the insoles' odometry: planted where and when each foot lies still, swinging along its
measured path, never under the floor, and the body following them (offline, ``root="odometry"``).

Why: the pose network's strides are too short and its feet land where its own root put them. Each
insole's odometry (:mod:`step2motion.odometry`) measures where its foot is, stride by stride; the root is
placed on the odometry's pelvis path (:mod:`~step2motion.reconstruction.odometry_root`), so the feet's
tracks are in the body's frame and the legs are solved to reach them. The pelvis path is an estimate
(the feet's gait-cycle average) and the feet are measurements: where a leg cannot reach, the body moves.

Conventions: motion frame (Y up, metres); the floor is y = 0, the level of a planted toe joint (the
pose network's floor, :mod:`~step2motion.dataset.pose_features`). Odometry samples are interpolated to
the output frames (positions linearly, headings on the unit circle, stillness from the nearest sample).

**Foot geometry** (the assumption that ties the chip to the skeleton): the foot is rigid; the insole's
chip lies on its centre line, level with the toe joint when the foot stands flat, at
:data:`CHIP_FRACTION` of the horizontal ankle → toe-joint distance ahead of the ankle (midfoot, where
the simulator puts it, :data:`~step2motion.simulation.imu.CHIP_X_NORM`); the skeleton's rest ankle → toe
offset is the foot standing flat. So a flat foot is the rest foot turned to the odometry's heading, its
toe joint (ball of the foot) ``(1 − CHIP_FRACTION)`` of that distance ahead of the chip; its heel (the
pivot of heel strike) is the point on the floor under the ankle, ``CHIP_FRACTION`` of it behind the chip.

**Toe-joint targets**, per foot and output frame:

* *on the heel*, from a force stance's first frame (heel strike) to its first still frame (foot flat):
  the heel held where the flat foot will put it, on the floor, and the toe joint on the foot rolled about
  it toes-up by the angle at which the chip stands as high as the odometry measures it. Why: the insole
  is loaded from heel strike on, but the chip still moves (the foot rolls down onto its sole) until the
  odometry's first still moment; a foot following the chip there would slide its loaded heel;
* *planted*, from the first frame of a still run to its end and, when it is the last still run of a
  force stance, on to toe-off (the ball is the pivot of the heel rise): held at the still position, on
  the floor;
* *cut*, a force stance of a tracked stretch before the foot's first still moment or after its last that
  holds none (the recording began as a heel rose, or ended as a foot landed): held on the floor at the
  flat foot's toe position of its frame nearest that end of the track (at the recording's edge, the
  stance's zero-velocity moment, :attr:`~step2motion.odometry.stillness.Rest.cut_stance`): the foot
  is loaded, so it is on the floor, and its ball (heel) is the pivot, whatever the chip's pitch;
* *free* (swing): the chip's path (horizontal and height) carried to
  the toe with the foot's orientation, plus a correction ramping linearly in time from the gap at the
  last held (on the heel or planted) frame to the gap at the next one, so that the path leaves and lands
  exactly on the held positions; never below the floor;
* *untracked* (the foot's odometry has no position there): in a force stance that is planted (or cut)
  on tracked frames too (a recording that starts with the feet standing, the track beginning at the first
  still moment), held where the nearest such frame of that stance holds it: one stance, one place;
  in any other stance, as :class:`~step2motion.reconstruction.foot_contacts.FootPinner` does, the toe
  held where the pose put it at the stance's first frame (keeping the pose's toe height, not below the
  floor); free otherwise: the pose's toe joint, drawn over :data:`UNTRACKED_BLEND_S` toward the targets
  on either side (a foot whose track was cut while it moved lands on its next footprint without a jump).

**Foot orientation**: the pose's, turned about the vertical to the odometry's heading, blended over
:data:`GROUNDED_BLEND_S` next to a frame on the heel or planted into the *grounded* orientation: flat
while still, on the heel pitched toes-up (above), and in the heel rise pitched toes-down about the ball by
the angle at which the chip stands as high as the odometry measures it (either pitch up to
:data:`MAX_FOOT_PITCH_RAD`). So the foot rolls heel → flat → ball through each stance. The ankle target is
the toe target minus the oriented toe offset, lifted (with the toe) where it would dip under the floor.

**Reach**: the body moves toward ankle targets out of the leg's reach (the mean of the feet's excess, a
few passes, as the pinner does), so the root stays on the odometry's path wherever the legs reach: the
pelvis path is an estimate, the feet are measurements. The moves are smoothed over
:data:`REACH_SMOOTHING_S` (a move made frame by frame shakes the whole body each time a foot comes in or
out of reach): across, a moving average; down, a moving average of the moving minimum, which lowers the
body on every frame at least as far as that frame needs. The pelvis height is the
pose's (pipeline), lowered where the legs need it. A foot still out of reach gives way toward the hip.
Two-bone IK (:func:`~step2motion.reconstruction.foot_contacts.solve_leg`) then puts each ankle on its
target with the foot's orientation; bone lengths stay constant.

Without trusted odometry (the root then comes from the network), the pipeline pins the feet with the
:class:`~step2motion.reconstruction.foot_contacts.FootPinner` instead. Either way, no foot joint ends below
the floor (:func:`feet_above_floor`).
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np
from pymotion.rotations import quat
from scipy import ndimage

from step2motion import skeleton
from step2motion.gait_events import nearest_samples, runs
from step2motion.motion import Motion, by_frame_chunks, forward_kinematics, joint_positions
from step2motion.odometry.both_feet import FeetOdometry
from step2motion.odometry.strapdown import FootTrack
from step2motion.reconstruction.foot_contacts import (
    leg_reach_m,
    reach_excess,
    reach_shift,
    solve_leg,
    solve_legs,
)
from step2motion.reconstruction.odometry_root import (
    at_frames,
    heading_at_frames,
    motion_yaw_rad,
    to_motion_frame,
)
from step2motion.reconstruction.skeleton_fit import fit_rotations
from step2motion.recording import SIDES

#: The chip lies this fraction of the horizontal ankle → toe-joint distance ahead of the ankle.
CHIP_FRACTION = 0.5
#: A foot turns between its pose's orientation and the grounded one over this time next to a grounded run.
GROUNDED_BLEND_S = 0.1
#: An untracked swing (the pose's foot) is drawn to the targets on either side of it over this time, s.
UNTRACKED_BLEND_S = 0.5
#: Largest foot pitch (toes down about the ball, or up about the heel) read from the chip's height.
MAX_FOOT_PITCH_RAD = np.radians(60.0)
#: The body's moves toward out-of-reach feet are smoothed over this time, s (module docstring: reach).
REACH_SMOOTHING_S = 0.3

_LEGS = {side: skeleton.joint_indices(skeleton.BODY_PARTS[f"{side}_leg"]) for side in SIDES}
_FOOT_JOINTS = np.concatenate([_LEGS[side][2:] for side in SIDES])  # ankles and toe joints
_Y_AXIS = np.array([0.0, 1.0, 0.0])


@dataclass(frozen=True)
class FootTargets:
    """Where one foot should be on each output frame (module docstring), motion frame.

    Attributes:
        toe_m: ``[T, 3]`` where the toe joint is held (on the heel, planted, or untracked in stance);
            ``NaN`` elsewhere.
        chip_m: ``[T, 3]`` the odometry's chip position, ``NaN`` where untracked.
        yaw_rad: ``[T]`` yaw of the foot's toe axis (motion convention), ``NaN`` where untracked.
        grounded: ``[T]`` weight (0 to 1) of the grounded orientation against the pose's.
        toes_down_rad: ``[T]`` pitch of the grounded orientation: toes down (> 0, heel rise), up (< 0, on
            the heel), 0 flat.
    """

    toe_m: np.ndarray
    chip_m: np.ndarray
    yaw_rad: np.ndarray
    grounded: np.ndarray
    toes_down_rad: np.ndarray

    def frames(self, chunk: slice) -> FootTargets:
        """The targets of the frames ``chunk``."""
        return FootTargets(*(getattr(self, f.name)[chunk] for f in fields(self)))


def _horizontal(yaw_rad: np.ndarray) -> np.ndarray:
    """Unit horizontal directions ``[T, 3]`` of motion yaws ``[T]``."""
    return np.stack([np.sin(yaw_rad), np.zeros_like(yaw_rad), np.cos(yaw_rad)], axis=-1)


def _chip_to_toe_m(toe_offset_m: np.ndarray) -> np.ndarray:
    """``[3]`` chip → toe joint in the foot's rest frame (module docstring: foot geometry)."""
    return (1.0 - CHIP_FRACTION) * np.array([toe_offset_m[0], 0.0, toe_offset_m[2]])


def chip_at_frames(track: FootTrack, time_s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The odometry's chip position ``[T, 3]`` (motion frame) and toe-axis yaw ``[T]`` (motion convention)
    of ``track`` at output frames ``time_s`` ``[T]`` (the track's clock); ``NaN`` where untracked."""
    chip = to_motion_frame(at_frames(track.time_s, track.position_m, time_s))
    yaw = motion_yaw_rad(heading_at_frames(track.time_s, track.heading_rad, time_s))
    tracked = track.tracked[nearest_samples(track.time_s, time_s)]
    tracked &= np.isfinite(chip).all(axis=1) & np.isfinite(yaw)
    yaw[~tracked] = np.nan
    chip[~tracked] = np.nan
    return chip, yaw


def flat_toe_m(chip_m: np.ndarray, yaw_rad: np.ndarray, toe_offset_m: np.ndarray) -> np.ndarray:
    """``[T, 3]`` the toe joint of the foot lying flat with its chip at ``chip_m`` ``[T, 3]``, its toe axis
    at ``yaw_rad`` ``[T]``, given the skeleton's rest ankle → toe offset ``[3]`` (module docstring: foot
    geometry); at the chip's height."""
    return chip_m + np.linalg.norm(_chip_to_toe_m(toe_offset_m)) * _horizontal(yaw_rad)


def foot_targets(
    track: FootTrack,
    time_s: np.ndarray,
    stance: np.ndarray,
    toe_offset_m: np.ndarray,
    pose_toe_m: np.ndarray,
    fps: float,
) -> FootTargets:
    """Targets (module docstring) of one foot on output frames at ``time_s`` ``[T]`` (the track's clock)
    from its odometry ``track`` (placed as the root is: :mod:`~step2motion.reconstruction.odometry_root`),
    its force stance ``[T]``, the skeleton's rest ankle → toe offset ``[3]`` and the pose's toe joint
    ``[T, 3]``."""
    n = time_s.size
    chip, yaw = chip_at_frames(track, time_s)
    tracked = np.isfinite(yaw)
    still = track.still[nearest_samples(track.time_s, time_s)] & tracked
    planted = still.copy()
    on_heel = np.zeros(n, dtype=bool)
    for start, stop, in_stance in zip(*runs(stance), strict=True):
        stills = np.flatnonzero(still[start:stop])
        if in_stance and stills.size:
            planted[start + stills[-1] : stop] = True
            on_heel[start : start + stills[0]] = tracked[start : start + stills[0]].all()
    planted &= tracked

    foot_m = np.hypot(toe_offset_m[0], toe_offset_m[2])
    ball_to_chip_m = np.linalg.norm(_chip_to_toe_m(toe_offset_m))
    height_m = np.nan_to_num(chip[:, 1])
    most = np.sin(MAX_FOOT_PITCH_RAD)
    toes_down = np.where(planted & ~still, np.arcsin(np.clip(height_m / ball_to_chip_m, 0.0, most)), 0.0)
    toes_up = np.arcsin(np.clip(height_m / (CHIP_FRACTION * foot_m), 0.0, most))
    toes_down = np.where(on_heel, -toes_up, toes_down)

    toe = np.full((n, 3), np.nan)
    flat_toe = flat_toe_m(chip, yaw, toe_offset_m)
    for start, stop, is_planted in zip(*runs(planted), strict=True):
        if is_planted:
            toe[start:stop] = [flat_toe[start, 0], 0.0, flat_toe[start, 2]]
    for start, stop, is_on_heel in zip(*runs(on_heel), strict=True):
        if is_on_heel:  # frame ``stop`` is the first still one: the foot lies flat
            heel = flat_toe[stop] - foot_m * _horizontal(yaw[stop : stop + 1])[0]
            heel[1] = 0.0
            up = toes_up[start:stop, None]
            heel_to_toe = np.cos(up) * _horizontal(yaw[start:stop]) + np.sin(up) * _Y_AXIS
            toe[start:stop] = heel + foot_m * heel_to_toe
    held = planted.copy()
    if still.any():
        first, last = np.flatnonzero(still)[[0, -1]]
        for start, stop, is_cut in zip(*runs(stance & tracked), strict=True):
            edge = start if stop <= first else stop - 1 if start > last else None
            if is_cut and edge is not None:
                toe[start:stop] = [flat_toe[edge, 0], 0.0, flat_toe[edge, 2]]
                held[start:stop] = True
    stance_label, _ = ndimage.label(stance)
    for start, stop, untracked in zip(*runs(stance & ~tracked), strict=True):
        if not untracked:
            continue
        anchors = np.flatnonzero(held & (stance_label == stance_label[start]))
        if anchors.size:  # the same stance is planted later or earlier: the foot is already there
            frames = np.arange(start, stop)
            toe[frames] = toe[anchors[np.abs(frames[:, None] - anchors[None, :]).argmin(axis=1)]]
        else:
            toe[start:stop, [0, 2]] = pose_toe_m[start, [0, 2]]
            toe[start:stop, 1] = np.maximum(pose_toe_m[start:stop, 1], 0.0)

    grounded = planted | on_heel
    if not grounded.any():
        return FootTargets(toe, chip, yaw, np.zeros(n), toes_down)
    distance, (closest,) = ndimage.distance_transform_edt(~grounded, return_indices=True)
    weight = np.clip(1.0 - distance / max(1.0, GROUNDED_BLEND_S * fps), 0.0, 1.0)
    return FootTargets(toe, chip, yaw, weight, toes_down[closest])


def _swing_path(
    held_m: np.ndarray, carried_m: np.ndarray, measured: np.ndarray, fade_frames: float
) -> np.ndarray:
    """Toe-joint targets ``[T, 3]``: ``held_m`` where given, elsewhere ``carried_m`` (the chip's path carried
    to the toe where ``measured`` ``[T]``, the pose's toe joint elsewhere) plus a correction from the gaps
    to the known targets on either side of each run of such frames. Over measured frames it ramps
    linearly in time from the gap one frame before the run to the gap one frame after it (constant with
    one, none without). Over the pose's frames it does the same, faded out over ``fade_frames`` from
    each end that has a gap, so that the foot leaves and reaches its targets without a jump and otherwise
    keeps the pose's place."""
    n = len(held_m)
    out = held_m.copy()
    free = np.isnan(held_m[:, 0])
    for from_chip in (True, False):  # the chip's runs first: their targets are the pose runs' neighbours
        for start, stop, is_run in zip(*runs(free & (measured == from_chip)), strict=True):
            if not is_run:
                continue
            before = out[start - 1] - carried_m[start - 1] if start > 0 else np.full(3, np.nan)
            after = out[stop] - carried_m[stop] if stop < n else np.full(3, np.nan)
            has_before, has_after = np.isfinite(before).all(), np.isfinite(after).all()
            step = np.arange(1, stop - start + 1)
            if has_before and has_after:
                weight = (step / (stop - start + 1))[:, None]
                correction = (1.0 - weight) * before + weight * after
            elif has_before or has_after:
                correction = np.broadcast_to(before if has_before else after, (stop - start, 3))
            else:
                correction = np.zeros((stop - start, 3))
            if not from_chip:
                distance = np.minimum(
                    step if has_before else np.inf, (stop - start + 1 - step) if has_after else np.inf
                )
                correction = correction * np.clip(1.0 - distance / max(fade_frames, 1.0), 0.0, 1.0)[:, None]
            out[start:stop] = carried_m[start:stop] + correction
    return out


def _yaw_quaternion(yaw_rad: np.ndarray) -> np.ndarray:
    """``[T, 4]`` rotations about +Y by ``yaw_rad`` ``[T]``."""
    return quat.from_angle_axis(yaw_rad[:, None], np.broadcast_to(_Y_AXIS, (yaw_rad.size, 3)))


def _toe_yaw_rad(vectors: np.ndarray) -> np.ndarray:
    """Motion yaw ``[T]`` of ankle → toe vectors ``[T, 3]``."""
    return np.arctan2(vectors[..., 0], vectors[..., 2])


def _foot_orientation(pose_q: np.ndarray, toe_offset_m: np.ndarray, targets: FootTargets) -> np.ndarray:
    """Global foot rotations ``[T, 4]``: the pose's ``[T, 4]`` turned to the odometry heading, blended
    toward the grounded orientation (the rest foot pitched by ``targets.toes_down_rad``, turned to the
    heading) by ``targets.grounded``; the pose's where the foot is untracked."""
    tracked = np.isfinite(targets.yaw_rad)
    yaw = np.where(tracked, targets.yaw_rad, 0.0)
    n = len(pose_q)
    pose_yaw = _toe_yaw_rad(quat.mul_vec(pose_q, np.broadcast_to(toe_offset_m, (n, 3))))
    turned = quat.mul(_yaw_quaternion(yaw - pose_yaw), pose_q)
    forward = np.array([toe_offset_m[0], 0.0, toe_offset_m[2]]) / np.hypot(toe_offset_m[0], toe_offset_m[2])
    toes_down = quat.from_angle_axis(
        -targets.toes_down_rad[:, None], np.broadcast_to(np.cross(forward, _Y_AXIS), (n, 3))
    )
    grounded = quat.mul(_yaw_quaternion(yaw - _toe_yaw_rad(toe_offset_m)), toes_down)
    grounded = np.where(np.sum(turned * grounded, axis=-1, keepdims=True) < 0, -grounded, grounded)
    weight = targets.grounded[:, None]
    blended = quat.normalize((1.0 - weight) * turned + weight * grounded)
    return np.where(tracked[:, None], blended, pose_q)


def follow_feet(
    local_rotations: np.ndarray,
    root_m: np.ndarray,
    offsets_m: np.ndarray,
    targets: dict[str, FootTargets],
    fps: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Local rotations ``[T, 22, 4]`` and root positions ``[T, 3]`` whose feet reach ``targets`` per side
    (module docstring: orientation, reach, IK). Only the swing paths need neighbouring frames;
    the rest goes through in chunks of frames (:func:`~step2motion.motion.by_frame_chunks`)."""
    n = len(root_m)
    hips, feet_q, carried = by_frame_chunks(
        lambda chunk: _oriented_feet(
            local_rotations[chunk], root_m[chunk], offsets_m, {s: t.frames(chunk) for s, t in targets.items()}
        ),
        n,
    )
    ankles = np.empty((n, len(SIDES), 3))
    for index, side in enumerate(SIDES):
        measured = np.isfinite(targets[side].chip_m).all(axis=1)
        toe = _swing_path(targets[side].toe_m, carried[:, index], measured, UNTRACKED_BLEND_S * fps)
        toe[:, 1] = np.maximum(toe[:, 1], 0.0)
        ankles[:, index] = toe - quat.mul_vec(
            feet_q[:, index], np.broadcast_to(offsets_m[_LEGS[side][3]], (n, 3))
        )
    ankles[..., 1] = np.maximum(ankles[..., 1], 0.0)
    reach = leg_reach_m(offsets_m)
    shift = _smoothed_shift(reach_shift(hips, ankles, reach), round(REACH_SMOOTHING_S * fps))
    shift += reach_shift(hips + shift[:, None], ankles, reach)  # what the smoothing left out of reach
    root = root_m + shift
    (rotations,) = by_frame_chunks(
        lambda chunk: (
            _legs_on_ankles(
                local_rotations[chunk],
                root[chunk],
                offsets_m,
                hips[chunk] + shift[chunk, None],
                ankles[chunk],
                feet_q[chunk],
            ),
        ),
        n,
    )
    return rotations, root


def _smoothed_shift(shift_m: np.ndarray, window: int) -> np.ndarray:
    """``shift_m`` ``[n, 3]`` smoothed over ``window`` frames (module docstring: reach): never higher."""
    if window < 2:
        return shift_m
    out = ndimage.uniform_filter1d(shift_m, window, axis=0, mode="nearest")
    lowest = ndimage.minimum_filter1d(np.minimum(shift_m[:, 1], 0.0), window, mode="nearest")
    out[:, 1] = ndimage.uniform_filter1d(lowest, window, mode="nearest")
    return out


def _oriented_feet(
    local_rotations: np.ndarray, root_m: np.ndarray, offsets_m: np.ndarray, targets: dict[str, FootTargets]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per frame: hip positions ``[n, 2, 3]``, foot orientations ``[n, 2, 4]`` (:func:`_foot_orientation`)
    and the chip's path carried to the toe joint with them ``[n, 2, 3]`` (left, right; the pose's toe joint
    where the foot is untracked)."""
    positions, rotmats = forward_kinematics(local_rotations, root_m, offsets_m)
    n = len(root_m)
    feet_q = np.empty((n, len(SIDES), 4))
    carried = np.empty((n, len(SIDES), 3))
    for index, side in enumerate(SIDES):
        _, _, ankle_j, toe_j = _LEGS[side]
        offset = offsets_m[toe_j]
        feet_q[:, index] = _foot_orientation(quat.from_matrix(rotmats[:, ankle_j]), offset, targets[side])
        carried[:, index] = targets[side].chip_m + quat.mul_vec(
            feet_q[:, index], np.broadcast_to(_chip_to_toe_m(offset), (n, 3))
        )
        untracked = ~np.isfinite(targets[side].chip_m).all(axis=1)
        carried[untracked, index] = positions[untracked, toe_j]
    return positions[:, [_LEGS[side][0] for side in SIDES]], feet_q, carried


def _legs_on_ankles(
    local_rotations: np.ndarray,
    root_m: np.ndarray,
    offsets_m: np.ndarray,
    hips_m: np.ndarray,
    ankles_m: np.ndarray,
    feet_q: np.ndarray,
) -> np.ndarray:
    """Per frame: both legs solved onto ankle targets ``[n, 2, 3]`` with the feet's orientations ``[n, 2, 4]``
    from the root ``[n, 3]`` and hips ``[n, 2, 3]`` already moved toward them; a target still out of reach
    gives way toward its hip (module docstring: reach)."""
    ankles_m = ankles_m - reach_excess(hips_m, ankles_m, leg_reach_m(offsets_m))
    return solve_legs(local_rotations, root_m, offsets_m, ankles_m, feet_q)


def feet_above_floor(
    local_rotations: np.ndarray, root_m: np.ndarray, offsets_m: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Copies of ``[T, 22, 4]`` rotations and ``[T, 3]`` root positions with no ankle or toe joint below the
    floor: a foot under it is lifted by IK (keeping its orientation), and where the leg cannot lift it
    far enough, the whole body is raised."""
    rotations, root = local_rotations.copy(), root_m.copy()
    positions, _ = forward_kinematics(rotations, root, offsets_m)
    for side in SIDES:
        _, _, ankle_j, toe_j = _LEGS[side]
        lowest = positions[:, [ankle_j, toe_j], 1].min(axis=1)
        frames = np.flatnonzero(lowest < 0.0)
        if frames.size:
            target = positions[frames, ankle_j] - lowest[frames, None] * _Y_AXIS
            rotations[frames] = solve_leg(rotations[frames], root[frames], offsets_m, target, side)
    positions, _ = forward_kinematics(rotations, root, offsets_m)
    root[:, 1] -= np.minimum(positions[:, _FOOT_JOINTS, 1].min(axis=1), 0.0)
    return rotations, root


def odometry_feet_motion(
    positions_m: np.ndarray,
    stance: np.ndarray,
    time_s: np.ndarray,
    fps: float,
    offsets_m: np.ndarray,
    feet: FeetOdometry,
    source: str,
) -> Motion:
    """The skeleton motion following ``positions_m`` ``[T, 22, 3]`` (placed on the odometry's root path,
    frames at ``time_s`` ``[T]`` on its clock) with its feet on the targets of ``feet`` and the force
    ``stance`` ``[T, 2]``; no foot joint below the floor."""
    rotations, root_m = fit_rotations(positions_m, offsets_m)
    pose_m = joint_positions(rotations, root_m, offsets_m)
    targets = {
        side: foot_targets(
            feet.foot(side),
            time_s,
            stance[:, index],
            offsets_m[_LEGS[side][3]],
            pose_m[:, _LEGS[side][3]],
            fps,
        )
        for index, side in enumerate(SIDES)
    }
    rotations, root_m = follow_feet(rotations, root_m, offsets_m, targets, fps)
    rotations, root_m = by_frame_chunks(
        lambda chunk: feet_above_floor(rotations[chunk], root_m[chunk], offsets_m), len(root_m)
    )
    return Motion(rotations, root_m, offsets_m, fps, source=source)
