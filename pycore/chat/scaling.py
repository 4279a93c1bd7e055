"""Stand-in architectures resized to a chat model's estimated parameter counts.

Closed chat models publish no shapes, so each platform label names an open architecture whose
layer shapes stand in (``assumed_architecture``) and a range of total / active parameters that
takes precedence. The energy model reads parameter counts, KV-cache bytes and attention FLOPs
from an architecture, so the stand-in is resized until its counts match the range point:

* width and depth share a large change of active parameters, as they do across real model
  families: a ratio r far from 1 first widens (or narrows) the model by r^(1/3) — hidden size,
  attention and KV heads (group size and head size kept) and FFN widths — so parameters grow by
  r^(2/3), then depth (``num_hidden_layers``) carries the rest. Depth alone would give absurd
  stand-ins (900 layers for a 200B-active model), and the physics charges a fixed cost per layer;
* for MoE, the routed expert count carries the parameters a token does not use (total - active),
  ``experts_per_token`` unchanged; ``total == active`` gives ``n_experts == experts_per_token``;
* one common factor on every FFN width (dense, expert and shared-expert intermediate sizes) takes
  up what whole layers and whole experts cannot, so both counts land within a fraction of 1 %.

Layer-pattern fields are tiled to the new depth, as :func:`catalog.with_overrides` does for
``layer_types``: ``layer_types``, ``no_rope_layers`` and ``hybrid_override_pattern`` repeat
cyclically (or are cut), index lists (``mlp_only_layers``, ``moe_layers``) repeat their pattern
of indices, and ``first_k_dense_replace`` scales with the depth (at least one dense layer if the
original had one, at least one MoE layer left). DeepSeek's expert groups (``n_group``) are not
kept divisible: the counting ignores them. An architecture already within the catalog tolerance
of both counts is used unchanged, so a label that *is* an open model keeps its real shape.
"""

from __future__ import annotations

import dataclasses
import math
from functools import lru_cache
from typing import Any

from pycore.chat.platforms import ModelMapping
from pycore.energy import catalog as cat
from pycore.errors import InvalidInput

_POINTS = ("low", "central", "high")
_LAYER_FIELDS = ("num_hidden_layers", "n_layer", "n_layers", "num_layers")
_EXPERT_FIELDS = ("num_local_experts", "num_experts", "n_routed_experts")
_WIDTH_FIELDS = (
    "intermediate_size",
    "intermediate_size_mlp",
    "moe_intermediate_size",
    "shared_expert_intermediate_size",
    "ffn_dim",
    "ff_intermediate_size",
    "ffn_hidden_size",
)
_PER_LAYER_SEQUENCES = ("layer_types", "no_rope_layers", "hybrid_override_pattern")
_INDEX_LISTS = ("mlp_only_layers", "moe_layers")


def architecture_for(mapping: ModelMapping, which: str) -> cat.Architecture:
    """The mapping's stand-in resized to its ``which`` ("low", "central" or "high") parameter point."""
    if which not in _POINTS:
        raise InvalidInput(f"which must be one of {_POINTS}, got {which!r}")
    total = getattr(mapping.total_params_b, which) * 1e9
    active = getattr(mapping.active_params_b, which) * 1e9
    return resize(mapping.assumed_architecture, total, active)


@lru_cache(maxsize=256)
def resize(arch_id: str, total_params: float, active_params: float) -> cat.Architecture:
    """Catalog architecture ``arch_id`` with ``total_params`` / ``active_params`` (counts, not billions).

    Cached: the same stand-in and point recur for every message of a conversation. A dense
    stand-in cannot hold more total than active parameters; it matches ``active_params``.
    """
    base = cat.load_catalog().get(arch_id)
    active_params = min(active_params, total_params)
    if _close(cat.parameter_breakdown(base), total_params, active_params, base.is_moe):
        return base
    ratio = active_params / cat.parameter_breakdown(base).active
    if not 1 / _WIDEN_BEYOND < ratio < _WIDEN_BEYOND:
        base = _widen(base, ratio ** (1.0 / 3.0))
    plan = _Plan(base)
    if not base.is_moe or total_params <= active_params * (1 + _SAME_SHARE):
        experts = base.experts_per_token if base.is_moe else None
        layers, width = plan.depth_for(active_params, experts)
        return plan.variant(layers, experts, width)
    candidates = [
        plan.solve(e, total_params, active_params) for e in plan.expert_counts(total_params, active_params)
    ]
    best = min(candidates, key=lambda c: (round(c[0], 3), abs(math.log(c[3]))))
    return plan.variant(best[1], best[2], best[3])


# Total within this share of active counts as "all experts active" (n_experts = experts_per_token).
_SAME_SHARE = 0.005
# Active-parameter ratios beyond this factor are shared between width and depth.
_WIDEN_BEYOND = 1.5


def _widen(base: cat.Architecture, factor: float) -> cat.Architecture:
    """``base`` with hidden size, heads and FFN widths scaled by about ``factor``.

    Heads stay whole: the KV-head count is scaled (MQA keeps one), the query group size and the
    head size are kept, and the realised factor is the one the heads allow.
    """
    heads0, kv0 = base.n_heads, base.n_kv_heads
    if kv0 <= 1:
        kv, heads = kv0, max(1, round(heads0 * factor))
    else:
        group = max(1, heads0 // kv0)
        kv = max(1, round(kv0 * factor))
        heads = kv * group
    realised = heads / heads0
    cfg = base.config
    fields: dict[str, Any] = {"num_attention_heads": heads}
    if "num_key_value_heads" in cfg:
        fields["num_key_value_heads"] = kv
    if "head_dim" not in cfg and base.attention_kind != "MLA":
        fields["head_dim"] = base.head_dim  # keep the head size the hidden/heads default gave
    fields["hidden_size"] = max(64, round(base.hidden_size * realised / 64) * 64)
    for name in _WIDTH_FIELDS:
        if isinstance(cfg.get(name), int) and cfg[name] > 0:
            fields[name] = max(1, round(cfg[name] * realised))
    return cat.with_overrides(base, **fields)


def _close(p: cat.ParamBreakdown, total: float, active: float, moe: bool) -> bool:
    tol = cat.DEFAULT_PARAMS_TOLERANCE
    ok_total = abs(p.total / total - 1) <= tol or not moe
    return ok_total and abs(p.active / active - 1) <= tol


def _tile(seq: Any, n: int) -> Any:
    if isinstance(seq, str):
        return (seq * (n // len(seq) + 1))[:n]
    return [seq[i % len(seq)] for i in range(n)]


def _tile_indices(indices: Any, old: int, n: int) -> list[int]:
    mask = set(indices)
    return [i for i in range(n) if i % old in mask]


class _Plan:
    """Builds variants of one base architecture: depth, expert count and an FFN width factor."""

    def __init__(self, base: cat.Architecture) -> None:
        self.base = base
        cfg = base.config
        self.l0 = base.n_layers
        self.layer_fields = [f for f in _LAYER_FIELDS if f in cfg] or ["num_hidden_layers"]
        self.expert_fields = [f for f in _EXPERT_FIELDS if cfg.get(f)]
        self.widths = {f: cfg[f] for f in _WIDTH_FIELDS if isinstance(cfg.get(f), int) and cfg[f] > 0}
        self._cache: dict[tuple[int, int | None, float], tuple[float, float]] = {}

    def variant(self, layers: int, experts: int | None, width: float) -> cat.Architecture:
        cfg = self.base.config
        fields: dict[str, Any] = {}
        if layers != self.l0:
            fields.update(dict.fromkeys(self.layer_fields, layers))
            for name in _PER_LAYER_SEQUENCES:
                if cfg.get(name):
                    fields[name] = _tile(cfg[name], layers)
            for name in _INDEX_LISTS:
                if cfg.get(name):
                    fields[name] = _tile_indices(cfg[name], self.l0, layers)
            k0 = cfg.get("first_k_dense_replace")
            if k0:
                fields["first_k_dense_replace"] = min(max(1, round(k0 * layers / self.l0)), layers - 1)
        if experts is not None and experts != self.base.n_experts:
            fields.update(dict.fromkeys(self.expert_fields, experts))
        if width != 1.0:
            fields.update({f: max(1, round(w * width)) for f, w in self.widths.items()})
        if not fields:
            return self.base
        arch = cat.with_overrides(self.base, **fields)
        label = (
            f"layers={layers}"
            + (f",experts={experts}" if experts is not None else "")
            + f",ffn_width_x{width:.4g}"
        )
        return dataclasses.replace(
            arch,
            id=f"{self.base.id}[resized:{label}]",
            notes=f"{self.base.id} resized to {label} (pycore.chat.scaling)",
        )

    def counts(self, layers: int, experts: int | None, width: float) -> tuple[float, float]:
        """(active, total) of a variant, cached while one resize runs."""
        key = (layers, experts, width)
        hit = self._cache.get(key)
        if hit is None:
            p = cat.parameter_breakdown(self.variant(layers, experts, width))
            hit = self._cache[key] = (float(p.active), float(p.total))
        return hit

    def width_for(self, layers: int, experts: int | None, active: float) -> float:
        """FFN width factor that gives ``active`` at this depth (parameters are linear in widths)."""
        a1 = self.counts(layers, experts, 1.0)[0]
        a2 = self.counts(layers, experts, 2.0)[0]
        return 1.0 + (active - a1) / (a2 - a1) if a2 != a1 else 1.0

    def depth_for(self, active: float, experts: int | None) -> tuple[int, float]:
        """Whole layers nearest to ``active`` at published widths, then the width that closes the gap."""
        a1 = self.counts(self.l0, experts, 1.0)[0]
        a2 = self.counts(2 * self.l0, experts, 1.0)[0]
        per_layer = (a2 - a1) / self.l0
        real = self.l0 + (active - a1) / per_layer
        options = {max(1, math.floor(real)), max(1, math.ceil(real))}
        scored = [(lay, self.width_for(lay, experts, active)) for lay in options]
        valid = [o for o in scored if o[1] > 0] or [(1, max(self.width_for(1, experts, active), 1e-3))]
        return min(valid, key=lambda o: abs(math.log(o[1])))

    def expert_counts(self, total: float, active: float) -> list[int]:
        """Expert counts either side of what matches ``total`` at published widths."""
        k, e0 = self.base.experts_per_token, self.base.n_experts
        layers, _ = self.depth_for(active, e0)
        a, t = self.counts(layers, e0, 1.0)
        per_expert = (t - a) / (e0 - k)
        real = k + (total - active) / per_expert
        return sorted({max(k + 1, math.floor(real)), max(k + 1, math.ceil(real))})

    def solve(self, experts: int, total: float, active: float) -> tuple[float, int, int, float]:
        """Depth and width matching both counts with ``experts`` routed experts.

        With the width solved for ``active`` at each depth, the total falls as depth grows (the
        experts get narrower), so a bisection on whole layers finds the crossing.
        """

        def excess(layers: int) -> tuple[float, float]:
            w = self.width_for(layers, experts, active)
            if w <= 0:
                return -math.inf, w
            return self.counts(layers, experts, w)[1] - total, w

        start = self.depth_for(active, experts)[0]
        lo, hi = start, start
        while excess(hi)[0] >= 0:
            lo, hi = hi, hi * 2
        while lo > 1 and excess(lo)[0] < 0:
            hi, lo = lo, max(1, lo // 2)
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if excess(mid)[0] >= 0:
                lo = mid
            else:
                hi = mid
        options = []
        for layers in (lo, hi):
            gap, w = excess(layers)
            if w > 0:
                options.append((abs(gap) / total, layers, experts, w))
        if not options:
            return (math.inf, 1, experts, 1.0)
        return min(options)
