from datetime import date, timedelta

from odoo import fields
from odoo.tests import tagged

from .common import AgentBillingCommon


@tagged("post_install", "-at_install")
class TestBillingStatus(AgentBillingCommon):
    def _invoice(self, amount=100.0, invoice_date=date(2025, 3, 1), post=True):
        move = self.init_invoice(
            "out_invoice",
            partner=self.client_a,
            invoice_date=invoice_date,
            amounts=[amount],
            taxes=self.env["account.tax"],
        )
        move.invoice_payment_term_id = self.env.ref("account.account_payment_term_30days")
        if post:
            move.action_post()
        return move

    def _pay(self, move, amount, when=date(2025, 3, 10)):
        self.env["account.payment.register"].with_context(
            active_model="account.move",
            active_ids=move.ids,
        ).create({"amount": amount, "payment_date": when})._create_payments()

    def test_status_transitions(self):
        move = self._invoice(post=False)
        self.assertEqual(move.agent_billing_status, "draft")
        move.action_post()
        self.assertEqual(move.invoice_date_due, date(2025, 3, 31))
        on_time = move.with_context(agent_billing_today=date(2025, 3, 15))
        on_time._compute_agent_billing_status()
        self.assertEqual(move.agent_billing_status, "posted")
        move.is_move_sent = True
        on_time._compute_agent_billing_status()
        self.assertEqual(move.agent_billing_status, "sent")
        self._pay(move, 40.0)
        self.assertEqual(move.payment_state, "partial")
        on_time._compute_agent_billing_status()
        self.assertEqual(move.agent_billing_status, "partial")
        move.agent_disputed = True
        on_time._compute_agent_billing_status()
        self.assertEqual(move.agent_billing_status, "disputed")
        move.agent_disputed = False
        self._pay(move, 60.0)
        self.assertIn(move.payment_state, ("paid", "in_payment"))
        self.assertEqual(move.agent_billing_status, "paid")

    def test_void_when_cancelled_or_fully_credited(self):
        cancelled = self._invoice(post=False)
        cancelled.button_cancel()
        self.assertEqual(cancelled.agent_billing_status, "void")
        credited = self._invoice()
        reversal = (
            self.env["account.move.reversal"]
            .with_context(
                active_model="account.move",
                active_ids=credited.ids,
            )
            .create(
                {
                    "journal_id": credited.journal_id.id,
                    "reason": "error",
                    "agent_credit_type": "error",
                }
            )
        )
        reversal.refund_moves()
        credit_note = credited.reversal_move_ids
        credit_note.action_post()
        self.assertEqual(credited.payment_state, "reversed")
        self.assertEqual(credited.agent_billing_status, "void")
        self.assertFalse(credit_note.agent_billing_status, "only customer invoices have one")

    def test_cron_marks_overdue_on_fixed_dates(self):
        today = fields.Date.today()
        due_soon = self._invoice(invoice_date=today)  # due in 30 days
        due_later = self._invoice(invoice_date=today + timedelta(days=10))  # due in 40 days
        paid = self._invoice(invoice_date=today)
        self._pay(paid, 100.0, when=today)
        Move = self.env["account.move"]
        self.assertEqual(due_soon.agent_billing_status, "posted")
        Move._cron_update_billing_status(today=today + timedelta(days=30))
        self.assertEqual(due_soon.agent_billing_status, "posted", "due today is not overdue")
        changed = Move._cron_update_billing_status(today=today + timedelta(days=31))
        self.assertEqual(changed, due_soon)
        self.assertEqual(due_soon.agent_billing_status, "overdue")
        self.assertEqual(due_later.agent_billing_status, "posted")
        self.assertEqual(paid.agent_billing_status, "paid")
        Move._cron_update_billing_status(today=today + timedelta(days=41))
        self.assertEqual(due_later.agent_billing_status, "overdue")
        self._pay(due_soon, 100.0, when=today)
        self.assertEqual(due_soon.agent_billing_status, "paid")
        self.assertEqual(
            Move.search_count(
                [
                    ("id", "in", (due_soon | due_later | paid).ids),
                    ("agent_billing_status", "=", "overdue"),
                ]
            ),
            1,
            "the status is stored and searchable",
        )

    def test_posting_a_late_invoice_makes_it_overdue_at_once(self):
        late = self._invoice(invoice_date=date(2025, 3, 1))  # due 2025-03-31, long past
        self.assertEqual(late.agent_billing_status, "overdue")

    def test_partner_outstanding_and_overdue(self):
        old = self._invoice(amount=300.0, invoice_date=date(2020, 1, 1))  # long overdue
        self._invoice(amount=200.0, invoice_date=date.today())  # not yet due
        self._pay(old, 100.0)
        contact = self.env["res.partner"].create({"name": "Ann", "parent_id": self.client_a.id})
        for partner in (self.client_a, contact):
            self.assertEqual(partner.agent_outstanding, 400.0)
            self.assertEqual(partner.agent_overdue, 200.0)
        self.assertEqual(self.client_b.agent_outstanding, 0.0)
