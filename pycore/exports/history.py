"""What a whole chat history cost: every generation of an export, estimated as the extension would.

Each generation is estimated with its own model (the slug the export names, resolved like a page
label; where it names none, the site's default on the conversation's date), its context along its own branch of the conversation tree (earlier prompts and replies,
not earlier reasoning), and the product's per-request overhead, by
:func:`conversation.estimate_turn`, so a history adds up to what `promptwatt chat` gives for the
same turns. Regenerations and abandoned branches consumed energy and are counted.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from pycore.chat import impact
from pycore.chat.conversation import ExchangeEstimate, Turn, chat_overhead, estimate_turn, impact_fields
from pycore.chat.platforms import ModelMapping, dated_default, default_label, resolve
from pycore.errors import InvalidInput
from pycore.exports.model import Conversation, Generation
from pycore.ranges import Range


@dataclass
class Tally:
    """Sums over a group of generations (a conversation, a model, a month, everything)."""

    generations: int = 0
    regenerated: int = 0
    input_tokens: int = 0
    output_tokens: Range = field(default_factory=lambda: Range.point(0.0))
    reasoning_estimated: int = 0
    gpu_wh: Range = field(default_factory=lambda: Range.point(0.0))
    wall_wh: Range = field(default_factory=lambda: Range.point(0.0))
    co2_g: Range = field(default_factory=lambda: Range.point(0.0))
    water_onsite_ml: Range = field(default_factory=lambda: Range.point(0.0))
    water_offsite_ml: Range = field(default_factory=lambda: Range.point(0.0))
    embodied_co2_g: Range = field(default_factory=lambda: Range.point(0.0))

    @property
    def water_ml(self) -> Range:
        return self.water_onsite_ml + self.water_offsite_ml

    def add(self, g: Generation, e: ExchangeEstimate) -> None:
        self.generations += 1
        self.regenerated += g.regenerated
        self.input_tokens += e.input_tokens
        self.output_tokens = self.output_tokens + e.output_tokens
        self.reasoning_estimated += e.reasoning_estimated
        self.gpu_wh = self.gpu_wh + e.gpu_wh
        self.wall_wh = self.wall_wh + e.wall_wh
        self.co2_g = self.co2_g + e.co2_g
        self.water_onsite_ml = self.water_onsite_ml + e.water_onsite_ml
        self.water_offsite_ml = self.water_offsite_ml + e.water_offsite_ml
        self.embodied_co2_g = self.embodied_co2_g + e.embodied_co2_g

    def as_dict(self) -> dict[str, Any]:
        return {
            "generations": self.generations,
            "regenerated": self.regenerated,
            "input_tokens": self.input_tokens,
            **self.output_tokens.flat("output_tokens"),
            "reasoning_estimated": self.reasoning_estimated,
            **self.gpu_wh.flat("energy_wh"),
            **self.wall_wh.flat("wall_wh"),
            **self.co2_g.flat("co2_g"),
            **impact_fields(self),
        }


@dataclass
class ConversationTally:
    id: str
    title: str
    create_time: float | None
    tally: Tally = field(default_factory=Tally)

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "title": self.title, "create_time": self.create_time, **self.tally.as_dict()}


@dataclass
class History:
    platform: str
    total: Tally
    by_model: dict[str, Tally]
    by_month: dict[str, Tally]
    conversations: list[ConversationTally]
    region: str | None
    first: float | None
    last: float | None
    notes: list[str]

    def equivalents(self) -> list[dict[str, Any]]:
        return impact.equivalents(self.total.wall_wh, self.total.co2_g, self.total.water_ml)

    def as_dict(self) -> dict[str, Any]:
        eqs = []
        for eq in self.equivalents():
            v = Range.of(eq["value"])
            eqs.append({**eq, "value": v.central, "value_low": v.low, "value_high": v.high})
        return {
            "platform": self.platform,
            "total": self.total.as_dict(),
            "by_model": {k: t.as_dict() for k, t in self.by_model.items()},
            "by_month": {k: t.as_dict() for k, t in self.by_month.items()},
            "conversations": [c.as_dict() for c in self.conversations],
            "region": self.region,
            "first": _iso(self.first),
            "last": _iso(self.last),
            "equivalents": eqs,
            "notes": self.notes,
        }


class Branches:
    """Turn index and context of each generation along its own branch of one conversation's tree.

    Shared by :func:`estimate_history` and the extension's import (``pycore.exports.records``), so
    that both give a generation the same context: the earlier prompts and replies of its branch.
    """

    def __init__(self) -> None:
        self._after: dict[str, tuple[int, int]] = {}  # generation id -> (context tokens after it, its index)

    def place(self, g: Generation) -> tuple[int, int]:
        """(turn index, context tokens) of ``g``: one after its parent's, with the parent's prompt and reply added."""
        context, index = self._after.get(g.parent, (0, -1)) if g.parent else (0, -1)
        return index + 1, context

    def done(self, g: Generation, index: int, context: int, prompt_tokens: int, reply_tokens: int) -> None:
        self._after[g.id] = (context + prompt_tokens + reply_tokens, index)


class Models:
    """The model each generation is estimated with, shared by the history and the import.

    The slug the export names is resolved like a page label; where the export names none (Claude,
    Gemini, Le Chat, Copilot, Perplexity), the site's default label on the date of the conversation
    is assumed, and its warnings say so.
    """

    def __init__(self, platform: str) -> None:
        self.platform = platform
        self._cache: dict[tuple[str, str], ModelMapping] = {}

    def of(self, g: Generation, conv_time: float | None) -> ModelMapping:
        if g.model_slug:
            key = ("named", g.model_slug)
            if key not in self._cache:
                self._cache[key] = resolve(self.platform, g.model_slug)
            return self._cache[key]
        when = conv_time if conv_time is not None else g.create_time
        day = dt.datetime.fromtimestamp(when, dt.UTC).date() if when is not None else None
        dated = dated_default(self.platform, day)
        label = dated.label if dated else default_label(self.platform)
        key = ("default", f"{label}|{dated.since if dated else ''}")
        if key not in self._cache:
            m = resolve(self.platform, label)
            if dated:
                note = (
                    f"no model named in the export: the site's default on the conversation's date assumed "
                    f"({label!r}, its default from {dated.since.isoformat()})"
                )
            else:
                note = f"no model named in the export: the site's current default {label!r} assumed"
            self._cache[key] = dataclasses.replace(m, warnings=(*m.warnings, note))
        return self._cache[key]


def platform_of(conversations: Sequence[Conversation]) -> str:
    """The one platform the conversations (or their generations) come from."""
    found = {c.platform for c in conversations if c.platform} | {
        g.platform for c in conversations if not c.platform for g in c.generations[:1] if g.platform
    }
    if len(found) != 1:
        raise InvalidInput(
            "the platform of these conversations is "
            + ("mixed: " + ", ".join(sorted(found)) if found else "not known"),
            "give the platform",
        )
    return found.pop()


def turn_of(g: Generation) -> Turn:
    return Turn(g.prompt, g.reply, g.reasoning, g.reasoning_seconds)


def count_notes(counts: dict[str, int], g: Generation, warnings: Sequence[str]) -> None:
    """Adds one generation's warnings and what was not counted (images) or counted as input (tool outputs)."""
    for w in warnings:
        key = _note_key(w)
        counts[key] = counts.get(key, 0) + 1
    extra = (
        (g.tool_outputs, "tool outputs read back: counted with the prompt, as one request"),
        (g.images, "images (uploaded or generated): not counted, text only"),
        (g.files, "attached files whose content the export does not hold: not counted"),
    )
    for n, what in extra:
        if n:
            counts[what] = counts.get(what, 0) + n


def count_skipped(counts: dict[str, int], conv: Conversation) -> None:
    """Adds what the reader left out of a conversation ("1 prompt without a reply")."""
    for s in conv.skipped:
        n, what = s.split(" ", 1)
        counts[what] = counts.get(what, 0) + int(n)


def note_lines(counts: dict[str, int]) -> list[str]:
    # most frequent first, ties by text: the same lines whatever order the counts were gathered in
    return [f"{n} x {what}" for what, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]


def estimate_history(
    conversations: Sequence[Conversation],
    platform: str | None = None,
    *,
    region: str | None = None,
    since: dt.date | None = None,
    until: dt.date | None = None,
    progress: Any = None,
    notes: Sequence[str] = (),
    pue: float | None = None,
    wue: float | None = None,
) -> History:
    """Every generation of ``conversations`` made between ``since`` and ``until`` (UTC dates, inclusive).

    Generations outside the dates still carry context to later ones; an undated one is kept.
    ``platform``: by default the conversations' own; ``notes``: what the reader assumed, listed first.
    ``pue`` / ``wue`` replace each deployment's PUE and the operator's WUE.
    """
    impact.check_pue(pue)
    impact.check_wue(wue)
    if since and until and since > until:
        raise InvalidInput(f"--since {since} is after --until {until}")
    platform = platform or platform_of(conversations)
    grid_g, grid_warning = None, ""
    if region:
        grid_g, grid = impact.grid_intensity(region)
        grid_warning = grid.warning if grid.is_fallback else ""
        water_rec = impact.electricity_water(region)[1]
        if water_rec.is_fallback and not grid.is_fallback:
            grid_warning = water_rec.warning
        region = grid.iso  # the grid used ("fr" -> FR, an unknown code -> WORLD), as chat and estimate say
    overhead = chat_overhead(platform)
    models = Models(platform)
    total = Tally()
    by_model: dict[str, Tally] = {}
    by_month: dict[str, Tally] = {}
    out: list[ConversationTally] = []
    counts: dict[str, int] = {}
    first = last = None
    done = 0
    for conv in conversations:
        ct = ConversationTally(conv.id, conv.title, conv.create_time)
        branches = Branches()
        for g in conv.generations:
            index, context = branches.place(g)
            m = models.of(g, conv.create_time)
            e, prompt, reply = estimate_turn(
                m,
                turn_of(g),
                index,
                context,
                grid_g_per_kwh=grid_g,
                overhead=overhead,
                region=region,
                pue=pue,
                wue=wue,
            )
            branches.done(g, index, context, prompt, reply)
            done += 1
            if progress and done % 500 == 0:
                progress(done)
            if not _within(g.create_time, since, until):
                continue
            count_notes(counts, g, (*m.warnings, *e.warnings))
            for tally in (
                total,
                ct.tally,
                by_model.setdefault(m.label, Tally()),
                by_month.setdefault(_month(g.create_time), Tally()),
            ):
                tally.add(g, e)
            if g.create_time is not None:
                first = g.create_time if first is None else min(first, g.create_time)
                last = g.create_time if last is None else max(last, g.create_time)
        count_skipped(counts, conv)
        if ct.tally.generations:
            out.append(ct)
    notes = [*notes, *note_lines(counts)]
    if grid_warning:
        notes.append(grid_warning)
    out.sort(key=lambda c: -c.tally.wall_wh.central)
    return History(
        platform,
        total,
        dict(sorted(by_model.items(), key=lambda kv: -kv[1].wall_wh.central)),
        dict(sorted(by_month.items())),
        out,
        region,
        first,
        last,
        notes,
    )


def _within(t: float | None, since: dt.date | None, until: dt.date | None) -> bool:
    if t is None:
        return True
    day = dt.datetime.fromtimestamp(t, dt.UTC).date()
    return (since is None or day >= since) and (until is None or day <= until)


def _month(t: float | None) -> str:
    return dt.datetime.fromtimestamp(t, dt.UTC).strftime("%Y-%m") if t is not None else "undated"


def _iso(t: float | None) -> str | None:
    return dt.datetime.fromtimestamp(t, dt.UTC).isoformat(timespec="seconds") if t is not None else None


def _note_key(w: str) -> str:
    """Warnings that differ only by numbers (durations, token counts) are counted together."""
    if w.startswith("reasoning tokens estimated:"):
        return "reasoning tokens estimated from the 'Thought for' duration x the label's decode speed"
    # "the high size (661B parameters, 2687 tokens) does not fit on ...": one note per size and deployment
    return re.sub(r", \d+ tokens\)", ")", w)
