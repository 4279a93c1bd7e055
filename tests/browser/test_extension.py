"""The built extension end to end, per site: fixture pages at the real URLs -> content script ->
service worker -> offscreen document -> Pyodide worker (pycore) -> storage -> popup.

Every stored number is checked against pycore in this process (`promptwatt chat` for the same
turns) to 1e-9, so the browser and the command line cannot drift apart.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

import pytest

from pycore.chat.tokenizers import count_tokens

from .expected import ALL, FIXTURES, MAIN, Turn
from .harness import Harness, fresh_id, wait_for
from .reference import assert_matches, big_paragraphs, paragraphs, reference, with_turn

SITES = pytest.mark.parametrize("fx", MAIN, ids=[f.platform for f in MAIN])


def badges(page) -> int:
    return page.locator("promptwatt-badge").count()


def wait_badges(page, n: int) -> None:
    wait_for(lambda: badges(page) == n, 30, f"{n} badges")


def path(url: str) -> str:
    u = urlsplit(url)
    return u.path + (f"?{u.query}" if u.query else "")


def test_worker_round_trip(ext: Harness):
    """Service worker -> offscreen document -> Pyodide -> pycore.browser.entry.handle and back."""
    out = ext.message("py", {"op": "count", "platform": "chatgpt", "text": "Hello, world! 👋"})
    assert out["ok"] and out["value"] == {
        "tokens": count_tokens("Hello, world! 👋", "o200k_base"),
        "tokenizer": "o200k_base",
    }
    info = ext.message("py", {"op": "info"})
    assert info["ok"] and info["value"]["model_version"]
    assert ext.message("status")["offscreen"] is True


@SITES
def test_exchanges_equal_promptwatt_chat(clean: Harness, fx):
    page, _, conv = clean.fixture_page(fx)
    records = clean.wait_exchanges(fx.platform, conv, len(fx.turns))
    assert_matches(records, reference(fx.platform, fx.model_label, list(fx.turns)))
    doc = clean.local(f"conv:{fx.platform}:{conv}")
    assert doc["title"] == fx.title
    assert all(r["model_label"] == fx.model_label and not r["model"]["is_fallback"] for r in records)
    assert [r["regenerated"] for r in records] == [False] * len(records)
    assert records[1]["context_tokens"] == records[0]["prompt_tokens"] + records[0]["reply_tokens"]
    # one label under each finished reply, and the page's own rules (Trusted Types on Gemini) kept
    wait_badges(page, len(fx.turns))
    assert page.locator("promptwatt-badge").first.get_attribute("aria-label").startswith("PromptWatt: ")
    assert page.evaluate("() => window.__pwViolations") == []
    # text is gone once counted: nothing pending, no sentence of the page in storage
    assert clean.pending() == []
    stored = json.dumps(clean.local(), ensure_ascii=False)
    assert fx.turns[0].prompt not in stored and fx.turns[1].reply[:40] not in stored


@SITES
def test_streamed_reply_is_recorded_once_with_its_final_text(clean: Harness, fx):
    page, _, conv = clean.fixture_page(fx, setup={"stream": True})
    assert len(clean.wait_exchanges(fx.platform, conv, 1)) == 1  # turn 1 is still streaming
    page.evaluate("t => __pw.streamParagraph(t)", "Yes,")
    for piece in [" it would:", " a sealed pot", " reaches about 120 °C", " at any altitude."]:
        page.evaluate("t => __pw.streamText(t)", piece)
        page.wait_for_timeout(150)  # the stream's cadence
    # A stall longer than the text-stability debounce while the stop control still shows: a
    # debounce alone would record the partial reply here; the site's signal must hold it back.
    page.wait_for_timeout(2500)
    assert len(clean.exchanges(fx.platform, conv)) == 1
    page.evaluate("t => __pw.streamParagraph(t)", "Check the pasta a minute early.")
    page.evaluate("() => __pw.finish()")
    records = clean.wait_exchanges(fx.platform, conv, 2)
    final = paragraphs(
        [
            "Yes, it would: a sealed pot reaches about 120 °C at any altitude.",
            "Check the pasta a minute early.",
        ]
    )
    assert_matches(records, reference(fx.platform, fx.model_label, with_turn(fx.turns, 1, reply=final)))
    wait_badges(page, 2)
    assert len(clean.exchanges(fx.platform, conv)) == 2


@SITES
def test_reload_does_not_double_count(clean: Harness, fx):
    page, _, conv = clean.fixture_page(fx)
    clean.wait_exchanges(fx.platform, conv, 2)
    wait_badges(page, 2)
    for _ in range(2):
        page.reload()
        wait_badges(page, 2)  # the reloaded page found both exchanges already recorded
    assert len(clean.exchanges(fx.platform, conv)) == 2
    assert clean.pending() == []


@SITES
def test_navigating_to_another_conversation_keeps_both_apart(clean: Harness, fx):
    page, url_a, conv_a = clean.fixture_page(fx, setup={})
    clean.wait_exchanges(fx.platform, conv_a, 2)
    wait_badges(page, 2)
    conv_b = fresh_id(fx)
    url_b = url_a.replace(conv_a, conv_b)
    new = [
        {
            "prompt": "How long do I boil an egg at 2,000 m?",
            "reply": ["About a minute longer than at sea level."],
        },
        {
            "prompt": "And at 4,000 m?",
            "reply": ["Roughly three minutes longer.", "Or use a pressure cooker."],
        },
    ]
    page.evaluate("u => __pw.navigate(u)", path(url_b))
    page.wait_for_timeout(800)  # the old conversation stays on screen a moment after the URL changes
    page.evaluate("([s, t]) => __pw.rewrite(s, t)", ["xb", new])
    records_b = clean.wait_exchanges(fx.platform, conv_b, 2)
    turns_b = [
        Turn(n["prompt"], paragraphs(n["reply"]), t.reasoning, t.reasoning_seconds)
        for n, t in zip(new, fx.turns, strict=True)
    ]
    assert_matches(records_b, reference(fx.platform, fx.model_label, turns_b))
    assert len(clean.exchanges(fx.platform, conv_a)) == 2
    # and back to the first conversation (its own DOM again): already counted, nothing added
    original = [{"prompt": t.prompt, "reply": None} for t in fx.turns]
    page.evaluate("u => __pw.navigate(u)", path(url_a))
    page.wait_for_timeout(800)
    page.evaluate("([s, t]) => __pw.rewrite(s, t)", ["", original])
    wait_for(
        lambda: (
            page.evaluate("() => [...document.querySelectorAll('promptwatt-badge')].map(b => b.dataset.gen)")
            == [r["gen"] for r in clean.exchanges(fx.platform, conv_a)]
        ),
        30,
        "the first conversation's badges",
    )
    assert len(clean.exchanges(fx.platform, conv_a)) == 2
    assert len(clean.exchanges(fx.platform, conv_b)) == 2
    docs = [k for k in clean.local() if k.startswith("conv:")]
    assert sorted(docs) == sorted([f"conv:{fx.platform}:{conv_a}", f"conv:{fx.platform}:{conv_b}"])


@SITES
def test_unrecognised_dom_records_nothing_and_the_popup_says_so(clean: Harness, fx):
    conv = fresh_id(fx)
    html = (FIXTURES / "unrecognised.html").read_text("utf-8")
    page = clean.open(fx.url.replace(fx.conversation_id, conv), html)
    before = page.content()
    wait_for(
        lambda: ((clean.local("sites") or {}).get(fx.platform) or {}).get("recognised") is False,
        20,
        f"{fx.platform} reported as not recognised",
    )
    assert page.content() == before  # the page is untouched
    assert badges(page) == 0
    assert clean.local(f"conv:{fx.platform}:{conv}") is None and clean.pending() == []
    popup = clean.popup()
    status = popup.locator("[data-testid='site-status']")
    assert status.is_visible()
    assert fx.platform in status.get_attribute("data-unrecognised").split()
    assert urlsplit(fx.url).hostname in status.inner_text()
    # a recognised page of the same site clears the notice
    page2, _, conv2 = clean.fixture_page(fx)
    clean.wait_exchanges(fx.platform, conv2, 2)
    wait_for(lambda: status.get_attribute("data-unrecognised") == "", 10, "the notice to clear")


@SITES
def test_a_stopped_service_worker_loses_no_exchange(clean: Harness, fx):
    clean.set_local({"debug": {"holdQueue": True}})  # keep the exchanges pending until the worker is stopped
    page, _, conv = clean.fixture_page(fx)
    wait_for(
        lambda: len([p for p in clean.pending() if p["exchange"]["conversation_id"] == conv]) == 2,
        30,
        "two pending exchanges",
    )
    clean.kill_service_worker()
    pending = [p for p in clean.pending() if p["exchange"]["conversation_id"] == conv]
    assert len(pending) == 2 and clean.exchanges(fx.platform, conv) == []
    clean.remove_local("debug")  # an event: Chrome starts the worker again, which resumes the queue
    records = clean.wait_exchanges(fx.platform, conv, 2)
    assert_matches(records, reference(fx.platform, fx.model_label, list(fx.turns)))
    wait_badges(page, 2)
    assert clean.pending() == []


SESSION_QUOTA = 10 * 1024 * 1024  # chrome.storage.session's QUOTA_BYTES


def test_exchanges_refused_while_pending_storage_is_full_are_sent_again_once_there_is_room(clean: Harness):
    """storage.session (where exchanges wait with their text) can fill up while big exchanges wait; the
    worker then refuses new ones. A finished page never changes again, so the content script must try
    again by itself: the turns are recorded once there is room, with no mutation of the page."""
    fx = ALL["chatgpt"]
    clean.probe.evaluate("n => chrome.storage.session.set({filler: 'x'.repeat(n)})", SESSION_QUOTA - 100)
    try:
        page, _, conv = clean.fixture_page(fx)
        stats = "PromptWatt.observer.stats.refused"
        # each turn refused three times: the later tries come after the last scan the page itself causes
        # (the recognition deadline's), so only the content script's own retries can still send them
        wait_for(
            lambda: (content_script_eval(page, clean.ext_id, stats) or 0) >= 6,
            30,
            "both turns refused 3 times",
        )
        assert clean.exchanges(fx.platform, conv) == [] and clean.pending() == []
    finally:
        clean.probe.evaluate("() => chrome.storage.session.remove('filler')")
    records = clean.wait_exchanges(fx.platform, conv, 2, timeout=40)
    assert_matches(records, reference(fx.platform, fx.model_label, list(fx.turns)))
    wait_badges(page, 2)


@SITES
def test_a_megabyte_reply(clean: Harness, fx):
    paras = big_paragraphs(1_000_000)
    page, _, conv = clean.fixture_page(fx, setup={"turns": [None, {"reply": paras}]})
    records = clean.wait_exchanges(fx.platform, conv, 2, timeout=120)
    reply = paragraphs(paras)
    assert len(reply) >= 1_000_000
    assert_matches(records, reference(fx.platform, fx.model_label, with_turn(fx.turns, 1, reply=reply)))
    wait_badges(page, 2)
    popup = clean.popup()
    assert popup.locator("[data-testid='conversation']").count() == 1


HOSTILE_PROMPT = (
    "Thanks! <img src=x onerror=alert(1)> <script>alert(2)</script> مرحبا بالعالم 👋🏽 שלום "
    "\u202ereversed\u202c \"quotes\" & 'apostrophes' ${x} {{y}}"
)
HOSTILE_REPLY = [
    "<img src=x onerror=alert(3)><svg onload=alert(4)>",
    "نص عربي من اليمين إلى اليسار 🔥👩‍💻",
    "<b>not bold</b> &amp; javascript:alert(5)",
]
HOSTILE_TITLE = "<img src=x onerror=alert(6)> <b>title</b> 🔥"
HOSTILE_MODEL = "<img src=x onerror=alert(7)>"


@SITES
def test_hostile_text_is_inert(clean: Harness, fx):
    setup = {
        "title": HOSTILE_TITLE,
        "model": HOSTILE_MODEL,
        "turns": [None, {"prompt": HOSTILE_PROMPT, "reply": HOSTILE_REPLY}],
    }
    page, _, conv = clean.fixture_page(fx, setup=setup)
    records = clean.wait_exchanges(fx.platform, conv, 2)
    label = fx.model_label if fx.platform == "deepseek" else HOSTILE_MODEL  # DeepSeek's modes are radios
    expected = reference(
        fx.platform, label, with_turn(fx.turns, 1, HOSTILE_PROMPT, paragraphs(HOSTILE_REPLY))
    )
    assert_matches(records, expected)
    wait_badges(page, 2)
    popup = clean.popup()
    conv_el = popup.locator(f"[data-testid='conversation'][data-conversation-id='{conv}']")
    assert conv_el.locator(".title").text_content() == HOSTILE_TITLE
    conv_el.locator("summary").click()
    wait_for(lambda: conv_el.locator("[data-testid='exchange']").count() == 2, 10, "the exchange table")
    if label == HOSTILE_MODEL:
        assert HOSTILE_MODEL in conv_el.locator("td.model").first.text_content()
    assert popup.locator("img").count() == 0
    assert (
        popup.evaluate("() => document.querySelectorAll('script:not([src]), [onerror], [onload]').length")
        == 0
    )
    assert clean.dialogs == []
    assert page.evaluate("() => window.__pwViolations") == []


@SITES
def test_a_regenerated_reply_is_a_new_generation_with_the_same_context(clean: Harness, fx):
    page, _, conv = clean.fixture_page(fx, setup={})
    first = clean.wait_exchanges(fx.platform, conv, 2)
    wait_badges(page, 2)
    again = ["A different answer this time.", "With a second line."]
    page.evaluate("([s, p]) => __pw.regenerate(s, p)", ["x9", again])
    page.wait_for_timeout(300)
    page.evaluate("() => __pw.finish()")
    records = clean.wait_exchanges(fx.platform, conv, 3)
    regen = [r for r in records if r["regenerated"]]
    assert len(regen) == 1 and regen[0]["turn_index"] == 1
    assert regen[0]["context_tokens"] == first[1]["context_tokens"]
    expected = reference(fx.platform, fx.model_label, with_turn(fx.turns, 1, reply=paragraphs(again)))
    assert_matches([records[0], regen[0]], expected)


def test_popup_totals_and_conversations_follow_the_test_contract(clean: Harness):
    convs = []
    for fx in (ALL["chatgpt"], ALL["deepseek"]):
        _, _, conv = clean.fixture_page(fx)
        clean.wait_exchanges(fx.platform, conv, 2)
        convs.append((fx.platform, conv))
    records = {c: clean.exchanges(*c) for c in convs}
    every = [r for rs in records.values() for r in rs]
    popup = clean.popup()
    totals = popup.locator("[data-testid='totals']")
    wait_for(lambda: totals.get_attribute("data-exchanges") == "4", 10, "totals of 4 exchanges")
    assert float(totals.get_attribute("data-energy-wh")) == pytest.approx(
        sum(r["energy_wh"] for r in every), rel=1e-9
    )
    assert float(totals.get_attribute("data-co2-g")) == pytest.approx(
        sum(r["co2_g"] for r in every), rel=1e-9
    )
    assert int(totals.get_attribute("data-input-tokens")) == sum(r["input_tokens"] for r in every)
    assert int(totals.get_attribute("data-output-tokens")) == sum(r["output_tokens"] for r in every)
    items = popup.locator("[data-testid='conversation']")
    assert items.count() == 2
    # newest first: DeepSeek's page was opened last
    assert [items.nth(i).get_attribute("data-platform") for i in range(2)] == ["deepseek", "chatgpt"]
    for i in range(2):
        el = items.nth(i)
        rs = records[(el.get_attribute("data-platform"), el.get_attribute("data-conversation-id"))]
        assert int(el.get_attribute("data-exchanges")) == len(rs)
        assert int(el.get_attribute("data-input-tokens")) == sum(r["input_tokens"] for r in rs)
        assert int(el.get_attribute("data-output-tokens")) == sum(r["output_tokens"] for r in rs)
        assert float(el.get_attribute("data-energy-wh")) == pytest.approx(
            sum(r["energy_wh"] for r in rs), rel=1e-9
        )
    tags = popup.locator("#platform-tags .tag")
    assert sorted(tags.nth(i).get_attribute("data-platform") for i in range(tags.count())) == [
        "chatgpt",
        "deepseek",
    ]
    assert popup.locator("#chart svg rect.bar").count() == 14
    # export: the same records come back out
    with popup.expect_download() as dl:
        popup.click("#export-json")
    exported = json.loads(open(dl.value.path(), encoding="utf-8").read())
    assert sum(len(c["exchanges"]) for c in exported["conversations"]) == 4
    with popup.expect_download() as dl:
        popup.click("#export-csv")
    lines = open(dl.value.path(), encoding="utf-8").read().strip().splitlines()
    assert lines[0].startswith("platform,conversation_id,title,turn_index") and len(lines) == 5
    # clearing asks first
    popup.click("#clear")
    assert popup.locator("#confirm").is_visible()
    popup.click("#confirm-yes")
    wait_for(lambda: totals.get_attribute("data-exchanges") == "0", 10, "cleared totals")
    assert popup.locator("[data-testid='conversation']").count() == 0


def _record(i: int) -> dict:
    return {
        "id": f"chatgpt:ok:{i}",
        "gen": f"g{i}",
        "turn_index": i,
        "regenerated": False,
        "time": 1.7e12 + i,
        "model_label": "GPT-4o",
        "model": {"label": "GPT-4o", "is_fallback": False},
        "prompt_tokens": 5,
        "reply_tokens": 7,
        "reasoning_tokens": 0,
        "reasoning_estimated": False,
        "input_tokens": 100,
        "output_tokens": 7,
        "energy_wh": 0.1,
        "energy_wh_low": 0.05,
        "energy_wh_high": 0.2,
        "wall_wh": 0.15,
        "wall_wh_low": 0.07,
        "wall_wh_high": 0.3,
        "co2_g": 0.05,
        "co2_g_low": 0.02,
        "co2_g_high": 0.1,
    }


def test_damaged_and_newer_records_are_skipped_and_reported(clean: Harness):
    broken_record = {**_record(1), "energy_wh": "lots"}
    ok = "ok-conversation"
    clean.set_local(
        {
            f"conv:chatgpt:{ok}": {
                "v": 1,
                "platform": "chatgpt",
                "conversation_id": ok,
                "title": "fine",
                "created": 0,
                "updated": 0,
                "exchanges": [_record(0), broken_record, None],
            },
            "conv:gemini:garbage": "not a document",
            "conv:deepseek:nolist": {
                "v": 1,
                "platform": "deepseek",
                "conversation_id": "nolist",
                "exchanges": 3,
            },
            "conv:chatgpt:future": {
                "v": 99,
                "platform": "chatgpt",
                "conversation_id": "future",
                "exchanges": [],
            },
        }
    )
    popup = clean.popup()  # no index yet: the popup reads the records and asks the worker for one
    wait_for(lambda: clean.local("index"), 10, "the rebuilt index")
    popup.close()
    clean.message("reindex")  # what the worker does at browser start
    popup = clean.popup()
    notice = popup.locator("[data-testid='storage-notice']")
    assert notice.is_visible()
    assert notice.get_attribute("data-skipped") == "4"  # 2 records + 2 documents
    assert "newer PromptWatt" in notice.inner_text()
    totals = popup.locator("[data-testid='totals']")
    assert totals.get_attribute("data-exchanges") == "1"
    assert float(totals.get_attribute("data-energy-wh")) == pytest.approx(0.1)
    # the worker still records next to damaged data, in the same conversation too, and the index follows;
    # the damaged records stay stored as found (as the recompute keeps them), still reported
    clean.fixture_page(ALL["chatgpt"], conversation_id=ok)
    wait_for(lambda: totals.get_attribute("data-exchanges") == "3", 60, "the popup to follow")
    assert clean.local(f"conv:chatgpt:{ok}")["exchanges"][-2:] == [broken_record, None]
    clean.message("reindex")
    wait_for(lambda: notice.get_attribute("data-skipped") == "4", 10, "the damage still reported")


def test_settings_apply_to_new_and_stored_exchanges_and_badges_can_be_hidden(clean: Harness):
    """New exchanges are estimated under the settings; stored ones follow a change (test_recompute.py
    checks that in depth)."""
    fx = ALL["chatgpt"]
    popup = clean.popup()
    popup.click("#tab-settings")
    popup.wait_for_selector("#region option[value='FR']", state="attached")
    popup.select_option("#region", "FR")
    popup.click("#settings-form button[type='submit']")
    wait_for(lambda: (clean.local("settings") or {}).get("region") == "FR", 10, "the region saved")
    page, _, conv = clean.fixture_page(fx)
    records = clean.wait_exchanges(fx.platform, conv, 2)
    assert {r["region"] for r in records} == {"FR"}
    assert_matches(records, reference(fx.platform, fx.model_label, list(fx.turns), region="FR"))
    wait_badges(page, 2)
    # a custom grid intensity and a PUE override
    popup.select_option("#region", "")
    popup.fill("#grid", "100")
    popup.fill("#pue", "1.5")
    popup.uncheck("#badges")
    popup.click("#settings-form button[type='submit']")
    wait_badges(page, 0)  # the setting reaches open pages
    _, _, conv2 = clean.fixture_page(fx)
    records2 = clean.wait_exchanges(fx.platform, conv2, 2)
    for r in records2:
        assert r["region"] == "custom" and r["grid_g_per_kwh"] == 100 and r["pue"] == 1.5
        assert r["co2_g"] == pytest.approx(r["wall_wh"] * 100 / 1000, rel=1e-9)
        assert r["energy_wh"] == pytest.approx(
            records[r["turn_index"]]["energy_wh"], rel=1e-12
        )  # GPU energy unchanged
    # the first conversation's records were recomputed: what recording them now would give
    wait_for(
        lambda: all(r["region"] == "custom" for r in clean.exchanges(fx.platform, conv)),
        30,
        "the stored records recomputed",
    )
    for old, new in zip(records, clean.exchanges(fx.platform, conv), strict=True):
        assert new["pue"] == 1.5 and new["energy_wh"] == old["energy_wh"]
        assert new["wall_wh"] == pytest.approx(records2[new["turn_index"]]["wall_wh"], rel=1e-12)
        assert new["co2_g"] == pytest.approx(new["wall_wh"] * 100 / 1000, rel=1e-12)
    popup.check("#badges")
    popup.click("#settings-form button[type='submit']")
    wait_badges(page, 2)
    clean.set_local({"settings": {"region": None, "grid_g_per_kwh": None, "pue": None, "badges": True}})


def test_insights_about_and_keyboard(clean: Harness):
    _, _, conv = clean.fixture_page(ALL["gemini"])
    clean.wait_exchanges("gemini", conv, 2)
    popup = clean.popup()
    popup.focus("#tab-overview")
    popup.keyboard.press("ArrowRight")
    assert popup.evaluate("() => document.activeElement.id") == "tab-insights"
    assert popup.get_attribute("#tab-insights", "aria-selected") == "true"
    assert popup.locator("#panel-insights").is_visible() and not popup.locator("#panel-overview").is_visible()
    wait_for(lambda: popup.locator("#equivalents li[data-key]").count() >= 5, 30, "equivalents")
    assert "Source:" in popup.locator("#equivalents li[data-key]").first.inner_text()
    popup.keyboard.press("End")
    assert popup.evaluate("() => document.activeElement.id") == "tab-about"
    info = clean.message("py", {"op": "info"})["value"]
    wait_for(lambda: info["model_version"] in popup.locator("#about").inner_text(), 30, "the about page")
    popup.keyboard.press("Home")
    assert popup.get_attribute("#tab-overview", "aria-selected") == "true"


def content_script_eval(page: Any, ext_id: str, expression: str) -> Any:
    """Evaluates ``expression`` (awaited) in the extension's content-script world on ``page``, via CDP."""
    cdp = page.context.new_cdp_session(page)
    contexts: list[dict] = []
    cdp.on("Runtime.executionContextCreated", lambda e: contexts.append(e["context"]))
    cdp.send("Runtime.enable")  # replays the contexts that already exist
    try:
        ours = [
            c
            for c in contexts
            if c.get("origin", "").startswith(f"chrome-extension://{ext_id}") or c.get("name") == "PromptWatt"
        ]
        assert ours, [(c.get("name"), c.get("origin")) for c in contexts]
        out = cdp.send(
            "Runtime.evaluate",
            {
                "expression": expression,
                "contextId": ours[0]["id"],
                "awaitPromise": True,
                "returnByValue": True,
            },
        )
        return out["result"].get("value")
    finally:
        cdp.detach()


def content_script_send(page, ext_id: str, type_: str, data=None, target: str = "background") -> dict | None:
    """Sends a message from the extension's content script on ``page`` (its isolated world, via CDP)."""
    message = json.dumps({"target": target, "type": type_, "data": data})
    expr = f"chrome.runtime.sendMessage({message}).catch((e) => ({{refused: String(e.message)}}))"
    return content_script_eval(page, ext_id, expr)  # None: undefined, no listener answered


@pytest.mark.parametrize(
    "type_, data",
    [
        ("clear", None),
        ("reindex", None),
        ("offscreenIdle", None),
        ("py", {"op": "count", "platform": "chatgpt", "text": "x"}),
        ("options", {"settings": {"region": "PL", "badges": False}, "debug": {"holdQueue": True}}),
    ],
)
def test_a_content_script_cannot_clear_records_or_reach_python(clean: Harness, type_, data):
    """Least privilege inside the extension: what lives in a site's page may send exchanges, never
    wipe the records, rebuild the index, close the worker, run Python directly or change the settings."""
    fx = ALL["chatgpt"]
    page, _, conv = clean.fixture_page(fx)
    clean.wait_exchanges(fx.platform, conv, len(fx.turns))
    out = content_script_send(page, clean.ext_id, type_, data)
    assert out == {"ok": False, "error": f"{type_} messages come from the extension's own pages"}
    assert len(clean.exchanges(fx.platform, conv)) == len(fx.turns)  # nothing was cleared
    assert clean.local("debug") is None and (clean.local("settings") or {}).get("region") != "PL"
    assert content_script_send(page, clean.ext_id, "status")["ok"]  # the channel itself works


@pytest.mark.parametrize("type_", ["py", "boot"])
def test_a_content_script_gets_no_answer_from_the_offscreen_document(clean: Harness, type_):
    """Its messages reach the offscreen document too: it answers only the extension's own pages."""
    fx = ALL["chatgpt"]
    page, _, conv = clean.fixture_page(fx)
    clean.wait_exchanges(fx.platform, conv, len(fx.turns))  # the document is open
    assert clean.message("status")["offscreen"] is True
    data = json.dumps({"op": "count", "platform": "chatgpt", "text": "x"})
    out = content_script_send(page, clean.ext_id, type_, data, target="offscreen")
    assert out is None or "refused" in out, out  # no listener answered (or none was there)


def test_the_options_message_writes_only_settings_and_test_hooks(clean: Harness):
    """The popup's settings go through the service worker, which starts the recompute (background.js
    setOptions); nothing else may be written that way, and null removes a test hook."""
    send = "data => chrome.runtime.sendMessage({target: 'background', type: 'options', data})"
    for bad in ({"index": {}}, {"settings": {}, "problems": []}, {}, None, [], "settings"):
        out = clean.probe.evaluate(send, bad)
        assert out["ok"] is False and "settings and/or debug" in out["error"], bad
    assert clean.local("problems") is None
    assert clean.probe.evaluate(send, {"debug": {"holdQueue": True}}) == {
        "ok": True,
        "value": {"written": ["debug"]},
    }
    assert clean.local("debug") == {"holdQueue": True}
    assert clean.probe.evaluate(send, {"debug": None})["ok"]
    assert clean.local("debug") is None
