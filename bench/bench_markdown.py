"""How close the content script's reading of rendered Markdown comes to the Markdown's token count.

    .venv/bin/python bench/bench_markdown.py [--root DIR ...] [--worst N]

Corpus: human-written ``*.md`` found offline (default: this repository's tracked files, its
node_modules, npm's global packages and Node's docs where installed; ``--root`` adds folders), legal
texts and duplicates left out, HTML comments removed (they never reach a page).
Each document is rendered to HTML by markdown-it-py (CommonMark + tables + strikethrough), loaded
into Chromium (Debian's) and read back by ``PromptWatt.dom.readText`` of extension/content/common.js,
as plain visible text and with ``{markdown: true}``. Source and both readings are counted with
o200k (pycore.chat.tokenizers); the table gives |count/source - 1| over the documents. It also times
readText both ways on every document (best of 5 interleaved reads, summed over the corpus).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

from tests.browser.harness import CHROMIUM, LAUNCH_ARGS  # noqa: E402
from tests.browser.md_corpus import TIME_READS, Counts, counts, default_roots, documents, open_reader  # noqa: E402


def quantile(xs: list[float], q: float) -> float:
    s = sorted(xs)
    return s[min(len(s) - 1, round(q * (len(s) - 1)))]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--root", action="append", type=Path, default=[], help="another folder of *.md files")
    ap.add_argument(
        "--worst", type=int, default=5, help="list the N documents the Markdown reading misses most"
    )
    args = ap.parse_args()
    roots = default_roots() + [r.resolve() for r in args.root]
    docs = documents(roots)
    if not docs:
        print("no Markdown documents found under " + ", ".join(map(str, roots)), file=sys.stderr)
        return 1
    from playwright.sync_api import sync_playwright

    results: list[tuple[Path, Counts]] = []
    t0 = time.perf_counter()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=LAUNCH_ARGS)
        context = browser.new_context()
        context.route("**/*", lambda route: route.abort())  # images in the READMEs stay offline
        page = open_reader(context)
        for doc in docs:
            results.append((doc.path, counts(page, doc)))
        html_bytes = 0
        ms = {"plain": 0.0, "markdown": 0.0}
        for doc in docs:
            html = doc.html
            html_bytes += len(html.encode())
            best = page.evaluate(TIME_READS, [html, 5])
            for k in ms:
                ms[k] += best[k]
        browser.close()
    secs = time.perf_counter() - t0

    chromium = subprocess.run([CHROMIUM, "--version"], capture_output=True, text=True).stdout.strip()
    print(
        f"Markdown read-back bench — {chromium}, {platform.machine()}, {os.cpu_count()} cores, "
        f"{len(docs)} documents from {', '.join(str(r) for r in roots if r.exists())} ({secs:.0f} s)"
    )
    source = sum(c.source for _, c in results)
    rows = []
    for which, name in (("plain", "visible text (before)"), ("markdown", "Markdown reconstruction (after)")):
        errs = [c.error(which) for _, c in results]
        total = sum(getattr(c, which) for _, c in results)
        rows.append(
            (
                name,
                f"{statistics.median(errs):.1%}",
                f"{quantile(errs, 0.9):.1%}",
                f"{total / source - 1:+.1%}",
            )
        )
    head = ("reading", "median |count/source-1|", "p90", "all tokens vs source")
    w = [max(len(r[i]) for r in [head, *rows]) for i in range(4)]
    print("| " + " | ".join(h.ljust(w[i]) for i, h in enumerate(head)) + " |")
    print("|" + "|".join("-" * (x + 2) for x in w) + "|")
    for r in rows:
        print("| " + " | ".join(v.ljust(w[i]) for i, v in enumerate(r)) + " |")
    print(f"\nsource tokens: {source:,}")
    print(
        f"readText over the corpus ({html_bytes / 1e6:.1f} MB of HTML, best of 5 each): plain {ms['plain']:.0f} ms, "
        f"markdown {ms['markdown']:.0f} ms ({ms['markdown'] / ms['plain']:.2f}x; "
        f"{ms['markdown'] / html_bytes * 1e5:.2f} ms per 100 kB)"
    )
    if args.worst:
        print(f"\nlargest Markdown-reading errors (of {len(results)}):")
        for path, c in sorted(results, key=lambda r: -r[1].error("markdown"))[: args.worst]:
            print(
                f"  {c.markdown / c.source - 1:+.1%}  (plain {c.plain / c.source - 1:+.1%}, "
                f"{c.source} tokens)  {path}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
