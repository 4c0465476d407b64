"""Bad files and options found in real use: each gives one line on stderr and exit 2 (Ctrl-C: 130, a
closed output pipe: a quiet 141), checked before the long work, never a traceback; or, where the input
is usable but thin (one insole, subjects without data, a window longer than every clip), a note."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from motion_fixtures import walking_motion
from test_paired_corpus import write_paired_corpus
from test_reconstruction import _one_torch_thread, simulated_walk, tiny_checkpoint  # noqa: F401 (fixture)

from step2motion.cli import main
from step2motion.cli._recording_notes import notes
from step2motion.errors import InputError
from step2motion.io.bvh import read_bvh, write_bvh
from step2motion.io.moticon import write_moticon
from step2motion.model.checkpoint import load_checkpoint, save_checkpoint
from step2motion.recording import FootSignals, InsoleRecording

REPO = Path(__file__).resolve().parents[1]
DATA_ROW = 100  # the data row the tests damage


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A good recording (the 3.3-s fixture walk at 100 Hz), a tiny model and a BVH."""
    root = tmp_path_factory.mktemp("inputs")
    recording, stats = simulated_walk()
    write_moticon(recording, root / "walk.txt")
    write_bvh(walking_motion(n_cycles=1), root / "walk.bvh")
    return {
        "recording": root / "walk.txt",
        "model": tiny_checkpoint(root / "tiny.safetensors", stats),
        "motion": root / "walk.bvh",
    }


def _one_line_error(argv: list[str], capsys: pytest.CaptureFixture[str], status: int = 2) -> str:
    assert main(argv) == status
    error = capsys.readouterr().err.strip()
    assert error.startswith("step2motion ") and "\n" not in error, error
    return error


def _damaged(files: dict[str, Path], tmp_path: Path, column: int, value: str) -> tuple[Path, int]:
    """The recording with one field of data row ``DATA_ROW`` replaced; and that field's line number."""
    lines = files["recording"].read_text(encoding="utf-8").split("\n")
    header = max(i for i, line in enumerate(lines) if line.startswith("#"))
    fields = lines[header + DATA_ROW].split("\t")
    fields[column - 1] = value
    lines[header + DATA_ROW] = "\t".join(fields)
    path = tmp_path / "damaged.txt"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path, header + DATA_ROW + 1


def _reconstruct(files: dict[str, Path], tmp_path: Path, recording: Path, *extra: str) -> list[str]:
    output = str(tmp_path / "out.bvh")
    return [
        "reconstruct",
        str(recording),
        "-o",
        output,
        "--model",
        str(files["model"]),
        "--steps",
        "2",
        *extra,
    ]


def test_a_one_row_export_is_refused(
    files: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = files["recording"].read_text(encoding="utf-8").split("\n")
    header = max(i for i, line in enumerate(lines) if line.startswith("#"))
    one_row = tmp_path / "one_row.txt"
    one_row.write_text("\n".join(lines[: header + 2]) + "\n", encoding="utf-8")
    for argv in (_reconstruct(files, tmp_path, one_row), ["compare-recordings", str(one_row)]):
        error = _one_line_error(argv, capsys)
        assert f"{one_row}:{header + 2}: only one data row" in error
    assert not (tmp_path / "out.bvh").exists()


def test_an_absurd_value_is_refused_naming_line_and_column(
    files: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path, line = _damaged(files, tmp_path, 6, "1e300")
    for argv in (_reconstruct(files, tmp_path, path), ["plot", str(path), "-o", str(tmp_path / "rec.png")]):
        error = _one_line_error(argv, capsys)
        assert f"{path}:{line}: column 6 'left pressure 5[N/cm²]': value 1e+300, expected 0 to 50" in error
    assert not (tmp_path / "rec.png").exists()


def test_an_infinite_value_is_refused(
    files: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path, line = _damaged(files, tmp_path, 20, "-inf")
    error = _one_line_error(["info", str(path)], capsys)
    assert f":{line}: column 20 'left acceleration Z[g]': value -inf, expected a finite number" in error


def test_a_negative_pressure_is_refused(
    files: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path, line = _damaged(files, tmp_path, 2, "-3.25")
    error = _one_line_error(["info", str(path)], capsys)
    assert f":{line}: column 2 'left pressure 1[N/cm²]': value -3.25, expected 0 to 50" in error


def test_plot_refuses_an_unknown_image_type_before_reading(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    error = _one_line_error(["plot", str(tmp_path / "absent.txt"), "-o", str(tmp_path / "x.out")], capsys)
    assert "cannot draw a .out image; supported: " in error and "png" in error and "svg" in error


def test_reconstruct_refuses_more_steps_than_the_model_has(
    files: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    error = _one_line_error(_reconstruct(files, tmp_path, files["recording"], "--steps", "100000"), capsys)
    assert "--steps must be 1-1000 (the model's diffusion steps), got 100000" in error


def test_reconstruct_refuses_an_absurd_frame_rate(
    files: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    error = _one_line_error(_reconstruct(files, tmp_path, files["recording"], "--fps", "1e9"), capsys)
    assert "the output frame rate must be above 0 and at most 1000 fps, got 1e+09" in error


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--seed", "-1", "--seed must be 0 or more, got -1"),
        ("--source-fps", "1e6", "--source-fps must be above 0 and at most 1000 fps, got 1e+06"),
        ("--rate", "7", "--rate must be one of OpenGo's 10, 25, 50, 100 Hz, got 7"),
    ],
)
def test_simulate_refuses_an_option_out_of_range(
    files: dict[str, Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    option: str,
    value: str,
    message: str,
) -> None:
    output = tmp_path / "sim.txt"
    error = _one_line_error(["simulate", str(files["motion"]), "-o", str(output), option, value], capsys)
    assert message in error and not output.exists()


@pytest.mark.skipif(not Path("/proc/version").is_file(), reason="needs Linux's /proc")
def test_compare_recordings_refuses_an_unwritable_json_before_work(
    files: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    error = _one_line_error(
        ["compare-recordings", str(files["recording"]), "--json", "/proc/version"], capsys
    )
    assert "/proc/version: --json: cannot create files in /proc" in error
    assert capsys.readouterr().out == ""  # refused before the table


def test_simulate_corpus_refuses_a_file_as_its_output_folder(
    files: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    existing = tmp_path / "existing.txt"
    existing.write_text("keep me", encoding="utf-8")
    error = _one_line_error(["simulate-corpus", str(files["motion"].parent), "-o", str(existing)], capsys)
    assert f"{existing}: -o names a file, not a folder" in error
    assert existing.read_text(encoding="utf-8") == "keep me"


def test_info_on_a_path_through_a_file(files: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    error = _one_line_error(["info", str(files["recording"] / "x.txt")], capsys)
    assert error.endswith(f"{files['recording'] / 'x.txt'}: Not a directory")


def test_a_closed_output_pipe_ends_quietly(files: dict[str, Path]) -> None:
    """``step2motion info REC.txt | head -1``: the reader went away; no traceback, exit as SIGPIPE would."""
    command = [sys.executable, "-m", "step2motion", "info", str(files["recording"])]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    process.stdout.close()  # before the command writes: its first write meets a closed pipe
    _, stderr = process.communicate(timeout=120)
    assert (process.returncode, stderr) == (141, b"")


def test_ctrl_c_is_one_line_and_exit_130(
    files: dict[str, Path], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def interrupted(path: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr("step2motion.io.moticon.iter_moticon", interrupted)
    assert _one_line_error(["info", str(files["recording"])], capsys, 130) == "step2motion info: interrupted"


def test_a_checkpoint_with_nan_weights_is_refused_at_load(
    files: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    checkpoint = load_checkpoint(files["model"])
    with torch.no_grad():
        for parameter in checkpoint.model.parameters():
            parameter.fill_(float("nan"))
    diverged = save_checkpoint(tmp_path / "diverged.safetensors", checkpoint.model, checkpoint.stats)
    with pytest.raises(InputError, match="hold NaN or infinite values"):
        load_checkpoint(diverged)
    argv = ["reconstruct", str(files["recording"]), "-o", str(tmp_path / "o.bvh"), "--model", str(diverged)]
    assert "the training diverged; use an earlier checkpoint" in _one_line_error(argv, capsys)


def test_info_reads_an_export_with_a_byte_order_mark(
    files: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "bom.txt"
    path.write_bytes(b"\xef\xbb\xbf" + files["recording"].read_bytes())
    assert main(["info", str(path)]) == 0
    assert capsys.readouterr().out.startswith(f"Insole recording: {path}\n  samples:       330 at 100 Hz")


def test_body_mass_is_checked_in_kilograms(
    files: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    error = _one_line_error(
        _reconstruct(files, tmp_path, files["recording"], "--body-mass-kg", "-70"), capsys
    )
    assert "--body-mass-kg must be above 0 and at most 500 kg, got -70" in error


def test_the_wearers_height_is_checked_in_metres(
    files: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for extra in ((), ("--stream",)):
        command = _reconstruct(files, tmp_path, files["recording"], "--height-m", "175", *extra)
        error = _one_line_error(command, capsys)
        assert "the wearer's height must be in metres, 0.5 to 2.5, got 175" in error


def test_the_wearers_skeleton_is_read_checked_and_not_taken_with_a_height(
    files: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    skeleton_bvh = tmp_path / "wearer.bvh"
    write_bvh(walking_motion(n_cycles=1), skeleton_bvh)
    for extra in ((), ("--stream",)):
        command = _reconstruct(
            files, tmp_path, files["recording"], "--skeleton", str(skeleton_bvh), "--height-m", "1.7"
        )
        assert "give the wearer's height or skeleton, not both" in _one_line_error([*command, *extra], capsys)
        missing = _reconstruct(
            files, tmp_path, files["recording"], "--skeleton", str(tmp_path / "none.bvh"), *extra
        )
        assert "none.bvh" in _one_line_error(missing, capsys)
    assert main(_reconstruct(files, tmp_path, files["recording"], "--skeleton", str(skeleton_bvh))) == 0
    np.testing.assert_allclose(
        read_bvh(tmp_path / "out.bvh").offsets_m, read_bvh(skeleton_bvh).offsets_m, atol=1e-5
    )


def test_reconstruct_notes_a_missing_insole(
    files: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    walk = simulated_walk()[0]
    left_only = InsoleRecording(walk.time_s, walk.left, FootSignals.missing(walk.n_samples), insole_size=7)
    write_moticon(left_only, tmp_path / "left.txt")
    assert main(_reconstruct(files, tmp_path, tmp_path / "left.txt")) == 0
    notes = [line for line in capsys.readouterr().err.splitlines() if line.startswith("note:")]
    note = "the right insole has no data: the motion comes from the left foot alone"
    assert notes[0] == f"note: {tmp_path / 'left.txt'}: {note}"
    # and without the right IMU no odometry: the network's root, said so
    assert len(notes) == 2 and notes[1].startswith(f"note: {tmp_path / 'left.txt'}: no trusted foot odometry")


def test_an_insole_starting_late_is_noted_with_what_carries_the_motion_until_then() -> None:
    """The other insole carries the start, or, where it has no data at all, nothing does: the note must not
    send the reader to an insole that is empty."""
    no_gaps = np.zeros((0, 2))
    both = notes(no_gaps, [], {"left": (0.5, 0.0), "right": (0.0, 0.3)})
    assert both == [
        "the left insole's data starts 0.50 s after the recording's first row: until then the motion comes "
        "from the right insole alone (where it has data)",
        "the right insole's data stops 0.30 s before the recording's last row: from then on the motion comes "
        "from the left insole alone (where it has data)",
    ]
    one = notes(no_gaps, ["right"], {"left": (0.5, 0.0)})
    assert one == [
        "the right insole has no data: the motion comes from the left foot alone",
        "the left insole's data starts 0.50 s after the recording's first row: until then no insole has data",
    ]


def test_evaluate_names_split_subjects_without_data(
    files: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = write_paired_corpus(tmp_path / "data", {"1": 1, "3": 1})
    split = tmp_path / "split.json"
    split.write_text(json.dumps({"train": ["3"], "validation": [], "test": ["1", "77"]}), encoding="utf-8")
    argv = ["evaluate", "--model", str(files["model"]), "--data", str(data), "--split-file", str(split)]
    assert main([*argv, "--steps", "2"]) == 0
    notes = [line for line in capsys.readouterr().err.splitlines() if "77" in line]
    assert notes == [
        f"note: test subject(s) 77 of the split have no take in {data / 'index.csv'}; evaluating the others"
    ]


def test_train_warns_when_the_window_is_longer_than_every_clip(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = write_paired_corpus(tmp_path / "data", {"1": 1, "3": 1})
    split = tmp_path / "split.json"
    split.write_text(json.dumps({"train": ["1"], "validation": ["3"], "test": []}), encoding="utf-8")
    config = tmp_path / "long_window.json"
    smoke = REPO / "configs" / "smoke.json"
    config.write_text(json.dumps({"extends": str(smoke), "model": {"window_frames": 400}, "steps": 1}))
    argv = ["train", "--config", str(config), "--data", str(data), "--split", str(split), "--out"]
    assert main([*argv, str(tmp_path / "run")]) == 0
    warnings = [line for line in capsys.readouterr().err.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 1 and "model.window_frames 400 is longer than every training clip" in warnings[0]
    assert np.isfinite(load_checkpoint(tmp_path / "run" / "last.safetensors").info["step"])
