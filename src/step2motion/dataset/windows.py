"""Training windows from many paired clips: pairing, z-score statistics, mirroring, a torch ``Dataset``.

:class:`WindowDataset` numbers windows of ``W`` frames; a window is a clip, a *start* (the clip frame at
the window's first frame) and whether it is mirrored. Two sets of windows:

* by default (validation, as in the reference) a window starts at every frame of every clip, inside it;
  a clip shorter than a window gives one window, the clip at its start and padding after it;
* with ``even_coverage`` (training) every placement under which each frame of a clip lies in the same
  number of windows: a clip of ``n ≤ W`` frames sits at each of the ``W - n + 1`` offsets inside the
  window (starts ``n - W .. 0``), a longer clip is overlapped by each of the ``n + W - 1`` windows that
  share a frame with it (starts ``1 - W .. n - 1``, padding where a window hangs over an end: its windows
  hold ``n·W / (n + W - 1)`` real frames on average). Windows inside the clip alone cannot do this: they
  put a clip's first and last frames in one window each and its middle frames in ``W``.
  :meth:`WindowDataset.frame_probability` then weights windows so every frame of every clip is drawn
  equally often (:mod:`step2motion.training.data`).

``frame_valid`` is False on padding; clips shorter than a window are counted
(:attr:`WindowDataset.padded_clips`), never dropped. Sensor-dropout masks are the model's job;
``present`` here only says what was recorded.

Mirroring (left ↔ right) is physically honest augmentation: the mirrored insole streams are what a
mirrored wearer's insoles would read. Insole streams swap sides and take the signs of
:data:`~step2motion.dataset.insole_features.MIRROR_SIGNS` (all +1: OpenGo channels are anatomical on
both feet); poses swap Left*/Right* joints and negate X (the character's left); root motion negates
its leftward move and heading change; pelvis height is unchanged.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import torch
from torch.utils.data import Dataset

from step2motion.dataset.insole_features import MIRROR_SIGNS, InsoleFeatures
from step2motion.dataset.pose_features import POSE_JOINTS, PoseTargets
from step2motion.errors import InputError

#: Default window length in frames (3.3 s at 30 Hz, as published).
WINDOW_FRAMES = 100
#: Channels whose training-set spread is below this are constant: they are centred but not scaled.
MIN_STD = 1e-6
STATS_VERSION = 1
#: A condition reading more than this many training standard deviations from the training mean is
#: clipped to that distance: the model never learnt what such a reading means, and one channel fed at
#: tens of deviations (a cell the simulated soles never load but real ones do) swamps what the others say.
MAX_CONDITION_Z = 10.0

_OTHER_SIDE = {"left": "right", "right": "left"}
_SIDE_PREFIX = {"Left": "Right", "Right": "Left"}
_MIRRORED_JOINTS = np.array(
    [POSE_JOINTS.index(re.sub(r"^(Left|Right)", lambda m: _SIDE_PREFIX[m[1]], n)) for n in POSE_JOINTS]
)
_POSE_MIRROR_SIGNS = np.array([-1.0, 1.0, 1.0])
_ROOT_MIRROR_SIGNS = np.array([1.0, -1.0, 1.0, -1.0])


@dataclass(frozen=True)
class TrainingClip:
    """Insole streams and pose targets of one clip on one frame axis (``T`` frames).

    Attributes:
        name: for reports.
        streams: ``{stream: [T, C]}`` insole features (NaN where absent).
        present: ``{stream: [T] bool}``.
        poses: ``[T, 21, 3]`` pose targets (m).
        root_motion: ``[T, 4]`` root targets.
        pelvis_height_m: ``[T]``.
    """

    name: str
    streams: dict[str, np.ndarray]
    present: dict[str, np.ndarray]
    poses: np.ndarray
    root_motion: np.ndarray
    pelvis_height_m: np.ndarray

    @property
    def n_frames(self) -> int:
        return int(self.poses.shape[0])


def pair_clip(features: InsoleFeatures, targets: PoseTargets, name: str) -> TrainingClip:
    """Put features and targets of the same take on their common frames.

    Feature frame times are multiples of ``1 / rate``; target frame ``t`` is at ``t / fps`` from the
    motion's start, which the simulator maps to time zero of the recording.
    """
    if not np.isclose(features.rate_hz, targets.fps):
        raise ValueError(f"{name}: features at {features.rate_hz} Hz, targets at {targets.fps} Hz")
    if features.n_frames == 0:
        raise ValueError(f"{name}: the insole features have no frame")
    offset = round(features.time_s[0] * features.rate_hz)  # frame number of feature row 0
    first, last = max(offset, 0), min(offset + features.n_frames, targets.n_frames)  # frame numbers
    if last <= first:
        raise ValueError(f"{name}: insole recording and motion do not overlap in time")
    rows, frames = slice(first - offset, last - offset), slice(first, last)
    return TrainingClip(
        name=name,
        streams={k: v[rows] for k, v in features.streams.items()},
        present={k: v[rows] for k, v in features.present.items()},
        poses=targets.joints_local_m[frames],
        root_motion=targets.root_motion[frames],
        pelvis_height_m=targets.pelvis_height_m[frames],
    )


def _other_stream(name: str) -> tuple[str, str]:
    side, _, modality = name.partition("_")
    if side not in _OTHER_SIDE:
        raise KeyError(f"stream {name!r} does not start with a side ('left_' or 'right_')")
    return f"{_OTHER_SIDE[side]}_{modality}", modality


def mirror_streams(streams: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Insole streams ``{name: [..., C]}`` of the mirrored wearer: sides swapped, signs flipped."""
    out = {}
    for name, values in streams.items():
        other, modality = _other_stream(name)
        out[other] = values * np.asarray(MIRROR_SIGNS[modality], dtype=values.dtype)
    return out


def mirror_present(present: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Presence masks follow their stream to the other side."""
    return {_other_stream(name)[0]: mask for name, mask in present.items()}


def mirror_poses(poses: np.ndarray) -> np.ndarray:
    """Pose targets ``[..., 21, 3]`` of the mirrored character."""
    return poses[..., _MIRRORED_JOINTS, :] * _POSE_MIRROR_SIGNS


def mirror_root_motion(root_motion: np.ndarray) -> np.ndarray:
    """Root targets ``[..., 4]`` of the mirrored character (leftward move and turn negated)."""
    return root_motion * _ROOT_MIRROR_SIGNS


def mirror_clip(clip: TrainingClip) -> TrainingClip:
    """The whole clip mirrored left ↔ right (module docstring)."""
    return replace(
        clip,
        name=f"{clip.name} (mirrored)",
        streams=mirror_streams(clip.streams),
        present=mirror_present(clip.present),
        poses=mirror_poses(clip.poses),
        root_motion=mirror_root_motion(clip.root_motion),
    )


@dataclass(frozen=True)
class ChannelStats:
    """Mean and standard deviation of one quantity, per channel (any shape)."""

    mean: np.ndarray
    std: np.ndarray

    @classmethod
    def of(cls, samples: np.ndarray) -> ChannelStats:
        """Statistics over the first axis of ``samples [N, ...]`` (mean 0, std 1 when ``N == 0``)."""
        if samples.shape[0] == 0:
            return cls(np.zeros(samples.shape[1:]), np.ones(samples.shape[1:]))
        samples = samples.astype(np.float64)
        std = samples.std(axis=0)
        return cls(samples.mean(axis=0), np.where(std < MIN_STD, 1.0, std))

    def normalise(self, values: np.ndarray) -> np.ndarray:
        return (values - self.mean) / self.std

    def denormalise(self, values: np.ndarray) -> np.ndarray:
        return values * self.std + self.mean

    def to_dict(self) -> dict[str, Any]:
        return {"mean": self.mean.tolist(), "std": self.std.tolist()}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], what: str) -> ChannelStats:
        try:
            mean, std = np.asarray(data["mean"], dtype=float), np.asarray(data["std"], dtype=float)
        except (KeyError, TypeError, ValueError) as error:
            raise InputError(
                f"normalisation statistics {what!r} need numeric 'mean' and 'std': {error}"
            ) from None
        if mean.shape != std.shape or not np.all(std > 0) or not np.isfinite(mean).all():
            raise InputError(f"normalisation statistics {what!r}: mean/std shapes differ or std not positive")
        return cls(mean, std)


@dataclass(frozen=True)
class NormalisationStats:
    """z-score statistics from the training set: per stream channel (present frames only), per pose
    coordinate ``[21, 3]``, per root channel ``[4]`` and for the pelvis height."""

    streams: dict[str, ChannelStats]
    poses: ChannelStats
    root_motion: ChannelStats
    pelvis_height_m: ChannelStats

    def condition_z(self, name: str, values: np.ndarray) -> np.ndarray:
        """Condition stream ``name``'s ``values`` ``[T, C]`` z-scored, clipped to ±:data:`MAX_CONDITION_Z`
        (``NaN`` stays ``NaN``); training and inference both read the condition through this."""
        return np.clip(self.streams[name].normalise(values), -MAX_CONDITION_Z, MAX_CONDITION_Z)

    @classmethod
    def from_clips(cls, clips: Sequence[TrainingClip], mirrored: bool = False) -> NormalisationStats:
        """Statistics of ``clips`` (and of their mirrors when training will mirror, so that left and
        right get the same statistics)."""
        if not clips:
            raise ValueError("normalisation statistics need at least one clip")
        if mirrored:
            clips = [*clips, *(mirror_clip(c) for c in clips)]
        names = list(clips[0].streams)
        return cls(
            streams={
                name: ChannelStats.of(np.concatenate([c.streams[name][c.present[name]] for c in clips]))
                for name in names
            },
            poses=ChannelStats.of(np.concatenate([c.poses for c in clips])),
            root_motion=ChannelStats.of(np.concatenate([c.root_motion for c in clips])),
            pelvis_height_m=ChannelStats.of(np.concatenate([c.pelvis_height_m for c in clips])),
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form (lists and numbers only)."""
        return {
            "version": STATS_VERSION,
            "streams": {name: stats.to_dict() for name, stats in self.streams.items()},
            "poses": self.poses.to_dict(),
            "root_motion": self.root_motion.to_dict(),
            "pelvis_height_m": self.pelvis_height_m.to_dict(),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> NormalisationStats:
        """Inverse of :meth:`to_dict`; ``InputError`` on anything malformed."""
        if not isinstance(data, Mapping) or data.get("version") != STATS_VERSION:
            raise InputError(f"normalisation statistics must be an object with version {STATS_VERSION}")
        missing = sorted({"streams", "poses", "root_motion", "pelvis_height_m"} - set(data))
        if missing or not isinstance(data["streams"], Mapping):
            raise InputError(f"normalisation statistics lack {missing or ['a streams object']}")
        return cls(
            streams={name: ChannelStats.from_dict(d, name) for name, d in data["streams"].items()},
            poses=ChannelStats.from_dict(data["poses"], "poses"),
            root_motion=ChannelStats.from_dict(data["root_motion"], "root_motion"),
            pelvis_height_m=ChannelStats.from_dict(data["pelvis_height_m"], "pelvis_height_m"),
        )


class WindowDataset(Dataset):
    """Windows of ``window_frames`` frames of every clip (and of its mirror when ``mirror``): every start
    inside the clip, or with ``even_coverage`` every placement that covers each frame equally often
    (module docstring). Indices run clip by clip, starts ascending, mirrors after all originals.

    An item is a dict of tensors, ``W = window_frames``: ``streams {name: [W, C] float32}`` z-scored with
    absent frames set to 0 (the mean) *and* marked in ``present {name: [W] bool}``; ``poses [W, 21, 3]``,
    ``root_motion [W, 4]``, ``pelvis_height_m [W]`` z-scored (float32); ``frame_valid [W] bool`` (False on
    padding, where everything else is 0/False); ``clip_index``, ``start`` (negative when the window begins
    before the clip), ``mirrored``. Without ``stats`` values stay in their units.
    """

    def __init__(
        self,
        clips: Sequence[TrainingClip],
        window_frames: int = WINDOW_FRAMES,
        stats: NormalisationStats | None = None,
        mirror: bool = False,
        even_coverage: bool = False,
    ) -> None:
        if window_frames < 1:
            raise ValueError(f"window_frames must be positive, got {window_frames}")
        if not clips:
            raise ValueError("a window dataset needs at least one clip")
        self.clips = list(clips)
        self.window_frames = window_frames
        self.stats = stats
        self.mirror = mirror
        self.even_coverage = even_coverage
        lengths = np.array([c.n_frames for c in self.clips])
        self._fits = lengths <= window_frames
        if even_coverage:
            self._first_start = np.where(self._fits, lengths - window_frames, 1 - window_frames)
            last_start = np.where(self._fits, 0, lengths - 1)
        else:
            self._first_start = np.zeros_like(lengths)
            last_start = np.maximum(lengths - window_frames, 0)
        self._n_windows = last_start - self._first_start + 1  # per clip
        self._offsets = np.concatenate([[0], np.cumsum(self._n_windows)])  # first index of each clip
        #: Names of clips shorter than a window (each gives padded windows).
        self.padded_clips: tuple[str, ...] = tuple(c.name for c in self.clips if c.n_frames < window_frames)

    def __len__(self) -> int:
        return int(self._offsets[-1]) * (2 if self.mirror else 1)

    def summary(self) -> dict[str, Any]:
        """Counts for training reports."""
        return {
            "clips": len(self.clips),
            "frames": int(sum(c.n_frames for c in self.clips)),
            "windows": len(self),
            "padded_clips": len(self.padded_clips),
            "window_frames": self.window_frames,
            "mirror": self.mirror,
        }

    def frame_probability(self, clip_weights: Sequence[float] | np.ndarray | None = None) -> np.ndarray:
        """Probability ``[len(self)]`` of each window under which, in expectation, every frame of clip
        ``c`` (and of its mirror) is drawn as often as any other, times ``clip_weights[c]`` (default 1).

        Each frame of a clip lies in the same number of its windows (``even_coverage`` only), so a window
        gets its clip's weight divided by that number: a clip's share of drawn real frames is then ∝ its
        frames × its weight, whatever its length.
        """
        if not self.even_coverage:
            raise ValueError("frame_probability needs the windows of even_coverage")
        weights = np.ones(len(self.clips)) if clip_weights is None else np.asarray(clip_weights, dtype=float)
        if weights.shape != (len(self.clips),) or np.any(weights < 0) or not weights.sum() > 0:
            raise ValueError(f"need {len(self.clips)} non-negative clip weights, not all 0, got {weights}")
        covering = np.where(self._fits, self._n_windows, self.window_frames)
        probability = np.repeat(weights / covering, self._n_windows)
        if self.mirror:
            probability = np.concatenate([probability, probability])
        return probability / probability.sum()

    def window(self, index: int) -> tuple[int, int, bool]:
        """``(clip_index, start, mirrored)`` of window ``index`` (``start`` as in the items)."""
        if not 0 <= index < len(self):
            raise IndexError(f"window {index} out of range [0, {len(self)})")
        n_original = int(self._offsets[-1])
        mirrored = index >= n_original
        position = index - n_original if mirrored else index
        clip_index = int(np.searchsorted(self._offsets, position, side="right")) - 1
        return clip_index, int(self._first_start[clip_index] + position - self._offsets[clip_index]), mirrored

    def __getitem__(self, index: int) -> dict[str, Any]:
        clip_index, start, mirrored = self.window(index)
        clip = self.clips[clip_index]
        lead = max(-start, 0)  # padding frames before the clip's first frame
        window = slice(start + lead, start + self.window_frames)
        streams = {k: v[window] for k, v in clip.streams.items()}
        present = {k: v[window] for k, v in clip.present.items()}
        poses, root, pelvis = clip.poses[window], clip.root_motion[window], clip.pelvis_height_m[window]
        if mirrored:
            streams, present = mirror_streams(streams), mirror_present(present)
            poses, root = mirror_poses(poses), mirror_root_motion(root)
        if self.stats is not None:
            streams = {k: self.stats.condition_z(k, v) for k, v in streams.items()}
            poses = self.stats.poses.normalise(poses)
            root = self.stats.root_motion.normalise(root)
            pelvis = self.stats.pelvis_height_m.normalise(pelvis)
        n_valid = poses.shape[0]
        return {
            "streams": {
                k: self._pad(np.where(present[k][:, None], v, 0.0), lead) for k, v in streams.items()
            },
            "present": {k: self._pad(v, lead) for k, v in present.items()},
            "poses": self._pad(poses, lead),
            "root_motion": self._pad(root, lead),
            "pelvis_height_m": self._pad(pelvis, lead),
            "frame_valid": self._pad(np.ones(n_valid, dtype=bool), lead),
            "clip_index": clip_index,
            "start": start,
            "mirrored": mirrored,
        }

    def _pad(self, values: np.ndarray, lead: int) -> torch.Tensor:
        """``[n, ...]`` → ``[W, ...]`` tensor holding ``values`` from frame ``lead`` on, zero/False elsewhere
        (float32 or bool)."""
        padded = np.zeros((self.window_frames, *values.shape[1:]), dtype=values.dtype)
        padded[lead : lead + values.shape[0]] = values
        return torch.from_numpy(padded if padded.dtype == bool else padded.astype(np.float32))
