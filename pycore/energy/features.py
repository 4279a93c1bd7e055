"""The paper's Table V variables, computed from (architecture, GPU, workload).

Also decides what a deployment can hold: how much vRAM is left for the KV cache once the
weights are loaded, how many prompts fit, and so the batch the engine can really run.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from pycore.energy import catalog as cat
from pycore.energy.hardware import BYTES_PER_PARAM, GPU
from pycore.energy.physics import Shape
from pycore.energy.workload import Workload, engines
from pycore.errors import DoesNotFit

GIB = 1024.0**3
# Share of GPU memory the engine may use (vLLM's gpu_memory_utilization; its default is 0.9, but
# ML.ENERGY v2 served Mixtral-8x22B's 282 GB of weights on 8 x A100-40GB, which needs about 0.93),
# and what the runtime keeps per GPU besides weights and KV cache (activations, CUDA graphs, NCCL).
GPU_MEMORY_UTILIZATION = 0.95
RUNTIME_RESERVE_GIB = 1.0
KV_BYTES_PER_ELEMENT = 2.0  # bf16 KV cache, vLLM's default even for FP8/FP4 weights
ATTENTION_KIND_CODE = {"MHA": 0.0, "GQA": 1.0, "MQA": 2.0, "MLA": 3.0}

# Order matters: it is the column order of the exported model.
FEATURES: tuple[str, ...] = (
    # inference-related (monotone constraints apply to the first three)
    "log_input_tokens",
    "log_output_tokens",
    "log_effective_batch",
    "bytes_per_param",
    "log_kv_bytes_per_prompt",
    "engine_generation",
    # model-related
    "n_layers",
    "hidden_size",
    "intermediate_size",
    "n_heads",
    "n_kv_heads",
    "head_dim",
    "is_moe",
    "n_experts",
    "experts_per_token",
    "log_total_params",
    "log_active_params",
    "log_embedding_params",
    "log_attention_params",
    "log_ffn_params",
    "log_other_params",
    "log_layer_params",
    "kv_bytes_per_token",
    "gated_mlp",
    "attention_kind",
    "sliding_window_layers",
    "hybrid_mamba",
    "vram_required_gb",
    # infrastructure-related
    "gpu_memory_gb",
    "gpu_bandwidth_gb_s",
    "gpu_count",
    "gpu_tdp_w",
    "gpu_tflops",
    "gpu_cores",
    "free_vram_per_gpu_gb",
    "log_kv_capacity_tokens",
)
MONOTONE = {
    "log_input_tokens": 1,
    "log_output_tokens": 1,
    "log_effective_batch": -1,
    "log_kv_bytes_per_prompt": 1,
}


@dataclass(frozen=True)
class Placement:
    """Memory facts of a model on a set of GPUs, independent of the prompt."""

    weight_bytes: float
    free_bytes_per_gpu: float
    kv_capacity_bytes: float


def bytes_per_param(precision: str) -> float:
    return BYTES_PER_PARAM[precision]


def placement(arch: cat.Architecture, gpu: GPU, gpus: int, precision: str) -> Placement:
    weights = cat.parameter_breakdown(arch).total * bytes_per_param(precision)
    free = GPU_MEMORY_UTILIZATION * gpu.memory_gb * 1e9 - weights / gpus - RUNTIME_RESERVE_GIB * GIB
    return Placement(weight_bytes=weights, free_bytes_per_gpu=free, kv_capacity_bytes=max(free, 0.0) * gpus)


def gpus_needed(arch: cat.Architecture, gpu: GPU, precision: str, context_tokens: float) -> int:
    """Smallest power-of-two GPU count (tensor parallel sizes) that holds weights and one prompt."""
    n = 1
    while n <= 1024:
        d = placement(arch, gpu, n, precision)
        if d.kv_capacity_bytes >= cat.kv_cache_bytes(arch, int(context_tokens), KV_BYTES_PER_ELEMENT):
            return n
        n *= 2
    return n


def prompts_that_fit(arch: cat.Architecture, dep: Placement, context_tokens: float) -> float:
    per_prompt = cat.kv_cache_bytes(arch, max(int(math.ceil(context_tokens)), 1), KV_BYTES_PER_ELEMENT)
    return dep.kv_capacity_bytes / per_prompt if per_prompt > 0 else float("inf")


def check_fits(arch: cat.Architecture, gpu: GPU, w: Workload) -> Placement:
    dep = placement(arch, gpu, w.gpus, w.precision)
    context = w.input_tokens + w.output_tokens
    if prompts_that_fit(arch, dep, context) < 1.0:
        need = gpus_needed(arch, gpu, w.precision, context)
        weights_gb = dep.weight_bytes / 1e9
        raise DoesNotFit(
            f"{arch.id} in {w.precision} needs {weights_gb:.1f} GB of weights plus KV cache for a "
            f"{int(context)}-token prompt; {w.gpus} x {gpu.name} ({gpu.memory_gb:g} GB each) cannot hold it",
            need,
        )
    return dep


def effective_batch(arch: cat.Architecture, dep: Placement, w: Workload) -> float:
    """The batch the engine can run: the request, capped by the prompts the KV cache holds.

    Running prompts are at every stage of their decode, so on average each holds its input plus
    half its output: the cap uses that mean context (one whole prompt must still fit: check_fits).
    """
    return max(1.0, min(w.batch, prompts_that_fit(arch, dep, w.input_tokens + w.output_tokens / 2.0)))


def shape(arch: cat.Architecture, w: Workload) -> Shape:
    p = cat.parameter_breakdown(arch)
    routed = 0.0
    if arch.is_moe and arch.n_experts > arch.experts_per_token:
        # total - active = the experts a token does not use; scale up to all routed experts
        routed = (p.total - p.active) * arch.n_experts / (arch.n_experts - arch.experts_per_token)
    decode_ctx = max(int(w.input_tokens + w.output_tokens / 2.0), 1)
    prefill_ctx = max(int(w.input_tokens / 2.0), 1)
    return Shape(
        total_params=float(p.total),
        active_params=float(p.active),
        routed_params=routed,
        n_experts=arch.n_experts if arch.is_moe else 0,
        experts_per_token=arch.experts_per_token if arch.is_moe else 0,
        n_layers=arch.n_layers,
        hidden_size=arch.hidden_size,
        vocab_size=arch.vocab_size,
        kv_bytes_per_prompt=cat.kv_cache_bytes(arch, decode_ctx, KV_BYTES_PER_ELEMENT),
        attn_flops_per_token=cat.attention_flops_per_token(arch, decode_ctx),
        prefill_attn_flops_per_token=cat.attention_flops_per_token(arch, prefill_ctx),
        bytes_per_param=bytes_per_param(w.precision),
    )


def _log(x: float) -> float:
    return math.log(max(x, 1.0))


def static_features(
    arch: cat.Architecture, gpu: GPU, gpus: int, precision: str, dep: Placement
) -> dict[str, float]:
    """Everything that does not depend on the prompt: computed once per (model, GPUs)."""
    p = cat.parameter_breakdown(arch)
    kv_tok = cat.kv_cache_bytes_per_token(arch, KV_BYTES_PER_ELEMENT)
    return {
        "bytes_per_param": bytes_per_param(precision),
        "n_layers": float(arch.n_layers),
        "hidden_size": float(arch.hidden_size),
        "intermediate_size": float(arch.expert_intermediate_size if arch.is_moe else arch.intermediate_size),
        "n_heads": float(arch.n_heads),
        "n_kv_heads": float(arch.n_kv_heads),
        "head_dim": float(arch.head_dim),
        "is_moe": float(arch.is_moe),
        "n_experts": float(arch.n_experts if arch.is_moe else 0),
        "experts_per_token": float(arch.experts_per_token if arch.is_moe else 0),
        "log_total_params": _log(p.total),
        "log_active_params": _log(p.active),
        "log_embedding_params": _log(p.embedding),
        "log_attention_params": _log(p.attention),
        "log_ffn_params": _log(p.ffn),
        "log_other_params": _log(p.other_linear),
        "log_layer_params": _log(p.per_layer),
        "kv_bytes_per_token": kv_tok,
        "gated_mlp": float(arch.gated_mlp),
        "attention_kind": ATTENTION_KIND_CODE[arch.attention_kind],
        "sliding_window_layers": float(arch.n_sliding_layers),
        "hybrid_mamba": float(arch.is_hybrid_mamba),
        "vram_required_gb": dep.weight_bytes / 1e9,
        "gpu_memory_gb": gpu.memory_gb,
        "gpu_bandwidth_gb_s": gpu.bandwidth_gb_s,
        "gpu_count": float(gpus),
        "gpu_tdp_w": gpu.tdp_w,
        "gpu_tflops": gpu.compute_tflops(precision),
        "gpu_cores": float(gpu.cores),
        "free_vram_per_gpu_gb": dep.free_bytes_per_gpu / 1e9,
        "log_kv_capacity_tokens": _log(dep.kv_capacity_bytes / kv_tok) if kv_tok > 0 else 0.0,
    }


def workload_features(sh: Shape, w: Workload, batch: float) -> dict[str, float]:
    return {
        "log_input_tokens": math.log1p(w.input_tokens),
        "log_output_tokens": math.log1p(w.output_tokens),
        "log_effective_batch": math.log(batch),
        "log_kv_bytes_per_prompt": _log(sh.kv_bytes_per_prompt),
        "engine_generation": float(engines()[w.engine]["generation"]),
    }


def vector(static: dict[str, float], workload: dict[str, float]) -> list[float]:
    merged = {**static, **workload}
    return [float(merged[name]) for name in FEATURES]
