"""BVH motion files on the canonical skeleton: read (any known source skeleton), write, inspect.

Reading parses the text line by line, strictly, so that every defect is reported with its line
(pymotion's ``BVH.load`` raises bare exceptions on some and silently zero-fills or mis-reads others, and
its module loads torch); Euler angles become quaternions as pymotion's ``BVH.get_data`` makes them, with
its NumPy backend. The skeleton is then mapped onto the canonical 22 joints through one JSON table per
source skeleton (``skeleton_maps/``; the table is chosen by the joint names the file holds, so there is
no per-skeleton code), scaled to metres (Y stays up) and resampled: slerp of the local rotations, linear
interpolation of the root.

Retargeting rule: a canonical joint takes the *global* rotation of its source joint, and the canonical
offsets are the vectors between the mapped joints in the source rest pose (all rotations zero). Joint
positions are therefore exact except where a skipped source joint (``LHipJoint``, ``Neck1``,
``lButtock`` ...) rotates; :func:`retarget_error_m` measures that. A table may also place a *virtual*
joint at a fraction of a rest segment (e.g. a toe joint on the foot → End Site segment of a skeleton
that has none); it takes the rotation of the segment's start joint, i.e. an identity local rotation.

A user's own table (``read_skeleton_table``, the CLI's ``--skeleton-map FILE.json``) has exactly the
format of the shipped ones and is checked when read (one-line ``InputError``); given one, it is the only
table tried, so a file it does not fit is an "unknown skeleton" naming what it misses.

Position channels on joints other than the root (``CHANNELS 6 Xposition Yposition Zposition ...``, as
some exporters write on every joint) replace the joint's ``OFFSET``, as BVH defines. The canonical
skeleton has constant bone lengths, so such a joint's offset is its position channels at the first
frame read (after ``drop_first_frames``), and a clip whose position channels move a joint by more than
``POSITION_CHANNEL_TOLERANCE_M`` from that first frame is refused (stretching bones would be silently
lost otherwise); the source forward kinematics behind :func:`retarget_error_m` keeps the per-frame values.
"""

from __future__ import annotations

import json
import warnings
from contextlib import ExitStack
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from types import TracebackType
from typing import TextIO

import numpy as np
from pymotion.ops.skeleton_np import fk_quat, from_global_rotations
from pymotion.rotations import quat_np as quat
from scipy.spatial.transform import Rotation

from step2motion import skeleton
from step2motion.errors import InputError
from step2motion.io.atomic_file import atomic_path
from step2motion.motion import Motion

#: Plausible rest length of a leg (hip joint → ankle, summed over thigh and shin) in metres; used to
#: choose between the unit scales a table allows.
PLAUSIBLE_LEG_LENGTH_M = (0.7, 1.0)

#: Largest motion (m) of a non-root joint's position channels away from their first frame that is read as
#: a constant bone (exporter rounding); more is refused.
POSITION_CHANNEL_TOLERANCE_M = 1e-3
_TABLE_KEYS = ("name", "description", "unit_m", "notes", "joints", "end_sites")
_VIRTUAL_KEYS = ("from", "to", "fraction")

_END_SITE = "End Site"
_ROTATION_CHANNELS = ("Xrotation", "Yrotation", "Zrotation")
_POSITION_CHANNELS = ("Xposition", "Yposition", "Zposition")
#: Channel order ``write_bvh`` uses for every joint (intrinsic Z, then Y, then X, as the CMU files).
_WRITE_EULER_ORDER = "ZYX"
#: Frames converted to angles and written at a time (memory of one chunk, whatever the length).
WRITE_CHUNK_FRAMES = 5_000
_LEG_CHAINS = (("LeftUpLeg", "LeftLeg", "LeftFoot"), ("RightUpLeg", "RightLeg", "RightFoot"))


@dataclass(frozen=True)
class BvhSummary:
    """What a BVH file holds, for ``step2motion info`` (the file is checked, its motion not converted).

    ``matched_table`` is the skeleton table that maps the file (None when none does);
    ``unmatched_joints`` names the canonical joints (or ``"<joint> end site"``) that the closest table,
    ``closest_table``, cannot find in the file (empty when a table matches).
    """

    path: str
    joint_names: tuple[str, ...]
    n_frames: int
    header_frame_time_s: float
    n_channels: int
    matched_table: str | None
    closest_table: str
    unmatched_joints: tuple[str, ...]

    @property
    def header_fps(self) -> float:
        """Frame rate the header declares (may be wrong: see ``read_bvh(source_fps=...)``)."""
        return 1.0 / self.header_frame_time_s


# ----------------------------------------------------------------------------------------------------
# Text validation


@dataclass(frozen=True)
class _Layout:
    """The checked content of a BVH file, in file units. ``parents`` uses -1 for the root."""

    joint_names: tuple[str, ...]
    parents: tuple[int, ...]
    channels: tuple[tuple[str, ...], ...]
    offsets: np.ndarray  # [J, 3]
    end_sites: dict[str, np.ndarray]  # joint name -> its End Site offset [3]
    n_frames: int
    frame_time_s: float
    motion: np.ndarray  # [n_frames, n_channels], the channels in file order

    @property
    def end_site_joints(self) -> frozenset[str]:
        return frozenset(self.end_sites)

    @property
    def n_channels(self) -> int:
        return sum(len(c) for c in self.channels)


class _Lines:
    """Non-blank lines of a text with their 1-based numbers, consumed one at a time."""

    def __init__(self, lines: list[str], path: Path) -> None:
        self.lines = lines
        self.path = path
        self.index = 0

    def next(self, expected: str) -> tuple[int, list[str]]:
        """The next non-blank line as ``(line number, tokens)``; at the end of the file, says what was due."""
        while self.index < len(self.lines):
            self.index += 1
            tokens = self.lines[self.index - 1].split()
            if tokens:
                return self.index, tokens
        raise InputError(f"file ends where {expected} was expected", self.path, max(len(self.lines), 1))

    def error(self, line: int, message: str) -> InputError:
        return InputError(message, self.path, line)


def _read_lines(path: Path) -> list[str]:
    """Lines of the file with any line ending (CRLF included), a UTF-8 byte order mark (as some Windows
    exporters write) skipped."""
    try:
        with open(path, encoding="utf-8-sig", newline=None) as handle:
            text = handle.read()
    except OSError as error:
        raise InputError(f"cannot read the file: {error.strerror}", path) from None
    except UnicodeDecodeError as error:
        with open(path, "rb") as handle:
            line = handle.read(error.start).count(b"\n") + 1
        raise InputError("not a text file (undecodable byte)", path, line) from None
    lines = text.split("\n")
    return lines[:-1] if lines and lines[-1] == "" else lines


def _number(token: str) -> float:
    """``float(token)``, NaN when it is not a number."""
    try:
        return float(token)
    except ValueError:
        return float("nan")


def _parse_numbers(lines: _Lines, line: int, tokens: list[str], what: str) -> np.ndarray:
    values = np.array([_number(t) for t in tokens])
    bad = ~np.isfinite(values)
    if bad.any():
        raise lines.error(line, f"{what}: {tokens[int(np.argmax(bad))]!r} is not a finite number")
    return values


def _parse_channels(lines: _Lines, line: int, tokens: list[str]) -> tuple[str, ...]:
    """``CHANNELS n ...``: 3 rotations, or 3 positions then 3 rotations, each axis once."""
    if tokens[0] != "CHANNELS" or len(tokens) < 2 or tokens[1] not in ("3", "6"):
        raise lines.error(line, "expected 'CHANNELS 3 ...' or 'CHANNELS 6 ...'")
    names = tuple(tokens[2:])
    positions, rotations = names[:-3], names[-3:]
    if (
        len(names) != int(tokens[1])
        or sorted(rotations) != list(_ROTATION_CHANNELS)
        or (positions and sorted(positions) != list(_POSITION_CHANNELS))
    ):
        raise lines.error(
            line, "unsupported channels: need 3 rotations, or X/Y/Z positions followed by 3 rotations"
        )
    return names


def _parse_joint(lines: _Lines, name: str, parent: int, out: dict[str, list]) -> None:
    """A joint block from its ``{`` to its ``}``, children included (depth-first, file order)."""
    index = len(out["names"])
    out["names"].append(name)
    out["parents"].append(parent)
    line, tokens = lines.next("'{'")
    if tokens != ["{"]:
        raise lines.error(line, f"expected '{{' on its own line after joint {name!r}")
    line, tokens = lines.next("OFFSET")
    if tokens[0] != "OFFSET" or len(tokens) != 4:
        raise lines.error(line, f"expected 'OFFSET x y z' in joint {name!r}")
    out["offsets"].append(_parse_numbers(lines, line, tokens[1:], "OFFSET"))
    line, tokens = lines.next("CHANNELS")
    out["channels"].append(_parse_channels(lines, line, tokens))
    while True:
        line, tokens = lines.next("'}'")
        if tokens == ["}"]:
            return
        if tokens == ["End", "Site"]:
            out["end_sites"][name] = _parse_end_site(lines, name)
        elif tokens[0] == "JOINT" and len(tokens) == 2:
            if tokens[1] in out["names"]:
                raise lines.error(line, f"duplicate joint name {tokens[1]!r}")
            _parse_joint(lines, tokens[1], index, out)
        else:
            raise lines.error(line, f"expected 'JOINT name', 'End Site' or '}}' in joint {name!r}")


def _parse_end_site(lines: _Lines, parent_name: str) -> np.ndarray:
    """An End Site block; returns its offset ``[3]``."""
    offset = np.zeros(3)
    for expected in ("{", "OFFSET", "}"):
        line, tokens = lines.next(f"{expected!r} of the End Site under {parent_name!r}")
        if tokens[0] != expected or len(tokens) != (4 if expected == "OFFSET" else 1):
            raise lines.error(line, f"malformed End Site under {parent_name!r}: expected {expected!r}")
        if expected == "OFFSET":
            offset = _parse_numbers(lines, line, tokens[1:], "OFFSET")
    return offset


def _parse_motion_header(lines: _Lines) -> tuple[int, int, float]:
    """``MOTION``, ``Frames: n``, ``Frame Time: t``; returns ``(n, line of 'Frames:', t)``."""
    line, tokens = lines.next("MOTION")
    if tokens != ["MOTION"]:
        raise lines.error(line, "missing MOTION section: expected 'MOTION' after the hierarchy")
    line, tokens = lines.next("'Frames: n'")
    if len(tokens) != 2 or tokens[0] != "Frames:" or not tokens[1].isdigit():
        raise lines.error(line, "expected 'Frames: <count>'")
    n_frames, frames_line = int(tokens[1]), line
    line, tokens = lines.next("'Frame Time: t'")
    if len(tokens) != 3 or tokens[:2] != ["Frame", "Time:"]:
        raise lines.error(line, "expected 'Frame Time: <seconds>'")
    frame_time_s = float(_parse_numbers(lines, line, tokens[2:], "Frame Time")[0])
    if frame_time_s <= 0:
        raise lines.error(line, f"Frame Time must be positive, got {frame_time_s}")
    return n_frames, frames_line, frame_time_s


def _parse_motion_data(lines: _Lines, n_frames: int, frames_line: int, n_channels: int) -> np.ndarray:
    """The data lines ``[n_frames, n_channels]``, checked (count, values per line, numbers); trailing blank
    lines are ignored."""
    data = _strip_blank_tail(lines.lines[lines.index :])
    first = lines.index + 1
    rows = []
    for offset, text in enumerate(data):
        tokens = text.split()
        if len(tokens) != n_channels:
            raise lines.error(
                first + offset, f"expected {n_channels} values on a motion line, found {len(tokens)}"
            )
        rows.append(_parse_numbers(lines, first + offset, tokens, "motion line"))
    if len(data) != n_frames:
        raise lines.error(frames_line, f"'Frames: {n_frames}' but the file has {len(data)} motion lines")
    return np.array(rows).reshape(n_frames, n_channels)


def _strip_blank_tail(lines: list[str]) -> list[str]:
    end = len(lines)
    while end and not lines[end - 1].strip():
        end -= 1
    return lines[:end]


def _scan(path: Path) -> _Layout:
    """Checks the whole text of a BVH file; raises ``InputError`` at the first problem, with its line."""
    lines = _Lines(_read_lines(path), path)
    line, tokens = lines.next("HIERARCHY")
    if tokens != ["HIERARCHY"]:
        raise lines.error(line, "not a BVH file: missing HIERARCHY")
    line, tokens = lines.next("ROOT")
    if tokens[0] != "ROOT" or len(tokens) != 2:
        raise lines.error(line, "expected 'ROOT name'")
    out: dict = {"names": [], "parents": [], "channels": [], "offsets": [], "end_sites": {}}
    _parse_joint(lines, tokens[1], -1, out)
    n_frames, frames_line, frame_time_s = _parse_motion_header(lines)
    n_channels = sum(len(c) for c in out["channels"])
    return _Layout(
        joint_names=tuple(out["names"]),
        parents=tuple(out["parents"]),
        channels=tuple(out["channels"]),
        offsets=np.array(out["offsets"]),
        end_sites=out["end_sites"],
        n_frames=n_frames,
        frame_time_s=frame_time_s,
        motion=_parse_motion_data(lines, n_frames, frames_line, n_channels),
    )


# ----------------------------------------------------------------------------------------------------
# Skeleton tables (data in skeleton_maps/*.json)


@dataclass(frozen=True)
class _VirtualJoint:
    """A canonical joint at ``fraction`` of the rest segment from source joint ``start`` to ``end``
    (a descendant joint, or ``"End Site"`` for ``start``'s End Site), rotating with ``start``."""

    start: str
    end: str
    fraction: float


@dataclass(frozen=True)
class SkeletonTable:
    """How one source skeleton maps onto the canonical joints (loaded from ``skeleton_maps/<name>.json``).

    Attributes:
        name: table name, reported by ``inspect_bvh``.
        unit_m: candidate sizes of one file unit in metres; the reader keeps the one giving a plausible leg.
        joints: canonical joint → source joint name, or a virtual joint on a rest segment.
        end_sites: canonical joint → source joint whose End Site becomes the canonical end site.
        origin: where the table was read from (a shipped file's name, or a user table's path).
    """

    name: str
    unit_m: tuple[float, ...]
    joints: dict[str, str | _VirtualJoint]
    end_sites: dict[str, str]
    origin: str = ""

    def missing(self, joint_names: tuple[str, ...], end_site_joints: frozenset[str]) -> tuple[str, ...]:
        """Canonical joints (and ``"<joint> end site"``) that this table cannot find in a source skeleton."""
        present = set(joint_names)
        missing = [
            c for c, source in self.joints.items() if not _source_present(source, present, end_site_joints)
        ]
        missing += [f"{c} end site" for c, s in self.end_sites.items() if s not in end_site_joints]
        return tuple(missing)


def _source_present(source: str | _VirtualJoint, present: set[str], end_site_joints: frozenset[str]) -> bool:
    if isinstance(source, str):
        return source in present
    end_ok = source.start in end_site_joints if source.end == _END_SITE else source.end in present
    return source.start in present and end_ok


class _BadTable(ValueError):
    """What is wrong with a table's content (one line)."""


def _names(values) -> str:
    return ", ".join(sorted(str(v) for v in values))


def _check_source(canonical: str, source: object) -> str | _VirtualJoint:
    if isinstance(source, str) and source.strip():
        return source
    if not isinstance(source, dict):
        raise _BadTable(f"joints.{canonical}: expected a source joint name or {{'from', 'to', 'fraction'}}")
    if sorted(source) != sorted(_VIRTUAL_KEYS):
        raise _BadTable(f"joints.{canonical}: a virtual joint has exactly the keys from, to, fraction")
    start, end, fraction = source["from"], source["to"], source["fraction"]
    if not (isinstance(start, str) and start.strip() and isinstance(end, str) and end.strip()):
        raise _BadTable(f"joints.{canonical}: 'from' and 'to' must be joint names ('to' may be 'End Site')")
    if isinstance(fraction, bool) or not isinstance(fraction, int | float) or not 0 <= fraction <= 1:
        raise _BadTable(f"joints.{canonical}: 'fraction' must be a number from 0 to 1, got {fraction!r}")
    return _VirtualJoint(start, end, float(fraction))


def _table_from_json(data: object, origin: str) -> SkeletonTable:
    """Checks a table's content; raises ``_BadTable`` saying, in one line, what is wrong."""
    if not isinstance(data, dict):
        raise _BadTable("a skeleton table is a JSON object")
    extra = set(data) - set(_TABLE_KEYS)
    if extra:
        raise _BadTable(f"unknown key(s): {_names(extra)} (a table has {', '.join(_TABLE_KEYS)})")
    missing = [key for key in _TABLE_KEYS if key not in data]
    if missing:
        raise _BadTable(f"missing key(s): {', '.join(missing)} (a table has {', '.join(_TABLE_KEYS)})")
    if not isinstance(data["name"], str) or not data["name"].strip():
        raise _BadTable("'name' must be a non-empty string")
    if not isinstance(data["description"], str):
        raise _BadTable("'description' must be a string")
    if not isinstance(data["notes"], list) or not all(isinstance(n, str) for n in data["notes"]):
        raise _BadTable("'notes' must be a list of strings")
    units = data["unit_m"]
    if (
        not isinstance(units, list)
        or not units
        or not all(
            isinstance(u, int | float) and not isinstance(u, bool) and np.isfinite(u) and u > 0 for u in units
        )
    ):
        raise _BadTable(
            f"bad unit: 'unit_m' must be a non-empty list of positive sizes in metres, got {units!r}"
        )
    for key in ("joints", "end_sites"):
        if not isinstance(data[key], dict):
            raise _BadTable(f"'{key}' must be an object mapping canonical joints to source joints")
        unknown = set(data[key]) - set(skeleton.JOINT_NAMES)
        if unknown:
            raise _BadTable(
                f"unknown canonical joint(s) in {key}: {_names(unknown)} "
                f"(canonical: {', '.join(skeleton.JOINT_NAMES)})"
            )
    absent = [name for name in skeleton.JOINT_NAMES if name not in data["joints"]]
    if absent:
        raise _BadTable(f"joints: no source joint given for canonical {', '.join(absent)}")
    joints = {name: _check_source(name, data["joints"][name]) for name in skeleton.JOINT_NAMES}
    for canonical, source in data["end_sites"].items():
        if not isinstance(source, str) or not source.strip():
            raise _BadTable(f"end_sites.{canonical}: expected the name of a source joint with an End Site")
    return SkeletonTable(
        data["name"], tuple(float(u) for u in units), joints, dict(data["end_sites"]), origin
    )


def read_skeleton_table(path: str | Path) -> SkeletonTable:
    """A user's skeleton table (the format of ``skeleton_maps/*.json``: name, description, unit_m,
    notes, joints, end_sites), checked; raises a one-line ``InputError`` naming the file and the defect."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as error:
        raise InputError(f"cannot read the skeleton table: {error.strerror}", path) from None
    except UnicodeDecodeError:
        raise InputError("skeleton table is not UTF-8 text", path) from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise InputError(f"skeleton table is not valid JSON: {error.msg}", path, error.lineno) from None
    try:
        return _table_from_json(data, str(path))
    except _BadTable as error:
        raise InputError(f"bad skeleton table: {error}", path) from None


@cache
def skeleton_tables() -> tuple[SkeletonTable, ...]:
    """All skeleton tables shipped in ``step2motion/io/skeleton_maps/``, sorted by file name."""
    folder = resources.files("step2motion.io").joinpath("skeleton_maps")
    files = sorted((f for f in folder.iterdir() if f.name.endswith(".json")), key=lambda f: f.name)
    tables = []
    for f in files:
        try:
            tables.append(_table_from_json(json.loads(f.read_text(encoding="utf-8")), f.name))
        except _BadTable as error:  # a broken shipped table is a bug in step2motion
            raise ValueError(f"skeleton table {f.name}: {error}") from None
    return tuple(tables)


def _match_table(
    layout: _Layout, table: SkeletonTable | None = None
) -> tuple[SkeletonTable | None, SkeletonTable, tuple[str, ...]]:
    """``(matching table or None, closest table, what the closest one misses)``.

    Closest: fewest canonical joints missing, then most of the file's joints used; then file-name order.
    Given a ``table`` (a user's), it is the only candidate.
    """

    def closeness(table: SkeletonTable) -> tuple[int, int]:
        used = {s if isinstance(s, str) else s.start for s in table.joints.values()} & set(layout.joint_names)
        return len(table.missing(layout.joint_names, layout.end_site_joints)), -len(used)

    closest = table if table is not None else min(skeleton_tables(), key=closeness)
    missing = closest.missing(layout.joint_names, layout.end_site_joints)
    return (closest if not missing else None), closest, missing


# ----------------------------------------------------------------------------------------------------
# Retargeting


@dataclass(frozen=True)
class _SourceClip:
    """A parsed BVH in file units. ``parents`` follows pymotion (the root is its own parent)."""

    joint_names: tuple[str, ...]
    parents: np.ndarray
    local_rotations: np.ndarray  # [T, J, 4]
    local_positions: np.ndarray  # [T, J, 3]: root channels, else offsets (or position channels)
    offsets: np.ndarray  # [J, 3]
    end_sites: dict[str, np.ndarray]  # source joint name -> End Site offset [3]
    #: non-root joints with position channels: (name, largest move from the first frame, at which frame)
    position_moves: tuple[tuple[str, float, int], ...] = ()

    def rest_positions(self) -> np.ndarray:
        """Joint positions ``[J, 3]`` with every rotation zero and the root at the origin."""
        rest = np.zeros_like(self.offsets)
        for j in range(1, len(self.parents)):
            rest[j] = rest[self.parents[j]] + self.offsets[j]
        return rest

    def global_transforms(self) -> tuple[np.ndarray, np.ndarray]:
        """Source forward kinematics: world positions ``[T, J, 3]`` and rotations ``[T, J, 4]``."""
        return fk_quat(self.local_rotations, self.local_positions[:, 0], self.local_positions, self.parents)


def _load_source(layout: _Layout, drop_first_frames: int) -> _SourceClip:
    """Local rotations and positions of a checked file, as pymotion's ``BVH.load`` + ``get_data`` make
    them: root (and other position) channels replace the offsets, Euler angles in each joint's channel
    order become unit quaternions unrolled over time. A non-root joint's position channels at the first
    frame become its offset (module docstring); how far they move from it is kept for the check."""
    motion = layout.motion[drop_first_frames:]
    n_frames, n_joints = len(motion), len(layout.joint_names)
    positions = np.tile(layout.offsets, (n_frames, 1)).reshape(n_frames, n_joints, 3)
    euler_deg = np.zeros((n_frames, n_joints, 3))
    orders = []
    column = 0
    for j, channels in enumerate(layout.channels):
        if len(channels) == 6:
            axes = [_POSITION_CHANNELS.index(c) for c in channels[:3]]
            positions[:, j, axes] = motion[:, column : column + 3]
        euler_deg[:, j] = motion[:, column + len(channels) - 3 : column + len(channels)]
        orders.append([c[0].lower() for c in channels[-3:]])
        column += len(channels)
    order = np.tile(np.array(orders), (n_frames, 1, 1))
    rotations = quat.normalize(quat.unroll(quat.from_euler(np.radians(euler_deg), order=order), axis=0))
    offsets = layout.offsets.copy()
    moves = []
    for j in range(1, n_joints):
        if len(layout.channels[j]) == 6:
            offsets[j] = positions[0, j]
            distance = np.linalg.norm(positions[:, j] - offsets[j], axis=-1)
            frame = int(np.argmax(distance))
            moves.append((layout.joint_names[j], float(distance[frame]), frame + drop_first_frames))
    return _SourceClip(
        joint_names=layout.joint_names,
        parents=np.array([0, *layout.parents[1:]]),
        local_rotations=rotations,
        local_positions=positions,
        offsets=offsets,
        end_sites=layout.end_sites,
        position_moves=tuple(moves),
    )


def _anchor(source: str | _VirtualJoint, clip: _SourceClip, rest: np.ndarray) -> tuple[int, np.ndarray]:
    """Where a canonical joint sits: ``(source joint index, offset [3] in that joint's frame)``.

    In the rest pose every global rotation is the identity, so a rest-pose vector is also the offset in
    the start joint's own frame.
    """
    if isinstance(source, str):
        return clip.joint_names.index(source), np.zeros(3)
    start = clip.joint_names.index(source.start)
    if source.end == _END_SITE:
        segment = clip.end_sites[source.start]
    else:
        segment = rest[clip.joint_names.index(source.end)] - rest[start]
    return start, source.fraction * segment


def _choose_unit_m(candidates: tuple[float, ...], canonical_rest: np.ndarray) -> float:
    """The candidate unit giving a rest leg (thigh + shin, mean of both sides) nearest the plausible range."""
    chains = np.array([skeleton.joint_indices(chain) for chain in _LEG_CHAINS])  # [2 sides, 3 joints]
    bones = canonical_rest[chains[:, 1:]] - canonical_rest[chains[:, :-1]]
    leg = float(np.linalg.norm(bones, axis=-1).sum(axis=1).mean())
    low, high = PLAUSIBLE_LEG_LENGTH_M
    return min(candidates, key=lambda unit: max(low - leg * unit, leg * unit - high, 0.0))


@dataclass(frozen=True)
class _Retargeted:
    """A clip on the canonical skeleton at the source rate, and its source reference in metres."""

    motion: Motion
    source_joints_m: np.ndarray  # [T, 22, 3] source FK position of each canonical joint
    source_end_sites_m: dict[str, np.ndarray]  # canonical joint -> [T, 3] source FK End Site position


def _retarget(
    clip: _SourceClip, table: SkeletonTable, unit_m: float | None, fps: float, source: str
) -> _Retargeted:
    """Maps a source clip onto the canonical skeleton (global rotations copied, rest offsets kept)."""
    rest = clip.rest_positions()
    anchors = [_anchor(table.joints[name], clip, rest) for name in skeleton.JOINT_NAMES]
    index = np.array([a[0] for a in anchors])
    anchor_offset = np.stack([a[1] for a in anchors])  # [22, 3] file units
    canonical_rest = rest[index] + anchor_offset
    unit = unit_m if unit_m is not None else _choose_unit_m(table.unit_m, canonical_rest)
    for name, distance, frame in clip.position_moves:
        if distance * unit > POSITION_CHANNEL_TOLERANCE_M:
            raise InputError(
                f"the position channels of joint {name!r} move it {distance * unit * 1000:.1f} mm from its "
                f"first-frame position (at motion frame {frame + 1}); the canonical skeleton has constant "
                f"bone lengths, so only constant positions (within "
                f"{POSITION_CHANNEL_TOLERANCE_M * 1000:g} mm) are read",
                source,
            )

    positions, rotations = clip.global_transforms()
    global_rotations = rotations[:, index]
    joints_m = (positions[:, index] + quat.mul_vec(global_rotations, anchor_offset)) * unit
    offsets_m = (canonical_rest - canonical_rest[skeleton.PARENTS]) * unit
    offsets_m[0] = 0.0
    end_sites_m, source_end_sites_m = {}, {}
    for joint, source_joint in table.end_sites.items():
        s = clip.joint_names.index(source_joint)
        end_rest = rest[s] + clip.end_sites[source_joint]
        end_sites_m[joint] = (end_rest - canonical_rest[skeleton.joint_index(joint)]) * unit
        source_end_sites_m[joint] = (
            positions[:, s] + quat.mul_vec(rotations[:, s], clip.end_sites[source_joint])
        ) * unit
    motion = Motion(
        local_rotations=quat.unroll(from_global_rotations(global_rotations, skeleton.PARENTS), 0),
        root_position_m=joints_m[:, 0].copy(),
        offsets_m=offsets_m,
        fps=fps,
        end_sites_m=end_sites_m,
        source=source,
    )
    return _Retargeted(motion, joints_m, source_end_sites_m)


# ----------------------------------------------------------------------------------------------------
# Public API


def _slerp(start: np.ndarray, end: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """Shortest-path slerp of quaternions ``[w, x, y, z]`` ``[T, J, 4]`` at ``weight [T]``, with scipy.

    Not pymotion's ``quat_np.slerp``: it adds 1e-6 to one end's components, which breaks the exact
    left/right mirror symmetry that the mirroring augmentation is tested on.
    """
    shape = start.shape
    first = Rotation.from_quat(start.reshape(-1, 4)[:, [1, 2, 3, 0]])
    turn = (first.inv() * Rotation.from_quat(end.reshape(-1, 4)[:, [1, 2, 3, 0]])).as_rotvec()
    weights = np.repeat(weight, shape[1])[:, None]
    xyzw = (first * Rotation.from_rotvec(weights * turn)).as_quat()
    on_frame = (weight == 0)[:, None, None]  # a source frame itself: its rotations unchanged
    return np.where(on_frame, start, xyzw[:, [3, 0, 1, 2]].reshape(shape))


def resample_motion(motion: Motion, fps: float) -> Motion:
    """The motion at another frame rate: slerp of local rotations, linear root, between neighbour frames.

    Output frame ``k`` is at time ``k / fps``; frames run up to the last source frame (never beyond), so
    the same rate returns the frames unchanged and 120 → 60 Hz keeps every second frame.
    """
    if not fps > 0:
        raise InputError(f"the frame rate must be positive, got {fps}", motion.source or None)
    ratio = motion.fps / fps
    n_out = int(np.floor((motion.n_frames - 1) / ratio + 1e-9)) + 1
    at = np.arange(n_out) * ratio  # output frames in source frame units
    at = np.where(np.abs(at - np.round(at)) < 1e-9, np.round(at), at)
    i0 = np.minimum(np.floor(at).astype(int), motion.n_frames - 1)
    i1 = np.minimum(i0 + 1, motion.n_frames - 1)
    weight = at - i0
    rotations = _slerp(motion.local_rotations[i0], motion.local_rotations[i1], weight)
    root = (1.0 - weight)[:, None] * motion.root_position_m[i0] + weight[:, None] * motion.root_position_m[i1]
    return Motion(
        local_rotations=rotations,
        root_position_m=root,
        offsets_m=motion.offsets_m,
        fps=float(fps),
        end_sites_m=motion.end_sites_m,
        source=motion.source,
    )


def inspect_bvh(path: str | Path, table: SkeletonTable | None = None) -> BvhSummary:
    """Checks a BVH file and says what it holds and which skeleton table maps it (motion not converted);
    given a ``table`` (see :func:`read_skeleton_table`), only that one is tried."""
    layout = _scan(Path(path))
    matched, closest, missing = _match_table(layout, table)
    return BvhSummary(
        path=str(path),
        joint_names=layout.joint_names,
        n_frames=layout.n_frames,
        header_frame_time_s=layout.frame_time_s,
        n_channels=layout.n_channels,
        matched_table=None if matched is None else matched.name,
        closest_table=closest.name,
        unmatched_joints=missing,
    )


def _positive(value: float | None, name: str, path: Path) -> None:
    if value is not None and not (np.isfinite(value) and value > 0):
        raise InputError(f"{name} must be a positive number, got {value}", path)


def _read_retargeted(
    path: str | Path,
    source_fps: float | None,
    drop_first_frames: int,
    unit_m: float | None,
    user_table: SkeletonTable | None = None,
) -> _Retargeted:
    path = Path(path)
    _positive(source_fps, "source_fps", path)
    _positive(unit_m, "unit_m", path)
    layout = _scan(path)
    table, closest, missing = _match_table(layout, user_table)
    if table is None and user_table is not None:
        raise InputError(
            f"unknown skeleton: the skeleton table {closest.name!r} ({closest.origin}) does not fit; it "
            f"finds no source joint for canonical {', '.join(missing)}",
            path,
        )
    if table is None:
        raise InputError(
            f"unknown skeleton: no table in skeleton_maps/ fits; the closest ({closest.name!r}) finds no "
            f"source joint for canonical {', '.join(missing)} (a table of your own: --skeleton-map)",
            path,
        )
    if not 0 <= drop_first_frames < layout.n_frames:
        raise InputError(
            f"cannot drop {drop_first_frames} first frames of a clip with {layout.n_frames} frames", path
        )
    clip = _load_source(layout, drop_first_frames)
    fps = source_fps if source_fps is not None else 1.0 / layout.frame_time_s
    return _retarget(clip, table, unit_m, fps, str(path))


def read_bvh(
    path: str | Path,
    fps: float | None = None,
    source_fps: float | None = None,
    drop_first_frames: int = 0,
    unit_m: float | None = None,
    table: SkeletonTable | None = None,
) -> Motion:
    """Reads a BVH file onto the canonical skeleton (metres, Y up).

    Args:
        path: the BVH file; its skeleton must be one of ``skeleton_maps/`` (see :func:`skeleton_tables`).
        fps: output frame rate (Hz); None keeps the source rate.
        source_fps: the file's true frame rate, overriding its ``Frame Time`` header (which is wrong in
            some CMU exports).
        drop_first_frames: source frames to drop first (e.g. 1 for an added T-pose frame).
        unit_m: size of one file unit in metres, overriding the table's choice.
        table: a user's skeleton table (:func:`read_skeleton_table`) used instead of the shipped ones.

    Raises:
        InputError: malformed file (with its line), unknown skeleton (naming the joints not found), position
            channels that stretch a bone, or bad argument.
    """
    _positive(fps, "fps", Path(path))
    motion = _read_retargeted(path, source_fps, drop_first_frames, unit_m, table).motion
    return motion if fps is None else resample_motion(motion, fps)


def retarget_error_m(
    path: str | Path,
    source_fps: float | None = None,
    drop_first_frames: int = 0,
    unit_m: float | None = None,
    table: SkeletonTable | None = None,
) -> dict[str, np.ndarray]:
    """Distance ``[T]`` (m) per frame between each canonical joint (and end site, keyed ``"<joint> end
    site"``) and the source point it stands for, both by forward kinematics at the source rate.

    Non-zero only where skipped source joints rotate; it measures what retargeting costs a file.
    """
    retargeted = _read_retargeted(path, source_fps, drop_first_frames, unit_m, table)
    motion = retargeted.motion
    positions, rotmats = motion.forward_kinematics()
    errors = {
        name: np.linalg.norm(positions[:, j] - retargeted.source_joints_m[:, j], axis=-1)
        for j, name in enumerate(skeleton.JOINT_NAMES)
    }
    for joint, source_m in retargeted.source_end_sites_m.items():
        j = skeleton.joint_index(joint)
        canonical_m = positions[:, j] + rotmats[:, j] @ motion.end_sites_m[joint]
        errors[f"{joint} end site"] = np.linalg.norm(canonical_m - source_m, axis=-1)
    return errors


def _euler_degrees(local_rotations: np.ndarray) -> np.ndarray:
    """``[T, J, 3]`` intrinsic Z-Y-X angles in degrees (scipy: vectorised, angles in [-180, 180])."""
    from scipy.spatial.transform import Rotation  # only writing needs it; reading starts faster without

    shape = local_rotations.shape[:-1]
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Gimbal lock")  # the angles still compose the rotation
        euler = Rotation.from_quat(local_rotations.reshape(-1, 4)[:, [1, 2, 3, 0]]).as_euler(
            _WRITE_EULER_ORDER, degrees=True
        )
    return euler.reshape(*shape, 3)


def _format_vector(vector: np.ndarray) -> str:
    return " ".join(f"{v:.6f}" for v in vector)


def _hierarchy_lines(motion: Motion, joint: int, depth: int, order: list[int]) -> list[str]:
    """BVH text of ``joint``'s block (children included); appends joints to ``order`` as written."""
    order.append(joint)
    pad = "\t" * depth
    name = skeleton.JOINT_NAMES[joint]
    rotation_channels = " ".join(f"{axis}rotation" for axis in _WRITE_EULER_ORDER)
    if joint == 0:
        head = [f"ROOT {name}", "{", "\tOFFSET 0.000000 0.000000 0.000000"]
        head.append(f"\tCHANNELS 6 Xposition Yposition Zposition {rotation_channels}")
    else:
        head = [f"{pad}JOINT {name}", f"{pad}{{", f"{pad}\tOFFSET {_format_vector(motion.offsets_m[joint])}"]
        head.append(f"{pad}\tCHANNELS 3 {rotation_channels}")
    children = [c for c in range(skeleton.N_JOINTS) if skeleton.PARENTS[c] == joint]
    body = [line for c in children for line in _hierarchy_lines(motion, c, depth + 1, order)]
    if not children:
        end = motion.end_sites_m.get(name, np.zeros(3))
        body = [f"{pad}\tEnd Site", f"{pad}\t{{", f"{pad}\t\tOFFSET {_format_vector(end)}", f"{pad}\t}}"]
    return [*head, *body, f"{pad}}}"]


def write_bvh(motion: Motion, path: str | Path) -> None:
    """Writes a motion as BVH on the canonical hierarchy (metres, Y up, Z-Y-X channels, 6-channel root).

    Bone lengths are the motion's constant offsets; leaf joints get End Sites from ``motion.end_sites_m``
    (toe tips, ...) or zero length where it has none; end sites of non-leaf joints are not written.
    Written here rather than with pymotion's ``BVH.save``, which prints the frame time with six decimals
    (1/120 s becomes 0.008333, read back as 120.005 Hz). Written atomically
    (:mod:`step2motion.io.atomic_file`).
    """
    with BvhWriter(path, motion.n_frames) as writer:
        writer.append(motion)


class BvhWriter:
    """A BVH file written as its frames come: ``append`` chunks of one motion (same skeleton and rate), in
    the memory of one chunk, each as :func:`write_bvh` writes a motion. Used as a context manager; the
    file exists only once closed without an error (:mod:`step2motion.io.atomic_file`).

    Why: a streaming reconstruction of a long recording must not hold its whole motion. With ``n_frames``
    None (not known in advance) the header's frame count is a fixed-width field filled in on closing (BVH
    readers split that line on white space).
    """

    _COUNT_WIDTH = 12

    def __init__(self, path: str | Path, n_frames: int | None = None) -> None:
        self.path = Path(path)
        self.n_frames = n_frames
        self.written = 0
        self._order: list[int] = []
        self._count_at: int | None = None
        self._stack = ExitStack()
        self._handle: TextIO | None = None

    def __enter__(self) -> BvhWriter:
        partial = self._stack.enter_context(atomic_path(self.path))
        try:
            self._handle = self._stack.enter_context(open(partial, "w", encoding="utf-8", newline="\n"))
        except OSError as error:
            self._stack.__exit__(type(error), error, error.__traceback__)  # nothing renamed into place
            raise InputError(f"cannot write the BVH file: {error.strerror}", self.path) from None
        return self

    def append(self, motion: Motion) -> None:
        """Write ``motion``'s frames after those already written (the first chunk writes the header)."""
        if self._handle is None:
            raise RuntimeError("BvhWriter.append outside its with block")
        try:
            if self._count_at is None:
                self._write_header(self._handle, motion)
            for start in range(0, motion.n_frames, WRITE_CHUNK_FRAMES):  # memory of one chunk's angles
                chunk = slice(start, start + WRITE_CHUNK_FRAMES)
                euler = _euler_degrees(motion.local_rotations[chunk])[:, self._order]
                values = np.concatenate(
                    [motion.root_position_m[chunk], euler.reshape(len(euler), -1)], axis=1
                )
                np.savetxt(self._handle, values, fmt="%.6f")
        except OSError as error:
            raise InputError(f"cannot write the BVH file: {error.strerror}", self.path) from None
        self.written += motion.n_frames

    def _write_header(self, handle: TextIO, motion: Motion) -> None:
        hierarchy = _hierarchy_lines(motion, 0, 0, self._order)
        handle.write("\n".join(["HIERARCHY", *hierarchy, "MOTION", "Frames: "]))
        self._count_at = handle.tell()
        count = str(self.n_frames) if self.n_frames is not None else " " * self._COUNT_WIDTH
        handle.write(f"{count}\nFrame Time: {1.0 / motion.fps!r}\n")

    def _complete(self) -> None:
        """Fill in the frame count (or check it against the announced one)."""
        if self._handle is None or self._count_at is None:
            raise InputError("no frames to write", self.path)
        if self.n_frames is not None:
            if self.written != self.n_frames:
                raise RuntimeError(f"{self.written} BVH frames written, {self.n_frames} announced")
            return
        try:
            self._handle.seek(self._count_at)
            self._handle.write(str(self.written).ljust(self._COUNT_WIDTH))
        except OSError as error:
            raise InputError(f"cannot write the BVH file: {error.strerror}", self.path) from None

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        if kind is None:
            try:
                self._complete()
            except BaseException as failure:
                self._stack.__exit__(type(failure), failure, failure.__traceback__)
                raise
        try:
            self._stack.__exit__(kind, error, trace)
        except OSError as os_error:  # the rename into place
            raise InputError(f"cannot write the BVH file: {os_error.strerror}", self.path) from None
