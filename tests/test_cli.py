"""The `promptwatt` command line as a user runs it (a real subprocess of the installed script)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from pycore.energy.predictor import default_predictor
from pycore.energy.workload import Workload


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "pycore", *args], capture_output=True, text=True, timeout=600
    )


def test_estimate_json_has_the_energy_range_and_matches_the_library():
    p = run(
        "estimate",
        "--model",
        "meta-llama/Llama-3.1-70B-Instruct",
        "--gpu",
        "H100-SXM",
        "--gpus",
        "4",
        "--batch",
        "64",
        "--input",
        "500",
        "--output",
        "300",
        "--json",
    )
    assert p.returncode == 0, p.stderr
    out = json.loads(p.stdout)
    assert out["energy_wh_low"] < out["energy_wh"] < out["energy_wh_high"]
    lib = default_predictor().estimate(
        "meta-llama/Llama-3.1-70B-Instruct", "H100-SXM", Workload(500, 300, 64, 4)
    )
    assert out["energy_wh"] == lib.energy_wh


def test_estimate_text_says_what_it_assumed():
    p = run(
        "estimate",
        "--model",
        "Qwen/Qwen3-8B",
        "--gpu",
        "L4",
        "--input",
        "100",
        "--output",
        "100",
        "--precision",
        "fp8",
    )
    assert p.returncode == 0, p.stderr
    assert "Wh" in p.stdout and "assumed" in p.stdout and "L4" in p.stdout


def test_unknown_model_exits_2_with_the_nearest_names():
    p = run("estimate", "--model", "llama-3.1-8b-instruc", "--gpu", "H100", "--input", "1", "--output", "1")
    assert p.returncode == 2
    assert "nearest known" in p.stderr and "Llama-3.1-8B" in p.stderr


def test_unknown_gpu_exits_2_with_the_nearest_names():
    p = run("estimate", "--model", "Qwen/Qwen3-8B", "--gpu", "H1OO", "--input", "1", "--output", "1")
    assert p.returncode == 2 and "H100" in p.stderr


def test_a_model_too_big_says_how_many_gpus_it_needs():
    p = run(
        "estimate",
        "--model",
        "deepseek-ai/DeepSeek-V3",
        "--gpu",
        "H100-SXM",
        "--gpus",
        "2",
        "--input",
        "100",
        "--output",
        "100",
    )
    assert p.returncode == 2
    assert "needs at least 32 GPUs" in p.stderr  # 1.34 TB of bf16 weights on 80 GB cards


@pytest.mark.parametrize("cmd", ["models", "gpus"])
def test_listings_print_every_record(cmd):
    p = run(cmd, "--json")
    assert p.returncode == 0
    rows = json.loads(p.stdout)
    assert len(rows) >= (100 if cmd == "models" else 15)


@pytest.mark.slow
def test_validate_json_reports_held_out_metrics():
    p = run("validate", "--quick", "--json", "--reports", "/tmp/promptwatt-test-reports")
    assert p.returncode == 0, p.stderr
    out = json.loads(p.stdout)
    assert 0 < out["lomo_mape"] < 100 and out["lomo_r2"] <= 1 and out["architecture_groups"] >= 30


@pytest.mark.parametrize(
    ("flag", "value"), [("--input", "nan"), ("--output", "inf"), ("--batch", "nan"), ("--batch", "inf")]
)
def test_estimate_refuses_a_non_finite_workload_with_one_line(flag, value):
    # argparse's float() takes "nan" and "inf": NaN batch used to give a batch-1 estimate with exit 0,
    # NaN or infinite token counts a traceback
    args = {"--input": "500", "--output": "300", "--batch": "16", flag: value}
    p = run("estimate", "--model", "llama-3.1-8b", "--gpu", "H100", *[x for kv in args.items() for x in kv])
    assert p.returncode == 2 and p.stdout == ""
    assert p.stderr.strip().splitlines() == [
        f"promptwatt: {flag[2:]}{' tokens' if flag != '--batch' else ''} must be a finite number, got {value}"
    ]


def test_a_reader_that_goes_away_ends_the_command_without_a_traceback():
    # `promptwatt models | head -1`: the pipe closes before the listing is written
    p = subprocess.Popen(
        [sys.executable, "-m", "pycore", "models"], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    p.stdout.close()
    err = p.stderr.read().decode()
    assert p.wait(timeout=120) == 1
    assert err == ""
