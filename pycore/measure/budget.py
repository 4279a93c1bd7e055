"""How long a grid point will take: a FLOPs/bytes estimate, calibrated by the runs already made.

A short GPU lease cannot afford to start a point it cannot finish, so the campaign asks, before
each point, whether its calibrated estimate fits in the time left, and skips (and names) the ones
that do not. The estimate is deliberately simple: prefill is compute-bound; each decode step
streams the weights and the batch's KV cache, or does its FLOPs, whichever is slower, plus a
per-layer host overhead (large for Hugging Face eager ``generate``, small for vLLM's CUDA graphs).
The calibration factor (measured / estimated, from the warm-up on) absorbs what it gets wrong.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pycore.energy import catalog as cat
from pycore.energy.hardware import GPU
from pycore.measure.grid import Point

# Host-side cost of one decoder layer per decode step (launches, Python). Assumptions, not
# measurements: the calibration replaces them after the first run.
HF_EAGER_S_PER_LAYER = 0.5e-3
VLLM_GRAPHS_S_PER_LAYER = 0.03e-3
COMPUTE_EFFICIENCY = 0.5
BANDWIDTH_EFFICIENCY = 0.7


@dataclass(frozen=True)
class Rates:
    """What the estimate needs of the device(s) running the model."""

    name: str
    bandwidth_gb_s: float  # summed over tensor-parallel GPUs
    tflops: float  # summed over tensor-parallel GPUs, at the precision used
    s_per_layer: float
    bytes_per_param: float


CPU_RATES = Rates("cpu", bandwidth_gb_s=10.0, tflops=0.05, s_per_layer=0.3e-3, bytes_per_param=4.0)


def rates(gpu: GPU | None, gpus: int, precision: str, engine: str) -> Rates:
    if gpu is None:
        return CPU_RATES
    s_per_layer = VLLM_GRAPHS_S_PER_LAYER if engine.startswith("vllm") else HF_EAGER_S_PER_LAYER
    bpp = {"fp32": 4.0, "bf16": 2.0, "fp8": 1.0, "fp4": 0.5}[precision]
    return Rates(gpu.name, gpu.bandwidth_gb_s * gpus, gpu.compute_tflops(precision) * gpus, s_per_layer, bpp)


def estimate_seconds(arch: cat.Architecture, point: Point, r: Rates) -> float:
    """Uncalibrated wall time of one run of ``point`` (prefill of the batch, then its decode)."""
    p = cat.parameter_breakdown(arch)
    weights = p.total * r.bytes_per_param
    flops_s = r.tflops * 1e12 * COMPUTE_EFFICIENCY
    bytes_s = r.bandwidth_gb_s * 1e9 * BANDWIDTH_EFFICIENCY
    n_in, n_out, b = point.input_tokens, point.output_tokens, point.batch
    prefill_flops = b * n_in * (2.0 * p.active + cat.attention_flops_per_token(arch, max(n_in // 2, 1)))
    prefill = max(prefill_flops / flops_s, weights / bytes_s) + arch.n_layers * r.s_per_layer
    ctx = n_in + n_out // 2
    step_bytes = weights + b * cat.kv_cache_bytes(arch, ctx)
    step_flops = b * (2.0 * p.active + cat.attention_flops_per_token(arch, ctx))
    step = max(step_bytes / bytes_s, step_flops / flops_s) + arch.n_layers * r.s_per_layer
    return prefill + max(n_out - 1, 0) * step


@dataclass
class Calibrator:
    """Turns estimates into predictions: x the largest recent measured/estimated ratio, x a margin."""

    margin: float = 1.15
    uncalibrated: float = 2.0  # before any run, trust the estimate this little
    ratios: list[float] = field(default_factory=list)

    def observe(self, estimated_s: float, measured_s: float) -> None:
        if estimated_s > 0 and measured_s > 0:
            self.ratios.append(measured_s / estimated_s)

    @property
    def factor(self) -> float:
        return max(self.ratios[-3:]) * self.margin if self.ratios else self.uncalibrated

    def predict(self, estimated_s: float) -> float:
        return estimated_s * self.factor
