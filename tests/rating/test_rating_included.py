"""Included units apply once per metric and period, across override slices."""

from datetime import date, timedelta
from decimal import Decimal

from agent_billing_rating import (
    ClientTerms,
    MetricPrice,
    UsageInput,
    UsagePrice,
    rate_client,
)
from agent_billing_rating.pricing import included_shares
from hypothesis import given, settings
from hypothesis import strategies as st

NOV = (date(2025, 11, 1), date(2025, 11, 30))


def _terms(included):
    base = UsagePrice(unit_price=Decimal("0.05"), included_units=Decimal(included))
    return ClientTerms(
        billing_model="usage",
        metric_prices={
            ("tasks", None): MetricPrice(catalog=base),
            ("tasks", "ov"): MetricPrice(catalog=base, override=Decimal("0.04")),
        },
    )


def test_override_from_the_16th_does_not_grant_included_units_twice():
    usages = [
        UsageInput(1, ("tasks", None), Decimal(800), day=date(2025, 11, 5), prepaid_metric="tasks"),
        UsageInput(
            2, ("tasks", "ov"), Decimal(800), day=date(2025, 11, 20), prepaid_metric="tasks"
        ),
    ]
    rating = rate_client(_terms(1000), [], usages, *NOV)
    # 1,000 included: 800 before the 16th, 200 after; 600 billed at the override's 0.04
    assert rating.total == Decimal("24.00")
    assert sorted((line.key[1] or "", line.amount) for line in rating.lines) == [
        ("", Decimal("0.00")),
        ("ov", Decimal("24.00")),
    ]


events = st.lists(
    st.tuples(st.integers(0, 29), st.sampled_from([None, "ov"]), st.integers(-50, 500)), max_size=8
)


@settings(max_examples=300, deadline=None, database=None)
@given(events, st.integers(0, 2000))
def test_included_units_are_granted_once_whatever_the_slices(drawn, included):
    usages = [
        UsageInput(
            i,
            ("tasks", slice_),
            Decimal(q),
            day=date(2025, 11, 1) + timedelta(d),
            prepaid_metric="tasks",
        )
        for i, (d, slice_, q) in enumerate(drawn)
    ]
    totals = {}
    for usage in usages:
        totals[usage.metric] = totals.get(usage.metric, Decimal(0)) + usage.quantity
    group = {key: "tasks" for key in totals}
    shares = included_shares(usages, totals, group, dict.fromkeys(totals, Decimal(included)))
    room = sum(max(t, Decimal(0)) for t in totals.values())
    assert sum(shares.values(), Decimal(0)) == min(Decimal(included), room)
    for key, share in shares.items():
        assert Decimal(0) <= share <= max(totals[key], Decimal(0))
