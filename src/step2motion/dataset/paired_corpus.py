"""A folder of paired insole recordings and motions, read into training clips (with a feature cache).

Layout (what ``step2motion simulate-corpus`` writes, and what users' own paired data must look like)::

    DIR/index.csv              one row per take, a header row, columns found by name
    DIR/<any path>.txt         Moticon OpenGo export of the insoles (either header variant)
    DIR/<any path>.bvh         the motion of the same take, any known skeleton

``index.csv`` columns (others, e.g. ``seconds``, ``mass_kg``, ``insole_size``, ``seed``, are ignored):

===============  =====================================================================================
``recording``    path of the insole export, relative to DIR (or absolute)
``motion``       path of the BVH motion, relative to DIR (or absolute); its frame 0 must be at time
                 0 s of the recording (the two are cut from the same take)
``subject``      who performed it (required): training, validation and test sets are split by subject
``style``        optional motion label (``walk``, ``run``, ...), for reports
``clip``         when ``recording``/``motion`` are absent: ``simulate-corpus``'s source clip path; the
                 files are then ``DIR/<subject>/<clip's file stem>.txt`` and ``.bvh``
``variant``      optional whole number: which simulation of the take (``simulate-corpus --variants``);
                 empty or absent = 0. Evaluation chooses variants by it
===============  =====================================================================================

Body weight is estimated from each recording (as inference does) and insole size comes from its header or
its forces, so neither needs a column. Clip features (:func:`~step2motion.dataset.insole_features.
insole_streams` and :func:`~step2motion.dataset.pose_features.pose_targets` at the model rate) are cached
as one ``.npz`` per clip, keyed on both files' path, size and modification time, the frame rate and the
source of the feature code, so a rerun recomputes exactly the clips whose inputs or code changed.
"""

from __future__ import annotations

import csv
import hashlib
import json
import multiprocessing
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
from tqdm import tqdm

from step2motion.dataset.insole_features import insole_streams
from step2motion.dataset.pose_features import pose_targets
from step2motion.dataset.proportions import with_reference_proportions
from step2motion.dataset.windows import TrainingClip, pair_clip
from step2motion.errors import InputError
from step2motion.worker_pool import worker_pool

INDEX_NAME = "index.csv"
UNKNOWN_STYLE = "unknown"
#: Bump when the cache file layout changes (changes of the feature code are detected by its source).
CACHE_FORMAT = 1
_CLIP_ARRAYS = ("poses", "root_motion", "pelvis_height_m")


@dataclass(frozen=True)
class PairedEntry:
    """One row of ``index.csv``: a take's recording and motion, who performed it and what.

    Attributes:
        name: the recording path relative to the folder (unique), for reports.
        subject: performer id.
        style: motion label or ``"unknown"``.
        recording_path, motion_path: the two files.
        index_path, line: where the row is, for messages.
        variant: which simulation of the take (0 for recorded data).
    """

    name: str
    subject: str
    style: str
    recording_path: Path
    motion_path: Path
    index_path: Path
    line: int
    variant: int = 0


def read_paired_index(folder: str | Path) -> list[PairedEntry]:
    """The takes listed in ``folder/index.csv``; ``InputError`` (file and line) for a bad row, a missing
    file or two rows naming the same recording."""
    folder = Path(folder)
    index_path = folder / INDEX_NAME
    if not index_path.is_file():
        raise InputError(
            f"no {INDEX_NAME}: not a paired data folder (see 'step2motion train --help')", folder
        )
    with open(index_path, encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        columns = set(reader.fieldnames or [])
        explicit = {"recording", "motion"} <= columns
        needed = ["subject"] + ([] if explicit else ["clip"])
        missing = [c for c in needed if c not in columns]
        if missing or not (explicit or "clip" in columns):
            raise InputError(
                f"{INDEX_NAME} lacks column(s) {missing}: it needs 'subject' and either 'recording' and "
                "'motion' or simulate-corpus's 'clip'",
                index_path,
                1,
            )
        entries: list[PairedEntry] = []
        first_line: dict[Path, int] = {}
        for row in reader:
            entry = _parse_row(row, folder, index_path, reader.line_num, explicit)
            if entry.recording_path in first_line:
                raise InputError(
                    f"recording {entry.name} is already named on line {first_line[entry.recording_path]}",
                    index_path,
                    entry.line,
                )
            first_line[entry.recording_path] = entry.line
            entries.append(entry)
    if not entries:
        raise InputError(f"{INDEX_NAME} lists no take", index_path)
    return entries


def _parse_row(row: dict[str, str], folder: Path, index_path: Path, line: int, explicit: bool) -> PairedEntry:
    if None in row or None in row.values():
        raise InputError("row has a different number of fields than the header", index_path, line)
    subject = row["subject"].strip()
    if not subject:
        raise InputError("empty subject", index_path, line)
    if explicit:
        recording, motion = row["recording"].strip(), row["motion"].strip()
    else:
        stem = Path(row["clip"].strip()).stem
        recording, motion = f"{subject}/{stem}.txt", f"{subject}/{stem}.bvh"
    if not recording or not motion:
        raise InputError("empty recording or motion path", index_path, line)
    paths = {}
    for what, text in (("recording", recording), ("motion", motion)):
        path = folder / text
        if not path.is_file():
            raise InputError(f"{what} file {path} not found", index_path, line)
        paths[what] = path
    style = (row.get("style") or "").strip() or UNKNOWN_STYLE
    variant_text = (row.get("variant") or "").strip()
    try:
        variant = int(variant_text) if variant_text else 0
    except ValueError:
        raise InputError(f"variant is not a whole number: {variant_text!r}", index_path, line) from None
    return PairedEntry(
        recording, subject, style, paths["recording"], paths["motion"], index_path, line, variant
    )


def load_paired_clip(entry: PairedEntry, rate_hz: float, proportions: str = "captured") -> TrainingClip:
    """Features and targets of one take at ``rate_hz`` on their common frames, the targets drawn on the
    captured skeleton or on ``reference`` proportions (:mod:`~step2motion.dataset.proportions`)."""
    from step2motion.io.bvh import read_bvh
    from step2motion.io.moticon import read_moticon

    features = insole_streams(read_moticon(entry.recording_path), rate_hz)
    motion = read_bvh(entry.motion_path)
    if proportions == "reference":
        motion = with_reference_proportions(motion)
    targets = pose_targets(motion, rate_hz)
    try:
        return pair_clip(features, targets, entry.name)
    except ValueError as error:
        raise InputError(f"cannot pair recording and motion: {error}", entry.index_path, entry.line) from None


@cache
def _feature_code_digest() -> str:
    """Hash of the source of the feature pipeline (the dataset, io and odometry packages and the modules
    they read signals with), so code changes invalidate cached features."""
    digest = hashlib.sha256(str(CACHE_FORMAT).encode())
    package = Path(__file__).resolve().parent.parent
    sources = [package / name for name in ("gait_events.py", "insole_layout.py", "recording.py")]
    for folder in ("dataset", "io", "odometry"):
        sources += (package / folder).glob("*.py")
    for path in sorted(sources):
        digest.update(path.name.encode() + path.read_bytes())
    return digest.hexdigest()


def _cache_key(entry: PairedEntry, rate_hz: float, proportions: str) -> str:
    """Name of the cache file of ``entry``: changes with either file's path, size or mtime, the rate, the
    targets' proportions or the feature code."""
    parts: list[object] = [_feature_code_digest(), rate_hz, proportions]
    for path in (entry.recording_path, entry.motion_path):
        stat = path.stat()
        parts += [str(path.resolve()), stat.st_size, stat.st_mtime_ns]
    return hashlib.sha256(json.dumps(parts).encode()).hexdigest()[:32]


def _save_clip(clip: TrainingClip, path: Path) -> None:
    arrays = {name: getattr(clip, name) for name in _CLIP_ARRAYS}
    arrays |= {f"stream/{k}": v for k, v in clip.streams.items()}
    arrays |= {f"present/{k}": v for k, v in clip.present.items()}
    partial = path.with_name(f"{path.stem}.{os.getpid()}.partial.npz")
    np.savez(partial, **arrays)
    partial.replace(path)


def _load_clip(path: Path, name: str) -> TrainingClip | None:
    """A cached clip, or None when the file is unreadable (it is then recomputed)."""
    try:
        with np.load(path) as data:
            arrays = {key: data[key] for key in data.files}
    except (OSError, ValueError, EOFError):
        return None
    prefixed = {
        prefix: {k.removeprefix(f"{prefix}/"): v for k, v in arrays.items() if k.startswith(f"{prefix}/")}
        for prefix in ("stream", "present")
    }
    if not all(name in arrays for name in _CLIP_ARRAYS):
        return None
    return TrainingClip(name, prefixed["stream"], prefixed["present"], *(arrays[n] for n in _CLIP_ARRAYS))


def load_paired_clips(
    entries: Sequence[PairedEntry],
    rate_hz: float,
    cache_dir: str | Path | None = None,
    progress: bool = True,
    jobs: int = 1,
    proportions: str = "captured",
) -> list[TrainingClip]:
    """Clips of ``entries`` (same order) at ``rate_hz`` with targets on ``proportions``
    (:func:`load_paired_clip`), read from / written to ``cache_dir`` when given; the clips not cached
    are computed in ``jobs`` processes, with a progress bar."""
    cache_path = None if cache_dir is None else Path(cache_dir)
    if cache_path is not None:
        cache_path.mkdir(parents=True, exist_ok=True)
    clips: list[TrainingClip | None] = []
    for entry in entries:
        file = None if cache_path is None else cache_path / f"{_cache_key(entry, rate_hz, proportions)}.npz"
        clips.append(_load_clip(file, entry.name) if file is not None and file.is_file() else None)
    to_compute = [i for i, clip in enumerate(clips) if clip is None]
    computed = _compute([entries[i] for i in to_compute], rate_hz, jobs, proportions)
    bar = tqdm(
        computed,
        total=len(to_compute),
        desc="clip features",
        unit="clip",
        disable=not progress or not to_compute,
    )
    for index, clip in zip(to_compute, bar, strict=True):
        if cache_path is not None:
            _save_clip(clip, cache_path / f"{_cache_key(entries[index], rate_hz, proportions)}.npz")
        clips[index] = clip
    return [clip for clip in clips if clip is not None]


def _compute(
    entries: Sequence[PairedEntry], rate_hz: float, jobs: int, proportions: str
) -> Iterator[TrainingClip]:
    """Clips of ``entries`` in order, in this process or in a pool of ``jobs`` processes.

    The pool spawns fresh interpreters: forking a process whose BLAS/OpenMP threads have run (e.g. after
    training in the same process) can deadlock the children.
    """
    if jobs <= 1 or len(entries) <= 1:
        yield from (load_paired_clip(entry, rate_hz, proportions) for entry in entries)
        return
    with worker_pool(jobs, multiprocessing.get_context("spawn")) as pool:
        yield from pool.map(load_paired_clip, entries, [rate_hz] * len(entries), [proportions] * len(entries))
