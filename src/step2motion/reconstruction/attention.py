"""How much each body part of the pose denoiser relies on each insole stream, over a recording's time.

The denoiser's cross-attention has one head per condition stream (:mod:`step2motion.model.denoiser`):
head ``h`` attends only to stream ``h``, so its softmax sums to 1 over that stream's frames whatever the
stream's importance, and the weights cannot be compared across streams. What is comparable is what each
head *adds*: for the token of body part ``p`` at frame ``t`` the cross-attention update is
``out(concat_h o_h) = Σ_h W_h·o_h + b``, with ``o_h`` head ``h``'s output and ``W_h`` its columns of the
output projection. The **share** of stream ``h`` is ``‖W_h·o_h‖ / Σ_h' ‖W_h'·o_h'‖`` (the bias belongs
to no head): non-negative, 1 summed over streams, 1/S if every head contributed equally. It measures how
much of the update comes from a stream, not whether the update helps; and it includes what a head adds
alike to every token of a window (its value bias, say), not only what varies from frame to frame.

Where a head looks in time is its **offset**: the attention-weighted mean key frame time minus the
query frame time (s; negative = looking back), in the same window.

Both are taken while the model reconstructs the recording exactly as
:func:`~step2motion.reconstruction.pipeline.reconstruct` does (same features, condition, windows,
sampler steps, guidance and seed, through :func:`~step2motion.reconstruction.windowed_sampling.
sample_recording`), from forward hooks on the cross-attention blocks. They are averaged over every
layer, every denoising step and the ``K`` samples, of the conditional pass only (with guidance ``w ≠ 1``
the unconditional pass sees only the streams' null embeddings); a frame that several overlapping windows
hold gets the mean of their values. :attr:`StreamAttention.description` says the same for one run.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from step2motion.dataset.insole_features import insole_streams
from step2motion.errors import InputError
from step2motion.gait_events import wearer_weight_n
from step2motion.model.checkpoint import Checkpoint
from step2motion.model.denoiser import PART_NAMES, StreamCrossAttention
from step2motion.reconstruction.pipeline import ReconstructionOptions, from_first_sample
from step2motion.reconstruction.windowed_sampling import (
    Condition,
    WindowModel,
    sample_recording,
    window_spans,
)
from step2motion.recording import InsoleRecording


@dataclass(frozen=True)
class StreamAttention:
    """Per body part, per stream, per model frame: the cross-attention share and offset (module docstring).

    Attributes:
        time_s: ``[T]`` model frame times on the recording's clock (as
            :attr:`~step2motion.reconstruction.pipeline.Reconstruction.time_s`: frame 0 at its first sample).
        streams: the ``S`` condition streams, schema order (= cross-attention heads).
        parts: the ``P`` body parts of the denoiser's tokens.
        share: ``[P, S, T]`` share of each stream in the cross-attention update; sums to 1 over ``S``.
        offset_s: ``[P, S, T]`` attention-weighted mean key time minus query time, s.
        description: what was averaged, in words (layers, steps, pass, samples, windows).
    """

    time_s: np.ndarray
    streams: tuple[str, ...]
    parts: tuple[str, ...]
    share: np.ndarray
    offset_s: np.ndarray
    description: str

    def mean_share(self) -> np.ndarray:
        """``[P, S]`` share averaged over the frames."""
        return self.share.mean(axis=-1)

    def mean_offset_s(self) -> np.ndarray:
        """``[P, S]`` offset averaged over the frames, s."""
        return self.offset_s.mean(axis=-1)


def head_shares_and_offsets(
    attention: StreamCrossAttention, tokens: torch.Tensor, keys: torch.Tensor, values: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """Share of each head in the update ``[B, S, N]`` and mean key offset ``[B, S, N]`` (frames) of one
    cross-attention call on part-major tokens ``[B, N = P·T, d]`` with keys, values ``[B, S, T, d_head]``."""
    heads, weights = attention.attend(tokens, keys, values, keep_weights=True)
    projection = attention.out.weight.view(-1, attention.n_streams, attention.d_head)  # [d, S, d_head]
    norms = torch.einsum("bsnk,dsk->bsnd", heads, projection).norm(dim=-1)
    shares = norms / norms.sum(dim=1, keepdim=True).clamp_min(torch.finfo(norms.dtype).tiny)
    n_frames = keys.shape[2]
    key_frames = torch.arange(n_frames, dtype=weights.dtype)
    query_frames = torch.arange(tokens.shape[1]) % n_frames
    return shares, weights @ key_frames - query_frames


class _AttentionWindowModel(WindowModel):
    """:class:`WindowModel` that also keeps, per window sampled, the share and offset ``[P, S, n]``
    (offset in frames) averaged over layers, denoising steps and the samples of the conditional pass."""

    def __init__(self, checkpoint: Checkpoint, options: ReconstructionOptions) -> None:
        super().__init__(
            checkpoint, options.n_samples, options.steps, options.guidance, options.seed, options.streams
        )
        self.seed = options.seed
        #: per window sampled, in order: share and offset stacked, ``[2, P, S, n]``
        self.windows: list[np.ndarray] = []

    def sample_poses(self, condition: Condition, known_m: np.ndarray | None = None) -> np.ndarray:
        calls: list[tuple[torch.Tensor, torch.Tensor]] = []

        def keep(module: nn.Module, args: tuple, output: object) -> None:
            shares, offsets = head_shares_and_offsets(module, *args[:3])
            calls.append((shares[: self.n_samples], offsets[: self.n_samples]))  # conditional rows first

        layers = self.checkpoint.model.denoiser.layers
        handles = [layer.cross_attn.register_forward_hook(keep) for layer in layers]
        try:
            poses = super().sample_poses(condition, known_m)
        finally:
            for handle in handles:
                handle.remove()
        stacked = torch.stack([torch.stack(pair) for pair in calls])  # [calls, 2, K, S, P·W]
        mean = stacked.mean(dim=(0, 2)).numpy()  # [2, S, P·W]
        per_part = mean.reshape(2, mean.shape[1], len(PART_NAMES), -1)[..., : condition.n_frames]
        self.windows.append(per_part.swapaxes(1, 2))
        return poses


def stream_attention(
    rec: InsoleRecording, checkpoint: Checkpoint, options: ReconstructionOptions | None = None
) -> StreamAttention:
    """Share and offset of every stream for every body part and frame of ``rec`` (module docstring),
    sampling as :func:`~step2motion.reconstruction.pipeline.reconstruct` does with ``options``.

    ``InputError`` for a model without cross-attention (``concat`` conditioning) and for guidance 0,
    which runs no conditional pass.
    """
    options = options or ReconstructionOptions()
    if checkpoint.config.denoiser.conditioning != "cross_attention":
        raise InputError(
            f"the model's denoiser has {checkpoint.config.denoiser.conditioning!r} conditioning, "
            "no cross-attention to show; pass a cross-attention model"
        )
    model = _AttentionWindowModel(checkpoint, options)
    if model.guidance == 0:
        raise InputError("guidance 0 runs only the unconditional pass, which sees no stream")
    weight_n = options.body_weight_n or wearer_weight_n(rec)
    features = insole_streams(from_first_sample(rec), model.frame_rate_hz, weight_n)
    sample_recording(model, model.prepare(features))
    n_frames, parts = features.n_frames, len(PART_NAMES)
    schema = checkpoint.config.schema
    totals = np.zeros((2, parts, schema.n_streams, n_frames))
    counts = np.zeros(n_frames)
    spans = list(window_spans(n_frames, model.window_frames))
    for (start, _, stop), window in zip(spans, model.windows, strict=True):
        totals[:, :, :, start:stop] += window
        counts[start:stop] += 1
    share, offset_frames = totals / counts
    return StreamAttention(
        time_s=rec.time_s[0] + features.time_s,
        streams=schema.names,
        parts=PART_NAMES,
        share=share,
        offset_s=offset_frames / model.frame_rate_hz,
        description=_description(model, len(checkpoint.model.denoiser.layers), len(spans)),
    )


def _description(model: _AttentionWindowModel, n_layers: int, n_windows: int) -> str:
    """What :func:`stream_attention` averaged, in one sentence for a caption."""
    if model.steps == 0:
        passes = "the one regression pass"
    elif model.guidance == 1:
        passes = f"all {model.steps} DDIM steps (guidance 1: the conditional pass only)"
    else:
        passes = f"all {model.steps} DDIM steps, conditional pass only (guidance {model.guidance:g})"
    n_streams = model.checkpoint.config.schema.n_streams
    windows = (
        f"{n_windows} overlapping windows, frames in several: their mean" if n_windows > 1 else "1 window"
    )
    return (
        f"share = ‖head output × its out-projection columns‖ / sum over the {n_streams} heads (one per "
        f"stream), per body-part token; mean over all {n_layers} layers, {passes}, "
        f"{model.n_samples} sample(s) (seed {model.seed}); {windows}"
    )
