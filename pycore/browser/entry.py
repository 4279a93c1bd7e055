"""The one entry point the extension's Pyodide worker calls: JSON in, JSON out, never raises.

The worker hands over an exchange's text; this module turns it into counts and energy and the
text goes no further (the worker drops it once the result is back). Results follow the browser
boundary's shape ``{"ok", "value", "warnings", "errors": [{"code", "message", "hint"}]}`` so the
service worker can store, retry or report without parsing Python tracebacks.
"""

from __future__ import annotations

import dataclasses
import json
import math
from dataclasses import dataclass
from typing import Any

from pycore import __version__
from pycore.chat import impact
from pycore.chat.conversation import (
    BOUNDARIES,
    Reasoning,
    Turn,
    chat_overhead,
    counted_gpu_energy,
    parse_turns,
    reasoning_from,
    turn_counts,
)
from pycore.chat.disclosures import compare_all
from pycore.chat.platforms import ModelMapping, labels, platforms, resolve
from pycore.energy.predictor import default_predictor
from pycore.errors import InvalidInput, PromptWattError
from pycore.exports import records
from pycore.ranges import Range

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
        return json.dumps(
            {
                "ok": False,
                "value": None,
                "warnings": [],
                "errors": [{"code": exc.code, "message": exc.message, "hint": exc.hint}],
            }
        )
    except (ValueError, TypeError, KeyError) as exc:  # malformed JSON or fields of the wrong type
        return json.dumps(
            {
                "ok": False,
                "value": None,
                "warnings": [],
                "errors": [{"code": "invalid_input", "message": str(exc), "hint": ""}],
            }
        )


# -- settings: what turns GPU energy into wall energy and CO2 ----------------------------------------


@dataclass(frozen=True)
class Settings:
    """The popup's settings that change wall energy and CO2 (never GPU energy)."""

    region: str | None = None  # ISO 3166 alpha-2; None: the provider's data-centre region
    grid_g_per_kwh: float | None = None  # a custom grid intensity; wins over region
    pue: float | None = None  # replaces the provider's PUE range
    wue: float | None = None  # replaces the operator's on-site WUE range (L per IT kWh)


@dataclass(frozen=True)
class Impact:
    """Wall energy, CO2 of use, water and embodied CO2 of one exchange's GPU energy under some settings."""

    wall_wh: Range
    co2_g: Range
    grid_g_per_kwh: float
    region: str  # the grid used: an ISO code, WORLD for an unknown region, or "custom"
    warning: str  # the unknown-region warning, or ""
    water_onsite_ml: Range
    water_offsite_ml: Range
    embodied_co2_g: Range
    water_warning: str = ""  # a region with a grid intensity but no off-site water factor

    def fields(self) -> dict[str, Any]:
        """The record's fields that the settings change (what the impact op recomputes)."""
        water = self.water_onsite_ml + self.water_offsite_ml
        return {
            **self.wall_wh.flat("wall_wh"),
            **self.co2_g.flat("co2_g"),
            **water.flat("water_ml"),
            **self.water_onsite_ml.flat("water_onsite_ml"),
            **self.water_offsite_ml.flat("water_offsite_ml"),
            **self.embodied_co2_g.flat("embodied_co2_g"),
            "grid_g_per_kwh": self.grid_g_per_kwh,
            "region": self.region,
        }

    def warnings(self) -> list[str]:
        return [w for w in (self.warning, self.water_warning) if w]


def _number(value: Any, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InvalidInput(f"{name} must be a finite number, got {value!r}")
    return float(value)


def _settings(req: dict[str, Any]) -> Settings:
    region = req.get("region")
    if region is not None and not isinstance(region, str):
        raise InvalidInput(f"region must be a country code or null, got {region!r}", "e.g. FR")
    grid = req.get("grid_g_per_kwh")
    if grid is not None:
        grid = _number(grid, "grid_g_per_kwh")
        if grid < 0:
            raise InvalidInput(f"grid_g_per_kwh must be >= 0, got {grid:g}")
    pue = req.get("pue")
    if pue is not None:
        pue = _number(pue, "pue")
        if not 1.0 <= pue <= 3.0:
            raise InvalidInput(f"PUE must be between 1.0 and 3.0, got {pue:g}")
    wue = req.get("wue")
    if wue is not None:
        wue = _number(wue, "wue")
        if not 0.0 <= wue <= 20.0:
            raise InvalidInput(f"WUE must be between 0 and 20 L per IT kWh, got {wue:g}")
    return Settings(region or None, grid, pue, wue)


def _impact_of(mapping: ModelMapping, gpu_wh: Range, settings: Settings, overhead: Range) -> Impact:
    """The one place both ops turn GPU energy into wall energy, CO2, water and embodied CO2 (so that
    they agree to the bit, and with `promptwatt chat`: the same ``impact.impacts_of``)."""
    region = settings.region or mapping.deployment.region
    grid_g, grid = impact.grid_intensity(region)
    custom = settings.grid_g_per_kwh is not None
    if custom:
        grid_g = settings.grid_g_per_kwh  # type: ignore[assignment]
    pue = (
        mapping.deployment.pue if settings.pue is None else settings.pue
    )  # a user override replaces the provider's
    fac = impact.facility(mapping.provider, region, pue, wue=settings.wue, g_co2_per_kwh=grid_g)
    if fac.server_overhead != overhead:
        fac = dataclasses.replace(fac, server_overhead=overhead)
    fig = impact.impacts_of(gpu_wh, fac, impact.hardware(mapping.deployment.gpu))
    water = impact.electricity_water(region)[1]
    return Impact(
        fig.wall_wh,
        fig.co2_g,
        grid_g,
        "custom" if custom else grid.iso,
        grid.warning if grid.is_fallback and not custom else "",
        fig.water_onsite_ml,
        fig.water_offsite_ml,
        fig.embodied_co2_g,
        water.warning if water.is_fallback and not grid.is_fallback else "",
    )


def _exchange(req: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """Counts and energy of one finished exchange, given the token count of what came before."""
    platform = req.get("platform")
    if platform not in platforms():
        raise InvalidInput(f"unknown platform {platform!r}", "one of " + ", ".join(platforms()))
    settings = _settings(req)
    mapping = resolve(platform, req.get("model_label"))
    turn = parse_turns([{k: req.get(k) for k in ("prompt", "reply", "reasoning", "reasoning_seconds")}])[0]
    index = int(req.get("turn_index", 0))
    context = int(req.get("context_tokens", 0))
    if index < 0 or context < 0:
        raise InvalidInput("turn_index and context_tokens must be >= 0")
    prompt, reply, reasoning = turn_counts(mapping, turn)
    return _counted(
        mapping, settings, impact.server_overhead().value, prompt, reply, reasoning, index, context
    )


def _counted(
    mapping: ModelMapping,
    settings: Settings,
    overhead: Range,
    prompt_tokens: int,
    reply_tokens: int,
    reasoning: Reasoning,
    index: int,
    context: int,
) -> tuple[dict[str, Any], list[str]]:
    """The exchange op's value and warnings for a turn's counts: the exchange and reestimate ops both end here."""
    ex = counted_gpu_energy(mapping, prompt_tokens, reply_tokens, reasoning, index, context)
    imp = _impact_of(mapping, ex.gpu_wh, settings, overhead)
    warnings = list(mapping.warnings) + list(ex.warnings) + imp.warnings()
    value = {
        "prompt_tokens": prompt_tokens,
        "reply_tokens": reply_tokens,
        "reasoning_tokens": round(ex.reasoning_tokens.central),
        "reasoning_estimated": ex.reasoning_estimated,
        "input_tokens": ex.input_tokens,
        "output_tokens": round(ex.output_tokens.central),
        **ex.gpu_wh.flat("energy_wh"),
        **imp.fields(),
        "model": {
            "label": mapping.label,
            "platform": mapping.platform,
            "is_fallback": mapping.is_fallback,
            "assumed_architecture": mapping.assumed_architecture,
            "tokenizer": mapping.tokenizer,
        },
        "model_version": default_predictor().version,
    }
    return value, warnings


MAX_IMPACT_RECORDS = 5000
IMPACT_RECORD = (
    "{platform, model_label, energy_wh_low, energy_wh, energy_wh_high, warnings?}: "
    "what the exchange op returned and the extension stored"
)


def _impact(req: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """Wall energy and CO2 of stored exchanges again, under new settings, from their GPU energy.

    A bad request (settings, no list) is an error of the whole call; a bad record gets
    ``{"error": {code, message}}`` in its place so that the others are still recomputed.
    """
    return _per_record(req, IMPACT_RECORD, MAX_IMPACT_RECORDS, _reimpact)


def _per_record(req: dict[str, Any], shape: str, limit: int, one: Any) -> tuple[dict[str, Any], list[str]]:
    """``one(record, settings, overhead, mappings)`` for each of the request's records (at most
    ``limit``); a bad record gets ``{"error": {code, message}}`` in its place."""
    settings = _settings(req)
    records = req.get("records")
    if not isinstance(records, list):
        raise InvalidInput("records must be a list", f"each record: {shape}")
    if len(records) > limit:
        raise InvalidInput(f"at most {limit} records per request, got {len(records)}", "send them in batches")
    overhead = impact.server_overhead().value
    mappings: dict[tuple[str, str | None], ModelMapping] = {}
    out: list[dict[str, Any]] = []
    for i, rec in enumerate(records):
        try:
            out.append(one(rec, settings, overhead, mappings))
        except PromptWattError as exc:
            out.append({"error": {"code": exc.code, "message": f"record {i}: {exc.message}"}})
    return {"records": out}, []


def _record_mapping(
    rec: Any, shape: str, mappings: dict[tuple[str, str | None], ModelMapping]
) -> ModelMapping:
    """A stored record's label resolved as the exchange op resolved it (an unknown label: the fallback)."""
    if not isinstance(rec, dict):
        raise InvalidInput(f"a record must be an object, got {type(rec).__name__}", shape)
    platform, label = rec.get("platform"), rec.get("model_label")
    if platform not in platforms():
        raise InvalidInput(f"unknown platform {platform!r}", "one of " + ", ".join(platforms()))
    if label is not None and not isinstance(label, str):
        raise InvalidInput(f"model_label must be a string or null, got {label!r}")
    key = (platform, label or None)
    if key not in mappings:
        mappings[key] = resolve(platform, label)
    return mappings[key]


def _reimpact(
    rec: Any, settings: Settings, overhead: Range, mappings: dict[tuple[str, str | None], ModelMapping]
) -> dict[str, Any]:
    mapping = _record_mapping(rec, IMPACT_RECORD, mappings)
    gpu = Range(*(_number(rec.get(f), f) for f in ("energy_wh_low", "energy_wh", "energy_wh_high")))
    imp = _impact_of(mapping, gpu, settings, overhead)
    value: dict[str, Any] = imp.fields()
    warnings = rec.get("warnings")
    if warnings is not None:  # the old region's warnings go, the new ones come last (as the exchange op)
        if not isinstance(warnings, list) or not all(isinstance(w, str) for w in warnings):
            raise InvalidInput("warnings must be a list of strings")
        value["warnings"] = [
            w
            for w in warnings
            if not impact.is_grid_fallback_warning(w) and not impact.is_water_fallback_warning(w)
        ]
        value["warnings"] += imp.warnings()
    return value


MAX_REESTIMATE_RECORDS = 1000
REESTIMATE_RECORD = (
    "{platform, model_label, prompt_tokens, reply_tokens, reasoning_tokens, reasoning_estimated, "
    "reasoning_seconds, turn_index, context_tokens}: a stored exchange's counts and its new context"
)
_COUNTS = ("prompt_tokens", "reply_tokens", "reasoning_tokens", "turn_index", "context_tokens")


def _reestimate(req: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """Stored exchanges estimated again from their token counts at a new turn index and context.

    The extension keeps counts, never text: a turn recorded before the turns above it were known
    (a page opened mid-history) is estimated again once they are. Each result is the exchange op's
    value for the same texts at that index and context, with its warnings. A bad request
    (settings, no list) is an error of the whole call; a bad record gets ``{"error": {code,
    message}}`` in its place so that the others are still estimated.
    """
    return _per_record(req, REESTIMATE_RECORD, MAX_REESTIMATE_RECORDS, _reestimate_one)


def _count_field(rec: dict[str, Any], name: str) -> int:
    value = rec.get(name)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InvalidInput(f"{name} must be an integer >= 0, got {value!r}", REESTIMATE_RECORD)
    return value


def _reestimate_one(
    rec: Any, settings: Settings, overhead: Range, mappings: dict[tuple[str, str | None], ModelMapping]
) -> dict[str, Any]:
    mapping = _record_mapping(rec, REESTIMATE_RECORD, mappings)
    prompt, reply, counted, index, context = (_count_field(rec, f) for f in _COUNTS)
    estimated = rec.get("reasoning_estimated")
    if not isinstance(estimated, bool):
        raise InvalidInput(f"reasoning_estimated must be true or false, got {estimated!r}")
    seconds = rec.get("reasoning_seconds")
    if seconds is not None:
        seconds = _number(seconds, "reasoning_seconds")
        if seconds < 0:
            raise InvalidInput(f"reasoning_seconds must be >= 0, got {seconds:g}")
    if estimated and seconds is None:
        raise InvalidInput("reasoning_estimated needs the reasoning_seconds it was estimated from")
    # Estimated reasoning is derived from the duration again, exactly as the exchange op did; a
    # counted one keeps its count (the duration, if any, was not what it came from).
    reasoning = reasoning_from(mapping, 0, seconds) if estimated else reasoning_from(mapping, counted, None)
    value, warnings = _counted(mapping, settings, overhead, prompt, reply, reasoning, index, context)
    return {**value, "warnings": warnings}


MAX_COMPARE_RECORDS = 500


def _compare(req: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """The lighter choice: a conversation's stored exchanges (their counts, as the reestimate op takes
    them) estimated again on every label of their site, under the settings; lightest first.

    A label without a reasoning mode is estimated without the exchanges' reasoning (it would not
    think); a reasoning label keeps it. Counts are the original label's tokenizer's (the text is
    gone), which is close for labels of one site. No claim on answer quality: energy only.
    """
    settings = _settings(req)
    records = req.get("records")
    if not isinstance(records, list) or not records:
        raise InvalidInput("records must be a non-empty list", f"each record: {REESTIMATE_RECORD}")
    if len(records) > MAX_COMPARE_RECORDS:
        raise InvalidInput(f"at most {MAX_COMPARE_RECORDS} records per request, got {len(records)}")
    overhead = impact.server_overhead().value
    mappings: dict[tuple[str, str | None], ModelMapping] = {}
    used = [_reestimate_one(r, settings, overhead, mappings) for r in records]
    platform = records[0]["platform"]
    if any(r.get("platform") != platform for r in records):
        raise InvalidInput("the records of one comparison must come from one site")
    used_labels = {mappings[(platform, r.get("model_label") or None)].label for r in records}
    had_reasoning = any(v["reasoning_tokens"] > 0 for v in used)
    base = _totals(used)
    out = []
    for label in labels(platform):
        if used_labels == {label}:
            continue
        thinks = resolve(platform, label).reasoning != "none"
        alt = []
        for r in records:
            r2 = {**r, "model_label": label}
            if not thinks:
                r2.update(reasoning_tokens=0, reasoning_estimated=False, reasoning_seconds=None)
            alt.append(_reestimate_one(r2, settings, overhead, mappings))
        t = _totals(alt)
        note = ""
        if not thinks and had_reasoning:
            note = "no reasoning mode: the difference is mostly the reasoning"
        elif thinks and not had_reasoning:
            note = "reasoning mode: its reasoning is not counted (none here); it would cost more"
        out.append(
            {
                "platform": platform,
                "label": label,
                "reasoning": resolve(platform, label).reasoning,
                **t,
                "change_pct": (t["energy_wh"] / base["energy_wh"] - 1.0) * 100.0
                if base["energy_wh"]
                else 0.0,
                "note": note,
            }
        )
    out.sort(key=lambda a: (a["energy_wh"], a["label"]))
    return {"used": base, "alternatives": out}, []


def _totals(values: list[dict[str, Any]]) -> dict[str, float]:
    """Sums of the exchange op's figures over several exchanges (each end summed on its own)."""
    names = [
        f"{n}{end}"
        for n in ("energy_wh", "wall_wh", "co2_g", "water_ml", "embodied_co2_g")
        for end in ("", "_low", "_high")
    ]
    return {n: math.fsum(v[n] for v in values) for n in names}


def _equivalents(req: dict[str, Any]) -> tuple[list[dict[str, Any]], list[str]]:
    water = req.get("water_ml")
    return impact.equivalents(
        float(req["wh"]), float(req["co2_g"]), None if water is None else _number(water, "water_ml")
    ), []


def _count(req: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """Token count of a text with a platform label's tokenizer (the popup's "what is a token")."""
    mapping = resolve(req["platform"], req.get("model_label"))
    turn: Turn = parse_turns([{"prompt": req.get("text", "")}])[0]
    from pycore.chat.tokenizers import count_tokens

    return {"tokens": count_tokens(turn.prompt, mapping.tokenizer), "tokenizer": mapping.tokenizer}, []


def _info(req: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """What the "how is this computed" page shows: versions, metrics, overheads and sources."""
    art = default_predictor().artefact or {}
    overhead = impact.server_overhead()
    return {
        "pycore_version": __version__,
        "protocol_version": PROTOCOL_VERSION,
        "model_version": default_predictor().version,
        "model_name": art.get("model_name"),
        "metrics": art.get("metrics", {}),
        "interval": art.get("interval", {}),
        "server_overhead": {
            "value": [overhead.value.low, overhead.value.central, overhead.value.high],
            "sources": [list(x) for x in overhead.sources],
        },
        "platforms": {p: {"overhead_tokens": chat_overhead(p).tokens(1)} for p in platforms()},
        "water": {
            "wue": {
                p: {"value": f.value.to_dict(), "sources": [list(x) for x in f.sources]}
                for p in ("openai", "google", "deepseek", "default")
                for f in [impact.provider_wue(p)[0]]
            },
            "offsite_scale": {
                "value": impact.offsite_scale().value.to_dict(),
                "sources": [list(x) for x in impact.offsite_scale().sources],
            },
        },
        "embodied": {
            k: {"value": f.value.to_dict(), "sources": [list(x) for x in f.sources]}
            for k, f in impact.embodied_factors().items()
        },
        "boundaries": BOUNDARIES,
        "disclosures": [c.as_dict() for c in compare_all()],
    }, []


# -- import of a chat data export, any service (pycore/exports/records.py) -----------------------


def _import_open(req: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """Reads the export the import page wrote into Pyodide's file system (``path``); removes the file.

    The service is detected from the file (``platform`` forces it; the value says which). The
    settings given here apply to every batch of the session. ``part`` of ``parts`` (default 0 of 1):
    the share of the conversations this worker estimates when the page shares a long export out.
    """
    settings = _settings(req)
    session = records.open_session(
        req.get("path"),  # type: ignore[arg-type]
        req.get("platform"),
        req.get("part", 0),
        req.get("parts", 1),
    )
    session.settings = settings
    return {"session": session.id, **session.progress()}, []


def _import_next(req: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """Records (counts and energies, no text) of the session's next ``max_generations`` generations."""
    session = records.get_session(req.get("session"))
    settings = session.settings if isinstance(session.settings, Settings) else Settings()
    overhead = impact.server_overhead().value

    def estimate(
        mapping: ModelMapping, turn: Turn, index: int, context: int
    ) -> tuple[dict[str, Any], list[str], int, int]:
        prompt, reply, reasoning = turn_counts(mapping, turn)  # as the exchange op counts its texts
        value, warnings = _counted(mapping, settings, overhead, prompt, reply, reasoning, index, context)
        return value, warnings, prompt, reply

    return records.next_batch(session, req.get("max_generations", 200), estimate), []


def _import_notes(req: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """The notes of an export shared out between workers: this session's with the other parts' counts."""
    return {"notes": records.merged_notes(records.get_session(req.get("session")), req.get("counts"))}, []


def _import_close(req: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """Drops the session and the export's text with it (after the last batch, or on cancel)."""
    return {"closed": records.close_session(req.get("session"))}, []


_OPS = {
    "exchange": _exchange,
    "impact": _impact,
    "reestimate": _reestimate,
    "compare": _compare,
    "equivalents": _equivalents,
    "count": _count,
    "info": _info,
    "import_open": _import_open,
    "import_next": _import_next,
    "import_notes": _import_notes,
    "import_close": _import_close,
}
