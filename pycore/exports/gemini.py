"""Gemini's history from Google Takeout (My Activity > Gemini Apps), JSON or HTML, read as generations.

``Takeout/My Activity/Gemini Apps/MyActivity.json`` is a list of activity rows, newest first:
``{header: "Gemini Apps", title: "Prompted <prompt>", time (ISO UTC), safeHtmlItem: [{html}],
details: [{url: "https://<the Gemini host>/app/<id>"}], attachedFiles, …}``. One row is one
prompt and its reply; several ``safeHtmlItem`` entries are drafts the model generated for it (each
a generation; the first is taken as the one the conversation continued from). Rows of other
kinds (feedback, Canvas creation, "Selected preferred draft") are not generations. The HTML
variant holds the same rows as ``outer-cell`` blocks: "Prompted <prompt><br><local time with a
zone abbreviation><br><reply>".

Grouping: rows naming a conversation (``details``/``titleUrl`` link to ``/app/<id>``, in exports
since mid-2026) are grouped by it, in time order, each turn following the one before; rows naming
none (older exports) are counted each on its own, without the context of earlier turns, and the
notes say so. The export names no model and holds no reasoning: the site's default for the date
is assumed (by the history estimate).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

from pycore.chat.sites import site
from pycore.errors import InvalidInput
from pycore.exports.archive import Document, Member
from pycore.exports.model import (
    Conversation,
    Export,
    Generation,
    as_list,
    as_map,
    count,
    html_text,
    iso_time,
    read_each,
    skipped_notes,
    text_of,
)

PLATFORM = "gemini"
NAME = "Gemini"
FORMAT = "Gemini Apps activity from Google Takeout (My Activity > Gemini Apps: MyActivity.json or .html)"
PROMPT_VERBS = ("Prompted ", "Branched ")
# rows that record something else than a prompt and its reply
OTHER_VERBS = (
    "Gave feedback",
    "Selected preferred draft",
    "Cleared",
    "Used ",
    "Added ",
    "Created ",
    "Deleted ",
    "Shared ",
    "Pinned ",
    "Renamed ",
)
# a conversation link on any of the site's hosts (the registry's), with or without an account prefix
_CONV = re.compile(
    "(?:" + "|".join(re.escape(h) for h in site("gemini").hosts) + r")/(?:u/\d+/)?app/([A-Za-z0-9_-]+)"
)
_IMAGE = re.compile(r"\.(png|jpe?g|gif|webp|heic)$", re.I)
_HTML_HEADER = re.compile(r"header-cell[^>]*>\s*(?:<[^>]+>\s*)*(?:Gemini|Bard)")


def _gemini_row(row: Any) -> bool:
    if not isinstance(row, Mapping):
        return False
    names = [text_of(row.get("header")), *(p for p in as_list(row.get("products")) if isinstance(p, str))]
    return any("gemini" in n.casefold() or n.casefold() == "bard" for n in names)


def wants(member: Member) -> bool:
    base = member.base.casefold()
    path = member.name.casefold()
    return member.suffix in (".json", ".html") and (
        base.replace(" ", "") in ("myactivity.json", "myactivity.html") or "gemini" in path or "bard" in path
    )


def claims(doc: Document) -> bool:
    if doc.kind == "json":
        return isinstance(doc.data, list) and any(_gemini_row(r) for r in doc.data[:50])
    if doc.kind == "text":  # a header cell naming the product (other products' pages may mention Gemini)
        return bool(_HTML_HEADER.search(doc.data[:200_000]))
    return False


@dataclass
class Row:
    """One activity row, JSON or HTML: the prompt, its drafts, its time and the conversation it names."""

    prompt: str
    drafts: list[str]
    time: float | None
    conversation: str | None
    several: bool = False
    images: int = 0
    files: int = 0
    verb_known: bool = True


@dataclass
class _Notes:
    counts: dict[str, int] = field(default_factory=dict)
    unknown_zones: set[str] = field(default_factory=set)


def read(docs: list[Document]) -> Export:
    rows: list[Row] = []
    notes = _Notes()
    html = False
    for d in docs:
        if d.kind == "json" and isinstance(d.data, list):
            rows.extend(_json_rows(d.data, notes))
        elif d.kind == "text" and claims(d):
            html = True
            rows.extend(_html_rows(d.data, notes))
        else:
            raise InvalidInput(
                f"{d.name} is not Gemini's activity", "give Takeout's My Activity/Gemini Apps file"
            )
    return _export(rows, notes, html)


# -- JSON rows ----------------------------------------------------------------------------------


def _json_rows(data: list[Any], notes: _Notes) -> list[Row]:
    out: list[Row] = []
    for raw in data:
        if not _gemini_row(raw):
            count(notes.counts, "activity rows of other products, or damaged: skipped")
            continue
        drafts = [html_text(text_of(as_map(h).get("html"))) for h in as_list(raw.get("safeHtmlItem"))]
        urls = [text_of(as_map(x).get("url")) for x in as_list(raw.get("details"))] + [
            text_of(raw.get("titleUrl"))
        ]
        ids = list(dict.fromkeys(m.group(1) for u in urls for m in [_CONV.search(u)] if m))
        files = [f for f in as_list(raw.get("attachedFiles")) if isinstance(f, str)]
        if isinstance(raw.get("imageFile"), str) and raw["imageFile"] not in files:
            files.append(raw["imageFile"])
        row = _row(
            text_of(raw.get("title")),
            [d for d in drafts if d],
            iso_time(raw.get("time")),
            ids[0] if ids else None,
            notes,
        )
        if row is not None:
            row.several = len(ids) > 1
            row.images = sum(1 for f in files if _IMAGE.search(f))
            row.files = len(files) - row.images
            out.append(row)
    return out


def _row(
    title: str, drafts: list[str], time: float | None, conversation: str | None, notes: _Notes
) -> Row | None:
    verb = next((v for v in PROMPT_VERBS if title.startswith(v) or title == v.strip()), None)
    if verb is None and (title.startswith(OTHER_VERBS) or not drafts):
        count(notes.counts, "activity rows that are not a prompt (feedback, Canvas, drafts chosen): skipped")
        return None
    if not drafts:
        count(notes.counts, "prompt without a reply")
        return None
    prompt = title[len(verb) :] if verb else title
    return Row(prompt.strip(), drafts, time, conversation, verb_known=verb is not None)


# -- HTML rows ----------------------------------------------------------------------------------


class _Cells(HTMLParser):
    """The ``outer-cell`` blocks of Takeout's HTML: per block its header, the body cell's pieces
    (text split at top-level ``<br>``; text inside nested elements kept as reply) and its links."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[dict[str, Any]] = []
        self._divs: list[str] = []  # the class of each open div
        self._in: str | None = None  # "header" / "body" / "caption" cell being read
        self._cell_depth = 0
        self._nested = 0  # open elements inside the body cell

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "a" and self.blocks and _CONV.search(a.get("href") or ""):
            self.blocks[-1]["links"].append(a["href"])
        if tag == "div":
            cls = a.get("class") or ""
            self._divs.append(cls)
            if "outer-cell" in cls.split():
                self.blocks.append({"header": "", "pieces": [""], "links": []})
                self._in = None
            elif self.blocks and self._in is None and "header-cell" in cls.split():
                self._in, self._cell_depth = "header", len(self._divs)
            elif self.blocks and self._in is None and "content-cell" in cls.split():
                body = "mdl-typography--body-1" in cls.split() and not self.blocks[-1].get("body_done")
                self._in, self._cell_depth = ("body" if body else "caption"), len(self._divs)
                self._nested = 0
                return
        if self._in == "body":
            if tag == "br" and self._nested == 0:
                self.blocks[-1]["pieces"].append("")
            elif tag not in ("br", "img", "hr", "wbr"):
                if self._nested == 0:
                    self.blocks[-1]["pieces"].append("")
                self._nested += 1
                if tag in _BLOCK:
                    self.blocks[-1]["pieces"][-1] += "\n"

    def handle_endtag(self, tag: str) -> None:
        if self._in == "body" and tag != "div" and self._nested > 0:
            self._nested -= 1
            if tag in _BLOCK:
                self.blocks[-1]["pieces"][-1] += "\n"
        if tag == "div" and self._divs:
            if self._in and len(self._divs) == self._cell_depth:
                if self._in == "body":
                    self.blocks[-1]["body_done"] = True
                self._in = None
            elif self._in == "body" and self._nested > 0:
                self._nested -= 1
            self._divs.pop()

    def handle_data(self, data: str) -> None:
        if not self.blocks or self._in is None:
            return
        if self._in == "header":
            self.blocks[-1]["header"] += data
        elif self._in == "body":
            self.blocks[-1]["pieces"][-1] += data


_BLOCK = frozenset(
    {"p", "li", "ul", "ol", "pre", "table", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote"}
)


def _html_rows(html: str, notes: _Notes) -> list[Row]:
    parser = _Cells()
    parser.feed(html)
    parser.close()
    out: list[Row] = []
    for b in parser.blocks:
        if "gemini" not in b["header"].casefold() and "bard" not in b["header"].casefold():
            count(notes.counts, "activity rows of other products, or damaged: skipped")
            continue
        pieces = [p.strip() for p in b["pieces"]]
        at = next(
            (k for k, p in enumerate(pieces) if k > 0 and _local_time(p, notes) is not _NOT_A_TIME), None
        )
        if at is None:
            time, title, rest = None, pieces[0], pieces[1:]
            count(notes.counts, "HTML rows with no time read: undated")
        else:
            t = _local_time(pieces[at], notes)
            time = t if isinstance(t, float) else None
            title, rest = "\n".join(p for p in pieces[:at] if p), pieces[at + 1 :]
        reply = "\n".join(line.strip() for p in rest for line in p.splitlines() if line.strip())
        ids = list(dict.fromkeys(m.group(1) for u in b["links"] for m in [_CONV.search(u)] if m))
        row = _row(title, [reply] if reply else [], time, ids[0] if ids else None, notes)
        if row is not None:
            row.several = len(ids) > 1
            out.append(row)
    return out


_NOT_A_TIME = object()
_MONTHS = {
    m: k + 1
    for k, m in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
    )
}
_TIME_US = re.compile(
    r"(?P<mon>[A-Za-z]{3,9})\.? (?P<day>\d{1,2}), (?P<year>\d{4}),?\s+(?P<h>\d{1,2}):(?P<m>\d{2})"
    r"(?::(?P<s>\d{2}))?\s*(?P<ampm>[AaPp]\.?[Mm]\.?)?\s*(?P<tz>[A-Za-z]{1,5}(?:[+-]\d{1,2}(?::?\d{2})?)?)?$"
)
_TIME_EU = re.compile(
    r"(?P<day>\d{1,2}) (?P<mon>[A-Za-z]{3,9})\.? (?P<year>\d{4}),?\s+(?P<h>\d{1,2}):(?P<m>\d{2})"
    r"(?::(?P<s>\d{2}))?\s*(?P<ampm>[AaPp]\.?[Mm]\.?)?\s*(?P<tz>[A-Za-z]{1,5}(?:[+-]\d{1,2}(?::?\d{2})?)?)?$"
)
# UTC offsets (hours) of the zone abbreviations Google writes in English exports. Ambiguous ones
# (IST, CST) are read in the sense Google's English locales use. Unknown ones are read as UTC, and said.
ZONES = {
    "UTC": 0,
    "GMT": 0,
    "Z": 0,
    "WET": 0,
    "WEST": 1,
    "BST": 1,
    "IST": 5.5,
    "CET": 1,
    "CEST": 2,
    "EET": 2,
    "EEST": 3,
    "MSK": 3,
    "EST": -5,
    "EDT": -4,
    "CST": -6,
    "CDT": -5,
    "MST": -7,
    "MDT": -6,
    "PST": -8,
    "PDT": -7,
    "AKST": -9,
    "AKDT": -8,
    "HST": -10,
    "AST": -4,
    "ADT": -3,
    "NST": -3.5,
    "NDT": -2.5,
    "JST": 9,
    "KST": 9,
    "HKT": 8,
    "SGT": 8,
    "AWST": 8,
    "ACST": 9.5,
    "ACDT": 10.5,
    "AEST": 10,
    "AEDT": 11,
    "NZST": 12,
    "NZDT": 13,
    "SAST": 2,
    "WAT": 1,
    "CAT": 2,
    "EAT": 3,
    "PKT": 5,
    "ICT": 7,
    "WIB": 7,
    "PHT": 8,
    "BRT": -3,
    "ART": -3,
}


def _local_time(text: str, notes: _Notes) -> Any:
    """Epoch seconds of "Sep 10, 2026, 9:30:02 AM CEST" (or "10 Sep 2026, 09:30:02 CEST"); None if it
    reads as a time but is not a valid one; ``_NOT_A_TIME`` if it does not look like one."""
    m = _TIME_US.match(text) or _TIME_EU.match(text)
    if not m or m.group("mon")[:3].casefold() not in _MONTHS:
        return _NOT_A_TIME
    h = int(m.group("h"))
    ampm = (m.group("ampm") or "").replace(".", "").casefold()
    if ampm == "pm" and h < 12:
        h += 12
    elif ampm == "am" and h == 12:
        h = 0
    zone = (m.group("tz") or "").upper()
    offset = _offset(zone)
    if offset is None:
        notes.unknown_zones.add(zone or "(none)")
        offset = 0.0
    try:
        local = dt.datetime(
            int(m.group("year")),
            _MONTHS[m.group("mon")[:3].casefold()],
            int(m.group("day")),
            h,
            int(m.group("m")),
            int(m.group("s") or 0),
            tzinfo=dt.timezone(dt.timedelta(hours=offset)),
        )
    except ValueError:
        return None
    return local.timestamp()


def _offset(zone: str) -> float | None:
    if zone in ZONES:
        return float(ZONES[zone])
    m = re.fullmatch(r"(?:GMT|UTC)([+-])(\d{1,2})(?::?(\d{2}))?", zone)
    if m:
        sign = 1 if m.group(1) == "+" else -1
        return sign * (int(m.group(2)) + int(m.group(3) or 0) / 60)
    return None


# -- rows to conversations ----------------------------------------------------------------------


def _export(rows: list[Row], notes: _Notes, html: bool) -> Export:
    groups: dict[str, list[Row]] = {}
    alone: list[Row] = []
    for r in reversed(rows):  # the file is newest first; reversed keeps rows of the same time in order
        if r.conversation:
            groups.setdefault(r.conversation, []).append(r)
        else:
            alone.append(r)
    conversations = [_conversation(cid, rs) for cid, rs in groups.items()]

    def single(i: int, r: Row) -> Conversation:
        return _conversation(_made_id(r, i), [r])

    conversations += read_each(alone, single, PLATFORM, "Gemini's My Activity")
    conversations.sort(key=lambda c: c.create_time if c.create_time is not None else float("inf"))
    out = [f"{FORMAT.split(' (')[0]}, {'HTML' if html else 'JSON'}: no model and no reasoning in the export"]
    if alone:
        out.append(
            f"{len(alone)} prompts name no conversation (Takeout before mid-2026 has no conversation ids): "
            "each counted on its own, without the context of earlier turns, so long conversations are "
            "underestimated"
        )
    several = sum(r.several for r in rows)
    if several:
        out.append(f"{several} rows name several conversations: counted in the first one named")
    unknown = sum(not r.verb_known for r in rows)
    if unknown:
        out.append(
            f"{unknown} rows with a reply but an activity verb not known (a localised export?): "
            "read as prompts, title as the prompt"
        )
    drafts = sum(len(r.drafts) - 1 for r in rows)
    if drafts:
        out.append(
            f"{drafts} extra drafts (regenerations) counted; the first draft of each prompt is taken as the "
            "one the conversation went on from"
        )
    if html:
        out.append("HTML export: times are local with a zone abbreviation, to the second")
    if notes.unknown_zones:
        out.append(
            f"time zone(s) {', '.join(sorted(notes.unknown_zones))} not known: those times read as UTC"
        )
    out.extend(f"{n} x {what}" for what, n in notes.counts.items())
    return Export(PLATFORM, FORMAT, conversations, out)


def _made_id(r: Row, i: int) -> str:
    when = f"{r.time:.3f}" if r.time is not None else f"#{i}"
    return "row-" + hashlib.sha256(f"{when}|{r.prompt}".encode()).hexdigest()[:16]


def _conversation(cid: str, rows: list[Row]) -> Conversation:
    rows = sorted(rows, key=lambda r: r.time if r.time is not None else float("inf"))
    gens: list[Generation] = []
    parent: str | None = None
    used: set[str] = set()
    skipped: dict[str, int] = {}
    for r in rows:
        base = f"{cid}@{round(r.time * 1000) if r.time is not None else 'undated'}"
        gid = base
        n = 1
        while gid in used:
            n += 1
            gid = f"{base}#{n}"
        first = None
        for k, draft in enumerate(r.drafts):
            did = gid if k == 0 else f"{gid}/draft{k + 1}"
            used.add(did)
            gens.append(
                Generation(
                    id=did,
                    parent=parent,
                    prompt=r.prompt,
                    reply=draft,
                    reasoning="",
                    reasoning_seconds=None,
                    model_slug=None,
                    create_time=r.time,
                    regenerated=k > 0,
                    tool_outputs=0,
                    images=r.images if k == 0 else 0,
                    message_ids=(did,),
                    platform=PLATFORM,
                    files=r.files if k == 0 else 0,
                )
            )
            first = first or did
        parent = first or parent
    times = [r.time for r in rows if r.time is not None]
    return Conversation(cid, "", min(times) if times else None, tuple(gens), skipped_notes(skipped), PLATFORM)
