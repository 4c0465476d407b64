"""Root displacement: a small transformer over chosen condition streams, predicting a heading-free target.

Target per frame ``t`` (``[..., T, 4]``, channels :data:`ROOT_DISPLACEMENT_CHANNELS`; computed and
integrated by :mod:`step2motion.dataset.pose_features`): the root's move from frame ``t-1`` to ``t``
expressed in the heading frame of frame ``t-1``, plus the heading change. Conventions (Y up,
right-handed, metres, radians): heading ``yaw`` is the rotation about +Y that turns +Z into the
character's facing direction; ``forward_m`` is along that direction, ``leftward_m`` along the
heading-rotated +X (the character's left), ``up_m`` along +Y, and ``yaw_change_rad`` is
``yaw[t] - yaw[t-1]`` wrapped to ``(-π, π]`` (positive = turning left). Frame 0 of a clip has no
predecessor and gets zeros. Nothing here depends on the world heading, so insoles alone (without a
motion-capture foot orientation) suffice to predict it.
"""

from __future__ import annotations

import torch
from torch import nn

from step2motion.condition_schema import ConditionSchema
from step2motion.model.config import RootConfig
from step2motion.model.embeddings import frame_encoding
from step2motion.model.modality_encoders import all_present, check_stream_mask

ROOT_DISPLACEMENT_CHANNELS: tuple[str, ...] = ("forward_m", "leftward_m", "up_m", "yaw_change_rad")


def root_displacement_loss(
    predicted: torch.Tensor,
    target: torch.Tensor,
    cumsum_weight: float,
    frame_valid: torch.Tensor | None = None,
) -> torch.Tensor:
    """MSE per frame + ``cumsum_weight`` × MSE of the running sum over the window; ``[B, T, 4]`` each.

    Both means run over the frames where ``frame_valid [B, T]`` is True (default all); padded moves are
    zeroed before the running sum, so padding neither shifts the real frames' sums nor gets a gradient.
    """
    if frame_valid is None:
        frame_valid = torch.ones(predicted.shape[:2], dtype=torch.bool, device=predicted.device)
    valid = frame_valid[..., None]
    predicted, target = torch.where(valid, predicted, 0.0), torch.where(valid, target, 0.0)
    n_values = (valid.sum() * predicted.shape[-1]).clamp_min(1)
    per_frame = (predicted - target).square().sum() / n_values
    drift = torch.where(valid, torch.cumsum(predicted, dim=-2) - torch.cumsum(target, dim=-2), 0.0)
    return per_frame + cumsum_weight * drift.square().sum() / n_values


class RootDisplacementNet(nn.Module):
    """Packed condition ``[B, T, C]`` (+ stream mask ``[B, S]``) → root displacement ``[B, T, 4]``, from
    ``config.streams`` only.

    With ``config.stream_presence_input`` absent streams are zeroed and each of ``config.streams`` adds
    one input channel, 1 when present and 0 when absent, on every frame; otherwise the mask is ignored
    (:class:`~step2motion.model.config.RootConfig`).
    """

    def __init__(self, schema: ConditionSchema, config: RootConfig) -> None:
        super().__init__()
        self.schema = schema
        self.streams = config.streams
        self.stream_indices = [schema.index(name) for name in config.streams]
        self.presence_input = config.stream_presence_input
        self.d_model = config.d_model
        in_channels = sum(schema.channels(name) for name in config.streams)
        self.input = nn.Linear(
            in_channels + (len(config.streams) if self.presence_input else 0), config.d_model
        )
        layer = nn.TransformerEncoderLayer(
            config.d_model,
            config.n_heads,
            config.ffn_dim,
            config.dropout,
            activation="gelu",
            batch_first=True,
            norm_first=True,
        )
        self.encoder = nn.TransformerEncoder(
            layer, config.n_layers, norm=nn.LayerNorm(config.d_model), enable_nested_tensor=False
        )
        self.head = nn.Linear(config.d_model, len(ROOT_DISPLACEMENT_CHANNELS))

    def forward(self, condition: torch.Tensor, stream_mask: torch.Tensor | None = None) -> torch.Tensor:
        """``stream_mask [B, S]`` (schema order): streams recorded and not dropped; default all."""
        self.schema.check_packed(condition)
        batch, n_frames = condition.shape[:2]
        selected = [condition[..., self.schema.channel_slice(name)] for name in self.streams]
        if self.presence_input:
            if stream_mask is None:
                stream_mask = all_present(batch, self.schema, condition.device)
            check_stream_mask(stream_mask, batch, self.schema)
            present = stream_mask[:, self.stream_indices]  # [B, streams]
            selected = [
                torch.where(present[:, i, None, None], values, 0.0) for i, values in enumerate(selected)
            ]
            selected.append(present[:, None, :].expand(batch, n_frames, -1).to(condition.dtype))
        positions = frame_encoding(n_frames, self.d_model, condition.device).to(condition.dtype)
        return self.head(self.encoder(self.input(torch.cat(selected, dim=-1)) + positions))
