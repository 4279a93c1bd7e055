"""The experiment grid (points, repeats, warm-up, priority) and the per-point time budget."""

from __future__ import annotations

import pytest

from pycore.energy.catalog import load_catalog, with_overrides
from pycore.energy.hardware import load_gpus
from pycore.errors import InvalidInput
from pycore.measure import budget
from pycore.measure.grid import Point, corner_prompts, grid, paper_priority, parse_counts, schedule
from pycore.measure.models import architecture_of, parse_overrides, resolve, split_variant_id


def test_parse_counts_sorts_dedups_and_rejects_nonsense():
    assert parse_counts("900,100, 300,100", "inputs") == (100, 300, 900)
    assert parse_counts([8, 1], "batches") == (1, 8)
    for bad in ("", "1,x", "0", "-5", "2000000"):
        with pytest.raises(InvalidInput):
            parse_counts(bad, "inputs")


def test_the_paper_grid_has_27_points_cheapest_first():
    points = grid((100, 300, 900), (100, 300, 900), (1, 8, 32))
    assert len(points) == len(set(points)) == 27
    assert points[0] == Point(100, 100, 1) and points[-1] == Point(900, 900, 32)
    assert Point(100, 900, 1).label == "in100-out900-b1"


def test_schedule_puts_warmup_first_and_repeats_each_point_in_a_row():
    points = grid((100, 900), (100,), (1,))
    runs = schedule(points, repeats=3, warmup_runs=2)
    assert [r.warmup for r in runs] == [True, True] + [False] * 6
    assert all(r.point == Point(100, 100, 1) and r.repeat == -1 for r in runs[:2])
    assert [(r.point.input_tokens, r.repeat) for r in runs[2:]] == [
        (100, 0),
        (100, 1),
        (100, 2),
        (900, 0),
        (900, 1),
        (900, 2),
    ]
    with pytest.raises(InvalidInput):
        schedule(points, repeats=0)
    assert schedule([], repeats=3) == []


def test_priority_runs_the_papers_prompts_at_the_edge_batches_first():
    points = grid((100, 300, 900), (100, 300, 900), (1, 8, 32))
    order = paper_priority(points)
    assert sorted(order) == sorted(points)
    first = {(p.input_tokens, p.output_tokens, p.batch) for p in order[:6]}
    assert first == {
        (100, 100, 1),
        (900, 100, 1),
        (100, 900, 1),
        (100, 100, 32),
        (900, 100, 32),
        (100, 900, 32),
    }
    tier1 = {(p.input_tokens, p.output_tokens, p.batch) for p in order[6:10]}
    assert tier1 == {(300, 100, 1), (300, 100, 32), (100, 300, 1), (100, 300, 32)}
    assert {(p.input_tokens, p.output_tokens) for p in order[10:13]} == {
        (100, 100),
        (900, 100),
        (100, 900),
    }  # batch 8
    assert corner_prompts(points) == {"P1": (100, 100), "P2": (900, 100), "P3": (100, 900)}


def test_overrides_and_variant_ids_round_trip():
    assert parse_overrides(["num_hidden_layers=16", "rope_theta=1e6", "name=x"]) == {
        "num_hidden_layers": 16,
        "rope_theta": 1e6,
        "name": "x",
    }
    with pytest.raises(InvalidInput):
        parse_overrides(["layers"])
    arch = resolve(model="llama-3.1-8b", overrides={"num_hidden_layers": 16})
    assert arch.id == "meta-llama/Llama-3.1-8B-Instruct[num_hidden_layers=16]" and arch.n_layers == 16
    assert split_variant_id(arch.id) == ("meta-llama/Llama-3.1-8B-Instruct", {"num_hidden_layers": 16})
    assert architecture_of(arch.id).n_layers == 16
    with pytest.raises(InvalidInput):
        resolve()


def test_config_file_models(tmp_path):
    path = tmp_path / "config.json"
    path.write_text(
        '{"model_type": "llama", "num_hidden_layers": 2, "hidden_size": 64, "intermediate_size": 128,'
        ' "num_attention_heads": 4, "vocab_size": 512, "max_position_embeddings": 2048}'
    )
    arch = resolve(config=path, overrides={"num_key_value_heads": 1})
    assert arch.id == "config[num_key_value_heads=1]" and arch.attention_kind == "MQA"
    path.write_text('{"model_type": "nonsense"}')
    with pytest.raises(InvalidInput, match="model_type"):
        resolve(config=path)


def test_time_estimate_grows_with_output_batch_and_layers():
    llama = load_catalog().get("meta-llama/Llama-3.1-8B-Instruct")
    r = budget.rates(load_gpus().get("H100-SXM"), 1, "bf16", "hf-transformers")
    est = lambda a, i, o, b: budget.estimate_seconds(a, Point(i, o, b), r)  # noqa: E731
    assert est(llama, 100, 900, 1) > 5 * est(llama, 100, 100, 1)
    assert est(llama, 900, 100, 32) > est(llama, 900, 100, 1)
    assert est(with_overrides(llama, num_hidden_layers=16), 100, 300, 8) < est(llama, 100, 300, 8)
    # decode of 8B bf16 on an H100 is bandwidth- plus overhead-bound: tens of ms per step
    assert 0.01 < est(llama, 100, 101, 1) / 100 < 0.05
    vllm = budget.rates(load_gpus().get("H100-SXM"), 1, "bf16", "vllm-0.11")
    assert budget.estimate_seconds(llama, Point(100, 100, 1), vllm) < est(llama, 100, 100, 1)


def test_calibrator_uses_the_largest_recent_ratio_with_a_margin():
    c = budget.Calibrator(margin=1.0, uncalibrated=2.0)
    assert c.predict(10.0) == 20.0
    for est, measured in ((1.0, 3.0), (1.0, 1.0), (2.0, 2.0), (1.0, 1.5)):
        c.observe(est, measured)
    assert c.factor == 1.5  # the 3x warm-up has left the window of the last three
