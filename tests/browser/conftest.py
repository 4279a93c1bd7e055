"""End-to-end harness: the built extension in real Chromium (Debian's), driven by Playwright.

One persistent browser context for the whole session (Pyodide boots once). Fixture pages are
served at the sites' real URLs through ``context.route``; nothing reaches the network. Storage
is read through an extension page (``popup.html``), which keeps working while the service
worker is stopped and restarted. Waits poll explicit states with a deadline, never fixed sleeps.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from .expected import FIXTURES, Fixture

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("PROMPTWATT_CHROMIUM", "/usr/bin/chromium")
SITE_HOSTS = {"chatgpt.com", "chat.openai.com", "gemini.google.com", "chat.deepseek.com", "fixtures.test"}
DRIVERS = (FIXTURES / "drivers.js").read_text("utf-8")
# Gemini enforces Trusted Types: serve it that way so a violation by the extension shows.
HEADERS = {"gemini": {"Content-Security-Policy": "require-trusted-types-for 'script'"}}
LAUNCH_ARGS = ["--headless=new", "--no-sandbox", "--disable-background-networking", "--disable-component-update",
               "--disable-sync", "--no-first-run", "--disable-dev-shm-usage"]
VIOLATIONS = """
window.__pwViolations = [];
document.addEventListener('securitypolicyviolation', e => window.__pwViolations.push(e.violatedDirective + ' ' + e.sourceFile));
"""


def _unavailable() -> str | None:
    if not Path(CHROMIUM).exists():
        return f"Chromium not found at {CHROMIUM} (scripts/setup.sh installs it from Debian)"
    try:
        import playwright  # noqa: F401
    except ImportError:
        return "Python playwright is not installed (pip install -e '.[test]')"
    return None


def build(out: Path) -> Path:
    p = subprocess.run([sys.executable, str(REPO / "build.py"), "--out", str(out)], capture_output=True, text=True,
                       timeout=300)
    assert p.returncode == 0, p.stderr[-3000:]
    return out / "extension"


@pytest.fixture(scope="session")
def extension_dir(tmp_path_factory) -> Path:
    """The extension as build.py builds it, from the working tree, so the tests never see a stale build.

    Built into the session's own folder (~2 s; byte-identical to dist/, see test_build.py): a
    browser holding dist/extension (yours, or another test run) is never changed underneath.
    PROMPTWATT_EXTENSION=dist/extension tests an existing build instead.
    """
    why = _unavailable()
    if why:
        if os.environ.get("PROMPTWATT_REQUIRE_BROWSER"):
            pytest.fail(why)
        pytest.skip(why)
    given = os.environ.get("PROMPTWATT_EXTENSION")
    if given:
        assert (Path(given) / "manifest.json").is_file(), f"PROMPTWATT_EXTENSION={given} holds no manifest.json"
        return Path(given).resolve()
    return build(tmp_path_factory.mktemp("dist"))


def wait_for(check: Callable[[], Any], timeout: float = 30.0, what: str = "condition", interval: float = 0.1) -> Any:
    """Polls ``check`` until it returns something truthy; fails with ``what`` after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while True:
        last = check()
        if last:
            return last
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what} (last: {str(last)[:300]})")
        time.sleep(interval)


class Harness:
    def __init__(self, context: Any, ext_id: str):
        self.context = context
        self.ext_id = ext_id
        self.pages: dict[str, tuple[str, dict[str, str]]] = {}
        self.dialogs: list[str] = []
        context.route("**/*", self._route)
        self.probe = context.new_page()
        self.probe.goto(self.url("popup.html"))

    # -- serving ---------------------------------------------------------------------------------
    def url(self, path: str) -> str:
        return f"chrome-extension://{self.ext_id}/{path}"

    def _route(self, route: Any) -> None:
        u = urlsplit(route.request.url)
        if u.scheme not in ("http", "https"):
            route.continue_()
            return
        key = f"{u.scheme}://{u.netloc}{u.path}" + (f"?{u.query}" if u.query else "")
        hit = self.pages.get(key) or self.pages.get(f"{u.scheme}://{u.netloc}{u.path}")
        if hit:
            body, headers = hit
            route.fulfill(status=200, content_type="text/html; charset=utf-8", body=body, headers=headers)
        elif u.hostname in SITE_HOSTS:
            route.fulfill(status=404, content_type="text/plain", body="not in the fixtures")
        else:
            route.abort()

    def serve(self, url: str, html: str, headers: dict[str, str] | None = None) -> None:
        self.pages[url] = (html, headers or {})

    def open(self, url: str, html: str | None = None, headers: dict[str, str] | None = None) -> Any:
        if html is not None:
            self.serve(url, html, headers)
        page = self.context.new_page()
        page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))
        page.add_init_script(VIOLATIONS)
        page.goto(url)
        return page

    def popup(self) -> Any:
        page = self.context.new_page()
        page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))
        page.goto(self.url("popup.html"))
        page.wait_for_selector("[data-testid='totals'][data-exchanges]", state="attached")
        return page

    # -- storage and messages (through an extension page) -------------------------------------------
    def local(self, key: str | None = None) -> Any:
        if key is None:
            return self.probe.evaluate("() => chrome.storage.local.get(null)")
        return self.probe.evaluate("k => chrome.storage.local.get(k).then(o => o[k] ?? null)", key)

    def session(self) -> dict:
        return self.probe.evaluate("() => chrome.storage.session.get(null)")

    def set_local(self, items: dict) -> None:
        self.probe.evaluate("items => chrome.storage.local.set(items)", items)

    def remove_local(self, *keys: str) -> None:
        self.probe.evaluate("keys => chrome.storage.local.remove(keys)", list(keys))

    def message(self, type_: str, data: Any = None) -> Any:
        out = self.probe.evaluate(
            "([type, data]) => chrome.runtime.sendMessage({target: 'background', type, data})", [type_, data])
        assert out and out["ok"], out
        return out["value"]

    def exchanges(self, platform: str, conversation_id: str) -> list[dict]:
        doc = self.local(f"conv:{platform}:{conversation_id}")
        return sorted(doc["exchanges"], key=lambda r: (r["turn_index"], r["time"])) if doc else []

    def wait_exchanges(self, platform: str, conversation_id: str, n: int, timeout: float = 60) -> list[dict]:
        return wait_for(lambda: (ex := self.exchanges(platform, conversation_id)) and len(ex) >= n and ex,
                        timeout, f"{n} exchanges of {platform}:{conversation_id}")

    def pending(self) -> list[dict]:
        return [v for k, v in self.session().items() if k.startswith("pending:")]

    def clear(self) -> None:
        self.remove_local("debug")
        self.message("clear")

    # -- the service worker ------------------------------------------------------------------------------
    def service_worker_targets(self, cdp: Any) -> list[dict]:
        prefix = f"chrome-extension://{self.ext_id}/"
        infos = cdp.send("Target.getTargets")["targetInfos"]
        return [t for t in infos if t["type"] == "service_worker" and t["url"].startswith(prefix)]

    def kill_service_worker(self) -> None:
        """Stops the extension's service worker the way Chrome does when it idles it out."""
        cdp = self.context.browser.new_browser_cdp_session()
        try:
            targets = self.service_worker_targets(cdp)
            assert targets, "no running service worker to stop"
            for t in targets:
                cdp.send("Target.closeTarget", {"targetId": t["targetId"]})
            wait_for(lambda: not self.service_worker_targets(cdp), 10, "the service worker to stop")
        finally:
            cdp.detach()

    # -- fixture pages ---------------------------------------------------------------------------------
    def fixture_page(self, fx: Fixture, conversation_id: str | None = None, setup: dict | None = None,
                     url: str | None = None) -> tuple[Any, str, str]:
        """Opens ``fx`` at a fresh conversation URL; ``setup`` goes to the page driver. Returns (page, url, id)."""
        conv = conversation_id or fresh_id(fx)
        url = url or fx.url.replace(fx.conversation_id, conv)
        html = fx.html
        if setup is not None:
            # "<" escaped so that no text of the test can close the script element
            script = f"<script>{DRIVERS}\n__pwSetup({json.dumps(fx.platform)}, {_js(setup)});</script>"
            html = html.replace("</body>", script + "</body>")
        page = self.open(url, html, HEADERS.get(fx.platform))
        return page, url, conv


def _js(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False).replace("<", "\\u003c").replace("\u2028", "\\u2028").replace(
        "\u2029", "\\u2029")


def fresh_id(fx: Fixture) -> str:
    return uuid.uuid4().hex[:16] if fx.platform == "gemini" else str(uuid.uuid4())


def launch(p: Any, ext_dir: Path, profile: str, **options: Any) -> tuple[Any, Any]:
    """Debian Chromium with the built extension in ``profile``; returns (context, its service worker)."""
    ctx = p.chromium.launch_persistent_context(
        profile, executable_path=CHROMIUM, headless=True,
        args=[*LAUNCH_ARGS, f"--disable-extensions-except={ext_dir}", f"--load-extension={ext_dir}"], **options)
    sw = ctx.service_workers[0] if ctx.service_workers else ctx.wait_for_event("serviceworker", timeout=30_000)
    return ctx, sw


@pytest.fixture(scope="session")
def ext(extension_dir: Path):
    from playwright.sync_api import sync_playwright

    profile = tempfile.mkdtemp(prefix="promptwatt-profile-")
    try:
        with sync_playwright() as p:
            context, worker = launch(p, extension_dir, profile, accept_downloads=True)
            try:
                yield Harness(context, worker.url.split("/")[2])
            finally:
                context.close()
    finally:
        shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture
def clean(ext: Harness) -> Harness:
    """The session's harness with no records, no pending work and every page but the probe closed."""
    for page in ext.context.pages:
        if page is not ext.probe:
            page.close()
    ext.clear()
    ext.dialogs.clear()
    return ext
