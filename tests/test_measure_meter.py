"""The NVML meter against a fake NVML: exact joules, refusals, and the one error-translation table."""

from __future__ import annotations

import pytest
from measure_fakes import FakeNvml, FakeNVMLError

from pycore.errors import PromptWattError
from pycore.measure import meter as meter_mod
from pycore.measure.errors import MeasureError, MeterReadingError, MeterUnsupported, NoGPU, NvmlMissing
from pycore.measure.meter import (
    EnergyMeter,
    NullMeter,
    PowerSampler,
    SimulatedMeter,
    integrate,
    visible_indices,
)


def open_meter(gpus: int = 1) -> EnergyMeter:
    return EnergyMeter(gpus, sample_hz=0).open()  # no thread: samples only at the window edges


def test_counter_energy_is_summed_over_gpus_and_exact(monkeypatch):
    FakeNvml(gpus=2).install(monkeypatch)
    m = open_meter(2)
    m.begin_window("p")  # clock 100.0
    result = m.end_window("p")  # clock 100.5
    # each GPU's counter advanced one step (250,000 mJ) between the two reads
    assert result.counter_j == {"0": 250.0, "1": 250.0}
    assert result.counter_total_j == 500.0
    assert result.seconds == 0.5
    # 300 W per GPU at both edges, trapezoid over 0.5 s
    assert result.sampled_j == {"0": 150.0, "1": 150.0}
    assert result.counter_vs_sampled_pct == pytest.approx(-40.0, abs=1e-12)
    assert result.energy_j == 500.0 and result.is_measurement


def test_describe_and_clocks_come_from_nvml(monkeypatch):
    FakeNvml().install(monkeypatch)
    m = open_meter()
    assert m.describe() == {
        "gpu_name": "NVIDIA H100 80GB HBM3",
        "gpu_count": 1,
        "gpu_indices": "0",
        "driver": "580.159.04",
        "gpu_memory_bytes": 80 * 10**9,
    }
    assert m.clocks() == {"sm_clock_mhz": 1980, "mem_clock_mhz": 2619, "power_limit_w": 700.0}


def test_idle_power_is_counter_energy_over_the_idle_window(monkeypatch):
    FakeNvml(step_mj=60_000, clock_step=2.0).install(monkeypatch)
    idle = open_meter().measure_idle(2.0)
    assert idle.seconds == 2.0
    assert idle.counter_w == 30.0  # 60 J over 2 s
    assert idle.sampled_w == 300.0 and idle.watts == 30.0


def test_a_counter_that_goes_backwards_is_refused(monkeypatch):
    fake = FakeNvml().install(monkeypatch)
    m = open_meter()
    fake.energy_override[0] = [5_000_000, 4_000_000]
    m.begin_window("p")
    with pytest.raises(
        MeterReadingError,
        match=r"GPU 0: energy counter went backwards over 'p' \(5000000 mJ, then 4000000 mJ\)",
    ):
        m.end_window("p")


@pytest.mark.parametrize("bad", [None, -1, "12"])
def test_a_missing_or_invalid_reading_is_refused(monkeypatch, bad):
    fake = FakeNvml().install(monkeypatch)
    m = open_meter()
    m.begin_window("p")
    fake.energy_override[0] = [bad]
    with pytest.raises(MeterReadingError, match="missing or invalid"):
        m.end_window("p")


def test_a_counter_that_does_not_advance_is_refused(monkeypatch):
    fake = FakeNvml().install(monkeypatch)
    m = open_meter()
    fake.energy_override[0] = [7_000_000, 7_000_000]
    m.begin_window("short")
    with pytest.raises(MeterReadingError, match="did not advance") as exc:
        m.end_window("short")
    assert "too short" in exc.value.hint


def test_a_gpu_lost_mid_window_is_a_refused_reading(monkeypatch):
    fake = FakeNvml().install(monkeypatch)
    m = open_meter()
    m.begin_window("p")
    fake.energy_override[0] = [FakeNVMLError(meter_mod.NVML_ERROR_GPU_IS_LOST)]
    with pytest.raises(MeterReadingError, match="fell off the bus"):
        m.end_window("p")


def test_windows_are_keyed_like_zeus(monkeypatch):
    FakeNvml().install(monkeypatch)
    m = open_meter()
    m.begin_window("a")
    with pytest.raises(ValueError, match="'a' is already open"):
        m.begin_window("a")
    with pytest.raises(ValueError, match="'b' was never opened"):
        m.end_window("b")


def test_pynvml_not_installed_is_nvml_missing_with_the_install_hint(monkeypatch):
    def no_pynvml():
        raise ImportError("No module named 'pynvml'")

    monkeypatch.setattr(meter_mod, "_pynvml", no_pynvml)
    with pytest.raises(NvmlMissing, match="nvidia-ml-py") as exc:
        EnergyMeter(1, sample_hz=0).open()
    assert "promptwatt[measure]" in exc.value.hint


@pytest.mark.parametrize(
    "code, cls, text",
    [
        (meter_mod.NVML_ERROR_LIBRARY_NOT_FOUND, NvmlMissing, "libnvidia-ml.so"),
        (meter_mod.NVML_ERROR_DRIVER_NOT_LOADED, NvmlMissing, "driver is not loaded"),
        (meter_mod.NVML_ERROR_NO_PERMISSION, MeasureError, "no permission"),
        (999, MeasureError, "NVML failed"),
    ],
)
def test_vendor_errors_at_init_are_translated_in_one_place(monkeypatch, code, cls, text):
    FakeNvml().install(monkeypatch)

    def fail():
        raise FakeNVMLError(code)

    monkeypatch.setattr(meter_mod, "_nvml_init", fail)
    with pytest.raises(cls, match=text) as exc:
        EnergyMeter(1, sample_hz=0).open()
    assert isinstance(exc.value, PromptWattError) and not isinstance(exc.value, FakeNVMLError)


def test_a_gpu_without_the_counter_fails_at_open_not_mid_run(monkeypatch):
    fake = FakeNvml().install(monkeypatch)
    fake.energy_override[0] = [FakeNVMLError(meter_mod.NVML_ERROR_NOT_SUPPORTED)]
    with pytest.raises(MeterUnsupported, match="does not support"):
        EnergyMeter(1, sample_hz=0).open()


def test_without_the_counter_energy_comes_from_the_samples(monkeypatch):
    FakeNvml().install(monkeypatch)
    m = EnergyMeter(1, sample_hz=0, use_counter=False).open()
    m.begin_window("p")
    r = m.end_window("p")
    assert r.counter_j is None and r.energy_j == 150.0 and "power samples" in r.note


def test_no_gpu_and_too_few_gpus_are_clear(monkeypatch):
    fake = FakeNvml(gpus=0).install(monkeypatch)
    with pytest.raises(NoGPU, match="NVML sees no GPU"):
        EnergyMeter(1, sample_hz=0).open()
    fake.gpus = 2
    with pytest.raises(NoGPU, match="--gpus 4 asked for, but 2 GPU"):
        EnergyMeter(4, sample_hz=0).open()


def test_visible_indices_follow_cuda_visible_devices():
    assert visible_indices(2, 4, {}) == [0, 1]
    assert visible_indices(1, 4, {"CUDA_VISIBLE_DEVICES": "3,1"}) == [3]
    with pytest.raises(NoGPU, match="1 GPU"):
        visible_indices(2, 4, {"CUDA_VISIBLE_DEVICES": "2,-1,0"})  # CUDA stops at the first invalid entry
    with pytest.raises(NoGPU, match="0 GPU"):
        visible_indices(1, 4, {"CUDA_VISIBLE_DEVICES": ""})
    with pytest.raises(NoGPU, match="does not exist"):
        visible_indices(1, 2, {"CUDA_VISIBLE_DEVICES": "5"})


def test_trapezoid_integral_is_exact_and_needs_two_samples():
    samples = [(0.0, 100.0), (1.0, 300.0), (3.0, 300.0), (9.0, 1000.0)]
    assert integrate(samples, 0.0, 3.0) == 200.0 + 600.0
    assert integrate(samples, 0.5, 2.0) is None  # one sample inside
    assert integrate(samples, 0.0, 9.0) == 200.0 + 600.0 + 3900.0


def test_sampler_thread_samples_between_the_edges(monkeypatch):
    FakeNvml().install(monkeypatch)
    m = EnergyMeter(1, sample_hz=0).open()
    m.begin_window("p")  # t = 100.0 (counter and edge power reads take no clock reading)
    m.sampler.sample_once()  # t = 100.5
    m.sampler.sample_once()  # t = 101.0
    r = m.end_window("p")  # t = 101.5
    assert r.samples == 4 and r.sampled_j == {"0": 300.0 * 1.5}


def test_sampler_thread_runs_and_stops():
    calls = []
    s = PowerSampler(lambda: calls.append(1) or {"0": 1.0}, hz=200.0)
    s.start()
    import time

    deadline = time.monotonic() + 2.0
    while len(calls) < 3 and time.monotonic() < deadline:
        time.sleep(0.01)
    s.stop()
    n = len(calls)
    time.sleep(0.03)
    assert n >= 3 and len(calls) == n


def test_close_shuts_nvml_down_once(monkeypatch):
    fake = FakeNvml().install(monkeypatch)
    with EnergyMeter(1, sample_hz=0) as m:
        assert m.describe()["gpu_count"] == 1
    assert fake.inited == 1 and fake.shut == 1


def test_null_and_simulated_meters_are_not_measurements(monkeypatch):
    FakeNvml().install(monkeypatch)
    n = NullMeter()
    n.begin_window("p")
    r = n.end_window("p")
    assert not r.is_measurement and r.energy_j is None and "not measured" in r.note
    s = SimulatedMeter(watts=100.0)
    s.begin_window("p")
    r = s.end_window("p")
    assert not r.is_measurement and r.energy_j == pytest.approx(100.0 * r.seconds) and "simulated" in r.note
