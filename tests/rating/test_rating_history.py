"""Date-effective prices: a change never re-prices a day before its effective date."""

from datetime import date, timedelta
from decimal import Decimal

from agent_billing_rating.history import PriceChange, price_pieces, value_on
from hypothesis import given, settings
from hypothesis import strategies as st

DAY0 = date(2025, 1, 1)
days = st.integers(0, 200).map(lambda n: DAY0 + timedelta(days=n))
prices = st.integers(0, 100000).map(lambda n: Decimal(n) / 100)


@st.composite
def histories(draw):
    """A price history: values v0 -> v1 -> ... with increasing effective dates."""
    dates = sorted(set(draw(st.lists(days, max_size=5))))
    values = [draw(prices) for _ in range(len(dates) + 1)]
    changes = [PriceChange(d, values[i], values[i + 1]) for i, d in enumerate(dates)]
    return values, dates, changes


def test_a_change_on_the_first_does_not_price_the_month_before():
    changes = [PriceChange(date(2025, 4, 1), Decimal(90), Decimal(120))]
    assert value_on(Decimal(120), changes, date(2025, 3, 31)) == Decimal(90)
    assert value_on(Decimal(120), changes, date(2025, 4, 1)) == Decimal(120)
    assert price_pieces(date(2025, 3, 1), date(2025, 3, 31), Decimal(120), changes) == [
        (date(2025, 3, 1), date(2025, 3, 31), Decimal(90))
    ]


@settings(max_examples=300, deadline=None, database=None)
@given(histories(), days)
def test_value_on_any_day_is_the_value_then_in_force(history, day):
    values, dates, changes = history
    in_force = sum(1 for d in dates if d <= day)
    assert value_on(values[-1], changes, day) == values[in_force]


@settings(max_examples=300, deadline=None, database=None)
@given(histories(), days, st.integers(0, 120))
def test_pieces_cover_the_range_once_each_at_its_day_value(history, start, length):
    values, _dates, changes = history
    end = start + timedelta(days=length)
    pieces = price_pieces(start, end, values[-1], changes)
    assert pieces[0][0] == start and pieces[-1][1] == end
    for (_s, e, _v), (s2, _e2, _v2) in zip(pieces, pieces[1:], strict=False):
        assert s2 == e + timedelta(days=1)
    for piece_start, piece_end, value in pieces:
        day = piece_start
        while day <= piece_end:
            assert value_on(values[-1], changes, day) == value
            day += timedelta(days=1)
