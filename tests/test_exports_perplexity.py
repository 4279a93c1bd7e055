"""Perplexity's data-request JSON (and threads saved from its thread API) read as generations."""

from __future__ import annotations

import json

import pytest
from export_samples import SAMPLES, expected_gpu_wh, history_json, needs_platform, utc

from pycore.exports import detect, perplexity
from pycore.exports.archive import Document
from pycore.exports.history import estimate_history

GDPR = SAMPLES / "perplexity" / "gdpr-data-request" / "perplexity-conversations.json"
THREAD = SAMPLES / "perplexity" / "third-party-thread-capture" / "composting-basics.json"


def test_the_data_request_json_reads_each_entry_in_order_and_skips_failed_queries():
    export = detect.load(GDPR)
    assert export.platform == "perplexity" and export.generations == 2
    carrots, rain = export.conversations
    assert carrots.title == "Best time to sow carrots" and carrots.create_time == utc(2026, 1, 30, 14, 25, 58)
    a, b = carrots.generations
    assert (a.prompt, a.parent) == ("When should I sow carrots in a temperate climate?", None)
    assert (b.prompt, b.reply, b.parent) == (
        "Can I sow them in pots?",
        "Yes, choose pots at least 30 cm deep.",
        a.id,
    )
    assert b.create_time == utc(2026, 1, 30, 14, 27, 10) and a.model_slug is None
    assert rain.generations == () and rain.skipped == ("1 query without an answer (FAILED)",)
    assert (
        carrots.id.startswith("pplx-") and carrots.id == detect.load(GDPR).conversations[0].id
    )  # stable ids


def test_a_saved_thread_names_the_model_of_each_entry_and_a_list_of_threads_is_one_history():
    (thread,) = detect.load(THREAD).conversations
    assert thread.id == "c7c7c7c7-0000-4000-8000-000000000001" and thread.title == "Composting basics"
    assert [(g.model_slug, g.prompt, g.reply) for g in thread.generations] == [
        ("turbo", "How do I start composting?", "Mix greens and browns, keep it moist, turn weekly [1]."),
        ("claude2", "How long until it is ready?", "Usually two to six months."),
    ]
    data = json.loads(THREAD.read_text(encoding="utf-8"))
    twice = perplexity.read([Document("threads.json", "json", [data, data])])  # the same thread saved twice
    assert twice.generations == 2


def test_unknown_fields_missing_answers_and_non_ascii():
    data = {
        "conversations": [
            {
                "context_title": "Café ☕",
                "created_at": "2026-02-01T08:00:00+01:00",
                "entries": [
                    {
                        "query": "Combien de caféine ?",
                        "answer": "Environ 95 mg.",
                        "created_at": "2026-02-01T08:00:00+01:00",
                        "new_field": 1,
                    },
                    {"query": "Et le déca ?", "created_at": "2026-02-01T08:01:00+01:00"},
                ],
            },
            {"context_title": "broken", "entries": "nope"},
        ]
    }
    export = perplexity.read([Document("p.json", "json", data)])
    cafe, broken = export.conversations
    assert [g.prompt for g in cafe.generations] == ["Combien de caféine ?"]
    assert cafe.generations[0].create_time == utc(2026, 2, 1, 7, 0, 0)
    assert cafe.skipped == ("1 query without an answer (no status)",)
    assert broken.generations == () and "damaged conversation skipped" in broken.skipped[0]


@needs_platform("perplexity")
def test_the_history_costs_each_thread_with_the_dated_default():
    convs = detect.load(GDPR).conversations
    h = estimate_history(convs)
    assert h.total.generations == 2 and list(h.by_month) == ["2026-01"]
    (label,) = h.by_model
    assert h.total.gpu_wh.central == pytest.approx(
        expected_gpu_wh(convs, "perplexity", lambda g: label), rel=1e-9
    )
    out = history_json(GDPR)
    assert out["platform"] == "perplexity" and out["total"]["generations"] == 2
