"""Physics-only (roofline) estimate of GPU energy per prompt.

Decode is modelled as memory-bound over the weights it must stream (for MoE, only the experts
the batch touches) plus every running prompt's KV cache, or compute-bound once the batch is
large; prefill as compute-bound. Power sits between idle and TDP. The few efficiency constants
are fitted on measured data (``pycore.training``) and shipped in the artefact; everything else
comes from the architecture and the GPU datasheet. The tree ensemble learns what this misses.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

from .hardware import GPU


@dataclass(frozen=True)
class PhysicsConstants:
    """Fitted on training folds only; defaults are physically plausible starting points."""

    eta_mem: float = 0.6  # achieved / peak memory bandwidth in decode
    eta_cmp: float = 0.45  # achieved / peak dense tensor FLOPS
    power_frac: float = 0.7  # (P - idle) / (TDP - idle) while serving
    t_layer_s: float = 8e-6  # fixed per-layer, per-step cost (kernel launches, norms, sampling share)
    t_comm_s: float = 1.5e-5  # per-layer all-reduce latency once the model spans GPUs

    def as_dict(self) -> dict[str, float]:
        return asdict(self)


@dataclass(frozen=True)
class Shape:
    """What the physics needs to know of a model, precomputed from its architecture record."""

    total_params: float
    active_params: float
    routed_params: float  # all routed-expert weights (0 for dense models)
    n_experts: int
    experts_per_token: int
    n_layers: int
    kv_bytes_per_prompt: float  # KV cache of one prompt at its mean context during decode
    attn_flops_per_token: float  # attention score/value FLOPs per token at that context
    prefill_attn_flops_per_token: float  # same at half the input (the mean prefill context)
    bytes_per_param: float


@dataclass(frozen=True)
class PhysicsEstimate:
    energy_wh: float
    decode_wh: float
    prefill_wh: float
    step_s: float
    mem_s: float
    cmp_s: float
    power_w: float
    effective_batch: float


def experts_touched(n_experts: int, per_token: int, batch: float) -> float:
    """Expected distinct routed experts a step of ``batch`` tokens reads, under uniform routing."""
    if n_experts <= 0:
        return 0.0
    return n_experts * (1.0 - (1.0 - per_token / n_experts) ** max(batch, 1.0))


def weight_bytes_per_step(shape: Shape, batch: float) -> float:
    """Weights streamed from memory for one decode step of the whole batch."""
    dense = shape.total_params - shape.routed_params
    routed = 0.0
    if shape.n_experts:
        routed = shape.routed_params * experts_touched(shape.n_experts, shape.experts_per_token, batch) / shape.n_experts
    return (dense + routed) * shape.bytes_per_param


def estimate(shape: Shape, gpu: GPU, gpus: int, precision: str, input_tokens: float, output_tokens: float,
             batch: float, k: PhysicsConstants) -> PhysicsEstimate:
    """Energy per prompt (Wh) when ``batch`` prompts of this shape run concurrently on ``gpus``."""
    b = max(batch, 1.0)
    bandwidth = gpus * gpu.bandwidth_gb_s * 1e9 * k.eta_mem
    flops = gpus * gpu.tflops(precision) * 1e12 * k.eta_cmp
    mem_s = (weight_bytes_per_step(shape, b) + b * shape.kv_bytes_per_prompt) / bandwidth
    cmp_s = b * (2.0 * shape.active_params + shape.attn_flops_per_token) / flops
    overhead_s = shape.n_layers * (k.t_layer_s + (k.t_comm_s if gpus > 1 else 0.0))
    step_s = max(mem_s, cmp_s) + overhead_s
    power_w = gpus * (gpu.idle_w + (gpu.tdp_w - gpu.idle_w) * k.power_frac)
    decode_j = power_w * step_s / b * output_tokens
    prefill_flops = input_tokens * (2.0 * shape.active_params + shape.prefill_attn_flops_per_token)
    # Prefill of one prompt shares the GPUs with the batch's decode; it costs its compute time at full power.
    prefill_j = gpus * gpu.tdp_w * prefill_flops / flops
    return PhysicsEstimate(
        energy_wh=(decode_j + prefill_j) / 3600.0, decode_wh=decode_j / 3600.0, prefill_wh=prefill_j / 3600.0,
        step_s=step_s, mem_s=mem_s, cmp_s=cmp_s, power_w=power_w, effective_batch=b,
    )


def log_ratio(measured: float, predicted: float) -> float:
    return math.log(measured) - math.log(predicted)
