"""Low / central / high estimates that keep their uncertainty through arithmetic.

Closed-model sizes, serving speeds and PUE are only known as ranges, so every quantity
derived from them must carry both ends. The operators below follow interval arithmetic
(each end is the extreme of the combination) while the central value follows the plain
formula. EcoLogits computed ``8 / Range(2, 4)`` as 0.25-0.5 (the reciprocal the wrong way
round); here ``k / r`` divides by the *high* end for the low result, and division by a range
that contains zero is refused instead of producing a meaningless interval.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from pycore.errors import InvalidInput

Number = int | float
_INF = math.inf


@dataclass(frozen=True)
class Range:
    """An estimate with its plausible bounds; ``low <= central <= high`` always holds."""

    low: float
    central: float
    high: float

    def __post_init__(self) -> None:
        low, central, high = self.low, self.central, self.high
        # fast path for the usual three floats (arithmetic makes ~50 ranges per estimate); NaN fails
        # the comparisons and an infinity the bounds, so this accepts exactly what the checks below do
        if (
            type(low) is float
            and type(central) is float
            and type(high) is float
            and -_INF < low <= central <= high < _INF
        ):
            return
        for name in ("low", "central", "high"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
                raise InvalidInput(f"range {name} must be a finite number, got {value!r}")
        if not self.low <= self.central <= self.high:
            raise InvalidInput(
                f"range must satisfy low <= central <= high, got {self.low}, {self.central}, {self.high}"
            )

    # -- construction -------------------------------------------------------------------------

    @classmethod
    def point(cls, value: Number) -> Range:
        """A known value: all three ends equal."""
        return cls(value, value, value)

    @classmethod
    def of(cls, value: Range | Number) -> Range:
        """Lift a plain number to a point range so that mixed arithmetic has one code path."""
        return value if isinstance(value, Range) else cls.point(value)

    @classmethod
    def from_json(cls, obj: Any) -> Range:
        """Parse ``{"low", "central", "high"}`` or a bare number (a point) from a data file."""
        if isinstance(obj, bool):
            raise InvalidInput(f"not a range: {obj!r}")
        if isinstance(obj, int | float):
            return cls.point(float(obj))
        if isinstance(obj, dict) and {"low", "central", "high"} <= obj.keys():
            return cls(float(obj["low"]), float(obj["central"]), float(obj["high"]))
        raise InvalidInput(f"not a range: {obj!r}", 'expected a number or {"low", "central", "high"}')

    def to_dict(self) -> dict[str, float]:
        return {"low": self.low, "central": self.central, "high": self.high}

    def flat(self, name: str) -> dict[str, float]:
        """``{name, name_low, name_high}``: the flat form of the JSON outputs and stored records."""
        return {name: self.central, f"{name}_low": self.low, f"{name}_high": self.high}

    @property
    def is_point(self) -> bool:
        return self.low == self.high

    # -- arithmetic ---------------------------------------------------------------------------

    def __add__(self, other: Range | Number) -> Range:
        o = _coerce(other)
        if o is None:
            return NotImplemented
        return Range(self.low + o.low, self.central + o.central, self.high + o.high)

    __radd__ = __add__

    def __sub__(self, other: Range | Number) -> Range:
        o = _coerce(other)
        if o is None:
            return NotImplemented
        # The smallest difference takes the largest subtrahend, and vice versa.
        return Range(self.low - o.high, self.central - o.central, self.high - o.low)

    def __rsub__(self, other: Number) -> Range:
        o = _coerce(other)
        if o is None:
            return NotImplemented
        return o - self

    def __neg__(self) -> Range:
        return Range(-self.high, -self.central, -self.low)

    def __mul__(self, other: Range | Number) -> Range:
        o = _coerce(other)
        if o is None:
            return NotImplemented
        corners = (self.low * o.low, self.low * o.high, self.high * o.low, self.high * o.high)
        return Range(min(corners), self.central * o.central, max(corners))

    __rmul__ = __mul__

    def __truediv__(self, other: Range | Number) -> Range:
        o = _coerce(other)
        if o is None:
            return NotImplemented
        return self * o.reciprocal()

    def __rtruediv__(self, other: Number) -> Range:
        o = _coerce(other)
        if o is None:
            return NotImplemented
        return o * self.reciprocal()

    def reciprocal(self) -> Range:
        """``1 / self``: the low end comes from the high end. Refused when the range spans zero."""
        if self.low <= 0 <= self.high:
            raise InvalidInput(f"cannot divide by a range that contains zero: {self}")
        return Range(1.0 / self.high, 1.0 / self.central, 1.0 / self.low)

    def __str__(self) -> str:
        if self.is_point:
            return f"{self.central:g}"
        return f"{self.central:g} ({self.low:g}-{self.high:g})"


def _coerce(value: object) -> Range | None:
    if isinstance(value, Range):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return Range.point(value)
    return None


def scale(value: Range | Number, factor: Range | Number) -> Range | float:
    """Product that stays a plain float when both inputs are plain numbers."""
    if isinstance(value, Range) or isinstance(factor, Range):
        return Range.of(value) * factor
    return float(value) * float(factor)
