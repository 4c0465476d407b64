"""What the viewer page and the video renders show, gathered once: skeletons and insoles on one clock.

Clock: seconds from the recording's first sample. A motion's frame ``k`` is at ``k / fps`` on it, as
``step2motion reconstruct`` writes them (exactly as long as the recording) and as the simulator reads
motion capture. Positions are world metres, Y up, on the canonical skeleton (any rig's BVH is retargeted
by :func:`step2motion.io.bvh.read_bvh`).

Motions are placed, not changed: a reconstruction starts at the origin facing +Z while its ground truth
starts wherever the capture did, so with ``align="start"`` each truth is moved rigidly (turn about the
vertical and a horizontal shift) to put its frame-0 root and hip heading on the first prediction's, as
``step2motion evaluate`` scores them. Planted feet come from the insoles' force (the stance test the
reconstruction itself uses), so they mark what the sensors say, not what a motion does.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import numpy as np

from step2motion import skeleton
from step2motion.errors import InputError
from step2motion.evaluation.motion_metrics import start_aligned
from step2motion.gait_events import reference_contacts
from step2motion.io.bvh import read_bvh
from step2motion.io.moticon import read_moticon
from step2motion.recording import SIDES, InsoleRecording, median_step_s

if TYPE_CHECKING:
    from step2motion.reconstruction.pipeline import Reconstruction

Role = Literal["prediction", "truth"]


@dataclass(frozen=True)
class MotionTrack:
    """One skeleton to draw.

    Attributes:
        label: what to call it on screen (the file name).
        role: ``"prediction"`` (a reconstruction) or ``"truth"`` (motion capture).
        joint_positions_m: ``[T, 22, 3]`` world positions, canonical joint order, Y up.
        fps: frame rate in Hz; frame ``k`` is at ``k / fps`` s.
    """

    label: str
    role: Role
    joint_positions_m: np.ndarray
    fps: float

    @property
    def duration_s(self) -> float:
        return self.joint_positions_m.shape[0] / self.fps

    def frame_at(self, time_s: np.ndarray | float) -> np.ndarray:
        """Index of the frame shown at ``time_s`` (the last one once the motion has ended)."""
        frames = np.floor(np.asarray(time_s) * self.fps + 1e-9).astype(int)
        return np.clip(frames, 0, self.joint_positions_m.shape[0] - 1)


@dataclass(frozen=True)
class InsoleTrack:
    """Both insoles as drawn: ``N`` samples per foot on the scene clock, ``NaN`` where missing.

    Attributes:
        time_s: ``[N]`` sample times, 0 at the first sample.
        pressure_ncm2: per side ``[N, 16]`` cell pressures (N/cm²), cells in OpenGo order.
        force_n: per side ``[N]`` total force (N).
        cop_norm: per side ``[N, 2]`` centre of pressure in the normalised insole frame
            (:mod:`step2motion.insole_layout`), ``NaN`` while the foot is unloaded.
        planted: per side ``[N]`` stance from the force (bool).
        insole_size: OpenGo size, ``None`` when the file does not say.
        label: the recording's file name.
    """

    time_s: np.ndarray
    pressure_ncm2: dict[str, np.ndarray]
    force_n: dict[str, np.ndarray]
    cop_norm: dict[str, np.ndarray]
    planted: dict[str, np.ndarray]
    insole_size: int | None
    label: str

    @property
    def duration_s(self) -> float:
        if self.time_s.size < 2:
            return 0.0
        return float(self.time_s[-1] + median_step_s(self.time_s))

    def sample_at(self, time_s: np.ndarray | float) -> np.ndarray:
        """Index of the last sample at or before ``time_s`` (the first one before the recording starts)."""
        index = np.searchsorted(self.time_s, np.asarray(time_s) + 1e-9, side="right") - 1
        return np.clip(index, 0, self.time_s.size - 1)


@dataclass(frozen=True)
class Scene:
    """Everything one page or video shows (module docstring for clock and placement)."""

    motions: tuple[MotionTrack, ...]
    insoles: InsoleTrack | None
    joint_names: tuple[str, ...] = skeleton.JOINT_NAMES
    parents: tuple[int, ...] = tuple(int(p) for p in skeleton.PARENTS)

    @property
    def duration_s(self) -> float:
        durations = [m.duration_s for m in self.motions]
        if self.insoles is not None:
            durations.append(self.insoles.duration_s)
        return max(durations, default=0.0)


def insole_track(recording: InsoleRecording) -> InsoleTrack:
    """The drawn insole signals of ``recording``, planted feet by the reconstruction's stance test."""
    time_s = recording.time_s - recording.time_s[0]
    stance = reference_contacts(recording, recording.time_s)
    return InsoleTrack(
        time_s=time_s,
        pressure_ncm2={side: recording.foot(side).pressure_ncm2 for side in SIDES},
        force_n={side: recording.foot(side).total_force_n for side in SIDES},
        cop_norm={side: _loaded_cop(recording, side) for side in SIDES},
        planted={side: stance[:, index] for index, side in enumerate(SIDES)},
        insole_size=recording.insole_size,
        label=Path(recording.source).name if recording.source else "recording",
    )


def _loaded_cop(recording: InsoleRecording, side: str) -> np.ndarray:
    """CoP with the exporter's unloaded placeholder (exactly 0, 0 at zero force) turned into ``NaN``."""
    foot = recording.foot(side)
    unloaded = ~(foot.total_force_n > 0)
    return np.where(unloaded[:, None], np.nan, foot.cop_norm)


def motion_track(path: Path, role: Role) -> MotionTrack:
    """A BVH of any known rig, as joint positions on the canonical skeleton."""
    motion = read_bvh(path)
    return MotionTrack(path.name, role, motion.joint_positions_m(), motion.fps)


def reconstruction_tracks(result: Reconstruction, label: str) -> list[MotionTrack]:
    """A reconstruction as drawn: its motion (what the BVH holds) and, when ``K > 1`` samples were
    drawn, each sample beside it, so their spread can be seen."""
    fps = result.motion.fps
    tracks = [MotionTrack(label, "prediction", result.motion.joint_positions_m(), fps)]
    if result.n_samples > 1:
        tracks += [
            MotionTrack(f"{label} sample {k + 1}", "prediction", sample_m, fps)
            for k, sample_m in enumerate(result.samples_m)
        ]
    return tracks


def assemble_scene(
    recording: InsoleRecording | None,
    predictions: list[MotionTrack],
    truth: MotionTrack | None = None,
    align: Literal["start", "none"] = "start",
) -> Scene:
    """A scene from what is already in memory (placement: module docstring)."""
    motions = list(predictions)
    if truth is not None:
        if align == "start" and predictions:
            reference = predictions[0].joint_positions_m
            placed = start_aligned(truth.joint_positions_m, truth.joint_positions_m, reference)
            truth = dataclasses.replace(truth, joint_positions_m=placed)
        motions.append(truth)
    return Scene(tuple(motions), insole_track(recording) if recording is not None else None)


def load_scene(
    recording_path: Path | None,
    motion_paths: list[Path],
    truth_path: Path | None = None,
    align: Literal["start", "none"] = "start",
) -> Scene:
    """Read what a page or video shows. ``InputError`` (file and reason) when there is nothing to show or
    a file cannot be read."""
    if recording_path is None and not motion_paths and truth_path is None:
        raise InputError("nothing to show: give a recording, a --motion or a --truth")
    recording = read_moticon(recording_path) if recording_path is not None else None
    truth = motion_track(truth_path, "truth") if truth_path is not None else None
    predictions = [motion_track(path, "prediction") for path in motion_paths]
    return assemble_scene(recording, predictions, truth, align)
