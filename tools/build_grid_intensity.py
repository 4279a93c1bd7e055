"""Builds ``pycore/data/grid_intensity.csv`` from the raw copy of CodeCarbon's country energy mixes.

Input (copied unmodified, see the README next to each):

* ``data/raw/codecarbon/global_energy_mix.json``: CodeCarbon 3.3.2's table of 213 countries keyed by
  ISO 3166 alpha-3, each with ``carbon_intensity`` (lifecycle gCO2e/kWh of generation: Ember's yearly
  electricity data as republished by Our World in Data), ``year`` and ``total_TWh``;
* ``data/raw/iso3166/country_codes.csv``: ISO 3166-1 alpha-2/alpha-3 pairs from the ``iso3166``
  package 3.0.0 (MIT), because the CLI, the settings and pycore key regions by alpha-2.

Output: one row per country with a positive carbon intensity (sorted by name), after two aggregate
rows computed from the same countries as generation-weighted means (sum of intensity x total_TWh over
sum of total_TWh): ``WORLD`` over every country kept, ``EU`` over the EU-27 members. Values keep one
decimal, rounded half up. Deterministic: the same input files give the same bytes.

Usage, from the repository root::

    .venv/bin/python tools/build_grid_intensity.py           # rewrite the CSV
    .venv/bin/python tools/build_grid_intensity.py --check   # exit 1 if the committed CSV differs
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import math
import sys
from collections import defaultdict
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
ENERGY_MIX = REPO / "data" / "raw" / "codecarbon" / "global_energy_mix.json"
COUNTRY_CODES = REPO / "data" / "raw" / "iso3166" / "country_codes.csv"
OUT = REPO / "pycore" / "data" / "grid_intensity.csv"

COLUMNS = ("iso", "country", "g_co2_per_kwh", "year", "source")
DECIMALS = 1
RAW_NAME = "data/raw/codecarbon/global_energy_mix.json"
PROVENANCE = "CodeCarbon 3.3.2; Ember yearly electricity data via Our World in Data, CC BY 4.0"

# EU-27 member states (alpha-2), as listed by python-stdnum 2.2 stdnum/eu/vat.py MEMBER_STATES
# (the EU's VIES VAT system) without "xi" (Northern Ireland, not a member state); the same 27 as
# european-union.europa.eu/principles-countries-history/eu-countries (since the UK left, 2020-01-31).
EU27 = (
    "AT",
    "BE",
    "BG",
    "CY",
    "CZ",
    "DE",
    "DK",
    "EE",
    "ES",
    "FI",
    "FR",
    "GR",
    "HR",
    "HU",
    "IE",
    "IT",
    "LT",
    "LU",
    "LV",
    "MT",
    "NL",
    "PL",
    "PT",
    "RO",
    "SE",
    "SI",
    "SK",
)


class RawDataError(ValueError):
    """The raw copy does not have the shape this tool relies on."""


@dataclass(frozen=True)
class Country:
    iso: str  # alpha-2
    name: str
    g_co2_per_kwh: float  # unrounded, as in the raw file
    year: int
    total_twh: float


@dataclass(frozen=True)
class Built:
    text: str  # the CSV
    skipped: tuple[str, ...]  # alpha-3 codes left out for want of a positive carbon intensity


def load_alpha2(path: Path = COUNTRY_CODES) -> dict[str, str]:
    """Alpha-3 -> alpha-2 from the committed ISO 3166-1 table."""
    with path.open(encoding="utf-8", newline="") as f:
        return {row["alpha3"]: row["alpha2"] for row in csv.DictReader(f)}


def load_countries(
    mix_path: Path = ENERGY_MIX, codes_path: Path = COUNTRY_CODES
) -> tuple[list[Country], list[str]]:
    """Countries with a usable intensity, and the alpha-3 codes of those without one."""
    alpha2 = load_alpha2(codes_path)
    mix = json.loads(mix_path.read_text(encoding="utf-8"))
    if not isinstance(mix, dict) or not all(isinstance(rec, dict) for rec in mix.values()):
        raise RawDataError(f"{mix_path.name}: expected an object of country records keyed by alpha-3 code")
    kept: list[Country] = []
    skipped: list[str] = []
    for alpha3, rec in sorted(mix.items()):
        if alpha3 not in alpha2:
            raise RawDataError(
                f"{mix_path.name}: {alpha3!r} is not an ISO 3166-1 alpha-3 code in {codes_path.name}"
            )
        if rec.get("iso_code") != alpha3:
            raise RawDataError(f"{mix_path.name}: key {alpha3!r} holds iso_code {rec.get('iso_code')!r}")
        ci = rec.get("carbon_intensity")
        # A zero is not a measurement: the source divides emissions rounded to 0.01 Mt by generation,
        # so a tiny all-hydro grid reads 0 (Central African Republic). Treated like a missing value.
        if isinstance(ci, bool) or not isinstance(ci, (int, float)) or not ci > 0:
            skipped.append(alpha3)
            continue
        try:
            country = Country(
                alpha2[alpha3], str(rec["country_name"]), float(ci), int(rec["year"]), float(rec["total_TWh"])
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise RawDataError(f"{mix_path.name}: {alpha3}: {exc!r}") from exc
        if not country.total_twh > 0:
            raise RawDataError(
                f"{mix_path.name}: {alpha3}: total_TWh must be positive, got {country.total_twh}"
            )
        kept.append(country)
    return kept, skipped


def weighted_mean(countries: list[Country]) -> float:
    """Generation-weighted mean intensity: sum(g x TWh) / sum(TWh)."""
    return math.fsum(c.g_co2_per_kwh * c.total_twh for c in countries) / math.fsum(
        c.total_twh for c in countries
    )


def main_year(countries: list[Country]) -> tuple[int, float]:
    """The year that covers most of the generation, and its share (the raw years differ by country)."""
    by_year: dict[int, float] = defaultdict(float)
    for c in countries:
        by_year[c.year] += c.total_twh
    year = max(by_year, key=lambda y: (by_year[y], y))
    return year, by_year[year] / math.fsum(by_year.values())


def fmt(value: float) -> str:
    """One decimal, half up on the printed value (380.95 -> 381.0), not on its binary approximation."""
    return str(Decimal(repr(value)).quantize(Decimal(1).scaleb(-DECIMALS), rounding=ROUND_HALF_UP))


def _aggregate(iso: str, name: str, members: list[Country], what: str) -> list[str]:
    year, share = main_year(members)
    others = sorted({c.year for c in members} - {year})
    years = (
        ""
        if not others
        else (f"; {share:.1%} of that generation is {year} data, the rest {others[0]}-{others[-1]}")
    )
    source = (
        f"generation-weighted mean (sum of carbon_intensity x total_TWh / sum of total_TWh) over {what}, "
        f"{RAW_NAME} ({PROVENANCE}), lifecycle gCO2e/kWh, latest year per country{years}"
    )
    return [iso, name, fmt(weighted_mean(members)), str(year), source]


def build(mix_path: Path = ENERGY_MIX, codes_path: Path = COUNTRY_CODES) -> Built:
    countries, skipped = load_countries(mix_path, codes_path)
    by_iso = {c.iso: c for c in countries}
    missing = sorted(set(EU27) - set(by_iso))
    if missing:
        raise RawDataError(f"{mix_path.name}: no carbon intensity for EU members {', '.join(missing)}")
    eu = [by_iso[iso] for iso in EU27]
    rows = [
        _aggregate("WORLD", "World average", countries, f"the {len(countries)} countries below"),
        _aggregate("EU", "European Union (27)", eu, "the 27 EU member states"),
    ]
    for c in sorted(countries, key=lambda c: (c.name.casefold(), c.iso)):
        rows.append(
            [
                c.iso,
                c.name,
                fmt(c.g_co2_per_kwh),
                str(c.year),
                f"{RAW_NAME} ({PROVENANCE}), carbon_intensity, lifecycle gCO2e/kWh, {c.year}",
            ]
        )
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(COLUMNS)
    writer.writerows(rows)
    return Built(buf.getvalue(), tuple(skipped))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--check", action="store_true", help="exit 1 if the committed CSV differs from a rebuild"
    )
    args = parser.parse_args(argv)
    try:
        built = build()
    except (OSError, ValueError) as exc:  # RawDataError and bad JSON are ValueErrors
        print(f"build_grid_intensity: {exc}", file=sys.stderr)
        return 2
    if built.skipped:
        print(f"left out (no positive carbon intensity): {', '.join(built.skipped)}", file=sys.stderr)
    if args.check:
        same = OUT.read_text(encoding="utf-8") == built.text
        print(f"{OUT.relative_to(REPO)} is {'up to date' if same else 'OUT OF DATE: rerun without --check'}")
        return 0 if same else 1
    with OUT.open("w", encoding="utf-8", newline="") as f:
        f.write(built.text)
    print(f"wrote {OUT.relative_to(REPO)}: {len(built.text.splitlines()) - 1} rows")
    return 0


if __name__ == "__main__":
    sys.exit(main())
