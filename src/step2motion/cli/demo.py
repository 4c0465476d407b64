"""``step2motion demo -o DIR``: the whole pipeline on the bundled recording, no data of your own needed.

The bundled recording (``src/step2motion/data/demo/``) is the virtual-insole recording of a 5.4-s CMU walk
of a subject held out from training, made by ``scripts/make_demo_data.py``; its motion capture is bundled
beside it as the ground truth.
"""

from __future__ import annotations

import argparse
from pathlib import Path

DEMO_DIR = Path(__file__).resolve().parent.parent / "data" / "demo"
DEMO_RECORDING = DEMO_DIR / "walk_insoles.txt"
DEMO_TRUTH = DEMO_DIR / "walk_truth.bvh"


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "demo",
        help="run the pipeline on the bundled recording (plot, statistics, simulation check)",
        description="Run step2motion on the bundled demo recording (virtual insoles of a 5.4-s CMU walk of a "
        "subject held out from training): draw it, print its walking statistics, and simulate the "
        "insoles again from the bundled ground-truth motion to show the simulator. Everything is written to "
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
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from rich.console import Console

    from step2motion.evaluation.recording_stats import recording_statistics
    from step2motion.io.bvh import read_bvh
    from step2motion.io.moticon import read_moticon, write_moticon
    from step2motion.simulation.simulate import simulate_recording
    from step2motion.visualisation.recording_plot import plot_recording

    console = Console()
    out: Path = args.output
    out.mkdir(parents=True, exist_ok=True)
    recording = read_moticon(DEMO_RECORDING)
    console.print(
        f"[bold]1. recording[/bold] {DEMO_RECORDING.name}: {recording.duration_s:.2f} s at "
        f"{recording.rate_hz:g} Hz, size {recording.insole_size}"
    )
    plot_path = plot_recording(recording, out / "insoles.png")
    console.print(f"[bold]2. plot[/bold] {plot_path}")
    stats = recording_statistics(recording)
    console.print("[bold]3. walking statistics[/bold] (see 'step2motion compare-recordings' for all)")
    for scope in ("left", "right"):
        foot = stats[scope]
        console.print(
            f"   {scope:5s}: {foot['n_steps']} steps, peak force {foot['peak_bw']:.2f} BW, "
            f"stance {foot['stance_s']:.2f} s"
        )
    motion = read_bvh(DEMO_TRUTH)
    simulated = simulate_recording(motion, seed=1)
    write_moticon(simulated, out / "simulated_again.txt")
    console.print(
        f"[bold]4. simulation[/bold] ground-truth motion → {out / 'simulated_again.txt'} "
        f"({simulated.duration_s:.2f} s)"
    )
    return 0
