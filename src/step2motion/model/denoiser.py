"""The Step2Motion pose denoiser: body-part tokens, self-attention, one cross-attention head per stream.

Pose ``x``: ``[B, T, 21, 3]`` root-relative joint positions (z-scored by the caller) of the non-root
canonical joints in ``skeleton`` order (:data:`POSE_JOINT_NAMES`). Each frame becomes one token per
body part of ``skeleton.BODY_PARTS`` (own linear embedding per part); the ``P·T`` tokens are laid out
part-major (all frames of part 0, then part 1, …). Each pre-norm layer adds the timestep embedding
through its own linear, then self-attention over all tokens, cross-attention to the condition, GELU
FFN. The network predicts the clean sample x0.

Cross-attention has one head per condition stream: head ``h`` attends only to stream ``h``, so its
weights ``[B, S, P·T, T]`` read as "which frames of which sensor each body part looks at". Keys and
values depend on the condition only, so :meth:`Step2MotionDenoiser.encode_condition` computes them
once per window and every denoising step reuses them.

The ablation ``conditioning="concat"`` removes the cross-attention blocks: each frame's stream
encodings are concatenated to each of that frame's body-part tokens at the input (written as the
equivalent sum of a linear projection of them), so a token sees only its own frame of the insoles
until self-attention mixes frames.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from step2motion.condition_schema import ConditionSchema
from step2motion.model.config import DenoiserConfig
from step2motion.model.embeddings import frame_encoding, sinusoidal_encoding
from step2motion.model.modality_encoders import ConditionEncoder
from step2motion.skeleton import BODY_PARTS, POSE_JOINT_NAMES

N_POSE_JOINTS = len(POSE_JOINT_NAMES)
PART_NAMES: tuple[str, ...] = tuple(BODY_PARTS)


def part_joint_indices(part: str) -> list[int]:
    """Positions in the pose tensor's joint axis of one body part's joints."""
    return [POSE_JOINT_NAMES.index(name) for name in BODY_PARTS[part]]


def _part_order() -> list[int]:
    """Pose joint positions concatenated part by part; must be a permutation of the pose joints."""
    order = [index for part in PART_NAMES for index in part_joint_indices(part)]
    if sorted(order) != list(range(N_POSE_JOINTS)):
        raise RuntimeError("skeleton.BODY_PARTS must cover every non-root joint exactly once")
    return order


def split_attention_by_part(attention: torch.Tensor) -> dict[str, torch.Tensor]:
    """Cross-attention weights ``[B, S, P·T, T]`` → ``{part: [B, S, T_query, T_key]}``."""
    batch, streams, tokens, frames = attention.shape
    per_part = attention.view(batch, streams, len(PART_NAMES), tokens // len(PART_NAMES), frames)
    return {part: per_part[:, :, index] for index, part in enumerate(PART_NAMES)}


@dataclass(frozen=True)
class EncodedCondition:
    """The condition as every denoising step reuses it: per-layer cross-attention keys and values, each
    ``[B, S, T, d_head]`` (cross-attention), or per-frame features ``[B, T, d]`` (concat)."""

    keys_values: tuple[tuple[torch.Tensor, torch.Tensor], ...] = ()
    frame_features: torch.Tensor | None = None

    @property
    def batch_frames(self) -> tuple[int, int]:
        """``(B, T)`` of the encoded windows."""
        if self.frame_features is not None:
            return tuple(self.frame_features.shape[:2])
        keys = self.keys_values[0][0]
        return keys.shape[0], keys.shape[2]

    @staticmethod
    def cat(parts: list[EncodedCondition]) -> EncodedCondition:
        """Concatenate along the batch (e.g. conditional and unconditional for one guided pass)."""
        layers = zip(*(part.keys_values for part in parts), strict=True)
        frames = [part.frame_features for part in parts]
        return EncodedCondition(
            tuple((torch.cat([k for k, _ in kvs]), torch.cat([v for _, v in kvs])) for kvs in layers),
            None if frames[0] is None else torch.cat(frames),
        )


class StreamCrossAttention(nn.Module):
    """Multi-head cross-attention whose head ``h`` sees only condition stream ``h``.

    Per-head projections: queries ``d → d_head`` (one ``d → S·d_head`` linear), keys and values
    ``d → d_head`` applied to that head's own stream; head outputs are concatenated and projected back
    to ``d``. ``d_head = d // S``.
    """

    def __init__(self, d_model: int, n_streams: int) -> None:
        super().__init__()
        self.n_streams = n_streams
        self.d_head = d_model // n_streams
        inner = n_streams * self.d_head
        self.query = nn.Linear(d_model, inner)
        bound = 1.0 / math.sqrt(d_model)  # nn.Linear's default initialisation
        self.kv_weight = nn.Parameter(
            torch.empty(n_streams, d_model, 2 * self.d_head).uniform_(-bound, bound)
        )
        self.kv_bias = nn.Parameter(torch.empty(n_streams, 2 * self.d_head).uniform_(-bound, bound))
        self.out = nn.Linear(inner, d_model)

    def project_memory(self, memory: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Stream encodings ``[B, S, T, d]`` → keys, values ``[B, S, T, d_head]`` (stream h → head h)."""
        kv = torch.einsum("bstd,sde->bste", memory, self.kv_weight) + self.kv_bias[None, :, None, :]
        return kv.split(self.d_head, dim=-1)

    def attend(
        self, tokens: torch.Tensor, keys: torch.Tensor, values: torch.Tensor, keep_weights: bool = False
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """``[B, N, d]`` → per-head outputs ``[B, S, N, d_head]``, weights ``[B, S, N, T]`` if kept."""
        batch, n_tokens, _ = tokens.shape
        queries = self.query(tokens).view(batch, n_tokens, self.n_streams, self.d_head).transpose(1, 2)
        if not keep_weights:
            return F.scaled_dot_product_attention(queries, keys, values), None
        weights = torch.softmax(queries @ keys.transpose(-1, -2) / math.sqrt(self.d_head), dim=-1)
        return weights @ values, weights

    def forward(
        self, tokens: torch.Tensor, keys: torch.Tensor, values: torch.Tensor, keep_weights: bool = False
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        heads, weights = self.attend(tokens, keys, values, keep_weights)
        batch, _, n_tokens, _ = heads.shape
        return self.out(heads.transpose(1, 2).reshape(batch, n_tokens, -1)), weights


class DenoiserLayer(nn.Module):
    """Pre-norm layer: timestep injection, self-attention, per-stream cross-attention (unless the
    conditioning is ``concat``), GELU FFN."""

    def __init__(self, config: DenoiserConfig, n_streams: int) -> None:
        super().__init__()
        d = config.d_model
        self.time_proj = nn.Linear(d, d)
        self.self_norm = nn.LayerNorm(d)
        self.self_attn = nn.MultiheadAttention(d, config.n_heads, batch_first=True)
        self.cross_norm: nn.LayerNorm | None = None
        self.cross_attn: StreamCrossAttention | None = None
        if config.conditioning == "cross_attention":
            self.cross_norm = nn.LayerNorm(d)
            self.cross_attn = StreamCrossAttention(d, n_streams)
        self.ffn_norm = nn.LayerNorm(d)
        self.ffn = nn.Sequential(
            nn.Linear(d, config.ffn_dim), nn.GELU(), nn.Dropout(config.dropout), nn.Linear(config.ffn_dim, d)
        )
        self.dropout = nn.Dropout(config.dropout)

    def forward(
        self,
        tokens: torch.Tensor,
        time_embedding: torch.Tensor,
        keys_values: tuple[torch.Tensor, torch.Tensor] | None,
        keep_weights: bool = False,
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """tokens ``[B, N, d]``, time_embedding ``[B, d]`` → tokens, cross-attention weights or None."""
        tokens = tokens + self.time_proj(time_embedding)[:, None, :]
        normed = self.self_norm(tokens)
        tokens = tokens + self.dropout(self.self_attn(normed, normed, normed, need_weights=False)[0])
        weights = None
        if self.cross_attn is not None:
            attended, weights = self.cross_attn(self.cross_norm(tokens), *keys_values, keep_weights)
            tokens = tokens + self.dropout(attended)
        return tokens + self.dropout(self.ffn(self.ffn_norm(tokens))), weights


class Step2MotionDenoiser(nn.Module):
    """x0-predicting pose denoiser conditioned on insole streams (see module docstring)."""

    def __init__(
        self, schema: ConditionSchema, config: DenoiserConfig, used_streams: tuple[str, ...] | None = None
    ) -> None:
        super().__init__()
        d = config.d_model
        self.schema = schema
        self.d_model = d
        self.condition_encoder = ConditionEncoder(schema, d, used_streams)
        self.condition_proj: nn.Linear | None = None
        if config.conditioning == "concat":
            self.condition_proj = nn.Linear(schema.n_streams * d, d)
        sizes = {part: 3 * len(BODY_PARTS[part]) for part in PART_NAMES}
        self.part_embeddings = nn.ModuleDict({part: nn.Linear(size, d) for part, size in sizes.items()})
        self.part_outputs = nn.ModuleDict({part: nn.Linear(d, size) for part, size in sizes.items()})
        self.part_sizes = [sizes[part] for part in PART_NAMES]
        self.pose_shape = (N_POSE_JOINTS, 3)
        order = _part_order()
        self.register_buffer("part_order", torch.tensor(order), persistent=False)
        self.register_buffer("inverse_part_order", torch.argsort(torch.tensor(order)), persistent=False)
        self.time_mlp = nn.Sequential(nn.Linear(d, d), nn.SiLU(), nn.Linear(d, d))
        self.layers = nn.ModuleList(DenoiserLayer(config, schema.n_streams) for _ in range(config.n_layers))
        self.final_norm = nn.LayerNorm(d)

    def encode_condition(
        self, condition: torch.Tensor, stream_mask: torch.Tensor | None = None
    ) -> EncodedCondition:
        """Condition ``[B, T, C]`` + stream mask ``[B, S]`` (True = present) → keys/values per layer."""
        memory = self.condition_encoder(condition, stream_mask)
        if self.condition_proj is not None:
            batch, _, n_frames, _ = memory.shape
            per_frame = memory.permute(0, 2, 1, 3).reshape(batch, n_frames, -1)
            return EncodedCondition(frame_features=self.condition_proj(per_frame))
        return EncodedCondition(tuple(layer.cross_attn.project_memory(memory) for layer in self.layers))

    def forward(
        self, x_t: torch.Tensor, timesteps: torch.Tensor, condition: EncodedCondition
    ) -> torch.Tensor:
        """Noisy pose ``[B, T, 21, 3]``, timesteps ``[B]`` (int) → predicted clean pose ``[B, T, 21, 3]``."""
        return self._run(x_t, timesteps, condition, keep_weights=False)[0]

    def forward_with_attention(
        self, x_t: torch.Tensor, timesteps: torch.Tensor, condition: EncodedCondition
    ) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """Like :meth:`forward`, plus each layer's cross-attention weights ``[B, S, P·T, T]`` (none with
        ``concat`` conditioning).

        Tokens are part-major; :func:`split_attention_by_part` separates the body parts.
        """
        return self._run(x_t, timesteps, condition, keep_weights=True)

    def _run(
        self, x_t: torch.Tensor, timesteps: torch.Tensor, condition: EncodedCondition, keep_weights: bool
    ) -> tuple[torch.Tensor, list[torch.Tensor]]:
        batch, n_frames = self._check_pose(x_t, timesteps, condition)
        tokens = self._embed_parts(x_t)
        if condition.frame_features is not None:  # part-major tokens: every part gets its frames' features
            tokens = tokens + condition.frame_features.repeat(1, len(PART_NAMES), 1)
        time_embedding = self.time_mlp(sinusoidal_encoding(timesteps, self.d_model).to(tokens.dtype))
        all_weights = []
        per_layer = condition.keys_values or (None,) * len(self.layers)
        for layer, keys_values in zip(self.layers, per_layer, strict=True):
            tokens, weights = layer(tokens, time_embedding, keys_values, keep_weights)
            if weights is not None:
                all_weights.append(weights)
        per_part = self.final_norm(tokens).view(batch, len(PART_NAMES), n_frames, self.d_model)
        outputs = [self.part_outputs[part](per_part[:, index]) for index, part in enumerate(PART_NAMES)]
        grouped = torch.cat(outputs, dim=-1).view(batch, n_frames, N_POSE_JOINTS, 3)
        return grouped[:, :, self.inverse_part_order], all_weights

    def _embed_parts(self, x_t: torch.Tensor) -> torch.Tensor:
        """``[B, T, 21, 3]`` → part-major tokens ``[B, P·T, d]`` with frame encoding."""
        batch, n_frames = x_t.shape[:2]
        grouped = x_t[:, :, self.part_order].reshape(batch, n_frames, -1).split(self.part_sizes, dim=-1)
        positions = frame_encoding(n_frames, self.d_model, x_t.device).to(x_t.dtype)
        return torch.cat(
            [self.part_embeddings[p](g) + positions for p, g in zip(PART_NAMES, grouped, strict=True)], dim=1
        )

    def _check_pose(
        self, x_t: torch.Tensor, timesteps: torch.Tensor, condition: EncodedCondition
    ) -> tuple[int, int]:
        if x_t.ndim != 4 or x_t.shape[2:] != (N_POSE_JOINTS, 3):
            raise ValueError(f"pose must be [B, T, {N_POSE_JOINTS}, 3], got {list(x_t.shape)}")
        batch, n_frames = x_t.shape[:2]
        if tuple(timesteps.shape) != (batch,):
            raise ValueError(f"timesteps must be [{batch}], got {list(timesteps.shape)}")
        if condition.batch_frames != (batch, n_frames):
            raise ValueError(
                f"encoded condition is [B, T] = {list(condition.batch_frames)}, "
                f"pose needs {[batch, n_frames]}"
            )
        return batch, n_frames

    def parameter_counts(self) -> dict[str, int]:
        """Parameters of the pose prior and of the conditioning (stream encoders + cross-attention blocks)."""
        conditioning = [self.condition_encoder, self.condition_proj]
        conditioning += [module for layer in self.layers for module in (layer.cross_norm, layer.cross_attn)]
        conditioning = [module for module in conditioning if module is not None]
        n_conditioning = sum(p.numel() for module in conditioning for p in module.parameters())
        return {
            "prior": sum(p.numel() for p in self.parameters()) - n_conditioning,
            "conditioning": n_conditioning,
        }
