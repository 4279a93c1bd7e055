"""The providers' own per-prompt figures (and independent estimates) next to PromptWatt's, on one boundary.

Published figures are not comparable as printed: Google's 0.24 Wh includes idle machines and the
data centre, its 0.10 Wh only the accelerators; its CO2 is market-based, Mistral's is a life cycle;
water is on-site only at Google, on- and off-site at Mistral. So each figure is set against the
PromptWatt quantity with the same boundary (``disclosures.json``: ``ours``), for the closest
comparable exchange, with a line for every difference that remains.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from pycore.chat import impact
from pycore.chat import platforms as pf
from pycore.chat.conversation import chat_overhead, estimate_exchange, facility_of
from pycore.energy.predictor import default_predictor
from pycore.energy.workload import Workload
from pycore.errors import DataFileError
from pycore.ranges import Range
from pycore.resources import load_json

DISCLOSURES_FILE = "disclosures.json"


@dataclass(frozen=True)
class Comparable:
    """PromptWatt's figures for the exchange a disclosure is compared with."""

    gpu_wh: Range
    impacts: impact.Impacts
    facility: impact.Facility

    def on(self, boundary: str) -> Range:
        """The figure on one of the boundaries ``disclosures.json`` names."""
        return BOUNDARIES[boundary](self)


BOUNDARIES: dict[str, Callable[[Comparable], Range]] = {
    "gpu_wh": lambda c: c.gpu_wh,
    "wall_wh": lambda c: c.impacts.wall_wh,
    "co2_gpu_g": lambda c: Range.of(impact.co2_g(c.gpu_wh, c.facility.g_co2_per_kwh)),
    "co2_use_g": lambda c: c.impacts.co2_g,
    "embodied_co2_g": lambda c: c.impacts.embodied_co2_g,
    "co2_use_embodied_g": lambda c: c.impacts.total_co2_g,
    "water_onsite_gpu_ml": lambda c: Range.of(impact.onsite_water_ml(c.gpu_wh, c.facility.wue)),
    "water_onsite_ml": lambda c: c.impacts.water_onsite_ml,
    "water_total_ml": lambda c: c.impacts.water_ml,
}


@dataclass(frozen=True)
class Comparison:
    """One published figure set, the exchange compared, and each figure side by side."""

    disclosure: dict[str, Any]
    exchange: str
    figures: tuple[dict[str, Any], ...]

    def as_dict(self) -> dict[str, Any]:
        d = self.disclosure
        return {
            "id": d["id"],
            "who": d["who"],
            "what": d["what"],
            "date": d["date"],
            "scope": d["scope"],
            "source": d["source"],
            "compared_with": self.exchange,
            "figures": list(self.figures),
            "differences": list(d["differences"]),
        }


def disclosures() -> list[dict[str, Any]]:
    """The published figures as the data file has them, checked (each with its source)."""
    raw = load_json(DISCLOSURES_FILE)
    if not isinstance(raw, dict) or raw.get("schema_version") != 1:
        raise DataFileError(f"{DISCLOSURES_FILE}: expected schema_version 1")
    out = raw["disclosures"]
    for d in out:
        for key in ("id", "who", "what", "date", "scope", "source", "figures", "compare", "differences"):
            if not d.get(key):
                raise DataFileError(f"{DISCLOSURES_FILE}: {d.get('id', '?')} lacks {key!r}")
        for f in d["figures"]:
            if f.get("ours") is not None and f["ours"] not in BOUNDARIES:
                raise DataFileError(
                    f"{DISCLOSURES_FILE}: {d['id']}: unknown boundary {f['ours']!r}",
                    "one of " + ", ".join(BOUNDARIES),
                )
            if not isinstance(f.get("value"), int | float) or f["value"] <= 0 or not f.get("boundary"):
                raise DataFileError(
                    f"{DISCLOSURES_FILE}: {d['id']}: a figure needs a value > 0 and its boundary"
                )
    return out


def comparable(spec: dict[str, Any]) -> tuple[Comparable, str]:
    """PromptWatt's figures for a disclosure's ``compare`` record, and a line saying what was estimated."""
    tokens_in, tokens_out, reasoning = (
        spec["input_tokens"],
        spec["output_tokens"],
        spec.get("reasoning_tokens", 0),
    )
    if "platform" in spec:
        mapping = pf.resolve(spec["platform"], spec["label"])
        extra = chat_overhead(mapping.platform).tokens(1) if spec.get("with_site_overhead") else 0
        ex = estimate_exchange(mapping, extra + tokens_in, tokens_out, reasoning)
        fac = facility_of(mapping)
        hw = impact.hardware(mapping.deployment.gpu)
        what = (
            f"{mapping.platform} / {mapping.label}, {extra + tokens_in} tokens in"
            f"{f' ({extra} of them the site system prompt and template)' if extra else ''}, "
            f"{tokens_out + reasoning} out"
        )
        gpu_wh = ex.gpu_wh
    else:
        w = Workload(tokens_in, tokens_out + reasoning, spec["batch"], spec["gpus"], spec["precision"])
        est = default_predictor().estimate(spec["model"], spec["gpu"], w)
        gpu_wh = Range(est.energy_wh_low, est.energy_wh, est.energy_wh_high)
        fac = impact.facility(spec["provider"], spec["region"], spec["pue"], wue=spec.get("wue"))
        hw = impact.hardware(spec["gpu"])
        what = (
            f"{spec['model']} on {spec['gpus']} x {spec['gpu']} ({spec['precision']}), {tokens_in} tokens in, "
            f"{tokens_out + reasoning} out, grid {spec['region']}"
        )
    return Comparable(gpu_wh, impact.impacts_of(gpu_wh, fac, hw), fac), f"{what}: {spec['why']}"


@lru_cache(maxsize=1)
def _compare_all() -> tuple[Comparison, ...]:
    out = []
    for d in disclosures():
        ours, what = comparable(d["compare"])
        figures = []
        for f in d["figures"]:
            row = {
                "quantity": f["quantity"],
                "published": f["value"],
                "unit": f["unit"],
                "boundary": f["boundary"],
                "ours_boundary": f["ours"],
                "ours": None,
                "ours_low": None,
                "ours_high": None,
                "ratio": None,
            }
            if f["ours"] is not None:
                r = ours.on(f["ours"])
                row.update(ours=r.central, ours_low=r.low, ours_high=r.high, ratio=r.central / f["value"])
            figures.append(row)
        out.append(Comparison(d, what, tuple(figures)))
    return tuple(out)


def compare_all() -> list[Comparison]:
    """Every disclosure with PromptWatt's figure on the same boundary."""
    return list(_compare_all())
