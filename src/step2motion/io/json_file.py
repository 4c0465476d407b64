"""Reading the project's small JSON files (configs, splits) with errors a user can act on."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from step2motion.errors import InputError


def read_json_object(path: str | Path, what: str) -> dict[str, Any]:
    """The JSON object in ``path``; ``InputError`` naming the file (and the line of a syntax error) when it
    is missing, not JSON, or not an object. ``what`` names the file's role in messages ("split file")."""
    path = Path(path)
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"{what} not found", path) from None
    except json.JSONDecodeError as error:
        raise InputError(f"not valid JSON: {error.msg}", path, error.lineno) from None
    if not isinstance(document, dict):
        raise InputError(f"a {what} must hold a JSON object", path)
    return document
