#!/usr/bin/env bash
# Sets up everything the project needs on a fresh machine: a virtual environment with the
# pinned training/test dependencies and pycore installed editable. Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e '.[train,test]'
# Pyodide (pinned in package.json / package-lock.json): the browser runtime, also used by the tests
npm ci --no-audit --no-fund --loglevel=error
echo "setup: ok ($(.venv/bin/python --version))"
