"""The pure-Python ensemble evaluator against scikit-learn itself, on random and threshold inputs."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.ensemble import HistGradientBoostingRegressor, RandomForestRegressor

from pycore.energy.forest import load_ensemble, to_float32
from pycore.training.trees import boosting_trees, forest_trees


def _data(n=400, d=6, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d)) * rng.uniform(0.1, 1000, size=d)
    y = np.sin(X[:, 0] / 300) + 0.01 * X[:, 1] + rng.normal(scale=0.1, size=n)
    return X, y


def _threshold_inputs(trees, X, rng):
    """Inputs where one feature sits exactly on a split threshold (the cases rounding breaks)."""
    rows = []
    for t in trees:
        for f, thr, left in zip(t["feature"], t["threshold"], t["children_left"], strict=True):
            if left != -1:
                x = X[rng.integers(len(X))].copy()
                x[f] = thr
                rows.append(x)
    return np.array(rows)


def test_forest_agrees_with_sklearn_to_1e9_on_random_and_threshold_inputs():
    X, y = _data()
    est = RandomForestRegressor(n_estimators=25, min_samples_leaf=2, random_state=0).fit(X, y)
    spec = {"combine": "mean", "base_score": 0.0, "float32_inputs": True, "trees": forest_trees(est)}
    ens = load_ensemble(spec, X.shape[1])
    rng = np.random.default_rng(1)
    probe = np.vstack([rng.normal(size=(3000, 6)) * X.std(0) * 2, _threshold_inputs(spec["trees"], X, rng)])
    ours = np.array([ens.predict(list(x)) for x in probe])
    np.testing.assert_allclose(ours, est.predict(probe), rtol=0, atol=1e-9)


@pytest.mark.slow
def test_boosting_agrees_with_sklearn_to_1e9_including_missing_values():
    X, y = _data(seed=2)
    X[::17, 2] = np.nan
    est = HistGradientBoostingRegressor(max_iter=60, random_state=0).fit(X, y)
    trees, base = boosting_trees(est)
    ens = load_ensemble(
        {"combine": "sum", "base_score": base, "float32_inputs": False, "trees": trees}, X.shape[1]
    )
    rng = np.random.default_rng(3)
    probe = np.vstack(
        [rng.normal(size=(3000, 6)) * np.nanstd(X, 0) * 2, _threshold_inputs(trees, np.nan_to_num(X), rng)]
    )
    probe[::50, 2] = np.nan
    ours = np.array([ens.predict(list(x)) for x in probe])
    np.testing.assert_allclose(ours, est.predict(probe), rtol=0, atol=1e-9)


def test_float32_rounding_matches_numpy():
    rng = np.random.default_rng(4)
    with np.errstate(over="ignore"):
        for x in np.concatenate([rng.normal(size=1000) * 1e6, [0.1, 1 / 3, 1e39, -1e39, 2.0**-140]]):
            assert to_float32(float(x)) == float(np.float32(x))


def test_malformed_ensemble_is_a_data_file_error():
    from pycore.errors import DataFileError

    bad = {
        "combine": "mean",
        "float32_inputs": True,
        "trees": [
            {
                "children_left": [1, -1],
                "children_right": [-1],
                "feature": [0, 0],
                "threshold": [0.0, 0.0],
                "value": [0.0, 1.0],
            }
        ],
    }
    with pytest.raises(DataFileError):
        load_ensemble(bad, 1)
