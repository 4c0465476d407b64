"""``step2motion simulate MOTION.bvh -o REC.txt``: the virtual-insole recording of one motion clip."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from step2motion import insole_layout

if TYPE_CHECKING:
    from step2motion.io.bvh import SkeletonTable
    from step2motion.motion import Motion

DEFAULT_MASS_KG = 70.0
DEFAULT_INSOLE_SIZE = 7
DEFAULT_RATE_HZ = 100.0
#: Highest ``--source-fps`` taken for a motion-capture frame rate rather than a typo.
MAX_SOURCE_FPS = 1000.0


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


SKELETON_MAP_HELP = (
    "a skeleton table of your own, for a rig the shipped tables (step2motion/io/skeleton_maps/) do not know: "
    'a JSON object with "name", "description", "unit_m" (candidate sizes of one file unit in metres, e.g. '
    '[0.01] for centimetres), "notes" (list of strings), "joints" (each of the 22 canonical joints -> the '
    'file\'s joint name, or a virtual joint {"from": J, "to": K or "End Site", "fraction": 0-1} on a rest '
    'segment) and "end_sites" (canonical joint -> the file joint whose End Site it gets); it is then the '
    "only table tried"
)


def add_skeleton_map_argument(parser: argparse.ArgumentParser | argparse._ArgumentGroup) -> None:
    """``--skeleton-map FILE.json``: a user's skeleton table for every BVH the command reads."""
    parser.add_argument("--skeleton-map", type=Path, metavar="FILE.json", help=SKELETON_MAP_HELP)


def skeleton_map_argument(args: argparse.Namespace) -> SkeletonTable | None:
    """The checked ``--skeleton-map`` table (None when not given); a bad one is an ``InputError``."""
    from step2motion.io.bvh import read_skeleton_table

    path = getattr(args, "skeleton_map", None)
    return None if path is None else read_skeleton_table(path)


def check_simulation_arguments(args: argparse.Namespace) -> None:
    """The person, insole and sensor options of ``simulate`` and ``simulate-corpus``, refused before any
    clip is read; the rate must be one OpenGo records at, since the reader accepts no other."""
    from step2motion.errors import InputError
    from step2motion.insole_layout import VALID_SIZES
    from step2motion.recording import OPENGO_RATES_HZ
    from step2motion.simulation.simulate import MASS_RANGE_KG

    if not MASS_RANGE_KG[0] <= args.mass_kg <= MASS_RANGE_KG[1]:
        raise InputError(
            f"--mass-kg: body mass must be {MASS_RANGE_KG[0]:g}-{MASS_RANGE_KG[1]:g} kg, got {args.mass_kg:g}"
        )
    if args.insole_size not in VALID_SIZES:
        raise InputError(f"--insole-size must be {VALID_SIZES[0]}-{VALID_SIZES[-1]}, got {args.insole_size}")
    if args.rate not in OPENGO_RATES_HZ:
        rates = ", ".join(f"{rate:g}" for rate in OPENGO_RATES_HZ)
        raise InputError(f"--rate must be one of OpenGo's {rates} Hz, got {args.rate:g}")
    if args.seed < 0:
        raise InputError(f"--seed must be 0 or more, got {args.seed}")


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
    add_skeleton_map_argument(source)
    parser.set_defaults(run=run)


def read_motion_argument(
    path: Path, source_fps: float | None, drop_first_frames: int | None, table: SkeletonTable | None = None
) -> Motion:
    """A BVH named on the command line, with its true frame rate and T-pose flag taken from a corpus
    manifest listing it unless given explicitly (and said on stdout, since it changes the timing); read
    with ``table`` (``--skeleton-map``) when given."""
    from step2motion.io.bvh import read_bvh
    from step2motion.io.corpus import manifest_entry_for

    entry = manifest_entry_for(path) if source_fps is None or drop_first_frames is None else None
    if entry is not None:
        source_fps = entry.fps if source_fps is None else source_fps
        if drop_first_frames is None:
            drop_first_frames = 1 if entry.first_frame_tpose else 0
        print(f"{path}: per MANIFEST.csv, {source_fps:g} fps, dropping {drop_first_frames} first frame(s)")
    return read_bvh(path, source_fps=source_fps, drop_first_frames=drop_first_frames or 0, table=table)


def run(args: argparse.Namespace) -> int:
    from step2motion.cli._output_paths import check_outputs
    from step2motion.errors import InputError
    from step2motion.io.moticon import write_moticon
    from step2motion.simulation.simulate import recording_length, simulate_recording

    check_outputs({"the input motion": args.motion}, {"-o": args.output})
    check_simulation_arguments(args)
    table = skeleton_map_argument(args)
    if args.source_fps is not None and not 0 < args.source_fps <= MAX_SOURCE_FPS:
        raise InputError(
            f"--source-fps must be above 0 and at most {MAX_SOURCE_FPS:g} fps, got {args.source_fps:g}"
        )
    motion = read_motion_argument(args.motion, args.source_fps, args.drop_first_frames, table)
    if recording_length(motion, args.rate) < 2:
        raise InputError(
            f"the motion lasts {motion.duration_s:.3g} s: shorter than two samples at {args.rate:g} Hz",
            args.motion,
        )
    recording = simulate_recording(motion, args.mass_kg, args.insole_size, args.rate, args.noise, args.seed)
    write_moticon(recording, args.output)
    print(
        f"{args.output}: {recording.n_samples} samples at {args.rate:g} Hz = {recording.duration_s:.2f} s "
        f"(motion {motion.duration_s:.2f} s), {args.mass_kg:g} kg, size {args.insole_size}, "
        f"noise {args.noise}, seed {args.seed}"
    )
    return 0
