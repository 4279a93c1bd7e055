"""Where the extension's cold boot goes, stage by stage, in real Chromium (Debian's).

    .venv/bin/python bench/bench_boot.py [--runs N] [--ext DIR] [--platform chatgpt]

Builds dist/ (or takes an already built extension with --ext, e.g. one built from another branch
for an A/B run) and copies it with a few lines appended for the bench only: the worker posts its
User Timing marks (``pw:*``, set in extension/worker.js) to the offscreen document, which hands
them to the service worker. Each run is a fresh browser profile; the service worker asks for one
exchange estimate and the clocks of the three contexts (service worker, offscreen document,
worker) are put on one time line with ``performance.timeOrigin``. Prints the median of each stage.
"""

from __future__ import annotations

import argparse
import json
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

from bench_extension import EXCHANGE  # noqa: E402 - the same request as the cold-boot row there

from pycore.chat.sites import site_ids  # noqa: E402
from tests.browser.harness import CHROMIUM, build, launch, wait_for  # noqa: E402

# Appended to the copies only. fsInit runs once the wasm is instantiated, before Python starts
# (a snapshot boot skips it: the mark is then absent).
WORKER_PATCH = """
ready.then(() => self.postMessage({ id: -1, marks: { origin: performance.timeOrigin,
  marks: performance.getEntriesByType("mark").map((m) => [m.name, m.startTime]) } }), () => {});
"""
OFFSCREEN_PATCH = """
worker.addEventListener("message", (e) => {
  if (e.data && e.data.id === -1) chrome.runtime.sendMessage({ target: "bench", type: "bootMarks",
    offscreenOrigin: performance.timeOrigin, ...e.data.marks }).catch(() => {});
});
"""
BACKGROUND_PATCH = """
chrome.runtime.onMessage.addListener((m) => {
  if (m && m.target === "bench" && m.type === "bootMarks") globalThis.__bootMarks = m;
});
"""
TIMED_ABS = """async (req) => {
  const t0 = performance.timeOrigin + performance.now();
  const out = await globalThis.promptwatt.python(req);
  if (!out.ok) throw new Error(JSON.stringify(out.errors));
  return [t0, performance.timeOrigin + performance.now()]; }"""

STAGES = [  # (label, from, to): absolute ms on one time line
    ("service worker request -> offscreen document navigates", "sw", "offscreen"),
    ("offscreen document -> worker created", "offscreen", "worker"),
    ("worker created -> module running (pyodide.mjs loaded)", "worker", "pw:worker-start"),
    ("loadPyodide: wasm fetch/compile/instantiate", "pw:worker-start", "pw:wasm-instantiated"),
    ("loadPyodide: Python start-up", "pw:wasm-instantiated", "pw:pyodide-loaded"),
    ("loadPyodide (whole; from the snapshot if there is one)", "pw:worker-start", "pw:pyodide-loaded"),
    ("pycore.zip: wait for its fetch, unpack", "pw:pyodide-loaded", "pw:bundle-unpacked"),
    (
        "import pycore.browser.entry (a snapshot: already imported)",
        "pw:bundle-unpacked",
        "pw:pycore-imported",
    ),
    ("first exchange (+ reply relay)", "pw:pycore-imported", "done"),
    ("total: request -> first estimate", "sw", "done"),
]


def instrumented(ext_dir: Path, dest: Path) -> Path:
    shutil.copytree(ext_dir, dest)
    worker = (dest / "worker.js").read_text("utf-8")
    if "loadPyodide({" not in worker:
        raise SystemExit("bench_boot: worker.js no longer calls loadPyodide({ ...: update the patch")
    worker = worker.replace(
        "loadPyodide({", 'loadPyodide({ fsInit: async () => { performance.mark("pw:wasm-instantiated"); },', 1
    )
    (dest / "worker.js").write_text(worker + WORKER_PATCH, "utf-8")
    for name, patch in (("offscreen.js", OFFSCREEN_PATCH), ("background.js", BACKGROUND_PATCH)):
        (dest / name).write_text((dest / name).read_text("utf-8") + patch, "utf-8")
    return dest


def one_boot(p, ext_dir: Path, request: dict) -> dict[str, float]:
    profile = tempfile.mkdtemp(prefix="pw-bench-")
    try:
        ctx, sw = launch(p, ext_dir, profile)
        t0, t1 = sw.evaluate(TIMED_ABS, request)
        m = wait_for(
            lambda: sw.evaluate("() => globalThis.__bootMarks || null"), 30, "the worker's boot marks"
        )
        ctx.close()
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    times = {"sw": t0, "done": t1, "offscreen": m["offscreenOrigin"], "worker": m["origin"]}
    times.update({name: m["origin"] + at for name, at in m["marks"]})
    return times


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--ext", type=Path, help="an already built extension folder (default: build this tree)")
    ap.add_argument("--platform", default="chatgpt", choices=site_ids())
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="pw-bench-boot-"))
    try:
        src = args.ext.resolve() if args.ext else build(tmp / "dist")
        ext_dir = instrumented(src, tmp / "instrumented")
        # the cold-boot row's request; on another site its default model
        request = (
            EXCHANGE
            if args.platform == "chatgpt"
            else {**EXCHANGE, "platform": args.platform, "model_label": None}
        )
        from playwright.sync_api import sync_playwright

        with sync_playwright() as p:
            runs = [one_boot(p, ext_dir, request) for _ in range(args.runs)]
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    version = subprocess.run([CHROMIUM, "--version"], capture_output=True, text=True).stdout.strip()
    print(
        f"PromptWatt cold boot by stage — {version}, {platform.machine()}, platform {args.platform}, "
        f"medians of {len(runs)} fresh profiles, ms"
    )
    w = max(len(s[0]) for s in STAGES)
    print(f"| {'stage'.ljust(w)} | median | min-max |")
    print(f"|{'-' * (w + 2)}|-------:|--------:|")
    for label, a, b in STAGES:
        d = [r[b] - r[a] for r in runs if a in r and b in r]
        cell = f"{statistics.median(d):6.0f} | {min(d):.0f}-{max(d):.0f}" if d else "     — | —"
        print(f"| {label.ljust(w)} | {cell} |")
    print(json.dumps(runs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
