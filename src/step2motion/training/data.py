"""Training data: clips per split, randomly drawn window batches, condition tensors and sensor dropout.

Window sampling is stateless: the windows of step ``s`` on process ``r`` are drawn from a generator seeded
with ``(seed, r, s)``, so a resumed run draws exactly the windows the uninterrupted run would have, and
processes under ``torchrun`` draw different windows without a distributed sampler. Windows are drawn
with replacement so that, in expectation, every frame of every training clip (and of its mirror) is
drawn equally often whatever the clip's length, times its style's weight (``style_weights``, 1 when not
named): a clip's share of the drawn real frames is ∝ its frames × its style weight. The windows are the
placements of :class:`~step2motion.dataset.windows.WindowDataset` with ``even_coverage`` (a short clip at
every offset inside the window, a long one under every window that overlaps it), each weighted by its
clip's weight over the number of windows covering one frame of the clip. Where a window sits on its clip
is part of its index, so it too comes from the step's generator and a resumed run draws it again.

A stream counts as recorded in a window when it is present on every real (non-padding) frame of it:
the model takes one presence flag per stream and window, and a gap longer than the features bridge
(:data:`step2motion.dataset.insole_features.MAX_GAP_S`) must not be fed as if it were a reading.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any

import numpy as np
import torch
from torch.utils.data import Sampler

from step2motion.condition_schema import ConditionSchema
from step2motion.dataset.paired_corpus import PairedEntry
from step2motion.dataset.windows import NormalisationStats, TrainingClip, WindowDataset
from step2motion.errors import InputError
from step2motion.evaluation.split import Split


@dataclass(frozen=True)
class SplitEntries:
    """The takes of the training and validation subjects, and the data's subjects the split leaves out
    (the ``test`` subjects among them are never read)."""

    train: tuple[PairedEntry, ...]
    validation: tuple[PairedEntry, ...]
    unused_subjects: tuple[str, ...]


def split_entries(entries: Sequence[PairedEntry], split: Split) -> SplitEntries:
    """Takes of ``split.train`` and ``split.validation`` subjects; ``InputError`` when either is empty."""
    train = tuple(e for e in entries if e.subject in split.train)
    validation = tuple(e for e in entries if e.subject in split.validation)
    for name, chosen in (("train", train), ("validation", validation)):
        if not chosen:
            raise InputError(
                f"no take of the split's {name} subjects {list(getattr(split, name))} is in the data "
                f"(its subjects: {sorted({e.subject for e in entries})})"
            )
    used = set(split.train) | set(split.validation)
    return SplitEntries(train, validation, tuple(sorted({e.subject for e in entries} - used)))


def style_window_dataset(
    clips: Sequence[TrainingClip],
    styles: Sequence[str],
    window_frames: int,
    stats: NormalisationStats,
    mirror: bool,
    style_weights: Mapping[str, float],
) -> tuple[WindowDataset, np.ndarray]:
    """All training windows (``even_coverage``) and each window's sampling probability ``[N]``: every
    frame drawn equally often, times its clip's style weight (1 when not named; module docstring)."""
    weights = np.array([float(style_weights.get(style, 1.0)) for style in styles])
    if len(weights) != len(clips):
        raise ValueError(f"{len(clips)} clips but {len(weights)} styles")
    if not weights.sum() > 0:
        raise InputError(f"style_weights give every training style {sorted(set(styles))} weight 0")
    dataset = WindowDataset(clips, window_frames, stats, mirror, even_coverage=True)
    return dataset, dataset.frame_probability(weights)


def step_generator(seed: int, rank: int, step: int, purpose: int) -> np.random.Generator:
    """The numpy generator of one (process, step, purpose): independent streams, reproducible anywhere."""
    return np.random.default_rng([seed, rank, step, purpose])


def step_seed(seed: int, rank: int, step: int) -> int:
    """A torch seed for the model's own randomness (noise, dropout) at one step of one process."""
    return int(step_generator(seed, rank, step, 0).integers(2**62))


class WindowBatchSampler(Sampler[list[int]]):
    """Batches of window indices for steps ``start_step .. end_step - 1`` of process ``rank`` (drawn
    with replacement with the given probabilities; see the module docstring)."""

    def __init__(
        self,
        probability: np.ndarray,
        batch_size: int,
        seed: int,
        rank: int,
        start_step: int,
        end_step: int,
    ) -> None:
        self.cumulative = np.cumsum(probability)
        self.batch_size = batch_size
        self.seed, self.rank = seed, rank
        self.start_step, self.end_step = start_step, end_step

    def __len__(self) -> int:
        return max(self.end_step - self.start_step, 0)

    def __iter__(self) -> Iterator[list[int]]:
        for step in range(self.start_step, self.end_step):
            draws = (
                step_generator(self.seed, self.rank, step, 1).random(self.batch_size) * self.cumulative[-1]
            )
            indices = np.minimum(
                np.searchsorted(self.cumulative, draws, side="right"), len(self.cumulative) - 1
            )
            yield indices.tolist()


def validation_indices(n_windows: int, n_wanted: int) -> np.ndarray:
    """A fixed, evenly spread subset of ``n_wanted`` window indices (all when there are fewer)."""
    return np.unique(np.linspace(0, n_windows - 1, min(n_wanted, n_windows)).round().astype(int))


@dataclass
class Batch:
    """One batch on the training device: packed condition ``[B, W, C]``, recorded streams ``[B, S]``,
    z-scored targets ``poses [B, W, 21, 3]`` and ``root_motion [B, W, 4]``, ``frame_valid [B, W]``."""

    condition: torch.Tensor
    recorded: torch.Tensor
    poses: torch.Tensor
    root_motion: torch.Tensor
    frame_valid: torch.Tensor

    @classmethod
    def of(cls, items: Mapping[str, Any], schema: ConditionSchema, device: torch.device) -> Batch:
        """From a collated :class:`WindowDataset` batch."""
        valid = items["frame_valid"]
        recorded = torch.stack([(items["present"][name] | ~valid).all(dim=1) for name in schema.names], dim=1)
        return cls(
            condition=schema.pack(items["streams"]).to(device),
            recorded=recorded.to(device),
            poses=items["poses"].to(device),
            root_motion=items["root_motion"].to(device),
            frame_valid=valid.to(device),
        )


def sensor_group_masks(schema: ConditionSchema, groups: Mapping[str, Sequence[str]]) -> torch.Tensor:
    """``[G, S]`` bool: which streams each sensor group covers (``fnmatch`` patterns over names)."""
    return torch.tensor(
        [
            [any(fnmatchcase(name, p) for p in patterns) for name in schema.names]
            for patterns in groups.values()
        ]
    )


def sensor_dropout(
    recorded: torch.Tensor, group_masks: torch.Tensor, drop_prob: float, rng: np.random.Generator
) -> torch.Tensor:
    """``recorded [B, S]`` minus, for each window with probability ``drop_prob``, the streams of one
    sensor group drawn uniformly from ``group_masks [G, S]``."""
    batch = recorded.shape[0]
    dropping = torch.from_numpy(rng.random(batch) < drop_prob)
    chosen = group_masks[torch.from_numpy(rng.integers(group_masks.shape[0], size=batch))]
    return recorded & ~(chosen & dropping[:, None]).to(recorded.device)
