"""What a chat platform's model label stands for: tokenizer, reasoning visibility, size and serving.

Chat UIs show labels ("4o", "5.2 Thinking", "Pro Extended", "DeepThink") or per-message slugs
("gpt-5-2-thinking"), never the model's architecture. Each registered site's platform data
(``pycore/data/platforms/<site>.json``) maps its labels to a model of ``pycore/data/models.json``
(defined once however many sites reach it) and to how the site serves it; together they give an
estimate with its sources and warnings. An unrecognised label must still produce an
estimate (the extension cannot stop a conversation to ask), so it resolves to the platform's
``fallback`` record flagged ``is_fallback`` instead of raising.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from functools import lru_cache
from typing import Any

from pycore.chat.sites import all_sites
from pycore.chat.tokenizers import available_tokenizers, token_ratio
from pycore.errors import DataFileError, InvalidInput
from pycore.ranges import Range
from pycore.resources import load_json

log = logging.getLogger(__name__)

MODELS_FILE = "models.json"
MODELS_SCHEMA = 1
PLATFORM_SCHEMA = 2
DATA_FILE = "platforms/<site>.json"
TOKENIZERS = frozenset(available_tokenizers())
REASONING = frozenset({"none", "visible", "hidden"})
PRECISIONS = frozenset({"bf16", "fp8", "fp4"})


@dataclass(frozen=True)
class Source:
    """Where one number of a record comes from (``what``: which fields, ``source``: citation)."""

    what: str
    source: str


@dataclass(frozen=True)
class Serving:
    """How a site serves a label (assumed): the hardware the energy model is evaluated on, and the facility."""

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
    deployment: Serving
    sources: tuple[Source, ...]
    warnings: tuple[str, ...]
    match: tuple[str, ...] = ()
    # Products such as "GPT-5 Pro" sample several reasoning paths in parallel; energy scales with it.
    parallel_samples: Range = field(default_factory=lambda: Range.point(1))
    is_fallback: bool = False
    seen_label: str = ""
    model: str = ""  # id in models.json ("" for a fallback envelope defined in the platform file)
    # Real tokens per counted token where the model's tokenizer is unpublished (``token_ratios.json``):
    # counts use the closest published tokenizer and the estimate carries this ratio's range.
    token_ratio: Range = field(default_factory=lambda: Range.point(1))
    token_ratio_key: str = ""

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
    overhead: dict[str, Any]
    default_labels: tuple[DatedDefault, ...] = ()


@dataclass(frozen=True)
class DatedDefault:
    """The label a site served by default from a date on (``default_labels`` of the platform file)."""

    since: dt.date
    label: str
    source: str


def normalise(text: str, *, keep_wildcard: bool = False) -> str:
    """Case-fold and turn punctuation into single spaces, so "GPT-5.2 Thinking" == "gpt-5-2-thinking"."""
    chars = [c if c.isalnum() or (keep_wildcard and c == "*") else " " for c in text.casefold()]
    return " ".join("".join(chars).split())


def platforms() -> tuple[str, ...]:
    """Names of the chat platforms (the registered sites), in registry order."""
    return tuple(_table())


def models() -> tuple[str, ...]:
    """Ids of the model definitions (``models.json``) that labels point at."""
    return tuple(_models())


def labels(platform: str) -> tuple[str, ...]:
    """Canonical labels known for ``platform`` (the fallback excluded)."""
    return tuple(m.label for m in _platform(platform).labels)


def default_label(platform: str, when: dt.date | None = None) -> str:
    """Label assumed when the page (or an export) shows none: the site's default on ``when``.

    Why dated: an export of several years' history names no model on some sites (Claude, Gemini,
    Le Chat, ...), and the default then was not today's. With no date, or no ``default_labels`` in
    the platform file, the current ``default_label``.
    """
    dated = dated_default(platform, when)
    return dated.label if dated else _platform(platform).default_label


def dated_default(platform: str, when: dt.date | None) -> DatedDefault | None:
    """The ``default_labels`` entry in force on ``when`` (the earliest one for an earlier date);
    None without a date or without dated defaults."""
    entries = _platform(platform).default_labels
    if when is None or not entries:
        return None
    current = entries[0]
    for e in entries:
        if e.since <= when:
            current = e
    return current


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
    models = _models()
    return {s.id: _parse_platform(s.id, s.platform, models) for s in all_sites()}


@lru_cache(maxsize=1)
def _models() -> dict[str, dict[str, Any]]:
    doc = load_json(MODELS_FILE)
    if not isinstance(doc, dict) or doc.get("schema_version") != MODELS_SCHEMA:
        raise DataFileError(f"{MODELS_FILE}: expected schema_version {MODELS_SCHEMA}")
    return doc["models"]


def overhead(platform: str) -> dict[str, Any]:
    """The site's per-request token overhead record (system prompt, template markers, sources)."""
    return _platform(platform).overhead


def _parse_platform(name: str, filename: str, models: dict[str, dict[str, Any]]) -> _Platform:
    raw = load_json(filename)
    if (
        not isinstance(raw, dict)
        or raw.get("schema_version") != PLATFORM_SCHEMA
        or raw.get("platform") != name
    ):
        raise DataFileError(f"{filename}: expected schema_version {PLATFORM_SCHEMA} for platform {name!r}")
    provider = _req(raw, "provider", name)
    serving = _req(raw, "deployment", name)
    records = tuple(_parse_record(name, provider, r, models, serving) for r in _req(raw, "labels", name))
    fallback = _parse_record(name, provider, _req(raw, "fallback", name), models, serving)
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
                    f"{filename}: {name} match {key!r} is claimed by both {exact[key].label!r} and {m.label!r}"
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
        overhead=_req(raw, "overhead", name),
    )
    if normalise(p.default_label) not in exact:
        raise DataFileError(f"{filename}: {name} default_label {p.default_label!r} is not one of its labels")
    return dataclasses.replace(p, default_labels=_dated_defaults(filename, p, raw.get("default_labels", [])))


def _dated_defaults(filename: str, p: _Platform, raw: Any) -> tuple[DatedDefault, ...]:
    """``default_labels``: ascending dates, each label one of the site's (or matched by a pattern), each sourced."""
    if not isinstance(raw, list):
        raise DataFileError(f"{filename}: default_labels must be a list")
    out: list[DatedDefault] = []
    for e in raw:
        where = f"{p.name} default_labels {e!r}"
        try:
            since = dt.date.fromisoformat(_req(e, "from", where))
        except (TypeError, ValueError) as exc:
            raise DataFileError(f"{filename}: {where}: 'from' must be YYYY-MM-DD") from exc
        label, source = _req(e, "label", where), _req(e, "source", where)
        if not isinstance(label, str) or _lookup(p, normalise(label)) is None:
            raise DataFileError(f"{filename}: {where}: label {label!r} is not one of its labels")
        if not isinstance(source, str) or not source.strip():
            raise DataFileError(f"{filename}: {where}: a dated default needs a source")
        if out and since <= out[-1].since:
            raise DataFileError(f"{filename}: {p.name} default_labels must be in ascending date order")
        out.append(DatedDefault(since, label, source))
    return tuple(out)


def _sources(raw: Any, where: str) -> tuple[Source, ...]:
    if not isinstance(raw, list):
        raise DataFileError(f"{DATA_FILE}: {where} sources must be a list")
    return tuple(Source(_req(s, "what", where), _req(s, "source", where)) for s in raw)


def _parse_record(
    platform: str,
    provider: str,
    r: dict[str, Any],
    models: dict[str, dict[str, Any]],
    serving: dict[str, Any],
) -> ModelMapping:
    """A label: its model (an id of models.json, or an inline envelope for the fallback) + how it is served."""
    where = f"{platform}/{r.get('label', '?')}"
    ref = _req(r, "model", where)
    if isinstance(ref, str):
        if ref not in models:
            raise DataFileError(f"{DATA_FILE}: {where} names model {ref!r}, which {MODELS_FILE} lacks")
        model, model_id = models[ref], ref
    else:
        model, model_id = ref, ""
    d = r.get("deployment", serving)
    sources = (
        _sources(_req(model, "sources", where), where)
        + _sources(_req(r, "sources", where), where)
        + _sources(d.get("sources", []), where)
    )
    if not sources:
        raise DataFileError(f"{DATA_FILE}: {where} has no sources")
    deployment = Serving(
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
        tokenizer=_check(_req(model, "tokenizer", where), TOKENIZERS, f"{where} tokenizer"),
        reasoning=_check(_req(r, "reasoning", where), REASONING, f"{where} reasoning"),
        decode_tokens_per_s=_range(_req(model, "decode_tokens_per_s", where), where),
        assumed_architecture=_req(model, "assumed_architecture", where),
        total_params_b=_range(_req(model, "total_params_b", where), where),
        active_params_b=_range(_req(model, "active_params_b", where), where),
        deployment=deployment,
        sources=sources,
        warnings=tuple(_req(r, "warnings", where)),
        match=tuple(_req(r, "match", where)),
        parallel_samples=_range(model.get("parallel_samples", 1), where),
        model=model_id,
        **_ratio(model, where),
    )


def _ratio(model: dict[str, Any], where: str) -> dict[str, Any]:
    key = model.get("token_ratio")
    if key is None:
        return {}
    try:
        stand_in, ratio = token_ratio(key)
    except InvalidInput as exc:
        raise DataFileError(f"{MODELS_FILE}: {where}: {exc}") from exc
    if stand_in != model.get("tokenizer"):
        raise DataFileError(
            f"{MODELS_FILE}: {where}: ratio {key!r} is relative to {stand_in}, not {model.get('tokenizer')}"
        )
    return {"token_ratio": ratio, "token_ratio_key": key}


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
