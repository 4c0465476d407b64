"""Write a file so that it exists only when complete: into ``<name>.partial`` beside it, then renamed.

Why: an interrupted write (Ctrl-C, a full disk, an exception half-way) must not leave a truncated file in
the place of a good one; a rename within one folder is atomic, so readers see the old file or the new one.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yields the temporary path to write; on success it replaces ``path``, on an error it is removed."""
    path = Path(path)
    partial = path.with_name(path.name + ".partial")
    try:
        yield partial
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)
