"""A chat export (any service :mod:`pycore.exports.detect` reads) turned into the extension's records:
counts and energies, never text.

The extension only records conversations while it is installed; its import page hands the
export's bytes to Pyodide (written into its file system) and asks ``pycore.browser.entry`` for records
batch by batch, so that it can show progress, store them as they come and be cancelled. An
import is a *session*: ``open_session`` reads and parses the whole export once (the text stays
in this process's memory, for the session only), ``next_batch`` estimates the next generations,
``close_session`` drops it.

A long export is shared out between workers: each opens the same file as one ``part`` of
``parts`` and keeps every ``parts``-th conversation (a conversation's generations depend on each
other through their context, never on another conversation's, so the split changes no record).
Each part's last batch carries its counts of what was assumed; ``merged_notes`` adds them up into
the notes one session over the whole export would have given.

Each generation is placed on its own branch as :func:`history.estimate_history` places it
(:class:`history.Branches`: same turn index, same context) and given its model as the history
gives it (:class:`history.Models`: the slug the export names, or the site's default on the date);
``estimate`` (the browser module's exchange path) turns it into the exchange op's value, so a
record equals, to the bit, the ``exchange`` op on the same texts at that context.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import count
from typing import Any

from pycore.chat.conversation import Turn
from pycore.chat.platforms import ModelMapping, platforms
from pycore.errors import InvalidInput
from pycore.exports import detect
from pycore.exports.history import Branches, Models, count_notes, count_skipped, note_lines, turn_of
from pycore.exports.model import Conversation, Generation

MAX_BATCH = 2000  # generations per next_batch call
MAX_PARTS = 8  # workers an export may be shared out between
MAX_MESSAGE_IDS = 64  # ids kept per record to match live recordings (the page marks a reply by an early one)

# (mapping, turn, turn index, context tokens) -> (exchange op value, warnings, prompt tokens, reply tokens)
Estimate = Callable[[ModelMapping, Turn, int, int], tuple[dict[str, Any], list[str], int, int]]


@dataclass
class Session:
    """One export being imported: where the batches have got to."""

    id: str
    conversations: list[Conversation]
    generations: int  # in the whole export
    platform: str = "chatgpt"  # the site the export comes from (detected)
    format: str = ""  # the shape read, in words
    export_notes: list[str] = field(default_factory=list)  # what the reader assumed
    conv_index: int = 0  # the conversation being estimated
    gen_index: int = 0  # its next generation
    branches: Branches = field(default_factory=Branches)
    done_generations: int = 0
    models: Models | None = None
    counts: dict[str, int] = field(default_factory=dict)  # notes: what was not counted, fallbacks, ...
    settings: Any = None  # the caller's (pycore.browser.entry: region, grid, PUE for every batch)
    part: int = 0  # which share of the export's conversations this session estimates
    parts: int = 1

    @property
    def finished(self) -> bool:
        return self.conv_index >= len(self.conversations)

    def progress(self) -> dict[str, Any]:
        return {
            "platform": self.platform,
            "done": {"conversations": self.conv_index, "generations": self.done_generations},
            "total": {"conversations": len(self.conversations), "generations": self.generations},
            "finished": self.finished,
            "part": self.part,
            "parts": self.parts,
        }


_sessions: dict[str, Session] = {}
_ids = count(1)


def open_session(path: str, platform: str | None = None, part: int = 0, parts: int = 1) -> Session:
    """Reads the export at ``path`` (any service's: the zip, or one file of it; the service is
    detected from the file, or forced by ``platform``) and removes the file. The session keeps the
    conversations of its ``part`` (every ``parts``-th, from the ``part``-th) and their generations.

    The file is a copy the import page wrote into Pyodide's file system: it goes whatever the
    outcome (a bad file is reported, not kept). Earlier sessions are dropped: one page imports one
    export at a time, and their text should not stay in memory.
    """
    if not isinstance(path, str) or not path:
        raise InvalidInput("path must name the export file written for the import")
    try:
        if platform is not None and not isinstance(platform, str):
            raise InvalidInput("platform must be a string (the site id) or absent")
        _check_part(part, parts)
        export = detect.load(path, platform)
    finally:
        try:
            os.remove(path)
        except OSError:
            pass  # not there (the load error says so) or already gone
    if export.platform not in platforms():
        raise InvalidInput(
            f"this is {export.format.split(' (')[0]}, but the platform {export.platform!r} has no "
            "model data in this version",
            "known platforms: " + ", ".join(platforms()),
        )
    _sessions.clear()
    mine = list(export.conversations[part::parts])
    session = Session(
        f"import-{next(_ids)}",
        mine,
        sum(len(c.generations) for c in mine),
        export.platform,
        export.format,
        list(export.notes),
        models=Models(export.platform),
        part=part,
        parts=parts,
    )
    _sessions[session.id] = session
    return session


def _check_part(part: Any, parts: Any) -> None:
    if isinstance(parts, bool) or not isinstance(parts, int) or not 1 <= parts <= MAX_PARTS:
        raise InvalidInput(f"parts must be an integer from 1 to {MAX_PARTS}, got {parts!r}")
    if isinstance(part, bool) or not isinstance(part, int) or not 0 <= part < parts:
        raise InvalidInput(f"part must be an integer from 0 to {parts - 1}, got {part!r}")


def get_session(session_id: Any) -> Session:
    session = _sessions.get(session_id) if isinstance(session_id, str) else None
    if session is None:
        raise InvalidInput(f"no import session {session_id!r}", "open the export again (import_open)")
    return session


def close_session(session_id: Any) -> bool:
    return _sessions.pop(session_id, None) is not None if isinstance(session_id, str) else False


def next_batch(session: Session, limit: int, estimate: Estimate) -> dict[str, Any]:
    """Records of the next ``limit`` generations (or fewer, at the end), grouped by conversation."""
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_BATCH:
        raise InvalidInput(f"max_generations must be an integer from 1 to {MAX_BATCH}, got {limit!r}")
    out: list[dict[str, Any]] = []
    left = limit
    while left and not session.finished:
        conv = session.conversations[session.conv_index]
        if session.gen_index == 0:
            session.branches = Branches()
            count_skipped(session.counts, conv)
        records = []
        while left and session.gen_index < len(conv.generations):
            records.append(_record(session, conv, conv.generations[session.gen_index], estimate))
            session.gen_index += 1
            session.done_generations += 1
            left -= 1
        if records:
            out.append({"conversation_id": conv.id, "title": conv.title, "records": records})
        if session.gen_index >= len(conv.generations):
            session.conversations[session.conv_index] = _DONE  # its text is no longer needed
            session.conv_index += 1
            session.gen_index = 0
    value: dict[str, Any] = {"session": session.id, "conversations": out, **session.progress()}
    if session.finished:
        value["notes"] = [*session.export_notes, *note_lines(session.counts)]
        value["counts"] = dict(session.counts)  # for merged_notes, when the export was shared out
    return value


def merged_notes(session: Session, others: Any) -> list[str]:
    """The notes of the whole export: ``session``'s, with the counts the other parts' last batches gave."""
    if not isinstance(others, list) or len(others) > MAX_PARTS:
        raise InvalidInput(f"counts must be a list of the other parts' counts (at most {MAX_PARTS})")
    total = dict(session.counts)
    for counts in others:
        if not isinstance(counts, dict) or not all(
            isinstance(k, str) and isinstance(n, int) and not isinstance(n, bool) and n >= 0
            for k, n in counts.items()
        ):
            raise InvalidInput("each part's counts must map a note to a count >= 0 (its last batch's counts)")
        for what, n in counts.items():
            total[what] = total.get(what, 0) + n
    return [*session.export_notes, *note_lines(total)]


_DONE = Conversation("", "", None, ())


def _record(session: Session, conv: Conversation, g: Generation, estimate: Estimate) -> dict[str, Any]:
    index, context = session.branches.place(g)
    session.models = session.models or Models(session.platform)
    mapping = session.models.of(g, conv.create_time)
    value, warnings, prompt, reply = estimate(mapping, turn_of(g), index, context)
    session.branches.done(g, index, context, prompt, reply)
    count_notes(session.counts, g, warnings)
    when = g.create_time if g.create_time is not None else conv.create_time
    return {
        "gen": g.id,
        "prev_gen": g.parent,
        "msg_ids": list(g.message_ids[:MAX_MESSAGE_IDS]),
        "regenerated": g.regenerated,
        "time": when * 1000 if when is not None else None,
        # the label estimated with: the export's, or the site's default for the date (model_assumed)
        "model_label": g.model_slug or mapping.label,
        "model_assumed": not g.model_slug,
        "reasoning_seconds": g.reasoning_seconds,
        "turn_index": index,
        "context_tokens": context,
        "value": value,
        "warnings": warnings,
    }
