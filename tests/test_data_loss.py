"""No command destroys a good file: writes are atomic, and an output naming an input is refused up front.

An interrupted write (Ctrl-C half-way through the underlying writer) must leave the previous file as it
was and no ``.partial`` behind; an output that is an input (or another output) of the same command must
stop the command before any work with one line naming the path, exit code 2, and every file unchanged.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest
from matplotlib.figure import Figure
from motion_fixtures import walking_motion
from test_recording_plot import oscillating_recording

from step2motion import skeleton
from step2motion.cli import compare_recordings, evaluate, gait, main, simulate_corpus
from step2motion.io.bvh import write_bvh
from step2motion.io.moticon import write_moticon
from step2motion.reconstruction.pipeline import Reconstruction, write_npz
from step2motion.visualisation import attention_plot, evaluation_plots, gait_plot, video
from step2motion.visualisation.recording_plot import plot_recording
from step2motion.visualisation.scene import MotionTrack, Scene
from step2motion.visualisation.viewer_page import write_viewer_page

PREVIOUS = b"a previous, good file\n"


def _savetxt_half(handle: Any, *args: object, **kwargs: object) -> None:
    handle.write("0.000000 0.0")
    raise KeyboardInterrupt


def _savez_half(handle: Any, *args: object, **kwargs: object) -> None:
    handle.write(b"PK\x03\x04")
    raise KeyboardInterrupt


def _write_text_half(self: Path, text: str, *args: object, **kwargs: object) -> None:
    with open(self, "w", encoding="utf-8") as handle:
        handle.write(text[: len(text) // 2])
    raise KeyboardInterrupt


def _savefig_half(self: Figure, fname: str | Path, *args: object, **kwargs: object) -> None:
    Path(fname).write_bytes(b"\x89PNG\r\n")
    raise KeyboardInterrupt


def _writerows_half(self: csv.DictWriter, rows: object) -> None:
    self.writer.writerow(["half a row"])
    raise KeyboardInterrupt


@dataclass(frozen=True)
class WriterCase:
    """A writer, the file it writes in the test's folder, and the low-level call it makes, as (owner,
    attribute, stand-in): the stand-in writes part of the file it was given and is then interrupted."""

    file_name: str
    write: Callable[[Path, pytest.MonkeyPatch], object]
    interruption: tuple[object, str, Callable[..., None]]


def _write_npz(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    motion = walking_motion(n_cycles=1, fps=30.0)
    n, joints = motion.n_frames, skeleton.N_JOINTS
    samples, spread = np.zeros((2, n, joints, 3)), np.zeros((n, joints))
    write_npz(
        Reconstruction(
            motion, np.arange(n) / 30.0, np.ones((n, 2), bool), np.ones(n, bool), samples, spread, 2, 1.0, 1.0
        ),
        path,
    )


def _plot_gait(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(gait_plot, "draw_gait", lambda *args: Figure())  # the save is what is tested
    gait_plot.plot_gait(None, None, {}, path)


def _save_evaluation_plots(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for draw in ("draw_joint_errors", "draw_style_errors", "draw_error_over_time"):
        monkeypatch.setattr(evaluation_plots, draw, lambda evaluation: Figure())
    evaluation_plots.save_evaluation_plots(SimpleNamespace(name="m"), path.parent)  # m_joints.png first


def _save_comparison_plot(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(evaluation_plots, "draw_method_comparison", lambda evaluation: Figure())
    evaluation_plots.save_comparison_plot(None, path.parent)


def _one_motion_scene() -> Scene:
    motion = walking_motion(n_cycles=1, fps=30.0)
    return Scene((MotionTrack("walk.bvh", "prediction", motion.joint_positions_m(), motion.fps),), None)


def _plot_attention(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        attention_plot, "draw_attention", lambda *args: Figure()
    )  # the save is what is tested
    attention_plot.plot_attention(None, None, path, "")


def _gif_half(frames: Any, path: Path, *args: object) -> None:
    path.write_bytes(b"GIF89a")
    raise KeyboardInterrupt


def _render_gif(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    video.render_video(_one_motion_scene(), path, fps=5.0, width_px=320, end_s=0.4, progress=False)


WRITE_TEXT, SAVEFIG = (Path, "write_text", _write_text_half), (Figure, "savefig", _savefig_half)
WRITERS = {
    "reconstruct BVH": WriterCase(
        "walk.bvh",
        lambda path, _: write_bvh(walking_motion(n_cycles=1), path),
        (np, "savetxt", _savetxt_half),
    ),
    "reconstruct NPZ": WriterCase("walk.npz", _write_npz, (np, "savez", _savez_half)),
    "simulate recording": WriterCase(
        "walk.txt", lambda path, _: write_moticon(oscillating_recording(50), path), WRITE_TEXT
    ),
    "plot PNG": WriterCase(
        "walk.png", lambda path, _: plot_recording(oscillating_recording(50), path), SAVEFIG
    ),
    "gait JSON": WriterCase("gait.json", lambda path, _: gait.write_json({"strides": [1]}, path), WRITE_TEXT),
    "gait PNG": WriterCase("gait.png", _plot_gait, SAVEFIG),
    "compare-recordings JSON": WriterCase(
        "stats.json", lambda path, _: compare_recordings._write_json(path, ["a.txt"], []), WRITE_TEXT
    ),
    "evaluate JSON/Markdown": WriterCase(
        "eval.md", lambda path, _: evaluate._write_text(path, "# a\n"), WRITE_TEXT
    ),
    "evaluate plots": WriterCase("m_joints.png", _save_evaluation_plots, SAVEFIG),
    "evaluate comparison plot": WriterCase("methods_styles.png", _save_comparison_plot, SAVEFIG),
    "view page": WriterCase(
        "v.html", lambda path, _: write_viewer_page(_one_motion_scene(), path), WRITE_TEXT
    ),
    "render video": WriterCase("clip.gif", _render_gif, (video, "_write_gif", _gif_half)),
    "attention plot": WriterCase("attention.png", _plot_attention, SAVEFIG),
    "simulate-corpus index": WriterCase(
        simulate_corpus.INDEX_NAME,
        lambda path, _: simulate_corpus._write_index(
            path.parent, {"a.txt": {"clip": "a.bvh", "variant": "0"}}
        ),
        (csv.DictWriter, "writerows", _writerows_half),
    ),
}


@pytest.mark.parametrize("case", WRITERS.values(), ids=WRITERS.keys())
def test_an_interrupted_write_keeps_the_previous_file_and_leaves_no_partial(
    case: WriterCase, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / case.file_name
    target.write_bytes(PREVIOUS)
    with monkeypatch.context() as patch:
        patch.setattr(*case.interruption)
        with pytest.raises(KeyboardInterrupt):
            case.write(target, monkeypatch)
    assert target.read_bytes() == PREVIOUS
    assert [p.name for p in tmp_path.iterdir()] == [target.name]
    case.write(target, monkeypatch)  # the same writer, uninterrupted, replaces the file
    assert target.read_bytes() != PREVIOUS
    assert not list(tmp_path.glob("*.partial"))


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    """Inputs of every command: recordings, a motion (and a hard link and a symlink to it), a stand-in model,
    split file and paired-data index (refused before they are read), and a corpus of one subject."""
    rec, rec2 = tmp_path / "walk.txt", tmp_path / "walk2.txt"
    write_moticon(oscillating_recording(50), rec)
    write_moticon(oscillating_recording(60), rec2)
    bvh = tmp_path / "walk.bvh"
    write_bvh(walking_motion(n_cycles=1, fps=30.0), bvh)
    os.link(bvh, tmp_path / "hardlink.bvh")
    (tmp_path / "symlink.txt").symlink_to(rec)
    model = tmp_path / "model.safetensors"
    model.write_bytes(b"weights")
    (tmp_path / "reconstruction.bvh").write_bytes(b"not really a model")
    split = tmp_path / "split.json"
    split.write_text('{"train": ["1"], "validation": [], "test": ["2"]}', encoding="utf-8")
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "index.csv").write_text("subject,style,recording,motion\n", encoding="utf-8")
    (tmp_path / "corpus" / "a").mkdir(parents=True)
    write_bvh(walking_motion(n_cycles=1, fps=30.0), tmp_path / "corpus" / "a" / "a_01.bvh")
    return {
        "dir": tmp_path,
        "rec": rec,
        "rec2": rec2,
        "bvh": bvh,
        "model": model,
        "split": split,
        "data": tmp_path / "data",
        "corpus": tmp_path / "corpus",
    }


EVALUATE = "evaluate --model {model} --data {data} --split-file {split}"


@pytest.mark.parametrize(
    ("command", "named", "message"),
    [
        ("reconstruct {rec} -o {rec} --model {model}", "{rec}", "-o would overwrite the input recording"),
        ("reconstruct {rec} -o {dir}/m.npz --model {model}", "{dir}/m.npz", "default --npz (-o with suffix"),
        ("reconstruct {rec} -o {dir}/m.bvh --npz {dir}/m.bvh --model {model}", "{dir}/m.bvh", "--npz would"),
        ("reconstruct {rec} -o {dir}/m.bvh --npz {rec} --model {model}", "{rec}", "the input recording"),
        ("reconstruct {rec} -o {model} --model {model}", "{model}", "-o would overwrite the model"),
        ("simulate {bvh} -o {bvh}", "{bvh}", "-o would overwrite the input motion"),
        ("simulate {bvh} -o {dir}/hardlink.bvh", "{dir}/hardlink.bvh", "would overwrite the input motion"),
        ("plot {rec} -o {rec}", "{rec}", "-o would overwrite the input recording"),
        ("plot {rec} -o {dir}/symlink.txt", "{dir}/symlink.txt", "would overwrite the input recording"),
        ("compare-recordings {rec} {rec2} --json {rec2}", "{rec2}", "--json would overwrite the input rec"),
        ("gait {rec} --json {rec}", "{rec}", "--json would overwrite the input recording"),
        (
            "gait {rec} --json {dir}/g.json --plot {dir}/g.json",
            "{dir}/g.json",
            "--plot would overwrite --json",
        ),
        (EVALUATE + " --json {split}", "{split}", "--json would overwrite the split file"),
        (EVALUATE + " --json {data}/index.csv", "{data}/index.csv", "would overwrite the data's index.csv"),
        (EVALUATE + " --json {dir}/e.json --markdown {dir}/e.json", "{dir}/e.json", "--markdown would"),
        (EVALUATE + " --json {dir}/e.json --plots {dir}/e.json", "{dir}/e.json", "--plots would"),
        ("simulate-corpus {corpus} -o {corpus}", "{corpus}/a/a_01.bvh", "would overwrite the source of clip"),
        ("demo -o {dir} --model {dir}/reconstruction.bvh", "{dir}/reconstruction.bvh", "overwrite the model"),
    ],
)
def test_an_output_that_is_an_input_or_another_output_is_refused_before_any_work(
    files: dict[str, Path], capsys: pytest.CaptureFixture[str], command: str, named: str, message: str
) -> None:
    before = {path: path.read_bytes() for path in files["dir"].rglob("*") if path.is_file()}
    assert main(command.format(**files).split()) == 2
    captured = capsys.readouterr()
    assert captured.out == ""  # refused before reading or printing anything
    assert captured.err.count("\n") == 1 and message in captured.err, captured.err
    assert named.format(**files) in captured.err
    after = {path: path.read_bytes() for path in files["dir"].rglob("*") if path.is_file()}
    assert after == before  # nothing written, nothing changed
