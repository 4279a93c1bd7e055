"""The extension at 10,000 and 100,000 stored exchanges, in real Chromium (Debian's) with the built dist/.

    python bench/bench_scale.py [--sizes 10000,100000] [--opens 7] [--words 60,450]

For each size, from an empty profile:
1. import: ChatGPT exports (``conversations.json`` in the .zip ChatGPT sends, built with
   bench_history.py's builder: ``--words`` prompt and reply lengths of real English text, 10 turns a
   conversation, conversations spread over three years) of at most 25,000 generations each, imported
   one after the other on the import page (``import.html``: its Pyodide worker estimates, the service
   worker stores); the clock runs from the Import button to "done", summed over the files;
2. storage: ``chrome.storage.local.getBytesInUse`` of everything, and of the aggregates alone
   (lib/store.js: the index and its month shards), per stored record;
3. popup open -> totals rendered: a new popup page, ``performance.now()`` when the totals are drawn
   (``document.body.dataset.totalsRendered``: from navigation start), median of ``--opens`` opens;
4. recompute: new settings saved -> every stored record recomputed (``impact_applied`` set, polled
   every 50 ms), worker and Pyodide warm.

Prints a Markdown table with the machine (``nproc``, CPU model), date and command.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

from bench.bench_history import words  # noqa: E402
from tests.browser.harness import CHROMIUM, Harness, build, launch, wait_for  # noqa: E402
from tests.test_history import Tree  # noqa: E402

PER_FILE = 25_000  # generations per export file (Pyodide holds one parsed export at a time)
TURNS = 10
SPAN_S = 3 * 365 * 86400  # the conversations are spread over three years


def exports(n: int, prompt_words: int, reply_words: int, folder: Path) -> list[tuple[Path, int]]:
    """ChatGPT export zips holding ``n`` generations in all (linear conversations of TURNS turns)."""
    pool = words()
    pos = 0

    def take(k: int) -> str:
        nonlocal pos
        chunk = [pool[(pos + i) % len(pool)] for i in range(k)]
        pos += k
        return " ".join(chunk)

    n_conv = n // TURNS
    out = []
    for f, start in enumerate(range(0, n_conv, PER_FILE // TURNS)):
        convs = []
        for c in range(start, min(n_conv, start + PER_FILE // TURNS)):
            t = Tree(f"conversation {c}")
            t.t += c * SPAN_S / n_conv
            parent = "root"
            for k in range(TURNS):
                u = t.text(f"u{k}-{c}", parent, "user", take(prompt_words))
                parent = t.text(
                    f"a{k}-{c}",
                    u,
                    "assistant",
                    take(reply_words),
                    slug="gpt-4o" if k % 3 else "gpt-5-thinking",
                )
            convs.append(t.export(f"c{c:06d}-0000-4000-8000-{n:012d}"))
        path = folder / f"export-{n}-{f}.zip"
        with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as z:
            z.writestr("conversations.json", json.dumps(convs))
        out.append((path, len(convs) * TURNS))
    return out


def import_file(h: Harness, path: Path, n: int) -> dict:
    """Seconds from the Import button to "done" for one export file (every generation stored): total,
    to the export read (Pyodide booted, file parsed), and spent waiting for the service worker to store."""
    page = h.context.new_page()
    page.goto(h.url("import.html"))
    page.set_input_files("#file", str(path))
    page.click("#start")
    status = page.locator("[data-testid='import-status']")
    wait_for(lambda: status.get_attribute("data-state") in ("done", "error"), 1800, "the import", interval=1)
    assert status.get_attribute("data-state") == "done", status.inner_text()
    assert status.get_attribute("data-added") == str(n), status.inner_text()
    seconds = {k: float(status.get_attribute(f"data-{k}-ms")) / 1000 for k in ("done", "opened", "store")}
    # Pyodide workers the page shared it out to
    seconds["workers"] = int(status.get_attribute("data-workers"))
    page.close()
    return seconds


# ms from saving new settings to every record recomputed (impact_applied set to their key), polled: a
# storage.onChanged listener here would receive every batch's records and slow the worker down
RECOMPUTE = """async ([settings, n]) => {
  const { impactKey } = await import('/lib/store.js');
  const key = impactKey(settings);
  const t = performance.now();
  // the service worker writes new settings ("options" message); a build from before it watched storage instead
  const r = await chrome.runtime.sendMessage({ target: 'background', type: 'options', data: { settings } }).catch(() => null);
  if (!r || !r.ok) await chrome.storage.local.set({ settings });
  let ms;
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    if ((await chrome.storage.local.get('impact_applied')).impact_applied === key) { ms = performance.now() - t; break; }
  }
  const all = await chrome.storage.local.get(null);
  const recs = Object.entries(all).filter(([k]) => k.startsWith('conv:')).flatMap(([, d]) => d.exchanges);
  const stamped = recs.filter((r) => r.impact_key === key).length;
  if (stamped !== n || recs.length !== n) throw new Error(`${stamped} of ${recs.length} records recomputed`);
  return ms;
}"""

BYTES = """async () => {
  const store = await import('/lib/store.js');
  const all = await chrome.storage.local.get(null);
  const aggregates = Object.keys(all).filter((k) => store.isAggregateKey(k));
  return {all: await chrome.storage.local.getBytesInUse(null), aggregates: await chrome.storage.local.getBytesInUse(aggregates),
          records: Object.entries(all).filter(([k]) => k.startsWith('conv:')).reduce((n, [, d]) => n + d.exchanges.length, 0),
          shards: aggregates.length, index: await chrome.storage.local.getBytesInUse('index')};
}"""


def popup_opens(h: Harness, n: int, opens: int) -> list[float]:
    out = []
    for _ in range(opens):
        page = h.context.new_page()
        page.goto(h.url("popup.html"))
        page.wait_for_selector(
            f"[data-testid='totals'][data-exchanges='{n}']", state="attached", timeout=120_000
        )
        out.append(float(page.evaluate("() => document.body.dataset.totalsRendered")))
        page.close()
    return out


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="10000,100000", help="stored exchanges, comma-separated")
    ap.add_argument("--opens", type=int, default=7, help="popup opens per size (median)")
    ap.add_argument("--words", default="60,450", help="words per prompt and per reply")
    args = ap.parse_args()
    sizes = [int(x) for x in args.sizes.split(",")]
    prompt_words, reply_words = (int(x) for x in args.words.split(","))
    work = Path(tempfile.mkdtemp(prefix="pw-bench-scale-"))
    rows = []
    try:
        ext_dir = build(work / "dist")
        from playwright.sync_api import sync_playwright

        with sync_playwright() as p:
            for n in sizes:
                files = exports(n, prompt_words, reply_words, work)
                mb = sum(f.stat().st_size for f, _ in files) / 1e6
                profile = work / f"profile-{n}"
                ctx, sw = launch(p, ext_dir, str(profile))
                try:
                    h = Harness(ctx, sw.url.split("/")[2])
                    h.probe.goto(
                        h.url("import.html")
                    )  # the probe: a page that does not redraw on every write
                    h.clear()
                    imported = [import_file(h, f, k) for f, k in files]
                    size = h.probe.evaluate(BYTES)
                    assert size["records"] == n, size
                    opens = popup_opens(h, n, args.opens)
                    settings = {"region": "FR", "grid_g_per_kwh": None, "pue": 1.3, "badges": True}
                    recompute_ms = h.probe.evaluate(RECOMPUTE, [settings, n])
                    load = os.getloadavg()[0]
                    rows.append(
                        {
                            "n": n,
                            "files": len(files),
                            "zip_mb": mb,
                            "import_s": sum(f["done"] for f in imported),
                            "import_files_s": imported,
                            "popup_ms": opens,
                            "recompute_s": recompute_ms / 1000,
                            "load": load,
                            **size,
                        }
                    )
                finally:
                    ctx.close()
                    shutil.rmtree(profile, ignore_errors=True)
                    for f, _ in files:
                        f.unlink()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    chromium = subprocess.run([CHROMIUM, "--version"], capture_output=True, text=True).stdout.strip()
    print(
        f"PromptWatt at scale — {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC; {cpu_model()}, nproc "
        f"{os.cpu_count()}; {chromium}; Python {platform.python_version()}"
    )
    print(f"command: python bench/bench_scale.py {' '.join(sys.argv[1:])}".rstrip())
    print(
        f"exports: ChatGPT's shape, {TURNS} turns a conversation, {prompt_words}-word prompts and "
        f"{reply_words}-word replies, at most {PER_FILE:,} generations a file, imported one after the other"
    )
    print()
    print(
        "| stored exchanges | load average (1 min) | popup open → totals rendered (median) | import (all files) | recompute | "
        "storage per record | of which aggregates |"
    )
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        med = statistics.median(r["popup_ms"])
        print(
            f"| {r['n']:,} | {r['load']:.1f} | {med:.0f} ms ({min(r['popup_ms']):.0f}–{max(r['popup_ms']):.0f}, {len(r['popup_ms'])} "
            f"opens) | {r['import_s']:.0f} s ({r['files']} file{'s' if r['files'] > 1 else ''}, "
            f"{max(f['workers'] for f in r['import_files_s'])} workers, "
            f"{r['zip_mb']:.0f} MB zipped; {1000 * r['import_s'] / r['n']:.2f} ms per generation) | "
            f"{r['recompute_s']:.1f} s | {r['all'] / r['n']:.0f} B ({r['all'] / 1e6:.1f} MB in all) | "
            f"{r['aggregates'] / r['n']:.1f} B ({r['shards']} keys, index {r['index'] / 1e3:.1f} kB) |"
        )
    print()
    print(json.dumps(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
