"""Copilot's activity history (privacy dashboard CSVs: BOM, CRLF, newest first, no ids) read as
generations: the file read backwards, conversations grouped by title and time, files merged by time."""

from __future__ import annotations

import pytest
from export_samples import SAMPLES, expected_gpu_wh, history_json, needs_platform, utc

from pycore.errors import InvalidInput
from pycore.exports import copilot, detect
from pycore.exports.archive import Document
from pycore.exports.history import estimate_history

FOLDER = SAMPLES / "copilot"
MAIN = FOLDER / "copilot-activity-history.csv"


def test_the_main_csv_is_read_backwards_into_prompts_and_replies():
    export = detect.load(MAIN)
    assert export.platform == "copilot" and export.generations == 3
    units, tomato = export.conversations
    assert units.title == "Unit conversion" and tomato.title == "Tomato watering"
    a, b = units.generations
    assert (a.prompt, a.reply, a.parent) == (
        "Can you help with unit conversions?",
        "Sure, what would you like to convert?",
        None,
    )
    assert (b.prompt, b.reply, b.parent) == ("Convert 10 miles to km", "10 miles is about **16.1 km**.", a.id)
    assert a.create_time == utc(2026, 7, 25, 9, 29, 58) and units.create_time == a.create_time
    (t,) = tomato.generations
    assert (
        t.reply == "Water deeply **two or three times a week**.\nMore often in heat waves."
    )  # a multi-line field
    assert any("6 times without a time zone" in n and "UTC" in n for n in export.notes)
    assert any("grouped by title" in n for n in export.notes)


def test_the_folder_merges_both_csvs_by_time_into_the_same_conversation():
    export = detect.load(FOLDER)
    units = export.conversations[0]
    assert [(g.prompt, g.reply) for g in units.generations][2] == ("Thanks, that helps.", "You are welcome!")
    assert units.generations[2].create_time == utc(2026, 7, 25, 9, 31, 11)  # "7/25/2026 9:31:11 +00:00"
    assert units.generations[2].parent == units.generations[1].id and export.generations == 4


def csv_doc(name: str, rows: list[str], header: str = "Conversation,Time,Author,Message") -> Document:
    return Document(name, "text", "\ufeff" + "\r\n".join([header, *rows]) + "\r\n")


def test_same_titles_apart_in_time_are_two_conversations_and_duplicates_across_files_count_once():
    main = csv_doc(
        "copilot-activity-history.csv",
        [
            '"Recette",2026-07-28T08:00:05,AI,"Une pâte brisée : 250 g de farine…"',
            '"Recette",2026-07-28T08:00:05,Human,"Une pâte pour tarte ?"',
            '"Recette",2026-07-20T19:00:02,AI,"Essayez un curry de légumes 🍛."',
            '"Recette",2026-07-20T19:00:02,Human,"Une idée de dîner ?"',
        ],
    )
    chat = csv_doc(
        "copilot-chat-activity.csv",
        [
            '7/28/2026 10:00:05 AM +02:00,"Une pâte brisée : 250 g de farine…",Copilot,"Recette"',  # the same row again
            '7/28/2026 10:03:00 AM +02:00,"Et sans beurre ?",user,"Recette"',
            '7/28/2026 10:03:04 AM +02:00,"Avec de l\'huile d\'olive.",Copilot,"Recette"',
        ],
        header="CreatedAt,MessageContent,Author,ChatName",
    )
    windows = csv_doc(
        "windows-apps-copilot-activity-history.csv",
        ['2026-07-01T10:00:00,Notepad,"Rewrite this"'],
        header="Timestamp,ClientApp,Prompt",
    )
    export = copilot.read([main, chat, windows])
    july20, july28 = export.conversations
    assert july20.id != july28.id and july20.title == july28.title == "Recette"
    assert [g.prompt for g in july20.generations] == ["Une idée de dîner ?"]
    assert [(g.prompt, g.create_time) for g in july28.generations] == [
        ("Une pâte pour tarte ?", utc(2026, 7, 28, 8, 0, 5)),
        ("Et sans beurre ?", utc(2026, 7, 28, 8, 3, 4)),
    ]
    notes = "\n".join(export.notes)
    assert "1 x rows found in two of the CSV files: counted once" in notes
    assert "1 x prompts of the Windows apps file" in notes


def test_a_reply_without_prompt_a_prompt_without_reply_and_short_rows():
    doc = csv_doc(
        "c.csv",
        [
            '"T",2026-07-01T10:00:09,Human,"Unanswered"',
            '"T",2026-07-01T10:00:01,AI,"Hello, how can I help?"',
            '"T",2026-07-01T10:00:00',
        ],
    )
    (conv,) = copilot.read([doc]).conversations
    assert [(g.prompt, g.reply) for g in conv.generations] == [("", "Hello, how can I help?")]
    assert set(conv.skipped) == {
        "1 reply without a prompt in the export: counted with an empty prompt",
        "1 prompt without a reply",
    }


def test_a_csv_of_something_else_is_not_copilots():
    with pytest.raises(InvalidInput, match="not a Copilot activity CSV"):
        copilot.read([csv_doc("x.csv", ["a,b"], header="Name,Value")])


@needs_platform("copilot")
def test_the_history_costs_each_conversation_with_the_dated_default():
    convs = detect.load(FOLDER).conversations
    h = estimate_history(convs)
    assert h.total.generations == 4 and list(h.by_month) == ["2026-07"]
    (label,) = h.by_model
    assert h.total.gpu_wh.central == pytest.approx(
        expected_gpu_wh(convs, "copilot", lambda g: label), rel=1e-9
    )
    out = history_json(FOLDER)
    assert out["platform"] == "copilot" and out["total"]["generations"] == 4
