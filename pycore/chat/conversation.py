"""Energy, CO2 and equivalents of a chat conversation, exchange by exchange.

A chat model re-reads the whole conversation for every new message, so the input of exchange k
is the product's fixed overhead (system prompt and template markers, the platform data's ``overhead``)
plus every earlier prompt and reply plus the new prompt. Earlier *reasoning* is not re-read:
OpenAI, DeepSeek and Google drop it from later turns (citations in ``chat_overheads.json``).
Output is the reply plus the reasoning; hidden reasoning (ChatGPT shows only a summary) is
estimated from the "Thought for N s" duration x the label's decode speed, and flagged.

Each exchange is evaluated three times, on the label's low, central and high parameter point
(:func:`scaling.architecture_for`) on its assumed deployment: low = the low model's lower
interval end, high = the high model's upper end, so the range carries both the model-size and
the energy-model uncertainty. A deployment too small for a high-end size gets the GPUs it
needs (flagged) rather than an error: the extension must always show a number.

Prefix caching (``cached_prefix_fraction``): that share of the earlier-context tokens is served
from a cached KV prefix, so its prefill compute is skipped; the model still attends to it while
decoding, so only the physics model's prefill energy of those tokens is removed (the learned
correction scales it like the rest).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from pycore.chat import impact
from pycore.chat.platforms import ModelMapping, resolve
from pycore.chat.platforms import overhead as platform_overhead
from pycore.chat.scaling import architecture_for
from pycore.chat.tokenizers import count_tokens
from pycore.energy import catalog as cat
from pycore.energy import features as ft
from pycore.energy.hardware import load_gpus
from pycore.energy.physics import estimate as physics_estimate
from pycore.energy.predictor import Predictor, default_predictor
from pycore.energy.workload import Workload
from pycore.errors import DataFileError, DoesNotFit, InvalidInput
from pycore.ranges import Range

_POINTS = ("low", "central", "high")
_TURN_TEXT = ("prompt", "reply", "reasoning")
# What each figure covers (published per-prompt figures differ by exactly these boundaries).
BOUNDARIES = {
    "energy_wh": "GPUs (accelerators) only",
    "wall_wh": "whole server and data centre: GPU x (1 + rest of the server) x PUE; idle capacity excluded",
    "co2_g": "use phase, location-based: wall energy x the grid's lifecycle gCO2e/kWh (no market instruments)",
    "embodied_co2_g": "manufacturing of the GPUs and their host server, amortised by busy time / (lifetime x "
    "utilisation): idle capacity included",
    "water_onsite_ml": "data-centre cooling water: IT energy (no PUE) x the operator's WUE",
    "water_offsite_ml": "water consumed to generate the electricity: wall energy x the grid's L/kWh",
    "water_ml": "on-site + off-site; excludes water to make the hardware",
}


def impact_fields(x: Any) -> dict[str, float]:
    """The flat JSON names of water and embodied CO2 of an exchange, a conversation or a tally."""
    return {
        **x.water_ml.flat("water_ml"),
        **x.water_onsite_ml.flat("water_onsite_ml"),
        **x.water_offsite_ml.flat("water_offsite_ml"),
        **x.embodied_co2_g.flat("embodied_co2_g"),
        **(x.co2_g + x.embodied_co2_g).flat("co2_incl_embodied_g"),
    }


@dataclass(frozen=True)
class Turn:
    """One exchange as the page shows it; ``reasoning`` is visible thinking text (may be empty)."""

    prompt: str
    reply: str = ""
    reasoning: str = ""
    reasoning_seconds: float | None = None


@dataclass(frozen=True)
class Reasoning:
    """A turn's reasoning tokens, whether they were estimated from its duration, and notes saying how."""

    tokens: Range
    estimated: bool
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class ChatOverhead:
    """Tokens a product adds to each request (see ``chat_overheads.json``)."""

    system_prompt_tokens: int
    per_message_tokens: int
    reply_priming_tokens: int

    def tokens(self, messages: int) -> int:
        """Overhead of a request whose context holds ``messages`` messages (the new prompt included)."""
        return self.system_prompt_tokens + self.per_message_tokens * messages + self.reply_priming_tokens


@dataclass(frozen=True)
class GpuEnergy:
    """One request's tokens and GPU energy, before the facility turns it into wall energy, CO2 and water.

    The extension's ops stop here and apply the user's settings themselves (``pycore.browser.entry``),
    so that an import and a later recompute go through the one same impact path.
    """

    input_tokens: int
    cached_input_tokens: int
    reply_tokens: int
    reasoning_tokens: Range
    reasoning_estimated: bool
    gpu_wh: Range
    gpus: tuple[int, int, int]
    warnings: tuple[str, ...] = ()

    @property
    def output_tokens(self) -> Range:
        return self.reasoning_tokens + self.reply_tokens


@dataclass(frozen=True)
class ExchangeEstimate:
    """One prompt and its reply: tokens, GPU and wall energy and CO2, each a low/central/high range."""

    index: int
    input_tokens: int
    cached_input_tokens: int
    reply_tokens: int
    reasoning_tokens: Range
    reasoning_estimated: bool
    gpu_wh: Range
    wall_wh: Range
    co2_g: Range
    gpus: tuple[int, int, int]
    water_onsite_ml: Range
    water_offsite_ml: Range
    embodied_co2_g: Range
    warnings: tuple[str, ...] = ()

    @property
    def output_tokens(self) -> Range:
        return self.reasoning_tokens + self.reply_tokens

    @property
    def water_ml(self) -> Range:
        return self.water_onsite_ml + self.water_offsite_ml

    def as_dict(self) -> dict[str, Any]:
        out = self.output_tokens
        return {
            "index": self.index,
            "input_tokens": self.input_tokens,
            "cached_input_tokens": self.cached_input_tokens,
            "output_tokens": out.central,
            "output_tokens_low": out.low,
            "output_tokens_high": out.high,
            "reply_tokens": self.reply_tokens,
            "reasoning_tokens": self.reasoning_tokens.central,
            "reasoning_tokens_low": self.reasoning_tokens.low,
            "reasoning_tokens_high": self.reasoning_tokens.high,
            "reasoning_estimated": self.reasoning_estimated,
            **self.gpu_wh.flat("energy_wh"),
            **self.wall_wh.flat("wall_wh"),
            **self.co2_g.flat("co2_g"),
            **impact_fields(self),
            "gpus": list(self.gpus),
            "warnings": list(self.warnings),
        }


@dataclass(frozen=True)
class ConversationEstimate:
    """Every exchange of a conversation, their sums and what the numbers assume."""

    exchanges: tuple[ExchangeEstimate, ...]
    mapping: ModelMapping
    grid: impact.GridRecord
    architectures: tuple[str, str, str]
    warnings: tuple[str, ...] = field(default_factory=tuple)
    facility: impact.Facility | None = None
    hardware: impact.Hardware | None = None

    @property
    def assumptions(self) -> dict[str, Any]:
        """The facility and hardware factors behind water and embodied CO2, and each figure's boundary."""
        out: dict[str, Any] = {"boundaries": BOUNDARIES}
        if self.facility:
            f = self.facility
            out.update(
                pue=f.pue.to_dict(),
                wue_l_per_kwh=f.wue.to_dict(),
                offsite_water_l_per_kwh=f.water_l_per_kwh.to_dict(),
                server_overhead=f.server_overhead.to_dict(),
            )
        if self.hardware:
            h = self.hardware
            out.update(
                gpu=h.gpu,
                embodied_kg_per_gpu=h.kg_per_gpu.to_dict(),
                lifetime_years=h.lifetime_years.to_dict(),
                utilisation=h.utilisation.to_dict(),
                busy_w_per_gpu=h.busy_w_per_gpu.to_dict(),
            )
        return out

    @property
    def gpu_wh(self) -> Range:
        return _sum(e.gpu_wh for e in self.exchanges)

    @property
    def wall_wh(self) -> Range:
        return _sum(e.wall_wh for e in self.exchanges)

    @property
    def co2_g(self) -> Range:
        return _sum(e.co2_g for e in self.exchanges)

    @property
    def water_onsite_ml(self) -> Range:
        return _sum(e.water_onsite_ml for e in self.exchanges)

    @property
    def water_offsite_ml(self) -> Range:
        return _sum(e.water_offsite_ml for e in self.exchanges)

    @property
    def water_ml(self) -> Range:
        return self.water_onsite_ml + self.water_offsite_ml

    @property
    def embodied_co2_g(self) -> Range:
        return _sum(e.embodied_co2_g for e in self.exchanges)

    @property
    def input_tokens(self) -> int:
        return sum(e.input_tokens for e in self.exchanges)

    @property
    def output_tokens(self) -> Range:
        return _sum(e.output_tokens for e in self.exchanges)

    def equivalents(self) -> list[dict[str, Any]]:
        """Everyday equivalents of the conversation's wall energy, CO2 of use and water."""
        return impact.equivalents(self.wall_wh, self.co2_g, self.water_ml)

    def as_dict(self) -> dict[str, Any]:
        out = self.output_tokens
        total = {
            **self.gpu_wh.flat("energy_wh"),
            **self.wall_wh.flat("wall_wh"),
            **self.co2_g.flat("co2_g"),
            **impact_fields(self),
            "input_tokens": self.input_tokens,
            "output_tokens": out.central,
            "output_tokens_low": out.low,
            "output_tokens_high": out.high,
        }
        equivalents = []
        for eq in self.equivalents():
            value = Range.of(eq["value"])
            equivalents.append(
                {**eq, "value": value.central, "value_low": value.low, "value_high": value.high}
            )
        return {
            "exchanges": [e.as_dict() for e in self.exchanges],
            "total": total,
            "model": self.mapping.to_dict(),
            "architectures": dict(zip(_POINTS, self.architectures, strict=True)),
            "region": {
                "iso": self.grid.iso,
                "country": self.grid.country,
                "g_co2_per_kwh": self.grid.g_co2_per_kwh,
                "year": self.grid.year,
                "source": self.grid.source,
                "is_fallback": self.grid.is_fallback,
            },
            "equivalents": equivalents,
            "assumptions": self.assumptions,
            "warnings": list(self.warnings),
        }


# -- public entry points -------------------------------------------------------------------------


def estimate_conversation(
    turns: Sequence[Turn | Mapping[str, Any]],
    platform: str,
    model_label: str | None,
    *,
    region: str | None = None,
    grow_context: bool = True,
    cached_prefix_fraction: float = 0.0,
    predictor: Predictor | None = None,
    pue: float | None = None,
    wue: float | None = None,
) -> ConversationEstimate:
    """Estimate every exchange of ``turns`` on ``platform``'s ``model_label`` (unknown labels: flagged fallback).

    ``pue`` / ``wue`` replace the deployment's PUE range and the operator's WUE range (a known facility).
    """
    parsed = parse_turns(turns)
    _check_fraction(cached_prefix_fraction)
    impact.check_pue(pue)
    impact.check_wue(wue)
    mapping = resolve(platform, model_label)
    overhead = chat_overhead(mapping.platform)
    grid_g, grid = impact.grid_intensity(region or mapping.deployment.region)
    predictor = predictor or default_predictor()
    exchanges, earlier = [], 0
    for k, turn in enumerate(parsed):
        exchange, prompt, reply = estimate_turn(
            mapping,
            turn,
            k,
            earlier if grow_context else 0,
            grow_context=grow_context,
            cached_prefix_fraction=cached_prefix_fraction,
            grid_g_per_kwh=grid_g,
            predictor=predictor,
            overhead=overhead,
            region=region,
            pue=pue,
            wue=wue,
        )
        exchanges.append(exchange)
        earlier += prompt + reply
    fac = facility_of(mapping, region, pue, wue, grid_g)
    warnings = [*mapping.warnings]
    if grid.is_fallback:
        warnings.append(grid.warning)
    warnings += [w for w in fac.warnings if w not in warnings]
    low, central, high = (architecture_for(mapping, p).id for p in _POINTS)
    return ConversationEstimate(
        tuple(exchanges),
        mapping,
        grid,
        (low, central, high),
        tuple(warnings),
        fac,
        impact.hardware(mapping.deployment.gpu),
    )


def facility_of(
    mapping: ModelMapping,
    region: str | None = None,
    pue: float | None = None,
    wue: float | None = None,
    grid_g_per_kwh: float | None = None,
) -> impact.Facility:
    """The facility a label is assumed to run in: its deployment's region and PUE, its operator's WUE,
    each replaced by the caller's value if one is given."""
    return impact.facility(
        mapping.provider,
        region or mapping.deployment.region,
        mapping.deployment.pue if pue is None else pue,
        wue=wue,
        g_co2_per_kwh=grid_g_per_kwh,
    )


def estimate_turn(
    mapping: ModelMapping,
    turn: Turn,
    index: int,
    context_tokens: int,
    *,
    grow_context: bool = True,
    cached_prefix_fraction: float = 0.0,
    grid_g_per_kwh: float | None = None,
    predictor: Predictor | None = None,
    overhead: ChatOverhead | None = None,
    region: str | None = None,
    pue: float | None = None,
    wue: float | None = None,
) -> tuple[ExchangeEstimate, int, int]:
    """Turn ``index`` of a conversation whose earlier prompts and replies hold ``context_tokens``.

    Returns the estimate and the turn's prompt and reply token counts, which is all a caller
    (the browser keeps counts, never text) needs to carry the context to the next turn.
    """
    prompt, reply, reasoning = turn_counts(mapping, turn)
    exchange = estimate_counted(
        mapping,
        prompt,
        reply,
        reasoning,
        index,
        context_tokens,
        grow_context=grow_context,
        cached_prefix_fraction=cached_prefix_fraction,
        grid_g_per_kwh=grid_g_per_kwh,
        predictor=predictor,
        overhead=overhead,
        region=region,
        pue=pue,
        wue=wue,
    )
    return exchange, prompt, reply


def estimate_counted(
    mapping: ModelMapping,
    prompt_tokens: int,
    reply_tokens: int,
    reasoning: Reasoning,
    index: int,
    context_tokens: int,
    *,
    grow_context: bool = True,
    cached_prefix_fraction: float = 0.0,
    grid_g_per_kwh: float | None = None,
    predictor: Predictor | None = None,
    overhead: ChatOverhead | None = None,
    region: str | None = None,
    pue: float | None = None,
    wue: float | None = None,
) -> ExchangeEstimate:
    """:func:`estimate_turn` from the turn's token counts instead of its text.

    The extension keeps counts, never text: a turn recorded before its true context was known is
    estimated again from them (``pycore.browser.entry``'s ``reestimate`` op), and must equal what the
    text would give, so :func:`estimate_turn` goes through here too.
    """
    gpu = counted_gpu_energy(
        mapping,
        prompt_tokens,
        reply_tokens,
        reasoning,
        index,
        context_tokens,
        grow_context=grow_context,
        cached_prefix_fraction=cached_prefix_fraction,
        predictor=predictor,
        overhead=overhead,
    )
    return _with_impacts(gpu, index, mapping, region, pue, wue, grid_g_per_kwh)


def counted_gpu_energy(
    mapping: ModelMapping,
    prompt_tokens: int,
    reply_tokens: int,
    reasoning: Reasoning,
    index: int,
    context_tokens: int,
    *,
    grow_context: bool = True,
    cached_prefix_fraction: float = 0.0,
    predictor: Predictor | None = None,
    overhead: ChatOverhead | None = None,
) -> GpuEnergy:
    """The GPU part of :func:`estimate_counted` (what the extension's ops need: they apply the settings)."""
    overhead = overhead or chat_overhead(mapping.platform)
    messages = 2 * index + 1 if grow_context else 1
    return gpu_energy(
        mapping,
        overhead.tokens(messages) + context_tokens + prompt_tokens,
        reply_tokens,
        reasoning.tokens,
        cached_tokens=int(cached_prefix_fraction * context_tokens),
        reasoning_estimated=reasoning.estimated,
        notes=reasoning.notes,
        predictor=predictor,
    )


def estimate_exchange(
    mapping: ModelMapping,
    input_tokens: int,
    reply_tokens: int,
    reasoning_tokens: Range | float = 0,
    *,
    cached_tokens: int = 0,
    index: int = 0,
    grid_g_per_kwh: float | None = None,
    reasoning_estimated: bool = False,
    notes: Sequence[str] = (),
    predictor: Predictor | None = None,
    region: str | None = None,
    pue: float | None = None,
    wue: float | None = None,
) -> ExchangeEstimate:
    """One request of known token counts on a resolved label (also used for "typical prompt" tables).

    ``region`` (default: the deployment's) gives the grid's water and, unless ``grid_g_per_kwh`` is
    given, its carbon intensity; ``pue`` / ``wue`` replace the deployment's and the operator's.
    """
    gpu = gpu_energy(
        mapping,
        input_tokens,
        reply_tokens,
        reasoning_tokens,
        cached_tokens=cached_tokens,
        reasoning_estimated=reasoning_estimated,
        notes=notes,
        predictor=predictor,
    )
    return _with_impacts(gpu, index, mapping, region, pue, wue, grid_g_per_kwh)


def gpu_energy(
    mapping: ModelMapping,
    input_tokens: int,
    reply_tokens: int,
    reasoning_tokens: Range | float = 0,
    *,
    cached_tokens: int = 0,
    reasoning_estimated: bool = False,
    notes: Sequence[str] = (),
    predictor: Predictor | None = None,
) -> GpuEnergy:
    """The GPU part of :func:`estimate_exchange`: tokens, GPU Wh at the three size points, warnings."""
    predictor = predictor or default_predictor()
    reasoning = Range.of(reasoning_tokens)
    warnings = list(notes)
    ratio = mapping.token_ratio  # 1 where the model's own tokenizer counted the text
    ends, gpus = [], []
    for which in _POINTS:
        r = getattr(ratio, which)
        # estimated reasoning (seconds x decode speed) is already in the model's own tokens
        output = r * reply_tokens + getattr(reasoning, which) * (1 if reasoning_estimated else r)
        wh, n, note = _gpu_wh(predictor, mapping, which, r * input_tokens, output, r * cached_tokens)
        ends.append(wh * getattr(mapping.parallel_samples, which))
        gpus.append(n)
        if note and note not in warnings:
            warnings.append(note)
    low, central, high = ends
    # The low (high) end is a smaller (larger) model at its lower (upper) interval end; clamp so
    # that a non-monotone corner (e.g. a larger deployment) can never invert the range.
    gpu_wh = Range(min(low, central), central, max(high, central))
    if mapping.parallel_samples.high > 1:
        warnings.append(f"{mapping.parallel_samples} parallel reasoning samples assumed per request")
    if mapping.token_ratio_key:
        warnings.append(
            f"{mapping.label}'s tokenizer is unpublished: tokens counted with {mapping.tokenizer} and "
            f"scaled by {ratio} ({mapping.token_ratio_key}) in the energy estimate"
        )
    return GpuEnergy(
        input_tokens=int(input_tokens),
        cached_input_tokens=int(cached_tokens),
        reply_tokens=int(reply_tokens),
        reasoning_tokens=reasoning,
        reasoning_estimated=reasoning_estimated,
        gpu_wh=gpu_wh,
        gpus=(gpus[0], gpus[1], gpus[2]),
        warnings=tuple(warnings),
    )


def _with_impacts(
    gpu: GpuEnergy,
    index: int,
    mapping: ModelMapping,
    region: str | None,
    pue: float | None,
    wue: float | None,
    grid_g_per_kwh: float | None,
) -> ExchangeEstimate:
    if grid_g_per_kwh is None:
        grid_g_per_kwh = impact.grid_intensity(region or mapping.deployment.region)[0]
    fig = impact.impacts_of(
        gpu.gpu_wh,
        facility_of(mapping, region, pue, wue, grid_g_per_kwh),
        impact.hardware(mapping.deployment.gpu),
    )
    return ExchangeEstimate(
        index=index,
        input_tokens=gpu.input_tokens,
        cached_input_tokens=gpu.cached_input_tokens,
        reply_tokens=gpu.reply_tokens,
        reasoning_tokens=gpu.reasoning_tokens,
        reasoning_estimated=gpu.reasoning_estimated,
        gpu_wh=gpu.gpu_wh,
        wall_wh=fig.wall_wh,
        co2_g=fig.co2_g,
        gpus=gpu.gpus,
        water_onsite_ml=fig.water_onsite_ml,
        water_offsite_ml=fig.water_offsite_ml,
        embodied_co2_g=fig.embodied_co2_g,
        warnings=gpu.warnings,
    )


@lru_cache(maxsize=16)
def chat_overhead(platform: str) -> ChatOverhead:
    """Per-request token overhead of a chat platform, from its platform data (``overhead``)."""
    raw = platform_overhead(platform)
    where = f"platforms/{platform}.json overhead"
    try:
        values = {k: raw[k] for k in ("system_prompt_tokens", "per_message_tokens", "reply_priming_tokens")}
        if not raw["sources"]:
            raise KeyError("sources")
    except (KeyError, TypeError) as exc:
        raise DataFileError(f"{where}: no complete record for platform {platform!r} ({exc})") from exc
    if not all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in values.values()):
        raise DataFileError(f"{where}: {platform} token counts must be integers >= 0")
    return ChatOverhead(**values)


def parse_turns(turns: Any) -> tuple[Turn, ...]:
    """Validated turns; bad data raises ``InvalidInput`` naming the turn index and the field."""
    if isinstance(turns, (str, bytes, Mapping)) or not isinstance(turns, Sequence):
        raise InvalidInput("turns must be a list of turns", 'each turn: {"prompt": ..., "reply": ...}')
    if not turns:
        raise InvalidInput("a conversation needs at least one turn")
    return tuple(_parse_turn(i, t) for i, t in enumerate(turns))


# -- helpers -------------------------------------------------------------------------------------


def _parse_turn(i: int, raw: Any) -> Turn:
    if isinstance(raw, Turn):
        values: dict[str, Any] = {k: getattr(raw, k) for k in (*_TURN_TEXT, "reasoning_seconds")}
    elif isinstance(raw, Mapping):
        if "prompt" not in raw:
            raise InvalidInput(f"turn {i}: field 'prompt' is missing")
        values = {k: raw.get(k) for k in (*_TURN_TEXT, "reasoning_seconds")}
    else:
        raise InvalidInput(f"turn {i}: must be an object with a 'prompt' field, got {type(raw).__name__}")
    for name in _TURN_TEXT:
        value = values[name]
        if value is None and name != "prompt":
            values[name] = ""
        elif not isinstance(value, str):
            raise InvalidInput(f"turn {i}: field {name!r} must be a string, got {type(value).__name__}")
    seconds = values["reasoning_seconds"]
    if seconds is not None:
        if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or not math.isfinite(seconds):
            raise InvalidInput(f"turn {i}: field 'reasoning_seconds' must be a number, got {seconds!r}")
        if seconds < 0:
            raise InvalidInput(f"turn {i}: field 'reasoning_seconds' must be >= 0, got {seconds!r}")
        seconds = float(seconds)
    return Turn(values["prompt"], values["reply"], values["reasoning"], seconds)


def turn_counts(mapping: ModelMapping, turn: Turn) -> tuple[int, int, Reasoning]:
    """A turn's prompt and reply tokens and its reasoning: all that its estimate needs of its text."""
    text = count_tokens(turn.reasoning, mapping.tokenizer) if turn.reasoning else 0
    return (
        count_tokens(turn.prompt, mapping.tokenizer),
        count_tokens(turn.reply, mapping.tokenizer),
        reasoning_from(mapping, text, turn.reasoning_seconds),
    )


def reasoning_from(mapping: ModelMapping, counted: int, seconds: float | None) -> Reasoning:
    """Reasoning tokens of a turn whose visible reasoning counts ``counted`` tokens and took ``seconds``.

    Hidden reasoning (or a timer with no text) is estimated as seconds x the label's decode speed,
    and flagged; otherwise the visible text's count is used as is.
    """
    if seconds is not None and (mapping.reasoning == "hidden" or not counted):
        tokens = mapping.decode_tokens_per_s * seconds
        note = (
            f"reasoning tokens estimated: {seconds:g} s x {mapping.decode_tokens_per_s} tokens/s "
            f"= {tokens.central:.0f} ({tokens.low:.0f}-{tokens.high:.0f})"
        )
        return Reasoning(Range.of(tokens), True, (note,))
    notes: tuple[str, ...] = ()
    if counted and mapping.reasoning == "hidden":
        notes = (
            "reasoning shown is a summary of hidden reasoning: counted as is, the real reasoning is "
            "likely longer (give reasoning_seconds to estimate it)",
        )
    return Reasoning(Range.point(counted), False, notes)


def _gpu_wh(
    predictor: Predictor,
    mapping: ModelMapping,
    which: str,
    input_tokens: float,
    output: float,
    cached_tokens: float,
) -> tuple[float, int, str]:
    """GPU Wh of one request at one parameter point, the GPU count used and a note if it was raised."""
    arch = architecture_for(mapping, which)
    dep = mapping.deployment
    gpus, note = dep.gpus, ""
    gpu = load_gpus().get(dep.gpu)
    for _ in range(12):
        w = Workload(input_tokens, output, dep.batch, gpus, dep.precision)
        try:
            low, central, high = predictor.energies(arch, gpu, w)
            break
        except DoesNotFit as exc:
            gpus = max(exc.gpus_needed, 2 * gpus)
            note = (
                f"the {which} size ({cat.parameter_breakdown(arch).total / 1e9:.0f}B parameters, "
                f"{int(input_tokens + output)} tokens) does not fit on {dep.gpus} x {dep.gpu}: "
                f"{gpus} GPUs assumed for it"
            )
    else:  # pragma: no cover - 12 doublings exceed any catalog GPU
        raise DoesNotFit(f"{arch.id} does not fit on any assumed deployment", gpus)
    wh = {"low": low, "central": central, "high": high}[which]
    if cached_tokens > 0:
        wh *= _uncached_share(predictor, arch, dep.gpu, w, min(cached_tokens, input_tokens))
    if arch.max_context < input_tokens + output:
        note = note or (
            f"{int(input_tokens + output)} tokens exceed the stand-in's {arch.max_context}-token "
            "context window: the product would truncate the conversation"
        )
    return wh, gpus, note


def _uncached_share(
    predictor: Predictor, arch: cat.Architecture, gpu_name: str, w: Workload, cached: float
) -> float:
    """Share of the physics energy left when the first ``cached`` input tokens skip prefill.

    Their saving is the physics model's energy of prefilling them alone (``cached`` tokens in,
    none out); decode still reads their KV cache, so nothing else changes.
    """
    gpu = load_gpus().get(gpu_name)
    dep = ft.placement(arch, gpu, w.gpus, w.precision)
    batch = ft.effective_batch(arch, dep, w)
    full = physics_estimate(
        ft.shape(arch, w),
        gpu,
        w.gpus,
        w.precision,
        w.input_tokens,
        w.output_tokens,
        batch,
        predictor.constants,
    )
    prefix = Workload(cached, 0, w.batch, w.gpus, w.precision)
    saved = physics_estimate(
        ft.shape(arch, prefix), gpu, w.gpus, w.precision, cached, 0, batch, predictor.constants
    )
    if full <= 0:
        return 1.0
    return min(1.0, max(0.0, 1.0 - saved / full))


def _check_fraction(x: float) -> None:
    if isinstance(x, bool) or not isinstance(x, (int, float)) or not 0.0 <= x <= 1.0:
        raise InvalidInput(f"cached_prefix_fraction must be between 0 and 1, got {x!r}")


def _sum(ranges: Any) -> Range:
    total = Range.point(0.0)
    for r in ranges:
        total = total + r
    return total
