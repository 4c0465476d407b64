"""``step2motion info FILE``: what a BVH motion or an insole recording holds."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from step2motion.cli.simulate import add_skeleton_map_argument, read_motion_argument, skeleton_map_argument
from step2motion.errors import InputError

if TYPE_CHECKING:
    from step2motion.io.bvh import SkeletonTable


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "info",
        help="summarise a BVH motion or a Moticon insole recording",
        description="Print what a BVH motion file (skeleton, frames, rate, canonical mapping), a Moticon "
        "OpenGo text export (duration, rate, channels, missing samples, extra columns) or a step2motion "
        "model checkpoint (window, input streams, how it was trained) holds. The kind of file is recognised "
        "from its first line (models: the .safetensors suffix).",
    )
    parser.add_argument(
        "file", type=Path, help="a .bvh file, a Moticon OpenGo .txt export or a .safetensors model"
    )
    add_skeleton_map_argument(parser)
    parser.set_defaults(run=run)


def _file_kind(path: Path) -> str:
    if path.suffix == ".safetensors":
        return "model"
    with path.open("rb") as handle:
        first_line = handle.readline().removeprefix(b"\xef\xbb\xbf").strip()  # a UTF-8 BOM is no content
    if first_line.upper().startswith(b"HIERARCHY"):
        return "bvh"
    if first_line.startswith(b"#"):
        return "moticon"
    raise InputError("not a BVH file (no HIERARCHY) nor a Moticon export (no '#' header)", path, 1)


def describe_bvh(path: Path, table: SkeletonTable | None = None) -> list[str]:
    """Lines describing a BVH file: the source skeleton and its canonical mapping (through ``table``, a
    user's skeleton table, when given)."""
    from step2motion.io.bvh import inspect_bvh
    from step2motion.io.corpus import manifest_entry_for
    from step2motion.skeleton import LEG_PER_STATURE, stature_m

    summary = inspect_bvh(path, table)
    entry = manifest_entry_for(path)
    lines = [
        f"BVH motion: {path}",
        f"  frames:        {summary.n_frames} at {summary.header_fps:g} fps (header) = "
        f"{summary.n_frames / summary.header_fps:.2f} s",
        f"  source joints: {len(summary.joint_names)} ({summary.n_channels} channels)",
    ]
    if entry is not None:
        lines.append(
            f"  MANIFEST.csv:  subject {entry.subject}, style {entry.style}, true rate {entry.fps:g} fps = "
            f"{summary.n_frames / entry.fps:.2f} s"
            f"{', first frame is a T-pose' if entry.first_frame_tpose else ''} ({entry.description})"
        )
    if summary.matched_table is None:
        lines.append(
            f"  canonical map: none; unmatched canonical joints: {', '.join(summary.unmatched_joints)}"
        )
        return lines
    motion = read_motion_argument(path, None, None, table)
    positions = motion.joint_positions_m()
    height_m = positions[..., 1].max(axis=1) - positions[..., 1].min(axis=1)
    travel_m = np.linalg.norm(np.diff(motion.root_position_m[:, [0, 2]], axis=0), axis=1).sum()
    wearer_m = stature_m(motion.offsets_m)
    lines += [
        f"  canonical map: {summary.matched_table} → 22 joints",
        f"  body extent:   {np.median(height_m):.2f} m (median vertical span)",
        f"  legs:          {LEG_PER_STATURE * wearer_m:.3f} m hip to ankle: a wearer {wearer_m:.2f} m tall "
        "at the average share (what reconstruct --height-m sets)",
        f"  root travel:   {travel_m:.2f} m (horizontal path of the hips)",
    ]
    return lines


#: Data rows ``info`` reads from an export at a time (None: :func:`step2motion.io.moticon.iter_moticon`'s
#: default, 20,000): what it holds of the samples beyond their time stamps.
CHUNK_ROWS: int | None = None


def describe_recording(path: Path) -> list[str]:
    """Lines describing a Moticon export: timing, sides, channels and gaps.

    The export is read chunk by chunk and only what the lines need is kept: the time stamps (8 bytes a
    sample: the rate, duration and gaps come from them), each insole's count of missing samples and the
    extra columns' names; so memory does not grow with the recording but for its time column."""
    from step2motion.cli._recording_notes import notes
    from step2motion.io.moticon import iter_moticon
    from step2motion.recording import SIDES, covered_duration_s, median_rate_hz, time_gaps

    stream = iter_moticon(path) if CHUNK_ROWS is None else iter_moticon(path, CHUNK_ROWS)
    times: list[np.ndarray] = []
    missing = dict.fromkeys(SIDES, 0)
    first: dict[str, int] = {}  # each insole's first and last sample with data
    last: dict[str, int] = {}
    extra_columns: list[str] = []
    offset = 0
    for chunk in stream:
        times.append(chunk.time_s)
        for side in SIDES:
            has_data = np.flatnonzero(~chunk.foot(side).missing_mask())
            missing[side] += chunk.n_samples - has_data.size
            if has_data.size:
                first.setdefault(side, offset + int(has_data[0]))
                last[side] = offset + int(has_data[-1])
        offset += chunk.n_samples
        extra_columns = list(chunk.extra_columns)  # the column header's: the same in every chunk
    time_s = np.concatenate(times)
    del times
    n_samples = time_s.shape[0]
    data_ends_s = {side: (time_s[first[side]] - time_s[0], time_s[-1] - time_s[last[side]]) for side in first}
    lines = [
        f"Insole recording: {path}",
        f"  samples:       {n_samples} at {median_rate_hz(time_s):g} Hz = {covered_duration_s(time_s):.2f} s",
        f"  insole size:   {stream.insole_size if stream.insole_size is not None else 'not given'}",
    ]
    for side in SIDES:
        lines.append(f"  {side:5s} foot:    {missing[side]} of {n_samples} samples missing")
    empty_sides = [side for side in SIDES if missing[side] == n_samples]
    lines += [f"  note:          {note}" for note in notes(time_gaps(time_s), empty_sides, data_ends_s)]
    absent = stream.missing_channels
    if absent:
        lines.append(f"  absent columns: {len(absent)} ({', '.join(absent[:4])}, ...)")
    if extra_columns:
        lines.append(f"  extra columns: {', '.join(extra_columns)}")
    lines += [f"  {key}: {value}" for key, value in stream.metadata.items()]
    return lines


def describe_model(path: Path) -> list[str]:
    """Lines describing a model checkpoint from its header alone (no weights loaded)."""
    from step2motion.io.model_header import read_description

    description = read_description(path)
    config = description["model_config"]
    streams = [item["name"] for item in config.get("schema", [])]
    used = config.get("streams_used") or streams
    conditioning = config.get("denoiser", {}).get("conditioning", "cross_attention")
    lines = [
        f"Model checkpoint: {path}",
        f"  poses by:      {config.get('pose_model', 'diffusion')}, conditioned by {conditioning}",
        f"  window:        {config.get('window_frames')} frames at {config.get('frame_rate_hz')} Hz",
        f"  streams:       {', '.join(streams)}",
    ]
    if len(used) < len(streams):
        lines.append(f"  streams read:  {', '.join(used)}")
    lines += [f"  {key}: {json.dumps(value)}" for key, value in description.get("info", {}).items()]
    return lines


_DESCRIBERS = {"bvh": describe_bvh, "moticon": describe_recording, "model": describe_model}


def run(args: argparse.Namespace) -> int:
    table = skeleton_map_argument(args)
    kind = _file_kind(args.file)
    lines = describe_bvh(args.file, table) if kind == "bvh" else _DESCRIBERS[kind](args.file)
    print("\n".join(lines))
    return 0
