"""Screenshots of the popup with realistic and hostile stored records, in light and dark colour schemes.

    PYTHONPATH=$PWD .venv/bin/python tools/popup_screenshots.py [--out DIR] [--empty]
    PYTHONPATH=$PWD .venv/bin/python tools/popup_screenshots.py --realistic \
        --readme docs/img/popup.png --store docs/img/store

Builds the extension from the working tree, launches it in Debian's Chromium (the tests' ``launch()``),
writes records in the stored format (extension/lib/store.js, schema 3) behind the worker's back and has
it index them, then opens popup.html at the popup's size (420 px wide, at most 600 px high, as Chrome
caps popups) and saves one PNG per tab and scheme: overview, a conversation's detail, insights,
settings, "how it's computed", and the clear-data confirmation. The records: three platforms, long
titles (RTL, emoji, markup-looking, no spaces), 10,000 exchanges in all, a conversation of 0.0003 Wh
exchanges and one of 12 kWh, an unrecognised site, a problem, and a recompute held half-way
(debug.holdRecompute). ``--empty`` shows a fresh install instead. ``--realistic`` stores instead
a fortnight of ordinary use (a few conversations a day on the three sites, each exchange estimated
by pycore from token counts of everyday lengths, as the extension would have stored it): the
documentation's pictures. ``--readme FILE`` also saves the light overview there, and ``--store DIR``
the Chrome Web Store screenshots (1280x800: the real popup page, 1.25x, on a plain canvas with a
caption). For looking at, not for tests: nothing is asserted. Also prints, per shot, elements whose text overflows their box (clipped
without an ellipsis) and whether the page scrolls sideways.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

from pycore.chat.sites import site  # noqa: E402
from tests.browser.harness import Harness, build, launch, wait_for  # noqa: E402

DAY = 86_400_000
WIDTH, MAX_HEIGHT = 420, 600
TITLES = [
    "\u0643\u064a\u0641 \u0623\u0637\u0628\u062e \u0627\u0644\u0623\u0631\u0632 \u0641\u064a \u0627\u0644\u062c\u0628\u0627\u0644\u061f"
    " \u2014 \u0646\u0642\u0627\u0634 \u0637\u0648\u064a\u0644 \u062c\u062f\u0627\u064b \u0639\u0646 \u0627\u0644\u0636\u063a\u0637",
    "\U0001f680\U0001f525 Rocket maths \U0001f9ee\U0001f469\u200d\U0001f4bb with emoji \U0001f1eb\U0001f1f7 everywhere \U0001f389",
    '<img src=x onerror=alert(1)> & <b>bold</b> &amp; "quotes"',
    "Averyveryverylongtitlewithoutanyspacesthatkeepsgoingandgoingandgoingpastthewidthofthepopup",
    "\u05e9\u05dc\u05d5\u05dd mixed RTL \u05e2\u05d1\u05e8\u05d9\u05ea and LTR in one title 123",
    "",  # no title: the id stands in
]


def record(
    platform: str,
    conv: str,
    i: int,
    t: float,
    key: str,
    wh: float,
    model: str = "GPT-4o",
    fallback: bool = False,
) -> dict:
    gpu = wh / 1.5
    return {
        "id": f"{platform}:{conv}:{i}",
        "gen": f"g{i}",
        "turn_index": i,
        "regenerated": i % 7 == 3,
        "time": t,
        "model_label": model.lower(),
        "model": {"label": model, "is_fallback": fallback},
        "prompt_tokens": 20,
        "reply_tokens": 300,
        "reasoning_tokens": 120 if platform == "deepseek" else 0,
        "reasoning_estimated": platform == "deepseek",
        "reasoning_seconds": None,
        "input_tokens": 1000 + 320 * i,
        "output_tokens": 300,
        "context_tokens": 320 * i,
        "energy_wh": gpu,
        "energy_wh_low": gpu / 3,
        "energy_wh_high": gpu * 2.5,
        "wall_wh": wh,
        "wall_wh_low": wh / 3,
        "wall_wh_high": wh * 2.5,
        "co2_g": wh * 0.369,
        "co2_g_low": wh * 0.369 / 3,
        "co2_g_high": wh * 0.369 * 2.5,
        "region": "US",
        "grid_g_per_kwh": 369,
        "pue": None,
        "model_version": "screenshots",
        "warnings": [],
        "prev_gen": f"g{i - 1}" if i else None,
        "impact_key": key,
    }


def doc(platform: str, conv: str, title: str, records: list[dict]) -> dict:
    return {
        "v": 3,
        "platform": platform,
        "conversation_id": conv,
        "title": title,
        "created": min(r["time"] for r in records),
        "updated": max(r["time"] for r in records),
        "exchanges": records,
    }


def seed(h: Harness) -> None:
    h.clear()
    defaults = {"region": None, "grid_g_per_kwh": None, "pue": None, "badges": True}
    key = h.probe.evaluate("async (s) => (await import('/lib/store.js')).impactKey(s)", defaults)
    now = time.time() * 1000
    items: dict = {"settings": defaults}
    platforms = ["chatgpt", "gemini", "deepseek"]
    models = {"chatgpt": "GPT-4o", "gemini": "Gemini 2.5 Pro", "deepseek": "DeepSeek-R1 (deep thinking)"}
    n = 0
    for c, title in enumerate(TITLES):  # featured conversations, newest first
        p = platforms[c % 3]
        conv = uuid.uuid4().hex[:16] if p == "gemini" else str(uuid.uuid4())
        recs = [
            record(
                p,
                conv,
                i,
                now - c * 3_600_000 - (6 - i) * 60_000,
                key,
                0.3 + 0.1 * i,
                models[p],
                fallback=(c == 4),
            )
            for i in range(6)
        ]
        items[f"conv:{p}:{conv}"] = doc(p, conv, title, recs)
        n += len(recs)
    tiny = str(uuid.uuid4())  # a tiny model's replies: 0.0003 Wh each
    items[f"conv:chatgpt:{tiny}"] = doc(
        "chatgpt",
        tiny,
        "Tiny replies",
        [record("chatgpt", tiny, i, now - 8 * 3_600_000 + i, key, 0.0003) for i in range(3)],
    )
    huge = str(uuid.uuid4())  # a batch job: 12 kWh in all
    items[f"conv:deepseek:{huge}"] = doc(
        "deepseek",
        huge,
        "Overnight batch of agent runs",
        [record("deepseek", huge, i, now - 2 * DAY + i, key, 12_000 / 40) for i in range(40)],
    )
    n += 43
    per = 20
    for c in range((10_000 - n) // per):  # the bulk, spread over 30 days
        p = platforms[c % 3]
        conv = str(uuid.UUID(int=c))
        recs = [
            record(p, conv, i, now - (c % 30) * DAY - (c * per + i) * 1000, key, 0.3, models[p])
            for i in range(per)
        ]
        items[f"conv:{p}:{conv}"] = doc(p, conv, f"Conversation {c} about something", recs)
    items["sites"] = {"gemini": {"recognised": False, "host": site("gemini").hosts[0], "time": now}}
    items["problems"] = [
        {
            "time": now,
            "code": "tokenize_failed",
            "message": "counting tokens for DeepSeek: the reply could not be read (model \u2018R2-preview\u2019)",
        }
    ]
    h.set_local(items)
    h.message("reindex")


# A fortnight of ordinary use across the sites: (days ago, hour, platform, model label, title,
# [(prompt tokens, reply tokens, seconds of hidden or visible thinking or None), ...]).
REALISTIC = [
    (0, 9, "chatgpt", "GPT-5 Auto", "Rice cooker water ratios", [(18, 240, None), (25, 310, None)]),
    (
        0,
        11,
        "gemini",
        "Gemini 3 Flash (Fast)",
        "Summarise the quarterly sales notes",
        [(900, 420, None), (40, 380, None), (22, 260, None)],
    ),
    (
        0,
        14,
        "deepseek",
        "DeepSeek-V3.2 (DeepThink)",
        "Why does my pytest fixture run twice?",
        [(350, 640, 24.0), (120, 510, 12.0)],
    ),
    (0, 16, "chatgpt", "GPT-5 Thinking", "Draft a reply to the landlord", [(160, 380, 18.0), (45, 300, 9.0)]),
    (1, 10, "chatgpt", "GPT-5 Auto", "Three-day trip plan for Lisbon", [(60, 820, None), (30, 540, None)]),
    (1, 15, "gemini", "Gemini 3 Flash (Thinking)", "Explain attention like I'm twelve", [(20, 560, 14.0)]),
    (
        2,
        9,
        "deepseek",
        "DeepSeek-V3.2",
        "Regex for ISO dates",
        [(30, 180, None), (40, 150, None), (15, 120, None)],
    ),
    (3, 13, "chatgpt", "GPT-5 Instant", "Birthday card ideas for Gran", [(25, 260, None)]),
    (
        4,
        17,
        "gemini",
        "Gemini 3 Flash (Fast)",
        "Meal plan with what's in the fridge",
        [(70, 600, None), (30, 420, None)],
    ),
    (
        5,
        8,
        "chatgpt",
        "GPT-5 Auto",
        "SQL window functions by example",
        [(80, 700, None), (60, 650, None), (50, 480, None), (35, 300, None)],
    ),
    (
        6,
        20,
        "deepseek",
        "DeepSeek-V3.2 (DeepThink)",
        "Prove the sum of odd numbers is a square",
        [(30, 420, 35.0)],
    ),
    (8, 12, "gemini", "Gemini 3 Flash (Fast)", "Translate a menu into Spanish", [(300, 350, None)]),
    (10, 18, "chatgpt", "GPT-5 Thinking", "Compare two phone contracts", [(420, 520, 28.0), (40, 260, 10.0)]),
    (13, 10, "chatgpt", "GPT-5 Auto", "Cover letter for a library job", [(500, 480, None), (60, 450, None)]),
    (
        2,
        16,
        "claude",
        "Claude Sonnet 5.5",
        "Refactor the invoice parser",
        [(120, 450, None), (40, 380, None)],
    ),
    (3, 9, "perplexity", "Best", "Train times Lyon to Turin", [(25, 420, None)]),
    (5, 19, "mistral", "Fast", "Rewrite my bio in French", [(60, 300, None)]),
    (7, 11, "copilot", "Quick response", "Excel formula for overtime", [(30, 350, None)]),
    (9, 21, "grok", "Auto", "Who won the 1998 World Cup final?", [(40, 500, None)]),
]


def realistic_items(key: str, now_ms: float) -> dict:
    """Stored documents for REALISTIC, each exchange estimated by pycore as the extension's exchange op does."""
    from pycore import Turn, default_predictor, estimate_conversation

    version = default_predictor().version
    day0 = time.localtime(now_ms / 1000)
    midnight = time.mktime((day0.tm_year, day0.tm_mon, day0.tm_mday, 0, 0, 0, 0, 0, -1)) * 1000
    items: dict = {}
    for n, (days, hour, platform, label, title, shape) in enumerate(REALISTIC):
        # placeholder words: only their token counts matter, and no text is ever stored
        turns = [Turn("word " * p, "word " * r, "", s) for p, r, s in shape]
        est = estimate_conversation(turns, platform, label)
        conv = uuid.uuid4().hex[:16] if platform == "gemini" else str(uuid.uuid4())
        start = min(midnight - days * DAY + hour * 3_600_000, now_ms - (len(REALISTIC) - n) * 600_000)
        recs = []
        for i, (ex, (_, _, seconds)) in enumerate(zip(est.exchanges, shape, strict=True)):
            d = ex.as_dict()
            recs.append(
                {
                    "id": f"{platform}:{conv}:{i}",
                    "gen": f"g{i}",
                    "turn_index": i,
                    "regenerated": False,
                    "time": start + i * 180_000,
                    "model_label": label,
                    "reasoning_seconds": seconds,
                    "model": {"label": est.mapping.label, "is_fallback": est.mapping.is_fallback},
                    "prompt_tokens": shape[i][0],
                    "reply_tokens": d["reply_tokens"],
                    "reasoning_tokens": round(d["reasoning_tokens"]),
                    "reasoning_estimated": d["reasoning_estimated"],
                    "input_tokens": d["input_tokens"],
                    "output_tokens": round(d["output_tokens"]),
                    "context_tokens": sum(p + r for p, r, _ in shape[:i]),
                    **{
                        k: d[k]
                        for k in (
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
                    },
                    "region": est.grid.iso,
                    "grid_g_per_kwh": est.grid.g_co2_per_kwh,
                    "pue": None,
                    "model_version": version,
                    "warnings": [],
                    "prev_gen": f"g{i - 1}" if i else None,
                    "impact_key": key,
                }
            )
        items[f"conv:{platform}:{conv}"] = doc(platform, conv, title, recs)
    return items


def seed_realistic(h: Harness) -> None:
    h.clear()
    defaults = {"region": None, "grid_g_per_kwh": None, "pue": None, "badges": True}
    key = h.probe.evaluate("async (s) => (await import('/lib/store.js')).impactKey(s)", defaults)
    items: dict = {"settings": defaults, **realistic_items(key, time.time() * 1000)}
    h.set_local(items)
    h.message("reindex")


# The store screenshots: (tab to open, file name, caption); the real popup page at 1.25x on a 1280x800
# canvas, at Chrome's popup height (600 px, 750 on the canvas), its left edge at x = 680 (body offsets
# are in the zoomed body's own pixels).
STORE_W, STORE_H, STORE_ZOOM = 1280, 800, 1.25
STORE_SHOTS = [
    (
        "overview",
        "1-overview",
        "What your AI chats cost in energy and CO\u2082",
        "Today, this week and all time, with a range, across ChatGPT, Claude, Gemini and more.",
    ),
    (
        "detail",
        "2-conversation",
        "Every exchange, counted",
        "Tokens, GPU and wall energy and CO\u2082 per prompt and reply, estimated on your machine.",
    ),
    (
        "insights",
        "3-insights",
        "In everyday terms",
        "Equivalents with their sources, and your use day by day.",
    ),
    (
        "settings",
        "4-settings",
        "Your grid, your assumptions",
        "Pick a country or your own grid intensity and data-centre PUE: every record follows.",
    ),
    (
        "about",
        "5-how",
        "How it is computed",
        "A physics model fitted to real GPU measurements; nothing you type leaves the browser.",
    ),
]
STORE_CSS = f"""
html {{ background: #e9efe9 !important; width: {STORE_W}px; height: {STORE_H}px; overflow: hidden; }}
body {{ position: absolute !important; left: {680 / STORE_ZOOM}px; top: {25 / STORE_ZOOM}px; zoom: {STORE_ZOOM};
        height: {MAX_HEIGHT}px; overflow: hidden;
        box-shadow: 0 6px 28px rgba(0, 0, 0, .18); border-radius: 8px; }}
#pw-store-caption {{ position: fixed; left: 90px; top: 270px; width: 520px; color: #1f2328;
        font: 16px/1.5 system-ui, sans-serif; zoom: 1; }}
#pw-store-caption h1 {{ font-size: 38px; line-height: 1.2; margin: 0 0 18px; color: #12603b; }}
#pw-store-caption p {{ font-size: 21px; margin: 0; color: #3b434b; }}
"""


def store_shots(h: Harness, out: Path) -> None:
    """Chrome Web Store screenshots (1280x800), light scheme, one per tab."""
    out.mkdir(parents=True, exist_ok=True)
    page = h.context.new_page()
    page.emulate_media(color_scheme="light")
    page.set_viewport_size({"width": STORE_W, "height": STORE_H})
    for tab, name, title, text in STORE_SHOTS:
        page.goto(h.url("popup.html"))
        page.wait_for_selector("[data-testid='totals'][data-exchanges]", state="attached")
        if tab == "detail":
            page.locator("[data-testid='conversation'] summary").nth(0).click()
            page.wait_for_selector("[data-testid='exchange']")
            page.evaluate("() => document.querySelector('#conversations').scrollIntoView()")
        elif tab != "overview":
            page.click(f"#tab-{tab}")
            page.wait_for_function(READY[tab], timeout=60_000)
            page.evaluate("() => scrollTo(0, 0)")
        page.wait_for_timeout(300)
        page.add_style_tag(content=STORE_CSS)
        # the caption is added outside the popup's body, by textContent
        page.evaluate(
            """([title, text]) => {
          const box = document.createElement('div'); box.id = 'pw-store-caption';
          const h = document.createElement('h1'); h.textContent = title;
          const p = document.createElement('p'); p.textContent = text;
          box.append(h, p); document.documentElement.append(box);
        }""",
            [title, text],
        )
        page.wait_for_timeout(200)
        page.screenshot(path=str(out / f"{name}.png"))
        print(f"store {name}.png")
    page.close()


def hold_recompute(h: Harness) -> None:
    """New settings with the recompute held after 2,000 of 10,000 records."""
    h.set_local({"debug": {"holdRecompute": 2000}})
    h.set_local({"settings": {"region": "FR", "grid_g_per_kwh": None, "pue": 1.2, "badges": True}})
    wait_for(lambda: (h.local("impact_progress") or {}).get("done", 0) >= 2000, 120, "the held recompute")


# WCAG contrast of each visible text against the first opaque background behind it: the lowest few under 4.5
CONTRAST = """function lowContrast() {
  const rgb = (c) => c.match(/[\\d.]+/g).map(Number);
  const lum = ([r, g, b]) => [r, g, b].map((v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; })
    .reduce((a, v, i) => a + v * [0.2126, 0.7152, 0.0722][i], 0);
  const bg = (e) => { for (; e; e = e.parentElement) { const c = rgb(getComputedStyle(e).backgroundColor); if (c.length < 4 || c[3] > 0) return c; } return [255, 255, 255]; };
  const out = [];
  for (const e of document.querySelectorAll('body *')) {
    if (![...e.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim()) || !e.getClientRects().length) continue;
    const cs = getComputedStyle(e);
    if (cs.visibility === 'hidden' || e.closest('[hidden]')) continue;
    const fg = rgb(e instanceof SVGElement ? cs.fill : cs.color);
    const [a, b] = [lum(fg), lum(bg(e))];
    const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    if (ratio < 4.5) out.push(`${e.tagName.toLowerCase()}.${e.getAttribute('class') || ''} ${ratio.toFixed(2)} ${cs.fontSize}`);
  }
  return [...new Set(out)].slice(0, 8);
}
"""
OVERFLOW = (
    "() => {\n"
    + CONTRAST
    + """
  const out = [];
  for (const e of document.querySelectorAll('body *')) {
    if (!e.offsetParent && getComputedStyle(e).position !== 'fixed') continue;
    const cs = getComputedStyle(e);
    if (e.scrollWidth > e.clientWidth + 1 && cs.overflowX !== 'visible' && cs.textOverflow !== 'ellipsis'
        && cs.overflowX !== 'auto' && cs.overflowX !== 'scroll') out.push(e.tagName + '.' + e.className + ' ' + e.id);
  }
  const d = document.documentElement;
  return {clipped: out.slice(0, 10), sideways: d.scrollWidth > d.clientWidth, low_contrast: lowContrast()};
}"""
)


# What each tab shows once it has finished rendering (the insights wait for pycore's equivalents).
READY = {
    "insights": "() => document.querySelector('#insight-summary').textContent"
    " && !document.querySelector('#equivalents').textContent.includes('Computing')",
    "settings": "() => document.querySelector(\"#region option[value='FR']\")",
    "about": "() => document.querySelector('#about dl')",
}


def shoot(page, out: Path, name: str, full: bool = False) -> None:
    height = page.evaluate("() => document.documentElement.scrollHeight")
    page.set_viewport_size({"width": WIDTH, "height": min(MAX_HEIGHT, max(height, 300))})
    page.screenshot(path=str(out / f"{name}.png"), full_page=full)
    print(f"{name}.png", page.evaluate(OVERFLOW))


def recomputed(h: Harness) -> None:
    """Until the seeded records carry the current settings' figures (water, embodied CO2 included)."""

    def done() -> bool:
        docs = [v for k, v in h.local().items() if k.startswith("conv:")]
        return h.local("impact_progress") is None and all(
            "water_ml" in r for d in docs for r in d.get("exchanges", [])
        )

    wait_for(done, 180, "the seeded records recomputed")


def shots(h: Harness, out: Path, scheme: str, readme: Path | None = None) -> None:
    page = h.context.new_page()
    page.emulate_media(color_scheme=scheme)
    page.set_viewport_size({"width": WIDTH, "height": MAX_HEIGHT})
    page.goto(h.url("popup.html"))
    page.wait_for_selector("[data-testid='totals'][data-exchanges]", state="attached")
    page.wait_for_timeout(300)
    shoot(page, out, f"{scheme}-overview")
    if readme is not None and scheme == "light":
        readme.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(out / f"{scheme}-overview.png", readme)
    shoot(page, out, f"{scheme}-overview-full", full=True)
    first = page.locator("[data-testid='conversation'] summary")
    if first.count():
        first.nth(0).click()
        page.wait_for_selector("[data-testid='exchange']")
        page.locator("#conversations").scroll_into_view_if_needed()
        page.evaluate("() => document.querySelector('#conversations').scrollIntoView()")
        shoot(page, out, f"{scheme}-detail")
    page.focus("#clear")
    page.keyboard.press("Enter")  # by keyboard, so the focus ring shows on the confirmation's Cancel
    page.evaluate("() => document.querySelector('#confirm').scrollIntoView()")
    shoot(page, out, f"{scheme}-confirm")
    page.keyboard.press("Escape")
    for tab, check in READY.items():
        page.click(f"#tab-{tab}")
        page.wait_for_function(check, timeout=60_000)
        page.wait_for_timeout(200)
        page.evaluate("() => scrollTo(0, 0)")
        shoot(page, out, f"{scheme}-{tab}", full=tab == "about")
    page.focus("#tab-overview")
    page.keyboard.press("ArrowRight")
    shoot(page, out, f"{scheme}-tab-focus")
    page.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=Path(tempfile.gettempdir()) / "promptwatt-popup-shots")
    ap.add_argument("--empty", action="store_true", help="a fresh install: no records at all")
    ap.add_argument(
        "--realistic", action="store_true", help="a fortnight of ordinary use instead of hostile records"
    )
    ap.add_argument(
        "--readme", type=Path, help="also save the light overview to this PNG (the README's picture)"
    )
    ap.add_argument(
        "--store", type=Path, help="also write the 1280x800 Chrome Web Store screenshots into this folder"
    )
    args = ap.parse_args()
    if args.empty and args.realistic:
        ap.error("--empty and --realistic exclude each other")
    args.out.mkdir(parents=True, exist_ok=True)
    from playwright.sync_api import sync_playwright

    dist = Path(tempfile.mkdtemp(prefix="pw-shots-dist-"))
    profile = tempfile.mkdtemp(prefix="pw-shots-profile-")
    try:
        ext_dir = build(dist)
        with sync_playwright() as p:
            ctx, sw = launch(p, ext_dir, profile, locale="en-US")
            h = Harness(ctx, sw.url.split("/")[2])
            if args.realistic:
                seed_realistic(h)
                recomputed(h)
            elif not args.empty:
                seed(h)
                hold_recompute(h)
            for scheme in ("light", "dark"):
                shots(h, args.out, scheme, args.readme)
            if args.store is not None:
                store_shots(h, args.store)
            ctx.close()
    finally:
        shutil.rmtree(dist, ignore_errors=True)
        shutil.rmtree(profile, ignore_errors=True)
    print(f"screenshots in {args.out}")


if __name__ == "__main__":
    main()
