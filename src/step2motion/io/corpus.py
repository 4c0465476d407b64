"""A motion-capture corpus: a folder of BVH files, described by a ``MANIFEST.csv`` when it has one.

The manifest carries what the files themselves get wrong: the true frame rate (some CMU headers say 120
fps for 60 fps takes) and whether frame 1 is an added T-pose / rest pose to drop. Without a manifest
every ``*.bvh`` under the folder is taken at its header rate with nothing dropped.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from step2motion.errors import InputError
from step2motion.io.bvh import SkeletonTable, read_bvh
from step2motion.motion import Motion

MANIFEST_NAME = "MANIFEST.csv"
REQUIRED_COLUMNS = ("path", "subject", "style", "fps", "first_frame_tpose", "release")
UNKNOWN = "unknown"


@dataclass(frozen=True)
class CorpusEntry:
    """One clip of a corpus.

    Attributes:
        path: file path relative to the corpus root (POSIX separators).
        subject: performer id; numeric ids lose leading zeros (``"02"`` → ``"2"``) so that the manifest
            and folder names agree.
        style: motion label (``walk``, ``run``, ... or ``"unknown"``).
        fps: true frame rate in Hz, or None to trust the file header.
        first_frame_tpose: frame 1 is an added T-pose / rest pose, not motion.
        release: source release (``cgspeed-mb``, ... or ``"unknown"``).
        description: free text (the CMU trial description where known).
    """

    path: str
    subject: str
    style: str
    fps: float | None
    first_frame_tpose: bool
    release: str
    description: str = ""


def _subject_id(text: str) -> str:
    return str(int(text)) if text.isdigit() else text


def _parse_row(row: dict[str, str], manifest: Path, line: int) -> CorpusEntry:
    tpose = row["first_frame_tpose"].strip().lower()
    if not tpose.startswith(("yes", "no")):
        raise InputError(f"first_frame_tpose must start with 'yes' or 'no', got {tpose!r}", manifest, line)
    try:
        fps = float(row["fps"])
    except ValueError:
        raise InputError(f"fps is not a number: {row['fps']!r}", manifest, line) from None
    if not fps > 0:
        raise InputError(f"fps must be positive, got {fps}", manifest, line)
    if not row["path"].strip():
        raise InputError("empty path", manifest, line)
    return CorpusEntry(
        path=row["path"].strip(),
        subject=_subject_id(row["subject"].strip()),
        style=row["style"].strip() or UNKNOWN,
        fps=fps,
        first_frame_tpose=tpose.startswith("yes"),
        release=row["release"].strip() or UNKNOWN,
        description=(row.get("description") or "").strip(),
    )


def read_manifest(manifest: str | Path) -> list[CorpusEntry]:
    """Entries of a ``MANIFEST.csv`` (columns ``path, subject, style, fps, first_frame_tpose, release``
    at least; others are ignored but ``description``). Raises ``InputError`` with the line of a bad row."""
    manifest = Path(manifest)
    try:
        with open(manifest, encoding="utf-8", newline="") as handle:
            reader = csv.DictReader(handle)
            missing = [c for c in REQUIRED_COLUMNS if c not in (reader.fieldnames or [])]
            if missing:
                raise InputError(f"manifest lacks column(s) {', '.join(missing)}", manifest, 1)
            entries = []
            for row in reader:
                if None in row.values() or None in row:
                    raise InputError(
                        "row has a different number of fields than the header", manifest, reader.line_num
                    )
                entries.append(_parse_row(row, manifest, reader.line_num))
    except FileNotFoundError:
        raise InputError("manifest not found", manifest) from None
    return entries


def find_corpus_entries(root: str | Path) -> list[CorpusEntry]:
    """Every ``*.bvh`` under ``root`` (sorted), with the subject taken from its folder name, style and
    release unknown, the header's frame rate and no frame dropped; for corpora without a manifest."""
    root = Path(root)
    if not root.is_dir():
        raise InputError("corpus folder not found", root)
    return [
        CorpusEntry(
            path=path.relative_to(root).as_posix(),
            subject=_subject_id(path.parent.name),
            style=UNKNOWN,
            fps=None,
            first_frame_tpose=False,
            release=UNKNOWN,
        )
        for path in sorted(root.rglob("*.bvh"))
    ]


def corpus_entries(root: str | Path) -> list[CorpusEntry]:
    """The entries of ``root/MANIFEST.csv`` when there is one, else :func:`find_corpus_entries`."""
    manifest = Path(root) / MANIFEST_NAME
    return read_manifest(manifest) if manifest.is_file() else find_corpus_entries(root)


def read_corpus_motion(
    root: str | Path, entry: CorpusEntry, fps: float | None = None, table: SkeletonTable | None = None
) -> Motion:
    """The clip of ``entry`` on the canonical skeleton at ``fps`` (None keeps the true rate), using the
    entry's true frame rate and dropping its added T-pose frame; ``table``: a user's skeleton table
    (``--skeleton-map``) instead of the shipped ones."""
    return read_bvh(
        Path(root) / entry.path,
        fps=fps,
        source_fps=entry.fps,
        drop_first_frames=1 if entry.first_frame_tpose else 0,
        table=table,
    )


def manifest_entry_for(path: str | Path) -> CorpusEntry | None:
    """The manifest entry of the BVH file ``path`` from the nearest ``MANIFEST.csv`` above it that lists
    it, so single-file commands use the corpus's true frame rate and T-pose flag too; None if no manifest
    lists it."""
    path = Path(path).resolve()
    for folder in path.parents:
        manifest = folder / MANIFEST_NAME
        if manifest.is_file():
            relative = path.relative_to(folder).as_posix()
            for entry in read_manifest(manifest):
                if entry.path == relative:
                    return entry
    return None
