"""Streaming reconstruction: push raw insole samples as they arrive, get newly committed poses back.

Committed frames never change. Each time new samples arrive, one window of the model ends at the newest
frame the samples cover; its frames that are already committed are known and inpainted (the same
sampler as offline, :mod:`~step2motion.reconstruction.windowed_sampling`), so only new frames are
generated and the past does not tremble (domain notes §5). The newest ``lookahead_frames`` of the window
are generated but not committed: they are regenerated with more input on the next push, because a pose
is better determined once the insoles have seen what follows it. Frames then go through the offline
post-processing, in its causal form: poses and pelvis height smoothed as offline over the committed frames
before them and the lookahead after them, root integration, pelvis height held through flight,
bone lengths fixed at the first commit, planted feet pinned (:class:`~step2motion.reconstruction.
foot_contacts.FootPinner`).

The root comes from the feet's odometry where it can (as offline, ``root="odometry"``), in causal form:
on each push the odometry of the buffered samples (:func:`~step2motion.reconstruction.odometry_root.
reliable_feet` over one window plus the margin; the newest swing integrated forward from its last still
moment) gives a pelvis path, and each newly committed frame takes its horizontal move and turn from it
(moves, not positions: the committed past stays put; later pushes see more and place later frames).
The pinner anchors each stance where the odometry puts the toe and draws the swinging foot there as it
goes. Where the buffer holds no trusted odometry (each foot must have walked a metre in it: the first
steps, turning on the spot, no IMU) the root network's moves carry the body. What the offline odometry
does and streaming does not: integrate each track both ways over the whole recording (the newest swing
is one-sided here), reconcile the feet over all of it, and follow the odometry's swing paths and
clearance (the swing is the pose's, drawn toward the landing place).

Input streams come from the offline feature code run on the newest raw samples: on each push only a
tail of the buffer (:data:`TAIL_S`) is recomputed and its frames from :data:`SETTLE_S` on replace the
cached ones (earlier frames are reused); near the newest sample the zero-phase filters and the tilt
filter see no future, which is part of why frames wait for a lookahead. Raw samples are kept for one
window plus :data:`BUFFER_MARGIN_S`. Without a given body weight it is estimated from that buffer on
every push; until the stream has loaded samples (insole size, body weight) nothing is committed.

Output frames are the offline ones at the model rate: frame ``k`` at ``k / frame_rate_hz`` from the
first sample, and after :meth:`StreamingReconstructor.finish` exactly ``round(duration × rate)`` of
them, as :func:`~step2motion.reconstruction.pipeline.reconstruct` gives at that rate.

Latency = algorithmic lookahead + compute per push. The lookahead is ``lookahead_frames / rate``
(default 3 frames = 0.10 s at 30 Hz; a sample also waits up to one frame period, 33 ms, for the frame
it belongs to). Compute per push is one window of the denoiser (``steps`` passes over ``window_frames``
frames, whatever the push size up to half a window) plus the features and the skeleton fit;
``StreamChunk.compute_s`` reports it; ``benchmarks/speed.py`` measures it on the machine at hand (README
gives the bundled model's figures). A push costs about the same whatever its size, so a live caller should
push whatever has arrived since its last push rather than a fixed interval: pushes then grow to the compute
time and the stream keeps up with real time (fixed pushes shorter than the compute fall behind); fewer steps
shrink the denoiser part linearly.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import torch

from step2motion import skeleton
from step2motion.dataset.insole_features import insole_size_of, insole_streams
from step2motion.dataset.pose_features import displacement_from_trajectory, to_world
from step2motion.errors import InputError
from step2motion.gait_events import stance_at_times, wearer_weight_n
from step2motion.heading import rotate_about_y
from step2motion.model.checkpoint import Checkpoint
from step2motion.model.denoiser import N_POSE_JOINTS
from step2motion.motion import forward_kinematics
from step2motion.reconstruction.body_size import check_wearer, height_scale, on_skeleton
from step2motion.reconstruction.foot_contacts import FootPinner, pelvis_height_m
from step2motion.reconstruction.odometry_feet import chip_at_frames, flat_toe_m
from step2motion.reconstruction.odometry_root import odometry_root_path, reliable_feet
from step2motion.reconstruction.pipeline import (
    POSE_SMOOTHING_S,
    ROOT_SOURCES,
    RootState,
    from_first_sample,
    place_in_world,
    skeleton_motion,
    smoothed_over_time,
)
from step2motion.reconstruction.skeleton_fit import rest_offsets_m
from step2motion.reconstruction.windowed_sampling import Condition, WindowModel
from step2motion.recording import FOOT_FIELDS, SIDES, FootSignals, InsoleRecording

#: Frames generated beyond the newest committed one and regenerated on the next push.
LOOKAHEAD_FRAMES = 3
#: Raw input kept before the oldest frame a window can need (filter and tilt start-up).
BUFFER_MARGIN_S = 1.0
#: Input streams are recomputed over at least this much of the newest input on each push ...
TAIL_S = 1.5
#: ... and only frames at least this far into the recomputed stretch are used (filters settle).
SETTLE_S = 0.5


class _RootMoves(NamedTuple):
    """The root of newly committed frames: moves ``[n, 4]`` (:func:`~step2motion.dataset.pose_features.
    integrate_root`), where each toe joint lands ``[n, 2, 3]`` (relative to the root, in its heading
    frame; ``NaN`` where unknown; None without odometry) and which moves the odometry gave ``[n]``."""

    moves: np.ndarray
    landing: np.ndarray | None
    placed: np.ndarray


@dataclass(frozen=True)
class StreamChunk:
    """Frames committed by one push (``n`` may be 0).

    Attributes:
        time_s: ``[n]`` frame times from the first pushed sample.
        joint_positions_m: ``[n, 22, 3]`` world positions on the fixed skeleton.
        local_rotations: ``[n, 22, 4]`` joint rotations (``[w, x, y, z]``).
        root_position_m: ``[n, 3]``.
        contacts: ``[n, 2]`` bool, planted (left, right).
        odometry_root: ``[n]`` bool, frames whose move the feet's odometry gave (elsewhere the network's).
        compute_s: wall-clock time the push took.
    """

    time_s: np.ndarray
    joint_positions_m: np.ndarray
    local_rotations: np.ndarray
    root_position_m: np.ndarray
    contacts: np.ndarray
    odometry_root: np.ndarray
    compute_s: float = 0.0

    @property
    def n_frames(self) -> int:
        return int(self.time_s.shape[0])

    @staticmethod
    def empty(compute_s: float = 0.0) -> StreamChunk:
        return StreamChunk(
            np.zeros(0),
            np.zeros((0, skeleton.N_JOINTS, 3)),
            np.zeros((0, skeleton.N_JOINTS, 4)),
            np.zeros((0, 3)),
            np.zeros((0, 2), dtype=bool),
            np.zeros(0, dtype=bool),
            compute_s,
        )


class StreamingReconstructor:
    """Push raw samples of both insoles (``FootSignals``, ``rate_hz``, NaN = missing) with :meth:`push`,
    end with :meth:`finish`; each returns the newly committed frames (module docstring).

    ``steps``/``guidance`` default to the model's; ``body_weight_n`` and ``insole_size`` are estimated
    from the input when not given; ``height_m``, the wearer's standing height, scales the poses to it
    by a factor fixed at the first commit, or ``skeleton_offsets_m``, the wearer's skeleton (rest offsets
    ``[22, 3]``), redraws every commit's poses on it and is the output's (None: the size and shape the
    model draws; :mod:`~step2motion.reconstruction.body_size`); ``root``: ``"odometry"`` (the feet's,
    where the buffer has it; module docstring) or ``"network"`` (the root network's moves throughout, the
    published method).
    """

    def __init__(
        self,
        checkpoint: Checkpoint,
        rate_hz: float,
        *,
        lookahead_frames: int = LOOKAHEAD_FRAMES,
        steps: int | None = None,
        guidance: float | None = None,
        seed: int = 0,
        body_weight_n: float | None = None,
        insole_size: int | None = None,
        root: str = "odometry",
        height_m: float | None = None,
        skeleton_offsets_m: np.ndarray | None = None,
    ) -> None:
        if root not in ROOT_SOURCES:
            raise InputError(f"the root source must be one of {', '.join(ROOT_SOURCES)}, got {root!r}")
        if not rate_hz > 0:
            raise InputError(f"the insole sample rate must be positive, got {rate_hz}")
        if lookahead_frames < 0:
            raise InputError(f"the lookahead must be ≥ 0 frames, got {lookahead_frames}")
        self.height_m, self.skeleton_offsets_m = check_wearer(height_m, skeleton_offsets_m)
        self.checkpoint = checkpoint
        self.rate_hz = float(rate_hz)
        self.frame_rate_hz = checkpoint.config.frame_rate_hz
        self.lookahead_frames = lookahead_frames
        self.root = root
        self.body_weight_n = body_weight_n
        self.insole_size = insole_size
        self._height_scale = 1.0  # fixed at the first commit, as the bone lengths are
        self._window_model = WindowModel(checkpoint, 1, steps, guidance, seed)
        self._margin_samples = round(BUFFER_MARGIN_S * self.rate_hz)
        self._buffer = {side: FootSignals.missing(0) for side in SIDES}
        self._buffer_start = 0  # sample index of the buffer's first sample
        self._n_received = 0
        self._committed = 0  # frames committed so far
        self._history_m = np.zeros((1, 0, N_POSE_JOINTS, 3))  # last committed poses (for inpainting)
        self._history_start = 0
        self._heights_m = np.zeros(0)  # the last committed frames' pelvis heights, as read off the poses
        self._condition: Condition | None = None  # cached model input, frames from _condition_start
        self._condition_start = 0
        self._root_state = RootState()
        self._network_moves = np.zeros((0, 4))  # the root network's moves, frames from _moves_start
        self._moves_start = 0
        self._pinner: FootPinner | None = None
        self.offsets_m: np.ndarray | None = None
        self._last_chunk: StreamChunk | None = None

    @property
    def steps(self) -> int:
        """DDIM steps per window (0 for a regression model)."""
        return self._window_model.steps

    @property
    def guidance(self) -> float:
        """Classifier-free guidance weight of the sampler."""
        return self._window_model.guidance

    @property
    def lookahead_s(self) -> float:
        """Algorithmic latency: how long a frame waits for the input that follows it."""
        return self.lookahead_frames / self.frame_rate_hz

    def push(self, left: FootSignals, right: FootSignals) -> StreamChunk:
        """Append samples (both feet, same length) and return the frames this commits."""
        started_s = time.perf_counter()
        if left.pressure_ncm2.shape[0] != right.pressure_ncm2.shape[0]:
            raise InputError(
                f"left and right must have the same number of samples, got "
                f"{left.pressure_ncm2.shape[0]} and {right.pressure_ncm2.shape[0]}"
            )
        for side, new in zip(SIDES, (left, right), strict=True):
            old = self._buffer[side]
            self._buffer[side] = FootSignals(
                *(np.concatenate([getattr(old, name), getattr(new, name)]) for name in FOOT_FIELDS)
            )
        self._n_received += left.pressure_ncm2.shape[0]
        target = self._available_frames() - self.lookahead_frames
        return self._commit_until(target, self.lookahead_frames, started_s, final=False)

    def finish(self) -> StreamChunk:
        """The end of the input: commit every remaining frame, so that the stream holds exactly
        ``round(duration × frame rate)`` frames (the last pose holds if the model grid ends earlier)."""
        started_s = time.perf_counter()
        if self._n_received < 2:
            raise InputError(f"the stream has {self._n_received} sample(s); need at least 2")
        chunk = self._commit_until(self._available_frames(), 0, started_s, final=True)
        missing = self._frame_cap() - self._committed
        if missing <= 0:
            return chunk
        last = chunk if chunk.n_frames else self._last_chunk
        hold = np.full(missing, last.n_frames - 1)
        held_time_s = (self._committed + np.arange(missing)) / self.frame_rate_hz
        self._committed += missing
        return StreamChunk(
            np.concatenate([chunk.time_s, held_time_s]),
            *(
                np.concatenate([getattr(chunk, name), getattr(last, name)[hold]])
                for name in (
                    "joint_positions_m",
                    "local_rotations",
                    "root_position_m",
                    "contacts",
                    "odometry_root",
                )
            ),
            time.perf_counter() - started_s,
        )

    def _frame_cap(self) -> int:
        """Frames the samples received so far cover (the offline output length)."""
        return max(1, round(self._n_received / self.rate_hz * self.frame_rate_hz))

    def _available_frames(self) -> int:
        """Model frames up to the newest sample's time (capped at the offline length)."""
        if self._n_received < 2:
            return 0
        last_s = (self._n_received - 1) / self.rate_hz
        return min(int(np.floor(last_s * self.frame_rate_hz + 1e-9)) + 1, self._frame_cap())

    def _buffer_recording(self, first_sample: int | None = None) -> InsoleRecording:
        """The buffered samples (from sample index ``first_sample`` on) as a recording."""
        skip = 0 if first_sample is None else first_sample - self._buffer_start
        feet = {side: self._buffer[side].take(slice(skip, None)) for side in SIDES}
        return InsoleRecording(
            time_s=(self._buffer_start + skip + np.arange(feet["left"].total_force_n.size)) / self.rate_hz,
            left=feet["left"],
            right=feet["right"],
            insole_size=self.insole_size,
            source="insole stream",
        )

    def _update_condition(self, rec: InsoleRecording, weight_n: float) -> None:
        """Extend the cached condition to the newest sample.

        Only a tail of the buffer is recomputed (the frames before it are reused): it starts
        :data:`TAIL_S` before the newest sample, or earlier so that it starts :data:`SETTLE_S` before the
        end of the cache, and only its frames from :data:`SETTLE_S` on replace the cache (the filters
        need that long to settle).
        """
        cached_end = self._condition_start + (0 if self._condition is None else self._condition.n_frames)
        settle = round(SETTLE_S * self.rate_hz)
        tail_start = min(
            self._n_received - round(TAIL_S * self.rate_hz),
            int(np.floor(cached_end / self.frame_rate_hz * self.rate_hz)) - settle,
        )
        if self._condition is None or tail_start <= self._buffer_start:
            features = insole_streams(rec, self.frame_rate_hz, weight_n)
            self._condition = self._window_model.prepare(features)
            self._condition_start = round(features.time_s[0] * self.frame_rate_hz)
            return
        features = insole_streams(self._buffer_recording(tail_start), self.frame_rate_hz, weight_n)
        tail = self._window_model.prepare(features)
        settled = int(np.ceil((tail_start + settle) / self.rate_hz * self.frame_rate_hz - 1e-9))
        first = max(settled, self._condition_start)
        keep = self._condition.frames(0, first - self._condition_start)
        new = tail.frames(first - round(features.time_s[0] * self.frame_rate_hz), tail.n_frames)
        self._condition = Condition(
            np.concatenate([keep.values, new.values]), np.concatenate([keep.present, new.present])
        )

    def _commit_until(self, target: int, lookahead: int, started_s: float, final: bool) -> StreamChunk:
        """Generate and commit frames up to ``target`` (exclusive), windows reaching ``lookahead`` beyond."""
        if target <= self._committed:
            return StreamChunk.empty(time.perf_counter() - started_s)
        rec = self._buffer_recording()
        try:  # insole size and body weight need loaded samples; until the stream has some, wait
            if self.insole_size is None:
                self.insole_size = rec.insole_size = insole_size_of(rec)
            weight_n = self.body_weight_n or wearer_weight_n(rec)
        except InputError:
            if final:
                raise
            return StreamChunk.empty(time.perf_counter() - started_s)
        self._update_condition(rec, weight_n)
        condition, first_frame = self._condition, self._condition_start
        available = first_frame + condition.n_frames
        window_frames = self._window_model.window_frames
        first_new, poses, moves = self._committed, [], []
        while self._committed < target:
            stop = min(available, self._committed + window_frames // 2 + lookahead)
            start = max(0, stop - window_frames)
            window = condition.frames(start - first_frame, stop - first_frame)
            known = self._history_m[:, start - self._history_start : self._committed - self._history_start]
            window_poses = self._window_model.sample_poses(window, known if known.shape[1] else None)
            commit = min(stop, target) - start
            new = slice(self._committed - start, commit)
            poses.append(window_poses[:, new])
            moves.append(self._window_model.root_motion(window)[new])
            self._remember(window_poses[:, :commit], start)
            self._committed = start + commit
        frame_time_s = np.arange(first_new, self._committed) / self.frame_rate_hz
        n_ahead = min(window_poses.shape[1] - commit, self._smoothing_half)  # for the pelvis height
        ahead_time_s = np.arange(self._committed, self._committed + n_ahead) / self.frame_rate_hz
        stance, ahead_stance = np.split(
            stance_at_times(rec, weight_n, np.concatenate([frame_time_s, ahead_time_s]) - rec.time_s[0]),
            [frame_time_s.size],
        )
        poses_m = self._smoothed(np.concatenate(poses, axis=1), first_new, window_poses[:, commit:])
        first_commit = self.offsets_m is None or self._pinner is None  # size and bones are fixed then
        if first_commit and self.height_m is not None:
            self._height_scale = height_scale(poses_m, self.height_m)
        poses_m = self._sized(poses_m)
        if first_commit:
            n = poses_m.shape[1]
            self.offsets_m = (
                rest_offsets_m(to_world(poses_m[0], np.zeros((n, 3)), np.zeros(n)))
                if self.skeleton_offsets_m is None
                else self.skeleton_offsets_m
            )
            self._pinner = FootPinner(self.offsets_m, self.frame_rate_hz)
        ahead_m = self._sized(window_poses[:, commit : commit + n_ahead])
        heights_m = self._smoothed_heights(poses_m[0], stance, ahead_m[0], ahead_stance)
        root = _RootMoves(np.concatenate(moves), None, np.zeros(len(frame_time_s), dtype=bool))
        if self.root == "odometry":
            root = self._odometry(rec, root.moves, first_new)
        chunk = self._finish_frames(poses_m, root, stance, frame_time_s, started_s, heights_m)
        self._trim_buffer()
        return chunk

    def _sized(self, poses_m: np.ndarray) -> np.ndarray:
        """Poses ``[1, n, 21, 3]`` at the wearer's size: scaled to the height (by the first commit's factor)
        or redrawn on the skeleton, when given."""
        poses_m = self._height_scale * poses_m
        if self.skeleton_offsets_m is None or not poses_m.shape[1]:
            return poses_m
        return on_skeleton(poses_m, self.skeleton_offsets_m)

    @property
    def _smoothing_half(self) -> int:
        """Frames on either side of a frame that its smoothing reads."""
        return round(POSE_SMOOTHING_S * self.frame_rate_hz / 2)

    def _smoothed(self, new_m: np.ndarray, first_new: int, ahead_m: np.ndarray) -> np.ndarray:
        """The new frames' poses ``[1, n, 21, 3]`` (from ``first_new``) smoothed as offline
        (:func:`~step2motion.reconstruction.pipeline.smoothed_over_time`) over what a commit can see: the
        committed poses before them and the generated, not yet committed ones after (``ahead_m``)."""
        half = self._smoothing_half
        # the history may no longer hold them (one push committing more than a window)
        lo, hi = (max(0, f - self._history_start) for f in (first_new - half, first_new))
        before = self._history_m[:, lo:hi]
        around = np.concatenate([before, new_m, ahead_m[:, :half]], axis=1)
        smooth = smoothed_over_time(around, self.frame_rate_hz)
        return smooth[:, before.shape[1] : before.shape[1] + new_m.shape[1]]

    def _smoothed_heights(
        self, poses_m: np.ndarray, stance: np.ndarray, ahead_m: np.ndarray, ahead_stance: np.ndarray
    ) -> np.ndarray:
        """The new frames' pelvis heights ``[n]`` read off their poses ``[n, 21, 3]`` and stance ``[n, 2]``
        (:func:`~step2motion.reconstruction.foot_contacts.pelvis_height_m`), smoothed as offline
        (:func:`~step2motion.reconstruction.pipeline.smoothed_poses`) over what a commit can see: the
        committed frames' heights before them and the lookahead's ``ahead_m``, ``ahead_stance`` after."""
        last = float(self._heights_m[-1]) if self._heights_m.size else None
        new = pelvis_height_m(poses_m, stance, last)
        ahead = pelvis_height_m(ahead_m, ahead_stance, float(new[-1]))
        smooth = smoothed_over_time(np.concatenate([self._heights_m, new, ahead]), self.frame_rate_hz, axis=0)
        before = self._heights_m.size
        self._heights_m = np.concatenate([self._heights_m, new])[-self._smoothing_half :]
        return smooth[before : before + new.size]

    def _odometry(self, rec: InsoleRecording, network_moves: np.ndarray, first_new: int) -> _RootMoves:
        """The root of the frames from ``first_new``: the network's ``network_moves`` ``[n, 4]``, except
        the horizontal move and turn of each frame that the feet's odometry over the buffered samples
        ``rec`` places, as it does the frame before (module docstring)."""
        self._network_moves = np.concatenate([self._network_moves, network_moves])
        stop = first_new + len(network_moves)
        first_frame = int(np.ceil(rec.time_s[0] * self.frame_rate_hz - 1e-9))
        unplaced = _RootMoves(network_moves, None, np.zeros(len(network_moves), dtype=bool))
        if first_new < first_frame:
            return unplaced
        network = np.zeros((stop - first_frame, 4))  # frames older than the kept moves: unknown
        known = max(first_frame, self._moves_start)
        network[known - first_frame :] = self._network_moves[known - self._moves_start :]
        frame_time_s = np.arange(first_frame, stop) / self.frame_rate_hz - rec.time_s[0]
        feet = reliable_feet(from_first_sample(rec), frame_time_s, network)
        path = None if feet is None else odometry_root_path(feet, frame_time_s, network)
        if path is None:
            return unplaced
        odometry = displacement_from_trajectory(
            torch.from_numpy(path.position_m), torch.from_numpy(path.yaw_rad)
        ).numpy()
        frames = np.arange(first_new, stop)
        new = frames - first_frame
        before = np.where(new > 0, path.placed[np.maximum(new - 1, 0)], frames == 0)  # frame 0 has no move
        placed = path.placed[new] & before
        moves = network_moves.copy()
        moves[placed, :2] = odometry[new[placed], :2]
        moves[placed, 3] = odometry[new[placed], 3]
        landing = np.full((new.size, len(SIDES), 3), np.nan)
        for index, side in enumerate(SIDES):
            chip, yaw = chip_at_frames(feet.foot(side), frame_time_s[new])
            toe_offset_m = self.offsets_m[skeleton.joint_index(f"{side.capitalize()}ToeBase")]
            landing[:, index] = flat_toe_m(chip, yaw, toe_offset_m) - path.position_m[new]
        landing = rotate_about_y(landing, -path.yaw_rad[new])
        landing[~path.placed[new]] = np.nan
        return _RootMoves(moves, landing, placed)

    def _remember(self, poses_m: np.ndarray, start: int) -> None:
        """Keep the last window's worth of committed poses ``[1, n, 21, 3]`` (frames from ``start``)."""
        kept = self._history_m[:, : max(0, start - self._history_start)]
        history = np.concatenate([kept, poses_m], axis=1)
        drop = max(0, history.shape[1] - self._window_model.window_frames)
        self._history_m = history[:, drop:]
        self._history_start = start - kept.shape[1] + drop

    def _finish_frames(
        self,
        poses_m: np.ndarray,
        root: _RootMoves,
        stance: np.ndarray,
        time_s: np.ndarray,
        started_s: float,
        heights_m: np.ndarray,
    ) -> StreamChunk:
        """World placement (pelvis heights ``heights_m`` ``[n]``), skeleton and foot pinning of newly
        committed frames."""
        world, heading, self._root_state = place_in_world(
            poses_m, root.moves, stance, self._root_state, heights_m[None]
        )
        root_m = world[0, :, :1]  # only x and z are read
        landing_m = None if root.landing is None else root_m + rotate_about_y(root.landing, heading)
        motion = skeleton_motion(
            world[0], stance, self.frame_rate_hz, self.offsets_m, self._pinner, "stream", landing_m
        )
        positions, _ = forward_kinematics(motion.local_rotations, motion.root_position_m, self.offsets_m)
        chunk = StreamChunk(
            time_s,
            positions,
            motion.local_rotations,
            motion.root_position_m,
            stance,
            root.placed,
            time.perf_counter() - started_s,
        )
        self._last_chunk = chunk
        return chunk

    def _trim_buffer(self) -> None:
        """Drop raw samples and cached frames older than the next window can need (samples: plus the
        margin)."""
        oldest_frame = max(0, self._committed - self._window_model.window_frames)
        keep_from = int(np.floor(oldest_frame / self.frame_rate_hz * self.rate_hz)) - self._margin_samples
        cut = max(0, keep_from - self._buffer_start)
        if cut:
            for side in SIDES:
                self._buffer[side] = self._buffer[side].take(slice(cut, None))
            self._buffer_start += cut
        first_frame = int(np.ceil(self._buffer_start / self.rate_hz * self.frame_rate_hz - 1e-9))
        if first_frame > self._moves_start:
            self._network_moves = self._network_moves[first_frame - self._moves_start :]
            self._moves_start = first_frame
        drop = max(0, oldest_frame - self._condition_start)
        if drop and self._condition is not None:
            self._condition = self._condition.frames(drop, self._condition.n_frames)
            self._condition_start += drop
