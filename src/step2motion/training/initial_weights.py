"""Starting a run from a checkpoint's weights, sub-network by sub-network, and keeping some of them frozen.

A model has two sub-networks that share no parameters (:mod:`step2motion.training.objective`): ``root``
(the root displacement network, parameters under ``root.``) and ``pose`` (everything else: stream
encoders, denoiser, pose head). Each can start from ``init_from`` only when the settings that shape it
match, so a run that changes the root network's streams keeps the finished pose model and trains a new
root network next to it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from pathlib import Path

from step2motion.errors import InputError
from step2motion.model.checkpoint import Checkpoint
from step2motion.model.config import ModelConfig
from step2motion.model.full_model import Step2MotionModel

_ROOT_PREFIX = "root."


def sub_network(parameter_name: str) -> str:
    """``"root"`` or ``"pose"``: the sub-network a ``state_dict`` entry belongs to."""
    return "root" if parameter_name.startswith(_ROOT_PREFIX) else "pose"


def matching_sub_networks(initial: ModelConfig, config: ModelConfig) -> tuple[str, ...]:
    """The sub-networks of ``config`` that weights trained under ``initial`` fit and mean the same in:
    ``pose`` when every setting but ``root`` matches, ``root`` when its own settings, the condition
    schema and the frame rate match."""
    parts = []
    if dataclasses.replace(initial, root=config.root) == config:
        parts.append("pose")
    same_input = initial.schema == config.schema and initial.frame_rate_hz == config.frame_rate_hz
    if initial.root == config.root and same_input:
        parts.append("root")
    return tuple(parts)


def start_from(
    model: Step2MotionModel, initial: Checkpoint, frozen: Iterable[str], source: str | Path
) -> tuple[str, ...]:
    """Copy into ``model`` the weights of every sub-network that ``initial`` fits, and return their names.

    ``InputError`` (naming ``source``) when a ``frozen`` sub-network is not among them: it would be
    kept at fresh random weights.
    """
    parts = matching_sub_networks(initial.config, model.config)
    unfit = [part for part in frozen if part not in parts]
    if unfit:
        raise InputError(
            f"frozen {unfit}: init_from's model settings differ from the config's for "
            f"{' and '.join(unfit)} (only settings of model.root may change to keep the pose model, only "
            "others to keep the root network)",
            source,
        )
    state = {name: value for name, value in initial.model.state_dict().items() if sub_network(name) in parts}
    missing, unexpected = model.load_state_dict(state, strict=False)
    if unexpected or any(sub_network(name) in parts for name in missing):
        raise InputError(f"init_from's weights do not fit the model ({len(missing)} missing)", source)
    return parts


def freeze(model: Step2MotionModel, frozen: Iterable[str]) -> None:
    """Stop the optimiser from changing the ``frozen`` sub-networks' parameters."""
    frozen = set(frozen)
    for name, parameter in model.named_parameters():
        if sub_network(name) in frozen:
            parameter.requires_grad_(False)
