"""What closing the idle offscreen document saves, and what reopening it costs, in real Chromium.

    .venv/bin/python bench/bench_offscreen.py [--cycles N]

One browser with the built extension (fresh profile). Per cycle: the document open and warm
(Pyodide booted, an exchange estimated) -> memory of the browser's processes; then the idle period
shortened (``debug.offscreenIdleMs``), the document left to close itself -> memory again once it
has settled; then the first exchange after the close, timed (the document and Pyodide boot again).
Memory is read from /proc (Linux): RSS and PSS (smaps_rollup) of the browser process and all its
descendants, and of the extension's renderer process alone (``--extension-process``).
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
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

from bench_extension import EXCHANGE, TIMED  # noqa: E402 - the same request, timed the same way

from tests.browser.harness import CHROMIUM, build, launch, wait_for  # noqa: E402

LONG_MS = 600_000
SHORT_MS = 1000


# -- /proc --------------------------------------------------------------------------------------------


def _children() -> dict[int, list[int]]:
    kids: dict[int, list[int]] = {}
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            stat = (d / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat[stat.rindex(")") + 2 :].split()[1])  # the name in () may hold spaces
        kids.setdefault(ppid, []).append(int(d.name))
    return kids


def browser_pid(profile: str) -> int:
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            args = (d / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if f"--user-data-dir={profile}".encode() in args and not any(a.startswith(b"--type=") for a in args):
            return int(d.name)
    raise RuntimeError(f"no browser process with profile {profile}")


def _kib(pid: int) -> tuple[int, int]:
    """(RSS, PSS) in KiB; (0, 0) for a process that has gone."""
    try:
        fields = dict(
            line.split(":", 1) for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]
        )
    except (OSError, ValueError):
        return 0, 0
    return int(fields["Rss"].split()[0]), int(fields["Pss"].split()[0])


def memory(root: int) -> dict[str, float]:
    """MB of RSS and PSS: the browser and all its descendants, and the extension's renderer alone."""
    kids = _children()
    tree, todo = [], [root]
    while todo:
        pid = todo.pop()
        tree.append(pid)
        todo.extend(kids.get(pid, []))
    out = {"rss": 0.0, "pss": 0.0, "ext_rss": 0.0, "ext_pss": 0.0, "processes": len(tree)}
    for pid in tree:
        rss, pss = _kib(pid)
        out["rss"] += rss / 1024
        out["pss"] += pss / 1024
        try:  # a substring test: renderers rewrite their argv into one string
            is_ext = b"--extension-process" in Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            is_ext = False
        if is_ext:
            out["ext_rss"] += rss / 1024
            out["ext_pss"] += pss / 1024
    return out


def settled(root: int, timeout: float = 15.0) -> dict[str, float]:
    """Memory once total PSS has moved less than 2 MB over 1 s (freed pages reach the OS late)."""
    prev = memory(root)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        time.sleep(1.0)
        cur = memory(root)
        if abs(cur["pss"] - prev["pss"]) < 2.0:
            return cur
        prev = cur
    return prev


# -- the cycle ------------------------------------------------------------------------------------------


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cycles", type=int, default=3)
    args = ap.parse_args()
    out_dir = Path(tempfile.mkdtemp(prefix="pw-bench-dist-"))
    ext_dir = build(out_dir)
    from playwright.sync_api import sync_playwright

    opened, closed, reboot, warm = [], [], [], []
    profile = tempfile.mkdtemp(prefix="pw-bench-")
    try:
        with sync_playwright() as p:
            ctx, sw = launch(p, ext_dir, profile)
            root = browser_pid(profile)

            def set_idle(ms: int) -> None:
                sw.evaluate("ms => chrome.storage.local.set({debug: {offscreenIdleMs: ms}})", ms)

            def has_offscreen() -> bool:
                return sw.evaluate("() => globalThis.promptwatt.hasOffscreen()")

            set_idle(LONG_MS)
            first = sw.evaluate(TIMED, EXCHANGE)  # the browser's first boot (not a re-boot)
            for _ in range(args.cycles):
                warm.extend(sw.evaluate(TIMED, EXCHANGE) for _ in range(3))
                opened.append(settled(root))
                set_idle(SHORT_MS)
                sw.evaluate(TIMED, {"op": "info"})  # the open document takes the short period from a request
                wait_for(lambda: not has_offscreen(), 30, "the idle document to close")
                closed.append(settled(root))
                set_idle(LONG_MS)
                reboot.append(sw.evaluate(TIMED, EXCHANGE))
                assert has_offscreen()
            ctx.close()
    finally:
        shutil.rmtree(profile, ignore_errors=True)
        shutil.rmtree(out_dir, ignore_errors=True)

    med = statistics.median

    def mb(rows: list[dict], key: str) -> float:
        return med(r[key] for r in rows)

    rows = []
    for key, name in (
        ("pss", "browser + children, PSS"),
        ("rss", "browser + children, RSS"),
        ("ext_pss", "extension process, PSS"),
        ("ext_rss", "extension process, RSS"),
    ):
        o, c = mb(opened, key), mb(closed, key)
        rows.append((name, f"{o:.0f} MB", f"{c:.0f} MB", f"{o - c:.0f} MB"))
    version = subprocess.run([CHROMIUM, "--version"], capture_output=True, text=True).stdout.strip()
    print(
        f"PromptWatt offscreen idle close — {version}, {platform.machine()}, medians of {args.cycles} cycles"
    )
    print("| memory | document open | after idle close | saved |")
    print("|---|---|---|---|")
    for r in rows:
        print("| " + " | ".join(r) + " |")
    print()
    print("| time | value | notes |")
    print("|---|---|---|")
    print(
        f"| first exchange after an idle close (re-boot) | {med(reboot) / 1000:.2f} s | "
        f"{', '.join(f'{x / 1000:.2f}' for x in reboot)} s |"
    )
    print(f"| first exchange of the browser session (boot) | {first / 1000:.2f} s | one |")
    print(f"| warm exchange (document open) | {med(warm):.0f} ms | median of {len(warm)} |")
    print(
        json.dumps(
            {"opened": opened, "closed": closed, "reboot_ms": reboot, "first_ms": first, "warm_ms": warm}
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
