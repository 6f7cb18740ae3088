from datetime import date, datetime

from odoo import fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from .common import AgentBillingCommon, mail_new_test_user

MARCH = {
    "period_start": date(2025, 3, 1),
    "period_end": date(2025, 3, 31),
    "invoice_date": date(2025, 4, 1),
}


@tagged("post_install", "-at_install")
class TestAudit(AgentBillingCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.c_mid = cls._create_client("Mid-month Ltd", "MID")
        cls.k_mid = cls._contract(cls.c_mid, "per_agent")
        cls._deploy(cls.c_mid, cls.agent_support, 3, date(2025, 3, 16))
        cls.c_grad = cls._create_client("Graduated Inc", "GRAD")
        cls.k_grad = cls._contract(cls.c_grad, "usage", tier=cls.tier)
        cls._usage(cls.c_grad, cls.metric_task, 2500, datetime(2025, 3, 2), "g1")
        cls._usage(cls.c_grad, cls.metric_task, 3500, datetime(2025, 3, 20), "g2")

    def _flush_tracking(self):
        """Odoo writes tracking at commit time: flush it as Odoo's mail tests do."""
        self.env.flush_all()
        self.env.cr.precommit.run()

    def _tracked(self, record, fname):
        """Tracking values of ``fname`` on ``record``, oldest first."""
        self._flush_tracking()
        return (
            record.sudo()
            .message_ids.tracking_value_ids.filtered(lambda v: v.field_id.name == fname)
            .sorted("id")
        )

    def _invoice(self, post=False):
        return self.init_invoice(
            "out_invoice",
            partner=self.client_a,
            amounts=[1000.0],
            taxes=self.tax_sale_a,
            invoice_date=fields.Date.today(),
            post=post,
        )

    # --- who changed what, and when -----------------------------------------------------------
    def test_status_dispute_and_payment_are_in_the_chatter(self):
        me = self.env.user.partner_id
        invoice = self._invoice()
        self._flush_tracking()
        invoice.action_post()
        self._flush_tracking()
        invoice.agent_disputed = True
        self._flush_tracking()
        invoice.agent_disputed = False
        self._flush_tracking()
        self.env["account.payment.register"].with_context(
            active_model="account.move",
            active_ids=invoice.ids,
        ).create(
            {"amount": invoice.amount_total, "payment_date": fields.Date.today()}
        )._create_payments()
        self.assertIn(invoice.payment_state, ("paid", "in_payment"))
        statuses = self._tracked(invoice, "agent_billing_status")
        labels = [(v.old_value_char, v.new_value_char) for v in statuses]
        self.assertEqual(labels[0], ("Draft", "Posted"))
        self.assertIn(("Posted", "Disputed"), labels)
        self.assertEqual(labels[-1][1], "Paid")
        disputes = self._tracked(invoice, "agent_disputed")
        self.assertEqual(
            [(v.old_value_integer, v.new_value_integer) for v in disputes], [(0, 1), (1, 0)]
        )
        for value in statuses + disputes:
            self.assertEqual(value.mail_message_id.author_id, me)
            self.assertTrue(value.mail_message_id.date)
        # the payment itself is named on the invoice, by whom and when
        payment = invoice.matched_payment_ids
        self.assertTrue(payment)
        logged = invoice.message_ids.filtered(
            lambda m: "matched with this invoice" in (m.body or "")
        )
        self.assertEqual(len(logged), 1)
        self.assertIn(payment.name, logged.body)
        self.assertEqual(logged.author_id, me)
        self.assertTrue(logged.date)

    def test_payment_changes_are_tracked(self):
        payment = self.env["account.payment"].create(
            {
                "partner_id": self.client_a.id,
                "payment_type": "inbound",
                "partner_type": "customer",
                "amount": 100.0,
                "date": date(2025, 3, 1),
            }
        )
        self._flush_tracking()
        payment.write({"amount": 120.0, "date": date(2025, 3, 2)})
        self._flush_tracking()
        payment.action_post()
        amount = self._tracked(payment, "amount")
        self.assertEqual([(v.old_value_float, v.new_value_float) for v in amount], [(100.0, 120.0)])
        self.assertEqual(len(self._tracked(payment, "date")), 1)
        states = self._tracked(payment, "state")
        self.assertEqual(
            (states[-1].old_value_char, states[-1].new_value_char),
            (
                "Draft",
                dict(payment._fields["state"]._description_selection(self.env))[payment.state],
            ),
        )
        for value in amount + states:
            self.assertEqual(value.mail_message_id.author_id, self.env.user.partner_id)
            self.assertTrue(value.mail_message_id.date)

    # --- hash chain: secured posted invoices, untouched by reruns -----------------------------
    def test_hash_chain_and_reruns_leave_posted_invoices_alone(self):
        journal = self.company_data["default_journal_sale"]
        journal.restrict_mode_hash_table = True
        run = self.env["agent.billing.run"].create(dict(MARCH))
        run.action_compute()
        run.action_create_invoices()
        self.assertEqual(run.move_ids.journal_id, journal)
        run.action_post()
        moves = run.move_ids
        self.assertEqual(len(moves), 2)
        self.assertTrue(all(moves.mapped("inalterable_hash")))
        self._assert_integrity(moves)

        def snapshot():
            self.env.flush_all()
            self.env.invalidate_all()
            return {
                move.id: (
                    move.write_date,
                    move.inalterable_hash,
                    move.amount_total,
                    move.state,
                    [
                        (line.id, line.balance, line.price_unit, line.write_date)
                        for line in move.line_ids
                    ],
                )
                for move in moves
            }

        before = snapshot()
        # 1. the same run again: refused, it is posted
        with self.assertRaisesRegex(UserError, r"you cannot compute it"):
            run.action_compute()
        with self.assertRaisesRegex(UserError, r"you cannot create invoices for it"):
            run.action_create_invoices()
        # 2. a second run for the same period: refused, open the first one
        with self.assertRaisesRegex(UserError, r"already exists for this period"):
            self.env["agent.billing.run"].create(dict(MARCH))
        # 3. the scheduled action for that month: nothing to do
        self.env["agent.billing.run"]._cron_run_billing(today=date(2025, 4, 5))
        # 4. a second run whose window also ends with March bills the same contract periods:
        #    every contract is skipped as already invoiced, nothing is created
        rerun = self.env["agent.billing.run"].create(
            {
                "period_start": date(2025, 3, 16),
                "period_end": date(2025, 3, 31),
                "invoice_date": date(2025, 4, 1),
            }
        )
        rerun.action_compute()
        self.assertEqual(set(rerun.line_ids.mapped("state")), {"skipped"})
        self.assertEqual(len(rerun.line_ids), 2)
        rerun.action_create_invoices()
        self.assertFalse(rerun.move_ids)
        # 5. the posted run recomputed by force (as test_billing_run does): invoiced rows kept
        run.state = "computed"
        run.action_compute()
        run.action_create_invoices()
        self.assertEqual(run.move_ids, moves)
        self.assertEqual(snapshot(), before)
        self._assert_integrity(moves)

    def _assert_integrity(self, moves):
        report = self.env.company._check_hash_integrity()
        sales = [
            r for r in report["results"] if r["journal_name"].startswith(moves.journal_id.name)
        ]
        self.assertTrue(sales)
        self.assertEqual({r["status"] for r in sales}, {"verified"}, sales)
        self.assertIn(sales[0]["last_move_name"], moves.mapped("name"))

    # --- internal notes -------------------------------------------------------------------------
    def test_internal_note_is_for_staff_only(self):
        secret = "Client asked for a discount on the next renewal ZX81"
        portal = mail_new_test_user(
            self.env, login="audit_portal", groups="base.group_portal", name="Portal Client"
        )
        invoice = self.init_invoice(
            "out_invoice",
            partner=portal.partner_id,
            amounts=[100.0],
            taxes=self.tax_sale_a,
            invoice_date=fields.Date.today(),
            post=True,
        )
        invoice.agent_internal_note = f"<p>{secret}</p>"
        self.assertIn(secret, invoice.agent_internal_note)
        as_portal = invoice.with_user(portal)
        as_portal.check_access("read")  # the portal user sees the invoice itself
        self.assertEqual(as_portal.read(["name"])[0]["name"], invoice.name)
        with self.assertRaises(AccessError):
            as_portal.read(["agent_internal_note"])
        self.assertNotIn(
            "agent_internal_note", self.env["account.move"].with_user(portal).fields_get()
        )
        # never printed
        html = self.env["ir.actions.report"]._render_qweb_html(
            "account.report_invoice", invoice.ids
        )[0]
        self.assertIn(invoice.name, html.decode())
        self.assertNotIn("ZX81", html.decode())
        # never sent: Odoo's send wizard, mail body and posted message
        wizard = (
            self.env["account.move.send.wizard"]
            .with_context(
                active_model="account.move",
                active_ids=invoice.ids,
            )
            .create({})
        )
        self.assertNotIn("ZX81", str(wizard.mail_body))
        wizard.action_send_and_print()
        sent = invoice.message_ids.filtered(lambda m: m.message_type == "comment")
        self.assertTrue(sent)
        self.assertNotIn("ZX81", " ".join(str(b) for b in sent.mapped("body")))
        mails = self.env["mail.mail"].sudo().search([("mail_message_id", "in", sent.ids)])
        self.assertNotIn("ZX81", " ".join(str(b) for b in mails.mapped("body_html")))
