"""``step2motion evaluate``: reconstruct every held-out clip of a paired corpus and score it."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from step2motion.cli.reconstruct import add_model_argument, add_sampling_arguments

if TYPE_CHECKING:  # the command imports its libraries only when it runs
    from step2motion.evaluation.evaluate import Method
    from step2motion.evaluation.split import Split
    from step2motion.model.config import ModelConfig

DEFAULT_DATA = Path("out/sim_corpus")
DEFAULT_RUNS = Path("out")
DEFAULT_CACHE = Path("out/train_default/feature_cache")

DESCRIPTION = """\
Reconstruct every take of the chosen split's subjects in a paired data folder (what 'step2motion
simulate-corpus' writes; see 'step2motion train --help' for the layout) from its insole recording alone,
compare what is exported with the paired motion on the same frames, and print a table: all clips and
each style (rows), the key metrics (columns), seconds of motion, wall time and seconds of motion per
wall-clock second.

The prediction is aligned once per clip (turned about the vertical and moved so that its first root
position and hip heading are the truth's); root-relative errors then include heading drift
(mpjpe_heading_aligned_cm removes it), root_error_window_m re-aligns every 3.3 s and root_drift_m_per_m
is the end-point error per metre walked; root_path_ratio is how far the root travels over how far the
truth does (1 = as far; below 1 the motion shuffles). Contact F1 (and foot skating, in the JSON only:
planted feet are pinned by the same contacts, so it is ~0 by construction) use the contacts of the
insoles' force. Means are frame-weighted. Metric definitions: step2motion.evaluation.motion_metrics.

--baselines adds, on the same clips and through the same pipeline: mean_pose and nearest_neighbour
(fitted now on the split's training subjects of --data; features cached in --cache), and the trained
baselines and ablations regression, no_cross_attention, pressure_only, imu_only and left_foot_only
(checkpoints RUNS/train_<name>/best.safetensors, trained by
'step2motion train --config configs/ablations/<name>.json'; one not trained yet is skipped with a note),
and the model itself with fewer sensors at inference (step2motion_pressure_only, step2motion_imu_only,
step2motion_left_foot_only), and the model streamed as 'reconstruct --stream' runs it (step2motion_streamed:
bounded memory, causal, the root as --root says). Name some to run only those. A comparison table
(methods × metrics, and MPJPE per style) ends the output.

Only reads models. Test numbers are for reporting: select checkpoints with --split validation. A model
whose recorded training (or, for test, selection) subjects include evaluated subjects is refused.

--json writes {"step2motion": {metrics (units in the keys), "per_style", "joint_mpjpe_cm", "settings",
"per_clip"}, <one such entry per baseline>, "meta": {model, split, data, clips, seconds, steps, samples,
wall_s, ...}}; undefined metrics are null."""


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "evaluate",
        help="score reconstructions of the held-out subjects of a paired corpus against their motion",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="example: step2motion evaluate --split test --json eval.json --markdown eval.md --plots plots",
    )
    add_model_argument(parser)
    data = parser.add_argument_group("what to evaluate")
    data.add_argument(
        "--data",
        type=Path,
        default=DEFAULT_DATA,
        metavar="DIR",
        help=f"paired data folder (default {DEFAULT_DATA})",
    )
    data.add_argument("--split", default="test", metavar="NAME", help="test (default) or validation")
    data.add_argument(
        "--split-file", type=Path, metavar="FILE", help="subject split JSON (default: the committed split)"
    )
    data.add_argument(
        "--variants",
        type=int,
        nargs="+",
        default=[0],
        metavar="N",
        help="simulation variants to evaluate (index.csv's 'variant' column; default 0, the base simulation)",
    )
    data.add_argument("--limit", type=int, metavar="N", help="evaluate only the first N clips")
    wearer = data.add_mutually_exclusive_group()
    wearer.add_argument(
        "--wearer-height",
        action="store_true",
        help="tell every method each wearer's standing height, as a user who measured it would (reconstruct "
        "--height-m): the height whose legs (hip to ankle, 0.491 of it) are the clip's motion capture's. "
        "Default: not told; the insoles cannot measure it",
    )
    wearer.add_argument(
        "--wearer-skeleton",
        action="store_true",
        help="tell every method each wearer's skeleton, as a user with a calibration capture of the subject "
        "would (reconstruct --skeleton): the clip's motion capture's rest offsets. Default: not told",
    )
    baselines = parser.add_argument_group("baselines and ablations")
    baselines.add_argument(
        "--baselines",
        nargs="*",
        metavar="NAME",
        help="also evaluate baselines and ablations (all, or the ones named; see above)",
    )
    baselines.add_argument(
        "--runs",
        type=Path,
        default=DEFAULT_RUNS,
        metavar="DIR",
        help=f"folder of the trained baselines' runs (default {DEFAULT_RUNS})",
    )
    baselines.add_argument(
        "--cache",
        type=Path,
        default=DEFAULT_CACHE,
        metavar="DIR",
        help=f"clip feature cache for fitting baselines (default {DEFAULT_CACHE}, the default training's)",
    )
    add_sampling_arguments(parser)
    output = parser.add_argument_group("output")
    output.add_argument("--json", type=Path, metavar="PATH", help="write all numbers as JSON")
    output.add_argument("--markdown", type=Path, metavar="PATH", help="write the tables as Markdown")
    output.add_argument(
        "--plots", type=Path, metavar="DIR", help="write per-joint, per-style and over-time plots"
    )
    parser.set_defaults(run=run)


def _check_outputs(args: argparse.Namespace, model_path: Path, split_path: Path) -> None:
    """Outputs are reports: none may be (or replace) a model, an input, or another output; checked before
    the evaluation's minutes of work."""
    from step2motion.cli._output_paths import check_outputs, refuse_overwrites
    from step2motion.dataset.paired_corpus import INDEX_NAME
    from step2motion.errors import InputError

    for path in (args.json, args.markdown, args.plots):
        if path is not None and (path.suffix == ".safetensors" or path.resolve() == model_path.resolve()):
            raise InputError("evaluation only reads models; write its reports elsewhere", path)
    inputs = {"the split file": split_path, f"the data's {INDEX_NAME}": args.data / INDEX_NAME}
    reports = {"--json": args.json, "--markdown": args.markdown}
    check_outputs(inputs, reports)
    refuse_overwrites({**inputs, **reports}, {"--plots": args.plots})
    if args.plots is not None and args.plots.exists() and not args.plots.is_dir():
        raise InputError("--plots names a file, not a folder", args.plots)


def _write_text(path: Path, text: str) -> None:
    """``text`` at ``path``, written atomically (:mod:`step2motion.io.atomic_file`)."""
    from step2motion.errors import InputError
    from step2motion.io.atomic_file import atomic_path

    try:
        with atomic_path(path) as partial:
            partial.write_text(text, encoding="utf-8")
    except OSError as error:
        raise InputError(f"cannot write: {error.strerror}", path) from None


def _baseline_methods(
    args: argparse.Namespace, split: Split, model_path: Path, model_config: ModelConfig
) -> dict[str, Method]:
    """The baselines asked for by ``--baselines`` (module help), in a fixed order."""
    from step2motion.errors import InputError
    from step2motion.evaluation.evaluate import (
        FITTED_BASELINES,
        SENSOR_SUBSETS,
        STREAMED,
        TRAINED_BASELINES,
        CheckpointMethod,
        MethodSettings,
        StreamedMethod,
        fit_baselines,
        trained_baseline_path,
    )

    known = (*FITTED_BASELINES, *TRAINED_BASELINES, *SENSOR_SUBSETS, STREAMED)
    named = list(dict.fromkeys(args.baselines)) or list(known)
    unknown = [name for name in named if name not in known]
    if unknown:
        raise InputError(f"unknown baseline(s) {', '.join(unknown)}; known: {', '.join(known)}")
    methods: dict[str, Method] = {}
    if any(name in FITTED_BASELINES for name in named):
        fitted = fit_baselines(
            args.data, split, model_config.window_frames, model_config.frame_rate_hz, args.cache
        )
        methods |= {name: fitted[name] for name in FITTED_BASELINES if name in named}
    for name in (n for n in TRAINED_BASELINES if n in named):
        path = trained_baseline_path(args.runs, name)
        if not path.is_file():
            hint = f"train it: step2motion train --config configs/ablations/{name}.json"
            if args.baselines:  # asked for by name
                raise InputError(f"{name} is not trained; {hint}", path)
            print(f"note: skipping {name}, not trained ({path}); {hint}", file=sys.stderr)
            continue
        methods[name] = CheckpointMethod(
            MethodSettings(path, 1, args.steps, args.seed, args.guidance, root=args.root)
        )
    for name in (n for n in SENSOR_SUBSETS if n in named):
        settings = MethodSettings(
            model_path, 1, args.steps, args.seed, args.guidance, SENSOR_SUBSETS[name], args.root
        )
        methods[name] = CheckpointMethod(settings)
    if STREAMED in named:
        settings = MethodSettings(model_path, 1, args.steps, args.seed, args.guidance, root=args.root)
        methods[STREAMED] = StreamedMethod(settings)
    return methods


def _note_absent_subjects(args: argparse.Namespace, split: Split) -> None:
    """Name the split's subjects without a take in the data: the numbers then cover fewer people than
    the split promises (a typo in the split file, or a corpus simulated from fewer clips)."""
    from step2motion.dataset.paired_corpus import INDEX_NAME, read_paired_index
    from step2motion.evaluation.split import subjects_of

    present = {e.subject for e in read_paired_index(args.data) if e.variant in set(args.variants)}
    absent = [subject for subject in subjects_of(split, args.split) if subject not in present]
    if absent:
        print(
            f"note: {args.split} subject(s) {', '.join(absent)} of the split have no take in "
            f"{args.data / INDEX_NAME}; evaluating the others",
            file=sys.stderr,
        )


def run(args: argparse.Namespace) -> int:
    from step2motion.cli.reconstruct import check_steps
    from step2motion.evaluation.evaluate import (
        COMPARISON_METRICS,
        MODEL_METHOD,
        CheckpointMethod,
        MethodSettings,
        check_held_out,
        comparison_rows,
        evaluate,
        markdown_report,
        markdown_table,
        select_clips,
        style_comparison_rows,
        summary_rows,
        table_columns,
    )
    from step2motion.evaluation.split import default_split_path, load_split
    from step2motion.model.checkpoint import model_path_or_default

    model_path = model_path_or_default(args.model)
    split_path: Path = args.split_file or default_split_path()
    _check_outputs(args, model_path, split_path)
    split = load_split(split_path)
    clips = select_clips(args.data, split, args.split, args.variants, args.limit)
    _note_absent_subjects(args, split)
    model = CheckpointMethod(
        MethodSettings(model_path, args.samples, args.steps, args.seed, args.guidance, root=args.root)
    )
    check_steps(args.steps, model.checkpoint.config, model_path)  # before fitting any baseline
    methods = {MODEL_METHOD: model}
    if args.baselines is not None:
        methods |= _baseline_methods(args, split, model_path, model.checkpoint.config)
    subjects = {clip.entry.subject for clip in clips}
    for name, method in methods.items():
        if isinstance(method, CheckpointMethod):
            check_steps(args.steps, method.checkpoint.config, method.model_path)
        check_held_out(name, method, args.split, subjects)
        if not any(method.subjects_seen.values()):
            print(
                f"note: {name} records no training subjects; cannot check that it never saw these",
                file=sys.stderr,
            )
    meta = {
        **model.settings,
        "split": args.split,
        "split_file": str(split_path),
        "data": str(args.data),
    }
    wearer = "height" if args.wearer_height else "skeleton" if args.wearer_skeleton else None
    evaluation = evaluate(methods, clips, meta, wearer=wearer)

    for name, result in evaluation.methods.items():
        print(f"\n{name} on {args.split} ({len(clips)} clips, {result.seconds:.1f} s of motion):")
        print(markdown_table(summary_rows(result), table_columns(result)))
    if len(methods) > 1:
        print(f"\nmethods compared on {args.split}:")
        print(markdown_table(comparison_rows(evaluation), COMPARISON_METRICS))
        styles = style_comparison_rows(evaluation)
        print("\nMPJPE (cm) per style:")
        print(markdown_table(styles, list(next(iter(styles.values())))))
    print(f"\nwall time {evaluation.meta['wall_s']:.1f} s")
    if args.json is not None:
        _write_text(args.json, json.dumps(evaluation.to_json(), indent=1) + "\n")
        print(f"numbers: {args.json}")
    if args.markdown is not None:
        _write_text(args.markdown, markdown_report(evaluation))
        print(f"tables: {args.markdown}")
    if args.plots is not None:
        from step2motion.visualisation.evaluation_plots import save_comparison_plot, save_evaluation_plots

        paths = [
            p for result in evaluation.methods.values() for p in save_evaluation_plots(result, args.plots)
        ]
        if len(evaluation.methods) > 1:
            paths.append(save_comparison_plot(evaluation, args.plots))
        print(f"plots: {', '.join(str(p) for p in paths)}")
    return 0
