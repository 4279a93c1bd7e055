"""One meter per node, summed: tested with fake meters (no cluster has been run)."""

from __future__ import annotations

import pytest
from measure_fakes import FakeNvml

from pycore.measure import meter as meter_mod
from pycore.measure.errors import MeasureError, MeterReadingError
from pycore.measure.meter import Measurement
from pycore.measure.multinode import MultiNodeMeter


class FakeNodeMeter:
    def __init__(
        self,
        joules: dict[str, float],
        seconds: float,
        sampled: dict[str, float] | None = None,
        fail: Exception | None = None,
        gpu_name: str = "NVIDIA A100-SXM4-80GB",
    ) -> None:
        self.joules, self.seconds, self.sampled, self.fail, self.gpu_name = (
            joules,
            seconds,
            sampled,
            fail,
            gpu_name,
        )
        self.open_keys: set[str] = set()
        self.opened = self.closed = 0

    def open(self):
        self.opened += 1
        return self

    def close(self):
        self.closed += 1

    def describe(self):
        return {
            "gpu_name": self.gpu_name,
            "gpu_count": len(self.joules),
            "gpu_indices": ";".join(self.joules),
            "driver": "550.1",
            "gpu_memory_bytes": 80 * 10**9,
        }

    def clocks(self):
        return {"sm_clock_mhz": 1410, "mem_clock_mhz": 1593, "power_limit_w": 400.0}

    def begin_window(self, key):
        if key in self.open_keys:
            raise ValueError(key)
        self.open_keys.add(key)

    def end_window(self, key):
        self.open_keys.remove(key)
        if self.fail:
            raise self.fail
        return Measurement(key, self.seconds, dict(self.joules), self.sampled, 5)


def test_energies_are_summed_over_every_gpu_of_every_node():
    a = FakeNodeMeter({"0": 100.0, "1": 110.0}, 2.0, {"0": 90.0, "1": 100.0})
    b = FakeNodeMeter({"0": 120.0, "1": 130.0}, 2.1, {"0": 125.0, "1": 140.0})
    with MultiNodeMeter({"node-a": a, "node-b": b}) as m:
        m.begin_window("p")
        r = m.end_window("p")
        assert m.describe()["gpu_count"] == 4 and m.describe()["gpu_indices"] == "node-a/0;1;node-b/0;1"
    assert r.counter_j == {"node-a/0": 100.0, "node-a/1": 110.0, "node-b/0": 120.0, "node-b/1": 130.0}
    assert r.counter_total_j == 460.0 and r.sampled_total_j == 455.0 and r.seconds == 2.1 and r.samples == 10
    assert r.counter_vs_sampled_pct == pytest.approx(-5 / 460 * 100)
    assert a.opened == b.opened == a.closed == b.closed == 1


def test_one_node_refusing_refuses_the_window_and_closes_the_others():
    a = FakeNodeMeter({"0": 100.0}, 1.0)
    b = FakeNodeMeter({"0": 100.0}, 1.0, fail=MeterReadingError("GPU 0: energy counter went backwards"))
    c = FakeNodeMeter({"0": 100.0}, 1.0)
    m = MultiNodeMeter({"a": a, "b": b, "c": c})
    m.begin_window("p")
    with pytest.raises(MeterReadingError, match="backwards"):
        m.end_window("p")
    assert not a.open_keys and not b.open_keys and not c.open_keys


def test_a_node_without_sampled_energy_leaves_the_sum_without_it():
    m = MultiNodeMeter({"a": FakeNodeMeter({"0": 1.0}, 1.0, {"0": 1.0}), "b": FakeNodeMeter({"0": 1.0}, 1.0)})
    m.begin_window("p")
    r = m.end_window("p")
    assert r.counter_total_j == 2.0 and r.sampled_j is None


def test_mixed_gpu_kinds_are_refused():
    m = MultiNodeMeter(
        {"a": FakeNodeMeter({"0": 1.0}, 1.0), "b": FakeNodeMeter({"0": 1.0}, 1.0, gpu_name="NVIDIA H100")}
    )
    with pytest.raises(MeasureError, match="different GPUs"):
        m.describe()


def test_idle_is_summed_over_nodes_with_real_meters_behind_a_fake_nvml(monkeypatch):
    FakeNvml(gpus=2, step_mj=100_000, clock_step=1.0).install(monkeypatch)
    nodes = {n: meter_mod.EnergyMeter(1, indices=[i], sample_hz=0) for i, n in enumerate(("a", "b"))}
    m = MultiNodeMeter(nodes).open()
    idle = m.measure_idle(3.0)
    # clock reads: a begins 100, b begins 101, a ends 102, b ends 103: each node 100 J over 2 s
    assert idle.counter_w == 100.0 / 2.0 + 100.0 / 2.0 and idle.seconds == 2.0
    m.begin_window("p")
    r = m.end_window("p")
    assert r.counter_j == {"a/0": 100.0, "b/1": 100.0}
