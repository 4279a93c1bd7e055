"""Turns the tidy measurement table into the arrays the models train on.

Features come from the same pycore code the browser runs, so training and inference cannot
drift apart. The measured mean batch is used as is: it is what the engine really ran.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .. import catalog as cat
from .. import features as ft
from ..hardware import GPU, load_gpus
from ..physics import PhysicsConstants, Shape
from ..physics import estimate as physics_estimate
from ..workload import Workload


@dataclass
class Frame:
    rows: pd.DataFrame  # the tidy rows used, in order
    X: np.ndarray  # Table V features (pycore.features.FEATURES order)
    y_wh: np.ndarray  # measured energy per prompt
    groups: np.ndarray  # architecture group of each row (CV never splits a group)
    shapes: list[Shape]
    gpus: list[GPU]
    workloads: list[Workload]

    _arrays: dict[str, np.ndarray] | None = None

    def physics_wh(self, k: PhysicsConstants) -> np.ndarray:
        """pycore.physics.estimate for every row at once (numpy; a test pins it to the scalar code)."""
        a = self._arrays if self._arrays is not None else self._physics_arrays()
        self._arrays = a
        b = np.maximum(a["batch"], 1.0)
        bandwidth = a["gpus"] * a["bw"] * 1e9 * k.eta_mem
        flops = a["gpus"] * a["tflops"] * 1e12 * k.eta_cmp
        touched = np.where(a["n_exp"] > 0, a["n_exp"] * (1.0 - (1.0 - a["k_exp"] / np.maximum(a["n_exp"], 1)) ** b), 0.0)
        routed = np.where(a["n_exp"] > 0, a["routed"] * touched / np.maximum(a["n_exp"], 1), 0.0)
        weights = (a["total"] - a["routed"] + routed) * a["bpp"]
        mem_s = (weights + b * a["kv"]) / bandwidth
        cmp_s = b * (2.0 * a["active"] + a["attn"]) / flops
        overhead = a["layers"] * (k.t_layer_s + np.where(a["gpus"] > 1, k.t_comm_s, 0.0))
        step = np.maximum(mem_s, cmp_s) + overhead
        power = a["gpus"] * (a["idle"] + (a["tdp"] - a["idle"]) * k.power_frac)
        decode_j = power * step / b * a["out"]
        prefill_j = a["gpus"] * a["tdp"] * a["inp"] * (2.0 * a["active"] + a["pattn"]) / flops
        return (decode_j + prefill_j) / 3600.0

    def _physics_arrays(self) -> dict[str, np.ndarray]:
        cols: dict[str, list[float]] = {n: [] for n in (
            "batch", "gpus", "bw", "tflops", "n_exp", "k_exp", "routed", "total", "active", "bpp", "kv", "attn",
            "pattn", "layers", "idle", "tdp", "out", "inp")}
        for s, g, w in zip(self.shapes, self.gpus, self.workloads, strict=True):
            vals = (w.batch, w.gpus, g.bandwidth_gb_s, g.tflops(w.precision), s.n_experts, s.experts_per_token,
                    s.routed_params, s.total_params, s.active_params, s.bytes_per_param, s.kv_bytes_per_prompt,
                    s.attn_flops_per_token, s.prefill_attn_flops_per_token, s.n_layers, g.idle_w, g.tdp_w,
                    w.output_tokens, w.input_tokens)
            for name, v in zip(cols, vals, strict=True):
                cols[name].append(float(v))
        return {n: np.array(v) for n, v in cols.items()}

    def physics_wh_scalar(self, k: PhysicsConstants) -> np.ndarray:
        return np.array([
            physics_estimate(s, g, w.gpus, w.precision, w.input_tokens, w.output_tokens, w.batch, k).energy_wh
            for s, g, w in zip(self.shapes, self.gpus, self.workloads, strict=True)
        ])

    def subset(self, idx: np.ndarray) -> Frame:
        return Frame(self.rows.iloc[idx].reset_index(drop=True), self.X[idx], self.y_wh[idx], self.groups[idx],
                     [self.shapes[i] for i in idx], [self.gpus[i] for i in idx], [self.workloads[i] for i in idx])


def architecture_group(arch: cat.Architecture) -> str:
    """Checkpoints of one architecture (instruct/thinking/coder copies, FP8 copies) form one group."""
    c = arch.config
    sig = (arch.n_layers, arch.hidden_size, arch.intermediate_size, arch.n_heads, arch.n_kv_heads,
           arch.n_experts if arch.is_moe else 0, arch.expert_intermediate_size if arch.is_moe else 0,
           arch.vocab_size, c.get("model_type"))
    return hashlib.sha1(repr(sig).encode()).hexdigest()[:10]


def build(df: pd.DataFrame) -> Frame:
    catalog, gpus = cat.load_catalog(), load_gpus()
    X, shapes, gpu_list, workloads, groups = [], [], [], [], []
    for r in df.itertuples(index=False):
        arch = catalog.get(r.arch_model_id)
        gpu = gpus.get(r.gpu)
        w = Workload(float(r.input_tokens), float(r.output_tokens), float(r.batch), int(r.gpu_count), r.precision)
        dep = ft.deployment(arch, gpu, w.gpus, w.precision)
        sh = ft.shape(arch, w)
        X.append(ft.vector(ft.static_features(arch, gpu, w.gpus, w.precision, dep), ft.workload_features(sh, w, w.batch)))
        shapes.append(sh)
        gpu_list.append(gpu)
        workloads.append(w)
        groups.append(architecture_group(arch))
    return Frame(df.reset_index(drop=True), np.array(X, dtype=float), df["energy_wh"].to_numpy(float),
                 np.array(groups), shapes, gpu_list, workloads)


def data_hash(df: pd.DataFrame) -> str:
    """SHA-256 of the training rows as CSV: the artefact records which data it saw."""
    return hashlib.sha256(df.to_csv(index=False, float_format="%.10g").encode()).hexdigest()
