"""Runs grid points and writes one row per point: the bookkeeping between meter, engine and CSV.

For each point: ``repeats`` runs, each inside its own meter window (warm-up runs outside any
window); the repeats' energies are averaged into one row, with their spread; the row is appended
and flushed before the next point starts, so a run cut short keeps everything it finished. A
window whose reading is missing, goes backwards or does not advance is refused: the point's row
is not written (``on_bad_reading="raise"`` stops the run with that error, ``"skip"`` goes on).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import math
import os
import secrets
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pycore.energy import catalog as cat
from pycore.energy.hardware import GPU, load_gpus
from pycore.measure import schema
from pycore.measure.engines import Engine
from pycore.measure.errors import MeasureError, MeterReadingError, ModelTooBig, NoGPU
from pycore.measure.grid import Point
from pycore.measure.meter import IdlePower, Measurement

log = logging.getLogger(__name__)

GIB = 1024.0**3
RUNTIME_RESERVE_GIB = 1.5  # CUDA context, allocator slack, engine buffers, per GPU
MEMORY_USABLE = 0.95
HOST_MEMORY_USABLE = 0.6  # of physical RAM, for CPU runs
BYTES_PER_PARAM = {"fp32": 4.0, "bf16": 2.0, "fp8": 1.0, "fp4": 0.5}


def _cuda_available() -> bool:
    """Whether torch sees a CUDA GPU (the module boundary tests patch)."""
    from pycore.measure.engines import _import_torch

    return bool(_import_torch().cuda.is_available())


def require_cuda() -> None:
    if not _cuda_available():
        raise NoGPU(
            "--device cuda, but torch sees no CUDA GPU on this machine",
            "run on a GPU machine; on the CPU use --device cpu with a tiny model (rows are then not measurements)",
        )


# -- does it fit? ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class MemoryNeed:
    weights_gb: float
    kv_gb: float
    other_gb: float
    worst: Point | None

    @property
    def total_gb(self) -> float:
        return self.weights_gb + self.kv_gb + self.other_gb


def memory_need(arch: cat.Architecture, points: Sequence[Point], precision: str, gpus: int) -> MemoryNeed:
    """Weights + the KV cache of the largest batch at full context + activations and runtime."""
    bpp = BYTES_PER_PARAM[precision]
    weights = cat.parameter_breakdown(arch).total * bpp
    worst, kv, act = None, 0.0, 0.0
    for p in points:
        need = p.batch * cat.kv_cache_bytes(arch, p.input_tokens + p.output_tokens)
        if need >= kv:
            worst, kv = p, need
        # prefill activations: the gated MLP's two widest tensors for every token of the batch
        act = max(act, p.batch * p.input_tokens * arch.intermediate_size * 2 * bpp)
    return MemoryNeed(weights / 1e9, kv / 1e9, (act + RUNTIME_RESERVE_GIB * GIB * gpus) / 1e9, worst)


def check_fits(
    arch: cat.Architecture,
    points: Sequence[Point],
    precision: str,
    gpus: int,
    memory_gb_each: float,
    where: str,
    usable: float = MEMORY_USABLE,
    gpus_hint: str | None = None,
) -> MemoryNeed:
    """Raises ModelTooBig, with the numbers, when the grid's worst point cannot fit."""
    need = memory_need(arch, points, precision, gpus)
    available = memory_gb_each * gpus * usable
    if need.total_gb > available:
        per_gpu = memory_gb_each * usable
        n = 1
        while n * per_gpu < need.total_gb and n < 4096:
            n *= 2
        w = need.worst
        shape = f"batch {w.batch} x {w.input_tokens + w.output_tokens} tokens" if w else "the grid"
        exc = ModelTooBig(
            f"{arch.id} in {precision} needs {need.total_gb:.1f} GB ({need.weights_gb:.1f} GB weights + "
            f"{need.kv_gb:.1f} GB KV cache for {shape} + {need.other_gb:.1f} GB activations and runtime), "
            f"but {where} {available:.1f} GB usable ({usable:.0%} of {memory_gb_each * gpus:.1f} GB)",
            n,
        )
        if gpus_hint is not None:
            exc.hint = gpus_hint
        raise exc
    return need


def host_memory_gb() -> float:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1e9
    except (ValueError, OSError, AttributeError):
        return 8.0


# -- one point's numbers --------------------------------------------------------------------------


def _spread_pct(values: Sequence[float]) -> float | None:
    if len(values) < 2:
        return None
    mean = statistics.fmean(values)
    return (max(values) - min(values)) / mean * 100.0 if mean > 0 else None


def aggregate(point: Point, runs: Sequence[Measurement], idle_w: float | None) -> dict[str, Any]:
    """The energy and time columns of a point's row from its repeats (pure arithmetic).

    Not-measurement meters (CPU, dry runs) give time columns only: their energies never reach a row.
    """
    if not runs:
        raise ValueError("a point needs at least one run")
    b, out_tokens = point.batch, point.output_tokens
    seconds = [m.seconds for m in runs]
    sec = statistics.fmean(seconds)
    row: dict[str, Any] = {
        "seconds": sec,
        "seconds_spread_pct": _spread_pct(seconds),
        "repeats": len(runs),
        "output_tok_s": b * out_tokens / sec,
        "step_s": sec / out_tokens,
        "power_samples": statistics.fmean(m.samples for m in runs),
    }
    if not all(m.is_measurement for m in runs):
        row.update({"energy_covers": schema.COVERS_NONE, "not_measured_reason": runs[0].note})
        return row
    energies = []
    for m in runs:
        if m.energy_j is None:
            raise MeterReadingError(f"{m.key}: the meter returned no energy", "the point is not written")
        energies.append(m.energy_j)
    joules = statistics.fmean(energies)
    wh = joules / b / 3600.0
    sampled = [m.sampled_total_j for m in runs]
    diffs = [m.counter_vs_sampled_pct for m in runs]
    row.update(
        {
            "energy_wh": wh,
            "energy_wh_gross": wh,
            "power_w": joules / sec,
            "energy_covers": schema.COVERS_COUNTER
            if runs[0].counter_j is not None
            else schema.COVERS_SAMPLED,
            "energy_wh_sampled": statistics.fmean(sampled) / b / 3600.0
            if all(s is not None for s in sampled)
            else None,
            "counter_vs_sampled_pct": statistics.fmean(diffs) if all(d is not None for d in diffs) else None,
            "repeat_spread_pct": _spread_pct(energies),
            "energy_j_repeats": ";".join(f"{e:.6g}" for e in energies),
            "idle_w": idle_w,
            "energy_wh_net": (joules - idle_w * sec) / b / 3600.0 if idle_w is not None else None,
            "not_measured_reason": "",
        }
    )
    return row


# -- a run of the harness ---------------------------------------------------------------------------


def new_run_id() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ") + "-" + secrets.token_hex(3)


@dataclass
class Context:
    """What every row of one invocation shares."""

    run_id: str
    command: str
    device: str
    gpu: str  # catalog name, or "cpu"
    gpu_count: int
    meter_info: dict[str, Any]
    runtime: dict[str, str]
    idle: IdlePower | None
    warmup_runs: int


def catalog_gpu(nvml_name: str) -> GPU:
    """The catalog's record for NVML's name (``NVIDIA H100 80GB HBM3`` -> ``H100-SXM``); UnknownGPU if absent."""
    return load_gpus().get(nvml_name)


@dataclass
class PointResult:
    point: Point
    runs: list[Measurement] = field(default_factory=list)
    row: dict[str, Any] | None = None
    error: str = ""


class ModelRun:
    """One architecture on one engine: load it, warm it up, then measure points into ``out``."""

    def __init__(
        self,
        ctx: Context,
        arch: cat.Architecture,
        base_model_id: str,
        overrides: dict[str, Any],
        engine: Engine,
        meter: Any,
        out: Path,
        *,
        repeats: int,
        seed: int = 0,
        on_bad_reading: str = "raise",
        say: Callable[[str], None] = print,
    ) -> None:
        if on_bad_reading not in ("raise", "skip"):
            raise ValueError(on_bad_reading)
        self.ctx, self.arch, self.base_model_id, self.overrides = ctx, arch, base_model_id, overrides
        self.engine, self.meter, self.out, self.repeats, self.seed = engine, meter, Path(out), repeats, seed
        self.on_bad_reading, self.say = on_bad_reading, say
        self._runs = 0

    def load(self) -> float:
        t = time.monotonic()
        self.engine.load()
        return time.monotonic() - t

    def _seed(self) -> int:
        self._runs += 1
        return self.seed * 1_000_003 + self._runs

    def warmup(self, point: Point, runs: int = 1) -> list[float]:
        """Runs outside any meter window (not written); returns their wall times."""
        times = []
        for _ in range(runs):
            t = time.monotonic()
            self.engine.generate(point, self._seed())
            times.append(time.monotonic() - t)
        return times

    def _one(self, point: Point, repeat: int) -> Measurement:
        key = f"{point.label}#r{repeat}"
        self.meter.begin_window(key)
        try:
            self.engine.generate(point, self._seed())
        except BaseException:
            try:
                self.meter.end_window(key)
            except (MeasureError, ValueError):
                pass
            raise
        return self.meter.end_window(key)

    def run_point(self, point: Point) -> PointResult:
        res = PointResult(point)
        try:
            for r in range(self.repeats):
                res.runs.append(self._one(point, r))
            numbers = aggregate(point, res.runs, self.ctx.idle.watts if self.ctx.idle else None)
        except MeasureError as exc:  # refused reading (or engine error): no row for this point
            res.error = f"refused to write {point.label}: {exc.message}"
            if self.on_bad_reading == "raise":
                raise type(exc)(res.error, exc.hint) from exc
            self.say(f"{res.error} ({exc.hint})" if exc.hint else res.error)
            return res
        res.row = self.row(point, numbers)
        schema.append_row(self.out, res.row)
        return res

    def row(self, point: Point, numbers: dict[str, Any]) -> dict[str, Any]:
        ctx, e = self.ctx, self.engine
        clocks = self.meter.clocks()
        row: dict[str, Any] = {
            "source": schema.SOURCE,
            "engine": e.name,
            "engine_version": e.version,
            "task": schema.TASK,
            "model_id": self.arch.id,
            "arch_model_id": self.arch.id,
            "gpu": ctx.gpu,
            "gpu_count": ctx.gpu_count,
            "tp": e.tp,
            "pp": 1,
            "ep": 1,
            "precision": e.precision,
            "max_num_seqs": point.batch,
            "batch": float(point.batch),
            "input_tokens": float(point.input_tokens),
            "input_tokens_low": float(point.input_tokens),
            "input_tokens_high": float(point.input_tokens),
            "input_tokens_method": schema.INPUT_METHOD,
            "output_tokens": float(point.output_tokens),
            "use": schema.use_for(e.name, self.arch.id),
            "hist_ref": "",
            "measured_schema_version": schema.MEASURED_SCHEMA_VERSION,
            "run_id": ctx.run_id,
            "date_utc": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "command": ctx.command,
            "device": ctx.device,
            "gpu_name": ctx.meter_info.get("gpu_name", ""),
            "gpu_indices": ctx.meter_info.get("gpu_indices", ""),
            "driver": ctx.meter_info.get("driver", ""),
            "torch_version": ctx.runtime.get("torch_version", ""),
            "cuda_version": ctx.runtime.get("cuda_version", ""),
            "base_model_id": self.base_model_id,
            "overrides": json.dumps(self.overrides, sort_keys=True) if self.overrides else "",
            "warmup_runs": ctx.warmup_runs,
            **clocks,
        }
        row.update(numbers)
        if not self.meter.is_measurement:  # whatever a stand-in meter returned, the CSV does not pretend
            for k in (
                "energy_wh",
                "energy_wh_gross",
                "power_w",
                "energy_wh_net",
                "energy_wh_sampled",
                "counter_vs_sampled_pct",
                "repeat_spread_pct",
                "energy_j_repeats",
                "idle_w",
            ):
                row[k] = None
            row["energy_covers"] = schema.COVERS_NONE
            row["not_measured_reason"] = row.get("not_measured_reason") or "not a measurement"
        for k, v in list(row.items()):
            if isinstance(v, float) and math.isnan(v):
                row[k] = None
        return row


# -- starting a run ---------------------------------------------------------------------------------


def _touch_cuda() -> None:
    """Create the CUDA context, so idle power is measured in the state the points run in."""
    from pycore.measure.engines import _import_torch

    torch = _import_torch()
    torch.zeros(1, device="cuda")
    torch.cuda.synchronize()


def open_meter(device: str, gpus: int, *, use_counter: bool = True, sample_hz: float | None = None) -> Any:
    """The meter for ``device``: NVML on a GPU (opened), nothing on the CPU."""
    from pycore.measure.meter import SAMPLE_HZ, EnergyMeter, NullMeter

    if device == "cpu":
        return NullMeter()
    require_cuda()
    return EnergyMeter(
        gpus, use_counter=use_counter, sample_hz=SAMPLE_HZ if sample_hz is None else sample_hz
    ).open()


def make_context(
    meter: Any,
    device: str,
    command: str,
    *,
    idle_seconds: float,
    warmup_runs: int,
    run_id: str | None = None,
    unknown_gpu_ok: bool = False,
) -> Context:
    """Resolves the GPU in the catalog and measures idle power (once, before any model is loaded).

    ``unknown_gpu_ok`` keeps NVML's name for a GPU the catalog lacks (a scarce lease should not be
    lost to a missing alias; add it to gpus.csv before the rows enter the dataset)."""
    from pycore.errors import UnknownGPU
    from pycore.measure.engines import describe_runtime

    info = meter.describe()
    if device == "cuda":
        try:
            gpu = catalog_gpu(info["gpu_name"]).name
        except UnknownGPU:
            if not unknown_gpu_ok:
                raise
            log.warning("GPU %r is not in the catalog: rows keep NVML's name", info["gpu_name"])
            gpu = info["gpu_name"]
        count = int(info["gpu_count"])
        _touch_cuda()
    else:
        gpu, count = "cpu", 0
    idle = meter.measure_idle(idle_seconds) if idle_seconds > 0 else None
    return Context(
        run_id or new_run_id(), command, device, gpu, count, info, describe_runtime(), idle, warmup_runs
    )
