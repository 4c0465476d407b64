"""What only ``--resume`` needs, beside ``last.safetensors``, in ``last.resume.safetensors`` (tensors +
JSON metadata; never pickle): the optimiser's own weights (``last.safetensors`` holds their exponential
moving average when the run keeps one) and moments, how many updates the average has taken, the
learning-rate schedule, the step, the best validation score so far and the time spent.

No RNG state is stored: every random draw is seeded from (seed, process, step)
(:mod:`step2motion.training.data`), so the step alone puts a resumed run back on the same path. The
learning-rate schedule is stored because ``--resume --steps N`` changes it from the resume step on
(:class:`step2motion.training.loop.LrSchedule`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import save_file

from step2motion.errors import InputError
from step2motion.io.atomic_file import atomic_path

RESUME_SUFFIX = ".resume.safetensors"
METADATA_KEY = "step2motion_resume"
RESUME_VERSION = 2  # 2: model weights, EMA updates and learning-rate schedule added
OPTIMIZER_PREFIX, WEIGHTS_PREFIX = "optimizer/", "model/"


@dataclass
class RunProgress:
    """Where a run stands after ``step`` optimiser steps."""

    step: int = 0
    best_mpjpe_cm: float | None = None  # of the config's ``select_on`` metric
    best_step: int | None = None
    wall_s: float = 0.0  # whole run: loading, training, validation, checkpoints
    train_s: float = 0.0  # optimiser steps only (data loading included)


@dataclass
class ResumeState:
    """What :func:`load_resume_state` reads beside the optimiser state (which it restores)."""

    progress: RunProgress
    weights: dict[str, torch.Tensor]  # the optimiser's model weights (a ``state_dict``), not averaged
    ema_updates: int  # updates the weight average in the checkpoint has taken (0 = no average kept)
    lr_schedule: dict[str, Any]  # ``LrSchedule.to_dict()``


def resume_path(checkpoint_path: str | Path) -> Path:
    """``run/last.safetensors`` → ``run/last.resume.safetensors``."""
    checkpoint_path = Path(checkpoint_path)
    return checkpoint_path.with_name(checkpoint_path.name.removesuffix(".safetensors") + RESUME_SUFFIX)


def save_resume_state(
    path: str | Path,
    optimizer: torch.optim.Optimizer,
    progress: RunProgress,
    weights: Mapping[str, torch.Tensor],
    ema_updates: int,
    lr_schedule: Mapping[str, Any],
) -> Path:
    """Write the optimiser state, the model ``weights`` (``state_dict``), ``progress``, ``ema_updates`` and
    ``lr_schedule`` (JSON-able) to ``path`` (atomically: temporary name, then rename)."""
    path = Path(path)
    state = optimizer.state_dict()
    tensors = {f"{WEIGHTS_PREFIX}{name}": t.detach().cpu().contiguous() for name, t in weights.items()}
    scalars: dict[str, dict[str, Any]] = {}
    for param_id, entries in state["state"].items():
        for key, value in entries.items():
            if isinstance(value, torch.Tensor):
                tensors[f"{OPTIMIZER_PREFIX}{param_id}/{key}"] = value.detach().cpu().contiguous()
            else:
                scalars.setdefault(str(param_id), {})[key] = value
    description = {
        "resume_version": RESUME_VERSION,
        "progress": asdict(progress),
        "ema_updates": ema_updates,
        "lr_schedule": dict(lr_schedule),
        "param_groups": state["param_groups"],
        "scalars": scalars,
    }
    with atomic_path(path) as partial:
        save_file(tensors, partial, metadata={METADATA_KEY: json.dumps(description)})
    return path


def load_resume_state(path: str | Path, optimizer: torch.optim.Optimizer) -> ResumeState:
    """Restore the optimiser saved at ``path`` into ``optimizer`` (same parameters; ``load_state_dict``
    moves the moments to their devices) and return the rest; ``InputError`` when the file is missing,
    not a resume state or one of an older version."""
    path = Path(path)
    if not path.is_file():
        raise InputError("resume state not found (was the run started with this output folder?)", path)
    try:
        with safe_open(path, framework="pt") as handle:
            description: dict[str, Any] = json.loads((handle.metadata() or {})[METADATA_KEY])
            tensors = {name: handle.get_tensor(name) for name in handle.keys()}  # noqa: SIM118
    except (SafetensorError, OSError, KeyError, json.JSONDecodeError) as error:
        raise InputError(f"not a step2motion resume state: {error}", path) from None
    if description.get("resume_version") != RESUME_VERSION:
        raise InputError(
            f"resume state version {description.get('resume_version')!r} is not supported (this "
            f"step2motion writes version {RESUME_VERSION}): start a new run",
            path,
        )
    state: dict[int, dict[str, Any]] = {}
    weights: dict[str, torch.Tensor] = {}
    for name, tensor in tensors.items():
        if name.startswith(WEIGHTS_PREFIX):
            weights[name.removeprefix(WEIGHTS_PREFIX)] = tensor
            continue
        param_id, key = name.removeprefix(OPTIMIZER_PREFIX).split("/", 1)
        state.setdefault(int(param_id), {})[key] = tensor
    for param_id, entries in description["scalars"].items():
        state.setdefault(int(param_id), {}).update(entries)
    try:
        optimizer.load_state_dict({"state": state, "param_groups": description["param_groups"]})
    except (ValueError, KeyError) as error:
        raise InputError(f"optimiser state does not fit the model: {error}", path) from None
    return ResumeState(
        RunProgress(**description["progress"]),
        weights,
        int(description["ema_updates"]),
        description["lr_schedule"],
    )
