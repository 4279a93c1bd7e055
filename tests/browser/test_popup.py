"""The popup as a user reads and operates it: units that fit tiny and huge figures, a fresh install,
the tabs and the clear-data confirmation by keyboard (WAI-ARIA tabs pattern), the chart's text
alternative, layout at the popup's width, and exports a spreadsheet cannot be tricked by. Records are written in the stored format (lib/store.js)
under the current settings' impact key, so the worker has nothing to recompute.
"""

from __future__ import annotations

import csv
import io
import json
import re
import time
import uuid

import pytest

from pycore.chat import platforms as pf

from .harness import Harness, wait_for

DEFAULTS = {"region": None, "grid_g_per_kwh": None, "pue": None, "wue": None, "badges": True}
DAY = 86_400_000
WIDTH = 420  # body width (popup.css); Chrome sizes the popup to it


def record(conv: str, i: int, t: float, wall_wh: float, key: str, platform: str = "chatgpt") -> dict:
    gpu = wall_wh / 1.5
    return {
        "id": f"{platform}:{conv}:{i}",
        "gen": f"g{i}",
        "turn_index": i,
        "regenerated": False,
        "time": t,
        "model_label": "GPT-4o",
        "model": {"label": "GPT-4o", "is_fallback": False},
        "prompt_tokens": 5,
        "reply_tokens": 7,
        "reasoning_tokens": 0,
        "reasoning_estimated": False,
        "input_tokens": 100,
        "output_tokens": 7,
        "energy_wh": gpu,
        "energy_wh_low": gpu / 2,
        "energy_wh_high": gpu * 2,
        "wall_wh": wall_wh,
        "wall_wh_low": wall_wh / 2,
        "wall_wh_high": wall_wh * 2,
        "co2_g": wall_wh * 0.4,
        "co2_g_low": wall_wh * 0.2,
        "co2_g_high": wall_wh * 0.8,
        "region": "US",
        "grid_g_per_kwh": 400,
        "pue": None,
        "model_version": "test",
        "warnings": [],
        "impact_key": key,
        **water_embodied(wall_wh),
    }


def water_embodied(wall_wh: float) -> dict:
    """Schema 4's water (mL) and embodied CO2 (g) of a record, with ranges, in fixed ratios to its wall energy."""
    out = {}
    for name, per_wh in (
        ("water_onsite_ml", 0.3),
        ("water_offsite_ml", 3.0),
        ("water_ml", 3.3),
        ("embodied_co2_g", 0.05),
    ):
        out.update(
            {
                name: wall_wh * per_wh,
                f"{name}_low": wall_wh * per_wh / 3,
                f"{name}_high": wall_wh * per_wh * 3,
            }
        )
    return out


def store(h: Harness, convs: list[tuple[str, str, list[tuple[float, float]]]]) -> dict[str, str]:
    """Writes (platform, title, [(time, wall_wh)]) conversations and has the worker index them; ids by title."""
    h.set_local({"settings": dict(DEFAULTS)})
    key = h.probe.evaluate("async (s) => (await import('/lib/store.js')).impactKey(s)", DEFAULTS)
    items, ids = {}, {}
    for platform, title, rows in convs:
        conv = str(uuid.uuid4())
        ids[title] = conv
        recs = [record(conv, i, t, wh, key, platform) for i, (t, wh) in enumerate(rows)]
        items[f"conv:{platform}:{conv}"] = {
            "v": 4,
            "platform": platform,
            "conversation_id": conv,
            "title": title,
            "created": rows[0][0],
            "updated": rows[-1][0],
            "exchanges": recs,
        }
    h.set_local(items)
    h.message("reindex")
    return ids


def row(popup, conv: str):
    return popup.locator(f"[data-testid='conversation'][data-conversation-id='{conv}']")


def focused(popup) -> str:
    return popup.evaluate("() => document.activeElement.id")


def test_tiny_and_huge_energies_are_written_in_units_that_fit(clean: Harness):
    now = time.time() * 1000
    ids = store(
        clean,
        [
            ("chatgpt", "tiny", [(now - 3000, 0.0001), (now - 2000, 0.0001), (now - 1000, 0.0001)]),
            ("deepseek", "huge", [(now - 10_000 - i, 300.0) for i in range(40)]),
            ("gemini", "minute", [(now - 20_000, 3e-7)]),
        ],
    )
    popup = clean.popup()
    wait_for(lambda: popup.locator("[data-testid='conversation']").count() == 3, 10, "3 conversations")
    tiny, huge, minute = (row(popup, ids[t]).locator(".num").inner_text() for t in ("tiny", "huge", "minute"))
    assert "3 exchanges" in tiny and "0.3 mWh" in tiny and "0.12 mg CO₂" in tiny
    assert "40 exchanges" in huge and "12 kWh" in huge and "4.8 kg CO₂" in huge
    assert "1 exchange ·" in minute and "0.0003 mWh" in minute
    card = popup.locator("#card-all .body").inner_text()
    assert card.splitlines()[0] == "12 kWh"
    assert "6–24 kWh" in card and "4.8 kg CO₂" in card
    assert "44 exchanges\n4.4K tokens in\n308 tokens out" in card
    tags = popup.locator("#platform-tags").inner_text()
    assert "DeepSeek · 40 exchanges · 12 kWh" in tags and "ChatGPT · 3 exchanges · 0.3 mWh" in tags
    assert not re.search(r"\de-?\d", popup.locator("body").inner_text())  # never exponent notation
    row(popup, ids["tiny"]).locator("summary").click()
    cells = row(popup, ids["tiny"]).locator("[data-testid='exchange']").first.locator("td")
    wait_for(lambda: cells.count() == 7, 10, "the detail table")
    assert cells.nth(5).inner_text() == "0.0001" and cells.nth(6).inner_text() == "0.00004"
    # the test contract keeps the raw numbers
    totals = popup.locator("[data-testid='totals']")
    assert float(totals.get_attribute("data-energy-wh")) == pytest.approx(
        (0.0003 + 12_000 + 3e-7) / 1.5, rel=1e-9
    )
    assert totals.get_attribute("data-exchanges") == "44"


def test_a_fresh_install_says_there_is_nothing_yet(clean: Harness):
    popup = clean.popup()
    for card in ("today", "week", "all"):
        assert popup.locator(f"#card-{card} .body").inner_text().splitlines() == ["0 Wh", "No exchanges"]
    assert popup.locator("#empty").is_visible()
    assert popup.locator("#chart-summary").inner_text() == "No exchanges in the last 14 days."
    assert popup.locator("#chart svg rect.bar[height='0']").count() == 14
    popup.click("#tab-insights")
    assert popup.locator("#insight-summary").inner_text() == "No exchanges recorded in this period yet."
    assert popup.locator("#equivalents li").count() == 0  # no "0 minutes of a 10 W LED bulb"


def test_tabs_follow_the_aria_tabs_pattern_by_keyboard(clean: Harness):
    popup = clean.popup()
    popup.keyboard.press("Tab")  # the selected tab is the tab list's only stop
    assert focused(popup) == "tab-overview"
    assert (
        popup.evaluate("() => getComputedStyle(document.activeElement).outlineStyle") != "none"
    )  # focus ring
    assert [popup.get_attribute(f"#tab-{t}", "tabindex") for t in ("insights", "settings", "about")] == [
        "-1"
    ] * 3
    popup.keyboard.press("ArrowLeft")  # wraps round to the last tab and shows its panel
    assert focused(popup) == "tab-about" and popup.get_attribute("#tab-about", "aria-selected") == "true"
    assert popup.locator("#panel-about").is_visible() and popup.locator("#panel-overview").is_hidden()
    popup.keyboard.press("Tab")  # into the panel, which starts with text only, so it can be read and scrolled
    assert focused(popup) == "panel-about"
    popup.keyboard.press("Shift+Tab")
    popup.keyboard.press("ArrowRight")  # wraps to the first
    assert focused(popup) == "tab-overview"
    popup.keyboard.press("ArrowRight")
    popup.keyboard.press("ArrowRight")
    assert focused(popup) == "tab-settings" and popup.locator("#panel-settings").is_visible()
    popup.wait_for_selector("#region option[value='FR']", state="attached")
    popup.fill("#grid", "123")  # typed, not saved: a look at another tab keeps it
    popup.focus("#tab-settings")
    popup.keyboard.press("Home")
    assert focused(popup) == "tab-overview"
    popup.keyboard.press("End")
    popup.keyboard.press("ArrowLeft")
    assert focused(popup) == "tab-settings"
    # what a reload of the form would wait for (the settings and the region table), then a turn of the loop
    popup.evaluate("""() => Promise.all([chrome.storage.local.get('settings'), fetch('data/regions.json')
                     .then((r) => r.json())]).then(() => new Promise((r) => setTimeout(r, 50)))""")
    assert popup.input_value("#grid") == "123"
    popup.focus("#tab-overview")
    popup.keyboard.press("Enter")  # buttons: Enter and Space activate too
    assert popup.get_attribute("#tab-overview", "aria-selected") == "true"


def test_the_clear_confirmation_works_by_keyboard_and_keeps_the_focus(clean: Harness):
    now = time.time() * 1000
    store(clean, [("gemini", "one", [(now, 0.5)])])
    popup = clean.popup()
    wait_for(lambda: popup.locator("[data-testid='conversation']").count() == 1, 10, "the conversation")
    popup.focus("#clear")
    popup.keyboard.press("Enter")
    assert popup.locator("#confirm").is_visible() and focused(popup) == "confirm-no"
    assert popup.get_attribute("#clear", "aria-expanded") == "true"
    popup.keyboard.press("Escape")  # cancelled: nothing deleted, focus back on the button
    assert popup.locator("#confirm").is_hidden() and focused(popup) == "clear"
    assert popup.get_attribute("#clear", "aria-expanded") == "false"
    assert popup.locator("[data-testid='conversation']").count() == 1
    popup.keyboard.press("Enter")
    popup.keyboard.press("Shift+Tab")
    assert focused(popup) == "confirm-yes"
    popup.keyboard.press("Enter")
    totals = popup.locator("[data-testid='totals']")
    wait_for(lambda: totals.get_attribute("data-exchanges") == "0", 10, "cleared totals")
    assert popup.locator("#confirm").is_hidden()
    assert focused(popup) == "clear"  # not lost to the page when the box it was in went away


def test_the_chart_has_a_text_alternative_and_shows_every_day_with_use(clean: Harness):
    now = time.time() * 1000
    store(clean, [("chatgpt", "big day", [(now - 2 * DAY, 5000.0)]), ("gemini", "small day", [(now, 0.3)])])
    popup = clean.popup()
    wait_for(lambda: popup.locator("[data-testid='conversation']").count() == 2, 10, "2 conversations")
    chart = popup.locator("#chart svg")
    assert chart.get_attribute("role") == "img"
    described = popup.locator(f"#{chart.get_attribute('aria-describedby')}").inner_text()
    big_day = popup.evaluate(
        "t => new Date(t).toLocaleDateString('en-US', {month: 'short', day: 'numeric'})", now - 2 * DAY
    )
    assert described == f"5 kWh over 2 of 14 days with exchanges; highest 5 kWh on {big_day}."
    today = popup.locator("#chart svg rect.bar").last
    assert float(today.get_attribute("height")) >= 2  # 0.3 Wh next to 5 kWh: a visible bar, not 0.004 px
    assert "0.3 Wh, 1 exchange" in today.locator("title").text_content()


def test_the_newest_conversations_are_listed_first_and_more_on_request(clean: Harness):
    """The popup lists the newest 100 conversations (read from the newest months' shards) and the rest on
    "Show more"; its totals count every record whatever is listed."""
    now = time.time() * 1000
    # 130 conversations over the last ~8 months (one every 2 days), newest first by title number
    ids = store(clean, [("chatgpt", f"c{k:03d}", [(now - k * 2 * DAY, 0.5)]) for k in range(130)])
    popup = clean.popup()
    assert popup.locator("[data-testid='totals']").get_attribute("data-exchanges") == "130"
    rows = popup.locator("[data-testid='conversation']")
    wait_for(lambda: rows.count() == 100, 10, "the first 100 conversations")
    assert [rows.nth(i).get_attribute("data-conversation-id") for i in (0, 99)] == [ids["c000"], ids["c099"]]
    more = popup.locator("#more-conversations")
    assert more.is_visible()
    more.click()
    wait_for(lambda: rows.count() == 130, 10, "all 130")
    assert rows.nth(129).get_attribute("data-conversation-id") == ids["c129"]
    assert more.is_hidden()


def test_long_titles_and_the_settings_form_fit_the_popup(clean: Harness):
    now = time.time() * 1000
    long = "A long title about cooking rice at altitude, pressure cookers and boiling points " * 3
    ids = store(clean, [("chatgpt", long, [(now - i, 120.0) for i in range(12)])])
    popup = clean.popup()
    popup.set_viewport_size({"width": WIDTH, "height": 600})
    title = row(popup, ids[long]).locator(".title")
    assert title.bounding_box()["width"] > 0.6 * WIDTH  # the figures no longer squeeze it to a few words
    assert title.evaluate("e => getComputedStyle(e).textOverflow") == "ellipsis"
    assert title.get_attribute("title") == long
    popup.click("#tab-settings")
    popup.wait_for_selector("#region option[value='FR']", state="attached")
    popup.select_option("#region", "VC")  # the longest name (the select is as wide as its widest option)
    sideways = "() => document.documentElement.scrollWidth > document.documentElement.clientWidth"
    assert not popup.evaluate(sideways)
    box = popup.locator("#region").bounding_box()
    assert box["x"] + box["width"] <= WIDTH


# a spreadsheet runs a cell starting with = + - @ as a formula; quotes and a line break must survive
FORMULA_TITLE = '=HYPERLINK("https://example.test/?"&A1,"click")\nsecond "line"'


def test_exports_neutralise_formulas_and_skip_records_the_popup_cannot_read(clean: Harness):
    """A stored record with no model or a time no Date can hold is skipped and reported like any damaged
    one: the table and both exports still show every other record (they used to stop at it)."""
    now = time.time() * 1000
    ids = store(
        clean,
        [("chatgpt", FORMULA_TITLE, [(now - 2, 1.0), (now - 1, 2.0)]), ("gemini", "@SUM(1+1)", [(now, 3.0)])],
    )
    key = f"conv:chatgpt:{ids[FORMULA_TITLE]}"
    doc = clean.local(key)
    good = doc["exchanges"]
    no_model = {k: v for k, v in {**good[0], "id": "chatgpt:x:8", "gen": "g8"}.items() if k != "model"}
    far = {**good[1], "id": "chatgpt:x:9", "gen": "g9", "time": 1e17}
    clean.set_local({key: {**doc, "exchanges": [*good, no_model, far]}})
    clean.message("reindex")
    popup = clean.popup()
    assert popup.locator("[data-testid='storage-notice']").get_attribute("data-skipped") == "2"
    assert popup.locator("[data-testid='totals']").get_attribute("data-exchanges") == "3"
    conv = row(popup, ids[FORMULA_TITLE])
    assert conv.locator(".title").text_content() == FORMULA_TITLE
    conv.locator("summary").click()
    wait_for(
        lambda: conv.locator("[data-testid='exchange']").count() == 2, 10, "the table of the readable records"
    )
    with popup.expect_download() as dl:
        popup.click("#export-csv")
    rows = list(csv.DictReader(io.StringIO(open(dl.value.path(), encoding="utf-8", newline="").read())))
    assert len(rows) == 3
    titles = {r["platform"]: r["title"] for r in rows}
    assert titles == {"chatgpt": "'" + FORMULA_TITLE, "gemini": "'@SUM(1+1)"}
    for r in rows:  # water and embodied CO2 go out with their ranges
        wall = float(r["wall_wh"])
        assert float(r["water_ml"]) == pytest.approx(wall * 3.3) and float(r["water_ml_high"]) > float(
            r["water_ml"]
        )
        assert float(r["embodied_co2_g"]) == pytest.approx(wall * 0.05) and r["wue"] == ""
    with popup.expect_download() as dl:
        popup.click("#export-json")
    exported = json.loads(open(dl.value.path(), encoding="utf-8").read())
    assert sorted(len(c["exchanges"]) for c in exported["conversations"]) == [1, 2]


def test_water_embodied_the_lighter_choice_and_the_disclosures_are_shown(clean: Harness):
    now = time.time() * 1000
    ids = store(
        clean, [("chatgpt", "heat pumps", [(now - 2, 1.0), (now - 1, 2.0)]), ("gemini", "rice", [(now, 3.0)])]
    )
    popup = clean.popup()
    totals = popup.locator("[data-testid='totals']")
    wait_for(lambda: totals.get_attribute("data-water-ml") is not None, 10, "the totals")
    assert float(totals.get_attribute("data-water-ml")) == pytest.approx(6.0 * 3.3, rel=1e-9)
    assert float(totals.get_attribute("data-embodied-co2-g")) == pytest.approx(6.0 * 0.05, rel=1e-9)
    card = popup.locator("#card-all .body").inner_text()
    assert "19.8 mL water" in card and "+ 0.3 g made" in card
    conv = row(popup, ids["heat pumps"])
    assert float(conv.get_attribute("data-water-ml")) == pytest.approx(3.0 * 3.3, rel=1e-9)
    conv.locator("summary").click()
    impacts = conv.locator("[data-testid='conversation-impacts']")
    wait_for(lambda: impacts.count() == 1, 10, "the conversation's water and embodied CO2")
    text = impacts.inner_text()
    assert "Water 9.9 mL" in text and "0.9 mL cooling on site" in text and "9 mL to generate" in text
    assert "0.15 g embodied" in text
    lighter = conv.locator("[data-testid='lighter-choice']")
    wait_for(lambda: "Lighter choice: with" in lighter.inner_text(), 120, "the lighter choice (Python)")
    assert lighter.get_attribute("data-label") in pf.labels("chatgpt")
    assert "%" in lighter.inner_text() and "answer quality not compared" in lighter.inner_text()
    popup.click("#tab-insights")
    wait_for(
        lambda: popup.locator("#equivalents li[data-key='water_glasses']").count() == 1,
        120,
        "water equivalents",
    )
    assert "of water" in popup.locator("#insight-summary").inner_text()
    popup.click("#tab-about")
    disclosures = popup.locator("[data-testid='disclosures'] > li")
    wait_for(lambda: disclosures.count() >= 5, 120, "the disclosures")
    about = popup.locator("#about").inner_text()
    assert (
        "published 0.24 Wh" in about and "Mistral" in about and "Water" in about and "Embodied CO₂" in about
    )


def test_a_negative_wue_is_refused_and_nothing_is_saved(clean: Harness):
    store(clean, [("chatgpt", "x", [(time.time() * 1000, 1.0)])])
    popup = clean.popup()
    popup.click("#tab-settings")
    popup.wait_for_selector("#region option[value='FR']", state="attached")
    popup.fill("#wue", "-1")
    popup.click("#settings-form button[type='submit']")  # the form's constraint check refuses it
    assert popup.evaluate("() => document.getElementById('wue').validity.rangeUnderflow")
    popup.evaluate("() => document.getElementById('settings-form').requestSubmit()")
    time.sleep(0.5)
    assert clean.local("settings") == DEFAULTS
    popup.fill("#wue", "0.4")
    popup.click("#settings-form button[type='submit']")
    wait_for(lambda: (clean.local("settings") or {}).get("wue") == 0.4, 10, "the saved WUE")

    clean.set_local(
        {"settings": dict(DEFAULTS)}
    )  # the browser is shared: later tests start from the defaults
