#!/usr/bin/env bash
# Sets up everything the project needs on a fresh machine: a virtual environment with the
# pinned training/test dependencies and pycore installed editable, Pyodide from npm, Chromium
# for the browser tests, and the built extension in dist/. Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
# torch (the harness's CPU test) comes from the CPU wheel this kind of machine keeps in /opt/wheels;
# without it pip would fetch a multi-GB CUDA build.
FIND_LINKS=()
if [ -d /opt/wheels ]; then FIND_LINKS=(--find-links /opt/wheels); fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check "${FIND_LINKS[@]}" -e '.[train,test]'
# Pyodide (pinned in package.json / package-lock.json): the browser runtime, also used by the tests
npm ci --no-audit --no-fund --loglevel=error
# Chromium from Debian for the extension's end-to-end tests (Playwright drives it; its own
# browser download is never used). Only installed when missing.
if [ ! -x /usr/bin/chromium ]; then
  SUDO=""
  if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
fi
# The extension: dist/extension (load unpacked) and dist/promptwatt-<version>.zip
.venv/bin/python build.py
echo "setup: ok ($(.venv/bin/python --version), $(/usr/bin/chromium --version 2>/dev/null | head -1))"
