"""Everything needed to rebuild a Step2Motion model, as a JSON-able dict stored beside its weights.

A checkpoint's config alone rebuilds the networks (:class:`step2motion.model.Step2MotionModel`); values
are validated on construction so a bad config file fails with one ``InputError`` line, not deep in
``torch``. ``window_frames`` and ``frame_rate_hz`` are not used by the networks (they accept any
window length) but by the data pipeline and inference, which must cut and resample like training did.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from step2motion.condition_schema import DEFAULT_SCHEMA, ConditionSchema, stream_name
from step2motion.errors import InputError
from step2motion.skeleton import BODY_PARTS

CONFIG_VERSION = 1
LOSSES: tuple[str, ...] = ("l1", "mse", "smooth_l1")
#: How the denoiser reads the insoles: the published per-stream cross-attention, or (the ablation) the
#: stream encodings of each frame concatenated to that frame's body-part tokens.
CONDITIONINGS: tuple[str, ...] = ("cross_attention", "concat")
#: What makes the poses: the diffusion model, or (the baseline) one deterministic pass of the same network.
POSE_MODELS: tuple[str, ...] = ("diffusion", "regression")
#: Beta schedules, named as in ``diffusers`` (each is rescaled to zero terminal SNR: :mod:`.diffusion`).
BETA_SCHEDULES: tuple[str, ...] = ("linear", "scaled_linear", "squaredcos_cap_v2")


def check_positive_int(value: object, name: str) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise InputError(f"{name} must be a positive integer, got {value!r}")


def check_number(value: object, name: str, low: float, high: float = float("inf")) -> None:
    if not isinstance(value, (int, float)) or isinstance(value, bool) or not low <= value <= high:
        raise InputError(f"{name} must be a number in [{low}, {high}], got {value!r}")


def check_choice(value: object, name: str, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise InputError(f"{name} must be one of {list(choices)}, got {value!r}")


def _check_transformer(
    d_model: int, n_layers: int, n_heads: int, ffn_dim: int, dropout: float, what: str
) -> None:
    for value, name in (
        (d_model, "d_model"),
        (n_layers, "n_layers"),
        (n_heads, "n_heads"),
        (ffn_dim, "ffn_dim"),
    ):
        check_positive_int(value, f"{what}.{name}")
    if d_model % 2 or d_model % n_heads:
        raise InputError(f"{what}.d_model ({d_model}) must be even and divisible by n_heads ({n_heads})")
    check_number(dropout, f"{what}.dropout", 0.0, 1.0)


@dataclass(frozen=True)
class DenoiserConfig:
    """Sizes of the pose denoiser; cross-attention heads are not set here (one per condition stream)."""

    d_model: int = 256
    n_layers: int = 2
    n_heads: int = 4  # self-attention heads
    ffn_dim: int = 512
    dropout: float = 0.1
    conditioning: str = "cross_attention"  # one of CONDITIONINGS

    def __post_init__(self) -> None:
        _check_transformer(self.d_model, self.n_layers, self.n_heads, self.ffn_dim, self.dropout, "denoiser")
        check_choice(self.conditioning, "denoiser.conditioning", CONDITIONINGS)


@dataclass(frozen=True)
class RootConfig:
    """Root displacement network: a small transformer encoder over the named condition streams.

    ``stream_presence_input``: the network takes the stream mask, zeroes absent streams and reads one
    presence flag per stream, so it is trained with the denoiser's sensor and condition dropout and knows
    when a sensor is missing. False (the default, so configs saved before the key existed rebuild the same
    network) ignores the mask: the streams are read as they are.
    """

    streams: tuple[str, ...] = (stream_name("left", "imu"), stream_name("right", "imu"))
    d_model: int = 256
    n_layers: int = 1
    n_heads: int = 4
    ffn_dim: int = 512
    dropout: float = 0.1
    cumsum_weight: float = 1e-3  # weight of the MSE on the displacement summed over the window
    stream_presence_input: bool = False

    def __post_init__(self) -> None:
        if not self.streams or len(set(self.streams)) != len(self.streams):
            raise InputError(f"root.streams must name distinct condition streams, got {list(self.streams)}")
        _check_transformer(self.d_model, self.n_layers, self.n_heads, self.ffn_dim, self.dropout, "root")
        check_number(self.cumsum_weight, "root.cumsum_weight", 0.0)
        if not isinstance(self.stream_presence_input, bool):
            raise InputError(
                f"root.stream_presence_input must be true or false, got {self.stream_presence_input!r}"
            )


@dataclass(frozen=True)
class DiffusionConfig:
    """Noise schedule, training losses and condition dropout, sampling defaults.

    The schedule is ``beta_schedule`` over ``train_steps`` rescaled to zero terminal SNR (ᾱ_T = 0), so
    sampling from pure noise matches training. ``part_weights`` maps body-part names of
    ``skeleton.BODY_PARTS`` to loss weights (missing parts weigh 1).
    """

    train_steps: int = 1000
    beta_schedule: str = "linear"
    beta_start: float = 1e-4
    beta_end: float = 0.02
    sample_steps: int = 10
    guidance_scale: float = 1.0
    cond_drop_prob: float = 0.2  # whole condition dropped → learns the unconditional model
    stream_drop_prob: float = 0.05  # each stream dropped independently → robust to missing sensors
    loss: str = "l1"
    part_weights: Mapping[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        check_positive_int(self.train_steps, "diffusion.train_steps")
        check_positive_int(self.sample_steps, "diffusion.sample_steps")
        if self.sample_steps > self.train_steps:
            raise InputError(
                f"diffusion.sample_steps ({self.sample_steps}) exceeds train_steps ({self.train_steps})"
            )
        check_choice(self.beta_schedule, "diffusion.beta_schedule", BETA_SCHEDULES)
        check_number(self.beta_start, "diffusion.beta_start", 0.0, 1.0)
        check_number(self.beta_end, "diffusion.beta_end", self.beta_start, 1.0)
        check_number(self.guidance_scale, "diffusion.guidance_scale", 0.0)
        check_number(self.cond_drop_prob, "diffusion.cond_drop_prob", 0.0, 1.0)
        check_number(self.stream_drop_prob, "diffusion.stream_drop_prob", 0.0, 1.0)
        check_choice(self.loss, "diffusion.loss", LOSSES)
        if not isinstance(self.part_weights, Mapping):
            raise InputError(
                f"diffusion.part_weights must map body parts to weights, got {self.part_weights!r}"
            )
        for part, weight in self.part_weights.items():
            check_choice(part, "diffusion.part_weights key", tuple(BODY_PARTS))
            check_number(weight, f"diffusion.part_weights[{part!r}]", 0.0)


@dataclass(frozen=True)
class ModelConfig:
    """All settings of the denoiser, its conditioning, the root network and the diffusion process.

    ``pose_model`` (:data:`POSE_MODELS`) picks diffusion or the deterministic regression baseline;
    ``streams_used`` names the condition streams the networks may read (None: all). Streams left out are
    absent in training and inference alike, which is how the single-modality and one-foot ablations
    are built: same code, fewer sensors.
    """

    schema: ConditionSchema = DEFAULT_SCHEMA
    window_frames: int = 100
    frame_rate_hz: float = 30.0
    pose_model: str = "diffusion"
    streams_used: tuple[str, ...] | None = None
    denoiser: DenoiserConfig = field(default_factory=DenoiserConfig)
    root: RootConfig = field(default_factory=RootConfig)
    diffusion: DiffusionConfig = field(default_factory=DiffusionConfig)

    def __post_init__(self) -> None:
        check_positive_int(self.window_frames, "window_frames")
        check_number(self.frame_rate_hz, "frame_rate_hz", 1e-6)
        check_choice(self.pose_model, "pose_model", POSE_MODELS)
        if self.denoiser.d_model < self.schema.n_streams:
            raise InputError(
                f"denoiser.d_model ({self.denoiser.d_model}) must be at least the number of condition "
                f"streams ({self.schema.n_streams}): each stream gets d_model // n_streams attention channels"
            )
        if self.streams_used is not None:
            if not self.streams_used or len(set(self.streams_used)) != len(self.streams_used):
                raise InputError(f"streams_used must name distinct streams, got {list(self.streams_used)}")
            _check_streams(self.streams_used, self.schema.names, "streams_used")
        _check_streams(self.root.streams, self.used_stream_names, "root.streams")

    @property
    def used_stream_names(self) -> tuple[str, ...]:
        """The condition streams the networks read, in schema order."""
        used = self.schema.names if self.streams_used is None else self.streams_used
        return tuple(name for name in self.schema.names if name in used)

    def to_dict(self) -> dict[str, Any]:
        """JSON-able dict (only str, numbers, lists, dicts)."""
        return {
            "config_version": CONFIG_VERSION,
            "schema": self.schema.to_list(),
            "window_frames": self.window_frames,
            "frame_rate_hz": self.frame_rate_hz,
            "pose_model": self.pose_model,
            "streams_used": None if self.streams_used is None else list(self.streams_used),
            "denoiser": asdict(self.denoiser),
            "root": {**asdict(self.root), "streams": list(self.root.streams)},
            "diffusion": {**asdict(self.diffusion), "part_weights": dict(self.diffusion.part_weights)},
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ModelConfig:
        """Inverse of :meth:`to_dict`; missing keys take defaults, unknown keys raise ``InputError``."""
        data = dict(_require_mapping(data, "model config"))
        version = data.pop("config_version", CONFIG_VERSION)
        if version != CONFIG_VERSION:
            raise InputError(f"model config version {version!r} is not supported (expected {CONFIG_VERSION})")
        nested = {"denoiser": DenoiserConfig, "root": RootConfig, "diffusion": DiffusionConfig}
        for key, sub_cls in nested.items():
            if key in data:
                data[key] = _build(sub_cls, data[key], key)
        if "schema" in data:
            data["schema"] = ConditionSchema.from_list(data["schema"])
        return _build(cls, data, "model config")


def _check_streams(names: tuple[str, ...], allowed: tuple[str, ...], what: str) -> None:
    unknown = [name for name in names if name not in allowed]
    if unknown:
        raise InputError(f"{what} {unknown} are not among the usable condition streams {list(allowed)}")


def _require_mapping(data: object, what: str) -> Mapping[str, Any]:
    if not isinstance(data, Mapping):
        raise InputError(f"{what} must be a JSON object, got {type(data).__name__}")
    return data


def _build(cls: type, data: object, what: str) -> Any:
    """Construct a config dataclass from a JSON object, refusing unknown keys (lists become tuples)."""
    data = _require_mapping(data, what)
    unknown = sorted(set(data) - {f.name for f in fields(cls)})
    if unknown:
        raise InputError(f"unknown {what} settings {unknown}")
    return cls(**{key: tuple(value) if isinstance(value, list) else value for key, value in data.items()})
