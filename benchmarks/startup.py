"""Start-up time of the command line: what a user waits for before anything useful happens.

Each command runs ``--repeats`` times (default 5) in a fresh interpreter; the table gives the median and
the fastest wall time until the command exits (or, for the reconstruction start-up, until the model is
loaded: torch takes a further ~0.3 s to tear down at exit), and whether torch was loaded. Measured:

* ``step2motion --help`` (every command's parser: module tops must stay light);
* ``step2motion info`` of a 60-s Moticon export (the bundled 5.4-s demo walk repeated, in a temporary
  folder), of the bundled BVH and of the bundled model (its header only);
* ``reconstruct`` start-up: the imports of ``step2motion reconstruct`` and loading the model, i.e. what
  runs before the first recording-dependent step;
* ``python -c pass``: the interpreter alone, the floor under every row.

Then, from one run of each under ``python -X importtime``, the packages that cost most to import (self
time summed over a package's modules: CPU-bound, so less sensitive to a busy machine than wall time).
The machine may be shared: the load average printed first says how busy it was.

    .venv/bin/python benchmarks/startup.py [--repeats 5] [--model M.safetensors]
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from rich.console import Console
from rich.table import Table

REPO = Path(__file__).resolve().parent.parent
DATA = REPO / "src" / "step2motion" / "data"
DEMO_RECORDING = DATA / "demo" / "walk_insoles.txt"
DEMO_BVH = DATA / "demo" / "walk_truth.bvh"
DEFAULT_MODEL = DATA / "models" / "default.safetensors"

#: What ``step2motion reconstruct`` imports and loads before it reads the recording (``sys.argv[1]``: model);
#: it then says when it got there (``ready:`` and the epoch time, on stderr).
RECONSTRUCT_STARTUP = """
import sys, time
from step2motion.cli import build_parser
build_parser()
from step2motion.io.bvh import write_bvh
from step2motion.io.moticon import read_moticon
from step2motion.model.checkpoint import load_checkpoint
from step2motion.reconstruction.pipeline import reconstruct
load_checkpoint(sys.argv[1])
print("ready:", time.time(), file=sys.stderr)
"""
#: Appended to each measured program: says on stderr whether torch was loaded.
_TORCH_PROBE = (
    "import atexit, sys; atexit.register(lambda: print('torch:', 'torch' in sys.modules, file=sys.stderr))"
)
_IMPORTTIME_LINE = re.compile(r"^import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)$")
_READY_LINE = re.compile(r"^ready: (\S+)$", re.MULTILINE)


def long_recording(folder: Path, seconds: float = 60.0, source: Path = DEMO_RECORDING) -> Path:
    """A Moticon export of at least ``seconds``: the data rows of ``source`` repeated, times shifted on."""
    lines = source.read_text(encoding="utf-8").splitlines()
    header = [line for line in lines if line.startswith("#") and not line.startswith("# Duration")]
    rows = [line.split("\t") for line in lines if line and not line.startswith("#")]
    period_s = float(rows[-1][0]) + (float(rows[1][0]) - float(rows[0][0]))
    copies = int(seconds // period_s) + 1
    data = [
        "\t".join([f"{float(row[0]) + copy * period_s:.2f}", *row[1:]])
        for copy in range(copies)
        for row in rows
    ]
    total_s = copies * period_s
    duration = f"# Duration: {int(total_s // 60):02d}:{total_s % 60:06.3f}"
    path = folder / f"walk_{seconds:g}s.txt"
    path.write_text("\n".join([duration, *header, *data]) + "\n", encoding="utf-8")
    return path


def commands(recording: Path, bvh: Path, model: Path) -> dict[str, list[str]]:
    """Label → the program (arguments after the interpreter) measured."""
    cli = ["-m", "step2motion"]
    return {
        "python -c pass": ["-c", "pass"],
        "step2motion --help": [*cli, "--help"],
        f"info {recording.name}": [*cli, "info", str(recording)],
        f"info {bvh.name}": [*cli, "info", str(bvh)],
        f"info {model.name}": [*cli, "info", str(model)],
        "reconstruct start-up": ["-c", RECONSTRUCT_STARTUP, str(model)],
    }


def _run(arguments: list[str], extra_options: tuple[str, ...] = ()) -> tuple[float, str]:
    """Wall time of one fresh interpreter running ``arguments`` (until it says ``ready:``, else until it
    exits), and its stderr."""
    argv = [sys.executable, *extra_options, "-c", _probed(arguments), *arguments[2:]]
    start_epoch, start = time.time(), time.perf_counter()
    done = subprocess.run(argv, capture_output=True, text=True, cwd=REPO)
    wall_s = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(arguments[:3])} failed:\n{done.stderr[-2000:]}")
    ready = _READY_LINE.search(done.stderr)
    return (float(ready[1]) - start_epoch if ready else wall_s), done.stderr


def _probed(arguments: list[str]) -> str:
    """The program as ``-c`` source with the torch probe registered first (``-m`` becomes ``runpy``)."""
    if arguments[0] == "-m":
        body = f"import runpy; runpy.run_module({arguments[1]!r}, run_name='__main__', alter_sys=True)"
    else:
        body = arguments[1]
    return f"{_TORCH_PROBE}\n{body}"


def measure(arguments: list[str], repeats: int) -> tuple[float, float, bool]:
    """``(median s, fastest s, torch loaded)`` over ``repeats`` fresh runs."""
    runs = [_run(arguments) for _ in range(repeats)]
    walls = [wall for wall, _ in runs]
    return statistics.median(walls), min(walls), "torch: True" in runs[-1][1]


def package_import_times(importtime_stderr: str) -> Counter[str]:
    """Seconds of import self time per top-level package from ``-X importtime`` output."""
    totals: Counter[str] = Counter()
    for line in importtime_stderr.splitlines():
        match = _IMPORTTIME_LINE.match(line)
        if match:
            totals[match[4].split(".")[0]] += int(match[1]) / 1e6
    return totals


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeats", type=int, default=5, help="fresh runs per command (default 5)")
    parser.add_argument("--model", type=Path, default=DEFAULT_MODEL, help="checkpoint (.safetensors)")
    parser.add_argument("--bvh", type=Path, default=DEMO_BVH, help="BVH file for 'info'")
    parser.add_argument("--top", type=int, default=4, help="packages listed per command (default 4)")
    args = parser.parse_args(argv)
    console = Console(width=120)
    load = ", ".join(f"{v:.2f}" for v in os.getloadavg())
    console.print(f"Python {sys.version.split()[0]}, {os.cpu_count()} CPUs, load average {load}")
    with tempfile.TemporaryDirectory() as folder:
        recording = long_recording(Path(folder))
        table = Table(title=f"Start-up wall time, {args.repeats} fresh runs each")
        for column in (
            "command",
            "median s",
            "fastest s",
            "torch",
            f"top {args.top} imports (s, -X importtime)",
        ):
            table.add_column(
                column, justify="left" if column in ("command", "torch") or "imports" in column else "right"
            )
        for label, arguments in commands(recording, args.bvh, args.model).items():
            median_s, fastest_s, torch_loaded = measure(arguments, args.repeats)
            _, stderr = _run(arguments, ("-X", "importtime"))
            top = package_import_times(stderr).most_common(args.top)
            imports = ", ".join(f"{name} {seconds:.2f}" for name, seconds in top)
            table.add_row(
                label, f"{median_s:.3f}", f"{fastest_s:.3f}", "yes" if torch_loaded else "no", imports
            )
        console.print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
