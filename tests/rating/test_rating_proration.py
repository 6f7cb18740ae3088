"""Tests for calendar proration."""

from datetime import date, datetime
from decimal import Decimal as D
from fractions import Fraction

import pytest
from agent_billing_rating import (
    active_days,
    month_slices,
    months_in_period,
    period_bounds,
    previous_period,
    proration_factor,
    proration_fraction,
)

JAN_1, JAN_31 = date(2025, 1, 1), date(2025, 1, 31)


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (date(2025, 1, 16), date(2025, 1, 31), 16),
        (date(2025, 1, 16), None, 16),
        (date(2024, 12, 1), None, 31),
        (date(2024, 12, 1), date(2025, 1, 10), 10),
        (date(2025, 1, 31), date(2025, 1, 31), 1),
        (date(2025, 2, 1), None, 0),
        (date(2024, 11, 1), date(2024, 12, 31), 0),
    ],
)
def test_active_days(start, end, expected):
    assert active_days(start, end, JAN_1, JAN_31) == expected


def test_active_days_validates_ranges():
    with pytest.raises(ValueError, match="before start"):
        active_days(date(2025, 1, 10), date(2025, 1, 9), JAN_1, JAN_31)
    with pytest.raises(ValueError, match="before period_start"):
        active_days(JAN_1, None, JAN_31, JAN_1)
    with pytest.raises(TypeError):
        active_days("2025-01-01", None, JAN_1, JAN_31)


def test_active_days_accepts_datetimes():
    assert active_days(datetime(2025, 1, 16, 13, 0), None, JAN_1, JAN_31) == 16


def test_month_slices():
    assert month_slices(date(2024, 1, 15), date(2024, 3, 10)) == [
        (date(2024, 1, 15), date(2024, 1, 31)),
        (date(2024, 2, 1), date(2024, 2, 29)),
        (date(2024, 3, 1), date(2024, 3, 10)),
    ]
    assert month_slices(date(2024, 12, 31), date(2025, 1, 1)) == [
        (date(2024, 12, 31), date(2024, 12, 31)),
        (date(2025, 1, 1), date(2025, 1, 1)),
    ]
    assert month_slices(JAN_1, JAN_1) == [(JAN_1, JAN_1)]
    with pytest.raises(ValueError):
        month_slices(JAN_31, JAN_1)


def test_proration_factor_hand_computed():
    assert proration_factor(JAN_1, None, JAN_1, JAN_31) == 1
    q1 = (date(2025, 1, 1), date(2025, 3, 31))
    assert proration_factor(date(2024, 6, 1), None, *q1) == 3
    assert str(proration_factor(date(2024, 6, 1), None, *q1)) == "3"
    june = (date(2025, 6, 1), date(2025, 6, 30))
    assert proration_factor(date(2025, 6, 16), None, *june) == D("0.5")
    assert proration_factor(date(2025, 1, 16), None, JAN_1, JAN_31) == D(16) / D(31)
    # Leap February has 29 days.
    feb = (date(2024, 2, 1), date(2024, 2, 29))
    assert proration_factor(date(2024, 2, 1), date(2024, 2, 14), *feb) == D(14) / D(29)
    # Jan 17 - Feb 14 2024: 15/31 + 14/29.
    period = (date(2024, 1, 1), date(2024, 2, 29))
    expected = Fraction(15, 31) + Fraction(14, 29)
    assert proration_fraction(date(2024, 1, 17), date(2024, 2, 14), *period) == expected
    assert abs(
        proration_factor(date(2024, 1, 17), date(2024, 2, 14), *period)
        - (D(expected.numerator) / D(expected.denominator))
    ) < D("1E-25")
    assert proration_factor(date(2025, 2, 1), None, JAN_1, JAN_31) == 0


def test_proration_factor_is_exact_across_equal_length_months():
    # 17/31 (July) + 14/31 (August) is exactly one month, not 0.999...
    q3 = (date(2025, 7, 1), date(2025, 9, 30))
    assert proration_factor(date(2025, 7, 15), date(2025, 8, 14), *q3) == 1


@pytest.mark.parametrize(
    ("ref", "cycle", "expected"),
    [
        (date(2025, 2, 14), "monthly", (date(2025, 2, 1), date(2025, 2, 28))),
        (date(2024, 2, 29), "monthly", (date(2024, 2, 1), date(2024, 2, 29))),
        (date(2025, 5, 20), "quarterly", (date(2025, 4, 1), date(2025, 6, 30))),
        (date(2025, 12, 31), "quarterly", (date(2025, 10, 1), date(2025, 12, 31))),
        (date(2025, 1, 1), "quarterly", (date(2025, 1, 1), date(2025, 3, 31))),
        (date(2025, 6, 30), "semiannual", (date(2025, 1, 1), date(2025, 6, 30))),
        (date(2025, 7, 1), "semiannual", (date(2025, 7, 1), date(2025, 12, 31))),
        (date(2025, 8, 9), "annual", (date(2025, 1, 1), date(2025, 12, 31))),
    ],
)
def test_period_bounds(ref, cycle, expected):
    assert period_bounds(ref, cycle) == expected


@pytest.mark.parametrize("cycle", ["weekly", "", None, "Monthly"])
def test_period_bounds_unknown_cycle(cycle):
    with pytest.raises(ValueError, match="unknown billing cycle"):
        period_bounds(JAN_1, cycle)


@pytest.mark.parametrize(
    ("ref", "cycle", "expected"),
    [
        (date(2025, 1, 15), "monthly", (date(2024, 12, 1), date(2024, 12, 31))),
        (date(2025, 3, 31), "monthly", (date(2025, 2, 1), date(2025, 2, 28))),
        (date(2025, 2, 1), "quarterly", (date(2024, 10, 1), date(2024, 12, 31))),
        (date(2025, 9, 1), "semiannual", (date(2025, 1, 1), date(2025, 6, 30))),
        (date(2025, 9, 1), "annual", (date(2024, 1, 1), date(2024, 12, 31))),
    ],
)
def test_previous_period(ref, cycle, expected):
    assert previous_period(ref, cycle) == expected


def test_months_in_period():
    assert months_in_period(date(2025, 1, 1), date(2025, 3, 31)) == 3
    assert months_in_period(date(2025, 1, 1), date(2025, 12, 31)) == 12
    assert months_in_period(date(2025, 1, 1), date(2025, 1, 15)) == D(15) / D(31)
    assert months_in_period(date(2024, 12, 15), date(2025, 1, 14)) == 1
    assert months_in_period(date(2025, 1, 17), date(2025, 2, 14)) == D("0.5") + D(15) / D(31)
