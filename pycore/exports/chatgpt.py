"""ChatGPT's data export (Settings > Data controls > Export) read as generations.

Why: the extension only sees conversations while it is installed; the export holds the whole
history, so `promptwatt history` can say what past conversations cost. The text is read in
memory to count tokens and goes no further.

The export's ``conversations.json`` is a list of conversations, each a tree of messages:
``mapping`` maps node ids to ``{message, parent, children}``; a message has ``author.role``
(system / user / assistant / tool), ``content`` (``content_type`` text, code, multimodal_text,
thoughts, reasoning_recap, execution_output, ...), ``create_time`` (epoch s), ``recipient``
(``all``, or a tool's name for a tool call) and ``metadata`` (``model_slug``,
``is_visually_hidden_from_conversation``, ``finished_duration_sec``). The tree keeps every branch:
a regenerated reply is another child of the same user message, an edited prompt another child
of the same reply.

One *generation* is what the model produced for one user message along one branch: the user
message, then every assistant and tool message under that child until the next user message.
Assistant text and code (tool calls included) are its reply; visible reasoning ("thoughts") its
reasoning; tool outputs (browsing, code execution) are text the model read, counted with the
prompt. A reasoning model's hidden-reasoning time comes from ``finished_duration_sec`` or the
"Thought for 1m 5s" recap. Siblings after the first, by time, are regenerations (as the
extension marks them). Hidden messages (system prompt, custom instructions) are the product's
overhead, which the estimate already adds per request, so they are skipped.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
import zlib
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from pycore.errors import InvalidInput
from pycore.exports.archive import Document, Member
from pycore.exports.model import Conversation, Export, Generation, read_each

_DURATION = re.compile(
    r"(?:(\d+)\s*h(?:ours?)?\s*)?(?:(\d+)\s*m(?:in(?:utes?)?)?\s*)?(?:(\d+)\s*s(?:ec(?:onds?)?)?)?\s*$"
)
PLATFORM = "chatgpt"
NAME = "ChatGPT"
FORMAT = "ChatGPT conversations.json (Settings > Data controls > Export data)"


def load(path: str | Path) -> list[Conversation]:
    """Conversations of an export: the ``.zip`` as downloaded, or its ``conversations.json``."""
    p = Path(path)
    if not p.exists():
        raise InvalidInput(f"no such file: {p}", "give the export .zip or its conversations.json")
    if p.is_dir():
        raise InvalidInput(f"{p} is a folder", "give the export .zip or the conversations.json inside it")
    try:
        with p.open("rb") as f:
            magic = f.read(4)
    except OSError as exc:
        raise InvalidInput(f"cannot read {p}: {exc.strerror or exc}") from exc
    if zipfile.is_zipfile(p):
        try:
            with zipfile.ZipFile(p) as z:
                names = sorted(
                    n for n in z.namelist() if re.fullmatch(r"(?:.*/)?conversations(?:-\d+)?\.json", n)
                )
                if not names:
                    raise InvalidInput(
                        f"{p.name} holds no conversations.json", "is it a ChatGPT data export?"
                    )
                data: list[Any] = []
                for n in names:
                    data.extend(_json(io.TextIOWrapper(z.open(n), encoding="utf-8"), n))
        except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError) as exc:
            raise InvalidInput(f"{p.name} is a damaged zip: {exc}", "download the export again") from exc
    elif magic == b"PK\x03\x04":  # a zip's first entry, but no directory at its end: cut short
        raise InvalidInput(f"{p.name} is a damaged zip: its end is missing", "download the export again")
    else:
        with p.open(encoding="utf-8") as f:
            data = _json(f, p.name)
    return parse(data, release=True)


def _json(f: Any, name: str) -> list[Any]:
    try:
        data = json.load(f)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"{name} is not valid JSON: {exc}") from exc
    if not isinstance(data, list):
        raise InvalidInput(
            f"{name} must hold a list of conversations, got {type(data).__name__}",
            "is it ChatGPT's conversations.json?",
        )
    return data


def parse(data: list[Any], *, release: bool = False) -> list[Conversation]:
    """Every conversation of the export's list; a damaged one is reported (in its ``skipped``) and
    left out, and a file where none can be read raises, naming the first reason.

    ``release``: each raw conversation is dropped from ``data`` once read, so that a large export
    does not hold its JSON objects and its generations in memory at once (Pyodide's heap is bounded).
    """

    def read(i: int, raw: Any) -> Conversation:
        if release:
            data[i] = None
        if not isinstance(raw, Mapping) or not isinstance(raw.get("mapping"), Mapping):
            raise InvalidInput(f"conversation {i}: no 'mapping' of messages")
        return _conversation(i, raw)

    return read_each(data, read, PLATFORM, "ChatGPT's conversations.json")


def is_chatgpt(raw: Any) -> bool:
    """A conversation in ChatGPT's shape: a ``mapping`` whose messages have an ``author`` (DeepSeek's
    export also has a ``mapping`` tree, but its messages hold ``fragments`` and no author)."""
    if not isinstance(raw, Mapping) or not isinstance(raw.get("mapping"), Mapping):
        return False
    for node in raw["mapping"].values():
        msg = node.get("message") if isinstance(node, Mapping) else None
        if isinstance(msg, Mapping):
            return isinstance(msg.get("author"), Mapping)
    return (
        "conversation_id" in raw or "current_node" in raw or isinstance(raw.get("create_time"), int | float)
    )


# -- one conversation -------------------------------------------------------------------------


def _conversation(i: int, raw: Mapping[str, Any]) -> Conversation:
    nodes: Mapping[str, Any] = raw["mapping"]
    cid = str(raw.get("conversation_id") or raw.get("id") or f"#{i}")
    for nid, node in nodes.items():
        # ids are strings; a list or an object where an id belongs would fail as a dict key below
        if (
            not isinstance(node, Mapping)
            or not isinstance(node.get("children", []), list)
            or any(isinstance(x, list | Mapping) for x in (node.get("parent"), *node.get("children", [])))
        ):
            raise InvalidInput(
                f"conversation {cid}: node {nid!r} is not a {{message, parent, children}} object"
            )
    if any(isinstance(n.get("message"), Mapping) for n in nodes.values()) and not is_chatgpt(raw):
        raise InvalidInput(
            f"conversation {cid}: its messages have no 'author': not ChatGPT's shape "
            "(DeepSeek's export has a 'mapping' tree too, with 'fragments')"
        )
    default_slug = raw.get("default_model_slug") if isinstance(raw.get("default_model_slug"), str) else None
    skipped: dict[str, int] = {}
    generations: list[Generation] = []
    roots = [nid for nid, n in nodes.items() if n.get("parent") not in nodes]
    seen: set[str] = set()
    # Each user message with a reply opens one generation per child; walk iteratively (exports
    # hold conversations thousands of messages deep).
    stack: list[tuple[str, str | None]] = [(r, None) for r in reversed(roots)]
    while stack:
        nid, last_gen = stack.pop()
        if nid in seen:  # a damaged tree with a cycle or a shared child: each node once
            continue
        seen.add(nid)
        node = nodes[nid]
        msg = node.get("message")
        if _role(msg) == "user" and not _hidden(msg):
            children = _by_time(nodes, node.get("children", []))
            for k, child in enumerate(children):
                gen, below = _generation(nodes, msg, child, last_gen, k > 0, default_slug, skipped, seen)
                if gen is not None:
                    generations.append(gen)
                # the prompts under a reply with no text still follow the branch (from what came before)
                stack.extend((u, gen.id if gen else last_gen) for u in reversed(below))
            if not children:
                skipped["prompt without a reply"] = skipped.get("prompt without a reply", 0) + 1
            continue
        stack.extend((c, last_gen) for c in reversed(_by_time(nodes, node.get("children", []))))
    title = raw.get("title")
    title = title if isinstance(title, str) else ""
    return Conversation(
        cid,
        title,
        _time(raw.get("create_time")),
        tuple(generations),
        tuple(f"{n} {what}" for what, n in skipped.items()),
        PLATFORM,
    )


def _generation(
    nodes: Mapping[str, Any],
    prompt_msg: Mapping[str, Any],
    start: str,
    parent: str | None,
    regenerated: bool,
    default_slug: str | None,
    skipped: dict[str, int],
    seen: set[str],
) -> tuple[Generation | None, list[str]]:
    """The reply under ``start`` down to the next user messages, which it returns to walk next."""
    reply: list[str] = []
    reasoning: list[str] = []
    tool_text: list[str] = []
    recap_s: list[float | None] = []  # "Thought for ..." after each reasoning block
    thought_s: list[float | None] = []  # the reasoning blocks' own durations, where the recap has none
    slug, first_time, tools, images = None, None, 0, 0
    below: list[str] = []
    ids: list[str] = []
    stack = [start]
    while stack:
        nid = stack.pop()
        if nid in seen or nid not in nodes:
            continue
        msg = nodes[nid].get("message")
        if _role(msg) == "user" and not _hidden(msg):
            below.append(nid)  # the next prompt: not part of this reply
            continue
        seen.add(nid)
        ids.append(nid)
        stack.extend(reversed(_by_time(nodes, nodes[nid].get("children", []))))
        if msg is None or _hidden(msg):
            continue
        role = _role(msg)
        content = msg.get("content") if isinstance(msg.get("content"), Mapping) else {}
        kind = content.get("content_type")
        images += _count_images(content)
        if role == "assistant":
            meta = msg.get("metadata") if isinstance(msg.get("metadata"), Mapping) else {}
            if isinstance(meta.get("model_slug"), str) and slug is None:
                slug = meta["model_slug"]
            first_time = first_time if first_time is not None else _time(msg.get("create_time"))
            if kind == "thoughts":
                for t in content.get("thoughts") or []:
                    if isinstance(t, Mapping):
                        reasoning.extend(
                            s for s in (t.get("summary"), t.get("content")) if isinstance(s, str) and s
                        )
                thought_s.append(_finished_seconds(meta))
            elif kind == "reasoning_recap":
                recap_s.append(_finished_seconds(meta) or _recap_seconds(content.get("content")))
            else:
                reply.extend(_texts(content))
        elif role == "tool":
            text = _texts(content)
            if text:
                tools += 1
                tool_text.extend(text)
        # system messages inside a reply carry no model text
    timed = [x for x in recap_s if x is not None] or [x for x in thought_s if x is not None]
    seconds = sum(timed) if timed else None
    if not reply and not reasoning and seconds is None:
        skipped["reply with no text (e.g. only an image)"] = (
            skipped.get("reply with no text (e.g. only an image)", 0) + 1
        )
        return None, below
    prompt = "\n".join([*_texts(prompt_msg.get("content") or {}), *tool_text])
    return Generation(
        id=start,
        parent=parent,
        prompt=prompt,
        reply="\n".join(reply),
        reasoning="\n".join(reasoning),
        reasoning_seconds=seconds,
        model_slug=slug or default_slug,
        create_time=first_time if first_time is not None else _time(prompt_msg.get("create_time")),
        regenerated=regenerated,
        tool_outputs=tools,
        images=images + _count_images(prompt_msg.get("content") or {}),
        message_ids=tuple(ids),
        platform=PLATFORM,
    ), below


# -- message fields ---------------------------------------------------------------------------


def _role(msg: Any) -> str | None:
    if not isinstance(msg, Mapping) or not isinstance(msg.get("author"), Mapping):
        return None
    role = msg["author"].get("role")
    return role if isinstance(role, str) else None


_CONTEXT_TYPES = ("user_editable_context", "model_editable_context")  # custom instructions, memory


def _hidden(msg: Any) -> bool:
    """Not part of the conversation shown: flagged hidden, or the custom instructions / memory context."""
    if not isinstance(msg, Mapping):
        return False
    meta, content = msg.get("metadata"), msg.get("content")
    if isinstance(content, Mapping) and content.get("content_type") in _CONTEXT_TYPES:
        return True
    return isinstance(meta, Mapping) and bool(meta.get("is_visually_hidden_from_conversation"))


def _texts(content: Mapping[str, Any]) -> list[str]:
    """The text a message holds: string parts, code, execution output, audio transcripts."""
    out: list[str] = []
    for part in content.get("parts") or []:
        if isinstance(part, str):
            if part:
                out.append(part)
        elif isinstance(part, Mapping) and isinstance(part.get("text"), str) and part["text"]:
            out.append(part["text"])  # audio_transcription and similar
    if isinstance(content.get("text"), str) and content["text"]:
        out.append(content["text"])  # code, execution_output, tether_quote
    return out


def _count_images(content: Mapping[str, Any]) -> int:
    return sum(
        1
        for p in content.get("parts") or []
        if isinstance(p, Mapping) and "image" in str(p.get("content_type", ""))
    )


def _by_time(nodes: Mapping[str, Any], ids: list[Any]) -> list[str]:
    """Children in the order they were made (the first is the original, later ones regenerations)."""

    def key(item: tuple[int, str]) -> tuple[float, int]:
        msg = nodes[item[1]].get("message")
        t = _time(msg.get("create_time")) if isinstance(msg, Mapping) else None
        return (t if t is not None else float("inf"), item[0])

    return [nid for _, nid in sorted(((k, c) for k, c in enumerate(ids) if c in nodes), key=key)]


_LAST_TIME = (
    253_402_300_799.0  # 9999-12-31T23:59:59Z: later (or infinite) times cannot be dates, so are undated
)


def _time(value: Any) -> float | None:
    ok = isinstance(value, int | float) and not isinstance(value, bool) and 0 < value <= _LAST_TIME
    return float(value) if ok else None


def _finished_seconds(meta: Mapping[str, Any]) -> float | None:
    s = meta.get("finished_duration_sec")
    return float(s) if isinstance(s, int | float) and not isinstance(s, bool) and s >= 0 else None


def _recap_seconds(text: Any) -> float | None:
    """Seconds of "Thought for 12 seconds", "Thought for 1m 5s", "Thought for 2h 3m"; None otherwise."""
    if not isinstance(text, str):
        return None
    m = re.search(r"\bfor\s+(.+?)\s*$", text.strip())
    if not m:
        return None
    d = _DURATION.match(m.group(1))
    if not d or not any(d.groups()):
        return None
    h, mins, s = (int(g) if g else 0 for g in d.groups())
    return float(3600 * h + 60 * mins + s)


def iter_generations(conversations: list[Conversation]) -> Iterator[tuple[Conversation, Generation]]:
    for c in conversations:
        for g in c.generations:
            yield c, g


# -- detection (pycore.exports.detect) ---------------------------------------------------------


def wants(member: Member) -> bool:
    """The files of the export zip that hold conversations (large accounts get several)."""
    return bool(re.fullmatch(r"conversations(?:-\d+)?\.json", member.base))


def claims(doc: Document) -> bool:
    return doc.kind == "json" and isinstance(doc.data, list) and any(is_chatgpt(c) for c in doc.data[:20])


def read(docs: list[Document]) -> Export:
    out: list[Conversation] = []
    for d in docs:
        if d.kind != "json" or not isinstance(d.data, list):
            raise InvalidInput(
                f"{d.name} must hold a list of conversations", "is it ChatGPT's conversations.json?"
            )
        out.extend(parse(d.data, release=True))
        d.data = None
    return Export(PLATFORM, FORMAT, out, [])
