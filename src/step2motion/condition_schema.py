"""Named layout of the insole condition: which streams exist, in which order, with how many channels.

Every part of the model addresses condition channels through a :class:`ConditionSchema` by stream
name, never by channel position. The packed condition tensor is ``[B, T, C]`` with the streams'
channels concatenated in schema order; the number of cross-attention heads is the number of streams.

The schema is shared vocabulary of the feature extraction (:mod:`step2motion.dataset`) and the model,
so it lives below both and imports no torch: feature-only commands start without loading it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from step2motion.errors import InputError

if TYPE_CHECKING:
    import torch

FEET: tuple[str, ...] = ("left", "right")

#: Per-foot modalities of the published method and their channel counts: pressure cells 1–8
#: (rearfoot) and 9–16 (forefoot) in N/cm², acceleration (g) + angular rate (deg/s), total force (N)
#: + centre of pressure (normalised).
DEFAULT_MODALITY_CHANNELS: dict[str, int] = {
    "rearfoot_pressure": 8,
    "forefoot_pressure": 8,
    "imu": 6,
    "force_cop": 3,
}


def stream_name(foot: str, modality: str) -> str:
    """Canonical stream name, e.g. ``stream_name("left", "imu") == "left_imu"``."""
    return f"{foot}_{modality}"


@dataclass(frozen=True)
class ConditionSchema:
    """Ordered stream name → channel count.

    ``streams`` is a tuple of ``(name, channels)`` pairs; order defines both the channel layout of
    the packed condition and the cross-attention head that reads each stream.
    """

    streams: tuple[tuple[str, int], ...]

    def __post_init__(self) -> None:
        names = [name for name, _ in self.streams]
        if not names:
            raise InputError("condition schema has no streams")
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise InputError(f"condition schema repeats stream names {duplicates}")
        for name, channels in self.streams:
            if not isinstance(name, str) or not name:
                raise InputError(f"condition stream name {name!r} is not a non-empty string")
            if not isinstance(channels, int) or isinstance(channels, bool) or channels < 1:
                raise InputError(
                    f"condition stream {name!r} needs a positive integer channel count, got {channels!r}"
                )

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.streams)

    @property
    def n_streams(self) -> int:
        return len(self.streams)

    @property
    def total_channels(self) -> int:
        return sum(channels for _, channels in self.streams)

    def channels(self, name: str) -> int:
        """Channel count of one stream."""
        return self.streams[self.index(name)][1]

    def index(self, name: str) -> int:
        """Position of a stream (= its cross-attention head); ``KeyError`` names unknown streams."""
        try:
            return self.names.index(name)
        except ValueError:
            raise KeyError(f"{name!r} is not a stream of this schema (streams: {list(self.names)})") from None

    def channel_slice(self, name: str) -> slice:
        """Where a stream's channels lie in the packed ``[..., C]`` condition."""
        start = sum(channels for _, channels in self.streams[: self.index(name)])
        return slice(start, start + self.channels(name))

    def pack(self, streams: Mapping[str, torch.Tensor]) -> torch.Tensor:
        """Concatenate named streams ``{name: [..., T, c]}`` into the packed ``[..., T, C]`` condition.

        Every schema stream must be given with its declared channel count; extra names are refused so
        a misspelt stream cannot be silently dropped.
        """
        unknown = sorted(set(streams) - set(self.names))
        missing = [n for n in self.names if n not in streams]
        if unknown or missing:
            raise ValueError(f"streams do not match the schema: missing {missing}, unknown {unknown}")
        for name in self.names:
            if streams[name].shape[-1] != self.channels(name):
                raise ValueError(
                    f"stream {name!r} has {streams[name].shape[-1]} channels, "
                    f"schema says {self.channels(name)}"
                )
        import torch  # only packing needs torch, and its callers hold tensors (already imported)

        return torch.cat([streams[name] for name in self.names], dim=-1)

    def unpack(self, condition: torch.Tensor) -> dict[str, torch.Tensor]:
        """Inverse of :meth:`pack`: ``[..., T, C]`` → ``{name: [..., T, c]}`` (views, no copy)."""
        self.check_packed(condition)
        return {name: condition[..., self.channel_slice(name)] for name in self.names}

    def check_packed(self, condition: torch.Tensor) -> None:
        """Raise ``ValueError`` unless ``condition`` is ``[B, T, C]`` with this schema's ``C``."""
        if condition.ndim != 3 or condition.shape[-1] != self.total_channels:
            raise ValueError(
                f"condition must be [B, T, {self.total_channels}] for this schema, "
                f"got {list(condition.shape)}"
            )

    def to_list(self) -> list[dict[str, object]]:
        """JSON-able form (a list keeps the order explicit)."""
        return [{"name": name, "channels": channels} for name, channels in self.streams]

    @classmethod
    def from_list(cls, items: list[dict[str, object]]) -> ConditionSchema:
        """Rebuild from :meth:`to_list` output; ``InputError`` on malformed entries."""
        if not isinstance(items, list):
            raise InputError(f"condition schema must be a list of streams, got {type(items).__name__}")
        pairs = []
        for item in items:
            if not isinstance(item, dict) or set(item) != {"name", "channels"}:
                raise InputError(f"condition stream entry {item!r} needs exactly 'name' and 'channels'")
            pairs.append((item["name"], item["channels"]))
        return cls(tuple(pairs))

    @classmethod
    def per_foot(cls, modality_channels: Mapping[str, int] = DEFAULT_MODALITY_CHANNELS) -> ConditionSchema:
        """Streams ``{left, right} × modalities``, left foot first, modalities in the given order.

        Use e.g. ``ConditionSchema.per_foot({**DEFAULT_MODALITY_CHANNELS, "imu": 9})`` when the feature
        pipeline adds gravity-direction channels to the IMU stream.
        """
        return cls(tuple((stream_name(foot, m), c) for foot in FEET for m, c in modality_channels.items()))


#: The published 8-stream layout.
DEFAULT_SCHEMA = ConditionSchema.per_foot()
