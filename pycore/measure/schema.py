"""The measured CSV: the dataset's columns, then provenance; and how the dataset reads it back.

One row per grid point (its repeats averaged). ``energy_wh`` is gross GPU energy per prompt from
NVML's counter (the quantity ML.ENERGY reports and the predictor learns); net of idle, the sampled
integral, their difference and the repeat spread are provenance columns beside it.

A row that is not a measurement (a CPU run, a dry run) has its energy columns empty and says why
in ``not_measured_reason``; the dataset never reads such a row.

Which use a measured row gets (``use_for``): vLLM rows of a catalog architecture train; everything
else is ``external`` (compared against, never fitted):

* transformers rows: HF eager ``generate`` (no continuous batching, paged KV cache or CUDA graphs)
  runs the same model at a different energy than a serving engine (JouleBench's rows show it), and
  the predictor describes vLLM-style serving. They become training rows only once there is
  evidence that they improve held-out error on vLLM rows.
* variants (``id[field=value]``) and ``--config`` models: ``training.frame`` resolves architectures
  with ``catalog.get``, which does not know them (``pycore.measure.models.architecture_of`` does).
"""

from __future__ import annotations

import csv
import math
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pycore.errors import DataFileError, InvalidInput

MEASURED_SCHEMA_VERSION = 1
SOURCE = "promptwatt"
TASK = "fixed-shape"
INPUT_METHOD = "exact: fixed-length random token ids"
COVERS_COUNTER = "gpu_counter_gross_whole_batch"
COVERS_SAMPLED = "gpu_sampled_gross_whole_batch"
COVERS_NONE = "not_measured"

# Same names and order as pycore.training.dataset.COLUMNS (a test pins the two together; this
# module must not import pandas).
DATASET_COLUMNS = [
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
PROVENANCE_COLUMNS = [
    "measured_schema_version",
    "run_id",  # one invocation of the harness
    "not_measured_reason",  # empty for a measurement
    "date_utc",
    "command",
    "device",
    "gpu_name",  # as NVML names it (the ``gpu`` column is the catalog's name)
    "gpu_indices",
    "driver",
    "torch_version",
    "cuda_version",
    "base_model_id",
    "overrides",  # the catalog record (or config file) and the fields changed, JSON
    "repeats",
    "warmup_runs",
    "seconds",  # mean wall time of one run of the batch
    "seconds_spread_pct",
    "idle_w",  # idle power of the GPUs in use, summed, measured before the points
    "energy_wh_net",  # per prompt, energy_wh minus idle_w x seconds / batch
    "energy_wh_sampled",  # per prompt, gross, from the 10 Hz power samples
    "counter_vs_sampled_pct",  # (sampled - counter) / counter, mean over repeats
    "repeat_spread_pct",  # (max - min) / mean of the repeats' energy
    "energy_j_repeats",  # the batch's counter energy of each repeat, ';'-separated
    "power_samples",  # mean number of power samples per run
    "sm_clock_mhz",
    "mem_clock_mhz",
    "power_limit_w",  # first GPU, read after the point, if readable
]
FIELDS = DATASET_COLUMNS + PROVENANCE_COLUMNS
_INT = ("gpu_count", "tp", "pp", "ep", "max_num_seqs")
_FLOAT = (
    "batch",
    "input_tokens",
    "input_tokens_low",
    "input_tokens_high",
    "output_tokens",
    "energy_wh",
    "energy_wh_gross",
    "power_w",
    "output_tok_s",
    "step_s",
)


def use_for(engine: str, model_id: str) -> str:
    """``train`` for vLLM rows of a plain catalog architecture, else ``external`` (module docstring)."""
    from pycore.energy.catalog import load_catalog
    from pycore.errors import PromptWattError

    if not engine.startswith("vllm") or "[" in model_id:
        return "external"
    try:
        load_catalog().get(model_id)
    except PromptWattError:
        return "external"
    return "train"


def fmt(value: Any) -> str:
    """CSV text: empty for None/NaN, 10 significant digits for floats (as dataset.write)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return "" if math.isnan(value) else f"{value:.10g}"
    return str(value)


def check_out(path: Path) -> bool:
    """Whether ``path`` already holds rows; InvalidInput if rows cannot be appended to it.

    The CLI calls it before loading a model, so a wrong --out costs no GPU time and no point.
    """
    path = Path(path)
    if path.is_dir():
        raise InvalidInput(f"{path} is a folder", "give --out a CSV file, e.g. data/measured/NAME.csv")
    if not (path.exists() and path.stat().st_size > 0):
        return False
    try:
        with path.open(encoding="utf-8", newline="") as f:
            header = next(csv.reader(f), [])
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise InvalidInput(f"cannot read {path}: {exc}", "write to a new file (--out)") from exc
    if header != FIELDS:
        raise InvalidInput(
            f"{path} has other columns than this harness writes",
            "write to a new file (--out), or move the old one aside",
        )
    return True


def append_row(path: Path, row: Mapping[str, Any]) -> None:
    """Append one row (creating the file with its header), flushed to disk before returning."""
    unknown = set(row) - set(FIELDS)
    if unknown:
        raise ValueError(f"not measured-CSV columns: {sorted(unknown)}")
    path = Path(path)
    if check_out(path):
        new = False
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
        new = True
    with path.open("a", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, FIELDS, lineterminator="\n")
        if new:
            w.writeheader()
        w.writerow({k: fmt(row.get(k)) for k in FIELDS})
        f.flush()
        os.fsync(f.fileno())


def read_rows(path: Path) -> list[dict[str, str]]:
    with Path(path).open(encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        if reader.fieldnames != FIELDS:
            raise DataFileError(
                f"{path}: columns differ from the measured-CSV schema v{MEASURED_SCHEMA_VERSION}",
                "regenerate it with `promptwatt measure`",
            )
        return list(reader)


def is_measurement(row: Mapping[str, str]) -> bool:
    return not row.get("not_measured_reason") and bool(row.get("energy_wh"))


def dataset_rows(folder: Path) -> list[dict[str, Any]]:
    """Rows of every ``folder/*.csv`` that are measurements, typed and in the dataset's columns.

    Files in name order, rows in file order (deterministic). Nothing when the folder is absent.
    """
    folder = Path(folder)
    if not folder.is_dir():
        return []
    out = []
    for path in sorted(folder.glob("*.csv")):
        for r in read_rows(path):
            if not is_measurement(r):
                continue
            if r["measured_schema_version"] != str(MEASURED_SCHEMA_VERSION):
                raise DataFileError(
                    f"{path}: row of schema {r['measured_schema_version']!r}, "
                    f"expected {MEASURED_SCHEMA_VERSION}"
                )
            row: dict[str, Any] = {k: r[k] for k in DATASET_COLUMNS}
            for k in _INT:
                row[k] = int(r[k])
            for k in _FLOAT:
                row[k] = float(r[k]) if r[k] else float("nan")
            row["source"] = SOURCE
            row["use"] = use_for(r["engine"], r["model_id"])
            out.append(row)
    return out
