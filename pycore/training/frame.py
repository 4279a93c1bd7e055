"""Turns the tidy measurement table into the arrays the models train on.

Features come from the same pycore code the browser runs, so training and inference cannot
drift apart. The measured mean batch is used as is: it is what the engine really ran.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from types import SimpleNamespace

import numpy as np
import pandas as pd

from pycore.energy import catalog as cat
from pycore.energy import features as ft
from pycore.energy import physics
from pycore.energy.hardware import GPU, load_gpus
from pycore.energy.physics import PhysicsConstants, Shape
from pycore.energy.workload import Workload, default_engine, engines


@dataclass
class Frame:
    rows: pd.DataFrame  # the tidy rows used, in order
    X: np.ndarray  # Table V features (pycore.energy.features.FEATURES order)
    y_wh: np.ndarray  # measured energy per prompt
    groups: np.ndarray  # architecture group of each row (CV never splits a group)
    shapes: list[Shape]
    gpus: list[GPU]
    workloads: list[Workload]

    _arrays: SimpleNamespace | None = None

    def physics_wh(self, k: PhysicsConstants) -> np.ndarray:
        """pycore.energy.physics.energy_wh for every row at once: the same formula, on numpy arrays."""
        if self._arrays is None:
            rows = [
                physics.inputs(
                    s,
                    g,
                    w.gpus,
                    w.precision,
                    w.input_tokens,
                    w.output_tokens,
                    w.batch,
                    engines()[w.engine]["generation"],
                )
                for s, g, w in zip(self.shapes, self.gpus, self.workloads, strict=True)
            ]
            self._arrays = SimpleNamespace(**{n: np.array([r[n] for r in rows]) for n in rows[0]})
        return physics.energy_wh(np, self._arrays, k)

    def physics_wh_scalar(self, k: PhysicsConstants) -> np.ndarray:
        """The browser's scalar path, row by row (a test pins the two together)."""
        return np.array(
            [
                physics.estimate(
                    s,
                    g,
                    w.gpus,
                    w.precision,
                    w.input_tokens,
                    w.output_tokens,
                    w.batch,
                    k,
                    engines()[w.engine]["generation"],
                )
                for s, g, w in zip(self.shapes, self.gpus, self.workloads, strict=True)
            ]
        )

    def subset(self, idx: np.ndarray) -> Frame:
        return Frame(
            self.rows.iloc[idx].reset_index(drop=True),
            self.X[idx],
            self.y_wh[idx],
            self.groups[idx],
            [self.shapes[i] for i in idx],
            [self.gpus[i] for i in idx],
            [self.workloads[i] for i in idx],
        )


def architecture_group(arch: cat.Architecture) -> str:
    """Checkpoints of one architecture (instruct/thinking/coder copies, FP8 copies) form one group."""
    c = arch.config
    sig = (
        arch.n_layers,
        arch.hidden_size,
        arch.intermediate_size,
        arch.n_heads,
        arch.n_kv_heads,
        arch.n_experts if arch.is_moe else 0,
        arch.expert_intermediate_size if arch.is_moe else 0,
        arch.vocab_size,
        c.get("model_type"),
    )
    return hashlib.sha1(repr(sig).encode()).hexdigest()[:10]


def build(df: pd.DataFrame) -> Frame:
    catalog, gpus = cat.load_catalog(), load_gpus()
    X, shapes, gpu_list, workloads, groups = [], [], [], [], []
    for r in df.itertuples(index=False):
        arch = catalog.get(r.arch_model_id)
        gpu = gpus.get(r.gpu)
        engine = r.engine if r.engine in engines() else default_engine()
        w = Workload(
            float(r.input_tokens),
            float(r.output_tokens),
            float(r.batch),
            int(r.gpu_count),
            r.precision,
            engine,
        )
        dep = ft.placement(arch, gpu, w.gpus, w.precision)
        sh = ft.shape(arch, w)
        X.append(
            ft.vector(
                ft.static_features(arch, gpu, w.gpus, w.precision, dep), ft.workload_features(sh, w, w.batch)
            )
        )
        shapes.append(sh)
        gpu_list.append(gpu)
        workloads.append(w)
        groups.append(architecture_group(arch))
    return Frame(
        df.reset_index(drop=True),
        np.array(X, dtype=float),
        df["energy_wh"].to_numpy(float),
        np.array(groups),
        shapes,
        gpu_list,
        workloads,
    )


def data_hash(df: pd.DataFrame) -> str:
    """SHA-256 of the training rows as CSV: the artefact records which data it saw."""
    return hashlib.sha256(df.to_csv(index=False, float_format="%.10g").encode()).hexdigest()
