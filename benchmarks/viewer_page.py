"""Size and opening time of the ``step2motion view`` page for a long recording.

Builds a synthetic scene of ``--minutes`` (default 10): 100-Hz insoles (the bundled demo walk's pressures
repeated, with a 1-s gap of missing samples every minute) and two 30-fps motions, a prediction and a
truth (the demo truth's poses repeated along a 6-m circle, the truth 5 cm off). Writes the page, then
opens it ``--repeats`` times (default 3) in headless Chromium and reads the time from navigation start
until the page has drawn its first frame (``window.step2motionViewer.readyMs``). Prints the page size,
the write time and the median opening time. Needs Debian's ``chromium`` and ``chromium-driver``
(``.ci/run`` installs them); without them only the size and write time are printed.

    .venv/bin/python benchmarks/viewer_page.py [--minutes 10] [--repeats 3]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.table import Table
from scipy.spatial.transform import Rotation

from step2motion.visualisation.browser import chromium_driver, chromium_installed, wait_until_ready
from step2motion.visualisation.scene import InsoleTrack, MotionTrack, Scene, load_scene
from step2motion.visualisation.viewer_page import write_viewer_page

REPO = Path(__file__).resolve().parent.parent
DEMO = REPO / "src" / "step2motion" / "data" / "demo"
WALK_SPEED_M_S = 1.2
CIRCLE_RADIUS_M = 6.0
INSOLE_RATE_HZ = 100.0


def synthetic_scene(minutes: float) -> Scene:
    """A long scene made of the demo walk (module docstring): realistic values, any length."""
    demo = load_scene(DEMO / "walk_insoles.txt", [DEMO / "walk_truth.bvh"])
    walk = demo.motions[0]
    prediction = _walk_on_circle(walk, minutes, CIRCLE_RADIUS_M, "prediction.bvh", "prediction")
    truth = _walk_on_circle(walk, minutes, CIRCLE_RADIUS_M + 0.05, "truth.bvh", "truth")
    return Scene((prediction, truth), _repeated_insoles(demo.insoles, minutes))


def _walk_on_circle(walk: MotionTrack, minutes: float, radius_m: float, label: str, role: str) -> MotionTrack:
    """The walk's poses repeated for ``minutes``, turned to head along a circle walked at 1.2 m/s."""
    n_frames = round(minutes * 60 * walk.fps)
    source = walk.joint_positions_m[np.arange(n_frames) % walk.joint_positions_m.shape[0]]
    offsets = source - source[:, :1]
    angle = WALK_SPEED_M_S * np.arange(n_frames) / walk.fps / radius_m
    # heading +Z turned by the angle about +Y; the root on the circle through the origin centred at x = +r
    offsets = np.einsum("tij,tkj->tki", Rotation.from_rotvec(angle[:, None] * [0, 1, 0]).as_matrix(), offsets)
    root = np.stack([radius_m * (1 - np.cos(angle)), source[:, 0, 1], radius_m * np.sin(angle)], axis=1)
    return MotionTrack(label, role, root[:, None] + offsets, walk.fps)


def _repeated_insoles(insoles: InsoleTrack, minutes: float) -> InsoleTrack:
    """The demo insoles repeated at 100 Hz for ``minutes``, with one missing second every minute."""
    n = round(minutes * 60 * INSOLE_RATE_HZ)
    source = np.arange(n) % insoles.time_s.size
    time_s = np.arange(n) / INSOLE_RATE_HZ
    missing = (time_s % 60 >= 30) & (time_s % 60 < 31)

    def repeated(per_side: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        return {side: np.where(_along(missing, v), np.nan, v[source]) for side, v in per_side.items()}

    return InsoleTrack(
        time_s=time_s,
        pressure_ncm2=repeated(insoles.pressure_ncm2),
        force_n=repeated(insoles.force_n),
        cop_norm=repeated(insoles.cop_norm),
        planted={side: flags[source] & ~missing for side, flags in insoles.planted.items()},
        insole_size=insoles.insole_size,
        label="long_walk.txt",
    )


def _along(mask: np.ndarray, values: np.ndarray) -> np.ndarray:
    """``mask`` [N] shaped to broadcast against ``values`` [N, ...]."""
    return mask.reshape(mask.shape + (1,) * (values.ndim - 1))


def open_times_s(page: Path, repeats: int) -> list[float]:
    """Opening time of ``page`` in a fresh tab, ``repeats`` times."""
    times = []
    with tempfile.TemporaryDirectory() as profile:
        driver = chromium_driver(Path(profile))
        try:
            for _ in range(repeats):
                driver.get("about:blank")
                driver.get(page.resolve().as_uri())
                times.append(wait_until_ready(driver) / 1000)
        finally:
            driver.quit()
    return times


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0, help="length of the scene (default 10)")
    parser.add_argument("--repeats", type=int, default=3, help="page openings to time (default 3)")
    args = parser.parse_args(argv)

    scene = synthetic_scene(args.minutes)
    with tempfile.TemporaryDirectory() as folder:
        page = Path(folder) / "view.html"
        start = time.perf_counter()
        stats = write_viewer_page(scene, page)
        write_s = time.perf_counter() - start
        opened = statistics.median(open_times_s(page, args.repeats)) if chromium_installed() else None

    table = Table(title=f"view page of a {args.minutes:g}-min scene (100-Hz insoles, 2 motions at 30 fps)")
    for column in ("page size (MB)", "write time (s)", "open time (s)"):
        table.add_column(column, justify="right")
    table.add_row(
        f"{stats.size_bytes / 1e6:.1f}",
        f"{write_s:.2f}",
        "no chromium (.ci/run installs it)" if opened is None else f"{opened:.2f}",
    )
    Console().print(table)


if __name__ == "__main__":
    main()
