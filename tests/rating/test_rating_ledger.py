"""The billing engine's promise, as a stateful property of the plain-Python core.

A random contract history (deployments added, ended early, back-dated, agent counts and prices
changed, late usage, price slices, a minimum commitment; in advance or in arrears, monthly or
quarterly) meets random sequences of runs (repeated, skipped months), manual invoices over any
days, full credit notes, concurrent runs and interrupted runs. After every run, what the ledger
holds net of credits equals what an independent day-by-day oracle rates from the true history:
per deployment-day, per usage record, per key. At every step no unit is covered twice and no
posted item changes.
"""

import calendar
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

import pytest
from agent_billing_rating import PricingError, UsagePrice
from agent_billing_rating.ledger import (
    NEW,
    NOT_DUE,
    REMOVED,
    Billed,
    DaySet,
    Due,
    LedgerError,
    coverage,
    reconcile,
)
from agent_billing_rating.schedule import (
    AgentSpan,
    UsageRecord,
    agent_dues,
    minimum_dues,
    usage_dues,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

D = date
CENT = Decimal("0.01")
YEAR = 2025


def month_end(month):
    return date(YEAR, month, calendar.monthrange(YEAR, month)[1])


def cents(value):
    return (
        Decimal(value.numerator) / Decimal(value.denominator)
        if isinstance(value, Fraction)
        else value
    )


def oracle_round(fraction):
    """Half-up rounding to cents, written independently of the core's round_money."""
    value = (
        Decimal(fraction.numerator) / Decimal(fraction.denominator)
        if isinstance(fraction, Fraction)
        else Decimal(fraction)
    )
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


# --- DaySet ---------------------------------------------------------------------------------

day_sets = st.lists(st.tuples(st.integers(0, 80), st.integers(0, 15)), max_size=5).map(
    lambda spans: DaySet(
        [
            (D(2025, 1, 1) + timedelta(days=s), D(2025, 1, 1) + timedelta(days=s + n))
            for s, n in spans
        ]
    )
)


@settings(max_examples=300, deadline=None, database=None)
@given(day_sets, day_sets)
def test_dayset_behaves_like_a_set_of_dates(left, right):
    as_set = set(left), set(right)
    assert set(left | right) == as_set[0] | as_set[1]
    assert set(left & right) == as_set[0] & as_set[1]
    assert set(left - right) == as_set[0] - as_set[1]
    assert len(left) == len(as_set[0])
    assert bool(left) == bool(as_set[0])
    # canonical: equal sets have equal ranges
    assert left == DaySet([(d, d) for d in as_set[0]])


def test_dayset_refuses_a_backward_range():
    with pytest.raises(PricingError, match="before it starts"):
        DaySet([(D(2025, 2, 2), D(2025, 2, 1))])


# --- reconcile on hand-computed cases -------------------------------------------------------


def _agent_key_dues(start, end, until, agents=3, rate="450", cycle="monthly", **kw):
    return agent_dues([AgentSpan("dep", start, end, agents, Decimal(rate))], cycle, until, **kw)


def test_manual_invoice_then_run_bills_each_day_once():
    # Manual Invoice for 1-15 November, then the month's run: the run bills 16-30 only
    dues = _agent_key_dues(D(2025, 11, 1), None, D(2025, 11, 30))
    manual = reconcile(
        dues, [], window=lambda key, units: units & DaySet.span(D(2025, 11, 1), D(2025, 11, 15))
    )
    assert [(c.units, c.amount) for c in manual] == [
        (DaySet.span(D(2025, 11, 1), D(2025, 11, 15)), Decimal("675.00"))
    ]
    billed = [Billed(c.key, c.units, c.amount) for c in manual]
    run = reconcile(dues, billed)
    assert [(c.units, c.amount, c.reason) for c in run] == [
        (DaySet.span(D(2025, 11, 16), D(2025, 11, 30)), Decimal("675.00"), NEW)
    ]
    billed += [Billed(c.key, c.units, c.amount) for c in run]
    assert reconcile(dues, billed) == []  # a repeated run bills nothing


def test_advance_contract_closed_mid_period_is_credited_its_closing_days_once():
    # in advance: November billed on 31 October; the contract ends on 20 November
    before = _agent_key_dues(D(2025, 11, 1), None, D(2025, 11, 30), agents=1, rate="300")
    billed = [Billed(c.key, c.units, c.amount) for c in reconcile(before, [])]
    assert billed[0].amount == Decimal("300.00")
    after = _agent_key_dues(
        D(2025, 11, 1), None, D(2025, 12, 31), agents=1, rate="300", contract_end=D(2025, 11, 20)
    )
    items = reconcile(after, billed)
    assert [(c.units, c.amount, c.credit, c.reason) for c in items] == [
        (DaySet.span(D(2025, 11, 21), D(2025, 11, 30)), Decimal("-100.00"), True, REMOVED)
    ]
    billed += [Billed(c.key, c.units, c.amount, c.credit) for c in items]
    assert reconcile(after, billed) == []


def test_agent_count_changed_back_dated_credits_old_terms_whole():
    old = _agent_key_dues(D(2025, 11, 1), None, D(2025, 11, 30), agents=3)
    billed = [Billed(c.key, c.units, c.amount) for c in reconcile(old, [])]
    new = _agent_key_dues(D(2025, 11, 1), None, D(2025, 11, 30), agents=2)
    items = reconcile(new, billed)
    assert [(c.amount, c.credit, c.reason) for c in items] == [
        (Decimal("-1350.00"), True, NOT_DUE),
        (Decimal("900.00"), False, NEW),
    ]


def test_late_usage_is_priced_at_the_margin_with_included_units_once():
    price = UsagePrice(unit_price=Decimal("0.05"), included_units=Decimal(1000))
    records = [UsageRecord(i, "tasks", D(2025, 11, 2), Decimal(400)) for i in range(3)]
    dues = usage_dues(records, "monthly", D(2025, 11, 30), price_for=lambda m, p: price)
    first = reconcile(dues, [])
    assert [(c.amount, len(c.units)) for c in first] == [(Decimal("10.00"), 3)]  # 200 x 0.05
    billed = [Billed(c.key, c.units, c.amount) for c in first]
    late = records + [UsageRecord(9, "tasks", D(2025, 11, 29), Decimal(100))]
    dues = usage_dues(late, "monthly", D(2025, 12, 31), price_for=lambda m, p: price)
    second = reconcile(dues, billed)
    assert [(c.amount, c.units, c.reason) for c in second] == [
        (Decimal("5.00"), frozenset([9]), NEW)
    ]


def test_included_units_apply_once_across_price_slices():
    # an override from the 16th: the tier's 1,000 included units are granted once, not twice
    price = UsagePrice(unit_price=Decimal("0.05"), included_units=Decimal(1000))
    records = [
        UsageRecord(1, "tasks", D(2025, 11, 5), Decimal(800)),
        UsageRecord(2, "tasks", D(2025, 11, 20), Decimal(800), slice="ov"),
    ]
    dues = usage_dues(
        records,
        "monthly",
        D(2025, 11, 30),
        price_for=lambda m, p: price,
        slice_prices={"ov": Decimal("0.04")},
    )
    # 1,000 included go to the earliest 800 and 200 of the later; 600 at the override's 0.04
    assert dues[0].amount == Decimal("24.00")


def test_minimum_true_up_follows_late_usage():
    price = UsagePrice(unit_price=Decimal("1"))
    records = [UsageRecord(1, "tasks", D(2025, 11, 5), Decimal(300))]
    dues = usage_dues(records, "monthly", D(2025, 11, 30), price_for=lambda m, p: price)
    dues += minimum_dues(
        "c",
        1000,
        dues,
        "monthly",
        contract_start=D(2025, 11, 1),
        contract_end=None,
        until=D(2025, 11, 30),
    )
    billed = [Billed(c.key, c.units, c.amount) for c in reconcile(dues, [])]
    assert sorted(b.amount for b in billed) == [Decimal("300.00"), Decimal("700.00")]
    records.append(UsageRecord(2, "tasks", D(2025, 11, 6), Decimal(200)))
    dues = usage_dues(records, "monthly", D(2025, 12, 31), price_for=lambda m, p: price)
    dues += minimum_dues(
        "c",
        1000,
        dues,
        "monthly",
        contract_start=D(2025, 11, 1),
        contract_end=None,
        until=D(2025, 11, 30),
    )
    items = reconcile(dues, billed)
    assert sorted((c.amount, c.reason) for c in items) == [
        (Decimal("-200.00"), "repriced"),
        (Decimal("200.00"), NEW),
    ]


def test_coverage_refuses_a_unit_twice_and_a_credit_of_nothing():
    key = ("agents", "dep", D(2025, 11, 1), 1, Decimal(1), None)
    nov = DaySet.span(D(2025, 11, 1), D(2025, 11, 30))
    with pytest.raises(LedgerError, match="covered already"):
        coverage([Billed(key, nov, 1), Billed(key, nov, 1)])
    with pytest.raises(LedgerError, match="not covered"):
        coverage([Billed(key, nov, -1, credit=True)])


def test_reconcile_refuses_a_key_due_twice():
    due = Due("k", frozenset([1]), lambda units: Decimal(1))
    with pytest.raises(LedgerError, match="due twice"):
        reconcile([due, due], [])


# --- the stateful property --------------------------------------------------------------------

RATES = [Decimal("450"), Decimal("300"), Decimal("99.99"), Decimal("1234.57")]
USAGE_PRICE = UsagePrice(unit_price=Decimal("0.05"), included_units=Decimal(500))
SLICE_PRICE = Decimal("0.03")
MINIMUM = Decimal("700")

days_of_year = st.integers(0, 364).map(lambda n: D(YEAR, 1, 1) + timedelta(days=n))


class BillingLedger(RuleBasedStateMachine):
    """One contract's true history, and the invoices that bill it."""

    # --- the true history ---
    @initialize(
        cycle=st.sampled_from(["monthly", "quarterly"]),
        advance=st.booleans(),
        start=st.integers(0, 200).map(lambda n: D(YEAR, 1, 1) + timedelta(days=n)),
        with_minimum=st.booleans(),
    )
    def setup(self, cycle, advance, start, with_minimum):
        self.cycle, self.advance = cycle, advance
        self.contract_start, self.contract_end = start, None
        self.minimum = MINIMUM if with_minimum else Decimal(0)
        self.deployments = {}  # id -> [start, end, agents, rate index]
        self.price_changes = []  # (effective day, rate index) for every deployment
        self.usage = {}  # id -> (day, quantity)
        self.slice_from = None  # an override for usage from this day on
        self.invoices = []  # [tuple of Billed]: posted, never changed
        self.snapshots = []
        self.billed_until = [date.min, date.min]  # the latest agent and usage days billable
        self.next_id = 1

    @rule(
        start=days_of_year,
        length=st.one_of(st.none(), st.integers(0, 200)),
        agents=st.integers(1, 5),
        rate=st.integers(0, len(RATES) - 1),
    )
    def add_deployment(self, start, length, agents, rate):
        end = None if length is None else start + timedelta(days=length)
        self.deployments[self.next_id] = [start, end, agents, rate]
        self.next_id += 1

    @precondition(lambda self: self.deployments)
    @rule(data=st.data())
    def end_deployment_early(self, data):
        dep = data.draw(st.sampled_from(sorted(self.deployments)))
        start = self.deployments[dep][0]
        self.deployments[dep][1] = start + timedelta(days=data.draw(st.integers(0, 90)))

    @precondition(lambda self: self.deployments)
    @rule(data=st.data(), agents=st.integers(1, 5))
    def change_agents_back_dated(self, data, agents):
        self.deployments[data.draw(st.sampled_from(sorted(self.deployments)))][2] = agents

    @rule(day=days_of_year, rate=st.integers(0, len(RATES) - 1))
    def change_price(self, day, rate):
        self.price_changes.append((day, rate))

    @rule(day=days_of_year, quantity=st.integers(0, 400))
    def report_usage(self, day, quantity):
        # may be dated in a period already billed: late usage
        self.usage[self.next_id] = (day, Decimal(quantity))
        self.next_id += 1

    @precondition(lambda self: self.slice_from is None)
    @rule(day=days_of_year)
    def override_usage_price(self, day):
        self.slice_from = day

    @precondition(lambda self: self.contract_end is None)
    @rule(days=st.integers(0, 300))
    def close_contract(self, days):
        self.contract_end = self.contract_start + timedelta(days=days)

    # --- what the history owes, by the engine ---
    def _horizons(self, cutoff):
        """(agents until, usage until) for a run on ``cutoff``: the last billing period over
        by then (a quarterly contract is billed at its quarter's end only), and in advance the
        period after it for agents."""
        usage_until = _period_end(cutoff, self.cycle)
        if usage_until != cutoff:
            usage_until = _period_end(cutoff, self.cycle, shift=-1)
        if not self.advance:
            return usage_until, usage_until
        return _next_period_end(usage_until, self.cycle), usage_until

    def _keys_until(self, agents_until, usage_until):
        """Keys a run up to these horizons looks at: later periods are left alone."""
        return lambda key: key[2] <= (agents_until if key[0] == "agents" else usage_until)

    def _spans(self):
        spans = []
        for dep, (start, end, agents, rate) in sorted(self.deployments.items()):
            for piece_start, piece_end, piece_rate in _price_pieces(
                start, end, rate, self.price_changes
            ):
                spans.append(AgentSpan(dep, piece_start, piece_end, agents, RATES[piece_rate]))
        return spans

    def _dues(self, agents_until, usage_until):
        dues = agent_dues(
            self._spans(),
            self.cycle,
            agents_until,
            contract_start=self.contract_start,
            contract_end=self.contract_end,
        )
        records = [
            UsageRecord(
                ref,
                "tasks",
                day,
                quantity,
                "ov" if self.slice_from and day >= self.slice_from else None,
            )
            for ref, (day, quantity) in sorted(self.usage.items())
            if day >= self.contract_start and (not self.contract_end or day <= self.contract_end)
        ]
        dues += usage_dues(
            records,
            self.cycle,
            usage_until,
            price_for=lambda m, p: USAGE_PRICE,
            slice_prices={"ov": SLICE_PRICE},
        )
        dues += minimum_dues(
            "contract",
            self.minimum,
            dues,
            self.cycle,
            contract_start=self.contract_start,
            contract_end=self.contract_end,
            until=usage_until,
        )
        return dues

    def _billed(self):
        return [item for invoice in self.invoices for item in invoice]

    def _post(self, charges):
        if charges:
            invoice = tuple(
                Billed(c.key, c.units, c.amount, c.credit, ref=len(self.invoices)) for c in charges
            )
            coverage(self._billed() + list(invoice))  # what the database refuses
            self.invoices.append(invoice)
            self.snapshots.append(invoice)

    # --- actions on invoices ---
    @rule(month=st.integers(1, 12))
    def run(self, month):
        """A billing run for the period ending at the end of ``month`` (any order, repeats)."""
        agents_until, usage_until = self._horizons(month_end(month))
        self._extend(agents_until, usage_until)
        self._post(
            reconcile(
                self._dues(agents_until, usage_until),
                self._billed(),
                keys=self._keys_until(agents_until, usage_until),
            )
        )
        self._check_against_oracle(agents_until, usage_until)

    def _extend(self, agents_until, usage_until):
        self.billed_until = [
            max(self.billed_until[0], agents_until),
            max(self.billed_until[1], usage_until),
        ]

    @rule(start=days_of_year, length=st.integers(0, 45))
    def manual_invoice(self, start, length):
        """A Manual Invoice for [start, end]: bills what is due in those days, nothing else."""
        end = start + timedelta(days=length)
        window_days = DaySet.span(start, end)

        def window(key, units):
            if isinstance(units, DaySet):
                return units & window_days
            return frozenset(u for u in units if start <= self.usage[u][0] <= end)

        # the whole periods the days belong to are due; the window bills only the days
        horizon = _period_end(end, self.cycle)
        self._extend(end, end)
        dues = self._dues(horizon, horizon)
        self._post(
            reconcile(
                dues,
                self._billed(),
                window=window,
                keys=lambda key: key[0] != "minimum" and key[2] <= end,
            )
        )

    @precondition(lambda self: self.invoices)
    @rule(data=st.data())
    def credit_note(self, data):
        """A full credit note of an invoice (its coverage released), when the database would
        accept it: a unit billed again since cannot be given back twice."""
        index = data.draw(st.integers(0, len(self.invoices) - 1))
        reversal = [
            Billed(b.key, b.units, -b.amount, not b.credit, ref=("credit", index))
            for b in self.invoices[index]
        ]
        try:
            coverage(self._billed() + reversal)
        except LedgerError:
            return  # refused, nothing changes
        self.invoices.append(tuple(reversal))
        self.snapshots.append(tuple(reversal))

    @rule(month=st.integers(1, 12))
    def concurrent_runs(self, month):
        """Two runs read the same ledger; the second one to write must be refused (its keys
        changed since it read), then retried: nothing is billed twice."""
        agents_until, usage_until = self._horizons(month_end(month))
        self._extend(agents_until, usage_until)
        dues = self._dues(agents_until, usage_until)
        keys = self._keys_until(agents_until, usage_until)
        first = reconcile(dues, self._billed(), keys=keys)
        second = reconcile(dues, self._billed(), keys=keys)
        self._post(first)
        touched = {c.key for c in first}
        if any(c.key in touched for c in second):
            second = reconcile(dues, self._billed(), keys=keys)  # refused; the retry reads again
        self._post(second)
        assert reconcile(dues, self._billed(), keys=keys) == []
        self._check_against_oracle(agents_until, usage_until)

    @rule(month=st.integers(1, 12))
    def interrupted_run(self, month):
        """A run that dies before committing leaves nothing behind."""
        agents_until, usage_until = self._horizons(month_end(month))
        reconcile(
            self._dues(agents_until, usage_until),
            self._billed(),
            keys=self._keys_until(agents_until, usage_until),
        )

    # --- invariants ---
    @invariant()
    def posted_items_never_change(self):
        if hasattr(self, "invoices"):
            assert self.invoices == self.snapshots

    @invariant()
    def no_unit_is_covered_twice(self):
        if not hasattr(self, "invoices"):
            return
        held = coverage(self._billed())
        days = {}
        for key, covered in held.items():
            if key[0] == "agents":
                for day in covered.units:
                    assert (key[1], day) not in days, f"{key} and {days[key[1], day]}: {day}"
                    days[key[1], day] = key

    @invariant()
    def nothing_is_billed_early(self):
        if not hasattr(self, "invoices"):
            return
        for key, covered in coverage(self._billed()).items():
            if covered.units and key[0] == "agents":
                assert covered.units.last <= self.billed_until[0], (key, covered)
            elif covered.units and key[0] == "usage":
                assert max(self.usage[r][0] for r in covered.units) <= self.billed_until[1]

    def _check_against_oracle(self, agents_until, usage_until):
        limit = self._keys_until(agents_until, usage_until)
        held = {k: v for k, v in coverage(self._billed()).items() if limit(k)}
        # per deployment-day: covered exactly once, at the true agent count and price
        truth_days = self._oracle_days(agents_until)
        covered_days = {}
        for key, covered in held.items():
            if key[0] == "agents" and covered.units:
                for day in covered.units:
                    covered_days[key[1], day] = (key[3], key[4])
        assert covered_days == truth_days
        # per (deployment, period, agents, rate) and per (metric, period): exact amounts
        expected = self._oracle_amounts(truth_days, usage_until)
        actual = {key: c.amount for key, c in held.items() if c.amount or c.units}
        assert {k: v for k, v in actual.items() if k[0] != "minimum"} == {
            k: v for k, v in expected.items() if k[0] != "minimum"
        }
        # per usage record: billed once, if and only if it is due
        billed_usage = set()
        for key, covered in held.items():
            if key[0] == "usage":
                billed_usage |= covered.units
        assert billed_usage == self._oracle_usage(usage_until)
        # the minimum true-up: the period's gap, once
        minimum = {k: v for k, v in actual.items() if k[0] == "minimum"}
        assert minimum == self._oracle_minimum(expected, usage_until)

    # --- the oracle: day by day, independent of DaySet, proration and usage pricing code ---
    def _in_contract(self, day):
        return day >= self.contract_start and (
            self.contract_end is None or day <= self.contract_end
        )

    def _rate_on(self, base, day):
        rate = base
        for effective, new_rate in sorted(self.price_changes, key=lambda c: c[0]):
            if effective <= day:
                rate = new_rate
        return RATES[rate]

    def _oracle_days(self, until):
        truth = {}
        for dep, (start, end, agents, rate) in self.deployments.items():
            day = start
            while day <= until and (end is None or day <= end):
                if self._in_contract(day):
                    truth[dep, day] = (agents, self._rate_on(rate, day))
                day += timedelta(days=1)
        return truth

    def _period_start(self, day):
        months = 1 if self.cycle == "monthly" else 3
        return date(day.year, (day.month - 1) // months * months + 1, 1)

    def _oracle_amounts(self, truth_days, usage_until):
        weights = {}
        for (dep, day), (agents, rate) in truth_days.items():
            key = ("agents", dep, self._period_start(day), agents, rate, None)
            weights[key] = weights.get(key, Fraction(0)) + Fraction(
                1, calendar.monthrange(day.year, day.month)[1]
            )
        amounts = {key: oracle_round(Fraction(key[4]) * key[3] * w) for key, w in weights.items()}
        usage = {}
        for ref in sorted(
            self._oracle_usage(usage_until), key=lambda r: (self.usage[r][0], repr(r))
        ):
            day, quantity = self.usage[ref]
            usage.setdefault(("usage", "tasks", self._period_start(day)), []).append(
                (day, quantity)
            )
        for key, events in usage.items():
            included = USAGE_PRICE.included_units
            total = Decimal(0)
            for day, quantity in events:
                take = min(included, quantity)
                included -= take
                unit = (
                    SLICE_PRICE if self.slice_from and day >= self.slice_from else Decimal("0.05")
                )
                total += (quantity - take) * unit
            amounts[key] = oracle_round(total)
        return {k: v for k, v in amounts.items() if v or k[0] != "minimum"}

    def _oracle_usage(self, until):
        return {
            ref for ref, (day, _q) in self.usage.items() if day <= until and self._in_contract(day)
        }

    def _oracle_minimum(self, amounts, usage_until):
        if not self.minimum:
            return {}
        result = {}
        by_period = {}
        for key, amount in amounts.items():
            by_period[key[2]] = by_period.get(key[2], Decimal(0)) + amount
        day = self.contract_start
        last = min(d for d in (self.contract_end, usage_until) if d)
        while day <= last:
            start = self._period_start(day)
            end = _next_period_end(start - timedelta(days=1), self.cycle)
            if end <= usage_until or (self.contract_end and self.contract_end <= usage_until):
                months = Fraction(0)
                cursor = start
                while cursor <= end:
                    if self._in_contract(cursor):
                        months += Fraction(1, calendar.monthrange(cursor.year, cursor.month)[1])
                    cursor += timedelta(days=1)
                gap = oracle_round(Fraction(self.minimum) * months) - by_period.get(
                    start, Decimal(0)
                )
                if gap > 0:
                    result["minimum", "contract", start] = gap
            day = end + timedelta(days=1)
        return result


def _period_end(day, cycle, shift=0):
    """End of the billing period holding ``day``, or of the one ``shift`` periods later."""
    months = 1 if cycle == "monthly" else 3
    first_month = (day.month - 1) // months * months + 1
    index = day.year * 12 + first_month - 1 + months * (shift + 1) - 1
    year, month = divmod(index, 12)
    return date(year, month + 1, calendar.monthrange(year, month + 1)[1])


def _next_period_end(day, cycle):
    """End of the billing period after the one holding ``day``."""
    return _period_end(day, cycle, shift=1)


def _price_pieces(start, end, rate, changes):
    """Cut [start, end] at the price changes (date-effective: a change never re-prices a day
    before its effective date)."""
    bounds = sorted({day for day, _r in changes if day > start and (end is None or day <= end)})
    pieces = []
    cursor = start
    current = rate
    for effective, new_rate in sorted(changes, key=lambda c: c[0]):
        if effective <= start:
            current = new_rate
    for bound in bounds:
        pieces.append((cursor, bound - timedelta(days=1), current))
        for effective, new_rate in sorted(changes, key=lambda c: c[0]):
            if effective == bound:
                current = new_rate
        cursor = bound
    pieces.append((cursor, end, current))
    return pieces


TestBillingLedger = BillingLedger.TestCase
TestBillingLedger.settings = settings(
    max_examples=2000,
    stateful_step_count=20,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
