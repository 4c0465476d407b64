"""The ``step2motion view`` page in a real browser (headless Chromium, WebGL through SwiftShader): it opens
from ``file://`` without console errors, draws the skeletons, plays, scrubs and shows the insoles.

Needs Debian's ``chromium`` and ``chromium-driver`` and the ``selenium`` package; ``.ci/run`` installs them,
elsewhere the tests are skipped. A screenshot of the demo page is kept as ``out/test-artifacts/viewer.png``.
"""

from __future__ import annotations

import io
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from step2motion.cli import main
from step2motion.visualisation.browser import (
    CHROMEDRIVER,
    CHROMIUM,
    chromium_driver,
    chromium_installed,
    wait_until_ready,
)

REPO = Path(__file__).resolve().parent.parent
DEMO = REPO / "src" / "step2motion" / "data" / "demo"
ARTIFACTS = REPO / "out" / "test-artifacts"


@pytest.fixture(scope="module")
def driver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    pytest.importorskip("selenium", reason="selenium missing: pip install -e '.[dev]'")
    if not chromium_installed():
        missing = f"{CHROMIUM} or {CHROMEDRIVER} missing"
        pytest.skip(f"{missing}: .ci/run installs them (Debian's chromium, chromium-driver)")
    browser = chromium_driver(tmp_path_factory.mktemp("chromium-profile"))
    try:
        yield browser
    finally:
        browser.quit()


def open_page(driver, arguments: list[str], page: Path) -> dict:
    """Write a page with ``step2motion view``, open it and wait for its first frame; its state."""
    assert main(["view", *arguments, "-o", str(page)]) == 0
    driver.get_log("browser")  # forget earlier pages' messages
    driver.get(page.resolve().as_uri())
    wait_until_ready(driver)
    return state(driver)


def state(driver) -> dict:
    return driver.execute_script("return window.step2motionViewer.state()")


def canvas_pixels(driver, element_id: str) -> np.ndarray:
    """The element's pixels as drawn on screen, ``[H, W, 3]`` in 0..1."""
    from matplotlib.image import imread

    png = driver.find_element("id", element_id).screenshot_as_png
    return imread(io.BytesIO(png), format="png")[..., :3]


def severe_messages(driver) -> list[str]:
    return [entry["message"] for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]


def press(driver, key: str) -> None:
    from selenium.webdriver.common.action_chains import ActionChains

    ActionChains(driver).send_keys(key).perform()


def test_demo_page_plays_skeletons_and_insoles(driver, tmp_path: Path) -> None:
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.select import Select

    truth = str(DEMO / "walk_truth.bvh")
    arguments = [str(DEMO / "walk_insoles.txt"), "--motion", truth, "--truth", truth]
    shown = open_page(driver, arguments, tmp_path / "v.html")
    assert driver.execute_script("return !!document.createElement('canvas').getContext('webgl2')"), "no WebGL"
    assert shown["time_s"] == 0 and not shown["playing"] and shown["frames"] == [0, 0]

    # half speed: the 5.4-s walk must not end while the (slow, software-rendered) screenshots are taken
    Select(driver.find_element("id", "speed-select")).select_by_value("0.5")
    press(driver, Keys.SPACE)
    time.sleep(0.4)
    first = canvas_pixels(driver, "scene-canvas")
    time.sleep(0.8)
    second = canvas_pixels(driver, "scene-canvas")
    playing = state(driver)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(ARTIFACTS / "viewer.png"))

    assert playing["playing"] and playing["speed"] == 0.5 and playing["time_s"] > 0.5
    assert playing["frames"][0] > 15
    assert first.std() > 0.05, "the 3D view is blank"
    assert np.abs(first - second).mean() > 1e-3, "the 3D view did not change while playing"
    assert sum(playing["pressure_total_ncm2"].values()) > 0
    insole_panel = canvas_pixels(driver, "insole-canvas")
    assert (insole_panel.max(axis=2) - insole_panel.min(axis=2)).max() > 0.3, "no coloured insole cell"

    press(driver, Keys.SPACE)
    paused = state(driver)
    press(driver, Keys.ARROW_RIGHT)
    stepped = state(driver)
    assert not stepped["playing"] and stepped["frames"][0] == paused["frames"][0] + 1

    timeline = driver.find_element("id", "timeline")
    three_quarters = timeline.size["width"] // 4  # from the strip's middle
    ActionChains(driver).move_to_element_with_offset(timeline, three_quarters, 0).click().perform()
    assert 3.6 < state(driver)["time_s"] < 4.4  # of 5.4 s; the strip has narrow margins

    driver.find_element("id", "layout-button").click()
    assert state(driver)["side_by_side"]
    assert severe_messages(driver) == []


def test_page_with_only_a_recording(driver, tmp_path: Path) -> None:
    shown = open_page(driver, [str(DEMO / "walk_insoles.txt")], tmp_path / "insoles.html")
    assert shown["frames"] == [] and shown["sample"] == 0
    assert not driver.find_element("id", "stage").is_displayed()
    press(driver, " ")
    time.sleep(0.5)
    assert state(driver)["sample"] > 20
    assert severe_messages(driver) == []


def test_page_with_only_motions(driver, tmp_path: Path) -> None:
    truth = str(DEMO / "walk_truth.bvh")
    arguments = ["--motion", truth, "--motion", truth, "--truth", truth]
    shown = open_page(driver, arguments, tmp_path / "motions.html")
    assert shown["frames"] == [0, 0, 0] and shown["pressure_total_ncm2"] is None
    assert not driver.find_element("id", "insole-panel").is_displayed()
    assert canvas_pixels(driver, "scene-canvas").std() > 0.05
    assert severe_messages(driver) == []
