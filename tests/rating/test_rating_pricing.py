"""Tests for client rating (invoice lines)."""

from datetime import date
from decimal import Decimal as D

import pytest
from agent_billing_rating import (
    AgentRate,
    Band,
    ClientTerms,
    DeploymentInput,
    MetricPrice,
    PricingError,
    Rating,
    UsageCharge,
    UsageInput,
    UsagePrice,
    invoice_total,
    rate_client,
    resolve_price,
)

JAN = (date(2025, 1, 1), date(2025, 1, 31))
Q1 = (date(2025, 1, 1), date(2025, 3, 31))
RATES = {"bot": AgentRate(D("100.00")), "analyst": AgentRate(D("250.00"))}
TIERS = (Band(1000, "0.10"), Band(5000, "0.08"), Band(None, "0.05"))
METRICS = {
    "tokens": MetricPrice(UsagePrice(unit_price="0.02", included_units=1000)),
    "calls": MetricPrice(UsagePrice(model="graduated", bands=TIERS)),
    "runs": MetricPrice(UsagePrice(model="volume", bands=TIERS)),
    "storage": MetricPrice(UsagePrice(model="package", unit_price=50, package_size=1000)),
}


def terms(model="per_agent", **kwargs):
    kwargs.setdefault("agent_rates", RATES)
    kwargs.setdefault("metric_prices", METRICS)
    return ClientTerms(model, **kwargs)


def dep(ref, agents, start, end=None, agent_type="bot"):
    return DeploymentInput(ref, agent_type, agents, start, end)


def only_line(rating):
    assert len(rating.lines) == 1
    return rating.lines[0]


def odoo_amount(line, rounding=D("0.01")):
    """What Odoo computes for quantity x price_unit with a percentage discount."""
    from agent_billing_rating import round_money

    gross = line.quantity * line.unit_price * (1 - line.discount_percent / 100)
    return round_money(gross, rounding)


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ((D(100),), (D(100), "catalog")),
        ((D(100), D(90)), (D(90), "tier")),
        ((D(100), D(90), D(80)), (D(80), "override")),
        ((D(100), None, D(0)), (D(0), "override")),
        ((D(100), D(0)), (D(0), "tier")),
        ((100.5, None, None), (D("100.5"), "catalog")),
    ],
)
def test_resolve_price(args, expected):
    assert resolve_price(*args) == expected


def test_partial_month_presented_as_one_times_amount():
    rating = rate_client(terms(), [dep("d1", 3, date(2025, 1, 16))], [], *JAN)
    line = only_line(rating)
    # 3 * 100 * 16/31 = 154.838...
    assert (line.kind, line.key, line.refs) == ("agents", "bot", ("d1",))
    assert (line.quantity, line.unit_price, line.amount) == (1, D("154.84"), D("154.84"))
    assert line.discount_percent == 0
    assert line.price_source == "catalog"
    data = line.description_data
    assert (data["agents"], data["days"], data["days_in_period"]) == (3, 16, 31)
    assert data["monthly_rate"] == D("100.00")
    assert rating.total == D("154.84")


def test_full_month_presented_per_agent():
    line = only_line(rate_client(terms(), [dep("d1", 3, date(2024, 6, 1))], [], *JAN))
    assert (line.quantity, line.unit_price, line.amount) == (3, D("100.00"), D("300.00"))
    assert str(line.unit_price) == "100.00"


def test_full_quarter_and_half_month_unit_prices():
    line = only_line(rate_client(terms(), [dep("d1", 3, date(2024, 6, 1))], [], *Q1))
    assert (line.quantity, line.unit_price, line.amount) == (3, D("300.00"), D("900.00"))
    # 15 days of June (30 days) is exactly half a month: 2 x 50.00.
    june = (date(2025, 6, 1), date(2025, 6, 30))
    line = only_line(rate_client(terms(), [dep("d1", 2, date(2025, 6, 16))], [], *june))
    assert (line.quantity, line.unit_price, line.amount) == (2, D("50.00"), D("100.00"))


def test_deployment_outside_period_yields_no_line():
    deployments = [
        dep("old", 1, date(2024, 1, 1), date(2024, 12, 31)),
        dep("new", 1, date(2025, 2, 1)),
    ]
    rating = rate_client(terms(), deployments, [], *JAN)
    assert rating.lines == () and rating.total == 0


def test_deployment_ending_mid_period():
    rating = rate_client(terms(), [dep("d1", 1, date(2024, 1, 1), date(2025, 1, 10))], [], *JAN)
    line = only_line(rating)
    assert line.amount == D("32.26")  # 100 * 10/31
    assert line.description_data["end"] == date(2025, 1, 10)


def test_agent_price_override_beats_tier_beats_catalog():
    rates = {
        "a": AgentRate(D(100), tier=D(90), override=D(80)),
        "b": AgentRate(D(100), tier=D(90)),
        "c": AgentRate(D(100)),
    }
    deployments = [dep(t, 1, date(2024, 1, 1), agent_type=t) for t in "cba"]
    rating = rate_client(terms(agent_rates=rates), deployments, [], *JAN)
    got = [(ln.key, ln.unit_price, ln.price_source) for ln in rating.lines]
    assert got == [("a", 80, "override"), ("b", 90, "tier"), ("c", 100, "catalog")]
    assert rating.total == 270


def test_missing_agent_type_is_named():
    with pytest.raises(PricingError, match="no rate for agent type 'ghost'"):
        rate_client(terms(), [dep("d1", 1, date(2025, 1, 1), agent_type="ghost")], [], *JAN)
    # An unknown type outside the period is not rated, so not an error.
    old = dep("d1", 1, date(2020, 1, 1), date(2020, 2, 1), agent_type="ghost")
    assert rate_client(terms(), [old], [], *JAN).lines == ()


def test_usage_standard_with_included_units():
    usages = [UsageInput("u1", "tokens", 2500), UsageInput("u2", "tokens", 500, agent_type="bot")]
    line = only_line(rate_client(terms("usage"), [], usages, *JAN))
    assert (line.kind, line.key, line.refs) == ("usage", "tokens", ("u1", "u2"))
    assert (line.quantity, line.unit_price, line.amount) == (2000, D("0.02"), D("40.00"))
    data = line.description_data
    assert (data["quantity"], data["included"], data["billable"]) == (3000, 1000, 2000)
    assert isinstance(data["charge"], UsageCharge) and data["charge"].amount == 40
    assert data["source"] == "catalog"


def test_usage_fully_included_still_yields_a_line():
    line = only_line(rate_client(terms("usage"), [], [UsageInput("u", "tokens", 600)], *JAN))
    assert (line.quantity, line.unit_price, line.amount) == (600, 0, 0)
    assert line.description_data["included"] == 600


def test_usage_graduated_line():
    line = only_line(rate_client(terms("usage"), [], [UsageInput("u", "calls", 6000)], *JAN))
    assert (line.quantity, line.unit_price, line.amount) == (1, D("470.00"), D("470.00"))
    assert len(line.description_data["bands"]) == 3
    line = only_line(rate_client(terms("usage"), [], [UsageInput("u", "calls", 500)], *JAN))
    assert (line.quantity, line.unit_price, line.amount) == (500, D("0.10"), D("50.00"))


def test_usage_volume_line():
    line = only_line(rate_client(terms("usage"), [], [UsageInput("u", "runs", 3000)], *JAN))
    assert (line.quantity, line.unit_price, line.amount) == (3000, D("0.08"), D("240.00"))


def test_usage_package_line():
    line = only_line(rate_client(terms("usage"), [], [UsageInput("u", "storage", 2500)], *JAN))
    assert (line.quantity, line.unit_price, line.amount) == (3, D("50.00"), D("150.00"))
    assert line.description_data["packages"] == 3


def test_usage_price_override_keeps_included_units():
    price = MetricPrice(
        UsagePrice(unit_price="0.02", included_units=1000),
        tier=UsagePrice(unit_price="0.015", included_units=2000),
        override=D("0.01"),
    )
    line = only_line(
        rate_client(
            terms("usage", metric_prices={"m": price}), [], [UsageInput(1, "m", 5000)], *JAN
        )
    )
    assert line.price_source == "override"
    assert (line.quantity, line.unit_price, line.amount) == (3000, D("0.01"), D("30.00"))


def test_usage_tier_price_and_price_digits():
    price = MetricPrice(
        UsagePrice(unit_price="0.02"), tier=UsagePrice(unit_price="0.015", included_units=2000)
    )
    usages = [UsageInput(1, "m", 5000)]
    line = only_line(rate_client(terms("usage", metric_prices={"m": price}), [], usages, *JAN))
    assert line.price_source == "tier"
    # 0.015 does not fit 2 price digits: shown as 1 x 45.00.
    assert (line.quantity, line.unit_price, line.amount) == (1, D("45.00"), D("45.00"))
    line = only_line(
        rate_client(terms("usage", metric_prices={"m": price}, price_digits=4), [], usages, *JAN)
    )
    assert (line.quantity, line.unit_price, line.amount) == (3000, D("0.0150"), D("45.00"))


def test_quantity_beyond_quantity_digits_presented_as_one_times_amount():
    usages = [UsageInput(1, "tokens", D("2234.567"))]  # 1234.567 billable at 0.02
    line = only_line(rate_client(terms("usage"), [], usages, *JAN))
    assert (line.quantity, line.unit_price, line.amount) == (1, D("24.69"), D("24.69"))
    line = only_line(rate_client(terms("usage", quantity_digits=3), [], usages, *JAN))
    assert (line.quantity, line.unit_price, line.amount) == (D("1234.567"), D("0.02"), D("24.69"))
    usages = [UsageInput(1, "tokens", D("2000.5"))]
    line = only_line(rate_client(terms("usage"), [], usages, *JAN))
    assert (line.quantity, line.unit_price, line.amount) == (D("1000.5"), D("0.02"), D("20.01"))


def test_missing_metric_is_named():
    with pytest.raises(PricingError, match="no price for metric 'gpu_hours'"):
        rate_client(terms("usage"), [], [UsageInput(1, "gpu_hours", 3)], *JAN)


def test_negative_metric_total_rejected_but_corrections_allowed():
    usages = [UsageInput(1, "tokens", 3000), UsageInput(2, "tokens", -500)]
    line = only_line(rate_client(terms("usage"), [], usages, *JAN))
    assert line.description_data["quantity"] == 2500
    with pytest.raises(PricingError, match="'tokens' is negative"):
        rate_client(terms("usage"), [], [UsageInput(1, "tokens", -1)], *JAN)


def test_billing_model_selects_line_kinds():
    deployments = [dep("d", 1, date(2024, 1, 1))]
    usages = [UsageInput("u", "unpriced", 10)]
    per_agent = rate_client(terms("per_agent"), deployments, usages, *JAN)
    assert [ln.kind for ln in per_agent.lines] == ["agents"]
    usage = rate_client(
        terms("usage"),
        [dep("d", 1, date(2024, 1, 1), agent_type="?")],
        [UsageInput("u", "tokens", 2000)],
        *JAN,
    )
    assert [ln.kind for ln in usage.lines] == ["usage"]
    contract = rate_client(terms("contract"), deployments, [UsageInput("u", "tokens", 2000)], *JAN)
    assert [ln.kind for ln in contract.lines] == ["agents", "usage"]
    assert contract.total == 120


def test_contract_discount_applies_to_agent_and_usage_lines():
    usages = [UsageInput("u", "tokens", 2000)]
    rating = rate_client(
        terms("contract", discount_percent=10), [dep("d", 3, date(2024, 1, 1))], usages, *JAN
    )
    agents, usage = rating.lines
    assert (agents.quantity, agents.unit_price, agents.discount_percent) == (3, 100, 10)
    assert agents.amount == D("270.00")
    assert (usage.discount_percent, usage.amount) == (10, D("18.00"))
    assert rating.total == D("288.00")


def test_discount_ignored_outside_contract_model():
    rating = rate_client(
        terms("per_agent", discount_percent=10), [dep("d", 3, date(2024, 1, 1))], [], *JAN
    )
    line = only_line(rating)
    assert (line.discount_percent, line.amount) == (0, 300)


def test_discount_on_prorated_line_matches_odoo():
    rating = rate_client(
        terms("contract", discount_percent=D("12.5")), [dep("d", 3, date(2025, 1, 16))], [], *JAN
    )
    line = only_line(rating)
    # 154.84 * 0.875 = 135.485 -> 135.49
    assert (line.quantity, line.unit_price, line.amount) == (1, D("154.84"), D("135.49"))
    assert line.amount == odoo_amount(line)


def test_minimum_commitment_true_up():
    rating = rate_client(
        terms("contract", minimum_commitment=1000), [dep("d", 3, date(2024, 1, 1))], [], *JAN
    )
    agents, minimum = rating.lines
    assert agents.amount == 300
    assert minimum.kind == "minimum" and minimum.key is None and minimum.refs == ()
    assert (minimum.quantity, minimum.unit_price, minimum.amount) == (1, 700, 700)
    assert minimum.description_data["minimum_for_period"] == 1000
    assert minimum.description_data["subtotal"] == 300
    assert rating.total == 1000


def test_minimum_compares_with_discounted_lines():
    rating = rate_client(
        terms("contract", minimum_commitment=1000, discount_percent=10),
        [dep("d", 3, date(2024, 1, 1))],
        [],
        *JAN,
    )
    assert rating.lines[-1].amount == 730
    assert rating.total == 1000


def test_minimum_not_added_when_exceeded_or_not_contract():
    deployments = [dep("d", 20, date(2024, 1, 1))]
    rating = rate_client(terms("contract", minimum_commitment=1000), deployments, [], *JAN)
    assert [ln.kind for ln in rating.lines] == ["agents"] and rating.total == 2000
    rating = rate_client(terms("per_agent", minimum_commitment=5000), deployments, [], *JAN)
    assert [ln.kind for ln in rating.lines] == ["agents"]


def test_minimum_prorated_by_contract_dates_and_period_length():
    quarter = rate_client(terms("contract", minimum_commitment=1000), [], [], *Q1)
    assert quarter.total == 3000 and only_line(quarter).kind == "minimum"
    # Contract starting Jan 16: 1000 * 16/31 = 516.129 -> 516.13.
    started = rate_client(
        terms("contract", minimum_commitment=1000, contract_start=date(2025, 1, 16)), [], [], *JAN
    )
    assert started.total == D("516.13")
    ended = rate_client(
        terms(
            "contract",
            minimum_commitment=1000,
            contract_start=date(2024, 1, 1),
            contract_end=date(2024, 12, 31),
        ),
        [],
        [],
        *JAN,
    )
    assert ended.lines == ()
    future = rate_client(
        terms("contract", minimum_commitment=1000, contract_start=date(2025, 2, 1)), [], [], *JAN
    )
    assert future.lines == ()


def test_rounding_005_chf_like():
    rating = rate_client(terms(rounding=D("0.05")), [dep("d", 3, date(2025, 1, 16))], [], *JAN)
    line = only_line(rating)
    assert (line.quantity, line.unit_price, line.amount) == (1, D("154.84"), D("154.85"))
    assert str(line.amount) == "154.85"
    minimum = rate_client(
        terms(
            "contract",
            minimum_commitment=1000,
            contract_start=date(2025, 1, 16),
            rounding=D("0.05"),
        ),
        [],
        [],
        *JAN,
    )
    assert minimum.total == D("516.15")


def test_rounding_1_jpy_like():
    rates = {"bot": AgentRate(10000)}
    jpy = terms(agent_rates=rates, rounding=D(1), price_digits=0)
    line = only_line(rate_client(jpy, [dep("d", 3, date(2025, 1, 16))], [], *JAN))
    # 3 * 10000 * 16/31 = 15483.87 -> 15484
    assert (line.quantity, line.unit_price, line.amount) == (1, 15484, 15484)
    assert str(line.amount) == "15484"
    line = only_line(rate_client(jpy, [dep("d", 3, date(2024, 1, 1))], [], *JAN))
    assert (line.quantity, line.unit_price, line.amount) == (3, 10000, 30000)


def test_line_order_and_total():
    deployments = [
        dep("b2", 1, date(2025, 1, 20), agent_type="bot"),
        dep("a1", 1, date(2025, 1, 5), agent_type="analyst"),
        dep("b1", 2, date(2025, 1, 2), agent_type="bot"),
    ]
    usages = [UsageInput("u1", "tokens", 5000), UsageInput("u2", "calls", 10)]
    rating = rate_client(terms("contract", minimum_commitment=5000), deployments, usages, *JAN)
    assert [(ln.kind, ln.refs) for ln in rating.lines] == [
        ("agents", ("a1",)),
        ("agents", ("b1",)),
        ("agents", ("b2",)),
        ("usage", ("u2",)),
        ("usage", ("u1",)),
        ("minimum", ()),
    ]
    assert rating.total == invoice_total(rating.lines) == 5000
    for line in rating.lines:
        assert line.amount == odoo_amount(line)


def test_mixed_key_types_sort_deterministically():
    rates = {1: AgentRate(10), "x": AgentRate(20), 2: AgentRate(30)}
    deployments = [dep(k, 1, date(2024, 1, 1), agent_type=k) for k in ("x", 2, 1)]
    first = rate_client(terms(agent_rates=rates), deployments, [], *JAN)
    again = rate_client(terms(agent_rates=rates), list(reversed(deployments)), [], *JAN)
    assert [ln.key for ln in first.lines] == [ln.key for ln in again.lines] == [1, 2, "x"]


def test_inputs_may_be_generators():
    rating = rate_client(terms(), (d for d in [dep("d", 1, date(2024, 1, 1))]), iter(()), *JAN)
    assert isinstance(rating, Rating) and rating.total == 100


def test_invoice_total_empty():
    assert invoice_total([]) == 0


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: dep("d9", 0, date(2025, 1, 1)), "'d9': agents must be a positive integer"),
        (lambda: dep("d", -2, date(2025, 1, 1)), "agents must be a positive integer"),
        (lambda: dep("d", True, date(2025, 1, 1)), "agents must be a positive integer"),
        (lambda: dep("d", 1.5, date(2025, 1, 1)), "agents must be a positive integer"),
        (lambda: dep("d", 1, date(2025, 1, 2), date(2025, 1, 1)), "before start"),
        (lambda: dep("d", 1, "2025-01-01"), "start must be a date"),
        (lambda: UsageInput(1, "m", None), "quantity"),
        (lambda: AgentRate(D(-1)), "catalog must not be negative"),
        (lambda: AgentRate(D(1), tier=D(-1)), "tier must not be negative"),
        (lambda: AgentRate(D(1), override=D(-1)), "override must not be negative"),
        (lambda: MetricPrice(D(1)), "catalog must be a UsagePrice"),
        (lambda: MetricPrice(UsagePrice(), tier=D(1)), "tier must be a UsagePrice"),
        (lambda: MetricPrice(UsagePrice(), override=-1), "override must not be negative"),
        (lambda: ClientTerms("subscription"), "unknown billing model 'subscription'"),
        (lambda: terms(discount_percent=101), "discount percent must be between 0 and 100"),
        (lambda: terms(discount_percent=-1), "discount percent must be between 0 and 100"),
        (lambda: terms(minimum_commitment=-1), "minimum_commitment must not be negative"),
        (lambda: terms(rounding=0), "rounding must be positive"),
        (lambda: terms(price_digits=-1), "price_digits must be a non-negative integer"),
        (lambda: terms(quantity_digits=1.5), "quantity_digits must be a non-negative integer"),
        (
            lambda: terms(contract_start=date(2025, 2, 1), contract_end=date(2025, 1, 1)),
            "contract end 2025-01-01 is before contract start 2025-02-01",
        ),
        (lambda: rate_client(terms(), [], [], JAN[1], JAN[0]), "period end .* before period start"),
        (lambda: rate_client(object(), [], [], *JAN), "ClientTerms"),
    ],
)
def test_validation_errors(build, message):
    with pytest.raises(PricingError, match=message):
        build()
