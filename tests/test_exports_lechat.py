"""Le Chat's export (one chat-<uuid>.json per conversation, in a zip or its folder) read as generations:
messages put in time order, tool calls and results, consecutive replies as regenerations."""

from __future__ import annotations

import json
import zipfile

import pytest
from export_samples import SAMPLES, expected_gpu_wh, history_json, needs_platform, utc

from pycore.errors import InvalidInput
from pycore.exports import detect, lechat
from pycore.exports.archive import Document
from pycore.exports.history import estimate_history

ZIP = SAMPLES / "lechat" / "chat-export-1775400000000.zip"
FOLDER = SAMPLES / "lechat" / "chat-export-1775400000000"
C1 = "6b0f3a2e-1d4c-4e5f-8a9b-000000000001"


def test_the_sample_reads_messages_in_time_order_with_tool_calls_and_files():
    export = detect.load(ZIP)
    assert export.platform == "mistral" and export.generations == 3
    eiffel, proof = export.conversations
    assert eiffel.id == C1 and eiffel.title == ""  # no title in the export; none made from the user's text
    first, second = eiffel.generations
    # the file lists the reply before its prompt: read in createdAt order
    assert (first.id, first.parent, first.prompt) == (
        "9e000000-0000-4000-8000-000000000002",
        None,
        "How tall is the Eiffel Tower?",
    )
    assert first.reply == '{"query":"Eiffel Tower height"}\nThe Eiffel Tower is about 330 m tall .'
    assert first.create_time == utc(2026, 4, 3, 10, 12, 5, us=840000)
    assert (second.parent, second.prompt, second.reply) == (first.id, "And in feet?", "Roughly 1,083 feet.")
    assert eiffel.create_time == utc(2026, 4, 3, 10, 12, 1, us=115000)
    assert proof.generations[0].files == 1 and proof.generations[0].model_slug is None


def test_the_zip_and_its_folder_read_the_same():
    assert detect.load(ZIP).conversations == detect.load(FOLDER).conversations


def msg(mid, role, text, t, chunks=None):
    return {
        "id": mid,
        "version": 0,
        "chatId": "chat-x",
        "content": text,
        "contentChunks": chunks,
        "role": role,
        "createdAt": t,
        "files": [],
        "newField": {"ignored": True},
    }


def test_consecutive_replies_are_regenerations_and_tool_results_are_read_with_the_prompt():
    tool = {
        "type": "tool_call",
        "name": "web_search",
        "publicArguments": {"query": "météo Lyon"},
        "publicResult": "Ensoleillé, 24 °C",
        "startTime": 1,
        "endTime": 2,
    }
    chat = [
        msg("u1", "user", "Quel temps fait-il à Lyon ?", "2026-04-03T10:00:00.000Z"),
        msg(
            "a1",
            "assistant",
            "",
            "2026-04-03T10:00:03.000Z",
            [tool, {"type": "text", "text": "Il fait beau."}],
        ),
        msg("a1b", "assistant", "Soleil et 24 °C.", "2026-04-03T10:01:00.000Z"),  # regenerated
        msg("u2", "user", "Et demain ?", "2026-04-03T10:02:00.000Z"),
        msg(
            "a2",
            "assistant",
            "Des averses.",
            "2026-04-03T10:02:02.000Z",
            [
                {"type": "text", "text": "Des averses."},
                {"type": "image_url", "imageUrl": "https://x.invalid/i.png"},
            ],
        ),
    ]
    (conv,) = lechat.read([Document("chat-x.json", "json", list(reversed(chat)))]).conversations
    assert [(g.id, g.parent, g.regenerated) for g in conv.generations] == [
        ("a1", None, False),
        ("a1b", None, True),
        ("a2", "a1b", False),
    ]
    a1 = conv.generations[0]
    assert a1.prompt == "Quel temps fait-il à Lyon ?\nEnsoleillé, 24 °C" and a1.tool_outputs == 1
    assert a1.reply == '{"query": "météo Lyon"}\nIl fait beau.' and conv.generations[2].images == 1


def test_a_damaged_file_is_skipped_and_said_and_the_others_are_read(tmp_path):
    z = tmp_path / "chat-export-1.zip"
    with zipfile.ZipFile(z, "w") as f:
        for p in FOLDER.glob("*.json"):
            f.writestr(p.name, p.read_text(encoding="utf-8"))
        f.writestr("chat-00000000-0000-4000-8000-0000000000ff.json", "[{not json")
        f.writestr(
            "chat-00000000-0000-4000-8000-0000000000fe.json",
            json.dumps([{"chatId": "e", "role": "user", "content": "alone"}]),
        )
        f.writestr("chat-00000000-0000-4000-8000-0000000000fd.json", "[]")
    export = detect.load(z)
    assert export.generations == 3 and len(export.conversations) == 4
    assert any("0000000000ff.json skipped: not valid JSON" in n for n in export.notes)
    alone = next(c for c in export.conversations if c.id == "e")
    assert alone.skipped == ("1 prompt without a reply",)


def test_a_list_of_something_else_is_refused():
    with pytest.raises(InvalidInput, match="Le Chat"):
        lechat.read([Document("chat-1.json", "json", [{"role": "user"}])])


@needs_platform("mistral")
def test_the_history_costs_each_branch_with_the_dated_default():
    convs = detect.load(ZIP).conversations
    h = estimate_history(convs)
    assert h.total.generations == 3 and list(h.by_month) == ["2026-04"]
    (label,) = h.by_model
    assert h.total.gpu_wh.central == pytest.approx(
        expected_gpu_wh(convs, "mistral", lambda g: label), rel=1e-9
    )
    out = history_json(ZIP)
    assert out["platform"] == "mistral" and out["total"]["generations"] == 3
