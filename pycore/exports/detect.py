"""Which service an export comes from, told from the file itself, and its reading.

Why from the file: the import page hands over bytes under a name that says nothing, and file
names repeat across services (ChatGPT, Claude and DeepSeek all ship a ``conversations.json``;
DeepSeek's is even a ``mapping`` tree like ChatGPT's). Each reader says which files of an export
it wants (by name, inside a zip or folder) and which it claims (by shape: Claude's
``chat_messages``, DeepSeek's ``fragments``, ChatGPT's ``author``, …); exactly one service must
claim the export, or it is refused with the formats known. ``platform`` forces a reader, which
still refuses a file of another shape rather than reading it as its own.
"""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

from pycore.errors import InvalidInput
from pycore.exports import chatgpt, claude, copilot, deepseek, gemini, grok, lechat, perplexity
from pycore.exports.archive import Document, Member, Source, document, open_source
from pycore.exports.model import Export

READERS: dict[str, ModuleType] = {
    r.PLATFORM: r for r in (chatgpt, claude, deepseek, grok, gemini, lechat, copilot, perplexity)
}
ALIASES = {"lechat": "mistral", "le chat": "mistral", "mistral": "mistral", "bard": "gemini", "xai": "grok"}


def formats() -> list[str]:
    """The export formats read, in words (for errors and `--help`)."""
    return [r.FORMAT for r in READERS.values()]


def reader_for(platform: str) -> ModuleType:
    key = platform.strip().casefold()
    key = ALIASES.get(key, key)
    if key not in READERS:
        raise InvalidInput(f"no export reader for {platform!r}", "readers: " + ", ".join(READERS))
    return READERS[key]


def load(path: str | Path, platform: str | None = None) -> Export:
    """The export at ``path`` (a zip, its folder, or one file of it), read by the service it comes from."""
    forced = reader_for(platform) if platform else None
    with open_source(path) as source:
        docs, members = _documents(source, forced)
        return _read(source, docs, members, forced)


def _documents(source: Source, forced: ModuleType | None) -> tuple[list[Document], dict[str, Member]]:
    """The files worth decoding: a lone file always; in a zip or folder, those a reader wants by name
    (or, if none is, every JSON, CSV and HTML file, for exports whose file names are unknown)."""
    readers = [forced] if forced else list(READERS.values())
    if source.kind == "file":
        m = source.members[0]
        return [document(m, sniff=True)], {m.name: m}
    wanted = [m for m in source.members if any(r.wants(m) for r in readers)]
    if not wanted:
        wanted = [m for m in source.members if m.suffix in (".json", ".csv", ".html")]
    members = {m.name: m for m in sorted(wanted, key=lambda m: m.name)}
    return [document(m) for m in members.values()], members


def _read(
    source: Source, docs: list[Document], members: dict[str, Member], forced: ModuleType | None
) -> Export:
    lone = source.kind == "file"

    def claimed_by(r: ModuleType) -> list[Document]:
        return [d for d in docs if d.kind != "bad" and (lone or r.wants(members[d.name])) and r.claims(d)]

    by_reader = {p: claimed_by(r) for p, r in READERS.items()}
    claiming = [p for p, ds in by_reader.items() if ds]
    if forced is not None:
        mine = by_reader[forced.PLATFORM]
        if not mine:
            others = ", ".join(READERS[p].NAME for p in claiming)
            raise InvalidInput(
                f"{source.name} is not {forced.NAME}'s export"
                + (f": it looks like {others}'s" if others else ""),
                f"expected {forced.FORMAT}",
            )
        return _with_bad(forced, forced.read(mine + _empty(forced, docs, members, lone)), docs, members, lone)
    if len(claiming) == 1:
        r = READERS[claiming[0]]
        return _with_bad(
            r, r.read(by_reader[claiming[0]] + _empty(r, docs, members, lone)), docs, members, lone
        )
    if len(claiming) > 1:
        names = ", ".join(READERS[p].NAME for p in claiming)
        raise InvalidInput(
            f"{source.name} holds exports of several services ({names})",
            "give one export at a time, or choose one with --platform",
        )
    bad = [d for d in docs if d.kind == "bad"]
    if lone and bad:
        raise InvalidInput(
            f"{source.name} is not a chat export PromptWatt can read: {bad[0].error}",
            "known formats: " + "; ".join(formats()),
        )
    if not docs:
        raise InvalidInput(
            f"{source.name} holds no chat export PromptWatt can read",
            "known formats: " + "; ".join(formats()),
        )
    raise InvalidInput(
        f"{source.name} is not a chat export PromptWatt can read", "known formats: " + "; ".join(formats())
    )


def _empty(
    reader: ModuleType, docs: list[Document], members: dict[str, Member], lone: bool
) -> list[Document]:
    """Files of the reader's names holding an empty list: an empty conversation (Le Chat) or part,
    which no shape can claim, but which belongs to the export read."""
    return (
        []
        if lone
        else [d for d in docs if d.kind == "json" and d.data == [] and reader.wants(members[d.name])]
    )


def _with_bad(
    reader: ModuleType, export: Export, docs: list[Document], members: dict[str, Member], lone: bool
) -> Export:
    """Adds a note for each file the reader wanted that could not be decoded (one damaged file of
    many is skipped and said, never the whole export lost)."""
    for d in docs:
        if d.kind == "bad" and (lone or reader.wants(members[d.name])):
            export.notes.append(f"{d.name} skipped: {d.error}")
    return export
