"""Le Chat's data export (Le Chat > Profile > Le Chat: Export) read as generations.

The zip (``chat-export-<ms>.zip``, or the folder it unzips to) holds one ``chat-<uuid>.json`` per
conversation: a bare list of messages ``{id, chatId, role, content, contentChunks, createdAt,
files, …}``, not always in time order (sorted here by ``createdAt``). ``contentChunks`` holds the
reply's text and its tool calls (``tool_call`` with ``publicArguments`` the model wrote and
``publicResult`` it read back). There are no parent links: a reply following a reply is read as a
regeneration of the same prompt, and the next prompt follows the last reply. No title, no model,
no reasoning: the site's default for the date is assumed (by the history estimate); the title is
left empty rather than made from the user's text.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from pycore.errors import InvalidInput
from pycore.exports.archive import Document, Member
from pycore.exports.model import (
    Conversation,
    Export,
    Message,
    as_list,
    as_map,
    build_generations,
    count,
    iso_time,
    linear_parents,
    read_each,
    skipped_notes,
    text_of,
)

PLATFORM = "mistral"
NAME = "Le Chat"
FORMAT = "Le Chat export (Le Chat Profile > Le Chat: Export): one chat-<uuid>.json per conversation"
_FILE = re.compile(r"chat-[0-9A-Za-z-]+\.json")


def wants(member: Member) -> bool:
    return bool(_FILE.fullmatch(member.base))


def _is_message(m: Any) -> bool:
    return (
        isinstance(m, Mapping) and "chatId" in m and "role" in m and ("content" in m or "contentChunks" in m)
    )


def claims(doc: Document) -> bool:
    return doc.kind == "json" and isinstance(doc.data, list) and any(_is_message(m) for m in doc.data[:20])


def read(docs: list[Document]) -> Export:
    convs = read_each(docs, lambda i, d: _conversation(i, d.data, d.name), PLATFORM, "a Le Chat export")
    return Export(
        PLATFORM,
        FORMAT,
        convs,
        [
            "Le Chat's export names no model and keeps no parent links: "
            "consecutive replies are read as regenerations of the same prompt"
        ],
    )


def _conversation(i: int, raw: list[Any], name: str) -> Conversation:
    if not isinstance(raw, list):
        raise InvalidInput(f"{name}: not a list of Le Chat messages")
    skipped: dict[str, int] = {}
    rows = [m for m in raw if isinstance(m, Mapping)]
    count(skipped, "message that is not an object", len(raw) - len(rows))
    if raw and not any(_is_message(m) for m in rows):
        raise InvalidInput(f"{name}: not a list of Le Chat messages")
    chat = next((text_of(m.get("chatId")) for m in rows if text_of(m.get("chatId"))), "")
    m = _FILE.fullmatch(name.rsplit("/", 1)[-1])
    cid = chat or (m.group(0)[5:-5] if m else f"#{i}")
    messages = [_message(k, r) for k, r in enumerate(rows)]
    messages.sort(key=lambda x: (x.time if x.time is not None else float("inf"), x.order))
    linear_parents(messages)
    gens = build_generations(messages, PLATFORM, skipped)
    times = [x.time for x in messages if x.time is not None]
    return Conversation(cid, "", min(times) if times else None, gens, skipped_notes(skipped), PLATFORM)


def _message(k: int, r: Mapping[str, Any]) -> Message:
    role = text_of(r.get("role")).casefold()
    m = Message(
        id=text_of(r.get("id")) or f"#{k}",
        parent=None,
        role="user" if role == "user" else "assistant" if role == "assistant" else "",
        time=iso_time(r.get("createdAt")),
        order=k,
    )
    chunks = [c for c in as_list(r.get("contentChunks")) if isinstance(c, Mapping)]
    text: list[str] = []
    if chunks:
        for c in chunks:
            kind = c.get("type")
            if kind == "text":
                text.append(text_of(c.get("text")))
            elif kind == "tool_call":
                call = _str(c.get("publicArguments"))  # the call the model wrote
                text.append(f"\n{call}\n" if call else "")
                result = _str(c.get("publicResult"))
                if result:
                    m.read.append(result)
                    m.tool_outputs += 1
            elif kind == "image_url":
                m.images += 1
    else:
        text.append(text_of(r.get("content")))
    m.text = "".join(text).strip()
    for f in as_list(r.get("files")):
        if text_of(as_map(f).get("type")) == "image":
            m.images += 1
        else:
            m.files += 1
    m.order = k
    return m


def _str(value: Any) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
