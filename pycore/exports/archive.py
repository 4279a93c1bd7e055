"""The files of an export as the user has it: the zip as downloaded, the folder it unzips to, or one file.

Why: each service packs its export differently (one ``conversations.json``, one JSON file per
conversation, CSV files, a Takeout tree of folders), and the extension's import page hands over
bytes under a name that says nothing. :class:`Source` lists the files whatever the container, and
:func:`document` decodes one by its content (JSON, HTML or CSV text), so detection can look at
shapes, not names.
"""

from __future__ import annotations

import json
import os
import zipfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pycore.errors import InvalidInput

ZIP_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, OSError)
MAX_MEMBERS = 200_000  # a Takeout or Le Chat zip holds many files; more than this is not an export
TEXT_KINDS = {".json": "json", ".csv": "text", ".html": "text", ".htm": "text", ".txt": "text"}


@dataclass(frozen=True)
class Member:
    """One file of the export: its path inside it (``/``-separated) and how to read its bytes."""

    name: str
    size: int
    read: Callable[[], bytes]

    @property
    def base(self) -> str:
        return self.name.rsplit("/", 1)[-1]

    @property
    def suffix(self) -> str:
        base = self.base
        return base[base.rfind(".") :].casefold() if "." in base else ""


@dataclass(frozen=True)
class Source:
    name: str  # the file or folder name, for messages
    kind: str  # "zip", "folder" or "file"
    members: tuple[Member, ...]


@dataclass
class Document:
    """One decoded file: ``kind`` "json" (``data`` the parsed value), "text" (``data`` a str), or
    "bad" (``error`` says why it could not be decoded)."""

    name: str
    kind: str
    data: Any
    error: str = ""


@contextmanager
def open_source(path: str | Path) -> Iterator[Source]:
    """The export at ``path``; a zip stays open while the source is used."""
    p = Path(path)
    if not p.exists():
        raise InvalidInput(
            f"no such file: {p}", "give the export .zip as downloaded, or a file or folder from it"
        )
    if p.is_dir():
        yield Source(p.name, "folder", _folder(p))
        return
    try:
        with p.open("rb") as f:
            magic = f.read(4)
    except OSError as exc:
        raise InvalidInput(f"cannot read {p}: {exc.strerror or exc}") from exc
    if zipfile.is_zipfile(p):
        try:
            with zipfile.ZipFile(p) as z:
                infos = [i for i in z.infolist() if not i.is_dir()]
                if len(infos) > MAX_MEMBERS:
                    raise InvalidInput(f"{p.name} holds {len(infos):,} files: not a chat export")
                yield Source(
                    p.name,
                    "zip",
                    tuple(Member(i.filename, i.file_size, _zip_reader(z, i, p.name)) for i in infos),
                )
        except zipfile.BadZipFile as exc:
            raise InvalidInput(f"{p.name} is a damaged zip: {exc}", "download the export again") from exc
        return
    if magic == b"PK\x03\x04":  # a zip's first entry, but no directory at its end: cut short
        raise InvalidInput(f"{p.name} is a damaged zip: its end is missing", "download the export again")
    yield Source(p.name, "file", (Member(p.name, p.stat().st_size, p.read_bytes),))


def _zip_reader(z: zipfile.ZipFile, info: zipfile.ZipInfo, zip_name: str) -> Callable[[], bytes]:
    def read() -> bytes:
        try:
            return z.read(info)
        except ZIP_ERRORS as exc:
            raise InvalidInput(
                f"{zip_name} is a damaged zip: {info.filename}: {exc}", "download the export again"
            ) from exc

    return read


def _folder(root: Path) -> tuple[Member, ...]:
    out: list[Member] = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for f in sorted(filenames):
            full = Path(dirpath) / f
            out.append(Member(full.relative_to(root).as_posix(), full.stat().st_size, full.read_bytes))
            if len(out) > MAX_MEMBERS:
                raise InvalidInput(f"{root.name} holds more than {MAX_MEMBERS:,} files: not a chat export")
    return tuple(out)


def document(member: Member, *, sniff: bool = False) -> Document:
    """The member decoded: JSON by its ``.json`` name (or, with ``sniff``, by a first ``{``/``[``),
    text otherwise. Undecodable bytes give a "bad" document, not an error: the caller decides."""
    data = member.read()
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    kind = TEXT_KINDS.get(member.suffix)
    if kind is None and sniff:
        head = data[:64].lstrip()
        kind = "json" if head[:1] in (b"{", b"[") else "text"
    if kind is None:
        return Document(member.name, "bad", None, "not a file an export holds")
    if not data.strip():
        return Document(member.name, "bad", None, "empty")
    try:
        if kind == "json":  # parsed from the bytes: no decoded copy of a large file held beside them
            return Document(member.name, "json", json.loads(data))
        return Document(member.name, "text", data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        return Document(member.name, "bad", None, f"not UTF-8 text ({exc.reason} at byte {exc.start})")
    except (json.JSONDecodeError, RecursionError) as exc:
        return Document(member.name, "bad", None, f"not valid JSON: {exc}")
