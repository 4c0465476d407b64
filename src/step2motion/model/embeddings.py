"""Sinusoidal encodings shared by the denoiser, the condition encoders and the root network."""

from __future__ import annotations

import math

import torch


def sinusoidal_encoding(positions: torch.Tensor, dim: int, max_period: float = 10_000.0) -> torch.Tensor:
    """Transformer sinusoidal encoding of (frame indices or diffusion timesteps).

    positions: ``[...]`` (any numeric dtype) → ``[..., dim]`` float32, ``[sin | cos]`` halves with
    geometric frequencies from 1 down to ``1 / max_period``.
    """
    if dim % 2:
        raise ValueError(f"sinusoidal encoding needs an even dimension, got {dim}")
    half = dim // 2
    exponents = torch.arange(half, device=positions.device, dtype=torch.float32) / half
    angles = positions.to(torch.float32)[..., None] * torch.exp(-math.log(max_period) * exponents)
    return torch.cat([torch.sin(angles), torch.cos(angles)], dim=-1)


def frame_encoding(n_frames: int, dim: int, device: torch.device | str | None = None) -> torch.Tensor:
    """Encoding of frame indices ``0 … n_frames-1`` within a window: ``[n_frames, dim]``."""
    return sinusoidal_encoding(torch.arange(n_frames, device=device), dim)
