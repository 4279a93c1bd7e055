"""Every export reader under the real Pyodide (Python 3.14 in Node), as the import page runs it: the
same generations as CPython from the same bytes, written under a name that says nothing."""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
from pathlib import Path

import pytest
from export_samples import SAMPLES

from pycore.browser.bundle import write_zip
from pycore.exports import detect

REPO = Path(__file__).resolve().parents[1]
RUNNER = REPO / "tools" / "pyodide_run.mjs"
FILES = {
    "claude": "claude/data-2026-03-06-08-00-00-batch-0000.zip",
    "deepseek": "deepseek/deepseek_data-2026-05-15.zip",
    "grok": "grok/grok-export-5e5e5e5e.zip",
    "gemini_json": "gemini/Takeout/My Activity/Gemini Apps/MyActivity.json",
    "gemini_html": "gemini/Takeout-html-variant/My Activity/Gemini Apps/MyActivity.html",
    "lechat": "lechat/chat-export-1775400000000.zip",
    "copilot": "copilot/copilot-activity-history.csv",
    "perplexity": "perplexity/gdpr-data-request/perplexity-conversations.json",
}
SCRIPT = """
import base64, json, sys
from pycore.exports import detect
files = json.loads(open("/args.json").read())
out = {"python": sys.version}
for name, b in files.items():
    p = "/tmp/promptwatt-import-" + name
    open(p, "wb").write(base64.b64decode(b))
    e = detect.load(p)
    out[name] = [e.platform, e.notes, [[c.id, c.title, c.create_time, c.skipped, [
        [g.id, g.parent, g.prompt, g.reply, g.reasoning, g.reasoning_seconds, g.model_slug, g.create_time,
         g.regenerated] for g in c.generations]] for c in e.conversations]]
print(json.dumps(out))
"""


def summary(path: Path) -> list:
    e = detect.load(path)
    return json.loads(
        json.dumps(
            [
                e.platform,
                e.notes,
                [
                    [
                        c.id,
                        c.title,
                        c.create_time,
                        c.skipped,
                        [
                            [
                                g.id,
                                g.parent,
                                g.prompt,
                                g.reply,
                                g.reasoning,
                                g.reasoning_seconds,
                                g.model_slug,
                                g.create_time,
                                g.regenerated,
                            ]
                            for g in c.generations
                        ],
                    ]
                    for c in e.conversations
                ],
            ]
        )
    )


@pytest.mark.pyodide
def test_pyodide_reads_every_export_as_cpython_does(tmp_path):
    node = shutil.which("node")
    if not node or not (REPO / "node_modules" / "pyodide" / "pyodide.mjs").exists():
        pytest.skip(
            "node and the project's npm packages (Pyodide) are needed: scripts/setup.sh installs them"
        )
    bundle = write_zip(tmp_path / "bundle.zip")
    args = tmp_path / "args.json"
    args.write_text(
        json.dumps({k: base64.b64encode((SAMPLES / v).read_bytes()).decode() for k, v in FILES.items()})
    )
    script = tmp_path / "check.py"
    script.write_text(SCRIPT)
    p = subprocess.run(
        [node, str(RUNNER), str(bundle), str(script), str(args)], capture_output=True, text=True, timeout=300
    )
    assert p.returncode == 0, p.stderr[-3000:]
    out = json.loads(p.stdout.strip().splitlines()[-1])
    assert out["python"].startswith("3.14")
    for name, rel in FILES.items():
        anon = tmp_path / f"promptwatt-import-{name}"
        anon.write_bytes((SAMPLES / rel).read_bytes())
        assert out[name] == summary(anon), name
