#!/usr/bin/env bash
# The whole test suite, from a fresh clone: sets up (idempotent), lints and type-checks, then runs
# pytest, including the extension's browser tests (tests/browser: real Chromium, which must be present).
# Extra arguments go to pytest. The contributors' fast loop (no browser, no Pyodide, no retrain):
#   .venv/bin/python -m pytest -m "not browser and not pyodide and not slow"
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/python -m ruff check pycore tests bench tools build.py assets/icons
.venv/bin/python -m ruff format --check pycore tests bench tools build.py assets/icons
.venv/bin/python -m mypy
npx --no-install eslint extension tests tools
PROMPTWATT_REQUIRE_BROWSER=1 .venv/bin/python -m pytest -q "$@"
