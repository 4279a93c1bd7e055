"""The tidy measurement table: reproducible from the raw copies, units and definitions right."""

from __future__ import annotations

import csv
import json
import statistics

import pandas as pd
import pytest

from pycore.chat.tokenizers import count_tokens
from pycore.energy.catalog import load_catalog
from pycore.energy.hardware import load_gpus
from pycore.measure.models import architecture_of
from pycore.training import dataset


@pytest.fixture(scope="module")
def built():
    return dataset.build()


def test_committed_table_is_exactly_what_the_raw_data_builds(built, tmp_path):
    path = tmp_path / "m.csv"
    dataset.write(built, path)
    assert path.read_text() == dataset.TIDY.read_text()


def test_only_text_tasks_and_each_source_has_its_use(built):
    assert set(built["task"]) >= {"lm-arena-chat", "gpqa", "sourcegraph-fim", "chat", "code"}
    assert not built["task"].isin(["image-chat", "video-chat"]).any()
    assert set(built.loc[built.source.str.startswith("ml_energy"), "use"]) == {"train"}
    assert set(built.loc[built.source == "joulebench", "use"]) == {"external"}
    public = built[built.source != "promptwatt"]  # our own GPU rows come and go with data/measured/
    assert public.groupby("source").size().to_dict() == {
        "joulebench": 246,
        "ml_energy_v2": 292,
        "ml_energy_v3": 459,
    }


def test_v3_energy_is_joules_per_request_over_3600(built):
    with (dataset.RAW / "ml_energy_v3" / "configs.csv").open() as f:
        raw = next(r for r in csv.DictReader(f) if r["task"] == "gpqa")
    row = built[
        (built.model_id == raw["model_id"])
        & (built.task == "gpqa")
        & (built.gpu == "B200")
        & (built.max_num_seqs == int(raw["max_num_seqs"]))
    ].iloc[0]
    assert row.energy_wh == pytest.approx(float(raw["energy_per_request_joules"]) / 3600, rel=1e-12)
    assert row.batch == pytest.approx(float(raw["avg_batch_size"]))


def test_joulebench_net_and_gross_follow_its_definitions(built):
    with (dataset.RAW / "joulebench" / "combined_results.csv").open() as f:
        raw = next(csv.DictReader(f))
    b = int(raw["batch_size"])
    jb = built[
        (built.source == "joulebench")
        & (built.model_id == raw["model"])
        & (built.batch == b)
        & (built.task == raw["task_type"])
    ]
    row = jb.iloc[0]
    out = float(raw["output_tokens_mean"])
    assert row.energy_wh == pytest.approx(float(raw["j_per_tok_mean"]) * out / b / 3600, rel=1e-12)
    assert row.energy_wh_gross > row.energy_wh  # gross adds the idle draw back
    assert row.output_tokens == pytest.approx(out / b)


def test_every_row_resolves_to_a_catalog_model_and_gpu(built):
    cat, gpus = load_catalog(), load_gpus()
    public = built[built.source != "promptwatt"]
    for model in set(public["arch_model_id"]):
        assert cat.get(model)
    for model in set(
        built.loc[built.source == "promptwatt", "arch_model_id"]
    ):  # may be base[field=value] variants
        assert architecture_of(model)
    for gpu in set(built["gpu"]):
        assert gpus.get(gpu)


def test_sharegpt_input_length_recounts_to_the_documented_mean():
    prompts = json.loads(
        (dataset.RAW / "ml_energy_v2" / "workload_chat_ShareGPT_V3_filtered_500.json").read_text()
    )
    counts = [count_tokens(p["conversations"][0]["value"], "cl100k_base") for p in prompts]
    assert len(counts) == 500
    assert statistics.mean(counts) == pytest.approx(79.44, abs=0.005)
    method = dataset.task_inputs()[("ml_energy_v2", "chat")].method
    assert "79.4" in method


def _measured_rows() -> int:
    """Rows of data/measured/*.csv that are measurements (dry/CPU runs carry no energy and are not read)."""
    n = 0
    for path in sorted(dataset.MEASURED.glob("*.csv")):
        with path.open(newline="") as f:
            n += sum(1 for r in csv.DictReader(f) if r.get("energy_wh") and not r.get("not_measured_reason"))
    return n


def test_loader_reads_back_the_committed_table():
    df = dataset.load()
    assert isinstance(df, pd.DataFrame) and (df["energy_wh"] > 0).all()
    assert len(df) == 997 + _measured_rows()
    assert (df.source == "promptwatt").sum() == _measured_rows()
