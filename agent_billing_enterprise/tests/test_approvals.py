from datetime import date, datetime, timedelta

from odoo import Command
from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import MARCH, EnterpriseCommon


@tagged("post_install", "-at_install")
class TestApprovals(EnterpriseCommon):
    """Approval rules by type, amount and company; sequential or parallel approvers, users or
    groups, a required count, escalation; an invoice waiting for approval cannot be posted."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.a1 = cls._user("approver_one")
        cls.a2 = cls._user("approver_two")
        cls.a3 = cls._user("approver_three")
        cls.boss = cls._user("escalation_boss")
        cls.manager = cls._user(
            "billing_boss",
            groups="base.group_user,account.group_account_invoice,"
            "agent_billing.group_agent_billing_manager",
        )
        cls.client = cls._entity("Vandelay Industries")

    def _rule(self, request_type="invoice", users=(), **vals):
        return self.env["agent.billing.approval.rule"].create(
            {
                "name": f"{request_type} rule",
                "request_type": request_type,
                "user_ids": [Command.set([u.id for u in users])],
                **vals,
            }
        )

    def _request(self, record):
        return record.agent_approval_request_ids.filtered(lambda r: r.state == "pending")

    def test_invoice_waits_for_sequential_approval(self):
        self._rule(users=(self.a1, self.a2), amount_min=1000, required_count=2)
        small = self._invoice(self.client, 999.0)
        small.action_post()  # below the rule
        move = self._invoice(self.client, 1500.0)
        with self.assertRaisesRegex(UserError, "needs approval under the rule"):
            move.action_post()
        move.action_agent_request_approval()
        move.action_agent_request_approval()  # a second click asks nothing new
        request = move.agent_approval_request_ids
        self.assertEqual(len(request), 1)
        self.assertEqual(move.agent_approval_state, "pending")
        self.assertTrue(move.hide_post_button, "no Confirm button while waiting")
        self.assertEqual(request.step_ids.mapped("state"), ["pending", "waiting"])
        self.assertEqual(request.activity_ids.user_id, self.a1)
        with self.assertRaisesRegex(UserError, "not waiting for your decision"):
            request.with_user(self.a2)._decide("approved")
        request.with_user(self.a1)._decide("approved", "fine by me")
        self.assertEqual(request.state, "pending")
        self.assertEqual(request.step_ids.mapped("state"), ["approved", "pending"])
        self.assertEqual(request.activity_ids.user_id, self.a2)
        with self.assertRaisesRegex(UserError, "waiting for approval"):
            move.action_post()
        request.with_user(self.a2)._decide("approved")
        self.assertEqual((request.state, move.agent_approval_state), ("approved", "approved"))
        self.assertFalse(request.activity_ids)
        self.assertFalse(move.hide_post_button)
        move.action_post()
        self.assertEqual(move.state, "posted")
        # the history on the invoice: who approved, when, with what comment
        self.assertEqual(request.step_ids.decided_by_id, self.a1 | self.a2)
        self.assertTrue(move.message_ids.filtered(lambda m: "fine by me" in (m.body or "")))

    def test_any_employee_can_be_an_approver(self):
        employee = self._user("plain_employee", groups="base.group_user")
        self._rule(users=(employee, self.a1), required_count=2)
        move = self._invoice(self.client, 10.0)
        move.with_user(self.a2).action_agent_request_approval()
        request = self._request(move)
        self.assertEqual(request.with_user(employee).record_name, move.display_name)
        request.with_user(employee)._decide("approved", "ok")
        self.assertEqual(request.activity_ids.user_id, self.a1)
        request.with_user(self.a1)._decide("approved")
        self.assertEqual(move.agent_approval_state, "approved")

    def test_approval_covers_an_amount(self):
        self._rule(users=(self.a1,), amount_min=1000)
        move = self._invoice(self.client, 1500.0)
        move.action_agent_request_approval()
        self._request(move).with_user(self.a1)._decide("approved")
        move.invoice_line_ids.price_unit = 2500.0  # more than approved
        with self.assertRaisesRegex(UserError, "needs approval"):
            move.action_post()

    def test_parallel_with_required_count_and_refusal(self):
        self._rule(users=(self.a1, self.a2, self.a3), mode="parallel", required_count=2)
        move = self._invoice(self.client, 100.0)
        move.action_agent_request_approval()
        request = self._request(move)
        self.assertEqual(request.step_ids.mapped("state"), ["pending"] * 3)
        self.assertEqual(len(request.activity_ids), 3)
        with self.assertRaisesRegex(UserError, "Say why"):
            request.with_user(self.a1)._decide("refused")
        request.with_user(self.a1)._decide("refused", "wrong rate")
        self.assertEqual(request.state, "pending", "two approvals are still possible")
        request.with_user(self.a2)._decide("refused", "agree, wrong rate")
        self.assertEqual((request.state, move.agent_approval_state), ("refused", "refused"))
        self.assertEqual(request.step_ids.mapped("state"), ["refused", "refused", "skipped"])
        with self.assertRaisesRegex(UserError, "was refused"):
            move.action_post()
        # corrected and asked again
        move.action_agent_request_approval()
        second = self._request(move)
        self.assertNotEqual(second, request)
        second.with_user(self.a1)._decide("approved")
        second.with_user(self.a3)._decide("approved")
        move.action_post()
        self.assertEqual(move.state, "posted")

    def test_group_approver(self):
        self._rule(group_ids=[Command.set(self.manager_group.ids)])
        move = self._invoice(self.client, 10.0)
        move.action_agent_request_approval()
        request = self._request(move)
        self.assertEqual(request.step_ids.group_id, self.manager_group)
        with self.assertRaisesRegex(UserError, "not waiting for your decision"):
            request.with_user(self.a1)._decide("approved")
        self.assertTrue(request.with_user(self.manager).can_decide)
        request.with_user(self.manager)._decide("approved")
        self.assertEqual(move.agent_approval_state, "approved")

    def test_requester_cannot_approve(self):
        self._rule(users=(self.a1, self.a2), mode="parallel")
        move = self._invoice(self.client, 10.0)
        move.with_user(self.a1).action_agent_request_approval()
        with self.assertRaisesRegex(UserError, "another approver"):
            self._request(move).with_user(self.a1)._decide("approved")

    def test_escalation_after_hours(self):
        self._rule(
            users=(self.a1,), escalation_hours=4, escalation_user_ids=[Command.set(self.boss.ids)]
        )
        move = self._invoice(self.client, 10.0)
        move.action_agent_request_approval()
        request = self._request(move)
        Request = self.env["agent.billing.approval.request"]
        self.assertFalse(Request._cron_escalate(now=request.requested_on + timedelta(hours=3)))
        self.assertEqual(
            Request._cron_escalate(now=request.requested_on + timedelta(hours=5)), request
        )
        self.assertTrue(request.escalated)
        boss_step = request.step_ids.filtered("escalation")
        self.assertRecordValues(boss_step, [{"user_id": self.boss.id, "state": "pending"}])
        self.assertIn(self.boss, request.activity_ids.user_id)
        self.assertFalse(
            Request._cron_escalate(now=request.requested_on + timedelta(hours=9)), "escalated once"
        )
        request.with_user(self.boss)._decide("approved", "escalated: approved")
        self.assertEqual(request.state, "approved", "an escalation approver decides alone")
        self.assertTrue(move.message_ids.filtered(lambda m: "escalated" in (m.body or "")))

    def test_billing_run_requests_and_posts_the_rest(self):
        self._rule(users=(self.a1,), amount_min=400)
        big = self._entity("Big Spender")
        small = self._entity("Small Spender")
        self._contract(big, "per_agent")
        self._contract(small, "per_agent")
        self._deploy(big, self.agent_sales, 2, date(2025, 1, 1))  # 600 + taxes
        self._deploy(small, self.agent_support, 1, date(2025, 1, 1))  # 100 + taxes
        run = self._billed_run()
        held = run.move_ids.filtered(lambda m: m.commercial_partner_id == big)
        free = run.move_ids - held
        self.assertEqual(held.agent_approval_state, "pending")
        self.assertEqual(free.agent_approval_state, "none")
        run.action_post()
        self.assertEqual((held.state, free.state, run.state), ("draft", "posted", "invoiced"))
        self.assertTrue(run.message_ids.filtered(lambda m: "wait for approval" in (m.body or "")))
        self._request(held).with_user(self.a1)._decide("approved")
        run.action_post()
        self.assertEqual((held.state, run.state), ("posted", "posted"))

    def test_credit_note_rule(self):
        invoice = self._invoice(self.client, 300.0, post=True)
        self._rule("credit_note", users=(self.a1,))
        reversal = (
            self.env["account.move.reversal"]
            .with_context(active_model="account.move", active_ids=invoice.ids)
            .create(
                {
                    "reason": "goodwill",
                    "journal_id": invoice.journal_id.id,
                    **(
                        {"agent_credit_type": "goodwill"}
                        if "agent_credit_type" in self.env["account.move.reversal"]._fields
                        else {}
                    ),
                }
            )
        )
        reversal.refund_moves()
        note = reversal.new_move_ids
        with self.assertRaisesRegex(UserError, "needs approval"):
            note.action_post()
        note.action_agent_request_approval()
        self.assertEqual(self._request(note).request_type, "credit_note")
        self._request(note).with_user(self.a1)._decide("approved")
        note.action_post()
        self.assertEqual(note.state, "posted")

    def test_price_override_waits_for_approval(self):
        self._rule("price_override", users=(self.a1,), amount_min=50)
        contract = self._contract(self.client, "per_agent")
        self._deploy(self.client, self.agent_support, 1, date(2025, 1, 1))
        Override = self.env["agent.billing.price.override"]
        small_cut = Override.create(
            {
                "partner_id": self._entity("Other").id,
                "product_id": self.agent_support.id,
                "monthly_rate": 90.0,
                "date_from": date(2025, 1, 1),
            }
        )
        self.assertEqual(small_cut.agent_approval_state, "none", "10 below the catalog")
        override = Override.create(
            {
                "partner_id": self.client.id,
                "product_id": self.agent_support.id,
                "monthly_rate": 40.0,
                "date_from": date(2025, 1, 1),
            }
        )
        self.assertEqual(override.agent_approval_state, "pending")
        self.assertEqual(self._request(override).amount, 60.0)

        def total():
            return float(contract._rate_period(MARCH["period_start"], MARCH["period_end"]).total)

        self.assertEqual(total(), 100.0, "the catalog price until approved")
        self._request(override).with_user(self.a1)._decide("approved")
        self.assertEqual(total(), 40.0)
        override.monthly_rate = 30.0  # a new price: approved again
        self.assertEqual(override.agent_approval_state, "pending")
        self.assertEqual(total(), 100.0)

    def test_cancel_withdraws_pending_requests(self):
        self._rule(users=(self.a1,))
        move = self._invoice(self.client, 10.0)
        move.action_agent_request_approval()
        request = self._request(move)
        move.button_cancel()
        self.assertEqual(request.state, "cancelled")
        self.assertFalse(request.activity_ids)

    def test_rule_needs_enough_approvers(self):
        with self.assertRaisesRegex(Exception, "requires 2 approval"):
            self._rule(users=(self.a1,), required_count=2)

    def test_request_dates(self):
        self._rule(users=(self.a1,), escalation_hours=2)
        move = self._invoice(self.client, 10.0)
        move.action_agent_request_approval()
        request = self._request(move)
        self.assertEqual(request.deadline - request.requested_on, timedelta(hours=2))
        self.assertIsInstance(request.requested_on, datetime)
