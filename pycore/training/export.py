"""Writes the chosen model as a versioned, self-describing JSON artefact for pure-Python use."""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
from pathlib import Path

import sklearn
from sklearn.ensemble import RandomForestRegressor

from pycore.energy import features as ft
from pycore.energy.predictor import ARTEFACT_FORMAT, ARTEFACT_FORMAT_VERSION
from pycore.training.models import Physics, PhysicsTrees
from pycore.training.trees import boosting_trees, forest_trees

FEATURE_UNITS = {
    "log_input_tokens": "ln(1 + tokens)",
    "log_output_tokens": "ln(1 + tokens)",
    "log_effective_batch": "ln(prompts running concurrently)",
    "bytes_per_param": "bytes",
    "log_kv_bytes_per_prompt": "ln(bytes)",
    "kv_bytes_per_token": "bytes",
    "vram_required_gb": "GB",
    "gpu_memory_gb": "GB",
    "gpu_bandwidth_gb_s": "GB/s",
    "gpu_tdp_w": "W",
    "gpu_tflops": "TFLOPS (dense, precision)",
    "free_vram_per_gpu_gb": "GB",
    "log_kv_capacity_tokens": "ln(tokens)",
    "attention_kind": "0 MHA, 1 GQA, 2 MQA, 3 MLA",
}


def ensemble_spec(model: PhysicsTrees | Physics) -> dict:
    if isinstance(model, Physics):
        return {"kind": "none", "combine": "sum", "base_score": 0.0, "float32_inputs": False, "trees": []}
    est = model.est
    if isinstance(est, RandomForestRegressor):
        return {
            "kind": "random_forest",
            "combine": "mean",
            "base_score": 0.0,
            "float32_inputs": True,
            "trees": forest_trees(est),
        }
    trees, base = boosting_trees(est)
    return {
        "kind": "hist_gradient_boosting",
        "combine": "sum",
        "base_score": base,
        "float32_inputs": False,
        "trees": trees,
    }


def model_version(art: dict) -> str:
    """Date + a hash of everything that decides an estimate (data, model, constants, trees, interval):
    two models trained the same day on the same data but different formulas get different versions,
    so a stored estimate always names the model that made it."""
    content = {
        k: art[k]
        for k in (
            "training_data_sha256",
            "model_name",
            "features",
            "physics_constants",
            "interval",
            "ensemble",
        )
    }
    digest = hashlib.sha256(
        json.dumps(content, sort_keys=True, separators=(",", ":"), allow_nan=False).encode("utf-8")
    ).hexdigest()
    return f"{art['created']}-{digest[:8]}"


def artefact(
    model: PhysicsTrees | Physics,
    *,
    data_sha256: str,
    n_rows: int,
    training_models: list[str],
    interval: dict,
    metrics: dict,
    chosen_because: str,
) -> dict:
    physics = model if isinstance(model, Physics) else model.physics
    today = _dt.date.today().isoformat()
    art = {
        "format": ARTEFACT_FORMAT,
        "format_version": ARTEFACT_FORMAT_VERSION,
        "model_version": "",
        "model_name": model.name,
        "chosen_because": chosen_because,
        "created": today,
        "sklearn_version": sklearn.__version__,
        "training_data_sha256": data_sha256,
        "training_rows": n_rows,
        "training_models": sorted(training_models),
        "target": "ln(measured Wh / physics Wh); energy = physics Wh x exp(ensemble)",
        "energy_unit": "Wh per prompt, GPU only",
        "features": [
            {
                "name": n,
                "unit": FEATURE_UNITS.get(n, "count" if not n.startswith("log_") else "ln(count)"),
                "monotone": ft.MONOTONE.get(n, 0),
            }
            for n in ft.FEATURES
        ],
        "physics_constants": physics.constants.as_dict(),
        "interval": interval,
        "metrics": metrics,
        "ensemble": ensemble_spec(model),
    }
    art["model_version"] = model_version(art)
    return art


def write(obj: dict, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(obj, separators=(",", ":"), allow_nan=False) + "\n", encoding="utf-8")
