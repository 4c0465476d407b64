"""Insole recording → full-body motion on the canonical skeleton, offline (the whole recording at once).

Steps, each from the recording alone (real and simulated files take the same path, nothing reads
motion capture):

1. Input streams at the model's rate (:func:`~step2motion.dataset.insole_features.insole_streams`), on a
   time axis that starts at the recording's first sample; z-scored with the checkpoint's statistics.
2. Poses (``K`` samples) and root moves, window by window with inpainted overlaps
   (:mod:`~step2motion.reconstruction.windowed_sampling`); with the wearer's height given, the poses
   scaled to it, with the wearer's skeleton given, redrawn on it
   (:mod:`~step2motion.reconstruction.body_size`).
3. World placement: root moves integrated open loop from the origin with heading 0 (heading changes come
   from the network); with ``root="odometry"`` the root sits on the feet's odometry pelvis path and
   heading instead, in the odometry's frame (:mod:`~step2motion.reconstruction.odometry_root`); pelvis
   height from the pose and the insole contacts (:mod:`~step2motion.reconstruction.foot_contacts`).
   Each sample's root-relative joint positions and pelvis height are smoothed over :data:`POSE_SMOOTHING_S`
   (a quadratic Savitzky-Golay filter, which keeps a stride's peaks): one diffusion sample trembles from
   frame to frame far more than motion does (:func:`smoothed_poses`; streaming smooths the poses over what
   a commit can see).
4. Output frames: exactly ``round(duration × fps)`` frames at ``k / fps`` from the first sample (the
   duration is what the time stamps span, rows missing from the export included:
   :attr:`~step2motion.recording.InsoleRecording.duration_s`), linearly interpolated from the model
   frames (the last model frame holds when the model grid ends earlier). With ``K > 1`` the output
   follows the mean of the samples, and the per-joint spread (RMS distance of the samples from that
   mean) is the uncertainty.
5. Skeleton: constant bone lengths (the wearer's skeleton when given), rotations fitted to the positions
   (:mod:`~step2motion.reconstruction.skeleton_fit`), then planted feet pinned; with ``root="odometry"``
   the feet follow the odometry instead (planted while still, swinging along their tracks, never under
   the floor, the body following them: :mod:`~step2motion.reconstruction.odometry_feet`).

Body weight (to normalise forces and to threshold contacts) is estimated from both feet's force; when
only one foot has force, from that foot alone (each foot carries half the weight on average), unless
given.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from pymotion.rotations import quat
from scipy.signal import savgol_filter

from step2motion import skeleton
from step2motion.dataset.insole_features import insole_streams
from step2motion.dataset.pose_features import integrate_root, to_world
from step2motion.errors import InputError
from step2motion.gait_events import stance_at_times, wearer_weight_n
from step2motion.heading import rotate_about_y
from step2motion.io.atomic_file import atomic_path
from step2motion.model.checkpoint import Checkpoint
from step2motion.motion import Motion, by_frame_chunks
from step2motion.reconstruction.body_size import check_wearer, height_scale, on_skeleton
from step2motion.reconstruction.foot_contacts import FootPinner, pelvis_height_m
from step2motion.reconstruction.odometry_feet import feet_above_floor, odometry_feet_motion
from step2motion.reconstruction.odometry_root import odometry_root_path, reliable_feet
from step2motion.reconstruction.skeleton_fit import fit_rotations, rest_offsets_m
from step2motion.reconstruction.windowed_sampling import WindowModel, WindowPredictor, sample_recording
from step2motion.recording import SIDES, InsoleRecording

#: Where the root's horizontal path and heading can come from (:class:`ReconstructionOptions`).
ROOT_SOURCES: tuple[str, ...] = ("odometry", "network")
#: Highest output frame rate: beyond it the output is interpolation only, and its size would be refused
#: only after the whole run (a typo such as ``--fps 1e9`` asks for terabytes).
MAX_OUTPUT_FPS = 1000.0


#: The condition streams of the sensors that foot odometry reads (each foot's IMU, and its force for the
#: stillness test): a reconstruction told to do without any of them must not integrate them either.
ODOMETRY_SENSOR_STREAMS: tuple[str, ...] = ("left_imu", "right_imu", "left_force_cop", "right_force_cop")


@dataclass(frozen=True)
class ReconstructionOptions:
    """How to sample: ``n_samples`` (K), DDIM ``steps`` and ``guidance`` (None: the model's defaults),
    noise ``seed``, output ``fps`` (None: the model's rate), ``body_weight_n`` (None: estimated),
    ``height_m``: the wearer's standing height, or ``skeleton_offsets_m``: the wearer's skeleton, rest
    offsets ``[22, 3]`` of the canonical joints in metres (not both; None: the size and shape the model
    draws; :mod:`~step2motion.reconstruction.body_size`),
    condition ``streams`` the model may read (None: all), ``root``: where the root's horizontal path and
    heading come from, ``"odometry"`` (default: the feet's, :mod:`~step2motion.reconstruction.
    odometry_root`, the network's where the feet cannot tell; the feet then follow the odometry too,
    :mod:`~step2motion.reconstruction.odometry_feet`) or ``"network"`` (the root network's moves,
    integrated, as published); streaming takes the same choice (:class:`~step2motion.reconstruction.
    streaming.StreamingReconstructor`)."""

    n_samples: int = 1
    steps: int | None = None
    guidance: float | None = None
    seed: int = 0
    fps: float | None = None
    body_weight_n: float | None = None
    streams: tuple[str, ...] | None = None
    root: str = "odometry"
    height_m: float | None = None
    skeleton_offsets_m: np.ndarray | None = None

    def __post_init__(self) -> None:
        if self.root not in ROOT_SOURCES:
            raise InputError(f"the root source must be one of {', '.join(ROOT_SOURCES)}, got {self.root!r}")
        if self.n_samples < 1:
            raise InputError(f"the number of samples must be at least 1, got {self.n_samples}")
        if self.steps is not None and self.steps < 1:
            raise InputError(f"the number of denoising steps must be at least 1, got {self.steps}")
        if self.guidance is not None and not self.guidance >= 0:
            raise InputError(f"the guidance weight must be ≥ 0, got {self.guidance}")
        if self.fps is not None and not 0 < self.fps <= MAX_OUTPUT_FPS:
            raise InputError(
                f"the output frame rate must be above 0 and at most {MAX_OUTPUT_FPS:g} fps, got {self.fps:g}"
            )
        if not 0 <= self.seed < 2**63:
            raise InputError(f"the seed must be 0 to 2**63 - 1 (what torch can take), got {self.seed}")
        if self.body_weight_n is not None and not self.body_weight_n > 0:
            raise InputError(f"the body weight must be positive, got {self.body_weight_n}")
        object.__setattr__(
            self, "skeleton_offsets_m", check_wearer(self.height_m, self.skeleton_offsets_m)[1]
        )


@dataclass(frozen=True)
class Reconstruction:
    """The reconstructed motion and what comes with it.

    Attributes:
        motion: the skeleton motion (constant bone lengths), ``T`` frames at ``motion.fps``.
        time_s: ``[T]`` frame times in the recording's clock.
        contacts: ``[T, 2]`` bool, planted (left, right) per the insoles.
        odometry_root: ``[T]`` bool, frames whose root the feet's odometry placed (elsewhere the root
            network's moves carried it; all False with ``root="network"``).
        samples_m: ``[K, T, 22, 3]`` world joint positions of every sample (before the skeleton fit).
        uncertainty_m: ``[T, 22]`` per-joint spread across samples (zeros when ``K == 1``).
        steps, guidance: the sampler settings used.
        wall_s: wall-clock time of the reconstruction.
    """

    motion: Motion
    time_s: np.ndarray
    contacts: np.ndarray
    odometry_root: np.ndarray
    samples_m: np.ndarray
    uncertainty_m: np.ndarray
    steps: int
    guidance: float
    wall_s: float

    @property
    def n_samples(self) -> int:
        return int(self.samples_m.shape[0])

    @property
    def realtime_factor(self) -> float:
        """Seconds of motion reconstructed per wall-clock second."""
        return self.motion.duration_s / self.wall_s if self.wall_s > 0 else float("inf")


@dataclass(frozen=True)
class RootState:
    """Where the root is after the last placed frame: position (m), heading (rad). The start is the
    origin with heading 0 (the pelvis height continues from :class:`~step2motion.reconstruction.streaming.
    StreamingReconstructor`'s own record of it)."""

    position_m: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros(3))
    heading_rad: float = 0.0


def odometry_allowed(options: ReconstructionOptions) -> bool:
    """Whether ``options`` leave the reconstruction every sensor the foot odometry reads (streams None: all);
    without them (IMUs removed, one foot only) the root comes from the network."""
    return options.streams is None or set(ODOMETRY_SENSOR_STREAMS) <= set(options.streams)


def from_first_sample(rec: InsoleRecording) -> InsoleRecording:
    """``rec`` on a clock that reads 0 at its first sample (model frames then fall on ``k / rate``)."""
    return dataclasses.replace(rec, time_s=rec.time_s - rec.time_s[0])


def output_frame_count(rec: InsoleRecording, fps: float) -> int:
    """Frames covering the recording's duration at ``fps``: by its time stamps, so a stretch of rows
    missing from the export is not closed up."""
    return max(1, round(rec.duration_s * fps))


def resample_frames(values: np.ndarray, rate_hz: float, time_s: np.ndarray, axis: int = 0) -> np.ndarray:
    """``values`` with frame ``i`` (along ``axis``) at ``i / rate_hz``, linearly interpolated at ``time_s``;
    times past either end hold the end frame."""
    n = values.shape[axis]
    at = np.clip(np.asarray(time_s) * rate_hz, 0.0, n - 1)
    before = np.minimum(np.floor(at).astype(int), n - 1)
    after = np.minimum(before + 1, n - 1)
    weight = (at - before).reshape((-1,) + (1,) * (values.ndim - axis - 1))
    first, second = np.take(values, before, axis=axis), np.take(values, after, axis=axis)
    return (1.0 - weight) * first + weight * second


#: Root-relative joint positions are smoothed over this time, s (module docstring, step 3).
POSE_SMOOTHING_S = 0.3


def smoothed_over_time(values: np.ndarray, rate_hz: float, axis: int = 1) -> np.ndarray:
    """``values`` sampled at ``rate_hz`` along ``axis``, smoothed over :data:`POSE_SMOOTHING_S` (quadratic
    Savitzky-Golay, fitted at the ends); fewer than three samples: unchanged."""
    n = values.shape[axis]
    window = min(2 * round(POSE_SMOOTHING_S * rate_hz / 2) + 1, n - 1 + n % 2)  # odd, at most n
    return values if window < 3 else savgol_filter(values, window, 2, axis=axis, mode="interp")


def smoothed_poses(samples_m: np.ndarray, rate_hz: float) -> np.ndarray:
    """World joint positions ``[K, n, 22, 3]`` at ``rate_hz`` with each sample's positions relative to its
    root smoothed (:func:`smoothed_over_time`), and its root's height: it was read off the pose's planted
    toe (:func:`~step2motion.reconstruction.foot_contacts.pelvis_height_m`), which trembles with the pose
    and steps where the planted foot changes. The root's horizontal path is left as placed."""
    root = samples_m[:, :, :1].copy()
    smoothed = smoothed_over_time(samples_m - root, rate_hz)
    root[..., 1] = smoothed_over_time(root[..., 1], rate_hz)
    return smoothed + root


def place_on_path(
    poses_m: np.ndarray,
    root_m: np.ndarray,
    heading_rad: np.ndarray,
    stance: np.ndarray,
    heights_m: np.ndarray | None = None,
) -> np.ndarray:
    """World joint positions ``[K, n, 22, 3]`` of poses ``[K, n, 21, 3]`` on the root's horizontal path
    ``[n, 3]`` (its height is not used) with yaws ``[n]``; each sample's pelvis height ``heights_m``
    ``[K, n]`` when given, else read off its pose and the stance ``[n, 2]``."""
    world = np.empty((*poses_m.shape[:2], skeleton.N_JOINTS, 3))
    for k, pose in enumerate(poses_m):
        height = pelvis_height_m(pose, stance) if heights_m is None else heights_m[k]
        world[k] = to_world(pose, np.column_stack([root_m[:, 0], height, root_m[:, 2]]), heading_rad)
    return world


def place_in_world(
    poses_m: np.ndarray,
    root_motion: np.ndarray,
    stance: np.ndarray,
    state: RootState,
    heights_m: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, RootState]:
    """World joint positions ``[K, n, 22, 3]`` of poses ``[K, n, 21, 3]`` with root moves ``[n, 4]`` and
    stance ``[n, 2]`` (pelvis heights ``heights_m`` ``[K, n]`` when given, else :func:`place_on_path`'s),
    continuing from ``state``; the root's headings ``[n]`` (rad) and the state after the last frame."""
    root_m, heading = integrate_root(root_motion, state.position_m, state.heading_rad)
    world = place_on_path(poses_m, root_m, heading, stance, heights_m)
    return world, heading, RootState(root_m[-1], float(heading[-1]))


def skeleton_motion(
    positions_m: np.ndarray,
    stance: np.ndarray,
    fps: float,
    offsets_m: np.ndarray,
    pinner: FootPinner,
    source: str,
    landing_m: np.ndarray | None = None,
) -> Motion:
    """The skeleton motion following ``positions_m`` ``[T, 22, 3]``, planted feet pinned by ``pinner``
    (where ``landing_m`` ``[T, 2, 3]`` says, when given: :class:`FootPinner`), no foot joint below the
    floor (:func:`~step2motion.reconstruction.odometry_feet.feet_above_floor`, frame by frame)."""
    rotations, root_m = fit_rotations(positions_m, offsets_m)
    rotations, root_m = pinner(rotations, root_m, stance, landing_m)
    rotations, root_m = by_frame_chunks(
        lambda chunk: feet_above_floor(rotations[chunk], root_m[chunk], offsets_m), len(root_m)
    )
    return Motion(rotations, root_m, offsets_m, fps, source=source)


def reconstruct(
    rec: InsoleRecording, checkpoint: Checkpoint, options: ReconstructionOptions, progress: bool = False
) -> Reconstruction:
    """The motion of the wearer of ``rec`` by ``checkpoint``'s model (module docstring)."""
    window_model = WindowModel(
        checkpoint, options.n_samples, options.steps, options.guidance, options.seed, options.streams
    )
    return reconstruct_with(rec, window_model, options, progress)


def reconstruct_with(
    rec: InsoleRecording, predictor: WindowPredictor, options: ReconstructionOptions, progress: bool = False
) -> Reconstruction:
    """:func:`reconstruct` with any window predictor (a baseline, say); ``options``' sampler settings
    are the predictor's business, the rest (body weight, output rate) apply here."""
    started_s = time.perf_counter()
    rate_hz = predictor.frame_rate_hz
    weight_n = options.body_weight_n or wearer_weight_n(rec)
    local_rec = from_first_sample(rec)
    features = insole_streams(local_rec, rate_hz, weight_n)
    sampled = sample_recording(predictor, predictor.prepare(features), progress)
    if options.height_m is not None:
        scale = height_scale(sampled.poses_m, options.height_m)
        sampled = dataclasses.replace(sampled, poses_m=scale * sampled.poses_m)
    if options.skeleton_offsets_m is not None:
        sampled = dataclasses.replace(
            sampled, poses_m=on_skeleton(sampled.poses_m, options.skeleton_offsets_m)
        )
    stance_model = stance_at_times(local_rec, weight_n, features.time_s)
    feet = None
    if options.root == "odometry" and odometry_allowed(options):
        feet = reliable_feet(local_rec, features.time_s, sampled.root_motion)
    path = None if feet is None else odometry_root_path(feet, features.time_s, sampled.root_motion)
    if path is None:
        samples_m, _, _ = place_in_world(sampled.poses_m, sampled.root_motion, stance_model, RootState())
        placed = np.zeros(features.time_s.size, dtype=bool)
    else:
        samples_m = place_on_path(sampled.poses_m, path.position_m, path.yaw_rad, stance_model)
        placed = path.placed

    samples_m = smoothed_poses(samples_m, rate_hz)
    fps = rate_hz if options.fps is None else options.fps
    time_s = np.arange(output_frame_count(rec, fps)) / fps
    samples_m = resample_frames(samples_m, rate_hz, time_s, axis=1)
    mean_m = samples_m.mean(axis=0)
    uncertainty_m = np.sqrt(np.mean(np.sum((samples_m - mean_m) ** 2, axis=-1), axis=0))
    contacts = stance_at_times(local_rec, weight_n, time_s)
    offsets_m = rest_offsets_m(mean_m) if options.skeleton_offsets_m is None else options.skeleton_offsets_m
    if path is None:  # the network's root: planted feet pinned
        motion = skeleton_motion(mean_m, contacts, fps, offsets_m, FootPinner(offsets_m, fps), rec.source)
    else:
        motion = odometry_feet_motion(mean_m, contacts, time_s, fps, offsets_m, feet, rec.source)
    if path is not None:  # the odometry's frame → the network's convention: origin, heading 0 at frame 0
        motion, samples_m = _turned_to_start(motion, samples_m, float(path.yaw_rad[0]))
    return Reconstruction(
        motion=motion,
        time_s=rec.time_s[0] + time_s,
        contacts=contacts,
        odometry_root=placed[np.clip(np.rint(time_s * rate_hz).astype(int), 0, placed.size - 1)],
        samples_m=samples_m,
        uncertainty_m=uncertainty_m,
        steps=predictor.steps,
        guidance=predictor.guidance,
        wall_s=time.perf_counter() - started_s,
    )


def _turned_to_start(motion: Motion, samples_m: np.ndarray, yaw_rad: float) -> tuple[Motion, np.ndarray]:
    """``motion`` and its samples ``[K, T, 22, 3]`` moved rigidly so that frame 0's root is above the
    origin and the heading ``yaw_rad`` (of frame 0) becomes 0: every reconstruction starts the same way,
    whichever root placed it."""
    origin = np.array([motion.root_position_m[0, 0], 0.0, motion.root_position_m[0, 2]])
    turn = quat.from_angle_axis(np.array([[-yaw_rad]]), np.array([[0.0, 1.0, 0.0]]))[0]
    rotations = motion.local_rotations.copy()
    rotations[:, 0] = quat.mul(np.broadcast_to(turn, rotations[:, 0].shape), rotations[:, 0])
    root_m = rotate_about_y(motion.root_position_m - origin, np.full(motion.n_frames, -yaw_rad))
    samples = np.stack([rotate_about_y(k - origin, np.full(k.shape[0], -yaw_rad)) for k in samples_m])
    return dataclasses.replace(motion, local_rotations=rotations, root_position_m=root_m), samples


def write_npz(result: Reconstruction, path: str | Path) -> None:
    """Joint positions and what comes with them (see the ``reconstruct`` command's help for the keys),
    written atomically (:mod:`step2motion.io.atomic_file`)."""
    arrays = {
        "time_s": result.time_s,
        "fps": np.float64(result.motion.fps),
        "joint_positions_m": result.motion.joint_positions_m(),
        "joint_names": np.array(skeleton.JOINT_NAMES),
        **{f"contact_{side}": result.contacts[:, i] for i, side in enumerate(SIDES)},
        "odometry_root": result.odometry_root,
    }
    if result.n_samples > 1:
        arrays["uncertainty_m"] = result.uncertainty_m
        arrays["samples_joint_positions_m"] = result.samples_m
    try:
        with atomic_path(path) as partial, open(partial, "wb") as handle:
            np.savez(handle, **arrays)
    except OSError as error:
        raise InputError(f"cannot write the joint positions: {error.strerror}", path) from None
