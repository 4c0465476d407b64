"""Offline reconstruction: windows, skeleton fit, contacts, the ``reconstruct`` command end to end.

The model is tiny and random (its output layers scaled down so that poses stay near the training mean of
the fixture walk instead of placing feet metres from the hips); what is tested is the machinery around it.
"""

from __future__ import annotations

import builtins
import dataclasses
import importlib
import io
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import torch
from motion_fixtures import walking_motion
from test_viewer_page import page_data

from step2motion import skeleton
from step2motion.cli import main
from step2motion.dataset.insole_features import CONDITION_SCHEMA, insole_streams
from step2motion.dataset.pose_features import pose_targets
from step2motion.dataset.windows import NormalisationStats, pair_clip
from step2motion.errors import InputError
from step2motion.gait_events import stance_at_times
from step2motion.io.bvh import read_bvh, write_bvh
from step2motion.io.moticon import write_moticon
from step2motion.model import DenoiserConfig, ModelConfig, RootConfig, Step2MotionModel
from step2motion.model.checkpoint import Checkpoint, load_checkpoint, save_checkpoint
from step2motion.motion import forward_kinematics
from step2motion.reconstruction.foot_contacts import FootPinner, pelvis_height_m
from step2motion.reconstruction.pipeline import ReconstructionOptions, reconstruct, smoothed_poses
from step2motion.reconstruction.skeleton_fit import fit_rotations, rest_offsets_m
from step2motion.reconstruction.windowed_sampling import (
    Condition,
    WindowModel,
    sample_recording,
    window_spans,
)
from step2motion.recording import FootSignals, InsoleRecording
from step2motion.simulation.simulate import simulate_recording

WINDOW_FRAMES = 16  # several windows in a 3.3-s recording at 30 Hz
_TOES = skeleton.joint_indices(("LeftToeBase", "RightToeBase"))


@pytest.fixture(autouse=True, scope="module")
def _one_torch_thread() -> Iterator[None]:
    """Tiny networks run much faster on one thread on a shared machine; restored afterwards."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def simulated_walk() -> tuple[InsoleRecording, NormalisationStats]:
    """The virtual-insole recording of the fixture walk (3.3 s, 100 Hz) and statistics from it."""
    motion = walking_motion(n_cycles=3)
    recording = simulate_recording(motion, mass_kg=70.0, insole_size=7, rate_hz=100.0, seed=0)
    clip = pair_clip(insole_streams(recording, 30.0), pose_targets(motion, 30.0), "walk")
    return recording, NormalisationStats.from_clips([clip], mirrored=True)


def tiny_checkpoint(path: Path, stats: NormalisationStats, window_frames: int = WINDOW_FRAMES) -> Path:
    """A randomly initialised small model saved as a checkpoint (output layers scaled by 0.1)."""
    torch.manual_seed(0)
    config = ModelConfig(
        schema=CONDITION_SCHEMA,
        window_frames=window_frames,
        denoiser=DenoiserConfig(d_model=32, n_layers=1, n_heads=2, ffn_dim=32),
        root=RootConfig(d_model=16, n_layers=1, n_heads=2, ffn_dim=16),
    )
    model = Step2MotionModel(config)
    with torch.no_grad():
        for layer in (*model.denoiser.part_outputs.values(), model.root.head):
            layer.weight.mul_(0.1)
            layer.bias.mul_(0.1)
    return save_checkpoint(path, model, stats)


@pytest.fixture(scope="module")
def walk() -> tuple[InsoleRecording, NormalisationStats]:
    return simulated_walk()


@pytest.fixture(scope="module")
def model_path(
    walk: tuple[InsoleRecording, NormalisationStats], tmp_path_factory: pytest.TempPathFactory
) -> Path:
    return tiny_checkpoint(tmp_path_factory.mktemp("model") / "tiny.safetensors", walk[1])


@pytest.fixture(scope="module")
def checkpoint(model_path: Path) -> Checkpoint:
    return load_checkpoint(model_path)


@pytest.fixture(scope="module")
def recording_file(
    walk: tuple[InsoleRecording, NormalisationStats], tmp_path_factory: pytest.TempPathFactory
) -> Path:
    path = tmp_path_factory.mktemp("rec") / "walk.txt"
    write_moticon(walk[0], path)
    return path


def _bone_lengths_m(positions_m: np.ndarray) -> np.ndarray:
    return np.linalg.norm(positions_m[:, 1:] - positions_m[:, skeleton.PARENTS[1:]], axis=-1)


def _planted_toe_speed_mps(positions_m: np.ndarray, contacts: np.ndarray, fps: float) -> np.ndarray:
    """Horizontal toe-joint speed over frame pairs where the foot is planted in both frames."""
    toes = positions_m[:, _TOES][..., [0, 2]]
    speed = np.linalg.norm(np.diff(toes, axis=0), axis=-1) * fps
    return speed[contacts[1:] & contacts[:-1]]


@pytest.mark.parametrize("n_frames", [1, 5, 16, 17, 24, 40, 99])
def test_windows_cover_every_frame_once_with_half_overlap(n_frames: int) -> None:
    spans = list(window_spans(n_frames, WINDOW_FRAMES))
    new = np.concatenate([np.arange(first_new, stop) for _, first_new, stop in spans])
    np.testing.assert_array_equal(new, np.arange(n_frames))  # each frame generated exactly once, in order
    assert spans[-1][2] == n_frames  # the last window ends at the recording's end
    for start, first_new, stop in spans:
        assert stop - start == min(WINDOW_FRAMES, n_frames)
        if start > 0:
            assert first_new - start >= WINDOW_FRAMES // 2  # at least half a window inpainted


def test_known_frames_come_back_and_new_frames_depend_on_the_seed(checkpoint: Checkpoint) -> None:
    rng = np.random.default_rng(1)
    channels = CONDITION_SCHEMA.total_channels
    n_streams = CONDITION_SCHEMA.n_streams
    condition = Condition(
        rng.normal(size=(12, channels)).astype(np.float32), np.ones((12, n_streams), dtype=bool)
    )
    known = rng.normal(0.0, 0.3, (2, 5, 21, 3))
    first = WindowModel(checkpoint, n_samples=2, steps=3, seed=0).sample_poses(condition, known)
    second = WindowModel(checkpoint, n_samples=2, steps=3, seed=1).sample_poses(condition, known)
    assert first.shape == (2, 12, 21, 3)
    np.testing.assert_array_equal(first[:, :5], known)
    assert not np.allclose(first[:, 5:], second[:, 5:])
    np.testing.assert_array_equal(
        first, WindowModel(checkpoint, n_samples=2, steps=3, seed=0).sample_poses(condition, known)
    )


@dataclasses.dataclass
class _RecordingPredictor:
    """A window predictor that answers each frame's first condition value as every coordinate of its pose
    (and as its forward move) and records the windows it was asked for."""

    window_frames: int = WINDOW_FRAMES
    n_samples: int = 1
    asked: list[np.ndarray] = dataclasses.field(default_factory=list)

    def sample_poses(self, condition: Condition, known_m: np.ndarray | None = None) -> np.ndarray:
        self.asked.append(condition.values[:, 0].copy())
        return np.broadcast_to(condition.values[:, 0, None, None], (1, condition.n_frames, 21, 3)).copy()

    def root_motion(self, condition: Condition) -> np.ndarray:
        return np.column_stack([condition.values[:, 0], np.zeros((condition.n_frames, 3))])


def test_frames_no_stream_informs_hold_the_nearest_generated_pose() -> None:
    """An insole whose data starts late (or a lone insole): the windows start at the first frame any
    stream is present on and end at the last; the frames outside hold the nearest pose and do not move."""
    n, first, last = 40, 7, 33
    values = np.zeros((n, CONDITION_SCHEMA.total_channels), dtype=np.float32)
    values[:, 0] = np.arange(n)
    present = np.zeros((n, CONDITION_SCHEMA.n_streams), dtype=bool)
    present[first : last + 1, 2] = True
    predictor = _RecordingPredictor()
    sampled = sample_recording(predictor, Condition(values, present))
    asked = np.concatenate(predictor.asked)
    assert asked.min() == first and asked.max() == last  # no window reads an uninformed frame
    pose = sampled.poses_m[0, :, 0, 0]
    np.testing.assert_array_equal(pose, np.clip(np.arange(n), first, last))
    np.testing.assert_array_equal(np.flatnonzero(sampled.root_motion[:, 0]), np.arange(first + 1, last + 1))


def test_skeleton_fit_reproduces_consistent_positions_and_keeps_bone_lengths_constant() -> None:
    positions = walking_motion(n_cycles=1, fps=30.0).joint_positions_m()
    offsets = rest_offsets_m(positions)
    fitted, _ = forward_kinematics(*fit_rotations(positions, offsets), offsets)
    np.testing.assert_allclose(fitted, positions, atol=1e-6)
    noisy = positions + np.random.default_rng(2).normal(0.0, 0.02, positions.shape)
    offsets = rest_offsets_m(noisy)
    fitted, _ = forward_kinematics(*fit_rotations(noisy, offsets), offsets)
    lengths = _bone_lengths_m(fitted)
    assert np.ptp(lengths, axis=0).max() < 1e-6
    np.testing.assert_allclose(lengths[0], np.median(_bone_lengths_m(noisy), axis=0), atol=1e-6)
    # single-child bones point exactly where the prediction does
    shin = noisy[:, skeleton.joint_index("LeftFoot")] - noisy[:, skeleton.joint_index("LeftLeg")]
    fitted_shin = fitted[:, skeleton.joint_index("LeftFoot")] - fitted[:, skeleton.joint_index("LeftLeg")]
    np.testing.assert_allclose(np.cross(shin, fitted_shin), 0.0, atol=1e-6)


def test_skeleton_fit_keeps_the_wearers_pelvis_and_chest_shape() -> None:
    """A spine and neck that lean forward at rest (as CMU skeletons do) are reproduced exactly: the
    pelvis and chest rotations must not be a compromise between the wearer's shape and a T-pose."""
    motion = walking_motion(n_cycles=1, fps=30.0)
    offsets = motion.offsets_m.copy()
    for name, lean_m in (("Spine", 0.04), ("Neck", 0.05)):
        offsets[skeleton.joint_index(name), 2] += lean_m
    positions = dataclasses.replace(motion, offsets_m=offsets).joint_positions_m()
    rest = rest_offsets_m(positions)
    fitted, _ = forward_kinematics(*fit_rotations(positions, rest), rest)
    np.testing.assert_allclose(fitted, positions, atol=1e-6)


def test_pelvis_height_from_the_pose_and_the_insole_contacts(
    walk: tuple[InsoleRecording, NormalisationStats],
) -> None:
    recording, _ = walk
    targets = pose_targets(walking_motion(n_cycles=3), 30.0)
    stance = stance_at_times(recording, 70.0 * 9.81, np.arange(targets.n_frames) / 30.0)
    assert stance.any(axis=0).all() and not stance.all()
    height = pelvis_height_m(targets.joints_local_m, stance)
    assert np.abs(height - targets.pelvis_height_m).max() < 0.02


def test_pinning_stops_planted_feet_sliding(walk: tuple[InsoleRecording, NormalisationStats]) -> None:
    recording, _ = walk
    motion = walking_motion(n_cycles=3, fps=30.0)
    stance = stance_at_times(recording, 70.0 * 9.81, np.arange(motion.n_frames) / 30.0)
    drifting_root = motion.root_position_m + np.outer(np.arange(motion.n_frames) / 30.0, [0.1, 0.0, 0.3])
    before, _ = forward_kinematics(motion.local_rotations, drifting_root, motion.offsets_m)
    assert np.median(_planted_toe_speed_mps(before, stance, 30.0)) > 0.25
    rotations, root = FootPinner(motion.offsets_m, 30.0)(motion.local_rotations, drifting_root, stance)
    after, _ = forward_kinematics(rotations, root, motion.offsets_m)
    assert _planted_toe_speed_mps(after, stance, 30.0).max() < 1e-3
    np.testing.assert_allclose(after[:, _TOES, 1], before[:, _TOES, 1], atol=1e-6)  # toe heights kept
    # the legs absorb the drift; the root leaves its trajectory only where a leg could not reach
    assert np.linalg.norm((root - drifting_root)[:, [0, 2]], axis=1).max() < 0.2


def test_reconstruct_command_end_to_end(
    recording_file: Path, model_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    output = tmp_path / "walk.bvh"
    argv = ["reconstruct", str(recording_file), "-o", str(output), "--model", str(model_path)]
    assert main([*argv, "--samples", "3", "--steps", "4", "--seed", "7"]) == 0
    summary = capsys.readouterr().out
    assert "3.30 s = 99 frames at 30 fps" in summary and "s of motion per wall-clock second" in summary
    motion = read_bvh(output)
    assert motion.n_frames == 99 and motion.n_frames / motion.fps == pytest.approx(3.3, abs=1e-9)
    positions = motion.joint_positions_m()
    assert np.ptp(_bone_lengths_m(positions), axis=0).max() < 1e-3
    with np.load(output.with_suffix(".npz")) as npz:
        assert npz["joint_positions_m"].shape == (99, 22, 3) and npz["time_s"].shape == (99,)
        np.testing.assert_allclose(npz["time_s"], np.arange(99) / 30.0)
        assert tuple(npz["joint_names"]) == skeleton.JOINT_NAMES
        assert npz["contact_left"].dtype == bool and npz["contact_right"].shape == (99,)
        assert npz["odometry_root"].dtype == bool and npz["odometry_root"].shape == (99,)
        assert npz["uncertainty_m"].shape == (99, 22) and (npz["uncertainty_m"] > 0).any()
        assert npz["samples_joint_positions_m"].shape == (3, 99, 22, 3)
        assert np.abs(npz["joint_positions_m"] - positions).max() < 1e-4  # the BVH is what the NPZ holds
        contacts = np.stack([npz["contact_left"], npz["contact_right"]], axis=1)
    assert 0.3 < contacts.mean() < 0.95
    # default root = odometry: toes planted from foot-flat to toe-off (most of each force contact; from
    # heel strike to foot-flat the foot still rolls down), never under the floor
    assert np.median(_planted_toe_speed_mps(positions, contacts, motion.fps)) < 2e-3  # BVH has 6 decimals
    assert positions[:, _TOES, 1].min() > -1e-5

    # --view: the page next to the BVH shows the motion and each of the 3 samples over the insoles
    assert main([*argv, "--samples", "3", "--steps", "4", "--seed", "7", "--view"]) == 0
    assert f"viewer page {output.with_suffix('.html')}" in capsys.readouterr().out
    data = page_data(output.with_suffix(".html").read_text(encoding="utf-8"))
    assert [m["label"] for m in data["motions"]] == ["walk.bvh"] + [f"walk.bvh sample {k}" for k in (1, 2, 3)]
    assert {m["role"] for m in data["motions"]} == {"prediction"} and data["insoles"] is not None
    assert main([*argv, "--view", str(output)]) == 2
    assert "--view would overwrite -o" in capsys.readouterr().err

    network = [*argv, "--fps", "60", "--npz", str(tmp_path / "sixty.npz"), "--root", "network"]
    assert main(network) == 0
    motion = read_bvh(output)
    assert motion.n_frames == 198
    with np.load(tmp_path / "sixty.npz") as npz:
        assert "uncertainty_m" not in npz and npz["joint_positions_m"].shape == (198, 22, 3)
        contacts = np.stack([npz["contact_left"], npz["contact_right"]], axis=1)
    # the published root: the pinner holds planted toes for every frame of a force contact
    assert _planted_toe_speed_mps(motion.joint_positions_m(), contacts, motion.fps).max() < 2e-3


def test_one_sample_has_no_spread_and_the_seed_fixes_the_result(
    walk: tuple[InsoleRecording, NormalisationStats], checkpoint: Checkpoint
) -> None:
    options = ReconstructionOptions(steps=2, seed=3, fps=20.0)
    first = reconstruct(walk[0], checkpoint, options)
    assert first.motion.n_frames == 66 and first.n_samples == 1
    assert not first.uncertainty_m.any()
    again = reconstruct(walk[0], checkpoint, options)
    np.testing.assert_array_equal(first.motion.local_rotations, again.motion.local_rotations)
    assert first.realtime_factor > 0


def test_reconstruction_never_reads_motion_capture(
    recording_file: Path, model_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def forbidden(*args: object, **kwargs: object) -> None:
        raise AssertionError("reconstruction read motion capture")

    guarded = {
        "step2motion.io.bvh": ("read_bvh", "_scan", "_load_source", "inspect_bvh"),
        "step2motion.io.corpus": (
            "read_manifest",
            "find_corpus_entries",
            "read_corpus_motion",
            "manifest_entry_for",
        ),
        "step2motion.dataset.paired_corpus": ("read_paired_index", "load_paired_clip", "load_paired_clips"),
    }
    for module in guarded:
        # import before patching anything: a module imported while another is patched would bind the
        # forbidden function for good (``from ... import``), leaking into later tests
        importlib.import_module(module)
    for module, names in guarded.items():
        for name in names:
            monkeypatch.setattr(f"{module}.{name}", forbidden)
    real_open = builtins.open

    def guarded_open(file: object, mode: str = "r", *args: object, **kwargs: object) -> object:
        if "r" in mode and str(file).lower().endswith((".bvh", "manifest.csv", "index.csv")):
            raise AssertionError(f"reconstruction opened {file}")
        return real_open(file, mode, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", guarded_open)
    monkeypatch.setattr(io, "open", guarded_open)
    output = tmp_path / "out.bvh"
    assert (
        main(
            [
                "reconstruct",
                str(recording_file),
                "-o",
                str(output),
                "--model",
                str(model_path),
                "--steps",
                "2",
            ]
        )
        == 0
    )
    assert output.is_file()


def test_missing_samples_and_a_missing_foot_still_reconstruct(
    walk: tuple[InsoleRecording, NormalisationStats], checkpoint: Checkpoint
) -> None:
    recording = walk[0]
    left = FootSignals(*(getattr(recording.left, name).copy() for name in FootSignals.__dataclass_fields__))
    left.pressure_ncm2[100:130] = np.nan  # a 0.3-s gap: longer than the features bridge
    left.acc_g[200:204] = np.nan
    one_foot = InsoleRecording(
        recording.time_s, left, FootSignals.missing(recording.n_samples), insole_size=7
    )
    result = reconstruct(one_foot, checkpoint, ReconstructionOptions(n_samples=2, steps=2))
    positions = result.motion.joint_positions_m()
    assert positions.shape == (99, 22, 3) and np.isfinite(positions).all()
    assert result.contacts[:, 0].any() and not result.contacts[:, 1].any()
    assert np.ptp(_bone_lengths_m(positions), axis=0).max() < 1e-6


def test_a_recording_shorter_than_a_window_is_padded_and_cropped(
    walk: tuple[InsoleRecording, NormalisationStats], checkpoint: Checkpoint
) -> None:
    recording = walk[0]
    rows = slice(0, 40)  # 0.4 s = 12 frames at 30 Hz, less than the 16-frame window
    short = InsoleRecording(
        recording.time_s[rows] + 5.0,  # a clock that does not start at zero
        *(
            FootSignals(*(getattr(f, n)[rows] for n in FootSignals.__dataclass_fields__))
            for f in (recording.left, recording.right)
        ),
        insole_size=7,
    )
    result = reconstruct(short, checkpoint, ReconstructionOptions(steps=2), progress=False)
    assert result.motion.n_frames == 12 and np.isfinite(result.motion.joint_positions_m()).all()
    np.testing.assert_allclose(result.time_s, 5.0 + np.arange(12) / 30.0)


def _one_line_error(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    assert main(argv) == 2
    error = capsys.readouterr().err.strip()
    assert error and "\n" not in error
    return error


def test_bad_inputs_exit_2_with_one_line(
    recording_file: Path,
    model_path: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    output = str(tmp_path / "out.bvh")
    error = _one_line_error(
        ["reconstruct", str(recording_file), "-o", output, "--model", str(tmp_path / "nope.safetensors")],
        capsys,
    )
    assert "nope.safetensors" in error and "step2motion train" in error
    monkeypatch.setattr("step2motion.model.checkpoint.DEFAULT_MODEL_PATH", tmp_path / "default.safetensors")
    error = _one_line_error(["reconstruct", str(recording_file), "-o", output], capsys)
    assert "default model is not installed" in error and "step2motion train" in error
    motion_file = tmp_path / "walk.bvh"
    write_bvh(walking_motion(n_cycles=1), motion_file)
    error = _one_line_error(
        ["reconstruct", str(motion_file), "-o", output, "--model", str(model_path)], capsys
    )
    assert str(motion_file) in error
    error = _one_line_error(
        ["reconstruct", str(recording_file), "-o", output, "--model", str(recording_file)], capsys
    )
    assert "safetensors" in error
    error = _one_line_error(
        ["reconstruct", str(recording_file), "-o", output, "--model", str(model_path), "--samples", "0"],
        capsys,
    )
    assert "samples" in error
    assert not Path(output).exists()


def test_a_condition_restricted_to_some_streams_marks_the_others_absent_and_zero() -> None:
    schema = CONDITION_SCHEMA
    condition = Condition(
        np.ones((5, schema.total_channels), dtype=np.float32), np.ones((5, schema.n_streams), dtype=bool)
    )
    only = condition.only(schema, ("left_imu", "right_imu"))
    for index, name in enumerate(schema.names):
        kept = name.endswith("_imu")
        assert only.present[:, index].all() == kept
        assert np.all(only.values[:, schema.channel_slice(name)] == (1.0 if kept else 0.0))
    with pytest.raises(InputError, match="unknown condition stream"):
        condition.only(schema, ("left_gps",))


def test_without_the_imus_the_odometry_is_not_integrated(
    walk: tuple[InsoleRecording, NormalisationStats], checkpoint: Checkpoint, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Told to do without the IMUs (or one foot), the reconstruction must not read them through odometry."""
    from step2motion.reconstruction import pipeline

    integrated = []
    real = pipeline.reliable_feet
    monkeypatch.setattr(pipeline, "reliable_feet", lambda rec, *a: integrated.append(rec) or real(rec, *a))
    names = checkpoint.config.used_stream_names
    pressure = tuple(name for name in names if "pressure" in name or "cop" in name)
    left = tuple(name for name in names if name.startswith("left_"))
    for streams in (pressure, left):
        result = reconstruct(walk[0], checkpoint, ReconstructionOptions(steps=2, streams=streams))
        assert np.isfinite(result.motion.joint_positions_m()).all()
    assert integrated == []
    reconstruct(walk[0], checkpoint, ReconstructionOptions(steps=2))
    assert len(integrated) == 1  # all sensors: the odometry runs


def test_pose_smoothing_removes_frame_to_frame_tremble_and_keeps_the_motion() -> None:
    """A knee swinging 20 cm at 1 Hz, with 1-cm frame-to-frame noise at 30 Hz: the swing alone comes back
    within 5 mm, the noisy one trembles (third differences) a quarter as much; so does the root's height
    (read off the pose), its horizontal path is left as placed; a clip shorter than the window is smoothed
    over all it has, one of two frames is left alone."""
    rate_hz, n = 30.0, 90
    t = np.arange(n) / rate_hz
    rng = np.random.default_rng(0)
    clean = np.zeros((1, n, skeleton.N_JOINTS, 3))
    clean[0, :, 0, 2] = 1.2 * t  # the root walks on
    clean[0, :, 1:, 1] = 0.5
    clean[0, :, 1:, 2] = clean[0, :, :1, 2] + 0.2 * np.sin(2 * np.pi * t)[:, None]
    clean[0, :, :, 1] += 0.9  # the pelvis height
    noisy = clean + rng.normal(0, 0.01, clean.shape) * [0.0, 1.0, 0.0]  # the root's height trembles too
    noisy[:, :, 1:] += rng.normal(0, 0.01, (1, n, 21, 3))
    smooth = smoothed_poses(noisy, rate_hz)
    np.testing.assert_array_equal(smooth[:, :, 0, [0, 2]], noisy[:, :, 0, [0, 2]])
    height_tremble = lambda x: np.abs(np.diff(x[0, :, 0, 1], n=3)).mean()  # noqa: E731
    assert height_tremble(smooth) < 0.25 * height_tremble(noisy)
    assert np.abs(smoothed_poses(clean, rate_hz) - clean).max() < 0.005  # the 20-cm swing itself is kept
    tremble = lambda x: np.abs(np.diff(x[0, :, 1:], n=3, axis=0)).mean()  # noqa: E731
    assert tremble(smooth) < 0.25 * tremble(noisy)
    assert smoothed_poses(noisy[:, :7], rate_hz).shape == (1, 7, skeleton.N_JOINTS, 3)
    np.testing.assert_array_equal(smoothed_poses(noisy[:, :2], rate_hz), noisy[:, :2])
