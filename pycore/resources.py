"""Finds the core's data files both in an installed wheel (also inside Pyodide) and in a checkout.

In a wheel every file lives under ``pycore/data/``; in a source checkout the trained artefact
and the tokenizer data live in the repository's ``assets/`` (the design card's layout) and the
build copies them into the wheel.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from pycore.errors import DataFileError

_PACKAGE_DATA = Path(__file__).resolve().parent / "data"
_REPO_ASSETS = Path(__file__).resolve().parent.parent / "assets"


def data_path(name: str) -> Path:
    """Path of a data file by its name relative to ``pycore/data`` or ``assets``."""
    for root in (_PACKAGE_DATA, _REPO_ASSETS):
        candidate = root / name
        if candidate.exists():
            return candidate
    raise DataFileError(f"data file {name!r} not found", f"looked in {_PACKAGE_DATA} and {_REPO_ASSETS}")


@cache
def load_json(name: str) -> Any:
    """Parsed JSON data file, cached: data files are read-only at run time."""
    path = data_path(name)
    try:
        with path.open(encoding="utf-8") as f:
            return json.load(f)
    except (OSError, ValueError) as exc:
        raise DataFileError(f"cannot read {path}: {exc}") from exc


def read_text(name: str) -> str:
    return data_path(name).read_text(encoding="utf-8")
