"""Physics-only (roofline) estimate of GPU energy per prompt.

A decode step of ``b`` running prompts streams the weights it needs (for MoE only the experts
the batch touches) and every prompt's KV cache, and does 2·active-parameter FLOPs per token
plus attention; its memory and compute phases take their times one after the other (decode
kernels barely overlap them), plus a fixed per-layer cost (and an all-reduce per layer once the
model spans GPUs). Decode draws a constant power between idle and TDP; prefill is compute-bound
at TDP. MoE models on several GPUs under the current engine run expert-parallel with
data-parallel attention (ML.ENERGY v3's deployments: TP 1, EP = GPUs), so every GPU streams its
own copy of the dense weights. One constant carries what that engine's kernels did on Blackwell
(B200) in ML.ENERGY v3: weights stream at their own share of its peak bandwidth
(bench/physics_variants.py: 0.5 point of held-out MAPE, and constants that put the held-out
decode step time within ~30% of the measured one instead of several times off). The constants
are fitted on measured data (squared relative error, the metric's shape) and shipped in the
artefact.

The formula is written once over a small math namespace so the same code runs on floats
(pycore, in the browser) and on numpy arrays (training).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any


@dataclass(frozen=True)
class PhysicsConstants:
    """Fitted on training folds only; defaults are physically plausible starting points."""

    eta_mem: float = 0.7  # achieved / peak bandwidth streaming weights
    eta_kv: float = 0.5  # achieved / peak bandwidth reading paged KV cache
    eta_cmp: float = 0.4  # achieved / peak dense tensor FLOPS
    eta_moe: float = 0.2  # achieved / peak FLOPS in routed-expert GEMMs (small, ragged per-expert batches)
    eta_prefill: float = 0.5  # achieved / peak FLOPS in prefill (model FLOPs utilisation), at TDP
    eta_prefill_moe: float = 0.3  # the same for routed-expert GEMMs in prefill
    static_frac: float = 0.4  # decode power above idle, as a share of (TDP - idle)
    t_layer_s: float = 2e-5  # fixed per-layer, per-step cost (kernel launches, norms)
    t_comm_s: float = 2e-5  # per-layer all-reduce latency once the model spans GPUs
    t_vocab_s: float = 1e-10  # per-token, per-vocabulary-entry cost of logits and sampling
    fp8_moe_rel: float = (
        0.7  # FP8 grouped expert GEMMs (block-scaled) reach this fraction of the bf16 ones' efficiency
    )
    old_engine_slowdown: float = 1.2  # step-time factor of the 2024 engine (vLLM 0.4/0.5) on pre-Hopper GPUs
    old_engine_slowdown_new_gpu: float = 1.5  # the same on GPUs released from 2022 (its kernels predate them)
    blackwell_mem_rel: float = (
        1.0  # eta_mem factor on GPUs with native FP4 tensor cores (Blackwell: B200, GB200)
    )

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
    hidden_size: int
    vocab_size: int
    kv_bytes_per_prompt: float  # KV cache of one prompt at its mean context during decode
    attn_flops_per_token: float  # attention score/value FLOPs per token at that context
    prefill_attn_flops_per_token: float  # same at half the input (the mean prefill context)
    bytes_per_param: float


_SHAPE_FIELDS = tuple(f.name for f in fields(Shape))


class _FloatMath:
    """The two array operations the formula needs, for plain floats."""

    maximum = staticmethod(max)
    minimum = staticmethod(min)


FLOAT_MATH = _FloatMath()


def energy_wh(xp: Any, v: Any, k: PhysicsConstants) -> Any:
    """Energy per prompt in Wh (see :func:`energy_and_step`)."""
    return energy_and_step(xp, v, k)[0]


def energy_and_step(xp: Any, v: Any, k: PhysicsConstants) -> tuple[Any, Any]:
    """Energy per prompt in Wh and the decode step time in s. ``v`` holds the inputs by attribute:

    shape fields, ``batch``, ``gpus``, ``input_tokens``, ``output_tokens`` and the GPU's
    ``bandwidth_gb_s``, ``tflops`` (at the precision), ``tdp_w``, ``idle_w``, ``interconnect_gb_s``,
    ``gpu_year`` and ``blackwell`` (1 where the GPU has native FP4 tensor cores).
    """
    b = xp.maximum(v.batch, 1.0)
    gpus = v.gpus
    peak_bw = gpus * v.bandwidth_gb_s * 1e9
    peak_flops = gpus * v.tflops * 1e12
    decode_w = gpus * (v.idle_w + (v.tdp_w - v.idle_w) * k.static_frac)

    # expected distinct routed experts a step of b tokens reads, under uniform routing
    n_exp = xp.maximum(v.n_experts, 1.0)
    touched_share = 1.0 - (1.0 - v.experts_per_token / n_exp) ** b
    routed = v.routed_params * (v.n_experts > 0) * touched_share
    # expert parallel (MoE, several GPUs, current engine): each GPU reads its own dense weights
    replicas = 1.0 + (gpus - 1.0) * (v.n_experts > 0) * (v.engine_generation >= 1)
    weight_bytes = ((v.total_params - v.routed_params) * replicas + routed) * v.bytes_per_param
    kv_bytes = b * v.kv_bytes_per_prompt
    routed_active = v.routed_params * v.experts_per_token / n_exp * (v.n_experts > 0)
    dense_flops = b * (2.0 * (v.active_params - routed_active) + v.attn_flops_per_token)
    expert_flops = b * 2.0 * routed_active

    # vLLM 0.11 streams weights on Blackwell at a different share of its (much higher) peak bandwidth
    eta_mem = k.eta_mem * (1.0 + (k.blackwell_mem_rel - 1.0) * v.blackwell)
    mem_s = weight_bytes / (peak_bw * eta_mem) + kv_bytes / (peak_bw * k.eta_kv)
    eta_moe = k.eta_moe * (1.0 + (k.fp8_moe_rel - 1.0) * v.fp8_compute)
    cmp_s = dense_flops / (peak_flops * k.eta_cmp) + expert_flops / (peak_flops * eta_moe)
    comm_s = (gpus > 1) * v.n_layers * (k.t_comm_s + 4.0 * b * v.hidden_size / (v.interconnect_gb_s * 1e9))
    step_s = mem_s + cmp_s + v.n_layers * k.t_layer_s + comm_s + b * v.vocab_size * k.t_vocab_s / gpus
    slowdown = k.old_engine_slowdown + (k.old_engine_slowdown_new_gpu - k.old_engine_slowdown) * (
        v.gpu_year >= 2022
    )
    step_s = step_s * (1.0 + (slowdown - 1.0) * (v.engine_generation < 1))
    decode_j = decode_w * step_s / b * v.output_tokens

    # Prefill runs large, efficient GEMMs (thousands of tokens per expert too) near full power.
    prefill_dense = v.input_tokens * (
        2.0 * (v.active_params - routed_active) + v.prefill_attn_flops_per_token
    )
    prefill_expert = v.input_tokens * 2.0 * routed_active
    prefill_s = prefill_dense / (peak_flops * k.eta_prefill) + prefill_expert / (
        peak_flops * k.eta_prefill_moe
    )
    prefill_j = gpus * v.tdp_w * prefill_s
    return (decode_j + prefill_j) / 3600.0, step_s


@dataclass(frozen=True)
class _Inputs:
    total_params: float
    active_params: float
    routed_params: float
    n_experts: float
    experts_per_token: float
    n_layers: float
    hidden_size: float
    vocab_size: float
    kv_bytes_per_prompt: float
    attn_flops_per_token: float
    prefill_attn_flops_per_token: float
    bytes_per_param: float
    fp8_compute: float
    engine_generation: float
    batch: float
    gpus: float
    input_tokens: float
    output_tokens: float
    bandwidth_gb_s: float
    tflops: float
    tdp_w: float
    idle_w: float
    interconnect_gb_s: float
    gpu_year: float
    blackwell: float


def inputs(
    shape: Shape,
    gpu: Any,
    gpus: int,
    precision: str,
    input_tokens: float,
    output_tokens: float,
    batch: float,
    engine_generation: float,
) -> dict[str, float]:
    """The formula's inputs for one configuration, by name (training stacks these into arrays)."""
    d = {
        name: float(getattr(shape, name)) for name in _SHAPE_FIELDS
    }  # asdict's deep copies cost 8% of an estimate
    d.update(
        batch=float(batch),
        engine_generation=float(engine_generation),
        fp8_compute=float(precision == "fp8" and gpu.supports(precision)),
        gpus=float(gpus),
        input_tokens=float(input_tokens),
        output_tokens=float(output_tokens),
        bandwidth_gb_s=gpu.bandwidth_gb_s,
        tflops=gpu.compute_tflops(precision),
        tdp_w=gpu.tdp_w,
        idle_w=gpu.idle_w,
        interconnect_gb_s=gpu.interconnect_gb_s,
        gpu_year=float(gpu.release_year),
        blackwell=float(gpu.supports("fp4")),
    )
    return d


def estimate(
    shape: Shape,
    gpu: Any,
    gpus: int,
    precision: str,
    input_tokens: float,
    output_tokens: float,
    batch: float,
    k: PhysicsConstants,
    engine_generation: float = 1.0,
) -> float:
    """Energy per prompt (Wh) when ``batch`` prompts of this shape run concurrently on ``gpus``."""
    v = inputs(shape, gpu, gpus, precision, input_tokens, output_tokens, batch, engine_generation)
    return energy_wh(FLOAT_MATH, _Inputs(**v), k)
