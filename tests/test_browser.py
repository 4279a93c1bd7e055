"""The extension's Python entry point: JSON in and out, consistent with `promptwatt chat`."""

from __future__ import annotations

import json

import pytest

from pycore.browser import handle
from pycore.conversation import estimate_conversation

TURNS = [
    {"prompt": "What is the capital of France?", "reply": "Paris is the capital of France.", "reasoning": ""},
    {"prompt": "And its population?", "reply": "About 2.1 million in the city proper, 12 million in the metro area.",
     "reasoning": "The user asks about Paris."},
    {"prompt": "Thanks! <img src=x onerror=alert(1)> مرحبا 👋", "reply": "You're welcome!", "reasoning": ""},
]


def call(**req):
    return json.loads(handle(json.dumps(req)))


@pytest.mark.parametrize("platform,label", [("chatgpt", "GPT-4o"), ("gemini", "2.5 Flash"),
                                            ("deepseek", "DeepThink")])
def test_exchanges_fed_one_by_one_equal_the_conversation_estimate(platform, label):
    whole = estimate_conversation(TURNS, platform, label).as_dict()
    context = 0
    for k, turn in enumerate(TURNS):
        out = call(op="exchange", platform=platform, model_label=label, turn_index=k, context_tokens=context, **turn)
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
    green = call(op="exchange", platform="chatgpt", model_label="GPT-4o", prompt="hi", reply="hello",
                 grid_g_per_kwh=20, pue=1.5)["value"]
    assert green["energy_wh"] == base["energy_wh"]
    assert green["co2_g"] < base["co2_g"] and green["region"] == "custom"
    fr = call(op="exchange", platform="chatgpt", model_label="GPT-4o", prompt="hi", reply="hello", region="FR")
    assert fr["value"]["region"] == "FR" and fr["value"]["co2_g"] < base["co2_g"]


@pytest.mark.parametrize("raw", ["not json", "[]", json.dumps({"op": "nope"}),
                                 json.dumps({"op": "exchange", "platform": "claude", "prompt": "x"}),
                                 json.dumps({"op": "exchange", "platform": "chatgpt", "prompt": 3}),
                                 json.dumps({"op": "exchange", "platform": "chatgpt", "prompt": "x", "pue": 9})])
def test_bad_requests_are_reported_never_raised(raw):
    out = json.loads(handle(raw))
    assert out["ok"] is False and out["errors"][0]["code"] and out["errors"][0]["message"]


def test_info_and_equivalents():
    info = call(op="info")["value"]
    assert info["model_version"] and "lomo_mape" in info["metrics"]
    eq = call(op="equivalents", wh=1.0, co2_g=1.0)["value"]
    keys = {e["key"] for e in eq}
    assert keys >= {"led_bulb_10w_minutes", "incandescent_bulb_60w_minutes", "tv_minutes", "smartphone_charges",
                    "google_searches", "car_km", "plane_km"}
    assert all(e["value"] > 0 and e["source"] for e in eq)
