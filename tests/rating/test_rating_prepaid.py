"""Prepaid blocks consumed by usage during rating."""

from datetime import date
from decimal import Decimal as D

import pytest
from agent_billing_rating import (
    Band,
    ClientTerms,
    MetricPrice,
    PrepaidBalance,
    PricingError,
    UsageInput,
    UsagePrice,
    rate_client,
)
from hypothesis import given
from hypothesis import strategies as st

JAN = (date(2025, 1, 1), date(2025, 1, 31))
FEB = (date(2025, 2, 1), date(2025, 2, 28))
BANDS = (Band(1000, "0.10"), Band(None, "0.05"))
PRICES = {
    "tasks": MetricPrice(UsagePrice(unit_price="0.10")),
    "hours": MetricPrice(UsagePrice(unit_price="80", included_units=2)),
    "calls": MetricPrice(UsagePrice(model="graduated", bands=BANDS)),
}


def terms():
    return ClientTerms("usage", metric_prices=PRICES)


def usage(ref, qty, day=date(2025, 1, 15), metric="tasks"):
    return UsageInput(ref, metric, D(qty), day=day)


def lines_of(rating, kind):
    return [line for line in rating.lines if line.kind == kind]


def test_block_covers_usage_and_reports_remaining():
    block = PrepaidBalance("PB1", "tasks", D(1000))
    rating = rate_client(terms(), [], [usage("u1", 600)], *JAN, prepaid=[block])
    (prepaid,) = lines_of(rating, "prepaid")
    assert prepaid.quantity == D(600) and prepaid.amount == 0 and prepaid.unit_price == 0
    assert prepaid.description_data["remaining"] == D(400)
    assert prepaid.refs == ("u1",), "fully covered usage is linked to the prepaid line"
    assert lines_of(rating, "usage") == [] and rating.total == 0


def test_block_consumed_across_two_periods():
    jan = rate_client(
        terms(), [], [usage("u1", 600)], *JAN, prepaid=[PrepaidBalance("PB1", "tasks", D(1000))]
    )
    left = lines_of(jan, "prepaid")[0].description_data["remaining"]
    feb = rate_client(
        terms(),
        [],
        [usage("u2", 700, date(2025, 2, 10))],
        *FEB,
        prepaid=[PrepaidBalance("PB1", "tasks", left)],
    )
    (prepaid,) = lines_of(feb, "prepaid")
    (charged,) = lines_of(feb, "usage")
    assert prepaid.quantity == D(400) and prepaid.description_data["remaining"] == 0
    assert charged.quantity == D(300) and charged.amount == D("30.00")
    assert charged.refs == ("u2",) and feb.total == D("30.00")


def test_included_units_go_first_and_expired_block_does_not_cover():
    valid = PrepaidBalance("PB-new", "hours", D(10), start=date(2025, 1, 10))
    expired = PrepaidBalance("PB-old", "hours", D(10), end=date(2025, 1, 5))
    rating = rate_client(
        terms(),
        [],
        [
            usage("early", 3, date(2025, 1, 2), "hours"),  # 2 included, 1 with the old block
            usage("late", 12, date(2025, 1, 20), "hours"),  # 10 from the new block, 2 charged
        ],
        *JAN,
        prepaid=[valid, expired],
    )
    used = {line.key[1]: line.quantity for line in lines_of(rating, "prepaid")}
    assert used == {"PB-old": D(1), "PB-new": D(10)}
    (charged,) = lines_of(rating, "usage")
    # 15 hours - 11 prepaid = 4, of which 2 included: 2 x 80
    assert charged.amount == D("160.00")


def test_earliest_expiry_first_and_correction_returns_units():
    soon = PrepaidBalance("soon", "tasks", D(100), end=date(2025, 3, 31))
    later = PrepaidBalance("later", "tasks", D(100), end=date(2025, 12, 31))
    rating = rate_client(
        terms(), [], [usage("a", 150), usage("fix", -80)], *JAN, prepaid=[later, soon]
    )
    used = {line.key[1]: line.quantity for line in lines_of(rating, "prepaid")}
    assert used == {"soon": D(70)}, "the correction gives back the units last taken"
    assert rating.total == 0


def test_graduated_remainder_and_other_metric_untouched():
    rating = rate_client(
        terms(),
        [],
        [usage("c", 1500, metric="calls"), usage("t", 10)],
        *JAN,
        prepaid=[PrepaidBalance("PB", "calls", D(200))],
    )
    charged = {line.key: line.amount for line in lines_of(rating, "usage")}
    assert charged == {"calls": D("115.00"), "tasks": D("1.00")}  # 1300: 1000x0.10 + 300x0.05


def test_bad_prepaid_input():
    with pytest.raises(PricingError, match="negative balance"):
        PrepaidBalance("PB", "tasks", D(-1))
    with pytest.raises(PricingError, match="expires before"):
        PrepaidBalance("PB", "tasks", D(1), start=date(2025, 2, 1), end=date(2025, 1, 1))
    with pytest.raises(PricingError, match="PrepaidBalance"):
        rate_client(terms(), [], [usage("u", 1)], *JAN, prepaid=[("PB", 5)])


@given(
    quantities=st.lists(st.integers(min_value=-50, max_value=500), min_size=1, max_size=8),
    balances=st.lists(st.integers(min_value=0, max_value=800), min_size=1, max_size=3),
)
def test_prepaid_conserves_units(quantities, balances):
    """Covered + charged = used, no block goes below zero, nothing is covered twice."""
    if sum(quantities) < 0:
        return
    events = [usage(f"u{i}", q, date(2025, 1, 1 + i)) for i, q in enumerate(quantities)]
    blocks = [PrepaidBalance(f"B{i}", "tasks", D(b)) for i, b in enumerate(balances)]
    rating = rate_client(terms(), [], events, *JAN, prepaid=blocks)
    covered = sum((line.quantity for line in lines_of(rating, "prepaid")), D(0))
    charged = sum((line.quantity for line in lines_of(rating, "usage")), D(0))
    assert covered + charged == sum(quantities)
    assert covered == min(D(sum(quantities)), D(sum(balances)))
    for line in lines_of(rating, "prepaid"):
        start = next(b.balance for b in blocks if b.ref == line.key[1])
        assert line.description_data["remaining"] == start - line.quantity >= 0
