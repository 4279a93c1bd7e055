"""Gemini's history from Google Takeout (My Activity > Gemini Apps), JSON and HTML: rows grouped into
conversations where the export names them, drafts counted as regenerations, local HTML times turned
into UTC, and the site's default model for the date assumed (and said)."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from export_samples import SAMPLES, cli, copy_sample, expected_gpu_wh, history_json, utc

from pycore.chat.platforms import default_label, resolve
from pycore.chat.sites import site
from pycore.exports import detect, gemini
from pycore.exports.archive import Document
from pycore.exports.history import estimate_history

HOST = site("gemini").hosts[0]  # the registry's

TAKEOUT = SAMPLES / "gemini" / "Takeout"
JSON = TAKEOUT / "My Activity" / "Gemini Apps" / "MyActivity.json"
HTML = SAMPLES / "gemini" / "Takeout-html-variant" / "My Activity" / "Gemini Apps" / "MyActivity.html"
LEAVES = "Give me a two-line summary of why leaves change colour."


def test_the_json_sample_groups_rows_by_conversation_in_time_order_with_drafts():
    export = detect.load(TAKEOUT)
    assert export.platform == "gemini" and export.generations == 4
    trees, leaves = export.conversations  # oldest first
    assert trees.id == "9f8e7d6c5b4a3921" and leaves.id == "0a1b2c3d4e5f6a7b"
    photo, evergreen = trees.generations
    # the file is newest first: the photo prompt came first, the "Branched" one followed it
    assert (photo.prompt, photo.parent, photo.images) == ("What is in this photo?", None, 1)
    assert photo.reply == "The photo shows a maple tree with red and orange leaves."
    assert (evergreen.prompt, evergreen.parent) == ("What about evergreen trees?", photo.id)
    assert photo.create_time == utc(2026, 9, 9, 19, 0, 15, us=30000)
    d1, d2 = leaves.generations
    assert d1.prompt == d2.prompt == LEAVES and not d1.regenerated and d2.regenerated and d2.parent is None
    assert (
        d1.reply
        == "In autumn, trees stop making chlorophyll.\nThe green fades and yellow and orange pigments show through."
    )
    assert d2.reply == "Shorter days cause chlorophyll to break down, revealing other pigments."
    assert {g.model_slug for g in (photo, evergreen, d1, d2)} == {None}
    notes = "\n".join(export.notes)
    assert "2 x activity rows that are not a prompt" in notes and "1 extra drafts" in notes


def test_the_html_sample_reads_the_same_row_with_its_local_time_in_utc():
    (conv,) = detect.load(HTML).conversations
    (g,) = conv.generations
    assert g.prompt == LEAVES and g.reply == "In autumn, trees stop making chlorophyll."
    assert g.create_time == utc(2026, 9, 10, 7, 30, 2)  # 9:30:02 AM CEST
    # the JSON row of the same prompt, to the second
    json_row = detect.load(JSON).conversations[1].generations[0]
    assert int(json_row.create_time) == g.create_time
    assert any("each counted on its own" in n for n in detect.load(HTML).notes)


def block(header: str, body: str, caption: str = "") -> str:
    return (
        '<div class="outer-cell mdl-cell mdl-cell--12-col mdl-shadow--2dp"><div class="mdl-grid">'
        f'<div class="header-cell mdl-cell mdl-cell--12-col"><p class="mdl-typography--title">{header}<br></p></div>'
        f'<div class="content-cell mdl-cell mdl-cell--6-col mdl-typography--body-1">{body}</div>'
        f'<div class="content-cell mdl-cell mdl-cell--12-col mdl-typography--caption">{caption}</div></div></div>'
    )


def test_html_rows_zones_links_other_products_and_markup():
    link = f'<b>Details:</b><br>&emsp;<a href="https://{HOST}/app/abc123">Open</a><br>'
    html = (
        "<html><body><div class='mdl-grid'>"
        + "".join(
            [
                block(
                    "Gemini Apps",
                    "Prompted Où est la tour Eiffel&nbsp;?<br>Sep 12, 2026, 8:00:00\u202fPM PDT<br>"
                    "<p>À Paris, <b>7e</b> arrondissement.</p><ul><li>Champ de Mars</li></ul>",
                    link,
                ),
                block(
                    "Gemini Apps",
                    "Prompted Et sa hauteur ?<br>Sep 12, 2026, 8:01:30\u202fPM PDT<br><p>330 m.</p>",
                    link,
                ),
                block(
                    "Gemini Apps",
                    "Prompted 東京の天気は？<br>13 Sep 2026, 10:00:00 GMT+09:00<br><p>晴れです。</p>",
                ),
                block("Gemini Apps", "Prompted Hi<br>Sep 14, 2026, 1:00:00 AM XYZT<br><p>Hello.</p>"),
                block("YouTube", "Watched a video<br>Sep 12, 2026, 7:00:00 PM PDT<br>"),
                block("Gemini Apps", "Gave feedback: Good response<br>Sep 12, 2026, 8:02:00 PM PDT<br>"),
            ]
        )
        + "</div></body></html>"
    )
    export = gemini.read([Document("MyActivity.html", "text", html)])
    by_id = {c.id: c for c in export.conversations}
    eiffel = by_id["abc123"].generations
    assert [(g.prompt, g.reply) for g in eiffel] == [
        ("Où est la tour Eiffel\xa0?", "À Paris, 7e arrondissement.\nChamp de Mars"),
        ("Et sa hauteur ?", "330 m."),
    ]
    assert eiffel[0].create_time == utc(2026, 9, 13, 3, 0, 0) and eiffel[1].parent == eiffel[0].id
    tokyo = next(
        c for c in export.conversations if c.generations and c.generations[0].prompt == "東京の天気は？"
    )
    assert tokyo.generations[0].create_time == utc(2026, 9, 13, 1, 0, 0)
    hi = next(c for c in export.conversations if c.generations and c.generations[0].prompt == "Hi")
    assert hi.generations[0].create_time == utc(2026, 9, 14, 1, 0, 0)  # unknown zone: read as UTC, and said
    notes = "\n".join(export.notes)
    assert "XYZT not known" in notes and "2 prompts name no conversation" in notes
    assert (
        "1 x activity rows of other products" in notes and "1 x activity rows that are not a prompt" in notes
    )


def test_json_rows_without_ids_with_several_ids_without_replies_and_localised_verbs():
    rows = [
        {
            "header": "Gemini Apps",
            "title": "Prompted Bonjour",
            "time": "2026-01-05T10:00:00Z",
            "safeHtmlItem": [{"html": "<p>Bonjour !</p>"}],
        },  # no conversation id (older exports)
        {
            "header": "Gemini Apps",
            "title": "Prompted Two chats",
            "time": "2026-01-05T11:00:00Z",
            "details": [{"url": f"https://{HOST}/app/aaa"}, {"url": f"https://{HOST}/app/bbb"}],
            "safeHtmlItem": [{"html": "<p>One.</p>"}],
        },
        {"header": "Gemini Apps", "title": "Prompted No answer", "time": "2026-01-05T12:00:00Z"},
        {
            "header": "Gemini Apps",
            "title": "Prompt eingegeben: Hallo",
            "time": "2026-01-05T13:00:00Z",
            "safeHtmlItem": [{"html": "<p>Hallo!</p>"}],
        },
        {"header": "YouTube", "title": "Watched", "time": "2026-01-05T09:00:00Z"},
        "damaged row",
    ]
    export = gemini.read([Document("MyActivity.json", "json", rows)])
    assert export.generations == 3
    assert next(c for c in export.conversations if c.id == "aaa").generations[0].prompt == "Two chats"
    notes = "\n".join(export.notes)
    assert "2 prompts name no conversation" in notes and "1 rows name several conversations" in notes
    assert (
        "1 x prompt without a reply" in notes and "2 x activity rows of other products, or damaged" in notes
    )
    assert "1 rows with a reply but an activity verb not known" in notes


def test_the_history_assumes_the_sites_default_on_each_conversations_date_and_says_so():
    rows = json.loads(JSON.read_text(encoding="utf-8"))
    old = {
        "header": "Gemini Apps",
        "title": "Prompted Hello in 2025",
        "time": "2025-03-01T10:00:00.000Z",
        "details": [{"url": f"https://{HOST}/app/old2025"}],
        "safeHtmlItem": [{"html": "<p>Hi!</p>"}],
    }
    convs = gemini.read([Document("MyActivity.json", "json", [*rows, old])]).conversations
    h = estimate_history(convs)
    new_label = resolve("gemini", default_label("gemini", dt.date(2026, 9, 9))).label
    old_label = resolve("gemini", default_label("gemini", dt.date(2025, 3, 1))).label
    assert new_label != old_label  # the platform data has dated defaults for Gemini
    assert {k: v.generations for k, v in h.by_model.items()} == {new_label: 4, old_label: 1}
    labels = {c.id: (new_label if c.create_time > utc(2026, 1, 1, 0, 0, 0) else old_label) for c in convs}
    by_gen = {g.id: labels[c.id] for c in convs for g in c.generations}
    assert h.total.gpu_wh.central == pytest.approx(
        expected_gpu_wh(convs, "gemini", lambda g: by_gen[g.id]), rel=1e-9
    )
    assert sum("no model named in the export" in n for n in h.notes) == 2  # one note per default assumed


def test_cli_history_prints_totals_table_and_notes_and_json_keeps_its_shape(tmp_path):
    out = cli("history", str(TAKEOUT))
    assert out.returncode == 0, out.stderr
    text = out.stdout
    assert "Gemini history: 2 of 2 conversations, 4 generations (1 regenerated)" in text
    assert "Wh (" in text and "by model" in text and "by month" in text and "2026-09" in text
    assert "no model named in the export" in text and "Gemini 3 Flash" in text
    js = history_json(copy_sample("gemini/Takeout-html-variant", tmp_path))
    assert {"platform", "total", "by_model", "by_month", "conversations", "notes"} <= set(js)
    assert js["platform"] == "gemini" and js["total"]["generations"] == 1
