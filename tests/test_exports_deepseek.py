"""DeepSeek's export (conversations.json: a ``mapping`` tree of fragment messages) read as generations,
never taken for ChatGPT's, and its history costed branch by branch with the model of each message."""

from __future__ import annotations

import copy
import json

import pytest
from export_samples import SAMPLES, copy_sample, expected_gpu_wh, history_json, utc

from pycore.chat.platforms import resolve
from pycore.errors import InvalidInput
from pycore.exports import chatgpt, deepseek, detect
from pycore.exports.history import estimate_history

ZIP = SAMPLES / "deepseek" / "deepseek_data-2026-05-15.zip"
JSON = SAMPLES / "deepseek" / "deepseek_data" / "conversations.json"


def sample() -> list[dict]:
    return json.loads(JSON.read_text(encoding="utf-8"))


def test_the_sample_reads_regenerations_thinking_search_and_models_per_message():
    export = detect.load(ZIP)
    assert export.platform == "deepseek" and export.generations == 4
    photo, notes = export.conversations
    assert [(g.id, g.parent, g.regenerated, g.model_slug) for g in photo.generations] == [
        ("2", None, False, "deepseek-chat"),
        ("3", None, True, "deepseek-reasoner"),
        ("5", "3", False, "deepseek-reasoner"),
    ]
    chat, reasoner, cactus = photo.generations
    assert chat.prompt == reasoner.prompt == "Explain photosynthesis in one paragraph for a ten-year-old."
    assert chat.reasoning == "" and reasoner.reasoning.startswith("A child audience")
    assert reasoner.reasoning_seconds is None  # the export holds no thinking duration
    # the SEARCH results were read by the model: counted with the prompt
    assert cactus.prompt == (
        "Is that still true for cactus plants?\nHow cacti photosynthesise\nCacti open their pores at night..."
    )
    assert cactus.tool_outputs == 1 and cactus.reasoning == "Mention CAM photosynthesis briefly."
    # +08:00 times turned into UTC
    assert photo.create_time == utc(2026, 5, 12, 12, 1, 3, us=411000)
    assert cactus.create_time == utc(2026, 5, 12, 12, 6, 12, us=19000)
    (g,) = notes.generations
    assert g.files == 1 and g.prompt == "Summarise the attached notes in three bullets."


def test_the_deepseek_tree_is_never_read_as_chatgpts():
    # it used to be: the mapping tree was taken for ChatGPT's and gave 0 generations, no error
    with pytest.raises(InvalidInput, match="not ChatGPT's export: it looks like DeepSeek's"):
        detect.load(JSON, "chatgpt")
    with pytest.raises(InvalidInput, match="no 'author'"):
        chatgpt.parse(sample())
    assert detect.load(JSON).platform == "deepseek"


def test_an_edited_prompt_a_damaged_node_and_an_empty_conversation():
    data = sample()
    edit = copy.deepcopy(data[0])
    edit["id"] = "edit"
    m = edit["mapping"]
    m["3"]["children"].append("6")  # a second prompt under reply 3 (an edit of prompt 4)
    m["6"] = {
        "id": "6",
        "parent": "3",
        "children": ["7"],
        "message": {
            "files": [],
            "model": "deepseek-reasoner",
            "inserted_at": "2026-05-12T20:07:00+08:00",
            "fragments": [{"type": "REQUEST", "content": "Et pour les plantes grasses ? 🌵"}],
        },
    }
    m["7"] = {
        "id": "7",
        "parent": "6",
        "children": [],
        "message": {
            "files": [],
            "model": "deepseek-reasoner",
            "inserted_at": "2026-05-12T20:07:09+08:00",
            "new": True,
            "fragments": [{"type": "RESPONSE", "content": "Oui, elles stockent l'eau."}, {"type": "UNKNOWN"}],
        },
    }
    m["8"] = {"id": "8", "parent": "7", "children": [], "message": {"fragments": []}}  # no fragments
    damaged = copy.deepcopy(data[1])
    damaged["id"] = "damaged"
    damaged["mapping"]["2"]["parent"] = ["1"]
    empty = {
        "id": "empty",
        "title": "",
        "inserted_at": "2026-05-14T08:30:00+08:00",
        "mapping": {"root": {"id": "root", "parent": None, "children": [], "message": None}},
    }
    convs = deepseek.parse([edit, damaged, empty])
    assert [(g.id, g.parent) for g in convs[0].generations] == [
        ("2", None),
        ("3", None),
        ("5", "3"),
        ("7", "3"),
    ]
    assert convs[0].generations[3].prompt == "Et pour les plantes grasses ? 🌵"
    assert convs[0].generations[3].create_time == utc(2026, 5, 12, 12, 7, 9)
    assert convs[0].skipped == ("1 message with no fragments",)
    assert convs[1].generations == () and "damaged conversation skipped (damaged:" in convs[1].skipped[0]
    assert convs[2].generations == () and convs[2].skipped == ()


def test_the_history_costs_each_branch_with_its_own_model():
    convs = detect.load(ZIP).conversations
    h = estimate_history(convs)
    assert h.platform == "deepseek" and h.total.generations == 4 and h.total.regenerated == 1
    assert {k: v.generations for k, v in h.by_model.items()} == {
        resolve("deepseek", "deepseek-reasoner").label: 2,
        resolve("deepseek", "deepseek-chat").label: 2,
    }
    assert list(h.by_month) == ["2026-05"]
    want = expected_gpu_wh(convs, "deepseek", lambda g: g.model_slug)
    assert h.total.gpu_wh.central == pytest.approx(want, rel=1e-9)
    assert not any("no model named" in n for n in h.notes)  # DeepSeek names the model of each message


def test_cli_history_json_keeps_its_shape_and_counts_every_generation(tmp_path):
    out = history_json(copy_sample("deepseek/deepseek_data-2026-05-15.zip", tmp_path))
    assert {"platform", "total", "by_model", "by_month", "conversations", "notes"} <= set(out)
    assert (
        out["platform"] == "deepseek"
        and out["total"]["generations"] == 4
        and out["total"]["regenerated"] == 1
    )
    assert [c["id"] for c in out["conversations"]] == [
        "3f2a9c10-5b7e-4d21-9a0c-000000000001",
        "3f2a9c10-5b7e-4d21-9a0c-000000000002",
    ]
