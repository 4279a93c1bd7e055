"""The registry of supported chat sites (``data/sites.json``): the one place a site is declared.

Why a registry: a site used to be named in nine files (manifest, popup, store, data files, tests,
tools). Now ``build.py`` generates the manifest's host permissions and content scripts and the
extension's site constants from this file, the core reads each site's platform data through it,
and tests, bench and tools iterate it. Host names are data here, never code elsewhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from pycore.errors import DataFileError, InvalidInput
from pycore.resources import load_json

DATA_FILE = "sites.json"
SCHEMA_VERSION = 1
_REQUIRED = ("id", "name", "color", "hosts", "title_suffixes", "tokenizer", "adapter", "fixtures", "platform")


@dataclass(frozen=True)
class Site:
    """One supported chat site: how the extension finds it and where its data lives."""

    id: str
    name: str
    color: str
    hosts: tuple[str, ...]
    title_suffixes: tuple[str, ...]
    tokenizer: str
    adapter: str  # repository path of the page adapter (extension/sites/<id>.js)
    fixtures: str  # repository glob of its browser-test fixtures
    platform: str  # data file (under pycore/data) of what its labels stand for
    page_csp: str | None = None  # a Content-Security-Policy the real site sends

    @property
    def matches(self) -> tuple[str, ...]:
        """Chrome match patterns of the site's pages."""
        return tuple(f"https://{h}/*" for h in self.hosts)


@lru_cache(maxsize=1)
def all_sites() -> tuple[Site, ...]:
    """Every registered site, in display order."""
    doc = load_json(DATA_FILE)
    if not isinstance(doc, dict) or doc.get("schema_version") != SCHEMA_VERSION:
        raise DataFileError(f"{DATA_FILE}: expected schema_version {SCHEMA_VERSION}")
    out: list[Site] = []
    for i, raw in enumerate(doc.get("sites") or ()):
        missing = [k for k in _REQUIRED if not isinstance(raw, dict) or k not in raw]
        if missing:
            raise DataFileError(f"{DATA_FILE}: site #{i} lacks {', '.join(missing)}")
        site = Site(
            id=raw["id"],
            name=raw["name"],
            color=raw["color"],
            hosts=tuple(raw["hosts"]),
            title_suffixes=tuple(raw["title_suffixes"]),
            tokenizer=raw["tokenizer"],
            adapter=raw["adapter"],
            fixtures=raw["fixtures"],
            platform=raw["platform"],
            page_csp=raw.get("page_csp"),
        )
        if not site.id.isalpha() or not site.id.islower() or not site.hosts:
            raise DataFileError(f"{DATA_FILE}: site {site.id!r} needs a lower-case id and at least one host")
        out.append(site)
    ids = [s.id for s in out]
    if len(set(ids)) != len(ids):
        raise DataFileError(f"{DATA_FILE}: a site id is listed twice: {ids}")
    return tuple(out)


def site_ids() -> tuple[str, ...]:
    """Ids of the registered sites (the CLI's ``--platform`` values), in display order."""
    return tuple(s.id for s in all_sites())


def site(site_id: str) -> Site:
    """The registered site ``site_id``; an unknown id names the known ones."""
    for s in all_sites():
        if s.id == site_id:
            return s
    raise InvalidInput(f"unknown chat platform {site_id!r}", "known platforms: " + ", ".join(site_ids()))
