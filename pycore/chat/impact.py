"""From predicted GPU energy to energy at the wall, grams of CO2, water, embodied emissions and
everyday equivalents.

Each formula is one small pure function; every constant lives in a data file with its source
(``overheads.json``, ``grid_intensity.csv``, ``equivalents.csv``, ``water.json``,
``water_electricity.csv``, ``embodied.json``). All functions accept plain floats or ``Range``
values, so uncertainty from closed-model estimates reaches the user.

Boundaries, because published figures differ by them: GPU energy (accelerators only); IT energy
(+ the rest of the server); wall energy (+ the facility, PUE). Water on-site = IT energy x the
operator's WUE (defined per IT kWh: applying it to wall energy would count PUE twice, EcoLogits'
mistake); water off-site = wall energy x the grid's water per kWh generated. CO2 of use =
wall energy x the grid's location-based intensity; embodied CO2 = the manufacturing emissions of
the GPUs and their host, amortised by the share of the hardware's life the exchange occupies.
"""

from __future__ import annotations

import csv
import io
import math
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
WATER_FILE = "water.json"
WATER_GRID_FILE = "water_electricity.csv"
EMBODIED_FILE = "embodied.json"
WORLD = "WORLD"
SECONDS_PER_YEAR = 365.25 * 24 * 3600  # Julian year: lifetimes are given in years
EQUIVALENT_BASES = ("energy", "co2", "water")
# The warning of a region with no grid intensity; the browser recognises it (is_grid_fallback_warning)
# to replace it when stored exchanges are recomputed with another region.
_GRID_FALLBACK_START = "no grid intensity for region "
_GRID_FALLBACK_END = ": world average used"
_WATER_FALLBACK_START = "no off-site water factor for region "
_WATER_FALLBACK_END = ": world average used"


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
class WaterRecord:
    """One row of ``water_electricity.csv``: off-site water per kWh; ``is_fallback`` for an unknown region."""

    iso: str
    country: str
    l_per_kwh: float
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


def it_energy_wh(gpu_wh: Quantity, server_overhead: Quantity) -> Quantity:
    """IT energy (what WUE is defined on) = GPU energy x (1 + rest-of-server share), no PUE."""
    _check_min(gpu_wh, 0.0, "gpu_wh")
    _check_min(server_overhead, 0.0, "server_overhead")
    return scale(gpu_wh, _plus_one(server_overhead))


def onsite_water_ml(it_wh: Quantity, wue_l_per_kwh: Quantity) -> Quantity:
    """On-site cooling water in mL = IT Wh x WUE (L per IT kWh = mL per IT Wh)."""
    _check_min(it_wh, 0.0, "it_wh")
    _check_min(wue_l_per_kwh, 0.0, "wue")
    return scale(it_wh, wue_l_per_kwh)


def offsite_water_ml(wall_wh: Quantity, l_per_kwh: Quantity) -> Quantity:
    """Water consumed to generate the electricity, in mL = wall Wh x the grid's L per kWh."""
    _check_min(wall_wh, 0.0, "wall_wh")
    _check_min(l_per_kwh, 0.0, "offsite water factor")
    return scale(wall_wh, l_per_kwh)


def busy_gpu_seconds(gpu_wh: Quantity, busy_w_per_gpu: Quantity) -> Quantity:
    """GPU-seconds an exchange occupies = its GPU energy / the power a busy GPU draws."""
    _check_min(gpu_wh, 0.0, "gpu_wh")
    _check_min(busy_w_per_gpu, 1e-9, "busy_w_per_gpu")
    return _div(scale(gpu_wh, 3600.0), busy_w_per_gpu)


def embodied_co2_g(
    gpu_seconds: Quantity, kg_per_gpu: Quantity, lifetime_years: Quantity, utilisation: Quantity
) -> Quantity:
    """Manufacturing CO2e charged to an exchange, in g.

    = GPU-seconds x (kg per GPU, its share of the host included) x 1000 / (lifetime s x utilisation):
    the exchange's share of the hardware's life, where each busy second carries 1/utilisation
    seconds of life (the idle capacity is charged to the exchanges served).
    """
    _check_min(gpu_seconds, 0.0, "gpu_seconds")
    _check_min(kg_per_gpu, 0.0, "kg_per_gpu")
    _check_min(lifetime_years, 1e-9, "lifetime_years")
    _check_min(utilisation, 1e-9, "utilisation")
    if _high(utilisation) > 1.0:
        raise InvalidInput(f"utilisation must be <= 1, got {utilisation}")
    life_s = scale(scale(lifetime_years, SECONDS_PER_YEAR), utilisation)
    grams = scale(gpu_seconds, scale(kg_per_gpu, 1000.0))
    return _div(grams, life_s)


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


def equivalents(wh: Quantity, co2_g: Quantity, water_ml: Quantity | None = None) -> list[dict[str, Any]]:
    """Every everyday equivalent of an energy (Wh), an emission (g CO2e) and, if given, a water
    volume (mL), with its source; the water rows are left out when no volume is given."""
    _check_min(wh, 0.0, "wh")
    _check_min(co2_g, 0.0, "co2_g")
    if water_ml is not None:
        _check_min(water_ml, 0.0, "water_ml")
    out = []
    for eq in _equivalents_table():
        if eq.basis == "water" and water_ml is None:
            continue
        amount: Quantity = {"energy": wh, "co2": co2_g, "water": water_ml}[eq.basis]  # type: ignore[assignment]
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


def provider_wue(provider: str | None) -> tuple[Factor, bool]:
    """On-site WUE (L per IT kWh) of a provider's data centres and whether the default had to be used."""
    table = load_json(WATER_FILE)["wue"]
    key = (provider or "").strip().lower()
    if key in table and key != "default":
        return _factor(table[key], f"wue/{key}", WATER_FILE), False
    return _factor(table["default"], "wue/default", WATER_FILE), True


def offsite_scale() -> Factor:
    """Factor on a grid's off-site water: 1 as published, up to the life-cycle boundary's ratio."""
    return _factor(load_json(WATER_FILE)["offsite_scale"], "offsite_scale", WATER_FILE)


def electricity_water(iso: str | None) -> tuple[float, WaterRecord]:
    """Off-site water (L per kWh drawn) of a country's grid; a region without a factor gets WORLD, flagged."""
    table = _water_table()
    key = (iso or "").strip().upper()
    if key in table:
        rec = table[key]
        return rec.l_per_kwh, rec
    world = table[WORLD]
    flagged = WaterRecord(
        world.iso,
        world.country,
        world.l_per_kwh,
        world.source,
        True,
        f"{_WATER_FALLBACK_START}{iso!r}{_WATER_FALLBACK_END}",
    )
    return flagged.l_per_kwh, flagged


def is_water_fallback_warning(text: str) -> bool:
    """Whether ``text`` is the warning :func:`electricity_water` gives for a region without a factor."""
    return text.startswith(_WATER_FALLBACK_START) and text.endswith(_WATER_FALLBACK_END)


def known_region(iso: str | None) -> str:
    """``iso`` upper-cased if the grid table has it; otherwise ``InvalidInput`` (the CLI's strict check)."""
    key = (iso or "").strip().upper()
    if key not in _grid_table():
        raise InvalidInput(
            f"unknown region {iso!r}", "an ISO 3166 alpha-2 country code (e.g. US, FR), EU or WORLD"
        )
    return key


def check_pue(pue: float | None) -> float | None:
    """A user's PUE: a finite number >= 1 (facility energy / IT energy), or None."""
    if pue is None:
        return None
    if isinstance(pue, bool) or not isinstance(pue, int | float) or not math.isfinite(pue) or pue < 1.0:
        raise InvalidInput(f"PUE must be a number >= 1, got {pue!r}", "PUE is facility energy / IT energy")
    return float(pue)


def check_wue(wue: float | None) -> float | None:
    """A user's WUE: a finite number >= 0 (litres of site water per IT kWh), or None."""
    if wue is None:
        return None
    if isinstance(wue, bool) or not isinstance(wue, int | float) or not math.isfinite(wue) or wue < 0.0:
        raise InvalidInput(
            f"WUE must be a number >= 0, got {wue!r}", "WUE is litres of on-site water per IT kWh"
        )
    return float(wue)


@dataclass(frozen=True)
class Facility:
    """Where an exchange runs: what turns its GPU energy into wall energy, CO2 and water."""

    server_overhead: Range
    pue: Range
    wue: Range  # L of on-site water per IT kWh
    g_co2_per_kwh: float
    water_l_per_kwh: Range  # off-site water per kWh drawn, offsite_scale applied
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class Hardware:
    """What amortises an accelerator's manufacturing over the exchanges it serves."""

    gpu: str
    busy_w_per_gpu: Range  # decode power .. TDP
    kg_per_gpu: Range  # accelerator + its share of the host server, kg CO2e
    lifetime_years: Range
    utilisation: Range
    is_default: bool = False


@dataclass(frozen=True)
class Impacts:
    """Everything an exchange's GPU energy leads to under one facility and hardware."""

    it_wh: Range
    wall_wh: Range
    co2_g: Range  # use phase, location-based
    water_onsite_ml: Range
    water_offsite_ml: Range
    embodied_co2_g: Range

    @property
    def water_ml(self) -> Range:
        return self.water_onsite_ml + self.water_offsite_ml

    @property
    def total_co2_g(self) -> Range:
        return self.co2_g + self.embodied_co2_g


@lru_cache(maxsize=64)
def facility(
    provider: str | None,
    region: str | None,
    pue: Range | float,
    *,
    wue: float | None = None,
    g_co2_per_kwh: float | None = None,
) -> Facility:
    """A provider's facility in ``region`` (PUE given: the deployment's or the user's; WUE: the user's
    or the provider's); unknown regions fall back to world averages, with warnings."""
    user_wue = check_wue(wue)
    grid_g, grid = grid_intensity(region)
    water, wrec = electricity_water(region)
    warnings = [
        w
        for w, on in (
            (grid.warning, grid.is_fallback and g_co2_per_kwh is None),
            (wrec.warning, wrec.is_fallback and not grid.is_fallback),
        )
        if on
    ]
    return Facility(
        server_overhead=server_overhead().value,
        pue=Range.of(pue),
        wue=Range.of(user_wue) if user_wue is not None else provider_wue(provider)[0].value,
        g_co2_per_kwh=grid_g if g_co2_per_kwh is None else g_co2_per_kwh,
        water_l_per_kwh=offsite_scale().value * water,
        warnings=tuple(warnings),
    )


def hardware(gpu_name: str) -> Hardware:
    """Embodied factors of one accelerator (catalog name); one without its own record gets the default."""
    from pycore.energy.hardware import load_gpus
    from pycore.energy.predictor import default_predictor

    return _hardware(load_gpus().get(gpu_name).name, default_predictor().constants.static_frac)


def impacts_of(gpu_wh: Range, fac: Facility, hw: Hardware) -> Impacts:
    """All of an exchange's figures from its GPU energy: the one formula every caller shares."""
    it = Range.of(it_energy_wh(gpu_wh, fac.server_overhead))
    wall = Range.of(wall_energy_wh(gpu_wh, fac.server_overhead, fac.pue))
    busy_s = busy_gpu_seconds(gpu_wh, hw.busy_w_per_gpu)
    return Impacts(
        it_wh=it,
        wall_wh=wall,
        co2_g=Range.of(co2_g(wall, fac.g_co2_per_kwh)),
        water_onsite_ml=Range.of(onsite_water_ml(it, fac.wue)),
        water_offsite_ml=Range.of(offsite_water_ml(wall, fac.water_l_per_kwh)),
        embodied_co2_g=Range.of(embodied_co2_g(busy_s, hw.kg_per_gpu, hw.lifetime_years, hw.utilisation)),
    )


def embodied_factors() -> dict[str, Factor]:
    """Lifetime, utilisation and the host server's kg, with their sources (for "how it's computed")."""
    raw = load_json(EMBODIED_FILE)
    return {
        "lifetime_years": _factor(raw["lifetime_years"], "lifetime_years", EMBODIED_FILE),
        "utilisation": _factor(raw["utilisation"], "utilisation", EMBODIED_FILE),
        "host_server_kg": _factor(
            {"value": raw["host_server"]["kg_co2e"], "sources": raw["host_server"]["sources"]},
            "host_server",
            EMBODIED_FILE,
        ),
    }


def accelerator_kg(gpu_name: str) -> tuple[Factor, bool]:
    """Manufacturing kg CO2e of one accelerator (its board share, host excluded) and whether the default was used."""
    table = load_json(EMBODIED_FILE)["accelerators"]
    key = gpu_name if gpu_name in table and gpu_name != "default" else "default"
    entry = table[key]
    return _factor(
        {"value": entry["kg_co2e"], "sources": entry["sources"]}, f"accelerators/{key}", EMBODIED_FILE
    ), key == "default"


# -- helpers ----------------------------------------------------------------------------------


def _div(x: Quantity, y: Quantity) -> Quantity:
    """``x / y`` that stays a float for floats; for ranges the low end divides by the high one."""
    if isinstance(x, Range) or isinstance(y, Range):
        return Range.of(x) / y
    return float(x) / float(y)


def _high(x: Quantity) -> float:
    return x.high if isinstance(x, Range) else float(x)


def _plus_one(x: Quantity) -> Quantity:
    return x + 1 if isinstance(x, Range) else 1.0 + float(x)


def _check_min(x: Quantity, minimum: float, name: str) -> None:
    low = x.low if isinstance(x, Range) else x
    if isinstance(low, bool) or not isinstance(low, int | float):
        raise InvalidInput(f"{name} must be a number or a Range, got {x!r}")
    if low < minimum:
        raise InvalidInput(f"{name} must be >= {minimum:g}, got {x}")


def _factor(raw: dict[str, Any], where: str, file: str = OVERHEADS_FILE) -> Factor:
    sources = raw.get("sources")
    if not sources:
        raise DataFileError(f"{file}: {where} has no sources")
    try:
        value = Range.from_json(raw["value"])
        cited = tuple((s["what"], s["source"]) for s in sources)
    except (KeyError, TypeError, InvalidInput) as exc:
        raise DataFileError(f"{file}: {where}: {exc}") from exc
    return Factor(value, cited)


@lru_cache(maxsize=32)
def _hardware(gpu_name: str, static_frac: float) -> Hardware:
    from pycore.energy.hardware import load_gpus

    gpu = load_gpus().get(gpu_name)
    raw = load_json(EMBODIED_FILE)
    if raw.get("schema_version") != 1:
        raise DataFileError(f"{EMBODIED_FILE}: expected schema_version 1")
    accel, is_default = accelerator_kg(gpu.name)
    f = embodied_factors()
    per_server = raw["host_server"].get("gpus_per_server")
    if isinstance(per_server, bool) or not isinstance(per_server, int) or per_server < 1:
        raise DataFileError(f"{EMBODIED_FILE}: host_server.gpus_per_server must be a whole number >= 1")
    if (
        f["utilisation"].value.high > 1
        or f["utilisation"].value.low <= 0
        or f["lifetime_years"].value.low <= 0
    ):
        raise DataFileError(f"{EMBODIED_FILE}: utilisation must be in (0, 1] and lifetime_years > 0")
    decode_w = gpu.idle_w + (gpu.tdp_w - gpu.idle_w) * static_frac
    return Hardware(
        gpu=gpu.name,
        busy_w_per_gpu=Range(decode_w, decode_w, max(decode_w, gpu.tdp_w)),
        kg_per_gpu=accel.value + f["host_server_kg"].value / per_server,
        lifetime_years=f["lifetime_years"].value,
        utilisation=f["utilisation"].value,
        is_default=is_default,
    )


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
def _water_table() -> dict[str, WaterRecord]:
    table: dict[str, WaterRecord] = {}
    for row in _rows(WATER_GRID_FILE):
        try:
            rec = WaterRecord(
                row["iso"].strip().upper(), row["country"], float(row["l_per_kwh"]), row["source"]
            )
        except (KeyError, ValueError) as exc:
            raise DataFileError(f"{WATER_GRID_FILE}: bad row {row}: {exc}") from exc
        if rec.iso in table or rec.l_per_kwh < 0:
            raise DataFileError(f"{WATER_GRID_FILE}: duplicate region or negative factor in {rec.iso}")
        table[rec.iso] = rec
    if WORLD not in table:
        raise DataFileError(f"{WATER_GRID_FILE}: the {WORLD} fallback row is missing")
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
        if eq.basis not in EQUIVALENT_BASES or eq.value <= 0 or eq.per <= 0:
            raise DataFileError(
                f"{EQUIVALENTS_FILE}: {eq.key}: basis must be energy|co2|water, per and value > 0"
            )
        out.append(eq)
    return tuple(out)
