"""Time of one energy prediction with the pure-Python inference path (CPython), median of many.

Prints a table: the shipped artefact, and the physics-informed forest candidate (200 trees)
exported the same way, so the cost of the tree evaluator is visible even when it is not shipped.

    .venv/bin/python bench/bench_predict.py
"""

from __future__ import annotations

import platform
import random
import statistics
import time

from pycore.energy.predictor import Predictor, default_predictor
from pycore.energy.workload import Workload

MODELS = [
    ("meta-llama/Llama-3.1-8B-Instruct", "H100-SXM", 1, "bf16"),
    ("Qwen/Qwen3-14B", "A100-SXM-80GB", 1, "bf16"),
    ("meta-llama/Llama-3.1-70B-Instruct", "H100-SXM", 4, "bf16"),
    ("deepseek-ai/DeepSeek-V3", "H200", 8, "fp8"),
    ("openai/gpt-oss-120b", "B200", 1, "fp4"),
]


def timings(pred: Predictor, n: int = 2000, seed: int = 0) -> tuple[float, float]:
    rng = random.Random(seed)
    cases = [
        (
            m,
            Workload(rng.randint(10, 4000), rng.randint(10, 4000), rng.choice([1, 8, 64, 256]), n_gpu, prec),
            g,
        )
        for m, g, n_gpu, prec in (rng.choice(MODELS) for _ in range(n))
    ]
    first = time.perf_counter()
    pred.estimate(cases[0][0], cases[0][2], cases[0][1])
    cold = time.perf_counter() - first
    times = []
    for m, w, g in cases:
        t = time.perf_counter()
        pred.estimate(m, g, w)
        times.append(time.perf_counter() - t)
    return cold, statistics.median(times)


def candidate_forest() -> Predictor:
    from pycore.training import export
    from pycore.training.models import PhysicsTrees
    from pycore.training.validate import training_frame

    _, frame = training_frame()
    model = PhysicsTrees().fit(frame)
    art = export.artefact(
        model,
        data_sha256="0" * 64,
        n_rows=len(frame.y_wh),
        training_models=[],
        interval={"log_low": -0.3, "log_high": 0.3, "coverage": 0.8},
        metrics={},
        chosen_because="benchmark only",
    )
    return Predictor(art)


def main() -> None:
    print(
        f"machine: {platform.machine()}, {platform.processor() or 'cpu'}, Python {platform.python_version()}"
    )
    print(f"{'predictor':<44} {'trees':>6} {'first call ms':>14} {'median ms':>10}")
    for name, pred in (
        ("shipped artefact (" + default_predictor().version + ")", default_predictor()),
        ("physics-informed forest candidate", candidate_forest()),
    ):
        cold, med = timings(pred)
        trees = len(pred.ensemble.trees) if pred.ensemble else 0
        print(f"{name:<44} {trees:>6} {cold * 1e3:>14.2f} {med * 1e3:>10.3f}")


if __name__ == "__main__":
    main()
