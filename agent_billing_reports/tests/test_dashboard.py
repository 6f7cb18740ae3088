import json
from datetime import date, timedelta

from odoo.exceptions import AccessError
from odoo.tests import tagged

from odoo.addons.mail.tests.common import mail_new_test_user

from .common import SETTLED, TODAY, ReportsCommon, month_bounds


@tagged("post_install", "-at_install")
class TestBillingDashboard(ReportsCommon):
    """Every dashboard figure equals an independent ORM computation over the same records, and
    its action opens exactly those records."""

    def test_kpis_equal_orm_figures(self):
        data = self._dashboard()
        json.dumps(data)  # what the client receives
        june, may = month_bounds(2025, 6), month_bounds(2025, 5)

        revenue = self._kpi(data, "revenue_month")
        this_month = self._posted(*june)
        self.assertEqual(this_month, self.inv_a[5] | self.inv_b[5])
        self.assertAlmostEqual(revenue["value"], self._sum(this_month, "amount_untaxed_signed"))
        self.assertAlmostEqual(
            revenue["previous"], self._sum(self._posted(*may), "amount_untaxed_signed")
        )
        self.assertAlmostEqual(
            revenue["change_pct"],
            round((revenue["value"] - revenue["previous"]) / revenue["previous"] * 100, 1),
        )
        self.assertEqual(self._action_records(revenue["action"]), this_month)

        open_moves = self._open()
        outstanding = self._kpi(data, "outstanding")
        self.assertEqual(
            open_moves,
            self.inv_a[3] | self.inv_a[4] | self.inv_a[5] | self.inv_b[3] | self.inv_b[5],
        )
        self.assertAlmostEqual(
            outstanding["value"], self._sum(open_moves, "amount_residual_signed")
        )
        self.assertAlmostEqual(
            outstanding["value"],
            self.client_a.with_context(agent_billing_today=TODAY).agent_outstanding
            + self.client_b.agent_outstanding,
        )
        self.assertEqual(self._action_records(outstanding["action"]), open_moves)

        overdue = self._kpi(data, "overdue")
        late = open_moves.filtered(lambda m: m.invoice_date_due < TODAY)
        self.assertEqual(late, self.inv_a[3] | self.inv_a[4] | self.inv_b[3])
        self.assertAlmostEqual(overdue["value"], self._sum(late, "amount_residual_signed"))
        self.assertEqual(self._action_records(overdue["action"]), late)

        collected = self._kpi(data, "collected_month")
        payments = self.env["account.payment"].search(
            [
                ("partner_type", "=", "customer"),
                ("state", "in", ("in_process", "paid")),
                ("date", ">=", june[0]),
                ("date", "<=", june[1]),
            ]
        )
        self.assertEqual(len(payments), 2)
        self.assertAlmostEqual(
            collected["value"], self._sum(payments, "amount_company_currency_signed")
        )
        self.assertEqual(self._action_records(collected["action"]), payments)

        sales_90 = self._sum(self._posted(TODAY - timedelta(days=89), TODAY), "amount_total_signed")
        self.assertAlmostEqual(
            self._kpi(data, "dso")["value"], round(outstanding["value"] / sales_90 * 90, 1)
        )

        running = self.env["agent.billing.deployment"].search(
            [
                ("state", "in", ("active", "ended")),
                ("date_start", "<=", TODAY),
                "|",
                ("date_end", "=", False),
                ("date_end", ">=", TODAY),
            ]
        )
        agents = self._kpi(data, "active_agents")
        self.assertEqual(agents["value"], sum(running.mapped("agent_count")))
        self.assertEqual(agents["value"], 8)
        self.assertEqual(self._action_records(agents["action"]), running)

        review = self._kpi(data, "to_review")
        drafts = self._moves(
            [
                ("move_type", "=", "out_invoice"),
                ("state", "=", "draft"),
                ("agent_run_id", "!=", False),
            ]
        )
        self.assertEqual(drafts, self.draft_b)
        self.assertEqual(review["value"], len(drafts))
        self.assertEqual(self._action_records(review["action"]), drafts)

    def test_mrr_from_running_deployments_and_minimums(self):
        """MRR: agents running today at their rate (tier rate, else catalog), each contract at
        least its minimum commitment."""
        expected = 0.0
        for contract in self.contract_a | self.contract_b:
            deployments = self.env["agent.billing.deployment"].search(
                [
                    ("contract_id", "=", contract.id),
                    ("date_start", "<=", TODAY),
                    "|",
                    ("date_end", "=", False),
                    ("date_end", ">=", TODAY),
                ]
            )
            value = 0.0
            for dep in deployments:
                tier_rate = contract.tier_id.agent_rate_ids.filtered(
                    lambda r, d=dep: r.product_id == d.product_id
                )
                value += dep.agent_count * (
                    tier_rate.monthly_rate if tier_rate else dep.product_id.agent_monthly_rate
                )
            if contract.billing_model == "contract":
                value = max(value, contract.tier_id.minimum_commitment)
            expected += value
        self.assertEqual(expected, 2 * 100 + 300 + 5 * 300)
        self.assertAlmostEqual(self._kpi(self._dashboard(), "mrr")["value"], expected)
        # below its minimum, a contract counts for its minimum
        self.dep_b.agent_count = 2
        self.assertAlmostEqual(
            self._kpi(self._dashboard(), "mrr")["value"],
            2 * 100 + 300 + self.tier.minimum_commitment,
        )
        # the client's price override valid today beats the catalog
        self.env["agent.billing.price.override"].create(
            {
                "partner_id": self.client_a.id,
                "product_id": self.agent_support.id,
                "monthly_rate": 80.0,
                "date_from": date(2025, 6, 1),
            }
        )
        self.assertAlmostEqual(
            self._kpi(self._dashboard(), "mrr")["value"],
            2 * 80 + 300 + self.tier.minimum_commitment,
        )

    def test_trend_equals_read_group_per_period(self):
        for period, unit in (("monthly", "month"), ("quarterly", "quarter"), ("yearly", "year")):
            data = self._dashboard(period)
            trend = data["trend"]
            groups = self.env["account.move"]._read_group(
                [("move_type", "in", ("out_invoice", "out_refund")), ("state", "=", "posted")],
                [f"invoice_date:{unit}"],
                ["amount_untaxed_signed:sum"],
            )
            by_start = {start: total for start, total in groups}
            buckets = self.env["agent.billing.dashboard"]._period_buckets(period, TODAY)
            self.assertEqual(trend["labels"], [label for _s, _e, label in buckets])
            self.assertEqual(buckets[-1][0] <= TODAY <= buckets[-1][1], True)
            for index, (start, _end, _label) in enumerate(buckets):
                self.assertAlmostEqual(
                    trend["total"][index], by_start.get(start, 0.0), msg=f"{period} {start}"
                )
                parts = [trend["series"][s][index] for s in ("paid", "pending", "overdue")]
                self.assertAlmostEqual(sum(parts), trend["total"][index])
                for status in ("paid", "pending", "overdue"):
                    records = self._action_records(trend["actions"][status][index])
                    self.assertAlmostEqual(
                        self._sum(records, "amount_untaxed_signed"),
                        trend["series"][status][index],
                        msg=f"{period} {start} {status}",
                    )
        # June 2025: the two May invoices, not due yet
        monthly = self._dashboard("monthly")["trend"]
        self.assertAlmostEqual(monthly["series"]["pending"][-1], 200 + 1500)
        self.assertAlmostEqual(
            monthly["series"]["overdue"][-2], self.inv_a[4].amount_untaxed_signed
        )

    def test_aging_buckets_equal_orm_and_add_up(self):
        data = self._dashboard()
        aging = data["aging"]
        open_moves = self._open()
        buckets = {
            "current": (None, 0),
            "1_30": (1, 30),
            "31_60": (31, 60),
            "61_90": (61, 90),
            "90_plus": (91, None),
        }
        for index, key in enumerate(aging["keys"]):
            first, last = buckets[key]

            def in_bucket(move, first=first, last=last):
                late = (TODAY - move.invoice_date_due).days
                if first is None:
                    return late <= 0
                return late >= first and (last is None or late <= last)

            moves = open_moves.filtered(in_bucket)
            self.assertAlmostEqual(
                aging["values"][index], self._sum(moves, "amount_residual_signed"), msg=key
            )
            self.assertEqual(aging["counts"][index], len(moves))
            self.assertEqual(self._action_records(aging["actions"][index]), moves, key)
        self.assertAlmostEqual(sum(aging["values"]), self._kpi(data, "outstanding")["value"])
        self.assertEqual(aging["counts"], [2, 1, 2, 0, 0])

    def test_billing_models_top_clients_and_payments(self):
        data = self._dashboard()
        window = (date(2024, 7, 1), date(2025, 6, 30))
        moves = self._posted(*window)
        by_model = {}
        by_client = {}
        for move in moves:
            key = move.agent_contract_id.billing_model or "none"
            by_model[key] = by_model.get(key, 0.0) + move.amount_untaxed_signed
            by_client[move.commercial_partner_id.id] = (
                by_client.get(move.commercial_partner_id.id, 0.0) + move.amount_untaxed_signed
            )
        models = data["billing_models"]
        self.assertEqual(set(models["keys"]), set(by_model))
        for key, value, action in zip(
            models["keys"], models["values"], models["actions"], strict=True
        ):
            self.assertAlmostEqual(value, by_model[key])
            self.assertEqual(
                self._action_records(action),
                moves.filtered(lambda m, k=key: m.agent_contract_id.billing_model == k),
            )
        top = data["top_clients"]
        self.assertEqual(top["ids"], [self.client_b.id, self.client_a.id])
        self.assertEqual(top["values"], [round(by_client[p], 2) for p in top["ids"]])

        payments = data["payments"]
        self.assertEqual(len(payments["collected"]), 12)
        for index, (start, end, _label) in enumerate(
            self.env["agent.billing.dashboard"]._period_buckets("monthly", TODAY)
        ):
            records = self.env["account.payment"].search(
                [
                    ("partner_type", "=", "customer"),
                    ("state", "in", ("in_process", "paid")),
                    ("date", ">=", start),
                    ("date", "<=", end),
                ]
            )
            self.assertAlmostEqual(
                payments["collected"][index], self._sum(records, "amount_company_currency_signed")
            )
            self.assertEqual(self._action_records(payments["actions"][index]), records)
            self.assertAlmostEqual(
                payments["invoiced"][index],
                self._sum(self._posted(start, end), "amount_total_signed"),
            )

    def test_other_company_is_left_out(self):
        other = self.setup_other_company(name="Other Billing Co")["company"]
        self.env.user.company_ids |= other
        partner = self.env["res.partner"].create({"name": "Other Client", "is_company": True})
        foreign = (
            self.env["account.move"]
            .with_company(other)
            .create(
                {
                    "move_type": "out_invoice",
                    "partner_id": partner.id,
                    "invoice_date": date(2025, 6, 2),
                    "company_id": other.id,
                    "invoice_line_ids": [
                        (
                            0,
                            0,
                            {
                                "name": "service",
                                "quantity": 1,
                                "price_unit": 999.0,
                                "tax_ids": [(5, 0, 0)],
                            },
                        )
                    ],
                }
            )
        )
        foreign.action_post()
        only_main = self._dashboard(
            env=self.env(context=dict(self.env.context, allowed_company_ids=[self.env.company.id]))
        )
        both = self._dashboard(
            env=self.env(
                context=dict(self.env.context, allowed_company_ids=[self.env.company.id, other.id])
            )
        )
        main_revenue = self._sum(
            self._posted(*month_bounds(2025, 6)).filtered(
                lambda m: m.company_id == self.env.company
            ),
            "amount_untaxed_signed",
        )
        self.assertAlmostEqual(self._kpi(only_main, "revenue_month")["value"], main_revenue)
        self.assertNotIn(partner.id, only_main["top_clients"]["ids"])
        self.assertAlmostEqual(
            self._kpi(only_main, "outstanding")["value"],
            self._sum(
                self._open().filtered(lambda m: m.company_id == self.env.company),
                "amount_residual_signed",
            ),
        )
        if other.currency_id == self.env.company.currency_id:
            self.assertAlmostEqual(self._kpi(both, "revenue_month")["value"], main_revenue + 999.0)
        self.assertIn(partner.id, both["top_clients"]["ids"])
        # the analysis views follow the same rule
        Report = self.env["agent.billing.revenue.report"].with_context(
            allowed_company_ids=[self.env.company.id]
        )
        self.assertFalse(Report.search([("move_id", "=", foreign.id)]))

    def test_needs_the_right_to_read_invoices_and_contracts(self):
        clerk = mail_new_test_user(self.env, login="ab_reports_clerk", groups="base.group_user")
        with self.assertRaises(AccessError):
            self.env["agent.billing.dashboard"].with_user(clerk).get_dashboard_data()
        accountant = mail_new_test_user(
            self.env, login="ab_reports_invoicing", groups="account.group_account_invoice"
        )
        with self.assertRaisesRegex(AccessError, "billing reports"):
            self.env["agent.billing.dashboard"].with_user(accountant).get_dashboard_data()

    def test_settled_states_are_not_outstanding(self):
        """A fully paid invoice leaves the outstanding amount; reversing one too."""
        before = self._kpi(self._dashboard(), "outstanding")["value"]
        self._pay(self.inv_a[4], None, TODAY)
        self.assertIn(self.inv_a[4].payment_state, SETTLED)
        after = self._kpi(self._dashboard(), "outstanding")["value"]
        self.assertAlmostEqual(before - after, 230.0)
