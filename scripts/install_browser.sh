#!/usr/bin/env bash
# Installs Debian's Chromium and ChromeDriver for the viewer's browser test (tests/test_viewer_browser.py)
# and benchmarks/viewer_page.py. Safe to re-run; needs root or sudo.
set -euo pipefail
if [[ -x /usr/bin/chromium && -x /usr/bin/chromedriver ]]; then
    echo "chromium $(/usr/bin/chromium --version 2>/dev/null | awk '{print $2}') already installed"
    exit 0
fi
as_root=()
[[ $(id -u) -eq 0 ]] || as_root=(sudo)
export DEBIAN_FRONTEND=noninteractive
"${as_root[@]}" apt-get update -q
"${as_root[@]}" apt-get install -y -q --no-install-recommends chromium chromium-driver
echo "installed $(/usr/bin/chromium --version)"
