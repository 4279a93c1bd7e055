"""Held-out validation that cannot leak: a group is an architecture, never split across folds.

Repeated grouped 5-fold x 5 cross-validation (Table II style), leave-one-model-out (Table III
style, for every model rather than one), the paper's varying-prompt-size check (Fig. 12) on
ML.ENERGY v3's output-length histograms, and an external look at JouleBench.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GroupKFold, LeaveOneGroupOut

from pycore.training import dataset
from pycore.training.frame import Frame, build
from pycore.training.models import SEED, EnergyModel, all_models

Split = tuple[np.ndarray, np.ndarray]


def metrics(y: np.ndarray, p: np.ndarray) -> dict[str, float]:
    err = p - y
    ss_res = float(np.sum(err**2))
    ss_tot = float(np.sum((y - y.mean()) ** 2))
    return {
        "rmse": float(np.sqrt(np.mean(err**2))),
        "r2": 1.0 - ss_res / ss_tot if ss_tot > 0 else float("nan"),
        "mae": float(np.mean(np.abs(err))),
        "mape": float(100.0 * np.mean(np.abs(err) / y)),
    }


def repeated_group_kfold(groups: np.ndarray, n_splits: int = 5, repeats: int = 5) -> Iterator[Split]:
    for r in range(repeats):
        yield from GroupKFold(n_splits=n_splits, shuffle=True, random_state=SEED + r).split(
            groups, groups=groups
        )


def leave_one_group_out(groups: np.ndarray) -> Iterator[Split]:
    yield from LeaveOneGroupOut().split(groups, groups=groups)


@dataclass
class Result:
    name: str
    fold_metrics: list[dict[str, float]]
    oof: np.ndarray  # out-of-fold predictions (LOMO: every row predicted exactly once)

    def summary(self) -> dict[str, float]:
        out: dict[str, float] = {}
        for key in ("rmse", "r2", "mae", "mape"):
            vals = np.array([m[key] for m in self.fold_metrics])
            out[key] = float(np.nanmean(vals))
            out[key + "_sd"] = float(np.nanstd(vals, ddof=1)) if len(vals) > 1 else 0.0
        return out


def run(models: list[EnergyModel], frame: Frame, splits: list[Split], log=print) -> list[Result]:
    # Baselines that do not converge on a fold are still scored as they are; silence the noise.
    warnings.filterwarnings("ignore", category=ConvergenceWarning)
    results = []
    for model in models:
        t0 = time.time()
        folds, oof = [], np.full(len(frame.y_wh), np.nan)
        for train, test in splits:
            fitted = type(model)(**{k: v for k, v in vars(model).items() if k not in ("est",)}).fit(
                frame.subset(train)
            )
            pred = fitted.predict(frame.subset(test))
            oof[test] = pred
            folds.append(metrics(frame.y_wh[test], pred))
        results.append(Result(model.name, folds, oof))
        log(f"  {model.name:<40} {time.time() - t0:6.1f}s  MAPE {results[-1].summary()['mape']:6.1f}%")
    return results


def pooled(result: Result, frame: Frame) -> dict[str, float]:
    return metrics(frame.y_wh, result.oof)


def step_time_lomo(model: EnergyModel, frame: Frame) -> dict[str, float]:
    """Held-out error of a physics model's decode step time against the measured inter-token latency.

    Not a selection criterion: it shows whether the fitted constants describe the GPUs' timing
    or only fit energy.
    """
    measured = frame.rows["step_s"].to_numpy(float)
    pred = np.full(len(measured), np.nan)
    for train, test in leave_one_group_out(frame.groups):
        fitted = type(model)(**{k: v for k, v in vars(model).items() if k != "est"}).fit(frame.subset(train))
        pred[test] = fitted.predict_step(frame)[test]
    return {
        "mape": float(100.0 * np.mean(np.abs(pred / measured - 1.0))),
        "median_ape": float(100.0 * np.median(np.abs(pred / measured - 1.0))),
    }


def histogram_rows(frame: Frame, idx: int) -> tuple[pd.DataFrame, float, int]:
    """One pseudo-row per output-length bin of a v3 configuration, with the bin's count as weight."""
    r = frame.rows.iloc[idx]
    edges, counts = dataset.output_histogram(
        r.hist_ref, r.batch, r.gpu, int(r.gpu_count), int(r.max_num_seqs)
    )
    rows = []
    for lo, hi, n in zip(edges[:-1], edges[1:], counts, strict=True):
        if n:
            row = r.copy()
            row["output_tokens"] = (lo + hi) / 2.0
            row["weight"] = n
            rows.append(row)
    n_total = int(sum(counts))
    return pd.DataFrame(rows), float(r.energy_wh) * n_total, n_total


def varying_prompt_sizes(model: EnergyModel, frame: Frame, log=print) -> dict[str, object]:
    """Fig. 12: predict each output-length bin of a held-out model's run, sum, compare to the total."""
    has_hist = frame.rows["hist_ref"].fillna("").astype(str).str.len() > 0
    measured, predicted, per_prompt = [], [], []
    for train, test in leave_one_group_out(frame.groups):
        test = np.array([i for i in test if has_hist.iloc[i]])
        if not len(test):
            continue
        fitted = type(model)(**{k: v for k, v in vars(model).items() if k != "est"}).fit(frame.subset(train))
        for i in test:
            bins, total, n = histogram_rows(frame, i)
            pred = fitted.predict(build(bins.drop(columns=["weight"])))
            predicted.append(float(np.sum(pred * bins["weight"].to_numpy())))
            measured.append(total)
            per_prompt.append(n)
    m, p, n = np.array(measured), np.array(predicted), np.array(per_prompt)
    out = metrics(m, p)
    out_pp = metrics(m / n, p / n)
    log(f"  varying prompt sizes: {len(m)} runs, MAPE {out['mape']:.1f}%, R2 {out['r2']:.3f}")
    return {
        "runs": int(len(m)),
        "prompts": int(n.sum()),
        "total": out,
        "per_prompt": out_pp,
        "measured_wh": m.tolist(),
        "predicted_wh": p.tolist(),
    }


def external_joulebench(model: EnergyModel, train: Frame, df: pd.DataFrame) -> dict[str, object]:
    """How far a different engine (HF transformers ``generate``) sits from our vLLM-trained model.

    JouleBench publishes energy net of idle; the model predicts gross GPU energy (what NVML's
    counter sees), so the comparison uses JouleBench's gross figure (mean power / throughput).
    """
    jb = df[df["source"] == "joulebench"].reset_index(drop=True)
    f = build(jb)
    pred = model.fit(train).predict(f)
    gross = jb["energy_wh_gross"].to_numpy(float)
    ratio = gross / pred
    by_batch = {
        int(b): float(np.median(ratio[jb["batch"].to_numpy() == b])) for b in sorted(jb["batch"].unique())
    }
    return {
        "rows": int(len(jb)),
        "median_measured_over_predicted": float(np.median(ratio)),
        "median_net_over_predicted": float(np.median(f.y_wh / pred)),
        "by_batch": by_batch,
        **{f"{k}": v for k, v in metrics(gross, pred).items()},
    }


def training_frame(df: pd.DataFrame | None = None) -> tuple[pd.DataFrame, Frame]:
    df = dataset.load() if df is None else df
    train_df = df[df["use"] == "train"].reset_index(drop=True)
    return df, build(train_df)


def validate(models: list[EnergyModel] | None = None, repeats: int = 5, log=print) -> dict[str, object]:
    df, frame = training_frame()
    models = models or all_models()
    log(f"training rows: {len(frame.y_wh)}, architecture groups: {len(set(frame.groups))}")
    log(f"repeated grouped 5-fold x {repeats} CV:")
    cv = run(models, frame, list(repeated_group_kfold(frame.groups, repeats=repeats)), log)
    log("leave one model (architecture) out:")
    lomo = run(models, frame, list(leave_one_group_out(frame.groups)), log)
    return {"df": df, "frame": frame, "models": models, "cv": cv, "lomo": lomo}
