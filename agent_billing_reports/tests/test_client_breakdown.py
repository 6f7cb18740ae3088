from odoo.tests import tagged

from .common import TODAY, ReportsCommon


@tagged("post_install", "-at_install")
class TestClientBreakdown(ReportsCommon):
    def test_client_figures_equal_orm(self):
        data = self.env["agent.billing.client.breakdown"].get_client_data(self.client_a.id)
        client = self.client_a.with_context(agent_billing_today=TODAY)
        self.assertAlmostEqual(data["receivables"]["outstanding"], client.agent_outstanding)
        self.assertAlmostEqual(
            data["receivables"]["overdue"],
            self._sum(
                self._open(
                    [
                        ("commercial_partner_id", "=", self.client_a.id),
                        ("invoice_date_due", "<", TODAY),
                    ]
                ),
                "amount_residual_signed",
            ),
        )
        self.assertEqual(
            self._action_records(data["receivables"]["overdue_action"]),
            self.inv_a[3] | self.inv_a[4],
        )
        # revenue by period and billing model
        self.assertEqual([s["key"] for s in data["revenue"]["series"]], ["per_agent"])
        self.assertAlmostEqual(
            data["revenue"]["total"],
            self._sum(
                self._posted(
                    self.env["agent.billing.dashboard"]._period_buckets("monthly", TODAY)[0][0],
                    TODAY,
                    [("commercial_partner_id", "=", self.client_a.id)],
                ),
                "amount_untaxed_signed",
            ),
        )
        # contracts and the deployments running or planned
        self.assertEqual([c["id"] for c in data["contracts"]], self.contract_a.ids)
        deployments = {d["id"]: d for d in data["deployments"]}
        self.assertEqual(set(deployments), {self.dep_a.id, self.dep_a2.id})
        self.assertAlmostEqual(deployments[self.dep_a.id]["monthly_value"], 2 * 100.0)
        # invoices, newest first, coloured by payment status
        colours = {row["id"]: row["colour"] for row in data["invoices"]}
        self.assertEqual(colours[self.inv_a[1].id], "paid")
        self.assertEqual(colours[self.inv_a[4].id], "overdue")
        self.assertEqual(colours[self.inv_a[5].id], "pending")
        self.assertEqual(data["invoices"][0]["id"], self.inv_a[5].id)

    def test_payment_history_days_to_pay(self):
        data = self.env["agent.billing.client.breakdown"].get_client_data(self.client_a.id)
        payments = data["payments"]
        rows = {row["id"]: row for row in payments["rows"]}
        self.assertEqual(set(rows), {self.inv_a[1].id, self.inv_a[2].id, self.inv_a[3].id})
        total, weighted = 0.0, 0.0
        for month in (1, 2, 3):
            move = self.inv_a[month]
            receivable = move.line_ids.filtered(lambda line: line.display_type == "payment_term")
            partials = receivable.matched_credit_ids
            paid_date = max(partials.mapped("max_date"))
            row = rows[move.id]
            self.assertEqual(row["days_to_pay"], (paid_date - move.invoice_date).days)
            self.assertAlmostEqual(row["paid"], sum(partials.mapped("amount")))
            self.assertEqual(row["fully_paid"], move.payment_state in ("paid", "in_payment"))
            for partial in partials:
                total += partial.amount
                weighted += partial.amount * (partial.max_date - move.invoice_date).days
        self.assertEqual(rows[self.inv_a[1].id]["days_to_pay"], 19)
        self.assertFalse(rows[self.inv_a[3].id]["fully_paid"])
        self.assertAlmostEqual(payments["average_days"], round(weighted / total, 1))

    def test_usage_trend(self):
        self._usage(self.client_a, self.metric_task, 120, "2025-05-06 10:00:00", "ab-u-1")
        self._usage(self.client_a, self.metric_task, 30, "2025-05-20 10:00:00", "ab-u-2")
        self._usage(self.client_a, self.metric_task, 70, "2025-06-02 10:00:00", "ab-u-3")
        usage = self.env["agent.billing.client.breakdown"].get_client_data(self.client_a.id)[
            "usage"
        ]
        self.assertEqual(usage["labels"][-1], "Jun 2025")
        self.assertEqual(len(usage["series"]), 1)
        self.assertEqual(usage["series"][0]["values"][-2:], [150.0, 70.0])

    def test_open_from_the_client(self):
        action = self.client_a.action_open_billing_breakdown()
        self.assertEqual(action["tag"], "agent_billing_reports.client_breakdown")
        self.assertEqual(action["params"], {"partner_id": self.client_a.id})
