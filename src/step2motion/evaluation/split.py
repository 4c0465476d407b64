"""The committed subject split: which performers train, which select models, which are held out for test.

Why whole subjects: the corpus is small (24 CMU subjects, ≈ 31 min), so clips of one person in both
training and test would measure memorisation of that person's gait, not generalisation to a new wearer.
The split lives in ``step2motion/data/split.json`` (made by ``scripts/make_split.py`` from the corpus
manifest, with its reasons in ``notes``) so every experiment evaluates on the same people.

File format: a JSON object with ``train``, ``validation`` and ``test`` lists of subject ids written as
:mod:`step2motion.io.corpus` normalises them (``"2"``, not ``"02"``), a free-text ``notes``, and the
informational ``train_lacks_styles``, ``generated_by`` and ``stats`` (:func:`split_stats`).
"""

from __future__ import annotations

import csv
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from step2motion.errors import InputError
from step2motion.io.corpus import read_manifest
from step2motion.io.json_file import read_json_object

SPLIT_NAMES: tuple[str, ...] = ("train", "validation", "test")
_INFO_KEYS = ("notes", "train_lacks_styles", "generated_by", "stats")


@dataclass(frozen=True)
class Split:
    """Subject ids per split (disjoint) and the reasons for the choice."""

    train: tuple[str, ...]
    validation: tuple[str, ...]
    test: tuple[str, ...]
    notes: str = ""


@dataclass(frozen=True)
class ClipSeconds:
    """Who performs a clip, in which style, and for how long (s)."""

    subject: str
    style: str
    seconds: float


def default_split_path() -> Path:
    """The split committed with the package (``step2motion/data/split.json``)."""
    return Path(str(resources.files("step2motion") / "data" / "split.json"))


def _subject_list(document: dict, name: str, path: Path) -> tuple[str, ...]:
    subjects = document.get(name)
    if not isinstance(subjects, list) or not all(isinstance(s, str) and s for s in subjects):
        raise InputError(f"{name!r} must be a list of subject ids (non-empty strings)", path)
    for subject in subjects:
        if subject.isdigit() and str(int(subject)) != subject:
            raise InputError(
                f"subject id {subject!r} in {name!r} must be written {str(int(subject))!r}", path
            )
    if len(set(subjects)) != len(subjects):
        raise InputError(f"{name!r} lists a subject twice", path)
    return tuple(subjects)


def load_split(path: str | Path | None = None) -> Split:
    """The split in ``path`` (None: the committed one); ``InputError`` if the file is unreadable, has
    keys other than the documented ones, lacks a split, or puts a subject in two splits."""
    path = default_split_path() if path is None else Path(path)
    document = read_json_object(path, "split file")
    unknown = sorted(set(document) - set(SPLIT_NAMES) - set(_INFO_KEYS))
    if unknown:
        raise InputError(
            f"unknown key(s) {', '.join(unknown)}; expected {', '.join(SPLIT_NAMES + _INFO_KEYS)}", path
        )
    lists = {name: _subject_list(document, name, path) for name in SPLIT_NAMES}
    for i, first in enumerate(SPLIT_NAMES):
        for second in SPLIT_NAMES[i + 1 :]:
            shared = sorted(set(lists[first]) & set(lists[second]))
            if shared:
                raise InputError(f"subject(s) {', '.join(shared)} in both {first!r} and {second!r}", path)
    notes = document.get("notes", "")
    if not isinstance(notes, str):
        raise InputError("'notes' must be a string", path)
    return Split(**lists, notes=notes)


def subjects_of(split: Split, name: str) -> tuple[str, ...]:
    """Subject ids of the split called ``name`` (``train``, ``validation`` or ``test``)."""
    if name not in SPLIT_NAMES:
        raise InputError(f"unknown split {name!r}; expected one of {', '.join(SPLIT_NAMES)}")
    return getattr(split, name)


def split_of(split: Split, subject: str) -> str | None:
    """Name of the split that holds ``subject`` (an id as :mod:`step2motion.io.corpus` writes it), or
    None for a subject the split does not know (e.g. from another corpus)."""
    for name in SPLIT_NAMES:
        if subject in getattr(split, name):
            return name
    return None


def manifest_clip_seconds(manifest: str | Path) -> list[ClipSeconds]:
    """Subject, style and duration of every clip of a corpus ``MANIFEST.csv`` (its ``seconds`` column:
    the whole file, an added T-pose frame included, which is well under 1 % of any clip)."""
    entries = iter(read_manifest(manifest))
    clips = []
    with open(manifest, encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        if "seconds" not in (reader.fieldnames or []):
            raise InputError("manifest lacks a 'seconds' column", manifest, 1)
        for row in reader:
            entry = next(entries)
            try:
                seconds = float(row["seconds"])
            except ValueError:
                raise InputError(
                    f"seconds is not a number: {row['seconds']!r}", manifest, reader.line_num
                ) from None
            clips.append(ClipSeconds(entry.subject, entry.style, seconds))
    return clips


def split_stats(split: Split, clips: Iterable[ClipSeconds]) -> dict[str, dict]:
    """Per split: subject count, seconds, share of all seconds, and seconds per style (rounded to 0.1 s,
    shares to 0.001), from ``clips``; clips of subjects outside the split are left out."""
    seconds_by_style: dict[str, dict[str, float]] = {name: defaultdict(float) for name in SPLIT_NAMES}
    for clip in clips:
        name = split_of(split, clip.subject)
        if name is not None:
            seconds_by_style[name][clip.style] += clip.seconds
    total_s = sum(sum(styles.values()) for styles in seconds_by_style.values())
    stats = {}
    for name in SPLIT_NAMES:
        styles = seconds_by_style[name]
        seconds = sum(styles.values())
        stats[name] = {
            "subjects": len(subjects_of(split, name)),
            "seconds": round(seconds, 1),
            "fraction_of_seconds": round(seconds / total_s, 3) if total_s > 0 else 0.0,
            "seconds_by_style": {style: round(styles[style], 1) for style in sorted(styles)},
        }
    return stats
