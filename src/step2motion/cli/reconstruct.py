"""``step2motion reconstruct REC.txt -o OUT.bvh``: full-body motion from an insole recording alone."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

    from step2motion.model.config import ModelConfig

#: Largest ``--body-mass-kg`` taken for a wearer's mass rather than a typo.
MAX_BODY_MASS_KG = 500.0

DESCRIPTION = """\
Reconstruct the wearer's full-body motion from a Moticon OpenGo recording alone (real or simulated: the
same path; no motion capture is read). The diffusion model generates poses window by window (overlaps
inpainted); the body's path and the footprints come from the feet's odometry where it is trusted, the
root network's moves elsewhere (--root; start at the origin, heading 0); foot contacts come from the
insoles' force, planted feet do not slide and no foot goes under the floor.

Writes OUT.bvh on the canonical 22-joint skeleton (constant bone lengths; the wearer's with --skeleton),
exactly as long as the recording, and an NPZ with:
  time_s [T], fps                     frame times (recording clock) and rate
  joint_positions_m [T,22,3]          world positions of the BVH's joints (m, Y up)
  joint_names [22]                    canonical joint order
  contact_left, contact_right [T]     planted feet (bool), from the insoles
  odometry_root [T]                   frames whose root the feet's odometry placed (bool; elsewhere the
                                      root network's moves carried it)
  uncertainty_m [T,22]                with --samples K > 1: per-joint spread (RMS distance) of the samples
                                      around their mean, which the BVH follows
  samples_joint_positions_m [K,T,22,3]  with K > 1: every sample"""


def add_model_argument(parser: argparse.ArgumentParser) -> None:
    """``--model M``, resolved by :func:`step2motion.model.checkpoint.model_path_or_default`."""
    parser.add_argument(
        "--model", type=Path, metavar="M", help="model checkpoint (.safetensors; default: the bundled model)"
    )


def add_sampling_arguments(parser: argparse.ArgumentParser) -> None:
    """The sampler options shared by ``reconstruct`` and ``evaluate``."""
    sampling = parser.add_argument_group("sampling")
    sampling.add_argument(
        "--samples",
        type=int,
        default=1,
        metavar="K",
        help="motions drawn per recording; K > 1 gives an uncertainty (default 1)",
    )
    sampling.add_argument(
        "--steps",
        type=int,
        metavar="S",
        help="DDIM denoising steps (default: the model's, a few-step sampler)",
    )
    sampling.add_argument(
        "--guidance", type=float, metavar="W", help="classifier-free guidance weight (default: the model's)"
    )
    sampling.add_argument("--seed", type=int, default=0, metavar="N", help="random seed (default 0)")
    sampling.add_argument(
        "--root",
        choices=("odometry", "network"),
        default="odometry",
        help="where the body's path and heading come from: 'odometry' (default) takes them from each "
        "insole's IMU integrated between the moments the foot is still: the feet are planted where the "
        "insoles were still, swing along the measured path and the body follows them (the network's moves "
        "and plain foot pinning wherever the odometry is not trusted, e.g. while a foot is not still for "
        "over 2 s; the odometry takes over again after it); "
        "'network' integrates the root network's per-frame moves (the published method). README compares "
        "them",
    )


def check_steps(steps: int | None, config: ModelConfig, model_path: Path) -> None:
    """``--steps`` within the model's diffusion schedule: refused before any work, not by the sampler."""
    from step2motion.errors import InputError

    train_steps = config.diffusion.train_steps
    if steps is not None and config.pose_model == "diffusion" and not 1 <= steps <= train_steps:
        raise InputError(
            f"--steps must be 1-{train_steps} (the model's diffusion steps), got {steps}", model_path
        )


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "reconstruct",
        help="reconstruct full-body motion (BVH + joint positions) from an insole recording",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="example: step2motion reconstruct walk_insoles.txt -o walk.bvh --samples 5 --fps 60",
    )
    parser.add_argument("recording", type=Path, metavar="REC.txt", help="Moticon OpenGo text export")
    parser.add_argument("-o", "--output", type=Path, required=True, metavar="OUT.bvh", help="BVH to write")
    parser.add_argument(
        "--npz", type=Path, metavar="PATH", help="joint positions to write (default: OUT with suffix .npz)"
    )
    add_model_argument(parser)
    add_sampling_arguments(parser)
    output = parser.add_argument_group("output")
    output.add_argument("--fps", type=float, metavar="F", help="output frame rate (default: the model's, 30)")
    output.add_argument(
        "--body-mass-kg",
        type=float,
        metavar="KG",
        help="wearer's mass; default: estimated from the insoles' force (as in training)",
    )
    output.add_argument(
        "--height-m",
        type=float,
        metavar="M",
        help="wearer's standing height in metres: the skeleton is scaled to it (legs 0.491 of it, the body "
        "in the model's proportions); default: the size the model draws, which the insoles cannot measure",
    )
    output.add_argument(
        "--skeleton",
        type=Path,
        metavar="BVH",
        help="the wearer's skeleton, from a BVH of any rig the reader knows (a calibration capture of the "
        "subject, or the character to animate): the motion is drawn on its bones, and the output BVH has "
        "its rest offsets (canonical joint names); not with --height-m (a skeleton has its own height)",
    )
    output.add_argument(
        "--view",
        nargs="?",
        const=True,
        type=Path,
        metavar="PAGE.html",
        help="also write the 3D viewer page (default PAGE: OUT with suffix .html): the motion (and every "
        "sample with --samples K) over both insoles' pressure and force, one self-contained file that "
        "opens offline in a browser ('step2motion view --help')",
    )
    output.add_argument(
        "--stream",
        action="store_true",
        help="bounded memory for recordings of any length: read the export chunk by chunk, reconstruct it "
        "as a stream (StreamingReconstructor: the feet's odometry over the stream's buffer, where it has "
        "some, places the root and the footprints, or the root network with --root network; one sample; "
        "the model's frame rate) and write the BVH and NPZ as frames come. Memory then stays flat however "
        "long the recording (README: long recordings)",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    import sys

    from step2motion.cli._output_paths import check_outputs
    from step2motion.cli._recording_notes import recording_notes, root_notes
    from step2motion.errors import InputError
    from step2motion.gait_events import GRAVITY_MS2
    from step2motion.io.bvh import read_bvh, write_bvh
    from step2motion.io.moticon import read_moticon
    from step2motion.model.checkpoint import load_checkpoint, model_path_or_default
    from step2motion.reconstruction.body_size import check_wearer
    from step2motion.reconstruction.pipeline import ReconstructionOptions, reconstruct, write_npz

    model_path = model_path_or_default(args.model)
    npz_path: Path = args.npz or args.output.with_suffix(".npz")
    npz_role = "--npz" if args.npz else "the default --npz (-o with suffix .npz)"
    outputs = {"-o": args.output, npz_role: npz_path}
    view_path: Path | None = args.output.with_suffix(".html") if args.view is True else args.view
    if view_path is not None:
        outputs["--view" if args.view is not True else "the default --view (-o with suffix .html)"] = (
            view_path
        )
    inputs = {"the input recording": args.recording, "the model": model_path}
    if args.skeleton is not None:
        inputs["--skeleton"] = args.skeleton
    check_outputs(inputs, outputs)
    if args.body_mass_kg is not None and not 0 < args.body_mass_kg <= MAX_BODY_MASS_KG:
        raise InputError(
            f"--body-mass-kg must be above 0 and at most {MAX_BODY_MASS_KG:g} kg, got {args.body_mass_kg:g}"
        )
    body_weight_n = None if args.body_mass_kg is None else args.body_mass_kg * GRAVITY_MS2
    skeleton_offsets_m = None if args.skeleton is None else read_bvh(args.skeleton).offsets_m
    _, skeleton_offsets_m = check_wearer(args.height_m, skeleton_offsets_m)
    if args.stream:
        return _run_streaming(args, model_path, npz_path, body_weight_n, skeleton_offsets_m)
    options = ReconstructionOptions(
        n_samples=args.samples,
        steps=args.steps,
        guidance=args.guidance,
        seed=args.seed,
        fps=args.fps,
        body_weight_n=body_weight_n,
        root=args.root,
        height_m=args.height_m,
        skeleton_offsets_m=skeleton_offsets_m,
    )
    checkpoint = load_checkpoint(model_path)
    check_steps(args.steps, checkpoint.config, model_path)
    recording = read_moticon(args.recording)
    for note in recording_notes(recording):
        print(f"note: {args.recording}: {note}", file=sys.stderr)
    result = reconstruct(recording, checkpoint, options, progress=True)
    for note in root_notes(result.odometry_root, result.time_s, args.root):
        print(f"note: {args.recording}: {note}", file=sys.stderr)
    write_bvh(result.motion, args.output)
    write_npz(result, npz_path)
    motion = result.motion
    sampler = (
        f"{result.n_samples} sample(s), {result.steps} steps, guidance {result.guidance:g}"
        if checkpoint.config.pose_model == "diffusion"
        else "one regression pass"
    )
    print(
        f"{args.output}: {motion.duration_s:.2f} s = {motion.n_frames} frames at {motion.fps:g} fps "
        f"(recording {recording.duration_s:.2f} s), {sampler}; joint positions in {npz_path}"
    )
    print(f"wall time {result.wall_s:.2f} s = {result.realtime_factor:.2f} s of motion per wall-clock second")
    if view_path is not None:
        from step2motion.visualisation.scene import assemble_scene, reconstruction_tracks
        from step2motion.visualisation.viewer_page import write_viewer_page

        scene = assemble_scene(recording, reconstruction_tracks(result, args.output.name))
        page = write_viewer_page(scene, view_path)
        print(f"viewer page {page.path} ({page.size_bytes / 1e6:.1f} MB): open it in a browser")
    return 0


def _run_streaming(
    args: argparse.Namespace,
    model_path: Path,
    npz_path: Path,
    body_weight_n: float | None,
    skeleton_offsets_m: np.ndarray | None,
) -> int:
    """``--stream``: the file reconstructed chunk by chunk (:mod:`step2motion.reconstruction.streaming_file`);
    options the stream cannot honour are refused before any work."""
    import sys

    import numpy as np

    from step2motion.cli._recording_notes import notes, root_notes
    from step2motion.errors import InputError
    from step2motion.io.moticon import iter_moticon
    from step2motion.model.checkpoint import load_checkpoint
    from step2motion.reconstruction.streaming_file import reconstruct_file_streaming

    refused = {
        "--samples K > 1": args.samples != 1,
        "--view (the page holds the whole motion; run 'step2motion view' on the BVH afterwards)": bool(
            args.view
        ),
    }
    checkpoint = load_checkpoint(model_path)
    if args.fps is not None and args.fps != checkpoint.config.frame_rate_hz:
        refused[f"--fps other than the model's {checkpoint.config.frame_rate_hz:g}"] = True
    named = [option for option, given in refused.items() if given]
    if named:
        raise InputError(f"--stream cannot take {'; '.join(named)}")
    check_steps(args.steps, checkpoint.config, model_path)
    stream = iter_moticon(args.recording)
    result = reconstruct_file_streaming(
        stream,
        checkpoint,
        args.output,
        npz_path,
        steps=args.steps,
        guidance=args.guidance,
        seed=args.seed,
        body_weight_n=body_weight_n,
        root=args.root,
        height_m=args.height_m,
        skeleton_offsets_m=skeleton_offsets_m,
        progress=True,
    )
    for note in notes(result.gaps, result.empty_sides, result.data_ends_s):
        print(f"note: {args.recording}: {note}", file=sys.stderr)
    for note in root_notes(result.odometry_root, np.arange(result.n_frames) / result.fps, args.root):
        print(f"note: {args.recording}: streamed: {note}", file=sys.stderr)
    if result.dropped_rows:
        print(
            f"note: {args.recording}: {result.dropped_rows} row(s) on a sample time already taken "
            "(irregular time steps) dropped",
            file=sys.stderr,
        )
    motion_s = result.n_frames / result.fps
    print(
        f"{args.output}: {motion_s:.2f} s = {result.n_frames} frames at {result.fps:g} fps (recording "
        f"{result.duration_s:.2f} s), streamed, {result.steps} steps, guidance {result.guidance:g}; joint "
        f"positions in {npz_path}"
    )
    print(
        f"wall time {result.wall_s:.2f} s = {motion_s / result.wall_s:.2f} s of motion per wall-clock second"
    )
    return 0
