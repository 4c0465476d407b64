"""``step2motion view [REC.txt] [--motion M.bvh ...] [--truth GT.bvh] -o view.html``: an offline page."""

from __future__ import annotations

import argparse
from pathlib import Path

from step2motion.cli._scene_arguments import add_scene_arguments, load_scene_arguments, scene_inputs


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "view",
        help="write one self-contained HTML page that plays motions and insoles together (3D, in a browser)",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="""\
Write one HTML page that plays, on the recording's clock, the skeletons of the motions and the
insoles of the recording. It holds everything it needs (three.js included) and opens from disk in any
recent browser, with no network.

The page shows:
  3D view      each motion's skeleton on a metre grid (predictions in blue and other colours,
               the truth in orange), its hips' path on the ground, feet in green while the
               insoles say they are planted; overlay or side by side (1.5 m apart); the camera
               follows the motions unless told not to
  insoles      both 16-cell insoles seen from above (left foot mirrored, medial sides inward),
               cells coloured by pressure (N/cm², grey = missing), centre of pressure with a trail
  force strip  both feet's total force over the whole recording with a playhead
  legend       each motion's file name and role

Keys: Space play/pause, Left/Right one frame; mouse: drag to orbit, right-drag to pan, wheel to
zoom; click or drag the force strip or the slider to jump.

With only a recording the page shows the insoles and the force strip; with only motions, feet are
never marked planted. Each track holds its last frame once it ends.""",
    )
    add_scene_arguments(parser)
    parser.add_argument(
        "-o", "--output", type=Path, help="HTML page to write (default: the recording's name + .html)"
    )
    parser.add_argument("--title", help="the page's title (default: the file names)")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from step2motion.cli._output_paths import check_outputs
    from step2motion.errors import InputError
    from step2motion.visualisation.viewer_page import write_viewer_page

    if args.recording is None and not args.motion and args.truth is None:
        raise InputError("nothing to show: give a recording, a --motion or a --truth")
    if args.output is None and args.recording is None:
        raise InputError("-o is required when no recording is given")
    output = args.output or args.recording.with_suffix(".html")
    check_outputs(scene_inputs(args), {"-o": output})
    scene = load_scene_arguments(args)
    stats = write_viewer_page(scene, output, args.title)

    shown = [f"{motion.label} ({motion.role})" for motion in scene.motions]
    if scene.insoles is not None:
        shown.insert(0, f"insoles of {scene.insoles.label}")
    print(
        f"wrote {stats.path} ({stats.size_bytes / 1e6:.1f} MB): {stats.duration_s:.1f} s of "
        + ", ".join(shown)
    )
    return 0
