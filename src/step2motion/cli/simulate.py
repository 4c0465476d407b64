"""``step2motion simulate MOTION.bvh -o REC.txt``: the virtual-insole recording of one motion clip."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from step2motion import insole_layout

if TYPE_CHECKING:
    from step2motion.motion import Motion

DEFAULT_MASS_KG = 70.0
DEFAULT_INSOLE_SIZE = 7
DEFAULT_RATE_HZ = 100.0


def add_simulation_arguments(parser: argparse.ArgumentParser) -> None:
    """The body, insole and sensor options shared by ``simulate`` and ``simulate-corpus``."""
    group = parser.add_argument_group("person and insoles")
    group.add_argument(
        "--mass-kg",
        type=float,
        default=DEFAULT_MASS_KG,
        metavar="KG",
        help=f"body mass in kg, 20-250 (default {DEFAULT_MASS_KG:g}); forces scale with it",
    )
    group.add_argument(
        "--insole-size",
        type=int,
        default=DEFAULT_INSOLE_SIZE,
        metavar="N",
        help=f"OpenGo insole size {insole_layout.VALID_SIZES[0]}-{insole_layout.VALID_SIZES[-1]} "
        f"(default {DEFAULT_INSOLE_SIZE}); sets the cell areas",
    )
    group.add_argument(
        "--rate",
        type=float,
        default=DEFAULT_RATE_HZ,
        metavar="HZ",
        help=f"sample rate in Hz (default {DEFAULT_RATE_HZ:g}; OpenGo records at 10, 25, 50 or 100)",
    )
    group.add_argument(
        "--noise",
        choices=("realistic", "none"),
        default="realistic",
        help="'realistic' (default): sensor noise, bias, misalignment and missing samples as in real "
        "exports; 'none': only the device's quantisation and saturation",
    )
    group.add_argument("--seed", type=int, default=0, help="random seed of the sensor noise (default 0)")


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "simulate",
        help="simulate the insole recording a motion-capture clip would produce",
        description="Simulate the Moticon OpenGo recording (16 pressure cells, 6-axis IMU, total "
        "force, centre of pressure, per foot) of a person performing a BVH motion: ground reaction force "
        "from the body's centre of mass, contacts and the left/right split from the feet on an estimated "
        "floor, pressures spread over the cells as the feet roll, then the sensor model. The recording "
        "has the clip's "
        "duration and is written as an OpenGo text export whose header says it is simulated.",
        epilog="example: step2motion simulate walk.bvh -o walk_insoles.txt --mass-kg 80 --insole-size 8",
    )
    parser.add_argument(
        "motion", type=Path, metavar="MOTION.bvh", help="the motion clip (any known skeleton)"
    )
    parser.add_argument(
        "-o", "--output", type=Path, required=True, metavar="REC.txt", help="recording to write"
    )
    add_simulation_arguments(parser)
    source = parser.add_argument_group("reading the BVH")
    source.add_argument(
        "--source-fps",
        type=float,
        metavar="F",
        help="the clip's true frame rate when its Frame Time header is wrong (e.g. 60 for CMU salsa); "
        "default: from a MANIFEST.csv above the file that lists it, else the header",
    )
    source.add_argument(
        "--drop-first-frames",
        type=int,
        metavar="N",
        help="source frames to drop first, e.g. 1 for an added T-pose frame; default: 1 when a MANIFEST.csv "
        "above the file marks its first frame as a T-pose, else 0",
    )
    parser.set_defaults(run=run)


def read_motion_argument(path: Path, source_fps: float | None, drop_first_frames: int | None) -> Motion:
    """A BVH named on the command line, with its true frame rate and T-pose flag taken from a corpus
    manifest listing it unless given explicitly (and said on stdout, since it changes the timing)."""
    from step2motion.io.bvh import read_bvh
    from step2motion.io.corpus import manifest_entry_for

    entry = manifest_entry_for(path) if source_fps is None or drop_first_frames is None else None
    if entry is not None:
        source_fps = entry.fps if source_fps is None else source_fps
        if drop_first_frames is None:
            drop_first_frames = 1 if entry.first_frame_tpose else 0
        print(f"{path}: per MANIFEST.csv, {source_fps:g} fps, dropping {drop_first_frames} first frame(s)")
    return read_bvh(path, source_fps=source_fps, drop_first_frames=drop_first_frames or 0)


def run(args: argparse.Namespace) -> int:
    from step2motion.cli._output_paths import check_outputs
    from step2motion.io.moticon import write_moticon
    from step2motion.simulation.simulate import simulate_recording

    check_outputs({"the input motion": args.motion}, {"-o": args.output})
    motion = read_motion_argument(args.motion, args.source_fps, args.drop_first_frames)
    recording = simulate_recording(motion, args.mass_kg, args.insole_size, args.rate, args.noise, args.seed)
    write_moticon(recording, args.output)
    print(
        f"{args.output}: {recording.n_samples} samples at {args.rate:g} Hz = {recording.duration_s:.2f} s "
        f"(motion {motion.duration_s:.2f} s), {args.mass_kg:g} kg, size {args.insole_size}, "
        f"noise {args.noise}, seed {args.seed}"
    )
    return 0
