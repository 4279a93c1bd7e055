"""The offscreen document (and Pyodide in it) is closed when idle and opened again on demand,
without losing, cutting off or double-recording anything.

The idle period is shortened through ``debug.offscreenIdleMs`` (chrome.storage.local); the
``idle`` fixture removes it afterwards and reopens the document with the default period, so the
other tests of the shared browser find things as they left them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from pycore.chat.tokenizers import count_tokens

from .expected import ALL
from .harness import Harness, wait_for
from .reference import assert_matches, big_paragraphs, reference

SHORT_MS = 1500
LONG_MS = 600_000  # no close by the timer while a test drives one itself


def offscreen_documents(h: Harness) -> list[str]:
    """documentIds of the open offscreen documents, asked from an extension page."""
    return h.probe.evaluate("""() => chrome.runtime.getContexts({contextTypes: ['OFFSCREEN_DOCUMENT']})
                               .then(cs => cs.map(c => c.documentId))""")


def service_worker(h: Harness) -> Any:
    h.message("status")  # an event: starts the worker if Chrome had stopped it
    prefix = h.url("")
    return wait_for(
        lambda: next((w for w in reversed(h.context.service_workers) if w.url.startswith(prefix)), None),
        10,
        "the extension's service worker",
    )


def problems(h: Harness) -> list[dict]:
    return h.local("problems") or []


@pytest.fixture
def idle(clean: Harness) -> Iterator[Callable[[int], None]]:
    def set_idle(ms: int) -> None:
        clean.set_local({"debug": {"offscreenIdleMs": ms}})

    yield set_idle
    clean.remove_local("debug")
    clean.message("py", {"op": "info"})  # the document, open again, now waits the default period


def test_an_idle_document_closes_and_the_next_exchange_reopens_it(clean: Harness, idle):
    fx = ALL["chatgpt"]
    idle(SHORT_MS)
    clean.message("py", {"op": "info"})  # the open document takes the short period with this request
    _, _, conv = clean.fixture_page(fx)
    expected = reference(fx.platform, fx.model_label, list(fx.turns))
    assert_matches(clean.wait_exchanges(fx.platform, conv, 2), expected)
    wait_for(lambda: offscreen_documents(clean) == [], 30, "the idle offscreen document to close")
    status = clean.message("status")
    assert (status["pending"], status["offscreen"]) == (0, False)

    idle(LONG_MS)  # the reopened document stays, so that it can be seen
    _, _, conv2 = clean.fixture_page(fx)
    assert_matches(clean.wait_exchanges(fx.platform, conv2, 2), expected)
    assert len(offscreen_documents(clean)) == 1
    # each exchange once, nothing left over, nothing failed
    assert len(clean.exchanges(fx.platform, conv)) == 2 and len(clean.exchanges(fx.platform, conv2)) == 2
    assert clean.pending() == [] and problems(clean) == []


def test_an_idle_report_during_a_request_does_not_close_the_document(clean: Harness, idle):
    """The service worker refuses to close while a request is in flight, whatever the document said."""
    idle(SHORT_MS)
    clean.message("py", {"op": "info"})  # open and booted: nothing but the request can keep it
    text = "\n".join(big_paragraphs(1_000_000))
    # Messages from one page reach the worker in order: the count is in flight (counted before
    # its first await) when the idle report arrives, and takes far longer than the report.
    out = clean.probe.evaluate(
        """async (text) => {
        const send = (type, data) => chrome.runtime.sendMessage({target: 'background', type, data});
        const count = send('py', {op: 'count', platform: 'chatgpt', text});
        const idle = await send('offscreenIdle');
        const open = (await chrome.runtime.getContexts({contextTypes: ['OFFSCREEN_DOCUMENT']})).length;
        return {idle, open, count: await count};
    }""",
        text,
    )
    assert out["idle"] == {"ok": True, "value": {"closed": False}}
    assert out["open"] == 1
    assert out["count"]["ok"] and out["count"]["value"]["value"]["tokens"] == count_tokens(text, "o200k_base")


def test_a_request_arriving_while_the_document_closes_reopens_it(clean: Harness, idle):
    idle(LONG_MS)
    clean.message("py", {"op": "info"})
    [before] = offscreen_documents(clean)
    # The request is started from inside chrome.offscreen.closeDocument, right after the real call:
    # the close is under way when it arrives, every time.
    out = service_worker(clean).evaluate(
        """async (text) => {
        const pw = globalThis.promptwatt;
        const real = chrome.offscreen.closeDocument;
        let count = null;
        chrome.offscreen.closeDocument = function () {
          const closing = real.call(chrome.offscreen);
          count = pw.python({op: 'count', platform: 'chatgpt', text});
          return closing;
        };
        let closed;
        try { closed = await pw.closeIfIdle(); } finally { chrome.offscreen.closeDocument = real; }
        return {closed, count: count && await count};
    }""",
        "Hello, world! 👋",
    )
    assert out["closed"] is True
    assert out["count"] == {
        "ok": True,
        "value": {"tokens": count_tokens("Hello, world! 👋", "o200k_base"), "tokenizer": "o200k_base"},
        "warnings": [],
        "errors": [],
    }
    after = offscreen_documents(clean)
    assert len(after) == 1 and after != [before]  # closed, then a new one opened for the request


def test_pending_exchanges_keep_the_document_open(clean: Harness, idle):
    fx = ALL["chatgpt"]
    idle(LONG_MS)
    clean.set_local({"debug": {"offscreenIdleMs": LONG_MS, "holdQueue": True}})
    _, _, conv = clean.fixture_page(fx)
    wait_for(
        lambda: len([p for p in clean.pending() if p["exchange"]["conversation_id"] == conv]) == 2,
        30,
        "two pending exchanges",
    )
    clean.message("py", {"op": "info"})
    assert clean.message("offscreenIdle") == {"closed": False}
    assert len(offscreen_documents(clean)) == 1
    idle(LONG_MS)  # releases the queue
    records = clean.wait_exchanges(fx.platform, conv, 2)
    assert_matches(records, reference(fx.platform, fx.model_label, list(fx.turns)))
    # nothing left to do (once the queue has finished its last notification): now it closes
    wait_for(lambda: clean.message("offscreenIdle")["closed"], 10, "the document to be closed")
    assert clean.pending() == [] and len(clean.exchanges(fx.platform, conv)) == 2
    assert offscreen_documents(clean) == []
