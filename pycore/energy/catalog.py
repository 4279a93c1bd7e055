"""Architecture catalog: published model shapes and the parameter, KV-cache and attention arithmetic.

The energy model predicts from architecture numbers (active parameters, KV-cache bytes, attention
FLOPs), not from model names, so every supported model is described by the fields of its Hugging
Face ``config.json`` in ``pycore/data/architectures/*.json``. The counting below follows the
reference implementations block by block, and the tests pin every record to its published
parameter count within 2 %.

Where the parameters go in :class:`ParamBreakdown`:

* ``embedding``: the input token table (V x d, or V x ``word_embed_proj_dim`` for OPT) plus learned
  absolute position tables (OPT). A tied LM head is not counted a second time.
* ``attention``: every token mixer: q/k/v/o projections and their biases, q/k norms, attention
  sinks, MLA low-rank projections with their inner norms and the DeepSeek-V3.2 indexer, and the
  whole Mamba-2 mixer (in/out projections, conv1d, A, D, dt bias, gated norm) of hybrid layers.
* ``ffn``: dense MLPs and all experts (routed and shared) with their biases.
* ``other_linear``: the untied LM head (and its bias), MoE routers (and router biases / the Qwen
  shared-expert gate), OPT's embedding projections, and every layer norm incl. the final one.
* ``per_layer``: attention + ffn + routers + norms of the decoder stack, divided by the layer count.
* ``active``: ``total`` minus the routed experts a token does not use.
"""

from __future__ import annotations

import dataclasses
import difflib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from importlib import resources as importlib_resources
from types import MappingProxyType
from typing import Any

from pycore.errors import DataFileError, InvalidInput, UnknownModel
from pycore.resources import load_json

SCHEMA_VERSION = 1
_DATA_DIR = "architectures"
_REQUIRED = (
    "id",
    "aliases",
    "published_params_b",
    "published_active_params_b",
    "params_source",
    "config_source",
    "notes",
    "config",
)
_OPTIONAL = ("params_tolerance", "published_active_excludes_embedding")
DEFAULT_PARAMS_TOLERANCE = 0.02


# --- what each model type hard-wires in code instead of writing it into config.json -------------


@dataclass(frozen=True)
class _Traits:
    """Per-model-type defaults that the reference implementation fixes in code."""

    gated_mlp: bool = True  # gate/up/down (SwiGLU, GeGLU) rather than up/down
    activation: str = "silu"
    tied: bool = False  # default of tie_word_embeddings
    qkv_bias: bool = False
    o_bias: bool = False
    mlp_bias: bool = False
    norm_bias: bool = False  # LayerNorm (weight + bias) rather than RMSNorm
    norms_per_layer: int = 2
    qk_norm: bool = False  # per-head RMSNorm on q and k (Qwen3, Gemma 3)
    attention_sinks: bool = False  # one learned logit per head (gpt-oss)
    lm_head_bias: bool = False
    position_offset: int | None = None  # learned absolute positions: max_position + offset rows
    expert_bias: bool = False
    router_bias: bool = False  # also DeepSeek-V3's e_score_correction_bias
    n_shared_experts: int = 0
    sliding_window_pattern: int | None = None  # every n-th layer is global, the others slide


_GELU_TANH = "gelu_pytorch_tanh"
_ALL_BIAS = {"qkv_bias": True, "o_bias": True, "mlp_bias": True, "norm_bias": True}
_MODEL_TYPES: dict[str, _Traits] = {
    "llama": _Traits(),
    "mistral": _Traits(),
    "mixtral": _Traits(),
    "chameleon": _Traits(),
    "qwen2": _Traits(qkv_bias=True),
    "qwen2_moe": _Traits(qkv_bias=True),
    "qwen3": _Traits(qk_norm=True),
    "qwen3_moe": _Traits(qk_norm=True),
    "gemma": _Traits(activation=_GELU_TANH, tied=True),
    "gemma2": _Traits(activation=_GELU_TANH, tied=True, norms_per_layer=4, sliding_window_pattern=2),
    "gemma3_text": _Traits(
        activation=_GELU_TANH, tied=True, norms_per_layer=4, qk_norm=True, sliding_window_pattern=6
    ),
    "phi3": _Traits(),
    "phi3_v": _Traits(),
    "phi3small": _Traits(activation="gegelu", tied=True, **_ALL_BIAS),
    "phimoe": _Traits(norm_bias=True, lm_head_bias=True),
    "phi": _Traits(gated_mlp=False, activation="gelu_new", norms_per_layer=1, lm_head_bias=True, **_ALL_BIAS),
    "deepseek_v2": _Traits(),
    "deepseek_v3": _Traits(router_bias=True),
    "deepseek_v32": _Traits(router_bias=True),
    "llama4_text": _Traits(n_shared_experts=1),
    "gpt_oss": _Traits(attention_sinks=True, expert_bias=True, router_bias=True),
    "nemotron": _Traits(gated_mlp=False, activation="relu2", norm_bias=True),
    "nemotron_h": _Traits(gated_mlp=False, activation="relu2", norms_per_layer=1),
    "starcoder2": _Traits(gated_mlp=False, activation=_GELU_TANH, norm_bias=True),
    "opt": _Traits(gated_mlp=False, activation="relu", tied=True, position_offset=2, **_ALL_BIAS),
    "falcon": _Traits(gated_mlp=False, activation="gelu", tied=True, norm_bias=True),
    "gpt_neox": _Traits(gated_mlp=False, activation="gelu", **_ALL_BIAS),
    "mpt": _Traits(gated_mlp=False, activation="gelu", tied=True, norm_bias=True),
}
# Config switches that turn biases on or off: name -> the trait fields it sets.
_BIAS_SWITCHES = {
    "attention_bias": ("qkv_bias", "o_bias"),
    "mlp_bias": ("mlp_bias",),
    "use_bias": ("qkv_bias", "o_bias", "mlp_bias"),  # StarCoder2 (Nemotron-H: its Mamba projections)
    "bias": ("qkv_bias", "o_bias", "mlp_bias"),  # Falcon
    "enable_bias": ("qkv_bias", "o_bias", "mlp_bias"),  # OPT
}


def _traits_for(config: Mapping[str, Any]) -> _Traits:
    traits = _MODEL_TYPES[config["model_type"]]
    changes: dict[str, Any] = {}
    for switch, names in _BIAS_SWITCHES.items():
        if isinstance(config.get(switch), bool):
            changes.update(dict.fromkeys(names, config[switch]))
    if config.get("no_bias"):  # MPT: no bias anywhere, LayerNorm included
        changes.update(dict.fromkeys(("qkv_bias", "o_bias", "mlp_bias", "norm_bias"), False))
    if config["model_type"] == "falcon":  # parallel blocks share one norm unless ln_attn/ln_mlp exist
        changes["norms_per_layer"] = 2 if config.get("new_decoder_architecture") else 1
    return dataclasses.replace(traits, **changes)


# --- the catalog records ------------------------------------------------------------------------


@dataclass(frozen=True)
class Layer:
    """One decoder block: its token mixer, its MLP and, for local attention, the window it sees."""

    mixer: str  # "attention", "mla", "mamba", or "" for an MLP-only block of a hybrid
    mlp: str  # "dense", "moe", or "" for a mixer-only block of a hybrid
    window: int | None = None  # sliding-window or chunked attention span in tokens


# Nemotron-H ``hybrid_override_pattern``: one character per block.
_HYBRID_BLOCKS = {
    "M": Layer("mamba", ""),
    "*": Layer("attention", ""),
    "-": Layer("", "dense"),
    "E": Layer("", "moe"),
}
_LOCAL_LAYER_TYPES = ("sliding_attention", "chunked_attention")


def _freeze(value: Any) -> Any:
    if isinstance(value, Mapping):
        return MappingProxyType({k: _freeze(v) for k, v in value.items()})
    if isinstance(value, (list, tuple)):
        return tuple(_freeze(v) for v in value)
    return value


def _thaw(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _thaw(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return [_thaw(v) for v in value]
    return value


@dataclass(frozen=True)
class Architecture:
    """A model's published shape; properties read its config with the model type's defaults."""

    id: str
    aliases: tuple[str, ...]
    family: str
    config: Mapping[str, Any] = field(hash=False)
    published_params_b: float | None
    published_active_params_b: float | None
    params_source: str
    config_source: str
    notes: str = ""
    params_tolerance: float = DEFAULT_PARAMS_TOLERANCE
    published_active_excludes_embedding: bool = False  # DeepSeek and OpenAI leave the lookup out

    def _get(self, *names: str, default: Any = None) -> Any:
        for name in names:
            value = self.config.get(name)
            if value is not None:
                return value
        return default

    @cached_property
    def traits(self) -> _Traits:
        return _traits_for(self.config)

    @cached_property
    def model_type(self) -> str:
        return str(self.config["model_type"])

    @cached_property
    def n_layers(self) -> int:
        return int(self._get("num_hidden_layers", "n_layer", "n_layers", "num_layers"))

    @cached_property
    def hidden_size(self) -> int:
        return int(self._get("hidden_size", "d_model", "n_embd"))

    @cached_property
    def n_heads(self) -> int:
        return int(self._get("num_attention_heads", "n_head", "n_heads"))

    @cached_property
    def n_kv_heads(self) -> int:
        if self.config.get("multi_query") and not self.config.get("new_decoder_architecture"):
            return 1
        attn = self.config.get("attn_config") or {}
        kv = self._get("num_key_value_heads", "num_kv_heads", "n_head_kv", default=attn.get("kv_n_heads"))
        return int(kv) if kv else self.n_heads

    @cached_property
    def head_dim(self) -> int:
        """Query/key head size; for MLA the decompressed one (nope + rope part)."""
        if self.attention_kind == "MLA":
            return int(self.config["qk_nope_head_dim"]) + int(self.config["qk_rope_head_dim"])
        return int(self._get("head_dim", default=self.hidden_size // self.n_heads))

    @cached_property
    def vocab_size(self) -> int:
        return int(self.config["vocab_size"])

    @cached_property
    def tied_embeddings(self) -> bool:
        return bool(self._get("tie_word_embeddings", default=self.traits.tied))

    @cached_property
    def max_context(self) -> int:
        return int(self._get("max_position_embeddings", "max_seq_len", "n_positions", "seq_length"))

    @cached_property
    def activation(self) -> str:
        return str(
            self._get(
                "mlp_hidden_act",
                "hidden_act",
                "hidden_activation",
                "activation_function",
                default=self.traits.activation,
            )
        )

    @cached_property
    def gated_mlp(self) -> bool:
        return self.traits.gated_mlp

    @cached_property
    def attention_kind(self) -> str:
        if self.config.get("kv_lora_rank"):
            return "MLA"
        kv = self.n_kv_heads
        if kv == self.n_heads:
            return "MHA"
        return "MQA" if kv == 1 else "GQA"

    @cached_property
    def intermediate_size(self) -> int:
        """Dense FFN width (for MoE the dense layers' width, or the config's when all are MoE)."""
        size = self._get(
            "intermediate_size_mlp", "intermediate_size", "ffn_dim", "ff_intermediate_size", "ffn_hidden_size"
        )
        if size is None:
            size = self._get("expansion_ratio", default=4) * self.hidden_size
        return int(size)

    # --- mixture of experts ---

    @cached_property
    def n_experts(self) -> int:
        return int(self._get("num_local_experts", "num_experts", "n_routed_experts", default=0))

    @cached_property
    def is_moe(self) -> bool:
        return self.n_experts > 1

    @cached_property
    def experts_per_token(self) -> int:
        return int(self._get("num_experts_per_tok", "experts_per_token", default=0)) if self.is_moe else 0

    @cached_property
    def n_shared_experts(self) -> int:
        if not self.is_moe:
            return 0
        if self.config.get("shared_expert_intermediate_size"):
            return 1
        return int(self._get("n_shared_experts", default=self.traits.n_shared_experts))

    @cached_property
    def expert_intermediate_size(self) -> int:
        return int(self._get("moe_intermediate_size", "intermediate_size")) if self.is_moe else 0

    @cached_property
    def shared_expert_intermediate_size(self) -> int:
        """Width of the (merged) shared-expert MLP; 0 when there is none."""
        size = self.config.get("shared_expert_intermediate_size")
        return int(size) if size else self.n_shared_experts * self.expert_intermediate_size

    def _is_moe_layer(self, i: int) -> bool:
        if not self.is_moe or i < self._get("first_k_dense_replace", default=0):
            return False
        if i in self._get("mlp_only_layers", default=()):
            return False
        step = self._get("moe_layer_freq", "decoder_sparse_step", "interleave_moe_layer_step", default=1)
        return (i + 1) % int(step) == 0

    # --- layer plan ---

    def _window(self, i: int) -> int | None:
        if self.config.get("use_sliding_window") is False:
            return None
        window = self._get("sliding_window", "attention_chunk_size")
        if not window or window >= self.max_context:  # a window as long as the context caps nothing
            return None
        types = self.config.get("layer_types")
        if types:  # repeated cyclically when with_overrides adds layers
            return int(window) if types[i % len(types)] in _LOCAL_LAYER_TYPES else None
        pattern = self._get(
            "sliding_window_pattern", "no_rope_layer_interval", default=self.traits.sliding_window_pattern
        )
        if pattern:
            return int(window) if (i + 1) % int(pattern) else None
        return int(window)

    @cached_property
    def layers(self) -> tuple[Layer, ...]:
        """The decoder blocks in order, as the config lays them out."""
        pattern = self.config.get("hybrid_override_pattern")
        if pattern:
            return tuple(_HYBRID_BLOCKS[ch] for ch in pattern)
        mixer = "mla" if self.attention_kind == "MLA" else "attention"
        return tuple(
            Layer(mixer, "moe" if self._is_moe_layer(i) else "dense", self._window(i))
            for i in range(self.n_layers)
        )

    @cached_property
    def n_attention_layers(self) -> int:
        return sum(layer.mixer in ("attention", "mla") for layer in self.layers)

    @cached_property
    def n_sliding_layers(self) -> int:
        return sum(layer.window is not None for layer in self.layers)

    @cached_property
    def sliding_window(self) -> int | None:
        return max((layer.window for layer in self.layers if layer.window), default=None)

    @cached_property
    def is_hybrid_mamba(self) -> bool:
        return any(layer.mixer == "mamba" for layer in self.layers)

    @cached_property
    def n_moe_layers(self) -> int:
        return sum(layer.mlp == "moe" for layer in self.layers)


# --- parameter counting: one function per kind of block --------------------------------------


def _dense_attention_params(a: Architecture) -> int:
    """q, k, v, o projections (fused or not, same count) plus biases, q/k norms and sinks."""
    t, d = a.traits, a.hidden_size
    q, kv = a.n_heads * a.head_dim, a.n_kv_heads * a.head_dim
    params = d * (q + 2 * kv) + q * d
    params += (q + 2 * kv) * t.qkv_bias + d * t.o_bias
    params += 2 * a.head_dim * t.qk_norm + a.n_heads * t.attention_sinks
    return params


def _mla_params(a: Architecture) -> int:
    """DeepSeek multi-head latent attention: low-rank q and compressed kv, plus the V3.2 indexer."""
    c, d, h = a.config, a.hidden_size, a.n_heads
    nope, rope, v_dim = c["qk_nope_head_dim"], c["qk_rope_head_dim"], c["v_head_dim"]
    q_rank, kv_rank = c.get("q_lora_rank"), c["kv_lora_rank"]
    q = d * q_rank + q_rank + q_rank * h * (nope + rope) if q_rank else d * h * (nope + rope)
    kv = d * (kv_rank + rope) + kv_rank + kv_rank * h * (nope + v_dim)
    params = q + kv + h * v_dim * d
    if c.get("index_n_heads"):  # lightning indexer: wq_b, wk, k_norm (LayerNorm), weights_proj
        ih, ihd = c["index_n_heads"], c["index_head_dim"]
        params += q_rank * ih * ihd + d * ihd + 2 * ihd + d * ih
    return params


def _mamba_dims(a: Architecture) -> tuple[int, int, int]:
    """(inner width, conv channels, SSM heads) of a Mamba-2 mixer."""
    c = a.config
    heads = int(c["mamba_num_heads"])
    inner = heads * int(c["mamba_head_dim"])
    return inner, inner + 2 * int(c["n_groups"]) * int(c["ssm_state_size"]), heads


def _mamba_params(a: Architecture) -> int:
    """Mamba-2 mixer: in_proj (z, x, B, C, dt), depthwise conv1d, A_log, D, dt_bias, norm, out_proj."""
    c, d = a.config, a.hidden_size
    inner, conv_dim, heads = _mamba_dims(a)
    in_proj = d * (inner + conv_dim + heads) + (inner + conv_dim + heads) * bool(c.get("use_bias"))
    conv = conv_dim * int(c["conv_kernel"]) + conv_dim * bool(c.get("use_conv_bias", True))
    out_proj = inner * d + d * bool(c.get("use_bias"))
    return in_proj + conv + 3 * heads + inner + out_proj


_MIXERS = {"attention": _dense_attention_params, "mla": _mla_params, "mamba": _mamba_params}


def _mlp_params(d: int, width: int, gated: bool, bias: bool) -> int:
    """Gated (gate, up, down) or plain (up, down) MLP with optional biases."""
    if gated:
        return 3 * d * width + (2 * width + d) * bias
    return 2 * d * width + (width + d) * bias


@dataclass(frozen=True)
class _MoEBlock:
    routed: int  # all routed experts of one layer
    unused: int  # the routed experts a token skips
    shared: int
    router: int


def _moe_params(a: Architecture) -> _MoEBlock:
    """One MoE layer: routed experts, the shared expert(s) and the router."""
    t, d, e = a.traits, a.hidden_size, a.n_experts
    expert = _mlp_params(d, a.expert_intermediate_size, t.gated_mlp, t.expert_bias)
    shared_width = a.shared_expert_intermediate_size
    shared = _mlp_params(d, shared_width, t.gated_mlp, False) if shared_width else 0
    router = d * e + e * t.router_bias + d * bool(a.config.get("shared_expert_intermediate_size"))
    return _MoEBlock(e * expert, (e - a.experts_per_token) * expert, shared, router)


@dataclass(frozen=True)
class ParamBreakdown:
    """Parameter counts split the seed paper's way (see the module docstring for what goes where)."""

    embedding: int
    attention: int
    ffn: int
    other_linear: int
    per_layer: int
    total: int
    active: int


def parameter_breakdown(arch: Architecture) -> ParamBreakdown:
    """Embedding / attention / FFN / other-linear split, the total and the per-token active count.

    Cached on the (frozen, read-only) architecture: the predictor asks for it on every estimate.
    """
    hit = arch.__dict__.get("_param_breakdown")
    if hit is None:
        hit = arch.__dict__["_param_breakdown"] = _parameter_breakdown(arch)
    return hit


def _layer_groups(arch: Architecture) -> tuple[tuple[Layer, int], ...]:
    """Layers grouped by (mixer, window): KV bytes and attention FLOPs depend on nothing else."""
    hit = arch.__dict__.get("_layer_groups")
    if hit is None:
        counts: dict[tuple[str, int | None], int] = {}
        first: dict[tuple[str, int | None], Layer] = {}
        for layer in arch.layers:
            key = (layer.mixer, layer.window)
            counts[key] = counts.get(key, 0) + 1
            first.setdefault(key, layer)
        hit = arch.__dict__["_layer_groups"] = tuple((first[k], n) for k, n in counts.items())
    return hit


def _parameter_breakdown(arch: Architecture) -> ParamBreakdown:
    t, d, vocab = arch.traits, arch.hidden_size, arch.vocab_size
    embed_dim = int(arch.config.get("word_embed_proj_dim") or d)
    embedding = vocab * embed_dim
    if t.position_offset is not None:
        embedding += (arch.max_context + t.position_offset) * d
    norm = d * (2 if t.norm_bias else 1)
    attention = ffn = stack_other = unused = 0
    moe = _moe_params(arch) if arch.is_moe else None
    for layer in arch.layers:
        stack_other += t.norms_per_layer * norm
        if layer.mixer:
            attention += _MIXERS[layer.mixer](arch)
        if layer.mlp == "dense":
            ffn += _mlp_params(d, arch.intermediate_size, t.gated_mlp, t.mlp_bias)
        elif layer.mlp == "moe" and moe is not None:
            ffn += moe.routed + moe.shared
            stack_other += moe.router
            unused += moe.unused
    head = 0 if arch.tied_embeddings else vocab * embed_dim + vocab * t.lm_head_bias
    projections = 2 * d * embed_dim if embed_dim != d else 0
    other = stack_other + head + projections + norm
    total = embedding + attention + ffn + other
    per_layer = (attention + ffn + stack_other) // len(arch.layers)
    return ParamBreakdown(embedding, attention, ffn, other, per_layer, total, total - unused)


# --- KV cache and attention FLOPs: one function per mixer ----------------------------------------


def _attention_state(a: Architecture, layer: Layer, tokens: int) -> int:
    """K and V for every cached token (a sliding or chunked layer keeps at most its window)."""
    kept = min(tokens, layer.window) if layer.window else tokens
    return 2 * a.n_kv_heads * a.head_dim * kept


def _mla_state(a: Architecture, layer: Layer, tokens: int) -> int:
    """The compressed latent plus the shared rope key (and the V3.2 indexer's key) per token."""
    c = a.config
    per_token = int(c["kv_lora_rank"]) + int(c["qk_rope_head_dim"]) + int(c.get("index_head_dim") or 0)
    return per_token * tokens


def _mamba_state(a: Architecture, layer: Layer, tokens: int) -> int:
    """Constant per sequence: the conv window (kernel - 1 inputs) and the SSM state of every head."""
    inner, conv_dim, _ = _mamba_dims(a)
    return conv_dim * (int(a.config["conv_kernel"]) - 1) + inner * int(a.config["ssm_state_size"])


_STATE = {"attention": _attention_state, "mla": _mla_state, "mamba": _mamba_state}


def _check_tokens(context_tokens: int) -> int:
    if isinstance(context_tokens, bool) or not isinstance(context_tokens, int) or context_tokens < 0:
        raise InvalidInput(f"context_tokens must be a non-negative integer, got {context_tokens!r}")
    return context_tokens


def _check_bytes(bytes_per_element: float) -> float:
    if not bytes_per_element > 0:
        raise InvalidInput(f"bytes_per_element must be positive, got {bytes_per_element!r}")
    return float(bytes_per_element)


def kv_cache_bytes(arch: Architecture, context_tokens: int, bytes_per_element: float = 2.0) -> float:
    """Bytes of KV cache (and Mamba state) one sequence of ``context_tokens`` holds, over all layers.

    Mamba state is counted at the same ``bytes_per_element`` although engines often keep it in fp32.
    """
    tokens = _check_tokens(context_tokens)
    size = _check_bytes(bytes_per_element)
    return size * sum(
        n * _STATE[layer.mixer](arch, layer, tokens) for layer, n in _layer_groups(arch) if layer.mixer
    )


def kv_cache_bytes_per_token(arch: Architecture, bytes_per_element: float = 2.0) -> float:
    """Marginal bytes per extra token of a long context.

    Only full-attention (and MLA) layers grow without bound; sliding-window and chunked layers stop
    growing at their window and Mamba layers never grow, so they add nothing here. For a context
    shorter than the window use :func:`kv_cache_bytes` instead.
    """
    size = _check_bytes(bytes_per_element)
    return size * sum(
        n * _STATE[layer.mixer](arch, layer, 1)
        for layer, n in _layer_groups(arch)
        if layer.mixer in ("attention", "mla") and layer.window is None
    )


def _attention_flops(a: Architecture, layer: Layer, tokens: int) -> float:
    seen = min(tokens, layer.window) if layer.window else tokens
    return 4.0 * a.n_heads * a.head_dim * seen


def _mla_flops(a: Architecture, layer: Layer, tokens: int) -> float:
    """Scores over (nope + rope) dims and values over v_head_dim, as in the unabsorbed kernels.

    With a V3.2 indexer the main attention sees only its top-k tokens, while the indexer itself
    scores every token.
    """
    c = a.config
    top_k = c.get("index_topk")
    seen = min(tokens, int(top_k)) if top_k else tokens
    flops = 2.0 * a.n_heads * (a.head_dim + int(c["v_head_dim"])) * seen
    if c.get("index_n_heads"):
        flops += 2.0 * int(c["index_n_heads"]) * int(c["index_head_dim"]) * tokens
    return flops


_FLOPS = {"attention": _attention_flops, "mla": _mla_flops}


def attention_flops_per_token(arch: Architecture, context_tokens: int) -> float:
    """FLOPs of the score and value products for one token attending to ``context_tokens`` tokens.

    Add it to ``2 * active`` parameters for the per-token compute; for prefill of n tokens sum it
    over positions 1..n. Mamba scans are linear in the state and left to the parameter term.
    """
    tokens = _check_tokens(context_tokens)
    return sum(
        n * _FLOPS[layer.mixer](arch, layer, tokens)
        for layer, n in _layer_groups(arch)
        if layer.mixer in _FLOPS
    )


# --- loading and lookup --------------------------------------------------------------------------


def _check_shape(arch: Architecture) -> None:
    """Raises ValueError (or KeyError/TypeError) when the config cannot describe a model."""
    positive = (
        arch.n_layers,
        arch.hidden_size,
        arch.n_heads,
        arch.n_kv_heads,
        arch.head_dim,
        arch.vocab_size,
    )
    if min(positive) <= 0 or arch.max_context <= 0 or arch.intermediate_size <= 0:
        raise ValueError("layer count, widths, heads, vocabulary and context must be positive")
    if len(arch.layers) != arch.n_layers:
        raise ValueError(f"{len(arch.layers)} blocks in the layer pattern but {arch.n_layers} layers")
    if arch.is_moe and not 0 < arch.experts_per_token <= arch.n_experts:
        raise ValueError("experts_per_token must be between 1 and the number of experts")
    parameter_breakdown(arch)


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0


def _record(raw: Any, family: str, where: str) -> Architecture:
    if not isinstance(raw, dict):
        raise DataFileError(f"{where}: a model record must be an object")
    name = raw.get("id", "?")
    missing = [key for key in _REQUIRED if key not in raw]
    unknown = sorted(set(raw) - set(_REQUIRED) - set(_OPTIONAL))
    if missing or unknown:
        raise DataFileError(f"{where}: record {name!r} lacks {missing} or has unknown fields {unknown}")
    config = raw["config"]
    problems = []
    if not isinstance(name, str) or not name:
        problems.append("id must be a non-empty string")
    if not isinstance(raw["aliases"], list) or not all(isinstance(x, str) and x for x in raw["aliases"]):
        problems.append("aliases must be a list of strings")
    if not _number(raw["published_params_b"]):
        problems.append("published_params_b must be a positive number")
    active = raw["published_active_params_b"]
    if active is not None and not _number(active):
        problems.append("published_active_params_b must be a positive number or null")
    if not isinstance(raw["params_source"], str) or not raw["params_source"].strip():
        problems.append("params_source must cite where the count comes from")
    if not isinstance(raw["config_source"], str) or not isinstance(raw["notes"], str):
        problems.append("config_source and notes must be strings")
    tolerance = raw.get("params_tolerance", DEFAULT_PARAMS_TOLERANCE)
    if not _number(tolerance) or tolerance > 0.2:
        problems.append("params_tolerance must be in (0, 0.2]")
    if not isinstance(config, dict) or config.get("model_type") not in _MODEL_TYPES:
        problems.append(f"config.model_type must be one of {sorted(_MODEL_TYPES)}")
    if problems:
        raise DataFileError(f"{where}: record {name!r}: " + "; ".join(problems))
    arch = Architecture(
        id=name,
        aliases=tuple(raw["aliases"]),
        family=family,
        config=_freeze(config),
        published_params_b=float(raw["published_params_b"]),
        published_active_params_b=None if active is None else float(active),
        params_source=raw["params_source"],
        config_source=raw["config_source"],
        notes=raw["notes"],
        params_tolerance=float(tolerance),
        published_active_excludes_embedding=bool(raw.get("published_active_excludes_embedding", False)),
    )
    try:
        _check_shape(arch)
    except (ValueError, KeyError, TypeError, ZeroDivisionError) as exc:
        raise DataFileError(f"{where}: record {name!r} has an unusable config: {exc!r}") from exc
    if arch.is_moe and arch.published_active_params_b is None:
        raise DataFileError(f"{where}: MoE record {name!r} needs published_active_params_b")
    return arch


def _short_name(name: str) -> str:
    return name.rpartition("/")[2]


class Catalog:
    """Architectures by id or alias: case-insensitive, and without the org prefix when unique."""

    def __init__(self, architectures: Iterable[Architecture]) -> None:
        self._archs: dict[str, Architecture] = {}
        self._names: dict[str, Architecture] = {}
        self._short: dict[str, set[str]] = {}
        for arch in architectures:
            for name in (arch.id, *arch.aliases):
                key = name.lower()
                if key in self._names:
                    raise DataFileError(
                        f"duplicate model name {name!r} ({self._names[key].id} and {arch.id})"
                    )
                self._names[key] = arch
                self._short.setdefault(_short_name(key), set()).add(arch.id)
            self._archs[arch.id] = arch

    def get(self, name: str) -> Architecture:
        if not isinstance(name, str) or not name.strip():
            raise InvalidInput(f"model name must be a non-empty string, got {name!r}")
        key = name.strip().lower()
        if key in self._names:
            return self._names[key]
        owners = self._short.get(key, set()) if "/" not in key else set()
        if len(owners) == 1:
            return self._archs[next(iter(owners))]
        raise UnknownModel(name, self.nearest(name))

    def nearest(self, name: str, n: int = 5) -> list[str]:
        """Ids of the ``n`` records whose id or alias (with or without org) reads most like ``name``."""
        query = name.strip().lower()
        short = _short_name(query)
        scores: dict[str, float] = {}
        for key, arch in self._names.items():
            score = max(
                difflib.SequenceMatcher(None, query, key).ratio(),
                difflib.SequenceMatcher(None, short, _short_name(key)).ratio(),
            )
            scores[arch.id] = max(score, scores.get(arch.id, 0.0))
        return sorted(scores, key=lambda arch_id: (-scores[arch_id], arch_id))[:n]

    def ids(self) -> tuple[str, ...]:
        return tuple(self._archs)

    def __iter__(self) -> Iterator[Architecture]:
        return iter(self._archs.values())

    def __len__(self) -> int:
        return len(self._archs)

    def __contains__(self, name: object) -> bool:
        try:
            self.get(name)  # type: ignore[arg-type]
        except (UnknownModel, InvalidInput):
            return False
        return True


def _data_files() -> list[str]:
    folder = importlib_resources.files("pycore").joinpath("data", _DATA_DIR)
    return sorted(entry.name for entry in folder.iterdir() if entry.name.endswith(".json"))


def _load_file(filename: str) -> list[Architecture]:
    where = f"{_DATA_DIR}/{filename}"
    data = load_json(where)
    if not isinstance(data, dict) or data.get("schema_version") != SCHEMA_VERSION:
        raise DataFileError(f"{where}: expected an object with schema_version {SCHEMA_VERSION}")
    family, models = data.get("family"), data.get("models")
    if not isinstance(family, str) or not family or not isinstance(models, list):
        raise DataFileError(f"{where}: needs a 'family' string and a 'models' list")
    return [_record(raw, family, where) for raw in models]


@lru_cache(maxsize=1)
def load_catalog() -> Catalog:
    """Every record of ``pycore/data/architectures/*.json``, validated; cached (read-only data)."""
    files = _data_files()
    if not files:
        raise DataFileError(f"no architecture files in pycore/data/{_DATA_DIR}")
    return Catalog(arch for filename in files for arch in _load_file(filename))


def with_overrides(arch: Architecture, **config_fields: Any) -> Architecture:
    """A variant with some config fields changed (e.g. ``num_hidden_layers=40``), for what-if sweeps.

    The id gets the overrides as a suffix; published counts are dropped because they no longer
    apply. ``layer_types`` repeat cyclically over added layers; a hybrid pattern must be given anew.
    """
    if not config_fields:
        return arch
    config = _thaw(arch.config)
    config.update(config_fields)
    if config.get("model_type") not in _MODEL_TYPES:
        raise InvalidInput(f"unknown model_type {config.get('model_type')!r}")
    suffix = ",".join(f"{key}={value}" for key, value in sorted(config_fields.items()))
    variant = dataclasses.replace(
        arch,
        id=f"{arch.id}[{suffix}]",
        aliases=(),
        config=_freeze(config),
        published_params_b=None,
        published_active_params_b=None,
        notes=f"variant of {arch.id} with {suffix}",
    )
    try:
        _check_shape(variant)
    except (ValueError, KeyError, TypeError, ZeroDivisionError) as exc:
        raise InvalidInput(f"overrides {suffix} do not give a valid architecture: {exc}") from exc
    return variant
