"""Water and embodied CO2: formulas on both ends of every range, the data files' round trips with
their sources, and the boundary rules (WUE on IT energy, never on PUE-inflated energy)."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from pycore.chat import impact
from pycore.chat import platforms as pf
from pycore.chat.conversation import estimate_conversation
from pycore.energy.hardware import load_gpus
from pycore.energy.predictor import default_predictor
from pycore.errors import InvalidInput
from pycore.ranges import Range
from pycore.resources import load_json, read_text

REPO = Path(__file__).resolve().parent.parent
YEAR_S = 365.25 * 24 * 3600
TURNS = [
    {
        "prompt": "Explain how a heat pump works in a few paragraphs.",
        "reply": "A heat pump moves heat rather than making it: a refrigerant cycle absorbs heat outside, "
        "a compressor raises its temperature, a condenser releases it indoors.",
    }
]


def _ends(r: Range) -> tuple[float, float, float]:
    return r.low, r.central, r.high


# -- formulas ---------------------------------------------------------------------------------


def test_it_energy_has_no_pue_on_both_ends():
    r = impact.it_energy_wh(Range(1, 2, 4), Range(0.1, 0.2, 0.5))
    assert _ends(r) == pytest.approx((1.1, 2.4, 6.0))
    assert impact.it_energy_wh(2.0, 0.25) == pytest.approx(2.5)


def test_onsite_water_is_it_energy_times_wue_on_both_ends():
    # L per kWh = mL per Wh
    r = impact.onsite_water_ml(Range(1, 2, 3), Range(0.2, 0.3, 0.5))
    assert _ends(r) == pytest.approx((0.2, 0.6, 1.5))
    assert impact.onsite_water_ml(1000.0, 1.0) == pytest.approx(1000.0)  # 1 kWh at 1 L/kWh = 1 L


def test_offsite_water_is_wall_energy_times_the_grid_factor_on_both_ends():
    r = impact.offsite_water_ml(Range(1, 2, 3), Range(3.0, 3.0, 12.0))
    assert _ends(r) == pytest.approx((3.0, 6.0, 36.0))


def test_busy_gpu_seconds_divide_by_power_low_end_by_tdp():
    r = impact.busy_gpu_seconds(Range(1, 2, 3), Range(400, 400, 700))
    assert _ends(r) == pytest.approx((3600 / 700, 2 * 3600 / 400, 3 * 3600 / 400))
    assert impact.busy_gpu_seconds(1.0, 360.0) == pytest.approx(10.0)


def test_embodied_on_both_ends():
    s, kg, life, u = Range(10, 20, 30), Range(100, 200, 500), Range(3, 5, 6), Range(0.35, 0.5, 0.75)
    r = impact.embodied_co2_g(s, kg, life, u)
    assert r.low == pytest.approx(10 * 100 * 1000 / (6 * YEAR_S * 0.75))
    assert r.central == pytest.approx(20 * 200 * 1000 / (5 * YEAR_S * 0.5))
    assert r.high == pytest.approx(30 * 500 * 1000 / (3 * YEAR_S * 0.35))
    # a year of one GPU's busy time at full utilisation carries 1/lifetime of its manufacturing
    assert impact.embodied_co2_g(YEAR_S, 300.0, 3.0, 1.0) == pytest.approx(100_000.0)


def test_lower_utilisation_charges_more_idle_capacity():
    busy = impact.embodied_co2_g(100.0, 300.0, 4.0, 1.0)
    assert impact.embodied_co2_g(100.0, 300.0, 4.0, 0.5) == pytest.approx(2 * busy)


@pytest.mark.parametrize(
    ("args", "what"),
    [
        ((-1.0, 1.0, 1.0, 0.5), "gpu_seconds"),
        ((1.0, -1.0, 1.0, 0.5), "kg"),
        ((1.0, 1.0, 0.0, 0.5), "lifetime"),
        ((1.0, 1.0, 1.0, 0.0), "utilisation"),
        ((1.0, 1.0, 1.0, 1.5), "utilisation"),
    ],
)
def test_embodied_rejects_impossible_inputs(args, what):
    with pytest.raises(InvalidInput, match=what):
        impact.embodied_co2_g(*args)


@pytest.mark.parametrize("bad", [-0.1, float("nan"), float("inf"), True])
def test_negative_or_odd_wue_is_refused(bad):
    with pytest.raises(InvalidInput, match="WUE"):
        impact.check_wue(bad)
    with pytest.raises(InvalidInput):
        impact.onsite_water_ml(1.0, -0.1)


@pytest.mark.parametrize("bad", [0.99, 0.0, -1.0, float("nan")])
def test_pue_below_one_is_refused(bad):
    with pytest.raises(InvalidInput, match="PUE"):
        impact.check_pue(bad)


def test_known_region_is_strict():
    assert impact.known_region("fr") == "FR" and impact.known_region("WORLD") == "WORLD"
    with pytest.raises(InvalidInput, match="unknown region 'XX'"):
        impact.known_region("XX")


def _facility(pue: float) -> impact.Facility:
    return impact.Facility(
        server_overhead=Range.point(0.25),
        pue=Range.point(pue),
        wue=Range.point(1.0),
        g_co2_per_kwh=400.0,
        water_l_per_kwh=Range.point(3.0),
    )


def _hardware() -> impact.Hardware:
    return impact.Hardware(
        gpu="X",
        busy_w_per_gpu=Range.point(360.0),
        kg_per_gpu=Range.point(300.0),
        lifetime_years=Range.point(3.0),
        utilisation=Range.point(0.5),
    )


def test_impacts_of_by_hand():
    fig = impact.impacts_of(Range.point(2.0), _facility(1.2), _hardware())
    assert fig.it_wh.central == pytest.approx(2.5)
    assert fig.wall_wh.central == pytest.approx(3.0)
    assert fig.co2_g.central == pytest.approx(1.2)  # 3 Wh x 400 g/kWh
    assert fig.water_onsite_ml.central == pytest.approx(2.5)  # IT 2.5 Wh x 1 L/kWh
    assert fig.water_offsite_ml.central == pytest.approx(9.0)  # wall 3 Wh x 3 L/kWh
    assert fig.water_ml.central == pytest.approx(11.5)
    assert fig.embodied_co2_g.central == pytest.approx(
        20 * 300 * 1000 / (3 * YEAR_S * 0.5)
    )  # 2 Wh / 360 W = 20 s
    assert fig.total_co2_g.central == pytest.approx(fig.co2_g.central + fig.embodied_co2_g.central)


def test_pue_does_not_inflate_onsite_water():
    """EcoLogits multiplies PUE-inclusive energy by WUE: on-site water must not move with PUE here."""
    lean, heavy = (impact.impacts_of(Range.point(2.0), _facility(p), _hardware()) for p in (1.0, 1.5))
    assert heavy.water_onsite_ml == lean.water_onsite_ml
    assert heavy.water_offsite_ml.central == pytest.approx(1.5 * lean.water_offsite_ml.central)
    # EcoLogits' code would give wall x (WUE + PUE x factor) = 3.75 x (1 + 1.5 x 3) = 20.6 mL, not 2.5 + 11.25
    assert heavy.water_ml.central == pytest.approx(2.5 + 3.75 * 3.0)


# -- data: water ------------------------------------------------------------------------------


def test_water_json_round_trips_with_sources():
    raw = load_json("water.json")
    assert raw["schema_version"] == 1
    for provider, entry in raw["wue"].items():
        factor, is_default = impact.provider_wue(provider)
        assert factor.value == Range.from_json(entry["value"]) and is_default == (provider == "default")
        assert [s for _, s in factor.sources] == [s["source"] for s in entry["sources"]]
        assert all(s.strip() for _, s in factor.sources)
        assert 0 <= factor.value.low and factor.value.high < 5  # L per kWh, not mL
    for platform in pf.platforms():
        provider = pf.resolve(platform, None).provider
        assert not impact.provider_wue(provider)[1], f"{provider} has no WUE record"
    scale = impact.offsite_scale()
    assert scale.value == Range.from_json(raw["offsite_scale"]["value"]) and scale.value.low == 1.0
    assert impact.provider_wue("acme")[1]


def test_water_electricity_csv_round_trips_and_is_the_rebuild():
    rows = list(csv.DictReader(io.StringIO(read_text("water_electricity.csv"))))
    assert list(rows[0]) == ["iso", "country", "l_per_kwh", "source"] and rows[0]["iso"] == "WORLD"
    assert len(rows) == 50
    for row in rows:
        value, rec = impact.electricity_water(row["iso"])
        assert not rec.is_fallback and value == float(row["l_per_kwh"]) and rec.source == row["source"]
        assert "MPL-2.0" in rec.source
    assert impact.electricity_water("US")[0] == pytest.approx(3.1321)  # matches Li et al.'s US 3.14
    assert (
        impact.electricity_water("DE")[0] < impact.electricity_water("SE")[0]
    )  # the hydro caveat, as published
    done = subprocess.run(
        [sys.executable, "tools/build_water_electricity.py", "--check"],
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_a_region_without_a_water_factor_falls_back_flagged():
    value, rec = impact.electricity_water("SG")  # in the grid table, not in EcoLogits' list
    assert rec.is_fallback and value == impact.electricity_water("WORLD")[0]
    assert impact.is_water_fallback_warning(rec.warning) and not impact.is_grid_fallback_warning(rec.warning)
    fac = impact.facility("openai", "SG", 1.2)
    assert fac.warnings == (rec.warning,)


def test_facility_uses_the_operator_wue_unless_given():
    fac = impact.facility("google", "US", 1.09)
    assert fac.wue == impact.provider_wue("google")[0].value
    assert fac.water_l_per_kwh == impact.offsite_scale().value * 3.1321
    assert impact.facility("google", "US", 1.09, wue=0.5).wue == Range.point(0.5)
    with pytest.raises(InvalidInput):
        impact.facility("google", "US", 1.09, wue=-1.0)


# -- data: embodied ---------------------------------------------------------------------------


def test_embodied_json_round_trips_with_sources():
    raw = load_json("embodied.json")
    assert raw["schema_version"] == 1
    for name, entry in raw["accelerators"].items():
        factor, is_default = impact.accelerator_kg(name)
        assert factor.value == Range.from_json(entry["kg_co2e"]) and is_default == (name == "default")
        assert [s for _, s in factor.sources] == [s["source"] for s in entry["sources"]]
        assert 50 < factor.value.low <= factor.value.high < 2000  # kg per accelerator
    f = impact.embodied_factors()
    assert f["lifetime_years"].value == Range.from_json(raw["lifetime_years"]["value"])
    assert f["utilisation"].value == Range.from_json(raw["utilisation"]["value"])
    assert f["host_server_kg"].value == Range.from_json(raw["host_server"]["kg_co2e"])
    assert all(len(x.sources) >= 2 for x in f.values())
    # NVIDIA's H100 PCF (1,312 kg per 8-GPU board) is the low end; BoaviztAPI's archetype the high end
    assert impact.accelerator_kg("H100-SXM")[0].value.low == pytest.approx(1312 / 8)
    assert impact.accelerator_kg("B200")[0].value.low == pytest.approx(2274 / 8)


def test_every_deployed_gpu_has_its_own_embodied_record():
    for platform in pf.platforms():
        for label in [*pf.labels(platform), "unknown label"]:
            gpu = pf.resolve(platform, label).deployment.gpu
            assert not impact.hardware(gpu).is_default, gpu


def test_hardware_factors_from_the_data_files():
    hw = impact.hardware("H200")
    gpu = load_gpus().get("H200")
    k = default_predictor().constants.static_frac
    decode = gpu.idle_w + (gpu.tdp_w - gpu.idle_w) * k
    assert _ends(hw.busy_w_per_gpu) == pytest.approx((decode, decode, gpu.tdp_w))
    accel = impact.accelerator_kg("H200")[0].value
    host = impact.embodied_factors()["host_server_kg"].value
    assert _ends(hw.kg_per_gpu) == pytest.approx(
        (accel.low + host.low / 8, accel.central + host.central / 8, accel.high + host.high / 8)
    )
    assert impact.hardware("H100").gpu == "H100-SXM"  # aliases resolve through the GPU catalog


# -- through a conversation -------------------------------------------------------------------


def test_conversation_water_and_embodied_follow_the_formulas():
    est = estimate_conversation(TURNS, "gemini", None)
    e = est.exchanges[0]
    fac, hw = est.facility, est.hardware
    assert fac is not None and hw is not None
    it = e.gpu_wh * (fac.server_overhead + 1)
    for end in ("low", "central", "high"):
        assert getattr(e.water_onsite_ml, end) == pytest.approx(getattr(it * fac.wue, end))
        assert getattr(e.water_offsite_ml, end) == pytest.approx(
            getattr(e.wall_wh * fac.water_l_per_kwh, end)
        )
    secs = e.gpu_wh * 3600 / hw.busy_w_per_gpu
    expected = secs * hw.kg_per_gpu * 1000 / (hw.lifetime_years * YEAR_S * hw.utilisation)
    assert _ends(e.embodied_co2_g) == pytest.approx(_ends(expected))
    total = est.as_dict()["total"]
    assert total["water_ml"] == pytest.approx(e.water_onsite_ml.central + e.water_offsite_ml.central)
    assert total["co2_incl_embodied_g"] == pytest.approx(total["co2_g"] + total["embodied_co2_g"])
    for name in ("water_ml", "embodied_co2_g", "water_onsite_ml", "water_offsite_ml"):
        assert total[f"{name}_low"] <= total[name] <= total[f"{name}_high"]


def test_conversation_overrides_and_region():
    base = estimate_conversation(TURNS, "chatgpt", "GPT-4o")
    dry = estimate_conversation(TURNS, "chatgpt", "GPT-4o", wue=0.0)
    assert dry.water_onsite_ml == Range.point(0.0) and dry.water_offsite_ml == base.water_offsite_ml
    lean = estimate_conversation(TURNS, "chatgpt", "GPT-4o", pue=1.0)
    assert lean.water_onsite_ml == base.water_onsite_ml and lean.wall_wh.high < base.wall_wh.high
    assert lean.embodied_co2_g == base.embodied_co2_g  # manufacturing does not depend on the facility
    se = estimate_conversation(TURNS, "chatgpt", "GPT-4o", region="SE")
    ratio = impact.electricity_water("SE")[0] / impact.electricity_water("US")[0]
    assert se.water_offsite_ml.central == pytest.approx(base.water_offsite_ml.central * ratio)
    with pytest.raises(InvalidInput):
        estimate_conversation(TURNS, "chatgpt", "GPT-4o", pue=0.8)
    with pytest.raises(InvalidInput):
        estimate_conversation(TURNS, "chatgpt", "GPT-4o", wue=-0.5)


def test_water_equivalents_have_sources():
    out = {e["key"]: e for e in impact.equivalents(1.0, 1.0, 250.0)}
    assert out["water_glasses"]["value"] == pytest.approx(1.0)
    assert out["water_drops"]["value"] == pytest.approx(5000.0)
    assert out["water_teaspoons"]["value"] == pytest.approx(250 / 4.92892159375)
    assert all(e["source"].strip() for e in out.values() if e["basis"] == "water")
    assert not any(e["basis"] == "water" for e in impact.equivalents(1.0, 1.0))
    est = estimate_conversation(TURNS, "chatgpt", "GPT-4o")
    assert any(e["basis"] == "water" for e in json.loads(json.dumps(est.as_dict()))["equivalents"])
