"""Training settings: one JSON file (``configs/*.json``) → :class:`TrainConfig`, validated on load.

Keys (all optional but ``data_dir``; relative paths are relative to the working directory, like
command-line paths; ``extends`` names a config file, relative to this one, whose settings this file
changes — objects such as ``model`` merge key by key):

==========================  ======================================================================
``data_dir``                paired data folder (:mod:`step2motion.dataset.paired_corpus`)
``split_file``              subject split JSON (:mod:`step2motion.evaluation.split`); null = the
                            split committed with the package. Trains on ``train``, validates on
                            ``validation``, never reads ``test``
``output_dir``              run folder: checkpoints, resume state, ``metrics.jsonl``
``cache_dir``               clip feature cache; null = ``<output_dir>/feature_cache``
``model``                   :meth:`ModelConfig.to_dict` format; the schema defaults to (and must be)
                            the dataset's ``CONDITION_SCHEMA``. Classifier-free-guidance condition
                            dropout (``diffusion.cond_drop_prob``) and independent per-stream dropout
                            (``diffusion.stream_drop_prob``) are model settings
``steps``                   optimiser steps (``--resume --steps N`` extends a run: see
                            :class:`step2motion.training.loop.LrSchedule`)
``batch_size``              windows per step over all processes (split evenly among them)
``lr``, ``weight_decay``    AdamW; the rate warms up linearly over ``warmup_steps``, then follows a
``warmup_steps``            cosine to ``lr × final_lr_fraction`` at ``steps``
``final_lr_fraction``
``grad_clip_norm``          gradient norm clip (0 = none)
``ema_decay``               decay of the exponential moving average (EMA) of the weights, in [0, 1):
                            validation scores and the checkpoints hold the EMA (0 = no EMA: the
                            optimiser's weights)
``ema_warmup``              warm the decay up: update k ≥ 2 uses ``min(ema_decay, k / (k + 9))`` (the
                            first copies the weights), so early weights fade out of short runs too
                            (false = ``ema_decay`` throughout)
``mirror``                  left/right mirroring augmentation (half the windows are mirrored)
``target_proportions``      what the pose targets are drawn on: ``captured`` (each take's own skeleton)
                            or ``reference`` (one convention: :mod:`step2motion.dataset.proportions`)
``sensor_drop_prob``        probability that a window loses one sensor group (chosen uniformly)
``sensor_groups``           {group: [stream name patterns]}; a dropped group's streams are marked
                            absent, so one model also runs on one foot, pressure only or IMU only
``style_weights``           {style: how often its frames are drawn relative to others}; unnamed: 1
``validation_windows``      fixed validation windows scored every ``validation_interval`` steps
``validation_interval``     (MPJPE with the model's own sampler, and the loss)
``select_on``               what ``best.safetensors`` is chosen on: ``windows`` (those windows' MPJPE)
                            or ``pipeline``: the MPJPE of the whole reconstruction pipeline on the
                            validation subjects' takes, as ``step2motion evaluate --split validation``
                            gives it (:mod:`step2motion.evaluation.checkpoint_scoring`; the command
                            line passes it to the loop; slower, and the only one that sees the odometry
                            root, the skeleton fit and whole recordings)
``checkpoint_interval``     steps between ``last`` checkpoints (the last step always saves)
``log_interval``            steps between training-loss records in ``metrics.jsonl``
``init_from``               a checkpoint whose weights start the run (null = fresh weights): its
                            normalisation statistics are used, and each sub-network whose settings
                            match the config starts from its weights — ``pose`` (denoiser and pose
                            model) when all of ``model`` but ``model.root`` matches, ``root`` when
                            all of ``model`` matches; the others start fresh
``frozen``                  sub-networks (``pose``, ``root``) kept as ``init_from`` holds them: not
                            optimised; a frozen pose model's loss is not even computed, so a run that
                            trains a new root network on a finished pose model costs a fraction of a
                            full one
``seed``                    makes the run reproducible, resumed or not
``num_workers``             data-loader worker processes per training process (0 = in-process)
``feature_jobs``            processes computing clip features not yet cached (0 = one per core)
``device``                  ``auto`` (CUDA when available), ``cpu``, ``cuda`` or ``cuda:N``
==========================  ======================================================================

``--resume`` continues a run only under the settings it was trained with: it may change
:data:`RESUMABLE_SETTINGS` (its length, how often it reports, where and how fast it runs) and refuses
any other change (:func:`resume_changes`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from step2motion.dataset.insole_features import CONDITION_SCHEMA
from step2motion.dataset.proportions import TARGET_PROPORTIONS
from step2motion.errors import InputError
from step2motion.io.json_file import read_json_object
from step2motion.model.config import ModelConfig
from step2motion.model.config import check_number as _number
from step2motion.model.config import check_positive_int as _positive_int

#: Sensor groups dropped as a whole: a foot (the other one alone), the IMUs and the odometry made from
#: them (pressure only), the pressure-derived streams (IMU only). Patterns are ``fnmatch`` patterns over
#: stream names.
DEFAULT_SENSOR_GROUPS: dict[str, tuple[str, ...]] = {
    "left_foot": ("left_*",),
    "right_foot": ("right_*",),
    "imu": ("*_imu", "*_odometry"),
    "pressure": ("*_pressure", "*_force_cop"),
}
#: Sub-networks ``frozen`` may name: the pose model (denoiser and pose head) and the root network.
SUB_NETWORKS: tuple[str, ...] = ("pose", "root")
#: Key of a config that builds on another file: ``{"extends": "../default.json", "steps": 10}``.
EXTENDS_KEY = "extends"
_DEVICE = re.compile(r"auto|cpu|cuda(:\d+)?")
#: Settings that ``--resume`` may change: none of them changes what the remaining steps compute.
RESUMABLE_SETTINGS: frozenset[str] = frozenset(
    {
        "steps", "validation_interval", "checkpoint_interval", "log_interval", "num_workers",
        "feature_jobs", "device", "output_dir", "cache_dir",
    }
)  # fmt: skip


#: Settings added after runs had been saved without them, each with the value that describes what such a
#: run did (a run saved before ``init_from`` started from fresh weights and froze nothing), so that it can
#: still be resumed. A setting whose default would change what a run computes (``ema_decay``) is not here.
SETTINGS_ADDED_SINCE: dict[str, Any] = {
    "init_from": None, "frozen": [], "select_on": "windows", "target_proportions": "captured",
}  # fmt: skip
#: What ``select_on`` may name → the validation metric a run's best checkpoint is chosen on (lower is
#: better; ``pipeline``'s comes from the scorer the command line passes to the loop).
SELECTION_METRICS: dict[str, str] = {"windows": "val_mpjpe_cm", "pipeline": "val_pipeline_mpjpe_cm"}


def _default_model() -> ModelConfig:
    return ModelConfig(schema=CONDITION_SCHEMA)


@dataclass(frozen=True)
class TrainConfig:
    """Everything a training run uses (see the module table); validated on construction."""

    data_dir: str
    output_dir: str = "out/train"
    split_file: str | None = None
    cache_dir: str | None = None
    model: ModelConfig = field(default_factory=_default_model)
    steps: int = 2_000
    batch_size: int = 64
    lr: float = 1e-3
    weight_decay: float = 0.01
    warmup_steps: int = 100
    final_lr_fraction: float = 0.05
    grad_clip_norm: float = 1.0
    ema_decay: float = 0.999
    ema_warmup: bool = True
    mirror: bool = True
    target_proportions: str = "captured"
    sensor_drop_prob: float = 0.2
    sensor_groups: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: dict(DEFAULT_SENSOR_GROUPS))
    style_weights: Mapping[str, float] = field(default_factory=dict)
    validation_windows: int = 128
    validation_interval: int = 250
    checkpoint_interval: int = 250
    log_interval: int = 50
    select_on: str = "windows"
    init_from: str | None = None
    frozen: tuple[str, ...] = ()
    seed: int = 0
    num_workers: int = 0
    feature_jobs: int = 0
    device: str = "auto"

    def __post_init__(self) -> None:
        for name in ("data_dir", "output_dir"):
            if not isinstance(getattr(self, name), str) or not getattr(self, name):
                raise InputError(f"{name} must be a non-empty path, got {getattr(self, name)!r}")
        for name in ("split_file", "cache_dir", "init_from"):
            if getattr(self, name) is not None and not isinstance(getattr(self, name), str):
                raise InputError(f"{name} must be a path or null, got {getattr(self, name)!r}")
        if self.model.schema != CONDITION_SCHEMA:
            raise InputError("model.schema must be the insole features' condition schema (leave it out)")
        for name in (
            "steps", "batch_size", "validation_windows", "validation_interval", "checkpoint_interval",
            "log_interval",
        ):  # fmt: skip
            _positive_int(getattr(self, name), name)
        for name in ("warmup_steps", "num_workers", "feature_jobs", "seed"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise InputError(f"{name} must be a non-negative integer, got {value!r}")
        _number(self.lr, "lr", 1e-12, 10.0)
        _number(self.weight_decay, "weight_decay", 0.0)
        _number(self.final_lr_fraction, "final_lr_fraction", 0.0, 1.0)
        _number(self.grad_clip_norm, "grad_clip_norm", 0.0)
        _number(self.sensor_drop_prob, "sensor_drop_prob", 0.0, 1.0)
        _number(self.ema_decay, "ema_decay", 0.0, 1.0)
        if self.ema_decay == 1.0:
            raise InputError("ema_decay must be below 1 (1 would never move from the initial weights)")
        for name in ("mirror", "ema_warmup"):
            if not isinstance(getattr(self, name), bool):
                raise InputError(f"{name} must be true or false, got {getattr(self, name)!r}")
        self._check_sensor_groups()
        self._check_frozen()
        if not isinstance(self.style_weights, Mapping):
            raise InputError("style_weights must map styles to weights")
        for style, weight in self.style_weights.items():
            _number(weight, f"style_weights[{style!r}]", 0.0)
        if self.target_proportions not in TARGET_PROPORTIONS:
            raise InputError(
                f"target_proportions must be one of {list(TARGET_PROPORTIONS)}, "
                f"got {self.target_proportions!r}"
            )
        if self.select_on not in SELECTION_METRICS:
            raise InputError(f"select_on must be one of {list(SELECTION_METRICS)}, got {self.select_on!r}")
        if not isinstance(self.device, str) or not _DEVICE.fullmatch(self.device):
            raise InputError(f"device must be auto, cpu, cuda or cuda:N, got {self.device!r}")

    def _check_sensor_groups(self) -> None:
        from fnmatch import fnmatchcase

        if not isinstance(self.sensor_groups, Mapping) or not self.sensor_groups:
            raise InputError("sensor_groups must map group names to lists of stream patterns")
        for group, patterns in self.sensor_groups.items():
            if not isinstance(patterns, (list, tuple)) or not all(isinstance(p, str) for p in patterns):
                raise InputError(f"sensor_groups[{group!r}] must be a list of stream name patterns")
            if not any(fnmatchcase(n, p) for n in self.model.schema.names for p in patterns):
                raise InputError(
                    f"sensor_groups[{group!r}] matches no stream of {list(self.model.schema.names)}"
                )

    def _check_frozen(self) -> None:
        if not isinstance(self.frozen, tuple) or any(part not in SUB_NETWORKS for part in self.frozen):
            raise InputError(f"frozen must list sub-networks of {list(SUB_NETWORKS)}, got {self.frozen!r}")
        if len(set(self.frozen)) == len(SUB_NETWORKS):
            raise InputError("frozen names every sub-network: nothing would be trained")
        if self.frozen and self.init_from is None:
            raise InputError(f"frozen {list(self.frozen)} needs init_from: the checkpoint they are kept from")

    @property
    def feature_cache_dir(self) -> Path:
        return Path(self.cache_dir) if self.cache_dir is not None else Path(self.output_dir) / "feature_cache"

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form, the inverse of :meth:`from_dict`."""
        data = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "model"}
        data["sensor_groups"] = {k: list(v) for k, v in self.sensor_groups.items()}
        data["style_weights"] = dict(self.style_weights)
        data["frozen"] = list(self.frozen)
        return {**data, "model": self.model.to_dict()}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TrainConfig:
        """Build from a JSON object; unknown keys raise ``InputError``."""
        if not isinstance(data, Mapping):
            raise InputError(f"a training config must be a JSON object, got {type(data).__name__}")
        unknown = sorted(set(data) - {f.name for f in fields(cls)})
        if unknown:
            raise InputError(f"unknown training settings {unknown}")
        if "data_dir" not in data:
            raise InputError("the training config needs data_dir (or pass --data)")
        values = dict(data)
        model = values.pop("model", {})
        if not isinstance(model, Mapping):
            raise InputError(f"model must be a JSON object, got {type(model).__name__}")
        values["model"] = ModelConfig.from_dict({"schema": CONDITION_SCHEMA.to_list(), **model})
        if isinstance(values.get("frozen"), list):
            values["frozen"] = tuple(values["frozen"])
        if isinstance(values.get("sensor_groups"), Mapping):
            values["sensor_groups"] = {
                k: tuple(v) if isinstance(v, list) else v for k, v in values["sensor_groups"].items()
            }
        return cls(**values)


_UNSET = object()


def _flatten(data: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """``{"model": {"root": {"d_model": 8}}}`` → ``{"model.root.d_model": 8}`` (lists stay whole, an
    empty object has no keys)."""
    flat: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, Mapping):
            flat |= _flatten(value, f"{prefix}{key}.")
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def _shown(value: Any) -> str:
    return "(unset)" if value is _UNSET else json.dumps(value, sort_keys=True)


def resume_changes(saved: Mapping[str, Any], new: Mapping[str, Any]) -> dict[str, tuple[Any, Any]]:
    """``{setting: (saved, new)}`` for the :data:`RESUMABLE_SETTINGS` that differ between ``saved``, the
    :meth:`TrainConfig.to_dict` of the run being resumed, and ``new``, that of the resuming config.

    Any other difference raises ``InputError`` naming every differing setting (nested ones dotted:
    ``model.diffusion.cond_drop_prob``) with its saved → new value. A setting missing on one side (e.g.
    one added to step2motion since) counts as a difference, unless :data:`SETTINGS_ADDED_SINCE` says what
    its absence meant.
    """
    saved = {**SETTINGS_ADDED_SINCE, **saved}
    old_flat, new_flat = _flatten(saved), _flatten(json.loads(json.dumps(dict(new))))
    differing = {
        key: (old_flat.get(key, _UNSET), new_flat.get(key, _UNSET))
        for key in sorted(old_flat.keys() | new_flat.keys())
        if old_flat.get(key, _UNSET) != new_flat.get(key, _UNSET)
    }
    refused = {key: change for key, change in differing.items() if key not in RESUMABLE_SETTINGS}
    if refused:
        listed = "; ".join(format_change(key, old, value) for key, (old, value) in refused.items())
        raise InputError(
            f"cannot resume with changed training settings: {listed} (a resumed run may change only "
            f"{', '.join(sorted(RESUMABLE_SETTINGS))}; start a new run in another output folder instead)"
        )
    return differing


def format_change(setting: str, old: Any, new: Any) -> str:
    """``"steps 1200 → 2400"``."""
    return f"{setting} {_shown(old)} → {_shown(new)}"


def _deep_merge(base: Mapping[str, Any], changes: Mapping[str, Any]) -> dict[str, Any]:
    """``base`` with ``changes`` applied; objects merge key by key, anything else is replaced."""
    merged = dict(base)
    for key, value in changes.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = _deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def read_config_chain(path: Path, seen: tuple[Path, ...] = ()) -> dict[str, Any]:
    """The JSON object in ``path``, on top of the config its ``extends`` names (a path relative to
    ``path``'s folder), recursively: ablation configs state only what they change."""
    data = read_json_object(path, "training config")
    parent = data.pop(EXTENDS_KEY, None)
    if parent is None:
        return data
    if not isinstance(parent, str) or not parent:
        raise InputError(f"{EXTENDS_KEY} must name a config file, got {parent!r}", path)
    parent_path = (path.parent / parent).resolve()
    if parent_path in seen or parent_path == path.resolve():
        raise InputError(f"{EXTENDS_KEY} makes a cycle through {parent_path.name}", path)
    if not parent_path.is_file():
        raise InputError(f"{EXTENDS_KEY}: no config file {parent_path}", path)
    return _deep_merge(read_config_chain(parent_path, (*seen, path.resolve())), data)


def load_train_config(path: str | Path, **overrides: Any) -> TrainConfig:
    """The config in the JSON file ``path`` (on top of the one it ``extends``, if any) with command-line
    ``overrides`` (``None`` = keep) applied; ``InputError`` naming the file for anything malformed."""
    path = Path(path)
    data = read_config_chain(path)
    data |= {k: v for k, v in overrides.items() if v is not None}
    try:
        return TrainConfig.from_dict(data)
    except InputError as error:
        raise InputError(error.message, path) from None
