"""Badges on pages already open follow the settings: after the stored records are recomputed for a
new region or PUE they show the recomputed figures, and switching badges off and on removes and
restores them, all without a reload and without touching the page's own nodes.

A badge's label lives in a closed shadow root; it is read through CDP (which sees closed roots),
as it is rendered, and compared with the stored record formatted as badge.js formats it.
"""

from __future__ import annotations

from typing import Any

import pytest

from .expected import ALL, MAIN
from .harness import Harness, wait_for
from .test_extension import content_script_eval, content_script_send

DEFAULTS = {"region": None, "grid_g_per_kwh": None, "pue": None, "badges": True}
# far from the defaults on both counts: Sweden's grid (~40 g/kWh) and a PUE of 2
CLEAN = {**DEFAULTS, "region": "SE", "pue": 2.0}

# badge.js text(): the label and its tooltip for a record
BADGE_TEXT = """r => {
  const wh = (x) => !Number.isFinite(x) ? "?" : x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1)
    : x >= 0.1 ? x.toFixed(2).replace(/0$/, "") : x.toPrecision(1);
  return {label: `≈ ${wh(r.wall_wh)} Wh`, tip: `PromptWatt: ${wh(r.wall_wh_low)}–${wh(r.wall_wh_high)} Wh, `
    + `≈ ${wh(r.co2_g)} g CO₂${r.regenerated ? " (regenerated reply)" : ""}`};
}"""

# Marks the page (window and badge nodes, in the page's own world) and records every mutation a
# page script would see from here on.
WATCH = """() => {
  window.__pwMark = true;
  for (const b of document.querySelectorAll('promptwatt-badge')) b.__pwMark = true;
  window.__pwSeen = [];
  new MutationObserver((rs) => { for (const r of rs) window.__pwSeen.push({type: r.type,
    target: r.target.nodeName.toLowerCase(), attribute: r.attributeName,
    added: r.addedNodes.length, removed: r.removedNodes.length}); })
    .observe(document.documentElement, {subtree: true, childList: true, attributes: true, characterData: true});
}"""


@pytest.fixture
def fresh(clean: Harness):
    """`clean`, and the settings and test hooks put back afterwards (the browser is shared)."""
    yield clean
    clean.remove_local("debug")
    clean.set_local({"settings": dict(DEFAULTS)})


def shown(page: Any) -> list[dict]:
    """Each badge on the page in document order: {gen, label, tip} as rendered (closed shadow root via CDP)."""
    cdp = page.context.new_cdp_session(page)
    try:
        root = cdp.send("DOM.getDocument", {"depth": -1, "pierce": True})["root"]
    finally:
        cdp.detach()
    out: list[dict] = []

    def walk(node: dict) -> None:
        if node.get("nodeName") == "PROMPTWATT-BADGE":
            attrs = dict(zip(node["attributes"][::2], node["attributes"][1::2], strict=True))
            span = node["shadowRoots"][0]["children"][0]
            span_attrs = dict(zip(span["attributes"][::2], span["attributes"][1::2], strict=True))
            label = "".join(c.get("nodeValue", "") for c in span.get("children", []))
            out.append(
                {
                    "gen": attrs.get("data-gen"),
                    "label": label,
                    "tip": span_attrs.get("title"),
                    "aria": attrs.get("aria-label"),
                }
            )
            return
        for key in ("children", "shadowRoots"):
            for child in node.get(key, []):
                walk(child)
        if "contentDocument" in node:
            walk(node["contentDocument"])

    walk(root)
    return out


def expected(h: Harness, records: list[dict]) -> list[dict]:
    out = []
    for r in records:
        t = h.probe.evaluate(BADGE_TEXT, r)
        out.append({"gen": r["gen"], "label": t["label"], "tip": t["tip"], "aria": t["tip"]})
    return out


def wait_shown(h: Harness, page: Any, records: list[dict], what: str) -> list[dict]:
    want = expected(h, records)
    wait_for(lambda: shown(page) == want, 30, what)
    return want


def impact_key(h: Harness, settings: dict) -> str:
    return h.probe.evaluate("async (s) => (await import('/lib/store.js')).impactKey(s)", settings)


def wait_recomputed(h: Harness, settings: dict) -> None:
    key = impact_key(h, settings)
    wait_for(
        lambda: h.local("impact_applied") == key and h.local("impact_progress") is None,
        60,
        f"the records recomputed for {settings}",
    )


def assert_untouched(page: Any) -> None:
    """Same page (no reload), same badge nodes, no node of the page added or removed, no CSP violation:
    the only mutations a page script saw are our badges' own attributes."""
    assert page.evaluate("() => window.__pwMark === true"), "the page was reloaded"
    assert page.evaluate("() => [...document.querySelectorAll('promptwatt-badge')].every(b => b.__pwMark)")
    seen = page.evaluate("() => window.__pwSeen")
    assert all(m["type"] == "attributes" and m["target"] == "promptwatt-badge" for m in seen), seen
    assert page.evaluate("() => window.__pwViolations") == []


def test_badges_on_open_pages_show_the_recomputed_figures_after_new_settings(fresh: Harness):
    h = fresh
    pages = []
    for fx in MAIN:  # one tab per site (Gemini with Trusted Types)
        page, _, conv = h.fixture_page(fx)
        records = h.wait_exchanges(fx.platform, conv, len(fx.turns))
        before = wait_shown(h, page, records, f"{fx.platform} badges as recorded")
        page.evaluate(WATCH)
        pages.append((fx, page, conv, before))
    h.set_local({"settings": CLEAN})  # as the popup saves them
    wait_recomputed(h, CLEAN)
    for fx, page, conv, before in pages:
        records = h.exchanges(fx.platform, conv)
        assert all(r["region"] == "SE" and r["pue"] == 2.0 for r in records)
        after = wait_shown(h, page, records, f"{fx.platform} badges to show the recomputed records")
        for old, new in zip(before, after, strict=True):
            assert old["gen"] == new["gen"] and old["label"] != new["label"] and old["tip"] != new["tip"]
        assert_untouched(page)


def test_badges_switched_off_and_on_leave_and_come_back_live_with_the_figures_of_now(fresh: Harness):
    h = fresh
    fx = ALL["deepseek"]
    page, _, conv = h.fixture_page(fx)
    before = wait_shown(h, page, h.wait_exchanges(fx.platform, conv, 2), "the badges as recorded")
    page.evaluate("() => { window.__pwMark = true; }")
    h.set_local({"settings": {**DEFAULTS, "badges": False}})
    wait_for(lambda: shown(page) == [], 30, "the badges to go")
    # new figures while they are hidden: they come back with these, not with those they left with
    hidden = {**CLEAN, "badges": False}
    h.set_local({"settings": hidden})
    wait_recomputed(h, hidden)
    assert shown(page) == []
    h.set_local({"settings": {**hidden, "badges": True}})
    after = wait_shown(h, page, h.exchanges(fx.platform, conv), "the badges back with the recomputed figures")
    assert [b["label"] for b in after] != [b["label"] for b in before]
    assert page.evaluate("() => window.__pwMark === true"), "the page was reloaded"
    assert page.evaluate("() => window.__pwViolations") == []


def test_badges_keep_their_figures_while_a_recompute_is_stopped_midway_and_follow_when_it_completes(
    fresh: Harness,
):
    h = fresh
    opened = []
    for fx in (ALL["chatgpt"], ALL["gemini"]):
        page, _, conv = h.fixture_page(fx)
        records = h.wait_exchanges(fx.platform, conv, 2)
        opened.append((fx, page, conv, wait_shown(h, page, records, f"{fx.platform} badges as recorded")))
    # one record per batch, held once one is done; then the worker is stopped there
    h.set_local({"debug": {"recomputeBatch": 1, "holdRecompute": 1}})
    key = impact_key(h, CLEAN)
    h.set_local({"settings": CLEAN})
    wait_for(lambda: (h.local("impact_progress") or {}).get("done") == 1, 30, "the first batch")
    # the popup says so meanwhile (and pages of the popup, the harness's probe too, have nudged the
    # worker once they saw a recompute under way: done before it is stopped, not after)
    popup = h.popup()
    status = popup.locator("[data-testid='recompute-status']")
    wait_for(lambda: status.get_attribute("data-running") == "true", 10, "the popup to say it recomputes")
    wait_for(
        lambda: h.probe.locator("[data-testid='recompute-status']").get_attribute("data-running") == "true",
        10,
        "the probe page to see the recompute",
    )
    h.kill_service_worker()
    stored = [r for fx, _, conv, _ in opened for r in h.exchanges(fx.platform, conv)]
    assert sorted(r.get("impact_key") == key for r in stored) == [False, False, False, True]
    # a half-done recompute reaches no badge: each keeps the figures it was drawn with
    for _, page, _, before in opened:
        assert shown(page) == before
    h.remove_local("debug")  # an event: Chrome starts the worker again, which resumes the recompute
    wait_recomputed(h, CLEAN)
    for fx, page, conv, before in opened:
        after = wait_shown(h, page, h.exchanges(fx.platform, conv), f"{fx.platform} badges to follow")
        assert [b["label"] for b in after] != [b["label"] for b in before]


def test_a_page_gets_the_figures_of_the_turns_it_names_and_cannot_read_the_records(fresh: Harness):
    """Least privilege: a content script asks for its own turns by id; it gets their badge figures only
    (no tokens, no other turn, no other conversation), and the extension's storage is closed to it."""
    h = fresh
    fx = ALL["chatgpt"]
    page, _, conv = h.fixture_page(fx)
    records = h.wait_exchanges(fx.platform, conv, 2)
    _, _, other = h.fixture_page(fx)
    h.wait_exchanges(fx.platform, other, 2)
    for area in ("local", "session"):
        read = f"chrome.storage.{area}.get(null).then((o) => Object.keys(o), (e) => String(e))"
        assert (
            content_script_eval(page, h.ext_id, read)
            == "Error: Access to storage is not allowed from this context."
        )
    assert len(h.local()) > 2  # the records are there, for the extension's own pages
    first = records[0]
    out = content_script_send(
        page,
        h.ext_id,
        "badges",
        {
            "platform": fx.platform,
            "conversations": [{"conversation_id": conv, "gens": [first["gen"], "no-such-turn"]}],
        },
    )
    assert out["ok"], out
    assert out["value"] == {
        "show": True,
        "records": [
            {
                "gen": first["gen"],
                "prev_gen": first["prev_gen"],
                "wall_wh": first["wall_wh"],
                "wall_wh_low": first["wall_wh_low"],
                "wall_wh_high": first["wall_wh_high"],
                "co2_g": first["co2_g"],
                "energy_wh": first["energy_wh"],
                "regenerated": first["regenerated"],
            }
        ],
    }
    # a conversation that holds none of them gives nothing (the other page's turns have the same ids)
    nothing = content_script_send(
        page,
        h.ext_id,
        "badges",
        {
            "platform": fx.platform,
            "conversations": [{"conversation_id": "not-" + conv, "gens": [r["gen"] for r in records]}],
        },
    )
    assert nothing == {"ok": True, "value": {"show": True, "records": []}}
    bad = content_script_send(page, h.ext_id, "badges", {"platform": fx.platform, "conversations": "all"})
    assert bad == {"ok": False, "error": "badges: conversations must be a list"}
