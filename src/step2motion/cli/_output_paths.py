"""Checks of a command's output paths, made before any work so that a mistyped path costs nothing.

Why: an output that names an input (``simulate w.bvh -o w.bvh``) or another output of the same command
(``reconstruct r.txt -o m.npz``, whose NPZ defaults to ``m.npz`` too) would silently destroy data. The
module name starts with ``_`` so that the CLI does not take it for a subcommand.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from step2motion.errors import InputError


def _identities(path: Path) -> list[object]:
    """What makes two paths one file: the resolved path, and for an existing file its device and inode
    (as :func:`os.path.samefile` compares them: a hard link, or another spelling of the name on a
    case-insensitive file system)."""
    identities: list[object] = [path.resolve()]
    try:
        stat = path.stat()
    except OSError:
        return identities
    return [*identities, (stat.st_dev, stat.st_ino)]


def refuse_overwrites(inputs: Mapping[str, Path | None], outputs: Mapping[str, Path | None]) -> None:
    """``InputError`` naming the path when an output is one of the ``inputs`` or an earlier output.

    Both map a role ("the input recording", "-o") to a path; None (an option not given) is skipped.
    """
    seen: dict[object, str] = {}
    for role, path in inputs.items():
        if path is not None:
            seen |= dict.fromkeys(_identities(path), role)
    for option, path in outputs.items():
        if path is None:
            continue
        identities = _identities(path)
        clash = next((seen[identity] for identity in identities if identity in seen), None)
        if clash is not None:
            raise InputError(f"{option} would overwrite {clash}", path)
        seen |= dict.fromkeys(identities, option)


def check_outputs(inputs: Mapping[str, Path | None], outputs: Mapping[str, Path | None]) -> None:
    """:func:`refuse_overwrites`, and refuse an output file that is a folder or a device, whose folder is
    missing, or where no file can be created (outputs are written beside their place and renamed)."""
    import tempfile

    refuse_overwrites(inputs, outputs)
    for option, path in outputs.items():
        if path is None:
            continue
        if path.is_dir():
            raise InputError(f"{option} names a folder, not a file", path)
        if path.exists() and not path.is_file():
            raise InputError(f"{option} names a device or other special file, not a regular file", path)
        if not path.parent.is_dir():
            raise InputError(f"{option}: folder {path.parent} does not exist", path)
        try:
            with tempfile.NamedTemporaryFile(dir=path.parent, prefix=".step2motion-check-"):
                pass
        except OSError as error:
            raise InputError(
                f"{option}: cannot create files in {path.parent} ({error.strerror})", path
            ) from None
