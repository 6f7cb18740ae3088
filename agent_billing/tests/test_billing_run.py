import base64
import io
from datetime import date, datetime

from odoo import Command
from odoo.exceptions import UserError
from odoo.tests import Form, tagged
from odoo.tools import mute_logger

from .common import AgentBillingCommon

MARCH = {
    "period_start": date(2025, 3, 1),
    "period_end": date(2025, 3, 31),
    "invoice_date": date(2025, 4, 1),
}


@tagged("post_install", "-at_install")
class TestBillingRun(AgentBillingCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.commitment = cls._create_product(name="Commitment true-up", type="service")
        cls.tier.commitment_product_id = cls.commitment
        # 1. per agent, deployment starting mid-month: 3 x 100 x 16/31 = 154.84
        cls.c_mid = cls._create_client("Mid-month Ltd", "MID")
        cls.k_mid = cls._contract(cls.c_mid, "per_agent")
        cls.d_mid = cls._deploy(cls.c_mid, cls.agent_support, 3, date(2025, 3, 16))
        # 2. usage-based on the tier: 6,000 tasks graduated = 470.00
        cls.c_grad = cls._create_client("Graduated Inc", "GRAD")
        cls.k_grad = cls._contract(cls.c_grad, "usage", tier=cls.tier)
        cls.u_grad = cls._usage(
            cls.c_grad, cls.metric_task, 2500, datetime(2025, 3, 2), "g1"
        ) | cls._usage(cls.c_grad, cls.metric_task, 3500, datetime(2025, 3, 20), "g2")
        # 3. tier with minimum commitment: 2 x 90 + 500 x 0.10 = 230 -> true-up 770
        cls.c_min = cls._create_client("Minimum SA", "MIN")
        cls.k_min = cls._contract(cls.c_min, "contract", tier=cls.tier)
        cls._deploy(cls.c_min, cls.agent_support, 2, date(2024, 6, 1))
        cls._usage(cls.c_min, cls.metric_task, 500, datetime(2025, 3, 10), "m1")
        # 4. override: 1 sales agent, 300 catalog, 250 override from March 11
        #    300 x 10/31 = 96.77 ; 250 x 21/31 = 169.35
        cls.c_ovr = cls._create_client("Override GmbH", "OVR")
        cls.k_ovr = cls._contract(cls.c_ovr, "per_agent")
        cls._deploy(cls.c_ovr, cls.agent_sales, 1, date(2025, 1, 1))
        cls.env["agent.billing.price.override"].create(
            {
                "partner_id": cls.c_ovr.id,
                "product_id": cls.agent_sales.id,
                "monthly_rate": 250.0,
                "date_from": date(2025, 3, 11),
            }
        )

    def _run(self, **vals):
        return self.env["agent.billing.run"].create({**MARCH, **vals})

    def _invoice(self, run, partner):
        return run.move_ids.filtered(lambda m: m.partner_id == partner)

    def test_hand_checked_scenario(self):
        self.k_grad.payment_term_id = self.env.ref("account.account_payment_term_30days")
        run = self._run()
        run.action_compute()
        self.assertEqual(run.state, "computed")
        rows = {row.partner_id: row for row in run.line_ids}
        self.assertEqual(set(rows), {self.c_mid, self.c_grad, self.c_min, self.c_ovr})
        self.assertEqual(rows[self.c_mid].total, 154.84)
        self.assertEqual(rows[self.c_grad].total, 470.00)
        self.assertEqual(rows[self.c_min].total, 1000.00)
        self.assertEqual(rows[self.c_ovr].total, 266.12)
        run.action_create_invoices()
        self.assertEqual(run.state, "invoiced")
        self.assertEqual(len(run.move_ids), 4)
        self.assertTrue(
            all(m.state == "draft" and m.move_type == "out_invoice" for m in run.move_ids)
        )
        mid = self._invoice(run, self.c_mid)
        self.assertRecordValues(
            mid.invoice_line_ids,
            [
                {
                    "product_id": self.agent_support.id,
                    "quantity": 1.0,
                    "price_unit": 154.84,
                    "agent_count": 3,
                    "agent_days": 16,
                    "agent_days_in_period": 31,
                    "agent_deployment_id": self.d_mid.id,
                    "agent_kind": "agents",
                }
            ],
        )
        self.assertIn("3 agent(s)", mid.invoice_line_ids.name)
        self.assertEqual(mid.invoice_line_ids.tax_ids, self.tax_sale_a)
        self.assertEqual(
            (
                mid.agent_contract_id,
                mid.agent_period_start,
                mid.agent_period_end,
                mid.agent_run_id,
                mid.invoice_date,
            ),
            (self.k_mid, date(2025, 3, 1), date(2025, 3, 31), run, date(2025, 4, 1)),
        )
        if not self.k_mid.payment_term_id:
            self.assertEqual(mid.invoice_date_due, date(2025, 4, 1), "due on the invoice date")
        grad = self._invoice(run, self.c_grad)
        self.assertEqual(grad.amount_untaxed, 470.00)
        self.assertEqual(grad.invoice_date_due, date(2025, 5, 1), "the draft is due in 30 days")
        self.assertEqual(grad.invoice_line_ids.agent_usage_ids, self.u_grad)
        self.assertEqual(grad.invoice_line_ids.product_id, self.product_a)
        self.assertIn("1,000 at 0.1000", grad.invoice_line_ids.agent_band_summary)
        self.assertTrue(all(self.u_grad.mapped("billed")))
        mini = self._invoice(run, self.c_min)
        self.assertEqual(mini.invoice_line_ids.mapped("agent_kind"), ["agents", "usage", "minimum"])
        self.assertEqual(mini.invoice_line_ids.mapped("price_subtotal"), [180.0, 50.0, 770.0])
        self.assertEqual(mini.invoice_line_ids[2].product_id, self.commitment)
        ovr = self._invoice(run, self.c_ovr)
        self.assertEqual(sorted(ovr.invoice_line_ids.mapped("price_subtotal")), [96.77, 169.35])
        self.assertEqual(
            sorted(ovr.invoice_line_ids.mapped("agent_price_source")), ["catalog", "override"]
        )
        for move in run.move_ids:  # the invoice total equals the sum of its lines
            self.assertAlmostEqual(
                move.amount_untaxed, sum(move.invoice_line_ids.mapped("price_subtotal"))
            )
        run.action_post()
        self.assertEqual(run.state, "posted")
        self.assertEqual(set(run.move_ids.mapped("state")), {"posted"})

    def test_rerun_never_duplicates(self):
        run = self._run()
        run.action_compute()
        run.action_create_invoices()
        run.action_create_invoices()  # second click: nothing new
        self.assertEqual(len(run.move_ids), 4)
        with self.assertRaisesRegex(UserError, r"already exists for this period"):
            self._run()
        run.action_post()
        # a new run after cancelling (not possible: posted) -> a run for the same contracts in
        # another period is fine, and the March invoices are untouched
        before = {m.id: m.amount_total for m in run.move_ids}
        april = self._run(
            period_start=date(2025, 4, 1),
            period_end=date(2025, 4, 30),
            invoice_date=date(2025, 5, 1),
        )
        april.action_compute()
        april.action_create_invoices()
        self.assertEqual({m.id: m.amount_total for m in run.move_ids}, before)
        # March usage was billed in March: April bills none of it
        grad_april = april.move_ids.filtered(lambda m: m.partner_id == self.c_grad)
        self.assertFalse(grad_april.invoice_line_ids.agent_usage_ids & self.u_grad)

    def test_existing_invoice_is_skipped_on_recompute(self):
        run = self._run()
        run.action_compute()
        run.action_create_invoices()
        run.state = "computed"
        run.action_compute()  # rows with an invoice are kept, nothing re-rated twice
        self.assertEqual(len(run.line_ids.filtered("move_id")), 4)
        self.assertEqual(len(run.line_ids), 4)

    def test_cancelled_draft_releases_usage(self):
        run = self._run()
        run.action_compute()
        run.action_create_invoices()
        grad = self._invoice(run, self.c_grad)
        with self.assertRaisesRegex(UserError, r"billed by .* cannot be changed"):
            self.u_grad[0].quantity = 1
        grad.button_cancel()
        self.assertFalse(any(self.u_grad.mapped("billed")))
        run.action_cancel()
        self.assertEqual(run.state, "cancelled")
        rerun = self._run()  # a cancelled run can be redone
        rerun.action_compute()
        rerun.action_create_invoices()
        self.assertEqual(self._invoice(rerun, self.c_grad).amount_untaxed, 470.0)
        self.assertEqual(self.u_grad.invoice_id, self._invoice(rerun, self.c_grad))

    def test_posted_run_cannot_be_cancelled(self):
        run = self._run()
        run.action_compute()
        run.action_create_invoices()
        run.action_post()
        with self.assertRaisesRegex(UserError, r"posted invoices"):
            run.action_cancel()

    def test_excluded_client_gets_no_invoice(self):
        run = self._run()
        run.action_compute()
        row = run.line_ids.filtered(lambda r: r.partner_id == self.c_min)
        row.action_exclude()
        run.action_create_invoices()
        self.assertEqual(len(run.move_ids), 3)
        self.assertFalse(row.move_id)
        with self.assertRaisesRegex(UserError, r"already have their invoice"):
            run.line_ids.filtered("move_id")[0].action_exclude()

    def test_failing_client_is_isolated(self):
        self.metric_exec.product_id = False  # usage of executions cannot be invoiced
        bad = self._create_client("No Product Co", "BAD")
        self._contract(bad, "usage")
        self._usage(bad, self.metric_exec, 10, datetime(2025, 3, 3), "bad-1")
        run = self._run()
        run.action_compute()
        bad_row = run.line_ids.filtered(lambda r: r.partner_id == bad)
        self.assertEqual(bad_row.state, "error")
        self.assertIn("has no invoice product", bad_row.message)
        run.action_create_invoices()
        self.assertEqual(len(run.move_ids), 4, "the four good clients are still invoiced")
        self.assertEqual(run.error_count, 1)

    def test_anomalies(self):
        idle = self._create_client("Idle Corp", "IDLE")
        self._contract(idle, "usage", tier=self.tier)
        self._deploy(idle, self.agent_support, 1, date(2025, 1, 1))
        run = self._run(change_threshold=50.0)
        run.action_compute()
        idle_row = run.line_ids.filtered(lambda r: r.partner_id == idle)
        self.assertIn("zero_invoice", idle_row.anomaly_codes)
        self.assertIn("no_usage", idle_row.anomaly_codes)
        self.assertGreater(idle_row.anomaly_score, 0)
        run.invalidate_recordset(["line_ids"])
        self.assertEqual(run.line_ids[0], idle_row, "rows are sorted by anomaly score")
        self.assertFalse(idle_row.included, "nothing to bill: left out, but visible")
        self.assertEqual(idle_row.message, "Nothing to bill for this period.")
        clean = run.line_ids.filtered(lambda r: r.partner_id == self.c_mid)
        self.assertEqual(clean.anomaly_score, 0)
        run.action_create_invoices()
        run.action_post()
        # next month: the mid-month client runs the whole month, 154.84 -> 300.00 (+93.7 %)
        april = self._run(period_start=date(2025, 4, 1), period_end=date(2025, 4, 30))
        april.action_compute()
        row = april.line_ids.filtered(lambda r: r.partner_id == self.c_mid)
        self.assertEqual((row.total, row.previous_total, row.change_pct), (300.0, 154.84, 93.7))
        self.assertIn("change", row.anomaly_codes.split(","))
        self.assertIn("154.84", row.anomaly_reasons)

    def test_preflight_xlsx(self):
        import openpyxl

        self.c_mid.name = '=HYPERLINK("http://x.example","y")'  # must not become a formula
        run = self._run()
        run.action_compute()
        action = run.action_export_xlsx()
        attachment_id = int(action["url"].split("/")[3].split("?")[0])
        attachment = self.env["ir.attachment"].browse(attachment_id)
        book = openpyxl.load_workbook(io.BytesIO(base64.b64decode(attachment.datas)))
        sheet = book.active
        self.assertEqual(sheet["A1"].value, "Client")
        self.assertEqual(sheet.freeze_panes, "A2")
        rows = list(sheet.iter_rows(min_row=2, max_row=5, values_only=True))
        totals = sorted(row[6] for row in rows)
        self.assertEqual(totals, [154.84, 266.12, 470.0, 1000.0])
        self.assertIsInstance(rows[0][3], datetime)  # dates are typed cells
        self.assertEqual(sheet.cell(row=6, column=7).value, "=SUM(G2:G5)")
        named = [cell for cell in sheet["A"] if "HYPERLINK" in str(cell.value)]
        self.assertEqual(
            [(c.value, c.data_type) for c in named], [('=HYPERLINK("http://x.example","y")', "s")]
        )

    def test_quarterly_and_advance_plans(self):
        # drafts: the plan does not depend on the state, and the clients have live contracts
        quarterly = self._contract(
            self.c_mid,
            "per_agent",
            billing_cycle="quarterly",
            state="draft",
            start=date(2025, 1, 1),
        )
        self.assertIsNone(quarterly._billing_plan(date(2025, 2, 1), date(2025, 2, 28)))
        self.assertEqual(
            quarterly._billing_plan(date(2025, 3, 1), date(2025, 3, 31)),
            (date(2025, 1, 1), date(2025, 3, 31), date(2025, 1, 1), date(2025, 3, 31)),
        )
        advance = self._contract(
            self.c_ovr,
            "contract",
            tier=self.tier,
            billing_timing="advance",
            start=date(2025, 2, 1),
            state="draft",
        )
        self.assertEqual(
            advance._billing_plan(date(2025, 3, 1), date(2025, 3, 31)),
            (date(2025, 4, 1), date(2025, 4, 30), date(2025, 3, 1), date(2025, 3, 31)),
        )

    def test_manual_invoice_wizard(self):
        form = Form(self.env["agent.billing.manual.invoice"])
        form.partner_id = self.c_grad
        self.assertEqual(form.contract_id, self.k_grad, "the client's current contract")
        form.period_start = date(2025, 3, 1)
        form.period_end = date(2025, 3, 31)
        with form.line_ids.new() as free:
            free.name = "Onboarding workshop"
            free.quantity = 1
            free.price_unit = 400.0
        wizard = form.save()
        move = self.env["account.move"].browse(wizard.action_create_invoice()["res_id"])
        self.assertEqual(move.amount_untaxed, 870.0)
        self.assertEqual(self.u_grad.invoice_id, move)
        # the same contract and period cannot be invoiced twice, whoever creates it
        again = self.env["agent.billing.manual.invoice"].create(
            {
                "partner_id": self.c_grad.id,
                "contract_id": self.k_grad.id,
                "period_start": date(2025, 3, 1),
                "period_end": date(2025, 3, 31),
                "line_ids": [Command.create({"name": "x", "price_unit": 1.0})],
            }
        )
        with (
            mute_logger("odoo.sql_db"),
            self.assertRaisesRegex(UserError, r"already has an invoice"),
        ):
            again.action_create_invoice()
        run = self._run()
        run.action_compute()
        row = run.line_ids.filtered(lambda r: r.partner_id == self.c_grad)
        self.assertEqual(row.state, "skipped")

    def test_cron_bills_previous_month(self):
        self.env.company.agent_billing_run_day = 3
        Run = self.env["agent.billing.run"]
        Run._cron_run_billing(today=date(2025, 4, 2))  # before the run day: nothing
        self.assertFalse(Run.search([("period_start", "=", date(2025, 3, 1))]))
        Run._cron_run_billing(today=date(2025, 4, 5))  # a missed day is caught up
        run = Run.search([("period_start", "=", date(2025, 3, 1))])
        self.assertEqual((run.origin, run.state, len(run.move_ids)), ("cron", "invoiced", 4))
        self.assertEqual(set(run.move_ids.mapped("state")), {"draft"})
        Run._cron_run_billing(today=date(2025, 4, 6))  # rerun: nothing new
        self.assertEqual(len(run.move_ids), 4)
        self.assertEqual(Run.search_count([("period_start", "=", date(2025, 3, 1))]), 1)

    def test_cron_auto_post_leaves_anomalies_as_drafts(self):
        self.env.company.agent_billing_auto_post = True
        idle = self._create_client("Idle Corp", "IDLE")
        self._contract(idle, "per_agent")
        free_agent = self._create_agent_type("Free Agent", "T-FREE", 0.0, self.metric_exec)
        self._deploy(idle, free_agent, 1, date(2025, 3, 1))  # a zero invoice -> anomaly
        self.env["agent.billing.run"]._cron_run_billing(today=date(2025, 4, 1))
        run = self.env["agent.billing.run"].search([("period_start", "=", date(2025, 3, 1))])
        idle_move = run.move_ids.filtered(lambda m: m.partner_id == idle)
        self.assertEqual(idle_move.state, "draft")
        self.assertEqual(set((run.move_ids - idle_move).mapped("state")), {"posted"})

    def test_resume_after_interruption(self):
        run = self._run()
        contracts = run._contracts_to_bill()
        # simulate a crash after the first batch of 2 clients was rated
        for contract, plan in contracts[:2]:
            run._rate_contract(contract, plan, None)
        self.assertEqual(len(run.line_ids), 2)
        run._compute_batches(commit=False, batch_size=1)
        self.assertEqual(len(run.line_ids), 4)
        self.assertEqual(len(run.line_ids.contract_id), 4, "no contract rated twice")
        # and an interruption between invoice batches
        run.line_ids[:1]._create_invoices()
        run._invoice_batches(commit=False, batch_size=2)
        self.assertEqual(len(run.move_ids), 4)

    def test_post_and_send_uses_odoo_sending(self):
        run = self._run()
        run.action_compute()
        run.action_create_invoices()
        action = run.action_post_and_send()
        self.assertEqual(action["params"]["title"], "Sending invoices")
        self.assertEqual(set(run.move_ids.mapped("state")), {"posted"})
        self.assertTrue(all(run.move_ids.mapped("sending_data")), "queued for Odoo's sending")
        self.env["account.move"]._cron_account_move_send(job_count=10)
        self.assertTrue(all(run.move_ids.mapped("is_move_sent")))
        for move in run.move_ids:
            sent = move.message_ids.filtered(
                lambda m: m.message_type == "comment" and m.attachment_ids
            )
            self.assertTrue(sent, f"{move.name} was e-mailed with its PDF")
            self.assertIn(move.partner_id, sent.partner_ids)
