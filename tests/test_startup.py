"""Fast start: file-level commands and the data layer load neither torch nor the model, and nothing at
run time loads diffusers (each check runs in a fresh interpreter, since this one has loaded everything)."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
DEMO = REPO / "src" / "step2motion" / "data" / "demo"
MODEL = REPO / "src" / "step2motion" / "data" / "models" / "default.safetensors"
#: Modules whose loading the tests watch (pymotion is light since only its NumPy backend is imported).
WATCHED = ("torch", "diffusers", "matplotlib", "step2motion.model", "pymotion")


def loaded_after(code: str) -> set[str]:
    """Which of :data:`WATCHED` a fresh interpreter has loaded after running ``code``."""
    probe = f"{code}\nimport json, sys\nprint(json.dumps([m for m in {WATCHED!r} if m in sys.modules]))"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=REPO, check=True)
    return set(json.loads(done.stdout.splitlines()[-1]))


@pytest.mark.parametrize(
    "modules",
    [
        ["step2motion.dataset", "step2motion.dataset.insole_features", "step2motion.condition_schema"],
        [
            "step2motion.io.moticon",
            "step2motion.io.bvh",
            "step2motion.io.corpus",
            "step2motion.io.model_header",
        ],
        ["step2motion.simulation.simulate", "step2motion.evaluation.recording_stats"],
    ],
)
def test_data_and_file_layers_import_without_torch_or_the_model(modules: list[str]) -> None:
    assert loaded_after("\n".join(f"import {m}" for m in modules)) <= {"pymotion"}


def test_command_line_parser_loads_no_heavy_module() -> None:
    """Every command module is imported to build the parser, so their tops must stay light."""
    assert loaded_after("from step2motion.cli import build_parser\nbuild_parser()") == set()


@pytest.mark.parametrize(
    "file", [DEMO / "walk_insoles.txt", DEMO / "walk_truth.bvh", MODEL], ids=lambda p: p.name
)
def test_info_loads_no_torch(file: Path) -> None:
    code = (
        "import contextlib, io\nfrom step2motion.cli import main\n"
        f"with contextlib.redirect_stdout(io.StringIO()):\n    assert main(['info', {str(file)!r}]) == 0"
    )
    assert loaded_after(code) <= {"pymotion"}


def test_dataset_layer_does_not_import_the_model_layer() -> None:
    dataset = sorted((REPO / "src" / "step2motion" / "dataset").glob("*.py"))
    code = "\n".join(f"import step2motion.dataset.{path.stem}" for path in dataset if path.stem != "__init__")
    assert "step2motion.model" not in loaded_after(code)


def test_reconstruction_start_up_does_not_load_diffusers() -> None:
    code = (
        "import step2motion.reconstruction.pipeline\n"
        f"from step2motion.model.checkpoint import load_checkpoint\nload_checkpoint({str(MODEL)!r})"
    )
    assert "diffusers" not in loaded_after(code)


def _startup_benchmark():
    spec = importlib.util.spec_from_file_location("benchmark_startup", REPO / "benchmarks" / "startup.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_benchmark_builds_a_60_s_recording_and_sums_import_times(tmp_path: Path) -> None:
    from step2motion.io.moticon import read_moticon

    benchmark = _startup_benchmark()
    recording = read_moticon(benchmark.long_recording(tmp_path, seconds=60.0))
    assert recording.duration_s >= 60.0 and recording.rate_hz == pytest.approx(100.0)
    stderr = "\n".join(
        [
            "import time: self [us] | cumulative | imported package",
            "import time:       300 |        300 |   torch._C",
            "import time:      1200 |       1500 | torch",
            "import time:        50 |         50 | numpy",
        ]
    )
    assert benchmark.package_import_times(stderr) == pytest.approx({"torch": 0.0015, "numpy": 0.00005})
    median_s, fastest_s, torch_loaded = benchmark.measure(["-c", "pass"], repeats=1)
    assert 0 < fastest_s <= median_s and not torch_loaded
    # a program that says it is ready is timed until then, not until it exits
    ready_then_wait = "import sys, time\nprint('ready:', time.time(), file=sys.stderr)\ntime.sleep(1.0)"
    assert benchmark.measure(["-c", ready_then_wait], repeats=1)[0] < 0.9
