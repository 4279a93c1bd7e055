"""DeepSeek's data export (DeepSeek > Settings > Data > Export all history) read as generations.

The zip's ``conversations.json`` is a list of conversations ``{id, title, inserted_at,
updated_at, mapping}``; ``mapping`` is a tree like ChatGPT's (``root`` node, then ``{id, parent,
children, message}``) but a message is ``{model, inserted_at, files, fragments}`` with no role:
``REQUEST`` fragments are the user's text, ``RESPONSE`` the reply, ``THINK`` the visible reasoning
(DeepThink), ``SEARCH`` the search results the model read (``results[]`` with snippets). The
``model`` of each message (``deepseek-chat``, ``deepseek-reasoner``) is mapped like a page label.
Times carry an offset (``+08:00``) and are turned into UTC. Regenerations and edited prompts are
sibling children; every branch is counted. The export holds no thinking duration.
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
    iso_time,
    read_each,
    skipped_notes,
    text_of,
)

PLATFORM = "deepseek"
NAME = "DeepSeek"
FORMAT = "DeepSeek conversations.json (DeepSeek Settings > Data > Export all history)"
_ASSISTANT = frozenset(
    {"RESPONSE", "THINK", "SEARCH", "TOOL_SEARCH", "TOOL_OPEN", "TOOL_CALL", "TOOL_RESULT"}
)


def wants(member: Member) -> bool:
    return member.base == "conversations.json"


def _is_deepseek(raw: Any) -> bool:
    if not isinstance(raw, Mapping) or not isinstance(raw.get("mapping"), Mapping):
        return False
    for node in raw["mapping"].values():
        msg = node.get("message") if isinstance(node, Mapping) else None
        if isinstance(msg, Mapping):
            return isinstance(msg.get("fragments"), list) and "author" not in msg
    return "inserted_at" in raw


def claims(doc: Document) -> bool:
    return doc.kind == "json" and isinstance(doc.data, list) and any(_is_deepseek(c) for c in doc.data[:20])


def read(docs: list[Document]) -> Export:
    out: list[Conversation] = []
    for d in docs:
        if d.kind != "json" or not isinstance(d.data, list):
            raise InvalidInput(
                f"{d.name} must hold a list of conversations", "is it DeepSeek's conversations.json?"
            )
        out.extend(parse(d.data))
    return Export(PLATFORM, FORMAT, out, [])


def parse(data: list[Any]) -> list[Conversation]:
    return read_each(data, _conversation, PLATFORM, "DeepSeek's conversations.json")


def _conversation(i: int, raw: Any) -> Conversation:
    if not isinstance(raw, Mapping) or not isinstance(raw.get("mapping"), Mapping):
        raise InvalidInput(f"conversation {i}: no 'mapping' of messages")
    cid = text_of(raw.get("id")) or f"#{i}"
    if not _is_deepseek(raw):
        raise InvalidInput(
            f"conversation {cid}: its messages have no 'fragments': not DeepSeek's shape "
            "(ChatGPT's export has a 'mapping' tree too, with 'author')"
        )
    skipped: dict[str, int] = {}
    messages: list[Message] = []
    for key, node in raw["mapping"].items():
        if not isinstance(node, Mapping):
            raise InvalidInput(
                f"conversation {cid}: node {key!r} is not a {{message, parent, children}} object"
            )
        parent = node.get("parent")
        if parent is not None and not isinstance(parent, str):
            raise InvalidInput(f"conversation {cid}: node {key!r} has a parent that is not an id")
        messages.append(_message(str(key), parent, node.get("message"), skipped))
    gens = build_generations(messages, PLATFORM, skipped)
    return Conversation(
        cid,
        text_of(raw.get("title")),
        iso_time(raw.get("inserted_at")),
        gens,
        skipped_notes(skipped),
        PLATFORM,
    )


def _message(nid: str, parent: str | None, msg: Any, skipped: dict[str, int]) -> Message:
    m = Message(id=nid, parent=parent, role="")
    if not isinstance(msg, Mapping):
        return m  # the root, or an empty node: passed through
    m.time = iso_time(msg.get("inserted_at"))
    m.model = text_of(msg.get("model")) or None
    frags = [f for f in as_list(msg.get("fragments")) if isinstance(f, Mapping)]
    kinds = {text_of(f.get("type")).upper() for f in frags}
    if "REQUEST" in kinds:
        m.role = "user"
    elif kinds & _ASSISTANT:
        m.role = "assistant"
    elif not frags:
        count(skipped, "message with no fragments")
        return m
    text: list[str] = []
    reasoning: list[str] = []
    for f in frags:
        kind = text_of(f.get("type")).upper()
        content = text_of(f.get("content"))
        if kind in ("REQUEST", "RESPONSE"):
            text.append(content)
        elif kind == "THINK":
            reasoning.append(content)
        elif kind == "FILE":
            m.files += len(as_list(f.get("files"))) or 1
        elif kind in _ASSISTANT:  # search results and tool output: read by the model
            got = [content] if content else []
            for r in as_list(f.get("results")):
                r = as_map(r)
                got.extend(x for x in (text_of(r.get("title")), text_of(r.get("snippet"))) if x)
            if got:
                m.read.append("\n".join(got))
                m.tool_outputs += 1
    if not m.files:  # attachments listed on the message but not as a FILE fragment
        m.files = len(as_list(msg.get("files")))
    m.text = "\n".join(t for t in text if t)
    m.reasoning = "\n".join(r for r in reasoning if r)
    return m
