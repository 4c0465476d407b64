"""Streaming reconstruction: committed frames after a fixed lookahead, the offline frame count, latency."""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass

import numpy as np
import pytest
from motion_fixtures import walking_motion
from test_odometry_feet import FPS, GAIT, OraclePredictor
from test_reconstruction import _one_torch_thread, simulated_walk, tiny_checkpoint  # noqa: F401 (fixture)

from step2motion import skeleton
from step2motion.dataset.insole_features import InsoleFeatures
from step2motion.dataset.pose_features import pose_targets
from step2motion.errors import InputError
from step2motion.model.checkpoint import Checkpoint, load_checkpoint
from step2motion.reconstruction import ReconstructionOptions, StreamingReconstructor, reconstruct
from step2motion.reconstruction.pipeline import resample_frames
from step2motion.reconstruction.windowed_sampling import Condition
from step2motion.recording import FootSignals, InsoleRecording
from step2motion.simulation.simulate import simulate_recording

PUSH_SAMPLES = 10  # 0.1 s at 100 Hz


@pytest.fixture(scope="module")
def walk() -> InsoleRecording:
    return simulated_walk()[0]


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Checkpoint:
    return load_checkpoint(
        tiny_checkpoint(tmp_path_factory.mktemp("model") / "tiny.safetensors", simulated_walk()[1])
    )


def test_stream_commits_after_the_lookahead_and_ends_with_the_offline_frames(
    walk: InsoleRecording, checkpoint: Checkpoint
) -> None:
    stream = StreamingReconstructor(checkpoint, walk.rate_hz, steps=4, seed=0)
    assert stream.lookahead_s == pytest.approx(3 / 30)
    chunks, compute_s, committed = [], [], 0
    for first in range(0, walk.n_samples, PUSH_SAMPLES):
        rows = slice(first, first + PUSH_SAMPLES)
        started = time.perf_counter()
        chunk = stream.push(walk.left.take(rows), walk.right.take(rows))
        compute_s.append(time.perf_counter() - started)
        committed += chunk.n_frames
        newest_s = (min(first + PUSH_SAMPLES, walk.n_samples) - 1) / walk.rate_hz
        frames_seen = int(np.floor(newest_s * 30.0 + 1e-9)) + 1  # model frames at or before the newest sample
        assert committed == max(
            0, frames_seen - stream.lookahead_frames
        )  # exactly the lookahead is held back
        chunks.append(chunk)
    started = time.perf_counter()
    chunks.append(stream.finish())
    compute_s.append(time.perf_counter() - started)  # finish's chunk is compared below too
    offline = reconstruct(walk, checkpoint, ReconstructionOptions(steps=4))
    positions = np.concatenate([c.joint_positions_m for c in chunks])
    assert positions.shape == offline.motion.joint_positions_m().shape == (99, 22, 3)
    assert np.isfinite(positions).all()
    np.testing.assert_allclose(np.concatenate([c.time_s for c in chunks]), np.arange(99) / 30.0)
    bones = np.linalg.norm(positions[:, 1:] - positions[:, skeleton.PARENTS[1:]], axis=-1)
    assert np.ptp(bones, axis=0).max() < 1e-6
    contacts = np.concatenate([c.contacts for c in chunks])
    toes = positions[:, skeleton.joint_indices(("LeftToeBase", "RightToeBase"))][..., [0, 2]]
    planted = contacts[1:] & contacts[:-1]
    assert planted.any() and np.linalg.norm(np.diff(toes, axis=0), axis=-1)[planted].max() < 1e-6
    per_push = np.array([c.compute_s for c in chunks if c.n_frames])
    assert (per_push > 0).all() and max(compute_s) >= per_push.max()
    print(
        f"\nstreaming latency: lookahead {stream.lookahead_s * 1000:.0f} ms + compute per push "
        f"median {np.median(per_push) * 1000:.0f} ms, max {per_push.max() * 1000:.0f} ms "
        "(tiny model, 4 steps)"
    )


def test_one_big_push_with_a_missing_foot(walk: InsoleRecording, checkpoint: Checkpoint) -> None:
    stream = StreamingReconstructor(checkpoint, walk.rate_hz, steps=2, lookahead_frames=0)
    first = stream.push(walk.left, FootSignals.missing(walk.n_samples))
    last = stream.finish()
    assert first.n_frames + last.n_frames == 99
    positions = np.concatenate([first.joint_positions_m, last.joint_positions_m])
    assert np.isfinite(positions).all()
    assert not np.concatenate([first.contacts, last.contacts])[:, 1].any()


def test_the_stream_waits_for_loaded_samples(walk: InsoleRecording, checkpoint: Checkpoint) -> None:
    stream = StreamingReconstructor(checkpoint, walk.rate_hz, steps=2)
    unloaded = walk.left.take(slice(0, 30))
    for name in ("pressure_ncm2", "total_force_n"):
        getattr(unloaded, name)[:] = 0.0
    assert stream.push(unloaded, unloaded).n_frames == 0  # insole size not inferable yet: nothing committed
    rows = slice(30, walk.n_samples)
    assert stream.push(walk.left.take(rows), walk.right.take(rows)).n_frames > 0


def test_bad_pushes_are_input_errors(walk: InsoleRecording, checkpoint: Checkpoint) -> None:
    stream = StreamingReconstructor(checkpoint, walk.rate_hz)
    with pytest.raises(InputError, match="same number of samples"):
        stream.push(walk.left.take(slice(0, 5)), walk.right.take(slice(0, 4)))
    stream.push(walk.left.take(slice(0, 1)), walk.right.take(slice(0, 1)))
    with pytest.raises(InputError, match="need at least 2"):
        stream.finish()
    with pytest.raises(InputError, match="rate"):
        StreamingReconstructor(checkpoint, 0.0)


@dataclass
class _AbsoluteFrames(OraclePredictor):
    """The oracle of :mod:`test_odometry_feet` on absolute frame indices (a stream recomputes the tail of
    its buffer, whose features start at a later frame)."""

    def prepare(self, features: InsoleFeatures) -> Condition:
        index = np.rint(features.time_s * self.frame_rate_hz)
        return Condition(index[:, None], np.ones((index.size, 1), dtype=bool))


@pytest.mark.parametrize("push_samples", [PUSH_SAMPLES, None])
def test_a_streamed_walk_takes_its_pace_from_the_feet_not_from_a_slow_root_network(
    checkpoint: Checkpoint, push_samples: int | None
) -> None:
    """A root network 40 % short: the stream's root follows the feet's odometry over its buffer once each
    foot has walked a metre in it (before that, the network's moves), live (0.1-s pushes) or with the
    whole file in one push, and its footprints are the odometry's (planted feet land where the
    odometry puts them, so the legs do not hold the body back)."""
    motion = walking_motion(n_cycles=10, gait=GAIT)
    rec = simulate_recording(motion, mass_kg=70.0, insole_size=7, noise="realistic", seed=0)
    stream = StreamingReconstructor(checkpoint, rec.rate_hz, steps=4, seed=0)
    stream._window_model = _AbsoluteFrames(pose_targets(motion, FPS))
    step = push_samples or rec.n_samples
    chunks = [
        stream.push(rec.left.take(slice(i, i + step)), rec.right.take(slice(i, i + step)))
        for i in range(0, rec.n_samples, step)
    ]
    chunks.append(stream.finish())
    root_m = np.concatenate([c.root_position_m for c in chunks])[:, [0, 2]]
    true_m = resample_frames(motion.root_position_m, motion.fps, np.arange(len(root_m)) / FPS)[:, [0, 2]]
    later = slice(round(3.0 * FPS), None)  # past the first metres walked
    path = lambda xz: np.linalg.norm(np.diff(xz[later], axis=0), axis=-1).sum()  # noqa: E731
    assert path(root_m) == pytest.approx(path(true_m), rel=0.05)
    positions = np.concatenate([c.joint_positions_m for c in chunks])
    speed = np.linalg.norm(np.diff(positions[..., [0, 2]], axis=0), axis=-1) * FPS
    assert speed.max() < 6.0  # no joint faster than a swinging toe


@dataclass
class _Trembling(_AbsoluteFrames):
    """The oracle with 1-cm noise on every pose it generates (a diffusion sample's frame-to-frame tremble)."""

    rng: np.random.Generator = dataclasses.field(default_factory=lambda: np.random.default_rng(0))

    def sample_poses(self, condition: Condition, known_m: np.ndarray | None = None) -> np.ndarray:
        poses = super().sample_poses(condition, known_m)
        poses = poses + self.rng.normal(0.0, 0.01, poses.shape)
        if known_m is not None:  # inpainted frames come back as they were
            poses[:, : known_m.shape[1]] = known_m
        return poses


def test_live_streamed_poses_are_smoothed_with_what_a_commit_can_see(checkpoint: Checkpoint) -> None:
    """Committed poses are smoothed over the committed ones before them and the lookahead after them, as
    offline: of a 1-cm frame-to-frame tremble, a quarter or less is left."""
    motion = walking_motion(n_cycles=4, gait=GAIT)
    rec = simulate_recording(motion, mass_kg=70.0, insole_size=7, noise="none", seed=0)
    stream = StreamingReconstructor(checkpoint, rec.rate_hz, steps=4, seed=0, root="network")
    stream._window_model = _Trembling(pose_targets(motion, FPS))
    raw = []
    smoothed = stream._smoothed
    stream._smoothed = lambda new_m, first_new, ahead_m: (
        raw.append(new_m),
        smoothed(new_m, first_new, ahead_m),
    )[1]
    chunks = [
        stream.push(rec.left.take(slice(i, i + PUSH_SAMPLES)), rec.right.take(slice(i, i + PUSH_SAMPLES)))
        for i in range(0, rec.n_samples, PUSH_SAMPLES)
    ]
    chunks.append(stream.finish())
    committed = np.concatenate([c.joint_positions_m for c in chunks])
    relative = committed[:, 1:] - committed[:, :1]
    truth = np.concatenate(raw, axis=1)[0]
    tremble = lambda x: np.abs(np.diff(x, n=3, axis=0)).mean()  # noqa: E731
    assert tremble(relative) < 0.25 * tremble(truth)


def test_the_streamed_pelvis_height_is_smoothed_with_what_a_commit_can_see(checkpoint: Checkpoint) -> None:
    """The pelvis height is read off the planted toe of each pose, which trembles with the pose: committed
    three frames a push with a three-frame lookahead, as a live stream does, a 1-cm tremble of the toes
    leaves the height trembling a quarter as much or less, within a centimetre of offline's smoothing."""
    from step2motion.reconstruction.foot_contacts import pelvis_height_m
    from step2motion.reconstruction.pipeline import smoothed_over_time

    rng = np.random.default_rng(0)
    n, toes = 120, [skeleton.POSE_JOINT_NAMES.index(f"{side}ToeBase") for side in ("Left", "Right")]
    poses = np.zeros((n, skeleton.N_JOINTS - 1, 3))
    t = np.arange(n) / FPS
    poses[:, toes, 1] = (-0.9 + 0.03 * np.sin(2 * np.pi * t))[:, None] + rng.normal(0.0, 0.01, (n, 2))
    stance = np.ones((n, 2), dtype=bool)
    stream = StreamingReconstructor(checkpoint, 100.0, steps=2, seed=0)
    heights = np.concatenate(
        [
            stream._smoothed_heights(
                poses[i : i + 3], stance[i : i + 3], poses[i + 3 : i + 6], stance[i + 3 : i + 6]
            )
            for i in range(0, n, 3)
        ]
    )
    raw = pelvis_height_m(poses, stance)
    tremble = lambda x: np.abs(np.diff(x, n=3)).mean()  # noqa: E731
    assert heights.shape == (n,) and tremble(heights) < 0.25 * tremble(raw)
    assert np.abs(heights - smoothed_over_time(raw, FPS, axis=0)).max() < 0.01  # offline's, near enough
