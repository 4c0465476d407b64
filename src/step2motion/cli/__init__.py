"""The ``step2motion`` command line: one subcommand per verb, each in its own module of this package.

A verb module provides ``add_parser(subparsers)`` (which sets ``run`` as the parser default) and is
found automatically. User mistakes (:class:`~step2motion.errors.InputError`, missing files) print one
line and exit 2; only bugs show a traceback.
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
    args = build_parser().parse_args(argv)
    try:
        return int(args.run(args) or 0)
    except InputError as error:
        print(f"step2motion {args.command}: error: {error}", file=sys.stderr)
        return 2
    except (FileNotFoundError, IsADirectoryError, PermissionError) as error:
        print(f"step2motion {args.command}: error: {error.filename}: {error.strerror}", file=sys.stderr)
        return 2
