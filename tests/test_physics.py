"""The roofline formula: one implementation for floats (browser) and numpy (training)."""

from __future__ import annotations

import numpy as np
import pytest

from pycore.energy import features as ft
from pycore.energy.catalog import load_catalog
from pycore.energy.hardware import load_gpus
from pycore.energy.physics import PhysicsConstants, estimate
from pycore.energy.predictor import default_predictor
from pycore.energy.workload import Workload, engines
from pycore.training.validate import training_frame


@pytest.fixture(scope="module")
def frame():
    return training_frame()[1]


def test_numpy_and_scalar_paths_agree_on_every_training_row(frame):
    k = default_predictor().constants
    np.testing.assert_allclose(frame.physics_wh(k), frame.physics_wh_scalar(k), rtol=1e-12, atol=0)


def _energy(model, gpu, w, k=None):
    arch = load_catalog().get(model)
    sh = ft.shape(arch, w)
    return estimate(
        sh,
        load_gpus().get(gpu),
        w.gpus,
        w.precision,
        w.input_tokens,
        w.output_tokens,
        w.batch,
        k or default_predictor().constants,
        engines()[w.engine]["generation"],
    )


def test_decode_dominates_and_scales_with_output_tokens():
    short = _energy("meta-llama/Llama-3.1-8B-Instruct", "H100-SXM", Workload(100, 100, 32))
    long = _energy("meta-llama/Llama-3.1-8B-Instruct", "H100-SXM", Workload(100, 900, 32))
    more_input = _energy("meta-llama/Llama-3.1-8B-Instruct", "H100-SXM", Workload(900, 100, 32))
    # The paper's P1/P2/P3 ordering: more output costs far more than the same amount more input.
    assert long / short > more_input / short > 1.0


def test_moe_reads_only_the_experts_a_small_batch_touches():
    from pycore.energy.physics import Shape  # noqa: F401  (documented dataclass)

    arch = load_catalog().get("Qwen/Qwen3-30B-A3B-Instruct-2507")
    sh = ft.shape(arch, Workload(100, 100, 1))
    assert 0 < sh.routed_params < sh.total_params
    e1 = _energy("Qwen/Qwen3-30B-A3B-Instruct-2507", "H100-SXM", Workload(100, 300, 1))
    dense = _energy("Qwen/Qwen3-32B", "H100-SXM", Workload(100, 300, 1))
    assert e1 < dense  # 3B active parameters stream far fewer bytes than 32B dense ones


def test_older_engine_is_slower_on_the_same_gpus():
    new = _energy("meta-llama/Llama-3.1-8B-Instruct", "H100-SXM", Workload(100, 300, 64, engine="vllm-0.11"))
    old = _energy("meta-llama/Llama-3.1-8B-Instruct", "H100-SXM", Workload(100, 300, 64, engine="vllm-0.4"))
    k = default_predictor().constants
    assert old > new
    assert old / new <= k.old_engine_slowdown_new_gpu + 1e-9


def test_constants_round_trip_through_a_dict():
    k = PhysicsConstants()
    assert PhysicsConstants(**k.as_dict()) == k


@pytest.mark.parametrize(
    "model", ["meta-llama/Llama-3.1-8B-Instruct", "Qwen/Qwen2.5-14B", "facebook/opt-30b"]
)
def test_input_and_output_effects_sit_in_the_seed_papers_measured_range(model):
    """Seed paper, A100 80GB: P2 (900 in/100 out) / P1 (100/100) = 2.19 and P3 (100/900) / P1 = 11.0
    on average, 5.8 and 21.9 for OPT-30B. ML.ENERGY's per-task input lengths cannot pin the input
    effect, so this keeps the prefill model inside what was measured."""
    p1 = _energy(model, "A100-SXM-80GB", Workload(100, 100, 32))
    p2 = _energy(model, "A100-SXM-80GB", Workload(900, 100, 32))
    p3 = _energy(model, "A100-SXM-80GB", Workload(100, 900, 32))
    assert 1.5 < p2 / p1 < 6.0
    assert 5.0 < p3 / p1 < 25.0
