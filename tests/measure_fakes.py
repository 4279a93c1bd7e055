"""Fakes at the NVML boundary of pycore.measure.meter: counters from itertools.count, a patched clock.

``FakeNvml.install(monkeypatch)`` replaces the module's ``_nvml_*`` functions, ``_now`` and ``_sleep``,
so every joule a test expects is exact. Nothing here touches a GPU or pynvml.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field

from pycore.measure import meter as meter_mod

H100_NVML_NAME = "NVIDIA H100 80GB HBM3"


class FakeNVMLError(Exception):
    """Shaped like pynvml.NVMLError: the return code is ``value``."""

    def __init__(self, value: int) -> None:
        super().__init__(f"NVML error {value}")
        self.value = value


@dataclass
class FakeNvml:
    gpus: int = 1
    start_mj: int = 1_000_000
    step_mj: int = 250_000  # each counter read advances 250 J
    power_mw: int = 300_000  # 300 W
    clock_start: float = 100.0
    clock_step: float = 0.5  # each clock read advances 0.5 s
    name: str = H100_NVML_NAME
    memory_bytes: int = 80 * 10**9
    counters: dict[int, Iterator[int]] = field(default_factory=dict)
    energy_override: dict[int, list] = field(default_factory=dict)  # per GPU: values to return first
    inited: int = 0
    shut: int = 0

    def energy(self, handle: int) -> int:
        queue = self.energy_override.get(handle)
        if queue:
            value = queue.pop(0)
            if isinstance(value, Exception):
                raise value
            return value
        return next(self.counters[handle])

    def install(self, monkeypatch) -> FakeNvml:
        self.counters = {i: itertools.count(self.start_mj, self.step_mj) for i in range(self.gpus)}
        clock = itertools.count(self.clock_start, self.clock_step)

        def init() -> None:
            self.inited += 1

        def shutdown() -> None:
            self.shut += 1

        for name, fn in {
            "_nvml_init": init,
            "_nvml_shutdown": shutdown,
            "_nvml_device_count": lambda: self.gpus,
            "_nvml_handle": lambda i: i,
            "_nvml_name": lambda h: self.name,
            "_nvml_driver": lambda: "580.159.04",
            "_nvml_energy_mj": self.energy,
            "_nvml_power_mw": lambda h: self.power_mw,
            "_nvml_memory_total_bytes": lambda h: self.memory_bytes,
            "_nvml_clocks_mhz": lambda h: (1980, 2619),
            "_nvml_power_limit_mw": lambda h: 700_000,
            "_now": lambda: next(clock),
            "_sleep": lambda s: None,
        }.items():
            monkeypatch.setattr(meter_mod, name, fn)
        monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
        return self
