"""Microsoft Copilot's activity history (account.microsoft.com > Privacy > Copilot > Export) read as generations.

The privacy dashboard gives CSV files (UTF-8 with a BOM, CRLF rows, multi-line quoted messages):
``copilot-activity-history.csv`` (``Conversation,Time,Author,Message``: Time ISO without a zone,
Author ``AI`` / ``Human``), ``copilot-chat-activity.csv`` (``CreatedAt,MessageContent,Author,
ChatName``: ``M/D/YYYY H:MM:SS +HH:MM``, Author ``user`` / the assistant's name) and, prompts only,
``windows-apps-copilot-activity-history.csv`` (``Timestamp,ClientApp,Prompt``). Rows are newest
first, and a reply shares its prompt's second: the file is read backwards, never sorted.

There are no ids: a conversation is the rows of one title, split where the same title comes back
after more than :data:`SAME_CONVERSATION_GAP_S` (a new conversation that got the same title);
ids are made from the title's hash and the first time. Consecutive assistant rows are one reply.
No model, no reasoning: the site's default for the date is assumed (by the history estimate).
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import re
from dataclasses import dataclass

from pycore.errors import InvalidInput
from pycore.exports.archive import Document, Member
from pycore.exports.model import Conversation, Export, Generation, count, iso_time, read_each, skipped_notes

PLATFORM = "copilot"
NAME = "Copilot"
FORMAT = (
    "Copilot activity history CSV (account.microsoft.com Privacy > Copilot > Export all activity history)"
)
# Rows of one title more than this apart are two conversations (titles repeat for generic first
# prompts); a conversation resumed after longer is then counted without its earlier context.
SAME_CONVERSATION_GAP_S = 24 * 3600
USER_AUTHORS = frozenset({"human", "user", "you", "me"})
_LAYOUTS = {  # normalised header -> (title, time, author, message) columns
    ("conversation", "time", "author", "message"): ("conversation", "time", "author", "message"),
    ("createdat", "messagecontent", "author", "chatname"): (
        "chatname",
        "createdat",
        "author",
        "messagecontent",
    ),
}
_PROMPTS_ONLY = ("timestamp", "clientapp", "prompt")


def wants(member: Member) -> bool:
    return member.suffix == ".csv"


def _header(text: str) -> tuple[str, ...]:
    first = text.lstrip("\ufeff").split("\n", 1)[0]
    try:
        row = next(csv.reader([first]))
    except (csv.Error, StopIteration):
        return ()
    return tuple(re.sub(r"[^a-z]", "", c.casefold()) for c in row)


def claims(doc: Document) -> bool:
    if doc.kind != "text":
        return False
    h = _header(doc.data)
    return any(set(k) <= set(h) for k in _LAYOUTS) or set(_PROMPTS_ONLY) <= set(h)


@dataclass
class Row:
    title: str
    time: float | None
    user: bool
    text: str
    order: int


def read(docs: list[Document]) -> Export:
    rows: list[Row] = []
    seen: set[tuple[str, bool, str]] = set()
    notes: list[str] = []
    counts: dict[str, int] = {}
    naive: list[bool] = []
    for d in docs:
        if not claims(d):
            raise InvalidInput(f"{d.name} is not a Copilot activity CSV", "give copilot-activity-history.csv")
        h = _header(d.data)
        if set(_PROMPTS_ONLY) <= set(h) and not any(set(k) <= set(h) for k in _LAYOUTS):
            n = sum(1 for _ in csv.reader(io.StringIO(d.data.lstrip("\ufeff")))) - 1
            count(counts, "prompts of the Windows apps file, which holds no replies: not counted", max(n, 0))
            continue
        for r in reversed(_rows(d, naive)):  # newest first in the file
            key = (r.title, r.user, r.text)
            if key in seen:
                count(counts, "rows found in two of the CSV files: counted once")
                continue
            seen.add(key)
            r.order = len(rows)
            rows.append(r)
    # Files merged by time; rows of the same second keep their file's (reversed) order, prompt first.
    rows.sort(key=lambda r: (r.time if r.time is not None else float("inf"), r.order))
    convs = _conversations(rows, counts)
    notes.append(
        "Copilot's export has no conversation ids: conversations grouped by title, split after "
        f"{SAME_CONVERSATION_GAP_S // 3600} h without a message; no model named"
    )
    if naive:
        notes.append(
            f"{len(naive)} times without a time zone (Copilot's CSV does not say which): read as UTC"
        )
    notes.extend(f"{n} x {what}" for what, n in counts.items())
    return Export(PLATFORM, FORMAT, convs, notes)


def _rows(d: Document, naive: list[bool]) -> list[Row]:
    reader = csv.reader(io.StringIO(d.data.lstrip("\ufeff"), newline=""))
    header = [re.sub(r"[^a-z]", "", c.casefold()) for c in next(reader, [])]
    layout = next(v for k, v in _LAYOUTS.items() if set(k) <= set(header))
    col = {name: header.index(name) for name in layout}
    title, time, author, message = layout
    out: list[Row] = []
    for k, row in enumerate(reader):
        if not row or len(row) < len(header):
            continue
        who = row[col[author]].strip().casefold()
        out.append(
            Row(row[col[title]], _time(row[col[time]], naive), who in USER_AUTHORS, row[col[message]], k)
        )
    return out


_US_TIME = re.compile(
    r"(\d{1,2})/(\d{1,2})/(\d{4}) (\d{1,2}):(\d{2})(?::(\d{2}))?\s*(AM|PM)?\s*([+-]\d{2}:?\d{2})?$", re.I
)


def _time(text: str, naive: list[bool]) -> float | None:
    text = text.strip()
    m = _US_TIME.match(text)
    if not m:
        return iso_time(text, naive)
    mon, day, year, h, mi, s, ampm, off = m.groups()
    h = int(h) % 12 + (12 if ampm and ampm.upper() == "PM" else 0) if ampm else int(h)
    if off:
        sign = 1 if off[0] == "+" else -1
        digits = off[1:].replace(":", "")
        tz = dt.timezone(sign * dt.timedelta(hours=int(digits[:2]), minutes=int(digits[2:])))
    else:
        naive.append(True)
        tz = dt.UTC
    try:
        return dt.datetime(int(year), int(mon), int(day), h, int(mi), int(s or 0), tzinfo=tz).timestamp()
    except ValueError:
        return None


def _conversations(rows: list[Row], counts: dict[str, int]) -> list[Conversation]:
    """Rows (oldest first) grouped by title and time gap, each prompt with the assistant rows after it."""
    groups: list[list[Row]] = []
    open_by_title: dict[str, list[Row]] = {}
    for r in rows:
        g = open_by_title.get(r.title)
        last = g[-1].time if g else None
        if g is None or (r.time is not None and last is not None and r.time - last > SAME_CONVERSATION_GAP_S):
            g = []
            groups.append(g)
            open_by_title[r.title] = g
        g.append(r)

    def conversation(i: int, g: list[Row]) -> Conversation:
        first = next((r.time for r in g if r.time is not None), None)
        stamp = (
            dt.datetime.fromtimestamp(first, dt.UTC).isoformat(timespec="seconds")
            if first is not None
            else "undated"
        )
        cid = f"{stamp}-{hashlib.sha256(g[0].title.encode()).hexdigest()[:12]}"
        skipped: dict[str, int] = {}
        gens: list[Generation] = []
        parent: str | None = None
        used: set[str] = set()
        k = 0
        while k < len(g):
            prompt = g[k] if g[k].user else None
            j = k + 1 if prompt else k
            replies = []
            while j < len(g) and not g[j].user:
                replies.append(g[j])
                j += 1
            if prompt and not replies:
                count(skipped, "prompt without a reply")
            elif replies:
                if prompt is None:
                    count(skipped, "reply without a prompt in the export: counted with an empty prompt")
                when = replies[0].time if replies[0].time is not None else (prompt.time if prompt else None)
                base = (
                    dt.datetime.fromtimestamp(when, dt.UTC).strftime("%Y%m%dT%H%M%S")
                    if when is not None
                    else "undated"
                )
                gid, n = base, 1
                while gid in used:
                    n += 1
                    gid = f"{base}#{n}"
                used.add(gid)
                gens.append(
                    Generation(
                        id=gid,
                        parent=parent,
                        prompt=prompt.text if prompt else "",
                        reply="\n".join(r.text for r in replies),
                        reasoning="",
                        reasoning_seconds=None,
                        model_slug=None,
                        create_time=when,
                        regenerated=False,
                        tool_outputs=0,
                        images=0,
                        message_ids=(gid,),
                        platform=PLATFORM,
                    )
                )
                parent = gid
            k = j
        return Conversation(cid, g[0].title, first, tuple(gens), skipped_notes(skipped), PLATFORM)

    return read_each(groups, conversation, PLATFORM, "a Copilot activity CSV")
