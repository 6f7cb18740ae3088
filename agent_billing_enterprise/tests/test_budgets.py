from datetime import date, datetime

from odoo import Command
from odoo.exceptions import UserError, ValidationError
from odoo.tests import tagged

from .common import EnterpriseCommon


@tagged("post_install", "-at_install")
class TestBudgets(EnterpriseCommon):
    """Budgets: spent (posted), committed (drafts), available; alerts at each threshold; an
    overspend policy billing runs honour."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.owner = cls._user("budget_owner")
        cls.approver = cls._user(
            "budget_approver",
            groups="base.group_user,account.group_account_invoice,"
            "agent_billing.group_agent_billing_manager",
        )
        cls.client = cls._entity("Hooli")
        cls.budget = cls.env["agent.billing.budget"].create(
            {
                "partner_id": cls.client.id,
                "period_type": "monthly",
                "date_from": date(2025, 3, 1),
                "amount": 1000.0,
                "user_id": cls.owner.id,
            }
        )

    def _alert_messages(self, budget):
        return budget.message_ids.filtered(lambda m: "reached" in (m.body or ""))

    def test_consumption_and_an_alert_at_each_threshold(self):
        budget = self.budget
        self.assertEqual(budget.date_to, date(2025, 3, 31))
        self.assertEqual(budget.name, "Hooli / March 2025")
        self.assertEqual(budget.threshold_ids.mapped("percent"), [75.0, 90.0, 100.0])
        self._invoice(self.client, 760.0, post=True)  # 76 %
        self._invoice(self.client, 500.0, invoice_date=date(2025, 4, 2), post=True)  # April
        self.assertRecordValues(budget, [{"spent": 760.0, "committed": 0.0, "available": 240.0}])
        reached = budget.threshold_ids.filtered("reached_on")
        self.assertEqual(reached.mapped("percent"), [75.0])
        self.assertEqual(len(self._alert_messages(budget)), 1)
        activity = budget.activity_ids
        self.assertEqual(activity.user_id, self.owner)
        self.assertIn("75", activity.summary)

        draft = self._invoice(self.client, 150.0)  # committed: 91 %
        budget.invalidate_recordset()
        self.assertRecordValues(budget, [{"spent": 760.0, "committed": 150.0, "available": 90.0}])
        self.env["agent.billing.budget"]._cron_check_alerts(today=date(2025, 3, 20))
        self.assertEqual(
            budget.threshold_ids.filtered("reached_on").mapped("percent"), [75.0, 90.0]
        )
        draft.action_post()  # spent now; nothing new reached
        self._invoice(self.client, 100.0, post=True)  # 101 %
        budget.invalidate_recordset()
        self.assertRecordValues(budget, [{"spent": 1010.0, "committed": 0.0, "available": -10.0}])
        self.assertEqual(
            budget.threshold_ids.filtered("reached_on").mapped("percent"), [75.0, 90.0, 100.0]
        )
        self.assertEqual(len(self._alert_messages(budget)), 3)
        self.assertEqual(len(budget.activity_ids), 3)
        self.assertAlmostEqual(budget.consumed_percent, 101.0)
        # checking again never alerts twice
        self.env["agent.billing.budget"]._cron_check_alerts(today=date(2025, 3, 25))
        self.assertEqual(len(self._alert_messages(budget)), 3)

    def test_credit_note_rearms_a_threshold(self):
        invoice = self._invoice(self.client, 1000.0, post=True)
        self.assertTrue(self.budget.threshold_ids.filtered(lambda t: t.percent == 100).reached_on)
        reversal = (
            self.env["account.move.reversal"]
            .with_context(active_model="account.move", active_ids=invoice.ids)
            .create(
                {
                    "reason": "price error",
                    "journal_id": invoice.journal_id.id,
                    **(
                        {
                            "agent_credit_type": "error",
                            "agent_credit_mode": "partial",
                            "agent_credit_amount": 200.0,
                        }
                        if "agent_credit_mode" in self.env["account.move.reversal"]._fields
                        else {}
                    ),
                }
            )
        )
        reversal.refund_moves()
        note = reversal.new_move_ids
        if "agent_credit_mode" not in self.env["account.move.reversal"]._fields:
            note.invoice_line_ids.price_unit = 200.0
        note.action_post()
        self.budget.invalidate_recordset()
        self.assertEqual(self.budget.spent, 800.0, "credit notes reduce what was spent")
        self.assertEqual(
            self.budget.threshold_ids.filtered("reached_on").mapped("percent"),
            [75.0],
            "90 and 100 may alert again",
        )

    def test_check_budget_decisions(self):
        self._invoice(self.client, 900.0, post=True)
        Budget = self.env["agent.billing.budget"]
        self.budget.overspend_policy = "block"
        decision = self.budget._check_budget(150.0)[self.budget]
        self.assertEqual((decision.status, float(decision.overspend)), ("block", 50.0))
        self.assertEqual(self.budget._check_budget(100.0)[self.budget].status, "ok")
        self.budget.overspend_policy = "approval"
        self.assertEqual(self.budget._check_budget(100.01)[self.budget].status, "approval")
        # a ledger checks many charges with one query, and sees its own charges
        ledger = self.budget._ledger()
        ledger.charge({self.budget.id: 60})
        self.assertEqual(
            self.budget._check_budget(50.0, ledger=ledger)[self.budget].status, "approval"
        )
        self.assertFalse(
            Budget._budgets_for(self.client, self.env.company, date(2025, 4, 1), date(2025, 4, 30))
        )

    def test_run_blocks_an_invoice_over_a_blocking_budget(self):
        self.budget.write({"amount": 100.0, "overspend_policy": "block"})
        self._contract(self.client, "per_agent")
        self._deploy(self.client, self.agent_support, 3, date(2025, 3, 16))  # 154.84
        run = self._billed_run()
        self.assertFalse(run.move_ids)
        row = run.line_ids
        self.assertEqual(row.state, "error")
        self.assertIn("Hooli / March 2025", row.message)
        self.assertIn("54.84", row.message)

    def test_run_holds_an_invoice_until_the_increase_is_approved(self):
        self.budget.write({"amount": 100.0, "overspend_policy": "approval"})
        self._contract(self.client, "per_agent")
        self._deploy(self.client, self.agent_support, 3, date(2025, 3, 16))  # 154.84
        run = self._billed_run()
        move = run.move_ids
        self.assertEqual(move.agent_approval_state, "pending")
        request = self.env["agent.billing.approval.request"].search([("move_ids", "in", move.ids)])
        self.assertRecordValues(
            request,
            [
                {
                    "request_type": "budget_increase",
                    "res_model": "agent.billing.budget",
                    "res_id": self.budget.id,
                    "amount": 54.84,
                    "state": "pending",
                }
            ],
        )
        self.assertEqual(request.step_ids.group_id, self.manager_group)
        with self.assertRaisesRegex(UserError, "waiting for approval"):
            move.action_post()
        run.action_post()  # posts what it may; the held invoice stays a draft
        self.assertEqual((move.state, run.state), ("draft", "invoiced"))
        self.assertEqual(self.budget.committed, 154.84)
        request.with_user(self.approver)._decide("approved", "Client confirmed the extension")
        self.assertEqual(request.state, "approved")
        self.assertEqual(self.budget.amount, 154.84)
        self.assertEqual(move.agent_approval_state, "approved")
        run.action_post()
        self.assertEqual((move.state, run.state), ("posted", "posted"))

    def test_department_budget(self):
        sales = self.env["agent.billing.department"].create(
            {"partner_id": self.client.id, "name": "Sales", "code": "S"}
        )
        budget = self.env["agent.billing.budget"].create(
            {
                "partner_id": self.client.id,
                "department_id": sales.id,
                "period_type": "custom",
                "date_from": date(2025, 3, 1),
                "date_to": date(2025, 3, 31),
                "amount": 30.0,
                "overspend_policy": "block",
            }
        )
        self._contract(self.client, "usage")
        usages = self._usage(
            self.client, self.metric_task, 400, datetime(2025, 3, 3), "s1"
        ) | self._usage(self.client, self.metric_task, 600, datetime(2025, 3, 4), "s2")
        usages[0].department_id = sales
        run = self._billed_run()
        self.assertEqual(run.line_ids.state, "invoiced", "20.00 for sales fits in 30.00")
        self.assertEqual(budget.committed, 20.0)
        self.assertEqual(self.budget.committed, 50.0, "the entity budget sees all of it")

    def test_budget_values_are_checked(self):
        with self.assertRaisesRegex(ValidationError, "custom period"):
            self.env["agent.billing.budget"].create(
                {
                    "partner_id": self.client.id,
                    "period_type": "monthly",
                    "date_from": date(2025, 3, 1),
                    "date_to": date(2025, 4, 30),
                    "amount": 1.0,
                }
            )
        with self.assertRaisesRegex(ValidationError, "at most 1000"):
            self.budget.threshold_ids = [Command.create({"percent": 1500})]

    def test_an_invoicing_user_posting_raises_the_alert(self):
        accountant = self._user("accountant_only")
        move = self._invoice(self.client, 800.0)
        move.with_user(accountant).action_post()
        self.assertEqual(self.budget.threshold_ids.filtered("reached_on").mapped("percent"), [75.0])
        self.assertEqual(self.budget.with_user(accountant).spent, 800.0)

    def test_increase_without_rule_applies_at_once(self):
        self.budget.requested_amount = 1500.0
        self.budget.action_request_increase()
        self.assertEqual(self.budget.amount, 1500.0)
        self.assertFalse(self.budget.agent_approval_request_ids)
