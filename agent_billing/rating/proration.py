"""Calendar proration. All date bounds are inclusive; ``end=None`` is open-ended."""

import calendar
from datetime import date, datetime, timedelta
from fractions import Fraction

from .money import fraction_to_decimal

CYCLE_MONTHS = {"monthly": 1, "quarterly": 3, "semiannual": 6, "annual": 12}
_ONE_DAY = timedelta(days=1)


def _as_date(value, name):
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    raise TypeError(f"{name} must be a date, got {value!r}")


def _check_range(start, end, period_start, period_end):
    start = _as_date(start, "start")
    end = None if end is None else _as_date(end, "end")
    period_start = _as_date(period_start, "period_start")
    period_end = _as_date(period_end, "period_end")
    if end is not None and end < start:
        raise ValueError(f"end {end} is before start {start}")
    if period_end < period_start:
        raise ValueError(f"period_end {period_end} is before period_start {period_start}")
    return start, end, period_start, period_end


def _days_in_month(day):
    return calendar.monthrange(day.year, day.month)[1]


def _month_end(day):
    return day.replace(day=_days_in_month(day))


def _overlap(start, end, period_start, period_end):
    low = max(start, period_start)
    high = period_end if end is None else min(end, period_end)
    return max(0, (high - low).days + 1)


def active_days(start, end, period_start, period_end):
    """Number of days of [start, end] inside [period_start, period_end]."""
    return _overlap(*_check_range(start, end, period_start, period_end))


def month_slices(period_start, period_end):
    """Cut [period_start, period_end] at calendar-month boundaries."""
    period_start = _as_date(period_start, "period_start")
    period_end = _as_date(period_end, "period_end")
    if period_end < period_start:
        raise ValueError(f"period_end {period_end} is before period_start {period_start}")
    slices = []
    cursor = period_start
    while cursor <= period_end:
        slice_end = min(_month_end(cursor), period_end)
        slices.append((cursor, slice_end))
        cursor = slice_end + _ONE_DAY
    return slices


def proration_fraction(start, end, period_start, period_end):
    """Exact months of [start, end] inside the period, as a Fraction."""
    start, end, period_start, period_end = _check_range(start, end, period_start, period_end)
    total = Fraction(0)
    for slice_start, slice_end in month_slices(period_start, period_end):
        days = _overlap(start, end, slice_start, slice_end)
        if days:
            total += Fraction(days, _days_in_month(slice_start))
    return total


def proration_factor(start, end, period_start, period_end):
    """Sum over month slices of active days / days in that calendar month."""
    return fraction_to_decimal(proration_fraction(start, end, period_start, period_end))


def _add_months(year, month, count):
    index = year * 12 + (month - 1) + count
    return index // 12, index % 12 + 1


def period_bounds(date_ref, cycle):
    """Calendar-aligned (start, end) of the billing period containing ``date_ref``."""
    date_ref = _as_date(date_ref, "date_ref")
    try:
        months = CYCLE_MONTHS[cycle]
    except (KeyError, TypeError):
        raise ValueError(
            f"unknown billing cycle {cycle!r}; expected one of {', '.join(CYCLE_MONTHS)}"
        ) from None
    first_month = (date_ref.month - 1) // months * months + 1
    start = date(date_ref.year, first_month, 1)
    last_year, last_month = _add_months(date_ref.year, first_month, months - 1)
    return start, _month_end(date(last_year, last_month, 1))


def previous_period(date_ref, cycle):
    """Bounds of the period before the one containing ``date_ref``."""
    start, _end = period_bounds(date_ref, cycle)
    return period_bounds(start - _ONE_DAY, cycle)


def months_in_period(period_start, period_end):
    """Length of the period in (prorated) calendar months."""
    return proration_factor(period_start, period_end, period_start, period_end)
