"""Strides of one foot from its odometry: from one foot-flat (still) moment to the next.

A stride starts at the middle of one still run and ends at the middle of the next still run of the same
track segment, so its duration is one gait cycle and its length is what the foot travelled in it:

* ``length_m``: horizontal distance between the foot's two still positions;
* ``heading_change_deg``: signed change of the toe axis' yaw between the two still runs (mean over each
  run), counter-clockwise (a left turn) positive;
* ``clearance_m``: the highest rise of the insole's mid-foot chip during the stride above its height at
  the stride's start;
* ``stance_s`` / ``swing_s``: time the foot spends loaded (the pressure stance of
  :func:`step2motion.gait_events.detect_stance`) / unloaded within the stride; ``NaN`` without force data;
* ``steady``: both still runs are bounded by swings (neither is the standing at the start or end of a
  track) and it lasts at most :data:`~step2motion.gait_events.MAX_STRIDE_S`: a gait cycle from one heel
  strike's foot-flat to the next, as step events count strides. The first step out of standing and the
  last one into it are strides too, but not steady ones; nor is a longer one, which holds several cycles
  whose still moments were missed (running) or a long stretch without one (a foot off the floor): its
  length is what the foot travelled, but not one stride's.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

from step2motion.gait_events import MAX_STRIDE_S, runs
from step2motion.odometry.strapdown import FootTrack


@dataclass(frozen=True)
class Stride:
    """One stride of one foot (module docstring); indices are samples of the recording, times in its axis."""

    start_index: int
    end_index: int
    start_s: float
    end_s: float
    length_m: float
    heading_change_deg: float
    clearance_m: float
    stance_s: float
    swing_s: float
    steady: bool

    @property
    def duration_s(self) -> float:
        return self.end_s - self.start_s


def still_runs(track: FootTrack) -> list[tuple[int, int, int]]:
    """``(start, stop, segment)`` of every still run on a tracked sample, in time order (stop exclusive)."""
    return [
        (int(start), int(stop), int(track.segment[start]))
        for start, stop, value in zip(*runs(track.still & track.tracked), strict=True)
        if value
    ]


def foot_strides(track: FootTrack, stance: np.ndarray | None = None) -> list[Stride]:
    """Every stride of ``track`` (consecutive still runs of one segment); ``stance`` ``[T]`` bool is the
    pressure stance of the same foot (for stance and swing times), ``None`` when there is no force."""
    out = []
    still = still_runs(track)
    # where a segment (or an untracked stretch) starts or stops: a still run there is standing at an end
    edges = set(np.flatnonzero(np.diff(track.segment, prepend=-2, append=-2)).tolist())
    for (a0, a1, seg_a), (b0, b1, seg_b) in itertools.pairwise(still):
        if seg_a != seg_b:
            continue
        start, end = (a0 + a1 - 1) // 2, (b0 + b1 - 1) // 2
        duration_s = float(track.time_s[end] - track.time_s[start])
        travel = track.position_m[end, :2] - track.position_m[start, :2]
        turn = np.mean(track.heading_rad[b0:b1]) - np.mean(track.heading_rad[a0:a1])
        height = track.position_m[start : end + 1, 2]
        if stance is None:
            stance_s = swing_s = float("nan")
        else:
            loaded = np.asarray(stance[start:end], dtype=bool)
            stance_s = float(np.sum(np.diff(track.time_s[start : end + 1])[loaded]))
            swing_s = duration_s - stance_s
        out.append(
            Stride(
                start_index=start,
                end_index=end,
                start_s=float(track.time_s[start]),
                end_s=float(track.time_s[end]),
                length_m=float(np.hypot(*travel)),
                heading_change_deg=float(np.degrees(turn)),
                clearance_m=float(height.max() - height[0]),
                stance_s=stance_s,
                swing_s=swing_s,
                steady=a0 not in edges and b1 not in edges and duration_s <= MAX_STRIDE_S,
            )
        )
    return out
