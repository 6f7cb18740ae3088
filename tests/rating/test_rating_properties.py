"""Property-based tests for the rating engine."""

from datetime import date, timedelta
from decimal import Decimal as D
from fractions import Fraction

import pytest
from agent_billing_rating import (
    CYCLE_MONTHS,
    AgentRate,
    Band,
    ClientTerms,
    DeploymentInput,
    MetricPrice,
    PricingError,
    UsageInput,
    UsagePrice,
    active_days,
    months_in_period,
    period_bounds,
    proration_factor,
    proration_fraction,
    rate_client,
    round_money,
    usage_charge,
)
from hypothesis import given, settings
from hypothesis import strategies as st

settings.register_profile("rating", deadline=None, max_examples=300, database=None)
settings.load_profile("rating")

CYCLES = st.sampled_from(sorted(CYCLE_MONTHS))
DATES = st.dates(min_value=date(2020, 1, 1), max_value=date(2030, 12, 31))
MONEY = st.decimals(min_value=0, max_value=10000, places=2)
QUANTITIES = st.decimals(min_value=0, max_value=20000, places=3)
UNIT_PRICES = st.decimals(min_value=0, max_value=5, places=4)


@st.composite
def bands(draw, open_last=None):
    limits = draw(
        st.lists(
            st.decimals(min_value=1, max_value=10000, places=0), min_size=1, max_size=4, unique=True
        )
    )
    limits = sorted(limits)
    if open_last is None:
        open_last = draw(st.booleans())
    result = []
    for index, limit in enumerate(limits):
        up_to = None if open_last and index == len(limits) - 1 else limit
        fee = draw(st.decimals(min_value=0, max_value=20, places=2))
        result.append(Band(up_to, draw(UNIT_PRICES), fee))
    return tuple(result)


@st.composite
def usage_prices(draw):
    model = draw(st.sampled_from(["standard", "graduated", "volume", "package"]))
    included = draw(st.decimals(min_value=0, max_value=1000, places=0))
    if model in ("graduated", "volume"):
        return UsagePrice(model=model, bands=draw(bands()), included_units=included)
    size = draw(st.decimals(min_value=1, max_value=1000, places=0))
    return UsagePrice(
        model=model, unit_price=draw(UNIT_PRICES), package_size=size, included_units=included
    )


@given(
    ref=DATES,
    cycle=CYCLES,
    start_offset=st.integers(-60, 400),
    length=st.integers(1, 500),
    split_at=st.integers(0, 10_000),
    open_end=st.booleans(),
    rate=MONEY,
    agents=st.integers(1, 50),
)
def test_split_deployment_costs_the_same_within_a_cent(
    ref, cycle, start_offset, length, split_at, open_end, rate, agents
):
    period = period_bounds(ref, cycle)
    start = period[0] + timedelta(days=start_offset)
    end = None if open_end else start + timedelta(days=length)
    split = start + timedelta(days=split_at % length)
    terms = ClientTerms("per_agent", agent_rates={"bot": AgentRate(rate)})
    whole = rate_client(terms, [DeploymentInput(1, "bot", agents, start, end)], [], *period)
    parts = [
        DeploymentInput(1, "bot", agents, start, split),
        DeploymentInput(2, "bot", agents, split + timedelta(days=1), end),
    ]
    split_rating = rate_client(terms, parts, [], *period)
    assert abs(whole.total - split_rating.total) <= D("0.01")


@given(price_bands=bands(), included=QUANTITIES, q1=QUANTITIES, q2=QUANTITIES)
def test_graduated_amount_never_decreases(price_bands, included, q1, q2):
    price = UsagePrice(model="graduated", bands=price_bands, included_units=included)
    low, high = sorted((q1, q2))
    low_charge, high_charge = usage_charge(price, low), usage_charge(price, high)
    assert low_charge.amount <= high_charge.amount
    assert sum(b.quantity for b in high_charge.bands) == high_charge.billable


@given(price=usage_prices(), quantity=QUANTITIES)
def test_charges_are_non_negative_and_consistent(price, quantity):
    charge = usage_charge(price, quantity)
    assert charge.amount >= 0
    assert charge.included + charge.billable == quantity
    assert 0 <= charge.included <= price.included_units
    if charge.billable == 0:
        assert charge.amount == 0 and charge.bands == ()
    if price.model == "standard":
        assert charge.amount == charge.billable * price.unit_price
    if price.model in ("graduated", "volume") and charge.billable:
        assert charge.amount == sum(b.amount for b in charge.bands)


@given(
    price=usage_prices(),
    quantity=st.decimals(max_value=D("-0.001"), places=3, allow_nan=False, allow_infinity=False),
)
def test_usage_charge_rejects_negative_quantities(price, quantity):
    with pytest.raises(PricingError, match="negative"):
        usage_charge(price, quantity)


ROUNDING_AND_DIGITS = st.sampled_from(
    [(D("0.01"), 2), (D("0.01"), 4), (D("0.05"), 2), (D(1), 0), (D(1), 2)]
)


@st.composite
def deployments(draw, period):
    result = []
    for ref in range(draw(st.integers(0, 4))):
        start = period[0] + timedelta(days=draw(st.integers(-40, 200)))
        end = None
        if draw(st.booleans()):
            end = start + timedelta(days=draw(st.integers(0, 200)))
        agent_type = draw(st.sampled_from(["bot", "analyst"]))
        result.append(DeploymentInput(ref, agent_type, draw(st.integers(1, 20)), start, end))
    return result


@given(data=st.data(), ref=DATES, cycle=CYCLES)
def test_rating_total_is_sum_of_lines_and_matches_odoo(data, ref, cycle):
    period = period_bounds(ref, cycle)
    rounding, digits = data.draw(ROUNDING_AND_DIGITS)
    metric_prices = {
        "m1": MetricPrice(data.draw(usage_prices())),
        "m2": MetricPrice(
            data.draw(usage_prices()),
            tier=data.draw(st.none() | usage_prices()),
            override=data.draw(st.none() | UNIT_PRICES),
        ),
    }
    terms = ClientTerms(
        data.draw(st.sampled_from(["per_agent", "usage", "contract"])),
        agent_rates={
            "bot": AgentRate(data.draw(MONEY)),
            "analyst": AgentRate(data.draw(MONEY), tier=data.draw(st.none() | MONEY)),
        },
        metric_prices=metric_prices,
        minimum_commitment=data.draw(st.sampled_from([D(0), D(0), D(500), D("1234.56")])),
        discount_percent=data.draw(st.decimals(min_value=0, max_value=100, places=1)),
        contract_start=data.draw(st.none() | DATES),
        rounding=rounding,
        price_digits=digits,
        quantity_digits=data.draw(st.sampled_from([0, 2, 3])),
    )
    usages = data.draw(
        st.lists(st.builds(UsageInput, st.integers(), st.sampled_from(["m1", "m2"]), QUANTITIES))
    )
    rating = rate_client(terms, data.draw(deployments(period)), usages, *period)

    assert rating.total == sum(line.amount for line in rating.lines)
    for line in rating.lines:
        gross = line.quantity * line.unit_price * (1 - line.discount_percent / 100)
        assert line.amount == round_money(gross, rounding)
        assert line.amount >= 0
        assert line.unit_price == line.unit_price.quantize(D(1).scaleb(-digits))
        if line.unit_price:
            step = D(1).scaleb(-terms.quantity_digits)
            assert line.quantity == line.quantity.quantize(step)
        if terms.billing_model != "contract":
            assert line.discount_percent == 0
    kinds = [line.kind for line in rating.lines]
    assert kinds == sorted(kinds, key=["agents", "usage", "minimum"].index)
    if terms.billing_model == "contract" and terms.minimum_commitment:
        start = terms.contract_start or period[0]
        factor = proration_factor(start, None, *period)
        assert rating.total >= round_money(terms.minimum_commitment * factor, rounding)


@given(ref=DATES, cycle=CYCLES)
def test_full_period_factor_equals_months_in_period(ref, cycle):
    period = period_bounds(ref, cycle)
    months = CYCLE_MONTHS[cycle]
    assert proration_factor(period[0], period[1], *period) == months
    assert proration_factor(period[0] - timedelta(days=400), None, *period) == months
    assert months_in_period(*period) == months
    assert active_days(period[0], None, *period) == (period[1] - period[0]).days + 1


@given(
    ref=DATES,
    cycle=CYCLES,
    start_offset=st.integers(-60, 400),
    length=st.integers(1, 500),
    split_at=st.integers(0, 10_000),
)
def test_proration_is_additive_over_a_split(ref, cycle, start_offset, length, split_at):
    period = period_bounds(ref, cycle)
    start = period[0] + timedelta(days=start_offset)
    end = start + timedelta(days=length)
    split = start + timedelta(days=split_at % length)
    after = split + timedelta(days=1)
    whole = proration_fraction(start, end, *period)
    assert whole == proration_fraction(start, split, *period) + proration_fraction(
        after, end, *period
    )
    decimal_sum = proration_factor(start, split, *period) + proration_factor(after, end, *period)
    assert abs(proration_factor(start, end, *period) - decimal_sum) < D("1E-20")
    assert 0 <= whole <= CYCLE_MONTHS[cycle]


@given(
    period_start=DATES,
    period_length=st.integers(0, 400),
    start=DATES,
    length=st.none() | st.integers(0, 400),
)
def test_active_days_bounds(period_start, period_length, start, length):
    period_end = period_start + timedelta(days=period_length)
    end = None if length is None else start + timedelta(days=length)
    days = active_days(start, end, period_start, period_end)
    assert 0 <= days <= period_length + 1
    if length is not None:
        assert days <= length + 1
    # Brute force: count the period's days covered by the deployment.
    covered = sum(
        1
        for offset in range(period_length + 1)
        if start <= period_start + timedelta(days=offset)
        and (end is None or period_start + timedelta(days=offset) <= end)
    )
    assert days == covered
    factor = proration_fraction(start, end, period_start, period_end)
    assert (factor == 0) == (days == 0)
    assert factor <= Fraction(period_length + 1, 28)
