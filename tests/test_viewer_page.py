"""The ``step2motion view`` page without a browser: its embedded data decodes (here, independently of
the writer) to the scene within the stated quantisation, missing samples stay missing, file names cannot
break the page, nothing is loaded from the network, the size of a long page, and the command's errors."""

from __future__ import annotations

import base64
import dataclasses
import functools
import importlib.util
import json
import re
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

from step2motion import skeleton
from step2motion.cli import main
from step2motion.visualisation.scene import InsoleTrack, MotionTrack, Scene
from step2motion.visualisation.viewer_page import (
    POSITION_SCALE_M,
    PRESSURE_SCALE_NCM2,
    pressure_colour_max,
    write_viewer_page,
)

REPO = Path(__file__).resolve().parent.parent
DEMO = REPO / "src" / "step2motion" / "data" / "demo"
VIEWER = REPO / "src" / "step2motion" / "visualisation" / "viewer"
DATA_ELEMENT = re.compile(r'<script type="application/json" id="step2motion-data">(.*?)</script>', re.DOTALL)


@functools.cache
def _benchmark() -> ModuleType:
    """``benchmarks/viewer_page.py`` as a module (its long synthetic scene)."""
    path = REPO / "benchmarks" / "viewer_page.py"
    spec = importlib.util.spec_from_file_location("benchmark_viewer_page", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def small_scene(label: str = "walk.bvh", n_frames: int = 40, n_samples: int = 130) -> Scene:
    """A prediction and a truth at 30 fps, and 100-Hz insoles with missing samples (NaN) in every signal."""
    rng = np.random.default_rng(7)
    start = np.array([3.0, 0.95, -250.0])  # far from the origin
    root = start + np.cumsum(rng.normal(0, 0.01, (n_frames, 3)), axis=0)
    joints = root[:, None] + rng.normal(0, 0.4, (n_frames, skeleton.N_JOINTS, 3))
    joints[:, 0] = root
    pressure = {side: rng.uniform(0, 30, (n_samples, 16)) for side in ("left", "right")}
    pressure["left"][10:20] = np.nan
    pressure["right"][5, 3] = np.nan
    force = {side: pressure[side].sum(axis=1) * 12 for side in pressure}
    cop = {side: rng.uniform(-0.4, 0.4, (n_samples, 2)) for side in pressure}
    cop["right"][50:60] = np.nan
    insoles = InsoleTrack(
        time_s=np.arange(n_samples) / 100.0,
        pressure_ncm2=pressure,
        force_n=force,
        cop_norm=cop,
        planted={side: rng.random(n_samples) > 0.5 for side in pressure},
        insole_size=5,
        label="rec.txt",
    )
    motions = (
        MotionTrack(label, "prediction", joints, 30.0),
        MotionTrack("truth.bvh", "truth", joints[::-1].copy(), 30.0),
    )
    return Scene(motions, insoles)


def page_data(page: str) -> dict:
    (match,) = DATA_ELEMENT.findall(page)
    return json.loads(match)


def decoded(spec: dict) -> np.ndarray:
    """An encoded array as the viewer_page docstring defines it: little-endian bytes, ``stored * scale``,
    ``missing`` as NaN."""
    stored = np.frombuffer(base64.b64decode(spec["b64"]), dtype=np.dtype(spec["dtype"]).newbyteorder("<"))
    values = stored.astype(float)
    if "missing" in spec:
        values[stored == spec["missing"]] = np.nan
    return (values * spec.get("scale", 1.0)).reshape(spec["shape"])


def test_embedded_data_decodes_to_the_scene(tmp_path: Path) -> None:
    scene = small_scene()
    stats = write_viewer_page(scene, tmp_path / "view.html")
    assert stats.size_bytes == (tmp_path / "view.html").stat().st_size
    assert (stats.n_motions, stats.has_insoles) == (2, True)
    assert stats.duration_s == pytest.approx(scene.duration_s)
    data = page_data((tmp_path / "view.html").read_text(encoding="utf-8"))

    for motion, spec in zip(scene.motions, data["motions"], strict=True):
        assert (spec["label"], spec["role"], spec["fps"]) == (motion.label, motion.role, motion.fps)
        assert spec["offsets_m"]["dtype"] == "int16"
        positions = decoded(spec["root_m"])[:, None] + decoded(spec["offsets_m"])
        # half a millimetre of rounding plus float32 of a root 250 m away
        np.testing.assert_allclose(positions, motion.joint_positions_m, atol=POSITION_SCALE_M / 2 + 5e-5)

    insoles = scene.insoles
    np.testing.assert_array_equal(decoded(data["insoles"]["time_s"]), insoles.time_s)
    assert data["insoles"]["insole_size"] == 5
    for side, foot in data["insoles"]["feet"].items():
        pressure = decoded(foot["pressure_ncm2"])
        assert foot["pressure_ncm2"]["dtype"] == "uint16"
        np.testing.assert_array_equal(np.isnan(pressure), np.isnan(insoles.pressure_ncm2[side]))
        np.testing.assert_allclose(pressure, insoles.pressure_ncm2[side], atol=PRESSURE_SCALE_NCM2 / 2 + 1e-9)
        np.testing.assert_allclose(decoded(foot["force_n"]), insoles.force_n[side], rtol=1e-6)
        np.testing.assert_allclose(decoded(foot["cop_norm"]), insoles.cop_norm[side], rtol=1e-6)
        np.testing.assert_array_equal(decoded(foot["planted"]).astype(bool), insoles.planted[side])
    assert np.isnan(decoded(data["insoles"]["feet"]["left"]["pressure_ncm2"])[10:20]).all()
    assert np.isnan(decoded(data["insoles"]["feet"]["right"]["cop_norm"])[50:60]).all()


def test_values_beyond_the_quantised_range_are_kept_as_float32(tmp_path: Path) -> None:
    scene = small_scene()
    far = scene.motions[0].joint_positions_m.copy()
    far[3, 5] += [40.0, 0.0, 0.0]  # 40 m from its root: past int16 millimetres
    pressures = {side: p * 40 for side, p in scene.insoles.pressure_ncm2.items()}  # up to 1200 N/cm²
    scene = Scene(
        (MotionTrack("far.bvh", "prediction", far, 30.0),),
        dataclasses.replace(scene.insoles, pressure_ncm2=pressures),
    )
    write_viewer_page(scene, tmp_path / "view.html")
    data = page_data((tmp_path / "view.html").read_text(encoding="utf-8"))
    offsets = data["motions"][0]["offsets_m"]
    assert offsets["dtype"] == "float32"
    positions = decoded(data["motions"][0]["root_m"])[:, None] + decoded(offsets)
    np.testing.assert_allclose(positions, far, atol=1e-4)
    pressure = decoded(data["insoles"]["feet"]["left"]["pressure_ncm2"])
    np.testing.assert_allclose(pressure, pressures["left"], rtol=1e-6)
    assert np.isnan(pressure[10:20]).all()


def test_file_names_cannot_break_the_page(tmp_path: Path) -> None:
    label = 'a</script><script>alert("x")</script> & <!-- {{DATA}}.bvh'
    write_viewer_page(small_scene(label), tmp_path / "view.html", title="Tom & Jerry </title>")
    page = (tmp_path / "view.html").read_text(encoding="utf-8")
    assert page.lower().count("</script") == 3  # three.js, the data, the viewer
    assert "<script>alert" not in page
    assert "<title>Tom &amp; Jerry &lt;/title&gt;</title>" in page
    data = page_data(page)
    assert data["motions"][0]["label"] == label
    assert data["title"] == "Tom & Jerry </title>"


def test_page_loads_nothing_from_the_network(tmp_path: Path) -> None:
    write_viewer_page(small_scene(), tmp_path / "view.html")
    page = (tmp_path / "view.html").read_text(encoding="utf-8")
    for load in ("fetch(", "XMLHttpRequest", "import(", "importScripts", "new Worker", "url(http", "@import"):
        assert load not in page
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", page, re.IGNORECASE)
    assert not re.search(r"""\bimport\b[^;]*\bfrom\s*["']https?:""", page)
    # three.js names only the XHTML namespace
    assert re.findall(r"https?://[^\"')\s]+", page) == ["http://www.w3.org/1999/xhtml"]


def test_every_three_name_the_viewer_uses_is_bundled() -> None:
    used = set(re.findall(r"\bTHREE\.(\w+)", (VIEWER / "viewer.js").read_text(encoding="utf-8")))
    bundle = (VIEWER / "three.bundle.min.js").read_text(encoding="utf-8")
    assert bundle.startswith("var THREE=")
    assert {name for name in used if f"{name}:()=>" not in bundle} == set()


def test_pages_with_only_insoles_or_only_motions(tmp_path: Path) -> None:
    scene = small_scene()
    insoles_only = write_viewer_page(Scene((), scene.insoles), tmp_path / "insoles.html")
    assert (insoles_only.n_motions, insoles_only.has_insoles) == (0, True)
    assert page_data((tmp_path / "insoles.html").read_text(encoding="utf-8"))["motions"] == []
    motions_only = write_viewer_page(Scene(scene.motions, None), tmp_path / "motions.html")
    assert (motions_only.n_motions, motions_only.has_insoles) == (2, False)
    assert page_data((tmp_path / "motions.html").read_text(encoding="utf-8"))["insoles"] is None


def test_pressure_colour_bar_tops_a_round_number_above_nearly_every_cell() -> None:
    pressures = np.linspace(0, 13, 1000)[:, None].repeat(16, axis=1)
    pressures[0, 0] = 400.0  # one spike does not set the scale
    assert pressure_colour_max({"left": pressures, "right": np.full((3, 16), np.nan)}) == 20.0
    assert pressure_colour_max({"left": np.zeros((5, 16))}) == 1.0


def test_ten_minute_page_stays_small(tmp_path: Path) -> None:
    scene = _benchmark().synthetic_scene(10)
    assert scene.insoles.time_s.size == 60_000
    assert scene.motions[0].joint_positions_m.shape == (18_000, 22, 3)
    stats = write_viewer_page(scene, tmp_path / "long.html")
    assert stats.size_bytes < 20e6
    assert stats.duration_s == pytest.approx(600, abs=0.1)


def test_view_command_writes_the_demo_page(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    recording = tmp_path / "walk.txt"
    recording.write_bytes((DEMO / "walk_insoles.txt").read_bytes())
    truth = str(DEMO / "walk_truth.bvh")
    assert main(["view", str(recording), "--motion", truth, "--truth", truth, "--title", "demo"]) == 0
    page = tmp_path / "walk.html"  # the recording's name
    out = capsys.readouterr().out
    assert f"wrote {page} (" in out and "walk_truth.bvh (truth)" in out and "insoles of walk.txt" in out
    data = page_data(page.read_text(encoding="utf-8"))
    assert [m["role"] for m in data["motions"]] == ["prediction", "truth"]
    assert "<title>demo</title>" in page.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ([], "nothing to show"),
        (["--motion", str(DEMO / "walk_truth.bvh")], "-o is required"),
        (["missing.txt"], "missing.txt"),
        (["--motion", "{tmp}/broken.bvh", "-o", "{tmp}/v.html"], "broken.bvh"),
        ([str(DEMO / "walk_insoles.txt"), "-o", str(DEMO / "walk_insoles.txt")], "would overwrite"),
        ([str(DEMO / "walk_insoles.txt"), "-o", "{tmp}/no/such/folder/v.html"], "does not exist"),
    ],
)
def test_view_command_errors_are_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], arguments: list[str], message: str
) -> None:
    (tmp_path / "broken.bvh").write_text("HIERARCHY\nROOT Hips\n{\n")
    arguments = [a.format(tmp=tmp_path) for a in arguments]
    assert main(["view", *arguments]) == 2
    err = capsys.readouterr().err
    assert err.startswith("step2motion view: error: ") and message in err
    assert err.count("\n") == 1
    assert not list(tmp_path.glob("*.html*"))
