"""The site's default label on a date (``default_labels`` of the platform file), which the history and
the import assume where an export names no model, and the checks that keep that data sound."""

from __future__ import annotations

import copy
import datetime as dt

import pytest

from pycore.chat import platforms
from pycore.chat.platforms import dated_default, default_label, resolve
from pycore.errors import DataFileError
from pycore.exports.history import estimate_history
from pycore.exports.model import Conversation, Generation
from pycore.resources import load_json


def entries(platform: str) -> list[dict]:
    return load_json(f"platforms/{platform}.json").get("default_labels", [])


def test_the_default_on_a_date_is_the_last_entry_from_before_it():
    e = entries("gemini")
    assert len(e) >= 2, "the gemini platform data has dated defaults"
    first, second = (dt.date.fromisoformat(x["from"]) for x in e[:2])
    assert default_label("gemini", first) == e[0]["label"]
    assert default_label("gemini", second - dt.timedelta(days=1)) == e[0]["label"]
    assert default_label("gemini", second) == e[1]["label"]
    assert (
        default_label("gemini", first - dt.timedelta(days=400)) == e[0]["label"]
    )  # before any: the earliest
    assert dated_default("gemini", second).source == e[1]["source"]


def test_without_a_date_or_dated_data_it_is_the_current_default():
    assert default_label("gemini") == load_json("platforms/gemini.json")["default_label"]
    assert dated_default("gemini", None) is None
    if not entries("chatgpt"):
        assert (
            default_label("chatgpt", dt.date(2024, 1, 1))
            == load_json("platforms/chatgpt.json")["default_label"]
        )


@pytest.mark.parametrize(
    ("bad", "says"),
    [
        ([{"from": "2025-13-01", "label": "Gemini 2.5 Flash", "source": "s"}], "YYYY-MM-DD"),
        ([{"from": "2025-01-01", "label": "Gemini 9 Imaginary", "source": "s"}], "not one of its labels"),
        ([{"from": "2025-01-01", "label": "Gemini 2.5 Flash", "source": ""}], "needs a source"),
        (
            [
                {"from": "2025-06-01", "label": "Gemini 2.5 Flash", "source": "s"},
                {"from": "2025-01-01", "label": "Gemini 2.0 Flash", "source": "s"},
            ],
            "ascending",
        ),
        ([{"from": "2025-01-01", "source": "s"}], "lacks 'label'"),
    ],
)
def test_dated_defaults_that_are_not_sound_are_refused_at_load(monkeypatch, bad, says):
    raw = copy.deepcopy(load_json("platforms/gemini.json"))
    raw["default_labels"] = bad
    real = platforms.load_json
    monkeypatch.setattr(
        platforms, "load_json", lambda name: raw if name == "platforms/gemini.json" else real(name)
    )
    platforms._table.cache_clear()
    try:
        with pytest.raises(DataFileError, match=says):
            platforms._table()
    finally:
        monkeypatch.undo()
        platforms._table.cache_clear()


def gen(gid: str, t: float | None, slug: str | None = None) -> Generation:
    return Generation(
        id=gid,
        parent=None,
        prompt="Bonjour, ça va ?",
        reply="Oui, merci !",
        reasoning="",
        reasoning_seconds=None,
        model_slug=slug,
        create_time=t,
        regenerated=False,
        tool_outputs=0,
        images=0,
        platform="gemini",
    )


def test_the_conversations_date_chooses_the_default_and_a_named_model_is_mapped_like_a_page_label():
    e = entries("gemini")
    early = dt.datetime.fromisoformat(e[0]["from"]).replace(tzinfo=dt.UTC).timestamp() + 86400
    late = dt.datetime.fromisoformat(e[-1]["from"]).replace(tzinfo=dt.UTC).timestamp() + 86400
    convs = [
        # a conversation started under the first default keeps it, even for a turn made after the switch
        Conversation("c1", "", early, (gen("a", early), gen("b", late)), platform="gemini"),
        Conversation("c2", "", late, (gen("c", late),), platform="gemini"),
        Conversation("c3", "", late, (gen("d", late, "gemini-2.5-pro"),), platform="gemini"),
        Conversation("c4", "", None, (gen("e", None),), platform="gemini"),  # undated: today's default
    ]
    h = estimate_history(convs)
    first = resolve("gemini", e[0]["label"]).label
    last = resolve("gemini", e[-1]["label"]).label
    pro = resolve("gemini", "gemini-2.5-pro").label
    current = resolve("gemini", default_label("gemini")).label
    counts = {k: v.generations for k, v in h.by_model.items()}
    assert counts == (
        {first: 2, last: 2, pro: 1} if last == current else {first: 2, last: 1, current: 1, pro: 1}
    )
    notes = "\n".join(h.notes)
    assert f"'{e[0]['label']}', its default from {e[0]['from']}" in notes
    assert "the site's current default" in notes  # the undated conversation
    assert "gemini-2.5-pro" not in notes  # a named model is not an assumption
