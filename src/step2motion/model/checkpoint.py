"""Self-describing model checkpoints: one ``.safetensors`` file with the weights and, in its header
metadata, the model config, the normalisation statistics and free-form training facts (JSON).

Why one file: ``--model M`` needs nothing else to rebuild the network and prepare its inputs, and a
user can pass the file around without a sidecar going missing. Why safetensors: loading never unpickles
(a checkpoint from a stranger cannot run code), and the header is readable without loading weights
(``step2motion info`` prints it).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from safetensors import safe_open
from safetensors.torch import save_file

from step2motion.dataset.windows import NormalisationStats
from step2motion.errors import InputError
from step2motion.io.atomic_file import atomic_path
from step2motion.io.model_header import CHECKPOINT_VERSION, METADATA_KEY, read_description
from step2motion.model.config import ModelConfig
from step2motion.model.full_model import Step2MotionModel

#: The pretrained model shipped with the package, used when a command gets no ``--model``.
DEFAULT_MODEL_PATH = Path(__file__).resolve().parent.parent / "data" / "models" / "default.safetensors"


@dataclass
class Checkpoint:
    """A model ready to run: the network (eval mode, on CPU), its config and normalisation statistics.

    ``info`` holds what training recorded (steps, wall time, data, split, validation metrics, ...).
    """

    model: Step2MotionModel
    config: ModelConfig
    stats: NormalisationStats
    info: dict[str, Any]


def save_checkpoint(
    path: str | Path,
    model: Step2MotionModel,
    stats: NormalisationStats,
    info: dict[str, Any] | None = None,
) -> Path:
    """Write ``model`` (its ``state_dict``), its config, ``stats`` and ``info`` (JSON-able) to ``path``.

    Written to a temporary name and renamed, so an interrupted save never leaves a truncated file.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    description = {
        "checkpoint_version": CHECKPOINT_VERSION,
        "model_config": model.config.to_dict(),
        "normalisation": stats.to_dict(),
        "info": info or {},
    }
    tensors = {name: tensor.detach().cpu().contiguous() for name, tensor in model.state_dict().items()}
    with atomic_path(path) as partial:
        save_file(tensors, partial, metadata={METADATA_KEY: json.dumps(description)})
    return path


#: How to get a model where there is none (commands add it to their error).
TRAIN_HINT = (
    "train one with 'step2motion simulate-corpus ../shared/data/mocap -o corpus/ && step2motion train "
    "--config configs/default.json --data corpus/ --out runs/default' and pass --model "
    "runs/default/best.safetensors"
)


def model_path_or_default(path: Path | None) -> Path:
    """``path``, or the bundled model when None; ``InputError`` saying how to train one when the file
    is not there."""
    model_path = DEFAULT_MODEL_PATH if path is None else Path(path)
    if not model_path.is_file():
        what = "the bundled default model is not installed" if path is None else "no model file here"
        raise InputError(f"{what}; {TRAIN_HINT}", model_path)
    return model_path


def _check_finite(state: dict[str, torch.Tensor], path: str | Path) -> None:
    """Refuse NaN or infinite weights (a diverged training saved them): such a model would run and
    write NaN motion, or fail deep inside the pipeline."""
    bad = [name for name, t in state.items() if t.is_floating_point() and not bool(torch.isfinite(t).all())]
    if bad:
        raise InputError(
            f"{len(bad)} of {len(state)} weight tensors hold NaN or infinite values (first: {bad[0]}): "
            "the training diverged; use an earlier checkpoint",
            path,
        )


def load_checkpoint(path: str | Path) -> Checkpoint:
    """The model stored at ``path``, rebuilt from its own description (weights on CPU, eval mode)."""
    description = read_description(path)
    try:
        config = ModelConfig.from_dict(description["model_config"])
        stats = NormalisationStats.from_dict(description["normalisation"])
    except KeyError as error:
        raise InputError(f"checkpoint description lacks {error}", path) from None
    except InputError as error:
        raise InputError(f"checkpoint description: {error.message}", path) from None
    model = Step2MotionModel(config)
    state: dict[str, torch.Tensor] = {}
    with safe_open(path, framework="pt") as handle:
        for name in handle.keys():  # noqa: SIM118 - safe_open is not a Mapping
            state[name] = handle.get_tensor(name)
    _check_finite(state, path)
    try:
        model.load_state_dict(state)
    except RuntimeError as error:
        first_line = str(error).splitlines()[1 if "\n" in str(error) else 0].strip()
        raise InputError(f"weights do not fit the described model: {first_line}", path) from None
    model.eval()
    return Checkpoint(model=model, config=config, stats=stats, info=description.get("info", {}))
