"""The extension's import of a ChatGPT export (pycore.browser.entry's import ops): records of counts and
energies only, each equal to the exchange op on the same texts at the context of its branch."""

from __future__ import annotations

import json
import zipfile

import pytest
from test_history import PROMPTS, REPLIES, branchy, linear

from pycore.browser.entry import handle
from pycore.exports import chatgpt
from pycore.exports.history import estimate_history

SETTINGS = {"region": "FR", "pue": 1.3}


def call(**req):
    return json.loads(handle(json.dumps(req)))


@pytest.fixture
def export() -> list[dict]:
    return [linear().export("c-linear"), branchy().export("c-branchy")]


def write(tmp_path, export, name="conversations.json"):
    p = tmp_path / name
    if name.endswith(".zip"):
        with zipfile.ZipFile(p, "w") as z:
            z.writestr("conversations.json", json.dumps(export))
            z.writestr("chat.html", "<html></html>")
    else:
        p.write_text(json.dumps(export), encoding="utf-8")
    return p


def run_import(path, batch=2, **settings) -> tuple[dict, list[dict]]:
    """Every batch of an import, as the page asks for them: (the open op's value, the batches' values)."""
    opened = call(op="import_open", path=str(path), **settings)
    assert opened["ok"], opened
    batches = []
    while True:
        out = call(op="import_next", session=opened["value"]["session"], max_generations=batch)
        assert out["ok"], out
        batches.append(out["value"])
        if out["value"]["finished"]:
            break
    assert call(op="import_close", session=opened["value"]["session"])["value"] == {"closed": True}
    return opened["value"], batches


def records(batches: list[dict]) -> list[tuple[str, dict]]:
    return [(c["conversation_id"], r) for b in batches for c in b["conversations"] for r in c["records"]]


@pytest.mark.parametrize("name", ["conversations.json", "export.zip"])
def test_each_record_equals_the_exchange_op_on_the_same_texts_at_its_branch_context(tmp_path, export, name):
    _, batches = run_import(write(tmp_path, export, name), **SETTINGS)
    gens = {(c.id, g.id): g for c in chatgpt.parse(json.loads(json.dumps(export))) for g in c.generations}
    got = records(batches)
    assert [(cid, r["gen"]) for cid, r in got] == list(gens)  # every generation once, in the export's order
    for cid, r in got:
        g = gens[(cid, r["gen"])]
        ref = call(
            op="exchange",
            platform="chatgpt",
            model_label=g.model_slug,
            prompt=g.prompt,
            reply=g.reply,
            reasoning=g.reasoning,
            reasoning_seconds=g.reasoning_seconds,
            turn_index=r["turn_index"],
            context_tokens=r["context_tokens"],
            **SETTINGS,
        )
        assert r["value"] == ref["value"] and r["warnings"] == ref["warnings"], r["gen"]
    by_gen = {r["gen"]: r for _, r in got}
    # the context of each branch: the o3 turn follows a0 (not its regeneration a0r), a2 follows th1
    a0 = by_gen["a0"]["value"]
    assert by_gen["th1"]["context_tokens"] == a0["prompt_tokens"] + a0["reply_tokens"]
    assert by_gen["th1"]["turn_index"] == 1 and by_gen["a0r"]["turn_index"] == 0
    assert by_gen["a2"]["turn_index"] == 2
    # and the sums are `promptwatt history`'s
    h = estimate_history(chatgpt.parse(json.loads(json.dumps(export))))
    assert sum(r["value"]["energy_wh"] for _, r in got) == pytest.approx(h.total.gpu_wh.central, rel=1e-12)
    assert sum(r["value"]["input_tokens"] for _, r in got) == h.total.input_tokens


def test_records_carry_the_ids_the_extension_matches_and_the_exports_times(tmp_path, export):
    _, batches = run_import(write(tmp_path, export))
    by_gen = {r["gen"]: r for _, r in records(batches)}
    th1, a0r, a0 = by_gen["th1"], by_gen["a0r"], by_gen["a0"]
    # the reasoning turn starts with a hidden "thoughts" message: the page shows a later one
    assert th1["msg_ids"] == ["th1", "rc1", "a1"] and th1["prev_gen"] == "a0"
    assert a0["msg_ids"] == ["a0", "tool0", "a0b"] and a0["prev_gen"] is None and not a0["regenerated"]
    assert a0r["regenerated"] and a0r["prev_gen"] is None
    assert (
        th1["model_label"] == "o3"
        and th1["reasoning_seconds"] == 65.0
        and th1["value"]["reasoning_estimated"]
    )
    assert th1["time"] == branchy().nodes["th1"]["message"]["create_time"] * 1000


def test_batches_report_progress_and_the_last_one_the_notes(tmp_path, export):
    opened, batches = run_import(write(tmp_path, export), batch=3)
    assert opened["total"] == {"conversations": 2, "generations": 7} and opened["done"]["generations"] == 0
    assert [b["done"]["generations"] for b in batches] == [3, 6, 7]
    assert [sum(len(c["records"]) for c in b["conversations"]) for b in batches] == [3, 3, 1]
    # a conversation cut between batches comes in both, with its title
    assert [[c["conversation_id"] for c in b["conversations"]] for b in batches] == [
        ["c-linear"],
        ["c-branchy"],
        ["c-branchy"],
    ]
    assert batches[1]["conversations"][0]["title"] == "Branches"
    notes = "\n".join(batches[-1]["notes"])
    assert "2 x images" in notes and "1 x prompt without a reply" in notes and "fallback" in notes
    assert "notes" not in batches[0]


def test_no_text_of_the_conversations_is_in_the_results(tmp_path, export):
    opened, batches = run_import(write(tmp_path, export, "export.zip"))
    out = json.dumps([opened, batches], ensure_ascii=False)
    texts = [
        *PROMPTS,
        *REPLIES,
        "Plot y = x^2",
        "plt.plot",
        "<Figure size",
        "Here is the plot",
        "a parabola",
        "Why is it symmetric?",
        "Considering symmetry",
        "f(-x) = f(x)",
        "Because x² is an even function",
        "What about this one?",
        "That curve is cubic",
        "You are ChatGPT",
    ]
    for t in texts:
        assert t not in out and t[:20] not in out, t


def test_the_file_is_removed_once_read_even_a_bad_one(tmp_path, export):
    good, bad = write(tmp_path, export), tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    assert call(op="import_open", path=str(good))["ok"] and not good.exists()
    assert not call(op="import_open", path=str(bad))["ok"] and not bad.exists()


def _damaged_zip(tmp_path):
    p = write(tmp_path, [linear().export("c")], "d.zip")
    data = bytearray(p.read_bytes())
    start = data.index(b"conversations.json") + len("conversations.json")
    data[start : start + 40] = b"\xff" * 40  # the compressed stream of the first member
    p.write_bytes(bytes(data))
    return p


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (b"", "read: empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "read: not UTF-8"),
        (b"[{not json", "read: not valid JSON"),
        (b'{"a": 1}', "not a chat export"),
        (b'[{"title": "x"}]', "not a chat export"),
        (None, "holds no chat export"),
        ("damaged", "damaged zip"),
    ],
)
def test_a_file_that_is_not_an_export_gets_a_clear_error(tmp_path, content, says):
    if content is None:
        p = tmp_path / "other.zip"
        with zipfile.ZipFile(p, "w") as z:
            z.writestr("readme.txt", "hello")
    elif content == "damaged":
        p = _damaged_zip(tmp_path)
    else:
        p = tmp_path / "file"
        p.write_bytes(content)
    out = call(op="import_open", path=str(p))
    assert out["ok"] is False and out["errors"][0]["code"] == "invalid_input", out
    assert says in out["errors"][0]["message"]


@pytest.mark.parametrize(
    ("req", "says"),
    [
        ({"op": "import_open"}, "path"),
        ({"op": "import_open", "path": "/nonexistent/x.zip"}, "no such file"),
        ({"op": "import_open", "path": "x", "pue": 9}, "PUE"),
        ({"op": "import_next", "session": "import-999"}, "no import session"),
        ({"op": "import_next"}, "no import session"),
    ],
)
def test_bad_import_requests_get_a_clear_error(req, says):
    out = json.loads(handle(json.dumps(req)))
    assert out["ok"] is False and says in out["errors"][0]["message"]


def test_a_closed_or_replaced_session_is_gone_and_batch_sizes_are_bounded(tmp_path, export):
    first = call(op="import_open", path=str(write(tmp_path, export)))["value"]["session"]
    second = call(op="import_open", path=str(write(tmp_path, export)))["value"]["session"]
    assert (
        second != first
        and "no import session" in call(op="import_next", session=first)["errors"][0]["message"]
    )
    for bad in (0, 2001, "10", True):
        out = call(op="import_next", session=second, max_generations=bad)
        assert not out["ok"] and "max_generations" in out["errors"][0]["message"]
    assert call(op="import_close", session=second)["value"] == {"closed": True}
    assert call(op="import_close", session=second)["value"] == {"closed": False}
    assert not call(op="import_next", session=second)["ok"]


def _whole_and_parts(tmp_path, export, parts):
    """Records and notes of one session over the export, and of ``parts`` sessions sharing it out
    (run one after the other: a worker's Python holds one session, the page runs them side by side)."""
    _, whole = run_import(write(tmp_path, export), batch=3, **SETTINGS)
    got, counts, lead_notes = [], [], None
    for part in [*range(1, parts), 0]:  # the lead (part 0) last, as the page asks it for the notes
        opened = call(op="import_open", path=str(write(tmp_path, export)), part=part, parts=parts, **SETTINGS)
        assert opened["ok"], opened
        session = opened["value"]["session"]
        while True:
            out = call(op="import_next", session=session, max_generations=3)["value"]
            got += records([out])
            if out["finished"]:
                break
        if part:
            counts.append(out["counts"])
        else:
            lead_notes = call(op="import_notes", session=session, counts=counts)["value"]["notes"]
    return whole, got, lead_notes


@pytest.mark.parametrize("parts", [2, 3])
def test_an_export_shared_out_between_workers_gives_every_record_once_and_the_same_notes(tmp_path, parts):
    export = [branchy().export("c-branchy"), *(linear().export(f"c-{i}") for i in range(5))]
    whole, got, notes = _whole_and_parts(tmp_path, export, parts)
    by_key = {(cid, r["gen"]): r for cid, r in records(whole)}
    assert len(got) == len(by_key) == len({(cid, r["gen"]) for cid, r in got})
    assert all(r == by_key[(cid, r["gen"])] for cid, r in got)  # the split changes no record
    assert notes == whole[-1]["notes"] and "2 x images" in "\n".join(notes)


def test_each_part_reports_its_own_share(tmp_path):
    export = [branchy().export("c-branchy"), *(linear().export(f"c-{i}") for i in range(4))]
    totals = []
    for part in range(2):
        opened = call(op="import_open", path=str(write(tmp_path, export)), part=part, parts=2)["value"]
        assert (opened["part"], opened["parts"]) == (part, 2)
        totals.append(opened["total"])
    whole = call(op="import_open", path=str(write(tmp_path, export)))["value"]["total"]
    assert [t["conversations"] for t in totals] == [3, 2]
    assert sum(t["generations"] for t in totals) == whole["generations"]


@pytest.mark.parametrize(
    ("req", "says"),
    [
        ({"parts": 0}, "parts must be an integer from 1 to 8"),
        ({"parts": 9}, "parts must be an integer from 1 to 8"),
        ({"parts": 2, "part": 2}, "part must be an integer from 0 to 1"),
        ({"parts": 2, "part": -1}, "part must be an integer from 0 to 1"),
        ({"parts": "2"}, "parts must be an integer"),
        ({"part": True}, "part must be an integer"),
    ],
)
def test_bad_parts_get_a_clear_error_and_the_file_is_still_removed(tmp_path, export, req, says):
    p = write(tmp_path, export)
    out = call(op="import_open", path=str(p), **req)
    assert out["ok"] is False and says in out["errors"][0]["message"]
    assert not p.exists()


def test_merged_notes_refuse_counts_that_are_not_counts(tmp_path, export):
    session = call(op="import_open", path=str(write(tmp_path, export)))["value"]["session"]
    for bad in ({"x": 1}, [{"x": -1}], [{"x": "1"}], [["x"]], [{}] * 9):
        out = call(op="import_notes", session=session, counts=bad)
        assert out["ok"] is False and "counts" in out["errors"][0]["message"], bad
    assert call(op="import_notes", session=session, counts=[])["ok"]
