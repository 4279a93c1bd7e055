"""Human-written Markdown found offline, rendered by a real CommonMark renderer and read back by
the content script's ``readText`` in Chromium, with and without Markdown reconstruction.

Used by ``test_markdown.py`` (a handful of documents) and ``bench/bench_markdown.py`` (a few hundred).
"""

from __future__ import annotations

import hashlib
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from markdown_it import MarkdownIt

from pycore.chat.tokenizers import count_tokens

REPO = Path(__file__).resolve().parents[2]
COMMON_JS = REPO / "extension" / "content" / "common.js"
TOKENIZER = "o200k_base"
# Legal texts are prose with little Markdown: not the kind of text a chat reply is.
NOT_PROSE = ("license", "licence", "copying", "notice")
COMMENT = re.compile(r"<!--.*?-->\n?", re.S)

# CommonMark plus the two GFM extensions chat sites render (tables, ~~strikethrough~~); raw HTML
# passes through as the sites' renderers would not, which the error figures include.
_RENDERER = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])

# Reads one rendered document back both ways, in the page that loaded common.js.
READ_BACK = """(html) => {
  const box = document.getElementById('doc');
  box.innerHTML = html;
  const out = {plain: PromptWatt.dom.readText(box), markdown: PromptWatt.dom.readText(box, {markdown: true})};
  box.replaceChildren();
  return out;
}"""


@dataclass(frozen=True)
class Doc:
    path: Path
    source: str

    @property
    def html(self) -> str:
        return render(self.source)


def render(markdown: str) -> str:
    return _RENDERER.render(markdown)


def npm_global_root() -> Path | None:
    """Where npm keeps its globally installed packages (npm's own bundled modules live there)."""
    try:
        out = subprocess.run(["npm", "root", "-g"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    path = Path(out.stdout.strip())
    return path if out.returncode == 0 and path.is_dir() else None


NODE_DOCS = Path("/usr/share/doc/nodejs")  # Node's API docs, where the nodejs package installs them


def default_roots() -> list[Path]:
    """The repository's own Markdown, its node_modules (``npm ci``), npm's global packages, Node's docs."""
    roots = [REPO, REPO / "node_modules"]
    g = npm_global_root()
    if g:
        roots.append(g)
    if NODE_DOCS.is_dir():
        roots.append(NODE_DOCS)
    return roots


def documents(roots: list[Path], min_chars: int = 200, max_chars: int = 300_000) -> list[Doc]:
    """Every ``*.md`` under ``roots`` (symlinks followed), legal texts left out, duplicates once, in path order."""
    seen: set[str] = set()
    docs = []
    for root in roots:
        if not root.exists():
            continue
        if root == REPO:  # the repository itself: its tracked files only (no .venv, no caches)
            tracked = subprocess.run(
                ["git", "ls-files", "*.md"], cwd=REPO, capture_output=True, text=True
            ).stdout
            paths = [REPO / p for p in tracked.split()]
        else:
            paths = sorted(p for p in root.rglob("*") if p.suffix.lower() in (".md", ".markdown"))
        for p in paths:
            if not p.is_file() or p.stem.lower().startswith(NOT_PROSE):
                continue
            # HTML comments never reach the page (Node's API docs keep YAML metadata in them): not Markdown
            # the reader could see, nor anything a chat reply holds.
            text = COMMENT.sub("", p.read_text("utf-8", errors="replace"))
            key = hashlib.sha256(text.encode()).hexdigest()
            if key in seen or not min_chars <= len(text) <= max_chars:
                continue
            seen.add(key)
            docs.append(Doc(p, text))
    return docs


def open_reader(context: Any) -> Any:
    """A blank page of ``context`` with common.js loaded and an empty #doc element."""
    page = context.new_page()
    page.set_content("<!doctype html><title>corpus</title><body><div id='doc'></div></body>")
    page.add_script_tag(path=str(COMMON_JS))
    return page


# Cost of one read of the same document both ways (ms, best of `reps`, interleaved).
TIME_READS = """([html, reps]) => {
  const box = document.getElementById('doc');
  box.innerHTML = html;
  const best = {plain: Infinity, markdown: Infinity};
  for (let i = 0; i < reps; i++) {
    let t = performance.now(); PromptWatt.dom.readText(box); best.plain = Math.min(best.plain, performance.now() - t);
    t = performance.now(); PromptWatt.dom.readText(box, {markdown: true});
    best.markdown = Math.min(best.markdown, performance.now() - t);
  }
  box.replaceChildren();
  return best;
}"""


@dataclass(frozen=True)
class Counts:
    source: int
    plain: int
    markdown: int

    def error(self, which: str) -> float:
        """|count/source - 1| of the plain or the Markdown reading."""
        return abs(getattr(self, which) / self.source - 1)


def counts(page: Any, doc: Doc) -> Counts:
    out = page.evaluate(READ_BACK, doc.html)
    return Counts(
        count_tokens(doc.source, TOKENIZER),
        count_tokens(out["plain"], TOKENIZER),
        count_tokens(out["markdown"], TOKENIZER),
    )
