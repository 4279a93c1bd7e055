"""Builds ``pycore/data/water_electricity.csv`` from the raw copy of EcoLogits' electricity mixes.

Input (copied unmodified, see ``data/raw/ecologits/README.md``):

* ``data/raw/ecologits/electricity_mixes.csv``: EcoLogits' table (github.com/genai-impact/ecologits
  ``ecologits/data/electricity_mixes.csv`` at commit 2d0a1c76, MPL-2.0), keyed by ISO 3166 alpha-3,
  whose ``wue`` column is the water *consumed off-site* to generate one kWh of the country's grid
  electricity (L/kWh; EcoLogits' docs: after the World Resources Institute's guidance, Reig et al.
  2020); ``WOR`` is its world value;
* ``data/raw/iso3166/country_codes.csv``: alpha-3 -> alpha-2, because pycore keys regions by alpha-2.

Output: one row per country (sorted by alpha-2) after ``WORLD`` (the fallback), with the factor as
published (no rounding) and its source. Only the ``wue`` column is used: the note on EcoLogits'
data (ADPe and PE of the ``WOR`` row) does not concern it. Deterministic.

Usage, from the repository root::

    .venv/bin/python tools/build_water_electricity.py           # rewrite the CSV
    .venv/bin/python tools/build_water_electricity.py --check   # exit 1 if the committed CSV differs
"""

from __future__ import annotations

import argparse
import csv
import io
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
MIXES = REPO / "data" / "raw" / "ecologits" / "electricity_mixes.csv"
COUNTRY_CODES = REPO / "data" / "raw" / "iso3166" / "country_codes.csv"
OUT = REPO / "pycore" / "data" / "water_electricity.csv"
COLUMNS = ("iso", "country", "l_per_kwh", "source")
SOURCE = (
    "EcoLogits electricity_mixes.csv 'wue' (github.com/genai-impact/ecologits@2d0a1c76, MPL-2.0; "
    "copy in data/raw/ecologits/): water consumed off-site per kWh of grid electricity, country average "
    "after the World Resources Institute's 'Guidance for Calculating Water Use Embedded in Purchased "
    "Electricity' (Reig et al. 2020)"
)


def build() -> str:
    """The CSV's text."""
    names: dict[str, tuple[str, str]] = {}
    with COUNTRY_CODES.open(encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            names[row["alpha3"]] = (row["alpha2"], row["name"])
    rows: list[tuple[str, str, str]] = []
    world = None
    with MIXES.open(encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            key, value = row["name"], row["wue"]
            float(value)  # a number, or the build stops
            if key == "WOR":
                world = ("WORLD", "World average", value)
            elif key in names:
                rows.append((names[key][0], names[key][1], value))
            else:
                raise SystemExit(f"{MIXES}: no ISO 3166 alpha-2 code for {key!r}")
    if world is None:
        raise SystemExit(f"{MIXES}: no WOR row")
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(COLUMNS)
    for iso, country, value in [world, *sorted(rows)]:
        w.writerow([iso, country, value, SOURCE])
    return out.getvalue()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--check", action="store_true", help="exit 1 if the committed file differs from a rebuild"
    )
    args = parser.parse_args(argv)
    text = build()
    if args.check:
        same = OUT.exists() and OUT.read_text(encoding="utf-8") == text
        print("up to date" if same else f"{OUT} differs from a rebuild")
        return 0 if same else 1
    OUT.write_text(text, encoding="utf-8")
    print(f"wrote {OUT.relative_to(REPO)} ({text.count(chr(10)) - 1} rows)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
