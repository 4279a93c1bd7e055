"""Each site adapter against every fixture of its site (current DOM and older / newer variants).

The adapter files are loaded as page scripts into the fixture, served at a host no content
script matches, so this checks the adapters alone: texts, ids, finished state, model label.
"""

from __future__ import annotations

import pytest

from .expected import ALL, FIXTURES, TEMPORARY_CHAT_URL, URLS, Fixture
from .harness import Harness

EXT = FIXTURES.parents[2] / "extension"

READ = """(site) => {
  const a = PromptWatt.adapters[site];
  return {
    recognised: a.recognise(document),
    streaming: a.streaming(document),
    turns: a.readTurns(document).map((t) => {
      const r = t.read();
      return {index: t.index, finished: t.finished, streaming: t.streaming, gen: r.gen, prompt: r.prompt,
              reply: r.reply, reasoning: r.reasoning, reasoningSeconds: r.reasoningSeconds, modelLabel: r.modelLabel,
              anchored: r.anchor instanceof Element};
    }),
  };
}"""


def load(ext: Harness, name: str, html: str, site: str):
    url = f"https://fixtures.test/{name}.html"
    ext.serve(url, html)
    page = ext.context.new_page()
    page.goto(url)
    page.add_script_tag(path=str(EXT / "content" / "common.js"))
    page.add_script_tag(path=str(EXT / "sites" / f"{site}.js"))
    return page


@pytest.mark.parametrize("fx", list(ALL.values()), ids=list(ALL))
def test_adapter_reads_the_fixture(ext: Harness, fx: Fixture):
    page = load(ext, fx.name, fx.html, fx.platform)
    try:
        out = page.evaluate(READ, fx.platform)
        assert out["recognised"] and not out["streaming"]
        turns = out["turns"]
        assert [t["index"] for t in turns] == list(range(len(fx.turns)))
        for got, want in zip(turns, fx.turns, strict=True):
            assert got["finished"] and not got["streaming"]
            assert got["prompt"] == want.prompt
            assert got["reply"] == want.reply
            assert got["reasoning"] == want.reasoning
            assert got["reasoningSeconds"] == want.reasoning_seconds
            assert got["modelLabel"] == fx.model_label
            assert got["gen"] and got["anchored"]
        assert len({t["gen"] for t in turns}) == len(turns)
        conv = page.evaluate(
            "([site, url]) => PromptWatt.adapters[site].conversationId(new URL(url))", [fx.platform, fx.url]
        )
        assert conv == fx.conversation_id
    finally:
        page.close()


@pytest.mark.parametrize("site", sorted(p.stem for p in (EXT / "sites").glob("*.js")))
def test_an_unknown_layout_is_not_recognised(ext: Harness, site: str):
    page = load(ext, f"unrecognised-{site}", (FIXTURES / "unrecognised.html").read_text("utf-8"), site)
    try:
        out = page.evaluate(READ, site)
        assert out == {"recognised": False, "streaming": False, "turns": []}
    finally:
        page.close()


def test_conversation_ids_from_urls(ext: Harness):
    page = load(ext, "urls", "<!doctype html><title>x</title>", "chatgpt")
    try:
        for site in {s for s, _, _ in URLS} - {"chatgpt"}:
            page.add_script_tag(path=str(EXT / "sites" / f"{site}.js"))
        got = page.evaluate(
            "(cases) => cases.map(([s, u]) => PromptWatt.adapters[s].conversationId(new URL(u)))",
            [[s, u] for s, u, _ in URLS],
        )
        assert got == [want for _, _, want in URLS]
        temp = page.evaluate(
            "(u) => PromptWatt.adapters.chatgpt.conversationId(new URL(u))", TEMPORARY_CHAT_URL
        )
        assert temp.startswith("temporary-")
    finally:
        page.close()


DURATIONS = [
    ("Thought for 12s", 12),
    ("Thought for 1m 5s", 65),
    ("Worked for 7m 23s", 443),
    ("Thought for 9 seconds", 9),
    ("Reasoned for 2 minutes", 120),
    ("已深度思考（用时 12 秒）", 12),
    ("Thinking…", None),
    ("Thought for a moment", None),
    ("", None),
]


def test_reasoning_durations(ext: Harness):
    page = load(ext, "durations", "<!doctype html><title>x</title>", "chatgpt")
    try:
        got = page.evaluate(
            "(xs) => xs.map((x) => PromptWatt.dom.parseDuration(x))", [t for t, _ in DURATIONS]
        )
        assert got == [s for _, s in DURATIONS]
    finally:
        page.close()


TEXTS = [
    ("<p>a <b>b</b>\n   c</p><p>d</p>", "a b c\nd"),
    ("<div><span class='sr-only'>You said:</span>hi<button>Copy</button></div>", "hi"),
    ("<pre><code>x = 1\n  y = 2</code></pre>", "x = 1\n  y = 2"),
    ("<div class='whitespace-pre-wrap'>line 1\nline  2</div>", "line 1\nline  2"),
    ("<p>100&nbsp;°C</p><ul><li>one</li><li><p>two</p></li></ul>", "100 °C\none\ntwo"),
    ("<p>x<br>y</p><span data-math='E=mc^2'>E = mc²</span>", "x\ny\nE=mc^2"),
    ("<p>&lt;img src=x onerror=alert(1)&gt; مرحبا 👋</p>", "<img src=x onerror=alert(1)> مرحبا 👋"),
    ("<p>kept</p><div hidden>hidden</div><svg><text>svg</text></svg><img alt='alt'>", "kept"),
]


def test_read_text(ext: Harness):
    page = load(ext, "texts", "<!doctype html><title>x</title><body><div id='box'></div></body>", "chatgpt")
    try:
        for html, want in TEXTS:
            got = page.evaluate(
                "(h) => { const b = document.getElementById('box'); b.innerHTML = h; "
                "return PromptWatt.dom.readText(b); }",
                html,
            )
            assert got == want, html
    finally:
        page.close()


IDS_WITHOUT_MARKDOWN = """(site) => {
  const dom = PromptWatt.dom, real = dom.readText;
  const gens = () => PromptWatt.adapters[site].readTurns(document).map((t) => t.read());
  const rebuilt = gens();
  dom.readText = (el, opts = {}) => real(el, { ...opts, markdown: false });  // as before Markdown was rebuilt
  try {
    const plain = gens();
    return { rebuilt: rebuilt.map((r) => [r.gen, r.reply]), plain: plain.map((r) => [r.gen, r.reply]) };
  } finally { dom.readText = real; }
}"""


@pytest.mark.parametrize("fx", list(ALL.values()), ids=list(ALL))
def test_turn_ids_do_not_depend_on_how_replies_are_counted(ext: Harness, fx: Fixture):
    """Ids made from text (DeepSeek's always) hash the visible text, not the Markdown rebuilt for
    counting: a better reconstruction must not make recorded turns look new and count them twice."""
    page = load(ext, fx.name, fx.html, fx.platform)
    try:
        out = page.evaluate(IDS_WITHOUT_MARKDOWN, fx.platform)
        assert [g for g, _ in out["rebuilt"]] == [g for g, _ in out["plain"]]
        if fx.platform == "deepseek":  # the case that matters: the replies read differently, the ids do not
            assert [r for _, r in out["rebuilt"]] != [r for _, r in out["plain"]]
    finally:
        page.close()
