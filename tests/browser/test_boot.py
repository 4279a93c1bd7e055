"""The Pyodide worker boots from the memory snapshot build.py made (pycore imported, caches warm),
and a worker that cannot use it boots the plain way and answers exactly the same."""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path
from types import SimpleNamespace

from .harness import Harness, launch

# One of each request kind, through all four tokenizers.
REQUESTS = [
    {
        "op": "exchange",
        "platform": "chatgpt",
        "model_label": "GPT-4o",
        "turn_index": 0,
        "context_tokens": 0,
        "prompt": "Why does pasta cook slower in the mountains? 山",
        "reply": "Water boils below 100 °C up there. " * 9,
    },
    {
        "op": "exchange",
        "platform": "gemini",
        "model_label": None,
        "turn_index": 2,
        "context_tokens": 400,
        "prompt": "And a pressure cooker?",
        "reply": "It raises the boiling point to about 120 °C.",
        "region": "FR",
    },
    {
        "op": "exchange",
        "platform": "deepseek",
        "model_label": "DeepSeek-R1 (DeepThink)",
        "turn_index": 1,
        "context_tokens": 80,
        "prompt": "def f(x):\n\treturn x ** 2",
        "reply": "It squares x. 👩🏽‍💻",
        "reasoning": "The user asks about f.",
        "reasoning_seconds": 7,
    },
    {"op": "count", "platform": "chatgpt", "model_label": "GPT-4", "text": "cl100k_base counts this"},
    {
        "op": "impact",
        "pue": 1.25,
        "region": "DE",
        "records": [
            {
                "platform": "gemini",
                "model_label": None,
                "energy_wh_low": 0.1,
                "energy_wh": 0.2,
                "energy_wh_high": 0.5,
            }
        ],
    },
    {"op": "info"},
]


def boot(h: Harness) -> dict:
    """How the open offscreen document's worker booted: {"from": "snapshot" | "fresh", "snapshotError"}."""
    h.message("py", {"op": "info"})  # the document open and its worker booted
    out = h.probe.evaluate("() => chrome.runtime.sendMessage({target: 'offscreen', type: 'boot'})")
    assert out and out["ok"], out
    return json.loads(out["result"])


def answers(h: Harness) -> list[dict]:
    """Each request through the service worker's python(), as an exchange takes it."""
    h.message("status")  # an event: starts the service worker if Chrome had stopped it
    prefix = h.url("")
    sw = next(w for w in reversed(h.context.service_workers) if w.url.startswith(prefix))
    return [sw.evaluate("(r) => globalThis.promptwatt.python(r)", r) for r in REQUESTS]


def test_the_worker_boots_from_the_build_snapshot(ext: Harness):
    assert boot(ext) == {"from": "snapshot", "snapshotError": None}
    assert all(a["ok"] for a in answers(ext))


def test_a_worker_that_cannot_use_the_snapshot_boots_plainly_and_answers_the_same(
    ext: Harness, extension_dir: Path
):
    """The same requests in a second browser whose snapshot is damaged (its magic number zeroed)."""
    work = Path(tempfile.mkdtemp(prefix="promptwatt-boot-"))
    try:
        damaged = work / "extension"
        shutil.copytree(extension_dir, damaged)
        snapshot = damaged / "pycore" / "snapshot.bin"
        data = snapshot.read_bytes()
        snapshot.write_bytes(bytes(4) + data[4:])
        ctx, sw = launch(
            SimpleNamespace(chromium=ext.context.browser.browser_type), damaged, str(work / "profile")
        )
        try:
            plain = Harness(ctx, sw.url.split("/")[2])
            how = boot(plain)
            assert how["from"] == "fresh" and "magic" in how["snapshotError"], how
            assert answers(plain) == answers(ext)  # every digit, the snapshot-booted worker included
        finally:
            ctx.close()
    finally:
        shutil.rmtree(work, ignore_errors=True)
