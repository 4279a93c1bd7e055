"""Conventions that keep the adapters honest: every adapter in extension/sites/ is declared in the
manifest for exactly its hosts (after the shared files, before the observer), has a fixture and
expectations, and only reads the page (no HTML strings written anywhere in the content scripts)."""

from __future__ import annotations

import json
import re
from pathlib import Path

from .expected import ALL, FIXTURES

REPO = Path(__file__).resolve().parents[2]
SITES = REPO / "extension" / "sites"
MANIFEST = json.loads((REPO / "manifest.json").read_text("utf-8"))
HTML_SINKS = re.compile(r"\.(innerHTML|outerHTML)\s*=|insertAdjacentHTML|document\.write|DOMParser|"
                        r"createContextualFragment|setHTMLUnsafe|\beval\(|new Function\(")


def adapters() -> dict[str, list[str]]:
    out = {}
    for path in sorted(SITES.glob("*.js")):
        src = path.read_text("utf-8")
        site = re.search(r'\bid:\s*"([a-z]+)"', src).group(1)
        listed = re.search(r"hosts:\s*\[([^\]]*)\]", src)  # adapters without host names get theirs from the registry
        hosts = re.findall(r'"([a-z.]+\.[a-z]+)"', listed.group(1)) if listed else []
        assert site == path.stem, f"{path.name} registers id {site!r}"
        out[site] = hosts
    return out


def test_every_adapter_is_in_the_manifest_for_its_hosts():
    found = adapters()
    assert sorted(found) == ["chatgpt", "deepseek", "gemini"]
    entries = MANIFEST["content_scripts"]
    for site, hosts in found.items():
        mine = [cs for cs in entries if f"sites/{site}.js" in cs["js"]]
        assert len(mine) == 1, site
        cs = mine[0]
        assert cs["js"] == ["content/common.js", "content/badge.js", f"sites/{site}.js", "content/observer.js"]
        assert sorted(cs["matches"]) == sorted(f"https://{h}/*" for h in hosts)
        assert set(cs["matches"]) <= set(MANIFEST["host_permissions"])
    assert len(entries) == len(found)


def test_every_adapter_has_fixtures_and_expectations():
    for site in adapters():
        assert (FIXTURES / f"{site}.html").is_file(), site
        assert site in ALL and ALL[site].platform == site
        variants = [f for f in ALL.values() if f.platform == site]
        assert all((FIXTURES / f"{f.name}.html").is_file() for f in variants)
    for path in FIXTURES.glob("*.html"):  # every fixture is used
        assert path.stem in ALL or path.stem == "unrecognised", path.name
        assert path.read_text("utf-8").lstrip().lower().startswith("<!doctype html>\n<!-- {")


def test_content_scripts_never_write_html():
    for path in [*SITES.glob("*.js"), *(REPO / "extension" / "content").glob("*.js"), REPO / "extension" / "popup.js",
                 REPO / "extension" / "import.js"]:
        hits = HTML_SINKS.findall(path.read_text("utf-8"))
        assert not hits, f"{path.name}: {hits}"
