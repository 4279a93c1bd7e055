"""`promptwatt report` from the dataset: what each analysis used, and what it cannot make yet.

The measured rows here are synthetic (written through the measured-CSV schema); no number in
these tests is a measurement.
"""

from __future__ import annotations

import pytest

from pycore.measure import schema
from pycore.training import paper_report

pytestmark = pytest.mark.slow


def row(model_id: str, i: int, o: int, b: int, wh: float, cvs: float = -2.0) -> dict:
    return {
        "source": "promptwatt",
        "engine": "hf-transformers",
        "engine_version": "5.23.0",
        "task": schema.TASK,
        "model_id": model_id,
        "arch_model_id": model_id,
        "gpu": "H100-SXM",
        "gpu_count": 1,
        "tp": 1,
        "pp": 1,
        "ep": 1,
        "precision": "bf16",
        "max_num_seqs": b,
        "batch": b,
        "input_tokens": i,
        "input_tokens_low": i,
        "input_tokens_high": i,
        "input_tokens_method": schema.INPUT_METHOD,
        "output_tokens": o,
        "energy_wh": wh,
        "energy_covers": schema.COVERS_COUNTER,
        "energy_wh_gross": wh,
        "power_w": 400.0,
        "output_tok_s": 100.0,
        "step_s": 0.02,
        "use": "external",
        "hist_ref": "",
        "measured_schema_version": 1,
        "run_id": "t",
        "not_measured_reason": "",
        "idle_w": 70.0,
        "counter_vs_sampled_pct": cvs,
        "repeat_spread_pct": 1.0,
        "energy_wh_net": wh * 0.8,
    }


LLAMA = "meta-llama/Llama-3.1-8B-Instruct"


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    measured = tmp_path_factory.mktemp("measured")
    rows = [
        row(LLAMA, 100, 100, 1, 0.01),
        row(LLAMA, 900, 100, 1, 0.02),
        row(LLAMA, 100, 900, 1, 0.1, cvs=4.0),
        row(LLAMA, 100, 100, 8, 0.002),
        row(LLAMA, 100, 100, 32, 0.001),
        row(f"{LLAMA}[num_hidden_layers=16]", 100, 100, 1, 0.006),
        row(f"{LLAMA}[num_key_value_heads=1]", 100, 100, 1, 0.009),
    ]
    for r in rows:
        schema.append_row(measured / "synthetic.csv", r)
    out = tmp_path_factory.mktemp("reports")
    path = paper_report.write(out, measured)
    return out, path.read_text()


def test_p_ratios_sit_next_to_the_papers(written):
    _, md = written
    assert f"| promptwatt | hf-transformers | {LLAMA} | 1 x H100-SXM | 1 | 0.01 | 2.00 | 10.00 |" in md
    from pycore.energy.predictor import default_predictor
    from pycore.energy.workload import Workload

    pred = {
        io: default_predictor().estimate(LLAMA, "H100-SXM", Workload(*io, 1, 1, "bf16")).energy_wh
        for io in ((100, 100), (900, 100), (100, 900))
    }
    assert f"| {pred[(900, 100)] / pred[(100, 100)]:.2f} | {pred[(100, 900)] / pred[(100, 100)]:.2f} |" in md
    assert f"| hf-transformers | 900 | 1 | {0.02 / pred[(900, 100)]:.2f} |" in md  # measured / predicted
    assert "P2/P1 = 2.00x (paper 2.19x), P3/P1 = 10.00x (paper 11.0x)" in md


def test_layer_and_attention_variants_are_used_when_they_exist(written):
    out, md = written
    assert f"| {LLAMA} | 100/100 | 1 | 16 / 32 = 0.50 | 0.60 |" in md
    assert (out / "paper_layers.png").exists() and (out / "paper_attention.png").exists()
    assert "cannot be made yet" not in md.split("## MHA")[1].split("## Meter")[0]


def test_every_figure_states_its_rows_and_the_meter_table_is_filled(written):
    out, md = written
    for name in ("tokens", "batch", "gpus"):
        assert (out / f"paper_{name}.png").stat().st_size > 10_000
    assert "promptwatt: 1 groups" in md  # batch 1, 8, 32 at 100/100
    assert "| H100-SXM | hf-transformers | 7 | 70.0 | -2.00 | -2.00 | +4.00 | 1.00 |" in md
    assert "joulebench: 49 groups" in md and "ml_energy_v3" in md


def test_without_measured_rows_it_says_what_cannot_be_made(tmp_path):
    md = paper_report.write(tmp_path / "r", tmp_path / "none").read_text()
    assert "Ours: **cannot be made yet**" in md
    assert md.count("cannot be made yet: no promptwatt rows") == 2  # layers, attention
    assert "No measured rows yet" in md


@pytest.mark.parametrize(
    ("what", "message"),
    [("measured file", "is not a folder"), ("measured typo", "is not a folder"), ("out file", "is a file")],
)
def test_cli_report_refuses_paths_it_would_ignore_or_trip_on(tmp_path, capsys, what, message):
    # a CSV or a mistyped folder given as --measured used to give a report without those rows, exit 0;
    # a file as --out, a traceback
    from pycore.measure import cli

    csv_file = tmp_path / "run.csv"
    schema.append_row(csv_file, row(LLAMA, 100, 100, 1, 0.01))
    args = {
        "measured file": ["--measured", str(csv_file)],
        "measured typo": ["--measured", str(tmp_path / "mesured")],
        "out file": ["--out", str(csv_file), "--measured", str(tmp_path)],
    }[what]
    code = cli.main(
        ["report", *args] if what == "out file" else ["report", "--out", str(tmp_path / "r"), *args]
    )
    err = capsys.readouterr().err
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "r").exists()
