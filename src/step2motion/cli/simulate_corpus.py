"""``step2motion simulate-corpus DIR -o OUT/``: virtual-insole recordings for a whole motion corpus.

Per clip it writes ``OUT/<subject>/<name>.txt`` (the recording) and ``OUT/<subject>/<name>.bvh`` (the
motion resampled onto the recording's samples, so the two pair frame by frame), then ``OUT/index.csv``.
Clips run in parallel processes; each file is written under a temporary name and renamed when complete,
so an interrupted run never leaves a half-written clip that a rerun would skip.

With ``--variants N`` each clip is also simulated ``N − 1`` more times as a different person wearing
different insoles at a different pace (``<name>__v<k>.txt/.bvh``): a small corpus goes further when every
variation that stays physically honest becomes a new, consistent recording (domain notes §6). Variant
``k > 0`` draws, from (clip, ``k``, ``--seed``) alone, so that reruns and added variants leave earlier
ones unchanged: body mass (``VARIANT_MASS_KG``), insole size (``VARIANT_INSOLE_SIZES``), the sensor
noise seed, and a time warp of the whole clip (``VARIANT_TIME_WARP``, log-uniform, so slowing down and
speeding up are equally likely): the clip's frames are replayed at ``fps / warp``, i.e. it lasts
``warp ×`` as long, and the paired BVH is that warped motion. Left/right mirroring is left to training.
Variant 0 is the plain simulation with the command's own ``--mass-kg``, ``--insole-size`` and seed.
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import os
import zlib
from collections.abc import Iterator
from concurrent.futures import as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from tqdm import tqdm

from step2motion.cli._output_paths import refuse_overwrites
from step2motion.cli.simulate import add_simulation_arguments, add_skeleton_map_argument
from step2motion.errors import InputError
from step2motion.io.atomic_file import atomic_path
from step2motion.worker_pool import worker_pool

if TYPE_CHECKING:
    from step2motion.io.bvh import SkeletonTable
    from step2motion.io.corpus import CorpusEntry
    from step2motion.motion import Motion

INDEX_NAME = "index.csv"
#: ``recording`` and ``motion`` (paths relative to OUT) name each variant's files for the paired reader.
INDEX_COLUMNS = (
    "clip",
    "subject",
    "style",
    "seconds",
    "mass_kg",
    "insole_size",
    "seed",
    "variant",
    "time_warp",
    "recording",
    "motion",
)
#: What variants ``k > 0`` draw from (module docstring): UnderPressure-like adults, the common OpenGo
#: sizes, and the domain notes' time-warp range.
VARIANT_MASS_KG = (50.0, 110.0)
VARIANT_INSOLE_SIZES = (3, 4, 5, 6, 7, 8)
VARIANT_TIME_WARP = (0.8, 1.25)


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "simulate-corpus",
        help="simulate insole recordings for every BVH clip of a folder",
        description="Simulate the insole recording of every clip of a motion-capture corpus (see "
        "'step2motion simulate'). A MANIFEST.csv in DIR gives each clip's subject, style, true frame rate"
        " and whether its first frame is an added T-pose; without one, every *.bvh under DIR is used at "
        "its header rate, with the folder name as subject. Writes OUT/<subject>/<name>.txt and the motion"
        " resampled to the insole rate as OUT/<subject>/<name>.bvh, and lists the clips in OUT/index.csv "
        "(clip, subject, style, seconds, mass_kg, insole_size, seed, variant, time_warp, recording, motion). "
        "Clips already done are skipped "
        "unless --overwrite. A clip "
        "that fails is reported with its reason and the others go on; the exit code is then 1.",
        epilog="example: step2motion simulate-corpus ../shared/data/mocap -o corpus_insoles/ --jobs 2",
    )
    parser.add_argument("corpus", type=Path, metavar="DIR", help="folder of BVH files (with MANIFEST.csv)")
    parser.add_argument("-o", "--output", type=Path, required=True, metavar="OUT", help="output folder")
    add_simulation_arguments(parser)
    add_skeleton_map_argument(parser)
    parser.add_argument(
        "--jobs",
        type=int,
        default=os.cpu_count() or 1,
        metavar="N",
        help=f"clips simulated in parallel (default: the {os.cpu_count() or 1} CPU cores)",
    )
    parser.add_argument(
        "--variants",
        type=int,
        default=1,
        metavar="N",
        help="simulations per clip (default 1). The N-1 extra ones are written as <name>__v1 .. __v<N-1> "
        "(.txt/.bvh), each "
        f"with its own body mass ({VARIANT_MASS_KG[0]:g}-{VARIANT_MASS_KG[1]:g} kg), insole size "
        f"({VARIANT_INSOLE_SIZES[0]}-{VARIANT_INSOLE_SIZES[-1]}), noise seed and time warp of the whole "
        f"clip ({VARIANT_TIME_WARP[0]:g}-{VARIANT_TIME_WARP[1]:g}x its duration), drawn from the clip, the "
        "variant number and --seed",
    )
    parser.add_argument("--overwrite", action="store_true", help="simulate clips whose outputs already exist")
    parser.set_defaults(run=run)


@dataclass(frozen=True)
class Variant:
    """Who wears the insoles, which ones, and at what pace: one simulation of a clip."""

    number: int
    mass_kg: float
    insole_size: int
    seed: int
    time_warp: float = 1.0


@dataclass(frozen=True)
class ClipTask:
    """One variant of one clip to simulate: where it is, where its outputs go, and the settings."""

    root: Path
    entry: CorpusEntry
    output: Path
    recording_path: Path
    motion_path: Path
    variant: Variant
    rate_hz: float
    noise: str
    table: SkeletonTable | None = None  # --skeleton-map

    @property
    def key(self) -> str:
        """The recording's path relative to OUT: one index row per recording."""
        return self.recording_path.relative_to(self.output).as_posix()

    def index_row(self, seconds: float) -> dict[str, str]:
        entry, variant = self.entry, self.variant
        values = (
            entry.path,
            entry.subject,
            entry.style,
            f"{seconds:.3f}",
            f"{variant.mass_kg:g}",
            str(variant.insole_size),
            str(variant.seed),
            str(variant.number),
            f"{variant.time_warp:g}",
            self.key,
            self.motion_path.relative_to(self.output).as_posix(),
        )
        return dict(zip(INDEX_COLUMNS, values, strict=True))


@dataclass(frozen=True)
class ClipOutcome:
    """What became of one clip: its duration, or why it failed."""

    task: ClipTask
    seconds: float | None = None
    error: str | None = None


def clip_seed(seed: int, clip: str) -> int:
    """A per-clip seed: the run's seed mixed with the clip's path, stable across runs and orderings."""
    return (seed * 1_000_003 + zlib.crc32(clip.encode("utf-8"))) % 2**32


def draw_variant(clip: str, number: int, seed: int, mass_kg: float, insole_size: int) -> Variant:
    """Variant ``number`` of ``clip``: 0 is the command's own person and insoles (time warp 1); the others
    are drawn from (``seed``, clip, ``number``) alone, so each variant is the same whatever else runs."""
    if number == 0:
        return Variant(0, mass_kg, insole_size, clip_seed(seed, clip))
    rng = np.random.default_rng([seed % 2**32, zlib.crc32(clip.encode("utf-8")), number])
    mass_kg = round(float(rng.uniform(*VARIANT_MASS_KG)), 1)
    insole_size = int(rng.choice(VARIANT_INSOLE_SIZES))
    noise_seed = int(rng.integers(2**32))
    time_warp = round(float(np.exp(rng.uniform(*np.log(VARIANT_TIME_WARP)))), 3)
    return Variant(number, mass_kg, insole_size, noise_seed, time_warp)


def time_warped(motion: Motion, warp: float) -> Motion:
    """``motion`` replayed ``warp`` times as long: the same frames at ``fps / warp``."""
    return motion if warp == 1.0 else dataclasses.replace(motion, fps=motion.fps / warp)


def simulate_clip(task: ClipTask) -> ClipOutcome:
    """Simulate one clip and write its recording and resampled motion.

    Any failure becomes the outcome's ``error`` (a clip must not stop the corpus): an ``InputError``
    as its message, anything else with its type.
    """
    from step2motion.io.bvh import write_bvh
    from step2motion.io.corpus import read_corpus_motion
    from step2motion.io.moticon import write_moticon
    from step2motion.simulation.simulate import motion_at_rate, simulate_recording

    variant = task.variant
    try:
        motion = time_warped(read_corpus_motion(task.root, task.entry, table=task.table), variant.time_warp)
        recording = simulate_recording(
            motion, variant.mass_kg, variant.insole_size, task.rate_hz, task.noise, variant.seed
        )
        if variant.time_warp != 1.0:
            metadata = {**recording.metadata, "Time warp": f"{variant.time_warp:g} x the source duration"}
            recording = dataclasses.replace(recording, metadata=metadata)
        task.recording_path.parent.mkdir(parents=True, exist_ok=True)
        write_bvh(motion_at_rate(motion, task.rate_hz), task.motion_path)
        write_moticon(recording, task.recording_path)
    except InputError as error:
        return ClipOutcome(task, error=str(error))
    except Exception as error:
        return ClipOutcome(task, error=f"{type(error).__name__}: {error}")
    return ClipOutcome(task, seconds=recording.duration_s)


def _tasks(args: argparse.Namespace) -> list[ClipTask]:
    from step2motion.cli.simulate import skeleton_map_argument
    from step2motion.io.corpus import corpus_entries

    table = skeleton_map_argument(args)
    tasks, outputs = [], {}
    for entry in corpus_entries(args.corpus):
        stem = args.output / entry.subject / Path(entry.path).stem
        if stem in outputs:
            raise InputError(f"clips {outputs[stem]} and {entry.path} would both be written to {stem}.*")
        outputs[stem] = entry.path
        for number in range(args.variants):
            name = stem.name if number == 0 else f"{stem.name}__v{number}"
            tasks.append(
                ClipTask(
                    root=args.corpus,
                    entry=entry,
                    output=args.output,
                    recording_path=stem.with_name(f"{name}.txt"),
                    motion_path=stem.with_name(f"{name}.bvh"),
                    variant=draw_variant(entry.path, number, args.seed, args.mass_kg, args.insole_size),
                    rate_hz=args.rate,
                    noise=args.noise,
                    table=table,
                )
            )
    return tasks


def _refuse_overwriting_sources(tasks: list[ClipTask]) -> None:
    """No clip's outputs may replace a source clip (``-o`` the corpus folder itself, say)."""
    sources = {f"the source of clip {t.entry.path}": t.root / t.entry.path for t in tasks}
    outputs: dict[str, Path | None] = {}
    for task in tasks:
        written = f"clip {task.entry.path} (variant {task.variant.number})"
        outputs |= {
            f"the motion of {written}": task.motion_path,
            f"the recording of {written}": task.recording_path,
        }
    refuse_overwrites(sources, outputs)


def _previous_index(output: Path) -> dict[str, dict[str, str]]:
    """Rows of an earlier ``index.csv`` keyed by recording (empty when there is none); rows of an index
    written before variants (no ``recording`` column) are left out, so their clips are re-indexed."""
    path = output / INDEX_NAME
    if not path.is_file():
        return {}
    with open(path, encoding="utf-8", newline="") as handle:
        return {row["recording"]: row for row in csv.DictReader(handle) if row.get("recording")}


def _done_row(task: ClipTask, previous: dict[str, dict[str, str]]) -> dict[str, str]:
    """The index row of a clip simulated by an earlier run: that run's row when complete; otherwise (no
    index, or a row cut short by an interrupted write) built from this run's settings, once the recording's
    own header shows that they are the ones it was simulated with (``InputError`` naming the file and the
    difference when not: the index must describe the files)."""
    row = previous.get(task.key)
    if row is not None and all(row.get(column) for column in INDEX_COLUMNS):
        return row
    from step2motion.io.moticon import read_moticon

    recording = read_moticon(task.recording_path)
    variant = task.variant
    expected = {"Body mass": f"{variant.mass_kg:g} kg", "Size": str(variant.insole_size)}
    expected["Simulation seed"] = str(variant.seed)
    differing = [
        f"{field} {recording.metadata.get(field, '(none)')!r}, this run {value!r}"
        for field, value in expected.items()
        if recording.metadata.get(field) != value
    ]
    if differing:
        raise InputError(
            f"simulated earlier with other settings ({'; '.join(differing)}) and not in {INDEX_NAME}: rerun "
            "with the settings it was made with, or pass --overwrite to simulate it again",
            task.recording_path,
        )
    return task.index_row(recording.duration_s)


def _run_tasks(tasks: list[ClipTask], jobs: int) -> Iterator[ClipOutcome]:
    """Outcomes of ``tasks`` as they finish, in ``jobs`` processes (in this one for a single job)."""
    if jobs <= 1 or len(tasks) <= 1:
        yield from map(simulate_clip, tasks)
        return
    with worker_pool(jobs) as pool:  # on Ctrl-C the clips under way finish, the queued ones never start
        for future in as_completed([pool.submit(simulate_clip, task) for task in tasks]):
            yield future.result()


def _write_index(output: Path, rows: dict[str, dict[str, str]]) -> None:
    """``index.csv``: one row per recording, sorted by clip then variant."""
    order = sorted(rows, key=lambda key: (rows[key]["clip"], int(rows[key]["variant"])))
    with (
        atomic_path(output / INDEX_NAME) as partial,
        open(partial, "w", encoding="utf-8", newline="") as handle,
    ):
        writer = csv.DictWriter(handle, fieldnames=INDEX_COLUMNS, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows[key] for key in order)


def run(args: argparse.Namespace) -> int:
    from step2motion.cli.simulate import check_simulation_arguments

    check_simulation_arguments(args)
    if args.output.exists() and not args.output.is_dir():
        raise InputError("-o names a file, not a folder", args.output)
    if args.jobs < 1:
        raise InputError(f"--jobs must be at least 1, got {args.jobs}")
    if args.variants < 1:
        raise InputError(f"--variants must be at least 1, got {args.variants}")
    tasks = _tasks(args)
    if not tasks:
        raise InputError("no BVH clips found", args.corpus)
    _refuse_overwriting_sources(tasks)
    args.output.mkdir(parents=True, exist_ok=True)
    previous = _previous_index(args.output)
    done = [t for t in tasks if not args.overwrite and t.recording_path.is_file() and t.motion_path.is_file()]
    to_do = [t for t in tasks if t not in done]
    rows = {t.key: _done_row(t, previous) for t in done}
    failures = {}
    with tqdm(total=len(to_do), unit="clip", desc="simulating", disable=not to_do) as progress:
        for outcome in _run_tasks(to_do, args.jobs):
            task = outcome.task
            if outcome.error is None:
                rows[task.key] = task.index_row(outcome.seconds)
            else:
                failures[task.key] = f"{task.entry.path}: {outcome.error}"
                progress.write(f"failed: {task.entry.path} (variant {task.variant.number}): {outcome.error}")
            progress.update(1)
    _write_index(args.output, rows)
    print(
        f"{args.output}: {len(to_do) - len(failures)} clips simulated, {len(done)} already done (skipped), "
        f"{len(failures)} failed; index in {args.output / INDEX_NAME}"
    )
    for reason in sorted(failures.values()):
        print(f"  failed: {reason}")
    return 1 if failures else 0
