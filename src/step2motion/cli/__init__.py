"""The ``step2motion`` command line: one subcommand per verb, each in its own module of this package.

A verb module provides ``add_parser(subparsers)`` (which sets ``run`` as the parser default) and is
found automatically. User mistakes (:class:`~step2motion.errors.InputError`, unusable paths) print one
line and exit 2, Ctrl-C one line and exit 130; only bugs show a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys

from step2motion import __version__
from step2motion.errors import InputError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="step2motion",
        description="Reconstruct full-body motion from pressure-sensing insoles, and simulate insole "
        "recordings from motion capture. Run 'step2motion COMMAND --help' for each command.",
    )
    parser.add_argument("--version", action="version", version=f"step2motion {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module_info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if not module_info.name.startswith("_"):
            importlib.import_module(f"{__name__}.{module_info.name}").add_parser(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one command; a user's mistake or an unusable path is one line on stderr and exit 2, Ctrl-C one
    line and exit 130, a closed output pipe (``| head``) a quiet exit 141, as if killed by SIGPIPE."""
    command = "step2motion"
    try:
        args = build_parser().parse_args(argv)
        command = f"step2motion {args.command}"
        status = int(args.run(args) or 0)
        sys.stdout.flush()  # a closed pipe shows here, not in the interpreter's exit
        return status
    except InputError as error:
        print(f"{command}: error: {error}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        _discard_stdout()
        return 141
    except OSError as error:  # a missing file, a file used as a folder, no permission, a full disk, ...
        where = f"{error.filename}: " if error.filename is not None else ""
        print(f"{command}: error: {where}{error.strerror or error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"{command}: interrupted", file=sys.stderr)
        return 130


def _discard_stdout() -> None:
    """Point stdout at the null device, so that flushing it at exit does not fail on the closed pipe."""
    import contextlib
    import os

    with contextlib.suppress(OSError, ValueError):  # not a file (captured): nothing to flush at exit
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
