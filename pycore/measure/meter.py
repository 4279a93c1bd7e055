"""GPU energy meter: NVML's total-energy counter read before and after each window, summed over
the GPUs in use, with power sampled at 10 Hz and integrated beside it.

The counter (``nvmlDeviceGetTotalEnergyConsumption``, Volta and later) is the measurement; the
sampled integral is what CodeCarbon-style tools report (power read every 100 ms times the
interval), kept so the report can say how far the two differ. Idle power is measured once, before
the points, so rows can carry energy both gross and net of idle.

Units live in names: ``*_mj`` millijoules and ``*_mw`` milliwatts are NVML's; ``*_j`` joules and
``*_w`` watts are ours. They are converted once, here.

The NVML boundary is the set of module functions ``_nvml_*`` (one vendor call each) plus the clock
``_now`` and ``_sleep``: tests patch exactly these. Every vendor call goes through ``_call``, the
one place that turns pynvml's exceptions into ours; callers never see a pynvml exception.
"""

from __future__ import annotations

import itertools
import logging
import os
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from pycore.errors import PromptWattError
from pycore.measure.errors import MeasureError, MeterReadingError, MeterUnsupported, NoGPU, NvmlMissing

log = logging.getLogger(__name__)

SAMPLE_HZ = 10.0
IDLE_SECONDS = 5.0

# NVML return codes (nvml.h; part of its stable ABI) -> our exception and what to tell the user.
NVML_ERROR_UNINITIALIZED = 1
NVML_ERROR_INVALID_ARGUMENT = 2
NVML_ERROR_NOT_SUPPORTED = 3
NVML_ERROR_NO_PERMISSION = 4
NVML_ERROR_NOT_FOUND = 6
NVML_ERROR_DRIVER_NOT_LOADED = 9
NVML_ERROR_LIBRARY_NOT_FOUND = 12
NVML_ERROR_FUNCTION_NOT_FOUND = 13
NVML_ERROR_GPU_IS_LOST = 15

_INSTALL_HINT = (
    "install the extra: pip install 'promptwatt[measure]' (nvidia-ml-py), on a machine with an NVIDIA driver"
)
_ERRORS: dict[int, tuple[type[MeasureError], str, str]] = {
    NVML_ERROR_DRIVER_NOT_LOADED: (
        NvmlMissing,
        "the NVIDIA driver is not loaded",
        "is this a GPU machine? try nvidia-smi",
    ),
    NVML_ERROR_LIBRARY_NOT_FOUND: (
        NvmlMissing,
        "the NVML library (libnvidia-ml.so) was not found",
        "install the NVIDIA driver, or run on a GPU machine",
    ),
    NVML_ERROR_FUNCTION_NOT_FOUND: (
        NvmlMissing,
        "the NVIDIA driver is too old for this NVML call",
        "update the driver",
    ),
    NVML_ERROR_UNINITIALIZED: (NvmlMissing, "NVML is not initialised", "open the meter before reading it"),
    NVML_ERROR_NOT_SUPPORTED: (
        MeterUnsupported,
        "this GPU or driver does not support the reading",
        "the total-energy counter needs a Volta or newer GPU",
    ),
    NVML_ERROR_NO_PERMISSION: (
        MeasureError,
        "no permission to read this NVML value",
        "run as a user allowed to query the GPU",
    ),
    NVML_ERROR_INVALID_ARGUMENT: (NoGPU, "no such GPU", "check --gpus and CUDA_VISIBLE_DEVICES"),
    NVML_ERROR_NOT_FOUND: (NoGPU, "no such GPU", "check --gpus and CUDA_VISIBLE_DEVICES"),
    NVML_ERROR_GPU_IS_LOST: (
        MeterReadingError,
        "the GPU fell off the bus during the reading",
        "the point is not written; check the machine before measuring again",
    ),
}


def _translate(exc: BaseException, what: str) -> PromptWattError:
    """The one table from vendor errors to ours."""
    if isinstance(exc, ImportError):
        return NvmlMissing(f"nvidia-ml-py (pynvml) is not installed, so {what} is impossible", _INSTALL_HINT)
    code = getattr(exc, "value", None)
    if isinstance(code, int) and code in _ERRORS:
        cls, message, hint = _ERRORS[code]
        return cls(f"{what}: {message} (NVML error {code})", hint)
    return MeasureError(f"{what}: NVML failed: {exc}", "see the NVML error above")


def _call(fn: Callable[..., Any], *args: Any, what: str) -> Any:
    try:
        return fn(*args)
    except PromptWattError:
        raise
    except Exception as exc:  # pynvml raises NVMLError subclasses; anything else is as unexpected
        raise _translate(exc, what) from exc


# -- the NVML boundary: one vendor call each (tests patch these) ------------------------------------


def _pynvml() -> Any:
    import pynvml  # nvidia-ml-py

    return pynvml


def _nvml_init() -> None:
    _pynvml().nvmlInit()


def _nvml_shutdown() -> None:
    _pynvml().nvmlShutdown()


def _nvml_device_count() -> int:
    return int(_pynvml().nvmlDeviceGetCount())


def _nvml_handle(index: int) -> Any:
    return _pynvml().nvmlDeviceGetHandleByIndex(index)


def _nvml_index_of_uuid(uuid: str) -> int:
    nv = _pynvml()
    return int(nv.nvmlDeviceGetIndex(nv.nvmlDeviceGetHandleByUUID(uuid)))


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _nvml_name(handle: Any) -> str:
    return _text(_pynvml().nvmlDeviceGetName(handle))


def _nvml_driver() -> str:
    return _text(_pynvml().nvmlSystemGetDriverVersion())


def _nvml_energy_mj(handle: Any) -> int:
    return int(_pynvml().nvmlDeviceGetTotalEnergyConsumption(handle))


def _nvml_power_mw(handle: Any) -> int:
    return int(_pynvml().nvmlDeviceGetPowerUsage(handle))


def _nvml_memory_total_bytes(handle: Any) -> int:
    return int(_pynvml().nvmlDeviceGetMemoryInfo(handle).total)


def _nvml_clocks_mhz(handle: Any) -> tuple[int, int]:
    nv = _pynvml()
    return int(nv.nvmlDeviceGetClockInfo(handle, nv.NVML_CLOCK_SM)), int(
        nv.nvmlDeviceGetClockInfo(handle, nv.NVML_CLOCK_MEM)
    )


def _nvml_power_limit_mw(handle: Any) -> int:
    return int(_pynvml().nvmlDeviceGetEnforcedPowerLimit(handle))


_now: Callable[[], float] = time.monotonic
_sleep: Callable[[float], None] = time.sleep


# -- results ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Measurement:
    """One window. Energies are per GPU (label -> joules); None where the meter has no such reading."""

    key: str
    seconds: float
    counter_j: dict[str, float] | None
    sampled_j: dict[str, float] | None
    samples: int = 0
    is_measurement: bool = True
    note: str = ""

    @property
    def counter_total_j(self) -> float | None:
        return None if self.counter_j is None else sum(self.counter_j.values())

    @property
    def sampled_total_j(self) -> float | None:
        return None if self.sampled_j is None else sum(self.sampled_j.values())

    @property
    def energy_j(self) -> float | None:
        """The energy a row reports: the counter where there is one, else the sampled integral."""
        return self.counter_total_j if self.counter_j is not None else self.sampled_total_j

    @property
    def counter_vs_sampled_pct(self) -> float | None:
        """How far the sampled integral is from the counter, in % of the counter."""
        c, s = self.counter_total_j, self.sampled_total_j
        return None if c is None or s is None or c <= 0 else (s - c) / c * 100.0


@dataclass(frozen=True)
class IdlePower:
    """Power of the GPUs in use with nothing running (CUDA context open), summed over them."""

    seconds: float
    counter_w: float | None
    sampled_w: float | None

    @property
    def watts(self) -> float | None:
        return self.counter_w if self.counter_w is not None else self.sampled_w


# -- power sampling ---------------------------------------------------------------------------------


def integrate(samples: Sequence[tuple[float, float]], t0: float, t1: float) -> float | None:
    """Trapezoid integral (joules) of (time s, power W) samples lying within [t0, t1].

    Returns None with fewer than two samples there: no energy can be read from one point.
    """
    inside = sorted((t, w) for t, w in samples if t0 <= t <= t1)
    if len(inside) < 2:
        return None
    return sum((tb - ta) * (wa + wb) / 2.0 for (ta, wa), (tb, wb) in itertools.pairwise(inside))


class PowerSampler:
    """Reads every GPU's power ``hz`` times a second on a daemon thread; windows integrate it.

    ``add`` also takes the samples the meter reads itself at each window's edges, so a window's
    integral always starts and ends exactly at its edges.
    """

    def __init__(self, read_w: Callable[[], dict[str, float]], hz: float = SAMPLE_HZ) -> None:
        self._read_w = read_w
        self.hz = hz
        self._samples: list[tuple[float, dict[str, float]]] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.missed = 0

    def add(self, t: float, watts: dict[str, float]) -> None:
        with self._lock:
            self._samples.append((t, watts))

    def sample_once(self) -> None:
        t = _now()
        try:
            watts = self._read_w()
        except PromptWattError as exc:  # a lost sample only thins the integral; the counter decides
            self.missed += 1
            log.debug("power sample missed: %s", exc)
            return
        self.add(t, watts)

    def _loop(self) -> None:
        interval = 1.0 / self.hz
        while not self._stop.wait(interval):
            self.sample_once()

    def start(self) -> None:
        if self.hz > 0 and self._thread is None:
            self._thread = threading.Thread(target=self._loop, name="promptwatt-power-sampler", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2.0)
            self._thread = None

    def energy_j(self, t0: float, t1: float) -> tuple[dict[str, float] | None, int]:
        """Per-GPU integral over [t0, t1] and the number of samples it used."""
        with self._lock:
            window = [(t, w) for t, w in self._samples if t0 <= t <= t1]
            # older samples are never needed again: windows do not overlap in time going backwards
            self._samples = [(t, w) for t, w in self._samples if t >= t0]
        if len(window) < 2:
            return None, len(window)
        labels = set.intersection(*(set(w) for _, w in window))
        out: dict[str, float] = {}
        for label in sorted(labels):
            value = integrate([(t, w[label]) for t, w in window], t0, t1)
            if value is not None:
                out[label] = value
        return out, len(window)


# -- the meter --------------------------------------------------------------------------------------


def visible_indices(count: int, total: int, env: dict[str, str] | None = None) -> list[int]:
    """NVML indices of the first ``count`` GPUs the CUDA process sees (CUDA_VISIBLE_DEVICES, by
    index or UUID). NVML numbers GPUs by PCI bus; set CUDA_DEVICE_ORDER=PCI_BUS_ID so CUDA agrees."""
    env = os.environ if env is None else env
    visible = env.get("CUDA_VISIBLE_DEVICES")
    if visible is None:
        indices = list(range(total))
    else:
        indices = []
        for item in (x.strip() for x in visible.split(",")):
            if not item:
                continue
            if item.lstrip("-").isdigit():
                if int(item) < 0:
                    break  # CUDA stops at the first invalid entry
                indices.append(int(item))
            else:
                indices.append(_call(_nvml_index_of_uuid, item, what=f"finding GPU {item}"))
    if count > len(indices):
        raise NoGPU(
            f"--gpus {count} asked for, but {len(indices)} GPU(s) are visible "
            f"(NVML sees {total}, CUDA_VISIBLE_DEVICES={visible!r})",
            "lower --gpus or make more GPUs visible",
        )
    for i in indices[:count]:
        if not 0 <= i < total:
            raise NoGPU(
                f"GPU index {i} in CUDA_VISIBLE_DEVICES does not exist (NVML sees {total})",
                "check CUDA_VISIBLE_DEVICES",
            )
    return indices[:count]


class EnergyMeter:
    """Counter + sampled energy of the GPUs in use; a window is ``begin_window(key)`` ... ``end_window(key)``.

    ``use_counter=False`` measures from the power samples alone (for a GPU without the counter:
    rows then say so in ``energy_covers``).
    """

    is_measurement = True

    def __init__(
        self,
        gpus: int = 1,
        *,
        indices: Sequence[int] | None = None,
        sample_hz: float = SAMPLE_HZ,
        use_counter: bool = True,
    ) -> None:
        self.gpus = gpus
        self._indices = list(indices) if indices is not None else None
        self.sample_hz = sample_hz
        self.use_counter = use_counter
        self.indices: list[int] = []
        self._handles: dict[str, Any] = {}
        self.names: list[str] = []
        self.memory_total_bytes: list[int] = []
        self.driver = ""
        self._open: dict[str, tuple[float, dict[str, int] | None]] = {}
        self.sampler = PowerSampler(self._read_power_w, sample_hz)
        self._initialised = False

    # lifecycle

    def open(self) -> EnergyMeter:
        _call(_nvml_init, what="starting NVML")
        self._initialised = True
        total = _call(_nvml_device_count, what="counting GPUs")
        if total < 1:
            raise NoGPU("NVML sees no GPU", "run on a machine with an NVIDIA GPU, or use --device cpu")
        self.indices = list(self._indices) if self._indices is not None else visible_indices(self.gpus, total)
        for i in self.indices:
            h = _call(_nvml_handle, i, what=f"opening GPU {i}")
            self._handles[str(i)] = h
            self.names.append(_call(_nvml_name, h, what=f"reading GPU {i}'s name"))
            self.memory_total_bytes.append(
                _call(_nvml_memory_total_bytes, h, what=f"reading GPU {i}'s memory")
            )
        if len(set(self.names)) > 1:
            raise MeasureError(
                f"GPUs in use differ: {sorted(set(self.names))}", "measure one GPU kind at a time"
            )
        self.driver = _call(_nvml_driver, what="reading the driver version")
        if self.use_counter:
            self._read_counters("opening the meter")  # fails now, not mid-run, if unsupported
        self.sampler.start()
        return self

    def close(self) -> None:
        self.sampler.stop()
        if self._initialised:
            self._initialised = False
            try:
                _call(_nvml_shutdown, what="stopping NVML")
            except PromptWattError as exc:
                log.warning("%s", exc)

    def __enter__(self) -> EnergyMeter:
        return self.open()

    def __exit__(self, *exc: object) -> None:
        self.close()

    # readings

    def _read_counters(self, key: str) -> dict[str, int]:
        out = {}
        for label, h in self._handles.items():
            value = _call(_nvml_energy_mj, h, what=f"reading GPU {label}'s energy counter ({key})")
            if value is None or isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise MeterReadingError(
                    f"GPU {label}: energy counter reading missing or invalid ({value!r}) at {key!r}",
                    "the point is not written",
                )
            out[label] = value
        return out

    def _read_power_w(self) -> dict[str, float]:
        return {
            label: _call(_nvml_power_mw, h, what=f"reading GPU {label}'s power") / 1000.0
            for label, h in self._handles.items()
        }

    def clocks(self) -> dict[str, float | None]:
        """SM and memory clocks and the enforced power limit of the first GPU, where readable."""
        h = next(iter(self._handles.values()))
        out: dict[str, float | None] = {"sm_clock_mhz": None, "mem_clock_mhz": None, "power_limit_w": None}
        try:
            out["sm_clock_mhz"], out["mem_clock_mhz"] = _call(_nvml_clocks_mhz, h, what="reading clocks")
        except PromptWattError as exc:
            log.debug("clocks not readable: %s", exc)
        try:
            out["power_limit_w"] = _call(_nvml_power_limit_mw, h, what="reading the power limit") / 1000.0
        except PromptWattError as exc:
            log.debug("power limit not readable: %s", exc)
        return out

    def describe(self) -> dict[str, Any]:
        return {
            "gpu_name": self.names[0] if self.names else "",
            "gpu_count": len(self.indices),
            "gpu_indices": ";".join(map(str, self.indices)),
            "driver": self.driver,
            "gpu_memory_bytes": min(self.memory_total_bytes) if self.memory_total_bytes else 0,
        }

    # windows

    def begin_window(self, key: str) -> None:
        if key in self._open:
            raise ValueError(f"measurement window {key!r} is already open")
        t0 = _now()
        counters = self._read_counters(key) if self.use_counter else None
        self._edge_sample(t0)
        self._open[key] = (t0, counters)

    def _edge_sample(self, t: float) -> None:
        try:
            self.sampler.add(t, self._read_power_w())
        except PromptWattError as exc:
            self.sampler.missed += 1
            log.debug("edge power sample missed: %s", exc)

    def end_window(self, key: str) -> Measurement:
        if key not in self._open:
            raise ValueError(f"measurement window {key!r} was never opened")
        t0, begin = self._open.pop(key)
        t1 = _now()
        end = self._read_counters(key) if self.use_counter else None
        self._edge_sample(t1)
        seconds = t1 - t0
        if not seconds > 0:
            raise MeterReadingError(
                f"window {key!r} has a non-positive duration ({seconds} s)", "the clock misbehaved"
            )
        counter_j = None
        if begin is not None and end is not None:
            counter_j = {}
            for label, b in begin.items():
                e = end[label]
                if e < b:
                    raise MeterReadingError(
                        f"GPU {label}: energy counter went backwards over {key!r} ({b} mJ, then {e} mJ)",
                        "the driver was reloaded or the GPU reset mid-point; the point is not written: rerun it",
                    )
                if e == b:
                    raise MeterReadingError(
                        f"GPU {label}: energy counter did not advance over {key!r} ({seconds:.3f} s)",
                        "NVML updates the counter every few tens of ms: the point is too short to measure; "
                        "use longer points",
                    )
                counter_j[label] = (e - b) / 1000.0
        sampled_j, n = self.sampler.energy_j(t0, t1)
        if not self.use_counter and not sampled_j:
            raise MeterReadingError(
                f"window {key!r}: no power samples ({n}) and no counter", "the point is not written"
            )
        return Measurement(
            key,
            seconds,
            counter_j,
            sampled_j or None,
            n,
            True,
            "" if self.use_counter else "energy from 10 Hz power samples (no counter)",
        )

    def measure_idle(self, seconds: float = IDLE_SECONDS) -> IdlePower:
        """Idle power over ``seconds`` (nothing running); measured once, before the points."""
        self.begin_window("idle")
        _sleep(seconds)
        m = self.end_window("idle")
        counter = None if m.counter_total_j is None else m.counter_total_j / m.seconds
        sampled = None if m.sampled_total_j is None else m.sampled_total_j / m.seconds
        return IdlePower(m.seconds, counter, sampled)


@dataclass
class NullMeter:
    """No energy reading at all (CPU runs): windows keep time only, rows say they are not measurements."""

    reason: str = "device cpu: no GPU energy meter, energy not measured (timing only)"
    is_measurement: bool = False
    _open: dict[str, float] = field(default_factory=dict)

    def open(self) -> NullMeter:
        return self

    def close(self) -> None:
        pass

    def __enter__(self) -> NullMeter:
        return self

    def __exit__(self, *exc: object) -> None:
        pass

    def describe(self) -> dict[str, Any]:
        return {"gpu_name": "", "gpu_count": 0, "gpu_indices": "", "driver": "", "gpu_memory_bytes": 0}

    def clocks(self) -> dict[str, float | None]:
        return {"sm_clock_mhz": None, "mem_clock_mhz": None, "power_limit_w": None}

    def begin_window(self, key: str) -> None:
        if key in self._open:
            raise ValueError(f"measurement window {key!r} is already open")
        self._open[key] = _now()

    def end_window(self, key: str) -> Measurement:
        if key not in self._open:
            raise ValueError(f"measurement window {key!r} was never opened")
        seconds = _now() - self._open.pop(key)
        return self._result(key, seconds)

    def _result(self, key: str, seconds: float) -> Measurement:
        return Measurement(key, seconds, None, None, 0, False, self.reason)

    def measure_idle(self, seconds: float = IDLE_SECONDS) -> IdlePower | None:
        return None


@dataclass
class SimulatedMeter(NullMeter):
    """A constant-power stand-in that exercises the bookkeeping (dry runs). Never a measurement:
    the runner writes no energy for it, whatever it returns."""

    watts: float = 100.0
    reason: str = "dry run: simulated constant-power meter, not a measurement"

    def _result(self, key: str, seconds: float) -> Measurement:
        j = {"sim0": self.watts * seconds}
        return Measurement(key, seconds, j, dict(j), 2, False, self.reason)

    def measure_idle(self, seconds: float = IDLE_SECONDS) -> IdlePower | None:
        return IdlePower(0.0, self.watts / 2, self.watts / 2)
