"""The training run: data → model → AdamW steps with validation, checkpoints and a metrics log.

The run keeps an exponential moving average (EMA) of the weights (``ema_decay``; 0 = none) with PyTorch's
:class:`~torch.optim.swa_utils.AveragedModel`: validation scores the average and the checkpoints hold it
as their model, so inference uses it without knowing. The learning rate follows :class:`LrSchedule`.

Files in ``output_dir`` (written by rank 0 only):

* ``last.safetensors`` every ``checkpoint_interval`` steps and at the end, ``best.safetensors`` whenever
  the validation MPJPE that ``select_on`` names improves (``config.SELECTION_METRICS``; ``pipeline`` asks
  the caller's ``score_checkpoint`` for it, which ``step2motion train`` gives): self-describing checkpoints
  (:mod:`step2motion.model.checkpoint`) of the EMA weights whose ``info`` holds the whole training config,
  which weights they are (``weights``, ``ema``), data folder, subjects, steps, learning-rate schedule, wall
  time and windows/s;
* ``last.resume.safetensors``: the optimiser's own weights and state, EMA count, learning-rate schedule
  and progress for ``--resume`` (:mod:`.resume_state`). A resumed run must use the same training
  settings but for :data:`~step2motion.training.config.RESUMABLE_SETTINGS` (changes to those are
  printed, one line each, and recorded in the ``start`` record);
* ``metrics.jsonl``: one JSON object per line, ``event`` = ``start``, ``train`` (mean losses over the
  last ``log_interval`` steps of rank 0, learning rate, throughput), ``validation`` or ``end``;
* ``feature_cache/`` (unless ``cache_dir`` says otherwise): per-clip features.
"""

from __future__ import annotations

import json
import math
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import torch
from torch.nn.parallel import DistributedDataParallel
from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn
from torch.utils.data import DataLoader, default_collate
from tqdm import tqdm

from step2motion import __version__
from step2motion.dataset.paired_corpus import load_paired_clips, read_paired_index
from step2motion.dataset.windows import NormalisationStats, WindowDataset
from step2motion.errors import InputError
from step2motion.evaluation.split import default_split_path, load_split
from step2motion.model.checkpoint import load_checkpoint, save_checkpoint
from step2motion.model.full_model import Step2MotionModel
from step2motion.training.config import SELECTION_METRICS, TrainConfig, format_change, resume_changes
from step2motion.training.data import (
    Batch,
    WindowBatchSampler,
    sensor_dropout,
    sensor_group_masks,
    split_entries,
    step_generator,
    step_seed,
    style_window_dataset,
    validation_indices,
)
from step2motion.training.distributed import ProcessContext, available_cpus, start_process
from step2motion.training.initial_weights import freeze, start_from
from step2motion.training.objective import LOSS_NAMES, TrainingObjective, validation_metrics, validation_sums
from step2motion.training.resume_state import (
    ResumeState,
    RunProgress,
    load_resume_state,
    resume_path,
    save_resume_state,
)

#: A checkpoint file → validation metrics by something above training (the reconstruction pipeline);
#: it must return the ``pipeline`` metric of ``SELECTION_METRICS``.
CheckpointScorer = Callable[[Path], dict[str, float]]
SCORING_NAME = "scoring.safetensors"
LAST_NAME = "last.safetensors"
BEST_NAME = "best.safetensors"
METRICS_NAME = "metrics.jsonl"


@dataclass(frozen=True)
class LrSchedule:
    """AdamW rate per step: linear warm-up to ``lr`` over ``warmup_steps``, then cosine decays to ``floor``.

    A new run has one decay, from ``lr`` at ``warmup_steps`` to ``floor`` at ``steps``. Resuming with a
    different ``steps`` (:meth:`extended`) keeps the rates of the steps already taken and starts a new
    cosine at the resume step, from the rate the old schedule gives there down to ``floor`` at the new
    end: the rate has no jump, the run still ends at the floor, and an interrupted run resumed with the
    same ``steps`` follows the uninterrupted schedule exactly. A run that had finished is at the floor,
    so extending it trains on at the floor rate (no warm restart). The schedule is saved in the resume
    state; the checkpoints' ``info`` shows it (``lr_schedule``).
    """

    lr: float
    floor: float
    warmup_steps: int
    #: cosine segments ``(first step, rate there, step where it reaches the floor)``, by first step
    decays: tuple[tuple[int, float, int], ...]

    @classmethod
    def of(cls, config: TrainConfig) -> LrSchedule:
        """The schedule of a new run of ``config``."""
        return cls(
            config.lr,
            config.lr * config.final_lr_fraction,
            config.warmup_steps,
            ((config.warmup_steps, config.lr, config.steps),),
        )

    @property
    def end(self) -> int:
        return self.decays[-1][2]

    def rate(self, step: int) -> float:
        """The rate of (0-based) ``step``."""
        if step < self.warmup_steps:
            return self.lr * (step + 1) / self.warmup_steps
        start, start_rate, end = next(d for d in reversed(self.decays) if d[0] <= step)
        progress = min((step - start) / max(end - start, 1), 1.0)
        return self.floor + 0.5 * (start_rate - self.floor) * (1.0 + math.cos(math.pi * progress))

    def extended(self, step: int, end: int) -> LrSchedule:
        """This schedule as a run resumed at ``step`` with ``end`` steps in all continues it."""
        if end == self.end:
            return self
        start = max(step, self.warmup_steps)  # resumed during the warm-up: it runs on unchanged
        start_rate = self.lr if start == self.warmup_steps else self.rate(start)
        kept = tuple(d for d in self.decays if d[0] < start)
        return replace(self, decays=(*kept, (start, start_rate, end)))

    def to_dict(self) -> dict[str, Any]:
        return {
            "lr": self.lr,
            "floor": self.floor,
            "warmup_steps": self.warmup_steps,
            "decays": [list(d) for d in self.decays],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> LrSchedule:
        decays = tuple((int(s), float(r), int(e)) for s, r, e in data["decays"])
        return cls(float(data["lr"]), float(data["floor"]), int(data["warmup_steps"]), decays)


def learning_rate(config: TrainConfig, step: int) -> float:
    """AdamW rate at ``step`` (0-based) of a new run: linear warm-up, then cosine down to
    ``lr × final_lr_fraction`` at ``steps`` (:class:`LrSchedule`)."""
    return LrSchedule.of(config).rate(step)


def ema_decay(config: TrainConfig, update: int) -> float:
    """Decay of the weight average's ``update``-th update (1-based; the first only copies the weights):
    ``min(ema_decay, update / (update + 9))`` with ``ema_warmup``, else ``ema_decay``."""
    return min(config.ema_decay, update / (update + 9)) if config.ema_warmup else config.ema_decay


@dataclass
class _Interval:
    """Training losses and time since the last ``train`` record (of this process)."""

    sums: dict[str, float] = field(default_factory=dict)
    seconds: float = 0.0
    steps: int = 0

    def add(self, values: dict[str, float], seconds: float) -> None:
        for name, value in values.items():
            self.sums[name] = self.sums.get(name, 0.0) + value
        self.seconds += seconds
        self.steps += 1

    def mean(self, name: str) -> float:
        return self.sums[name] / self.steps

    def record(self, config: TrainConfig) -> dict[str, float]:
        """Mean losses and learning rate, throughput (windows of all processes per second)."""
        return {name: self.mean(name) for name in self.sums} | {
            "windows_per_s": self.steps * config.batch_size / self.seconds,
            "s_per_step": self.seconds / self.steps,
        }


@dataclass(frozen=True)
class TrainResult:
    """What a finished run left: its checkpoints, progress and last validation metrics."""

    last_path: Path
    best_path: Path
    progress: RunProgress
    validation: dict[str, float]
    windows_per_s: float
    is_main: bool  # this process is rank 0 (the one that writes and reports)


def train(
    config: TrainConfig, resume: bool = False, score_checkpoint: CheckpointScorer | None = None
) -> TrainResult:
    """Run (or with ``resume`` continue) the training described by ``config``; see the module docstring.
    ``score_checkpoint`` (needed by ``select_on: pipeline``, called by rank 0 only) scores the checkpoint
    of each validation.

    Works alone or as one process of ``torchrun --nproc_per_node=N`` (DDP).
    """
    if config.select_on == "pipeline" and score_checkpoint is None:
        raise InputError(
            "select_on 'pipeline' needs a checkpoint scorer (step2motion train passes the reconstruction "
            "pipeline's; from Python: step2motion.evaluation.checkpoint_scoring.pipeline_scorer)"
        )
    context = start_process(config.device)
    try:
        return _Run(config, context, resume, score_checkpoint).execute()
    finally:
        context.close()


class _Run:
    """State of one training process; :meth:`execute` does the work."""

    def __init__(
        self,
        config: TrainConfig,
        context: ProcessContext,
        resume: bool,
        score_checkpoint: CheckpointScorer | None = None,
    ) -> None:
        self.config = config
        self.context = context
        self.resume = resume
        self.score_checkpoint = score_checkpoint if config.select_on == "pipeline" else None
        self.selection_metric = SELECTION_METRICS[config.select_on]
        self.output = Path(config.output_dir)
        self.last_path, self.best_path = self.output / LAST_NAME, self.output / BEST_NAME
        self.started = time.perf_counter()
        self.wall_before_s = 0.0
        self.validation: dict[str, float] = {}
        self.changes: dict[str, tuple[Any, Any]] = {}  # resumable settings changed on resume
        if context.world_size > config.batch_size or config.batch_size % context.world_size:
            raise InputError(
                f"batch_size {config.batch_size} must be a multiple of the {context.world_size} processes"
            )
        if resume and not self.last_path.is_file():
            raise InputError(f"nothing to resume: no {LAST_NAME}", self.output)
        if not resume and self.last_path.exists():
            raise InputError(
                f"a run is already there ({LAST_NAME}): pass --resume or another --out", self.output
            )

    def execute(self) -> TrainResult:
        config, context = self.config, self.context
        self._load_data()
        self._build_model()
        if self.progress.step >= config.steps:
            if context.is_main:
                print(
                    f"{self.last_path}: already at step {self.progress.step} of {config.steps}; nothing to do"
                )
            return self._result()
        if context.is_main:
            self.output.mkdir(parents=True, exist_ok=True)
            self._log(
                {
                    "event": "start",
                    "resumed": self.resume,
                    "world_size": context.world_size,
                    "device": str(context.device),
                    "data": self.data_summary,
                    **({"initialised": list(self.initialised)} if self.initial is not None else {}),
                    **({"changed": {k: list(v) for k, v in self.changes.items()}} if self.changes else {}),
                }
            )
        self._train_steps()
        return self._result()

    # --- data --------------------------------------------------------------------------------------
    def _load_data(self) -> None:
        config, context = self.config, self.context
        split_path = Path(config.split_file) if config.split_file else default_split_path()
        # before the features are computed: a missing initial checkpoint or refused resume fails at once
        self.initial = None
        if config.init_from is not None and not self.resume:
            self.initial = load_checkpoint(config.init_from)
        if self.resume:
            checkpoint = load_checkpoint(self.last_path)
            self._check_resumable(checkpoint.info, split_path)
            if checkpoint.config != config.model:
                raise InputError(
                    f"the config's model differs from the one being resumed in {LAST_NAME}", self.output
                )
        chosen = split_entries(read_paired_index(config.data_dir), load_split(split_path))
        model = config.model
        entries = [*chosen.train, *chosen.validation]
        jobs = config.feature_jobs or available_cpus()
        clips = context.main_first(
            lambda: load_paired_clips(
                entries,
                model.frame_rate_hz,
                config.feature_cache_dir,
                context.is_main,
                jobs,
                config.target_proportions,
            )
        )
        train_clips, validation_clips = clips[: len(chosen.train)], clips[len(chosen.train) :]
        longest = max(clip.n_frames for clip in train_clips)
        if model.window_frames > longest and context.is_main:
            print(
                f"warning: model.window_frames {model.window_frames} is longer than every training clip "
                f"(longest {longest} frames = {longest / model.frame_rate_hz:.1f} s): the windows are mostly "
                f"padding and training is that much slower; consider window_frames ≤ {longest}",
                file=sys.stderr,
            )
        if self.resume:
            self.stats, self.resumed_model = checkpoint.stats, checkpoint.model
            self.resumed_step = checkpoint.info.get("step")
        elif self.initial is not None:  # the initial weights were trained on these statistics
            self.stats, self.resumed_model = self.initial.stats, None
        else:
            self.stats, self.resumed_model = NormalisationStats.from_clips(train_clips, config.mirror), None
        self.train_set, self.window_probability = style_window_dataset(
            train_clips,
            [e.style for e in chosen.train],
            model.window_frames,
            self.stats,
            config.mirror,
            config.style_weights,
        )
        validation_set = WindowDataset(validation_clips, model.window_frames, self.stats, mirror=False)
        self.validation_batches = self._validation_batches(validation_set)
        self.data_summary = {
            "data_dir": str(Path(config.data_dir).resolve()),
            "split_file": str(split_path.resolve()),
            "subjects": {
                "train": sorted({e.subject for e in chosen.train}),
                "validation": sorted({e.subject for e in chosen.validation}),
                "unused": list(chosen.unused_subjects),
            },
            "train": {
                "clips": len(train_clips),
                "frames": sum(c.n_frames for c in train_clips),
                "windows": len(self.train_set),
                "styles": sorted({e.style for e in chosen.train}),
            },
            "validation": {**validation_set.summary(), "scored_windows": self.n_validation_windows},
        }

    def _check_resumable(self, info: Mapping[str, Any], split_path: Path) -> None:
        """``InputError`` unless the config changes only resumable settings of the run in ``info``; prints
        (rank 0) one line per changed resumable setting."""
        saved = info.get("training_config")
        if not isinstance(saved, Mapping):
            raise InputError(f"{LAST_NAME} does not record its training config: cannot resume", self.output)
        # The data paths compare resolved (as info records them), so another working directory is no change.
        saved = {**saved, **{k: info[k] for k in ("data_dir", "split_file") if isinstance(info.get(k), str)}}
        new = self.config.to_dict() | {
            "data_dir": str(Path(self.config.data_dir).resolve()),
            "split_file": str(split_path.resolve()),
        }
        try:
            self.changes = resume_changes(saved, new)
        except InputError as error:
            raise InputError(error.message, self.output) from None
        if self.context.is_main:
            for setting, (old, value) in self.changes.items():
                print(f"resume: {format_change(setting, old, value)}")

    def _validation_batches(self, dataset: WindowDataset) -> list[Batch]:
        """This process's share of the fixed validation windows, collated once, on the device."""
        indices = validation_indices(len(dataset), self.config.validation_windows)
        self.n_validation_windows = len(indices)
        mine = indices[self.context.rank :: self.context.world_size].tolist()
        size = self.config.batch_size // self.context.world_size
        return [
            Batch.of(
                default_collate([dataset[i] for i in mine[start : start + size]]),
                self.config.model.schema,
                self.context.device,
            )
            for start in range(0, len(mine), size)
        ]

    # --- model ---------------------------------------------------------------------------------------
    def _build_model(self) -> None:
        config = self.config
        torch.manual_seed(config.seed)
        # resumed: the checkpoint holds the weight average, the resume state the optimiser's weights
        model = self.resumed_model if self.resumed_model is not None else Step2MotionModel(config.model)
        self.initialised: tuple[str, ...] = ()
        if self.initial is not None:
            self.initialised = start_from(model, self.initial, config.frozen, config.init_from)
        freeze(model, config.frozen)
        self.model = model.to(self.context.device).train()
        # A copy of the bare model, made before DDP wraps it; every process keeps the same average.
        # Buffers are copied, not averaged (use_buffers=True would average integer buffers too).
        self.ema = (
            AveragedModel(self.model, multi_avg_fn=self._average, use_buffers=False)
            if config.ema_decay > 0
            else None
        )
        trained = [parameter for parameter in self.model.parameters() if parameter.requires_grad]
        self.optimizer = torch.optim.AdamW(trained, lr=config.lr, weight_decay=config.weight_decay)
        self.progress = RunProgress()
        self.schedule = LrSchedule.of(config)
        if self.resume:
            self._load_resume_state(load_resume_state(resume_path(self.last_path), self.optimizer))
        self.objective: torch.nn.Module = TrainingObjective(
            self.model, train_pose="pose" not in config.frozen
        )
        if self.context.distributed:
            device_ids = [self.context.device.index] if self.context.device.type == "cuda" else None
            self.objective = DistributedDataParallel(self.objective, device_ids=device_ids)

    def _load_resume_state(self, state: ResumeState) -> None:
        self.progress = state.progress
        if self.resumed_step != self.progress.step:
            raise InputError(
                f"{LAST_NAME} is at step {self.resumed_step}, its resume state at {self.progress.step}",
                self.output,
            )
        try:
            self.model.load_state_dict(state.weights)
        except RuntimeError as error:
            raise InputError(
                f"the resume state's weights do not fit the model: {error}", self.output
            ) from None
        if self.ema is not None:
            self.ema.n_averaged.fill_(state.ema_updates)
        saved = LrSchedule.from_dict(state.lr_schedule)
        self.schedule = saved.extended(self.progress.step, self.config.steps)
        if self.schedule != saved and self.context.is_main and self.progress.step < self.config.steps:
            step, rate, floor = (
                self.progress.step,
                self.schedule.rate(self.progress.step),
                self.schedule.floor,
            )
            print(
                f"resume: the learning rate decays by a new cosine from {rate:.3g} at step {step} to "
                f"{floor:.3g} at step {self.config.steps}"
                if rate > floor
                else f"resume: the learning rate stays at its floor {floor:.3g} (the run had finished)"
            )
        self.wall_before_s = self.progress.wall_s

    def _average(self, averaged: list[torch.Tensor], current: list[torch.Tensor], n_averaged: Any) -> None:
        """``AveragedModel``'s update: PyTorch's EMA with the decay of this step (:func:`ema_decay`)."""
        get_ema_multi_avg_fn(ema_decay(self.config, self.progress.step + 1))(averaged, current, n_averaged)

    @property
    def averaged_model(self) -> Step2MotionModel:
        """What validation scores and checkpoints hold: the weight average, or the weights without one."""
        return self.model if self.ema is None else self.ema.module

    # --- training ------------------------------------------------------------------------------------
    def _train_steps(self) -> None:
        config, context = self.config, self.context
        sampler = WindowBatchSampler(
            self.window_probability,
            config.batch_size // context.world_size,
            config.seed,
            context.rank,
            self.progress.step,
            config.steps,
        )
        loader = DataLoader(self.train_set, batch_sampler=sampler, num_workers=config.num_workers)
        groups = sensor_group_masks(config.model.schema, config.sensor_groups)
        interval = _Interval()
        bar = tqdm(
            total=config.steps,
            initial=self.progress.step,
            desc="training",
            unit="step",
            disable=not context.is_main,
            dynamic_ncols=True,
        )
        with bar:
            step_start = time.perf_counter()
            for items in loader:
                losses = self._optimise(items, groups)
                interval.add(losses, time.perf_counter() - step_start)
                self.progress.train_s += time.perf_counter() - step_start
                self.progress.step += 1
                bar.update(1)
                bar.set_postfix(self._postfix(interval.mean("loss")), refresh=False)
                done = self.progress.step == config.steps
                if self.progress.step % config.log_interval == 0 or done:
                    self._log({"event": "train", "step": self.progress.step, **interval.record(config)})
                    interval = _Interval()
                if self.progress.step % config.validation_interval == 0 or done:
                    self._validate()
                    bar.set_postfix(self._postfix(None))
                if self.progress.step % config.checkpoint_interval == 0 or done:
                    self._save_last()
                step_start = time.perf_counter()
        self._log({"event": "end", **self._facts()})

    def _optimise(self, items: dict[str, Any], groups: torch.Tensor) -> dict[str, float]:
        """One AdamW step on a collated batch; every random draw is seeded by (seed, rank, step)."""
        config, rank, step = self.config, self.context.rank, self.progress.step
        for group in self.optimizer.param_groups:
            group["lr"] = self.schedule.rate(step)
        torch.manual_seed(step_seed(config.seed, rank, step))
        batch = Batch.of(items, config.model.schema, self.context.device)
        mask = sensor_dropout(
            batch.recorded, groups, config.sensor_drop_prob, step_generator(config.seed, rank, step, 2)
        )
        losses = self.objective(batch, mask)
        self.optimizer.zero_grad(set_to_none=True)
        losses["loss"].backward()
        if config.grad_clip_norm > 0:
            torch.nn.utils.clip_grad_norm_(self.model.parameters(), config.grad_clip_norm)
        self.optimizer.step()
        if self.ema is not None:
            self.ema.update_parameters(self.model)
            with torch.no_grad():
                for averaged, buffer in zip(self.ema.module.buffers(), self.model.buffers(), strict=True):
                    averaged.copy_(buffer)
        return {name: losses[name].item() for name in LOSS_NAMES} | {"lr": self.schedule.rate(step)}

    def _postfix(self, loss: float | None) -> dict[str, str]:
        postfix = {} if loss is None else {"loss": f"{loss:.4f}"}
        if self.validation:
            postfix |= {
                "val_mpjpe_cm": f"{self.validation['val_mpjpe_cm']:.2f}",
                "val_loss": f"{self.validation['val_loss']:.4f}",
            }
        return postfix

    def _validate(self) -> None:
        sums = validation_sums(self.averaged_model, self.validation_batches, self.stats, self.config.seed)
        self.validation = validation_metrics(self.context.sum(sums))
        if self.score_checkpoint is not None:
            self.validation |= self._pipeline_scores()
        score = self.validation[self.selection_metric]
        improved = self.progress.best_mpjpe_cm is None or score < self.progress.best_mpjpe_cm
        if improved:
            self.progress.best_mpjpe_cm, self.progress.best_step = score, self.progress.step
        if self.context.is_main:
            self._log(
                {
                    "event": "validation",
                    "step": self.progress.step,
                    **self.validation,
                    f"best_{self.selection_metric}": self.progress.best_mpjpe_cm,
                    "best_step": self.progress.best_step,
                }
            )
            if improved:
                save_checkpoint(self.best_path, self.averaged_model, self.stats, self._facts())

    def _pipeline_scores(self) -> dict[str, float]:
        """Rank 0 saves the averaged weights and has them scored; every process gets the selection metric
        (the others wait in the sum)."""
        scores = {self.selection_metric: 0.0}
        if self.context.is_main:
            path = self.output / SCORING_NAME
            save_checkpoint(path, self.averaged_model, self.stats, self._facts())
            try:
                scores = self.score_checkpoint(path)
            finally:
                path.unlink(missing_ok=True)
        return scores | self.context.sum({self.selection_metric: scores[self.selection_metric]})

    def _save_last(self) -> None:
        if self.context.is_main:
            facts = self._facts()
            save_checkpoint(self.last_path, self.averaged_model, self.stats, facts)
            save_resume_state(
                resume_path(self.last_path),
                self.optimizer,
                self.progress,
                self.model.state_dict(),
                0 if self.ema is None else int(self.ema.n_averaged),
                self.schedule.to_dict(),
            )

    # --- records -------------------------------------------------------------------------------------
    def _facts(self) -> dict[str, Any]:
        """Everything about the run so far, for checkpoint ``info`` and the end record."""
        self.progress.wall_s = self.wall_before_s + time.perf_counter() - self.started
        return {
            "step": self.progress.step,
            "steps": self.config.steps,
            "training_config": self.config.to_dict(),
            "weights": "optimiser" if self.ema is None else "ema",
            "ema": None
            if self.ema is None
            else {
                "decay": self.config.ema_decay,
                "warmup": self.config.ema_warmup,
                "updates": int(self.ema.n_averaged),
            },
            "lr_schedule": self.schedule.to_dict(),
            **self.data_summary,
            "validation": dict(self.validation),
            "best": {"step": self.progress.best_step, self.selection_metric: self.progress.best_mpjpe_cm},
            "wall_time_s": round(self.progress.wall_s, 1),
            "train_time_s": round(self.progress.train_s, 1),
            "windows_per_s": round(self._windows_per_s(), 2),
            "world_size": self.context.world_size,
            "device": str(self.context.device),
            "torch_threads": torch.get_num_threads(),
            "torch_version": torch.__version__,
            "step2motion_version": __version__,
            "saved_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        }

    def _windows_per_s(self) -> float:
        return (
            self.progress.step * self.config.batch_size / self.progress.train_s
            if self.progress.train_s
            else 0.0
        )

    def _log(self, record: dict[str, Any]) -> None:
        if self.context.is_main:
            with open(self.output / METRICS_NAME, "a", encoding="utf-8") as handle:
                handle.write(json.dumps(record) + "\n")

    def _result(self) -> TrainResult:
        return TrainResult(
            self.last_path,
            self.best_path,
            self.progress,
            self.validation,
            self._windows_per_s(),
            self.context.is_main,
        )
