"""What ``view`` and ``render`` show, given the same way: a recording, motions, a truth, its placement."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from step2motion.visualisation.scene import Scene


def add_scene_arguments(parser: argparse.ArgumentParser) -> None:
    """``[REC.txt] [--motion PRED.bvh ...] [--truth GT.bvh] [--align start|none]``."""
    parser.add_argument("recording", type=Path, nargs="?", help="a Moticon OpenGo .txt export (optional)")
    parser.add_argument(
        "--motion",
        type=Path,
        action="append",
        default=[],
        metavar="PRED.bvh",
        help="a reconstruction (BVH of any known rig) to show; repeat for several, e.g. samples",
    )
    parser.add_argument("--truth", type=Path, metavar="GT.bvh", help="the motion capture to compare with")
    parser.add_argument(
        "--align",
        choices=("start", "none"),
        default="start",
        help="start: move the truth rigidly onto the first motion's start position and heading, as "
        "'step2motion evaluate' scores it (default); none: draw it where it was captured",
    )


def scene_inputs(args: argparse.Namespace) -> dict[str, Path | None]:
    """The input files named by :func:`add_scene_arguments`, for ``check_outputs``."""
    inputs = {"the input recording": args.recording, "--truth": args.truth}
    return inputs | {f"--motion {path}": path for path in args.motion}


def load_scene_arguments(args: argparse.Namespace) -> Scene:
    """The scene the arguments describe; ``InputError`` when they name nothing or a file is unreadable."""
    from step2motion.visualisation.scene import load_scene

    return load_scene(args.recording, args.motion, args.truth, args.align)
