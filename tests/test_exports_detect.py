"""Which service an export comes from is told from the file itself (zip, folder or lone file, whatever
its name); a forced reader refuses another service's shape; an unknown file is refused with the
formats known; and the extension's import session reads every format the same way."""

from __future__ import annotations

import json
import zipfile

import pytest
from export_samples import SAMPLES, cli, copy_sample
from test_history import branchy, linear

from pycore.browser.entry import handle
from pycore.chat.sites import site_ids
from pycore.errors import InvalidInput
from pycore.exports import detect
from pycore.exports.history import estimate_history

SAMPLE_FILES = [
    ("claude/data-2026-03-06-08-00-00-batch-0000.zip", "claude", 4),
    ("claude/data-2026-03-06-08-00-00-batch-0000/conversations.json", "claude", 4),
    ("deepseek/deepseek_data-2026-05-15.zip", "deepseek", 4),
    ("deepseek/deepseek_data", "deepseek", 4),
    ("grok/grok-export-5e5e5e5e.zip", "grok", 4),
    (
        "grok/export/ttl/30d/export_data/5e5e5e5e-0000-4000-8000-00000000beef/prod-grok-backend.json",
        "grok",
        4,
    ),
    ("gemini/Takeout", "gemini", 4),
    ("gemini/Takeout/My Activity/Gemini Apps/MyActivity.json", "gemini", 4),
    ("gemini/Takeout-html-variant/My Activity/Gemini Apps/MyActivity.html", "gemini", 1),
    ("lechat/chat-export-1775400000000.zip", "mistral", 3),
    ("lechat/chat-export-1775400000000/chat-6b0f3a2e-1d4c-4e5f-8a9b-000000000001.json", "mistral", 2),
    ("copilot", "copilot", 4),
    ("copilot/copilot-activity-history.csv", "copilot", 3),
    ("perplexity/gdpr-data-request/perplexity-conversations.json", "perplexity", 2),
    ("perplexity/third-party-thread-capture/composting-basics.json", "perplexity", 2),
]


@pytest.mark.parametrize(("rel", "platform", "generations"), SAMPLE_FILES)
def test_each_sample_is_read_as_its_services_whatever_its_name(rel, platform, generations, tmp_path):
    assert (detect.load(SAMPLES / rel).platform, detect.load(SAMPLES / rel).generations) == (
        platform,
        generations,
    )
    src = SAMPLES / rel
    if src.is_file():  # the import page writes the bytes under a name that says nothing
        anon = tmp_path / "promptwatt-import-1"
        anon.write_bytes(src.read_bytes())
        assert (detect.load(anon).platform, detect.load(anon).generations) == (platform, generations)


def test_chatgpts_export_is_still_chatgpts(tmp_path):
    p = tmp_path / "conversations.json"
    p.write_text(json.dumps([linear().export("a"), branchy().export("b")]), encoding="utf-8")
    export = detect.load(p)
    assert export.platform == "chatgpt" and export.generations == 7


@pytest.mark.parametrize(
    ("rel", "forced", "says"),
    [
        (
            "deepseek/deepseek_data/conversations.json",
            "chatgpt",
            "not ChatGPT's export: it looks like DeepSeek's",
        ),
        (
            "claude/data-2026-03-06-08-00-00-batch-0000/conversations.json",
            "deepseek",
            "not DeepSeek's export: it looks like Claude's",
        ),
        ("copilot/copilot-activity-history.csv", "gemini", "not Gemini's export: it looks like Copilot's"),
    ],
)
def test_a_forced_reader_refuses_another_services_shape(rel, forced, says):
    with pytest.raises(InvalidInput, match=says):
        detect.load(SAMPLES / rel, forced)


def test_a_forced_reader_reads_its_own_and_aliases_name_le_chat():
    assert detect.load(SAMPLES / "lechat" / "chat-export-1775400000000.zip", "lechat").platform == "mistral"
    with pytest.raises(InvalidInput, match="no export reader for 'myspace'"):
        detect.load(SAMPLES / "copilot", "myspace")


@pytest.mark.parametrize("content", ['{"hello": "world"}', "[]", "name,value\r\na,1\r\n", "<html>hi</html>"])
def test_an_unrecognised_file_exits_2_and_names_the_formats_known(tmp_path, content):
    p = tmp_path / "mystery"
    p.write_text(content, encoding="utf-8")
    out = cli("history", str(p))
    assert out.returncode == 2 and "not a chat export PromptWatt can read" in out.stderr
    for name in ("ChatGPT", "Claude", "DeepSeek", "Grok", "Gemini", "Le Chat", "Copilot", "Perplexity"):
        assert name in out.stderr


def test_a_zip_holding_two_services_exports_is_refused_unless_one_is_chosen(tmp_path):
    z = tmp_path / "both.zip"
    with zipfile.ZipFile(z, "w") as f:
        f.write(SAMPLES / "deepseek/deepseek_data/conversations.json", "deepseek/conversations.json")
        f.write(
            SAMPLES
            / "grok/export/ttl/30d/export_data/5e5e5e5e-0000-4000-8000-00000000beef/prod-grok-backend.json",
            "grok/prod-grok-backend.json",
        )
    with pytest.raises(InvalidInput, match=r"several services \(DeepSeek, Grok\)"):
        detect.load(z)
    assert detect.load(z, "deepseek").generations == 4


def test_cli_history_platform_flag_forces_the_reader(tmp_path):
    p = copy_sample("deepseek/deepseek_data/conversations.json", tmp_path)
    out = cli("history", str(p), "--platform", "chatgpt")
    assert out.returncode == 2 and "not ChatGPT's export" in out.stderr
    out = cli("history", str(p), "--platform", "deepseek", "--json")
    assert out.returncode == 0 and json.loads(out.stdout)["total"]["generations"] == 4


# -- the extension's import session ------------------------------------------------------------


def call(**req):
    return json.loads(handle(json.dumps(req)))


def run_import(path, **req) -> tuple[dict, list[dict]]:
    opened = call(op="import_open", path=str(path), region="FR", **req)
    assert opened["ok"], opened
    batches = []
    while True:
        out = call(op="import_next", session=opened["value"]["session"], max_generations=3)
        assert out["ok"], out
        batches.append(out["value"])
        if out["value"]["finished"]:
            return opened["value"], batches


@pytest.mark.parametrize(("rel", "platform", "generations"), SAMPLE_FILES)
def test_the_import_session_reads_every_format_and_matches_the_history(rel, platform, generations, tmp_path):
    if platform not in site_ids():
        pytest.skip(
            f"platform {platform!r} is not in the site registry on this branch (added by another branch)"
        )
    expected = detect.load(SAMPLES / rel)
    src = copy_sample(rel, tmp_path)
    if src.is_dir():  # the page hands over one file: the folder zipped, as downloaded
        z = tmp_path / "export.zip"
        with zipfile.ZipFile(z, "w") as f:
            for p in sorted(src.rglob("*")):
                if p.is_file():
                    f.write(p, p.relative_to(src).as_posix())
        src = z
    opened, batches = run_import(src)
    assert opened["platform"] == platform and opened["total"]["generations"] == generations
    assert not src.exists()  # the copy written for the import is removed once read
    recs = [r for b in batches for c in b["conversations"] for r in c["records"]]
    assert [r["gen"] for r in recs] == [g.id for c in expected.conversations for g in c.generations]
    h = estimate_history(expected.conversations, region="FR")
    assert sum(r["value"]["energy_wh"] for r in recs) == pytest.approx(h.total.gpu_wh.central, rel=1e-9)
    for r in recs:
        assert r["model_assumed"] is (
            r["gen"] in {g.id for c in expected.conversations for g in c.generations if g.model_slug is None}
        )
        assert isinstance(r["model_label"], str) and r["model_label"]
    assert all(n in batches[-1]["notes"] for n in expected.notes)


def test_every_export_reader_reads_for_a_registered_site():
    """An export is estimated with its site's platform data: a reader without a site would be refused."""
    assert set(detect.READERS) <= set(site_ids()), set(detect.READERS) - set(site_ids())


def test_one_damaged_chatgpt_conversation_is_reported_and_skipped_not_the_whole_export(tmp_path):
    damaged = linear().export("bad")
    damaged["mapping"]["u1"]["children"] = "nope"
    p = tmp_path / "conversations.json"
    p.write_text(json.dumps([linear().export("a"), damaged, branchy().export("b")]), encoding="utf-8")
    export = detect.load(p)
    assert [(c.id, len(c.generations)) for c in export.conversations] == [("a", 3), ("bad", 0), ("b", 4)]
    h = estimate_history(export.conversations)
    assert h.total.generations == 7
    assert any(
        n.startswith("1 x damaged conversation skipped (bad: conversation bad: node 'u1'") for n in h.notes
    )
