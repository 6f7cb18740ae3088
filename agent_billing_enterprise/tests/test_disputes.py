from datetime import timedelta

from odoo import Command
from odoo.exceptions import UserError, ValidationError
from odoo.tests import Form, tagged

from .common import EnterpriseCommon


@tagged("post_install", "-at_install")
class TestDisputes(EnterpriseCommon):
    """A dispute opened from an invoice flags it and pauses its reminders; comments are internal
    or sent to the client; deadlines by category; resolution by credit note clears the flag."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.client = cls._entity("Kramerica")
        cls.category = cls.env["agent.billing.dispute.category"].create(
            {"name": "Rate error", "response_hours": 24, "resolution_days": 10}
        )
        cls.invoice = cls._invoice(cls.client, 1000.0, post=True)

    def _open(self, **vals):
        action = self.invoice.action_agent_open_dispute()
        form = Form(self.env["agent.billing.dispute"].with_context(**action["context"]))
        form.category_id = self.category
        form.description = vals.pop("description", "Support agents billed at the old rate")
        for name, value in vals.items():
            setattr(form, name, value)
        return form.save()

    def test_dispute_resolved_by_a_credit_note(self):
        dispute = self._open(amount_disputed=250.0)
        move = self.invoice
        self.assertTrue(move.agent_disputed)
        self.assertEqual(move.agent_billing_status, "disputed")
        if "agent_dunning_paused" in move._fields:
            self.assertTrue(move.agent_dunning_paused)
            self.assertIn(dispute.name, move.agent_dunning_pause_reason)
        self.assertEqual(move.agent_dispute_count, 1)
        self.assertEqual(dispute.partner_id, self.client)
        self.assertEqual(dispute.resolution_deadline - dispute.date_opened, timedelta(days=10))
        with self.assertRaisesRegex(UserError, "already disputed"):
            self._open()

        wizard = Form(
            self.env["agent.billing.dispute.resolve"].with_context(
                **dispute.action_resolve()["context"]
            )
        )
        self.assertEqual(wizard.amount, 250.0)
        wizard.resolution = "credit"
        wizard.note = "Rate corrected to the contract's"
        wizard.save().action_resolve()

        self.assertEqual(dispute.state, "resolved")
        note = dispute.credit_note_id
        self.assertRecordValues(
            note,
            [
                {
                    "move_type": "out_refund",
                    "state": "posted",
                    "reversed_entry_id": move.id,
                    "amount_untaxed": 250.0,
                }
            ],
        )
        if "agent_credit_type" in note._fields:
            self.assertEqual(note.agent_credit_type, "error")
        self.assertIn(dispute.name, note.ref or "")
        self.assertFalse(move.agent_disputed, "resolving clears the flag")
        if "agent_dunning_paused" in move._fields:
            self.assertFalse(move.agent_dunning_paused, "and the reminders resume")
        # the credit note is matched with the invoice: only the rest is due
        self.assertAlmostEqual(move.amount_residual, move.amount_total - note.amount_total)
        self.assertEqual(move.agent_billing_status, "partial")
        with self.assertRaisesRegex(UserError, "already resolved"):
            dispute._resolve("no_action", "again")

    def test_full_refund(self):
        dispute = self._open()
        self.assertEqual(dispute.amount_disputed, 1000.0, "the invoice's untaxed amount")
        dispute._resolve("refund", "Duplicate invoice")
        note = dispute.credit_note_id
        self.assertEqual(note.amount_untaxed, 1000.0)
        if "agent_credit_type" in note._fields:
            self.assertEqual(note.agent_credit_type, "refund")
        self.assertEqual(self.invoice.payment_state, "reversed")

    def test_no_action_needs_a_note(self):
        dispute = self._open()
        with self.assertRaisesRegex(UserError, "Say how"):
            dispute._resolve("no_action", " ")
        dispute._resolve("no_action", "The rate is the contract's: explained to the client")
        self.assertFalse(dispute.credit_note_id)
        self.assertFalse(self.invoice.agent_disputed)
        self.assertEqual(dispute.resolution_type, "no_action")

    def test_comments_internal_or_for_the_client(self):
        dispute = self._open()
        dispute.comment_ids = [
            Command.create({"body": "Checked the usage: it is right", "internal": True})
        ]
        self.assertFalse(dispute.date_responded, "an internal note is no response")
        self.assertEqual(dispute.comment_ids.message_id.subtype_id, self.env.ref("mail.mt_note"))
        dispute.comment_ids = [
            Command.create({"body": "We are looking into it", "internal": False})
        ]
        visible = dispute.comment_ids.filtered(lambda c: not c.internal)
        self.assertEqual(visible.message_id.subtype_id, self.env.ref("mail.mt_comment"))
        self.assertIn(self.client, visible.message_id.partner_ids)
        self.assertTrue(dispute.date_responded)
        self.assertEqual(dispute.state, "in_progress")

    def test_service_level_overdue(self):
        dispute = self._open()
        Dispute = self.env["agent.billing.dispute"]
        opened = dispute.date_opened
        at = {"agent_billing_now": opened + timedelta(hours=25)}
        self.assertEqual(dispute.with_context(**at).sla_status, "response_overdue")
        self.assertIn(dispute, Dispute.with_context(**at).search([("is_overdue", "=", True)]))
        self.assertIn(
            dispute, Dispute.with_context(**at).search([("sla_status", "=", "response_overdue")])
        )
        dispute.comment_ids = [Command.create({"body": "On it", "internal": False})]
        dispute.invalidate_recordset(["sla_status", "is_overdue"])
        self.assertEqual(dispute.with_context(**at).sla_status, "on_time")
        later = {"agent_billing_now": opened + timedelta(days=11)}
        self.assertEqual(dispute.with_context(**later).sla_status, "resolution_overdue")
        self.assertNotIn(dispute, Dispute.with_context(**at).search([("is_overdue", "=", True)]))
        dispute.with_context(**later)._resolve("no_action", "Late, but settled")
        dispute.invalidate_recordset(["sla_status", "is_overdue"])
        self.assertEqual(dispute.sla_status, "breached")

    def test_only_posted_invoices(self):
        draft = self._invoice(self.client, 10.0)
        with self.assertRaisesRegex(UserError, "Only posted customer invoices"):
            self.env["agent.billing.dispute"].create(
                {"move_id": draft.id, "category_id": self.category.id, "description": "x"}
            )
        with self.assertRaisesRegex(ValidationError, "between 0 and"):
            self._open(amount_disputed=5000.0)

    def test_withdrawn_dispute(self):
        dispute = self._open()
        dispute.action_withdraw()
        self.assertEqual(dispute.state, "cancelled")
        self.assertFalse(self.invoice.agent_disputed)
        second = self._open()  # a new one may be opened afterwards
        self.assertTrue(self.invoice.agent_disputed)
        self.assertEqual(self.client.agent_dispute_count, 2)
        self.assertEqual(second.state, "open")
