"""GPU catalog: the specifications the features and the physics model need, from a data file.

Figures are dense (no structured sparsity) tensor throughput, because inference kernels do not
use 2:4 sparsity; each row cites its datasheet.
"""

from __future__ import annotations

import csv
import difflib
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

from pycore.errors import DataFileError, UnknownGPU
from pycore.resources import read_text

PRECISIONS = ("fp32", "bf16", "fp8", "fp4")
BYTES_PER_PARAM = {"fp32": 4.0, "bf16": 2.0, "fp8": 1.0, "fp4": 0.5}


@dataclass(frozen=True)
class GPU:
    name: str
    aliases: tuple[str, ...]
    vendor: str
    memory_gb: float
    bandwidth_gb_s: float
    tflops_fp32: float
    tflops_bf16: float
    tflops_fp8: float | None
    tflops_fp4: float | None
    tdp_w: float
    idle_w: float
    cores: int
    sms: int
    interconnect_gb_s: float
    release_year: int
    source: str

    def tflops(self, precision: str) -> float:
        """Dense tensor TFLOPS for the precision; a format the GPU lacks runs at the next wider one."""
        order = ["fp4", "fp8", "bf16", "fp32"]
        for p in order[order.index(precision) :]:
            value = getattr(self, f"tflops_{p}")
            if value:
                return float(value)
        return self.tflops_fp32

    def compute_tflops(self, precision: str) -> float:
        """Rate the matrix maths runs at: weight-only formats the GPU lacks are computed in bf16."""
        return self.tflops(precision) if self.supports(precision) else self.tflops("bf16")

    def supports(self, precision: str) -> bool:
        """Whether the tensor cores run this format natively (else the weights are upcast)."""
        return precision in ("bf16", "fp32") or bool(getattr(self, f"tflops_{precision}"))


def _key(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def _opt(value: str) -> float | None:
    return float(value) if value.strip() else None


def _parse(row: dict[str, str]) -> GPU:
    try:
        return GPU(
            name=row["name"],
            aliases=tuple(a for a in row["aliases"].split("|") if a),
            vendor=row["vendor"],
            memory_gb=float(row["memory_gb"]),
            bandwidth_gb_s=float(row["bandwidth_gb_s"]),
            tflops_fp32=float(row["tflops_fp32"]),
            tflops_bf16=float(row["tflops_bf16"]),
            tflops_fp8=_opt(row["tflops_fp8"]),
            tflops_fp4=_opt(row["tflops_fp4"]),
            tdp_w=float(row["tdp_w"]),
            idle_w=float(row["idle_w"]),
            cores=int(row["cores"]),
            sms=int(row["sms"]),
            interconnect_gb_s=float(row["interconnect_gb_s"]),
            release_year=int(row["release_year"]),
            source=row["source"],
        )
    except (KeyError, ValueError) as exc:
        raise DataFileError(f"bad GPU row {row.get('name')!r}: {exc}") from exc


class GPUCatalog:
    def __init__(self, gpus: list[GPU]) -> None:
        self._gpus = gpus
        self._index: dict[str, GPU] = {}
        for gpu in gpus:
            for name in (gpu.name, *gpu.aliases):
                key = _key(name)
                if key in self._index and self._index[key] is not gpu:
                    raise DataFileError(f"GPU name {name!r} is ambiguous in gpus.csv")
                self._index[key] = gpu

    def get(self, name: str) -> GPU:
        gpu = self._index.get(_key(name))
        if gpu is None:
            raise UnknownGPU(name, self.nearest(name))
        return gpu

    def nearest(self, name: str, n: int = 5) -> list[str]:
        names = {_key(x): x for g in self._gpus for x in (g.name, *g.aliases)}
        hits = difflib.get_close_matches(_key(name), list(names), n=n * 3, cutoff=0.3)
        out: list[str] = []
        for hit in hits:
            canonical = self._index[hit].name
            if canonical not in out:
                out.append(canonical)
        return out[:n]

    def __iter__(self) -> Iterator[GPU]:
        return iter(self._gpus)

    def __len__(self) -> int:
        return len(self._gpus)


@lru_cache(maxsize=1)
def load_gpus() -> GPUCatalog:
    rows = list(csv.DictReader(io.StringIO(read_text("gpus.csv"))))
    return GPUCatalog([_parse(r) for r in rows])
