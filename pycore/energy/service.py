"""What a deployment costs over a period: energy per prompt x traffic, to the wall and to CO2.

Why a module of its own: the predictor answers per prompt; an engineer sizing a service asks "a
million requests a day on this model and these GPUs, in this country: how many kWh and tonnes of
CO2?". The answer multiplies the predicted GPU energy (with its held-out interval) by the traffic,
then applies the same server overhead, PUE and grid factors as chat accounting (``impact``).

Time per prompt is not something our energy model predicts well (its fitted constants are
effective, see the validation report's step-time check), so capacity is only bounded by power:
a GPU draws between its idle power and its TDP. Hence a hard floor (traffic whose average GPU
power exceeds the replicas' total TDP needs more of them) and, when the number of replicas kept
powered is given, bounds on the energy of the idle capacity that no per-prompt figure contains.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from pycore.chat import impact
from pycore.energy.hardware import load_gpus
from pycore.energy.predictor import Estimate
from pycore.errors import InvalidInput
from pycore.ranges import Range

PERIOD_HOURS = {"hour": 1.0, "day": 24.0, "month": 24.0 * 365.0 / 12.0, "year": 24.0 * 365.0}


@dataclass(frozen=True)
class ServiceCost:
    """Totals for ``requests`` prompts per ``period``; every energy and mass is a Range."""

    requests: float
    period: str
    gpu_kwh: Range
    wall_kwh: Range
    co2_kg: Range
    avg_gpu_power_w: Range
    tdp_w_per_replica: float
    min_replicas: int
    region: str
    grid_g_per_kwh: float
    pue: Range
    server_overhead: Range
    notes: tuple[str, ...] = field(default_factory=tuple)
    provisioned: Provisioned | None = None
    water_onsite_l: Range = field(default_factory=lambda: Range.point(0.0))
    water_offsite_l: Range = field(default_factory=lambda: Range.point(0.0))
    embodied_co2_kg: Range = field(default_factory=lambda: Range.point(0.0))
    wue: Range = field(default_factory=lambda: Range.point(0.0))

    @property
    def water_l(self) -> Range:
        return self.water_onsite_l + self.water_offsite_l

    def as_dict(self) -> dict[str, Any]:
        return {
            "water_l": self.water_l.to_dict(),
            "water_onsite_l": self.water_onsite_l.to_dict(),
            "water_offsite_l": self.water_offsite_l.to_dict(),
            "embodied_co2_kg": self.embodied_co2_kg.to_dict(),
            "wue_l_per_kwh": self.wue.to_dict(),
            "requests": self.requests,
            "period": self.period,
            "gpu_kwh": self.gpu_kwh.to_dict(),
            "wall_kwh": self.wall_kwh.to_dict(),
            "co2_kg": self.co2_kg.to_dict(),
            "avg_gpu_power_w": self.avg_gpu_power_w.to_dict(),
            "tdp_w_per_replica": self.tdp_w_per_replica,
            "min_replicas_by_tdp": self.min_replicas,
            "region": self.region,
            "grid_g_per_kwh": self.grid_g_per_kwh,
            "pue": self.pue.to_dict(),
            "server_overhead": self.server_overhead.to_dict(),
            "notes": list(self.notes),
            "provisioned": self.provisioned.as_dict() if self.provisioned else None,
        }


@dataclass(frozen=True)
class Provisioned:
    """The same traffic on ``replicas`` replicas powered for the whole period, idle time included.

    A GPU serving draws between its idle power and its TDP, so the traffic's GPU energy E keeps
    it busy between E/TDP and E/idle GPU-hours; the rest of the period it idles. The ends take
    the extremes (low: busy at idle power, i.e. max(E, idle floor); high: busy at TDP); the
    central value assumes busy GPUs draw halfway between idle and TDP, an assumption, flagged.
    """

    replicas: int
    gpu_hours: float  # GPUs x hours powered
    idle_w_per_gpu: float
    idle_floor_kwh: float  # what the replicas draw over the period doing nothing
    gpu_kwh: Range
    wall_kwh: Range
    co2_kg: Range
    busy_share: Range  # share of the powered GPU time spent serving
    embodied_co2_kg: Range = field(
        default_factory=lambda: Range.point(0.0)
    )  # the replicas' hardware over the period

    def as_dict(self) -> dict[str, Any]:
        return {
            "embodied_co2_kg": self.embodied_co2_kg.to_dict(),
            "replicas": self.replicas,
            "gpu_hours": self.gpu_hours,
            "idle_w_per_gpu": self.idle_w_per_gpu,
            "idle_floor_kwh": self.idle_floor_kwh,
            "gpu_kwh": self.gpu_kwh.to_dict(),
            "wall_kwh": self.wall_kwh.to_dict(),
            "co2_kg": self.co2_kg.to_dict(),
            "busy_share": self.busy_share.to_dict(),
        }


def _with_idle(serving_kwh: float, gpu_hours: float, idle_w: float, busy_w: float) -> tuple[float, float]:
    """(GPU kWh, busy share) when ``serving_kwh`` is drawn at ``busy_w`` per GPU and the rest idles."""
    busy_h = min(gpu_hours, serving_kwh * 1000.0 / busy_w)
    return serving_kwh + idle_w * (gpu_hours - busy_h) / 1000.0, busy_h / gpu_hours


def service_cost(
    est: Estimate,
    requests: float,
    period: str = "day",
    region: str | None = None,
    pue: float | None = None,
    replicas: int | None = None,
    wue: float | None = None,
) -> ServiceCost:
    """Scales one per-prompt estimate to a period's traffic; unknown regions fall back to WORLD, flagged.

    ``replicas``: how many copies of the deployment (``est.gpus`` GPUs each) are kept powered all
    period; adds the idle capacity's energy (and makes the hardware's utilisation known, so its
    embodied emissions are the replicas' share of life). Fewer than the TDP floor cannot serve the
    traffic. ``wue``: the facility's on-site water, L per IT kWh (default: an industry range).
    """
    impact.check_wue(wue)
    if period not in PERIOD_HOURS:
        raise InvalidInput(f"unknown period {period!r}", f"one of {', '.join(PERIOD_HOURS)}")
    if (
        isinstance(requests, bool)
        or not isinstance(requests, int | float)
        or not math.isfinite(requests)
        or requests <= 0
    ):
        raise InvalidInput(f"requests must be a positive number, got {requests!r}")
    if pue is not None and (not math.isfinite(pue) or pue < 1.0):
        raise InvalidInput(f"PUE must be >= 1, got {pue!r}", "PUE is facility energy / IT energy")
    if replicas is not None and (isinstance(replicas, bool) or not isinstance(replicas, int) or replicas < 1):
        raise InvalidInput(f"replicas must be a whole number >= 1, got {replicas!r}")
    notes: list[str] = []
    per_prompt = Range(est.energy_wh_low, est.energy_wh, est.energy_wh_high)
    gpu_kwh = per_prompt * (requests / 1000.0)
    overhead = impact.server_overhead().value
    if pue is None:
        factor, _ = impact.provider_pue(None)
        pue_range = factor.value
        notes.append(
            f"PUE {pue_range.central:g} ({pue_range.low:g}-{pue_range.high:g}): industry average, "
            "set --pue for a known facility"
        )
    else:
        pue_range = Range(pue, pue, pue)
    wall = impact.wall_energy_wh(gpu_kwh, overhead, pue_range)
    g_per_kwh, grid = impact.grid_intensity(region)
    if grid.is_fallback:
        notes.append(grid.warning if region else "no --region given: world average grid intensity used")
    co2_kg = impact.co2_g(wall, g_per_kwh)  # kWh x g/kWh / 1000 = kg
    # The impact formulas are linear: fed kWh, they give litres of water and kg of embodied CO2.
    fac = impact.facility(None, region, pue_range, wue=wue, g_co2_per_kwh=g_per_kwh)
    hw = impact.hardware(est.gpu)
    per_period = impact.impacts_of(Range.of(gpu_kwh), fac, hw)
    if wue is None:
        notes.append(
            f"on-site WUE {fac.wue.central:g} ({fac.wue.low:g}-{fac.wue.high:g}) L per IT kWh: industry "
            "range, set --wue for a known facility"
        )
    water_rec = impact.electricity_water(region)[1]
    if water_rec.is_fallback and not grid.is_fallback:
        notes.append(water_rec.warning)
    hours = PERIOD_HOURS[period]
    power = gpu_kwh * (1000.0 / hours)
    gpu = load_gpus().get(est.gpu)
    tdp = gpu.tdp_w * est.gpus
    min_replicas = max(1, math.ceil(power.low / tdp))
    if replicas is not None and replicas < min_replicas:
        raise InvalidInput(
            f"{replicas} replica(s) of {est.gpus} x {est.gpu} cannot serve this traffic: it draws at "
            f"least {power.low:,.0f} W of GPU power on average, {tdp:,.0f} W TDP per replica",
            f"give --replicas {min_replicas} or more",
        )
    if power.low > tdp:
        notes.append(
            f"this traffic draws at least {power.low:,.0f} W of GPU power on average, more than the "
            f"{tdp:,.0f} W TDP of {est.gpus} x {est.gpu}: it needs at least {min_replicas} replicas"
        )
    prov = None
    if replicas is None:
        notes.append(
            "excludes GPUs kept powered while not serving (idle capacity; give --replicas) and training; "
            "wall = GPU x (1 + server overhead) x PUE"
        )
    else:
        gpu_hours = replicas * est.gpus * hours
        low, _ = _with_idle(gpu_kwh.low, gpu_hours, gpu.idle_w, gpu.idle_w)
        high, _ = _with_idle(gpu_kwh.high, gpu_hours, gpu.idle_w, gpu.tdp_w)
        mid, busy_mid = _with_idle(gpu_kwh.central, gpu_hours, gpu.idle_w, (gpu.idle_w + gpu.tdp_w) / 2.0)
        busy_low = _with_idle(gpu_kwh.low, gpu_hours, gpu.idle_w, gpu.tdp_w)[1]
        busy_high = _with_idle(gpu_kwh.high, gpu_hours, gpu.idle_w, gpu.idle_w)[1]
        prov_kwh = Range(low, min(max(mid, low), high), high)
        prov_wall = Range.of(impact.wall_energy_wh(prov_kwh, overhead, pue_range))
        # every powered GPU-hour carries its share of the hardware's life: utilisation 1 over the powered time
        prov_embodied = impact.embodied_co2_g(gpu_hours * 3600.0, hw.kg_per_gpu, hw.lifetime_years, 1.0)
        prov = Provisioned(
            replicas=replicas,
            gpu_hours=gpu_hours,
            idle_w_per_gpu=gpu.idle_w,
            idle_floor_kwh=gpu_hours * gpu.idle_w / 1000.0,
            gpu_kwh=prov_kwh,
            wall_kwh=prov_wall,
            co2_kg=Range.of(impact.co2_g(prov_wall, g_per_kwh)),
            busy_share=Range(busy_low, min(max(busy_mid, busy_low), busy_high), busy_high),
            embodied_co2_kg=Range.of(prov_embodied) * 0.001,
        )
        notes.append(
            f"with {replicas} replica(s) powered all {period}: idle at {gpu.idle_w:g} W per GPU "
            f"({gpu.name} catalog value), serving between idle and TDP (central: halfway, an assumption); "
            "excludes training; wall = GPU x (1 + server overhead) x PUE"
        )
    return ServiceCost(
        requests=float(requests),
        period=period,
        gpu_kwh=Range.of(gpu_kwh),
        wall_kwh=Range.of(wall),
        co2_kg=Range.of(co2_kg),
        avg_gpu_power_w=Range.of(power),
        tdp_w_per_replica=tdp,
        min_replicas=min_replicas,
        region=grid.iso,
        grid_g_per_kwh=g_per_kwh,
        pue=pue_range,
        server_overhead=overhead,
        notes=tuple(notes),
        provisioned=prov,
        water_onsite_l=per_period.water_onsite_ml,
        water_offsite_l=per_period.water_offsite_ml,
        embodied_co2_kg=per_period.embodied_co2_g,
        wue=fac.wue,
    )
