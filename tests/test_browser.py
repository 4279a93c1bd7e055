"""The extension's Python entry point: JSON in and out, consistent with `promptwatt chat`."""

from __future__ import annotations

import json

import pytest

from pycore.browser.entry import handle
from pycore.chat.conversation import estimate_conversation

TURNS = [
    {"prompt": "What is the capital of France?", "reply": "Paris is the capital of France.", "reasoning": ""},
    {
        "prompt": "And its population?",
        "reply": "About 2.1 million in the city proper, 12 million in the metro area.",
        "reasoning": "The user asks about Paris.",
    },
    {"prompt": "Thanks! <img src=x onerror=alert(1)> مرحبا 👋", "reply": "You're welcome!", "reasoning": ""},
]


def call(**req):
    return json.loads(handle(json.dumps(req)))


@pytest.mark.parametrize(
    "platform,label", [("chatgpt", "GPT-4o"), ("gemini", "2.5 Flash"), ("deepseek", "DeepThink")]
)
def test_exchanges_fed_one_by_one_equal_the_conversation_estimate(platform, label):
    whole = estimate_conversation(TURNS, platform, label).as_dict()
    context = 0
    for k, turn in enumerate(TURNS):
        out = call(
            op="exchange", platform=platform, model_label=label, turn_index=k, context_tokens=context, **turn
        )
        assert out["ok"], out
        v, ref = out["value"], whole["exchanges"][k]
        assert v["input_tokens"] == ref["input_tokens"]
        assert v["output_tokens"] == ref["output_tokens"]
        assert v["energy_wh"] == pytest.approx(ref["energy_wh"], rel=1e-12)
        assert v["co2_g"] == pytest.approx(ref["co2_g"], rel=1e-12)
        context += v["prompt_tokens"] + v["reply_tokens"]


def test_unknown_label_is_estimated_with_the_fallback_and_says_so():
    out = call(op="exchange", platform="chatgpt", model_label="gpt-99-ultra", prompt="hi", reply="hello")
    assert out["ok"] and out["value"]["model"]["is_fallback"]
    assert any("fallback" in w.lower() or "unknown" in w.lower() for w in out["warnings"])


def test_overrides_change_co2_and_wall_energy_not_gpu_energy():
    base = call(op="exchange", platform="chatgpt", model_label="GPT-4o", prompt="hi", reply="hello")["value"]
    green = call(
        op="exchange",
        platform="chatgpt",
        model_label="GPT-4o",
        prompt="hi",
        reply="hello",
        grid_g_per_kwh=20,
        pue=1.5,
    )["value"]
    assert green["energy_wh"] == base["energy_wh"]
    assert green["co2_g"] < base["co2_g"] and green["region"] == "custom"
    fr = call(
        op="exchange", platform="chatgpt", model_label="GPT-4o", prompt="hi", reply="hello", region="FR"
    )
    assert fr["value"]["region"] == "FR" and fr["value"]["co2_g"] < base["co2_g"]


@pytest.mark.parametrize(
    "raw",
    [
        "not json",
        "[]",
        json.dumps({"op": "nope"}),
        json.dumps({"op": "exchange", "platform": "myspace", "prompt": "x"}),
        json.dumps({"op": "exchange", "platform": "chatgpt", "prompt": 3}),
        json.dumps({"op": "exchange", "platform": "chatgpt", "prompt": "x", "pue": 9}),
    ],
)
def test_bad_requests_are_reported_never_raised(raw):
    out = json.loads(handle(raw))
    assert out["ok"] is False and out["errors"][0]["code"] and out["errors"][0]["message"]


def test_info_and_equivalents():
    info = call(op="info")["value"]
    assert info["model_version"] and "lomo_mape" in info["metrics"]
    eq = call(op="equivalents", wh=1.0, co2_g=1.0)["value"]
    keys = {e["key"] for e in eq}
    assert keys >= {
        "led_bulb_10w_minutes",
        "incandescent_bulb_60w_minutes",
        "tv_minutes",
        "smartphone_charges",
        "google_searches",
        "car_km",
        "plane_km",
    }
    assert all(e["value"] > 0 and e["source"] for e in eq)


# -- the impact op: stored exchanges recomputed under new settings ------------------------------------

SETTINGS = [
    {},
    {"region": "FR"},
    {"region": "fr"},
    {"region": "XX"},
    {"grid_g_per_kwh": 100},
    {"grid_g_per_kwh": 0, "region": "DE"},
    {"pue": 1.5},
    {"region": "PL", "pue": 1.0},
    {"grid_g_per_kwh": 37.5, "pue": 2.25},
    {"wue": 0.0},
    {"region": "SG", "wue": 2.5},
    {"region": "SE", "pue": 1.1, "wue": 0.1},
]
IMPACT_FIELDS = (
    "wall_wh",
    "wall_wh_low",
    "wall_wh_high",
    "co2_g",
    "co2_g_low",
    "co2_g_high",
    "grid_g_per_kwh",
    "water_ml",
    "water_ml_low",
    "water_ml_high",
    "water_onsite_ml",
    "water_onsite_ml_low",
    "water_onsite_ml_high",
    "water_offsite_ml",
    "water_offsite_ml_low",
    "water_offsite_ml_high",
    "embodied_co2_g",
    "embodied_co2_g_low",
    "embodied_co2_g_high",
)
LABELS = [
    ("chatgpt", "GPT-4o"),
    ("chatgpt", "gpt-5-2-thinking"),
    ("chatgpt", "gpt-99-ultra"),
    ("chatgpt", None),
    ("gemini", "Pro Extended"),
    ("deepseek", "DeepThink"),
]


def stored(platform, label, **settings):
    """What the service worker stores for one exchange recorded under ``settings`` (exchange op + warnings)."""
    out = call(
        op="exchange",
        platform=platform,
        model_label=label,
        prompt="How far is the Moon?",
        reply="About 384,400 km on average.",
        reasoning_seconds=3,
        **settings,
    )
    assert out["ok"], out
    return {**out["value"], "warnings": out["warnings"]}


@pytest.mark.parametrize(
    "before", [{}, {"region": "XX"}, {"grid_g_per_kwh": 100, "pue": 1.5}, {"region": "SG", "wue": 1.0}]
)
def test_impact_of_a_stored_exchange_equals_the_exchange_op_with_the_new_settings(before):
    """Recorded under `before`, recomputed under each of SETTINGS: bit for bit what recording it under
    those settings gives (wall, CO2, their ranges, grid, region and the unknown-region warning)."""
    for platform, label in LABELS:
        old = stored(platform, label, **before)
        sent = {
            "platform": platform,
            "model_label": label,
            "warnings": old["warnings"],
            **{f: old[f] for f in ("energy_wh_low", "energy_wh", "energy_wh_high")},
        }
        for settings in SETTINGS:
            out = call(op="impact", records=[sent], **settings)
            assert out["ok"], out
            got, want = out["value"]["records"][0], stored(platform, label, **settings)
            for f in IMPACT_FIELDS:
                assert got[f] == pytest.approx(want[f], rel=1e-12, abs=0), (platform, label, settings, f)
                assert got[f] == want[f]  # the same functions on the same floats: identical
            assert got["region"] == want["region"]
            assert got["warnings"] == want["warnings"], (before, settings)


def test_impact_changes_wall_and_co2_never_gpu_energy():
    old = stored("chatgpt", "GPT-4o")
    rec = {
        "platform": "chatgpt",
        "model_label": "GPT-4o",
        **{f: old[f] for f in ("energy_wh_low", "energy_wh", "energy_wh_high")},
    }
    green = call(op="impact", records=[rec], grid_g_per_kwh=20, pue=1.5)["value"]["records"][0]
    assert green["co2_g"] == pytest.approx(green["wall_wh"] * 20 / 1000, rel=1e-12)
    assert green["region"] == "custom" and green["co2_g"] < old["co2_g"]
    assert "energy_wh" not in green and "warnings" not in green  # no warnings sent: none returned


def test_impact_of_a_batch_keeps_the_order_and_reports_bad_records_in_place():
    ok = {
        "platform": "deepseek",
        "model_label": "DeepThink",
        "energy_wh_low": 0.1,
        "energy_wh": 0.2,
        "energy_wh_high": 0.4,
    }
    bad = [
        None,
        {**ok, "platform": "myspace"},
        {**ok, "energy_wh": "lots"},
        {**ok, "energy_wh_low": 0.3},
        {**ok, "energy_wh_low": -1},
        {**ok, "model_label": 5},
        {**ok, "warnings": "x"},
        {**ok, "energy_wh_high": float("inf")},
    ]
    out = call(op="impact", records=[ok, *bad, {**ok, "energy_wh": 0.3}], region="FR")
    assert out["ok"], out
    recs = out["value"]["records"]
    assert len(recs) == len(bad) + 2
    assert recs[0]["wall_wh"] < recs[-1]["wall_wh"] and recs[0]["region"] == "FR"
    for i, r in enumerate(recs[1:-1], start=1):
        assert set(r) == {"error"} and r["error"]["code"] == "invalid_input", r
        assert r["error"]["message"].startswith(f"record {i}: "), r


@pytest.mark.parametrize(
    "req, says",
    [
        ({"op": "impact"}, "records must be a list"),
        ({"op": "impact", "records": {}}, "records must be a list"),
        ({"op": "impact", "records": [], "pue": 0.5}, "PUE must be between 1.0 and 3.0"),
        ({"op": "impact", "records": [], "pue": "1.2"}, "pue must be a finite number"),
        ({"op": "impact", "records": [], "grid_g_per_kwh": -3}, "grid_g_per_kwh must be >= 0"),
        ({"op": "impact", "records": [], "grid_g_per_kwh": True}, "grid_g_per_kwh must be a finite number"),
        ({"op": "impact", "records": [], "region": 33}, "region must be a country code"),
        ({"op": "impact", "records": [{}] * 5001}, "at most 5000 records"),
    ],
)
def test_bad_impact_requests_get_a_clear_error(req, says):
    out = call(**req)
    assert out["ok"] is False and out["errors"][0]["code"] == "invalid_input"
    assert says in out["errors"][0]["message"], out


def test_an_empty_batch_is_fine():
    assert call(op="impact", records=[]) == {
        "ok": True,
        "value": {"records": []},
        "warnings": [],
        "errors": [],
    }


# -- the reestimate op: stored exchanges estimated again from their counts at a new context ----------

REASONING_TURNS = [
    *TURNS,
    {
        "prompt": "Plan a three-day trip to Lyon.",
        "reply": "Day 1: Vieux Lyon.\n\nDay 2: Fourvière.",
        "reasoning": "",
        "reasoning_seconds": 12,
    },  # a timer only: estimated from the duration
    {
        "prompt": "Why is the sky blue?",
        "reply": "Rayleigh scattering.",
        "reasoning": "**Thinking about light**\n\nShort wavelengths scatter more.",
        "reasoning_seconds": 4.5,
    },
]
CONTEXTS = [(0, 0), (1, 17), (4, 1234), (30, 150_000)]
COUNT_FIELDS = ("prompt_tokens", "reply_tokens", "reasoning_tokens", "reasoning_estimated")


def as_stored(platform, label, value, turn):
    """The reestimate op's record for what the service worker stored of an exchange op's value."""
    return {
        "platform": platform,
        "model_label": label,
        **{f: value[f] for f in COUNT_FIELDS},
        "reasoning_seconds": turn.get("reasoning_seconds"),
    }


@pytest.mark.parametrize("platform,label", LABELS)
def test_reestimate_from_counts_equals_the_exchange_op_on_the_texts_at_that_context(platform, label):
    """Each turn recorded at turn 0 with no context, then estimated again from its stored counts at
    another index and context: bit for bit what the exchange op gives for its texts there (tokens,
    energies and ranges, wall and CO2, model, warnings, estimated hidden reasoning included)."""
    for turn in REASONING_TURNS:
        first = call(op="exchange", platform=platform, model_label=label, **turn, region="FR")
        assert first["ok"], first
        for index, context in CONTEXTS:
            want = call(
                op="exchange",
                platform=platform,
                model_label=label,
                turn_index=index,
                context_tokens=context,
                **turn,
                region="FR",
            )
            rec = {
                **as_stored(platform, label, first["value"], turn),
                "turn_index": index,
                "context_tokens": context,
            }
            out = call(op="reestimate", records=[rec], region="FR")
            assert out["ok"] and out["warnings"] == [], out
            got = out["value"]["records"][0]
            assert got == {**want["value"], "warnings": want["warnings"]}, (turn["prompt"], index, context)


def test_reestimate_of_a_whole_conversation_equals_promptwatt_chat():
    """Turns recorded out of order (each as if it were the first), then estimated again along the
    conversation: the energies of `promptwatt chat` for the conversation in order."""
    platform, label = "chatgpt", "gpt-5-2-thinking"
    whole = estimate_conversation(REASONING_TURNS, platform, label).as_dict()["exchanges"]
    records, context = [], 0
    for k, turn in enumerate(REASONING_TURNS):
        v = call(op="exchange", platform=platform, model_label=label, **turn)["value"]
        records.append({**as_stored(platform, label, v, turn), "turn_index": k, "context_tokens": context})
        context += v["prompt_tokens"] + v["reply_tokens"]
    out = call(op="reestimate", records=records)["value"]["records"]
    for got, ref in zip(out, whole, strict=True):
        assert got["input_tokens"] == ref["input_tokens"] and got["output_tokens"] == round(
            ref["output_tokens"]
        )
        for f in ("energy_wh", "energy_wh_low", "energy_wh_high", "wall_wh", "co2_g_high"):
            assert got[f] == pytest.approx(ref[f], rel=1e-12, abs=0), f
    assert [r["reasoning_estimated"] for r in out] == [False, False, False, True, True]


def test_reestimate_of_a_batch_keeps_the_order_and_reports_bad_records_in_place():
    ok = {
        "platform": "deepseek",
        "model_label": "DeepThink",
        "prompt_tokens": 12,
        "reply_tokens": 40,
        "reasoning_tokens": 30,
        "reasoning_estimated": False,
        "reasoning_seconds": None,
        "turn_index": 0,
        "context_tokens": 0,
    }
    bad = [
        None,
        [],
        {**ok, "platform": "myspace"},
        {**ok, "model_label": 5},
        {**ok, "prompt_tokens": -1},
        {**ok, "reply_tokens": "40"},
        {**ok, "reasoning_tokens": 2.5},
        {**ok, "turn_index": True},
        {k: v for k, v in ok.items() if k != "context_tokens"},
        {**ok, "reasoning_estimated": "no"},
        {**ok, "reasoning_estimated": True},
        {**ok, "reasoning_seconds": -2},
        {**ok, "reasoning_seconds": "3"},
    ]
    out = call(op="reestimate", records=[ok, *bad, {**ok, "turn_index": 3, "context_tokens": 500}])
    assert out["ok"], out
    recs = out["value"]["records"]
    assert len(recs) == len(bad) + 2
    assert (
        recs[0]["energy_wh"] < recs[-1]["energy_wh"]
        and recs[0]["input_tokens"] + 500 < recs[-1]["input_tokens"]
    )
    for i, r in enumerate(recs[1:-1], start=1):
        assert set(r) == {"error"} and r["error"]["code"] == "invalid_input", r
        assert r["error"]["message"].startswith(f"record {i}: "), r
    assert "needs the reasoning_seconds" in recs[len(bad) - 2]["error"]["message"]


@pytest.mark.parametrize(
    "req, says",
    [
        ({"op": "reestimate"}, "records must be a list"),
        ({"op": "reestimate", "records": "x"}, "records must be a list"),
        ({"op": "reestimate", "records": [], "pue": 4}, "PUE must be between 1.0 and 3.0"),
        ({"op": "reestimate", "records": [], "region": 1}, "region must be a country code"),
        ({"op": "reestimate", "records": [{}] * 1001}, "at most 1000 records"),
    ],
)
def test_bad_reestimate_requests_get_a_clear_error(req, says):
    out = call(**req)
    assert out["ok"] is False and out["errors"][0]["code"] == "invalid_input"
    assert says in out["errors"][0]["message"], out
