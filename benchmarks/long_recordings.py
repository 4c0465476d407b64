"""Memory and time of every command that reads a recording, on long recordings: is memory flat in length?

For each length in ``--minutes`` (default 10 and 60), a Moticon export is made by repeating the bundled
5.4-s demo walk with its time stamps carried on (:func:`startup.long_recording`), and each command runs in
a fresh process. The table gives wall time and the process's peak resident set size (Linux ``VmHWM``:
the interpreter, torch and the data together). A command whose memory grows with the
recording shows it as the ratio of the last length's peak to the first's; a flat one stays near 1.

    .venv/bin/python benchmarks/long_recordings.py [--minutes 10 60] [--commands info reconstruct ...]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parent))  # run as a script or loaded by the tests
from startup import long_recording


def _command(name: str, recording: Path, out: Path) -> list[str]:
    """Arguments after ``step2motion`` for one measured command (outputs in ``out``)."""
    rec = str(recording)
    return {
        "info": ["info", rec],
        "compare-recordings": ["compare-recordings", rec, "--json", str(out / "stats.json")],
        "plot": ["plot", rec, "-o", str(out / "plot.png")],
        "gait": ["gait", rec, "--json", str(out / "gait.json")],
        "reconstruct": ["reconstruct", rec, "-o", str(out / "motion.bvh")],
        "reconstruct --stream": ["reconstruct", rec, "-o", str(out / "streamed.bvh"), "--stream"],
        "view": ["view", rec, "--motion", str(out / "motion.bvh"), "-o", str(out / "view.html")],
    }[name]


COMMANDS = ("info", "compare-recordings", "plot", "gait", "reconstruct", "reconstruct --stream", "view")


#: ``python -c`` program: the command line, and on exit the process's own peak resident memory (Linux
#: ``VmHWM``, kB) written to ``argv[1]``. Why not ``wait4``'s ``ru_maxrss``: on Linux a child's counts the
#: parent's peak too (inherited at fork), and this script's own peak holds a whole long export's text.
_MEASURED_MAIN = """
import atexit, sys
def _peak(path=sys.argv[1]):
    with open("/proc/self/status") as status, open(path, "w") as out:
        out.write(next(line.split()[1] for line in status if line.startswith("VmHWM:")))
atexit.register(_peak)
sys.argv = ["step2motion", *sys.argv[2:]]
from step2motion.cli import main
sys.exit(main())
"""


def run_measured(arguments: list[str], log: Path) -> tuple[float, float, int]:
    """``(wall s, peak RSS MiB, exit status)`` of ``step2motion ARGUMENTS`` in a fresh interpreter;
    its stderr goes to ``log`` (a pipe could fill up and block it). The peak is the program's own
    (``VmHWM``) where ``/proc`` has it, else ``ru_maxrss`` (an upper bound)."""
    peak_file = log.with_suffix(".peak")
    peak_file.unlink(missing_ok=True)
    start = time.perf_counter()
    with log.open("wb") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-c", _MEASURED_MAIN, str(peak_file), *arguments],
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )
        _, status, usage = os.wait4(process.pid, 0)
    wall_s = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        tail = log.read_text(errors="replace")[-2000:]
        print(f"step2motion {' '.join(arguments)}: exit {process.returncode}\n{tail}", file=sys.stderr)
    peak_kib = int(peak_file.read_text()) if peak_file.exists() else usage.ru_maxrss
    return wall_s, peak_kib / 1024, process.returncode


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--minutes", type=float, nargs="+", default=[10.0, 60.0], help="recording lengths")
    parser.add_argument(
        "--commands", nargs="+", choices=COMMANDS, default=list(COMMANDS), help="commands to run"
    )
    args = parser.parse_args(argv)
    console = Console()
    console.print(
        f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs (a busy machine is slower)"
    )
    results: dict[str, list[tuple[float, float, int]]] = {name: [] for name in args.commands}
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder)
        for minutes in args.minutes:
            recording = long_recording(out, seconds=minutes * 60)
            rows = sum(1 for line in recording.open(encoding="utf-8") if not line.startswith("#"))
            console.print(
                f"{minutes:g} min: {recording.name}, {rows:,} rows, {recording.stat().st_size / 1e6:.0f} MB"
            )
            for name in args.commands:
                results[name].append(run_measured(_command(name, recording, out), out / "stderr.txt"))
                wall_s, peak_mib, status = results[name][-1]
                console.print(f"  {name}: {wall_s:.1f} s, {peak_mib:.0f} MiB, exit {status}")
    table = Table(title="Long recordings: wall time and peak memory per command (fresh process each)")
    table.add_column("command")
    for minutes in args.minutes:
        table.add_column(f"{minutes:g} min: s", justify="right")
        table.add_column(f"{minutes:g} min: MiB", justify="right")
    table.add_column("memory ratio", justify="right")
    for name, runs in results.items():
        cells = [f"{wall_s:.1f}" if status == 0 else "failed" for wall_s, _, status in runs]
        memory = [f"{peak_mib:.0f}" for _, peak_mib, _ in runs]
        ratio = runs[-1][1] / runs[0][1]
        table.add_row(name, *[c for pair in zip(cells, memory, strict=True) for c in pair], f"{ratio:.2f}")
    console.print(table)
    return 0 if all(status == 0 for runs in results.values() for _, _, status in runs) else 1


if __name__ == "__main__":
    sys.exit(main())
