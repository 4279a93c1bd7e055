"""The public API (``pycore.__all__``) and the project's one version."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

import pycore

REPO = Path(__file__).resolve().parents[1]


def test_every_public_name_resolves_and_is_documented():
    for name in pycore.__all__:
        value = getattr(pycore, name)
        assert name == "__version__" or (value.__doc__ or "").strip(), f"pycore.{name} has no docstring"
    with pytest.raises(AttributeError):
        pycore.not_a_public_name  # noqa: B018


def test_importing_pycore_loads_nothing_else():
    # the browser imports only what it needs: `import pycore` must not pull the estimate in
    code = "import sys, pycore; print(sorted(m for m in sys.modules if m.startswith('pycore.')))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_quick_start_of_the_docstring_runs():
    est = pycore.estimate_conversation(
        [{"prompt": "Why is the sky blue?", "reply": "Rayleigh scattering."}],
        "chatgpt",
        "GPT-5 Instant",
        region="FR",
    )
    assert 0 < est.gpu_wh.low <= est.gpu_wh.central <= est.gpu_wh.high
    assert est.co2_g.central > 0


def test_the_version_is_written_once():
    project = tomllib.loads((REPO / "pyproject.toml").read_text("utf-8"))
    assert "version" not in project["project"] and "version" in project["project"]["dynamic"]
    assert project["tool"]["hatch"]["version"]["path"] == "pycore/__init__.py"
    spec = importlib.util.spec_from_file_location("promptwatt_build", REPO / "build.py")
    build = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build)
    assert build.version() == pycore.__version__
    assert re.fullmatch(r"\d+\.\d+\.\d+", pycore.__version__)
    assert '"version"' not in (REPO / "package.json").read_text("utf-8")
