"""Speed on this machine: how fast a checkpoint reconstructs motion, streams it, and trains.

Prints the machine and model, then tables for each torch thread count asked for (default 1 and 2):

* offline reconstruction (:func:`step2motion.reconstruction.pipeline.reconstruct`, the whole pipeline:
  features, windowed DDIM sampling, world placement, skeleton fit, foot pinning) as seconds of motion per
  wall-clock second, median over ``--repeats`` runs, for 5/10/20 DDIM steps with one sample and for
  K = 4 samples at 10 steps;
* streaming (:class:`step2motion.reconstruction.streaming.StreamingReconstructor`) with pushes of
  ``--push-ms`` of raw samples: the algorithmic lookahead, the compute per push that commits frames
  (median, p90), and the latency of a newly committed frame = lookahead + compute (input buffering adds up
  to one push interval on top);
* training: seconds per optimiser step and windows per second of the training objective
  (:class:`step2motion.training.objective.TrainingObjective`: pose diffusion loss + root loss, backward,
  gradient clip, AdamW) for a fresh model of the checkpoint's architecture at the batch size and optimiser
  settings of ``--train-config``, on random z-scored batches (data loading is not included; the
  checkpoint's own record of its run, which includes it, is printed with the model);
* peak memory: the process's peak resident set size (``resource.getrusage`` ``ru_maxrss``: Python, torch
  and everything loaded so far, never decreasing) after each phase.

The machine may be shared: the load average printed with it says how busy it was.

    .venv/bin/python benchmarks/speed.py [--model M.safetensors] [--recording REC.txt] [--threads 1 2]
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import sys
import time
from dataclasses import dataclass, fields
from pathlib import Path

import numpy as np
import torch
from rich.console import Console
from rich.table import Table
from tqdm import tqdm

from step2motion.errors import InputError
from step2motion.io.moticon import read_moticon
from step2motion.model.checkpoint import (
    DEFAULT_MODEL_PATH,
    Checkpoint,
    load_checkpoint,
    model_path_or_default,
)
from step2motion.model.config import ModelConfig
from step2motion.model.denoiser import N_POSE_JOINTS
from step2motion.model.full_model import Step2MotionModel
from step2motion.model.root_displacement import ROOT_DISPLACEMENT_CHANNELS
from step2motion.reconstruction import ReconstructionOptions, StreamingReconstructor, reconstruct
from step2motion.recording import FootSignals, InsoleRecording
from step2motion.training.config import TrainConfig, load_train_config
from step2motion.training.data import Batch, sensor_dropout, sensor_group_masks
from step2motion.training.objective import TrainingObjective

REPO = Path(__file__).resolve().parent.parent
DEMO_RECORDING = REPO / "src" / "step2motion" / "data" / "demo" / "walk_insoles.txt"
#: Offline sampler settings measured: (DDIM steps, samples K).
SAMPLER_SETTINGS: tuple[tuple[int, int], ...] = ((5, 1), (10, 1), (20, 1), (10, 4))


def load_model(path: Path) -> Checkpoint:
    """The checkpoint at ``path``, or exit with a message saying how to get one."""
    try:
        return load_checkpoint(model_path_or_default(path))
    except InputError as error:
        sys.exit(str(error))


def machine_description() -> list[str]:
    """CPU model, cores, load, Python and torch versions."""
    cpuinfo = Path("/proc/cpuinfo")
    names = [
        line.split(":", 1)[1].strip()
        for line in (cpuinfo.read_text().splitlines() if cpuinfo.is_file() else [])
        if line.startswith("model name")
    ]
    cpu = names[0] if names else platform.processor() or platform.machine()
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "n/a"
    return [
        f"CPU: {cpu}; {os.cpu_count()} logical cores, {usable} usable by this process",
        f"load average (1, 5, 15 min) at start: {load}",
        f"Python {platform.python_version()}, torch {torch.__version__} "
        f"(default {torch.get_num_threads()} threads), {platform.system()} {platform.release()}",
    ]


def peak_rss_mib() -> float:
    """The process's peak resident set size so far (Linux reports KiB, macOS bytes)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 2**10


def offline_realtime_factor(
    rec: InsoleRecording, checkpoint: Checkpoint, steps: int, n_samples: int, repeats: int
) -> float:
    """Median over ``repeats`` runs of seconds of motion reconstructed per wall-clock second."""
    options = ReconstructionOptions(n_samples=n_samples, steps=steps)
    return float(np.median([reconstruct(rec, checkpoint, options).realtime_factor for _ in range(repeats)]))


def _rows(foot: FootSignals, rows: slice) -> FootSignals:
    return FootSignals(*(getattr(foot, f.name)[rows] for f in fields(FootSignals)))


@dataclass(frozen=True)
class StreamTiming:
    """One streamed recording: lookahead (s), compute of each push that committed frames (s), and the
    total compute of all pushes and the final flush (s)."""

    lookahead_s: float
    committing_push_s: np.ndarray
    total_compute_s: float


def stream_timing(rec: InsoleRecording, checkpoint: Checkpoint, push_samples: int) -> StreamTiming:
    """Stream ``rec`` through a :class:`StreamingReconstructor` in pushes of ``push_samples`` samples."""
    stream = StreamingReconstructor(checkpoint, rec.rate_hz)
    chunks = [
        stream.push(_rows(rec.left, rows), _rows(rec.right, rows))
        for rows in (slice(i, i + push_samples) for i in range(0, rec.n_samples, push_samples))
    ]
    chunks.append(stream.finish())
    committing = np.array([c.compute_s for c in chunks[:-1] if c.n_frames])
    return StreamTiming(stream.lookahead_s, committing, sum(c.compute_s for c in chunks))


def training_step_s(model_config: ModelConfig, train_config: TrainConfig, n_steps: int) -> np.ndarray:
    """Wall time (s) of ``n_steps`` optimiser steps of the training objective on random batches of
    ``train_config.batch_size`` windows (after one untimed warm-up step)."""
    torch.manual_seed(train_config.seed)
    model = Step2MotionModel(model_config).train()
    objective = TrainingObjective(model)
    optimizer = torch.optim.AdamW(
        model.parameters(), lr=train_config.lr, weight_decay=train_config.weight_decay
    )
    groups = sensor_group_masks(model_config.schema, train_config.sensor_groups)
    size, frames = train_config.batch_size, model_config.window_frames
    batch = Batch(
        condition=torch.randn(size, frames, model_config.schema.total_channels),
        recorded=torch.ones(size, model_config.schema.n_streams, dtype=torch.bool),
        poses=torch.randn(size, frames, N_POSE_JOINTS, 3),
        root_motion=torch.randn(size, frames, len(ROOT_DISPLACEMENT_CHANNELS)),
        frame_valid=torch.ones(size, frames, dtype=torch.bool),
    )
    rng = np.random.default_rng(train_config.seed)
    seconds = []
    for _ in range(n_steps + 1):
        started_s = time.perf_counter()
        mask = sensor_dropout(batch.recorded, groups, train_config.sensor_drop_prob, rng)
        loss = objective(batch, mask)["loss"]
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        if train_config.grad_clip_norm > 0:
            torch.nn.utils.clip_grad_norm_(model.parameters(), train_config.grad_clip_norm)
        optimizer.step()
        seconds.append(time.perf_counter() - started_s)
    return np.array(seconds[1:])


def _parameter_counts(checkpoint: Checkpoint) -> str:
    model = checkpoint.model
    parts = {name: sum(p.numel() for p in module.parameters()) for name, module in model.named_children()}
    listed = ", ".join(f"{name} {count / 1e6:.2f} M" for name, count in parts.items() if count)
    return f"{sum(p.numel() for p in model.parameters()) / 1e6:.2f} M parameters ({listed})"


def _model_description(path: Path, checkpoint: Checkpoint) -> list[str]:
    config, info = checkpoint.config, checkpoint.info
    lines = [
        f"model: {path}",
        f"  {_parameter_counts(checkpoint)}",
        f"  window {config.window_frames} frames at {config.frame_rate_hz:g} Hz; default sampler "
        f"{config.diffusion.sample_steps} DDIM steps, guidance {config.diffusion.guidance_scale:g}",
    ]
    if "windows_per_s" in info:
        lines.append(
            f"  its training run: step {info.get('step')} of {info.get('steps')}, "
            f"{info['windows_per_s']} windows/s including data loading, on {info.get('device')} with "
            f"{info.get('torch_threads')} torch threads, wall {info.get('wall_time_s')} s"
        )
    return lines


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--model", type=Path, default=DEFAULT_MODEL_PATH, help="checkpoint (.safetensors)")
    parser.add_argument("--recording", type=Path, default=DEMO_RECORDING, help="Moticon OpenGo export")
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2], help="torch thread counts")
    parser.add_argument("--repeats", type=int, default=3, help="offline runs per setting (median)")
    parser.add_argument("--push-ms", type=float, default=100.0, help="streaming push interval (ms)")
    parser.add_argument("--train-config", type=Path, default=REPO / "configs" / "default.json")
    parser.add_argument("--train-steps", type=int, default=5, help="timed training steps")
    args = parser.parse_args(argv)
    for name in ("threads", "repeats", "train_steps"):
        if min(np.atleast_1d(getattr(args, name))) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")

    checkpoint = load_model(args.model)
    train_config = load_train_config(args.train_config)
    recording = read_moticon(args.recording)
    push_samples = max(1, round(args.push_ms / 1000 * recording.rate_hz))
    console = Console(width=130)
    for line in [*machine_description(), *_model_description(args.model, checkpoint)]:
        console.print(line, highlight=False)
    console.print(
        f"recording: {args.recording} ({recording.duration_s:.2f} s at {recording.rate_hz:.0f} Hz)\n",
        highlight=False,
    )
    memory = [("model and recording loaded", peak_rss_mib())]

    offline = Table(
        title="Offline reconstruction", caption="seconds of motion per wall-clock second (higher: faster)"
    )
    offline.add_column("DDIM steps", justify="right")
    offline.add_column("samples K", justify="right")
    streaming = Table(
        title=f"Streaming, pushes of {args.push_ms:g} ms ({push_samples} samples), "
        f"{checkpoint.config.diffusion.sample_steps} DDIM steps",
        caption="latency of a committed frame = lookahead + compute of its push; "
        "buffering the input adds up to one push interval",
    )
    training = Table(
        title=f"Training objective, batch {train_config.batch_size} ({args.train_config.name})",
        caption=f"{args.train_steps} steps after a warm-up, random batches (no data loading)",
    )
    for column in ("torch threads", "lookahead ms", "compute/push median ms", "p90 ms"):
        streaming.add_column(column, justify="right")
    for column in ("latency median ms", "p90 ms", "stream s of motion / wall s"):
        streaming.add_column(column, justify="right")
    for column in ("torch threads", "s/step median", "min", "windows/s"):
        training.add_column(column, justify="right")

    rates: dict[int, list[float]] = {}
    bar = tqdm(total=len(args.threads) * (len(SAMPLER_SETTINGS) + 2), desc="measuring", unit="run")
    for threads in args.threads:
        torch.set_num_threads(threads)
        actual = torch.get_num_threads()
        offline.add_column(f"{actual} torch thread(s)", justify="right")
        reconstruct(recording, checkpoint, ReconstructionOptions(steps=1))  # warm-up, untimed
        rates[actual] = []
        for steps, k in SAMPLER_SETTINGS:
            rates[actual].append(offline_realtime_factor(recording, checkpoint, steps, k, args.repeats))
            bar.update()
        memory.append((f"offline reconstruction, {actual} thread(s)", peak_rss_mib()))
        timing = stream_timing(recording, checkpoint, push_samples)
        pushes = timing.committing_push_s
        streaming.add_row(
            str(actual),
            _ms(timing.lookahead_s),
            _ms(np.median(pushes)),
            _ms(np.percentile(pushes, 90)),
            _ms(timing.lookahead_s + np.median(pushes)),
            _ms(timing.lookahead_s + np.percentile(pushes, 90)),
            f"{recording.duration_s / timing.total_compute_s:.2f}",
        )
        memory.append((f"streaming, {actual} thread(s)", peak_rss_mib()))
        bar.update()
        step_s = training_step_s(checkpoint.config, train_config, args.train_steps)
        training.add_row(
            str(actual),
            f"{np.median(step_s):.3f}",
            f"{step_s.min():.3f}",
            f"{train_config.batch_size / np.median(step_s):.0f}",
        )
        memory.append((f"training steps, {actual} thread(s)", peak_rss_mib()))
        bar.update()
    bar.close()
    for index, (steps, k) in enumerate(SAMPLER_SETTINGS):
        offline.add_row(str(steps), str(k), *(f"{rates[t][index]:.2f}" for t in rates))

    peak = Table(title="Peak memory", caption="process peak resident set size so far (getrusage ru_maxrss)")
    peak.add_column("after")
    peak.add_column("MiB", justify="right")
    for phase, mib in memory:
        peak.add_row(phase, f"{mib:.0f}")
    for table in (offline, streaming, training, peak):
        console.print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
