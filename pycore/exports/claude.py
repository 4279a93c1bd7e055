"""Claude's data export (Claude > Settings > Privacy > Export data) read as generations.

``conversations.json`` (bare, or in the ``data-…-batch-NNNN.zip``) is a list of conversations
``{uuid, name, created_at, chat_messages}``; a message has ``uuid``, ``sender`` (human /
assistant), ``created_at`` (ISO UTC), ``content`` blocks (``text``, ``thinking`` with its
``start_timestamp`` / ``stop_timestamp``, ``tool_use``, ``tool_result``, …), ``attachments``
(with the ``extracted_content`` the model read) and, since early 2026, ``parent_message_uuid``
(root sentinel ``00000000-0000-4000-8000-000000000000``). The flat list holds every branch.
Older exports without parent links list messages in order; a reply after a reply is then a
regeneration of the same prompt. The export names no model: the site's default for the
conversation's date is assumed (by the history estimate).

Since August 2026 the download is first a *manifest* of one-time links to several zips; it holds
no conversation, and its links are credentials: it is refused with what to download instead,
and nothing of it is kept or logged.
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

PLATFORM = "claude"
NAME = "Claude"
FORMAT = "Claude conversations.json (Claude Settings > Privacy > Export data; bare or in its zip)"
ROOT = "00000000-0000-4000-8000-000000000000"
# what the flattened ``text`` shows where a block cannot be rendered (read ``content`` instead)
_PLACEHOLDER = re.compile(r"\s*This block is not supported on your current device yet\.?\s*")


def wants(member: Member) -> bool:
    return member.base == "conversations.json" or bool(re.fullmatch(r"manifest-.*\.json", member.base))


def is_manifest(data: Any) -> bool:
    return (
        isinstance(data, Mapping)
        and isinstance(data.get("data_files"), list)
        and ("total_files" in data or "instructions" in data or "version" in data)
    )


def claims(doc: Document) -> bool:
    if doc.kind != "json":
        return False
    if is_manifest(doc.data):
        return True
    data = doc.data
    return isinstance(data, list) and any(
        isinstance(c, Mapping) and isinstance(c.get("chat_messages"), list) for c in data[:20]
    )


def read(docs: list[Document]) -> Export:
    lists = [d for d in docs if d.kind == "json" and not is_manifest(d.data)]
    if not lists:  # only the manifest: never show or keep its links
        raise InvalidInput(
            "this is Claude's export manifest: it lists one-time download links, not conversations",
            "open the links it lists in your browser, download conversations-000.zip and give that zip "
            "(or the conversations.json inside it)",
        )
    out: list[Conversation] = []
    for d in lists:
        if not isinstance(d.data, list):
            raise InvalidInput(
                f"{d.name} must hold a list of conversations", "is it Claude's conversations.json?"
            )
        out.extend(parse(d.data))
    return Export(PLATFORM, FORMAT, out, [])


def parse(data: list[Any]) -> list[Conversation]:
    return read_each(data, _conversation, PLATFORM, "Claude's conversations.json")


def _conversation(i: int, raw: Any) -> Conversation:
    if not isinstance(raw, Mapping) or not isinstance(raw.get("chat_messages"), list):
        raise InvalidInput(f"conversation {i}: no 'chat_messages' list")
    cid = text_of(raw.get("uuid")) or f"#{i}"
    skipped: dict[str, int] = {}
    messages: list[Message] = []
    linked = False
    for k, m in enumerate(raw["chat_messages"]):
        if not isinstance(m, Mapping):
            count(skipped, "message that is not an object")
            continue
        msg = _message(k, m)
        linked = linked or "parent_message_uuid" in m
        messages.append(msg)
    if not linked:  # exports before early 2026 keep no parent links: the list is the order
        linear_parents(messages)
    model = text_of(raw.get("model")) or None  # only in dumps of the web API; the export has none
    gens = build_generations(messages, PLATFORM, skipped, model)
    return Conversation(
        cid, text_of(raw.get("name")), iso_time(raw.get("created_at")), gens, skipped_notes(skipped), PLATFORM
    )


def _message(k: int, m: Mapping[str, Any]) -> Message:
    sender = text_of(m.get("sender")).casefold()
    role = "user" if sender in ("human", "user") else "assistant" if sender == "assistant" else ""
    parent = m.get("parent_message_uuid")
    msg = Message(
        id=text_of(m.get("uuid")) or f"#{k}",
        parent=parent if isinstance(parent, str) and parent != ROOT else None,
        role=role,
        time=iso_time(m.get("created_at")),
    )
    text: list[str] = []
    reasoning: list[str] = []
    blocks = [b for b in as_list(m.get("content")) if isinstance(b, Mapping)]
    for b in blocks:
        kind = b.get("type")
        if kind == "text":
            text.append(text_of(b.get("text")))
        elif kind == "thinking":
            thought = text_of(b.get("thinking")) or "\n".join(
                text_of(as_map(s).get("summary")) for s in as_list(b.get("summaries"))
            )
            reasoning.append(thought)
            start, stop = iso_time(b.get("start_timestamp")), iso_time(b.get("stop_timestamp"))
            if start is not None and stop is not None and stop >= start:
                msg.reasoning_seconds = (msg.reasoning_seconds or 0.0) + (stop - start)
        elif kind == "tool_use":  # the call the model wrote is its output
            call = b.get("input")
            text.append(json.dumps(call, ensure_ascii=False) if call not in (None, {}, "") else "")
        elif kind == "tool_result":  # what the tool returned, the model read
            got = [text_of(as_map(c).get("text")) for c in as_list(b.get("content"))]
            if isinstance(b.get("content"), str):
                got.append(b["content"])
            got = [g for g in got if g]
            if got:
                msg.read.extend(got)
                msg.tool_outputs += 1
        elif kind == "image":
            msg.images += 1
        # token_budget, flag, injected_prompt_block and unknown blocks carry no text of the turn
    if not blocks:  # the flattened text, less the placeholders of blocks it cannot show
        text.append(_PLACEHOLDER.sub("\n", text_of(m.get("text"))).strip())
    msg.text = "\n".join(t for t in text if t)
    msg.reasoning = "\n".join(r for r in reasoning if r)
    for a in as_list(m.get("attachments")):
        extracted = text_of(as_map(a).get("extracted_content"))
        if extracted:
            msg.read.append(extracted)  # the text of an uploaded file goes to the model with the prompt
    extracted_names = {text_of(as_map(a).get("file_name")) for a in as_list(m.get("attachments"))}
    for f in as_list(m.get("files")):
        name = text_of(as_map(f).get("file_name"))
        if name not in extracted_names:
            if re.search(r"\.(png|jpe?g|gif|webp|heic)$", name, re.I):
                msg.images += 1
            else:
                msg.files += 1
    return msg
