"""The states the observer must tell apart, read by each adapter alone (no extension loaded): a reply
still streaming is not finished however long it stalls, a regenerated reply is a new generation
(and the first branch shown again is the old one), and after SPA navigation another conversation
gets its own id and generations. The page drivers (fixtures/drivers.js) play each site, as in the
end-to-end tests; the fixture is served at its own path on a host no content script matches.
"""

from __future__ import annotations

import json
from urllib.parse import urlsplit

import pytest

from .expected import ALL, Fixture
from .harness import DRIVERS, Harness, _js, fresh_id
from .test_adapters import EXT

SITES = sorted(p.stem for p in (EXT / "sites").glob("*.js"))  # every adapter

# Both signals the observer combines: the turn's own (finished, not streaming) and the page's stop
# control; each must hold a reply back on its own.
STATE = """(site) => {
  const a = PromptWatt.adapters[site];
  return {
    conv: a.conversationId(location),
    streaming: a.streaming(document),
    turns: a.readTurns(document).map((t) => {
      const r = t.read();
      return {index: t.index, gen: r.gen, prompt: r.prompt, reply: r.reply, done: t.finished && !t.streaming};
    }),
  };
}"""


def path(url: str) -> str:
    return urlsplit(url).path


def driven(ext: Harness, fx: Fixture, setup: dict):
    """The fixture with the page driver set up, served at https://fixtures.test/<the site's path>."""
    url = f"https://fixtures.test{path(fx.url)}"
    script = f"<script>{DRIVERS}\n__pwSetup({json.dumps(fx.platform)}, {_js(setup)});</script>"
    ext.serve(url, fx.html.replace("</body>", script + "</body>"))
    page = ext.context.new_page()
    page.goto(url)
    page.add_script_tag(path=str(EXT / "content" / "common.js"))
    page.add_script_tag(path=str(EXT / "sites" / f"{fx.platform}.js"))
    return page


def state(page, fx: Fixture) -> dict:
    return page.evaluate(STATE, fx.platform)


@pytest.mark.parametrize("site", SITES)
def test_a_streaming_reply_is_finished_only_once_the_site_says_so(ext: Harness, site: str):
    fx = ALL[site]
    page = driven(ext, fx, {"stream": True})
    try:
        s = state(page, fx)
        first = s["turns"][0]
        assert (
            s["streaming"] and first["done"] and not s["turns"][-1]["done"] and s["turns"][-1]["reply"] == ""
        )
        page.evaluate("t => __pw.streamParagraph(t)", "Yes,")
        page.evaluate("t => __pw.streamText(t)", " it would.")
        s = state(page, fx)
        assert s["streaming"] and s["turns"][-1]["reply"] == "Yes, it would." and not s["turns"][-1]["done"]
        page.evaluate("() => __pw.finish()")
        s = state(page, fx)
        assert not s["streaming"] and s["turns"][-1]["reply"] == "Yes, it would." and s["turns"][-1]["done"]
        assert s["turns"][0] == first  # the turn before was not touched
    finally:
        page.close()


@pytest.mark.parametrize("site", SITES)
def test_a_regenerated_reply_is_a_new_generation(ext: Harness, site: str):
    fx = ALL[site]
    page = driven(ext, fx, {})
    try:
        s = state(page, fx)
        before = s["turns"]
        assert not s["streaming"] and all(t["done"] for t in before)
        page.evaluate("([s, p]) => __pw.regenerate(s, p)", ["x9", ["Another answer, written again."]])
        s = state(page, fx)
        assert s["streaming"] and not s["turns"][-1]["done"]
        page.evaluate("() => __pw.finish()")
        again = state(page, fx)["turns"]
        assert again[-1]["done"] and again[-1]["reply"] == "Another answer, written again."
        assert again[-1]["gen"] != before[-1]["gen"]
        assert [t["gen"] for t in again[:-1]] == [t["gen"] for t in before[:-1]]
        # switching back to the first branch shows the very same reply: the same generation
        page.evaluate("([s, p]) => __pw.regenerate(s, p)", ["", None])
        page.evaluate("() => __pw.finish()")
        back = state(page, fx)["turns"]
        assert back[-1]["gen"] == before[-1]["gen"] and back[-1]["reply"] == before[-1]["reply"]
    finally:
        page.close()


@pytest.mark.parametrize("site", SITES)
def test_another_conversation_after_navigation_has_its_own_id_and_generations(ext: Harness, site: str):
    fx = ALL[site]
    page = driven(ext, fx, {})
    try:
        a = state(page, fx)
        assert a["conv"] == fx.conversation_id
        other = fresh_id(fx)
        page.evaluate("u => __pw.navigate(u)", path(fx.url).replace(fx.conversation_id, other))
        assert state(page, fx)["conv"] == other
        new = [
            {"prompt": "How long do I boil an egg at 2,000 m?", "reply": ["About a minute longer."]},
            {"prompt": "And at 4,000 m?", "reply": ["Roughly three minutes longer."]},
        ]
        page.evaluate("([s, t]) => __pw.rewrite(s, t)", ["xb", new])
        b = state(page, fx)
        assert [t["prompt"] for t in b["turns"]] == [n["prompt"] for n in new]
        assert [t["reply"] for t in b["turns"]] == [n["reply"][0] for n in new]
        assert not {t["gen"] for t in b["turns"]} & {t["gen"] for t in a["turns"]}
    finally:
        page.close()


OLDER = [
    {
        "prompt": "Is it true that water boils faster in the mountains?",
        "reply": ["It boils sooner, not hotter."],
    },
    {"prompt": "How much lower is it at 2,000 m?", "reply": ["About 93 °C."]},
]


@pytest.mark.parametrize("site", ["chatgpt", "gemini", "claude", "grok"])
def test_older_turns_mounted_above_leave_the_shown_turns_alone(ext: Harness, site: str):
    """Scrolling up mounts older turns above (virtualised lists, backward infinite scroll): the shown
    turns keep their generations, and every turn gets its position in the conversation."""
    fx = ALL[site]
    # ChatGPT and Claude number their rows in the whole conversation: the shown turns start at turn 2
    page = driven(ext, fx, {"firstTurn": len(OLDER)} if site in ("chatgpt", "claude") else {})
    try:
        before = state(page, fx)["turns"]
        page.evaluate("t => __pw.prependTurns('xo', t)", OLDER)
        after = state(page, fx)["turns"]
        assert [t["prompt"] for t in after[: len(OLDER)]] == [o["prompt"] for o in OLDER]
        assert [t["gen"] for t in after[len(OLDER) :]] == [t["gen"] for t in before]
        assert [t["index"] for t in after] == list(range(len(after)))
        assert len({t["gen"] for t in after}) == len(after)
    finally:
        page.close()


def test_grok_generations_are_the_response_ids(ext: Harness):
    """Each Grok message row carries its id: a reply's generation is it, and a regeneration's is new."""
    fx = ALL["grok"]
    page = driven(ext, fx, {})
    try:
        assert [t["gen"] for t in state(page, fx)["turns"]] == [
            "5e6f7a8b-9c0d-4e1f-8a2b-3c4d5e6f7a8b",
            "7a8b9c0d-1e2f-4a3b-8c4d-5e6f7a8b9c0d",
        ]
    finally:
        page.close()


def test_a_claude_reply_whose_prompt_is_not_mounted_is_left_for_later(ext: Harness):
    """Claude's list is virtualised: a reply at the top whose prompt row is unmounted has no prompt to
    read (and no id to be known by), so it is not returned until its prompt is mounted again."""
    fx = ALL["claude"]
    page = driven(ext, fx, {})
    try:
        page.evaluate("() => document.querySelector(\"[data-test-render-count][data-index='0']\").remove()")
        turns = state(page, fx)["turns"]
        assert [(t["index"], t["prompt"]) for t in turns] == [(1, fx.turns[1].prompt)]
    finally:
        page.close()
