"""``step2motion render REC.txt --motion PRED.bvh [--truth GT.bvh] -o clip.mp4``: a video for slides."""

from __future__ import annotations

import argparse
from pathlib import Path

from step2motion.cli._scene_arguments import add_scene_arguments, load_scene_arguments, scene_inputs


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "render",
        help="render skeletons and insoles into an MP4 or GIF (what the viewer page shows, as a video)",
        description="Render a recording and its motions into a video for slides. Each frame shows the "
        "skeletons in a front view (world X across, seen from +Z) and a side view (world Z across, seen "
        "from -X), 2.5 m wide, following the first motion's hips over a floor with a metre grid: "
        "predictions in colour, the truth in near-black, right limbs lighter, a foot marked (blue left, "
        "red right) while the insoles say it is planted; both insoles from above, toes up, medial sides "
        "facing each other, cells coloured by pressure on one N/cm² scale for the whole clip (grey: "
        "missing) with the centre of pressure; each foot's total force over the clip with a playhead; "
        "the time. Frame i shows time START + i/FPS s after the recording's first sample. With "
        "--align start the truth is turned and shifted onto the first prediction's start, as "
        "'step2motion evaluate' scores them. An MP4 is H.264; a GIF loops and keeps time to 1/100 s, "
        "but holds all its frames in memory: prefer MP4 for long clips.",
    )
    add_scene_arguments(parser)
    parser.add_argument(
        "-o", "--output", type=Path, required=True, metavar="VIDEO", help="the .mp4 or .gif to write"
    )
    parser.add_argument("--fps", type=float, default=30.0, help="frames per second (default 30; GIF: ≤ 50)")
    parser.add_argument(
        "--width-px", type=int, default=1280, help="frame width in pixels, 16:9 (default 1280: 1280×720)"
    )
    parser.add_argument("--start", type=float, metavar="S", help="first time to render, s (default 0)")
    parser.add_argument("--end", type=float, metavar="S", help="time to stop at, s (default: the end)")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from step2motion.cli._output_paths import check_outputs
    from step2motion.visualisation.video import check_video_path, render_video

    check_video_path(args.output)
    check_outputs(scene_inputs(args), {"-o": args.output})
    scene = load_scene_arguments(args)
    stats = render_video(scene, args.output, args.fps, args.width_px, args.start, args.end)
    print(
        f"wrote {stats.path}: {stats.n_frames} frames at {stats.fps:g} fps ({stats.duration_s:.2f} s), "
        f"rendered in {stats.render_s:.1f} s ({stats.n_frames / stats.render_s:.1f} frames/s)"
    )
    return 0
