"""Several nodes: one meter per node, every window opened and closed on all of them, energies summed.

NVML sees only the GPUs of its own host, so a model spread over nodes (vLLM does it with Ray:
tensor parallel inside a node, pipeline parallel across nodes) needs a meter on each node.
``MultiNodeMeter`` takes any meters with the ``EnergyMeter`` interface, keyed by node name, and
behaves as one meter: a window's counter and sampled energies are the sums over every GPU of every
node (labels ``node/gpu``), its duration the longest node's, and a refused reading on any node
refuses the whole window.

``ray_node_meters`` builds those meters as Ray actors pinned one per GPU node. It is documented
and written for the paper's multi-node runs (e.g. Llama-3.1-405B on 4x8 A100) but has not been run
here: this project has had no multi-node machine. The summing is unit-tested with fake meters.

How to use it with vLLM on a Ray cluster (``ray start --head`` / ``ray start --address=...``)::

    meters = ray_node_meters()                  # after ray.init(address="auto")
    meter = MultiNodeMeter(meters).open()
    # then pass ``meter`` where the runner takes one; vLLM gets
    # tensor_parallel_size=GPUs per node, pipeline_parallel_size=nodes, distributed_executor_backend="ray"

The windows' edges differ between nodes by one remote call each (about a millisecond), against
points that last seconds.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pycore.measure import meter as _meter
from pycore.measure.errors import MeasureError
from pycore.measure.meter import SAMPLE_HZ, EnergyMeter, IdlePower, Measurement


def _merge(parts: Mapping[str, dict[str, float] | None]) -> dict[str, float] | None:
    if any(v is None for v in parts.values()):
        return None
    return {f"{node}/{label}": j for node, d in parts.items() for label, j in (d or {}).items()}


class MultiNodeMeter:
    def __init__(self, meters: Mapping[str, Any]) -> None:
        if not meters:
            raise ValueError("MultiNodeMeter needs at least one node's meter")
        self.meters = dict(meters)

    @property
    def is_measurement(self) -> bool:
        return all(getattr(m, "is_measurement", True) for m in self.meters.values())

    def open(self) -> MultiNodeMeter:
        for m in self.meters.values():
            m.open()
        return self

    def close(self) -> None:
        for m in self.meters.values():
            m.close()

    def __enter__(self) -> MultiNodeMeter:
        return self.open()

    def __exit__(self, *exc: object) -> None:
        self.close()

    def describe(self) -> dict[str, Any]:
        infos = {node: m.describe() for node, m in self.meters.items()}
        names = {i["gpu_name"] for i in infos.values()}
        if len(names) > 1:
            raise MeasureError(
                f"nodes have different GPUs: {sorted(names)}", "measure one GPU kind at a time"
            )
        return {
            "gpu_name": names.pop(),
            "gpu_count": sum(int(i["gpu_count"]) for i in infos.values()),
            "gpu_indices": ";".join(f"{node}/{i['gpu_indices']}" for node, i in infos.items()),
            "driver": ";".join(sorted({i["driver"] for i in infos.values()})),
            "gpu_memory_bytes": min(int(i["gpu_memory_bytes"]) for i in infos.values()),
        }

    def clocks(self) -> dict[str, float | None]:
        return next(iter(self.meters.values())).clocks()

    def begin_window(self, key: str) -> None:
        opened = []
        try:
            for m in self.meters.values():
                m.begin_window(key)
                opened.append(m)
        except BaseException:
            for m in opened:  # leave no node with a dangling window
                try:
                    m.end_window(key)
                except (MeasureError, ValueError):
                    pass
            raise

    def end_window(self, key: str) -> Measurement:
        results: dict[str, Measurement] = {}
        first_error: BaseException | None = None
        for node, m in self.meters.items():  # close every node's window, even after a failure
            try:
                results[node] = m.end_window(key)
            except (MeasureError, ValueError) as exc:
                first_error = first_error or exc
        if first_error is not None:
            raise first_error
        ms = list(results.values())
        return Measurement(
            key,
            max(m.seconds for m in ms),
            _merge({n: m.counter_j for n, m in results.items()}),
            _merge({n: m.sampled_j for n, m in results.items()}),
            sum(m.samples for m in ms),
            all(m.is_measurement for m in ms),
            "; ".join(sorted({m.note for m in ms if m.note})),
        )

    def measure_idle(self, seconds: float) -> IdlePower:
        self.begin_window("idle")
        _meter._sleep(seconds)
        results = {}
        for node, m in self.meters.items():
            results[node] = m.end_window("idle")
        counter = [
            r.counter_total_j / r.seconds if r.counter_total_j is not None else None for r in results.values()
        ]
        sampled = [
            r.sampled_total_j / r.seconds if r.sampled_total_j is not None else None for r in results.values()
        ]
        return IdlePower(
            max(r.seconds for r in results.values()),
            None if None in counter else sum(counter),  # type: ignore[arg-type]
            None if None in sampled else sum(sampled),
        )  # type: ignore[arg-type]


class _NodeMeterActor:
    """Runs on one node (a Ray actor): that node's GPUs, by NVML index (Ray hides them from CUDA)."""

    def __init__(self, gpus: int, sample_hz: float) -> None:
        self.meter = EnergyMeter(gpus, indices=list(range(gpus)), sample_hz=sample_hz)

    def open(self) -> None:
        self.meter.open()

    def close(self) -> None:
        self.meter.close()

    def describe(self) -> dict[str, Any]:
        return self.meter.describe()

    def clocks(self) -> dict[str, float | None]:
        return self.meter.clocks()

    def begin_window(self, key: str) -> None:
        self.meter.begin_window(key)

    def end_window(self, key: str) -> Measurement:
        return self.meter.end_window(key)


class _RemoteMeter:
    """The meter interface over a Ray actor handle: each call waits for the node's answer."""

    is_measurement = True

    def __init__(self, actor: Any, get: Any) -> None:
        self._actor, self._get = actor, get

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._actor, name)
        return lambda *args: self._get(method.remote(*args))


def ray_node_meters(sample_hz: float = SAMPLE_HZ) -> dict[str, Any]:
    """One meter per alive Ray node that has GPUs, as an actor pinned to it (not run here)."""
    import ray
    from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

    actor_cls = ray.remote(num_cpus=0, num_gpus=0)(_NodeMeterActor)
    meters: dict[str, Any] = {}
    for node in ray.nodes():
        gpus = int(node.get("Resources", {}).get("GPU", 0))
        if not node.get("Alive") or gpus < 1:
            continue
        strategy = NodeAffinitySchedulingStrategy(node_id=node["NodeID"], soft=False)
        actor = actor_cls.options(scheduling_strategy=strategy).remote(gpus, sample_hz)
        meters[str(node.get("NodeManagerAddress", node["NodeID"]))] = _RemoteMeter(actor, ray.get)
    if not meters:
        raise MeasureError("the Ray cluster has no alive node with GPUs", "start Ray on the GPU nodes first")
    return meters
