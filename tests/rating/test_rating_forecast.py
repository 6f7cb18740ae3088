"""Revenue forecast core: months, spreading, recurring revenue, trend, forecast and back-test."""

from datetime import date, timedelta
from decimal import Decimal as D

import pytest
from agent_billing_rating import round_money
from agent_billing_rating.forecast import (
    ClientHistory,
    Recurring,
    add_months,
    backtest,
    coverage,
    forecast,
    forecast_and_backtest,
    mape,
    month_end,
    month_range,
    month_start,
    months_between,
    recurring_between,
    recurring_for_month,
    spread_by_month,
    trend,
)
from hypothesis import given
from hypothesis import strategies as st

JAN = date(2025, 1, 1)

money = st.decimals(min_value=0, max_value=100000, places=2, allow_nan=False, allow_infinity=False)
signed_money = st.decimals(
    min_value=-100000, max_value=100000, places=2, allow_nan=False, allow_infinity=False
)
days = st.dates(min_value=date(2023, 1, 1), max_value=date(2027, 12, 31))


# --- Months -------------------------------------------------------------------------------------
def test_add_months_crosses_years():
    assert add_months(date(2024, 11, 1), 3) == date(2025, 2, 1)
    assert add_months(date(2025, 2, 1), -3) == date(2024, 11, 1)
    assert months_between(date(2024, 11, 1), date(2025, 2, 1)) == 3
    assert month_range(date(2024, 12, 15), 3) == [date(2024, 12, 1), JAN, date(2025, 2, 1)]


def test_coverage_of_partial_and_open_ranges():
    assert coverage(None, None, JAN) == 1
    assert coverage(date(2025, 1, 17), None, JAN) == D(15) / D(31)
    assert coverage(None, date(2025, 1, 10), JAN) == D(10) / D(31)
    assert coverage(date(2025, 2, 1), None, JAN) == 0
    assert coverage(None, date(2024, 12, 31), JAN) == 0


# --- Spreading invoices over service months -------------------------------------------------
def test_spread_quarter_in_thirds_and_exact():
    parts = spread_by_month(D("100.00"), JAN, date(2025, 3, 31))
    assert [m for m, _a in parts] == month_range(JAN, 3)
    assert [a for _m, a in parts] == [D("33.33"), D("33.33"), D("33.34")]


def test_spread_weights_partial_months_by_their_covered_part():
    # 16 Jan - 28 Feb: half of January (16/31) and all of February
    parts = dict(spread_by_month(D("300"), date(2025, 1, 16), date(2025, 2, 28)))
    assert parts[JAN] + parts[date(2025, 2, 1)] == D("300.00")
    assert parts[JAN] == D("102.13")  # 300 x (16/31) / (16/31 + 1) = 300 x 16/47


@given(signed_money, days, st.integers(min_value=0, max_value=500))
def test_spread_keeps_the_total(amount, start, length):
    end = start + timedelta(days=length)
    parts = spread_by_month(amount, start, end)
    assert sum(a for _m, a in parts) == amount
    assert parts[0][0] == start.replace(day=1)
    assert parts[-1][0] == end.replace(day=1)


def test_spread_refuses_a_reversed_period():
    with pytest.raises(ValueError):
        spread_by_month(D(1), date(2025, 2, 1), JAN)


# --- Recurring revenue ----------------------------------------------------------------------------
def test_recurring_prorates_start_end_and_contract_end():
    items = [
        Recurring(D("310"), date(2025, 1, 17)),  # 15 of 31 days in January
        Recurring(D("100"), date(2024, 6, 1), date(2025, 1, 10)),
    ]
    assert recurring_for_month(items, JAN) == D("150") + D("100") * 10 / 31
    assert recurring_for_month(items, date(2025, 2, 1)) == D("310")
    # the contract ends on 14 February: 14 of 28 days
    assert recurring_for_month(items, date(2025, 2, 1), end=date(2025, 2, 14)) == D("155")
    # started by 1 January: the deployment starting on the 17th is not known yet
    assert recurring_for_month(items, JAN, started_by=JAN) == D("100") * 10 / 31
    assert recurring_for_month(items, JAN, started_by=date(2025, 1, 17)) == recurring_for_month(
        items, JAN
    )


@given(
    st.lists(
        st.builds(
            lambda amount, start, length: Recurring(
                amount, start, None if length is None else start + timedelta(days=length)
            ),
            money,
            days,
            st.none() | st.integers(0, 400),
        ),
        max_size=4,
    ),
    days,
    st.integers(0, 14),
)
def test_recurring_between_sums_the_months(items, first, count):
    months = month_range(first, count + 1)
    expected = sum((recurring_for_month(items, m) for m in months), D(0))
    assert abs(recurring_between(items, months[0], months[-1]) - expected) < D("1e-18")


def test_recurring_refuses_an_item_ending_before_it_starts():
    with pytest.raises(ValueError):
        Recurring(D(1), date(2025, 2, 1), JAN)


# --- Trend ----------------------------------------------------------------------------------------
def test_trend_extends_a_line_and_flat_stays_flat():
    assert trend([D(10), D(20), D(30)], horizon=1) == D(40)
    assert trend([D(10), D(20), D(30)], horizon=3) == D(60)
    assert trend([D(7)] * 5, horizon=4) == D(7)
    assert trend([], horizon=2) == 0
    assert trend([D(5)], horizon=6) == D(5)
    # only the last `window` values count
    assert trend([D(1000), D(1), D(1)], horizon=1, window=2) == D(1)


@given(st.lists(money, min_size=1, max_size=12), money, st.integers(1, 12))
def test_trend_of_a_shifted_series_is_shifted(values, shift, horizon):
    base = trend(values, horizon)
    shifted = trend([v + shift for v in values], horizon)
    assert abs(shifted - (base + shift)) < D("1e-20")


# --- MAPE -----------------------------------------------------------------------------------------
def test_mape_skips_zero_actuals():
    assert mape([(D(90), D(100)), (D(110), D(100)), (D(5), D(0))]) == D(10)
    assert mape([(D(5), D(0))]) is None


# --- Forecast -------------------------------------------------------------------------------------
def test_forecast_recurring_minimum_and_contract_end():
    client = ClientHistory(
        "c1",
        recurring=[Recurring(D("1000"), date(2024, 1, 1))],
        minimum=D("1500"),
        start=date(2024, 1, 1),
        end=date(2025, 2, 14),
    )
    result = forecast([client], month_range(JAN, 3), as_of=JAN)
    # no history of variable revenue: recurring only, lifted to the minimum commitment;
    # February: half the month is left of the contract (14/28), the minimum is halved too;
    # March: the contract is over
    assert result.by_client["c1"] == (D("1500.00"), D("750.00"), D("0.00"))
    assert result.totals == (D("1500.00"), D("750.00"), D("0.00"))
    renewed = ClientHistory(
        "c1",
        recurring=client.recurring,
        minimum=D("1500"),
        start=client.start,
        end=client.end,
        renews=True,
    )
    assert forecast([renewed], month_range(JAN, 3)).totals == (D("1500.00"),) * 3


def test_forecast_adds_the_usage_trend_on_top_of_recurring():
    history = {add_months(JAN, -k): D("1000") + D(100) * (6 - k) for k in range(1, 7)}
    # actual = 1000 recurring + usage 100, 200, ... 600
    client = ClientHistory(
        "c",
        recurring=[Recurring(D("1000"), date(2024, 1, 1))],
        actuals=history,
        start=date(2024, 1, 1),
    )
    result = forecast([client], month_range(JAN, 2))
    assert result.totals == (D("1600.00"), D("1700.00"))


def test_forecast_usage_trend_never_goes_below_zero():
    history = {add_months(JAN, -k): D(100) * k for k in range(1, 7)}  # falling to 100
    client = ClientHistory("c", actuals=history)
    result = forecast([client], month_range(JAN, 12))
    assert result.totals[0] == D("0.00")
    assert all(total == 0 for total in result.totals)


def test_forecast_refuses_a_known_month():
    with pytest.raises(ValueError):
        forecast([], [add_months(JAN, -1)], as_of=JAN)


clients_strategy = st.lists(
    st.builds(
        lambda key, items, actuals, minimum, renews: ClientHistory(
            key,
            recurring=items,
            actuals={add_months(JAN, -k - 1): v for k, v in enumerate(actuals)},
            minimum=minimum,
            start=date(2024, 1, 1),
            end=date(2025, 6, 30),
            renews=renews,
        ),
        st.integers(),
        st.lists(
            st.builds(
                lambda amount, start, length: Recurring(
                    amount, start, None if length is None else start + timedelta(days=length)
                ),
                money,
                days,
                st.none() | st.integers(0, 400),
            ),
            max_size=4,
        ),
        st.lists(signed_money, max_size=8),
        money,
        st.booleans(),
    ),
    max_size=5,
    unique_by=lambda c: c.key,
)


@given(clients_strategy, st.integers(1, 12))
def test_forecast_is_never_negative_and_totals_add_up(clients, count):
    result = forecast(clients, month_range(JAN, count))
    assert all(total >= 0 for total in result.totals)
    for index, total in enumerate(result.totals):
        assert total == sum(amounts[index] for amounts in result.by_client.values())
        assert all(amounts[index] >= 0 for amounts in result.by_client.values())


@given(clients_strategy)
def test_forecast_is_at_least_the_minimum_while_the_contract_runs(clients):
    result = forecast(clients, [JAN])
    for client in clients:
        assert result.by_client[client.key][0] >= client.minimum.quantize(D("0.01")) - D("0.01")


# --- Back-test ------------------------------------------------------------------------------------
@given(st.lists(st.tuples(money, money), min_size=1, max_size=5), money)
def test_backtest_of_a_flat_history_is_exact(levels, agent_amount):
    """Constant actuals (recurring + constant usage): every month is forecast exactly."""
    clients = []
    for index, (usage, minimum) in enumerate(levels):
        recurring = [Recurring(agent_amount, date(2023, 1, 1))]
        actual = max(agent_amount + usage, minimum)
        history = {add_months(JAN, -k): actual for k in range(1, 19)}
        clients.append(
            ClientHistory(
                index, recurring=recurring, actuals=history, minimum=minimum, start=date(2023, 1, 1)
            )
        )
    months = [add_months(JAN, -k) for k in range(6, 0, -1)]
    result = backtest(clients, months)
    if any(row.actual for row in result.months):
        assert result.mape == 0
    assert [row.month for row in result.months] == months


def test_backtest_scores_misses_and_skips_zero_months():
    # a client billed 100 a month, then 200 in the last month: the forecast said 100
    history = {add_months(JAN, -k): D(100) for k in range(2, 12)}
    history[add_months(JAN, -1)] = D(200)
    clients = [ClientHistory("a", actuals=history), ClientHistory("b", actuals={})]  # never billed
    result = backtest(clients, [add_months(JAN, -2), add_months(JAN, -1)])
    assert [row.forecast for row in result.months] == [D("100.00"), D("100.00")]
    assert [row.error_pct for row in result.months] == [D(0), D(50)]
    assert result.mape == D(25)
    # a month without actual revenue cannot be scored: skipped, and said so
    empty = backtest([ClientHistory("b")], [add_months(JAN, -1)])
    assert empty.mape is None
    assert empty.skipped == (add_months(JAN, -1),)


def test_backtest_ignores_deployments_that_started_in_the_month():
    """A deployment starting after the back-tested month began was not known: a miss. One
    starting on its first day was running when the month began: known."""
    history = {add_months(JAN, -k): D(0) for k in range(1, 7)}
    history[JAN] = D(500)
    late = ClientHistory("a", recurring=[Recurring(D(500), date(2025, 1, 2))], actuals=history)
    result = backtest([late], [JAN])
    assert result.months[0].forecast == 0
    assert result.months[0].error_pct == 100
    on_time = ClientHistory("a", recurring=[Recurring(D(500), JAN)], actuals=history)
    assert backtest([on_time], [JAN]).months[0].forecast == D(500)
    # a forecast made today knows it: 30 of January's 31 days
    assert forecast([late], [JAN]).totals == (D("483.87"),)


# --- The fast computation equals the definition ---------------------------------------------------
def naive_forecast(client, month, as_of, known_only, window=6):
    """The module's definition, written plainly with recurring_for_month and trend."""
    end = client.effective_end
    if (client.start and client.start > month_end(month)) or (end and end < month):
        return D("0.00")
    recurring = recurring_for_month(
        client.recurring, month, started_by=month if known_only else None, end=end
    )
    history = []
    for k in range(window, 0, -1):
        past = add_months(as_of, -k)
        if client.start and past < month_start(client.start):
            continue
        history.append(
            client.actuals.get(past, D(0)) - recurring_for_month(client.recurring, past, end=end)
        )
    variable = trend(history, horizon=months_between(as_of, month) + 1, window=window)
    minimum = client.minimum * coverage(client.start, end, month)
    return round_money(max(recurring + variable, minimum, D(0)))


@given(clients_strategy, st.integers(1, 12))
def test_forecast_and_backtest_follow_the_definition(clients, count):
    ahead = month_range(JAN, count)
    tested = [add_months(JAN, -k) for k in range(6, 0, -1)]
    result, test = forecast_and_backtest(clients, ahead, tested)
    for client in clients:
        for index, month in enumerate(ahead):
            expected = naive_forecast(client, month, JAN, known_only=False)
            assert abs(result.by_client[client.key][index] - expected) <= D("0.01")
    for row in test.months:
        expected = sum(
            (naive_forecast(c, row.month, row.month, known_only=True) for c in clients), D(0)
        )
        assert abs(row.forecast - expected) <= D("0.01") * max(len(clients), 1)
    assert backtest(clients, tested) == test
    assert forecast(clients, ahead) == result
