"""The browser harness: the built extension in real Chromium (Debian's), driven by Playwright.

An importable module (``tests.browser.harness``): the browser tests' fixtures (conftest.py), the
benchmarks (bench/) and the screenshot tool (tools/) all drive the extension through it.

One persistent browser context for the whole session (Pyodide boots once). Fixture pages are
served at the sites' real URLs through ``context.route``; nothing reaches the network. Storage
is read through an extension page (``popup.html``), which keeps working while the service
worker is stopped and restarted. Waits poll explicit states with a deadline, never fixed sleeps.
"""

from __future__ import annotations

import functools
import importlib.util
import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from pycore.chat.sites import all_sites

from .expected import FIXTURES, Fixture

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("PROMPTWATT_CHROMIUM", "/usr/bin/chromium")
SITES = all_sites()  # the site registry: every test that loops over sites loops over this
SITE_HOSTS = {h for s in SITES for h in s.hosts} | {"fixtures.test"}
# the page drivers: the kit (helpers, __pwSetup), then one driver per site (fixtures/drivers/<site>.js)
DRIVERS = "\n".join(
    p.read_text("utf-8")
    for p in [
        FIXTURES / "drivers" / "kit.js",
        *sorted(p for p in (FIXTURES / "drivers").glob("*.js") if p.name != "kit.js"),
    ]
)
# Gemini enforces Trusted Types: serve it that way so a violation by the extension shows.
HEADERS = {s.id: {"Content-Security-Policy": s.page_csp} for s in SITES if s.page_csp}
LAUNCH_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
]
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


@functools.cache
def build_module() -> Any:
    """build.py imported as a module (its registry-generated files, its manifest)."""
    spec = importlib.util.spec_from_file_location("promptwatt_build", REPO / "build.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def build(out: Path) -> Path:
    p = subprocess.run(
        [sys.executable, str(REPO / "build.py"), "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert p.returncode == 0, p.stderr[-3000:]
    return out / "extension"


def wait_for(
    check: Callable[[], Any], timeout: float = 30.0, what: str = "condition", interval: float = 0.1
) -> Any:
    """Polls ``check`` until it returns something truthy; fails with ``what`` after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while True:
        last = check()
        if last:
            return last
        if time.monotonic() > deadline:
            raise AssertionError(
                f"timed out after {timeout:g} s waiting for {what} (last: {str(last)[:300]})"
            )
        time.sleep(interval)


OPTION_KEYS = ("settings", "debug")  # written by the service worker (background.js setOptions)


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
        """Writes to chrome.storage.local; settings and test hooks through the service worker, as the popup
        does (its "options" message starts what they change)."""
        options = {k: v for k, v in items.items() if k in OPTION_KEYS}
        rest = {k: v for k, v in items.items() if k not in OPTION_KEYS}
        if rest:
            self.probe.evaluate("items => chrome.storage.local.set(items)", rest)
        if options:
            self.message("options", options)

    def remove_local(self, *keys: str) -> None:
        options = [k for k in keys if k in OPTION_KEYS]
        rest = [k for k in keys if k not in OPTION_KEYS]
        if rest:
            self.probe.evaluate("keys => chrome.storage.local.remove(keys)", rest)
        if options:
            self.message("options", dict.fromkeys(options))

    def message(self, type_: str, data: Any = None) -> Any:
        out = self.probe.evaluate(
            "([type, data]) => chrome.runtime.sendMessage({target: 'background', type, data})", [type_, data]
        )
        assert out and out["ok"], out
        return out["value"]

    def exchanges(self, platform: str, conversation_id: str) -> list[dict]:
        doc = self.local(f"conv:{platform}:{conversation_id}")
        return sorted(doc["exchanges"], key=lambda r: (r["turn_index"], r["time"])) if doc else []

    def wait_exchanges(self, platform: str, conversation_id: str, n: int, timeout: float = 60) -> list[dict]:
        return wait_for(
            lambda: (ex := self.exchanges(platform, conversation_id)) and len(ex) >= n and ex,
            timeout,
            f"{n} exchanges of {platform}:{conversation_id}",
        )

    def pending(self) -> list[dict]:
        return [v for k, v in self.session().items() if k.startswith("pending:")]

    def aggregate_mismatches(self, rel: float = 1e-9) -> list[str]:
        """Where the stored aggregates (lib/store.js: index, day and conversation shards) differ from a full
        recount of the stored records; [] when they agree (figures to ``rel``, counts and keys exactly)."""
        return self.probe.evaluate(AGGREGATES_AGREE, rel)

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
    def fixture_page(
        self,
        fx: Fixture,
        conversation_id: str | None = None,
        setup: dict | None = None,
        url: str | None = None,
    ) -> tuple[Any, str, str]:
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


AGGREGATES_AGREE = """async (rel) => {
  const store = await import('/lib/store.js');
  const all = await chrome.storage.local.get(null);
  const recount = store.buildIndex(store.checkAll(all));
  const out = [];
  const index = all[store.INDEX_KEY];
  if (!store.isValidIndex(index)) return ['no valid index stored'];
  const months = new Set(Object.keys(recount.index.months));
  const same = (a, b, path) => {
    if (typeof b === 'number' && typeof a === 'number') {
      if (Math.abs(a - b) > rel * Math.abs(b) + 1e-12) out.push(`${path}: ${a} stored, ${b} recounted`);
    } else if (b && typeof b === 'object') {
      if (!a || typeof a !== 'object') { out.push(`${path}: missing`); return; }
      const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
      for (const k of keys) {
        if (path === '' && k === 'skipped') continue;
        if (!(k in a)) out.push(`${path}/${k}: missing`);
        else if (!(k in b)) out.push(`${path}/${k}: not in the recount`);
        else same(a[k], b[k], `${path}/${k}`);
      }
    } else if (a !== b) out.push(`${path}: ${JSON.stringify(a)} stored, ${JSON.stringify(b)} recounted`);
  };
  same(index, recount.index, '');
  for (const [k, v] of Object.entries(recount)) if (k !== store.INDEX_KEY) same(all[k], v, k);
  // a shard of a month without records is never read; one with records must be the recount's (above)
  for (const k of Object.keys(all)) {
    if (store.isAggregateKey(k) && k !== store.INDEX_KEY && !(k in recount) && months.has(k.slice(-7))) out.push(`${k}: extra`);
  }
  return out.slice(0, 20);
}"""


def _js(value: Any) -> str:
    return (
        json.dumps(value, ensure_ascii=False)
        .replace("<", "\\u003c")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


def fresh_id(fx: Fixture) -> str:
    """A new conversation id in the fixture's own shape (a UUID, or hex digits of the same length)."""
    try:
        uuid.UUID(fx.conversation_id)
        return str(uuid.uuid4())
    except ValueError:
        return uuid.uuid4().hex[: len(fx.conversation_id)]


def launch(p: Any, ext_dir: Path, profile: str, **options: Any) -> tuple[Any, Any]:
    """Debian Chromium with the built extension in ``profile``; returns (context, its service worker)."""
    ctx = p.chromium.launch_persistent_context(
        profile,
        executable_path=CHROMIUM,
        headless=True,
        args=[*LAUNCH_ARGS, f"--disable-extensions-except={ext_dir}", f"--load-extension={ext_dir}"],
        **options,
    )
    sw = (
        ctx.service_workers[0] if ctx.service_workers else ctx.wait_for_event("serviceworker", timeout=30_000)
    )
    return ctx, sw
