"""Fills the caches a first request would fill, for the extension's Pyodide memory snapshot.

``build.py`` boots Pyodide under Node, imports ``pycore.browser.entry``, runs :func:`warm` and saves
Pyodide's memory (``tools/make_snapshot.mjs``); the extension's worker restores that memory
instead of starting Python and importing, so its first estimate skips parsing the catalogs and
resizing every platform label's architecture (~0.3-0.5 s per label in Pyodide). Everything
warmed is a pure cache: answers are the same with or without it (tested).

Tokenizer vocabularies are left out on purpose: all four would grow the snapshot from 31 to
136 MB and every open worker's memory with it, while a user needs the one of the site in use.
Each still loads on first use (``pycore.chat.tokenizers``). The regexes that count ``o200k_base``
tokens (ChatGPT's, and the stand-in of Claude, Grok and Copilot) are compiled, without its vocabulary.
"""

from __future__ import annotations

import json

from pycore.browser import entry
from pycore.chat import impact, tokenizers
from pycore.chat.conversation import chat_overhead, estimate_exchange
from pycore.chat.platforms import labels, platforms, resolve

# A label no platform knows: resolves to each platform's fallback record.
_UNKNOWN_LABEL = "promptwatt prewarm unknown label"


def warm() -> int:
    """Resolves and estimates every platform label (and the fallbacks); returns how many."""
    n = 0
    for platform in platforms():
        chat_overhead(platform)
        for label in (*labels(platform), None, _UNKNOWN_LABEL):
            mapping = resolve(platform, label)
            estimate_exchange(mapping, 1000, 300)
            n += 1
        record = {
            "platform": platform,
            "model_label": None,
            "energy_wh_low": 0.1,
            "energy_wh": 0.2,
            "energy_wh_high": 0.3,
        }
        entry.handle(json.dumps({"op": "impact", "records": [record]}))
    impact.server_overhead()
    tokenizers.warm_counting("o200k_base")
    entry.handle(json.dumps({"op": "info"}))
    entry.handle(json.dumps({"op": "equivalents", "wh": 1.0, "co2_g": 1.0}))
    return n
