"""The README's main command, ``step2motion demo``, end to end on the bundled recording (tiny model)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from test_reconstruction import simulated_walk, tiny_checkpoint
from test_viewer_page import page_data

from step2motion.cli import main
from step2motion.io.bvh import read_bvh


def test_demo_writes_plot_reconstruction_and_reports_accuracy(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, stats = simulated_walk()
    model = tiny_checkpoint(tmp_path / "tiny.safetensors", stats)
    assert main(["demo", "-o", str(tmp_path / "demo"), "--model", str(model)]) == 0
    printed = capsys.readouterr().out
    assert "MPJPE" in printed and "contact F1" in printed
    motion = read_bvh(tmp_path / "demo" / "reconstruction.bvh")
    assert motion.duration_s == pytest.approx(5.43, abs=1 / 30)
    assert np.isfinite(motion.joint_positions_m()).all()
    assert (tmp_path / "demo" / "insoles.png").stat().st_size > 10_000
    page = page_data((tmp_path / "demo" / "view.html").read_text(encoding="utf-8"))
    roles = [(m["label"], m["role"]) for m in page["motions"]]
    assert roles == [("reconstruction.bvh", "prediction"), ("walk_truth.bvh", "truth")]
    assert "view.html" in printed


def test_demo_without_a_model_is_one_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "-o", str(tmp_path), "--model", str(tmp_path / "missing.safetensors")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no model file here; train one with" in err
