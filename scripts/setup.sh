#!/usr/bin/env bash
# Creates .venv and installs step2motion with its test tools. Safe to re-run.
# torch is pinned to 2.13.0 first: on the project's machines that is a CPU wheel on disk, and every
# other requirement then accepts it instead of pulling a multi-GB build.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet "torch==2.13.0"
.venv/bin/python -m pip install --quiet -e ".[dev]"
echo "step2motion installed in .venv ($(.venv/bin/step2motion --version))"
