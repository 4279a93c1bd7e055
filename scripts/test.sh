#!/usr/bin/env bash
# The whole test suite, from a fresh clone: sets up (idempotent), lints, then runs pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/python -m ruff check pycore tests bench
.venv/bin/python -m pytest -q "$@"
