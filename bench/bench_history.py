"""How long `promptwatt history` takes on a large ChatGPT export.

    python bench/bench_history.py [--conversations 200] [--turns 10] [--runs 3] [--extension]

Builds an export in ChatGPT's ``conversations.json`` shape (the test suite's builder,
``tests/test_history.py``) from real English text (this repository's Markdown, cut into prompts of
~60 words and replies of ~450 words), then times reading it and estimating every generation. Prints
a table: generations, tokens, seconds per phase (median of the runs) and ms per generation.

``--extension`` times the same export (as the .zip ChatGPT sends) imported through the built
extension in Debian's Chromium instead: the import page (``import.html``) is given the file, and
the clock runs from its Import button to "done" (its own Pyodide worker booted, the export read,
every generation estimated and stored by the service worker), storage cleared between runs.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

from pycore.exports import chatgpt  # noqa: E402
from pycore.exports.history import estimate_history  # noqa: E402
from tests.test_history import Tree  # noqa: E402


def words() -> list[str]:
    out: list[str] = []
    for p in sorted(REPO.glob("**/*.md")):
        if "node_modules" in p.parts or ".venv" in p.parts:
            continue
        out.extend(p.read_text(encoding="utf-8", errors="ignore").split())
    return out


def build(n_conv: int, turns: int) -> list[dict]:
    pool = words()
    pos = 0

    def take(n: int) -> str:
        nonlocal pos
        chunk = [pool[(pos + i) % len(pool)] for i in range(n)]
        pos += n
        return " ".join(chunk)

    convs = []
    for c in range(n_conv):
        t = Tree(f"conversation {c}")
        parent = "root"
        for k in range(turns):
            u = t.text(f"u{k}", parent, "user", take(60))
            parent = t.text(f"a{k}", u, "assistant", take(450), slug="gpt-4o" if k % 3 else "gpt-5-thinking")
        convs.append(t.export(f"c{c}"))
    return convs


def extension(data: list[dict], runs: int, label: str) -> None:
    """Import ``data`` through the extension's import page ``runs`` times; prints the table."""
    import zipfile

    from playwright.sync_api import sync_playwright

    from tests.browser.harness import CHROMIUM, Harness, launch, wait_for
    from tests.browser.harness import build as build_extension

    n = sum(
        1
        for c in data
        for node in c["mapping"].values()
        if node["message"] and node["message"]["author"]["role"] == "assistant"
    )
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "chatgpt-export.zip"
        with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as z:
            z.writestr("conversations.json", json.dumps(data))
        size_mb = path.stat().st_size / 1e6
        ext_dir = build_extension(Path(d) / "dist")
        with sync_playwright() as p:
            ctx, sw = launch(p, ext_dir, str(Path(d) / "profile"))
            h = Harness(ctx, sw.url.split("/")[2])
            rows = []
            for _ in range(runs):
                h.message("clear")
                page = ctx.new_page()
                page.goto(h.url("import.html"))
                page.set_input_files("#file", str(path))
                page.click("#start")
                status = page.locator("[data-testid='import-status']")
                wait_for(lambda: status.get_attribute("data-state") in ("done", "error"), 900, "the import")  # noqa: B023
                assert status.get_attribute("data-state") == "done", status.inner_text()
                assert status.get_attribute("data-added") == str(n), status.inner_text()
                rows.append(
                    {
                        k: float(status.get_attribute(f"data-{k}-ms")) / 1000
                        for k in ("opened", "done", "store")
                    }
                )
                page.close()
            ctx.close()
    med = lambda k: statistics.median(r[k] for r in rows)  # noqa: E731
    print(
        "| export | generations | boot + read (s) | estimate + store (s) | of which storing (s) | total (s) "
        "| ms per generation |"
    )
    print("|---|---|---|---|---|---|---|")
    print(
        f"| {label}, {size_mb:.1f} MB zip | {n:,} | {med('opened'):.2f} | {med('done') - med('opened'):.2f} | "
        f"{med('store'):.2f} | {med('done'):.2f} | {1000 * med('done') / n:.2f} |"
    )
    chromium = subprocess.run([CHROMIUM, "--version"], capture_output=True, text=True).stdout.strip()
    print(f"median of {runs} imports; {chromium}, {platform.machine()}, {os.cpu_count()} cores")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--conversations", type=int, default=200)
    ap.add_argument("--turns", type=int, default=10)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument(
        "--extension", action="store_true", help="time the import page of the built extension instead"
    )
    args = ap.parse_args()
    data = build(args.conversations, args.turns)
    if args.extension:
        extension(data, args.runs, f"{args.conversations} conversations x {args.turns} turns")
        return
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "conversations.json"
        path.write_text(json.dumps(data), encoding="utf-8")
        size_mb = path.stat().st_size / 1e6
        reads, estimates = [], []
        for _ in range(args.runs):
            t0 = time.perf_counter()
            convs = chatgpt.load(path)
            t1 = time.perf_counter()
            h = estimate_history(convs)
            t2 = time.perf_counter()
            reads.append(t1 - t0)
            estimates.append(t2 - t1)
    n = h.total.generations
    read, est = statistics.median(reads), statistics.median(estimates)
    print("| export | generations | tokens in / out | read (s) | estimate (s) | ms per generation |")
    print("|---|---|---|---|---|---|")
    print(
        f"| {args.conversations} conversations x {args.turns} turns, {size_mb:.1f} MB | {n:,} | "
        f"{h.total.input_tokens:,} / {h.total.output_tokens.central:,.0f} | {read:.2f} | {est:.2f} | "
        f"{1000 * (read + est) / n:.2f} |"
    )
    print(f"median of {args.runs} runs; CPython {sys.version.split()[0]}")


if __name__ == "__main__":
    main()
