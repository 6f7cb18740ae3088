from datetime import date, datetime

from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from .common import AgentBillingCommon


@tagged("post_install", "-at_install")
class TestPrepaid(AgentBillingCommon):
    """A block of 1,000 task credits sold in January, drawn on by March and April usage."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.credits = (
            cls.env["product.template"]
            .create(
                {
                    "name": "1,000 task credits",
                    "type": "service",
                    "list_price": 40.0,
                    "agent_prepaid_metric_id": cls.metric_task.id,
                    "agent_prepaid_units": 1000.0,
                    "agent_prepaid_validity_months": 12,
                    "property_account_income_id": cls.company_data["default_account_revenue"].id,
                }
            )
            .product_variant_id
        )
        cls.client = cls._create_client("Retainer Ltd", "RET")
        cls.contract = cls._contract(cls.client, "usage")  # catalog price: 0.05 per task
        cls._usage(cls.client, cls.metric_task, 600, datetime(2025, 3, 12), "r-mar")
        cls._usage(cls.client, cls.metric_task, 700, datetime(2025, 4, 8), "r-apr")

    def _sell(self, quantity=1, when=date(2025, 1, 15), post=True):
        move = self.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": self.client.id,
                "invoice_date": when,
                "invoice_line_ids": [
                    Command.create(
                        {"product_id": self.credits.id, "quantity": quantity, "price_unit": 40.0}
                    )
                ],
            }
        )
        if post:
            move.action_post()
        return move

    def _block(self):
        return self.env["agent.billing.prepaid.block"].search([("partner_id", "=", self.client.id)])

    def _bill(self, start, end):
        run = self.env["agent.billing.run"].create({"period_start": start, "period_end": end})
        run.action_compute()
        run.action_create_invoices()
        return run.move_ids.filtered(lambda m: m.partner_id == self.client)

    def test_block_consumed_across_two_periods(self):
        sale = self._sell()
        block = self._block()
        self.assertRecordValues(
            block,
            [
                {
                    "metric_id": self.metric_task.id,
                    "units_total": 1000.0,
                    "units_remaining": 1000.0,
                    "date_start": date(2025, 1, 15),
                    "date_expiry": date(2026, 1, 14),
                    "state": "active",
                    "invoice_id": sale.id,
                }
            ],
        )
        self.assertEqual(self.client.agent_prepaid_remaining, 1000.0)
        action = self.client.action_view_agent_prepaid()
        self.assertEqual(self.env[action["res_model"]].search(action["domain"]), block)
        self.assertEqual(action["name"], "Prepaid blocks of Retainer Ltd")

        march = self._bill(date(2025, 3, 1), date(2025, 3, 31))
        self.assertRecordValues(
            march.invoice_line_ids,
            [
                {
                    "agent_kind": "prepaid",
                    "quantity": 600.0,
                    "price_unit": 0.0,
                    "price_subtotal": 0.0,
                    "agent_prepaid_block_id": block.id,
                    "agent_prepaid_remaining": 400.0,
                }
            ],
        )
        self.assertIn("covered by prepaid block", march.invoice_line_ids.name)
        self.assertIn("400", march.invoice_line_ids.name)
        self.assertEqual(march.invoice_line_ids.agent_usage_ids.idempotency_key, "r-mar")
        self.assertEqual(march.amount_total, 0.0)
        self.assertEqual(block.units_remaining, 400.0)
        self.assertFalse(block.low_balance_alerted, "40 % left is above the 20 % alert")

        april = self._bill(date(2025, 4, 1), date(2025, 4, 30))
        lines = {line.agent_kind: line for line in april.invoice_line_ids}
        self.assertEqual(set(lines), {"usage", "prepaid"})
        self.assertEqual(
            (lines["prepaid"].quantity, lines["prepaid"].agent_prepaid_remaining), (400.0, 0.0)
        )
        self.assertEqual((lines["usage"].quantity, lines["usage"].price_unit), (300.0, 0.05))
        self.assertEqual(april.amount_untaxed, 15.0)
        self.assertEqual(
            (block.units_remaining, block.units_used, block.state), (0.0, 1000.0, "exhausted")
        )
        self.assertEqual(block.move_ids.mapped("kind"), ["topup", "deduction", "deduction"])
        self.assertEqual(block.move_ids.mapped("quantity"), [1000.0, -600.0, -400.0])
        self.assertEqual(block.move_ids[1:].invoice_id, march | april)
        self.assertTrue(block.low_balance_alerted)
        self.assertTrue(block.activity_ids, "the account manager gets a low-balance activity")

        # deducting again (a retried batch) takes nothing more
        april.invoice_line_ids._agent_consume_prepaid()
        self.assertEqual(len(block.move_ids), 3)

        # cancelling the April draft gives its 400 units back; the sale cannot be undone now
        april.button_cancel()
        self.assertEqual((block.units_remaining, block.state), (400.0, "active"))
        self.assertEqual(block.move_ids[-1].kind, "return")
        with self.assertRaisesRegex(UserError, "already drawn"):
            sale.button_draft()

    def test_expiry_and_validity(self):
        self._sell(when=date(2025, 1, 15))
        block = self._block()
        block.date_expiry = date(2025, 3, 31)
        Block = self.env["agent.billing.prepaid.block"]
        self.assertFalse(Block._cron_expire(today=date(2025, 3, 31)), "valid on its last day")
        self.assertEqual(Block._cron_expire(today=date(2025, 4, 1)), block)
        self.assertEqual((block.state, block.units_remaining), ("expired", 0.0))
        self.assertEqual(block.move_ids[-1].quantity, -1000.0)
        self.assertFalse(Block._cron_expire(today=date(2025, 4, 2)), "expires once")
        april = self._bill(date(2025, 4, 1), date(2025, 4, 30))
        # the unbilled March usage comes along with April's: March's 600 tasks are dated
        # inside the validity, so the expired block still covers them; April's 700 are charged
        self.assertEqual(sorted(april.invoice_line_ids.mapped("agent_kind")), ["prepaid", "usage"])
        usage = april.invoice_line_ids.filtered(lambda line: line.agent_kind == "usage")
        self.assertEqual(usage.quantity, 700.0)
        self.assertEqual(april.amount_untaxed, 35.0)
        self.assertEqual(
            (block.state, block.units_remaining, block.units_used), ("expired", 0.0, 600.0)
        )

    def test_block_only_covers_usage_from_its_start(self):
        self._sell(when=date(2025, 4, 1))  # bought after the March usage
        march = self._bill(date(2025, 3, 1), date(2025, 3, 31))
        self.assertEqual(march.invoice_line_ids.agent_kind, "usage")
        self.assertEqual(march.amount_untaxed, 30.0)

    def test_sale_reset_and_reposted_and_ledger_is_append_only(self):
        sale = self._sell(quantity=2)
        block = self._block()
        self.assertEqual(block.units_total, 2000.0)
        sale.button_draft()
        self.assertEqual((block.state, block.units_remaining), ("cancelled", 0.0))
        sale.action_post()
        self.assertEqual((block.state, block.units_remaining), ("active", 2000.0))
        self.assertEqual(
            self.env["agent.billing.prepaid.block"].search_count(
                [("partner_id", "=", self.client.id)]
            ),
            1,
            "one block per sold line",
        )
        with self.assertRaisesRegex(UserError, "append-only"):
            block.move_ids[0].quantity = 5000.0
        with self.assertRaises(AccessError):
            block.move_ids[0].unlink()

    def test_two_invoices_cannot_take_the_same_units(self):
        self._sell()
        run = self.env["agent.billing.run"].create(
            {"period_start": date(2025, 3, 1), "period_end": date(2025, 3, 31)}
        )
        run.action_compute()
        # meanwhile a manual invoice draws 900 units from the same block
        block = self._block()
        block._ledger("deduction", -900.0, note="elsewhere")
        run.action_create_invoices()
        row = run.line_ids.filtered(lambda r: r.partner_id == self.client)
        self.assertEqual(row.state, "error")
        self.assertIn("another invoice used it meanwhile", row.message)
        self.assertFalse(row.move_id)
        self.assertEqual(block.units_remaining, 100.0)

    def test_full_credit_note_with_release_gives_units_back(self):
        self._sell()
        block = self._block()
        block._ledger("deduction", -500.0, note="earlier use")  # 500 left
        march = self._bill(date(2025, 3, 1), date(2025, 3, 31))
        self.assertEqual(march.amount_untaxed, 5.0)  # 500 prepaid + 100 x 0.05
        self.assertEqual(block.units_remaining, 0.0)
        march.action_post()
        wizard = (
            self.env["account.move.reversal"]
            .with_context(
                active_model="account.move",
                active_ids=march.ids,
            )
            .create(
                {
                    "journal_id": march.journal_id.id,
                    "reason": "usage double counted",
                    "agent_credit_type": "error",
                    "agent_release_usage": True,
                }
            )
        )
        wizard.refund_moves()
        wizard.new_move_ids.action_post()
        self.assertTrue(march.agent_period_released)
        self.assertEqual((block.units_remaining, block.move_ids[-1].kind), (500.0, "return"))
        self.assertFalse(march.invoice_line_ids.agent_usage_ids)

    def test_expiry_job_before_the_run_still_covers_usage_dated_inside_the_validity(self):
        # symptom: a block whose expiry job ran before the month's run charged usage that the
        # block covered
        self._sell()
        block = self._block()
        block.date_expiry = date(2025, 3, 31)
        self.env["agent.billing.prepaid.block"]._cron_expire(today=date(2025, 4, 1))
        self.assertEqual((block.state, block.units_remaining), ("expired", 0.0))
        march = self._bill(date(2025, 3, 1), date(2025, 3, 31))
        self.assertEqual(march.amount_untaxed, 0.0)
        self.assertRecordValues(
            march.invoice_line_ids,
            [{"agent_kind": "prepaid", "quantity": 600.0, "agent_prepaid_block_id": block.id}],
        )
        # 1,000 bought, 1,000 forfeited on 1 April, 600 of them reclaimed by March's usage
        self.assertEqual(
            sorted(block.move_ids.mapped(lambda m: (m.kind, m.quantity))),
            [("deduction", -600.0), ("expiry", -1000.0), ("expiry", 600.0), ("topup", 1000.0)],
        )
        self.assertRecordValues(
            block, [{"state": "expired", "units_remaining": 0.0, "units_used": 600.0}]
        )
        # April's usage is dated after the expiry: charged in full, 700 x 0.05
        april = self._bill(date(2025, 4, 1), date(2025, 4, 30))
        self.assertEqual(april.amount_untaxed, 35.0)
        self.assertFalse(april.invoice_line_ids.agent_prepaid_block_id)
