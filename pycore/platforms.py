"""What a chat platform's model label stands for: tokenizer, reasoning visibility, size and serving.

Chat UIs show labels ("4o", "5.2 Thinking", "Pro Extended", "DeepThink") or per-message slugs
("gpt-5-2-thinking"), never the model's architecture. ``pycore/data/platform_models.json`` maps each
label to an estimate with its sources and warnings. An unrecognised label must still produce an
estimate (the extension cannot stop a conversation to ask), so it resolves to the platform's
``fallback`` record flagged ``is_fallback`` instead of raising.
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from functools import lru_cache
from typing import Any

from .errors import DataFileError, InvalidInput
from .ranges import Range
from .resources import load_json

log = logging.getLogger(__name__)

DATA_FILE = "platform_models.json"
SCHEMA_VERSION = 1
TOKENIZERS = frozenset({"o200k_base", "cl100k_base", "deepseek_v3", "gemma3", "tekken", "llama3"})
REASONING = frozenset({"none", "visible", "hidden"})
PRECISIONS = frozenset({"bf16", "fp8", "fp4"})


@dataclass(frozen=True)
class Source:
    """Where one number of a record comes from (``what``: which fields, ``source``: citation)."""

    what: str
    source: str


@dataclass(frozen=True)
class Deployment:
    """Assumed serving set-up: the hardware the energy model is evaluated on, and the facility."""

    gpu: str
    gpus: int
    precision: str
    batch: int
    pue: Range
    region: str


@dataclass(frozen=True)
class ModelMapping:
    """One platform label resolved to the estimate PromptWatt computes energy with."""

    platform: str
    provider: str
    label: str
    tokenizer: str
    reasoning: str
    decode_tokens_per_s: Range
    assumed_architecture: str
    total_params_b: Range
    active_params_b: Range
    deployment: Deployment
    sources: tuple[Source, ...]
    warnings: tuple[str, ...]
    match: tuple[str, ...] = ()
    # Products such as "GPT-5 Pro" sample several reasoning paths in parallel; energy scales with it.
    parallel_samples: Range = field(default_factory=lambda: Range.point(1))
    is_fallback: bool = False
    seen_label: str = ""

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dict (ranges as ``{low, central, high}``) for the browser boundary."""
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class _Platform:
    name: str
    provider: str
    default_label: str
    tokenizer: str
    strip_prefixes: tuple[str, ...]
    fallback: ModelMapping
    labels: tuple[ModelMapping, ...]
    exact: dict[str, ModelMapping]
    patterns: tuple[tuple[str, int, ModelMapping], ...]


def normalise(text: str, *, keep_wildcard: bool = False) -> str:
    """Case-fold and turn punctuation into single spaces, so "GPT-5.2 Thinking" == "gpt-5-2-thinking"."""
    chars = [c if c.isalnum() or (keep_wildcard and c == "*") else " " for c in text.casefold()]
    return " ".join("".join(chars).split())


def platforms() -> tuple[str, ...]:
    """Names of the chat platforms with a label table, in data-file order."""
    return tuple(_table())


def labels(platform: str) -> tuple[str, ...]:
    """Canonical labels known for ``platform`` (the fallback excluded)."""
    return tuple(m.label for m in _platform(platform).labels)


def default_label(platform: str) -> str:
    """Label assumed when the page shows none."""
    return _platform(platform).default_label


def resolve(platform: str, label: str | None) -> ModelMapping:
    """The record a UI label or message slug stands for; unknown labels give the flagged fallback."""
    p = _platform(platform)
    seen = label or ""
    if not normalise(seen):
        mapping = _lookup(p, normalise(p.default_label))
        assert mapping is not None  # checked at load time
        return dataclasses.replace(
            mapping,
            seen_label=seen,
            warnings=(
                *mapping.warnings,
                f"no model label seen: platform default {p.default_label!r} assumed",
            ),
        )
    mapping = _lookup(p, normalise(seen))
    if mapping is not None:
        return dataclasses.replace(mapping, seen_label=seen)
    log.info("unknown %s model label %r: using the fallback record", p.name, seen)
    fb = p.fallback
    return dataclasses.replace(
        fb,
        is_fallback=True,
        seen_label=seen,
        warnings=(
            *fb.warnings,
            f"unknown {p.name} model label {seen!r}: fallback estimate {fb.label!r} used",
        ),
    )


# -- matching ---------------------------------------------------------------------------------


def _candidates(p: _Platform, norm: str) -> list[str]:
    out = [norm]
    for prefix in p.strip_prefixes:
        if norm.startswith(prefix + " "):
            out.append(norm[len(prefix) + 1 :])
    return out


def _lookup(p: _Platform, norm: str) -> ModelMapping | None:
    candidates = _candidates(p, norm)
    for c in candidates:
        if c in p.exact:
            return p.exact[c]
    # Patterns: the most specific one (most literal characters) wins; ties go to file order.
    best: tuple[int, ModelMapping] | None = None
    for c in candidates:
        for pattern, literal, mapping in p.patterns:
            if fnmatchcase(c, pattern) and (best is None or literal > best[0]):
                best = (literal, mapping)
    return best[1] if best else None


# -- loading ----------------------------------------------------------------------------------


def _platform(platform: str) -> _Platform:
    table = _table()
    key = normalise(platform or "")
    if key not in table:
        raise InvalidInput(f"unknown chat platform {platform!r}", "known platforms: " + ", ".join(table))
    return table[key]


@lru_cache(maxsize=1)
def _table() -> dict[str, _Platform]:
    doc = load_json(DATA_FILE)
    if not isinstance(doc, dict) or doc.get("schema_version") != SCHEMA_VERSION:
        raise DataFileError(f"{DATA_FILE}: expected schema_version {SCHEMA_VERSION}")
    table: dict[str, _Platform] = {}
    for name, raw in doc["platforms"].items():
        table[name] = _parse_platform(name, raw)
    return table


def _parse_platform(name: str, raw: dict[str, Any]) -> _Platform:
    provider = _req(raw, "provider", name)
    records = tuple(_parse_record(name, provider, r) for r in _req(raw, "labels", name))
    fallback = _parse_record(name, provider, _req(raw, "fallback", name))
    exact: dict[str, ModelMapping] = {}
    patterns: list[tuple[str, int, ModelMapping]] = []
    for m in records:
        keys = {normalise(m.label)} | {normalise(s, keep_wildcard=True) for s in m.match}
        for key in sorted(keys):
            if "*" in key:
                patterns.append((key, len(key.replace("*", "")), m))
                continue
            if key in exact and exact[key] is not m:
                raise DataFileError(
                    f"{DATA_FILE}: {name} match {key!r} is claimed by both {exact[key].label!r} and {m.label!r}"
                )
            exact[key] = m
    p = _Platform(
        name=name,
        provider=provider,
        default_label=_req(raw, "default_label", name),
        tokenizer=_check(_req(raw, "tokenizer", name), TOKENIZERS, f"{name} tokenizer"),
        strip_prefixes=tuple(normalise(s) for s in raw.get("strip_prefixes", ())),
        fallback=fallback,
        labels=records,
        exact=exact,
        patterns=tuple(patterns),
    )
    if normalise(p.default_label) not in exact:
        raise DataFileError(f"{DATA_FILE}: {name} default_label {p.default_label!r} is not one of its labels")
    return p


def _parse_record(platform: str, provider: str, r: dict[str, Any]) -> ModelMapping:
    where = f"{platform}/{r.get('label', '?')}"
    raw_sources = _req(r, "sources", where)
    if not isinstance(raw_sources, list) or not raw_sources:
        raise DataFileError(f"{DATA_FILE}: {where} has no sources")
    sources = tuple(Source(_req(s, "what", where), _req(s, "source", where)) for s in raw_sources)
    d = _req(r, "deployment", where)
    deployment = Deployment(
        gpu=_req(d, "gpu", where),
        gpus=int(_req(d, "gpus", where)),
        precision=_check(_req(d, "precision", where), PRECISIONS, f"{where} precision"),
        batch=int(_req(d, "batch", where)),
        pue=_range(_req(d, "pue", where), where),
        region=_req(d, "region", where),
    )
    return ModelMapping(
        platform=platform,
        provider=provider,
        label=_req(r, "label", where),
        tokenizer=_check(_req(r, "tokenizer", where), TOKENIZERS, f"{where} tokenizer"),
        reasoning=_check(_req(r, "reasoning", where), REASONING, f"{where} reasoning"),
        decode_tokens_per_s=_range(_req(r, "decode_tokens_per_s", where), where),
        assumed_architecture=_req(r, "assumed_architecture", where),
        total_params_b=_range(_req(r, "total_params_b", where), where),
        active_params_b=_range(_req(r, "active_params_b", where), where),
        deployment=deployment,
        sources=sources,
        warnings=tuple(_req(r, "warnings", where)),
        match=tuple(_req(r, "match", where)),
        parallel_samples=_range(r.get("parallel_samples", 1), where),
    )


def _req(obj: dict[str, Any], key: str, where: str) -> Any:
    # A missing key is an error, never a silent default: EcoLogits lost every source to a key typo.
    if not isinstance(obj, dict) or key not in obj:
        raise DataFileError(f"{DATA_FILE}: {where} lacks {key!r}")
    return obj[key]


def _check(value: str, allowed: frozenset[str], what: str) -> str:
    if value not in allowed:
        raise DataFileError(f"{DATA_FILE}: {what} {value!r} not in {sorted(allowed)}")
    return value


def _range(obj: Any, where: str) -> Range:
    try:
        return Range.from_json(obj)
    except InvalidInput as exc:
        raise DataFileError(f"{DATA_FILE}: {where}: {exc}") from exc
