"""Per-stream encoders of the insole condition, with a learned null embedding per stream.

The null embedding is the single mechanism behind classifier-free guidance (all streams absent) and
sensor dropout (some streams absent): an absent stream's encoding is replaced by its null embedding,
the same way in training and sampling, so the network never sees an absent sensor as "zeros".
"""

from __future__ import annotations

import torch
from torch import nn

from step2motion.condition_schema import ConditionSchema
from step2motion.model.embeddings import frame_encoding


def stream_mlp(in_channels: int, d_model: int) -> nn.Sequential:
    """The published 3-layer stream encoder: ``c → d, GELU, d → d, GELU, d → d``."""
    return nn.Sequential(
        nn.Linear(in_channels, d_model),
        nn.GELU(),
        nn.Linear(d_model, d_model),
        nn.GELU(),
        nn.Linear(d_model, d_model),
    )


def all_present(
    batch_size: int, schema: ConditionSchema, device: torch.device | str | None = None
) -> torch.Tensor:
    """Stream mask with every stream present: ``[B, n_streams]`` bool."""
    return torch.ones(batch_size, schema.n_streams, dtype=torch.bool, device=device)


def check_stream_mask(stream_mask: torch.Tensor, batch_size: int, schema: ConditionSchema) -> None:
    """Raise ``ValueError`` unless ``stream_mask`` is a bool ``[B, n_streams]`` tensor."""
    if stream_mask.dtype != torch.bool or tuple(stream_mask.shape) != (batch_size, schema.n_streams):
        raise ValueError(
            f"stream mask must be bool [{batch_size}, {schema.n_streams}], "
            f"got {stream_mask.dtype} {list(stream_mask.shape)}"
        )


class ConditionEncoder(nn.Module):
    """Packed condition ``[B, T, C]`` + stream mask ``[B, S]`` → stream encodings ``[B, S, T, d]``.

    Present streams: MLP of the stream's channels plus the sinusoidal frame encoding. Absent streams:
    the stream's learned null embedding at every frame. Absent streams' inputs are zeroed before the
    MLP, so NaNs in a missing sensor cannot leak into outputs or gradients. Streams not in
    ``used_streams`` (default: all) have no MLP and are always absent.
    """

    def __init__(
        self, schema: ConditionSchema, d_model: int, used_streams: tuple[str, ...] | None = None
    ) -> None:
        super().__init__()
        self.schema = schema
        self.d_model = d_model
        used = schema.names if used_streams is None else used_streams
        self.encoders = nn.ModuleDict(
            {name: stream_mlp(channels, d_model) for name, channels in schema.streams if name in used}
        )
        self.register_buffer("used", torch.tensor([name in used for name in schema.names]), persistent=False)
        self.null_embeddings = nn.Parameter(torch.randn(schema.n_streams, d_model) * 0.02)

    def forward(self, condition: torch.Tensor, stream_mask: torch.Tensor | None = None) -> torch.Tensor:
        self.schema.check_packed(condition)
        batch_size, n_frames, _ = condition.shape
        if stream_mask is None:
            stream_mask = all_present(batch_size, self.schema, condition.device)
        check_stream_mask(stream_mask, batch_size, self.schema)
        stream_mask = stream_mask & self.used
        positions = frame_encoding(n_frames, self.d_model, condition.device).to(condition.dtype)
        null = self.null_embeddings[:, None, :].to(condition.dtype)
        encoded = []
        for index, (name, channels) in enumerate(self.schema.unpack(condition).items()):
            if name not in self.encoders:
                encoded.append(null[index].expand(batch_size, n_frames, -1))
                continue
            present = stream_mask[:, index, None, None]
            encoded.append(self.encoders[name](torch.where(present, channels, 0.0)) + positions)
        stacked = torch.stack(encoded, dim=1)
        return torch.where(stream_mask[:, :, None, None], stacked, null[None])
