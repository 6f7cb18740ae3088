from datetime import date, datetime

from odoo.exceptions import ValidationError
from odoo.tests import tagged

from .common import EnterpriseCommon


@tagged("post_install", "-at_install")
class TestCostCenters(EnterpriseCommon):
    """Client departments: charges allocated by the usage's (or deployment's) department or by
    percentage rules, on the invoice and in reports; our income account and analytic
    distribution per department on the posted entries."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env.user.groups_id |= cls.env.ref("analytic.group_analytic_accounting")
        plan = cls.env["account.analytic.plan"].create({"name": "Departments"})
        Analytic = cls.env["account.analytic.account"]
        cls.an_care = Analytic.create({"name": "Customer care", "plan_id": plan.id})
        cls.an_sales = Analytic.create({"name": "Sales", "plan_id": plan.id})
        cls.an_default = Analytic.create({"name": "Agents (default)", "plan_id": plan.id})
        cls.income_care = cls.revenue.copy({"code": "700100", "name": "Care income"})
        cls.client = cls._entity("Initech")
        Department = cls.env["agent.billing.department"]
        cls.care = Department.create(
            {
                "partner_id": cls.client.id,
                "name": "Customer Care",
                "code": "CARE",
                "client_gl_code": "6150",
                "client_cost_center": "CC-10",
                "income_account_id": cls.income_care.id,
                "analytic_distribution": {str(cls.an_care.id): 100},
            }
        )
        cls.sales = Department.create(
            {
                "partner_id": cls.client.id,
                "name": "Sales",
                "code": "SLS",
                "client_gl_code": "6200",
                "analytic_distribution": {str(cls.an_sales.id): 100},
            }
        )
        # our side, per agent type: the sales agent's analytic default (Odoo's distribution
        # model), used for the shares of charges no department's distribution covers
        cls.env["account.analytic.distribution.model"].create(
            {
                "product_id": cls.agent_sales.id,
                "analytic_distribution": {str(cls.an_default.id): 100},
            }
        )
        cls.contract = cls._contract(cls.client, "usage")

    def _line(self, move, product):
        return move.invoice_line_ids.filtered(lambda x: x.product_id == product)

    def test_usage_departments_split_line_exactly(self):
        # 700 tasks for care, 300 for sales, at 0.05 = 50.00 on one line (35.00 / 15.00)
        usages = self._usage(
            self.client, self.metric_task, 700, datetime(2025, 3, 3), "c1"
        ) | self._usage(self.client, self.metric_task, 300, datetime(2025, 3, 4), "c2")
        usages[0].department_id = self.care
        usages[1].department_id = self.sales
        run = self._billed_run()
        move = run.move_ids
        line = self._line(move, self.product_a)
        self.assertAlmostEqual(line.price_subtotal, 50.0)
        self.assertEqual(
            line.analytic_distribution, {str(self.an_care.id): 70.0, str(self.an_sales.id): 30.0}
        )
        self.assertEqual(
            line.account_id,
            self.product_a.property_account_income_id or self.revenue,
            "two departments: the product's own account stays",
        )
        alloc = {a.department_id: a.amount for a in move.agent_allocation_ids}
        self.assertEqual(alloc, {self.care: 35.0, self.sales: 15.0})
        self.assertEqual(line.agent_department_summary, "CARE 70%, SLS 30%")
        rows = move._agent_allocation_summary()
        self.assertEqual(
            [(r["department"], r["gl_code"], r["amount"]) for r in rows],
            [("[CARE] Customer Care", "6150", 35.0), ("[SLS] Sales", "6200", 15.0)],
        )
        html = (
            self.env["ir.actions.report"]
            ._render_qweb_html("account.report_invoice", move.ids)[0]
            .decode()
        )
        self.assertIn("Cost allocation by department", html)
        self.assertIn("CC-10", html)
        move.action_post()
        analytic = self.env["account.analytic.line"].search([("move_line_id", "=", line.id)])
        self.assertEqual(sorted(analytic.mapped("amount")), [15.0, 35.0])

    def test_single_department_takes_its_income_account(self):
        deployment = self._deploy(self.client, self.agent_support, 2, date(2025, 1, 1))
        deployment.department_id = self.care
        self.contract.billing_model = "per_agent"
        run = self._billed_run()
        move = run.move_ids
        line = self._line(move, self.agent_support)
        self.assertEqual(line.account_id, self.income_care)
        self.assertEqual(line.analytic_distribution, {str(self.an_care.id): 100.0})
        move.action_post()
        income = move.line_ids.filtered(lambda x: x.account_id == self.income_care)
        self.assertAlmostEqual(income.credit, 200.0)
        self.assertEqual(move.agent_allocation_ids.source, "deployment")

    def test_percentage_rules_for_unassigned_charges(self):
        Rule = self.env["agent.billing.allocation.rule"]
        Rule.create({"partner_id": self.client.id, "department_id": self.care.id, "percent": 60})
        Rule.create({"partner_id": self.client.id, "department_id": self.sales.id, "percent": 30})
        # 1 sales agent without department: 300.00 -> 180 care, 90 sales, 30 unallocated
        self._deploy(self.client, self.agent_sales, 1, date(2025, 1, 1))
        self.contract.billing_model = "per_agent"
        move = self._billed_run().move_ids
        by_department = {(a.department_id, a.source): a.amount for a in move.agent_allocation_ids}
        self.assertEqual(
            by_department,
            {
                (self.care, "rule"): 180.0,
                (self.sales, "rule"): 90.0,
                (self.env["agent.billing.department"], "none"): 30.0,
            },
        )
        line = self._line(move, self.agent_sales)
        # the unallocated 10 % keeps the agent type's own analytic distribution
        self.assertEqual(
            line.analytic_distribution,
            {
                str(self.an_care.id): 60.0,
                str(self.an_sales.id): 30.0,
                str(self.an_default.id): 10.0,
            },
        )
        with self.assertRaisesRegex(ValidationError, "at most 100"):
            Rule.create(
                {"partner_id": self.client.id, "department_id": self.care.id, "percent": 20}
            )

    def test_credit_note_is_allocated_like_its_invoice(self):
        usage = self._usage(self.client, self.metric_task, 1000, datetime(2025, 3, 3), "d1")
        usage.department_id = self.sales
        move = self._billed_run().move_ids
        move.action_post()
        reversal = (
            self.env["account.move.reversal"]
            .with_context(active_model="account.move", active_ids=move.ids)
            .create(
                {
                    "reason": "test",
                    "journal_id": move.journal_id.id,
                    **(
                        {"agent_credit_type": "error"}
                        if "agent_credit_type" in self.env["account.move.reversal"]._fields
                        else {}
                    ),
                }
            )
        )
        reversal.refund_moves()
        note = reversal.new_move_ids
        note.action_post()
        self.assertEqual(note.agent_allocation_ids.department_id, self.sales)
        self.assertEqual(note.agent_allocation_ids.amount, -50.0)

    def test_department_must_belong_to_the_client(self):
        other = self._entity("Umbrella")
        with self.assertRaisesRegex(ValidationError, "belongs to Initech"):
            self._usage(
                other, self.metric_task, 1, datetime(2025, 3, 3), "x1"
            ).department_id = self.care
