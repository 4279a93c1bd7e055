"""What a deployment costs over a period: energy per prompt x traffic, to the wall and to CO2.

Why a module of its own: the predictor answers per prompt; an engineer sizing a service asks "a
million requests a day on this model and these GPUs, in this country: how many kWh and tonnes of
CO2?". The answer multiplies the predicted GPU energy (with its held-out interval) by the traffic,
then applies the same server overhead, PUE and grid factors as chat accounting (``impact``).

What it cannot say, and says so: GPUs kept powered while not serving (idle capacity) draw energy
that no per-prompt figure contains; and time per prompt is not something our energy model predicts
well, so the only capacity statement made is a hard floor: GPUs cannot draw more than their TDP,
so traffic whose average GPU power exceeds the deployment's total TDP needs more replicas.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from . import impact
from .errors import InvalidInput
from .hardware import load_gpus
from .predictor import Estimate
from .ranges import Range

PERIOD_HOURS = {"hour": 1.0, "day": 24.0, "month": 24.0 * 365.0 / 12.0, "year": 24.0 * 365.0}


@dataclass(frozen=True)
class Deployment:
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

    def as_dict(self) -> dict[str, Any]:
        return {
            "requests": self.requests, "period": self.period, "gpu_kwh": self.gpu_kwh.to_dict(),
            "wall_kwh": self.wall_kwh.to_dict(), "co2_kg": self.co2_kg.to_dict(),
            "avg_gpu_power_w": self.avg_gpu_power_w.to_dict(), "tdp_w_per_replica": self.tdp_w_per_replica,
            "min_replicas_by_tdp": self.min_replicas, "region": self.region, "grid_g_per_kwh": self.grid_g_per_kwh,
            "pue": self.pue.to_dict(), "server_overhead": self.server_overhead.to_dict(), "notes": list(self.notes),
        }


def deployment(est: Estimate, requests: float, period: str = "day", region: str | None = None,
               pue: float | None = None) -> Deployment:
    """Scales one per-prompt estimate to a period's traffic; unknown regions fall back to WORLD, flagged."""
    if period not in PERIOD_HOURS:
        raise InvalidInput(f"unknown period {period!r}", f"one of {', '.join(PERIOD_HOURS)}")
    if isinstance(requests, bool) or not isinstance(requests, int | float) or not math.isfinite(requests) \
            or requests <= 0:
        raise InvalidInput(f"requests must be a positive number, got {requests!r}")
    if pue is not None and (not math.isfinite(pue) or pue < 1.0):
        raise InvalidInput(f"PUE must be >= 1, got {pue!r}", "PUE is facility energy / IT energy")
    notes: list[str] = []
    per_prompt = Range(est.energy_wh_low, est.energy_wh, est.energy_wh_high)
    gpu_kwh = per_prompt * (requests / 1000.0)
    overhead = impact.server_overhead().value
    if pue is None:
        factor, _ = impact.provider_pue(None)
        pue_range = factor.value
        notes.append(f"PUE {pue_range.central:g} ({pue_range.low:g}-{pue_range.high:g}): industry average, "
                     "set --pue for a known facility")
    else:
        pue_range = Range(pue, pue, pue)
    wall = impact.wall_energy_wh(gpu_kwh, overhead, pue_range)
    g_per_kwh, grid = impact.grid_intensity(region)
    if grid.is_fallback:
        notes.append(grid.warning if region else "no --region given: world average grid intensity used")
    co2_kg = impact.co2_g(wall, g_per_kwh)  # kWh x g/kWh / 1000 = kg
    hours = PERIOD_HOURS[period]
    power = gpu_kwh * (1000.0 / hours)
    tdp = load_gpus().get(est.gpu).tdp_w * est.gpus
    min_replicas = max(1, math.ceil(power.low / tdp))
    if power.low > tdp:
        notes.append(f"this traffic draws at least {power.low:,.0f} W of GPU power on average, more than the "
                     f"{tdp:,.0f} W TDP of {est.gpus} x {est.gpu}: it needs at least {min_replicas} replicas")
    notes.append("excludes GPUs kept powered while not serving (idle capacity) and training; "
                 "wall = GPU x (1 + server overhead) x PUE")
    return Deployment(requests=float(requests), period=period, gpu_kwh=Range.of(gpu_kwh), wall_kwh=Range.of(wall),
                      co2_kg=Range.of(co2_kg), avg_gpu_power_w=Range.of(power), tdp_w_per_replica=tdp,
                      min_replicas=min_replicas, region=grid.iso, grid_g_per_kwh=g_per_kwh, pue=pue_range,
                      server_overhead=overhead, notes=tuple(notes))
