"""The GPU catalog: every row loads with its source, names resolve, and errors name the nearest."""

from __future__ import annotations

import csv

import pytest

from pycore.energy.hardware import load_gpus
from pycore.errors import UnknownGPU
from pycore.resources import data_path

REQUIRED = [
    "V100",
    "T4",
    "A10G",
    "L4",
    "L40S",
    "A100-SXM-40GB",
    "A100-SXM-80GB",
    "A100-PCIe-40GB",
    "A100-PCIe-80GB",
    "H100-SXM",
    "H100-PCIe",
    "H100-NVL",
    "H200",
    "B200",
    "GB200",
    "MI300X",
]


def test_every_row_of_the_data_file_is_loaded_with_a_source():
    with data_path("gpus.csv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    gpus = list(load_gpus())
    assert len(gpus) == len(rows)
    for g in gpus:
        assert g.source.strip(), g.name
        assert g.memory_gb > 0 and g.bandwidth_gb_s > 0 and g.tdp_w > g.idle_w > 0 and g.tflops_bf16 > 0


@pytest.mark.parametrize("name", REQUIRED)
def test_required_gpus_are_in_the_catalog(name):
    assert load_gpus().get(name)


def test_names_from_the_datasets_resolve_to_one_gpu():
    c = load_gpus()
    assert c.get("NVIDIA H100 80GB HBM3") is c.get("h100") is c.get("H100-SXM")
    assert c.get("NVIDIA A100-SXM4-40GB").memory_gb == 40


def test_missing_precision_falls_back_to_the_next_wider_format():
    c = load_gpus()
    assert c.get("A100-SXM-80GB").tflops("fp8") == c.get("A100-SXM-80GB").tflops_bf16
    assert c.get("H100-SXM").tflops("fp4") == c.get("H100-SXM").tflops_fp8
    assert c.get("B200").tflops("fp4") == 9000
    assert not c.get("A100-SXM-80GB").supports("fp8") and c.get("H100-SXM").supports("fp8")


def test_unknown_gpu_names_the_nearest_known():
    with pytest.raises(UnknownGPU) as err:
        load_gpus().get("H1000")
    assert "H100-SXM" in err.value.nearest
