"""A conversation opened mid-history ends as if it had been recorded in order.

The turns on screen when the page opens are recorded first, with nothing above them (turn 0 on
Gemini, which numbers by position; the mounted turn's number on ChatGPT) and only what is on
screen as context. When the older turns render above, the first shown turn is linked to them and
they are recorded; the service worker then estimates the turns recorded before again from their
stored counts (pycore's `reestimate` op). Every stored record is checked against `promptwatt chat`
for the whole conversation in order, and bit for bit against the exchange op fed in order.
"""

from __future__ import annotations

import pytest

from .expected import ALL, Turn
from .harness import Harness, wait_for
from .reference import ENERGY_FIELDS, assert_matches, exchange_reference, paragraphs, reference
from .test_badges import wait_shown
from .test_chain import OLDER, driver_turn, settled, tokens
from .test_extension import wait_badges

EXACT = (
    *ENERGY_FIELDS,
    "input_tokens",
    "output_tokens",
    "prompt_tokens",
    "reply_tokens",
    "reasoning_tokens",
    "reasoning_estimated",
    "region",
    "grid_g_per_kwh",
    "model_version",
)
SUMS = ("energy_wh", "wall_wh", "co2_g", "input_tokens", "output_tokens")


def as_read(turns) -> list[Turn]:
    """Turns as the drivers render them and the adapters read them back (one paragraph per line)."""
    return [Turn(t.prompt, paragraphs(t.reply.split("\n")), t.reasoning, t.reasoning_seconds) for t in turns]


def assert_in_order(h: Harness, fx, conv: str, records: list[dict], turns: list[Turn]) -> None:
    """The records are the conversation recorded in order: pycore's chat estimate, the exchange op
    to the bit, contexts along the conversation, and an index that agrees with them."""
    assert_matches(records, reference(fx.platform, fx.model_label, turns))
    exact = exchange_reference(fx.platform, fx.model_label, turns)
    context = 0
    for k, (r, e) in enumerate(zip(records, exact, strict=True)):
        for f in EXACT:
            assert r[f] == e[f], f"exchange {k}: {f}"
        assert r["warnings"] == e["warnings"][:10], k
        assert r["context_tokens"] == context, k
        context += tokens(r)
    assert [r["regenerated"] for r in records] == [False] * len(records)
    assert all("reestimate" not in r and "regenerated_of" not in r for r in records)
    key = f"conv:{fx.platform}:{conv}"
    entry = next(shard[key] for k, shard in h.local().items() if k.startswith("idx:c:") and key in shard)
    assert entry["exchanges"] == len(records)
    assert h.aggregate_mismatches() == []
    for f in SUMS:
        assert entry[f] == pytest.approx(sum(r[f] for r in records), rel=1e-12), f


@pytest.mark.parametrize("site", ["gemini", "chatgpt"])
def test_turns_recorded_mid_history_are_estimated_again_once_the_older_turns_render(
    clean: Harness, site: str
):
    """Two turns on screen, then the three before them render above (Gemini scrolled up; ChatGPT
    mounting them). ChatGPT's first shown turn has hidden reasoning estimated from its "Thought for
    12s": estimated again from the stored duration, as the exchange op does from the page."""
    fx = ALL[site]
    first = 0 if site == "gemini" else len(OLDER)  # Gemini numbers the first rendered turn 0
    page, _, conv = clean.fixture_page(fx, setup={} if site == "gemini" else {"firstTurn": first})
    shown = clean.wait_exchanges(fx.platform, conv, 2)
    wait_badges(page, 2)
    # as recorded with nothing above them: only what was on screen
    assert [(r["turn_index"], r["context_tokens"]) for r in shown] == [
        (first, 0),
        (first + 1, tokens(shown[0])),
    ]
    page.evaluate("t => __pw.prependTurns('xo', t)", [driver_turn(t) for t in OLDER])
    records = settled(clean, fx.platform, conv, 5)
    assert_in_order(clean, fx, conv, records, as_read([*OLDER, *fx.turns]))
    assert [r["gen"] for r in records[3:]] == [r["gen"] for r in shown]
    assert records[3]["prev_gen"] == records[2]["gen"]
    if site == "chatgpt":
        assert records[3]["reasoning_estimated"] and records[3]["reasoning_seconds"] == 12
    # the badges drawn before follow the turns estimated again, without a reload
    wait_shown(clean, page, records, "every badge showing its record as estimated in order")
    assert not clean.local("problems")


def test_a_re_estimate_stopped_midway_resumes_when_the_worker_starts_again(clean: Harness):
    h = clean
    fx = ALL["gemini"]
    page, _, conv = h.fixture_page(fx, setup={})
    shown = h.wait_exchanges(fx.platform, conv, 2)
    wait_badges(page, 2)
    # one record per batch; held once one is written
    h.set_local({"debug": {"reestimateBatch": 1, "holdReestimate": 1}})
    page.evaluate("t => __pw.prependTurns('xo', t)", [driver_turn(t) for t in OLDER])

    def half():
        records = {r["gen"]: r for r in h.exchanges(fx.platform, conv)}
        first, second = (records.get(r["gen"], {}) for r in shown)
        return (
            len(records) == 5 and "reestimate" not in first and second.get("reestimate") is True and records
        )

    wait_for(half, 60, "the first shown turn estimated again, the second still marked")
    wait_for(lambda: not h.message("status")["reestimating"], 10, "the pass to hold")
    h.kill_service_worker()
    records = {r["gen"]: r for r in h.exchanges(fx.platform, conv)}
    truth = exchange_reference(fx.platform, fx.model_label, as_read([*OLDER, *fx.turns]))
    done, left = records[shown[0]["gen"]], records[shown[1]["gen"]]
    assert (done["turn_index"], done["energy_wh"]) == (3, truth[3]["energy_wh"])
    assert (left["turn_index"], left["context_tokens"], left["energy_wh"]) == (
        1,
        tokens(shown[0]),
        shown[1]["energy_wh"],
    )
    h.remove_local("debug")  # an event: Chrome starts the worker again, which finds the mark and resumes
    records = settled(h, fx.platform, conv, 5)
    assert_in_order(h, fx, conv, records, as_read([*OLDER, *fx.turns]))
