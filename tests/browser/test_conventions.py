"""Conventions that keep the sites honest: the registry (pycore/data/sites.json) is the one place a
site is declared. Every registered site has an adapter, fixtures with expectations, platform data
and a tokenizer; every adapter is registered; the built manifest runs each adapter on exactly its
site's hosts; no host name is written anywhere else in the code; and the content scripts only read
the page (no HTML strings written anywhere)."""

from __future__ import annotations

import glob
import json
import re
from pathlib import Path

import pytest

from pycore.chat import platforms
from pycore.chat.sites import all_sites
from pycore.chat.tokenizers import available_tokenizers
from pycore.resources import data_path

from .expected import ALL, FIXTURES, URLS
from .harness import build_module

REPO = Path(__file__).resolve().parents[2]
SITES = REPO / "extension" / "sites"
HTML_SINKS = re.compile(
    r"\.(innerHTML|outerHTML)\s*=|insertAdjacentHTML|document\.write|DOMParser|"
    r"createContextualFragment|setHTMLUnsafe|\beval\(|new Function\("
)
# Code that must not name a site's host: it reads the registry instead. Fixture pages and their
# expectations (fixtures/<name>.json: the URLs the fixtures live at) and docs may.
CODE = [
    "extension/**/*.js",
    "extension/**/*.html",
    "pycore/**/*.py",
    "build.py",
    "bench/*.py",
    "tools/*.py",
    "tools/*.mjs",
    "tests/**/*.py",
    "tests/**/*.mjs",
    "tests/browser/fixtures/drivers/*.js",
    "scripts/*.sh",
]


def _registered_id(path: Path) -> str:
    return re.search(r'\bid:\s*"([a-z]+)"', path.read_text("utf-8")).group(1)


@pytest.mark.parametrize("site", all_sites(), ids=lambda s: s.id)
def test_every_registered_site_is_complete(site):
    adapter = REPO / site.adapter
    assert adapter.is_file(), f"{site.id}: no adapter at {site.adapter}"
    assert adapter.parent == SITES and _registered_id(adapter) == site.id == adapter.stem
    fixtures = sorted(Path(p) for p in glob.glob(str(REPO / site.fixtures)))
    assert fixtures, f"{site.id}: no fixture matches {site.fixtures}"
    assert site.id in ALL and ALL[site.id].platform == site.id, f"{site.id}: no expectations in expected.py"
    assert all(f.stem in ALL and ALL[f.stem].platform == site.id for f in fixtures), site.id
    assert (FIXTURES / "drivers" / f"{site.id}.js").is_file(), (
        f"{site.id}: no page driver fixtures/drivers/{site.id}.js"
    )
    assert any(s == site.id for s, _, _ in URLS), f"{site.id}: its main fixture lists no conversation_urls"
    assert data_path(site.platform).is_file(), f"{site.id}: no platform data {site.platform}"
    assert platforms.labels(site.id), site.id
    assert site.tokenizer in available_tokenizers(), f"{site.id}: tokenizer {site.tokenizer!r} is not bundled"
    assert re.fullmatch(r"#[0-9a-f]{6}", site.color), site.id
    assert all(re.fullmatch(r"[a-z0-9.-]+\.[a-z]+", h) for h in site.hosts), site.id


def test_every_adapter_is_registered():
    registered = {s.adapter for s in all_sites()}
    for path in sorted(SITES.glob("*.js")):
        assert path.relative_to(REPO).as_posix() in registered, (
            f"{path.name} is not in pycore/data/sites.json"
        )


def test_built_manifest_runs_each_adapter_on_its_hosts_only():
    b = build_module()
    manifest = json.loads(b.manifest("0.0.0"))
    entries = manifest["content_scripts"]
    assert len(entries) == len(all_sites())
    for site, cs in zip(all_sites(), entries, strict=True):
        assert cs["js"] == [
            "content/common.js",
            "content/registry.js",
            "content/badge.js",
            f"sites/{site.id}.js",
            "content/observer.js",
        ]
        assert cs["matches"] == list(site.matches)
    assert manifest["host_permissions"] == [m for s in all_sites() for m in s.matches]
    assert set(b.generated()) == {"content/registry.js", "lib/sites.js", "sites.css"}


def test_no_host_name_outside_the_registry():
    hosts = sorted({h for s in all_sites() for h in s.hosts}, key=len, reverse=True)
    pattern = re.compile("|".join(re.escape(h) + "|" + re.escape(re.escape(h)) for h in hosts))
    hits = []
    for spec in CODE:
        for path in sorted(REPO.glob(spec)):
            rel = path.relative_to(REPO).as_posix()
            if not path.is_file():
                continue
            for n, line in enumerate(path.read_text("utf-8").splitlines(), 1):
                if pattern.search(line):
                    hits.append(f"{rel}:{n}: {line.strip()[:100]}")
    assert not hits, "host names belong in pycore/data/sites.json:\n" + "\n".join(hits)


def test_every_fixture_is_used_and_documented():
    for path in FIXTURES.glob("*.html"):
        assert path.stem in ALL or path.stem == "unrecognised", f"{path.name} has no {path.stem}.json"
        assert path.read_text("utf-8").lstrip().lower().startswith("<!doctype html>\n<!-- {")


def test_content_scripts_never_write_html():
    for path in [
        *SITES.glob("*.js"),
        *(REPO / "extension" / "content").glob("*.js"),
        REPO / "extension" / "popup.js",
        REPO / "extension" / "import.js",
    ]:
        hits = HTML_SINKS.findall(path.read_text("utf-8"))
        assert not hits, f"{path.name}: {hits}"
