"""What the extension must store, computed in the test process by pycore itself (`promptwatt chat`)."""

from __future__ import annotations

import json
import random
from typing import Any

import pytest

from pycore.browser.entry import handle
from pycore.chat.conversation import estimate_conversation
from pycore.chat.platforms import resolve
from pycore.chat.tokenizers import count_tokens

from .expected import Turn

ENERGY_FIELDS = (
    "energy_wh",
    "energy_wh_low",
    "energy_wh_high",
    "wall_wh",
    "wall_wh_low",
    "wall_wh_high",
    "co2_g",
    "co2_g_low",
    "co2_g_high",
)


def reference(
    platform: str, label: str | None, turns: list[Turn], region: str | None = None
) -> list[dict[str, Any]]:
    """Per-exchange numbers of `promptwatt chat` for these turns, plus the prompt and reply token counts."""
    result = estimate_conversation([t.as_dict() for t in turns], platform, label, region=region).as_dict()
    tokenizer = resolve(platform, label).tokenizer
    return [
        {
            **e,
            "prompt_tokens": count_tokens(t.prompt, tokenizer),
            "reply_tokens": count_tokens(t.reply, tokenizer),
        }
        for t, e in zip(turns, result["exchanges"], strict=True)
    ]


def assert_matches(records: list[dict], expected: list[dict]) -> None:
    assert len(records) == len(expected), [r["turn_index"] for r in records]
    for k, (r, e) in enumerate(zip(records, expected, strict=True)):
        assert_record(r, e, k)


def assert_record(r: dict, e: dict, k: int) -> None:
    """One stored record against the reference exchange at turn k of the conversation."""
    where = f"exchange {k}"
    assert r["turn_index"] == k, where
    assert r["prompt_tokens"] == e["prompt_tokens"], where
    assert r["reply_tokens"] == e["reply_tokens"], where
    assert r["input_tokens"] == e["input_tokens"], where
    assert r["output_tokens"] == round(e["output_tokens"]), where
    assert r["reasoning_tokens"] == round(e["reasoning_tokens"]), where
    assert r["reasoning_estimated"] == e["reasoning_estimated"], where
    for f in ENERGY_FIELDS:
        assert r[f] == pytest.approx(e[f], rel=1e-9, abs=0), f"{where}: {f}"


def paragraphs(ps: list[str]) -> str:
    """A reply the drivers wrote as one <p> per paragraph, as read back: Markdown paragraphs, a blank line apart."""
    return "\n\n".join(ps)


def with_turn(
    turns: tuple[Turn, ...], k: int, prompt: str | None = None, reply: str | None = None
) -> list[Turn]:
    out = list(turns)
    t = out[k]
    out[k] = Turn(
        t.prompt if prompt is None else prompt,
        t.reply if reply is None else reply,
        t.reasoning,
        t.reasoning_seconds,
    )
    return out


WORDS = (
    "energy",
    "token",
    "kettle",
    "altitude",
    "pressure",
    "boiling",
    "naïve",
    "façade",
    "Straße",
    "中文",
    "日本語",
    "emoji",
    "🔥",
    "👩‍💻",
    "déjà",
    "vu",
    "quantum",
    "cooker",
    "the",
    "of",
    "and",
    "a",
    "to",
    "in",
    "is",
    "it",
    "that",
    "for",
    "ساعة",
    "שלום",
    "δ",
    "λ",
    "1,234",
    "56.7",
    "x²",
    "→",
)


def big_paragraphs(chars: int, seed: int = 7) -> list[str]:
    """Deterministic paragraphs of mixed scripts, about `chars` characters in all."""
    rng = random.Random(seed)
    paras, total = [], 0
    while total < chars:
        p = " ".join(rng.choice(WORDS) for _ in range(rng.randint(20, 60))) + "."
        paras.append(p)
        total += len(p) + 1
    return paras


def exchange_reference(
    platform: str, label: str | None, turns: list[Turn], **settings: Any
) -> list[dict[str, Any]]:
    """What the service worker stores for these turns recorded one by one under ``settings`` (the
    exchange op of pycore.browser.entry in this process, context carried as the worker carries it)."""
    out, context = [], 0
    for k, t in enumerate(turns):
        req = {
            "op": "exchange",
            "platform": platform,
            "model_label": label,
            "turn_index": k,
            "context_tokens": context,
            **t.as_dict(),
            **settings,
        }
        res = json.loads(handle(json.dumps(req)))
        assert res["ok"], res
        out.append({**res["value"], "warnings": res["warnings"]})
        context += res["value"]["prompt_tokens"] + res["value"]["reply_tokens"]
    return out
