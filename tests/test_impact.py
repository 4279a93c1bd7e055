"""Wall energy, CO2 and equivalents: hand-computed values, ranges, and data files that keep sources."""

from __future__ import annotations

import csv
import io

import pytest

from pycore.chat.impact import (
    co2_g,
    equivalents,
    grid_intensity,
    provider_pue,
    server_overhead,
    wall_energy_wh,
)
from pycore.errors import InvalidInput
from pycore.ranges import Range
from pycore.resources import load_json, read_text

REQUIRED_REGIONS = "US CN FR DE GB IE NL SE NO PL IN JP KR SG AU CA BR ZA WORLD".split()


def _csv(name: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(read_text(name))))


# -- formulas ---------------------------------------------------------------------------------


def test_wall_energy_floats():
    assert wall_energy_wh(1.0, 0.25, 1.2) == pytest.approx(1.5)
    assert isinstance(wall_energy_wh(1.0, 0.25, 1.2), float)


def test_wall_energy_ranges_on_both_ends():
    r = wall_energy_wh(Range(1, 2, 4), Range(0.1, 0.2, 0.5), Range(1.1, 1.2, 1.5))
    assert r.low == pytest.approx(1 * 1.1 * 1.1)
    assert r.central == pytest.approx(2 * 1.2 * 1.2)
    assert r.high == pytest.approx(4 * 1.5 * 1.5)


def test_wall_energy_mixed_inputs():
    r = wall_energy_wh(10.0, 0.0, Range(1.1, 1.2, 1.3))
    assert (r.low, r.high) == (pytest.approx(11.0), pytest.approx(13.0))


@pytest.mark.parametrize(("gpu", "overhead", "pue"), [(-1, 0.1, 1.1), (1, -0.1, 1.1), (1, 0.1, 0.9)])
def test_wall_energy_rejects_impossible_inputs(gpu, overhead, pue):
    with pytest.raises(InvalidInput):
        wall_energy_wh(gpu, overhead, pue)


def test_co2():
    assert co2_g(1000.0, 400.0) == pytest.approx(400.0)
    assert co2_g(1.0, 1000.0) == pytest.approx(1.0)
    r = co2_g(Range(1, 2, 3), Range(100, 200, 300))
    assert (r.low, r.central, r.high) == (pytest.approx(0.1), pytest.approx(0.4), pytest.approx(0.9))


# -- grid intensity ---------------------------------------------------------------------------


def test_grid_intensity_known_region():
    g, rec = grid_intensity("fr")
    assert g == rec.g_co2_per_kwh and rec.iso == "FR" and not rec.is_fallback
    assert rec.source and rec.year >= 2020


@pytest.mark.parametrize("region", ["XX", "", None, "Atlantis"])
def test_unknown_region_falls_back_to_world_flagged(region):
    g, rec = grid_intensity(region)
    world_g, world = grid_intensity("WORLD")
    assert g == world_g and rec.iso == "WORLD" and rec.is_fallback and not world.is_fallback
    assert rec.warning


def test_grid_file_round_trips():
    rows = _csv("grid_intensity.csv")
    assert list(rows[0]) == ["iso", "country", "g_co2_per_kwh", "year", "source"]
    assert (
        len({r["iso"] for r in rows}) == len(rows) >= 200
    )  # exact count pinned to the raw copy in test_grid_intensity
    for region in REQUIRED_REGIONS:
        assert region in {r["iso"] for r in rows}
    for row in rows:
        g, rec = grid_intensity(row["iso"])
        assert not rec.is_fallback
        assert g == float(row["g_co2_per_kwh"]) and rec.source == row["source"] and rec.source.strip()
        assert 0 < g < 2000  # g, not kg or mg; the source's highest is Turkmenistan's 1306
    # Low-carbon grids really are lower than coal-heavy ones (catches swapped columns).
    assert grid_intensity("FR")[0] < grid_intensity("DE")[0] < grid_intensity("PL")[0]


# -- equivalents ------------------------------------------------------------------------------


EXPECTED_PER_WH_OR_G = {
    "led_bulb_10w_minutes": 6.0,  # 1 Wh / 10 W = 0.1 h
    "incandescent_bulb_60w_minutes": 1.0,  # 1 Wh / 60 W = 1 min
    "tv_minutes": 0.6,  # 1 Wh / 100 W
    "smartphone_charges": 1 / 15,  # 15 Wh per charge
    "google_searches": 1 / 0.3,  # 0.3 Wh per search
    "gemini_prompts": 1 / 0.24,  # 0.24 Wh per median prompt
    "car_km": 1.609344 / 400,  # 400 g per mile
    "plane_km": 1 / 285,  # 285 g per passenger-km
}


def test_equivalents_of_one_wh_and_one_gram():
    out = {e["key"]: e for e in equivalents(1.0, 1.0)}
    assert set(out) == set(EXPECTED_PER_WH_OR_G)
    for key, expected in EXPECTED_PER_WH_OR_G.items():
        assert out[key]["value"] == pytest.approx(expected), key
        assert out[key]["label"] and out[key]["unit"] and out[key]["source"]


def test_equivalents_use_the_right_basis():
    energy_only = {e["key"]: e["value"] for e in equivalents(2.0, 0.0)}
    assert energy_only["led_bulb_10w_minutes"] == pytest.approx(12.0)
    assert energy_only["car_km"] == 0.0
    co2_only = {e["key"]: e["value"] for e in equivalents(0.0, 285.0)}
    assert co2_only["plane_km"] == pytest.approx(1.0)
    assert co2_only["tv_minutes"] == 0.0


def test_equivalents_of_ranges():
    out = {e["key"]: e["value"] for e in equivalents(Range(1, 2, 3), Range(285, 570, 855))}
    assert out["incandescent_bulb_60w_minutes"] == Range(1, 2, 3)
    p = out["plane_km"]
    assert (p.low, p.central, p.high) == (pytest.approx(1), pytest.approx(2), pytest.approx(3))


def test_equivalents_file_round_trips():
    rows = _csv("equivalents.csv")
    assert list(rows[0]) == ["key", "label", "unit", "per", "value", "basis", "source"]
    out = equivalents(1.0, 1.0, 1.0)
    assert [e["key"] for e in out] == [r["key"] for r in rows]
    for row, e in zip(rows, out, strict=True):
        assert e["source"] == row["source"] and e["source"].strip()
        assert e["basis"] == row["basis"] in {"energy", "co2", "water"}


# -- overheads --------------------------------------------------------------------------------


def test_overheads_round_trip_with_sources():
    raw = load_json("overheads.json")
    assert raw["schema_version"] == 1
    so = server_overhead()
    assert so.value == Range.from_json(raw["server_overhead"]["value"])
    assert len(so.sources) == len(raw["server_overhead"]["sources"]) >= 1
    # 12% of total energy (Argerich & Patino-Martinez 2024) is 0.12 / 0.88 of GPU energy.
    assert so.value.low == pytest.approx(0.12 / 0.88, abs=1e-3)
    for provider, entry in raw["pue"].items():
        factor, _ = provider_pue(provider)
        assert factor.value == Range.from_json(entry["value"])
        assert factor.value.low >= 1.0
        assert [s for _, s in factor.sources] == [s["source"] for s in entry["sources"]]


def test_unknown_provider_pue_is_flagged_default():
    factor, is_default = provider_pue("acme-ai")
    assert is_default and factor.value == provider_pue("default")[0].value
    assert provider_pue("google") == (provider_pue("Google")[0], False)


def test_pipeline_example():
    """1 Wh of GPU energy on Google's fleet in the US, end to end, computed by hand."""
    pue = provider_pue("google")[0].value.central  # 1.09
    wall = wall_energy_wh(1.0, 0.25, pue)
    g, _ = grid_intensity("US")
    assert wall == pytest.approx(1.25 * 1.09)
    assert co2_g(wall, g) == pytest.approx(1.25 * 1.09 * g / 1000)
