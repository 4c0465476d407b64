"""Root displacement: a small transformer over chosen condition streams, and its heading-free target.

Target per frame ``t`` (``[..., T, 4]``, channels :data:`ROOT_DISPLACEMENT_CHANNELS`): the root's
move from frame ``t-1`` to ``t`` expressed in the heading frame of frame ``t-1``, plus the heading
change. Conventions (Y up, right-handed, metres, radians): heading ``yaw`` is the rotation about +Y
that turns +Z into the character's facing direction; ``forward_m`` is along that direction,
``leftward_m`` along the heading-rotated +X (the character's left), ``up_m`` along +Y, and
``yaw_change_rad`` is ``yaw[t] - yaw[t-1]`` wrapped to ``(-π, π]`` (positive = turning left).
Frame 0 of a clip has no predecessor and gets zeros. Nothing here depends on the world heading, so
insoles alone (without a motion-capture foot orientation) suffice to predict it.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from step2motion.model.condition_schema import ConditionSchema
from step2motion.model.config import RootConfig
from step2motion.model.embeddings import frame_encoding

ROOT_DISPLACEMENT_CHANNELS: tuple[str, ...] = ("forward_m", "leftward_m", "up_m", "yaw_change_rad")


def _wrap_angle(angle_rad: torch.Tensor) -> torch.Tensor:
    """Wrap to ``(-π, π]``."""
    return math.pi - torch.remainder(math.pi - angle_rad, 2 * math.pi)


def displacement_from_trajectory(position_m: torch.Tensor, yaw_rad: torch.Tensor) -> torch.Tensor:
    """Root positions ``[..., T, 3]``, headings ``[..., T]`` → displacement ``[..., T, 4]`` (see module)."""
    step_m = position_m[..., 1:, :] - position_m[..., :-1, :]
    sin, cos = torch.sin(yaw_rad[..., :-1]), torch.cos(yaw_rad[..., :-1])
    forward = step_m[..., 0] * sin + step_m[..., 2] * cos
    leftward = step_m[..., 0] * cos - step_m[..., 2] * sin
    turn = _wrap_angle(yaw_rad[..., 1:] - yaw_rad[..., :-1])
    moves = torch.stack([forward, leftward, step_m[..., 1], turn], dim=-1)
    return torch.cat([torch.zeros_like(moves[..., :1, :]), moves], dim=-2)


def integrate_displacement(
    displacement: torch.Tensor, start_position_m: torch.Tensor, start_yaw_rad: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """Open-loop integration: displacement ``[..., T, 4]`` → positions ``[..., T, 3]``, yaw ``[..., T]``.

    ``start_position_m [..., 3]`` and ``start_yaw_rad [...]`` are the pose *before* frame 0's move, so
    the inverse of :func:`displacement_from_trajectory` (whose frame 0 is zero) is exact.
    """
    yaw = start_yaw_rad[..., None] + torch.cumsum(displacement[..., 3], dim=-1)
    yaw_before = torch.cat([start_yaw_rad[..., None], yaw[..., :-1]], dim=-1)
    sin, cos = torch.sin(yaw_before), torch.cos(yaw_before)
    forward, leftward = displacement[..., 0], displacement[..., 1]
    step_m = torch.stack(
        [forward * sin + leftward * cos, displacement[..., 2], forward * cos - leftward * sin], -1
    )
    return start_position_m[..., None, :] + torch.cumsum(step_m, dim=-2), yaw


def root_displacement_loss(
    predicted: torch.Tensor, target: torch.Tensor, cumsum_weight: float
) -> torch.Tensor:
    """MSE per frame + ``cumsum_weight`` × MSE of the running sum over the window; ``[B, T, 4]`` each."""
    drift = F.mse_loss(torch.cumsum(predicted, dim=-2), torch.cumsum(target, dim=-2))
    return F.mse_loss(predicted, target) + cumsum_weight * drift


class RootDisplacementNet(nn.Module):
    """Packed condition ``[B, T, C]`` → root displacement ``[B, T, 4]``, from ``config.streams`` only."""

    def __init__(self, schema: ConditionSchema, config: RootConfig) -> None:
        super().__init__()
        self.schema = schema
        self.streams = config.streams
        self.d_model = config.d_model
        in_channels = sum(schema.channels(name) for name in config.streams)
        self.input = nn.Linear(in_channels, config.d_model)
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

    def forward(self, condition: torch.Tensor) -> torch.Tensor:
        self.schema.check_packed(condition)
        selected = torch.cat(
            [condition[..., self.schema.channel_slice(name)] for name in self.streams], dim=-1
        )
        positions = frame_encoding(condition.shape[1], self.d_model, condition.device).to(condition.dtype)
        return self.head(self.encoder(self.input(selected) + positions))
