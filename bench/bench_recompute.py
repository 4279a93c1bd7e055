"""Settings recompute of a stored history, timed against any unpacked build (to compare two builds back to back).

    python bench/bench_recompute.py --make 10000            # import once, keep a snapshot of the store
    python bench/bench_recompute.py [--ext DIR] [--runs 3]  # load the snapshot, time recomputes

``--make N``: N exchanges imported through the import page (bench_scale.py's ChatGPT exports: 60-word
prompts, 450-word replies, about 1.7 kB a stored record), then ``chrome.storage.local`` saved as JSON
(``--snapshot``). A run loads the snapshot into a fresh profile of the build in ``--ext`` (default:
dist/extension), warms Pyodide and saves new settings ``--runs`` times (other regions and PUEs), timing
each from the save to ``impact_applied`` naming the new settings (bench_scale.py's poll), then checks that
every record carries their key and the aggregates agree with a recount. ``--dump FILE`` writes the
conversation documents after the last run (two builds must give the same file).
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

from bench.bench_scale import RECOMPUTE, exports, import_file  # noqa: E402
from tests.browser.harness import Harness, launch  # noqa: E402

SETTINGS = [("FR", 1.3), ("DE", 1.25), ("PL", 1.4), ("SE", 1.1), ("FR", 1.2)]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--make", type=int, help="import this many exchanges and save the snapshot")
    ap.add_argument("--snapshot", type=Path, default=Path(tempfile.gettempdir()) / "pw-recompute-store.json")
    ap.add_argument("--ext", type=Path, default=REPO / "dist" / "extension", help="unpacked build")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--dump", type=Path, help="write the conversation documents here after the last run")
    args = ap.parse_args()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        profile = tempfile.mkdtemp(prefix="pw-bench-recompute-")
        ctx, sw = launch(p, args.ext, profile)
        try:
            h = Harness(ctx, sw.url.split("/")[2])
            h.probe.goto(h.url("import.html"))  # a probe page that does not redraw on every write
            h.clear()
            if args.make:
                work = Path(tempfile.mkdtemp(prefix="pw-bench-recompute-"))
                t = time.monotonic()
                for f, k in exports(args.make, 60, 450, work):
                    import_file(h, f, k)
                shutil.rmtree(work, ignore_errors=True)
                args.snapshot.write_text(json.dumps(h.local()))
                print(f"{args.make} imported in {time.monotonic() - t:.0f} s -> {args.snapshot}")
                return 0
            snap = json.loads(args.snapshot.read_text())
            n = sum(len(v["exchanges"]) for k, v in snap.items() if k.startswith("conv:"))
            keys = list(snap)
            for i in range(0, len(keys), 200):  # one message each: keep them far below the IPC limit
                h.set_local({k: snap[k] for k in keys[i : i + 200]})
            h.message("reindex")
            h.message("py", {"op": "count", "platform": "chatgpt", "text": "warm"})
            out = []
            for i in range(args.runs):
                region, pue = SETTINGS[i % len(SETTINGS)]
                settings = {"region": region, "grid_g_per_kwh": None, "pue": pue, "wue": None, "badges": True}
                out.append(h.probe.evaluate(RECOMPUTE, [settings, n]))
            assert h.aggregate_mismatches() == []
            if args.dump:
                docs = {k: v for k, v in h.local().items() if k.startswith("conv:")}
                args.dump.write_text(json.dumps(docs, sort_keys=True))
            ms = ", ".join(f"{x / 1000:.2f}" for x in out)
            print(
                f"{n} records, {args.ext}: recompute {ms} s; median {statistics.median(out) / n * 1000:.0f} µs a record"
            )
        finally:
            ctx.close()
            shutil.rmtree(profile, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
