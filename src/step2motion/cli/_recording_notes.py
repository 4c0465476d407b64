"""One-line notes on what an insole recording lacks, listed by ``info`` and (on stderr) by ``reconstruct``.

Why: a recording with rows missing from its time axis, or with one insole empty, still reconstructs, but
there the motion comes from less measurement (or none), and the user should not have to guess that.
"""

from __future__ import annotations

import numpy as np

from step2motion.recording import REPORTED_GAP_S, SIDES, InsoleRecording


def recording_notes(rec: InsoleRecording) -> list[str]:
    """Notes on gaps in the time axis (kept as missing, never closed up) and on an empty insole."""
    notes = []
    gaps = rec.time_gaps()
    if gaps.size:
        start_s, length_s = gaps[np.argmax(gaps[:, 1])]
        notes.append(
            f"{len(gaps)} gap(s) in the time column longer than {REPORTED_GAP_S:g} s, "
            f"{gaps[:, 1].sum():.2f} s in all (longest {length_s:.2f} s from {start_s:.2f} s): "
            "kept as missing samples"
        )
    empty = [side for side in SIDES if rec.foot(side).missing_mask().all()]
    if len(empty) == 1:
        other = next(side for side in SIDES if side not in empty)
        notes.append(f"the {empty[0]} insole has no data: the motion comes from the {other} foot alone")
    return notes
