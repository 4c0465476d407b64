"""``step2motion simulate-corpus DIR -o OUT/``: virtual-insole recordings for a whole motion corpus.

Per clip it writes ``OUT/<subject>/<name>.txt`` (the recording) and ``OUT/<subject>/<name>.bvh`` (the
motion resampled onto the recording's samples, so the two pair frame by frame), then ``OUT/index.csv``.
Clips run in parallel processes; each file is written under a temporary name and renamed when complete,
so an interrupted run never leaves a half-written clip that a rerun would skip.
"""

from __future__ import annotations

import argparse
import csv
import os
import zlib
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tqdm import tqdm

from step2motion.cli.simulate import add_simulation_arguments
from step2motion.errors import InputError

if TYPE_CHECKING:
    from step2motion.io.corpus import CorpusEntry

INDEX_NAME = "index.csv"
INDEX_COLUMNS = ("clip", "subject", "style", "seconds", "mass_kg", "insole_size", "seed")


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "simulate-corpus",
        help="simulate insole recordings for every BVH clip of a folder",
        description="Simulate the insole recording of every clip of a motion-capture corpus (see "
        "'step2motion simulate'). A MANIFEST.csv in DIR gives each clip's subject, style, true frame rate"
        " and whether its first frame is an added T-pose; without one, every *.bvh under DIR is used at "
        "its header rate, with the folder name as subject. Writes OUT/<subject>/<name>.txt and the motion"
        " resampled to the insole rate as OUT/<subject>/<name>.bvh, and lists the clips in OUT/index.csv "
        "(clip, subject, style, seconds, mass_kg, insole_size, seed). Clips already done are skipped "
        "unless --overwrite. A clip "
        "that fails is reported with its reason and the others go on; the exit code is then 1.",
        epilog="example: step2motion simulate-corpus ../shared/data/mocap -o corpus_insoles/ --jobs 2",
    )
    parser.add_argument("corpus", type=Path, metavar="DIR", help="folder of BVH files (with MANIFEST.csv)")
    parser.add_argument("-o", "--output", type=Path, required=True, metavar="OUT", help="output folder")
    add_simulation_arguments(parser)
    parser.add_argument(
        "--jobs",
        type=int,
        default=os.cpu_count() or 1,
        metavar="N",
        help=f"clips simulated in parallel (default: the {os.cpu_count() or 1} CPU cores)",
    )
    parser.add_argument("--overwrite", action="store_true", help="simulate clips whose outputs already exist")
    parser.set_defaults(run=run)


@dataclass(frozen=True)
class ClipTask:
    """One clip to simulate: where it is, where its outputs go, and the settings (seed per clip)."""

    root: Path
    entry: CorpusEntry
    recording_path: Path
    motion_path: Path
    mass_kg: float
    insole_size: int
    rate_hz: float
    noise: str
    seed: int

    def index_row(self, seconds: float) -> dict[str, str]:
        entry = self.entry
        values = (entry.path, entry.subject, entry.style, f"{seconds:.3f}", f"{self.mass_kg:g}")
        return dict(zip(INDEX_COLUMNS, (*values, str(self.insole_size), str(self.seed)), strict=True))


@dataclass(frozen=True)
class ClipOutcome:
    """What became of one clip: its duration, or why it failed."""

    task: ClipTask
    seconds: float | None = None
    error: str | None = None


def clip_seed(seed: int, clip: str) -> int:
    """A per-clip seed: the run's seed mixed with the clip's path, stable across runs and orderings."""
    return (seed * 1_000_003 + zlib.crc32(clip.encode("utf-8"))) % 2**32


def _write_atomically(write: Callable[[Any, Path], None], content: object, path: Path) -> None:
    """``write(content, tmp)`` then rename ``tmp`` to ``path``, so ``path`` exists only when complete."""
    partial = path.with_name(path.name + ".partial")
    write(content, partial)
    partial.replace(path)


def simulate_clip(task: ClipTask) -> ClipOutcome:
    """Simulate one clip and write its recording and resampled motion.

    Any failure becomes the outcome's ``error`` (a clip must not stop the corpus): an ``InputError``
    as its message, anything else with its type.
    """
    from step2motion.io.bvh import write_bvh
    from step2motion.io.corpus import read_corpus_motion
    from step2motion.io.moticon import write_moticon
    from step2motion.simulation.simulate import motion_at_rate, simulate_recording

    try:
        motion = read_corpus_motion(task.root, task.entry)
        recording = simulate_recording(
            motion, task.mass_kg, task.insole_size, task.rate_hz, task.noise, task.seed
        )
        task.recording_path.parent.mkdir(parents=True, exist_ok=True)
        _write_atomically(write_bvh, motion_at_rate(motion, task.rate_hz), task.motion_path)
        _write_atomically(write_moticon, recording, task.recording_path)
    except InputError as error:
        return ClipOutcome(task, error=str(error))
    except Exception as error:
        return ClipOutcome(task, error=f"{type(error).__name__}: {error}")
    return ClipOutcome(task, seconds=recording.duration_s)


def _tasks(args: argparse.Namespace) -> list[ClipTask]:
    from step2motion.io.corpus import corpus_entries

    tasks, outputs = [], {}
    for entry in corpus_entries(args.corpus):
        stem = args.output / entry.subject / Path(entry.path).stem
        if stem in outputs:
            raise InputError(f"clips {outputs[stem]} and {entry.path} would both be written to {stem}.*")
        outputs[stem] = entry.path
        tasks.append(
            ClipTask(
                root=args.corpus,
                entry=entry,
                recording_path=stem.with_suffix(".txt"),
                motion_path=stem.with_suffix(".bvh"),
                mass_kg=args.mass_kg,
                insole_size=args.insole_size,
                rate_hz=args.rate,
                noise=args.noise,
                seed=clip_seed(args.seed, entry.path),
            )
        )
    return tasks


def _previous_index(output: Path) -> dict[str, dict[str, str]]:
    """Rows of an earlier ``index.csv`` keyed by clip (empty when there is none)."""
    path = output / INDEX_NAME
    if not path.is_file():
        return {}
    with open(path, encoding="utf-8", newline="") as handle:
        return {row["clip"]: row for row in csv.DictReader(handle)}


def _done_row(task: ClipTask, previous: dict[str, dict[str, str]]) -> dict[str, str]:
    """The index row of a clip simulated by an earlier run (its recording is read when not indexed)."""
    if task.entry.path in previous:
        return previous[task.entry.path]
    from step2motion.io.moticon import read_moticon

    return task.index_row(read_moticon(task.recording_path).duration_s)


def _run_tasks(tasks: list[ClipTask], jobs: int) -> Iterator[ClipOutcome]:
    """Outcomes of ``tasks`` as they finish, in ``jobs`` processes (in this one for a single job)."""
    if jobs <= 1 or len(tasks) <= 1:
        yield from map(simulate_clip, tasks)
        return
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        for future in as_completed([pool.submit(simulate_clip, task) for task in tasks]):
            yield future.result()


def _write_index(output: Path, rows: dict[str, dict[str, str]]) -> None:
    with open(output / INDEX_NAME, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=INDEX_COLUMNS, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows[clip] for clip in sorted(rows))


def run(args: argparse.Namespace) -> int:
    if args.jobs < 1:
        raise InputError(f"--jobs must be at least 1, got {args.jobs}")
    tasks = _tasks(args)
    if not tasks:
        raise InputError("no BVH clips found", args.corpus)
    args.output.mkdir(parents=True, exist_ok=True)
    previous = _previous_index(args.output)
    done = [t for t in tasks if not args.overwrite and t.recording_path.is_file() and t.motion_path.is_file()]
    to_do = [t for t in tasks if t not in done]
    rows = {t.entry.path: _done_row(t, previous) for t in done}
    failures = {}
    with tqdm(total=len(to_do), unit="clip", desc="simulating", disable=not to_do) as progress:
        for outcome in _run_tasks(to_do, args.jobs):
            clip = outcome.task.entry.path
            if outcome.error is None:
                rows[clip] = outcome.task.index_row(outcome.seconds)
            else:
                failures[clip] = outcome.error
                progress.write(f"failed: {clip}: {outcome.error}")
            progress.update(1)
    _write_index(args.output, rows)
    print(
        f"{args.output}: {len(to_do) - len(failures)} clips simulated, {len(done)} already done (skipped), "
        f"{len(failures)} failed; index in {args.output / INDEX_NAME}"
    )
    for clip, reason in sorted(failures.items()):
        print(f"  failed: {clip}: {reason}")
    return 1 if failures else 0
