"""Held-out comparison of variants of the physics roofline (formula, constants, fitting loss).

Run ``python bench/physics_variants.py [--only NAME ...] [--cv-repeats N] [--md PATH]`` from the
repository root. Every variant is fitted on training folds only and scored, like the pipeline, by
leave-one-model-out (one architecture group held out at a time; pooled MAPE and R² over every
held-out row) and by repeated grouped 5-fold CV (mean ± sd of the fold MAPEs), on the same splits
and seeds as ``promptwatt validate``. The decode step time predicted by each LOMO fit is compared
with the measured inter-token latency (a check on the constants, not a criterion). It prints a
Markdown table; ``--md`` also writes it with this docstring's context to a file.

A variant is a formula ``fn(xp, v, k) -> (Wh, step_s, decode W)`` over the same stacked inputs as
``pycore.energy.physics.energy_and_step``, a list of positive constants fitted in log space within bounds,
and a loss. Nothing here looks at which model a row is: every input is computable for any catalog
model, GPU and workload.

What the table showed (2026-11-26, 751 rows, 32 architectures): fitting squared relative error
instead of a robust log loss gains ~1.2 points of LOMO MAPE (a log fit lands on the median, which
MAPE punishes for over-estimates); once it does, the per-FLOP and per-byte energy terms and any
utilisation-dependent power add nothing (the fit sends them to their bounds), memory and compute
times that add up beat their maximum, and expert parallelism for MoE on several GPUs under vLLM 0.11
(dense weights read once per GPU, ML.ENERGY v3's TP 1 / EP = GPUs) gains another ~0.4. That
13-constant formula is what pycore.energy.physics now ships. Energy-only fits leave the step time far off
(effective constants: decode power near idle, slow streaming); a small step-time weight keeps the
constants physical (step MAPE ~40%) for ~1 point of energy MAPE. Random restarts, routing skew, a
separate all-to-all latency and a smooth max did not pay for their constants.

Second round (2026-11-26; ``--by-group`` prints each variant's LOMO error per held-out architecture
and by GPU, precision, MoE, engine, task and GPU count): with that 13-constant formula (the row "EP +
const power + rel + mem+cmp summed") 44% of the pooled error sat on B200 rows (MAPE 25%, under-predicted
on average) and 51% on MoE models; one architecture, Qwen3-Coder-480B (FP8 copies on B200 on the
fill-in-the-middle task, measured 3-7x the prediction), carried 10% alone, Qwen3-235B 17%, the rest is
spread thin. Weighting every group the same in the fit, a final MAPE-optimal global scale, input
lengths fitted within their documented ranges (FIM alone or every task), an MoE factor on decode power
and a geometric mean with the saturating-power variant did not help (18.9-20.1). A Blackwell factor on
weight-streaming efficiency alone gives 18.4 (CV 18.8) and lets the energy fit land on physical
constants (held-out step time ~30% off instead of ~400%): pycore.energy.physics now ships it (14 constants).
A factor on FP8 expert-GEMM prefill efficiency scores better still, 17.9 (CV 18.5) on Blackwell only
and 17.1 (CV 17.7) on every GPU, but it is not shipped: its fitted value (~0.07, FP8 expert prefill at
7% of the bf16 efficiency) is set mostly by one architecture's long-input FIM runs (Qwen3-Coder-480B
FP8 on B200), a kernel state of one engine version, and it multiplies the prompt's cost wherever a
deployment is FP8 MoE. On every GPU it made a 2,500-token system prompt cost ~2.9x a 300-token reply on
FP8 MoE models on H200 (0.3x before); on Blackwell only it raised the Gemini 3 Flash chat estimate
(modelled as FP8 MoE on B200) 3.7x for a first turn with its system prompt and 6.4x at a 9,500-token
context. No measured run with long inputs on those deployments supports either, and the public data
cannot separate the input effect from the output effect (input lengths are per-task estimates).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace

import numpy as np
from scipy.optimize import least_squares

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pycore.energy import physics  # noqa: E402
from pycore.energy.physics import PhysicsConstants  # noqa: E402
from pycore.training.validate import (  # noqa: E402
    leave_one_group_out,
    metrics,
    repeated_group_kfold,
    training_frame,
)

Formula = Callable[[object, SimpleNamespace, SimpleNamespace], tuple[np.ndarray, np.ndarray]]
# The 15 constants of the formula shipped before this comparison: (start, low, high).
BASE = {
    "eta_mem": (0.7, 0.05, 1.0),
    "eta_kv": (0.5, 0.02, 1.0),
    "eta_cmp": (0.4, 0.02, 1.0),
    "eta_moe": (0.2, 0.005, 1.0),
    "eta_prefill": (0.5, 0.25, 0.75),
    "eta_prefill_moe": (0.3, 0.1, 0.75),
    "static_frac": (0.4, 0.01, 1.0),
    "flop_energy": (0.5, 0.01, 3.0),
    "byte_energy": (0.5, 0.01, 3.0),
    "t_layer_s": (2e-5, 1e-7, 1e-3),
    "t_comm_s": (2e-5, 1e-7, 1e-3),
    "t_vocab_s": (1e-10, 1e-13, 1e-8),
    "old_engine_slowdown": (1.2, 0.5, 3.0),
    "fp8_moe_rel": (0.7, 0.05, 1.0),
    "old_engine_slowdown_new_gpu": (1.5, 0.5, 3.0),
}


@dataclass
class Variant:
    name: str
    fn: Formula
    params: dict[str, tuple[float, float, float]]  # name -> (start, low, high), all positive
    fixed: dict[str, float] = field(default_factory=dict)  # constants held at a value, not fitted
    loss: str = "soft_l1"
    f_scale: float = 0.3
    residual: str = "log"  # "log": ln(pred/measured); "rel": pred/measured - 1
    time_weight: float = 0.0
    power_weight: float = 0.0  # also fit the measured mean power (decode power vs the run's mean)
    starts: int = 1  # extra random starts inside the bounds (the best cost wins)
    note: str = ""
    group_weight: bool = (
        False  # every architecture group weighs the same in the fit (rows weigh 1/group size)
    )
    scale: bool = False  # then a global factor: the MAPE-optimal weighted median of measured/predicted

    def predict(self, v: SimpleNamespace, k: SimpleNamespace) -> tuple[np.ndarray, np.ndarray]:
        e, s = self.fn(np, v, k)[:2]
        return e * getattr(k, "_scale", 1.0), s

    def fit(self, v: SimpleNamespace, y: np.ndarray, step: np.ndarray) -> SimpleNamespace:
        lp = np.log(v.measured_power_w)
        names = list(self.params)
        lo = np.log([self.params[n][1] for n in names])
        hi = np.log([self.params[n][2] for n in names])
        x0 = np.log([self.params[n][0] for n in names])
        ly, ls = np.log(y), np.log(step)

        def consts(theta: np.ndarray) -> SimpleNamespace:
            return SimpleNamespace(**self.fixed, **dict(zip(names, np.exp(theta).tolist(), strict=True)))

        w = np.sqrt(v.group_w / v.group_w.mean()) if self.group_weight else 1.0

        def resid(theta: np.ndarray) -> np.ndarray:
            e, s, p = self.fn(np, v, consts(theta))
            r = w * (np.log(e) - ly if self.residual == "log" else e / y - 1.0)
            if self.time_weight:
                r = np.concatenate([r, self.time_weight * (np.log(s) - ls)])
            if self.power_weight:
                r = np.concatenate([r, self.power_weight * (np.log(p) - lp)])
            return r

        rng = np.random.default_rng(0)
        starts = [x0] + [rng.uniform(lo, hi) for _ in range(self.starts)]
        best = None
        for s in starts:
            sol = least_squares(
                resid,
                x0=np.clip(s, lo, hi),
                bounds=(lo, hi),
                loss=self.loss,
                f_scale=self.f_scale,
                max_nfev=600,
            )
            if best is None or sol.cost < best.cost:
                best = sol
        k = consts(best.x)
        if self.scale:  # argmin_c sum |c p - y| / y: the median of y/p weighted by p/y
            ratio = y / self.fn(np, v, k)[0]
            k._scale = weighted_median(ratio, 1.0 / ratio)
        return k


def weighted_median(x: np.ndarray, w: np.ndarray) -> float:
    order = np.argsort(x)
    c = np.cumsum(w[order])
    return float(x[order][np.searchsorted(c, 0.5 * c[-1])])


@dataclass
class Blend:
    """Geometric mean of two variants' predictions, each fitted on its own."""

    name: str
    a: Variant
    b: Variant
    params: tuple = ()

    def fit(self, v: SimpleNamespace, y: np.ndarray, step: np.ndarray) -> tuple:
        return self.a.fit(v, y, step), self.b.fit(v, y, step)

    def predict(self, v: SimpleNamespace, k: tuple) -> tuple[np.ndarray, np.ndarray]:
        (ea, sa), (eb, sb) = self.a.predict(v, k[0]), self.b.predict(v, k[1])
        return np.sqrt(ea * eb), np.sqrt(sa * sb)


def shipped_fn(xp, v, k):
    return (*physics.energy_and_step(xp, v, k), None)


def _get(k, name, default):
    return getattr(k, name, default)


def roofline(xp, v, k, power: str = "linear", moe: str = "uniform", prefill: str = "tdp", ep: bool = False):
    """pycore.energy.physics.energy_and_step with switchable parts (``power``, ``moe``, ``prefill``)."""
    b = xp.maximum(v.batch, 1.0)
    gpus = v.gpus
    peak_bw = gpus * v.bandwidth_gb_s * 1e9
    peak_flops = gpus * v.tflops * 1e12
    dyn_w = gpus * (v.tdp_w - v.idle_w)
    n_exp = xp.maximum(v.n_experts, 1.0)
    tokens = b
    if moe == "effective":  # routing skew: fewer distinct experts than uniform routing touches
        tokens = b ** _get(k, "moe_skew", 1.0)
    touched_share = 1.0 - (1.0 - v.experts_per_token / n_exp) ** tokens
    routed = v.routed_params * (v.n_experts > 0) * touched_share
    # vLLM 0.11 serves MoE models on several GPUs data-parallel attention + expert parallel (ML.ENERGY v3:
    # tp 1, ep = GPUs): every GPU reads its own copy of the dense weights, and no per-layer all-reduce
    ep_on = (v.n_experts > 0) * (gpus > 1) * (v.engine_generation >= 1) if ep else 0.0
    replicas = 1.0 + (gpus - 1.0) * ep_on
    weight_bytes = ((v.total_params - v.routed_params) * replicas + routed) * v.bytes_per_param
    kv_bytes = b * v.kv_bytes_per_prompt
    routed_active = v.routed_params * v.experts_per_token / n_exp * (v.n_experts > 0)
    dense_flops = b * (2.0 * (v.active_params - routed_active) + v.attn_flops_per_token)
    expert_flops = b * 2.0 * routed_active
    step_flops = dense_flops + expert_flops
    mem_s = weight_bytes / (peak_bw * k.eta_mem) + kv_bytes / (peak_bw * k.eta_kv)
    eta_moe = k.eta_moe * (1.0 + (k.fp8_moe_rel - 1.0) * v.fp8_compute)
    cmp_s = dense_flops / (peak_flops * k.eta_cmp) + expert_flops / (peak_flops * eta_moe)
    comm_s = (gpus > 1) * v.n_layers * (k.t_comm_s + 4.0 * b * v.hidden_size / (v.interconnect_gb_s * 1e9))
    if ep:  # all-to-all dispatch and combine instead of all-reduce: its own latency constant
        comm_s = comm_s * (1.0 - ep_on) + ep_on * v.n_layers * (
            _get(k, "t_a2a_s", k.t_comm_s) + 4.0 * b * v.hidden_size / (v.interconnect_gb_s * 1e9)
        )
    if _get(k, "overlap", None) is not None:  # smooth max: p-norm of memory and compute time
        q = k.overlap
        core_s = (mem_s**q + cmp_s**q) ** (1.0 / q)
    else:
        core_s = xp.maximum(mem_s, cmp_s)
    step_s = core_s + v.n_layers * k.t_layer_s + comm_s + b * v.vocab_size * k.t_vocab_s / gpus
    slowdown = k.old_engine_slowdown + (k.old_engine_slowdown_new_gpu - k.old_engine_slowdown) * (
        v.gpu_year >= 2022
    )
    step_s = step_s * (1.0 + (slowdown - 1.0) * (v.engine_generation < 1))
    moved = weight_bytes + kv_bytes
    if power == "const":  # a fixed share of the dynamic range while decoding
        step_j = (gpus * v.idle_w + dyn_w * k.static_frac) * step_s
    elif power == "linear":
        step_j = (
            (gpus * v.idle_w + dyn_w * k.static_frac) * step_s
            + k.flop_energy * dyn_w / peak_flops * step_flops
            + k.byte_energy * dyn_w / peak_bw * moved
        )
    else:  # power rises with achieved bandwidth and FLOP utilisation and saturates at TDP
        x = k.p0 + k.p_bw * moved / (step_s * peak_bw) + k.p_fl * step_flops / (step_s * peak_flops)
        sat = 1.0 - xp.exp(-x) if power == "sat_exp" else x / (1.0 + x)
        step_j = (gpus * v.idle_w + dyn_w * sat) * step_s
    decode_w = step_j / step_s
    decode_j = step_j / b * v.output_tokens
    prefill_dense = v.input_tokens * (
        2.0 * (v.active_params - routed_active) + v.prefill_attn_flops_per_token
    )
    prefill_expert = v.input_tokens * 2.0 * routed_active
    prefill_s = prefill_dense / (peak_flops * k.eta_prefill) + prefill_expert / (
        peak_flops * k.eta_prefill_moe
    )
    prefill_j = gpus * v.tdp_w * prefill_s
    return (decode_j + prefill_j) / 3600.0, step_s, decode_w


def with_params(drop: tuple[str, ...] = (), **add: tuple[float, float, float]) -> dict:
    p = {n: t for n, t in BASE.items() if n not in drop}
    p.update(add)
    return p


# the constant pycore.energy.physics gained in the 2026-11-26 round (start, low, high)
SHIPPED_NEW = dict(blackwell_mem_rel=(1.0, 0.2, 5.0))
SAT = dict(p0=(0.3, 0.01, 5.0), p_bw=(1.0, 0.01, 20.0), p_fl=(1.0, 0.01, 20.0))


def take(v: SimpleNamespace, idx: np.ndarray) -> SimpleNamespace:
    return SimpleNamespace(**{n: a[idx] for n, a in vars(v).items()})


def evaluate(
    var: Variant, v: SimpleNamespace, y: np.ndarray, step: np.ndarray, groups: np.ndarray, cv_repeats: int = 5
) -> dict[str, float]:
    oof, oof_step = np.full(len(y), np.nan), np.full(len(y), np.nan)
    for tr, te in leave_one_group_out(groups):
        k = var.fit(take(v, tr), y[tr], step[tr])
        oof[te], oof_step[te] = var.predict(take(v, te), k)
    lomo = metrics(y, oof)
    cv = []
    for tr, te in repeated_group_kfold(groups, repeats=cv_repeats):
        k = var.fit(take(v, tr), y[tr], step[tr])
        cv.append(metrics(y[te], var.predict(take(v, te), k)[0])["mape"])
    return {
        "lomo_mape": lomo["mape"],
        "lomo_r2": lomo["r2"],
        "cv_mape": float(np.mean(cv)),
        "cv_sd": float(np.std(cv, ddof=1)),
        "step_mape": float(100 * np.mean(np.abs(oof_step / step - 1))),
        "n_const": n_const(var),
        "oof": oof,
    }


def n_const(var) -> int:
    if isinstance(var, Blend):
        return n_const(var.a) + n_const(var.b)
    return len(var.params) + int(var.scale)


def load() -> tuple[SimpleNamespace, np.ndarray, np.ndarray, np.ndarray]:
    _, f = training_frame()
    f.physics_wh(PhysicsConstants())  # stacks the inputs
    a = f._arrays
    a.measured_power_w = f.rows["power_w"].to_numpy(float)  # only ever a fitting target
    # the weight of a row when every architecture group counts the same (a group is never split across folds)
    _, inverse, counts = np.unique(f.groups, return_inverse=True, return_counts=True)
    a.group_w = 1.0 / counts[inverse]
    a.moe = (a.n_experts > 0).astype(float)
    # the task of a row, only to correct its estimated input length within the documented range (a label)
    for task in TASK_RANGES:
        setattr(a, "task_" + task.replace("-", "_"), (f.rows["task"] == task).to_numpy(float))
    return a, f.y_wh, f.rows["step_s"].to_numpy(float), f.groups


# estimated input lengths (data/task_inputs.csv): multiplier bounds low/central, high/central
TASK_RANGES = {
    "code": (80 / 150, 400 / 150),
    "lm-arena-chat": (50 / 150, 600 / 150),
    "gpqa": (150 / 250, 450 / 250),
    "sourcegraph-fim": (500 / 1500, 4000 / 1500),
}


def input_params(*tasks: str) -> dict[str, tuple[float, float, float]]:
    return {"in_" + t.replace("-", "_"): (1.0, *TASK_RANGES[t]) for t in tasks}


def ext(xp, v, k):
    """pycore.energy.physics.energy_and_step with optional constants (each neutral when absent):

    ``bw_<name>``: that constant's factor on Blackwell GPUs; ``pf_fp8_moe_rel``: FP8 factor on the
    prefill expert efficiency; ``in_<task>``: effective input length / the task's central estimate.
    """
    scale_in = 1.0
    for t in TASK_RANGES:
        t = t.replace("-", "_")
        m = _get(k, "in_" + t, None)
        if m is not None:
            scale_in = scale_in + (m - 1.0) * getattr(v, "task_" + t)
    u = SimpleNamespace(**vars(v))
    if not isinstance(scale_in, float):
        ctx = v.input_tokens + v.output_tokens / 2.0
        u.input_tokens = v.input_tokens * scale_in
        u.kv_bytes_per_prompt = v.kv_bytes_per_prompt * (u.input_tokens + v.output_tokens / 2.0) / ctx
        u.attn_flops_per_token = v.attn_flops_per_token * (u.input_tokens + v.output_tokens / 2.0) / ctx
        u.prefill_attn_flops_per_token = v.prefill_attn_flops_per_token * scale_in
    kk = {"blackwell_mem_rel": 1.0, **vars(k)}  # pycore's own factors: neutral
    for name in list(kk):
        if name.startswith("bw_"):
            base = name[3:]
            kk[base] = kk[base] * (1.0 + (kk[name] - 1.0) * v.blackwell)
    if kk.get("pf_fp8_shared"):  # the decode FP8 expert factor also applies to prefill's expert GEMMs
        kk["pf_fp8_moe_rel"] = kk["fp8_moe_rel"]
    if "pf_fp8_moe_rel" in kk:
        on = v.fp8_compute * (v.blackwell if kk.get("pf_fp8_blackwell_only") else 1.0)
        kk["eta_prefill_moe"] = kk["eta_prefill_moe"] * (1.0 + (kk["pf_fp8_moe_rel"] - 1.0) * on)
    if "moe_static_rel" in kk:
        kk["static_frac"] = kk["static_frac"] * (1.0 + (kk["moe_static_rel"] - 1.0) * v.moe)
    return (*physics.energy_and_step(xp, u, SimpleNamespace(**kk)), None)


def variants() -> list[Variant | Blend]:
    lin = roofline
    sat = lambda xp, v, k: roofline(xp, v, k, power="sat")  # noqa: E731
    sat_exp = lambda xp, v, k: roofline(xp, v, k, power="sat_exp")  # noqa: E731
    no_energy = ("static_frac", "flop_energy", "byte_energy")
    return [
        Variant("previous shipped formula (soft_l1 on log error)", lin, dict(BASE)),
        Variant(
            "pycore.energy.physics now (= EP + const power + rel + summed + Blackwell eta_mem)",
            shipped_fn,
            with_params(("flop_energy", "byte_energy"), **SHIPPED_NEW),
            residual="rel",
            loss="linear",
        ),
        Variant("loss: squared log error", lin, dict(BASE), loss="linear"),
        Variant("loss: soft_l1 f=0.1 on log", lin, dict(BASE), f_scale=0.1),
        Variant("loss: soft_l1 f=1 on log", lin, dict(BASE), f_scale=1.0),
        Variant(
            "loss: soft_l1 f=0.05 on relative error (~MAPE)", lin, dict(BASE), residual="rel", f_scale=0.05
        ),
        Variant("loss: squared relative error", lin, dict(BASE), residual="rel", loss="linear"),
        Variant("fit: 4 extra random starts", lin, dict(BASE), starts=4),
        Variant("power: x/(1+x) saturating at TDP", sat, with_params(no_energy, **SAT)),
        Variant("power: 1-exp(-x) saturating at TDP", sat_exp, with_params(no_energy, **SAT)),
        Variant("power: saturating + step time w=0.3", sat, with_params(no_energy, **SAT), time_weight=0.3),
        Variant(
            "sat power + squared relative error",
            sat,
            with_params(no_energy, **SAT),
            residual="rel",
            loss="linear",
        ),
        Variant(
            "sat power + soft_l1 f=0.05 relative",
            sat,
            with_params(no_energy, **SAT),
            residual="rel",
            f_scale=0.05,
        ),
        Variant(
            "sat power + rel + smooth max (p-norm)",
            lambda xp, v, k: roofline(xp, v, k, power="sat"),
            with_params(no_energy, **SAT, overlap=(4.0, 1.0, 20.0)),
            residual="rel",
            loss="linear",
        ),
        Variant(
            "sat power + rel + MoE routing skew",
            lambda xp, v, k: roofline(xp, v, k, power="sat", moe="effective"),
            with_params(no_energy, **SAT, moe_skew=(0.8, 0.2, 1.0)),
            residual="rel",
            loss="linear",
        ),
        Variant(
            "EP for MoE on new engine + rel",
            lambda xp, v, k: roofline(xp, v, k, ep=True),
            dict(BASE),
            residual="rel",
            loss="linear",
        ),
        Variant(
            "EP + sat power + rel",
            lambda xp, v, k: roofline(xp, v, k, power="sat", ep=True),
            with_params(no_energy, **SAT),
            residual="rel",
            loss="linear",
        ),
        Variant(
            "EP + sat power + rel + smooth max",
            lambda xp, v, k: roofline(xp, v, k, power="sat", ep=True),
            with_params(no_energy, **SAT, overlap=(4.0, 1.0, 20.0)),
            residual="rel",
            loss="linear",
        ),
        Variant(
            "EP + const power + rel + mem+cmp summed",
            lambda xp, v, k: roofline(xp, v, k, power="const", ep=True),
            with_params(("flop_energy", "byte_energy")),
            fixed=dict(overlap=1.0),
            residual="rel",
            loss="linear",
        ),
        Variant(
            "const power + rel + mem+cmp summed",
            lambda xp, v, k: roofline(xp, v, k, power="const"),
            with_params(("flop_energy", "byte_energy")),
            fixed=dict(overlap=1.0),
            residual="rel",
            loss="linear",
        ),
        Variant(
            "EP + own a2a latency + sat + rel + smooth max",
            lambda xp, v, k: roofline(xp, v, k, power="sat", ep=True),
            with_params(no_energy, **SAT, overlap=(4.0, 1.0, 20.0), t_a2a_s=(2e-5, 1e-7, 1e-3)),
            residual="rel",
            loss="linear",
        ),
        Variant(
            "EP + power at TDP + rel + summed",
            lambda xp, v, k: roofline(xp, v, k, power="const", ep=True),
            with_params(("flop_energy", "byte_energy", "static_frac")),
            fixed=dict(overlap=1.0, static_frac=1.0),
            residual="rel",
            loss="linear",
        ),
        Variant(
            "EP + power at idle+half + rel + summed",
            lambda xp, v, k: roofline(xp, v, k, power="const", ep=True),
            with_params(("flop_energy", "byte_energy", "static_frac")),
            fixed=dict(overlap=1.0, static_frac=0.5),
            residual="rel",
            loss="linear",
        ),
        Variant(
            "EP + const power + rel + summed + step w=0.1",
            lambda xp, v, k: roofline(xp, v, k, power="const", ep=True),
            with_params(("flop_energy", "byte_energy")),
            fixed=dict(overlap=1.0),
            residual="rel",
            loss="linear",
            time_weight=0.1,
        ),
        Variant(
            "EP + sat power + rel + summed + step w=0.1 + power w=0.1",
            lambda xp, v, k: roofline(xp, v, k, power="sat", ep=True),
            with_params(no_energy, **SAT),
            fixed=dict(overlap=1.0),
            residual="rel",
            loss="linear",
            time_weight=0.1,
            power_weight=0.1,
        ),
        Variant(
            "EP + sat power + rel + summed",
            lambda xp, v, k: roofline(xp, v, k, power="sat", ep=True),
            with_params(no_energy, **SAT),
            fixed=dict(overlap=1.0),
            residual="rel",
            loss="linear",
        ),
        Variant(
            "EP + linear power + rel + summed",
            lambda xp, v, k: roofline(xp, v, k, ep=True),
            dict(BASE),
            fixed=dict(overlap=1.0),
            residual="rel",
            loss="linear",
        ),
        Variant(
            "EP + linear power + rel + summed + step w=0.1 + power w=0.1",
            lambda xp, v, k: roofline(xp, v, k, ep=True),
            dict(BASE),
            fixed=dict(overlap=1.0),
            residual="rel",
            loss="linear",
            time_weight=0.1,
            power_weight=0.1,
        ),
        Variant(
            "EP + const power + rel + summed + step w=0.03",
            lambda xp, v, k: roofline(xp, v, k, power="const", ep=True),
            with_params(("flop_energy", "byte_energy")),
            fixed=dict(overlap=1.0),
            residual="rel",
            loss="linear",
            time_weight=0.03,
        ),
        Variant(
            "sat power + rel + step time w=0.3",
            sat,
            with_params(no_energy, **SAT),
            residual="rel",
            loss="linear",
            time_weight=0.3,
        ),
        *new_variants(),
    ]


def new_variants() -> list[Variant | Blend]:
    """The 2026-11-26 round: fit weighting, a final scale, Blackwell constants, input-length labels, blends."""
    now = with_params(("flop_energy", "byte_energy"))
    rel = dict(residual="rel", loss="linear")

    def v(name: str, **add) -> Variant:
        extra = {"bw_" + n: (1.0, 0.2, 5.0) for n in add.pop("bw", ())}
        extra.update(add.pop("params", {}))
        return Variant(name, ext, {**now, **extra}, **rel, **add)

    shipped = v("shipped")
    sat = Variant(
        "sat",
        lambda xp, v_, k: roofline(xp, v_, k, power="sat", ep=True),
        with_params(("static_frac", "flop_energy", "byte_energy"), **SAT),
        fixed=dict(overlap=1.0),
        **rel,
    )
    return [
        v("now + every group weighs the same in the fit", group_weight=True),
        v("now + final MAPE-optimal global scale", scale=True),
        v("now + group weights + final scale", group_weight=True, scale=True),
        v("now + Blackwell factor on eta_kv", bw=("eta_kv",)),
        v("now + Blackwell factor on eta_mem", bw=("eta_mem",)),
        v("now + Blackwell factor on decode power", bw=("static_frac",)),
        v("now + Blackwell factor on eta_moe", bw=("eta_moe",)),
        v("now + Blackwell factor on eta_prefill, eta_prefill_moe", bw=("eta_prefill", "eta_prefill_moe")),
        v(
            "now + Blackwell factors on eta_mem, eta_kv, decode power",
            bw=("eta_mem", "eta_kv", "static_frac"),
        ),
        v("now + FP8 factor on prefill expert efficiency", params=dict(pf_fp8_moe_rel=(1.0, 0.05, 1.0))),
        v("now + decode's FP8 expert factor also on prefill", fixed=dict(pf_fp8_shared=1.0)),
        v(
            "now + FP8 prefill expert factor + Blackwell eta_mem",
            bw=("eta_mem",),
            params=dict(pf_fp8_moe_rel=(1.0, 0.05, 1.0)),
        ),
        v(
            "now + FP8 prefill expert factor + Blackwell eta_mem, prefill",
            bw=("eta_mem", "eta_prefill", "eta_prefill_moe"),
            params=dict(pf_fp8_moe_rel=(1.0, 0.05, 1.0)),
        ),
        v(
            "now + FP8 prefill expert factor + Blackwell eta_mem, decode power",
            bw=("eta_mem", "static_frac"),
            params=dict(pf_fp8_moe_rel=(1.0, 0.05, 1.0)),
        ),
        v(
            "now + FP8 prefill expert factor on Blackwell only + Blackwell eta_mem",
            bw=("eta_mem",),
            params=dict(pf_fp8_moe_rel=(1.0, 0.05, 1.0)),
            fixed=dict(pf_fp8_blackwell_only=1.0),
        ),
        v(
            "now + FP8 prefill expert factor + Blackwell eta_mem + group weights",
            bw=("eta_mem",),
            params=dict(pf_fp8_moe_rel=(1.0, 0.05, 1.0)),
            group_weight=True,
        ),
        v(
            "now + FP8 prefill expert factor + Blackwell eta_mem + final scale",
            bw=("eta_mem",),
            params=dict(pf_fp8_moe_rel=(1.0, 0.05, 1.0)),
            scale=True,
        ),
        v(
            "now + FP8 prefill expert factor + Blackwell eta_mem + FIM input length",
            bw=("eta_mem",),
            params=dict(pf_fp8_moe_rel=(1.0, 0.05, 1.0), **input_params("sourcegraph-fim")),
        ),
        v(
            "now + FP8 prefill expert factor + group weights",
            params=dict(pf_fp8_moe_rel=(1.0, 0.05, 1.0)),
            group_weight=True,
        ),
        v("now + MoE factor on decode power", params=dict(moe_static_rel=(1.0, 0.2, 5.0))),
        v("now + FIM input length fitted in its range", params=input_params("sourcegraph-fim")),
        v("now + every estimated input length fitted in its range", params=input_params(*TASK_RANGES)),
        Blend("geometric mean: now and EP + sat power + summed", shipped, sat),
    ]


def by_group(oof: np.ndarray, y: np.ndarray, rows, groups: np.ndarray) -> list[str]:
    """Per held-out architecture group: where the pooled LOMO error comes from (sorted by its share)."""
    rel = np.abs(oof / y - 1.0)
    total = rel.sum()
    out = [
        "| group (a model of it) | rows | share of pooled error % | MAPE % | mean ln(pred/meas) | GPU | precision "
        "| MoE | engine | task |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    stats = []
    for g in np.unique(groups):
        m = groups == g
        r = rows[m]
        moe = "MoE" if _is_moe(r["arch_model_id"].iloc[0]) else "dense"
        stats.append(
            (
                rel[m].sum() / total,
                r["arch_model_id"].iloc[0].split("/")[-1],
                int(m.sum()),
                100 * rel[m].mean(),
                float(np.mean(np.log(oof[m] / y[m]))),
                _cell(r, "gpu"),
                _cell(r, "precision"),
                moe,
                _cell(r, "engine"),
                _cell(r, "task"),
            )
        )
    for st in sorted(stats, reverse=True):
        out.append(
            f"| {st[1]} | {st[2]} | {100 * st[0]:.1f} | {st[3]:.1f} | {st[4]:+.3f} | "
            + " | ".join(st[5:])
            + " |"
        )
    return out


def _cell(r, col: str) -> str:
    vc = r[col].value_counts()
    return " ".join(f"{k}:{n}" for k, n in vc.items()) if len(vc) > 1 else str(vc.index[0])


def _is_moe(model_id: str) -> bool:
    from pycore.energy import catalog

    return bool(catalog.load_catalog().get(model_id).is_moe)


def breakdown(oof: np.ndarray, y: np.ndarray, rows) -> list[str]:
    """Pooled LOMO MAPE and mean signed log error by one column at a time."""
    rel, lr = np.abs(oof / y - 1.0), np.log(oof / y)
    rows = rows.assign(moe=rows["arch_model_id"].map(lambda m: "MoE" if _is_moe(m) else "dense"))
    out = [
        "| column | value | rows | MAPE % | mean ln(pred/meas) | share of pooled error % |",
        "|---|---|---|---|---|---|",
    ]
    for col in ("gpu", "precision", "moe", "engine", "task", "gpu_count"):
        for val in sorted(rows[col].astype(str).unique()):
            m = (rows[col].astype(str) == val).to_numpy()
            out.append(
                f"| {col} | {val} | {int(m.sum())} | {100 * rel[m].mean():.1f} | {lr[m].mean():+.3f} | "
                f"{100 * rel[m].sum() / rel.sum():.1f} |"
            )
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", nargs="*", help="substrings of variant names to run")
    ap.add_argument("--cv-repeats", type=int, default=5)
    ap.add_argument("--md", type=Path)
    ap.add_argument(
        "--by-group",
        action="store_true",
        help="also print each variant's LOMO error per held-out architecture group and by column",
    )
    args = ap.parse_args()
    v, y, step, groups = load()
    rows_df = training_frame()[1].rows if args.by_group else None
    k = SimpleNamespace(**PhysicsConstants().as_dict(), overlap=1.0)  # the switchable copy matches pycore
    np.testing.assert_allclose(
        roofline(np, v, k, power="const", ep=True)[0], physics.energy_and_step(np, v, k)[0], rtol=1e-12
    )
    rows: list[str] = []
    header = [
        "| variant | constants | LOMO pooled MAPE % | LOMO pooled R² | CV MAPE % ± sd | step-time MAPE % |",
        "|---|---|---|---|---|---|",
    ]
    for var in variants():
        if args.only and not any(s in var.name for s in args.only):
            continue
        t0 = time.time()
        r = evaluate(var, v, y, step, groups, args.cv_repeats)
        rows.append(
            f"| {var.name} | {r['n_const']} | {r['lomo_mape']:.1f} | {r['lomo_r2']:.3f} | "
            f"{r['cv_mape']:.1f} ± {r['cv_sd']:.1f} | {r['step_mape']:.0f} |"
        )
        print(rows[-1], f"({time.time() - t0:.0f} s)", flush=True)
        if args.by_group:
            print(
                "\n".join(
                    ["", *by_group(r["oof"], y, rows_df, groups), "", *breakdown(r["oof"], y, rows_df), ""]
                )
            )
    if args.md:
        intro = __doc__.split("\n\n", 1)[1]
        args.md.write_text(
            "# Physics roofline variants\n\nGenerated by `python bench/physics_variants.py --md "
            f"{args.md}`; do not edit by hand.\n\n{intro}\n" + "\n".join(header + rows) + "\n",
            encoding="utf-8",
        )


if __name__ == "__main__":
    main()
