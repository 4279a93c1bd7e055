"""A ChatGPT data export read as generations, and a whole history estimated like the extension would.

The export below is written in the shape of ChatGPT's ``conversations.json`` (a message tree per
conversation: ``mapping`` of ``{id, message, parent, children}``, messages with ``author.role``,
``content.content_type`` / ``parts``, ``metadata.model_slug``), with the branches the product makes:
a regenerated reply, an edited prompt, a reasoning model's thoughts and "Thought for" recap, a tool
call with its output, an image upload, a hidden system message, a prompt left without a reply.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import zipfile

import pytest

from pycore.chat.conversation import estimate_conversation
from pycore.errors import InvalidInput
from pycore.exports import chatgpt
from pycore.exports.history import estimate_history

T0 = 1_700_000_000.0  # 2023-11-14


class Tree:
    """Builds one conversation's mapping as the export holds it."""

    def __init__(self, title: str, default_slug: str | None = "gpt-4o") -> None:
        self.title, self.default_slug = title, default_slug
        self.nodes: dict[str, dict] = {
            "root": {"id": "root", "message": None, "parent": None, "children": []}
        }
        self.t = T0

    def add(
        self,
        nid: str,
        parent: str,
        role: str,
        content: dict,
        *,
        slug: str | None = None,
        hidden: bool = False,
        recipient: str = "all",
        dt_s: float = 10.0,
        **meta,
    ) -> str:
        self.t += dt_s
        metadata = dict(meta)
        if slug:
            metadata["model_slug"] = slug
        if hidden:
            metadata["is_visually_hidden_from_conversation"] = True
        self.nodes[nid] = {
            "id": nid,
            "parent": parent,
            "children": [],
            "message": {
                "id": nid,
                "author": {"role": role, "name": None, "metadata": {}},
                "create_time": self.t,
                "update_time": None,
                "content": content,
                "status": "finished_successfully",
                "end_turn": True,
                "weight": 1.0,
                "metadata": metadata,
                "recipient": recipient,
            },
        }
        self.nodes[parent]["children"].append(nid)
        return nid

    def text(self, nid: str, parent: str, role: str, text: str, **kw) -> str:
        return self.add(nid, parent, role, {"content_type": "text", "parts": [text]}, **kw)

    def export(self, cid: str) -> dict:
        return {
            "title": self.title,
            "create_time": T0,
            "update_time": self.t,
            "mapping": self.nodes,
            "moderation_results": [],
            "current_node": list(self.nodes)[-1],
            "conversation_id": cid,
            "id": cid,
            "default_model_slug": self.default_slug,
            "is_archived": False,
        }


PROMPTS = [
    "How do heat pumps work in very cold climates?",
    "And what about the COP below -20 °C?",
    "Summarise that in one table.",
]
REPLIES = [
    "A heat pump moves heat rather than making it: " + "the refrigerant cycle " * 40,
    "Below -20 °C the COP of a cold-climate unit falls to about 1.5-2. " * 12,
    "| T (°C) | COP |\n|---|---|\n| 7 | 4.2 |\n| -15 | 2.3 |\n| -25 | 1.6 |",
]


def linear() -> Tree:
    """Three turns on gpt-4o, with a hidden system message under the root."""
    t = Tree("Heat pumps")
    parent = t.text("sys", "root", "system", "You are ChatGPT...", hidden=True)
    for k, (p, r) in enumerate(zip(PROMPTS, REPLIES, strict=True)):
        u = t.text(f"u{k}", parent, "user", p)
        parent = t.text(f"a{k}", u, "assistant", r, slug="gpt-4o")
    return t


def branchy() -> Tree:
    """A regenerated reply, an edited prompt, o3 with thoughts + recap, a tool call, an image, an orphan prompt."""
    t = Tree("Branches", default_slug="gpt-4o")
    u0 = t.text("u0", "root", "user", "Plot y = x^2 for x in 0..10")
    call = t.add(
        "a0",
        u0,
        "assistant",
        {
            "content_type": "code",
            "language": "python",
            "text": "import matplotlib.pyplot as plt\nplt.plot(range(11), [x*x for x in range(11)])",
        },
        slug="gpt-4o",
        recipient="python",
    )
    out = t.add("tool0", call, "tool", {"content_type": "execution_output", "text": "<Figure size 640x480>"})
    a0 = t.add(
        "a0b",
        out,
        "assistant",
        {
            "content_type": "multimodal_text",
            "parts": [
                {
                    "content_type": "image_asset_pointer",
                    "asset_pointer": "file-service://x",
                    "width": 640,
                    "height": 480,
                },
                "Here is the plot of y = x².",
            ],
        },
        slug="gpt-4o",
    )
    t.text(
        "a0r", u0, "assistant", "Sure: " + "a parabola through the origin. " * 5, slug="gpt-4o"
    )  # regenerated
    u1 = t.text("u1", a0, "user", "Why is it symmetric?")
    t.add(
        "th1",
        u1,
        "assistant",
        {
            "content_type": "thoughts",
            "thoughts": [
                {
                    "summary": "Considering symmetry",
                    "content": "f(-x) = f(x) for even functions, so the graph mirrors.",
                }
            ],
            "source_analysis_msg_id": "x",
        },
        slug="o3",
    )
    rc = t.add(
        "rc1",
        "th1",
        "assistant",
        {"content_type": "reasoning_recap", "content": "Thought for 1m 5s"},
        slug="o3",
    )
    a1 = t.text("a1", rc, "assistant", "Because x² is an even function: " + "(-x)² = x². " * 8, slug="o3")
    t.text("u1e", a0, "user", "Why is it a parabola?")  # an edited prompt, left without a reply
    up = t.add(
        "u2",
        a1,
        "user",
        {
            "content_type": "multimodal_text",
            "parts": [
                {"content_type": "image_asset_pointer", "asset_pointer": "file-service://y"},
                "What about this one?",
            ],
        },
    )
    t.text("a2", up, "assistant", "That curve is cubic.", slug="gpt-9-imaginary")
    return t


@pytest.fixture(scope="module")
def export() -> list[dict]:
    return [linear().export("c-linear"), branchy().export("c-branchy")]


def test_a_linear_conversation_reads_as_its_turns_in_order(export):
    conv = chatgpt.parse(export)[0]
    assert conv.title == "Heat pumps" and conv.id == "c-linear"
    assert [(g.prompt, g.reply) for g in conv.generations] == list(zip(PROMPTS, REPLIES, strict=True))
    assert [g.parent for g in conv.generations] == [None, "a0", "a1"]
    assert not any(g.regenerated for g in conv.generations)
    assert {g.model_slug for g in conv.generations} == {"gpt-4o"}


def test_branches_tools_reasoning_and_images_are_read_as_the_product_made_them(export):
    conv = chatgpt.parse(export)[1]
    by_id = {g.id: g for g in conv.generations}
    assert list(by_id) == ["a0", "a0r", "th1", "a2"]
    first, regen, reasoned, last = by_id.values()
    # the tool call and the final text are the reply; the tool's output is read with the prompt
    assert "plt.plot" in first.reply and "y = x²" in first.reply
    assert first.prompt == "Plot y = x^2 for x in 0..10\n<Figure size 640x480>" and first.tool_outputs == 1
    assert first.images == 1 and not first.regenerated
    assert regen.regenerated and regen.parent is None and regen.reply.startswith("Sure:")
    assert reasoned.parent == "a0" and reasoned.model_slug == "o3" and reasoned.reasoning_seconds == 65.0
    assert "f(-x) = f(x)" in reasoned.reasoning and "Considering symmetry" in reasoned.reasoning
    assert "Thought for" not in reasoned.reply and reasoned.reply.startswith("Because")
    assert last.parent == "th1" and last.prompt == "What about this one?" and last.images == 1
    assert conv.skipped == ("1 prompt without a reply",)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("Thought for 12 seconds", 12),
        ("Thought for 1m 5s", 65),
        ("Thought for 2h 3m", 7380),
        ("Thought for 7s", 7),
        ("Thought for a few seconds", None),
        ("Reasoned", None),
    ],
)
def test_the_reasoning_recap_gives_the_duration(text, seconds):
    assert chatgpt._recap_seconds(text) == seconds


def test_a_linear_history_costs_what_promptwatt_chat_gives_for_the_same_turns(export):
    h = estimate_history(chatgpt.parse(export[:1]))
    chat = estimate_conversation(
        [{"prompt": p, "reply": r} for p, r in zip(PROMPTS, REPLIES, strict=True)], "chatgpt", "gpt-4o"
    )
    for name in (
        "gpu_wh",
        "wall_wh",
        "co2_g",
        "output_tokens",
        "water_onsite_ml",
        "water_offsite_ml",
        "water_ml",
        "embodied_co2_g",
    ):
        for end in ("low", "central", "high"):
            assert getattr(getattr(h.total, name), end) == pytest.approx(
                getattr(getattr(chat, name), end), rel=1e-12
            )
    assert h.total.input_tokens == chat.input_tokens and h.total.generations == 3
    assert list(h.by_model) == ["GPT-4o"] and list(h.by_month) == ["2023-11"]


def test_a_regenerated_reply_is_counted_with_the_context_of_the_one_it_replaced(export):
    conv = chatgpt.parse(export)[1]
    first, regen = conv.generations[:2]
    h_first = estimate_history([chatgpt.Conversation("x", "", None, (first,))])
    h_regen = estimate_history([chatgpt.Conversation("y", "", None, (regen,))])
    both = estimate_history([chatgpt.Conversation("z", "", None, (first, regen))])
    assert both.total.regenerated == 1
    assert both.total.gpu_wh.central == pytest.approx(
        h_first.total.gpu_wh.central + h_regen.total.gpu_wh.central, rel=1e-12
    )


def test_later_turns_carry_the_context_of_their_own_branch(export):
    conv = chatgpt.parse(export)[1]
    h = estimate_history([conv])
    # the o3 turn follows a0's branch: its context is a0's prompt (with the tool output) and reply
    alone = estimate_conversation(
        [
            {"prompt": conv.generations[0].prompt, "reply": conv.generations[0].reply},
            {
                "prompt": conv.generations[2].prompt,
                "reply": conv.generations[2].reply,
                "reasoning": conv.generations[2].reasoning,
                "reasoning_seconds": 65.0,
            },
        ],
        "chatgpt",
        "o3",
    )
    o3 = h.by_model["o3"]
    assert o3.generations == 1 and o3.reasoning_estimated == 1
    assert o3.input_tokens == alone.exchanges[1].input_tokens
    assert o3.gpu_wh.central == pytest.approx(alone.exchanges[1].gpu_wh.central, rel=1e-12)


def test_unknown_slugs_images_tools_and_orphans_are_said_not_hidden(export):
    h = estimate_history(chatgpt.parse(export))
    notes = "\n".join(h.notes)
    assert "'gpt-9-imaginary'" in notes and "fallback" in notes
    assert "2 x images" in notes and "1 x tool outputs" in notes and "1 x prompt without a reply" in notes
    assert h.total.generations == 7 and h.total.regenerated == 1


def test_dates_filter_what_is_counted_but_not_the_context(export):
    convs = chatgpt.parse(export[:1])
    whole = estimate_history(convs)
    last_day = dt.datetime.fromtimestamp(convs[0].generations[-1].create_time, dt.UTC).date()
    late = estimate_history(convs, since=last_day)
    assert late.total.generations == 3  # all three on the same day
    none = estimate_history(convs, since=last_day + dt.timedelta(days=1))
    assert none.total.generations == 0 and none.conversations == []
    assert whole.total.gpu_wh == late.total.gpu_wh
    with pytest.raises(InvalidInput):
        estimate_history(convs, since=last_day, until=last_day - dt.timedelta(days=1))


@pytest.mark.parametrize(("asked", "used"), [("fr", "FR"), ("FR", "FR"), ("zz", "WORLD")])
def test_the_region_reported_is_the_grid_used(export, asked, used):
    # it used to echo what was typed: "grid zz" over a world-average figure
    h = estimate_history(chatgpt.parse(export[:1]), region=asked)
    assert h.region == used and h.as_dict()["region"] == used
    assert h.total.co2_g == estimate_history(chatgpt.parse(export[:1]), region=used).total.co2_g


def test_the_export_zip_and_its_json_read_the_same(export, tmp_path):
    js = tmp_path / "conversations.json"
    js.write_text(json.dumps(export), encoding="utf-8")
    z = tmp_path / "export.zip"
    with zipfile.ZipFile(z, "w") as f:
        f.writestr("conversations.json", json.dumps(export))
        f.writestr("chat.html", "<html></html>")
        f.writestr("user.json", "{}")
    assert chatgpt.load(js) == chatgpt.load(z)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "not valid JSON"),
        ('{"a": 1}', "list of conversations"),
        ('[{"title": "x"}]', "no 'mapping'"),
        ('[{"mapping": {"n": {"children": "nope"}}}]', "node 'n'"),
        ('[{"mapping": {"n": {"children": [{"id": "m"}]}}}]', "node 'n'"),  # was TypeError: unhashable type
        ('[{"mapping": {"n": {"parent": ["r"], "children": []}}}]', "node 'n'"),
    ],
)
def test_a_file_that_is_not_an_export_gets_a_clear_error(tmp_path, content, message):
    p = tmp_path / "conversations.json"
    p.write_text(content, encoding="utf-8")
    with pytest.raises(InvalidInput, match=message):
        chatgpt.load(p)


def test_a_zip_without_conversations_and_a_missing_file_are_refused(tmp_path):
    z = tmp_path / "other.zip"
    with zipfile.ZipFile(z, "w") as f:
        f.writestr("readme.txt", "hello")
    with pytest.raises(InvalidInput, match="no conversations.json"):
        chatgpt.load(z)
    with pytest.raises(InvalidInput, match="no such file"):
        chatgpt.load(tmp_path / "absent.json")


def test_a_folder_and_a_zip_cut_short_are_refused_with_what_to_give(export, tmp_path):
    # the unzipped export's folder used to raise IsADirectoryError; a download cut short was read as
    # JSON text and reported as "not valid JSON: 'utf-8' codec can't decode ..."
    with pytest.raises(InvalidInput, match="is a folder.*conversations.json"):
        chatgpt.load(tmp_path)
    z = tmp_path / "export.zip"
    with zipfile.ZipFile(z, "w", zipfile.ZIP_DEFLATED) as f:
        f.writestr("conversations.json", json.dumps(export))
    cut = tmp_path / "cut.zip"
    cut.write_bytes(z.read_bytes()[: z.stat().st_size // 2])
    with pytest.raises(InvalidInput, match="cut.zip is a damaged zip.*download the export again"):
        chatgpt.load(cut)


def test_a_time_no_date_can_hold_leaves_the_generation_undated():
    # 1e20 s (and Infinity, which json.load accepts) used to raise OverflowError in the date filter
    t = linear()
    t.nodes["u2"]["message"]["create_time"] = 1e20
    t.nodes["a2"]["message"]["create_time"] = float("inf")
    conv = chatgpt.parse([t.export("c")])[0]
    assert conv.generations[-1].create_time is None
    h = estimate_history([conv], since=dt.date(2023, 1, 1))
    assert h.total.generations == 3 and "undated" in h.by_month


def test_a_damaged_tree_with_a_cycle_is_read_once_per_message():
    t = linear()
    t.nodes["a2"]["children"].append("u0")  # a cycle back to the first prompt
    conv = chatgpt.parse([t.export("c")])[0]
    assert [g.id for g in conv.generations] == ["a0", "a1", "a2"]


def test_cli_history_prints_totals_by_model_and_month_and_json(export, tmp_path):
    p = tmp_path / "conversations.json"
    p.write_text(json.dumps(export), encoding="utf-8")

    def run(*a):
        return subprocess.run(
            [sys.executable, "-m", "pycore", "history", str(p), *a],
            capture_output=True,
            text=True,
            timeout=300,
        )

    text = run("--region", "FR")
    assert text.returncode == 0, text.stderr
    assert "2 of 2 conversations, 7 generations (1 regenerated)" in text.stdout
    assert "GPT-4o" in text.stdout and "2023-11" in text.stdout and "Heat pumps" in text.stdout
    out = json.loads(run("--json").stdout)
    assert out["total"]["generations"] == 7 and {c["id"] for c in out["conversations"]} == {
        "c-linear",
        "c-branchy",
    }
    for key in (
        "water_ml",
        "water_ml_low",
        "water_ml_high",
        "embodied_co2_g",
        "embodied_co2_g_low",
        "embodied_co2_g_high",
    ):
        assert out["total"][key] > 0 and key in out["conversations"][0], key
    assert out["total"]["water_ml_low"] <= out["total"]["water_ml"] <= out["total"]["water_ml_high"]
    assert "water" in text.stdout and "embodied" in text.stdout
    bad = run("--since", "yesterday")
    assert bad.returncode == 2 and "YYYY-MM-DD" in bad.stderr


def test_custom_instructions_and_an_image_only_reply_do_not_cut_the_conversation():
    """The custom-instructions message (role user, not flagged hidden) is context, not a prompt; a
    reply that is only an image is skipped, and the prompt under it still follows the branch."""
    t = Tree("Context")
    ctx = t.add(
        "ctx",
        "root",
        "user",
        {
            "content_type": "user_editable_context",
            "user_profile": "I am a heat engineer.",
            "user_instructions": "Be brief.",
        },
    )
    u0 = t.text("u0", ctx, "user", PROMPTS[0])
    a0 = t.add(
        "a0",
        u0,
        "assistant",
        {
            "content_type": "multimodal_text",
            "parts": [{"content_type": "image_asset_pointer", "asset_pointer": "file-service://z"}],
        },
        slug="gpt-4o",
    )
    u1 = t.text("u1", a0, "user", PROMPTS[1])
    t.text("a1", u1, "assistant", REPLIES[1], slug="gpt-4o")
    conv = chatgpt.parse([t.export("c")])[0]
    assert [(g.id, g.parent, g.prompt) for g in conv.generations] == [("a1", None, PROMPTS[1])]
    assert conv.skipped == ("1 reply with no text (e.g. only an image)",)
