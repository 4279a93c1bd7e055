"""Perplexity's history read as generations: the data-request JSON, and threads saved from its thread API.

The data request (perplexity.typeform.com/datarequest) delivers a JSON ``{"conversations":
[{context_title, created_at, mode, collection_uuid, entries: [{query, answer, mode, created_at,
query_status}]}]}``: one entry is one query and its answer, in order. It has no ids (made here
from the time and a hash of the title) and no model, only a ``mode`` (``COPILOT`` = Pro search,
``CONCISE``, …): the site's default for the date is assumed (by the history estimate). An entry
with no answer (``query_status`` other than ``COMPLETED``) is not counted.

Also read, because third-party exporters save it (not an official export): the thread API's
``{"entries": [{backend_uuid, context_uuid, thread_title, query_str, display_model,
entry_created_datetime, blocks: [{markdown_block: {answer}}]}]}``, one file per thread or a list
of them, which names the model of each entry (``display_model``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from pycore.errors import InvalidInput
from pycore.exports.archive import Document, Member
from pycore.exports.model import (
    Conversation,
    Export,
    Generation,
    as_list,
    as_map,
    count,
    iso_time,
    read_each,
    skipped_notes,
    text_of,
)

PLATFORM = "perplexity"
NAME = "Perplexity"
FORMAT = (
    "Perplexity data-request JSON (perplexity.typeform.com/datarequest), or threads saved from its thread API"
)


def wants(member: Member) -> bool:
    return member.suffix == ".json"


def _gdpr(data: Any) -> bool:
    return (
        isinstance(data, Mapping)
        and isinstance(data.get("conversations"), list)
        and any(
            isinstance(c, Mapping) and isinstance(c.get("entries"), list) for c in data["conversations"][:20]
        )
    )


def _thread(data: Any) -> bool:
    return (
        isinstance(data, Mapping)
        and isinstance(data.get("entries"), list)
        and any(
            isinstance(e, Mapping) and ("query_str" in e or "backend_uuid" in e) for e in data["entries"][:20]
        )
    )


def claims(doc: Document) -> bool:
    d = doc.data
    return doc.kind == "json" and (
        _gdpr(d) or _thread(d) or (isinstance(d, list) and any(_thread(t) for t in d[:20]))
    )


def read(docs: list[Document]) -> Export:
    convs: list[Conversation] = []
    threads: list[Any] = []
    notes: list[str] = []
    gdpr = False
    for d in docs:
        if d.kind == "json" and d.data == []:
            continue  # an empty file of the export
        if not claims(d):
            raise InvalidInput(
                f"{d.name} is not a Perplexity export", "give the JSON of Perplexity's data request"
            )
        if _gdpr(d.data):
            gdpr = True
            convs.extend(
                read_each(
                    d.data["conversations"], _gdpr_conversation, PLATFORM, "Perplexity's data-request JSON"
                )
            )
        else:
            threads.extend(d.data if isinstance(d.data, list) else [d.data])
    if threads:
        entries = [e for t in threads if isinstance(t, Mapping) for e in as_list(t.get("entries"))]
        convs.extend(_threads(entries))
        notes.append(
            "threads saved from Perplexity's thread API (not an official export): model per entry "
            "as 'display_model'"
        )
    if gdpr:
        notes.append("Perplexity's data-request export names a mode, not a model: the site's default assumed")
    return Export(PLATFORM, FORMAT, convs, notes)


def _made_id(created: Any, title: str) -> str:
    return "pplx-" + hashlib.sha256(f"{text_of(created)}|{title}".encode()).hexdigest()[:16]


def _gdpr_conversation(i: int, raw: Any) -> Conversation:
    if not isinstance(raw, Mapping) or not isinstance(raw.get("entries"), list):
        raise InvalidInput(f"conversation {i}: no 'entries' list")
    title = text_of(raw.get("context_title"))
    cid = (
        text_of(raw.get("uuid")) or text_of(raw.get("context_uuid")) or _made_id(raw.get("created_at"), title)
    )
    skipped: dict[str, int] = {}
    gens: list[Generation] = []
    parent: str | None = None
    for k, e in enumerate(raw["entries"]):
        e = as_map(e)
        answer, query = text_of(e.get("answer")), text_of(e.get("query"))
        if not answer:
            status = text_of(e.get("query_status")) or "no status"
            count(skipped, f"query without an answer ({status})")
            continue
        gid = text_of(e.get("uuid")) or f"{k}"
        gens.append(
            Generation(
                id=gid,
                parent=parent,
                prompt=query,
                reply=answer,
                reasoning="",
                reasoning_seconds=None,
                model_slug=None,
                create_time=iso_time(e.get("created_at")),
                regenerated=False,
                tool_outputs=0,
                images=0,
                message_ids=(gid,),
                platform=PLATFORM,
            )
        )
        parent = gid
    return Conversation(
        cid, title, iso_time(raw.get("created_at")), tuple(gens), skipped_notes(skipped), PLATFORM
    )


def _threads(entries: list[Any]) -> list[Conversation]:
    groups: dict[str, list[Mapping[str, Any]]] = {}
    for k, e in enumerate(entries):
        e = as_map(e)
        key = text_of(e.get("context_uuid")) or text_of(e.get("thread_url_slug")) or f"#{k}"
        groups.setdefault(key, []).append(e)

    def conversation(i: int, item: tuple[str, list[Mapping[str, Any]]]) -> Conversation:
        cid, rows = item
        seen: set[str] = set()
        rows = sorted(rows, key=lambda e: iso_time(e.get("entry_created_datetime")) or float("inf"))
        skipped: dict[str, int] = {}
        gens: list[Generation] = []
        parent: str | None = None
        for k, e in enumerate(rows):
            gid = text_of(e.get("backend_uuid")) or text_of(e.get("uuid")) or f"{k}"
            if gid in seen:  # the same entry saved twice (two captures of one thread)
                continue
            seen.add(gid)
            answer = "\n".join(
                text_of(as_map(b.get("markdown_block")).get("answer"))
                for b in as_list(e.get("blocks"))
                if isinstance(b, Mapping)
            ).strip()
            if not answer:
                count(skipped, f"query without an answer ({text_of(e.get('status')) or 'no status'})")
                continue
            model = text_of(e.get("display_model")) or text_of(e.get("user_selected_model")) or None
            gens.append(
                Generation(
                    id=gid,
                    parent=parent,
                    prompt=text_of(e.get("query_str")),
                    reply=answer,
                    reasoning="",
                    reasoning_seconds=None,
                    model_slug=model,
                    create_time=iso_time(e.get("entry_created_datetime")),
                    regenerated=False,
                    tool_outputs=0,
                    images=0,
                    message_ids=(gid,),
                    platform=PLATFORM,
                )
            )
            parent = gid
        first = rows[0] if rows else {}
        return Conversation(
            cid,
            text_of(first.get("thread_title")),
            iso_time(first.get("entry_created_datetime")),
            tuple(gens),
            skipped_notes(skipped),
            PLATFORM,
        )

    return read_each(list(groups.items()), conversation, PLATFORM, "a Perplexity thread")
