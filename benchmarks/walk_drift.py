"""Where the test walks' root drift comes from: the angles that insoles cannot see.

``step2motion evaluate`` aligns each prediction once, on the truth's frame-0 root and hips' heading, so a
walk's drift (root end-point error per metre walked) is charged with whatever angle lies at frame 0 between
the hips and the direction walked. Three tables take that apart:

1. **Hips against the direction walked** (motion capture only, every walk clip of the corpus's split
   subjects; no model, no insoles): on frames where the root moves faster than ``MIN_SPEED_M_S``
   (direction of travel: the root's velocity averaged over ``TRAVEL_WINDOW_S``), the circular mean angle
   from the direction of travel to the hips' heading, and to the mean toe heading of the two insole chips
   (what insoles could read), per subject: mean and spread over its clips; and their correlation over all
   clips (below it: whether the feet tell the hips' angle).
2. **Drift of the test walks** (bundled model, the odometry root, ``--data``'s variant 0, as ``evaluate``):
   aligned on the frame-0 hips (``evaluate``'s ``root_drift_m_per_m``), on the first half metre walked
   (``root_drift_travel_aligned_m_per_m``), and aligned on the hips with the body told its subject's mean
   angle of table 1, from the subject's *other* walk clips (a what-if: turned by that angle,
   :func:`~step2motion.evaluation.motion_metrics.root_drift_turned_m_per_m`). Frame-weighted means, as
   ``evaluate``.
3. **Gyro heading bias** of the same walks: each foot's odometry heading against its chip in the capture
   on the still samples, a line fitted over time: its slope (deg/s) is the heading bias the odometry left
   in. The simulated chips have a constant bias (``GYRO_BIAS_DPS``, 1 σ per axis); the bias about the
   vertical is only estimated from a quiet standing run (:func:`~step2motion.odometry.strapdown.
   quiet_standing`), which corpus walks cut mid-walk do not have. Both feet's bias turns the pelvis path;
   a heading rate ``b`` over a walk of ``T`` seconds bends it by about ``b·T/2`` rad per metre at its end.

    .venv/bin/python benchmarks/walk_drift.py [--data out/sim_corpus] [--model M] [--corpus DIR]
"""

from __future__ import annotations

import argparse
import math
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.table import Table
from scipy.ndimage import uniform_filter1d
from tqdm import tqdm

from step2motion.evaluation.evaluate import CheckpointMethod, MethodSettings, select_clips, truth_at
from step2motion.evaluation.motion_metrics import (
    ClipMetrics,
    aggregate,
    root_drift_m_per_m,
    root_drift_travel_aligned_m_per_m,
    root_drift_turned_m_per_m,
    start_aligned,
)
from step2motion.evaluation.split import SPLIT_NAMES, load_split, subjects_of
from step2motion.heading import heading_rad
from step2motion.io.bvh import read_bvh
from step2motion.io.corpus import corpus_entries, read_corpus_motion
from step2motion.io.moticon import read_moticon
from step2motion.model.checkpoint import DEFAULT_MODEL_PATH
from step2motion.motion import Motion
from step2motion.odometry.strapdown import track_foot
from step2motion.recording import SIDES, InsoleRecording
from step2motion.simulation.imu import chip_heading_rad, chip_world_poses
from step2motion.simulation.sensor_model import GYRO_BIAS_DPS
from step2motion.simulation.simulate import motion_at_rate

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "data" / "mocap"
RATE_HZ = 100.0
STYLE = "walk"
#: Frames count as walking when the root's averaged horizontal speed exceeds this, m/s.
MIN_SPEED_M_S = 0.5
#: The direction of travel: the root's horizontal velocity averaged over this (about a gait cycle), s.
TRAVEL_WINDOW_S = 1.0
#: Clips with fewer walking frames than this are left out of table 1, s.
MIN_WALKING_S = 1.0
#: Table 2's drift columns: aligned on the frame-0 hips, on the first half metre walked, and on the hips
#: with the body told its subject's mean angle (module docstring).
DRIFT_COLUMNS = ("frame-0 hips", "first 0.5 m", "hips + subject's angle")


def _wrap(angle_rad: np.ndarray | float) -> np.ndarray:
    return (np.asarray(angle_rad) + np.pi) % (2 * np.pi) - np.pi


def _circular_mean(angle_rad: np.ndarray) -> float:
    return float(np.angle(np.mean(np.exp(1j * angle_rad))))


def angles_to_travel_deg(motion: Motion) -> tuple[float, float] | None:
    """Circular mean angle (deg, yaw about +Y) from the direction of travel to the hips' heading and to
    the chips' mean toe heading over the walking frames of ``motion`` at :data:`RATE_HZ`; None when it
    walks less than :data:`MIN_WALKING_S`."""
    positions = motion.joint_positions_m()
    window = round(TRAVEL_WINDOW_S * motion.fps)
    velocity = np.gradient(positions[:, 0, [0, 2]], 1.0 / motion.fps, axis=0)
    velocity = uniform_filter1d(velocity, window, axis=0, mode="nearest")
    walking = np.linalg.norm(velocity, axis=1) > MIN_SPEED_M_S
    if walking.sum() < MIN_WALKING_S * motion.fps:
        return None
    travel = np.arctan2(velocity[:, 0], velocity[:, 1])  # the yaw that turns +Z onto it
    toes = [chip_world_poses(motion, side)[1][:, :, 0] for side in SIDES]  # toe axes, Y up
    toe_mean = np.angle(sum(np.exp(1j * np.arctan2(t[:, 0], t[:, 2])) for t in toes))
    hips = heading_rad(positions)
    return tuple(  # type: ignore[return-value]
        math.degrees(_circular_mean(_wrap(angle[walking] - travel[walking]))) for angle in (hips, toe_mean)
    )


def corpus_angles(corpus: Path) -> dict[str, dict[str, tuple[float, float]]]:
    """Table 1's angles (hips, toes; deg) of every walk clip of the split's subjects, by subject and clip."""
    split = load_split()
    subjects = {s for name in SPLIT_NAMES for s in subjects_of(split, name)}
    out: dict[str, dict[str, tuple[float, float]]] = defaultdict(dict)
    entries = [e for e in corpus_entries(corpus) if e.style == STYLE and e.subject in subjects]
    for entry in tqdm(entries, desc="walk clips (motion capture)", leave=False):
        angles = angles_to_travel_deg(motion_at_rate(read_corpus_motion(corpus, entry), RATE_HZ))
        if angles is not None:
            out[entry.subject][Path(entry.path).stem] = angles
    return out


def heading_rate_dps(rec: InsoleRecording, motion: Motion) -> list[float]:
    """Per foot, the slope (deg/s) of ``rec``'s odometry heading minus the capture chip's heading (the
    simulated recording's ``motion``) over the still samples (NaN with fewer than 10)."""
    motion = motion_at_rate(motion, RATE_HZ)
    rates = []
    for side in SIDES:
        track = track_foot(rec, side)
        axes = chip_world_poses(motion, side)[1]
        n = min(len(axes), track.time_s.size)
        true_yaw = chip_heading_rad(axes[:n])
        still = track.still[:n] & np.isfinite(track.heading_rad[:n])
        if still.sum() < 10:
            rates.append(math.nan)
            continue
        error = np.unwrap(track.heading_rad[:n][still] - true_yaw[still])
        rates.append(math.degrees(np.polyfit(track.time_s[:n][still], error, 1)[0]))
    return rates


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=Path("out/sim_corpus"), help="simulated paired corpus")
    parser.add_argument("--model", type=Path, default=DEFAULT_MODEL_PATH, help="checkpoint (bundled)")
    parser.add_argument("--corpus", type=Path, default=CORPUS, help="motion capture corpus (table 1)")
    args = parser.parse_args(argv)
    console = Console(width=max(Console().width, 120))
    if not (args.corpus / "MANIFEST.csv").is_file() or not (args.data / "index.csv").is_file():
        console.print(
            f"needs the corpus ({args.corpus}) and its simulation ({args.data}: "
            "step2motion simulate-corpus ../shared/data/mocap -o out/sim_corpus --variants 4)"
        )
        return 2

    angles = corpus_angles(args.corpus)
    table = Table(title="1. Angle from the direction walked, motion capture (deg; mean ± sd over clips)")
    for column in ("subject", "walk clips", "hips", "toes (mean of both chips)"):
        table.add_column(column, justify="right")
    for subject in sorted(angles, key=lambda s: (not s.isdigit(), s.zfill(4))):
        values = np.array(list(angles[subject].values()))
        sd = values.std(axis=0) if len(values) > 1 else np.full(2, math.nan)
        table.add_row(
            subject, str(len(values)), *(f"{values[:, i].mean():+.1f} ± {sd[i]:.1f}" for i in (0, 1))
        )
    every = np.array([a for clips in angles.values() for a in clips.values()])
    table.caption = f"correlation of the hips' angle with the toes' over {len(every)} clips: " + (
        f"{np.corrcoef(every[:, 0], every[:, 1])[0, 1]:+.2f}"
    )
    console.print(table)

    method = CheckpointMethod(MethodSettings(model_path=args.model))
    clips = [c for c in select_clips(args.data, load_split(), "test") if c.entry.style == STYLE]
    rows = []
    for clip in tqdm(clips, desc="test walks", leave=False):
        entry = clip.entry
        rec, motion = read_moticon(entry.recording_path), read_bvh(entry.motion_path)
        output = method(rec)
        true_m = truth_at(motion, entry, output.time_s, output.fps)
        pred_m = start_aligned(output.positions_m, output.positions_m, true_m)
        others = [a[0] for stem, a in angles.get(entry.subject, {}).items() if stem != Path(entry.name).stem]
        told = (
            root_drift_turned_m_per_m(pred_m, true_m, -math.radians(float(np.mean(others))))
            if others
            else math.nan
        )
        drift = (root_drift_m_per_m(pred_m, true_m), root_drift_travel_aligned_m_per_m(pred_m, true_m), told)
        metrics = ClipMetrics(STYLE, len(true_m), dict(zip(DRIFT_COLUMNS, drift, strict=True)))
        rows.append((entry, metrics, heading_rate_dps(rec, motion), output.time_s[-1] - output.time_s[0]))

    table = Table(title="2-3. Test walks: drift (m per m walked) by alignment; heading bias left in (deg/s)")
    for column in ("clip", "s", *DRIFT_COLUMNS, "bias L", "R", "L+R / 2"):
        table.add_column(column, justify="right")
    for entry, metrics, rates, seconds in rows:
        both = np.nanmean(rates) if np.isfinite(rates).any() else math.nan
        table.add_row(
            Path(entry.name).with_suffix("").as_posix(), f"{seconds:.1f}",
            *(f"{metrics.metrics[c]:.3f}" for c in DRIFT_COLUMNS), *(f"{r:+.2f}" for r in (*rates, both)),
        )  # fmt: skip
    rates = np.array([r for _, _, r, _ in rows], dtype=float)
    sizes = (*np.nanmean(np.abs(rates), axis=0), np.nanmean(np.abs(np.nanmean(rates, axis=1))))
    told = [metrics for _, metrics, _, _ in rows if math.isfinite(metrics.metrics[DRIFT_COLUMNS[2]])]
    for label, subset, bias in (
        ("all (frame-weighted)", [metrics for _, metrics, _, _ in rows], sizes),
        ("told an angle", told, ()),
    ):
        means = aggregate(subset)
        table.add_row(
            label, "", *(f"[bold]{means[c]:.3f}" for c in DRIFT_COLUMNS), *(f"|{v:.2f}|" for v in bias)
        )
    table.caption = (
        "bias: |mean size| in the first summary row; the simulated gyro bias is "
        f"{GYRO_BIAS_DPS} deg/s (1 σ per axis); 'told an angle': the walks whose subject has other walk clips"
    )
    console.print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
