from datetime import date

from odoo import Command
from odoo.tests import tagged

from .common import TODAY, ReportsCommon


@tagged("post_install", "-at_install")
class TestAnalysisViews(ReportsCommon):
    """The SQL views' totals equal ORM sums over the invoices they come from."""

    def test_revenue_report_equals_invoice_totals(self):
        Report = self.env["agent.billing.revenue.report"]
        posted = self._moves(
            [("move_type", "in", ("out_invoice", "out_refund")), ("state", "=", "posted")]
        )
        total = Report._read_group([], [], ["amount:sum"])[0][0]
        self.assertAlmostEqual(total, self._sum(posted, "amount_untaxed_signed"))
        for partner, amount in Report._read_group([], ["partner_id"], ["amount:sum"]):
            self.assertAlmostEqual(
                amount,
                self._sum(
                    posted.filtered(lambda m, p=partner: m.commercial_partner_id == p),
                    "amount_untaxed_signed",
                ),
            )
        # by billing model, agent type and service month
        groups = dict(Report._read_group([], ["billing_model"], ["amount:sum"]))
        self.assertAlmostEqual(
            groups["contract"],
            self._sum(
                posted.filtered(lambda m: m.agent_contract_id == self.contract_b),
                "amount_untaxed_signed",
            ),
        )
        by_type = dict(
            Report._read_group([("kind", "=", "agents")], ["agent_type_id"], ["amount:sum"])
        )
        lines = posted.invoice_line_ids.filtered(lambda line: line.agent_kind == "agents")
        for product, amount in by_type.items():
            self.assertAlmostEqual(
                amount,
                round(
                    -sum(
                        lines.filtered(lambda line, p=product: line.product_id == p).mapped(
                            "balance"
                        )
                    ),
                    2,
                ),
            )
        may = Report._read_group([("service_date", "=", date(2025, 5, 1))], [], ["amount:sum"])
        self.assertAlmostEqual(
            may[0][0], self._service_month_revenue(date(2025, 5, 1), date(2025, 5, 31))
        )
        # the credit note is negative, its line kind "other"
        credit = Report.search([("move_id", "=", self.credit_b.id)])
        self.assertEqual(credit.mapped("kind"), ["other"])
        self.assertAlmostEqual(sum(credit.mapped("amount")), -100.0)
        # statuses on the report's day
        overdue = Report.search([("payment_status", "=", "overdue")]).move_id
        self.assertEqual(overdue, self.inv_a[3] | self.inv_a[4] | self.inv_b[3])

    def test_receivable_report_equals_outstanding(self):
        Report = self.env["agent.billing.receivable.report"]
        data = self._dashboard()
        open_moves = self._open()
        rows = Report.search([])
        self.assertEqual(rows.move_id, open_moves)
        self.assertAlmostEqual(
            sum(rows.mapped("amount_residual")), self._sum(open_moves, "amount_residual_signed")
        )
        self.assertAlmostEqual(
            sum(rows.mapped("amount_residual")), self._kpi(data, "outstanding")["value"]
        )
        buckets = dict(Report._read_group([], ["aging_bucket"], ["amount_residual:sum"]))
        for key, value in zip(data["aging"]["keys"], data["aging"]["values"], strict=True):
            self.assertAlmostEqual(buckets.get(key, 0.0), value, msg=key)
        row = Report.search([("move_id", "=", self.inv_b[3].id)])
        self.assertEqual(row.days_overdue, (TODAY - self.inv_b[3].invoice_date_due).days)
        self.assertEqual((row.aging_bucket, row.status), ("31_60", "overdue"))

    def test_profitability_from_recorded_costs(self):
        self.agent_support.agent_monthly_cost = 40.0
        self.agent_sales.agent_monthly_cost = 120.0
        self.metric_task.cost_per_unit = 0.01
        hours = self.env["agent.billing.metric"].create(
            {
                "name": "Support hours",
                "code": "t_hours",
                "unit_name": "hour",
                "hours_per_unit": 1.0,
                "company_id": self.env.company.id,
            }
        )
        self._usage(self.client_a, self.metric_task, 1000, "2025-05-06 10:00:00", "ab-r-1")
        self._usage(self.client_a, hours, 10, "2025-05-07 10:00:00", "ab-r-2")

        # the pivot's view: one row per client and month
        View = self.env["agent.billing.profitability"]
        may_a = View.search(
            [("partner_id", "=", self.client_a.id), ("date", "=", date(2025, 5, 1))]
        )
        self.assertEqual(len(may_a), 1)
        self.assertAlmostEqual(may_a.revenue, self.inv_a[5].amount_untaxed_signed)
        self.assertAlmostEqual(may_a.agent_cost, self.dep_a.agent_count * 40.0)
        self.assertAlmostEqual(may_a.usage_cost, 1000 * 0.01)
        self.assertAlmostEqual(may_a.hours, 10.0)
        self.assertAlmostEqual(may_a.margin, may_a.revenue - may_a.agent_cost - may_a.usage_cost)
        total = View._read_group([("date", "<", date(2025, 6, 1))], [], ["revenue:sum"])[0][0]
        self.assertAlmostEqual(
            total, self._service_month_revenue(date(2024, 1, 1), date(2025, 5, 31))
        )

        # the dashboard's and the client breakdown's ratios (12 months up to May 2025)
        rows = {r["partner_id"]: r for r in self._dashboard()["profitability"]["rows"]}
        a = rows[self.client_a.id]
        revenue = self._service_month_revenue(
            date(2024, 6, 1), date(2025, 5, 31), [("commercial_partner_id", "=", self.client_a.id)]
        )
        agent_cost = self.dep_a.agent_count * 40.0 * 5  # January to May
        self.assertAlmostEqual(a["revenue"], revenue)
        self.assertAlmostEqual(a["agent_cost"], agent_cost)
        self.assertAlmostEqual(a["usage_cost"], 10.0)
        self.assertAlmostEqual(a["margin"], revenue - agent_cost - 10.0)
        self.assertAlmostEqual(
            a["margin_pct"], round((revenue - agent_cost - 10.0) / revenue * 100, 1)
        )
        self.assertAlmostEqual(a["hours"], 10.0)
        self.assertAlmostEqual(a["hourly_rate"], round(revenue / 10.0, 2))
        b = rows[self.client_b.id]
        self.assertAlmostEqual(b["agent_cost"], self.dep_b.agent_count * 120.0 * 5)
        self.assertIsNone(b["hourly_rate"])
        breakdown = self.env["agent.billing.client.breakdown"].get_client_data(self.client_a.id)
        self.assertEqual(breakdown["profitability"], a)

    def test_profitability_without_costs_says_so(self):
        rows = self._dashboard()["profitability"]["rows"]
        self.assertTrue(rows)
        for row in rows:
            self.assertFalse(row["recorded"])
            self.assertIsNone(row["margin"])

    def test_quarterly_invoice_spread_over_its_months(self):
        """An invoice billing a quarter counts a third in each of its months."""
        contract = self._contract(
            self.env["res.partner"].create({"name": "Quarterly Client", "is_company": True}),
            "per_agent",
            billing_cycle="quarterly",
        )
        move = self.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": contract.partner_id.id,
                "invoice_date": date(2025, 4, 1),
                "agent_contract_id": contract.id,
                "agent_period_start": date(2025, 1, 1),
                "agent_period_end": date(2025, 3, 31),
                "invoice_line_ids": [
                    Command.create({"name": "quarter", "quantity": 1, "price_unit": 900.0})
                ],
            }
        )
        move.action_post()
        View = self.env["agent.billing.profitability"]
        months = View.search([("partner_id", "=", contract.partner_id.id)], order="date")
        self.assertEqual(
            months.mapped("date"), [date(2025, 1, 1), date(2025, 2, 1), date(2025, 3, 1)]
        )
        self.assertAlmostEqual(sum(months.mapped("revenue")), 900.0)
        forecast = self._dashboard()["forecast"]
        for label, value in (("Jan 2025", 300.0), ("Feb 2025", 300.0), ("Mar 2025", 300.0)):
            index = forecast["labels"].index(label)
            others = self._service_month_revenue(
                date(2025, index - 6, 1), date(2025, index - 6, 28), [("id", "!=", move.id)]
            )
            self.assertAlmostEqual(forecast["actual"][index], value + others, msg=label)
