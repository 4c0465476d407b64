"""``step2motion train --config CONFIG``: train the model on paired insole recordings and motion."""

from __future__ import annotations

import argparse
from pathlib import Path

DESCRIPTION = """\
Train the Step2Motion model (pose diffusion denoiser + root displacement network) on paired insole
recordings and motion capture, as set in a JSON config (see configs/default.json; every key is described
in step2motion.training.config). Trains on the split file's 'train' subjects, validates on its
'validation' subjects (MPJPE with the model's own few-step sampler, and the loss), never reads 'test'.

Paired data folder (what 'step2motion simulate-corpus' writes; real data can be laid out the same way):
  DATA/index.csv  a header row, then one row per take; columns by name:
      recording   Moticon OpenGo export, path relative to DATA
      motion      BVH of the same take (frame 0 at the recording's time 0), path relative to DATA
      subject     performer id, as in the split file (required)
      style       motion label (optional); other columns are ignored
    Without 'recording' and 'motion' columns, a 'clip' column (simulate-corpus) names the files
    DATA/<subject>/<clip file stem>.txt and .bvh.

Sampling: every second of every clip is drawn equally often whatever the clip's length (short clips at
every offset inside a padded window), times its style's weight (style_weights); losses count real frames
only. Both networks see the same sensor dropout (sensor_groups, sensor_drop_prob).

Checkpoint selection (select_on): best.safetensors is the checkpoint with the lowest MPJPE on the fixed
validation windows ("windows", the default), or ("pipeline") on the validation subjects' takes through the
whole reconstruction, as 'step2motion evaluate --split validation' scores them (odometry root, skeleton
fit, whole recordings; each validation then also takes one such evaluation, logged as val_pipeline_*).

Writes to OUT: last.safetensors and best.safetensors (self-describing checkpoints: the exponential moving
average of the weights (ema_decay), model config, normalisation statistics and training facts),
last.resume.safetensors (optimiser, raw weights and schedule, for --resume), metrics.jsonl and a feature
cache. --resume refuses a config that changes anything but steps, intervals, workers, device and paths
(it names each difference); a larger --steps continues the learning rate from where it is down to the
floor at the new end. Multi-process: torchrun --nproc_per_node=N -m step2motion train ... (DDP; gloo on CPU,
NCCL on GPUs; batch_size is split among the processes)."""


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "train",
        help="train the model on paired insole recordings and motion",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="example: step2motion simulate-corpus ../shared/data/mocap -o out/sim_corpus --variants 4 && "
        "step2motion train --config configs/default.json --data out/sim_corpus --out out/train_default",
    )
    parser.add_argument("--config", type=Path, required=True, metavar="CONFIG", help="training config (JSON)")
    overrides = parser.add_argument_group("overriding the config")
    overrides.add_argument("--data", type=Path, metavar="DIR", help="paired data folder (data_dir)")
    overrides.add_argument("--out", type=Path, metavar="DIR", help="run folder (output_dir)")
    overrides.add_argument("--split", type=Path, metavar="FILE", help="subject split JSON (split_file)")
    overrides.add_argument("--steps", type=int, metavar="N", help="optimiser steps (steps)")
    overrides.add_argument("--batch-size", type=int, metavar="N", help="windows per step (batch_size)")
    overrides.add_argument("--device", metavar="D", help="auto, cpu, cuda or cuda:N (device)")
    overrides.add_argument(
        "--seed", type=int, metavar="N", help="seed of initialisation, window draws and dropout (seed)"
    )
    parser.add_argument(
        "--resume",
        action="store_true",
        help="continue the run in the output folder from its last checkpoint (--steps may extend it)",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from step2motion.training import load_train_config, train

    overrides = {
        "data_dir": args.data,
        "output_dir": args.out,
        "split_file": args.split,
        "steps": args.steps,
        "batch_size": args.batch_size,
        "device": args.device,
        "seed": args.seed,
    }
    config = load_train_config(
        args.config, **{k: str(v) if isinstance(v, Path) else v for k, v in overrides.items()}
    )
    scorer = None
    if config.select_on == "pipeline":
        from step2motion.evaluation.checkpoint_scoring import pipeline_scorer

        scorer = pipeline_scorer(config.data_dir, config.split_file)
    result = train(config, resume=args.resume, score_checkpoint=scorer)
    if result.is_main and result.progress.best_step is not None:
        print(
            f"{config.output_dir}: step {result.progress.step}, best validation MPJPE ({config.select_on}) "
            f"{result.progress.best_mpjpe_cm:.2f} cm at step {result.progress.best_step} "
            f"({result.best_path}); last: {result.last_path}; {result.windows_per_s:.1f} windows/s"
        )
    return 0
