"""Shared by the tests of the export readers: where the synthetic samples are, and the checks that
tie a history to `promptwatt chat` on the same turns along each generation's branch."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from pycore.chat.conversation import estimate_conversation
from pycore.chat.sites import site_ids
from pycore.exports.model import Conversation, Generation

SAMPLES = Path(__file__).resolve().parent / "fixtures" / "exports"


def utc(*args: int, us: int = 0) -> float:
    """Epoch seconds of a UTC wall time written by hand (the expected values of the tests)."""
    return dt.datetime(*args, us, tzinfo=dt.UTC).timestamp()


def needs_platform(platform: str) -> pytest.MarkDecorator:
    """End-to-end tests of a platform that another branch adds to the registry: they run after the merge."""
    return pytest.mark.skipif(
        platform not in site_ids(),
        reason=f"platform {platform!r} is not in the site registry on this branch "
        "(its platform data is added by another branch; runs after the merge)",
    )


def branch(g: Generation, by_id: dict[str, Generation]) -> list[Generation]:
    """The generations along ``g``'s own branch, from the conversation's first to ``g``."""
    out = [g]
    while out[-1].parent is not None:
        out.append(by_id[out[-1].parent])
    return out[::-1]


def as_turn(g: Generation) -> dict:
    return {
        "prompt": g.prompt,
        "reply": g.reply,
        "reasoning": g.reasoning,
        "reasoning_seconds": g.reasoning_seconds,
    }


def expected_gpu_wh(convs: list[Conversation], platform: str, label_of) -> float:
    """The central GPU Wh of every generation, each estimated by `promptwatt chat` as the last turn of
    the conversation made of its own branch (so its context is its branch's prompts and replies)."""
    total = 0.0
    for c in convs:
        by_id = {g.id: g for g in c.generations}
        for g in c.generations:
            turns = branch(g, by_id)
            est = estimate_conversation([as_turn(t) for t in turns], platform, label_of(g))
            total += est.exchanges[-1].gpu_wh.central
    return total


def copy_sample(rel: str, tmp_path: Path) -> Path:
    """A copy of a sample (the import removes the file it reads)."""
    src = SAMPLES / rel
    dest = tmp_path / src.name
    if src.is_dir():
        shutil.copytree(src, dest)
    else:
        shutil.copyfile(src, dest)
    return dest


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "pycore", *args], capture_output=True, text=True, timeout=300
    )


def history_json(path: Path, *args: str) -> dict:
    out = cli("history", str(path), "--json", *args)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)
