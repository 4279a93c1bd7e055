"""scikit-learn tree ensembles as plain per-tree arrays (the artefact's format)."""

from __future__ import annotations

import numpy as np
from sklearn.ensemble import HistGradientBoostingRegressor, RandomForestRegressor


def forest_trees(est: RandomForestRegressor) -> list[dict]:
    trees = []
    for tree in est.estimators_:
        t = tree.tree_
        assert t.value.shape[1:] == (1, 1), "single-output regression trees expected"
        trees.append(
            {
                "children_left": t.children_left.tolist(),
                "children_right": t.children_right.tolist(),
                "feature": [int(f) if f >= 0 else 0 for f in t.feature],
                "threshold": [float(v) for v in t.threshold],
                "value": [float(v) for v in t.value[:, 0, 0]],
            }
        )
    return trees


def boosting_trees(est: HistGradientBoostingRegressor) -> tuple[list[dict], float]:
    trees = []
    for (predictor,) in est._predictors:
        nodes = predictor.nodes
        assert not nodes["is_categorical"].any(), "categorical splits are not exported"
        leaf = nodes["is_leaf"].astype(bool)
        trees.append(
            {
                "children_left": np.where(leaf, -1, nodes["left"].astype(np.int64)).tolist(),
                "children_right": np.where(leaf, -1, nodes["right"].astype(np.int64)).tolist(),
                "feature": nodes["feature_idx"].astype(int).tolist(),
                "threshold": nodes["num_threshold"].astype(float).tolist(),
                "value": nodes["value"].astype(float).tolist(),
                "missing_go_to_left": nodes["missing_go_to_left"].astype(bool).tolist(),
            }
        )
    return trees, float(np.ravel(est._baseline_prediction)[0])
