"""What each fixture must yield: the texts a reader sees (screen-reader labels, buttons, citation
chips and hidden reasoning panels left out), the model label the page shows, the reasoning time.
Prompts are the plain text the user typed; replies and reasoning are the Markdown the model
emitted, as the rendered HTML shows it (``**bold**``, ``- `` items, fenced code with the language
of the site's code-block header, ``$TeX$``; blocks a blank line apart, list items a line apart).

Each fixture page ``fixtures/<name>.html`` has its expectations beside it in ``fixtures/<name>.json``
(platform, URL, conversation id, model label, title, turns; a site's main fixture also lists the
conversation ids its adapter must read from URLs). Written by reading the fixture HTML, not by running
the adapters: they are the adapters' spec. A new site adds its files; nothing here names a site.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from pycore.chat.sites import all_sites

FIXTURES = Path(__file__).resolve().parent / "fixtures"


@dataclass(frozen=True)
class Turn:
    prompt: str
    reply: str
    reasoning: str = ""
    reasoning_seconds: float | None = None

    def as_dict(self) -> dict:
        return {
            "prompt": self.prompt,
            "reply": self.reply,
            "reasoning": self.reasoning,
            "reasoning_seconds": self.reasoning_seconds,
        }


@dataclass(frozen=True)
class Fixture:
    name: str
    platform: str
    url: str  # where the page lives (its conversation id is replaced per test)
    conversation_id: str
    model_label: str
    turns: tuple[Turn, ...] = field(default_factory=tuple)
    title: str = ""  # the page title without the site's suffix

    @property
    def html(self) -> str:
        return (FIXTURES / f"{self.name}.html").read_text("utf-8")


def _load(path: Path) -> Fixture:
    raw = json.loads(path.read_text("utf-8"))
    turns = tuple(
        Turn(t["prompt"], t["reply"], t.get("reasoning", ""), t.get("reasoning_seconds"))
        for t in raw["turns"]
    )
    return Fixture(
        path.stem,
        raw["platform"],
        raw["url"],
        raw["conversation_id"],
        raw["model_label"],
        turns,
        raw["title"],
    )


_RAW = {p.stem: json.loads(p.read_text("utf-8")) for p in sorted(FIXTURES.glob("*.json"))}
ALL = {name: _load(FIXTURES / f"{name}.json") for name in _RAW}

# The fixture of each registered site's current DOM, driven end to end through the extension.
MAIN = [ALL[s.id] for s in all_sites()]

# Conversation ids the adapters must read from URLs (site, URL, id or None when the page is no conversation).
URLS = [
    (raw["platform"], url, want) for raw in _RAW.values() for url, want in raw.get("conversation_urls", [])
]
TEMPORARY_CHAT_URL = _RAW["chatgpt"]["temporary_chat_url"]
