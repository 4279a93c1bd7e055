"""From predicted GPU energy to energy at the wall, grams of CO2 and everyday equivalents.

Each formula is one small pure function; every constant lives in a data file with its source
(``overheads.json``, ``grid_intensity.csv``, ``equivalents.csv``). All functions accept plain
floats or ``Range`` values, so uncertainty from closed-model estimates reaches the user.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from pycore.errors import DataFileError, InvalidInput
from pycore.ranges import Range, scale
from pycore.resources import load_json, read_text

Quantity = Range | float

OVERHEADS_FILE = "overheads.json"
GRID_FILE = "grid_intensity.csv"
EQUIVALENTS_FILE = "equivalents.csv"
WORLD = "WORLD"
# The warning of a region with no grid intensity; the browser recognises it (is_grid_fallback_warning)
# to replace it when stored exchanges are recomputed with another region.
_GRID_FALLBACK_START = "no grid intensity for region "
_GRID_FALLBACK_END = ": world average used"


@dataclass(frozen=True)
class GridRecord:
    """One row of ``grid_intensity.csv``; ``is_fallback`` when the asked region was unknown."""

    iso: str
    country: str
    g_co2_per_kwh: float
    year: int
    source: str
    is_fallback: bool = False
    warning: str = ""


@dataclass(frozen=True)
class Equivalent:
    """``value`` units of the basis quantity (Wh or g CO2) correspond to ``per`` ``unit``s."""

    key: str
    label: str
    unit: str
    per: float
    value: float
    basis: str
    source: str


@dataclass(frozen=True)
class Factor:
    """A ranged factor from ``overheads.json`` with its citations."""

    value: Range
    sources: tuple[tuple[str, str], ...]


# -- formulas ---------------------------------------------------------------------------------


def wall_energy_wh(gpu_wh: Quantity, server_overhead: Quantity, pue: Quantity) -> Quantity:
    """Grid energy = GPU energy x (1 + rest-of-server share) x PUE; a Range if any input is one."""
    _check_min(gpu_wh, 0.0, "gpu_wh")
    _check_min(server_overhead, 0.0, "server_overhead")
    _check_min(pue, 1.0, "pue")
    return scale(scale(gpu_wh, _plus_one(server_overhead)), pue)


def co2_g(wall_wh: Quantity, g_per_kwh: Quantity) -> Quantity:
    """Grams of CO2e: Wh / 1000 x g per kWh."""
    _check_min(wall_wh, 0.0, "wall_wh")
    _check_min(g_per_kwh, 0.0, "g_per_kwh")
    return scale(scale(wall_wh, g_per_kwh), 1 / 1000)


def grid_intensity(iso: str | None) -> tuple[float, GridRecord]:
    """Grid carbon intensity of a country (ISO 3166 alpha-2); unknown regions get WORLD, flagged."""
    table = _grid_table()
    key = (iso or "").strip().upper()
    if key in table:
        rec = table[key]
        return rec.g_co2_per_kwh, rec
    world = table[WORLD]
    flagged = GridRecord(
        iso=world.iso,
        country=world.country,
        g_co2_per_kwh=world.g_co2_per_kwh,
        year=world.year,
        source=world.source,
        is_fallback=True,
        warning=f"{_GRID_FALLBACK_START}{iso!r}{_GRID_FALLBACK_END}",
    )
    return flagged.g_co2_per_kwh, flagged


def is_grid_fallback_warning(text: str) -> bool:
    """Whether ``text`` is the warning :func:`grid_intensity` gives for an unknown region."""
    return text.startswith(_GRID_FALLBACK_START) and text.endswith(_GRID_FALLBACK_END)


def equivalents(wh: Quantity, co2_g: Quantity) -> list[dict[str, Any]]:
    """Every everyday equivalent of an energy (Wh) and an emission (g CO2e), with its source."""
    _check_min(wh, 0.0, "wh")
    _check_min(co2_g, 0.0, "co2_g")
    out = []
    for eq in _equivalents_table():
        amount = wh if eq.basis == "energy" else co2_g
        out.append(
            {
                "key": eq.key,
                "label": eq.label,
                "value": scale(amount, eq.per / eq.value),
                "unit": eq.unit,
                "basis": eq.basis,
                "source": eq.source,
            }
        )
    return out


def server_overhead() -> Factor:
    """Default rest-of-server energy as a fraction of GPU energy."""
    return _factor(load_json(OVERHEADS_FILE)["server_overhead"], "server_overhead")


def provider_pue(provider: str | None) -> tuple[Factor, bool]:
    """PUE of a provider's data centres and whether the generic default had to be used."""
    table = load_json(OVERHEADS_FILE)["pue"]
    key = (provider or "").strip().lower()
    if key in table and key != "default":
        return _factor(table[key], f"pue/{key}"), False
    return _factor(table["default"], "pue/default"), True


# -- helpers ----------------------------------------------------------------------------------


def _plus_one(x: Quantity) -> Quantity:
    return x + 1 if isinstance(x, Range) else 1.0 + float(x)


def _check_min(x: Quantity, minimum: float, name: str) -> None:
    low = x.low if isinstance(x, Range) else x
    if isinstance(low, bool) or not isinstance(low, int | float):
        raise InvalidInput(f"{name} must be a number or a Range, got {x!r}")
    if low < minimum:
        raise InvalidInput(f"{name} must be >= {minimum:g}, got {x}")


def _factor(raw: dict[str, Any], where: str) -> Factor:
    sources = raw.get("sources")
    if not sources:
        raise DataFileError(f"{OVERHEADS_FILE}: {where} has no sources")
    try:
        value = Range.from_json(raw["value"])
        cited = tuple((s["what"], s["source"]) for s in sources)
    except (KeyError, TypeError, InvalidInput) as exc:
        raise DataFileError(f"{OVERHEADS_FILE}: {where}: {exc}") from exc
    return Factor(value, cited)


def _rows(name: str) -> list[dict[str, str]]:
    rows = list(csv.DictReader(io.StringIO(read_text(name))))
    for i, row in enumerate(rows, start=2):
        if None in row or not all((v or "").strip() for v in row.values()):
            raise DataFileError(f"{name}: line {i} has an empty or extra field")
    return rows


@lru_cache(maxsize=1)
def _grid_table() -> dict[str, GridRecord]:
    table: dict[str, GridRecord] = {}
    for row in _rows(GRID_FILE):
        try:
            rec = GridRecord(
                iso=row["iso"].strip().upper(),
                country=row["country"],
                g_co2_per_kwh=float(row["g_co2_per_kwh"]),
                year=int(row["year"]),
                source=row["source"],
            )
        except (KeyError, ValueError) as exc:
            raise DataFileError(f"{GRID_FILE}: bad row {row}: {exc}") from exc
        if rec.iso in table:
            raise DataFileError(f"{GRID_FILE}: duplicate region {rec.iso}")
        table[rec.iso] = rec
    if WORLD not in table:
        raise DataFileError(f"{GRID_FILE}: the {WORLD} fallback row is missing")
    return table


@lru_cache(maxsize=1)
def _equivalents_table() -> tuple[Equivalent, ...]:
    out = []
    for row in _rows(EQUIVALENTS_FILE):
        try:
            eq = Equivalent(
                key=row["key"],
                label=row["label"],
                unit=row["unit"],
                per=float(row["per"]),
                value=float(row["value"]),
                basis=row["basis"],
                source=row["source"],
            )
        except (KeyError, ValueError) as exc:
            raise DataFileError(f"{EQUIVALENTS_FILE}: bad row {row}: {exc}") from exc
        if eq.basis not in ("energy", "co2") or eq.value <= 0 or eq.per <= 0:
            raise DataFileError(f"{EQUIVALENTS_FILE}: {eq.key}: basis must be energy|co2, per and value > 0")
        out.append(eq)
    return tuple(out)
