"""Grok's data export (Grok > Settings > Data controls > Export account data) read as generations.

The zip holds ``ttl/30d/export_data/<user>/prod-grok-backend.json``: ``{"conversations": [
{"conversation": {id, title, create_time, …}, "responses": [{"response": {…}, "share_link"}]}]}``.
A response is one message: ``_id``, ``parent_response_id`` (the tree: regenerations and edits
share a parent; a parent outside the conversation makes a root), ``sender`` ("human", or
"assistant" / "ASSISTANT" / a model name), ``message``, ``model`` (per response: ``grok-3``,
``grok-4``, mapped like a page label), ``create_time`` (Mongo ``{"$date": {"$numberLong": ms}}``,
or an ISO string), ``thinking_trace`` / ``agent_thinking_traces`` (reasoning text) with
``thinking_start_time`` / ``thinking_end_time`` (its duration), ``web_search_results`` (what the
model read). The other files of the zip (auth, billing) are not read.
"""

from __future__ import annotations

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
    epoch,
    iso_time,
    read_each,
    skipped_notes,
    text_of,
)

PLATFORM = "grok"
NAME = "Grok"
FORMAT = "Grok prod-grok-backend.json (Grok Settings > Data controls > Export account data)"


def wants(member: Member) -> bool:
    return member.base == "prod-grok-backend.json"


def claims(doc: Document) -> bool:
    data = doc.data
    return (
        doc.kind == "json"
        and isinstance(data, Mapping)
        and isinstance(data.get("conversations"), list)
        and any(
            isinstance(c, Mapping) and "responses" in c and "conversation" in c
            for c in data["conversations"][:20]
        )
    )


def read(docs: list[Document]) -> Export:
    out: list[Conversation] = []
    for d in docs:
        if d.kind == "json" and d.data == []:
            continue  # an empty file of the export
        if d.kind != "json" or not isinstance(as_map(d.data).get("conversations"), list):
            raise InvalidInput(
                f"{d.name} holds no 'conversations' list", "is it Grok's prod-grok-backend.json?"
            )
        out.extend(
            read_each(d.data["conversations"], _conversation, PLATFORM, "Grok's prod-grok-backend.json")
        )
    return Export(PLATFORM, FORMAT, out, [])


def grok_time(value: Any) -> float | None:
    """Epoch seconds of ``{"$date": {"$numberLong": "ms"}}``, ``{"$date": "ISO"}``, an ISO string or ms."""
    if isinstance(value, Mapping) and "$date" in value:
        value = value["$date"]
        if isinstance(value, Mapping):
            value = value.get("$numberLong")
            try:
                return epoch(int(value) / 1000) if value is not None else None
            except (TypeError, ValueError):
                return None
    if isinstance(value, str):
        return iso_time(value)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return epoch(value / 1000 if value > 1e11 else value)  # ms, or s
    return None


def _conversation(i: int, raw: Any) -> Conversation:
    if not isinstance(raw, Mapping) or not isinstance(raw.get("responses"), list):
        raise InvalidInput(f"conversation {i}: no 'responses' list")
    conv = as_map(raw.get("conversation"))
    cid = text_of(conv.get("id")) or f"#{i}"
    skipped: dict[str, int] = {}
    messages: list[Message] = []
    for k, wrapped in enumerate(raw["responses"]):
        r = as_map(wrapped).get("response", wrapped)
        if not isinstance(r, Mapping):
            count(skipped, "response that is not an object")
            continue
        messages.append(_message(k, r))
    gens = build_generations(messages, PLATFORM, skipped)
    return Conversation(
        cid,
        text_of(conv.get("title")),
        grok_time(conv.get("create_time")),
        gens,
        skipped_notes(skipped),
        PLATFORM,
    )


def _message(k: int, r: Mapping[str, Any]) -> Message:
    sender = text_of(r.get("sender")).casefold()
    parent = r.get("parent_response_id")
    m = Message(
        id=text_of(r.get("_id")) or text_of(r.get("id")) or f"#{k}",
        parent=parent if isinstance(parent, str) and parent else None,
        role="user" if sender in ("human", "user") else "assistant" if sender else "",
        time=grok_time(r.get("create_time")),
        text=text_of(r.get("message")),
    )
    if m.role != "assistant":
        m.files = len(as_list(r.get("file_attachments")))
        return m
    m.model = text_of(r.get("model")) or None
    traces = [text_of(r.get("thinking_trace"))]
    for t in as_list(r.get("agent_thinking_traces")):
        traces.append(
            t
            if isinstance(t, str)
            else text_of(as_map(t).get("thinking_trace"))
            or text_of(as_map(t).get("text"))
            or text_of(as_map(t).get("content"))
        )
    m.reasoning = "\n".join(t for t in traces if t)
    start, end = grok_time(r.get("thinking_start_time")), grok_time(r.get("thinking_end_time"))
    if start is not None and end is not None and end >= start:
        m.reasoning_seconds = end - start
    results = [as_map(x) for x in as_list(r.get("web_search_results"))]
    read = ["\n".join(y for y in (text_of(x.get("title")), text_of(x.get("preview"))) if y) for x in results]
    for step in as_list(r.get("steps")):
        for u in as_list(as_map(step).get("tool_usage_results")):
            read.append(
                u
                if isinstance(u, str)
                else text_of(as_map(u).get("text")) or text_of(as_map(u).get("content"))
            )
    read = [x for x in read if x]
    if read:
        m.read.append("\n".join(read))
        m.tool_outputs += 1
    m.images = len(as_list(r.get("generated_image_urls")))
    return m
