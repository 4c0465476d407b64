"""Screenshot of a ``step2motion view`` page at a chosen time, as the README shows it.

Opens PAGE in Debian's headless Chromium (``scripts/install_browser.sh``), moves the scrub bar to
``--time`` and saves the window. The README's picture: ``step2motion demo -o out/demo`` then
``.venv/bin/python scripts/viewer_screenshot.py out/demo/view.html -o docs/viewer.png``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from step2motion.visualisation.browser import chromium_driver, wait_until_ready

SEEK = """
const scrub = document.getElementById("scrub");
scrub.value = String(arguments[0]);
scrub.dispatchEvent(new Event("input"));
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("page", type=Path, help="a page of step2motion view, reconstruct --view or demo")
    parser.add_argument("-o", "--output", type=Path, required=True, help="PNG to write")
    parser.add_argument("--time", type=float, default=2.1, help="time shown, s (default 2.1)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as profile:
        driver = chromium_driver(Path(profile))
        try:
            driver.get(args.page.resolve().as_uri())
            wait_until_ready(driver)
            driver.execute_script(SEEK, args.time)
            time.sleep(0.5)  # a few animation frames
            driver.save_screenshot(str(args.output))
        finally:
            driver.quit()
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
