"""Grok's export (prod-grok-backend.json in the account-data zip) read as generations: the
``parent_response_id`` tree, the model of each response, thinking traces and their duration."""

from __future__ import annotations

import copy
import json

import pytest
from export_samples import SAMPLES, expected_gpu_wh, history_json, needs_platform, utc

from pycore.errors import InvalidInput
from pycore.exports import detect, grok
from pycore.exports.archive import Document
from pycore.exports.history import estimate_history

ZIP = SAMPLES / "grok" / "grok-export-5e5e5e5e.zip"
FOLDER = SAMPLES / "grok" / "export"
HIKE = "a0000000-0000-4000-8000-00000000000"
RECIPE = "b0000000-0000-4000-8000-00000000000"


def sample() -> dict:
    return json.loads(
        (
            FOLDER / "ttl/30d/export_data/5e5e5e5e-0000-4000-8000-00000000beef/prod-grok-backend.json"
        ).read_text(encoding="utf-8")
    )


def test_the_sample_reads_the_tree_models_thinking_and_times():
    export = detect.load(ZIP)
    assert export.platform == "grok" and export.generations == 4
    hike, recipe = export.conversations
    assert hike.title == "Packing list for a day hike" and hike.create_time == utc(
        2026, 6, 20, 6, 10, 2, us=118233
    )
    assert [(g.id, g.parent, g.regenerated, g.model_slug) for g in hike.generations] == [
        (HIKE + "2", None, False, "grok-3"),
        (HIKE + "3", None, True, "grok-4"),
        (HIKE + "5", HIKE + "3", False, "grok-4"),
    ]
    g3 = hike.generations[1]
    assert g3.reasoning == "List the ten essentials and trim to a short day hike."
    assert g3.reasoning_seconds == 5.0  # thinking_end_time - thinking_start_time
    assert g3.create_time == 1781935960.0 and hike.generations[0].create_time == 1781935809.0  # $date ms
    (r,) = recipe.generations
    assert r.prompt == "Can I halve this recipe?\nScaling recipes\nMost baking recipes scale linearly..."
    assert r.tool_outputs == 1 and r.files == 1 and r.model_slug == "grok-4"


def test_the_zip_and_the_unzipped_folder_read_the_same():
    assert detect.load(ZIP).conversations == detect.load(FOLDER).conversations


def test_parents_outside_the_conversation_model_names_as_senders_and_damaged_entries():
    data = sample()
    conv = copy.deepcopy(data["conversations"][0])
    rs = conv["responses"]
    rs[0]["response"]["parent_response_id"] = "elsewhere"  # a parent in another conversation: a root
    rs[1]["response"]["sender"] = "grok-3"  # a model name as the sender: an assistant
    rs[2]["response"]["create_time"] = "2026-06-20T06:12:40.000Z"  # an ISO time instead of $date
    rs[4]["response"]["message"] = "Bonne randonnée ! 🥾 楽しんで"
    rs.append("not an object")
    rs.append(
        {
            "response": {
                "_id": "lonely",
                "parent_response_id": HIKE + "5",
                "sender": "human",
                "message": "One more thing",
                "create_time": {"$date": {"$numberLong": "1781936100000"}},
            }
        }
    )
    damaged = {"conversation": {"id": "bad"}, "responses": "nope"}
    convs = grok.read([Document("x", "json", {"conversations": [conv, damaged]})]).conversations
    gens = convs[0].generations
    assert [(g.id, g.parent) for g in gens] == [
        (HIKE + "2", None),
        (HIKE + "3", None),
        (HIKE + "5", HIKE + "3"),
    ]
    assert (
        gens[1].create_time == utc(2026, 6, 20, 6, 12, 40)
        and gens[2].reply == "Bonne randonnée ! 🥾 楽しんで"
    )
    assert set(convs[0].skipped) == {"1 response that is not an object", "1 prompt without a reply"}
    assert convs[1].generations == () and "damaged conversation skipped (bad:" in convs[1].skipped[0]


def test_a_file_with_no_conversations_list_is_refused():
    with pytest.raises(InvalidInput, match="conversations"):
        grok.read([Document("x", "json", {"projects": []})])


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ({"$date": {"$numberLong": "1781935803000"}}, 1781935803.0),
        ({"$date": "2026-06-20T06:10:03Z"}, 1781935803.0),
        ("2026-06-20T06:10:03.000000Z", 1781935803.0),
        (1781935803000, 1781935803.0),
        ({"$date": {}}, None),
        ("yesterday", None),
        (None, None),
    ],
)
def test_grok_times_in_each_encoding(value, seconds):
    assert grok.grok_time(value) == seconds


@needs_platform("grok")
def test_the_history_costs_each_branch_with_its_own_model():
    convs = detect.load(ZIP).conversations
    h = estimate_history(convs)
    assert h.total.generations == 4 and h.total.regenerated == 1 and list(h.by_month) == ["2026-06"]
    assert h.total.gpu_wh.central == pytest.approx(
        expected_gpu_wh(convs, "grok", lambda g: g.model_slug), rel=1e-9
    )
    out = history_json(ZIP)
    assert out["platform"] == "grok" and out["total"]["generations"] == 4
