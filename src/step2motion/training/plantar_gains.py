"""Plantar load redistribution: a training augmentation that varies how a foot's load spreads over the cells.

Why: the simulator gives every wearer one sole model, so a foot's cells share its load in nearly the
same proportions from one virtual walker to the next, while real feet (arches, toe-out, pronation) and
shoes do not: the real exports load some cells by half again or twice the simulated share. A model that
reads exact cell ratios then turns an unfamiliar foot into an unfamiliar posture. So each training window
draws, per foot and cell, a gain ``exp(σ · z)`` (``z`` standard normal) and scales that foot's 16 cell
forces by it, renormalised on every frame so that the foot's summed cell force is unchanged: the load is
moved between cells, never created (the total force, centre of pressure and IMU streams stay as
simulated). Padding frames are left as they are.

Conventions: the streams are z-scored (:class:`~step2motion.dataset.windows.NormalisationStats`) with
shape ``[B, W, C]``; a foot's cells are its ``<side>_rearfoot_pressure`` (cells 1-8) and
``<side>_forefoot_pressure`` (cells 9-16) streams, in body weights before z-scoring.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import torch

from step2motion.dataset.windows import NormalisationStats
from step2motion.recording import SIDES

_PARTS = ("rearfoot_pressure", "forefoot_pressure")
_EPS_BW = 1e-6


def redistribute_plantar_load(
    streams: Mapping[str, torch.Tensor],
    frame_valid: torch.Tensor,
    stats: NormalisationStats,
    sigma: float,
    rng: np.random.Generator,
) -> dict[str, torch.Tensor]:
    """``streams`` with each foot's cell forces redistributed by per-window gains (module docstring);
    ``frame_valid [B, W]`` marks the real frames. ``sigma`` 0 returns the streams unchanged."""
    out = dict(streams)
    if sigma <= 0:
        return out
    for side in SIDES:
        names = [f"{side}_{part}" for part in _PARTS]
        if not all(name in streams for name in names):
            continue
        scales = [_channel_stats(stats, name, streams[name]) for name in names]
        cells_bw = torch.cat(
            [streams[name] * std + mean for name, (mean, std) in zip(names, scales, strict=True)], dim=-1
        )
        batch, n_cells = cells_bw.shape[0], cells_bw.shape[-1]
        gains = torch.from_numpy(np.exp(sigma * rng.standard_normal((batch, 1, n_cells)))).to(cells_bw)
        moved = cells_bw * gains
        total, moved_total = cells_bw.sum(-1, keepdim=True), moved.sum(-1, keepdim=True)
        moved = torch.where(moved_total > _EPS_BW, moved * total / moved_total.clamp_min(_EPS_BW), cells_bw)
        keep = ~frame_valid[..., None]
        start = 0
        for name, (mean, std) in zip(names, scales, strict=True):
            width = streams[name].shape[-1]
            out[name] = torch.where(keep, streams[name], (moved[..., start : start + width] - mean) / std)
            start += width
    return out


def _channel_stats(
    stats: NormalisationStats, name: str, like: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """(mean, std) of stream ``name`` as tensors broadcastable over ``like [B, W, C]``."""
    channel = stats.streams[name]
    return (
        torch.as_tensor(np.asarray(channel.mean), dtype=like.dtype, device=like.device),
        torch.as_tensor(np.asarray(channel.std), dtype=like.dtype, device=like.device),
    )
