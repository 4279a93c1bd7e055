"""One tidy table of measured configurations from the three public sources.

Each source measures a different quantity, so the table keeps what the energy covers and
which use each source is put to; the evidence for those choices is in docs/data.md.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

REPO = Path(__file__).resolve().parents[2]
RAW = REPO / "data" / "raw"
TASK_INPUTS = REPO / "data" / "task_inputs.csv"
TIDY = REPO / "data" / "measurements.csv"
# Rows of our own harness (`promptwatt measure`): source "promptwatt", use decided per row by
# pycore.measure.schema.use_for (transformers rows are "external"; see that module's docstring).
MEASURED = REPO / "data" / "measured"

V3_TEXT_TASKS = ("lm-arena-chat", "gpqa", "sourcegraph-fim")
V2_TEXT_DOMAIN = "llm_text_generation"

COLUMNS = [
    "source",
    "engine",
    "engine_version",
    "task",
    "model_id",
    "arch_model_id",
    "gpu",
    "gpu_count",
    "tp",
    "pp",
    "ep",
    "precision",
    "max_num_seqs",
    "batch",
    "input_tokens",
    "input_tokens_low",
    "input_tokens_high",
    "input_tokens_method",
    "output_tokens",
    "energy_wh",
    "energy_covers",
    "energy_wh_gross",
    "power_w",
    "output_tok_s",
    "step_s",
    "use",
    "hist_ref",
]

GPU_NAMES = {
    "H100": "H100-SXM",
    "B200": "B200",
    "NVIDIA A100-SXM4-40GB": "A100-SXM-40GB",
    "NVIDIA H100 80GB HBM3": "H100-SXM",
    "A100-80GB-PCIe": "A100-PCIe-80GB",
}
PRECISION = {"bfloat16": "bf16", "fp8": "fp8", "mxfp4": "fp4", "fp16": "bf16"}

# Per source: what the energy number is, and what it is used for (see README "Data").
ENERGY_COVERS = {
    "ml_energy_v3": "gpu_counter_steady_state",
    "ml_energy_v2": "gpu_counter_steady_state",
    "joulebench": "gpu_sampled_net_of_idle",
}
USE = {"ml_energy_v3": "train", "ml_energy_v2": "train", "joulebench": "external"}


@dataclass(frozen=True)
class TaskInput:
    tokens: float
    low: float
    high: float
    method: str


def task_inputs() -> dict[tuple[str, str], TaskInput]:
    with TASK_INPUTS.open(encoding="utf-8") as f:
        return {
            (r["source"], r["task"]): TaskInput(
                float(r["input_tokens"]),
                float(r["input_tokens_low"]),
                float(r["input_tokens_high"]),
                r["method"],
            )
            for r in csv.DictReader(f)
        }


def arch_model_id(model_id: str) -> str:
    """The architecture a measured checkpoint has: a quantised copy shares its parent's shape."""
    for suffix in ("-FP8", "-BF16"):
        if model_id.endswith(suffix):
            return model_id[: -len(suffix)]
    return model_id


def _v3() -> list[dict]:
    inputs = task_inputs()
    rows = []
    with (RAW / "ml_energy_v3" / "configs.csv").open(encoding="utf-8") as f:
        for r in csv.DictReader(f):
            if r["task"] not in V3_TEXT_TASKS:
                continue
            ti = inputs[("ml_energy_v3", r["task"])]
            rows.append(
                {
                    "source": "ml_energy_v3",
                    "engine": "vllm-0.11",
                    "engine_version": "0.11",
                    "task": r["task"],
                    "model_id": r["model_id"],
                    "gpu": GPU_NAMES[r["gpu_model"]],
                    "gpu_count": int(r["num_gpus"]),
                    "tp": int(r["tensor_parallel"]),
                    "pp": 1,
                    "ep": int(r["expert_parallel"]),
                    "precision": PRECISION[r["weight_precision"]],
                    "max_num_seqs": int(r["max_num_seqs"]),
                    "batch": float(r["avg_batch_size"]),
                    "input_tokens": ti.tokens,
                    "input_tokens_low": ti.low,
                    "input_tokens_high": ti.high,
                    "input_tokens_method": ti.method,
                    "output_tokens": float(r["avg_output_len"]),
                    "energy_wh": float(r["energy_per_request_joules"]) / 3600.0,
                    "energy_wh_gross": float(r["energy_per_request_joules"]) / 3600.0,
                    "power_w": float(r["avg_power_watts"]),
                    "output_tok_s": float(r["output_throughput_tokens_per_sec"]),
                    # median inter-token latency: the time of one decode step of the running batch
                    "step_s": float(r["median_itl_ms"]) / 1000.0,
                    "hist_ref": f"{r['model_id'].replace('/', '__')}__{r['task']}.json",
                }
            )
    return rows


def _v2() -> list[dict]:
    inputs = task_inputs()
    rows = []
    with (RAW / "ml_energy_v2" / "configs.csv").open(encoding="utf-8") as f:
        for r in csv.DictReader(f):
            if r["domain"] != V2_TEXT_DOMAIN:
                continue
            ti = inputs[("ml_energy_v2", r["task"])]
            tp, pp = int(r["TP"]), int(r["PP"])
            tok_s = float(r["Token tput (tok/s)"])
            energy_j = float(r["Energy/req (J)"])
            out = float(r["Avg Output Tokens"])
            rows.append(
                {
                    "source": "ml_energy_v2",
                    "engine": "vllm-0.4",
                    "engine_version": "0.4-0.5",
                    "task": r["task"],
                    "model_id": r["Model"],
                    "gpu": GPU_NAMES[r["GPU"]],
                    "gpu_count": tp * pp,
                    "tp": tp,
                    "pp": pp,
                    "ep": 1,
                    "precision": "bf16",
                    "max_num_seqs": int(r["Max BS (reqs)"]),
                    "batch": float(r["Avg BS (reqs)"]),
                    "input_tokens": ti.tokens,
                    "input_tokens_low": ti.low,
                    "input_tokens_high": ti.high,
                    "input_tokens_method": ti.method,
                    "output_tokens": out,
                    "energy_wh": energy_j / 3600.0,
                    "energy_wh_gross": energy_j / 3600.0,
                    # energy/token x throughput = total power over all GPUs of the instance
                    "power_w": energy_j / out * tok_s if out else float("nan"),
                    "output_tok_s": tok_s,
                    # mean time per output token of a request: one decode step (with prefill interleaved)
                    "step_s": float(r["Avg TPOT (s)"]),
                    "hist_ref": "",
                }
            )
    return rows


def _joulebench() -> list[dict]:
    rows = []
    with (RAW / "joulebench" / "combined_results.csv").open(encoding="utf-8") as f:
        for r in csv.DictReader(f):
            batch = int(r["batch_size"])
            out_total = float(r["output_tokens_mean"])
            rows.append(
                {
                    "source": "joulebench",
                    "engine": "hf-transformers",
                    "engine_version": "generate",
                    "task": r["task_type"],
                    "model_id": r["model"],
                    "gpu": "A100-PCIe-80GB",
                    "gpu_count": 1,
                    "tp": 1,
                    "pp": 1,
                    "ep": 1,
                    "precision": PRECISION[r["precision"]],
                    "max_num_seqs": batch,
                    "batch": float(batch),
                    "input_tokens": float(r["input_tokens_mean"]) / batch,
                    "input_tokens_low": float(r["input_tokens_mean"]) / batch,
                    "input_tokens_high": float(r["input_tokens_mean"]) / batch,
                    "input_tokens_method": "recorded",
                    "output_tokens": out_total / batch,
                    # net energy per prompt = J/token x tokens of the batch / prompts in the batch, where
                    # J/token = (mean W - idle W) / tokens/s; gross adds the idle draw back (mean W / tokens/s)
                    "energy_wh": float(r["j_per_tok_mean"]) * out_total / batch / 3600.0,
                    "energy_wh_gross": float(r["mean_watts"])
                    / float(r["tok_per_s_mean"])
                    * out_total
                    / batch
                    / 3600.0,
                    "power_w": float(r["mean_watts"]),
                    "output_tok_s": float(r["tok_per_s_mean"]),
                    "step_s": batch / float(r["tok_per_s_mean"]),
                    "hist_ref": "",
                }
            )
    return rows


def _measured(folder: Path) -> list[dict]:
    from pycore.measure.schema import dataset_rows

    return dataset_rows(folder)


def build(measured: Path = MEASURED) -> pd.DataFrame:
    """The tidy table, rebuilt from the raw copies and ``measured/*.csv`` (deterministic order)."""
    rows = _v3() + _v2() + _joulebench()
    for row in rows:
        row["arch_model_id"] = arch_model_id(row["model_id"])
        row["energy_covers"] = ENERGY_COVERS[row["source"]]
        row["use"] = USE[row["source"]]
    rows += _measured(measured)  # carry their own arch_model_id, energy_covers and use
    df = pd.DataFrame(rows)[COLUMNS]
    return df.sort_values(
        ["source", "model_id", "task", "gpu", "gpu_count", "max_num_seqs"], kind="stable"
    ).reset_index(drop=True)


def load(path: Path = TIDY) -> pd.DataFrame:
    """The committed tidy table (plus any measured rows appended by the harness)."""
    return pd.read_csv(path)


def write(df: pd.DataFrame, path: Path = TIDY) -> None:
    df.to_csv(path, index=False, float_format="%.10g")


def output_histogram(
    hist_ref: str, batch: float, gpu: str, gpu_count: int, max_num_seqs: int
) -> tuple[list[float], list[int]]:
    """Bin edges and counts of one ML.ENERGY v3 configuration's output lengths (Fig. 12 check)."""
    data = json.loads((RAW / "ml_energy_v3" / "models" / hist_ref).read_text(encoding="utf-8"))
    gpu_raw = {v: k for k, v in GPU_NAMES.items() if k in ("H100", "B200")}[gpu]
    for c in data["configurations"]:
        if c["gpu_model"] == gpu_raw and c["num_gpus"] == gpu_count and c["max_num_seqs"] == max_num_seqs:
            dist = c["output_length_distribution"]
            return dist["bins"], dist["counts"]
    raise KeyError(f"no histogram for {hist_ref} {gpu} x{gpu_count} max_num_seqs={max_num_seqs}")
