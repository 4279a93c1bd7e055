"""Conversation estimates: context growth, reasoning, ranges, fallbacks, and the shipped predictor."""

from __future__ import annotations

import math

import pytest

from pycore.chat import platforms as pf
from pycore.chat.conversation import Turn, chat_overhead, estimate_conversation, estimate_exchange
from pycore.chat.scaling import architecture_for
from pycore.chat.tokenizers import count_tokens
from pycore.energy.predictor import default_predictor
from pycore.energy.workload import Workload
from pycore.errors import InvalidInput

TURNS = [
    Turn("What is the capital of France?", "The capital of France is Paris."),
    Turn("And how many people live there?", "About 2.1 million people live in the city of Paris proper."),
    Turn(
        "Write a haiku about it.",
        "Seine mirrors grey skies\nbridges hum with evening steps\nParis holds its breath",
    ),
    Turn(
        "Translate the haiku into French, please.",
        "Le ciel gris se mire\ndans la Seine, les ponts fredonnent\nParis retient son souffle",
    ),
    Turn("Thanks! One word summary?", "Paris."),
]


def _expected_inputs(platform: str, label: str, grow: bool) -> list[int]:
    m = pf.resolve(platform, label)
    oh = chat_overhead(m.platform)
    out, earlier = [], 0
    for k, t in enumerate(TURNS):
        prompt = count_tokens(t.prompt, m.tokenizer)
        if grow:
            out.append(oh.tokens(2 * k + 1) + earlier + prompt)
        else:
            out.append(oh.tokens(1) + prompt)
        earlier += prompt + count_tokens(t.reply, m.tokenizer)
    return out


@pytest.mark.parametrize(
    "platform,label", [("chatgpt", "GPT-4o"), ("gemini", None), ("deepseek", "DeepSeek-V3.2")]
)
def test_input_grows_with_the_context(platform: str, label: str | None) -> None:
    r = estimate_conversation(TURNS, platform, label)
    got = [e.input_tokens for e in r.exchanges]
    assert got == _expected_inputs(platform, label, grow=True)
    assert got == sorted(got) and len(set(got)) == len(got)
    alone = estimate_conversation(TURNS, platform, label, grow_context=False)
    for k, (grown, single) in enumerate(zip(r.exchanges, alone.exchanges, strict=True)):
        assert grown.gpu_wh.central > single.gpu_wh.central if k else grown.gpu_wh == single.gpu_wh


def test_disabling_growth_counts_each_message_alone() -> None:
    r = estimate_conversation(TURNS, "chatgpt", "GPT-4o", grow_context=False)
    assert [e.input_tokens for e in r.exchanges] == _expected_inputs("chatgpt", "GPT-4o", grow=False)
    m = pf.resolve("chatgpt", "GPT-4o")
    assert [e.output_tokens.central for e in r.exchanges] == [
        count_tokens(t.reply, m.tokenizer) for t in TURNS
    ]


def test_hidden_reasoning_is_estimated_from_seconds_and_flagged() -> None:
    m = pf.resolve("chatgpt", "GPT-5 Thinking")
    assert m.reasoning == "hidden"
    turns = [
        {
            "prompt": "Prove that sqrt(2) is irrational.",
            "reply": "Suppose sqrt(2) = p/q ...",
            "reasoning": "Considering a proof by contradiction",
            "reasoning_seconds": 12,
        }
    ]
    e = estimate_conversation(turns, "chatgpt", "GPT-5 Thinking").exchanges[0]
    expected = m.decode_tokens_per_s * 12
    assert e.reasoning_estimated
    assert (e.reasoning_tokens.low, e.reasoning_tokens.central, e.reasoning_tokens.high) == pytest.approx(
        (expected.low, expected.central, expected.high)
    )
    reply = count_tokens(turns[0]["reply"], m.tokenizer)
    assert e.output_tokens.central == pytest.approx(reply + expected.central)
    assert any("estimated" in w for w in e.warnings)
    d = e.as_dict()
    assert d["reasoning_estimated"] is True and d["reasoning_tokens"] == pytest.approx(expected.central)


def test_visible_reasoning_is_output_and_not_context() -> None:
    label = "DeepSeek-R1 (DeepThink)"
    m = pf.resolve("deepseek", label)
    assert m.reasoning == "visible"
    turns = [
        {"prompt": "2+2?", "reply": "4", "reasoning": "The user asks for a sum. Two plus two equals four."},
        {"prompt": "And 3+3?", "reply": "6", "reasoning": "Three plus three is six."},
    ]
    r = estimate_conversation(turns, "deepseek", label)
    first, second = r.exchanges
    n = lambda s: count_tokens(s, m.tokenizer)  # noqa: E731
    assert not first.reasoning_estimated
    assert first.reasoning_tokens.central == n(turns[0]["reasoning"])
    assert first.output_tokens.central == n("4") + n(turns[0]["reasoning"])
    oh = chat_overhead("deepseek")
    assert second.input_tokens == oh.tokens(3) + n("2+2?") + n("4") + n("And 3+3?")  # no earlier reasoning


def test_ranges_are_ordered_and_totals_are_sums() -> None:
    turns = [*TURNS, Turn("Think hard about one more thing.", "Done.", reasoning_seconds=30)]
    r = estimate_conversation(turns, "chatgpt", "GPT-5 Auto")
    d = r.as_dict()
    for row in [*d["exchanges"], d["total"]]:
        for key in ("energy_wh", "wall_wh", "co2_g", "output_tokens"):
            assert 0 < row[f"{key}_low"] <= row[key] <= row[f"{key}_high"], key
        assert row["wall_wh"] > row["energy_wh"]
    for key in (
        "energy_wh",
        "energy_wh_low",
        "energy_wh_high",
        "co2_g",
        "co2_g_low",
        "co2_g_high",
        "wall_wh",
        "input_tokens",
        "output_tokens",
    ):
        assert d["total"][key] == pytest.approx(sum(e[key] for e in d["exchanges"])), key
    assert {"model", "region", "equivalents"} <= d.keys()
    assert d["equivalents"] and all(e["value_low"] <= e["value"] <= e["value_high"] for e in d["equivalents"])


def test_unknown_label_gives_the_flagged_fallback() -> None:
    r = estimate_conversation(TURNS[:1], "gemini", "Gemini 9 Ultra Hyper")
    d = r.as_dict()
    assert d["model"]["is_fallback"] is True
    assert any("Gemini 9 Ultra Hyper" in w for w in d["warnings"])
    assert d["total"]["energy_wh"] > 0


def test_energy_is_the_shipped_predictor_on_the_resized_architecture() -> None:
    m = pf.resolve("chatgpt", "GPT-5 Instant")
    e = estimate_exchange(m, 500, 700)
    dep = m.deployment
    ests = {
        w: default_predictor().estimate(
            architecture_for(m, w), dep.gpu, Workload(500, 700, dep.batch, dep.gpus, dep.precision)
        )
        for w in ("low", "central", "high")
    }
    assert e.gpu_wh.central == pytest.approx(ests["central"].energy_wh)
    assert e.gpu_wh.low == pytest.approx(min(ests["low"].energy_wh_low, ests["central"].energy_wh))
    assert e.gpu_wh.high == pytest.approx(max(ests["high"].energy_wh_high, ests["central"].energy_wh))
    assert e.gpus == (dep.gpus,) * 3


def test_parallel_samples_multiply_energy() -> None:
    pro, single = pf.resolve("chatgpt", "GPT-5 Pro"), pf.resolve("chatgpt", "GPT-5 Thinking")
    assert pro.assumed_architecture == single.assumed_architecture and pro.deployment == single.deployment
    a, b = estimate_exchange(pro, 300, 900), estimate_exchange(single, 300, 900)
    assert a.gpu_wh.central == pytest.approx(b.gpu_wh.central * pro.parallel_samples.central)


def test_prefix_caching_discounts_only_the_earlier_context() -> None:
    plain = estimate_conversation(TURNS, "chatgpt", "GPT-4o")
    cached = estimate_conversation(TURNS, "chatgpt", "GPT-4o", cached_prefix_fraction=1.0)
    assert cached.exchanges[0].gpu_wh == plain.exchanges[0].gpu_wh  # nothing earlier to cache
    for p, c in zip(plain.exchanges[1:], cached.exchanges[1:], strict=True):
        assert c.cached_input_tokens > 0
        assert 0 < c.gpu_wh.central < p.gpu_wh.central
    with pytest.raises(InvalidInput):
        estimate_conversation(TURNS, "chatgpt", "GPT-4o", cached_prefix_fraction=1.5)


def test_region_and_world_fallback() -> None:
    fr = estimate_conversation(TURNS[:1], "chatgpt", "GPT-4o", region="FR")
    us = estimate_conversation(TURNS[:1], "chatgpt", "GPT-4o")
    assert fr.grid.iso == "FR" and us.grid.iso == "US"
    assert fr.co2_g.central < us.co2_g.central
    xx = estimate_conversation(TURNS[:1], "chatgpt", "GPT-4o", region="XX")
    assert xx.grid.is_fallback and any("world average" in w for w in xx.warnings)


ALL_LABELS = [
    pytest.param(p, label, id=f"{p}/{label}")
    for p in pf.platforms()
    for label in [*pf.labels(p), "unknown label"]
]


@pytest.mark.parametrize("platform,label", ALL_LABELS)
def test_no_label_fails_to_fit_its_deployment(platform: str, label: str) -> None:
    m = pf.resolve(platform, label)
    for inp, out in ((1000, 1000), (99_000, 1000)):  # a 2,000-token exchange and a 100,000-token context
        e = estimate_exchange(m, inp, out)
        assert all(math.isfinite(x) and x > 0 for x in (e.gpu_wh.low, e.gpu_wh.central, e.gpu_wh.high))
        assert min(e.gpus) >= m.deployment.gpus


@pytest.mark.parametrize(
    "turns,needle",
    [
        ([], "at least one turn"),
        ("just text", "list of turns"),
        ([{"reply": "hi"}], "turn 0: field 'prompt'"),
        ([{"prompt": "a", "reply": "b"}, {"prompt": 3}], "turn 1: field 'prompt'"),
        ([{"prompt": "a", "reply": ["b"]}], "turn 0: field 'reply'"),
        ([{"prompt": "a", "reasoning": 5}], "turn 0: field 'reasoning'"),
        ([{"prompt": "a"}, {"prompt": "b", "reasoning_seconds": "ten"}], "turn 1: field 'reasoning_seconds'"),
        ([{"prompt": "a", "reasoning_seconds": -1}], "turn 0: field 'reasoning_seconds'"),
        ([["a", "b"]], "turn 0: must be an object"),
    ],
)
def test_bad_turns_name_the_turn_and_field(turns: object, needle: str) -> None:
    with pytest.raises(InvalidInput) as exc:
        estimate_conversation(turns, "chatgpt", "GPT-4o")  # type: ignore[arg-type]
    assert needle in str(exc.value)


def test_unpublished_tokenizer_widens_the_estimate_by_its_token_ratio():
    """Claude's counts are o200k_base's: each end of the range is the estimate at that end of the ratio."""
    import dataclasses

    from pycore.chat.platforms import resolve
    from pycore.ranges import Range

    m = resolve("claude", "Opus 4.5")
    assert m.tokenizer == "o200k_base" and m.token_ratio_key == "claude_3_to_4_6"
    ratio = m.token_ratio
    assert ratio.low < ratio.central < ratio.high
    with_ratio = estimate_exchange(m, 1000, 400)
    plain = dataclasses.replace(m, token_ratio=Range.point(1), token_ratio_key="")
    for which in ("low", "central", "high"):
        r = getattr(ratio, which)
        scaled = estimate_exchange(plain, r * 1000, r * 400)
        assert getattr(with_ratio.gpu_wh, which) == pytest.approx(getattr(scaled.gpu_wh, which), rel=1e-12)
    assert any("tokenizer is unpublished" in w for w in with_ratio.warnings)
    # an exact tokenizer carries no ratio
    assert resolve("mistral", "Fast").token_ratio == Range.point(1)
