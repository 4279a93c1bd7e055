"""Claude's export (conversations.json, bare or in its zip) read as generations: branches by
``parent_message_uuid``, thinking with its duration, tool use, attachments; the manifest refused."""

from __future__ import annotations

import datetime as dt
import json
import zipfile

import pytest
from export_samples import SAMPLES, cli, expected_gpu_wh, history_json, needs_platform, utc

from pycore.chat.platforms import default_label, resolve
from pycore.errors import InvalidInput
from pycore.exports import claude, detect
from pycore.exports.history import estimate_history

ZIP = SAMPLES / "claude" / "data-2026-03-06-08-00-00-batch-0000.zip"
JSON = SAMPLES / "claude" / "data-2026-03-06-08-00-00-batch-0000" / "conversations.json"
GARDEN = "019a0000-0001-7000-8000-00000000000"  # + 1..5
BOIL = "019a0000-0002-7000-8000-00000000000"  # + 1..2


def test_the_sample_reads_every_branch_with_its_context_reasoning_and_times():
    export = detect.load(ZIP)
    assert export.platform == "claude" and [c.title for c in export.conversations] == [
        "Boiling point at altitude",
        "Garden club names",
    ]
    garden = export.conversations[1]
    assert garden.id == "22222222-aaaa-4bbb-8ccc-000000000001" and garden.create_time == utc(
        2026, 3, 2, 9, 15, 1, us=2233
    )
    first, regen, thanks = garden.generations
    assert [g.id for g in garden.generations] == [GARDEN + "2", GARDEN + "3", GARDEN + "5"]
    # two replies to the same prompt: the second a regeneration, with its thinking and its duration
    assert first.prompt == regen.prompt == "Suggest three names for a vegetable garden club."
    assert not first.regenerated and regen.regenerated and first.parent is None and regen.parent is None
    assert regen.reasoning == "The user wants short, friendly names. Offer three with a one-line reason each."
    assert regen.reasoning_seconds == pytest.approx(4.905112 - 1.442001, abs=1e-6)
    assert first.reasoning == "" and first.reasoning_seconds is None
    # the next prompt follows the regenerated reply (its parent_message_uuid), not the first one
    assert thanks.parent == GARDEN + "3" and thanks.prompt == "I like the second one. Thanks!"
    assert thanks.reply == "Great choice. Good luck with the club!"
    assert thanks.create_time == utc(2026, 3, 2, 9, 17, 43, us=9871)
    assert {g.model_slug for g in garden.generations} == {None}  # the export names no model
    assert all(g.platform == "claude" for g in garden.generations)


def test_tool_use_is_the_reply_and_tool_results_and_attachments_are_read_with_the_prompt():
    boil = detect.load(JSON).conversations[0]
    (g,) = boil.generations
    assert g.id == BOIL + "2" and g.tool_outputs == 1 and g.files == 0
    assert g.prompt == (
        "What is the boiling point of water at 2000 m altitude? See my notes.\n"
        "Trip planning notes: camp stove, pasta, 2000 m campsite.\n"
        "Water boils at roughly 93 C at 2000 m."
    )
    assert g.reply == (
        '{"query": "boiling point of water at 2000 m"}\n'
        "At about 2000 m water boils near 93 C, so pasta will need a few extra minutes."
    )


def test_the_zip_the_bare_file_and_the_unzipped_folder_read_the_same():
    assert (
        detect.load(ZIP).conversations
        == detect.load(JSON).conversations
        == detect.load(JSON.parent).conversations
    )


def message(uid, sender, text, t, parent="absent", **extra):
    m = {
        "uuid": uid,
        "sender": sender,
        "text": text,
        "created_at": t,
        "updated_at": t,
        "content": [
            {"type": "text", "text": text, "start_timestamp": t, "stop_timestamp": t, "citations": []}
        ],
        "attachments": [],
        "files": [],
        **extra,
    }
    if parent != "absent":
        m["parent_message_uuid"] = parent
    return m


def conversation(uid, messages, name="Conversation"):
    return {
        "uuid": uid,
        "name": name,
        "summary": "",
        "created_at": "2026-01-20T13:53:10.438013Z",
        "updated_at": "2026-01-20T14:15:56.934477Z",
        "account": {"uuid": "acc"},
        "chat_messages": messages,
    }


def test_an_old_export_without_parent_links_reads_a_reply_after_a_reply_as_a_regeneration():
    old = conversation(
        "old",
        [
            message("m1", "human", "Translate « bonjour » into Japanese", "2026-01-20T13:53:11.317711Z"),
            message("m2", "assistant", "こんにちは (konnichiwa)", "2026-01-20T13:53:12Z"),
            message("m3", "assistant", "「こんにちは」です。", "2026-01-20T13:54:00Z"),  # regenerated
            message("m4", "human", "Et « merci » ?", "2026-01-20T13:55:00Z"),
            message("m5", "assistant", "ありがとう (arigatō)", "2026-01-20T13:55:02Z"),
        ],
    )
    (conv,) = claude.parse([old])
    assert [(g.id, g.parent, g.regenerated) for g in conv.generations] == [
        ("m2", None, False),
        ("m3", None, True),
        ("m5", "m3", False),
    ]
    assert (
        conv.generations[2].prompt == "Et « merci » ?" and conv.generations[1].reply == "「こんにちは」です。"
    )


def test_an_edited_prompt_is_its_own_branch_and_both_branches_are_counted():
    root = "00000000-0000-4000-8000-000000000000"
    conv = conversation(
        "edit",
        [
            message("u1", "human", "Plan a 3-day trip to Lyon", "2026-01-20T10:00:00Z", root),
            message("a1", "assistant", "Day 1: Vieux Lyon...", "2026-01-20T10:00:05Z", "u1"),
            message("u2", "human", "Add a food market", "2026-01-20T10:01:00Z", "a1"),
            message("a2", "assistant", "Day 2: Les Halles Paul Bocuse.", "2026-01-20T10:01:04Z", "u2"),
            message("u2b", "human", "Add a museum instead", "2026-01-20T10:02:00Z", "a1"),  # the edit of u2
            message("a2b", "assistant", "Day 2: Musée des Confluences.", "2026-01-20T10:02:03Z", "u2b"),
        ],
    )
    gens = claude.parse([conv])[0].generations
    assert [(g.id, g.parent, g.prompt) for g in gens] == [
        ("a1", None, "Plan a 3-day trip to Lyon"),
        ("a2", "a1", "Add a food market"),
        ("a2b", "a1", "Add a museum instead"),
    ]
    assert not any(g.regenerated for g in gens)  # an edited prompt is a new branch, not a regeneration


def test_a_damaged_conversation_is_reported_and_skipped_and_an_empty_one_is_kept_empty():
    good = conversation(
        "good",
        [
            message("u", "human", "Hi", "2026-01-20T10:00:00Z"),
            message("a", "assistant", "Hello!", "2026-01-20T10:00:01Z"),
        ],
    )
    empty = conversation("empty", [])
    damaged = {"uuid": "bad", "name": "x", "chat_messages": "not a list"}
    convs = claude.parse([good, damaged, empty])
    assert [(c.id, len(c.generations)) for c in convs] == [("good", 1), ("bad", 0), ("empty", 0)]
    assert convs[1].skipped == (
        "1 damaged conversation skipped (bad: conversation 1: no 'chat_messages' list)",
    )
    with pytest.raises(InvalidInput, match="chat_messages"):
        claude.parse([damaged])  # nothing readable: not Claude's export


def test_unknown_blocks_and_fields_are_ignored_and_the_flat_text_is_read_without_placeholders():
    m1 = message("u", "human", "Summarise", "2026-01-20T10:00:00Z", new_field={"x": 1})
    m1["content"].append({"type": "injected_prompt_block", "text": "(not the user's)"})
    m2 = {
        "uuid": "a",
        "sender": "assistant",
        "created_at": "2026-01-20T10:00:02Z",
        "text": "This block is not supported on your current device yet.\n\nThe summary.",
    }
    m3 = message("a2", "assistant", "", "2026-01-20T10:00:09Z")
    m3["content"] = [
        {
            "type": "thinking",
            "thinking": "",
            "summaries": [{"summary": "Weighing the points."}],
            "start_timestamp": None,
            "stop_timestamp": None,
        },
        {"type": "token_budget"},
    ]
    gens = claude.parse([conversation("c", [m1, m2, m3])])[0].generations
    assert [(g.prompt, g.reply, g.reasoning) for g in gens] == [
        ("Summarise", "The summary.", ""),
        ("Summarise", "", "Weighing the points."),
    ]
    assert gens[1].regenerated and gens[1].reasoning_seconds is None


def test_the_manifest_is_refused_with_what_to_download_and_its_links_are_not_repeated(tmp_path):
    secret = "https://storage.example.invalid/one-time?sig=SECRET-TOKEN-123"
    manifest = {
        "instructions": "Download each file",
        "created_at": "2026-09-20T10:00:00Z",
        "total_files": 2,
        "version": 2,
        "data_files": [
            {
                "batch_index": 0,
                "export_url": secret,
                "category": "conversations",
                "part": 0,
                "filename": "conversations-000.zip",
            },
            {
                "batch_index": 0,
                "export_url": secret + "b",
                "category": "projects",
                "part": 0,
                "filename": "projects-000.zip",
            },
        ],
    }
    p = tmp_path / "manifest-abc-123-sig-2026-09-20-10-00-00.json"
    p.write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(InvalidInput) as err:
        detect.load(p)
    assert "manifest" in str(err.value) and "conversations-000.zip" in str(err.value)
    out = cli("history", str(p))
    assert out.returncode == 2 and "manifest" in out.stderr
    assert "SECRET" not in str(err.value) and "SECRET" not in out.stderr + out.stdout


def test_a_zip_with_its_conversations_in_a_folder_is_read(tmp_path):
    z = tmp_path / "claude.zip"
    with zipfile.ZipFile(z, "w") as f:
        f.writestr("data-2026/conversations.json", JSON.read_text(encoding="utf-8"))
        f.writestr("data-2026/users.json", "[]")
    assert detect.load(z).generations == 4


@needs_platform("claude")
def test_the_history_costs_each_branch_as_promptwatt_chat_with_the_dated_default(tmp_path):
    convs = detect.load(ZIP).conversations
    h = estimate_history(convs)
    assert h.total.generations == 4 and h.total.regenerated == 1
    assert list(h.by_month) == ["2026-03"]
    label = resolve("claude", default_label("claude", dt.date(2026, 3, 2))).label
    assert list(h.by_model) == [label]
    assert h.total.gpu_wh.central == pytest.approx(
        expected_gpu_wh(convs, "claude", lambda g: label), rel=1e-9
    )
    assert any("no model named in the export" in n for n in h.notes)
    out = history_json(ZIP)
    assert set(out) >= {"platform", "total", "by_model", "by_month", "conversations", "notes"}
    assert out["platform"] == "claude" and out["total"]["generations"] == 4


def test_parent_links_that_loop_are_read_once_not_lost():
    conv = conversation(
        "loop",
        [
            message(
                "u1", "human", "First", "2026-01-20T10:00:00Z", "a1"
            ),  # damaged: its parent is its own reply
            message("a1", "assistant", "Reply", "2026-01-20T10:00:02Z", "u1"),
        ],
    )
    (c,) = claude.parse([conv])
    assert [(g.id, g.prompt, g.reply) for g in c.generations] == [("a1", "First", "Reply")]
    assert c.skipped == ("1 messages whose parent links loop: read from the earliest",)
