"""How long `promptwatt history` takes on a large ChatGPT export.

    python bench/bench_history.py [--conversations 200] [--turns 10] [--runs 3]

Builds an export in ChatGPT's ``conversations.json`` shape (the test suite's builder,
``tests/test_history.py``) from real English text (this repository's Markdown, cut into prompts of
~60 words and replies of ~450 words), then times reading it and estimating every generation. Prints
a table: generations, tokens, seconds per phase (median of the runs) and ms per generation.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))

from test_history import Tree  # noqa: E402

from pycore import chatgpt_export  # noqa: E402
from pycore.history import estimate_history  # noqa: E402


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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--conversations", type=int, default=200)
    ap.add_argument("--turns", type=int, default=10)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    data = build(args.conversations, args.turns)
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "conversations.json"
        path.write_text(json.dumps(data), encoding="utf-8")
        size_mb = path.stat().st_size / 1e6
        reads, estimates = [], []
        for _ in range(args.runs):
            t0 = time.perf_counter()
            convs = chatgpt_export.load(path)
            t1 = time.perf_counter()
            h = estimate_history(convs)
            t2 = time.perf_counter()
            reads.append(t1 - t0)
            estimates.append(t2 - t1)
    n = h.total.generations
    read, est = statistics.median(reads), statistics.median(estimates)
    print("| export | generations | tokens in / out | read (s) | estimate (s) | ms per generation |")
    print("|---|---|---|---|---|---|")
    print(f"| {args.conversations} conversations x {args.turns} turns, {size_mb:.1f} MB | {n:,} | "
          f"{h.total.input_tokens:,} / {h.total.output_tokens.central:,.0f} | {read:.2f} | {est:.2f} | "
          f"{1000 * (read + est) / n:.2f} |")
    print(f"median of {args.runs} runs; CPython {sys.version.split()[0]}")


if __name__ == "__main__":
    main()
