"""Chat-platform labels: every record loads with its sources, every match string finds its record."""

from __future__ import annotations

import json

import pytest

from pycore.chat import platforms as pf
from pycore.chat.impact import provider_pue
from pycore.chat.sites import all_sites, site_ids
from pycore.chat.tokenizers import available_tokenizers
from pycore.errors import InvalidInput
from pycore.resources import load_json

MODELS = load_json(pf.MODELS_FILE)
PLATFORMS = {s.id: load_json(s.platform) for s in all_sites()}


def _flat(plat: dict, rec: dict) -> dict:
    """A label as the loader sees it: its model's fields, its own, its deployment, all their sources."""
    model = MODELS["models"][rec["model"]] if isinstance(rec["model"], str) else rec["model"]
    dep = rec.get("deployment", plat["deployment"])
    return {
        **model,
        **rec,
        "deployment": dep,
        "sources": [*model["sources"], *rec["sources"], *dep.get("sources", [])],
    }


RAW = {
    "platforms": {
        name: {
            **plat,
            "labels": [_flat(plat, r) for r in plat["labels"]],
            "fallback": _flat(plat, plat["fallback"]),
        }
        for name, plat in PLATFORMS.items()
    }
}
RECORDS = [
    (name, rec) for name, plat in RAW["platforms"].items() for rec in [*plat["labels"], plat["fallback"]]
]


def _example(match: str) -> str:
    """A concrete label for a match string ('*' patterns get a version number nobody has used)."""
    return match.replace("*", "97")


def test_schema_and_platforms_follow_the_registry():
    assert MODELS["schema_version"] == pf.MODELS_SCHEMA
    assert all(plat["schema_version"] == pf.PLATFORM_SCHEMA for plat in PLATFORMS.values())
    assert pf.platforms() == site_ids()
    assert {"chatgpt", "gemini", "deepseek"} <= set(pf.platforms())


def test_every_model_is_reached_by_a_label_and_defined_once():
    used = {r["model"] for plat in PLATFORMS.values() for r in plat["labels"] if isinstance(r["model"], str)}
    assert used == set(MODELS["models"]), "models nobody labels, or labels naming no model"
    for mid, model in MODELS["models"].items():
        assert model["sources"] and model["name"], mid
        assert mid in pf.models()


def test_one_model_reached_through_several_labels_is_the_same_model():
    by_model: dict[str, list[pf.ModelMapping]] = {}
    for name, plat in PLATFORMS.items():
        for r in plat["labels"]:
            by_model.setdefault(r["model"], []).append(pf.resolve(name, r["label"]))
    for mid, maps in by_model.items():
        assert (
            len({(m.total_params_b, m.active_params_b, m.assumed_architecture, m.tokenizer) for m in maps})
            == 1
        ), mid
        assert all(m.model == mid for m in maps)


def test_no_record_silently_dropped():
    for name, plat in RAW["platforms"].items():
        assert pf.labels(name) == tuple(r["label"] for r in plat["labels"])


@pytest.mark.parametrize(("platform", "raw"), RECORDS, ids=[f"{p}:{r['label']}" for p, r in RECORDS])
def test_loaded_record_keeps_sources_and_warnings(platform, raw):
    m = pf.resolve(platform, raw["label"]) if raw["match"] else pf.resolve(platform, "zz unknown zz")
    assert m.label == raw["label"]
    # EcoLogits dropped every source through a `source`/`sources` typo: compare the loaded objects.
    assert len(raw["sources"]) >= 1
    assert [(s.what, s.source) for s in m.sources] == [(s["what"], s["source"]) for s in raw["sources"]]
    assert all(s.what.strip() and s.source.strip() for s in m.sources)
    assert set(raw["warnings"]) <= set(m.warnings)
    assert m.tokenizer in available_tokenizers()
    assert m.reasoning in {"none", "visible", "hidden"}
    assert m.deployment.precision in {"bf16", "fp8", "fp4"}
    assert m.deployment.gpus >= 1 and m.deployment.batch >= 1
    assert len(m.deployment.region) == 2 and m.deployment.region.isupper()
    assert m.deployment.pue.low >= 1.0
    assert 0 < m.active_params_b.low and m.active_params_b.high <= m.total_params_b.high
    assert m.decode_tokens_per_s.low > 0 and m.parallel_samples.low >= 1
    assert m.assumed_architecture


@pytest.mark.parametrize(("platform", "raw"), RECORDS, ids=[f"{p}:{r['label']}" for p, r in RECORDS])
def test_every_number_that_is_a_guess_says_so(platform, raw):
    text = json.dumps(raw["sources"]).lower()
    assert "assumption" in text or "ecologits" in text or "technical report" in text or "model card" in text


@pytest.mark.parametrize(
    ("platform", "raw"),
    [(p, r) for p, r in RECORDS if r["match"]],
    ids=[f"{p}:{r['label']}" for p, r in RECORDS if r["match"]],
)
def test_every_match_string_resolves_to_its_record(platform, raw):
    for match in [raw["label"], *raw["match"]]:
        for variant in (match, match.upper(), f"  {match}  "):
            m = pf.resolve(platform, _example(variant))
            assert (m.label, m.is_fallback) == (raw["label"], False), (variant, m.label)


@pytest.mark.parametrize(
    ("platform", "seen", "label"),
    [
        ("chatgpt", "gpt-4o", "GPT-4o"),
        ("chatgpt", "gpt-5-3", "GPT-5.3 Instant"),
        ("chatgpt", "gpt-5-2-thinking", "GPT-5.2 Thinking"),
        ("chatgpt", "5.2 Thinking", "GPT-5.2 Thinking"),
        ("chatgpt", "GPT-5 Thinking", "GPT-5 Thinking"),
        ("chatgpt", "ChatGPT 5", "GPT-5 Auto"),
        ("chatgpt", "gpt-5-t-mini", "GPT-5 Thinking mini"),
        ("chatgpt", "Thinking", "GPT-5.x Thinking"),
        ("chatgpt", "gpt-5-6-thinking", "GPT-5.x Thinking"),
        ("chatgpt", "gpt-5-6", "GPT-5.x Instant"),
        ("chatgpt", "GPT-5.7 Pro", "GPT-5.x Pro"),
        ("chatgpt", "o4-mini-high", "o4-mini"),
        ("chatgpt", "GPT-4.1 mini", "GPT-4.1 mini"),
        ("gemini", "Pro\nExtended", "Gemini 3 Pro"),
        ("gemini", "GeminiFlash-Lite", "Gemini 2.5 Flash-Lite"),
        ("gemini", "Fast", "Gemini 3 Flash (Fast)"),
        ("gemini", "Thinking", "Gemini 3 Flash (Thinking)"),
        ("gemini", "Gemini 2.5 Pro", "Gemini 2.5 Pro"),
        ("deepseek", "DeepThink", "DeepSeek-V3.2 (DeepThink)"),
        ("deepseek", "深度思考", "DeepSeek-V3.2 (DeepThink)"),
        ("deepseek", "DeepThink (R1)", "DeepSeek-R1 (DeepThink)"),
        ("deepseek", "Expert DeepThink", "DeepSeek-V4 Pro (Expert, DeepThink)"),
        ("deepseek", "Instant", "DeepSeek-V4 Flash (Instant)"),
        ("claude", "Opus 4.5", "Claude Opus 4.5"),
        ("claude", "claude-opus-4-5-20251101", "Claude Opus 4.5"),
        ("claude", "claude-sonnet-4-20250514", "Claude Sonnet 4"),
        ("claude", "Sonnet 4.5", "Claude Sonnet 4.5"),
        ("claude", "Claude 3.5 Sonnet", "Claude 3.5 Sonnet"),
        ("claude", "Haiku 4.5", "Claude Haiku 4.5"),
        ("claude", "Sonnet", "Claude Sonnet 5.5"),
        ("copilot", "Quick response", "Quick response"),
        ("copilot", "Smart (GPT-5)", "Smart (GPT-5)"),
        ("copilot", "Think Deeper", "Think Deeper"),
        ("copilot", "GPT-5.2 Thinking", "GPT-5.2 Thinking"),
        ("copilot", "GPT-5.6 Thinking", "GPT-5.x Thinking"),
        ("perplexity", "Best", "Best"),
        ("perplexity", "Sonar", "Sonar"),
        ("perplexity", "Claude Sonnet 4.5 Thinking", "Claude Sonnet 4.x Thinking"),
        ("perplexity", "Claude Sonnet 4.6", "Claude Sonnet 4.x"),
        ("perplexity", "GPT-5.2", "GPT-5.2"),
        ("perplexity", "GPT-5.6", "GPT-5.x"),
        ("perplexity", "GPT-5.6 Thinking", "GPT-5.x Thinking"),
        ("perplexity", "Kimi K2 Thinking", "Kimi K2 Thinking"),
        ("mistral", "Fast", "Fast"),
        ("mistral", "Think", "Think"),
        ("mistral", "mistral-medium-2508", "Mistral Medium 3.1"),
        ("mistral", "Magistral Medium 1.2", "Magistral Medium"),
        ("mistral", "mistral-large-2512", "Mistral Large 3"),
        ("grok", "Auto", "Auto"),
        ("grok", "Grok 4.1 Fast", "Fast"),
        ("grok", "Heavy", "Heavy"),
        ("grok", "Grok 4.20 Beta", "Heavy"),
        ("grok", "grok-4-0709", "Grok 4"),
        ("grok", "Grok 4.5", "Grok 4.5"),
    ],
)
def test_ui_labels_and_slugs(platform, seen, label):
    m = pf.resolve(platform, seen)
    assert (m.label, m.is_fallback, m.seen_label) == (label, False, seen)


def test_reasoning_modes():
    assert pf.resolve("chatgpt", "gpt-4o").reasoning == "none"
    assert pf.resolve("chatgpt", "gpt-5-thinking").reasoning == "hidden"
    assert pf.resolve("deepseek", "DeepThink").reasoning == "visible"
    assert pf.resolve("gemini", "Fast").reasoning == "none"
    assert pf.resolve("claude", "Opus 4.5").reasoning == "hidden"  # a summary of the thinking is shown
    assert pf.resolve("claude", "Claude 3.7 Sonnet").reasoning == "visible"
    assert pf.resolve("claude", "Claude 3.5 Sonnet").reasoning == "none"
    assert pf.resolve("copilot", "Quick response").reasoning == "none"
    assert pf.resolve("copilot", "Think Deeper").reasoning == "hidden"
    assert pf.resolve("perplexity", "R1 1776").reasoning == "visible"
    assert pf.resolve("mistral", "Fast").reasoning == "none"
    assert pf.resolve("mistral", "Magistral Small").reasoning == "visible"
    assert pf.resolve("grok", "Fast").reasoning == "none"
    assert pf.resolve("grok", "Expert").reasoning == "hidden"


def test_pro_models_sample_in_parallel():
    assert pf.resolve("chatgpt", "gpt-5-pro").parallel_samples.central > 1
    assert pf.resolve("chatgpt", "gpt-4o").parallel_samples.central == 1
    assert pf.resolve("grok", "Heavy").parallel_samples.central > 1
    assert pf.resolve("grok", "Auto").parallel_samples.central == 1


@pytest.mark.parametrize(
    ("platform", "seen", "home", "home_label"),
    [
        ("copilot", "Smart (GPT-5)", "chatgpt", "GPT-5 Auto"),
        ("copilot", "GPT-5.2 Thinking", "chatgpt", "GPT-5.2 Thinking"),
        ("copilot", "GPT-5.7 Thinking", "chatgpt", "gpt-5-7-thinking"),
        ("copilot", "GPT-4o", "chatgpt", "GPT-4o"),
        ("perplexity", "GPT-5", "chatgpt", "GPT-5 Auto"),
        ("perplexity", "GPT-5.1", "chatgpt", "GPT-5.1 Instant"),
        ("perplexity", "gpt-5-4", "chatgpt", "GPT-5.4 Thinking"),
        ("perplexity", "GPT-5.8", "chatgpt", "GPT-5.8 Instant"),
        ("perplexity", "o3", "chatgpt", "o3"),
        ("perplexity", "Claude Sonnet 4.5", "claude", "Claude Sonnet 4.5"),
        ("perplexity", "Claude Opus 4.6 Thinking", "claude", "Opus 4.6"),
        ("perplexity", "Claude 3.7 Sonnet", "claude", "Claude 3.7 Sonnet"),
        ("perplexity", "Gemini 3 Pro", "gemini", "Gemini 3 Pro"),
        ("perplexity", "Gemini 2.5 Pro", "gemini", "Gemini 2.5 Pro"),
        ("perplexity", "Grok 4", "grok", "Grok 4"),
        ("perplexity", "R1 1776", "deepseek", "DeepThink (R1)"),
    ],
)
def test_a_model_reached_through_another_site_is_its_home_sites_model(platform, seen, home, home_label):
    """Copilot's and Perplexity's third-party labels reuse the definition the model's own site uses."""
    m, h = pf.resolve(platform, seen), pf.resolve(home, home_label)
    assert not m.is_fallback and not h.is_fallback and m.model
    assert m.model == h.model
    assert (m.total_params_b, m.active_params_b, m.assumed_architecture) == (
        h.total_params_b,
        h.active_params_b,
        h.assumed_architecture,
    )


def test_open_weight_labels_name_their_real_architecture():
    assert pf.resolve("perplexity", "Sonar").assumed_architecture == "meta-llama/Llama-3.3-70B-Instruct"
    assert (
        pf.resolve("mistral", "Mistral Large 2").assumed_architecture
        == "mistralai/Mistral-Large-Instruct-2407"
    )
    assert (
        pf.resolve("mistral", "Magistral Small").assumed_architecture
        == "mistralai/Mistral-Small-24B-Base-2501"
    )
    assert pf.resolve("grok", "Grok 2").assumed_architecture == "xai-org/grok-2"
    large3 = pf.resolve("mistral", "Mistral Large 3")
    assert (large3.total_params_b.central, large3.active_params_b.central) == (675, 41)


@pytest.mark.parametrize("platform", site_ids())
def test_dated_default_labels_end_with_the_default(platform):
    """History exports without a model name read the label that was the default on their date."""
    dated = PLATFORMS[platform]["default_labels"]
    assert dated, platform
    dates = [d["from"] for d in dated]
    assert dates == sorted(dates) and len(set(dates)) == len(dates)
    for d in dated:
        assert len(d["from"]) == 10 and d["from"][4] == d["from"][7] == "-"
        assert d["label"] in pf.labels(platform) and d["source"].strip()
    assert dated[-1]["label"] == pf.default_label(platform)


@pytest.mark.parametrize("platform", site_ids())
def test_unknown_label_gives_flagged_fallback(platform):
    m = pf.resolve(platform, "Totally New Model 9000")
    assert m.is_fallback
    assert m.label == RAW["platforms"][platform]["fallback"]["label"]
    assert any("Totally New Model 9000" in w for w in m.warnings)
    assert m.sources


@pytest.mark.parametrize("platform", site_ids())
def test_missing_label_uses_platform_default(platform):
    for seen in ("", None, "  "):
        m = pf.resolve(platform, seen)
        assert m.label == pf.default_label(platform) and not m.is_fallback
        assert any("no model label" in w for w in m.warnings)


def test_unknown_platform_raises_listing_platforms():
    with pytest.raises(InvalidInput) as exc:
        pf.resolve("claude-ish", "x")
    assert all(p in str(exc.value) for p in site_ids())
    with pytest.raises(InvalidInput):
        pf.labels("nope")


def test_platform_name_is_case_insensitive():
    assert pf.resolve(" ChatGPT ", "gpt-4o").label == "GPT-4o"


def test_platform_tokenizer_and_defaults():
    for name, plat in RAW["platforms"].items():
        assert plat["tokenizer"] in available_tokenizers()
        assert plat["default_label"] in pf.labels(name)


def test_deployment_pue_agrees_with_overheads():
    for name, plat in RAW["platforms"].items():
        factor, is_default = provider_pue(plat["provider"])
        assert not is_default
        for rec in [*plat["labels"], plat["fallback"]]:
            assert pf.resolve(name, rec["label"]).deployment.pue == factor.value, (name, rec["label"])


def test_regions_have_grid_intensity():
    from pycore.chat.impact import grid_intensity

    for _name, rec in RECORDS:
        assert not grid_intensity(rec["deployment"]["region"])[1].is_fallback


def test_to_dict_is_json_ready():
    d = pf.resolve("chatgpt", "gpt-4o").to_dict()
    assert d["total_params_b"] == {"low": 220.0, "central": 440.0, "high": 660.0}
    json.dumps(d)


def test_assumed_architectures_are_catalog_ids():
    from pycore.energy.catalog import load_catalog

    catalog = load_catalog()
    for _name, rec in RECORDS:
        catalog.get(rec["assumed_architecture"])  # raises UnknownModel (with the nearest ids) if absent


def test_deployment_gpus_are_in_the_hardware_catalog():
    from pycore.energy.hardware import load_gpus

    gpus = load_gpus()
    for _name, rec in RECORDS:
        assert gpus.get(rec["deployment"]["gpu"]).name == rec["deployment"]["gpu"]
