"""The one entry point the extension's Pyodide worker calls: JSON in, JSON out, never raises.

The worker hands over an exchange's text; this module turns it into counts and energy and the
text goes no further (the worker drops it once the result is back). Results follow the browser
boundary's shape ``{"ok", "value", "warnings", "errors": [{"code", "message", "hint"}]}`` so the
service worker can store, retry or report without parsing Python tracebacks.
"""

from __future__ import annotations

import json
from typing import Any

from . import __version__, impact
from .conversation import Turn, chat_overhead, estimate_turn, parse_turns
from .errors import InvalidInput, PromptWattError
from .platforms import platforms, resolve
from .predictor import default_predictor
from .ranges import Range

PROTOCOL_VERSION = 1


def handle(request_json: str) -> str:
    """Dispatches one request (a JSON object with ``op``) and returns the JSON result."""
    try:
        request = json.loads(request_json)
        if not isinstance(request, dict):
            raise InvalidInput("a request must be a JSON object")
        op = request.get("op")
        handler = _OPS.get(op)  # type: ignore[arg-type]
        if handler is None:
            raise InvalidInput(f"unknown op {op!r}", "one of " + ", ".join(sorted(_OPS)))
        value, warnings = handler(request)
        return json.dumps({"ok": True, "value": value, "warnings": warnings, "errors": []})
    except PromptWattError as exc:
        return json.dumps({"ok": False, "value": None, "warnings": [],
                           "errors": [{"code": exc.code, "message": exc.message, "hint": exc.hint}]})
    except (ValueError, TypeError, KeyError) as exc:  # malformed JSON or fields of the wrong type
        return json.dumps({"ok": False, "value": None, "warnings": [],
                           "errors": [{"code": "invalid_input", "message": str(exc), "hint": ""}]})


def _ends(prefix: str, r: Range) -> dict[str, float]:
    return {prefix: r.central, f"{prefix}_low": r.low, f"{prefix}_high": r.high}


def _exchange(req: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """Counts and energy of one finished exchange, given the token count of what came before."""
    platform = req.get("platform")
    if platform not in platforms():
        raise InvalidInput(f"unknown platform {platform!r}", "one of " + ", ".join(platforms()))
    mapping = resolve(platform, req.get("model_label"))
    turn = parse_turns([{k: req.get(k) for k in ("prompt", "reply", "reasoning", "reasoning_seconds")}])[0]
    index = int(req.get("turn_index", 0))
    context = int(req.get("context_tokens", 0))
    if index < 0 or context < 0:
        raise InvalidInput("turn_index and context_tokens must be >= 0")
    region = req.get("region") or mapping.deployment.region
    grid_g, grid = impact.grid_intensity(region)
    if req.get("grid_g_per_kwh") is not None:
        grid_g = float(req["grid_g_per_kwh"])
    ex, prompt_tokens, reply_tokens = estimate_turn(mapping, turn, index, context, grid_g_per_kwh=grid_g)
    wall, co2 = ex.wall_wh, ex.co2_g
    if req.get("pue") is not None:  # a user override replaces the provider's PUE
        pue = float(req["pue"])
        if not 1.0 <= pue <= 3.0:
            raise InvalidInput(f"PUE must be between 1.0 and 3.0, got {pue}")
        wall = Range.of(impact.wall_energy_wh(ex.gpu_wh, impact.server_overhead().value, pue))
        co2 = Range.of(impact.co2_g(wall, grid_g))
    warnings = list(mapping.warnings) + list(ex.warnings)
    if grid.is_fallback and req.get("grid_g_per_kwh") is None:
        warnings.append(grid.warning)
    value = {
        "prompt_tokens": prompt_tokens, "reply_tokens": reply_tokens,
        "reasoning_tokens": round(ex.reasoning_tokens.central), "reasoning_estimated": ex.reasoning_estimated,
        "input_tokens": ex.input_tokens, "output_tokens": round(ex.output_tokens.central),
        **_ends("energy_wh", ex.gpu_wh), **_ends("wall_wh", wall), **_ends("co2_g", co2),
        "grid_g_per_kwh": grid_g, "region": grid.iso if req.get("grid_g_per_kwh") is None else "custom",
        "model": {"label": mapping.label, "platform": mapping.platform, "is_fallback": mapping.is_fallback,
                  "assumed_architecture": mapping.assumed_architecture, "tokenizer": mapping.tokenizer},
        "model_version": default_predictor().version,
    }
    return value, warnings


def _equivalents(req: dict[str, Any]) -> tuple[list[dict[str, Any]], list[str]]:
    return impact.equivalents(float(req["wh"]), float(req["co2_g"])), []


def _count(req: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """Token count of a text with a platform label's tokenizer (the popup's "what is a token")."""
    mapping = resolve(req["platform"], req.get("model_label"))
    turn: Turn = parse_turns([{"prompt": req.get("text", "")}])[0]
    from .tokenize import count_tokens

    return {"tokens": count_tokens(turn.prompt, mapping.tokenizer), "tokenizer": mapping.tokenizer}, []


def _info(req: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """What the "how is this computed" page shows: versions, metrics, overheads and sources."""
    art = default_predictor().artefact or {}
    overhead = impact.server_overhead()
    return {
        "pycore_version": __version__, "protocol_version": PROTOCOL_VERSION,
        "model_version": default_predictor().version, "model_name": art.get("model_name"),
        "metrics": art.get("metrics", {}), "interval": art.get("interval", {}),
        "server_overhead": {"value": [overhead.value.low, overhead.value.central, overhead.value.high],
                            "sources": [list(x) for x in overhead.sources]},
        "platforms": {p: {"overhead_tokens": chat_overhead(p).tokens(1)} for p in platforms()},
    }, []


_OPS = {"exchange": _exchange, "equivalents": _equivalents, "count": _count, "info": _info}
