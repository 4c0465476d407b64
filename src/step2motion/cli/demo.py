"""``step2motion demo -o DIR``: the whole pipeline on the bundled recording, no data of your own needed.

The bundled recording (``src/step2motion/data/demo/``) is the virtual-insole recording of a 5.4-s CMU walk
of a subject held out from training, made by ``scripts/make_demo_data.py``; its motion capture is bundled
beside it as the ground truth.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from step2motion.cli.reconstruct import add_model_argument

DEMO_DIR = Path(__file__).resolve().parent.parent / "data" / "demo"
DEMO_RECORDING = DEMO_DIR / "walk_insoles.txt"
DEMO_TRUTH = DEMO_DIR / "walk_truth.bvh"


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "demo",
        help="the whole pipeline on the bundled recording (plot, stats, reconstruction, accuracy, 3D view)",
        description="Run step2motion on the bundled demo recording (virtual insoles of a 5.4-s CMU walk of a "
        "subject held out from training): draw it, print its walking statistics, reconstruct the full-body "
        "motion with the bundled model (BVH + joint positions), measure it against the bundled ground "
        "truth and write a 3D viewer page of the reconstruction over the truth. Everything is written to "
        "DIR.",
        epilog="example: step2motion demo -o out/demo",
    )
    parser.add_argument(
        "-o",
        "--output",
        type=Path,
        default=Path("out/demo"),
        metavar="DIR",
        help="output folder (default out/demo)",
    )
    add_model_argument(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from rich.console import Console

    from step2motion.cli._output_paths import check_outputs
    from step2motion.evaluation.motion_metrics import start_aligned, summarise
    from step2motion.evaluation.recording_stats import recording_statistics
    from step2motion.io.bvh import read_bvh, resample_motion, write_bvh
    from step2motion.io.moticon import read_moticon
    from step2motion.model.checkpoint import load_checkpoint, model_path_or_default
    from step2motion.reconstruction.pipeline import ReconstructionOptions, reconstruct, write_npz
    from step2motion.visualisation.recording_plot import plot_recording
    from step2motion.visualisation.scene import assemble_scene, motion_track, reconstruction_tracks
    from step2motion.visualisation.viewer_page import write_viewer_page

    console = Console()
    out: Path = args.output
    out.mkdir(parents=True, exist_ok=True)
    model_path = model_path_or_default(args.model)
    outputs = {"the plot": out / "insoles.png", "the BVH": out / "reconstruction.bvh"}
    outputs["the joint positions"] = out / "reconstruction.npz"
    outputs["the viewer page"] = out / "view.html"
    inputs = {"the demo recording": DEMO_RECORDING, "the demo motion": DEMO_TRUTH, "the model": model_path}
    check_outputs(inputs, outputs)
    recording = read_moticon(DEMO_RECORDING)
    console.print(
        f"[bold]1. recording[/bold] {DEMO_RECORDING.name}: {recording.duration_s:.2f} s at "
        f"{recording.rate_hz:g} Hz, size {recording.insole_size}"
    )
    console.print(f"[bold]2. plot[/bold] {plot_recording(recording, outputs['the plot'])}")
    stats = recording_statistics(recording)
    console.print("[bold]3. walking statistics[/bold] (all of them: 'step2motion compare-recordings')")
    for side in ("left", "right"):
        foot = stats[side]
        console.print(
            f"   {side:5s}: {foot['n_steps']} steps, peak force {foot['peak_bw']:.2f} BW, "
            f"stance {foot['stance_s']:.2f} s"
        )
    checkpoint = load_checkpoint(model_path)
    result = reconstruct(recording, checkpoint, ReconstructionOptions(), progress=True)
    write_bvh(result.motion, outputs["the BVH"])
    write_npz(result, outputs["the joint positions"])
    console.print(
        f"[bold]4. reconstruction[/bold] {outputs['the BVH']} ({result.motion.n_frames} frames at "
        f"{result.motion.fps:g} fps, {result.realtime_factor:.1f} s of motion per second, "
        f"model {model_path.name})"
    )
    truth = resample_motion(read_bvh(DEMO_TRUTH), result.motion.fps)
    n_frames = min(truth.n_frames, result.motion.n_frames)
    true_m = truth.joint_positions_m()[:n_frames]
    pred_m = result.motion.joint_positions_m()[:n_frames]
    # aligned once at frame 0 (root and hip heading), as 'step2motion evaluate' scores
    pred_m = start_aligned(pred_m, pred_m, true_m)
    metrics = summarise(pred_m, true_m, result.motion.fps, result.contacts[:n_frames])
    console.print("[bold]5. accuracy against the ground truth[/bold]")
    console.print(
        f"   MPJPE {metrics['mpjpe_cm']:.1f} cm (legs {metrics['mpjpe_legs_cm']:.1f}, upper body "
        f"{metrics['mpjpe_upper_cm']:.1f}), PA-MPJPE {metrics['pa_mpjpe_cm']:.1f} cm, foot skate "
        f"{metrics['foot_skate_cm_s']:.1f} cm/s, contact F1 {metrics['contact_f1']:.2f}"
    )
    truth_track = motion_track(DEMO_TRUTH, "truth")
    scene = assemble_scene(recording, reconstruction_tracks(result, outputs["the BVH"].name), truth_track)
    page = write_viewer_page(
        scene, outputs["the viewer page"], title="step2motion demo: reconstruction over truth"
    )
    console.print(
        f"[bold]6. viewer[/bold] {page.path} ({page.size_bytes / 1e6:.1f} MB): the reconstruction over the "
        "ground truth and both insoles; open it in a browser"
    )
    return 0
