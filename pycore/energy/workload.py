"""What is asked of a deployment: the inputs every estimate starts from."""

from __future__ import annotations

import math
from dataclasses import dataclass

from pycore.energy.hardware import PRECISIONS
from pycore.errors import InvalidInput
from pycore.resources import load_json


def engines() -> dict[str, dict]:
    """Serving engines the measurements cover, by id (``pycore/data/engines.json``)."""
    return {e["id"]: e for e in load_json("engines.json")["engines"]}


def default_engine() -> str:
    return str(load_json("engines.json")["default"])


@dataclass(frozen=True)
class Workload:
    """One prompt's shape and the serving conditions it meets.

    ``batch`` is the mean number of prompts the engine runs concurrently (what ML.ENERGY calls
    the average batch size), not a client-side request count. ``engine`` matters: the same GPUs
    ran the same model markedly more efficiently under vLLM 0.11 than under vLLM 0.4; estimates
    default to the newest engine measured.
    """

    input_tokens: float
    output_tokens: float
    batch: float = 1.0
    gpus: int = 1
    precision: str = "bf16"
    engine: str = ""

    def __post_init__(self) -> None:
        if not self.engine:
            object.__setattr__(self, "engine", default_engine())
        if self.engine not in engines():
            raise InvalidInput(f"unknown engine {self.engine!r}", "one of " + ", ".join(engines()))
        # NaN passes every comparison below (and inf breaks the KV-cache maths): refuse both first
        for name, value in (
            ("input tokens", self.input_tokens),
            ("output tokens", self.output_tokens),
            ("batch", self.batch),
        ):
            if not math.isfinite(value):
                raise InvalidInput(f"{name} must be a finite number, got {value}")
        if self.input_tokens < 0 or self.output_tokens < 0:
            raise InvalidInput("token counts must be >= 0", "pass --input N and --output N with N >= 0")
        if self.output_tokens + self.input_tokens <= 0:
            raise InvalidInput("a prompt needs at least one input or output token")
        if self.batch < 1:
            raise InvalidInput(f"batch must be >= 1, got {self.batch}")
        if self.gpus < 1 or int(self.gpus) != self.gpus:
            raise InvalidInput(f"GPU count must be a whole number >= 1, got {self.gpus}")
        if self.precision not in PRECISIONS:
            raise InvalidInput(f"unknown precision {self.precision!r}", "one of " + ", ".join(PRECISIONS))
