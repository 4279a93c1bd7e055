"""A chat export imported through the extension's import page (import.html): its own Pyodide worker
estimates every generation, the service worker stores them next to the live records, each generation
once, under the platform pycore detected; the popup then shows them like any other conversation.
Cancelling, or the service worker stopped mid-import, leaves records and aggregates agreeing.

The export is built with tests/test_history.py's builder: a linear conversation, one with a
regeneration, a reasoning model (o3 "thoughts" + "Thought for 1m 5s"), a tool call and an unknown
model, and the ChatGPT fixture page's conversation, whose reply starts with a hidden "thoughts"
message (the page marks the reply by its first rendered message, not the export's first). That
conversation is recorded live first (dedupe on import), and shown live after an import that
alone knew it (dedupe of live recordings).
"""

from __future__ import annotations

import json
import uuid
import zipfile
from pathlib import Path

import pytest
from export_samples import SAMPLES
from test_history import PROMPTS, REPLIES, Tree, branchy, linear

from pycore.browser.entry import handle

from .expected import ALL
from .harness import Harness, wait_for
from .test_extension import content_script_send

FX = ALL["chatgpt"]
SLUG = FX.model_label  # the fixture's data-message-model-slug
ID0, ID1 = (
    "1f2e3d4c-5b6a-4978-8a6b-5c4d3e2f1a0b",
    "7e6d5c4b-3a29-4180-9f8e-7d6c5b4a3928",
)  # the fixture's reply ids
REGEN_REPLY = (
    "A pressure cooker at 1 bar over ambient lets water reach about 120 °C, so yes, but mind the lid."
)
ENERGIES = (
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
COUNTS = (
    "prompt_tokens",
    "reply_tokens",
    "reasoning_tokens",
    "input_tokens",
    "output_tokens",
    "turn_index",
    "context_tokens",
)


def fixture_conversation(cid: str, regenerate: bool) -> dict:
    """The fixture page's two turns as the export holds them: turn 1 opens with hidden thoughts."""
    t = Tree(FX.turns[0].prompt[:30], default_slug=SLUG)
    u0 = t.text(f"u0-{cid}", "root", "user", FX.turns[0].prompt)
    t.add(
        f"th-{cid}",
        u0,
        "assistant",
        {
            "content_type": "thoughts",
            "thoughts": [
                {
                    "summary": "Altitude and boiling",
                    "content": "Lower pressure lowers the boiling point of water.",
                }
            ],
        },
        slug=SLUG,
    )
    t.add(
        f"rc-{cid}",
        f"th-{cid}",
        "assistant",
        {"content_type": "reasoning_recap", "content": "Thought for 12s"},
        slug=SLUG,
    )
    a0 = t.text(ID0, f"rc-{cid}", "assistant", FX.turns[0].reply, slug=SLUG)
    u1 = t.text(f"u1-{cid}", a0, "user", FX.turns[1].prompt)
    t.text(ID1, u1, "assistant", FX.turns[1].reply, slug=SLUG)
    if regenerate:
        t.text(f"r1-{cid}", u1, "assistant", REGEN_REPLY, slug=SLUG)
    return t.export(cid)


def write_export(path: Path, conversations: list[dict]) -> Path:
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("conversations.json", json.dumps(conversations))
        z.writestr("chat.html", "<html><body>the export's own viewer</body></html>")
    return path


def pycore_import(path: Path) -> list[tuple[str, dict]]:
    """(conversation id, record) of every generation, as pycore gives them in this process."""
    return pycore_session(path)[0]


def pycore_session(path: Path) -> tuple[list[tuple[str, dict]], list[str]]:
    """pycore_import's records, and the notes one session over the whole export ends with."""
    copy = path.with_suffix(".copy")  # the op removes what it reads
    copy.write_bytes(path.read_bytes())
    call = lambda **r: json.loads(handle(json.dumps(r)))  # noqa: E731
    session = call(op="import_open", path=str(copy))["value"]["session"]
    out = []
    while True:
        v = call(op="import_next", session=session, max_generations=500)["value"]
        out += [(c["conversation_id"], r) for c in v["conversations"] for r in c["records"]]
        if v["finished"]:
            return out, v["notes"]


def run_import(h: Harness, path: Path, state: str = "done"):
    page = h.context.new_page()
    page.goto(h.url("import.html"))
    assert page.locator("#start").is_disabled()
    page.set_input_files("#file", str(path))
    page.click("#start")
    status = page.locator("[data-testid='import-status']")
    wait_for(
        lambda: status.get_attribute("data-state") in (state, "error" if state != "error" else state),
        180,
        f"the import to end ({state})",
    )
    assert status.get_attribute("data-state") == state, status.inner_text()
    return page, status


def conv_docs(h: Harness) -> dict:
    return {k: v for k, v in h.local().items() if k.startswith("conv:") or k == "index"}


def test_an_export_is_imported_once_next_to_live_records_and_shown_in_the_popup(clean: Harness, tmp_path):
    live_id, import_only = str(uuid.uuid4()), str(uuid.uuid4())
    page, _, _ = clean.fixture_page(FX, conversation_id=live_id)
    live = {r["gen"]: r for r in clean.wait_exchanges("chatgpt", live_id, 2)}
    assert set(live) == {ID0, ID1}
    page.close()
    path = write_export(
        tmp_path / "chatgpt-export.zip",
        [
            linear().export(str(uuid.uuid4())),
            branchy().export(str(uuid.uuid4())),
            fixture_conversation(live_id, regenerate=True),
            fixture_conversation(import_only, regenerate=False),
        ],
    )
    expected = pycore_import(path)
    deduped = {f"th-{live_id}", ID1}  # the live conversation's two turns, by the export's own gens
    new = [(c, r) for c, r in expected if not (c == live_id and r["gen"] in deduped)]
    assert len(expected) == 7 + 3 + 2 and len(new) == len(expected) - 2

    imp, status = run_import(clean, path)
    assert (status.get_attribute("data-added"), status.get_attribute("data-skipped")) == (str(len(new)), "2")
    assert clean.aggregate_mismatches() == []
    assert "12 of 12 generations (4 of 4 conversations)" in imp.locator("#progress-text").inner_text()
    assert "images" in imp.locator("#notes").inner_text()

    # every imported record is pycore's, with the export's ids, times and branch context
    for cid, e in new:
        r = next(x for x in clean.exchanges("chatgpt", cid) if x["gen"] == e["gen"])
        assert r["source"] == "import" and r["time"] == e["time"] and r["regenerated"] == e["regenerated"]
        assert r["model_label"] == e["model_label"] and r["msg_ids"] == [
            i for i in e["msg_ids"] if i != e["gen"]
        ]
        for f in COUNTS:
            assert r[f] == (e[f] if f in ("turn_index", "context_tokens") else e["value"][f]), (e["gen"], f)
        for f in ENERGIES:
            assert r[f] == pytest.approx(e["value"][f], rel=1e-9, abs=0), (e["gen"], f)
    o3 = next(r for c, r in expected if r["gen"] == "th1")
    assert o3["value"]["reasoning_estimated"] and o3["turn_index"] == 1
    # the live conversation: its two live records kept as they were (they learnt the export's ids), the
    # regeneration added after the live first turn, which the export names by its hidden "thoughts" message
    stored = {r["gen"]: r for r in clean.exchanges("chatgpt", live_id)}
    assert set(stored) == {ID0, ID1, f"r1-{live_id}"}
    for gen in (ID0, ID1):
        assert "source" not in stored[gen]
        assert all(stored[gen][f] == live[gen][f] for f in (*ENERGIES, *COUNTS, "prev_gen", "time"))
    assert f"th-{live_id}" in stored[ID0]["msg_ids"]
    regen = stored[f"r1-{live_id}"]
    assert regen["prev_gen"] == ID0 and regen["regenerated"] and regen["turn_index"] == 1
    assert regen["context_tokens"] == live[ID0]["prompt_tokens"] + live[ID0]["reply_tokens"]

    # the popup: totals and each conversation are the sums of pycore's estimates and the live records
    all_records = [r for _, r in new]
    popup = clean.popup()
    totals = popup.locator("[data-testid='totals']")
    wait_for(lambda: totals.get_attribute("data-exchanges") == str(len(new) + 2), 20, "the imported totals")
    for f, attr in (("energy_wh", "data-energy-wh"), ("wall_wh", "data-wall-wh"), ("co2_g", "data-co2-g")):
        want = sum(r["value"][f] for r in all_records) + sum(r[f] for r in live.values())
        assert float(totals.get_attribute(attr)) == pytest.approx(want, rel=1e-9), f
    want_in = sum(r["value"]["input_tokens"] for r in all_records) + sum(
        r["input_tokens"] for r in live.values()
    )
    assert int(totals.get_attribute("data-input-tokens")) == want_in
    rows = popup.locator("[data-testid='conversation']")
    assert rows.count() == 4
    for cid in {c for c, _ in expected}:
        row = popup.locator(f"[data-testid='conversation'][data-conversation-id='{cid}']")
        assert row.get_attribute("data-platform") == "chatgpt"
        mine = [r["value"]["energy_wh"] for c, r in new if c == cid]
        mine += [r["energy_wh"] for r in live.values()] if cid == live_id else []
        assert row.get_attribute("data-exchanges") == str(len(mine))
        assert float(row.get_attribute("data-energy-wh")) == pytest.approx(sum(mine), rel=1e-9)
    # the per-exchange detail marks the imported row
    row = popup.locator(f"[data-testid='conversation'][data-conversation-id='{live_id}']")
    row.locator("summary").click()
    wait_for(lambda: row.locator("[data-testid='exchange']").count() == 3, 10, "the detail table")
    assert (
        row.locator("[data-source='import']").count() == 1
        and row.locator("[data-source='live']").count() == 2
    )
    assert "imported" in row.locator("[data-source='import']").inner_text()

    # importing the same export again changes nothing
    before = conv_docs(clean)
    _, again = run_import(clean, path)
    assert (again.get_attribute("data-added"), again.get_attribute("data-skipped")) == (
        "0",
        str(len(expected)),
    )
    assert conv_docs(clean) == before

    # a conversation known only from the export, then shown live: the page's turns are the imported ones
    page, _, _ = clean.fixture_page(FX, conversation_id=import_only)
    wait_for(lambda: page.locator("promptwatt-badge").count() == 2, 30, "badges from the imported records")
    wait_for(lambda: clean.pending() == [], 20, "nothing pending")
    assert sorted(r["gen"] for r in clean.exchanges("chatgpt", import_only)) == sorted(
        [f"th-{import_only}", ID1]
    )
    assert conv_docs(clean) == before

    # no text of any conversation in storage
    stored_text = json.dumps([clean.local(), clean.session()], ensure_ascii=False)
    texts = [
        *PROMPTS,
        *REPLIES,
        REGEN_REPLY,
        "Plot y = x^2",
        "plt.plot",
        "Why is it symmetric?",
        "f(-x) = f(x)",
        "Because x² is an even function",
        "That curve is cubic",
        "Lower pressure lowers",
        "You are ChatGPT",
        *(t.prompt for t in FX.turns),
        *(t.reply for t in FX.turns),
    ]
    for t in texts:
        assert t[:40] not in stored_text, t


def test_a_file_that_is_not_an_export_is_refused_and_nothing_is_stored(clean: Harness, tmp_path):
    bad = tmp_path / "photo.zip"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)
    _, status = run_import(clean, bad, state="error")
    assert "not a chat export PromptWatt can read" in status.inner_text()
    other = tmp_path / "other.zip"
    with zipfile.ZipFile(other, "w") as z:
        z.writestr("readme.txt", "hello")
    _, status = run_import(clean, other, state="error")
    assert (
        "holds no chat export" in status.inner_text() and "ChatGPT conversations.json" in status.inner_text()
    )
    assert not [k for k in clean.local() if k.startswith("conv:")]


def test_a_content_script_cannot_import_records(clean: Harness, tmp_path):
    """Only the extension's own pages may add records without text: a site's page could forge them."""
    cid = str(uuid.uuid4())
    rec = pycore_import(write_export(tmp_path / "e.zip", [linear().export(cid)]))[0][1]
    batch = {
        "platform": "chatgpt",
        "settings": {},
        "conversations": [{"conversation_id": cid, "title": "forged", "records": [rec]}],
    }
    page, _, conv = clean.fixture_page(FX)
    clean.wait_exchanges("chatgpt", conv, 2)
    out = content_script_send(page, clean.ext_id, "importHistory", batch)
    assert out == {"ok": False, "error": "importHistory messages come from the extension's own pages"}
    assert clean.local(f"conv:chatgpt:{cid}") is None
    # the same batch from an extension page is stored, once
    assert clean.message("importHistory", batch) == {"added": 1, "skipped": 0, "newer": 0}
    assert clean.message("importHistory", batch) == {"added": 0, "skipped": 1, "newer": 0}


def test_the_popup_opens_the_import_page(clean: Harness):
    popup = clean.popup()
    popup.click("#tab-settings")
    with clean.context.expect_page() as new:
        popup.click("#open-import")
    page = new.value
    page.wait_for_load_state()
    assert page.url == clean.url("import.html")
    assert page.locator("label[for='file']").inner_text().startswith("Export file")


# -- another service's export, driven through the service worker's message ---------------------------------
DS = ALL["deepseek"]


def ds_record(
    gen: str,
    prev: str | None,
    turn: int,
    context: int,
    time_ms: float,
    prompt: str,
    reply: str,
    ids: tuple[str, ...] = (),
) -> dict:
    """A record in the shape pycore's import_next gives (pycore/exports/records.py), for DeepSeek, its
    value from the exchange op on these texts at this context (as the import op computes it)."""
    out = json.loads(
        handle(
            json.dumps(
                {
                    "op": "exchange",
                    "platform": "deepseek",
                    "model_label": None,
                    "turn_index": turn,
                    "context_tokens": context,
                    "prompt": prompt,
                    "reply": reply,
                }
            )
        )
    )
    assert out["ok"], out
    return {
        "platform": "deepseek",
        "gen": gen,
        "prev_gen": prev,
        "msg_ids": [gen, *ids],
        "regenerated": False,
        "time": time_ms,
        "model_label": None,
        "reasoning_seconds": None,
        "turn_index": turn,
        "context_tokens": context,
        "value": out["value"],
        "warnings": out["warnings"],
    }


def ds_conversation(
    cid: str, turns: int, start: float, first: int = 0, prev: str | None = None, context: int = 0
) -> list[dict]:
    """Turns first..first+turns-1 of an exported DeepSeek conversation, each on the branch of the one before."""
    out = []
    for k in range(first, first + turns):
        r = ds_record(
            f"{cid}-m{2 * k + 2}",
            prev,
            k,
            context,
            start + k * 60_000,
            PROMPTS[k % len(PROMPTS)],
            REPLIES[k % len(REPLIES)],
        )
        out.append(r)
        prev, context = r["gen"], context + r["value"]["prompt_tokens"] + r["value"]["reply_tokens"]
    return out


def ds_batch(*conversations: tuple[str, list[dict]]) -> dict:
    return {
        "platform": "deepseek",
        "settings": {},
        "conversations": [
            {"conversation_id": c, "title": f"DeepSeek {c[:4]}", "records": rs} for c, rs in conversations
        ],
    }


def test_another_services_export_is_stored_under_its_platform_each_generation_once(clean: Harness):
    """DeepSeek records next to a conversation recorded live on DeepSeek's page: the live turns are not counted
    again, the same export twice adds nothing, an export of an overlapping period adds only what is new; the
    popup shows them under DeepSeek and the aggregates equal a recount throughout."""
    live_id, y, z = str(uuid.uuid4()), str(uuid.uuid4()), str(uuid.uuid4())
    page, _, _ = clean.fixture_page(DS, conversation_id=live_id)
    live = clean.wait_exchanges("deepseek", live_id, 2)
    page.close()
    wait_for(lambda: clean.pending() == [], 20, "nothing pending")
    t0 = 1.7e12
    # the export names the live turns by its message ids (the page by its row keys and a hash of the text read),
    # at its own times, and has a third turn after them
    context = sum(r["prompt_tokens"] + r["reply_tokens"] for r in live)
    x_recs = ds_conversation(live_id, 3, t0 - 86_400_000)
    for r, t in zip(x_recs, DS.turns, strict=False):  # the fixture's texts, as the export holds them
        r.update(
            ds_record(
                r["gen"], r["prev_gen"], r["turn_index"], r["context_tokens"], r["time"], t.prompt, t.reply
            )
        )
    x_recs[2] = ds_record(
        x_recs[2]["gen"], x_recs[1]["gen"], 2, context, x_recs[2]["time"], PROMPTS[0], REPLIES[0]
    )
    assert not {r["gen"] for r in x_recs} & {r["gen"] for r in live}
    y_recs = ds_conversation(y, 3, t0)
    first = [ds_batch((live_id, x_recs)), ds_batch((y, y_recs))]
    outs = [clean.message("importHistory", b) for b in first]
    assert outs == [{"added": 1, "skipped": 2, "newer": 0}, {"added": 3, "skipped": 0, "newer": 0}]
    assert clean.aggregate_mismatches() == []
    stored = {r["gen"]: r for r in clean.exchanges("deepseek", live_id)}
    assert [stored[r["gen"]].get("source") for r in live] == [
        None,
        None,
    ]  # the live records kept as they were
    # each matched by its turn and token counts: it learns the export's id, so that a second import finds it
    assert [stored[r["gen"]]["msg_ids"] for r in live] == [[x_recs[0]["gen"]], [x_recs[1]["gen"]]]
    new = stored[x_recs[2]["gen"]]
    assert (
        new["source"] == "import" and new["prev_gen"] == live[-1]["gen"] and new["id"].startswith("deepseek:")
    )
    assert new["energy_wh"] == x_recs[2]["value"]["energy_wh"] and "reestimate" not in new
    assert [r["source"] for r in clean.exchanges("deepseek", y)] == ["import"] * 3

    # the same export again changes nothing
    before = conv_docs(clean)
    assert [clean.message("importHistory", b) for b in first] == [
        {"added": 0, "skipped": 3, "newer": 0},
        {"added": 0, "skipped": 3, "newer": 0},
    ]
    assert conv_docs(clean) == before

    # a later export overlapping the first: y's last two turns again (same ids), a fourth, and a new conversation
    later = ds_batch(
        (
            y,
            y_recs[1:]
            + ds_conversation(
                y,
                1,
                t0,
                first=3,
                prev=y_recs[-1]["gen"],
                context=y_recs[-1]["context_tokens"]
                + y_recs[-1]["value"]["prompt_tokens"]
                + y_recs[-1]["value"]["reply_tokens"],
            ),
        ),
        (z, ds_conversation(z, 2, t0 + 86_400_000)),
    )
    assert clean.message("importHistory", later) == {"added": 3, "skipped": 2, "newer": 0}
    assert len(clean.exchanges("deepseek", y)) == 4 and len(clean.exchanges("deepseek", z)) == 2
    assert clean.aggregate_mismatches() == []

    # the popup: every record under DeepSeek, each conversation once
    popup = clean.popup()
    totals = popup.locator("[data-testid='totals']")
    wait_for(lambda: totals.get_attribute("data-exchanges") == str(3 + 4 + 2), 20, "the totals")
    tag = popup.locator("#platform-tags [data-platform='deepseek']")
    assert "DeepSeek · 9 exchanges" in tag.inner_text()
    rows = popup.locator("[data-testid='conversation']")
    assert rows.count() == 3 and {rows.nth(i).get_attribute("data-platform") for i in range(3)} == {
        "deepseek"
    }
    records = [r for c in (live_id, y, z) for r in clean.exchanges("deepseek", c)]
    assert float(totals.get_attribute("data-energy-wh")) == pytest.approx(
        sum(r["energy_wh"] for r in records), rel=1e-9
    )
    row = popup.locator(f"[data-testid='conversation'][data-conversation-id='{live_id}']")
    row.locator("summary").click()
    wait_for(lambda: row.locator("[data-testid='exchange']").count() == 3, 10, "the detail table")
    assert "DeepSeek export" in row.locator("[data-source='import'] td").first.get_attribute("title")
    # a batch that names no platform (nor do its records), or one not registered, is refused whole
    bare = {
        **later,
        "conversations": [
            {**c, "records": [{k: v for k, v in r.items() if k != "platform"} for r in c["records"]]}
            for c in later["conversations"]
        ],
    }
    for bad in ({**bare, "platform": None}, {**later, "platform": "myspace"}):
        out = clean.probe.evaluate(
            "(data) => chrome.runtime.sendMessage({target: 'background', type: 'importHistory', data})", bad
        )
        assert not out["ok"] and "platform must be a registered site" in out["error"]


def stored_count(h: Harness) -> int:
    return sum(len(v["exchanges"]) for k, v in h.local().items() if k.startswith("conv:"))


def many(n: int) -> list[dict]:
    """n linear conversations of 3 turns (ChatGPT's export shape)."""
    out = []
    for c in range(n):
        t = Tree(f"conversation {c}")
        parent = "root"
        for k in range(3):
            u = t.text(f"u{k}-{c}", parent, "user", PROMPTS[k % len(PROMPTS)])
            parent = t.text(f"a{k}-{c}", u, "assistant", REPLIES[(k + c) % len(REPLIES)], slug="gpt-4o")
        out.append(t.export(str(uuid.UUID(int=c + 1))))
    return out


def test_an_export_shared_out_between_two_workers_is_stored_once_with_the_notes_of_one_session(
    clean: Harness, tmp_path
):
    convs = [branchy().export(str(uuid.uuid4())), linear().export(str(uuid.uuid4())), *many(20)]
    path = write_export(tmp_path / "export.zip", convs)
    expected, notes = pycore_session(path)
    assert len(expected) == 7 + 60 and notes  # linear and branchy: 7 generations
    clean.set_local({"debug": {"importBatch": 4, "importWorkers": 2}})
    page, status = run_import(clean, path)
    assert status.get_attribute("data-workers") == "2"
    assert (status.get_attribute("data-added"), status.get_attribute("data-skipped")) == ("67", "0")
    assert "67 of 67 generations (22 of 22 conversations)" in page.locator("#progress-text").inner_text()
    # the notes add up both workers' counts: the same lines as one session over the whole export
    assert page.locator("#notes li").all_inner_texts() == notes
    assert stored_count(clean) == 67 and clean.aggregate_mismatches() == []
    for cid, e in expected:
        r = next(x for x in clean.exchanges("chatgpt", cid) if x["gen"] == e["gen"])
        assert (r["turn_index"], r["context_tokens"]) == (e["turn_index"], e["context_tokens"])
        assert r["energy_wh"] == pytest.approx(e["value"]["energy_wh"], rel=1e-9, abs=0)
    before = conv_docs(clean)
    _, again = run_import(clean, path)  # shared out again: every generation found stored
    assert (again.get_attribute("data-added"), again.get_attribute("data-skipped")) == ("0", "67")
    assert conv_docs(clean) == before


def test_a_cancelled_import_leaves_what_it_stored_consistent_and_a_second_import_adds_the_rest(
    clean: Harness, tmp_path
):
    path = write_export(tmp_path / "export.zip", many(40))
    total = 120
    clean.set_local({"debug": {"importBatch": 2, "importWorkers": 2}})  # both workers stopped at once
    page = clean.context.new_page()
    page.goto(clean.url("import.html"))
    page.set_input_files("#file", str(path))
    page.click("#start")
    wait_for(lambda: stored_count(clean) >= 6, 120, "a few batches stored")
    page.click("#cancel")
    status = page.locator("[data-testid='import-status']")
    wait_for(lambda: status.get_attribute("data-state") == "cancelled", 30, "the cancel")
    stored = stored_count(clean)
    assert 6 <= stored < total and status.get_attribute("data-added") == str(stored)
    assert f"Cancelled. {stored} generations were stored" in status.inner_text()
    page.wait_for_timeout(1500)  # nothing is sent after the cancel
    assert stored_count(clean) == stored
    assert clean.aggregate_mismatches() == []
    page.close()
    clean.remove_local("debug")
    _, again = run_import(clean, path)
    assert (again.get_attribute("data-added"), again.get_attribute("data-skipped")) == (
        str(total - stored),
        str(stored),
    )
    assert stored_count(clean) == total and clean.aggregate_mismatches() == []


def test_a_service_worker_stopped_mid_import_leaves_records_and_aggregates_agreeing(clean: Harness, tmp_path):
    path = write_export(tmp_path / "export.zip", many(30))
    total = 90
    # the page holds before the batch after the 6th and after the 30th generation sent, however fast it
    # runs (one worker: two would each have a batch on the way when the count is reached)
    clean.set_local({"debug": {"importBatch": 3, "holdImport": 6, "importWorkers": 1}})
    page = clean.context.new_page()
    page.goto(clean.url("import.html"))
    page.set_input_files("#file", str(path))
    page.click("#start")
    status = page.locator("[data-testid='import-status']")
    for at, after in ((6, 30), (30, None)):
        # stored >= at is only reached after the previous hold ended, so "held" here is the hold at ``at``
        wait_for(
            lambda at=at: stored_count(clean) >= at and status.get_attribute("data-held") == "true",
            120,
            f"the page to hold after {at} stored",
        )
        assert stored_count(clean) == at
        clean.kill_service_worker()  # the worker, idle, is stopped as Chrome stops it
        assert clean.aggregate_mismatches() == []
        # the next batch starts a new worker
        clean.set_local(
            {"debug": {"importBatch": 3, "importWorkers": 1} | ({"holdImport": after} if after else {})}
        )
    wait_for(lambda: status.get_attribute("data-state") in ("done", "error"), 180, "the import")
    assert status.get_attribute("data-state") == "done", status.inner_text()
    # a batch written just before the stop, whose answer was lost, is found stored when the page sends it again
    assert int(status.get_attribute("data-added")) + int(status.get_attribute("data-skipped")) == total
    assert stored_count(clean) == total and clean.aggregate_mismatches() == []


SERVICE_SAMPLES = {
    "claude": "claude/data-2026-03-06-08-00-00-batch-0000.zip",
    "deepseek": "deepseek/deepseek_data-2026-05-15.zip",
    "grok": "grok/grok-export-5e5e5e5e.zip",
    "gemini": "gemini/Takeout/My Activity/Gemini Apps/MyActivity.json",
    "mistral": "lechat/chat-export-1775400000000.zip",
    "copilot": "copilot/copilot-activity-history.csv",
    "perplexity": "perplexity/gdpr-data-request/perplexity-conversations.json",
}


@pytest.mark.parametrize("platform", sorted(SERVICE_SAMPLES))
def test_each_services_export_is_imported_next_to_its_live_records_under_its_platform_once(
    clean: Harness, tmp_path, platform
):
    """The synthetic sample of each service's export (tests/fixtures/exports), as a user picks it, after a
    conversation of the same service was recorded live from its fixture page."""
    fx = ALL[platform]
    page, _, live_id = clean.fixture_page(fx)
    live = clean.wait_exchanges(platform, live_id, len(fx.turns))
    page.close()
    live_key = f"conv:{platform}:{live_id}"
    live_doc = clean.local(live_key)
    src = SAMPLES / SERVICE_SAMPLES[platform]
    path = tmp_path / src.name
    path.write_bytes(src.read_bytes())
    expected = pycore_import(path)
    assert expected, "the sample holds generations"
    run_import(clean, path)
    stored = {k: v for k, v in conv_docs(clean).items() if k.startswith("conv:") and k != live_key}
    assert stored and all(doc["platform"] == platform for doc in stored.values())
    records = [r for doc in stored.values() for r in doc["exchanges"]]
    assert len(records) == len(expected)
    assert all(r.get("source") == "import" for r in records)
    assert sum(r["energy_wh"] for r in records) == pytest.approx(
        sum(r["value"]["energy_wh"] for _, r in expected), rel=1e-9
    )
    assert clean.local(live_key) == live_doc  # the live conversation is left as it was recorded
    assert clean.aggregate_mismatches() == []
    before = conv_docs(clean)
    run_import(clean, path)  # the same export again changes nothing
    assert conv_docs(clean) == before
    popup = clean.popup()
    totals = popup.locator("[data-testid='totals']")
    n = len(records) + len(live)
    wait_for(lambda: totals.get_attribute("data-exchanges") == str(n), 20, "live and imported totals")
    wait_for(
        lambda: popup.locator(f"#platform-tags [data-platform='{platform}']").count() == 1, 10, "its tag"
    )
    rows = popup.locator(f"[data-testid='conversation'][data-platform='{platform}']")
    assert rows.count() == len(stored) + 1
    for cid in [live_id, *(doc["conversation_id"] for doc in stored.values())]:
        assert popup.locator(f"[data-testid='conversation'][data-conversation-id='{cid}']").count() == 1
