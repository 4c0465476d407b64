"""Foot odometry against motion capture (simulated insoles) and against the real exports' own step events.

**Simulated** (needs the corpus): every walk and turn clip of the split's test subjects is simulated
(70 kg, size 7, 100 Hz, ``--noise``, seed 0) and each foot is tracked
(:func:`step2motion.odometry.strapdown.track_foot`). Each detected stride is compared with the motion
capture's own chip (:func:`step2motion.simulation.imu.chip_world_poses`) between the *same* two samples:

* stride length: horizontal distance; relative error (strides with a true length under 0.2 m, turning on
  the spot, are left out of the relative error);
* heading change: change of the chip's toe-axis yaw, degrees (the error taken modulo a turn);
* clearance: highest rise of the chip above its height at the stride's start ("vs start", the
  definition of the ``gait`` report), and above the straight line between the chip's heights at the two
  still moments ("vs floor line"; CMU capture floors are not level: stance heights drift by centimetres
  along a walk, which the odometry, assuming a level floor, cannot see).

**Peak rotation rate** (needs the corpus): every clip of the training subjects, of every style, simulated the
same way; each detected stride's absolute length error (m) against the peak angular rate of that foot's gyro
over the stride, binned. Above :data:`~step2motion.reconstruction.odometry_root.MAX_TRUSTED_GYRO_DPS` (a kick,
a spin) the reconstruction does not trust the track: this table is where that limit comes from.

**Stance width** (needs the corpus): how far apart the two chips are across the mocap hips' heading on every
frame of each split's walk clips (median, p10, p90), against the nominal width the odometry sets the feet
apart by (:data:`~step2motion.odometry.both_feet.STANCE_WIDTH_M`, the training median), which insoles cannot
measure.

**Real exports** (no motion capture; default: both exports in ``../shared/data/insoles_real``): distance
walked per foot (sum of stride lengths) and their ratio, strides and cadence per foot against the heel
strikes of the exporter's step events (strides = heel strikes − 1; cadence = 120 / median time between
a foot's heel strikes). Steady strides (between two still runs that are not standing at an end of the
track) are what step events count; the strides out of and into standing are counted apart.

    .venv/bin/python benchmarks/foot_odometry.py [--noise realistic|none] [--real REC.txt ...]
"""

from __future__ import annotations

import argparse
import itertools
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.table import Table

from step2motion import gait_events
from step2motion.evaluation.split import SPLIT_NAMES, load_split, subjects_of
from step2motion.heading import heading_rad
from step2motion.io.corpus import corpus_entries, read_corpus_motion
from step2motion.io.moticon import read_moticon, read_step_events
from step2motion.motion import Motion
from step2motion.odometry.both_feet import STANCE_WIDTH_M, track_feet
from step2motion.odometry.strapdown import track_foot
from step2motion.odometry.strides import Stride, foot_strides
from step2motion.reconstruction.odometry_root import MAX_TRUSTED_GYRO_DPS
from step2motion.recording import SIDES
from step2motion.simulation.imu import chip_heading_rad, chip_world_poses
from step2motion.simulation.simulate import motion_at_rate, simulate_recording

SHARED = Path(__file__).resolve().parents[2] / "shared"
CORPUS = SHARED / "data" / "mocap"
REAL = sorted((SHARED / "data" / "insoles_real").glob("*/*.txt"))
RATE_HZ = 100.0
STYLES = ("walk", "turn")
MIN_TRUE_LENGTH_M = 0.2


@dataclass(frozen=True)
class StrideErrors:
    """Errors of the strides of one foot of one clip, one entry per stride."""

    length_relative: np.ndarray
    length_m: np.ndarray
    heading_deg: np.ndarray
    clearance_vs_start_m: np.ndarray
    clearance_vs_floor_line_m: np.ndarray


def stride_errors(strides: list[Stride], motion_at_samples: Motion, side: str) -> StrideErrors:
    """Errors of ``strides`` against the chip of ``motion_at_samples`` (one frame per recording sample)."""
    position, axes = chip_world_poses(motion_at_samples, side)  # Y up
    yaw = chip_heading_rad(axes)
    length, length_m, heading, vs_start, vs_line = [], [], [], [], []
    for s in strides:
        a, b = s.start_index, s.end_index
        true_length = float(np.hypot(*(position[b, [0, 2]] - position[a, [0, 2]])))
        height = position[a : b + 1, 1]
        floor_line = np.linspace(height[0], height[-1], len(height))
        length.append(
            (s.length_m - true_length) / true_length if true_length >= MIN_TRUE_LENGTH_M else np.nan
        )
        length_m.append(s.length_m - true_length)
        # modulo a turn: the capture's toe yaw is undefined, and unwrapping jumps by 360°, while the toe
        # points straight down at a fast toe-off; no stride turns half a turn
        heading.append((s.heading_change_deg - np.degrees(yaw[b] - yaw[a]) + 180.0) % 360.0 - 180.0)
        vs_start.append(s.clearance_m - (height.max() - height[0]))
        vs_line.append(s.clearance_m - (height - floor_line).max())
    return StrideErrors(
        *(np.array(values, dtype=float) for values in (length, length_m, heading, vs_start, vs_line))
    )


def simulated_errors(noise: str) -> tuple[StrideErrors, int]:
    """Pooled stride errors over the test subjects' walk and turn clips, and the number of clips."""
    test_subjects = set(load_split().test)
    entries = [e for e in corpus_entries(CORPUS) if e.subject in test_subjects and e.style in STYLES]
    pooled = []
    for entry in entries:
        motion = read_corpus_motion(CORPUS, entry)
        rec = simulate_recording(motion, noise=noise, seed=0)
        truth = motion_at_rate(motion, RATE_HZ)
        pooled.extend(stride_errors(foot_strides(track_foot(rec, side)), truth, side) for side in SIDES)
    return StrideErrors(
        *(np.concatenate(column) for column in zip(*(vars(e).values() for e in pooled), strict=False))
    ), len(entries)


def _abs_stats(values: np.ndarray, scale: float) -> str:
    values = np.abs(values[np.isfinite(values)]) * scale
    return f"{np.median(values):.2f} / {np.percentile(values, 90):.2f}" if values.size else "–"


def simulated_table(errors: StrideErrors, n_clips: int, noise: str) -> Table:
    table = Table(
        title=f"Foot odometry vs motion capture: test subjects' walk + turn clips ({n_clips}), noise {noise}",
        caption="median / p90 of the absolute error per stride",
    )
    table.add_column("quantity")
    table.add_column("strides", justify="right")
    table.add_column("error (median / p90)", justify="right")
    table.add_column("target (median)", justify="right")
    table.add_row(
        "stride length, %",
        str(int(np.isfinite(errors.length_relative).sum())),
        _abs_stats(errors.length_relative, 100.0),
        "≤ 2 (p90 ≤ 5)",
    )
    table.add_row(
        "heading change, deg", str(errors.heading_deg.size), _abs_stats(errors.heading_deg, 1.0), "≤ 3"
    )
    table.add_row(
        "clearance vs start, cm",
        str(errors.clearance_vs_start_m.size),
        _abs_stats(errors.clearance_vs_start_m, 100.0),
        "≤ 1.5",
    )
    table.add_row(
        "clearance vs floor line, cm",
        str(errors.clearance_vs_floor_line_m.size),
        _abs_stats(errors.clearance_vs_floor_line_m, 100.0),
        "",
    )
    return table


#: Peak rotation rate bins of the rotation-rate table, deg/s (the last bin is open).
RATE_BINS_DPS = (0.0, 500.0, 1000.0, MAX_TRUSTED_GYRO_DPS)


def rotation_rate_table(noise: str) -> Table:
    """Stride length error by the foot's peak rotation rate over the stride (module docstring)."""
    train_subjects = set(load_split().train)
    errors, peaks, styles = [], [], []
    for entry in (e for e in corpus_entries(CORPUS) if e.subject in train_subjects):
        motion = read_corpus_motion(CORPUS, entry)
        rec = simulate_recording(motion, noise=noise, seed=0)
        truth = motion_at_rate(motion, RATE_HZ)
        for side in SIDES:
            strides = foot_strides(track_foot(rec, side))
            rate_dps = np.linalg.norm(np.nan_to_num(rec.foot(side).gyro_dps), axis=1)
            errors.append(stride_errors(strides, truth, side).length_m)
            peaks.append([rate_dps[s.start_index : s.end_index + 1].max() for s in strides])
            styles.extend([entry.style] * len(strides))
    error_m, peak_dps, style = np.abs(np.concatenate(errors)), np.concatenate(peaks), np.array(styles)
    table = Table(
        title=f"Stride length error by the foot's peak rotation rate: training subjects, noise {noise}",
        caption=f"the reconstruction cuts the track above {MAX_TRUSTED_GYRO_DPS:.0f} deg/s",
    )
    for column in ("peak rate, deg/s", "strides", "median m", "p90 m", "largest m", "styles"):
        table.add_column(column, justify="right")
    edges = (*RATE_BINS_DPS, np.inf)
    for low, high in itertools.pairwise(edges):
        inside = (peak_dps >= low) & (peak_dps < high)
        label = f"{low:.0f}-{high:.0f}" if np.isfinite(high) else f"≥ {low:.0f}"
        values = error_m[inside]
        table.add_row(
            label,
            str(values.size),
            *(
                (f"{np.median(values):.2f}", f"{np.percentile(values, 90):.2f}", f"{values.max():.2f}")
                if values.size
                else ("–",) * 3
            ),
            ", ".join(sorted(set(style[inside]))),
        )
    return table


def stance_width_table() -> Table:
    """The chips' separation across the hips' heading on each split's walks (module docstring)."""
    split = load_split()
    table = Table(
        title="Stance width: the chips' distance across the hips' heading on walks (mocap)",
        caption=f"the odometry sets the feet {STANCE_WIDTH_M:.2f} m apart (the training median)",
    )
    for column in ("split", "clips", "median m", "p10 m", "p90 m"):
        table.add_column(column, justify="right")
    entries = [e for e in corpus_entries(CORPUS) if e.style == "walk"]
    for name in SPLIT_NAMES:
        subjects = set(subjects_of(split, name))
        widths = []
        for entry in (e for e in entries if e.subject in subjects):
            motion = read_corpus_motion(CORPUS, entry)
            (left, _), (right, _) = (chip_world_poses(motion, side) for side in SIDES)
            heading = heading_rad(motion.joint_positions_m())
            to_right = np.stack([-np.cos(heading), np.zeros_like(heading), np.sin(heading)], axis=1)
            widths.append(np.sum((right - left) * to_right, axis=1))
        if widths:
            w = np.concatenate(widths)
            table.add_row(name, str(len(widths)), *(f"{np.percentile(w, q):.3f}" for q in (50, 10, 90)))
    return table


def real_table(paths: list[Path]) -> Table:
    table = Table(title="Foot odometry on real exports (no motion capture)")
    for column in ("export", "foot", "distance m", "L/R distance", "strides (events)", "cadence (events)"):
        table.add_column(column, justify="right")
    table.caption = (
        "strides: steady + to/from standing (heel strikes - 1 in the step events); cadence: 120 / median "
        "steady stride time, steps/min (events: 120 / median time between heel strikes)"
    )
    for path in paths:
        rec = read_moticon(path)
        feet = track_feet(rec)
        events = read_step_events(rec)
        distances = {}
        for side in SIDES:
            stance = gait_events.detect_stance(rec.foot(side).total_force_n, rec.rate_hz)
            strides = foot_strides(feet.foot(side), stance)
            distances[side] = sum(s.length_m for s in strides)
            steady = [s for s in strides if s.steady]
            strikes = events[side]["heel_strike_s"]
            cadence = 120.0 / np.median([s.duration_s for s in steady]) if steady else np.nan
            event_cadence = 120.0 / np.median(np.diff(strikes)) if len(strikes) > 1 else np.nan
            ratio = distances["left"] / distances["right"] if side == "right" and distances["right"] else None
            table.add_row(
                path.name if side == "left" else "",
                side,
                f"{distances[side]:.2f}",
                "" if ratio is None else f"{ratio:.3f}",
                f"{len(steady)} + {len(strides) - len(steady)} ({max(len(strikes) - 1, 0)})",
                f"{cadence:.1f} ({event_cadence:.1f})",
            )
    return table


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--noise", choices=("realistic", "none"), default="realistic")
    parser.add_argument("--real", type=Path, nargs="*", default=REAL, metavar="REC")
    args = parser.parse_args(argv)
    console = Console()
    if CORPUS.is_dir():
        errors, n_clips = simulated_errors(args.noise)
        console.print(simulated_table(errors, n_clips, args.noise))
        console.print(rotation_rate_table(args.noise))
        console.print(stance_width_table())
    else:
        console.print(f"{CORPUS} not present: simulated comparison skipped")
    if args.real:
        console.print(real_table(args.real))
    return 0


if __name__ == "__main__":
    sys.exit(main())
