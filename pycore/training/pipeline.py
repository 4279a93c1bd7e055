"""`promptwatt train` and `promptwatt validate`: compare, choose by held-out error, export, report."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pycore.energy import catalog as cat
from pycore.training import export, report
from pycore.training.frame import Frame, data_hash
from pycore.training.models import EnergyModel, Physics, PhysicsTrees, all_models
from pycore.training.validate import (
    Result,
    external_joulebench,
    pooled,
    step_time_lomo,
    validate,
    varying_prompt_sizes,
)

REPO = Path(__file__).resolve().parents[2]
ARTEFACT_PATH = REPO / "assets" / "energy_model.json"
REPORTS = REPO / "reports"
EXPORTABLE = (Physics, PhysicsTrees)
INTERVAL_COVERAGE = 0.8


def _table(results: list[Result], frame, kind: str) -> list[dict]:
    rows = []
    for r in results:
        row = {"model": r.name, **r.summary()}
        if kind == "lomo":
            row.update({f"pooled_{k}": v for k, v in pooled(r, frame).items()})
        rows.append(row)
    return rows


def choose(models: list[EnergyModel], lomo: list[Result], frame) -> tuple[int, str]:
    """The exportable model with the lowest pooled leave-one-model-out MAPE."""
    scores = [
        (pooled(r, frame)["mape"], i)
        for i, (m, r) in enumerate(zip(models, lomo, strict=True))
        if isinstance(m, EXPORTABLE)
    ]
    best, i = min(scores)
    overall = min(pooled(r, frame)["mape"] for r in lomo)
    why = (
        f"lowest pooled leave-one-model-out MAPE among exportable models ({best:.2f}%); "
        f"lowest of all {len(models)} compared: {overall:.2f}%"
    )
    return i, why


def interval(result: Result, frame, coverage: float = INTERVAL_COVERAGE) -> dict:
    """Central held-out interval of ln(measured/predicted): the range every estimate carries."""
    logr = np.log(frame.y_wh / result.oof)
    lo, hi = np.quantile(logr, [(1 - coverage) / 2, 1 - (1 - coverage) / 2])
    inside = float(np.mean((logr >= lo) & (logr <= hi)))
    return {
        "log_low": float(lo),
        "log_high": float(hi),
        "coverage": coverage,
        "empirical_coverage": inside,
        "basis": "quantiles of ln(measured/predicted) over leave-one-model-out predictions",
    }


def quick_models() -> list[EnergyModel]:
    """A smoke-test set: one baseline and the candidate with a small forest."""
    from sklearn.ensemble import RandomForestRegressor

    from pycore.training.models import EcoLogits, monotone_vector

    def small_forest() -> RandomForestRegressor:
        return RandomForestRegressor(
            n_estimators=10,
            min_samples_leaf=3,
            max_features=0.5,
            monotonic_cst=monotone_vector(),
            random_state=0,
        )

    return [EcoLogits(), PhysicsTrees(name="Physics-informed forest (quick)", factory=small_forest)]


@dataclass
class TrainResult:
    summary: dict
    artefact: dict
    model: EnergyModel  # the chosen model, fitted on every training row
    frame: Frame


def train(
    repeats: int = 5,
    out: Path | None = ARTEFACT_PATH,
    reports: Path = REPORTS,
    models: list[EnergyModel] | None = None,
    log=print,
    quick: bool = False,
) -> TrainResult:
    """Compare every model on the same splits, choose by held-out error, export (unless ``out`` is None)."""
    if quick:
        models, repeats = quick_models(), 1
    extra_checks = not quick
    v = validate(models or all_models(), repeats=repeats, log=log)
    df, frame, models, cv, lomo = v["df"], v["frame"], v["models"], v["cv"], v["lomo"]
    i, why = choose(models, lomo, frame)
    chosen = models[i]
    log(f"chosen: {chosen.name} — {why}")
    summary = {
        "training_rows": int(len(frame.y_wh)),
        "architecture_groups": int(len(set(frame.groups))),
        "cv": _table(cv, frame, "cv"),
        "lomo": _table(lomo, frame, "lomo"),
        "chosen": chosen.name,
        "chosen_because": why,
        "lomo_mape": pooled(lomo[i], frame)["mape"],
        "lomo_r2": pooled(lomo[i], frame)["r2"],
        "lomo_rmse": pooled(lomo[i], frame)["rmse"],
        "lomo_mae": pooled(lomo[i], frame)["mae"],
        "cv_mape": cv[i].summary()["mape"],
        "cv_r2": cv[i].summary()["r2"],
    }
    if extra_checks:
        summary["step_time_lomo"] = {
            m.name: step_time_lomo(m, frame) for m in models if isinstance(m, Physics)
        }
        for name, st in summary["step_time_lomo"].items():
            log(f"  decode step time, {name}: held-out MAPE {st['mape']:.1f}%")
        log("varying prompt sizes (Fig. 12), leave-one-model-out:")
        summary["varying_prompt_sizes"] = varying_prompt_sizes(chosen, frame, log)
    final = type(chosen)(**{k: val for k, val in vars(chosen).items() if k != "est"}).fit(frame)
    if extra_checks:
        summary["external_joulebench"] = external_joulebench(
            type(chosen)(**{k: val for k, val in vars(chosen).items() if k != "est"}), frame, df
        )
    train_rows = df[df["use"] == "train"]
    iv = interval(lomo[i], frame)
    art = export.artefact(
        final,
        data_sha256=data_hash(train_rows),
        n_rows=int(len(train_rows)),
        training_models=sorted({cat.load_catalog().get(m).id for m in train_rows["arch_model_id"]}),
        interval=iv,
        chosen_because=why,
        metrics={
            k: summary[k] for k in ("lomo_mape", "lomo_r2", "lomo_rmse", "lomo_mae", "cv_mape", "cv_r2")
        },
    )
    if out is not None:
        export.write(art, out)
        log(f"wrote {out} ({out.stat().st_size / 1e6:.2f} MB)")
    summary["interval"] = iv
    summary["model_version"] = art["model_version"]
    reports.mkdir(parents=True, exist_ok=True)
    (reports / "metrics.json").write_text(
        json.dumps(summary, indent=1, default=float) + "\n", encoding="utf-8"
    )
    report.write(summary, frame, lomo, models, reports)
    log(f"wrote {reports}/validation.md")
    return TrainResult(summary, art, final, frame)
