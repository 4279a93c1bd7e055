"""Pure-Python evaluation of an exported scikit-learn tree ensemble.

The export keeps scikit-learn's own per-tree arrays (children, feature, threshold, value), so
evaluation is a loop over node indices. Random forests compare float32-rounded inputs with
``<=`` (scikit-learn casts X to float32); histogram gradient boosting compares float64 inputs.
Matching that rounding is what makes agreement exact at split thresholds.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Sequence
from dataclasses import dataclass

from pycore.errors import DataFileError

_F32 = struct.Struct("f")


def to_float32(x: float) -> float:
    """Round a float to the nearest float32, as numpy's astype(float32) does."""
    if math.isnan(x) or math.isinf(x):
        return x
    try:
        return _F32.unpack(_F32.pack(x))[0]
    except OverflowError:
        return math.copysign(math.inf, x)


@dataclass(frozen=True)
class Tree:
    left: tuple[int, ...]
    right: tuple[int, ...]
    feature: tuple[int, ...]
    threshold: tuple[float, ...]
    value: tuple[float, ...]
    missing_left: tuple[bool, ...]

    def predict(self, x: Sequence[float]) -> float:
        left, right, feature, threshold = self.left, self.right, self.feature, self.threshold
        node = 0
        while left[node] != -1:
            v = x[feature[node]]
            if v != v:  # NaN: follow the side the training saw missing values go
                node = left[node] if self.missing_left[node] else right[node]
            elif v <= threshold[node]:
                node = left[node]
            else:
                node = right[node]
        return self.value[node]


@dataclass(frozen=True)
class Ensemble:
    trees: tuple[Tree, ...]
    combine: str  # "mean" (random forest) or "sum" (boosting, leaf values already scaled)
    base_score: float
    float32_inputs: bool
    n_features: int

    def predict(self, x: Sequence[float]) -> float:
        if len(x) != self.n_features:
            raise ValueError(f"expected {self.n_features} features, got {len(x)}")
        xs = [to_float32(v) for v in x] if self.float32_inputs else [float(v) for v in x]
        total = 0.0
        for tree in self.trees:
            total += tree.predict(xs)
        if self.combine == "mean":
            return self.base_score + total / len(self.trees)
        return self.base_score + total


def load_ensemble(spec: dict, n_features: int) -> Ensemble:
    """Builds an ensemble from its exported dict, checking shapes so a bad file fails loudly."""
    try:
        trees = []
        for t in spec["trees"]:
            n = len(t["children_left"])
            arrays = (t["children_right"], t["feature"], t["threshold"], t["value"])
            if any(len(a) != n for a in arrays):
                raise DataFileError("tree arrays of unequal length in the model artefact")
            missing = t.get("missing_go_to_left") or [False] * n
            trees.append(
                Tree(
                    tuple(t["children_left"]),
                    tuple(t["children_right"]),
                    tuple(t["feature"]),
                    tuple(float(v) for v in t["threshold"]),
                    tuple(float(v) for v in t["value"]),
                    tuple(bool(m) for m in missing),
                )
            )
        if spec["combine"] not in ("mean", "sum"):
            raise DataFileError(f"unknown combine rule {spec['combine']!r}")
        return Ensemble(
            tuple(trees),
            spec["combine"],
            float(spec.get("base_score", 0.0)),
            bool(spec["float32_inputs"]),
            n_features,
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise DataFileError(f"malformed tree ensemble in the model artefact: {exc}") from exc
