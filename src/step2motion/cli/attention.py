"""``step2motion attention REC.txt -o attention.png``: which insole stream each body part draws on."""

from __future__ import annotations

import argparse
from pathlib import Path

DESCRIPTION = """\
Run the diffusion model over a Moticon OpenGo recording as 'step2motion reconstruct' does (same input
features, windows, denoising steps, guidance and seed) and draw, under the recording's force and
gyroscope, how much each body part (left leg, right leg, rest of the body) draws on each insole stream.

The denoiser's cross-attention has one head per stream, each attending only to its own stream, so the
attention weights of different streams cannot be compared (each head's sum to 1). Drawn instead is each
stream's share of the cross-attention update of a body part's token: the size of its head's output after
the output projection over the sum of all heads' (1 summed over streams; 1/S if all contributed alike),
averaged over all layers, all denoising steps and the conditional pass only; a frame held by two
overlapping windows gets their mean. Beside each body part: the share averaged over time per stream, and
where the stream's head looks on average (attention-weighted key time minus the frame's own time, s).
The figure's caption states exactly what was averaged.

Prints the image's path and, per body part, the stream with the largest mean share."""


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    from step2motion.cli.reconstruct import add_model_argument

    parser = subparsers.add_parser(
        "attention",
        help="draw which insole stream each body part of the model relies on over time (PNG)",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="example: step2motion attention walk_insoles.txt -o attention.png --start 1 --end 4",
    )
    parser.add_argument("recording", type=Path, metavar="REC.txt", help="Moticon OpenGo text export")
    parser.add_argument(
        "-o",
        "--output",
        type=Path,
        required=True,
        metavar="OUT.png",
        help="image to write (.png, .svg, .pdf)",
    )
    add_model_argument(parser)
    parser.add_argument(
        "--steps", type=int, metavar="S", help="DDIM denoising steps (default: the model's, as reconstruct)"
    )
    parser.add_argument("--seed", type=int, default=0, metavar="N", help="random seed (default 0)")
    parser.add_argument(
        "--start",
        type=float,
        metavar="S",
        help="first time, s on the recording's clock (default: its start); the model sees only "
        "--start..--end, as if the recording were cut there",
    )
    parser.add_argument("--end", type=float, metavar="S", help="last time, s (default: the recording's end)")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    import numpy as np

    from step2motion.cli._output_paths import check_outputs
    from step2motion.cli.plot import check_image_type
    from step2motion.cli.reconstruct import check_steps
    from step2motion.io.moticon import read_moticon
    from step2motion.model.checkpoint import load_checkpoint, model_path_or_default
    from step2motion.reconstruction.attention import stream_attention
    from step2motion.reconstruction.pipeline import ReconstructionOptions
    from step2motion.visualisation.attention_plot import plot_attention

    model_path = model_path_or_default(args.model)
    check_outputs({"the input recording": args.recording, "the model": model_path}, {"-o": args.output})
    check_image_type(args.output)
    options = ReconstructionOptions(steps=args.steps, seed=args.seed)
    checkpoint = load_checkpoint(model_path)
    check_steps(args.steps, checkpoint.config, model_path)
    recording = read_moticon(args.recording).between(args.start, args.end)
    attention = stream_attention(recording, checkpoint, options)
    title = (
        f"{args.recording.name}, model {model_path.name}: "
        "share of each insole stream in each body part's cross-attention update"
    )
    plot_attention(recording, attention, args.output, title)
    print(f"wrote {args.output}")
    favourites = [
        f"{part} {attention.streams[int(np.argmax(shares))]} ({shares.max():.0%})"
        for part, shares in zip(attention.parts, attention.mean_share(), strict=True)
    ]
    print(f"largest mean share (equal: {1 / len(attention.streams):.0%}): {'; '.join(favourites)}")
    return 0
