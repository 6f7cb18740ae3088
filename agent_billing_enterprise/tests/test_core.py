"""The plain-Python core (no database): exact splits, budget decisions, approval outcomes,
service levels. Property-based where the rule is an invariant."""

from datetime import date, datetime, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from odoo.tests import BaseCase, tagged

from ..core import (
    BudgetLedger,
    assign_unallocated,
    evaluate,
    merge_distributions,
    next_period,
    open_steps,
    outcome,
    percentages,
    period_bounds,
    reached_thresholds,
    rule_weights,
    sla_deadlines,
    sla_status,
    split_amount,
)

CENT = Decimal("0.01")
amounts = st.integers(min_value=-(10**9), max_value=10**9).map(lambda c: Decimal(c) * CENT)
weights = st.dictionaries(st.integers(0, 20), st.integers(0, 10**6), min_size=1).filter(
    lambda w: sum(w.values()) > 0
)


@tagged("post_install", "-at_install")
class TestCore(BaseCase):
    @settings(max_examples=300, deadline=None)
    @given(amounts, weights)
    def test_split_sums_exactly_and_stays_proportional(self, total, parts):
        result = split_amount(total, parts, CENT)
        self.assertEqual(sum(result.values()), total)
        weight_sum = sum(parts.values())
        for key, value in result.items():
            self.assertTrue((value / CENT) == (value / CENT).to_integral_value())
            exact = total * parts[key] / weight_sum
            self.assertLess(abs(value - exact), CENT, "within one cent of the exact share")

    def test_split_examples(self):
        self.assertEqual(
            split_amount(Decimal("100.00"), {"a": 1, "b": 1, "c": 1}),
            {"a": Decimal("33.34"), "b": Decimal("33.33"), "c": Decimal("33.33")},
        )
        self.assertEqual(
            split_amount(Decimal("-10.00"), {"a": 3, "b": 1}),
            {"a": Decimal("-7.50"), "b": Decimal("-2.50")},
        )
        with self.assertRaises(ValueError):
            split_amount(Decimal("1.005"), {"a": 1})
        with self.assertRaises(ValueError):
            split_amount(Decimal("1"), {"a": 0})

    @settings(max_examples=200, deadline=None)
    @given(weights)
    def test_percentages_sum_to_100(self, parts):
        self.assertEqual(sum(percentages(parts).values()), Decimal(100))

    def test_rules_leave_the_rest_unallocated(self):
        self.assertEqual(rule_weights({1: 60, 2: 30}), {1: 60, 2: 30, None: 10})
        self.assertEqual(rule_weights({}), {None: Decimal(100)})
        with self.assertRaises(ValueError):
            rule_weights({1: 70, 2: 40})
        self.assertEqual(
            assign_unallocated({(5, "usage"): 3, (None, "usage"): 1}, {7: 50}),
            {(5, "usage"): 3, (7, "rule"): Decimal("0.5"), (None, "none"): Decimal("0.5")},
        )

    def test_merge_distributions(self):
        self.assertEqual(
            merge_distributions([(60, {"1": 100}), (40, {"2": 50, "3": 50})]),
            {"1": 60.0, "2": 20.0, "3": 20.0},
        )
        self.assertEqual(
            sum(merge_distributions([(1, {"1": 100}), (1, {"2": 100}), (1, {"3": 100})]).values()),
            100.0,
        )
        self.assertEqual(merge_distributions([(1, {})]), {})

    def test_budget_periods(self):
        self.assertEqual(
            period_bounds(date(2025, 2, 14), "monthly"), (date(2025, 2, 1), date(2025, 2, 28))
        )
        self.assertEqual(
            period_bounds(date(2025, 8, 14), "quarterly"), (date(2025, 7, 1), date(2025, 9, 30))
        )
        self.assertEqual(
            period_bounds(date(2024, 8, 14), "annual"), (date(2024, 1, 1), date(2024, 12, 31))
        )
        self.assertEqual(
            next_period(date(2025, 12, 1), "monthly"), (date(2026, 1, 1), date(2026, 1, 31))
        )
        with self.assertRaises(ValueError):
            period_bounds(date(2025, 1, 1), "custom")

    def test_overspend_policy(self):
        self.assertEqual(evaluate(1000, 800, 100, 100, "block").status, "ok")
        decision = evaluate(1000, 800, 100, 150, "block")
        self.assertEqual(
            (decision.status, decision.overspend, decision.available_after), ("block", 50, -50)
        )
        self.assertEqual(evaluate(1000, 800, 100, 150, "approval").status, "approval")
        self.assertEqual(evaluate(1000, 800, 100, 150, "allow").status, "ok")
        self.assertEqual(
            evaluate(1000, 1200, 0, 10, "approval").overspend, 10, "already over: the whole charge"
        )
        self.assertEqual(evaluate(1000, 1200, 0, -10, "block").status, "ok", "a credit")

    @settings(max_examples=200, deadline=None)
    @given(
        st.integers(0, 10**6), st.integers(0, 10**6), st.integers(0, 10**6), st.integers(0, 10**6)
    )
    def test_overspend_never_exceeds_the_charge(self, limit, spent, committed, amount):
        decision = evaluate(limit, spent, committed, amount, "block")
        self.assertTrue(0 <= decision.overspend <= amount)
        self.assertEqual(decision.status == "ok", decision.overspend == 0)

    def test_thresholds(self):
        self.assertEqual(reached_thresholds(1000, 900, (75, 90, 100)), [75, 90])
        self.assertEqual(reached_thresholds(1000, 749.99, (75, 90, 100)), [])
        self.assertEqual(reached_thresholds(0, 1, (75, 90)), [75, 90])

    def test_ledger_sees_its_own_charges(self):
        ledger = BudgetLedger()
        ledger.add(1, 100, 0, 0, "block")
        ledger.add(2, 100, 90, 0, "approval")
        status, decisions = ledger.check_many({1: 60, 2: 5})
        self.assertEqual(status, "ok")
        ledger.charge({1: 60, 2: 5})
        status, decisions = ledger.check_many({1: 50, 2: 10})
        self.assertEqual(status, "block")
        self.assertEqual(decisions[2].status, "approval")
        self.assertEqual(ledger.available(1), 40)

    def test_approval_outcome(self):
        self.assertEqual(outcome(2, ["approved", "pending", "waiting"]), "pending")
        self.assertEqual(outcome(2, ["approved", "approved", "waiting"]), "approved")
        self.assertEqual(outcome(2, ["refused", "pending", "waiting"]), "pending")
        self.assertEqual(outcome(2, ["refused", "refused", "waiting"]), "refused")
        self.assertEqual(open_steps("sequential", ["approved", "waiting", "waiting"]), [1])
        self.assertEqual(open_steps("parallel", ["approved", "waiting", "refused"]), [1])
        with self.assertRaises(ValueError):
            outcome(0, [])

    def test_service_level(self):
        opened = datetime(2025, 3, 3, 9, 0)
        response, resolution = sla_deadlines(opened, 24, 10)
        self.assertEqual(
            (response, resolution), (opened + timedelta(hours=24), opened + timedelta(days=10))
        )
        self.assertEqual(sla_deadlines(opened, 0, 0), (None, None))
        at = opened + timedelta(hours=30)
        self.assertEqual(sla_status(at, response, resolution, None, None), "response_overdue")
        self.assertEqual(sla_status(at, response, resolution, at, None), "on_time")
        self.assertEqual(
            sla_status(opened + timedelta(days=11), response, resolution, at, None),
            "resolution_overdue",
        )
        self.assertEqual(sla_status(at, response, resolution, at, at), "met")
        self.assertEqual(
            sla_status(at, response, resolution, at, opened + timedelta(days=12)), "breached"
        )
