"""Each site adapter through the states its page goes through, played by the fixture drivers
(fixtures/drivers.js) in real Chromium: a reply streaming in, the same reply finished, a
regenerated reply, turns added and SPA navigation. The adapters are loaded as page scripts into
the fixture (served at a host no content script matches), so this needs no manifest entry and
checks what the shared observer relies on: the streaming signal, each turn's finished state and
generation ids (a regenerated reply is a new generation; the turns before it keep theirs).
"""

from __future__ import annotations

import json

import pytest

from .conftest import DRIVERS, Harness, _js
from .expected import ALL, Fixture
from .test_adapters import READ, load

# the current-DOM fixture of every site with a driver
SITES = ["chatgpt", "gemini", "deepseek", "copilot", "perplexity", "mistral"]


def driven(ext: Harness, fx: Fixture, setup: dict):
    script = f"<script>{DRIVERS}\n__pwSetup({json.dumps(fx.platform)}, {_js(setup)});</script>"
    return load(ext, f"{fx.name}-states", fx.html.replace("</body>", script + "</body>"), fx.platform)


def state(page, site: str) -> dict:
    return page.evaluate(READ, site)


@pytest.mark.parametrize("site", SITES)
def test_a_streaming_reply_is_unfinished_until_the_site_says_so(ext: Harness, site: str):
    fx = ALL[site]
    page = driven(ext, fx, {"stream": True})
    try:
        page.evaluate("() => __pw.streamParagraph('The first words of the answer')")
        out = state(page, site)
        last = out["turns"][-1]
        assert out["streaming"]
        assert not last["finished"] or last["streaming"]
        assert last["reply"] == "The first words of the answer"
        assert all(t["finished"] for t in out["turns"][:-1])

        page.evaluate("() => { __pw.streamText(', and the rest.'); __pw.finish(); }")
        out = state(page, site)
        last = out["turns"][-1]
        assert not out["streaming"] and last["finished"] and not last["streaming"]
        assert last["reply"] == "The first words of the answer, and the rest."
        assert [t["index"] for t in out["turns"]] == list(range(len(fx.turns)))
    finally:
        page.close()


@pytest.mark.parametrize("site", SITES)
def test_a_regenerated_reply_is_a_new_generation(ext: Harness, site: str):
    fx = ALL[site]
    page = driven(ext, fx, {})
    try:
        before = state(page, site)["turns"]
        page.evaluate("() => __pw.regenerate('xr1', ['A different answer, written again.'])")
        mid = state(page, site)
        assert mid["streaming"] and (not mid["turns"][-1]["finished"] or mid["turns"][-1]["streaming"])
        page.evaluate("() => __pw.finish()")
        after = state(page, site)["turns"]
        assert len(after) == len(before)
        assert after[-1]["finished"] and after[-1]["reply"] == "A different answer, written again."
        assert after[-1]["gen"] != before[-1]["gen"]
        assert [t["gen"] for t in after[:-1]] == [t["gen"] for t in before[:-1]]

        # switching back to the first answer shows the same DOM: the same generation as before
        page.evaluate("() => { __pw.regenerate('', null); __pw.finish(); }")
        back = state(page, site)["turns"]
        assert [t["gen"] for t in back] == [t["gen"] for t in before]
    finally:
        page.close()


@pytest.mark.parametrize("site", ["copilot", "perplexity", "mistral"])
def test_turns_added_or_rendered_above_keep_the_generations_of_the_others(ext: Harness, site: str):
    """Sites without message ids: a generation does not depend on the turn's position, so older
    turns rendered above (lazy loading) never make the recorded ones look new."""
    fx = ALL[site]
    page = driven(ext, fx, {})
    try:
        before = state(page, site)["turns"]
        page.evaluate("() => __pw.appendTurn('xa', {prompt: 'One more question?', reply: ['One more answer.']})")
        page.evaluate("() => __pw.prependTurns('xo', [{prompt: 'An older question?', reply: ['An older answer.']}])")
        after = state(page, site)["turns"]
        assert [t["prompt"] for t in after] == ["An older question?", *[t.prompt for t in fx.turns], "One more question?"]
        assert [t["index"] for t in after] == list(range(len(fx.turns) + 2))
        assert [t["gen"] for t in after[1:-1]] == [t["gen"] for t in before]
        assert len({t["gen"] for t in after}) == len(after)
        assert all(t["finished"] for t in after)

        # the same exchange twice (a repeated question with the same answer) is two generations
        page.evaluate("(t) => __pw.appendTurn('xb', t)", {"prompt": "One more question?", "reply": ["One more answer."]})
        twice = state(page, site)["turns"]
        assert twice[-1]["reply"] == twice[-2]["reply"] == "One more answer."
        assert twice[-1]["gen"] != twice[-2]["gen"]
    finally:
        page.close()


@pytest.mark.parametrize("site", ["copilot", "perplexity", "mistral"])
def test_spa_navigation_changes_the_conversation_id(ext: Harness, site: str):
    """The id comes from the path alone (any host): pushState to another conversation is seen."""
    fx = ALL[site]
    page = driven(ext, fx, {})
    try:
        path = fx.url.split("/", 3)[3].replace(fx.conversation_id, "Zz9NewConversation0001")
        got = page.evaluate("([site, path]) => { __pw.navigate('/' + path); "
                            "return PromptWatt.adapters[site].conversationId(location); }", [site, path])
        assert got == "Zz9NewConversation0001"
        assert page.evaluate("(site) => { __pw.navigate('/'); return PromptWatt.adapters[site].conversationId(location); }",
                             site) is None
    finally:
        page.close()
