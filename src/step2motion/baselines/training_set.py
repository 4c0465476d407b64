"""The training subjects' clips as the baselines learn from them: features, poses, root moves, statistics."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from step2motion.dataset.paired_corpus import load_paired_clips, read_paired_index
from step2motion.dataset.windows import NormalisationStats, TrainingClip, mirror_clip
from step2motion.errors import InputError
from step2motion.evaluation.split import Split


@dataclass(frozen=True)
class TrainingSet:
    """Clips of the split's training subjects and their left/right mirrors (the model trains on both),
    z-score statistics over them, the subjects (so evaluation can refuse to test on them) and how many
    takes were read (``clips`` holds each twice)."""

    clips: tuple[TrainingClip, ...]
    stats: NormalisationStats
    subjects: frozenset[str]
    n_takes: int


def load_training_set(
    data_dir: str | Path,
    split: Split,
    frame_rate_hz: float,
    cache_dir: str | Path | None = None,
    jobs: int = 1,
    progress: bool = True,
) -> TrainingSet:
    """The ``train`` subjects' takes of ``data_dir`` at ``frame_rate_hz`` (features cached in
    ``cache_dir`` like training's); validation and test subjects are not read."""
    entries = read_paired_index(data_dir)
    train = [entry for entry in entries if entry.subject in split.train]
    if not train:
        raise InputError(
            f"no take of the split's train subjects {list(split.train)} is in {data_dir} "
            f"(its subjects: {sorted({e.subject for e in entries})}): nothing to fit the baselines on"
        )
    clips = load_paired_clips(train, frame_rate_hz, cache_dir, progress, jobs)
    return TrainingSet(
        clips=(*clips, *(mirror_clip(clip) for clip in clips)),
        stats=NormalisationStats.from_clips(clips, mirrored=True),
        subjects=frozenset(entry.subject for entry in train),
        n_takes=len(clips),
    )
