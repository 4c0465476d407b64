"""One-line notes on what an insole recording lacks, listed by ``info`` and (on stderr) by ``reconstruct``.

Why: a recording with rows missing from its time axis, or with one insole empty, still reconstructs, but
there the motion comes from less measurement (or none), and the user should not have to guess that. The
same holds for the stretches where the feet's odometry could not place the body
(:func:`root_notes`, after a reconstruction).

:func:`notes` words them from the facts alone (the gaps, the empty insoles), so that ``info``, which reads
an export chunk by chunk and never holds it whole, words them as :func:`recording_notes` does for a
recording in memory.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

import numpy as np

from step2motion.recording import REPORTED_GAP_S, SIDES, InsoleRecording, median_step_s


def recording_notes(rec: InsoleRecording) -> list[str]:
    """Notes on gaps in the time axis (kept as missing, never closed up), on an empty insole and on an
    insole whose data starts late or stops early."""
    spans = {}
    for side in SIDES:
        has_data = ~rec.foot(side).missing_mask()
        if has_data.any():
            first, last = int(np.argmax(has_data)), rec.n_samples - 1 - int(np.argmax(has_data[::-1]))
            spans[side] = (float(rec.time_s[first] - rec.time_s[0]), float(rec.time_s[-1] - rec.time_s[last]))
    return notes(rec.time_gaps(), [side for side in SIDES if side not in spans], spans)


def notes(
    gaps: np.ndarray,
    empty_sides: Collection[str],
    data_ends_s: Mapping[str, tuple[float, float]],
) -> list[str]:
    """The notes for a recording whose time gaps are ``gaps`` (``[n, 2]`` (start, length) in seconds, as
    :meth:`InsoleRecording.time_gaps` gives them), whose insoles ``empty_sides`` have no sample at all and
    whose other insoles' data (``data_ends_s``: side → seconds from the recording's first sample to the
    insole's first sample with data, and from its last such sample to the recording's last) starts or stops
    at least :data:`REPORTED_GAP_S` away from the recording's ends (real exports: one insole often starts
    streaming half a second after the other)."""
    lines = []
    if gaps.size:
        start_s, length_s = gaps[np.argmax(gaps[:, 1])]
        lines.append(
            f"{len(gaps)} gap(s) in the time column longer than {REPORTED_GAP_S:g} s, "
            f"{gaps[:, 1].sum():.2f} s in all (longest {length_s:.2f} s from {start_s:.2f} s): "
            "kept as missing samples"
        )
    empty = [side for side in SIDES if side in empty_sides]
    if len(empty) == 1:
        other = next(side for side in SIDES if side not in empty)
        lines.append(f"the {empty[0]} insole has no data: the motion comes from the {other} foot alone")
    wordings = (
        ("starts {:.2f} s after the recording's first row", "until then"),
        ("stops {:.2f} s before the recording's last row", "from then on"),
    )
    for index, (edge, when) in enumerate(wordings):
        for side in SIDES:
            if side in data_ends_s and data_ends_s[side][index] >= REPORTED_GAP_S:
                other = next(o for o in SIDES if o != side)
                source = (
                    "no insole has data"
                    if other in empty_sides
                    else f"the motion comes from the {other} insole alone (where it has data)"
                )
                edge_s = edge.format(data_ends_s[side][index])
                lines.append(f"the {side} insole's data {edge_s}: {when} {source}")
    return lines


def root_notes(odometry_root: np.ndarray, time_s: np.ndarray, root: str) -> list[str]:
    """The note on where the root network, not the feet's odometry, placed the body of a reconstruction
    asked for ``root="odometry"``: ``odometry_root`` ``[T]`` (bool) marks the frames at ``time_s`` ``[T]``
    (s) that the odometry placed."""
    from step2motion.gait_events import runs  # here: ``info`` words the other notes without scipy.ndimage

    if root != "odometry" or odometry_root.all() or not odometry_root.size:
        return []
    if not odometry_root.any():
        return [
            "no trusted foot odometry (it needs both insoles' IMUs, feet that stand still between steps "
            "and travel a metre or more): the root network's moves place the body throughout, as with "
            "--root network"
        ]
    step_s = median_step_s(time_s) if time_s.size > 1 else 0.0
    starts, stops, placed = runs(odometry_root)
    starts, lengths_s = starts[~placed], (stops - starts)[~placed] * step_s
    longest = int(np.argmax(lengths_s))
    return [
        f"the feet's odometry places the body on {100 * odometry_root.mean():.0f} % of the frames; the "
        f"root network's moves carry it over {starts.size} stretch(es), {lengths_s.sum():.1f} s in all "
        f"(longest {lengths_s[longest]:.1f} s from {time_s[starts[longest]]:.1f} s): there a foot moves for "
        "over 2 s without standing still, or the feet do not travel far enough to be tracked together"
    ]
