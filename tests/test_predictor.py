"""The shipped predictor: real artefact, physically sane outside the data, clear errors."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pycore.energy.catalog import load_catalog
from pycore.energy.hardware import load_gpus
from pycore.energy.predictor import Predictor, default_predictor
from pycore.energy.workload import Workload
from pycore.errors import DataFileError, DoesNotFit, InvalidInput, UnknownModel
from pycore.resources import data_path

# Deployments that hold their model, from small to large, dense and MoE, several GPU kinds.
DEPLOYMENTS = [
    ("meta-llama/Llama-3.1-8B-Instruct", "H100-SXM", 1, "bf16"),
    ("meta-llama/Llama-3.1-8B-Instruct", "L4", 1, "bf16"),
    ("Qwen/Qwen3-14B", "A100-SXM-80GB", 1, "bf16"),
    ("meta-llama/Llama-3.1-70B-Instruct", "H100-SXM", 4, "bf16"),
    ("Qwen/Qwen3-30B-A3B-Instruct-2507", "H200", 1, "bf16"),
    ("deepseek-ai/DeepSeek-V3", "H200", 8, "fp8"),
    ("openai/gpt-oss-120b", "B200", 1, "fp4"),
    ("google/gemma-3-27b-it", "L40S", 2, "bf16"),
    ("meta-llama/Llama-4-Maverick-17B-128E-Instruct", "H100-SXM", 8, "fp8"),
]


def test_artefact_header_names_its_data_features_and_metrics():
    art = json.loads(data_path("energy_model.json").read_text())
    assert art["format"] == "promptwatt-energy-model" and art["format_version"] == 1
    assert len(art["training_data_sha256"]) == 64
    assert art["features"] and all(f["unit"] for f in art["features"])
    assert 0 < art["metrics"]["lomo_mape"] < 100
    assert art["interval"]["log_low"] < 0 < art["interval"]["log_high"]


def test_estimate_carries_a_range_around_the_central_value():
    est = default_predictor().estimate("meta-llama/Llama-3.1-8B-Instruct", "H100-SXM", Workload(300, 300, 32))
    assert 0 < est.energy_wh_low < est.energy_wh < est.energy_wh_high
    # Sanity against the measured order of magnitude (ML.ENERGY: ~0.01-0.1 Wh for such prompts)
    assert 1e-4 < est.energy_wh < 1.0


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    dep=st.sampled_from(DEPLOYMENTS),
    inp=st.integers(1, 8000),
    out=st.integers(1, 8000),
    batch=st.sampled_from([1, 2, 4, 8, 16, 32, 64, 128, 256, 512]),
    step=st.integers(1, 4000),
)
def test_energy_is_monotone_in_tokens_and_non_increasing_in_batch(dep, inp, out, batch, step):
    model, gpu, gpus, precision = dep
    p = default_predictor()

    def e(i, o, b):
        return p.estimate(model, gpu, Workload(i, o, b, gpus, precision)).energy_wh

    base = e(inp, out, batch)
    assert e(inp, out + step, batch) >= base * (1 - 1e-12)
    assert e(inp + step, out, batch) >= base * (1 - 1e-12)
    assert e(inp, out, batch * 2) <= base * (1 + 1e-12)


@settings(max_examples=100, deadline=None)
@given(
    dep=st.sampled_from(DEPLOYMENTS),
    inp=st.integers(1, 8000),
    out=st.integers(1, 8000),
    batch=st.sampled_from([1, 8, 64, 512]),
)
def test_energies_are_the_estimates_figures_to_the_bit(dep, inp, out, batch):
    """The import's fast path (Predictor.energies) and the explained estimate give the same numbers."""
    model, gpu, gpus, precision = dep
    p, w = default_predictor(), Workload(inp, out, batch, gpus, precision)
    est = p.estimate(model, gpu, w)
    arch = load_catalog().get(model)
    assert p.energies(arch, load_gpus().get(gpu), w) == (est.energy_wh_low, est.energy_wh, est.energy_wh_high)


def test_batch_beyond_the_kv_cache_stops_helping():
    p = default_predictor()
    w = Workload(30000, 2000, 100000, 1, "bf16")
    est = p.estimate("meta-llama/Llama-3.1-8B-Instruct", "H100-SXM", w)
    assert est.batch_effective < w.batch
    more = p.estimate(
        "meta-llama/Llama-3.1-8B-Instruct", "H100-SXM", Workload(30000, 2000, 200000, 1, "bf16")
    )
    assert more.energy_wh == pytest.approx(est.energy_wh, rel=1e-12)
    assert any("batch capped" in a for a in est.assumptions)


def test_the_batch_cap_says_the_batch_it_capped_to():
    # it said "KV cache holds only 561.4 prompts ... batch capped from 10000" next to "690.9 prompts running":
    # the cap uses the mean context mid-decode, so it is larger than the count of whole prompts
    est = default_predictor().estimate(
        "meta-llama/Llama-3.1-8B-Instruct", "H100-SXM", Workload(500, 300, 10000)
    )
    assert est.prompts_fit < est.batch_effective < 10000
    capped = [a for a in est.assumptions if "batch capped" in a]
    assert capped and capped[0].endswith(f"batch capped from 10000 to {est.batch_effective:.4g}")


def test_model_too_big_for_the_gpus_says_how_many_are_needed():
    with pytest.raises(DoesNotFit) as err:
        default_predictor().estimate(
            "meta-llama/Llama-3.1-405B-Instruct", "H100-SXM", Workload(100, 100, 1, 1)
        )
    assert err.value.gpus_needed == 16
    assert "cannot hold" in err.value.message


def test_unknown_model_lists_the_nearest_names():
    with pytest.raises(UnknownModel) as err:
        default_predictor().estimate("meta-llama/Llama-3.1-8B-Instruckt", "H100-SXM", Workload(10, 10))
    assert any("Llama-3.1-8B" in n for n in err.value.nearest)


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(input_tokens=-1, output_tokens=10),
        dict(input_tokens=1, output_tokens=1, batch=0),
        dict(input_tokens=1, output_tokens=1, gpus=0),
        dict(input_tokens=1, output_tokens=1, precision="int3"),
    ],
)
def test_bad_workloads_are_invalid_input(kwargs):
    with pytest.raises(InvalidInput):
        Workload(**kwargs)


def test_an_artefact_with_other_features_is_refused():
    art = json.loads(data_path("energy_model.json").read_text())
    art["features"] = art["features"][:-1]
    with pytest.raises(DataFileError):
        Predictor(art)
    art["format_version"] = 99
    with pytest.raises(DataFileError):
        Predictor(art)


def test_every_training_model_is_in_the_catalog():
    art = json.loads(data_path("energy_model.json").read_text())
    cat = load_catalog()
    for model in art["training_models"]:
        assert cat.get(model).id == model
