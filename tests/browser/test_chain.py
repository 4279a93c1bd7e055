"""The chain of generations end to end: each exchange names the generation rendered before it
(prev_gen), and the service worker counts a turn's context along that chain, so the context is the
one the model saw even when older turns load above recorded ones (Gemini's backward infinite
scroll) or the page shows another branch after a regeneration. Stored numbers are checked against
pycore in this process for the turn's true position.
"""

from __future__ import annotations

import pytest

from .expected import ALL, Turn
from .harness import Harness, wait_for
from .reference import assert_record, reference
from .test_extension import SITES, wait_badges

GEMINI = ALL["gemini"]
OLDER = [  # the start of the conversation, not rendered when the page opened
    Turn(
        "Is it true that water boils faster in the mountains?",
        "It boils sooner, at a lower temperature.\nThat is not the same as cooking faster.",
    ),
    Turn("How much lower is the boiling point at 2,000 m?", "About 93 °C, roughly one degree per 300 m."),
    Turn(
        "Does salt in the water change that?",
        "Only a little: a spoonful raises it by a fraction of a degree.",
    ),
]
NEW = Turn(
    "So how long for spaghetti at 3,000 m?",
    "Plan on about three to four extra minutes.\nTaste it rather than trusting the packet.",
)


def driver_turn(t: Turn) -> dict:
    return {"prompt": t.prompt, "reply": t.reply.split("\n")}


def by_suffix(records: list[dict], suffix: str) -> dict:
    hits = [r for r in records if r["gen"].endswith(suffix)]
    assert len(hits) == 1, [r["gen"] for r in records]
    return hits[0]


def by_gen(records: list[dict], gen: str) -> dict:
    return next(r for r in records if r["gen"] == gen)


def tokens(r: dict) -> int:
    return r["prompt_tokens"] + r["reply_tokens"]


def settled(h: Harness, platform: str, conv: str, n: int) -> list[dict]:
    """The n records once none is marked for re-estimation and the worker has nothing left to do."""

    def check():
        records = h.exchanges(platform, conv)
        quiet = not h.message("status").get("reestimating")
        return len(records) == n and quiet and not any(r.get("reestimate") for r in records) and records

    return wait_for(check, 60, f"{n} settled records of {platform}:{conv}")


@pytest.mark.parametrize("how", ["scrolled_up", "reopened"])
def test_older_turns_rendered_above_give_a_new_turn_its_true_context(clean: Harness, how: str):
    """Gemini opened mid-history: two turns on screen, recorded as turns 0 and 1; then the three
    turns before them render above (scrolling up, or the page opened again with more history) and a
    new turn is added. The older turns and the new one get their true positions and contexts."""
    page, url, conv = clean.fixture_page(GEMINI, setup={})
    shown = clean.wait_exchanges("gemini", conv, 2)
    wait_badges(page, 2)
    if how == "scrolled_up":
        page.evaluate("t => __pw.prependTurns('xo', t)", [driver_turn(t) for t in OLDER])
    else:
        page.close()
        # Held until the reopened page has linked its first rendered turn to the one now above it,
        # so the check below does not depend on which message the service worker handles first.
        clean.set_local({"debug": {"holdQueue": True}})
        page, _, _ = clean.fixture_page(
            GEMINI, conversation_id=conv, setup={"older": [driver_turn(t) for t in OLDER]}
        )
        wait_for(
            lambda: len([p for p in clean.pending() if p["exchange"]["conversation_id"] == conv]) == 3,
            30,
            "three pending older turns",
        )
        wait_for(lambda: by_gen(clean.exchanges("gemini", conv), shown[0]["gen"])["prev_gen"], 30, "the link")
        clean.remove_local("debug")
    records = clean.wait_exchanges("gemini", conv, 5)
    wait_badges(page, 5)
    page.evaluate("t => __pw.appendTurn('xn', t)", driver_turn(NEW))
    records = clean.wait_exchanges("gemini", conv, 6)

    truth = reference("gemini", GEMINI.model_label, [*OLDER, *GEMINI.turns, NEW])
    older = [by_suffix(records, f"xo{k}") for k in range(3)]
    for k, r in enumerate(older):
        assert_record(r, truth[k], k)
    new = by_suffix(records, "xn")
    assert_record(new, truth[5], 5)
    assert new["context_tokens"] == sum(tokens(r) for r in records if r is not new)
    # the first rendered turn now links to the turn above it; nothing is taken for a regeneration
    assert by_gen(records, shown[0]["gen"])["prev_gen"] == older[2]["gen"]
    assert [r["regenerated"] for r in records] == [False] * 6
    # what was recorded before the older turns showed is estimated again at its true place (test_reestimate.py)
    assert [(r["turn_index"], r["context_tokens"]) for r in shown] == [(0, 0), (1, tokens(shown[0]))]
    final = settled(clean, "gemini", conv, 6)
    for k, r in enumerate(shown, start=3):
        assert_record(by_gen(final, r["gen"]), truth[k], k)


@SITES
def test_context_follows_the_branch_on_screen(clean: Harness, fx):
    """Turn 1 regenerated, a turn added after the new reply, then back to the first reply (as
    ChatGPT's branch switcher does) and another turn added: each new turn counts the reply it
    follows, not the latest reply at that position, and neither is a regeneration."""
    page, _, conv = clean.fixture_page(fx, setup={})
    t0, t1 = clean.wait_exchanges(fx.platform, conv, 2)
    wait_badges(page, 2)
    again = ["A different answer this time.", "With a second line."]
    page.evaluate("([s, p]) => __pw.regenerate(s, p)", ["x9", again])
    page.wait_for_timeout(300)
    page.evaluate("() => __pw.finish()")
    t1b = next(
        r for r in clean.wait_exchanges(fx.platform, conv, 3) if r["gen"] not in (t0["gen"], t1["gen"])
    )
    assert t1b["regenerated"] and t1b["prev_gen"] == t0["gen"]

    on_new = Turn("Does that work with rice too?", "Yes, rice behaves the same way.")
    page.evaluate("t => __pw.appendTurn('xa', t)", driver_turn(on_new))
    a = by_suffix_new(clean.wait_exchanges(fx.platform, conv, 4), {t0["gen"], t1["gen"], t1b["gen"]})
    second = Turn(fx.turns[1].prompt, "\n".join(again), fx.turns[1].reasoning, fx.turns[1].reasoning_seconds)
    assert_record(a, reference(fx.platform, fx.model_label, [fx.turns[0], second, on_new])[2], 2)
    assert a["prev_gen"] == t1b["gen"] and not a["regenerated"]
    assert a["context_tokens"] == tokens(t0) + tokens(t1b)

    # back to the first reply: its branch has no turn 2 yet; the reply is already recorded
    page.evaluate("() => __pw.removeTurnsFrom(2)")
    page.evaluate("([s, p]) => __pw.regenerate(s, p)", ["", None])
    page.wait_for_timeout(300)
    page.evaluate("() => __pw.finish()")
    on_old = Turn("And with a lid on?", "A lid saves energy but does not change the boiling point.")
    page.evaluate("t => __pw.appendTurn('xb', t)", driver_turn(on_old))
    records = clean.wait_exchanges(fx.platform, conv, 5)
    b = by_suffix_new(records, {t0["gen"], t1["gen"], t1b["gen"], a["gen"]})
    assert_record(b, reference(fx.platform, fx.model_label, [*fx.turns, on_old])[2], 2)
    assert b["prev_gen"] == t1["gen"] and not b["regenerated"]
    assert b["context_tokens"] == tokens(t0) + tokens(t1)  # by position it would have counted t1b
    wait_badges(page, 3)
    assert len(clean.exchanges(fx.platform, conv)) == 5


def by_suffix_new(records: list[dict], known: set[str]) -> dict:
    fresh = [r for r in records if r["gen"] not in known]
    assert len(fresh) == 1, [r["gen"] for r in records]
    return fresh[0]
