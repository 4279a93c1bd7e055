"""The paper's experiment grid: fixed-shape prompts (every prompt of a batch has the same input and
output length), input x output x batch, each point repeated, warm-up runs excluded.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from pycore.errors import InvalidInput

# The paper's Section IV-A prompts (input tokens, output tokens) and its A100-80GB ratios to P1.
PAPER_PROMPTS = {"P1": (100, 100), "P2": (900, 100), "P3": (100, 900)}
PAPER_RATIOS = {"P2/P1": 2.19, "P3/P1": 11.00}
MAX_TOKENS = 1_000_000


@dataclass(frozen=True, order=True)
class Point:
    input_tokens: int
    output_tokens: int
    batch: int

    @property
    def label(self) -> str:
        return f"in{self.input_tokens}-out{self.output_tokens}-b{self.batch}"


@dataclass(frozen=True)
class Run:
    point: Point
    repeat: int  # 0-based; -1 for warm-up runs
    warmup: bool = False


def parse_counts(text: str | Sequence[int], name: str) -> tuple[int, ...]:
    """``"100,300,900"`` -> (100, 300, 900): positive whole numbers, sorted, without duplicates."""
    items = text.split(",") if isinstance(text, str) else list(text)
    values = []
    for item in items:
        s = str(item).strip()
        if not s:
            continue
        try:
            v = int(s)
        except ValueError:
            raise InvalidInput(
                f"--{name}: {s!r} is not a whole number", f"e.g. --{name} 100,300,900"
            ) from None
        if not 1 <= v <= MAX_TOKENS:
            raise InvalidInput(
                f"--{name}: {v} is out of range", f"each value must be between 1 and {MAX_TOKENS}"
            )
        values.append(v)
    if not values:
        raise InvalidInput(f"--{name} is empty", f"e.g. --{name} 100,300,900")
    return tuple(sorted(set(values)))


def grid(inputs: Iterable[int], outputs: Iterable[int], batches: Iterable[int]) -> list[Point]:
    """Every combination, cheapest first (by batch, then output, then input length)."""
    points = [Point(i, o, b) for i, o, b in itertools.product(inputs, outputs, batches)]
    return sorted(points, key=lambda p: (p.batch, p.output_tokens, p.input_tokens))


def schedule(points: Sequence[Point], repeats: int, warmup_runs: int = 1) -> list[Run]:
    """Warm-up runs first (the cheapest point; excluded from the rows), then each point ``repeats``
    times in a row, so that a point's row can be written as soon as its repeats are done."""
    if repeats < 1:
        raise InvalidInput(f"--repeats must be at least 1, got {repeats}")
    if warmup_runs < 0:
        raise InvalidInput(f"warm-up runs must be >= 0, got {warmup_runs}")
    if not points:
        return []
    cheapest = min(points, key=lambda p: (p.output_tokens, p.input_tokens, p.batch))
    runs = [Run(cheapest, -1, True) for _ in range(warmup_runs)]
    for p in points:
        runs.extend(Run(p, r) for r in range(repeats))
    return runs


def corner_prompts(points: Sequence[Point]) -> dict[str, tuple[int, int]]:
    """The grid's P1/P2/P3: (shortest in, shortest out), (longest in, shortest out), (shortest in,
    longest out). On the default grid these are exactly the paper's 100/100, 900/100 and 100/900."""
    ins = [p.input_tokens for p in points]
    outs = [p.output_tokens for p in points]
    return {"P1": (min(ins), min(outs)), "P2": (max(ins), min(outs)), "P3": (min(ins), max(outs))}


def paper_priority(points: Sequence[Point]) -> list[Point]:
    """Points in the order a short GPU lease should run them (P1/P2/P3 as in ``corner_prompts``).

    0. P1/P2/P3 at the smallest and the largest batch (the paper's ratios, and the batch effect);
    1. the rest of the input sweep at the shortest output and of the output sweep at the shortest
       input, at those batches (the input-length effect the public data lacks);
    2. P1/P2/P3 at the other batches;
    3. everything else.
    Within a tier, cheapest (fewest output tokens) first.
    """
    if not points:
        return []
    batches = sorted({p.batch for p in points})
    edge_batches = {batches[0], batches[-1]}
    corners = set(corner_prompts(points).values())
    min_in = min(p.input_tokens for p in points)
    min_out = min(p.output_tokens for p in points)

    def tier(p: Point) -> int:
        corner = (p.input_tokens, p.output_tokens) in corners
        if corner and p.batch in edge_batches:
            return 0
        if p.batch in edge_batches and (p.output_tokens == min_out or p.input_tokens == min_in):
            return 1
        if corner:
            return 2
        return 3

    return sorted(points, key=lambda p: (tier(p), p.output_tokens, p.input_tokens, p.batch))
