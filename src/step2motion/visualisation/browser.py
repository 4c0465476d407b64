"""The viewer page in Debian's headless Chromium under Selenium, one setup for everything that opens it in
a real browser: its browser test, its opening-time benchmark and the README's screenshot script.

Selenium is a dev extra (``pip install -e '.[dev]'``), so it is imported only when a driver is asked for;
``chromium`` and ``chromium-driver`` come from Debian (``scripts/install_browser.sh``; ``.ci/run`` installs
them). Nothing in the package itself needs a browser.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from selenium.webdriver.remote.webdriver import WebDriver

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
#: Headless Chromium without a GPU, network chatter or a shared profile; WebGL through SwiftShader.
CHROMIUM_FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--use-angle=swiftshader",
    "--enable-unsafe-swiftshader",
    "--window-size=1400,900",
)


def chromium_installed() -> bool:
    """Whether Debian's ``chromium`` and ``chromedriver`` are where :func:`chromium_driver` looks."""
    return CHROMIUM.exists() and CHROMEDRIVER.exists()


def chromium_driver(profile_dir: Path) -> WebDriver:
    """A Selenium driver of Debian's headless Chromium with a fresh profile in ``profile_dir``, keeping the
    browser console (``driver.get_log("browser")``); ``ImportError`` saying how to install Selenium."""
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError as error:
        raise ImportError(
            "driving Chromium needs the selenium package, a dev extra: pip install -e '.[dev]'"
        ) from error

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={profile_dir}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)


def wait_until_ready(driver: WebDriver, timeout_s: float = 60.0) -> float:
    """Milliseconds from navigation start to the viewer page's first drawn frame, once it has been drawn
    (``window.step2motionViewer.readyMs``, set by ``viewer.js``)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        ready = driver.execute_script("return window.step2motionViewer && window.step2motionViewer.readyMs")
        if ready is not None:
            return float(ready)
        time.sleep(0.05)
    raise TimeoutError(f"the page drew no frame in {timeout_s} s")
