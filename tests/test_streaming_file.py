"""``reconstruct --stream``: a file reconstructed chunk by chunk into writers that never hold the whole
motion; the time column obeyed on the stream's grid; the incremental BVH and NPZ writers."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest
from motion_fixtures import walking_motion
from test_reconstruction import _one_torch_thread, simulated_walk, tiny_checkpoint  # noqa: F401 (fixture)

from step2motion import skeleton
from step2motion.cli import main
from step2motion.cli._recording_notes import recording_notes
from step2motion.evaluation.evaluate import MethodSettings, StreamedMethod
from step2motion.io.bvh import BvhWriter, read_bvh, write_bvh
from step2motion.io.moticon import header_duration_s, iter_moticon, write_moticon
from step2motion.io.npz_writer import NpzWriter
from step2motion.model.checkpoint import Checkpoint, load_checkpoint
from step2motion.reconstruction import StreamingReconstructor
from step2motion.reconstruction.streaming_file import _RegularGrid, reconstruct_file_streaming
from step2motion.recording import SIDES, FootSignals, InsoleRecording

CHUNK_ROWS = 37  # several chunks of the 3.3-s fixture walk, none a multiple of a window


@pytest.fixture(scope="module")
def walk() -> InsoleRecording:
    return simulated_walk()[0]


@pytest.fixture(scope="module")
def model_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tiny_checkpoint(tmp_path_factory.mktemp("model") / "tiny.safetensors", simulated_walk()[1])


@pytest.fixture(scope="module")
def checkpoint(model_path: Path) -> Checkpoint:
    return load_checkpoint(model_path)


def _export(rec: InsoleRecording, path: Path) -> Path:
    write_moticon(rec, path)
    return path


def test_the_streamed_file_is_the_stream_of_its_samples(
    walk: InsoleRecording, checkpoint: Checkpoint, tmp_path: Path
) -> None:
    """What is written equals a StreamingReconstructor fed the same chunks, frame for frame; as long as
    the recording (the offline frame count); BVH and NPZ agree."""
    path = _export(walk, tmp_path / "walk.txt")
    result = reconstruct_file_streaming(
        iter_moticon(path, CHUNK_ROWS), checkpoint, tmp_path / "w.bvh", tmp_path / "w.npz", steps=3
    )
    reference = StreamingReconstructor(checkpoint, walk.rate_hz, steps=3, insole_size=walk.insole_size)
    chunks = [
        reference.push(*(walk.foot(side).take(slice(start, start + CHUNK_ROWS)) for side in SIDES))
        for start in range(0, walk.n_samples, CHUNK_ROWS)
    ]
    chunks.append(reference.finish())
    expected_m = np.concatenate([chunk.joint_positions_m for chunk in chunks])
    assert result.n_frames == expected_m.shape[0] == round(walk.duration_s * 30.0) == 99
    assert (result.missing_samples, result.dropped_rows) == (0, 0)
    npz = np.load(tmp_path / "w.npz")
    np.testing.assert_array_equal(npz["joint_positions_m"], expected_m)
    np.testing.assert_allclose(npz["time_s"], walk.time_s[0] + np.arange(99) / 30.0)
    assert list(npz["joint_names"]) == list(skeleton.JOINT_NAMES) and float(npz["fps"]) == 30.0
    assert npz["contact_left"].dtype == bool and npz["contact_left"].shape == (99,)
    motion = read_bvh(tmp_path / "w.bvh")
    assert motion.n_frames == 99 and motion.fps == pytest.approx(30.0)
    np.testing.assert_allclose(motion.joint_positions_m(), expected_m, atol=2e-4)  # 6 decimals of degrees


def test_a_gap_in_the_time_column_stays_missing_on_the_grid(walk: InsoleRecording) -> None:
    """Rows removed from the export become missing samples at their place (not closed up); a row on a
    slot already filled is dropped; both are counted."""
    keep = np.ones(walk.n_samples, dtype=bool)
    keep[100:150] = False  # 0.5 s of rows removed
    cut = dataclasses.replace(
        walk, time_s=walk.time_s[keep], **{side: walk.foot(side).take(keep) for side in SIDES}
    )
    doubled = dataclasses.replace(
        cut,
        time_s=np.insert(cut.time_s, 10, cut.time_s[9] + 0.001),  # a second row on sample 9's slot
        **{side: cut.foot(side).take(np.insert(np.arange(cut.n_samples), 10, 9)) for side in SIDES},
    )
    grid = _RegularGrid()
    feet = [grid.place(doubled.between(None, 1.2)), grid.place(doubled.between(1.2 + 1e-6, None))]
    left = np.concatenate([pair[0].total_force_n for pair in feet])
    assert left.size == walk.n_samples and grid.next_index == walk.n_samples
    assert np.isnan(left[100:150]).all() and np.isfinite(left[:100]).all() and np.isfinite(left[150:]).all()
    np.testing.assert_array_equal(left[keep], walk.left.total_force_n[keep])
    assert (grid.missing_samples, grid.dropped_rows) == (50, 1)
    np.testing.assert_allclose(np.array(grid.gaps), cut.time_gaps())  # the offline notes' facts
    assert len(grid.gaps) == 1 and grid.data_slots == {side: [0, walk.n_samples - 1] for side in SIDES}
    # an insole that starts streaming late (as real exports' often does): its first slot with data
    late = dataclasses.replace(walk, left=walk.left.take(np.arange(walk.n_samples)))  # a copy
    for name in ("pressure_ncm2", "acc_g", "gyro_dps", "total_force_n", "cop_norm"):
        getattr(late.left, name)[:40] = np.nan  # the rows exist, the left insole's values do not
    grid = _RegularGrid()
    grid.place(late.between(None, 0.2)), grid.place(late.between(0.2 + 1e-6, None))
    assert grid.data_slots == {"left": [40, walk.n_samples - 1], "right": [0, walk.n_samples - 1]}


def test_stream_command_writes_both_files_and_refuses_what_it_cannot_honour(
    walk: InsoleRecording, model_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _export(walk, tmp_path / "walk.txt")
    out = tmp_path / "m.bvh"
    args = ["reconstruct", str(path), "-o", str(out), "--model", str(model_path), "--stream", "--steps", "2"]
    assert main(args) == 0
    assert read_bvh(out).n_frames == 99 and np.load(tmp_path / "m.npz")["joint_positions_m"].shape == (
        99,
        22,
        3,
    )
    assert "streamed" in capsys.readouterr().out
    placed = np.load(tmp_path / "m.npz")["odometry_root"]
    assert placed.dtype == bool and placed.shape == (99,)
    one_sided = dataclasses.replace(walk, right=FootSignals.missing(walk.n_samples))
    one_path = _export(one_sided, tmp_path / "left_only.txt")
    assert (
        main(
            [
                "reconstruct",
                str(one_path),
                "-o",
                str(tmp_path / "l.bvh"),
                "--model",
                str(model_path),
                "--stream",
            ]
        )
        == 0
    )
    err = capsys.readouterr().err
    assert f"note: {one_path}: {recording_notes(one_sided)[0]}" in err
    assert f"note: {one_path}: streamed: no trusted foot odometry" in err  # one insole: the root network
    for extra in (["--samples", "2"], ["--view"], ["--fps", "60"]):
        other = tmp_path / "refused.bvh"
        assert main([*args[:3], str(other), *args[4:], *extra]) == 2
        assert "--stream cannot take" in capsys.readouterr().err
        assert not other.exists() and not other.with_suffix(".npz").exists()


def test_bvh_writer_in_chunks_writes_what_write_bvh_writes(tmp_path: Path) -> None:
    motion = walking_motion(n_cycles=1)
    write_bvh(motion, tmp_path / "whole.bvh")
    with BvhWriter(tmp_path / "chunks.bvh") as writer:  # frame count unknown until closed
        for start in range(0, motion.n_frames, 13):
            rows = slice(start, start + 13)
            writer.append(
                dataclasses.replace(
                    motion,
                    local_rotations=motion.local_rotations[rows],
                    root_position_m=motion.root_position_m[rows],
                )
            )
    whole = (tmp_path / "whole.bvh").read_text().splitlines()
    chunks = (tmp_path / "chunks.bvh").read_text().splitlines()
    frames_line = whole.index(f"Frames: {motion.n_frames}")
    assert chunks[frames_line].split() == ["Frames:", str(motion.n_frames)]
    assert (
        chunks[:frames_line] == whole[:frames_line] and chunks[frames_line + 1 :] == whole[frames_line + 1 :]
    )


def test_interrupted_writers_leave_nothing(tmp_path: Path) -> None:
    motion = walking_motion(n_cycles=1)
    with pytest.raises(KeyboardInterrupt), BvhWriter(tmp_path / "m.bvh") as writer:
        writer.append(motion)
        raise KeyboardInterrupt
    with pytest.raises(KeyboardInterrupt), NpzWriter(tmp_path / "m.npz", {"fps": np.float64(30)}) as npz:
        npz.append(x=np.zeros((5, 3)))
        raise KeyboardInterrupt
    assert list(tmp_path.iterdir()) == []


def test_npz_writer_joins_the_rows_of_every_chunk(tmp_path: Path) -> None:
    rows = np.arange(30.0).reshape(10, 3)
    with NpzWriter(tmp_path / "a.npz", {"fps": np.float64(30), "names": np.array(["a", "b"])}) as npz:
        for start in range(0, 10, 4):
            npz.append(x=rows[start : start + 4], flag=rows[start : start + 4, 0] > 10)
    loaded = np.load(tmp_path / "a.npz")
    np.testing.assert_array_equal(loaded["x"], rows)
    np.testing.assert_array_equal(loaded["flag"], rows[:, 0] > 10)
    assert float(loaded["fps"]) == 30 and list(loaded["names"]) == ["a", "b"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.npz"]  # no temporary left


def test_the_header_duration_sizes_the_progress_bar_only_when_it_reads() -> None:
    assert header_duration_s({"Duration": "10:02.730"}) == pytest.approx(602.73)
    assert header_duration_s({"Duration": "75:00"}) == 4500.0  # an hour and more, as exports write it
    assert header_duration_s({}) is None and header_duration_s({"Duration": "about 5 min"}) is None


def test_evaluate_scores_what_the_stream_command_writes(
    walk: InsoleRecording, model_path: Path, tmp_path: Path
) -> None:
    """``evaluate --baselines step2motion_streamed`` runs the same chunks through the same code as
    ``reconstruct --stream`` (one chunk here), so it scores exactly the file's joint positions."""
    path = _export(walk, tmp_path / "walk.txt")
    reconstruct_file_streaming(
        iter_moticon(path), load_checkpoint(model_path), tmp_path / "s.bvh", tmp_path / "s.npz", steps=3
    )
    output = StreamedMethod(MethodSettings(model_path, steps=3))(walk)
    written = np.load(tmp_path / "s.npz")
    np.testing.assert_array_equal(output.positions_m, written["joint_positions_m"])
    np.testing.assert_allclose(output.time_s, written["time_s"])
    assert output.fps == 30.0 and output.samples_m is None
