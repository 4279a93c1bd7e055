"""The grid-intensity table: rebuilt byte for byte from the raw CodeCarbon copy, values traceable to it."""

from __future__ import annotations

import csv
import hashlib
import importlib.util
import io
import json
import re
import sys
from pathlib import Path

import pytest

from pycore.chat.impact import grid_intensity
from pycore.resources import read_text

REPO = Path(__file__).resolve().parent.parent
RAW = REPO / "data" / "raw" / "codecarbon"


def _load_tool():
    spec = importlib.util.spec_from_file_location(
        "build_grid_intensity", REPO / "tools" / "build_grid_intensity.py"
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


tool = _load_tool()


@pytest.fixture(scope="module")
def raw() -> dict:
    return json.loads((RAW / "global_energy_mix.json").read_text("utf-8"))


def test_committed_table_is_exactly_what_the_raw_copy_builds():
    assert tool.build().text == read_text("grid_intensity.csv")


def test_raw_copy_is_the_file_named_in_its_readme():
    digest = hashlib.sha256((RAW / "global_energy_mix.json").read_bytes()).hexdigest()
    stated = re.search(r"sha256 `([0-9a-f]{64})`", (RAW / "README.md").read_text("utf-8"))
    assert stated and stated.group(1) == digest


# Alpha-2 -> alpha-3 written out here, independently of the committed code table.
SPOT_CHECKS = {
    "FR": "FRA",
    "US": "USA",
    "CN": "CHN",
    "DE": "DEU",
    "IN": "IND",
    "SE": "SWE",
    "BR": "BRA",
    "ZA": "ZAF",
    "TW": "TWN",
    "KR": "KOR",
    "AE": "ARE",
    "NO": "NOR",
}


@pytest.mark.parametrize(("alpha2", "alpha3"), SPOT_CHECKS.items())
def test_country_values_are_the_raw_ones_to_one_decimal(raw, alpha2, alpha3):
    g, rec = grid_intensity(alpha2)
    assert not rec.is_fallback and rec.iso == alpha2
    assert g == pytest.approx(raw[alpha3]["carbon_intensity"], abs=0.05 + 1e-9)
    assert rec.year == raw[alpha3]["year"] and rec.country == raw[alpha3]["country_name"]
    assert "data/raw/codecarbon/global_energy_mix.json" in rec.source


def test_every_positive_raw_value_has_a_row_and_no_row_is_invented(raw):
    rows = list(csv.DictReader(io.StringIO(read_text("grid_intensity.csv"))))
    kept = {k for k, v in raw.items() if v["carbon_intensity"] > 0}
    assert len(rows) == len(kept) + 2  # + WORLD, EU
    assert [r["iso"] for r in rows[:2]] == ["WORLD", "EU"]
    assert grid_intensity("CF")[1].is_fallback  # Central African Republic: raw value 0.0, left out


def _weighted(raw: dict, codes: list[str]) -> float:
    return sum(raw[c]["carbon_intensity"] * raw[c]["total_TWh"] for c in codes) / sum(
        raw[c]["total_TWh"] for c in codes
    )


def test_values_round_half_up_on_the_printed_decimal():
    assert [tool.fmt(x) for x in (380.95, 56.039, 23.755, 1000.0, 0.04)] == [
        "381.0",
        "56.0",
        "23.8",
        "1000.0",
        "0.0",
    ]


def test_world_and_eu_are_generation_weighted_means_of_the_raw_values(raw):
    world = [k for k, v in raw.items() if v["carbon_intensity"] > 0]
    eu = [
        "AUT",
        "BEL",
        "BGR",
        "CYP",
        "CZE",
        "DEU",
        "DNK",
        "EST",
        "ESP",
        "FIN",
        "FRA",
        "GRC",
        "HRV",
        "HUN",
        "IRL",
        "ITA",
        "LTU",
        "LUX",
        "LVA",
        "MLT",
        "NLD",
        "POL",
        "PRT",
        "ROU",
        "SWE",
        "SVN",
        "SVK",
    ]
    assert grid_intensity("WORLD")[0] == pytest.approx(_weighted(raw, world), abs=0.05)
    assert grid_intensity("EU")[0] == pytest.approx(_weighted(raw, eu), abs=0.05)
    # An unweighted mean would differ by far more than the rounding (many small fossil island grids).
    assert abs(grid_intensity("WORLD")[0] - sum(raw[c]["carbon_intensity"] for c in world) / len(world)) > 10


def _write_mix(tmp_path: Path, mix: dict) -> Path:
    path = tmp_path / "mix.json"
    path.write_text(json.dumps(mix), "utf-8")
    return path


def test_an_unknown_alpha3_code_is_a_clear_error(raw, tmp_path):
    mix = dict(raw)
    mix["XYZ"] = {**raw["FRA"], "iso_code": "XYZ"}
    with pytest.raises(tool.RawDataError, match="'XYZ' is not an ISO 3166-1 alpha-3 code"):
        tool.build(_write_mix(tmp_path, mix))


def test_a_missing_eu_member_is_a_clear_error_not_a_smaller_eu(raw, tmp_path):
    mix = {k: v for k, v in raw.items() if k != "MLT"}
    with pytest.raises(tool.RawDataError, match="EU members MT"):
        tool.build(_write_mix(tmp_path, mix))


def test_missing_or_zero_intensities_are_left_out_and_reported(raw, tmp_path):
    mix = dict(raw)
    mix["FRA"] = {**raw["FRA"], "carbon_intensity": None}
    with pytest.raises(tool.RawDataError, match="EU members FR"):
        tool.build(_write_mix(tmp_path, mix))
    mix = dict(raw)
    mix["NOR"] = {**raw["NOR"], "carbon_intensity": None}
    built = tool.build(_write_mix(tmp_path, mix))
    assert built.skipped == ("CAF", "NOR")
    assert "\nNO," not in built.text and "\nFR," in built.text
