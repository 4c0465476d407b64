"""Recording plots: PNG of the expected size, missing samples passed to matplotlib as NaN, real exports."""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import pytest

from step2motion.errors import InputError
from step2motion.recording import FootSignals, InsoleRecording
from step2motion.visualisation import recording_plot

EXPECTED_PX = (
    round(recording_plot.FIGSIZE_IN[0] * recording_plot.DPI),
    round(recording_plot.FIGSIZE_IN[1] * recording_plot.DPI),
)


def png_size(path: Path) -> tuple[int, int]:
    """(width, height) from a PNG's IHDR chunk."""
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", header[16:24])


def oscillating_recording(n_samples: int = 600, rate_hz: float = 100.0) -> InsoleRecording:
    """Both feet loaded in turn at 1 Hz; every channel positive so a zero can only come from a bug."""
    time_s = np.arange(n_samples) / rate_hz
    load = 0.5 + 0.5 * np.sin(2 * np.pi * time_s)

    def foot(sign: float) -> FootSignals:
        share = np.clip(sign * load + (1 - sign) / 2, 0.05, None)
        pressure = 2.0 + 20.0 * share[:, None] * np.linspace(0.5, 1.0, 16)
        imu = 1.0 + np.stack([share, 2 * share, 3 * share], axis=1)
        cop = np.stack([0.8 * share - 0.4, np.full_like(share, 0.1)], axis=1)  # on the insole: ±0.5
        return FootSignals(pressure, imu, 100 * imu, 500.0 * share + 10.0, cop)

    metadata = {"Body mass": "60 kg"}
    return InsoleRecording(
        time_s, foot(1.0), foot(-1.0), insole_size=5, metadata=metadata, source="synthetic.txt"
    )


def drawn(fig, gid: str):
    """The artist the plot tagged with ``gid``."""
    found = fig.findobj(lambda artist: artist.get_gid() == gid)
    assert len(found) == 1, gid
    return found[0]


def test_plot_writes_png_of_expected_size(tmp_path: Path) -> None:
    out = recording_plot.plot_recording(oscillating_recording(), tmp_path / "rec.png")
    assert out.stat().st_size > 50_000
    assert png_size(out) == EXPECTED_PX


def test_missing_samples_reach_matplotlib_as_gaps_not_zeros(tmp_path: Path) -> None:
    rec = oscillating_recording()
    gap = slice(200, 230)
    for channel in (rec.left.pressure_ncm2, rec.left.acc_g, rec.left.gyro_dps, rec.left.cop_norm):
        channel[gap] = np.nan
    rec.left.total_force_n[gap] = np.nan
    fig = recording_plot.draw_recording(rec)
    mesh = np.ma.asarray(drawn(fig, "left-pressure").get_array()).reshape(16, -1)  # [cells, samples]
    assert mesh.mask[:, gap].all() and not mesh.mask[:, : gap.start].any()
    assert not np.ma.getmaskarray(drawn(fig, "right-pressure").get_array()).any()
    for gid in ("left-acc_g-0", "left-gyro_dps-2", "total-force-0", "total-force-2", "left-cop-X-0"):
        y = np.asarray(drawn(fig, gid).get_ydata(), dtype=float)
        assert np.isnan(y[gap]).all() and np.isfinite(y[: gap.start]).all(), gid
    assert np.isfinite(drawn(fig, "total-force-1").get_ydata()).all()  # the right foot is complete
    footprint = drawn(fig, "left-footprint").get_array()
    assert np.all(footprint > 2.0)  # peak over the window ignores the gap instead of reading 0
    recording_plot.plot_recording(rec, tmp_path / "gap.png")
    assert png_size(tmp_path / "gap.png") == EXPECTED_PX


def test_long_recording_is_binned_keeping_peaks_and_gaps() -> None:
    rec = oscillating_recording(n_samples=12_000)
    rec.right.total_force_n[5000:5100] = np.nan
    rec.right.total_force_n[7001] = 2000.0  # a one-sample spike must survive decimation
    window = recording_plot.select_window(rec, None, None)
    assert window.factor == 6
    fig = recording_plot.draw_recording(rec)
    y = np.asarray(drawn(fig, "total-force-1").get_ydata(), dtype=float)
    assert y.size == 2 * 2000
    assert np.nanmax(y) == 2000.0
    assert np.isnan(y[2 * (5006 // 6) : 2 * (5094 // 6)]).all()  # bins wholly inside the gap stay NaN
    assert np.isfinite(y[: 2 * (5000 // 6)]).all()


def test_time_window_selection_and_errors() -> None:
    rec = oscillating_recording()
    window = recording_plot.select_window(rec, 1.0, 2.5)
    assert rec.time_s[window.start] == pytest.approx(1.0) and rec.time_s[window.stop - 1] == pytest.approx(
        2.5
    )
    fig = recording_plot.draw_recording(rec, 1.0, 2.5)
    assert np.asarray(drawn(fig, "left-acc_g-0").get_xdata()).size == window.stop - window.start
    with pytest.raises(InputError, match="must be after"):
        recording_plot.select_window(rec, 3.0, 2.0)
    with pytest.raises(InputError, match="fewer than 2 samples"):
        recording_plot.select_window(rec, 100.0, 200.0)


def test_plot_cli_on_a_generated_file(tmp_path: Path) -> None:
    from step2motion.cli import main
    from step2motion.io.moticon import write_moticon

    path = tmp_path / "walk.txt"
    write_moticon(oscillating_recording(), path)
    assert main(["plot", str(path), "--start", "0.5", "--end", "4"]) == 0
    assert png_size(tmp_path / "walk.png") == EXPECTED_PX
    assert main(["plot", str(path), "-o", str(tmp_path / "x.png"), "--start", "9", "--end", "10"]) == 2


def test_plot_of_real_exports(shared_dir: Path, tmp_path: Path) -> None:
    from step2motion.io.moticon import read_moticon

    for path in sorted((shared_dir / "data/insoles_real/moticon-opengo-1.0.3_testdata").glob("*.txt")):
        rec = read_moticon(path)
        fig = recording_plot.draw_recording(rec, 0.0, 15.0)  # 1501 samples: drawn unbinned
        left_missing = rec.left.missing_mask()[:1501]
        y = np.asarray(drawn(fig, "left-acc_g-0").get_ydata(), dtype=float)
        assert np.isnan(y[left_missing]).all() and np.isfinite(y[~left_missing]).all()
        assert len(fig.axes[2].get_lines()) > 3 + 14  # force curves, sum, and the file's step events
        out = recording_plot.plot_recording(rec, tmp_path / f"{path.stem}.png")
        assert png_size(out) == EXPECTED_PX
