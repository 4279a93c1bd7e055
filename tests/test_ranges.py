"""Range arithmetic must be right on both ends (EcoLogits got ``8 / Range(2, 4)`` wrong)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pycore.errors import InvalidInput
from pycore.ranges import Range, scale


def test_scalar_division_by_range_uses_opposite_ends():
    r = 8 / Range(2, 3, 4)
    assert (r.low, r.high) == (2.0, 4.0)
    assert r.central == pytest.approx(8 / 3)


def test_range_divided_by_range():
    r = Range(10, 20, 30) / Range(2, 4, 5)
    assert (r.low, r.central, r.high) == (2.0, 5.0, 15.0)


def test_range_divided_by_scalar():
    r = Range(2, 4, 8) / 2
    assert (r.low, r.central, r.high) == (1.0, 2.0, 4.0)


def test_multiply_by_positive_scalar_both_sides():
    assert Range(1, 2, 3) * 2 == Range(2, 4, 6)
    assert 2 * Range(1, 2, 3) == Range(2, 4, 6)


def test_multiply_by_negative_scalar_swaps_ends():
    assert Range(1, 2, 3) * -1 == Range(-3, -2, -1)


def test_add_ranges_and_scalars():
    assert Range(1, 2, 3) + Range(10, 20, 30) == Range(11, 22, 33)
    assert 1 + Range(1, 2, 3) == Range(2, 3, 4)
    assert Range(1, 2, 3) + 1 == Range(2, 3, 4)


def test_subtract_takes_opposite_ends():
    assert Range(10, 20, 30) - Range(1, 2, 3) == Range(7, 18, 29)
    assert 10 - Range(1, 2, 3) == Range(7, 8, 9)


def test_product_of_ranges():
    assert Range(1, 2, 3) * Range(4, 5, 6) == Range(4, 10, 18)
    assert Range(-1, 1, 2) * Range(3, 4, 5) == Range(-5, 4, 10)


def test_division_by_range_containing_zero_refused():
    with pytest.raises(InvalidInput):
        _ = 1 / Range(-1, 0.5, 1)
    with pytest.raises(InvalidInput):
        _ = Range(1, 2, 3) / Range(0, 1, 2)


def test_invalid_ranges_refused():
    with pytest.raises(InvalidInput):
        Range(3, 2, 1)
    with pytest.raises(InvalidInput):
        Range(0, float("nan"), 1)
    with pytest.raises(InvalidInput):
        Range.from_json({"low": 1, "high": 2})
    with pytest.raises(InvalidInput):
        Range.from_json(True)


def test_json_round_trip_and_points():
    r = Range(1.5, 2.5, 4.0)
    assert Range.from_json(r.to_dict()) == r
    assert Range.from_json(3) == Range.point(3)
    assert Range.point(3).is_point and not r.is_point


def test_scale_keeps_plain_floats_plain():
    assert scale(2.0, 3.0) == 6.0 and isinstance(scale(2.0, 3.0), float)
    assert scale(Range(1, 2, 3), 2) == Range(2, 4, 6)
    assert scale(2, Range(1, 2, 3)) == Range(2, 4, 6)


def _ranges(lo: float, hi: float):
    return st.lists(st.floats(lo, hi), min_size=3, max_size=3).map(sorted).map(lambda v: Range(*v))


@given(_ranges(-100, 100), _ranges(-100, 100), st.floats(0, 1), st.floats(0, 1))
def test_sum_difference_product_contain_every_pointwise_result(a, b, s, t):
    x = a.low + s * (a.high - a.low)
    y = b.low + t * (b.high - b.low)
    tol = 1e-9 * (1 + abs(x) + abs(y)) ** 2
    for r, v in ((a + b, x + y), (a - b, x - y), (a * b, x * y)):
        assert r.low - tol <= v <= r.high + tol
        assert r.low <= r.central <= r.high


@given(_ranges(0.01, 100), _ranges(0.01, 100), st.floats(0, 1), st.floats(0, 1))
def test_quotient_contains_every_pointwise_result(a, b, s, t):
    x = a.low + s * (a.high - a.low)
    y = b.low + t * (b.high - b.low)
    q = a / b
    assert q.low * (1 - 1e-12) <= x / y <= q.high * (1 + 1e-12)
    k = 8 / b
    assert k.low * (1 - 1e-12) <= 8 / y <= k.high * (1 + 1e-12)
