"""What only ``--resume`` needs, beside ``last.safetensors``: optimiser moments, the step, the best
validation score so far and the time spent, in ``last.resume.safetensors`` (tensors + JSON metadata;
never pickle). No RNG state is stored: every random draw is seeded from (seed, process, step)
(:mod:`step2motion.training.data`), so the step alone puts a resumed run back on the same path.

The learning-rate schedule is a pure function of the step, so it has no state either.
"""

from __future__ import annotations

import json
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
RESUME_VERSION = 1


@dataclass
class RunProgress:
    """Where a run stands after ``step`` optimiser steps."""

    step: int = 0
    best_mpjpe_cm: float | None = None
    best_step: int | None = None
    wall_s: float = 0.0  # whole run: loading, training, validation, checkpoints
    train_s: float = 0.0  # optimiser steps only (data loading included)


def resume_path(checkpoint_path: str | Path) -> Path:
    """``run/last.safetensors`` → ``run/last.resume.safetensors``."""
    checkpoint_path = Path(checkpoint_path)
    return checkpoint_path.with_name(checkpoint_path.name.removesuffix(".safetensors") + RESUME_SUFFIX)


def save_resume_state(path: str | Path, optimizer: torch.optim.Optimizer, progress: RunProgress) -> Path:
    """Write the optimiser state and ``progress`` to ``path`` (atomically: temporary name, then rename)."""
    path = Path(path)
    state = optimizer.state_dict()
    tensors, scalars = {}, {}
    for param_id, entries in state["state"].items():
        for key, value in entries.items():
            if isinstance(value, torch.Tensor):
                tensors[f"optimizer/{param_id}/{key}"] = value.detach().cpu().contiguous()
            else:
                scalars.setdefault(str(param_id), {})[key] = value
    description = {
        "resume_version": RESUME_VERSION,
        "progress": asdict(progress),
        "param_groups": state["param_groups"],
        "scalars": scalars,
    }
    with atomic_path(path) as partial:
        save_file(tensors, partial, metadata={METADATA_KEY: json.dumps(description)})
    return path


def load_resume_state(path: str | Path, optimizer: torch.optim.Optimizer) -> RunProgress:
    """Restore the optimiser saved at ``path`` into ``optimizer`` (same parameters; ``load_state_dict``
    moves the moments to their devices) and return the progress; ``InputError`` when the file is
    missing or not a resume state."""
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
        raise InputError(f"resume state version {description.get('resume_version')!r} is not supported", path)
    state: dict[int, dict[str, Any]] = {}
    for name, tensor in tensors.items():
        _, param_id, key = name.split("/", 2)
        state.setdefault(int(param_id), {})[key] = tensor
    for param_id, entries in description["scalars"].items():
        state.setdefault(int(param_id), {}).update(entries)
    try:
        optimizer.load_state_dict({"state": state, "param_groups": description["param_groups"]})
    except (ValueError, KeyError) as error:
        raise InputError(f"optimiser state does not fit the model: {error}", path) from None
    return RunProgress(**description["progress"])
