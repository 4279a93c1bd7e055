"""A small retrain runs end to end, and what it exports evaluates exactly like scikit-learn."""

from __future__ import annotations

import json

import numpy as np
import pytest

from pycore.energy.forest import load_ensemble
from pycore.energy.predictor import Predictor
from pycore.energy.workload import Workload
from pycore.training import pipeline
from pycore.training.models import PhysicsTrees

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def quick(tmp_path_factory):
    out = tmp_path_factory.mktemp("train")
    result = pipeline.train(out=out / "model.json", reports=out / "reports", quick=True, log=lambda *a: None)
    return result, out


def test_quick_retrain_writes_an_artefact_and_a_report(quick):
    result, out = quick
    art = json.loads((out / "model.json").read_text())
    assert art["training_rows"] == len(result.frame.y_wh) and art["ensemble"]["trees"]
    assert (out / "reports" / "validation.md").read_text().startswith("# Validation report")
    assert (out / "reports" / "pred_vs_measured.png").stat().st_size > 10_000
    s = result.summary
    assert 0 < s["lomo_mape"] < 100 and s["lomo_r2"] <= 1


def test_exported_forest_matches_sklearn_to_1e9_on_thousands_of_inputs_and_thresholds(quick):
    result, _ = quick
    model = result.model
    assert isinstance(model, PhysicsTrees)
    spec = result.artefact["ensemble"]
    ens = load_ensemble(spec, result.frame.X.shape[1])
    rng = np.random.default_rng(7)
    X = result.frame.X
    lo, hi = X.min(0), X.max(0)
    probe = [rng.uniform(lo - 0.2 * (hi - lo), hi + 0.2 * (hi - lo), size=(4000, X.shape[1])), X]
    for tree in spec["trees"]:  # every split threshold hit exactly, the rest from a real row
        for f, thr, left in zip(tree["feature"], tree["threshold"], tree["children_left"], strict=True):
            if left != -1:
                row = X[rng.integers(len(X))].copy()
                row[f] = thr
                probe.append(row[None, :])
    probe = np.vstack(probe)
    ours = np.array([ens.predict(list(x)) for x in probe])
    np.testing.assert_allclose(ours, model.est.predict(probe), rtol=0, atol=1e-9)


def test_predictor_built_from_the_artefact_reproduces_the_fitted_model(quick):
    result, _ = quick
    pred = Predictor(result.artefact)
    expected = result.model.predict(result.frame)
    for i in range(0, len(expected), 7):
        w = result.frame.workloads[i]
        row = result.frame.rows.iloc[i]
        # the training rows carry the measured batch; the predictor must not cap it
        got = pred.estimate(
            row["arch_model_id"],
            row["gpu"],
            Workload(w.input_tokens, w.output_tokens, w.batch, w.gpus, w.precision, w.engine),
        )
        if got.batch_effective == w.batch:
            assert got.energy_wh == pytest.approx(expected[i], rel=1e-9)


def test_model_version_names_the_model_not_only_its_data():
    """Two formulas trained the same day on the same data must not share a version: a stored
    estimate names the model that made it. The shipped artefact's version matches its content."""
    import copy
    import json

    from pycore.resources import data_path
    from pycore.training import export

    art = json.loads(data_path("energy_model.json").read_text("utf-8"))
    assert art["model_version"] == export.model_version(art)
    other = copy.deepcopy(art)
    name = next(iter(other["physics_constants"]))
    other["physics_constants"][name] *= 1.01
    assert export.model_version(other) != art["model_version"]
    other = copy.deepcopy(art)
    other["metrics"] = {}  # reports are not the model
    assert export.model_version(other) == art["model_version"]
