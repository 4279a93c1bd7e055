"""The lighter choice: what the same turns would have cost with the site's other labels.

Similar answers can cost very different energy (the seed paper's energy-vs-performance point), so a
conversation's estimate is shown next to the same prompts and replies on every other label of the
same site. No claim on answer quality is made: no source supports one per label; the user judges.

Where the same model (one id of ``models.json``) is reached through another site's label (GPT-5 on
ChatGPT and on Copilot, Claude on its site and on Perplexity), that label is listed too: the
difference is then the other site's serving and its system prompt, not the model.

Reasoning is what separates most labels: a label without a reasoning mode is estimated without the
turns' reasoning (it would not think), and a reasoning label on turns that carry no reasoning is
flagged, since its thinking (unknown here) would add to its cost.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pycore.chat import platforms as pf
from pycore.chat.conversation import ConversationEstimate, Turn, estimate_conversation, parse_turns
from pycore.ranges import Range

NO_QUALITY_CLAIM = "energy only: no source compares the labels' answer quality"


@dataclass(frozen=True)
class Alternative:
    """The same turns on another label: its figures, the change against the label used, and why."""

    platform: str
    label: str
    reasoning: str  # the label's reasoning mode: none | visible | hidden
    gpu_wh: Range
    wall_wh: Range
    co2_g: Range
    water_ml: Range
    embodied_co2_g: Range
    change_pct: float  # GPU energy, central, against the label used
    note: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "platform": self.platform,
            "label": self.label,
            "reasoning": self.reasoning,
            **self.gpu_wh.flat("energy_wh"),
            **self.wall_wh.flat("wall_wh"),
            **self.co2_g.flat("co2_g"),
            **self.water_ml.flat("water_ml"),
            **self.embodied_co2_g.flat("embodied_co2_g"),
            "change_pct": self.change_pct,
            "note": self.note,
        }


def alternatives(
    turns: Sequence[Turn | Mapping[str, Any]], used: ConversationEstimate, **options: Any
) -> list[Alternative]:
    """Every other label of ``used``'s site on the same turns (``options`` as given to
    :func:`estimate_conversation`), lightest first."""
    parsed = parse_turns(turns)
    without_reasoning = tuple(Turn(t.prompt, t.reply) for t in parsed)
    had_reasoning = any(e.reasoning_tokens.high > 0 for e in used.exchanges)
    base = used.gpu_wh.central
    current = used.mapping
    out = []
    for label in pf.labels(current.platform):
        if label == current.label and not current.is_fallback:
            continue
        mapping = pf.resolve(current.platform, label)
        thinks = mapping.reasoning != "none"
        est = estimate_conversation(
            parsed if thinks else without_reasoning, current.platform, label, **options
        )
        out.append(
            Alternative(
                platform=current.platform,
                label=label,
                reasoning=mapping.reasoning,
                gpu_wh=est.gpu_wh,
                wall_wh=est.wall_wh,
                co2_g=est.co2_g,
                water_ml=est.water_ml,
                embodied_co2_g=est.embodied_co2_g,
                change_pct=(est.gpu_wh.central / base - 1.0) * 100.0 if base > 0 else 0.0,
                note=_note(thinks, had_reasoning, current.reasoning != "none"),
            )
        )
    for platform, label in _same_model_elsewhere(current):
        mapping = pf.resolve(platform, label)
        thinks = mapping.reasoning != "none"
        est = estimate_conversation(parsed if thinks else without_reasoning, platform, label, **options)
        out.append(
            Alternative(
                platform=platform,
                label=label,
                reasoning=mapping.reasoning,
                gpu_wh=est.gpu_wh,
                wall_wh=est.wall_wh,
                co2_g=est.co2_g,
                water_ml=est.water_ml,
                embodied_co2_g=est.embodied_co2_g,
                change_pct=(est.gpu_wh.central / base - 1.0) * 100.0 if base > 0 else 0.0,
                note=f"the same model on {platform}: the difference is that site's serving and system prompt",
            )
        )
    out.sort(key=lambda a: (a.gpu_wh.central, a.platform, a.label))
    return out


def _same_model_elsewhere(current: pf.ModelMapping) -> list[tuple[str, str]]:
    """(site, label) of other sites' labels that stand for the same model as ``current``."""
    if not current.model or current.is_fallback:
        return []
    return [
        (p, label)
        for p in pf.platforms()
        if p != current.platform
        for label in pf.labels(p)
        if pf.resolve(p, label).model == current.model
    ]


def _note(thinks: bool, had_reasoning: bool, used_thinks: bool) -> str:
    """Why the difference is what it is, in one line, where reasoning explains it."""
    if not thinks and had_reasoning:
        return "no reasoning mode: the difference is mostly the reasoning these turns carry"
    if thinks and not had_reasoning:
        extra = " (the label used did not reason)" if not used_thinks else ""
        return (
            f"reasoning mode: its reasoning is not counted, these turns carry none{extra}; it would cost more"
        )
    if thinks:
        return "reasoning mode: the turns' reasoning is kept"
    return ""
