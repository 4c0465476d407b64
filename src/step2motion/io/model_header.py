"""The JSON description in the header of a step2motion model file (``.safetensors``).

Separate from :mod:`step2motion.model.checkpoint`, which rebuilds the network, because reading the header
needs neither torch nor the model: ``step2motion info MODEL`` prints it and starts in a fraction of the
time.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from safetensors import SafetensorError, safe_open

from step2motion.errors import InputError

#: Header metadata key holding the JSON description.
METADATA_KEY = "step2motion"
CHECKPOINT_VERSION = 1


def read_description(path: str | Path) -> dict[str, Any]:
    """The JSON description in a checkpoint's header, without loading weights; ``InputError`` when the
    file is missing, not safetensors, or not a step2motion checkpoint."""
    path = Path(path)
    if not path.is_file():
        raise InputError("model checkpoint not found", path)
    try:
        with safe_open(path, framework="numpy") as handle:
            metadata = handle.metadata() or {}
    except (SafetensorError, OSError, ValueError) as error:
        raise InputError(f"not a safetensors checkpoint: {error}", path) from None
    if METADATA_KEY not in metadata:
        raise InputError(
            f"safetensors file without a '{METADATA_KEY}' description: not a step2motion model", path
        )
    try:
        description = json.loads(metadata[METADATA_KEY])
    except json.JSONDecodeError as error:
        raise InputError(f"checkpoint description is not valid JSON: {error}", path) from None
    version = description.get("checkpoint_version") if isinstance(description, dict) else None
    if version != CHECKPOINT_VERSION:
        raise InputError(
            f"checkpoint version {version!r} is not supported (expected {CHECKPOINT_VERSION})", path
        )
    return description
