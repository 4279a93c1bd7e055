"""GPU energy per prompt: the physics estimate times the tree ensemble's learned correction.

The trees never predict energy directly: they predict log(measured / physics) from the
Table V features, so model size, GPU and batch effects come from physics and extrapolate
where the measured data is thin; the trees fix what the roofline gets wrong.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from pycore.energy import catalog as cat
from pycore.energy import features as ft
from pycore.energy.forest import Ensemble, load_ensemble
from pycore.energy.hardware import GPU, load_gpus
from pycore.energy.physics import PhysicsConstants
from pycore.energy.physics import estimate as physics_estimate
from pycore.energy.workload import Workload, engines
from pycore.errors import DataFileError
from pycore.resources import load_json

ARTEFACT = "energy_model.json"
ARTEFACT_FORMAT = "promptwatt-energy-model"
ARTEFACT_FORMAT_VERSION = 1


@dataclass(frozen=True)
class Estimate:
    energy_wh: float
    energy_wh_low: float
    energy_wh_high: float
    physics_wh: float
    correction: float
    model: str
    gpu: str
    gpus: int
    precision: str
    input_tokens: float
    output_tokens: float
    batch_requested: float
    batch_effective: float
    prompts_fit: float
    model_version: str
    assumptions: tuple[str, ...] = field(default_factory=tuple)

    def as_dict(self) -> dict[str, Any]:
        return {
            "energy_wh": self.energy_wh,
            "energy_wh_low": self.energy_wh_low,
            "energy_wh_high": self.energy_wh_high,
            "physics_wh": self.physics_wh,
            "correction": self.correction,
            "model": self.model,
            "gpu": self.gpu,
            "gpus": self.gpus,
            "precision": self.precision,
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "batch_requested": self.batch_requested,
            "batch_effective": self.batch_effective,
            "prompts_fit_in_kv_cache": self.prompts_fit,
            "model_version": self.model_version,
            "assumptions": list(self.assumptions),
        }


class Predictor:
    """Holds a loaded artefact; cheap to call many times (static features are cached per deployment)."""

    def __init__(
        self, artefact: dict[str, Any] | None = None, constants: PhysicsConstants | None = None
    ) -> None:
        self.artefact = artefact
        self.ensemble: Ensemble | None = None
        self.log_low = 0.0
        self.log_high = 0.0
        self.version = "physics-only"
        if artefact is not None:
            _check_header(artefact)
            names = [f["name"] for f in artefact["features"]]
            if tuple(names) != ft.FEATURES:
                raise DataFileError(
                    "the model artefact's features differ from this pycore's; retrain or upgrade"
                )
            self.ensemble = load_ensemble(artefact["ensemble"], len(names))
            constants = PhysicsConstants(**artefact["physics_constants"])
            self.log_low = float(artefact["interval"]["log_low"])
            self.log_high = float(artefact["interval"]["log_high"])
            self.version = str(artefact["model_version"])
        self.constants = constants or PhysicsConstants()
        self._static: dict[tuple[str, str, int, str], tuple[ft.Placement, dict[str, float]]] = {}

    def _deployment(
        self, arch: cat.Architecture, gpu: GPU, w: Workload
    ) -> tuple[ft.Placement, dict[str, float]]:
        key = (arch.id, gpu.name, w.gpus, w.precision)
        hit = self._static.get(key)
        if hit is None:
            dep = ft.placement(arch, gpu, w.gpus, w.precision)
            hit = (dep, ft.static_features(arch, gpu, w.gpus, w.precision, dep))
            self._static[key] = hit
        return hit

    def features(
        self, arch: cat.Architecture, gpu: GPU, w: Workload
    ) -> tuple[list[float], float, float, float]:
        """Feature vector, physics Wh, effective batch and prompts that fit, for one workload."""
        ft.check_fits(arch, gpu, w)
        dep, static = self._deployment(arch, gpu, w)
        batch = ft.effective_batch(arch, dep, w)
        sh = ft.shape(arch, w)
        phys_wh = physics_estimate(
            sh,
            gpu,
            w.gpus,
            w.precision,
            w.input_tokens,
            w.output_tokens,
            batch,
            self.constants,
            engines()[w.engine]["generation"],
        )
        vec = ft.vector(static, ft.workload_features(sh, w, batch))
        fit = ft.prompts_that_fit(arch, dep, w.input_tokens + w.output_tokens)
        return vec, phys_wh, batch, fit

    def _corrected(self, vec: list[float], phys_wh: float) -> tuple[float, float, float, float]:
        """(log correction, low, central, high) GPU Wh: the one place the ensemble and the interval apply."""
        log_corr = self.ensemble.predict(vec) if self.ensemble else 0.0
        central = phys_wh * math.exp(log_corr)
        return log_corr, central * math.exp(self.log_low), central, central * math.exp(self.log_high)

    def energies(self, arch: cat.Architecture, gpu: GPU, w: Workload) -> tuple[float, float, float]:
        """(low, central, high) GPU Wh per prompt: :meth:`estimate`'s figures without its explanation
        (a long history import asks for three per generation and reads nothing else)."""
        vec, phys_wh, _, _ = self.features(arch, gpu, w)
        _, low, central, high = self._corrected(vec, phys_wh)
        return low, central, high

    def estimate(self, model: str | cat.Architecture, gpu: str | GPU, w: Workload) -> Estimate:
        arch = cat.load_catalog().get(model) if isinstance(model, str) else model
        g = load_gpus().get(gpu) if isinstance(gpu, str) else gpu
        vec, phys_wh, batch, fit = self.features(arch, g, w)
        log_corr, low, central, high = self._corrected(vec, phys_wh)
        assumptions = [
            f"{w.gpus} x {g.name}, weights in {w.precision}, KV cache in bf16",
            f"{w.engine} continuous batching with {batch:.4g} prompt{'s' if batch != 1 else ''} running concurrently",
            f"GPU energy only (no CPU, memory, network, cooling); range = held-out {self._coverage()} interval",
        ]
        if batch < w.batch:
            assumptions.append(
                f"KV cache holds only {fit:.4g} prompts of this length at their end, {batch:.4g} at "
                f"their mean length while decoding: batch capped from {w.batch:g} to {batch:.4g}"
            )
        if w.precision != "bf16" and not g.supports(w.precision):
            assumptions.append(
                f"{g.name} has no native {w.precision}: weights stored at {w.precision}, compute at bf16"
            )
        return Estimate(
            energy_wh=central,
            energy_wh_low=low,
            energy_wh_high=high,
            physics_wh=phys_wh,
            correction=math.exp(log_corr),
            model=arch.id,
            gpu=g.name,
            gpus=w.gpus,
            precision=w.precision,
            input_tokens=w.input_tokens,
            output_tokens=w.output_tokens,
            batch_requested=w.batch,
            batch_effective=batch,
            prompts_fit=fit,
            model_version=self.version,
            assumptions=tuple(assumptions),
        )

    def _coverage(self) -> str:
        if self.artefact is None:
            return "(none: physics only)"
        return f"{round(100 * float(self.artefact['interval']['coverage']))}%"


def _check_header(artefact: dict[str, Any]) -> None:
    if artefact.get("format") != ARTEFACT_FORMAT:
        raise DataFileError("not a PromptWatt energy-model artefact")
    if artefact.get("format_version") != ARTEFACT_FORMAT_VERSION:
        raise DataFileError(
            f"artefact format version {artefact.get('format_version')} is not supported "
            f"(this pycore reads version {ARTEFACT_FORMAT_VERSION})"
        )


@lru_cache(maxsize=1)
def default_predictor() -> Predictor:
    """The predictor of the shipped artefact (``assets/energy_model.json``)."""
    return Predictor(load_json(ARTEFACT))
