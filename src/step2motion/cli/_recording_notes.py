"""One-line notes on what an insole recording lacks, listed by ``info`` and (on stderr) by ``reconstruct``.

Why: a recording with rows missing from its time axis, or with one insole empty, still reconstructs, but
there the motion comes from less measurement (or none), and the user should not have to guess that.

:func:`notes` words them from the facts alone (the gaps, the empty insoles), so that ``info``, which reads
an export chunk by chunk and never holds it whole, words them as :func:`recording_notes` does for a
recording in memory.
"""

from __future__ import annotations

from collections.abc import Collection

import numpy as np

from step2motion.recording import REPORTED_GAP_S, SIDES, InsoleRecording


def recording_notes(rec: InsoleRecording) -> list[str]:
    """Notes on gaps in the time axis (kept as missing, never closed up) and on an empty insole."""
    return notes(rec.time_gaps(), [side for side in SIDES if rec.foot(side).missing_mask().all()])


def notes(gaps: np.ndarray, empty_sides: Collection[str]) -> list[str]:
    """The notes for a recording whose time gaps are ``gaps`` (``[n, 2]`` (start, length) in seconds, as
    :meth:`InsoleRecording.time_gaps` gives them) and whose insoles ``empty_sides`` have no sample at all."""
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
    return lines
