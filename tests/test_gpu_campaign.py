"""bench/gpu_campaign.py: the budget logic with a fake clock, and the whole flow as a CPU dry run.

The dry run's meter is simulated: its CSV rows carry no energy and say so.
"""

from __future__ import annotations

import csv
import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

from pycore.measure import budget, runner
from pycore.measure.grid import Point
from pycore.measure.meter import Measurement

REPO = Path(__file__).resolve().parents[1]
SCRIPT = REPO / "bench" / "gpu_campaign.py"


def load_campaign():
    if "gpu_campaign" not in sys.modules:
        spec = importlib.util.spec_from_file_location("gpu_campaign", SCRIPT)
        mod = importlib.util.module_from_spec(spec)
        sys.modules["gpu_campaign"] = mod  # dataclasses resolve annotations through sys.modules
        spec.loader.exec_module(mod)
    return sys.modules["gpu_campaign"]


class Clock:
    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t


class StubRun:
    """Each point takes (input + output tokens) / 100 seconds of the fake clock per run."""

    def __init__(self, clock: Clock, repeats: int, fail_on: set[str] = frozenset()) -> None:
        self.clock, self.repeats, self.fail_on, self.ran = clock, repeats, fail_on, []

    def run_point(self, p: Point) -> runner.PointResult:
        if p.label in self.fail_on:
            raise RuntimeError("CUDA out of memory")
        s = (p.input_tokens + p.output_tokens) / 100.0
        self.clock.t += s * self.repeats
        self.ran.append(p.label)
        runs = [
            Measurement(f"{p.label}#r{r}", s, {"0": 300.0 * s}, {"0": 290.0 * s}, 10)
            for r in range(self.repeats)
        ]
        return runner.PointResult(p, runs, row={})


def test_points_that_would_overrun_are_skipped_and_named_cheaper_ones_still_run():
    camp = load_campaign()
    clock = Clock()
    stub = StubRun(clock, repeats=2)
    points = [
        Point(100, 100, 1),
        Point(900, 100, 1),
        Point(100, 900, 1),
        Point(300, 100, 1),
        Point(10, 10, 1),
    ]
    calib = budget.Calibrator(margin=1.0, uncalibrated=1.0)
    # the estimate is exact, so a point runs iff 2 runs of it fit in what is left of 30 s
    results, skipped = camp.run_points(
        stub,
        points,
        lambda p: (p.input_tokens + p.output_tokens) / 100.0,
        calib,
        deadline=30.0,
        repeats=2,
        say=lambda s: None,
        now=clock,
    )
    assert stub.ran == ["in100-out100-b1", "in900-out100-b1", "in10-out10-b1"]  # 4 s, then 20 s, then 0.4 s
    assert skipped == [
        ("in100-out900-b1", "predicted 20.0 s > 6.0 s left"),
        ("in300-out100-b1", "predicted 8.0 s > 6.0 s left"),
    ]
    assert len(results) == 3 and calib.factor == 1.0


def test_failures_are_noted_and_the_model_is_abandoned_after_three():
    camp = load_campaign()
    clock = Clock()
    points = [Point(i, 10, 1) for i in (10, 20, 30, 40, 50)]
    stub = StubRun(clock, repeats=1, fail_on={p.label for p in points[:4]})
    freed = []
    results, skipped = camp.run_points(
        stub,
        points,
        lambda p: 0.1,
        budget.Calibrator(),
        deadline=1e9,
        repeats=1,
        say=lambda s: None,
        now=clock,
        after_failure=lambda: freed.append(1),
    )
    assert results == [] and len(skipped) == 3 and len(freed) == 3
    assert all("failed: RuntimeError: CUDA out of memory" in why for _, why in skipped)


@pytest.mark.slow
def test_dry_run_goes_through_the_whole_flow(tmp_path):
    p = subprocess.run(
        [
            sys.executable,
            str(SCRIPT),
            str(tmp_path),
            "--dry-run",
            "--repeats",
            "1",
            "--inputs",
            "8,32",
            "--outputs",
            "4,16",
            "--batches",
            "1,4",
            "--minutes",
            "3",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
    )
    assert p.returncode == 0, p.stdout + p.stderr
    assert "DRY RUN" in p.stdout and "SIMULATED" in p.stdout
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["dry_run"] and summary["corners"] == {"P1": [8, 4], "P2": [32, 4], "P3": [8, 16]}
    labels = [m["label"] for m in summary["models"]]
    assert labels == ["llama-3.1-8b", "llama-3.1-8b-16-layers", "qwen2.5-7b"]
    for m in summary["models"]:
        assert m["points"] == 8 and not m["error"] and set(m["ratios_by_batch"]) == {"1", "4"}
    assert {r["layers_ratio"] for r in summary["layer_ratios"]} == {0.5}  # tiny: 1 layer vs 2
    [csv_path] = tmp_path.glob("promptwatt_cpu-dry-run_*.csv")
    with csv_path.open() as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 24
    assert all(r["energy_wh"] == "" and r["not_measured_reason"].startswith("dry run") for r in rows)
    assert (tmp_path / "summary.md").read_text().startswith("# GPU campaign summary")
    assert (tmp_path / "campaign.log").stat().st_size > 0


def run_on_fake_gpu(monkeypatch, tmp_path, fake, models, *args: str) -> int:
    """bench/gpu_campaign.py's GPU branch with tiny models on the CPU behind ``fake`` (a FakeNvml)."""
    import signal

    from pycore.measure import engines

    camp = load_campaign()
    fake.install(monkeypatch)
    monkeypatch.setattr(runner, "_cuda_available", lambda: True)
    monkeypatch.setattr(runner, "_touch_cuda", lambda: None)
    monkeypatch.setattr(camp, "_free_cuda", lambda device: None)
    real = engines.TransformersEngine
    monkeypatch.setattr(
        engines,
        "TransformersEngine",
        lambda arch, device, gpus, precision, seed=0: real(arch, "cpu", 1, "fp32", seed),
    )
    monkeypatch.setattr(camp, "MODELS", models)
    handlers = {s: signal.getsignal(s) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        return camp.main([str(tmp_path), "--repeats", "1", *args, "--minutes", "30", "--idle-seconds", "1"])
    finally:
        for s, h in handlers.items():
            signal.signal(s, h)


@pytest.mark.slow
def test_the_gpu_path_runs_against_a_fake_nvml(monkeypatch, tmp_path):
    """The non-dry branch (NVML meter, idle, GPU catalog, rows with energy) with tiny models on the
    CPU behind a fake NVML: the flow a lent GPU will run, minus the GPU. Not a measurement."""
    from measure_fakes import FakeNvml

    from pycore.training import dataset

    camp = load_campaign()
    llama = "meta-llama/Llama-3.1-8B-Instruct"
    code = run_on_fake_gpu(
        monkeypatch,
        tmp_path,
        FakeNvml(),
        [
            ("tiny", llama, camp.TINY, 0.5),
            ("tiny-1-layer", llama, {**camp.TINY, "num_hidden_layers": 1}, 0.5),
        ],
        "--inputs",
        "8,32",
        "--outputs",
        "4,16",
        "--batches",
        "1,4",
    )
    assert code == 0
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert not summary["dry_run"] and summary["gpu"] == "H100-SXM" and summary["idle_w"] > 0
    assert [m["points"] for m in summary["models"]] == [8, 8]
    assert summary["layer_ratios"] and summary["counter_vs_sampled_pct"]["n"] == 16
    [csv_path] = tmp_path.glob("promptwatt_H100-SXM_*.csv")
    rows = dataset.build(tmp_path)
    ours = rows[rows.source == "promptwatt"]
    assert len(ours) == 16 and ours.energy_wh.gt(0).all() and set(ours.use) == {"external"}


def test_a_counter_that_never_advances_falls_back_to_power_samples(monkeypatch, tmp_path):
    """Some virtualised GPUs read the energy counter but never advance it: the idle window shows it,
    and the campaign measures from the 10 Hz samples instead of refusing every point."""
    from measure_fakes import FakeNvml

    from pycore.training import dataset

    camp = load_campaign()
    fake = FakeNvml(step_mj=0)  # the counter reads, but stays put
    code = run_on_fake_gpu(
        monkeypatch,
        tmp_path,
        fake,
        [("tiny", "meta-llama/Llama-3.1-8B-Instruct", camp.TINY, 1.0)],
        "--inputs",
        "8",
        "--outputs",
        "4,8",
        "--batches",
        "1",
    )
    assert code == 0
    assert "measuring from 10 Hz power samples alone" in (tmp_path / "campaign.log").read_text()
    assert fake.shut >= 1  # the counter meter was closed before the sampling one opened
    ours = dataset.build(tmp_path)
    ours = ours[ours.source == "promptwatt"]
    assert len(ours) == 2 and ours.energy_wh.gt(0).all()
    [csv_path] = tmp_path.glob("promptwatt_H100-SXM_*.csv")
    with csv_path.open() as f:
        rows = list(csv.DictReader(f))
    assert all(r["energy_covers"] != "" and "sampl" in r["energy_covers"] for r in rows), rows[0][
        "energy_covers"
    ]
