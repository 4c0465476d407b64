"""``step2motion plot REC.txt -o rec.png``: draw an insole recording into a PNG."""

from __future__ import annotations

import argparse
from pathlib import Path


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "plot",
        help="draw a Moticon insole recording (pressure heat-maps, force, CoP, IMU) into a PNG",
        description="Draw a Moticon OpenGo text export: per-foot pressure heat-maps grouped by region, "
        "total force (and body weight when the header gives a mass), centre of pressure, accelerometer "
        "and gyroscope, footprints of peak pressure. Missing samples are shaded, never drawn as zero; "
        "step events in the file are marked. Long windows are drawn as min/max envelopes.",
    )
    parser.add_argument("recording", type=Path, help="a Moticon OpenGo .txt export")
    parser.add_argument(
        "-o", "--output", type=Path, help="PNG to write (default: the recording's name + .png)"
    )
    parser.add_argument("--start", type=float, metavar="S", help="first time to draw, s (default: start)")
    parser.add_argument("--end", type=float, metavar="S", help="last time to draw, s (default: end)")
    parser.set_defaults(run=run)


def check_image_type(path: Path) -> None:
    """Refuse, before reading anything, a suffix matplotlib cannot write (no suffix: PNG)."""
    from matplotlib.backend_bases import FigureCanvasBase

    from step2motion.errors import InputError

    supported = FigureCanvasBase.get_supported_filetypes()
    suffix = path.suffix[1:].lower()
    if suffix and suffix not in supported:
        raise InputError(
            f"-o: cannot draw a .{suffix} image; supported: {', '.join(sorted(supported))}", path
        )


def run(args: argparse.Namespace) -> int:
    from step2motion.cli._output_paths import check_outputs
    from step2motion.io.moticon import read_moticon
    from step2motion.visualisation.recording_plot import plot_recording

    output = args.output or args.recording.with_suffix(".png")
    check_outputs({"the input recording": args.recording}, {"-o": output})
    check_image_type(output)
    plot_recording(read_moticon(args.recording), output, args.start, args.end)
    print(f"wrote {output}")
    return 0
