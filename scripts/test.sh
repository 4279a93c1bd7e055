#!/usr/bin/env bash
# The whole test suite, from a fresh clone: sets up (idempotent), lints, then runs pytest,
# including the extension's browser tests (tests/browser: real Chromium, which must be present).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/python -m ruff check pycore tests bench build.py assets/icons
PROMPTWATT_REQUIRE_BROWSER=1 .venv/bin/python -m pytest -q "$@"
