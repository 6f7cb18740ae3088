from datetime import date, datetime

from odoo import fields
from odoo.exceptions import UserError
from odoo.tests import Form, tagged

from ..models.account_move_credit import CREDIT_TYPES
from .common import AgentBillingCommon

MARCH = {
    "period_start": date(2025, 3, 1),
    "period_end": date(2025, 3, 31),
    "invoice_date": date(2025, 4, 1),
}


@tagged("post_install", "-at_install")
class TestCreditNotes(AgentBillingCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # a usage client on the tier: 2,500 + 3,500 tasks in March = 470.00 untaxed
        cls.c_grad = cls._create_client("Graduated Inc", "GRAD")
        cls.k_grad = cls._contract(cls.c_grad, "usage", tier=cls.tier)
        cls.u_grad = cls._usage(
            cls.c_grad, cls.metric_task, 2500, datetime(2025, 3, 2), "g1"
        ) | cls._usage(cls.c_grad, cls.metric_task, 3500, datetime(2025, 3, 20), "g2")

    # --- helpers ------------------------------------------------------------------------------
    def _invoice(self, amounts=(1000.0,), taxes=None, partner=None):
        """A posted customer invoice, due in the future (its status is not overdue)."""
        return self.init_invoice(
            "out_invoice",
            partner=partner or self.client_a,
            amounts=list(amounts),
            taxes=self.tax_sale_a if taxes is None else taxes,
            invoice_date=fields.Date.today(),
            post=True,
        )

    def _wizard(self, invoices, **vals):
        return (
            self.env["account.move.reversal"]
            .with_context(
                active_model="account.move",
                active_ids=invoices.ids,
            )
            .create({"journal_id": invoices[:1].journal_id.id, **vals})
        )

    def _credit(self, invoice, post=True, **vals):
        """A credit note of ``invoice`` through Odoo's reversal wizard."""
        wizard = self._wizard(
            invoice, **{"reason": "Test reason", "agent_credit_type": "refund", **vals}
        )
        wizard.refund_moves()
        note = wizard.new_move_ids
        self.assertEqual(len(note), 1)
        if post:
            note.action_post()
        return note

    def _manual_invoice(self):
        """The client's March invoice, billing its usage, posted."""
        wizard = self.env["agent.billing.manual.invoice"].create(
            {
                "partner_id": self.c_grad.id,
                "contract_id": self.k_grad.id,
                "period_start": MARCH["period_start"],
                "period_end": MARCH["period_end"],
                "invoice_date": MARCH["invoice_date"],
            }
        )
        move = self.env["account.move"].browse(wizard.action_create_invoice()["res_id"])
        move.action_post()
        self.assertEqual(move.amount_untaxed, 470.0)
        self.assertEqual(self.u_grad.invoice_id, move)
        return move

    def _march_run(self):
        run = self.env["agent.billing.run"].create(dict(MARCH))
        run.action_compute()
        run.action_create_invoices()
        return run

    # --- tests --------------------------------------------------------------------------------
    def test_every_credit_type_reduces_the_balance(self):
        self.assertEqual(len(CREDIT_TYPES), 7)
        for credit_type, label in CREDIT_TYPES:
            with self.subTest(credit_type=credit_type):
                invoice = self._invoice()
                self.client_a.invalidate_recordset(["agent_outstanding"])
                outstanding = self.client_a.agent_outstanding
                residual = invoice.amount_residual
                reason = f"{label} agreed with the client"
                note = self._credit(
                    invoice,
                    agent_credit_type=credit_type,
                    reason=reason,
                    agent_credit_mode="partial",
                    agent_credit_amount=100.0,
                )
                self.assertEqual(note.move_type, "out_refund")
                self.assertEqual(note.agent_credit_type, credit_type)
                self.assertIn(reason, note.ref)
                self.assertIn(reason, note.invoice_line_ids.name)
                self.assertEqual(note.reversed_entry_id, invoice)
                self.assertEqual(note.amount_untaxed, 100.0)
                expected = self.tax_sale_a.compute_all(100.0)["total_included"]
                self.assertAlmostEqual(note.amount_total, expected)
                self.assertAlmostEqual(invoice.amount_residual, residual - expected)
                self.client_a.invalidate_recordset(["agent_outstanding"])
                self.assertAlmostEqual(self.client_a.agent_outstanding, outstanding - expected)
                # it shows in the client's history, next to the invoice it credits
                history = self.env["account.move"].search(
                    [
                        ("commercial_partner_id", "=", self.client_a.id),
                        ("move_type", "in", ("out_invoice", "out_refund")),
                        ("state", "=", "posted"),
                    ]
                )
                self.assertIn(note, history)
                self.assertIn(invoice, history)

    def test_full_credit_note_through_the_form_voids_the_invoice(self):
        invoice = self._invoice(amounts=(400.0, 600.0))
        self.client_a.invalidate_recordset(["agent_outstanding"])
        outstanding = self.client_a.agent_outstanding
        form = Form(
            self.env["account.move.reversal"].with_context(
                active_model="account.move", active_ids=invoice.ids
            )
        )
        self.assertTrue(form.agent_is_customer_invoice)
        self.assertEqual(form.agent_credit_mode, "full")
        form.agent_credit_type = "error"
        form.reason = "Invoiced twice"
        wizard = form.save()
        wizard.refund_moves()
        note = wizard.new_move_ids
        self.assertEqual(note.state, "draft", "Odoo's reversal leaves the credit note to post")
        self.assertEqual(note.amount_total, invoice.amount_total)
        note.action_post()
        self.assertEqual(invoice.payment_state, "reversed")
        self.assertEqual(invoice.agent_billing_status, "void")
        self.assertEqual(note.agent_credit_type, "error")
        self.client_a.invalidate_recordset(["agent_outstanding"])
        self.assertAlmostEqual(self.client_a.agent_outstanding, outstanding - invoice.amount_total)

    def test_partial_credit_note_keeps_the_invoice_open(self):
        invoice = self._invoice(amounts=(400.0, 600.0))
        note = self._credit(
            invoice,
            agent_credit_mode="partial",
            agent_credit_amount=250.0,
            agent_credit_type="discount",
        )
        self.assertEqual(len(note.invoice_line_ids), 1)
        line = note.invoice_line_ids
        self.assertEqual(line.account_id, invoice.invoice_line_ids.account_id)
        self.assertEqual(line.tax_ids, self.tax_sale_a)
        self.assertEqual(note.amount_untaxed, 250.0)
        self.assertAlmostEqual(invoice.amount_residual, invoice.amount_total - note.amount_total)
        self.assertEqual(invoice.payment_state, "partial")
        self.assertEqual(invoice.agent_billing_status, "partial")
        self.assertEqual(note.agent_credit_type, "discount")

    def test_partial_credit_needs_one_tax_and_account(self):
        invoice = self.init_invoice(
            "out_invoice",
            partner=self.client_a,
            amounts=[100.0],
            taxes=self.tax_sale_a,
            invoice_date=fields.Date.today(),
        )
        invoice.invoice_line_ids = [
            fields.Command.create(
                {
                    "name": "untaxed line",
                    "price_unit": 50.0,
                    "tax_ids": [fields.Command.clear()],
                }
            )
        ]
        invoice.action_post()
        wizard = self._wizard(
            invoice,
            reason="x",
            agent_credit_type="adjustment",
            agent_credit_mode="partial",
            agent_credit_amount=20.0,
        )
        with self.assertRaisesRegex(UserError, r"different taxes .* full credit note"):
            wizard.refund_moves()
        self.assertFalse(invoice.reversal_move_ids)

    def test_type_and_reason_are_required_for_customer_invoices(self):
        invoice = self._invoice()
        with self.assertRaisesRegex(UserError, r"credit type .*" + invoice.name):
            self._wizard(invoice, reason="x").refund_moves()
        with self.assertRaisesRegex(UserError, r"reason .*" + invoice.name):
            self._wizard(invoice, agent_credit_type="goodwill").refund_moves()
        self.assertFalse(invoice.reversal_move_ids)
        # vendor bills keep Odoo's own reversal
        bill = self.init_invoice(
            "in_invoice", amounts=[100.0], invoice_date=date(2025, 3, 1), post=True
        )
        wizard = self._wizard(bill)
        self.assertFalse(wizard.agent_is_customer_invoice)
        wizard.refund_moves()
        self.assertEqual(bill.reversal_move_ids.move_type, "in_refund")

    def test_credit_above_the_invoice_is_refused(self):
        invoice = self._invoice()  # 1,000.00 untaxed
        # the wizard refuses a partial amount above what can still be credited
        with self.assertRaisesRegex(
            UserError,
            rf"{invoice.name} can still be credited for "
            r"\$\s?1,000\.00 .* \$\s?1,000\.01 is too much",
        ):
            self._credit(invoice, agent_credit_mode="partial", agent_credit_amount=1000.01)
        self.assertFalse(invoice.reversal_move_ids, "nothing created")
        first = self._credit(invoice, agent_credit_mode="partial", agent_credit_amount=600.0)
        wizard = self._wizard(
            invoice,
            reason="x",
            agent_credit_type="refund",
            agent_credit_mode="partial",
            agent_credit_amount=400.01,
        )
        self.assertEqual(wizard.agent_creditable_untaxed, 400.0)
        with self.assertRaisesRegex(UserError, r"\$\s?400\.00 .* \$\s?400\.01 is too much"):
            wizard.refund_moves()
        # posting: a full credit note after the partial one credits too much
        full = self._credit(invoice, post=False)
        with self.assertRaisesRegex(
            UserError,
            rf"cannot be posted: .*{invoice.name}.*it would "
            r"credit more than the invoice total of \$\s?1,150\.00",
        ):
            full.action_post()
        self.assertEqual(full.state, "draft")
        self.assertEqual(first.amount_total, 690.0)
        # the rest can be credited, to the cent, and then nothing more
        rest = self._credit(invoice, agent_credit_mode="partial", agent_credit_amount=400.0)
        self.assertEqual(rest.state, "posted")
        self.assertEqual(invoice.payment_state, "reversed")
        with self.assertRaisesRegex(UserError, r"At most \$\s?0\.00"):
            full.action_post()

    def test_release_usage_then_rebill_the_period(self):
        invoice = self._manual_invoice()
        wizard = self._wizard(
            invoice,
            reason="Wrong usage import",
            agent_credit_type="error",
            agent_release_usage=True,
        )
        wizard.refund_moves()
        note = wizard.new_move_ids
        self.assertTrue(note.agent_release_usage)
        self.assertEqual(self.u_grad.invoice_id, invoice, "released on posting only")
        note.action_post()
        self.assertEqual(invoice.agent_billing_status, "void")
        self.assertTrue(invoice.agent_period_released)
        self.assertFalse(any(self.u_grad.mapped("billed")))
        self.assertTrue(
            invoice.message_ids.filtered(lambda m: "2 usage record(s) released" in m.body)
        )
        # a billing run for the period bills that usage again: one new invoice
        run = self._march_run()
        row = run.line_ids.filtered(lambda r: r.contract_id == self.k_grad)
        self.assertEqual((row.state, row.total), ("invoiced", 470.0))
        self.assertEqual(len(run.move_ids), 1)
        self.assertNotEqual(run.move_ids, invoice)
        self.assertEqual(self.u_grad.invoice_id, run.move_ids)
        self.assertEqual(run.move_ids.amount_untaxed, 470.0)
        self.assertTrue(invoice.agent_period_released)
        # neither the credit note nor the released invoice can be reopened
        with self.assertRaisesRegex(UserError, rf"released the usage of {invoice.name}"):
            note.button_draft()
        with self.assertRaisesRegex(UserError, rf"{invoice.name} was fully credited"):
            invoice.button_draft()

    def test_without_release_the_rerun_bills_nothing(self):
        invoice = self._manual_invoice()
        self._credit(invoice, agent_credit_type="goodwill")
        self.assertEqual(invoice.agent_billing_status, "void")
        self.assertFalse(invoice.agent_period_released)
        self.assertEqual(self.u_grad.invoice_id, invoice)
        run = self._march_run()
        row = run.line_ids.filtered(lambda r: r.contract_id == self.k_grad)
        self.assertEqual(row.state, "skipped")
        self.assertIn(invoice.name, row.message)
        self.assertFalse(run.move_ids)

    def test_release_needs_a_full_credit(self):
        invoice = self._manual_invoice()
        wizard = self._wizard(
            invoice,
            reason="x",
            agent_credit_type="error",
            agent_credit_mode="partial",
            agent_credit_amount=10.0,
            agent_release_usage=True,
        )
        with self.assertRaisesRegex(UserError, r"full invoice"):
            wizard.refund_moves()
        # a full credit note edited down before posting no longer releases anything
        note = self._credit(invoice, post=False, agent_release_usage=True)
        note.invoice_line_ids[0].price_unit -= 10.0
        with self.assertRaisesRegex(UserError, r"credited for .* of .* only"):
            note.action_post()
        self.assertEqual(self.u_grad.invoice_id, invoice)
        self.assertFalse(invoice.agent_period_released)
        # plain invoices have no usage to release
        plain = self._invoice()
        with self.assertRaisesRegex(UserError, r"not made by agent billing"):
            self._credit(plain, agent_release_usage=True)

    def test_overpayment_needs_the_flag(self):
        invoice = self._invoice()  # 1,150.00
        self.assertEqual(invoice.amount_total, 1150.0)
        register = self.env["account.payment.register"].with_context(
            active_model="account.move", active_ids=invoice.ids
        )
        wizard = register.create({"amount": 1200.0, "payment_date": fields.Date.today()})
        self.assertEqual(wizard.payment_difference_handling, "open")
        self.assertEqual(wizard.agent_overpayment, 50.0)
        self.assertRegex(wizard.agent_overpayment_warning, r"\$\s?50\.00 above")
        with self.assertRaisesRegex(
            UserError,
            rf"\$\s?50\.00 above the open balance of "
            rf"{invoice.name}.*Keep the excess as client credit",
        ):
            wizard._create_payments()
        self.assertEqual(invoice.payment_state, "not_paid")
        # the exact amount needs nothing
        exact = register.create({"amount": 1150.0, "payment_date": fields.Date.today()})
        self.assertFalse(exact.agent_overpayment_warning)
        # with the flag, the excess stays as the client's credit
        form = Form(register)
        form.amount = 1200.0
        self.assertIn("above the open balance", form.agent_overpayment_warning)
        form.agent_allow_overpayment = True
        form.save().action_create_payments()
        payment = invoice.matched_payment_ids
        self.assertEqual(payment.amount, 1200.0)
        self.assertIn(invoice.payment_state, ("paid", "in_payment"))
        open_credit = self.env["account.move.line"].search(
            [
                ("partner_id", "=", self.client_a.id),
                ("reconciled", "=", False),
                ("account_id.account_type", "=", "asset_receivable"),
                ("parent_state", "=", "posted"),
            ]
        )
        self.assertEqual(sum(open_credit.mapped("amount_residual")), -50.0)

    def test_overpayment_check_leaves_other_flows_alone(self):
        # a vendor bill may be overpaid as in standard Odoo
        bill = self.init_invoice(
            "in_invoice", amounts=[100.0], invoice_date=date(2025, 3, 1), post=True
        )
        payment = (
            self.env["account.payment.register"]
            .with_context(
                active_model="account.move",
                active_ids=bill.ids,
            )
            .create({"amount": 150.0, "payment_date": date(2025, 3, 5)})
            ._create_payments()
        )
        self.assertEqual(payment.amount, 150.0)
        # a customer overpayment written off ("mark as fully paid") is no open excess
        invoice = self._invoice()
        wizard = (
            self.env["account.payment.register"]
            .with_context(
                active_model="account.move",
                active_ids=invoice.ids,
            )
            .create(
                {
                    "amount": 1151.0,
                    "payment_date": fields.Date.today(),
                    "payment_difference_handling": "reconcile",
                    "writeoff_account_id": self.company_data["default_account_revenue"].id,
                    "writeoff_label": "Rounding",
                }
            )
        )
        wizard._create_payments()
        self.assertIn(invoice.payment_state, ("paid", "in_payment"))
