"""A service-neutral model of a chat export: conversations of generations, whatever the service.

Why one model: every service's export (ChatGPT, Claude, DeepSeek, Grok, Gemini, Le Chat, Copilot,
Perplexity) is turned into the same :class:`Conversation` / :class:`Generation`, so that
`promptwatt history` and the extension's import estimate them with one code path. A *generation*
is what the model produced for one prompt along one branch: regenerations and abandoned branches
are generations too (they used the GPUs), and ``parent`` names the generation whose prompt and
reply precede it on its own branch, which is the context it was computed with.

Readers of tree-shaped exports describe each message as a :class:`Message` and let
:func:`build_generations` walk the tree; the texts stay in memory for the count and go no further.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

from pycore.errors import InvalidInput


@dataclass(frozen=True)
class Generation:
    """One reply (with its tool use and reasoning) to one prompt, and where it sits in the tree."""

    id: str  # the id of the first message of the reply (or one the reader made, for exports without ids)
    parent: str | None  # the generation this prompt followed on its branch (None: the conversation's first)
    prompt: str  # the prompt, with what the model read back for the reply (tool outputs, attachment text)
    reply: str
    reasoning: str
    reasoning_seconds: float | None
    model_slug: str | None  # the model as the export names it; None: the export does not say
    create_time: float | None  # epoch seconds (UTC)
    regenerated: bool
    tool_outputs: int  # tool results read back (counted with the prompt)
    images: int  # image parts (uploads or generated): not counted
    # Every message of the reply, in tree order (``id`` first): the page marks a reply with one of
    # them (its first *rendered* message, which a hidden or "thoughts" message may precede), so the
    # extension matches an imported generation to one it recorded live by any of them.
    message_ids: tuple[str, ...] = ()
    platform: str = ""  # the site id the export comes from ("chatgpt", "claude", ...)
    files: int = 0  # attached files whose content the export does not hold: not counted


@dataclass(frozen=True)
class Conversation:
    id: str
    title: str
    create_time: float | None
    generations: tuple[Generation, ...]
    skipped: tuple[str, ...] = field(default_factory=tuple)  # "N what was left out", one per kind
    platform: str = ""


@dataclass
class Export:
    """What a reader made of one export: its platform, its conversations and what it assumed."""

    platform: str
    format: str  # the shape read, in words ("Claude conversations.json")
    conversations: list[Conversation]
    notes: list[str] = field(default_factory=list)  # file-level assumptions ("times read as UTC")

    @property
    def generations(self) -> int:
        return sum(len(c.generations) for c in self.conversations)


@dataclass
class Message:
    """One message of a tree-shaped export, as a reader describes it to :func:`build_generations`.

    ``role`` is "user", "assistant" or "" (neither: passed through, e.g. a root or an empty node).
    ``read`` is text the model read for this message's reply (tool results, search snippets, the
    text of an attachment): it is counted with the prompt.
    """

    id: str
    parent: str | None
    role: str
    time: float | None = None
    text: str = ""
    reasoning: str = ""
    reasoning_seconds: float | None = None
    model: str | None = None
    read: list[str] = field(default_factory=list)
    tool_outputs: int = 0
    images: int = 0
    files: int = 0
    order: int = 0  # position in the export, to order siblings of the same time


# -- the tree walk ------------------------------------------------------------------------------


def build_generations(
    messages: Iterable[Message], platform: str, skipped: dict[str, int], default_model: str | None = None
) -> tuple[Generation, ...]:
    """Generations of one conversation's message tree, every branch, in tree order.

    Each user message opens one generation per child (by time: the first is the original, later
    ones regenerations); a generation gathers the assistant messages under that child down to the
    next user message. A reply with no prompt above it (the export starts with one) is counted
    with an empty prompt. Parents missing from the tree make roots; a cycle is read once.
    """
    nodes: dict[str, Message] = {}
    for k, m in enumerate(messages):
        if m.id in nodes:
            m = Message(**{**m.__dict__, "id": f"{m.id}#{k}"})  # a repeated id: keep both, apart
        m.order = k
        nodes[m.id] = m
    children: dict[str | None, list[str]] = {}
    for m in nodes.values():
        parent = m.parent if m.parent in nodes and m.parent != m.id else None
        children.setdefault(parent, []).append(m.id)

    def kids(nid: str | None) -> list[str]:
        return sorted(children.get(nid, ()), key=lambda c: (_inf(nodes[c].time), nodes[c].order))

    out: list[Generation] = []
    seen: set[str] = set()
    stack: list[tuple[str, str | None]] = [(r, None) for r in reversed(kids(None))]
    unseen = iter(nodes)  # messages no root leads to (a damaged tree whose parents loop): read from the first
    while True:
        if not stack:
            nid = next((n for n in unseen if n not in seen), None)
            if nid is None:
                break
            _count(skipped, "messages whose parent links loop: read from the earliest")
            stack.append((nid, None))
        nid, last = stack.pop()
        if nid in seen:
            continue
        seen.add(nid)
        m = nodes[nid]
        if m.role == "user":
            below = kids(nid)
            if not below:
                _count(skipped, "prompt without a reply")
            for k, child in enumerate(below):
                gen, after = _generation(
                    nodes, kids, m, child, last, k > 0, platform, default_model, skipped, seen
                )
                if gen is not None:
                    out.append(gen)
                stack.extend((u, gen.id if gen else last) for u in reversed(after))
        elif m.role == "assistant":  # a reply with no prompt above it
            seen.discard(nid)
            gen, after = _generation(
                nodes, kids, None, nid, last, False, platform, default_model, skipped, seen
            )
            if gen is not None:
                out.append(gen)
                _count(skipped, "reply without a prompt in the export: counted with an empty prompt")
            stack.extend((u, gen.id if gen else last) for u in reversed(after))
        else:
            stack.extend((c, last) for c in reversed(kids(nid)))
    return tuple(out)


def _generation(
    nodes: Mapping[str, Message],
    kids: Callable[[str | None], list[str]],
    prompt: Message | None,
    start: str,
    parent: str | None,
    regenerated: bool,
    platform: str,
    default_model: str | None,
    skipped: dict[str, int],
    seen: set[str],
) -> tuple[Generation | None, list[str]]:
    """The reply under ``start`` down to the next user messages, which it returns to walk next."""
    reply: list[str] = []
    reasoning: list[str] = []
    read: list[str] = list(prompt.read) if prompt else []
    seconds: list[float] = []
    ids: list[str] = []
    below: list[str] = []
    model, when = None, None
    tools = prompt.tool_outputs if prompt else 0
    images = prompt.images if prompt else 0
    files = prompt.files if prompt else 0
    stack = [start]
    while stack:
        nid = stack.pop()
        if nid in seen:
            continue
        m = nodes[nid]
        if m.role == "user":
            below.append(nid)
            continue
        seen.add(nid)
        ids.append(nid)
        stack.extend(reversed(kids(nid)))
        if m.role != "assistant":
            continue
        if m.text:
            reply.append(m.text)
        if m.reasoning:
            reasoning.append(m.reasoning)
        if m.reasoning_seconds is not None:
            seconds.append(m.reasoning_seconds)
        read.extend(m.read)
        tools += m.tool_outputs
        images += m.images
        files += m.files
        model = model or m.model
        when = when if when is not None else m.time
    if not reply and not reasoning and not seconds:
        _count(skipped, "reply with no text (e.g. only an image)")
        return None, below
    prompt_text = "\n".join([prompt.text] if prompt and prompt.text else [])
    return Generation(
        id=start,
        parent=parent,
        prompt="\n".join(x for x in (prompt_text, *read) if x),
        reply="\n".join(reply),
        reasoning="\n".join(reasoning),
        reasoning_seconds=sum(seconds) if seconds else None,
        model_slug=model or default_model,
        create_time=when if when is not None else (prompt.time if prompt else None),
        regenerated=regenerated,
        tool_outputs=tools,
        images=images,
        message_ids=tuple(ids),
        platform=platform,
        files=files,
    ), below


def linear_parents(messages: list[Message]) -> None:
    """Links messages listed in time order without parent links, for exports that keep none.

    Each message follows the one before it, except that a reply following a reply is another
    reply to the same prompt (a regeneration: its sibling), so the next prompt follows the last one.
    """
    last: Message | None = None
    for m in messages:
        if m.role == "assistant" and last is not None and last.role == "assistant":
            m.parent = last.parent
        else:
            m.parent = last.id if last is not None else None
        last = m


def _inf(t: float | None) -> float:
    return t if t is not None else float("inf")


def _count(counts: dict[str, int], what: str, n: int = 1) -> None:
    counts[what] = counts.get(what, 0) + n


def count(counts: dict[str, int], what: str, n: int = 1) -> None:
    """Adds ``n`` to what a reader left out or assumed (shown as "n x what")."""
    if n:
        _count(counts, what, n)


def skipped_notes(counts: Mapping[str, int]) -> tuple[str, ...]:
    return tuple(f"{n} {what}" for what, n in counts.items())


# -- damaged conversations ----------------------------------------------------------------------

DAMAGE = (InvalidInput, KeyError, TypeError, ValueError, AttributeError, IndexError, RecursionError)


def read_each(
    raws: Iterable[Any], read: Callable[[int, Any], Conversation | None], platform: str, what: str
) -> list[Conversation]:
    """Every conversation ``read`` makes of ``raws``; a damaged one is reported and skipped.

    A damaged conversation becomes an empty one whose ``skipped`` says why, so that one bad entry
    never loses the whole file; if *every* entry is damaged the file is not this service's export
    (or not an export at all) and the first reason is raised, naming ``what`` was expected.
    """
    out: list[Conversation] = []
    first_error: str | None = None
    damaged = 0
    n = 0
    for i, raw in enumerate(raws):
        n += 1
        try:
            conv = read(i, raw)
        except DAMAGE as exc:
            damaged += 1
            reason = exc.message if isinstance(exc, InvalidInput) else f"{type(exc).__name__}: {exc}"
            first_error = first_error or reason
            cid = _raw_id(raw, i)
            out.append(
                Conversation(
                    cid, "", None, (), (f"1 damaged conversation skipped ({cid}: {reason[:200]})",), platform
                )
            )
            continue
        if conv is not None:
            out.append(conv)
    if n and damaged == n:
        raise InvalidInput(first_error or "no conversation could be read", f"is it {what}?")
    return out


def _raw_id(raw: Any, i: int) -> str:
    if isinstance(raw, Mapping):
        for key in ("uuid", "id", "conversation_id", "chatId"):
            if isinstance(raw.get(key), str) and raw[key]:
                return raw[key][:100]
        inner = raw.get("conversation")
        if isinstance(inner, Mapping) and isinstance(inner.get("id"), str):
            return inner["id"][:100]
    return f"#{i}"


# -- field readers -----------------------------------------------------------------------------

_LAST_TIME = 253_402_300_799.0  # 9999-12-31T23:59:59Z: later (or infinite) times cannot be dates


def epoch(value: Any) -> float | None:
    """Seconds since 1970 of a number that can be a date; anything else is undated (None)."""
    ok = isinstance(value, int | float) and not isinstance(value, bool) and 0 < value <= _LAST_TIME
    return float(value) if ok else None


_FRACTION = re.compile(r"(\.\d{6})\d+")


def iso_time(value: Any, naive: list[bool] | None = None) -> float | None:
    """Epoch seconds of an ISO-8601 time ("…Z", "…+08:00"); a time with no zone is read as UTC.

    ``naive``: appended True for each zone-less time read, so the reader can say it assumed UTC.
    """
    if not isinstance(value, str) or not value.strip():
        return None
    text = _FRACTION.sub(r"\1", value.strip())
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        t = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    if t.tzinfo is None:
        if naive is not None:
            naive.append(True)
        t = t.replace(tzinfo=dt.UTC)
    try:
        return epoch(t.timestamp())
    except (OverflowError, ValueError, OSError):
        return None


def text_of(value: Any) -> str:
    """A string field, or "" for anything else (missing, null, a number)."""
    return value if isinstance(value, str) else ""


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def as_map(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


class _Text(HTMLParser):
    """The text of an HTML fragment, with block elements on their own lines (no markup counted)."""

    BLOCKS = frozenset(
        {
            "p",
            "div",
            "br",
            "li",
            "ul",
            "ol",
            "pre",
            "table",
            "tr",
            "h1",
            "h2",
            "h3",
            "h4",
            "h5",
            "h6",
            "blockquote",
            "hr",
        }
    )

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def html_text(html: str) -> str:
    """Visible text of an HTML fragment (a reply as Takeout stores it), lines trimmed."""
    p = _Text()
    p.feed(html)
    p.close()
    lines = (line.strip() for line in "".join(p.parts).splitlines())
    return "\n".join(line for line in lines if line)
