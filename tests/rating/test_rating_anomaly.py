"""Tests for anomaly scoring of draft invoices."""

from dataclasses import replace
from decimal import ROUND_HALF_UP
from decimal import Decimal as D
from fractions import Fraction

import pytest
from agent_billing_rating import (
    Anomaly,
    AnomalyInput,
    AnomalyResult,
    PricingError,
    score_anomalies,
)
from agent_billing_rating import anomaly as anomaly_module
from hypothesis import assume, given, settings
from hypothesis import strategies as st

settings.register_profile("rating", deadline=None, max_examples=300, database=None)
settings.load_profile("rating")

DEFAULT_WEIGHTS = {
    "zero_invoice": 40,
    "negative_line": 40,
    "zero_line": 15,
    "no_usage": 30,
    "change": 20,
    "first_charge": 10,
    "missing_tax": 25,
    "missing_account": 35,
}


def clean(**kwargs):
    """An invoice with nothing to report: 1,000.00 after 1,000.00, usage recorded."""
    values = {
        "total": D("1000.00"),
        "previous_total": D("1000.00"),
        "line_amounts": (D("600.00"), D("400.00")),
        "active_deployments": 2,
        "usage_events": 10,
        "billing_model": "usage",
    }
    values.update(kwargs)
    return AnomalyInput(**values)


def codes(data):
    return [anomaly.code for anomaly in score_anomalies(data).anomalies]


def only(data, code):
    result = score_anomalies(data)
    assert [a.code for a in result.anomalies] == [code], result.anomalies
    return result.anomalies[0]


def test_public_api():
    assert anomaly_module.WEIGHTS == DEFAULT_WEIGHTS
    assert score_anomalies.__module__ == "agent_billing_rating.anomaly"


def test_clean_invoice_scores_zero():
    result = score_anomalies(clean())
    assert result == AnomalyResult(score=0, anomalies=(), change_pct=D("0.0"))


# --- zero_invoice ---------------------------------------------------------------------------


def test_zero_invoice_triggers_at_zero():
    anomaly = only(clean(total=D("0.00"), previous_total=None, line_amounts=()), "zero_invoice")
    assert anomaly == Anomaly("zero_invoice", 40, "Invoice total is 0.00 (0 lines).")


@pytest.mark.parametrize("total", [D("0.01"), D("-0.01")])
def test_zero_invoice_does_not_trigger_off_zero(total):
    assert "zero_invoice" not in codes(clean(total=total, previous_total=None))


def test_zero_invoice_counts_lines():
    data = clean(total=0, previous_total=None, line_amounts=(D(50), D(-50)))
    assert score_anomalies(data).anomalies[-1].message == "Invoice total is 0.00 (2 lines)."


# --- negative_line --------------------------------------------------------------------------


def test_negative_line_triggers_just_below_zero():
    anomaly = only(clean(line_amounts=(D("1000.01"), D("-0.01"))), "negative_line")
    assert anomaly.weight == 40
    assert anomaly.message == "1 line has a negative amount, -0.01 in total."


def test_negative_line_counts_lines_and_sums_amounts():
    data = clean(line_amounts=(D("2500.00"), D("-1200.00"), D("-300.50")))
    anomaly = only(data, "negative_line")
    assert anomaly.message == "2 lines have a negative amount, -1,500.50 in total."


def test_negative_line_does_not_trigger_at_zero():
    assert "negative_line" not in codes(clean(line_amounts=(D(1000), D(0))))


# --- zero_line ------------------------------------------------------------------------------


def test_zero_line_triggers_on_zero_amount():
    anomaly = only(clean(line_amounts=(D(1000), D("0.00"), D(0))), "zero_line")
    assert anomaly.weight == 15
    assert anomaly.message == "2 lines have a zero amount on an invoice totalling 1,000.00."


def test_zero_line_singular_message():
    anomaly = only(clean(line_amounts=(D(1000), D(0))), "zero_line")
    assert anomaly.message.startswith("1 line has a zero amount")


@pytest.mark.parametrize("amount", [D("0.01"), D("-0.01")])
def test_zero_line_does_not_trigger_off_zero(amount):
    assert "zero_line" not in codes(clean(line_amounts=(D(1000), amount)))


def test_zero_line_does_not_trigger_on_zero_invoice():
    data = clean(total=0, previous_total=None, line_amounts=(D(0), D(0)))
    assert codes(data) == ["zero_invoice"]


# --- no_usage -------------------------------------------------------------------------------


@pytest.mark.parametrize("model", ["usage", "contract"])
def test_no_usage_triggers_for_usage_models(model):
    anomaly = only(clean(billing_model=model, active_deployments=1, usage_events=0), "no_usage")
    assert anomaly.weight == 30
    assert anomaly.message == (
        f"No usage recorded although 1 deployment was active (billing model {model})."
    )


def test_no_usage_message_counts_deployments():
    anomaly = only(clean(active_deployments=3, usage_events=0), "no_usage")
    assert "3 deployments were active" in anomaly.message


@pytest.mark.parametrize(
    ("model", "deployments", "events"),
    [
        ("per_agent", 5, 0),  # usage is not billed
        ("usage", 0, 0),  # nothing deployed
        ("contract", 0, 0),
        ("usage", 1, 1),  # one event is enough
        ("contract", 4, 1),
    ],
)
def test_no_usage_boundaries(model, deployments, events):
    data = clean(billing_model=model, active_deployments=deployments, usage_events=events)
    assert "no_usage" not in codes(data)


# --- change / first_charge ------------------------------------------------------------------


def test_change_example_from_spec():
    result = score_anomalies(clean(total=D("2400.00")))
    assert result.change_pct == D("140.0")
    # 140 % is 2.8 x the 50 % threshold: 20 + (2.8 - 1) / 2 * 20 = 38.
    assert result.anomalies == (
        Anomaly(
            "change",
            38,
            "Total 2,400.00 is 140.0 % above last period's 1,000.00 (threshold 50 %).",
        ),
    )
    assert result.score == 38


def test_change_exactly_at_threshold_is_not_an_anomaly():
    for total in (D("1500.00"), D("500.00")):
        result = score_anomalies(clean(total=total))
        assert abs(result.change_pct) == 50
        assert result.anomalies == ()


def test_change_just_above_threshold_is_an_anomaly():
    # 1,000.00 -> 1,501.00 is +50.1 %, the smallest step beyond 50.0 at one decimal.
    anomaly = only(clean(total=D("1501.00")), "change")
    assert anomaly.weight == 20
    assert anomaly.message == (
        "Total 1,501.00 is 50.1 % above last period's 1,000.00 (threshold 50 %)."
    )


def test_change_just_below_negative_threshold():
    anomaly = only(clean(total=D("499.00")), "change")
    assert anomaly.weight == 20
    assert anomaly.message == (
        "Total 499.00 is 50.1 % below last period's 1,000.00 (threshold 50 %)."
    )


def test_change_compares_the_rounded_percentage():
    # +50.04 % shows as 50.0 %: not beyond the threshold, as the message would say.
    result = score_anomalies(clean(total=D("1500.40")))
    assert result.change_pct == D("50.0")
    assert result.anomalies == ()
    # +50.05 % rounds half-up to 50.1 %.
    assert score_anomalies(clean(total=D("1500.50"))).change_pct == D("50.1")
    assert codes(clean(total=D("1500.50"))) == ["change"]


@pytest.mark.parametrize(
    ("threshold", "total", "weight"),
    [
        (D(50), D("1501.00"), 20),  # 1.002 x threshold
        (D(50), D("2000.00"), 30),  # 2 x threshold: half way
        (D(50), D("2500.00"), 40),  # 3 x threshold: full weight
        (D(50), D("9000.00"), 40),  # capped
        (D(50), D("0.00"), 30),  # -100 % is 2 x threshold (plus zero_invoice)
        (D(20), D("1300.00"), 25),  # 1.5 x threshold
        (D(10), D("1600.00"), 40),  # 6 x threshold: capped
        (D("12.5"), D("1250.00"), 30),  # 2 x threshold
    ],
)
def test_change_weight_scales_linearly(threshold, total, weight):
    result = score_anomalies(clean(total=total, change_threshold_pct=threshold))
    [change] = [a for a in result.anomalies if a.code == "change"]
    assert change.weight == weight


def test_change_message_shows_configured_threshold():
    anomaly = only(clean(total=D(1200), change_threshold_pct="12.5"), "change")
    assert anomaly.message.endswith("(threshold 12.5 %).")
    anomaly = only(clean(total=D(1200), change_threshold_pct=D("10.00")), "change")
    assert anomaly.message.endswith("(threshold 10 %).")


def test_first_charge_when_previous_was_zero():
    data = clean(total=D("12345.6"), previous_total=D("0.00"), line_amounts=(D("12345.6"),))
    result = score_anomalies(data)
    assert result.change_pct is None
    assert result.anomalies == (
        Anomaly("first_charge", 10, "Billed 0.00 last period, 12,345.60 this period."),
    )


def test_no_first_charge_when_both_periods_are_zero():
    data = clean(total=0, previous_total=0, line_amounts=())
    assert codes(data) == ["zero_invoice"]
    assert score_anomalies(data).change_pct is None


def test_never_billed_has_no_change_anomaly():
    result = score_anomalies(clean(total=D(999999), previous_total=None))
    assert result == AnomalyResult(0, (), None)


@pytest.mark.parametrize(
    ("previous", "total", "expected"),
    [
        (D(1000), D(2400), D("140.0")),
        (D(1000), D(400), D("-60.0")),
        (D(1000), D(0), D("-100.0")),
        (D(1000), D(1000), D("0.0")),
        (D(3), D(4), D("33.3")),  # 33.33...
        (D(3), D(5), D("66.7")),  # 66.66...
        (D(3), D(2), D("-33.3")),
        (D(3), D(1), D("-66.7")),  # half-up is away from zero
        (D(2000), D("2001.00"), D("0.1")),  # 0.05 % rounds up
        (D(2000), D("1999.00"), D("-0.1")),
        (D(2000), D("2000.99"), D("0.0")),  # 0.0495 %
        (D(2000), D("1999.01"), D("0.0")),  # no negative zero
        (D(-100), D(50), D("150.0")),  # a credit last period: sign still gives direction
        (D(-100), D(-150), D("-50.0")),
        (None, D(100), None),
        (D(0), D(100), None),
        (D("0.00"), D(0), None),
    ],
)
def test_change_pct(previous, total, expected):
    result = score_anomalies(clean(total=total, previous_total=previous))
    assert result.change_pct == expected
    if expected is not None:
        assert result.change_pct.as_tuple().exponent == -1
        assert result.change_pct.is_signed() == (expected < 0)


MONEY = st.decimals(min_value=-100000, max_value=100000, places=2)


def _half_up_tenth(value):
    """Reference rounding with exact fractions: half away from zero to 0.1."""
    tenths = abs(value) * 10
    whole = int(tenths + Fraction(1, 2))
    return D(whole if value >= 0 else -whole).scaleb(-1)


@given(previous=MONEY, total=MONEY)
def test_change_pct_matches_exact_math(previous, total):
    assume(previous != 0)
    result = score_anomalies(clean(total=total, previous_total=previous))
    exact = (Fraction(total) - Fraction(previous)) / abs(Fraction(previous)) * 100
    assert result.change_pct == _half_up_tenth(exact)
    assert (result.change_pct > 0) <= (total > previous)
    assert (result.change_pct < 0) <= (total < previous)


# --- missing_tax / missing_account ----------------------------------------------------------


def test_missing_tax():
    assert "missing_tax" not in codes(clean(lines_missing_tax=0))
    anomaly = only(clean(lines_missing_tax=1), "missing_tax")
    assert anomaly == Anomaly("missing_tax", 25, "1 line has a product without sales tax.")
    anomaly = only(clean(lines_missing_tax=2), "missing_tax")
    assert anomaly.message == "2 lines have a product without sales tax."


def test_missing_account():
    assert "missing_account" not in codes(clean(lines_missing_account=0))
    anomaly = only(clean(lines_missing_account=1), "missing_account")
    assert anomaly == Anomaly("missing_account", 35, "1 line has no income account.")
    anomaly = only(clean(lines_missing_account=7), "missing_account")
    assert anomaly.message == "7 lines have no income account."


# --- score and ordering ---------------------------------------------------------------------


def everything():
    return clean(
        total=D("2400.00"),
        line_amounts=(D("2600.00"), D("-200.00"), D(0)),
        active_deployments=3,
        usage_events=0,
        lines_missing_tax=1,
        lines_missing_account=2,
    )


def test_score_is_capped_at_100():
    result = score_anomalies(everything())
    assert sum(a.weight for a in result.anomalies) == 40 + 38 + 35 + 30 + 25 + 15
    assert result.score == 100


def test_ordering_by_weight_then_code():
    result = score_anomalies(everything())
    assert [(a.code, a.weight) for a in result.anomalies] == [
        ("negative_line", 40),
        ("change", 38),
        ("missing_account", 35),
        ("no_usage", 30),
        ("missing_tax", 25),
        ("zero_line", 15),
    ]
    # Equal weights fall back to the code.
    data = clean(total=0, previous_total=None, line_amounts=(D(5), D(-5)))
    assert codes(data) == ["negative_line", "zero_invoice"]


def test_score_below_cap_is_the_sum():
    data = clean(lines_missing_tax=3, lines_missing_account=1)
    result = score_anomalies(data)
    assert [a.code for a in result.anomalies] == ["missing_account", "missing_tax"]
    assert result.score == 60


def test_weights_are_tunable(monkeypatch):
    monkeypatch.setitem(anomaly_module.WEIGHTS, "missing_tax", 5)
    monkeypatch.setitem(anomaly_module.WEIGHTS, "change", 10)
    monkeypatch.setattr(anomaly_module, "CHANGE_MAX_WEIGHT", 50)
    assert score_anomalies(clean(lines_missing_tax=1)).score == 5
    # 2 x threshold is half way between 10 and 50.
    assert score_anomalies(clean(total=2000)).score == 30


# --- validation -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("active_deployments", -1, "active_deployments must not be negative"),
        ("usage_events", -1, "usage_events must not be negative"),
        ("lines_missing_tax", -2, "lines_missing_tax must not be negative"),
        ("lines_missing_account", -1, "lines_missing_account must not be negative"),
        ("usage_events", 1.5, "usage_events must be an integer"),
        ("active_deployments", True, "active_deployments must be an integer"),
        ("change_threshold_pct", 0, "change threshold must be a positive percentage"),
        ("change_threshold_pct", D("-10"), "change threshold must be a positive percentage"),
        ("billing_model", "flat", "unknown billing model 'flat'"),
        ("total", None, "total: cannot convert None"),
        ("total", "abc", "total: not a number"),
        ("previous_total", "NaN", "previous_total: not a finite number"),
        ("line_amounts", (D(1), "x"), r"line_amounts\[1\]: not a number"),
        ("line_amounts", "100", "line_amounts must be a sequence"),
    ],
)
def test_invalid_input(field, value, message):
    with pytest.raises(ValueError, match=message) as info:
        clean(**{field: value})
    assert isinstance(info.value, PricingError)


def test_input_is_coerced_to_decimal():
    data = clean(
        total=1000.5,
        previous_total="1000",
        line_amounts=[600, "400.5"],
        change_threshold_pct=25,
    )
    assert data.total == D("1000.5") and isinstance(data.total, D)
    assert data.previous_total == D(1000) and isinstance(data.previous_total, D)
    assert data.line_amounts == (D(600), D("400.5"))
    assert all(isinstance(amount, D) for amount in data.line_amounts)
    assert data.change_threshold_pct == D(25) and isinstance(data.change_threshold_pct, D)


def test_score_anomalies_rejects_other_types():
    with pytest.raises(PricingError, match="must be an AnomalyInput"):
        score_anomalies({"total": 0})


# --- properties -----------------------------------------------------------------------------

COUNTS = st.integers(min_value=0, max_value=50)


@st.composite
def inputs(draw):
    return AnomalyInput(
        total=draw(MONEY),
        previous_total=draw(st.none() | MONEY),
        line_amounts=tuple(draw(st.lists(MONEY, max_size=6))),
        active_deployments=draw(COUNTS),
        usage_events=draw(COUNTS),
        billing_model=draw(st.sampled_from(["per_agent", "usage", "contract"])),
        lines_missing_tax=draw(COUNTS),
        lines_missing_account=draw(COUNTS),
        change_threshold_pct=draw(st.decimals(min_value="0.1", max_value=500, places=1)),
    )


@given(inputs())
def test_score_invariants(data):
    result = score_anomalies(data)
    weights = [a.weight for a in result.anomalies]
    assert 0 <= result.score <= 100
    assert result.score == min(100, sum(weights))
    assert (result.score == 0) == (result.anomalies == ())
    assert all(weight > 0 for weight in weights)
    assert len({a.code for a in result.anomalies}) == len(result.anomalies)
    keys = [(-a.weight, a.code) for a in result.anomalies]
    assert keys == sorted(keys)
    for anomaly in result.anomalies:
        if anomaly.code == "change":
            assert 20 <= anomaly.weight <= 40
        else:
            assert anomaly.weight == DEFAULT_WEIGHTS[anomaly.code]
        assert anomaly.message.endswith(".")
        assert "\n" not in anomaly.message


def _add_condition(data, which, draw):
    """Return ``data`` with the condition for ``which`` added and nothing else changed that
    could remove another anomaly; None when that is not possible for this ``data``."""
    if which == "negative_line":
        amount = draw(st.decimals(min_value="-10000", max_value="-0.01", places=2))
        return replace(data, line_amounts=(*data.line_amounts, amount))
    if which == "zero_line":
        return replace(data, line_amounts=(*data.line_amounts, D(0))) if data.total else None
    if which == "missing_tax":
        return replace(data, lines_missing_tax=data.lines_missing_tax + draw(COUNTS) + 1)
    if which == "missing_account":
        return replace(data, lines_missing_account=data.lines_missing_account + 1)
    if which == "no_usage":
        return replace(
            data,
            usage_events=0,
            active_deployments=max(1, data.active_deployments),
            billing_model=draw(st.sampled_from(["usage", "contract"])),
        )
    if which == "zero_invoice":
        # Without a previous total and zero lines, a zero total only adds zero_invoice.
        if data.previous_total is not None or D(0) in data.line_amounts:
            return None
        return replace(data, total=D(0))
    if which == "first_charge":
        if data.previous_total is not None or data.total == 0:
            return None
        return replace(data, previous_total=D(0))
    # change: raise the total beyond the threshold, and at least as far from previous as it was.
    previous = data.previous_total
    if previous is None or previous <= 0 or data.total < previous:
        return None
    beyond = previous + previous * (data.change_threshold_pct + D("0.1")) / 100
    extra = draw(st.decimals(min_value=0, max_value=10**6, places=2))
    return replace(data, total=max(data.total, beyond) + extra)


@given(inputs(), st.sampled_from(sorted(DEFAULT_WEIGHTS)), st.data())
def test_adding_a_condition_never_lowers_the_score(data, which, draw):
    changed = _add_condition(data, which, draw.draw)
    assume(changed is not None)
    before = score_anomalies(data)
    after = score_anomalies(changed)
    assert after.score >= before.score
    assert {a.code for a in before.anomalies} <= {a.code for a in after.anomalies}
    assert which in {a.code for a in after.anomalies}
    if before.score < 100 and which not in {a.code for a in before.anomalies}:
        assert after.score > before.score


INDEPENDENT = {
    "negative_line": {"line_amounts": (D(1100), D(-100))},
    "zero_line": {"line_amounts": (D(1000), D(0))},
    "no_usage": {"usage_events": 0},
    "change": {"total": D(1700), "line_amounts": (D(1700),)},
    "missing_tax": {"lines_missing_tax": 2},
    "missing_account": {"lines_missing_account": 1},
}


@given(st.sets(st.sampled_from(sorted(INDEPENDENT))))
def test_score_is_the_capped_sum_of_the_conditions(chosen):
    changes = {}
    for code in sorted(chosen):
        changes.update(INDEPENDENT[code])
    if {"negative_line", "zero_line"} <= chosen:
        changes["line_amounts"] = (D(1100), D(-100), D(0))
    if "change" in chosen:  # keep the lines summing to the new total
        changes["line_amounts"] = (D(700), *changes.get("line_amounts", (D(1000),)))
    result = score_anomalies(clean(**changes))
    assert {a.code for a in result.anomalies} == chosen
    # +70 % against a 50 % threshold: 20 + (1.4 - 1) * 10 = 24.
    weights = {**DEFAULT_WEIGHTS, "change": 24}
    assert result.score == min(100, sum(weights[code] for code in chosen))
    assert (result.score == 0) == (not chosen)


@given(
    previous=st.decimals(min_value="0.01", max_value=100000, places=2),
    factor=st.decimals(min_value=0, max_value=20, places=3),
    threshold=st.decimals(min_value=1, max_value=300, places=1),
)
def test_change_weight_follows_the_linear_scale(previous, factor, threshold):
    total = previous * factor

    def change_weights(new_total):
        data = clean(
            total=new_total,
            previous_total=previous,
            line_amounts=(new_total,),
            change_threshold_pct=threshold,
        )
        result = score_anomalies(data)
        return result, [a.weight for a in result.anomalies if a.code == "change"]

    result, weights = change_weights(total)
    assert bool(weights) == (abs(result.change_pct) > threshold)
    if weights:
        ratio = abs(result.change_pct) / threshold
        expected = min(D(40), 20 + (ratio - 1) * 10).quantize(D(1), rounding=ROUND_HALF_UP)
        assert weights == [expected]
        if result.change_pct > 0:
            assert change_weights(total + previous * 2)[1][0] >= weights[0]


# --- messages -------------------------------------------------------------------------------


@given(
    previous=st.decimals(min_value="1000", max_value=10**9, places=2),
    total=st.decimals(min_value="0.01", max_value=10**9, places=2),
    count=st.integers(min_value=1, max_value=10**6),
)
def test_messages_contain_the_numbers(previous, total, count):
    data = clean(
        total=total,
        previous_total=previous,
        line_amounts=(total, D("-1234.5"), D(0)),
        active_deployments=count,
        usage_events=0,
        lines_missing_tax=count,
        lines_missing_account=count,
        change_threshold_pct=D("0.1"),
    )
    result = score_anomalies(data)
    messages = {a.code: a.message for a in result.anomalies}
    assert f"{total:,.2f}" in messages["zero_line"]
    assert "-1,234.50" in messages["negative_line"]
    assert f"{count} " in messages["no_usage"]
    assert messages["missing_tax"].startswith(f"{count} line")
    assert messages["missing_account"].startswith(f"{count} line")
    if "change" in messages:
        message = messages["change"]
        assert f"Total {total:,.2f} is {abs(result.change_pct):,.1f} % " in message
        assert f"last period's {previous:,.2f} (threshold 0.1 %)." in message
        assert ("above" in message) == (total > previous)
    else:
        assert abs(result.change_pct) <= D("0.1")
