"""Which architecture to build: a catalog id, or a ``config.json``-style file, plus overrides.

The paper's variant experiments change one config field at a time (layers, hidden size,
intermediate size, attention heads, KV heads); ``catalog.with_overrides`` names such a variant
``base-id[field=value,...]``, and that id is what measured rows carry as their model.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pycore.energy import catalog as cat
from pycore.errors import InvalidInput

# The fields the paper varies; others are allowed too, but these are the documented ones.
VARIANT_FIELDS = (
    "num_hidden_layers",
    "hidden_size",
    "intermediate_size",
    "num_attention_heads",
    "num_key_value_heads",
    "head_dim",
)


def parse_value(text: str) -> Any:
    """``40`` -> 40, ``1e-5`` -> 1e-05, ``true`` -> True, ``"x"``/``x`` -> "x" (JSON, else the text)."""
    try:
        return json.loads(text)
    except ValueError:
        return text


def parse_overrides(items: list[str] | None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise InvalidInput(
                f"override {item!r} is not FIELD=VALUE", "e.g. --override num_hidden_layers=40"
            )
        out[key.strip()] = parse_value(value.strip())
    return out


def from_config_file(path: str | Path) -> cat.Architecture:
    """A catalog-style record (``{"id", "config", ...}``) or a bare Hugging Face ``config.json``."""
    p = Path(path)
    try:
        raw = json.loads(p.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InvalidInput(f"cannot read {p}: {exc.strerror or exc}") from exc
    except ValueError as exc:
        raise InvalidInput(f"{p} is not valid JSON: {exc}") from exc
    if not isinstance(raw, dict):
        raise InvalidInput(f"{p} must hold a JSON object (a config.json or a catalog record)")
    config = raw.get("config") if isinstance(raw.get("config"), dict) else raw
    name = str(raw.get("id") or config.get("_name_or_path") or p.stem)
    if config.get("model_type") not in cat._MODEL_TYPES:  # the catalog's supported types
        raise InvalidInput(
            f"{p}: model_type {config.get('model_type')!r} is not one the catalog can count",
            "one of " + ", ".join(sorted(cat._MODEL_TYPES)),
        )
    arch = cat.Architecture(
        id=name,
        aliases=(),
        family="custom",
        config=dict(config),
        published_params_b=None,
        published_active_params_b=None,
        params_source="",
        config_source=str(p),
        notes=f"from {p}",
    )
    try:
        cat._check_shape(arch)
    except (ValueError, KeyError, TypeError, ZeroDivisionError) as exc:
        raise InvalidInput(f"{p} does not describe a usable decoder: {exc!r}") from exc
    return arch


def resolve(
    model: str | None = None, config: str | Path | None = None, overrides: dict[str, Any] | None = None
) -> cat.Architecture:
    if (model is None) == (config is None):
        raise InvalidInput("give exactly one of --model ID and --config FILE")
    arch = cat.load_catalog().get(model) if model is not None else from_config_file(config)  # type: ignore[arg-type]
    return cat.with_overrides(arch, **(overrides or {}))


def split_variant_id(model_id: str) -> tuple[str, dict[str, Any]]:
    """``base[num_hidden_layers=16,hidden_size=2048]`` -> (``base``, {...}); a plain id -> (id, {})."""
    if not model_id.endswith("]") or "[" not in model_id:
        return model_id, {}
    base, _, inner = model_id[:-1].rpartition("[")
    return base, parse_overrides(inner.split(","))


def architecture_of(model_id: str) -> cat.Architecture:
    """The architecture a measured row's model id names, variants included (catalog ids only)."""
    base, overrides = split_variant_id(model_id)
    return cat.with_overrides(cat.load_catalog().get(base), **overrides)


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def hf_config_dict(arch: cat.Architecture) -> dict[str, Any]:
    """The architecture's config as a plain dict for ``transformers.AutoConfig.for_model``."""
    config = _plain(arch.config)
    config.pop("torch_dtype", None)  # the engine decides the dtype
    return config
