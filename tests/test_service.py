"""Deployment totals: per-prompt energy x traffic, to the wall and to CO2, with a TDP capacity floor."""

from __future__ import annotations

import json
import math
import subprocess
import sys

import pytest

from pycore.chat import impact
from pycore.energy.hardware import load_gpus
from pycore.energy.predictor import default_predictor
from pycore.energy.service import PERIOD_HOURS, service_cost
from pycore.energy.workload import Workload
from pycore.errors import InvalidInput


@pytest.fixture(scope="module")
def est():
    return default_predictor().estimate(
        "meta-llama/Llama-3.1-8B-Instruct", "H100-SXM", Workload(500, 300, 16)
    )


def test_gpu_energy_is_the_per_prompt_interval_times_the_traffic(est):
    d = service_cost(est, 2_000_000, "day", region="FR")
    assert d.gpu_kwh.central == pytest.approx(est.energy_wh * 2_000_000 / 1000, rel=1e-12)
    assert d.gpu_kwh.low == pytest.approx(est.energy_wh_low * 2000, rel=1e-12)
    assert d.gpu_kwh.high == pytest.approx(est.energy_wh_high * 2000, rel=1e-12)


def test_wall_and_co2_use_the_same_factors_as_chat_accounting(est):
    d = service_cost(est, 1e6, "day", region="DE", pue=1.2)
    overhead = impact.server_overhead().value
    assert d.wall_kwh.central == pytest.approx(d.gpu_kwh.central * (1 + overhead.central) * 1.2, rel=1e-12)
    assert d.wall_kwh.high == pytest.approx(d.gpu_kwh.high * (1 + overhead.high) * 1.2, rel=1e-12)
    g, rec = impact.grid_intensity("DE")
    assert not rec.is_fallback and d.region == "DE"
    assert d.co2_kg.central == pytest.approx(d.wall_kwh.central * g / 1000, rel=1e-12)


def test_the_period_changes_mean_power_not_energy(est):
    day, year = service_cost(est, 1e6, "day"), service_cost(est, 1e6, "year")
    assert day.gpu_kwh == year.gpu_kwh
    assert day.avg_gpu_power_w.central == pytest.approx(
        year.avg_gpu_power_w.central * PERIOD_HOURS["year"] / 24
    )
    assert day.avg_gpu_power_w.central == pytest.approx(day.gpu_kwh.central * 1000 / 24, rel=1e-12)


def test_traffic_beyond_the_tdp_of_one_replica_asks_for_more(est):
    tdp = load_gpus().get("H100-SXM").tdp_w
    small = service_cost(est, 1000, "day")
    assert small.min_replicas == 1 and not any("needs at least" in n for n in small.notes)
    big = service_cost(est, 1e8, "day")
    assert big.min_replicas == math.ceil(big.avg_gpu_power_w.low / tdp) > 1
    assert any(f"at least {big.min_replicas} replicas" in n for n in big.notes)


def test_unknown_region_and_default_pue_are_flagged(est):
    d = service_cost(est, 1e6, "day", region="XX")
    assert d.region == "WORLD" and any("'XX'" in n for n in d.notes)
    assert any("PUE" in n and "--pue" in n for n in d.notes)
    assert not any(
        "--pue" in n or "world" in n for n in service_cost(est, 1e6, "day", region="FR", pue=1.1).notes
    )


@pytest.mark.parametrize(
    "kwargs",
    [
        {"requests": 0},
        {"requests": -1},
        {"requests": float("nan")},
        {"requests": True},
        {"requests": 10, "period": "week"},
        {"requests": 10, "pue": 0.9},
    ],
)
def test_bad_deployment_input_is_refused_with_a_reason(est, kwargs):
    with pytest.raises(InvalidInput):
        service_cost(est, **kwargs)


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pycore",
            "estimate",
            "--model",
            "llama-3.1-8b",
            "--gpu",
            "H100",
            "--input",
            "500",
            "--output",
            "300",
            "--batch",
            "16",
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_cli_json_carries_the_deployment_and_text_prints_it(est):
    p = _cli("--requests", "1e6", "--region", "FR", "--json")
    assert p.returncode == 0, p.stderr
    d = json.loads(p.stdout)["deployment"]
    assert d["gpu_kwh"]["central"] == pytest.approx(est.energy_wh * 1000, rel=1e-12) and d["region"] == "FR"
    text = _cli("--requests", "1e6", "--per", "month", "--region", "FR")
    assert text.returncode == 0 and "prompts per month" in text.stdout and "kg" in text.stdout


def test_cli_refuses_region_without_traffic():
    p = _cli("--region", "FR")
    assert p.returncode == 2 and "--requests" in p.stderr


def test_cli_refuses_a_period_without_traffic():
    # --per alone used to be ignored: a per-prompt estimate, exit 0, as if the period had been read
    p = _cli("--per", "month")
    assert p.returncode == 2 and p.stdout == "" and "--per" in p.stderr and "--requests" in p.stderr


def test_provisioned_replicas_add_idle_capacity_between_physical_bounds(est):
    gpu = load_gpus().get("H100-SXM")
    d = service_cost(est, 1e5, "day", region="FR", replicas=3)
    p, e = d.provisioned, d.gpu_kwh
    gpu_hours = 3 * 1 * 24
    assert p.gpu_hours == gpu_hours and p.idle_floor_kwh == pytest.approx(gpu_hours * gpu.idle_w / 1000)
    # low: serving GPUs at idle power, so never below the idle floor nor the serving energy itself
    assert p.gpu_kwh.low == pytest.approx(max(e.low, p.idle_floor_kwh), rel=1e-12)
    # high: serving at TDP keeps the GPUs busy the least time, so the most idle time is added
    assert p.gpu_kwh.high == pytest.approx(
        e.high + gpu.idle_w * (gpu_hours - e.high * 1000 / gpu.tdp_w) / 1000, rel=1e-12
    )
    mid_w = (gpu.idle_w + gpu.tdp_w) / 2
    assert p.gpu_kwh.central == pytest.approx(
        e.central + gpu.idle_w * (gpu_hours - e.central * 1000 / mid_w) / 1000, rel=1e-12
    )
    assert p.busy_share.low == pytest.approx(e.low * 1000 / gpu.tdp_w / gpu_hours, rel=1e-12)
    assert p.busy_share.high == pytest.approx(min(1.0, e.high * 1000 / gpu.idle_w / gpu_hours), rel=1e-12)
    overhead = impact.server_overhead().value
    assert p.wall_kwh.high == pytest.approx(p.gpu_kwh.high * (1 + overhead.high) * d.pue.high, rel=1e-12)
    assert d.as_dict()["provisioned"]["gpu_kwh"]["central"] == p.gpu_kwh.central
    assert service_cost(est, 1e5, "day").provisioned is None


def test_more_replicas_for_the_same_traffic_cost_more_idle_energy(est):
    few, many = service_cost(est, 1e5, "day", replicas=2), service_cost(est, 1e5, "day", replicas=20)
    for end in ("low", "central", "high"):
        assert getattr(many.provisioned.gpu_kwh, end) > getattr(few.provisioned.gpu_kwh, end)
        assert getattr(few.provisioned.gpu_kwh, end) >= getattr(few.gpu_kwh, end)


@pytest.mark.parametrize("replicas", [0, -1, 1.5, True])
def test_bad_replica_counts_are_refused(est, replicas):
    with pytest.raises(InvalidInput):
        service_cost(est, 1e5, "day", replicas=replicas)


def test_too_few_replicas_for_the_traffic_say_how_many_are_needed(est):
    d = service_cost(est, 1e8, "day")
    with pytest.raises(InvalidInput) as exc:
        service_cost(est, 1e8, "day", replicas=d.min_replicas - 1)
    assert f"--replicas {d.min_replicas}" in exc.value.hint
    assert service_cost(est, 1e8, "day", replicas=d.min_replicas).provisioned.busy_share.high <= 1.0


def test_cli_prints_the_provisioned_capacity_and_refuses_replicas_without_traffic():
    p = _cli("--requests", "1e5", "--replicas", "3", "--json")
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)["deployment"]["provisioned"]["replicas"] == 3
    text = _cli("--requests", "1e5", "--replicas", "3")
    assert "replica(s) powered all day" in text.stdout and "busy share" in text.stdout
    bad = _cli("--replicas", "3")
    assert bad.returncode == 2 and "--requests" in bad.stderr
