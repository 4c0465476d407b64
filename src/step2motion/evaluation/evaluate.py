"""Evaluate reconstruction methods on the held-out subjects of a paired corpus: one number per metric.

Why a library beside the command: the test report, baselines and ablations must cut the same clips,
line up the same frames and align the same way, so that their numbers differ only by the method.

A **method** maps an insole recording — and nothing else — to world joint positions on frame times of
the recording's clock (:class:`MethodOutput`): a model checkpoint (:class:`CheckpointMethod`; the
Step2Motion diffusion model is ``step2motion``, the trained baselines and ablations of
:data:`TRAINED_BASELINES` are checkpoints too) or a fitted baseline (:func:`fit_baselines`); all go
through the same reconstruction pipeline. Per clip, the evaluation

1. reads the recording and hands it to each method;
2. reads the paired motion (its frame 0 at time 0 of the recording, as ``index.csv`` promises), resamples
   it to the method's rate (:func:`~step2motion.io.bvh.resample_motion`) and takes it at the method's
   frame times, so prediction and truth have identical frames;
3. takes the reference foot contacts from the recording's force (as the reconstruction does), so every
   method is judged against the same contacts;
4. aligns the prediction once, rigidly: it is turned about the vertical and moved horizontally so that
   its frame-0 root and hip heading equal the truth's (a reconstruction starts at the origin with heading
   0). Root-relative errors then include heading drift (``mpjpe_heading_aligned_cm`` removes it); the
   root metrics re-align per window and measure drift per metre
   (:func:`~step2motion.evaluation.motion_metrics.summarise`);
5. computes every metric of :mod:`~step2motion.evaluation.motion_metrics` on what the method exports
   (with ``K > 1`` samples also best-of-K MPJPE and the spread calibration, all samples under the same
   alignment), and the per-frame, per-joint error for plots; for a method that says which frames the
   feet's odometry placed, their share (``odometry_root_share``): where it is low the root network placed
   the body, and the numbers are those of ``--root network`` there.

Clips and frames are aggregated frame-weighted (:func:`~step2motion.evaluation.motion_metrics.aggregate`),
overall and per style.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from tqdm import tqdm

from step2motion import skeleton
from step2motion.dataset.paired_corpus import INDEX_NAME, PairedEntry, read_paired_index
from step2motion.errors import InputError
from step2motion.evaluation import motion_metrics
from step2motion.evaluation.motion_metrics import ClipMetrics, aggregate, aggregate_by_style, start_aligned
from step2motion.evaluation.split import Split, subjects_of
from step2motion.gait_events import reference_contacts
from step2motion.io.bvh import read_bvh, resample_motion
from step2motion.io.moticon import read_moticon
from step2motion.model.checkpoint import load_checkpoint
from step2motion.motion import Motion
from step2motion.reconstruction.body_size import NOT_TOLD, Wearer
from step2motion.reconstruction.pipeline import (
    Reconstruction,
    ReconstructionOptions,
    reconstruct,
    reconstruct_with,
    resample_frames,
)
from step2motion.reconstruction.windowed_sampling import WindowPredictor
from step2motion.recording import InsoleRecording

#: Splits an evaluation may report: held-out subjects only.
EVALUATION_SPLITS: tuple[str, ...] = ("test", "validation")
#: Key metrics of the summary table, in column order.
TABLE_METRICS: tuple[str, ...] = (
    "mpjpe_cm",
    "mpjpe_legs_cm",
    "mpjpe_upper_cm",
    "mpjpe_heading_aligned_cm",
    "pa_mpjpe_cm",
    "mpjve_legs_cm_s",
    "jitter_m_s3",
    "root_error_window_m",
    "root_drift_m_per_m",
    "root_path_ratio",
    "contact_f1",
)
#: Added to the table when methods draw K > 1 samples.
SAMPLE_TABLE_METRICS: tuple[str, ...] = ("best_of_k_mpjpe_cm", "spread_error_ratio")
#: The truth's own values of the metrics that apply to a single motion (the floor a method meets).
TRUTH_TABLE_METRICS: tuple[str, ...] = ("jitter_true_m_s3", "foot_skate_true_cm_s", "contact_f1_true")
#: Output times may run past the paired motion's last frame by this many method frames (rounding).
COVERAGE_TOLERANCE_FRAMES = 1.5


# ----------------------------------------------------------------------------------------------------
# Methods


@dataclass(frozen=True)
class MethodOutput:
    """What a method made of one recording.

    Attributes:
        time_s: ``[T]`` frame times in the recording's clock.
        fps: frame rate of those frames (Hz).
        positions_m: ``[T, 22, 3]`` world joint positions of the exported motion (canonical order).
        samples_m: ``[K, T, 22, 3]`` every drawn sample when the method draws ``K > 1``, else None.
        wall_s: wall-clock time the method took.
        odometry_root: ``[T]`` bool, frames whose root the feet's odometry placed; None for a method that
            does not say (every method here does).
    """

    time_s: np.ndarray
    fps: float
    positions_m: np.ndarray
    samples_m: np.ndarray | None
    wall_s: float
    odometry_root: np.ndarray | None = None


class Method(Protocol):
    """Something that turns a recording into motion. ``settings`` (JSON-able) go into reports;
    ``subjects_seen`` maps a role (``train``, ``validation``) to the subjects whose data the method
    learnt from or was selected on, so that it is never evaluated on them. A call may be told the wearer's
    standing height or skeleton (:class:`~step2motion.reconstruction.body_size.Wearer`), as a user may know
    them."""

    @property
    def settings(self) -> dict[str, Any]: ...

    @property
    def subjects_seen(self) -> Mapping[str, frozenset[str]]: ...

    def __call__(self, rec: InsoleRecording, wearer: Wearer = NOT_TOLD) -> MethodOutput: ...


@dataclass(frozen=True)
class MethodSettings:
    """What the command line says about methods: ``model_path`` (a checkpoint), ``n_samples`` (K),
    denoising ``steps`` and guidance weight (None: the model's), noise ``seed``, ``sensors``: stream
    name patterns (``fnmatch``) the model may read (None: all it was trained on), and where the ``root``
    path comes from (:class:`~step2motion.reconstruction.pipeline.ReconstructionOptions`)."""

    model_path: Path
    n_samples: int = 1
    steps: int | None = None
    seed: int = 0
    guidance: float | None = None
    sensors: tuple[str, ...] | None = None
    root: str = "odometry"


def method_output(result: Reconstruction) -> MethodOutput:
    """What evaluation scores of a reconstruction: the exported skeleton motion's joint positions."""
    return MethodOutput(
        time_s=result.time_s,
        fps=result.motion.fps,
        positions_m=result.motion.joint_positions_m(),
        samples_m=result.samples_m if result.n_samples > 1 else None,
        wall_s=result.wall_s,
        odometry_root=result.odometry_root,
    )


def streams_matching(names: Sequence[str], patterns: Sequence[str]) -> tuple[str, ...]:
    """The stream ``names`` that match any of the ``fnmatch`` ``patterns``, in their order."""
    return tuple(name for name in names if any(fnmatchcase(name, p) for p in patterns))


class CheckpointMethod:
    """The model of a checkpoint — diffusion or regression, all sensors or fewer — through
    :func:`~step2motion.reconstruction.pipeline.reconstruct`."""

    def __init__(self, settings: MethodSettings) -> None:
        self.model_path = settings.model_path
        self.checkpoint = load_checkpoint(settings.model_path)
        used = self.checkpoint.config.used_stream_names
        if settings.sensors is not None:
            used = streams_matching(used, settings.sensors)
        self.options = ReconstructionOptions(
            n_samples=settings.n_samples,
            steps=settings.steps,
            guidance=settings.guidance,
            seed=settings.seed,
            streams=None if settings.sensors is None else used,
            root=settings.root,
        )
        self.streams = used

    @property
    def settings(self) -> dict[str, Any]:
        config = self.checkpoint.config
        diffusion = config.diffusion
        settings = {
            "model": str(self.model_path),
            "pose_model": config.pose_model,
            "conditioning": config.denoiser.conditioning,
            "streams": list(self.streams),
            "samples": self.options.n_samples,
            "seed": self.options.seed,
            "root": self.options.root,
        }
        if config.pose_model == "diffusion":
            settings["steps"] = self.options.steps or diffusion.sample_steps
            settings["guidance"] = (
                diffusion.guidance_scale if self.options.guidance is None else self.options.guidance
            )
        return settings

    @property
    def subjects_seen(self) -> Mapping[str, frozenset[str]]:
        recorded = self.checkpoint.info.get("subjects", {})
        return {role: frozenset(recorded.get(role, ())) for role in ("train", "validation")}

    def __call__(self, rec: InsoleRecording, wearer: Wearer = NOT_TOLD) -> MethodOutput:
        options = dataclasses.replace(
            self.options, height_m=wearer.height_m, skeleton_offsets_m=wearer.skeleton_offsets_m
        )
        return method_output(reconstruct(rec, self.checkpoint, options))


class PredictorMethod:
    """A fitted baseline (any :class:`~step2motion.reconstruction.windowed_sampling.WindowPredictor`)
    through :func:`~step2motion.reconstruction.pipeline.reconstruct_with`."""

    def __init__(
        self, predictor: WindowPredictor, settings: dict[str, Any], train_subjects: Iterable[str]
    ) -> None:
        self.predictor = predictor
        self._settings = settings
        self._train_subjects = frozenset(train_subjects)

    @property
    def settings(self) -> dict[str, Any]:
        return self._settings

    @property
    def subjects_seen(self) -> Mapping[str, frozenset[str]]:
        return {"train": self._train_subjects, "validation": frozenset()}

    def __call__(self, rec: InsoleRecording, wearer: Wearer = NOT_TOLD) -> MethodOutput:
        options = ReconstructionOptions(
            height_m=wearer.height_m, skeleton_offsets_m=wearer.skeleton_offsets_m
        )
        return method_output(reconstruct_with(rec, self.predictor, options))


#: The default model's name in reports.
MODEL_METHOD = "step2motion"
#: What a method may be told of each clip's wearer (None: nothing; :func:`evaluate_clip`).
WEARER_KNOWLEDGE: tuple[str | None, ...] = (None, "height", "skeleton")


#: Baselines and ablations that are trained models: ``configs/ablations/<name>.json`` trains each into
#: ``out/train_<name>`` (:func:`trained_baseline_path`).
class StreamedMethod(CheckpointMethod):
    """The model as ``reconstruct --stream`` runs it: the recording pushed through the
    :class:`~step2motion.reconstruction.streaming_file.ChunkedReconstruction` in chunks of the export
    reader's size (:data:`~step2motion.io.moticon.PARSE_CHUNK_ROWS`); the root as ``--root`` says (the
    feet's odometry over the stream's buffer, or the root network), one sample, the model's frame rate.
    What bounded memory and causality cost in accuracy."""

    @property
    def settings(self) -> dict[str, Any]:
        return {**super().settings, "streamed": True}

    def __call__(self, rec: InsoleRecording, wearer: Wearer = NOT_TOLD) -> MethodOutput:
        from step2motion.io.moticon import PARSE_CHUNK_ROWS
        from step2motion.reconstruction.streaming_file import ChunkedReconstruction

        started_s = time.perf_counter()
        run = ChunkedReconstruction(
            self.checkpoint,
            rec.insole_size,
            steps=self.options.steps,
            guidance=self.options.guidance,
            seed=self.options.seed,
            root=self.options.root,
            height_m=wearer.height_m,
            skeleton_offsets_m=wearer.skeleton_offsets_m,
        )
        rows = (
            rec.take(slice(start, start + PARSE_CHUNK_ROWS))
            for start in range(0, rec.n_samples, PARSE_CHUNK_ROWS)
        )
        chunks = list(run.frames(rows))
        return MethodOutput(
            time_s=run.grid.start_s + np.concatenate([chunk.time_s for chunk in chunks]),
            fps=self.checkpoint.config.frame_rate_hz,
            positions_m=np.concatenate([chunk.joint_positions_m for chunk in chunks]),
            samples_m=None,
            wall_s=time.perf_counter() - started_s,
            odometry_root=np.concatenate([chunk.odometry_root for chunk in chunks]),
        )


#: The bundled model streamed (:class:`StreamedMethod`), a baseline name of ``evaluate``.
STREAMED = "step2motion_streamed"

TRAINED_BASELINES: tuple[str, ...] = (
    "regression",
    "no_cross_attention",
    "pressure_only",
    "imu_only",
    "left_foot_only",
)
#: The default model with fewer sensors at inference (stream name patterns it may read): what is left
#: when one of the sensor groups it was trained to do without (:data:`~step2motion.training.config.
#: DEFAULT_SENSOR_GROUPS`) is dropped, so this measures what it makes of fewer sensors without a model
#: trained for them (compare the trained ablations of the same names). IMU only keeps the odometry, as
#: training's pressure drop does: its stillness reads the force where there is one.
SENSOR_SUBSETS: dict[str, tuple[str, ...]] = {
    "step2motion_pressure_only": ("*_pressure", "*_force_cop"),
    "step2motion_imu_only": ("*_imu", "*_odometry"),
    "step2motion_left_foot_only": ("left_*",),
}
#: Baselines fitted at evaluation time from the training subjects (:func:`fit_baselines`).
FITTED_BASELINES: tuple[str, ...] = ("mean_pose", "nearest_neighbour")


def trained_baseline_path(runs_dir: str | Path, name: str) -> Path:
    """Where ``configs/ablations/<name>.json`` leaves the checkpoint selected on validation."""
    return Path(runs_dir) / f"train_{name}" / "best.safetensors"


def fit_baselines(
    data_dir: str | Path,
    split: Split,
    window_frames: int,
    frame_rate_hz: float,
    cache_dir: str | Path | None = None,
    progress: bool = True,
) -> dict[str, Method]:
    """:data:`FITTED_BASELINES` fitted on ``split``'s training subjects of ``data_dir`` (features cached
    in ``cache_dir``), cutting windows like the model (``window_frames`` at ``frame_rate_hz``)."""
    from step2motion.baselines.mean_pose import MeanPosePredictor
    from step2motion.baselines.nearest_neighbour import NearestNeighbourPredictor
    from step2motion.baselines.training_set import load_training_set

    training = load_training_set(data_dir, split, frame_rate_hz, cache_dir, progress=progress)
    mean_pose = MeanPosePredictor(training, window_frames, frame_rate_hz)
    neighbour = NearestNeighbourPredictor(training, window_frames, frame_rate_hz)
    return {
        "mean_pose": PredictorMethod(mean_pose, {"training_clips": training.n_takes}, training.subjects),
        "nearest_neighbour": PredictorMethod(
            neighbour,
            {"training_clips": training.n_takes, "database_windows": neighbour.n_windows},
            training.subjects,
        ),
    }


def check_held_out(name: str, method: Method, split_name: str, subjects: Iterable[str]) -> None:
    """``InputError`` when ``method`` learnt from any of ``subjects`` (or, for the test split, was selected
    on them): its numbers would measure memory, not generalisation."""
    roles = ("train", "validation") if split_name == "test" else ("train",)
    for role in roles:
        shared = sorted(set(subjects) & method.subjects_seen.get(role, frozenset()))
        if shared:
            raise InputError(
                f"{name} used subject(s) {', '.join(shared)} of the {split_name} split for "
                f"{'training' if role == 'train' else 'checkpoint selection'}: evaluate it on subjects "
                "it never saw"
            )


# ----------------------------------------------------------------------------------------------------
# Clips


@dataclass(frozen=True)
class EvaluationClip:
    """One take to evaluate: its index row."""

    entry: PairedEntry

    @property
    def variant(self) -> int:
        """Its simulation variant (0 when the index has none)."""
        return self.entry.variant


def select_clips(
    data_dir: str | Path,
    split: Split,
    split_name: str,
    variants: Sequence[int] = (0,),
    limit: int | None = None,
) -> list[EvaluationClip]:
    """The takes of ``data_dir/index.csv`` by the ``split_name`` subjects of ``split`` whose variant is in
    ``variants``, in index order, at most ``limit``; ``InputError`` for a split other than
    :data:`EVALUATION_SPLITS` or when no take is left."""
    if split_name not in EVALUATION_SPLITS:
        subjects_of(split, split_name)  # an unknown name gets the split module's message
        raise InputError(
            f"evaluation reports held-out subjects: choose {' or '.join(EVALUATION_SPLITS)}, "
            f"not {split_name!r}"
        )
    if limit is not None and limit < 1:
        raise InputError(f"the clip limit must be at least 1, got {limit}")
    subjects = set(subjects_of(split, split_name))
    entries = read_paired_index(data_dir)
    clips = [
        EvaluationClip(entry)
        for entry in entries
        if entry.subject in subjects and entry.variant in set(variants)
    ]
    if not clips:
        raise InputError(
            f"no take of the {split_name} subjects {sorted(subjects)} with variant(s) "
            f"{sorted(set(variants))} in {INDEX_NAME} (its subjects: {sorted({e.subject for e in entries})})",
            Path(data_dir) / INDEX_NAME,
        )
    return clips[:limit]


def truth_at(motion: Motion, entry: PairedEntry, time_s: np.ndarray, fps: float) -> np.ndarray:
    """World joint positions ``[T, 22, 3]`` of ``motion`` (the take's) at ``time_s`` (recording clock,
    frames ``fps`` apart); ``InputError`` when it does not cover those times."""
    tolerance_s = COVERAGE_TOLERANCE_FRAMES / fps
    if time_s[0] < -tolerance_s or time_s[-1] > motion.duration_s + tolerance_s:
        raise InputError(
            f"motion {entry.motion_path.name} ({motion.duration_s:.2f} s from time 0) does not cover the "
            f"reconstruction's {time_s[0]:.2f}-{time_s[-1]:.2f} s",
            entry.index_path,
            entry.line,
        )
    return resample_frames(resample_motion(motion, fps).joint_positions_m(), fps, time_s)


@dataclass(frozen=True)
class ClipResult:
    """One method on one clip: metrics (units in the keys), per-frame per-joint error ``[T, 22]`` (cm),
    frame rate and the method's wall time."""

    clip: EvaluationClip
    metrics: dict[str, float]
    joint_error_cm: np.ndarray
    fps: float
    wall_s: float

    @property
    def n_frames(self) -> int:
        return int(self.joint_error_cm.shape[0])

    @property
    def seconds(self) -> float:
        return self.n_frames / self.fps

    def as_clip_metrics(self) -> ClipMetrics:
        return ClipMetrics(self.clip.entry.style, self.n_frames, self.metrics)

    def to_json(self) -> dict[str, Any]:
        entry = self.clip.entry
        return {
            "name": entry.name,
            "subject": entry.subject,
            "style": entry.style,
            "variant": self.clip.variant,
            "seconds": round(self.seconds, 3),
            "wall_s": round(self.wall_s, 3),
            **{name: _json_number(value) for name, value in self.metrics.items()},
        }


def score_motion(
    pred_m: np.ndarray,
    true_m: np.ndarray,
    fps: float,
    contacts: np.ndarray,
    samples_m: np.ndarray | None = None,
) -> dict[str, float]:
    """Every metric of an aligned prediction ``[T, 22, 3]`` against the truth on the same frames; with
    samples ``[K, T, 22, 3]`` (same alignment) also ``best_of_k_mpjpe_cm`` and the spread calibration."""
    metrics = motion_metrics.summarise(pred_m, true_m, fps, contacts)
    if samples_m is not None:
        metrics["best_of_k_mpjpe_cm"] = motion_metrics.best_of_k(samples_m, true_m)[1]
        metrics |= motion_metrics.spread_calibration(samples_m, true_m)
    return metrics


def evaluate_clip(
    method: Method, clip: EvaluationClip, rec: InsoleRecording, motion: Motion, wearer: str | None = None
) -> ClipResult:
    """Run ``method`` on ``rec`` (the clip's recording) and score what it exports against ``motion`` (the
    clip's) (module docstring); told what :data:`WEARER_KNOWLEDGE` ``wearer`` names: ``"height"``, the
    height of the wearer whose legs are ``motion``'s skeleton's (:func:`~step2motion.skeleton.stature_m`),
    ``"skeleton"``, ``motion``'s skeleton itself."""
    if wearer not in WEARER_KNOWLEDGE:
        raise ValueError(f"wearer must be one of {', '.join(map(str, WEARER_KNOWLEDGE))}, got {wearer!r}")
    told = Wearer(
        height_m=skeleton.stature_m(motion.offsets_m) if wearer == "height" else None,
        skeleton_offsets_m=motion.offsets_m if wearer == "skeleton" else None,
    )
    output = method(rec, told)
    n_frames = output.positions_m.shape[0]
    if output.time_s.shape != (n_frames,) or n_frames == 0:
        raise ValueError(f"method output has {n_frames} frames but {output.time_s.shape} frame times")
    true_m = truth_at(motion, clip.entry, output.time_s, output.fps)
    pred_m = start_aligned(output.positions_m, output.positions_m, true_m)
    samples_m = None
    if output.samples_m is not None:
        samples_m = start_aligned(output.samples_m, output.positions_m, true_m)
    contacts = reference_contacts(rec, output.time_s)
    metrics = score_motion(pred_m, true_m, output.fps, contacts, samples_m)
    if output.odometry_root is not None:
        metrics["odometry_root_share"] = float(np.mean(output.odometry_root))
    errors_cm = motion_metrics.joint_errors_cm(pred_m, true_m)
    return ClipResult(clip, metrics, errors_cm, output.fps, output.wall_s)


# ----------------------------------------------------------------------------------------------------
# Aggregation and reports


def _json_number(value: float) -> float | None:
    """JSON has no NaN: undefined metrics become null."""
    return None if not math.isfinite(value) else float(value)


@dataclass
class MethodEvaluation:
    """All clip results of one method, and their aggregates."""

    name: str
    settings: dict[str, Any]
    clips: list[ClipResult] = field(default_factory=list)

    @property
    def seconds(self) -> float:
        return sum(c.seconds for c in self.clips)

    @property
    def wall_s(self) -> float:
        return sum(c.wall_s for c in self.clips)

    @staticmethod
    def _with_timing(metrics: dict[str, float], clips: Sequence[ClipResult]) -> dict[str, float]:
        seconds, wall_s = sum(c.seconds for c in clips), sum(c.wall_s for c in clips)
        return {
            **metrics,
            "seconds": seconds,
            "wall_s": wall_s,
            "motion_s_per_wall_s": seconds / wall_s if wall_s > 0 else math.inf,
        }

    def overall(self) -> dict[str, float]:
        """Frame-weighted means over all clips, with clip and frame counts, seconds and wall time."""
        return self._with_timing(aggregate([c.as_clip_metrics() for c in self.clips]), self.clips)

    def per_style(self) -> dict[str, dict[str, float]]:
        """:meth:`overall` per style (alphabetical)."""
        by_style = aggregate_by_style(c.as_clip_metrics() for c in self.clips)
        return {
            style: self._with_timing(metrics, [c for c in self.clips if c.clip.entry.style == style])
            for style, metrics in by_style.items()
        }

    def joint_mpjpe_cm(self) -> dict[str, float]:
        """Root-relative error per non-root joint (cm), a mean over all frames of all clips."""
        total = sum(c.joint_error_cm.sum(axis=0) for c in self.clips)
        frames = sum(c.n_frames for c in self.clips)
        return {skeleton.JOINT_NAMES[j]: float(total[j] / frames) for j in motion_metrics.NON_ROOT_JOINTS}

    def to_json(self) -> dict[str, Any]:
        def numbers(metrics: Mapping[str, float]) -> dict[str, Any]:
            return {k: int(v) if k in ("clips", "frames") else _json_number(v) for k, v in metrics.items()}

        return {
            **numbers(self.overall()),
            "per_style": {style: numbers(m) for style, m in self.per_style().items()},
            "joint_mpjpe_cm": {joint: _json_number(v) for joint, v in self.joint_mpjpe_cm().items()},
            "settings": self.settings,
            "per_clip": [c.to_json() for c in self.clips],
        }


@dataclass
class Evaluation:
    """The results of every method on the same clips, and what was evaluated (``meta``)."""

    methods: dict[str, MethodEvaluation]
    meta: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        return {**{name: m.to_json() for name, m in self.methods.items()}, "meta": self.meta}


def evaluate(
    methods: Mapping[str, Method],
    clips: Sequence[EvaluationClip],
    meta: Mapping[str, Any] | None = None,
    progress: bool = True,
    wearer: str | None = None,
) -> Evaluation:
    """Every method on every clip (a progress bar with the running MPJPE of the first method), told each
    wearer's height or skeleton as ``wearer`` says (:func:`evaluate_clip`); ``meta`` (split, data, ...) is
    completed with the clip count, seconds of motion, variants, whether heights were given and wall time."""
    started_s = time.perf_counter()
    results = {name: MethodEvaluation(name, method.settings) for name, method in methods.items()}
    first = next(iter(results.values()))
    bar = tqdm(clips, desc="evaluating", unit="clip", disable=not progress)
    for clip in bar:
        rec, motion = read_moticon(clip.entry.recording_path), read_bvh(clip.entry.motion_path)
        for name, method in methods.items():
            results[name].clips.append(evaluate_clip(method, clip, rec, motion, wearer))
        bar.set_postfix(mpjpe_cm=f"{first.overall()['mpjpe_cm']:.2f}")
    return Evaluation(
        results,
        {
            **(meta or {}),
            "variants": sorted({c.variant for c in clips}),
            "wearer_height": "from the motion capture's legs" if wearer == "height" else None,
            "wearer_skeleton": "the motion capture's" if wearer == "skeleton" else None,
            "clips": len(clips),
            "seconds": round(first.seconds, 2),
            "wall_s": round(time.perf_counter() - started_s, 2),
        },
    )


def _format(value: float) -> str:
    return "n/a" if not math.isfinite(value) else f"{value:.3g}"


def markdown_table(rows: Mapping[str, Mapping[str, float]], columns: Sequence[str]) -> str:
    """A Markdown table: one row per key of ``rows``, one column per name in ``columns``."""
    lines = [
        "| " + " | ".join(["", *columns]) + " |",
        "|" + "---|" * (len(columns) + 1),
    ]
    for label, values in rows.items():
        cells = [_format(values.get(name, math.nan)) for name in columns]
        lines.append("| " + " | ".join([label, *cells]) + " |")
    return "\n".join(lines)


def table_columns(evaluation: MethodEvaluation) -> tuple[str, ...]:
    """Columns of the summary table of ``evaluation``: the key metrics (and the sample metrics when
    K > 1, the odometry's share when the method tells it), seconds of motion, the method's wall time and
    seconds of motion per wall-clock second."""
    overall = evaluation.overall()
    optional = tuple(m for m in (*SAMPLE_TABLE_METRICS, "odometry_root_share") if m in overall)
    return (*TABLE_METRICS, *optional, "seconds", "wall_s", "motion_s_per_wall_s")


def summary_rows(evaluation: MethodEvaluation) -> dict[str, dict[str, float]]:
    """Table rows: ``all`` clips, then each style."""
    return {"all": evaluation.overall(), **evaluation.per_style()}


#: Columns of the method comparison table.
COMPARISON_METRICS: tuple[str, ...] = (
    "mpjpe_cm",
    "mpjpe_legs_cm",
    "mpjpe_upper_cm",
    "pa_mpjpe_cm",
    "mpjve_legs_cm_s",
    "jitter_m_s3",
    "root_drift_m_per_m",
    "root_path_ratio",
    "contact_f1",
    "motion_s_per_wall_s",
)


def comparison_rows(evaluation: Evaluation) -> dict[str, dict[str, float]]:
    """One row per method: its metrics over all clips."""
    return {name: result.overall() for name, result in evaluation.methods.items()}


def style_comparison_rows(evaluation: Evaluation, metric: str = "mpjpe_cm") -> dict[str, dict[str, float]]:
    """One row per method, one column per style (and ``all``): ``metric``."""
    return {
        name: {"all": result.overall()[metric]} | {s: m[metric] for s, m in result.per_style().items()}
        for name, result in evaluation.methods.items()
    }


def markdown_report(evaluation: Evaluation) -> str:
    """The evaluation as Markdown: what was evaluated, the methods side by side (with several), then per
    method its table and the truth's floor."""
    meta = evaluation.meta
    lines = ["# Evaluation", ""]
    lines += [f"- {key}: {value}" for key, value in meta.items()]
    if len(evaluation.methods) > 1:
        styles = style_comparison_rows(evaluation)
        columns = list(next(iter(styles.values())))
        compared = markdown_table(comparison_rows(evaluation), COMPARISON_METRICS)
        lines += ["", "## Methods compared", "", compared]
        lines += ["", "MPJPE (cm) per style:", "", markdown_table(styles, columns), ""]
    for name, result in evaluation.methods.items():
        rows = summary_rows(result)
        lines += [
            "",
            f"## {name}",
            "",
            "Settings: " + ", ".join(f"{k} {v}" for k, v in result.settings.items()),
            "",
        ]
        lines += [markdown_table(rows, table_columns(result)), ""]
        lines += ["Ground truth through the same metrics (the floor):", ""]
        lines += [markdown_table(rows, TRUTH_TABLE_METRICS), ""]
    return "\n".join(lines)
