"""Markdown reconstruction of replies (``readText(el, {markdown: true})``) in real Chromium.

Snippets are shaped like each site's rendered reply markup (docs/sites.md; the fixtures),
read with that site's own skip selectors: each construct must come back as the Markdown a model
would have written, and a code block's header (language label, copy buttons) must count once.
The corpus test renders human-written Markdown with a real CommonMark renderer and checks that
the reconstruction's o200k count stays near the source's where the plain reading does not.
"""

from __future__ import annotations

import statistics

import pytest

from pycore.chat.sites import site

from .harness import Harness
from .md_corpus import REPO, Doc, counts
from .test_adapters import EXT, load

# What a site wraps its rendered reply in (the element the adapter reads).
CONTAINER = {
    "chatgpt": '<div class="markdown prose dark:prose-invert w-full wrap-break-word light markdown-new-styling">',
    "gemini": '<div class="markdown markdown-main-panel enable-updated-hr-color" dir="ltr" aria-busy="false">',
    "deepseek": '<div class="ds-markdown ds-assistant-message-main-content">',
    "claude": '<div class="standard-markdown grid-cols-1 grid gap-4 [&_>_*]:min-w-0">',
    "grok": '<div class="response-content-markdown markdown [&_a:not(.not-prose)]:text-current">',
    "copilot": '<div class="group/ai-message-item space-y-3 break-words font-ligatures-none">',
    "perplexity": '<div class="prose text-pretty dark:prose-invert inline leading-relaxed break-words min-w-0">',
    "mistral": '<div class="markdown-container-style prose dark:prose-invert max-w-none">',
    "none": "<div>",
}

KATEX = (
    '<span class="katex"><span class="katex-mathml"><math><semantics><mrow><mi>E</mi></mrow>'
    '<annotation encoding="application/x-tex">{tex}</annotation></semantics></math></span>'
    '<span class="katex-html" aria-hidden="true"><span class="base">E=mc2</span></span></span>'
)

CHATGPT_CODE = (
    '<pre class="overflow-visible!" data-start="10" data-end="60"><div class="contain-inline-size rounded-2xl relative '
    'bg-token-sidebar-surface-primary"><div class="flex items-center text-token-text-secondary px-4 py-2 text-xs '
    'font-sans justify-between h-9 select-none">{label}</div><div class="sticky top-9"><div class="absolute end-0 '
    'bottom-0 flex h-9 items-center pe-2"><div class="bg-token-bg-elevated-secondary flex items-center gap-4 '
    'rounded-sm px-2 font-sans text-xs"><button class="flex gap-1 items-center select-none py-1" aria-label="Copy">'
    '<svg width="20" height="20" aria-hidden="true"></svg>Copy code</button></div></div></div>'
    '<div class="overflow-y-auto p-4" dir="ltr"><code class="whitespace-pre!{cls}">{code}</code></div></div></pre>'
)

GEMINI_CODE = (
    '<code-block class="ng-star-inserted"><div class="code-block ng-star-inserted"><div class="code-block-decoration '
    'header-formatted gds-title-s"><span>{label}</span><div class="buttons ng-star-inserted"><button aria-label="Copy code" '
    'class="mdc-icon-button mat-mdc-icon-button copy-button"><mat-icon role="img" fonticon="content_copy" '
    'aria-hidden="true" class="mat-icon google-symbols">content_copy</mat-icon></button></div></div>'
    '<div class="formatted-code-block-internal-container"><div class="animated-opacity"><pre><code role="text" '
    'data-test-id="code-content" class="code-container formatted">{code}</code></pre></div></div></div></code-block>'
)

DEEPSEEK_CODE = (
    '<div class="md-code-block md-code-block-light"><div class="md-code-block-banner-wrap"><div class="md-code-block-banner">'
    '<span class="d813de27">{label}</span><div class="efa13877"><div role="button" class="ds-button ds-atom-button">'
    '<span class="ds-button__icon"><svg></svg></span>Copy</div><div role="button" class="ds-button ds-atom-button">'
    "Download</div></div></div></div><pre>{code}</pre></div>"
)

CLAUDE_CODE = (
    '<pre class="font-styrene border-0.5 border-border-100 rounded-lg bg-bg-300"><div class="relative flex flex-col '
    'rounded-lg"><div class="text-text-300 absolute pl-3 pt-2.5 text-xs">{label}</div><div class="pointer-events-none '
    'sticky my-0.5 ml-0.5 flex items-center justify-end px-1.5 py-1 top-0"><div class="pointer-events-auto rounded-md '
    'p-0.5"><button class="inline-flex h-8 rounded-md px-3 text-xs" aria-label="Copy to clipboard">Copy</button></div>'
    '</div><div><pre class="code-block__code !my-0 !rounded-lg !text-sm"><code{cls} style="white-space: pre;">{code}'
    "</code></pre></div></div></pre>"
)

GROK_CODE = (
    '<div class="not-prose"><div data-testid="code-block" class="relative not-prose @container/code-block mt-3 mb-3">'
    '<div class="flex flex-row px-4 py-2 h-10 items-center rounded-t-2xl"><span class="font-mono text-xs">{label}</span>'
    '</div><div class="sticky w-full right-2 z-10 top-24"><div class="absolute bottom-1 right-1 flex flex-row gap-0.5">'
    '<button aria-label="Copy" class="inline-flex items-center h-8 px-2 text-xs"><svg viewBox="0 0 24 24"></svg>'
    '<span>Copy</span></button></div></div><div class="shiki not-prose relative text-sm"><pre class="shiki slack-dark" '
    'tabindex="0"><code>{code}</code></pre></div></div></div>'
)

TABLE_MD = "| Altitude | Boils at |\n| --- | --- |\n| 0 m | 100 °C |\n| 3,000 m | 90 °C |"
TABLE_ROWS = (
    "<thead><tr><th>Altitude</th><th>Boils at</th></tr></thead><tbody><tr><td>0 m</td><td>100&nbsp;°C</td></tr>"
    "<tr><td>3,000 m</td><td>90 °C</td></tr></tbody>"
)

CASES = [
    # ---- ChatGPT (.markdown; react-markdown wraps list items in <p>, links get utm_source) ----
    (
        "chatgpt-headings-emphasis",
        "chatgpt",
        '<h2 data-start="0" data-end="15">Boiling point</h2>\n<p>Lower <strong>pressure</strong>, lower <em>temperature</em>, '
        "<del>faster</del>.</p>\n<h3>At altitude</h3>",
        "## Boiling point\n\nLower **pressure**, lower *temperature*, ~~faster~~.\n\n### At altitude",
    ),
    (
        "chatgpt-inline-code-and-link",
        "chatgpt",
        '<p>Run <code>pip install -e .</code>, then read <a href="https://example.org/guide?utm_source='
        + site("chatgpt").hosts[0]
        + '" '
        'target="_blank" rel="noopener" class="decorated-link">the guide<span aria-hidden="true" class="ms-0.5 '
        'inline-block"><svg width="20" height="20"></svg></span></a>.</p>',
        "Run `pip install -e .`, then read [the guide](https://example.org/guide).",
    ),
    (
        "chatgpt-code-block-header-label",
        "chatgpt",
        "<p>Install it:</p>"
        + CHATGPT_CODE.format(label="bash", cls="", code="pip install promptwatt\npromptwatt chat --help\n"),
        "Install it:\n\n```bash\npip install promptwatt\npromptwatt chat --help\n```",
    ),
    (
        "chatgpt-code-block-language-class",
        "chatgpt",
        CHATGPT_CODE.format(
            label="python",
            cls=" language-python",
            code='<span><span class="hljs-keyword">def</span> <span class="hljs-title function_">f</span>'
            '():\n    <span class="hljs-keyword">return</span> 1\n</span>',
        ),
        "```python\ndef f():\n    return 1\n```",
    ),
    (
        "chatgpt-nested-lists",
        "chatgpt",
        '<ol data-start="0"><li><p>Boil the water</p><ul><li><p>add salt</p></li><li><p>add the <strong>pasta</strong></p>'
        "</li></ul></li><li><p>Drain</p></li></ol>",
        "1. Boil the water\n   - add salt\n   - add the **pasta**\n2. Drain",
    ),
    (
        "chatgpt-table",
        "chatgpt",
        '<div class="_tableContainer_1rjym_1"><div tabindex="-1" class="group _tableWrapper_1rjym_13 flex w-fit flex-col-reverse">'
        f'<table class="w-fit min-w-(--thread-content-width)">{TABLE_ROWS}</table></div></div>',
        TABLE_MD,
    ),
    (
        "chatgpt-quote-and-rule",
        "chatgpt",
        "<blockquote><p>Water boils at 100 °C.</p><p>At sea level.</p></blockquote><hr><p>After the rule.</p>",
        "> Water boils at 100 °C.\n>\n> At sea level.\n\n---\n\nAfter the rule.",
    ),
    (
        "chatgpt-katex",
        "chatgpt",
        "<p>Energy is " + KATEX.format(tex="E = mc^2") + ".</p>"
        '<span class="katex-display">' + KATEX.format(tex="\\int_0^1 x\\,dx") + "</span>",
        "Energy is $E = mc^2$.\n\n$$\n\\int_0^1 x\\,dx\n$$",
    ),
    # ---- Gemini (.markdown-main-panel; <b>/<i>, code-block with decoration, data-math, table-block) ----
    (
        "gemini-bold-italic-heading",
        "gemini",
        "<h3>Why</h3><p>Water boils at a <b>lower</b> <i>temperature</i>.</p>",
        "### Why\n\nWater boils at a **lower** *temperature*.",
    ),
    (
        "gemini-code-block-decoration",
        "gemini",
        "<p>Try:</p>"
        + GEMINI_CODE.format(
            label="Python",
            code='<span class="hljs-built_in">print</span>(<span class="hljs-string">"hi"</span>)\n',
        ),
        'Try:\n\n```python\nprint("hi")\n```',
    ),
    (
        "gemini-math",
        "gemini",
        '<p>About <span class="math-inline" data-math="100^\\circ\\mathrm{C}">100 °C</span>.</p>'
        '<div class="math-block" data-math="T_b = 100 - h/300"><span class="katex-display">'
        + KATEX.format(tex="T_b = 100 - h/300")
        + "</span></div>",
        "About $100^\\circ\\mathrm{C}$.\n\n$$\nT_b = 100 - h/300\n$$",
    ),
    (
        "gemini-table-block",
        "gemini",
        f'<table-block><div class="table-block"><div class="table-content"><table>{TABLE_ROWS}</table></div>'
        '<div class="table-footer"><button class="export-sheets-button">Export to Sheets</button></div></div></table-block>',
        TABLE_MD,
    ),
    (
        "gemini-list-without-paragraphs",
        "gemini",
        '<ul><li>Sea level<ul><li>100 °C</li></ul></li><li>3,000 m: <a href="https://example.org/boiling" '
        'target="_blank">the table</a></li></ul>',
        "- Sea level\n  - 100 °C\n- 3,000 m: [the table](https://example.org/boiling)",
    ),
    # ---- DeepSeek (.ds-markdown; md-code-block banner with role=button Copy/Download, citations) ----
    (
        "deepseek-code-block-banner",
        "deepseek",
        '<p class="ds-markdown-paragraph">Formula:</p>'
        + DEEPSEEK_CODE.format(label="text", code="cook time at altitude ~= sea-level time x 1.25"),
        "Formula:\n\n```text\ncook time at altitude ~= sea-level time x 1.25\n```",
    ),
    (
        "deepseek-ordered-list-start",
        "deepseek",
        '<h3>Steps</h3><ol start="3"><li><p class="ds-markdown-paragraph">Boil</p></li>'
        '<li><p class="ds-markdown-paragraph">Drain</p></li></ol>',
        "### Steps\n\n3. Boil\n4. Drain",
    ),
    (
        "deepseek-citations-left-out",
        "deepseek",
        '<p class="ds-markdown-paragraph">It boils at 90 °C<span class="ds-markdown-cite">1</span> at 3,000 m.</p>',
        "It boils at 90 °C at 3,000 m.",
    ),
    (
        "deepseek-quote-with-list",
        "deepseek",
        "<blockquote><p>Note:</p><ul><li>one</li><li>two</li></ul></blockquote>",
        "> Note:\n>\n> - one\n> - two",
    ),
    # ---- Claude (.standard-markdown; code in a nested pre under a label header, citation chips) ----
    (
        "claude-code-block-language-class",
        "claude",
        "<p>Run it:</p>"
        + CLAUDE_CODE.format(
            label="python",
            cls=' class="language-python"',
            code='<span class="token keyword">print</span>(<span>"hi"</span>)\n',
        ),
        'Run it:\n\n```python\nprint("hi")\n```',
    ),
    (
        "claude-code-block-label-only",
        "claude",
        CLAUDE_CODE.format(label="Bash", cls="", code="make\nmake test"),
        "```bash\nmake\nmake test\n```",
    ),
    (
        "claude-citation-chip-left-out",
        "claude",
        '<p class="whitespace-normal break-words">It boils near 90 °C at 3,000 m. <span class="inline-flex"><a '
        'href="https://example.org/b" target="_blank" class="group/tag relative inline-flex h-[18px] rounded-full px-1.5 '
        'text-xs"><span class="truncate">example.org</span></a></span></p><ol class="list-decimal space-y-2 pl-8">'
        '<li class="whitespace-normal break-words">Boil</li><li class="whitespace-normal break-words">Drain</li></ol>',
        "It boils near 90 °C at 3,000 m.\n\n1. Boil\n2. Drain",
    ),
    # ---- Grok (.response-content-markdown; code-block wrapper with a label header, shiki lines) ----
    (
        "grok-code-block-header",
        "grok",
        "<p>Like this:</p>"
        + GROK_CODE.format(
            label="python",
            code='<span class="line"><span style="color:#f97583">def</span><span> f():</span></span>\n'
            '<span class="line"><span>    return 1</span></span>',
        ),
        "Like this:\n\n```python\ndef f():\n    return 1\n```",
    ),
    (
        "grok-citation-left-out",
        "grok",
        '<p>Water boils at a <strong>lower temperature</strong> up there. <a class="citation inline-flex rounded-full '
        'px-1.5 text-xs" href="https://example.org/b" target="_blank">example.org</a></p>',
        "Water boils at a **lower temperature** up there.",
    ),
    # ---- Copilot (group/ai-message-item; code block = header div + pre, citation pills) ----
    (
        "copilot-code-block-header",
        "copilot",
        '<p>Try:</p><div class="overflow-hidden rounded-xl border" data-testid="code-block"><div class="flex items-center '
        'justify-between px-4 py-1.5 text-xs"><span class="font-medium">JavaScript</span><button type="button" '
        'data-testid="copy-code-button" aria-label="Copy code"><svg></svg>Copy</button></div><pre class="p-4"><code>'
        'console.log("tea");\n</code></pre></div>',
        'Try:\n\n```javascript\nconsole.log("tea");\n```',
    ),
    (
        "copilot-code-block-without-test-id",
        "copilot",
        '<div class="rounded-xl border"><div class="flex text-xs"><span>bash</span><button type="button">Copy</button></div>'
        "<pre><code>make tea\n</code></pre></div>",
        "```bash\nmake tea\n```",
    ),
    (
        "copilot-citation-pills-left-out",
        "copilot",
        '<p>Steep it for 3 minutes<span class="ms-1 inline-flex"><a href="https://example.org/a" data-testid="citation-pill" '
        'class="rounded-full">1</a><a href="https://example.org/b" data-testid="citation-pill">2</a></span>.</p>',
        "Steep it for 3 minutes.",
    ),
    # ---- Perplexity (prose; language header inside the <pre>, citation chips) ----
    (
        "perplexity-code-header-inside-pre",
        "perplexity",
        '<pre class="not-prose"><div class="codeWrapper"><div class="flex text-xs"><div class="text-quiet">python</div>'
        '<button type="button" aria-label="Copy code"><svg></svg></button></div><code style="white-space: pre;">'
        "print(1)\nprint(2)</code></div></pre>",
        "```python\nprint(1)\nprint(2)\n```",
    ),
    (
        "perplexity-citations-left-out",
        "perplexity",
        '<p>It rises in 5 hours<span class="citation inline" data-pplx-citation="" data-pplx-citation-url="https://example.org">'
        '<a href="https://example.org"><span>example+2</span></a></span> at 26 °C.</p>',
        "It rises in 5 hours at 26 °C.",
    ),
    # ---- Mistral Le Chat (prose; code block = header div + pre) ----
    (
        "mistral-code-block-header",
        "mistral",
        '<p>Run:</p><div class="not-prose my-3 rounded-xl border"><div class="flex text-xs"><span class="font-mono">sh</span>'
        '<button type="button" aria-label="Copy"><svg></svg></button></div><pre><code>ls -la\n</code></pre></div>'
        "<p>Then check the output.</p>",
        "Run:\n\n```sh\nls -la\n```\n\nThen check the output.",
    ),
    # ---- edge cases ----
    ("marker-edges-outside-whitespace", "none", "<p>a<strong> b </strong>c<em> </em>d</p>", "a **b** c d"),
    ("code-span-with-backtick", "none", "<p>Use <code>a`b</code> here.</p>", "Use `` a`b `` here."),
    (
        "fence-longer-than-its-content",
        "none",
        "<pre><code>```\nx\n```\n</code></pre>",
        "````\n```\nx\n```\n````",
    ),
    (
        "autolink-is-the-bare-url",
        "none",
        '<p>See <a href="https://example.org/x">https://example.org/x</a> or <a href="mailto:a@b.org">a@b.org</a>.</p>',
        "See https://example.org/x or a@b.org.",
    ),
    (
        "script-links-and-empty-links",
        "none",
        '<p><a href="javascript:alert(1)">text</a> <a href="https://x.org"><svg></svg></a>end</p>',
        "text end",
    ),
    (
        "task-list",
        "none",
        '<ul><li><input type="checkbox" checked disabled> done</li><li><input type="checkbox" disabled> todo</li></ul>',
        "- [x] done\n- [ ] todo",
    ),
    (
        "table-alignment-pipes-breaks",
        "none",
        '<table><thead><tr><th style="text-align:center">a|b</th><th align="right">n</th><th>c</th></tr></thead>'
        "<tbody><tr><td>x<br>y</td><td>1</td><td></td></tr></tbody></table>",
        "| a\\|b | n | c |\n| :---: | ---: | --- |\n| x<br>y | 1 |  |",
    ),
    (
        "line-break-and-hidden",
        "none",
        "<p>one<br>two</p><div hidden>hidden</div><p><span class='sr-only'>You said:</span>three</p>",
        "one\ntwo\n\nthree",
    ),
    (
        "code-in-list-item-indented",
        "none",
        '<ol><li><p>Run:</p><pre><code class="language-sh">make\nmake test\n</code></pre></li><li><p>Done</p></li></ol>',
        "1. Run:\n   ```sh\n   make\n   make test\n   ```\n2. Done",
    ),
]

READ = """([site, container, html]) => {
  const host = document.getElementById('box');
  host.innerHTML = container + html + '</div>';
  const el = host.firstElementChild;
  const a = PromptWatt.adapters[site];
  const skip = a ? a.selectors.skip : '';
  const codeBlocks = (a && a.selectors.codeBlocks) || '';  // the site's own code-block wrappers (Grok)
  return {markdown: PromptWatt.dom.readText(el, {skip, markdown: true, codeBlocks}),
          plain: PromptWatt.dom.readText(el, {skip})};
}"""


@pytest.fixture(scope="module")
def reader(ext: Harness):
    blank = "<!doctype html><title>x</title><body><div id='box'></div><div id='doc'></div></body>"
    page = load(ext, "markdown", blank, "chatgpt")
    for other in sorted(p.stem for p in (EXT / "sites").glob("*.js")):
        if other != "chatgpt":
            page.add_script_tag(path=str(EXT / "sites" / f"{other}.js"))
    yield page
    page.close()


@pytest.mark.parametrize(("site", "html", "want"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_each_construct_reads_back_as_the_markdown_the_model_wrote(reader, site: str, html: str, want: str):
    got = reader.evaluate(READ, [site, CONTAINER[site], html])
    assert got["markdown"] == want


def test_a_code_block_header_is_read_once_and_plain_reading_is_unchanged(reader):
    html = CHATGPT_CODE.format(label="bash", cls="", code="make\n")
    got = reader.evaluate(READ, ["chatgpt", CONTAINER["chatgpt"], html])
    assert got["markdown"] == "```bash\nmake\n```"
    assert got["plain"] == "bash\nmake"  # the visible text: label as a line, no markers, no "Copy code"


# Documents a fresh clone has, frozen so that editing the live docs cannot move this test: copies of
# this repository's docs as of 2026-11-26 (fixtures/markdown/) and READMEs of npm packages pinned by
# package-lock.json. Tables, code, nested lists and many links; badge images (not rebuilt) keep a
# few percent off.
CORPUS = [
    "tests/browser/fixtures/markdown/promptwatt_README.md",
    "tests/browser/fixtures/markdown/bench_README.md",
    "tests/browser/fixtures/markdown/chat_estimates.md",
    "tests/browser/fixtures/markdown/validation.md",
    "node_modules/ws/README.md",
    "node_modules/pyodide/README.md",
]
TOLERANCE = 0.05  # median |count/source - 1| over CORPUS
WORST = 0.12  # any one document


def test_reconstructed_token_counts_stay_near_the_markdown_source(reader):
    docs = []
    for rel in CORPUS:
        path = REPO / rel
        assert path.is_file(), f"{rel} missing (node_modules comes from `npm ci`)"
        docs.append(Doc(path, path.read_text("utf-8")))
    got = {
        d.path.name if d.path.parent == REPO else str(d.path.relative_to(REPO)): counts(reader, d)
        for d in docs
    }
    md = {k: c.error("markdown") for k, c in got.items()}
    plain = {k: c.error("plain") for k, c in got.items()}
    # the plain visible text misses the markers: outside the tolerance, so this test can tell them apart
    assert statistics.median(plain.values()) > TOLERANCE, plain
    assert statistics.median(md.values()) <= TOLERANCE, md
    assert max(md.values()) <= WORST, md
    assert all(md[k] < plain[k] for k in md), (md, plain)
