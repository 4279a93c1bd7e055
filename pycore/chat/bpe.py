"""Pure-Python BPE encoder for Hugging Face ``tokenizer.json`` models (standard library only).

Why it exists: the browser runs this core in Pyodide, where neither Hugging Face ``tokenizers``
nor ``regex`` can be installed. One encoder covers both published formats we bundle:

* byte-level BPE (DeepSeek V3): a sequence of ``Split`` regexes (Isolated), then bytes mapped to
  the GPT-2 byte alphabet, then merges;
* SentencePiece-style BPE (Gemma 3): a normalizer replacing " " with "▁", merges over
  characters, and ``<0xNN>`` byte fallback for characters outside the vocabulary.

It reproduces ``tokenizers``' semantics exactly (checked token for token in
``tests/test_tokenize_conformance.py``): added tokens are cut out first by a leftmost-longest
scan (non-normalized tokens on the raw text, then normalized ones); tokens flagged special are
scanned but left as plain text, as ``Tokenizer.encode_special_tokens = True`` does, because
user text must never become a control token; merges are applied lowest rank first, leftmost
on ties. The assets are built by ``tools/build_tokenizer_assets.py``.
"""

from __future__ import annotations

import gzip
import json
import re
import sys
from array import array
from heapq import heapify, heappop, heappush
from itertools import repeat
from operator import lshift, or_
from typing import Any

from pycore.errors import DataFileError
from pycore.resources import data_path

ASSET_FORMAT = 1
_SHIFT = 18  # ids < 2**18: a pair (a, b) is the int a << 18 | b
_MASK = (1 << _SHIFT) - 1
_LONG = 24  # pieces at least this many symbols long use the heap merge (O(n log n))
_CACHE_MAX = 1 << 17  # bounded: adversarial all-unique input must not grow memory forever


def _merge_short(ids: list[int], mget: Any) -> list[int]:
    """Lowest-rank-pair loop: fastest for the short pieces that make up most text."""
    while True:
        best = -1
        bi = 0
        prev = ids[0]
        for i in range(1, len(ids)):
            cur = ids[i]
            v = mget(prev << _SHIFT | cur)
            if v is not None and (best < 0 or v < best):
                best = v
                bi = i
            prev = cur
        if best < 0:
            return ids
        ids[bi - 1 : bi + 1] = (best & _MASK,)
        if len(ids) == 1:
            return ids


def _merge_long(ids: list[int], mget: Any) -> list[int]:
    """Heap of candidate merges over a linked list, as ``tokenizers``' ``Word::merge_all``."""
    n = len(ids)
    sym = ids[:]  # id at each start position, -1 once absorbed by its left neighbour
    nxt = list(range(1, n + 1))
    prv = list(range(-1, n - 1))
    heap = []
    for i in range(n - 1):
        v = mget(sym[i] << _SHIFT | sym[i + 1])
        if v is not None:
            heap.append((v, i))
    heapify(heap)
    while heap:
        v, i = heappop(heap)
        a = sym[i]
        if a < 0:
            continue
        j = nxt[i]
        if j >= n or mget(a << _SHIFT | sym[j]) != v:
            continue  # stale entry: a neighbour merged since it was pushed
        new = v & _MASK
        sym[i] = new
        sym[j] = -1
        k = nxt[j]
        nxt[i] = k
        if k < n:
            prv[k] = i
            w = mget(new << _SHIFT | sym[k])
            if w is not None:
                heappush(heap, (w, i))
        p = prv[i]
        if p >= 0:
            w = mget(sym[p] << _SHIFT | new)
            if w is not None:
                heappush(heap, (w, p))
    return [s for s in sym if s >= 0]


class BPETokenizer:
    """One bundled tokenizer; build with :meth:`load`, then call :meth:`encode`."""

    def __init__(self, meta: dict, merges: dict[int, int]) -> None:
        if meta.get("format") != ASSET_FORMAT:
            raise DataFileError(f"tokenizer asset format {meta.get('format')!r} is not {ASSET_FORMAT}")
        self.name: str = meta["name"]
        self.kind: str = meta["kind"]
        self._merges = merges  # pair key -> rank << 18 | merged id (ranks are unique)
        self._byte_ids: list[int] = meta["byte_ids"]
        self._chars: dict[str, int] = meta.get("chars") or {}
        norm = meta.get("normalizer")
        self._norm: tuple[str, str] | None = (norm[0], norm[1]) if norm else None
        pre = meta["pre_tokenizer"]
        self._splits = [re.compile(p) for p in pre.get("patterns", [])]
        chunk = meta.get("chunk_split")
        self._chunk = re.compile(chunk) if chunk else None
        self._cache: dict[str, list[int]] = {}
        # Added tokens: pass 0 on the raw text (normalized=False), pass 1 after normalizing.
        self._added: list[tuple[dict[str, tuple[int, bool]], list[int], re.Pattern[str] | None]] = []
        for normalized in (False, True):
            table = {c: (i, s) for c, i, s, nz in meta["added_tokens"] if nz == normalized and c}
            lengths = sorted({len(c) for c in table}, reverse=True)
            firsts = "".join(sorted({c[0] for c in table}))
            starts = re.compile("[" + "".join(re.escape(c) for c in firsts) + "]") if firsts else None
            self._added.append((table, lengths, starts))
        self.vocab_size: int = meta["vocab_size"]

    @classmethod
    def load(cls, name: str) -> BPETokenizer:
        """Read ``tokenizers/<name>/`` (metadata JSON + merge arrays), both gzip-compressed."""
        try:
            with gzip.open(data_path(f"tokenizers/{name}/tokenizer.json.gz"), "rb") as f:
                meta = json.loads(f.read().decode("utf-8"))
            with gzip.open(data_path(f"tokenizers/{name}/merges.bin.gz"), "rb") as f:
                raw = f.read()
        except (OSError, ValueError) as exc:
            raise DataFileError(f"cannot read tokenizer {name!r}: {exc}") from exc
        count = int.from_bytes(raw[:4], "little")
        arrays = []
        for k in range(3):
            arr = array("I")
            arr.frombytes(raw[4 + 4 * count * k : 4 + 4 * count * (k + 1)])
            if sys.byteorder != "little":
                arr.byteswap()
            arrays.append(arr)
        left, right, merged = arrays
        if len(merged) != count:
            raise DataFileError(f"tokenizer {name!r}: truncated merge table")
        # Built in C-level iterators: the browser pays this on first use of the tokenizer.
        keys = map(or_, map(lshift, left, repeat(_SHIFT)), right)
        values = map(or_, map(lshift, range(count), repeat(_SHIFT)), merged)
        # dict() keeps a repeated key's last value: later duplicates win, as in tokenizers
        merges: dict[int, int] = dict(zip(keys, values, strict=True))
        return cls(meta, merges)

    # -- encoding -------------------------------------------------------------------------

    def encode(self, text: str) -> list[int]:
        """Token ids of ``text``, with no BOS/EOS added and special tokens as plain text."""
        out: list[int] = []
        if not text:
            return out
        for seg, tid in self._split_added(text, 0):
            if tid is not None:
                out.append(tid)
                continue
            if self._norm is not None:
                seg = seg.replace(*self._norm)
            for seg2, tid2 in self._split_added(seg, 1):
                if tid2 is not None:
                    out.append(tid2)
                else:
                    self._encode_plain(seg2, out)
        return out

    def _split_added(self, text: str, which: int) -> list[tuple[str, int | None]]:
        """Leftmost-longest added-token scan; special tokens match but stay plain text."""
        table, lengths, starts = self._added[which]
        if starts is None:
            return [(text, None)]
        parts: list[tuple[str, int | None]] = []
        done = 0  # end of the last emitted piece
        pos = 0  # where the scan resumes (a special token's span is skipped, not re-scanned)
        n = len(text)
        tget = table.get
        search = starts.search
        while True:
            m = search(text, pos)
            if m is None:
                break
            i = m.start()
            hit = None
            for length in lengths:
                if i + length <= n:
                    hit = tget(text[i : i + length])
                    if hit is not None:
                        break
            if hit is None:
                pos = i + 1
                continue
            tid, special = hit
            if special:
                pos = i + length
                continue
            if i > done:
                parts.append((text[done:i], None))
            parts.append((text[i : i + length], tid))
            done = pos = i + length
        if done < n:
            parts.append((text[done:], None))
        return parts

    def _pieces(self, text: str) -> list[str]:
        """Pre-tokenize: each Split (Isolated) regex cuts every piece into matches and gaps."""
        if self._chunk is not None:
            return self._chunk.split(text)
        spans = [(0, len(text))]
        for rx in self._splits:
            new: list[tuple[int, int]] = []
            add = new.append
            for s, e in spans:
                last = s
                for m in rx.finditer(text, s, e):
                    a, b = m.span()
                    if a == b:
                        continue
                    if a > last:
                        add((last, a))
                    add((a, b))
                    last = b
                if last < e:
                    add((last, e))
            spans = new
        return [text[s:e] for s, e in spans]

    def _encode_plain(self, text: str, out: list[int]) -> None:
        cache = self._cache
        cget = cache.get
        ext = out.extend
        for piece in self._pieces(text):
            ids = cget(piece)
            if ids is None:
                ids = self._bpe(piece)
                if len(cache) >= _CACHE_MAX:
                    cache.clear()
                cache[piece] = ids
            ext(ids)

    def _bpe(self, piece: str) -> list[int]:
        if self.kind == "byte_level":
            bid = self._byte_ids
            ids = [bid[b] for b in piece.encode("utf-8")]
        else:
            cget = self._chars.get
            bid = self._byte_ids
            ids = []
            for ch in piece:
                t = cget(ch)
                if t is None:
                    ids.extend(bid[b] for b in ch.encode("utf-8"))
                else:
                    ids.append(t)
        if len(ids) < 2:
            return ids
        if len(ids) < _LONG:
            return _merge_short(ids, self._merges.get)
        return _merge_long(ids, self._merges.get)
