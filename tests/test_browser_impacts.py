"""The extension's entry point for water, embodied CO2, the lighter choice and the disclosures:
the same figures as `promptwatt chat`, settings validated, the compare op's contract."""

from __future__ import annotations

import json

import pytest

from pycore.browser.entry import handle
from pycore.chat import platforms as pf
from pycore.chat.compare import alternatives
from pycore.chat.conversation import estimate_conversation

TURNS = [
    {
        "prompt": "What is the capital of France?",
        "reply": "Paris is the capital of France.",
        "reasoning": "",
        "reasoning_seconds": 5,
    },
    {
        "prompt": "And its population?",
        "reply": "About 2.1 million in the city proper, 12 million in the metro area.",
    },
]
NEW = (
    "water_ml",
    "water_ml_low",
    "water_ml_high",
    "embodied_co2_g",
    "embodied_co2_g_low",
    "embodied_co2_g_high",
)
ALTERNATIVE_KEYS = {
    "platform",
    "label",
    "energy_wh",
    "energy_wh_low",
    "energy_wh_high",
    "wall_wh",
    "co2_g",
    "water_ml",
}


def call(**req):
    return json.loads(handle(json.dumps(req)))


def _records(platform: str, label: str) -> list[dict]:
    """What the extension stores for TURNS, as the reestimate and compare ops take it."""
    out, context = [], 0
    for k, turn in enumerate(TURNS):
        v = call(
            op="exchange", platform=platform, model_label=label, turn_index=k, context_tokens=context, **turn
        )
        assert v["ok"], v
        v = v["value"]
        out.append(
            {
                "platform": platform,
                "model_label": label,
                "prompt_tokens": v["prompt_tokens"],
                "reply_tokens": v["reply_tokens"],
                "reasoning_tokens": v["reasoning_tokens"],
                "reasoning_estimated": v["reasoning_estimated"],
                "reasoning_seconds": turn.get("reasoning_seconds"),
                "turn_index": k,
                "context_tokens": context,
                "value": v,
            }
        )
        context += v["prompt_tokens"] + v["reply_tokens"]
    return out


@pytest.mark.parametrize(
    ("platform", "label"), [("chatgpt", "GPT-5 Thinking"), ("gemini", None), ("deepseek", "DeepThink")]
)
def test_exchange_op_water_and_embodied_equal_promptwatt_chat(platform, label):
    whole = estimate_conversation(TURNS, platform, label).as_dict()
    for k, rec in enumerate(_records(platform, label)):
        for f in NEW:
            assert rec["value"][f] == pytest.approx(whole["exchanges"][k][f], rel=1e-12), f


@pytest.mark.parametrize(
    ("settings", "says"), [({"wue": -0.1}, "WUE"), ({"wue": "wet"}, "wue"), ({"pue": 0.9}, "PUE")]
)
def test_bad_water_settings_are_refused_clearly(settings, says):
    out = call(op="exchange", platform="chatgpt", prompt="hi", reply="hello", **settings)
    assert out["ok"] is False and says in out["errors"][0]["message"]
    out = call(op="impact", records=[], **settings)
    assert out["ok"] is False and says in out["errors"][0]["message"]


def test_a_region_without_water_factor_is_flagged_and_replaced_on_recompute():
    sg = call(
        op="exchange", platform="chatgpt", model_label="GPT-4o", prompt="hi", reply="hello", region="SG"
    )
    assert any("no off-site water factor" in w for w in sg["warnings"])
    rec = {
        "platform": "chatgpt",
        "model_label": "GPT-4o",
        "warnings": sg["warnings"],
        **{f: sg["value"][f] for f in ("energy_wh_low", "energy_wh", "energy_wh_high")},
    }
    fr = call(op="impact", records=[rec], region="FR")["value"]["records"][0]
    assert not any("water" in w for w in fr["warnings"])


def test_compare_op_equals_the_library_and_keeps_the_contract():
    records = _records("chatgpt", "GPT-5 Thinking")
    sent = [{k: v for k, v in r.items() if k != "value"} for r in records]
    out = call(op="compare", records=sent)
    assert out["ok"], out
    used, alts = out["value"]["used"], out["value"]["alternatives"]
    assert used["energy_wh"] == pytest.approx(sum(r["value"]["energy_wh"] for r in records), rel=1e-12)
    assert {a["label"] for a in alts} == set(pf.labels("chatgpt")) - {"GPT-5 Thinking"}
    assert all(ALTERNATIVE_KEYS <= a.keys() for a in alts)
    assert [a["energy_wh"] for a in alts] == sorted(a["energy_wh"] for a in alts)
    lib = {a.label: a for a in alternatives(TURNS, estimate_conversation(TURNS, "chatgpt", "GPT-5 Thinking"))}
    instant = next(a for a in alts if a["label"] == "GPT-5 Instant")
    assert instant["energy_wh"] == pytest.approx(lib["GPT-5 Instant"].gpu_wh.central, rel=1e-12)
    assert "mostly the reasoning" in instant["note"]
    fr = call(op="compare", records=sent, region="FR")["value"]
    assert fr["used"]["energy_wh"] == used["energy_wh"] and fr["used"]["co2_g"] < used["co2_g"]


@pytest.mark.parametrize(("records", "says"), [([], "non-empty"), (None, "non-empty")])
def test_bad_compare_requests(records, says):
    out = call(op="compare", records=records)
    assert out["ok"] is False and says in out["errors"][0]["message"]


def test_info_lists_disclosures_water_and_embodied_with_sources():
    info = call(op="info")["value"]
    assert {d["id"] for d in info["disclosures"]} >= {
        "google-gemini-median-2025",
        "openai-chatgpt-average-2025",
        "mistral-le-chat-2025",
    }
    for d in info["disclosures"]:
        assert d["source"] and d["scope"] and d["differences"] and d["figures"]
    assert info["water"]["wue"]["google"]["sources"] and info["embodied"]["utilisation"]["sources"]
    assert "water_onsite_ml" in info["boundaries"]


def test_equivalents_op_adds_water_when_given():
    with_water = call(op="equivalents", wh=1.0, co2_g=1.0, water_ml=250.0)["value"]
    assert {e["key"]: e["value"] for e in with_water}["water_glasses"] == pytest.approx(1.0)
    assert not any(e["basis"] == "water" for e in call(op="equivalents", wh=1.0, co2_g=1.0)["value"])
