"""Fixtures of the browser tests: one persistent Chromium context for the whole session (Pyodide boots
once), with the extension built from the working tree. The harness itself is ``harness.py``."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

from .harness import Harness, _unavailable, build, build_module, launch  # noqa: F401 - build_module: tests import it here


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
        assert (Path(given) / "manifest.json").is_file(), (
            f"PROMPTWATT_EXTENSION={given} holds no manifest.json"
        )
        return Path(given).resolve()
    return build(tmp_path_factory.mktemp("dist"))


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


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Every test under tests/browser is a browser test (``-m "not browser"`` skips them all)."""
    here = Path(__file__).resolve().parent
    for item in items:
        if here in Path(str(item.fspath)).resolve().parents:
            item.add_marker(pytest.mark.browser)
