"""Receivables aging as of fixed dates, and the client payment history.

Scenario (no taxes, company currency), all amounts computed by hand below:

Client A
  INV_A1  2025-01-01  1000.00  net 30 days            -> due 2025-01-31
          paid 400.00 on 2025-02-10 (bank), 600.00 on 2025-04-15 (cash)
  INV_A2  2025-02-01  1500.00  50% now / 50% 30 days   -> 750.00 due 2025-02-01,
                                                          750.00 due 2025-03-03
          credit note CN_A 300.00 dated 2025-02-20 applied to it (oldest installment first)
Client B
  INV_B1  2024-12-01   800.00  net 30 days            -> due 2024-12-31, never paid
  CN_B    2025-03-01   100.00  credit note left open (unapplied credit)
  PAY_B   2025-03-05    50.00  customer payment not matched to any invoice
"""

from datetime import date

from freezegun import freeze_time

from odoo import Command, fields
from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import AgentBillingCommon


@tagged("post_install", "-at_install")
class TestAging(AgentBillingCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Term = cls.env["account.payment.term"]
        cls.term_30 = Term.create(
            {
                "name": "Net 30 (aging test)",
                "line_ids": [
                    Command.create(
                        {
                            "value": "percent",
                            "value_amount": 100.0,
                            "delay_type": "days_after",
                            "nb_days": 30,
                        }
                    )
                ],
            }
        )
        cls.term_50_50 = Term.create(
            {
                "name": "50% now, 50% 30 days (aging test)",
                "line_ids": [
                    Command.create(
                        {
                            "value": "percent",
                            "value_amount": 50.0,
                            "delay_type": "days_after",
                            "nb_days": 0,
                        }
                    ),
                    Command.create(
                        {
                            "value": "percent",
                            "value_amount": 50.0,
                            "delay_type": "days_after",
                            "nb_days": 30,
                        }
                    ),
                ],
            }
        )
        cls.bank = cls.company_data["default_journal_bank"]
        cls.cash = cls.company_data["default_journal_cash"]

        cls.inv_a1 = cls._invoice(cls.client_a, date(2025, 1, 1), 1000.0, cls.term_30)
        cls._pay(cls.inv_a1, 400.0, date(2025, 2, 10), cls.bank)
        cls._pay(cls.inv_a1, 600.0, date(2025, 4, 15), cls.cash)

        cls.inv_a2 = cls._invoice(cls.client_a, date(2025, 2, 1), 1500.0, cls.term_50_50)
        cls.cn_a = cls._invoice(
            cls.client_a, date(2025, 2, 20), 300.0, None, move_type="out_refund"
        )
        cls.inv_a2.js_assign_outstanding_line(cls._receivable(cls.cn_a).id)

        cls.inv_b1 = cls._invoice(cls.client_b, date(2024, 12, 1), 800.0, cls.term_30)
        cls.cn_b = cls._invoice(cls.client_b, date(2025, 3, 1), 100.0, None, move_type="out_refund")
        cls.pay_b = cls.env["account.payment"].create(
            {
                "payment_type": "inbound",
                "partner_type": "customer",
                "partner_id": cls.client_b.id,
                "amount": 50.0,
                "date": date(2025, 3, 5),
                "journal_id": cls.bank.id,
            }
        )
        cls.pay_b.action_post()

    # ------------------------------------------------------------------ helpers

    @classmethod
    def _invoice(cls, partner, when, amount, term, move_type="out_invoice"):
        move = cls.env["account.move"].create(
            {
                "move_type": move_type,
                "partner_id": partner.id,
                "invoice_date": when,
                "date": when,
                "invoice_payment_term_id": term.id if term else False,
                "invoice_line_ids": [
                    Command.create(
                        {
                            "name": "AI agents",
                            "quantity": 1.0,
                            "price_unit": amount,
                            "tax_ids": [Command.clear()],
                        }
                    )
                ],
            }
        )
        move.action_post()
        return move

    @classmethod
    def _receivable(cls, move):
        return move.line_ids.filtered(
            lambda line: line.account_id.account_type == "asset_receivable"
        )

    @classmethod
    def _pay(cls, invoice, amount, when, journal, method_line=None):
        wizard = (
            cls.env["account.payment.register"]
            .with_context(
                active_model="account.move",
                active_ids=invoice.ids,
            )
            .create(
                {
                    "amount": amount,
                    "payment_date": when,
                    "journal_id": journal.id,
                    **({"payment_method_line_id": method_line.id} if method_line else {}),
                }
            )
        )
        return wizard._create_payments()

    def _aging(self, as_of, partners=None):
        partners = partners or (self.client_a | self.client_b)
        return (
            self.env["agent.billing.aging"]
            .with_context(
                agent_aging_date=as_of,
            )
            .search([("partner_id", "in", partners.ids)])
        )

    def _buckets(self, rows, partner):
        """{bucket: total} of one client, from the rows."""
        totals = {}
        for row in rows.filtered(lambda r: r.partner_id == partner):
            totals[row.bucket] = round(totals.get(row.bucket, 0.0) + row.amount_residual, 2)
        return {bucket: total for bucket, total in totals.items() if total}

    def _rows_of(self, rows, move):
        return rows.filtered(lambda r: r.move_id == move).sorted("date_maturity")

    # ------------------------------------------------------------------ aging

    def test_scenario_setup(self):
        """The scenario is what the test computes by hand from."""
        self.assertEqual(self._receivable(self.inv_a1).date_maturity, date(2025, 1, 31))
        self.assertEqual(
            self._receivable(self.inv_a2).sorted("date_maturity").mapped("date_maturity"),
            [date(2025, 2, 1), date(2025, 3, 3)],
        )
        self.assertEqual(self.inv_a1.payment_state, "paid")
        self.assertEqual(self.inv_a2.amount_residual, 1200.0)
        self.assertEqual(self.inv_b1.payment_state, "not_paid")

    def test_aging_due_date_is_current_and_31_days_is_31_60(self):
        rows = self._aging(date(2025, 1, 31))
        # A: INV_A1 due that very day -> current; INV_A2 is dated later -> not there yet
        self.assertEqual(self._buckets(rows, self.client_a), {"current": 1000.0})
        a1 = self._rows_of(rows, self.inv_a1)
        self.assertEqual(a1.days_overdue, 0)
        self.assertFalse(self._rows_of(rows, self.inv_a2))
        # B: due 2024-12-31, 31 days late -> 31-60
        b1 = self._rows_of(rows, self.inv_b1)
        self.assertEqual((b1.days_overdue, b1.bucket, b1.amount_31_60), (31, "31_60", 800.0))
        self.assertEqual(self._buckets(rows, self.client_b), {"31_60": 800.0})
        self.assertEqual(b1.as_of_date, date(2025, 1, 31))

    def test_aging_before_any_payment(self):
        rows = self._aging(date(2025, 2, 9))
        # the 400 paid on 2025-02-10 is not deducted yet; INV_A1 is 9 days late
        a1 = self._rows_of(rows, self.inv_a1)
        self.assertEqual((a1.amount_residual, a1.days_overdue, a1.bucket), (1000.0, 9, "1_30"))
        # INV_A2: first installment due 02-01 (8 days late), second one not due
        a2 = self._rows_of(rows, self.inv_a2)
        self.assertEqual(a2.mapped("amount_residual"), [750.0, 750.0])
        self.assertEqual(a2.mapped("bucket"), ["1_30", "current"])
        self.assertEqual(self._buckets(rows, self.client_a), {"1_30": 1750.0, "current": 750.0})

    def test_aging_partial_payments_credit_note_installments(self):
        rows = self._aging("2025-03-02")
        # INV_A1: 1000 - 400 (02-10); the 600 paid on 04-15 is after the date: still owed.
        # 30 days late exactly -> 1-30
        a1 = self._rows_of(rows, self.inv_a1)
        self.assertEqual((a1.amount_residual, a1.days_overdue, a1.bucket), (600.0, 30, "1_30"))
        self.assertEqual(a1.amount_1_30, 600.0)
        self.assertEqual(a1.amount_current + a1.amount_31_60 + a1.amount_90_plus, 0.0)
        # INV_A2: 750 - 300 credit note on the first installment (due 02-01: 29 days late),
        # second installment (due 03-03) not due yet
        a2 = self._rows_of(rows, self.inv_a2)
        self.assertEqual(a2.mapped("amount_residual"), [450.0, 750.0])
        self.assertEqual(a2.mapped("days_overdue"), [29, 0])
        self.assertEqual(a2.mapped("bucket"), ["1_30", "current"])
        self.assertEqual(self._buckets(rows, self.client_a), {"current": 750.0, "1_30": 1050.0})
        # B: 800 due 2024-12-31 -> 61 days -> 61-90; open credit note -100 in current;
        # the unapplied payment of 03-05 is after the date
        self.assertEqual(self._buckets(rows, self.client_b), {"current": -100.0, "61_90": 800.0})
        cn_b = self._rows_of(rows, self.cn_b)
        self.assertEqual((cn_b.kind, cn_b.days_overdue), ("credit_note", 0))
        self.assertFalse(self._rows_of(rows, self.pay_b.move_id))

    def test_aging_late_date_payments_and_credits(self):
        rows = self._aging(date(2025, 4, 30))
        self.assertFalse(self._rows_of(rows, self.inv_a1), "paid in full on 2025-04-15")
        a2 = self._rows_of(rows, self.inv_a2)
        self.assertEqual(a2.mapped("amount_residual"), [450.0, 750.0])
        self.assertEqual(a2.mapped("days_overdue"), [88, 58])
        self.assertEqual(self._buckets(rows, self.client_a), {"61_90": 450.0, "31_60": 750.0})
        # B: 120 days -> 90+; both credits (credit note, unapplied payment) reduce the total
        self.assertEqual(self._buckets(rows, self.client_b), {"90_plus": 800.0, "current": -150.0})
        pay = self._rows_of(rows, self.pay_b.move_id)
        self.assertEqual((pay.kind, pay.amount_residual, pay.bucket), ("payment", -50.0, "current"))
        # oldest first: B1 (120 days), A2 first installment (88), second (58), then credits
        self.assertEqual(rows[:3].move_id, self.inv_b1 | self.inv_a2)
        self.assertEqual(rows[:3].mapped("days_overdue"), [120, 88, 58])
        self.assertEqual(rows[3:].mapped("days_overdue"), [0, 0])

    def test_aging_90_day_boundary(self):
        b1 = self._rows_of(self._aging(date(2025, 3, 31)), self.inv_b1)
        self.assertEqual((b1.days_overdue, b1.bucket, b1.amount_61_90), (90, "61_90", 800.0))
        b1 = self._rows_of(self._aging(date(2025, 4, 1)), self.inv_b1)
        self.assertEqual((b1.days_overdue, b1.bucket, b1.amount_90_plus), (91, "90_plus", 800.0))

    def test_aging_today_matches_ledger(self):
        """Without a date in the context, the aging is as of today: today's residuals."""
        Aging = self.env["agent.billing.aging"]
        rows = Aging.search([("partner_id", "in", (self.client_a | self.client_b).ids)])
        a_rows = rows.filtered(lambda r: r.partner_id == self.client_a)
        self.assertEqual(round(sum(a_rows.mapped("amount_residual")), 2), 1200.0)
        self.assertEqual(set(rows.mapped("as_of_date")), {fields.Date.context_today(Aging)})
        self.assertEqual(
            sorted(
                rows.filtered(lambda r: r.partner_id == self.client_b).mapped("amount_residual")
            ),
            [-100.0, -50.0, 800.0],
        )

    def test_grouped_by_client_oldest_first(self):
        Aging = self.env["agent.billing.aging"].with_context(agent_aging_date="2025-03-02")
        domain = [("partner_id", "in", (self.client_a | self.client_b).ids)]
        # what the web client sends for the list grouped by client with default_order
        groups = Aging.read_group(
            domain,
            ["days_overdue", "amount_residual", "amount_1_30"],
            ["partner_id"],
            orderby="days_overdue desc",
        )
        self.assertEqual([g["partner_id"][0] for g in groups], [self.client_b.id, self.client_a.id])
        self.assertEqual([g["days_overdue"] for g in groups], [61, 30])
        self.assertEqual([g["amount_residual"] for g in groups], [700.0, 1800.0])
        self.assertEqual([g["amount_1_30"] for g in groups], [0.0, 1050.0])
        # grouped by bucket: in aging order, empty buckets shown too
        buckets = Aging.read_group(domain, ["amount_residual"], ["bucket"])
        self.assertEqual(
            [g["bucket"] for g in buckets], ["current", "1_30", "31_60", "61_90", "90_plus"]
        )
        self.assertEqual([g["amount_residual"] for g in buckets], [650.0, 1050.0, 0, 800.0, 0])
        # pivot: clients x buckets
        cells = dict(
            ((p.id, b), amount)
            for p, b, amount in Aging._read_group(
                domain, ["partner_id", "bucket"], ["amount_residual:sum"]
            )
        )
        self.assertEqual(
            cells,
            {
                (self.client_a.id, "current"): 750.0,
                (self.client_a.id, "1_30"): 1050.0,
                (self.client_b.id, "current"): -100.0,
                (self.client_b.id, "61_90"): 800.0,
            },
        )

    def test_drill_down_opens_invoice(self):
        row = self._rows_of(self._aging(date(2025, 3, 2)), self.inv_a1)
        action = row.action_open_move()
        self.assertEqual((action["res_model"], action["res_id"]), ("account.move", self.inv_a1.id))
        # the pivot's drill-down is a domain on the rows, still as of the action's date
        cell = (
            self.env["agent.billing.aging"]
            .with_context(agent_aging_date="2025-03-02")
            .search([("partner_id", "=", self.client_a.id), ("bucket", "=", "1_30")])
        )
        self.assertEqual(cell.move_id, self.inv_a1 | self.inv_a2)

    def test_wizard_opens_aging_as_of_date(self):
        wizard = self.env["agent.billing.aging.wizard"].create({"date": date(2025, 3, 2)})
        action = wizard.action_open_aging()
        self.assertEqual(action["res_model"], "agent.billing.aging")
        self.assertEqual(action["context"]["agent_aging_date"], "2025-03-02")
        self.assertTrue(action["context"]["search_default_group_by_partner"])
        rows = (
            self.env["agent.billing.aging"]
            .with_context(**action["context"])
            .search([("partner_id", "=", self.client_a.id)])
        )
        self.assertEqual(round(sum(rows.mapped("amount_residual")), 2), 1800.0)
        self.assertEqual(
            self.env["agent.billing.aging.wizard"].create({}).date,
            fields.Date.context_today(wizard),
        )

    def test_bad_date_is_refused(self):
        with self.assertRaisesRegex(UserError, "2025-13-45 is not a valid as-of date"):
            self._aging("2025-13-45")

    # ------------------------------------------------------------------ payment history

    def test_payment_history(self):
        History = self.env["agent.billing.payment.history"]
        rows = History.search([("partner_id", "=", self.client_a.id)], order="date, id")
        self.assertEqual(rows.mapped("kind"), ["payment", "credit_note", "payment"])
        self.assertEqual(
            rows.mapped("date"), [date(2025, 2, 10), date(2025, 2, 20), date(2025, 4, 15)]
        )
        self.assertEqual(rows.mapped("amount"), [400.0, 300.0, 600.0])
        self.assertEqual(rows.mapped("move_id"), self.inv_a1 | self.inv_a2)
        # A1 dated 01-01, due 01-31: paid after 40 days (10 late), then 104 days (74 late);
        # A2 dated 02-01, first installment due 02-01: credited after 19 days (19 late)
        self.assertEqual(rows.mapped("days_to_pay"), [40, 19, 104])
        self.assertEqual(rows.mapped("days_late"), [10, 19, 74])
        self.assertEqual(rows[1].payment_move_id, self.cn_a)
        self.assertFalse(rows[1].payment_id)
        self.assertEqual(rows[0].payment_id.move_id, rows[0].payment_move_id)
        self.assertEqual(rows[0].payment_id.journal_id, self.bank)
        self.assertEqual(rows[2].payment_id.journal_id, self.cash)
        self.assertEqual(rows[0].action_open_payment()["res_model"], "account.payment")
        self.assertEqual(rows[1].action_open_payment()["res_id"], self.cn_a.id)
        # B paid nothing on its invoices (the unapplied payment and open credit note are no
        # reconciliation)
        self.assertFalse(History.search([("partner_id", "=", self.client_b.id)]))

    def test_history_on_contact_goes_to_company(self):
        contact = self.env["res.partner"].create(
            {"name": "A's accountant", "parent_id": self.client_a.id}
        )
        action = contact.action_view_agent_payment_history()
        self.assertEqual(action["domain"], [("partner_id", "=", self.client_a.id)])
        self.assertEqual(contact.agent_payment_count, 3)
        action = contact.action_view_agent_aging()
        self.assertEqual(action["res_model"], "agent.billing.aging")

    @freeze_time("2025-05-01")
    def test_partner_payment_averages(self):
        # weighted by amount: (400 x 40 + 600 x 104) / 1000 = 78.4 (a plain average gives 72)
        self.assertEqual(self.client_a.agent_avg_days_to_pay, 78.4)
        self.assertEqual(self.client_a.agent_last_payment_date, date(2025, 4, 15))
        self.assertEqual(self.client_b.agent_avg_days_to_pay, 0.0)
        self.assertFalse(self.client_b.agent_last_payment_date)

    @freeze_time("2026-03-01")
    def test_partner_average_only_last_12_months(self):
        # 2025-02-10 is more than 12 months ago: only the 600 paid on 04-15 (104 days) counts
        self.assertEqual(self.client_a.agent_avg_days_to_pay, 104.0)
        self.assertEqual(self.client_a.agent_last_payment_date, date(2025, 4, 15))

    # ------------------------------------------------------------------ payment registration

    def test_register_payment_updates_outstanding_at_once(self):
        client = self._create_client("Client C", "CLC")
        checks = self.env["account.journal"].create(
            {
                "name": "Checks received",
                "code": "CHKR",
                "type": "bank",
            }
        )
        invoice = self._invoice(client, date(2025, 6, 1), 900.0, self.term_50_50)
        self.assertEqual(client.agent_outstanding, 900.0)

        def outstanding():
            # each screen is a new request: nothing kept from the previous read
            client.invalidate_recordset(["agent_outstanding", "agent_overdue"])
            return client.agent_outstanding

        def aged_today():
            self.env["agent.billing.aging"].invalidate_model()
            rows = self.env["agent.billing.aging"].search([("partner_id", "=", client.id)])
            return round(sum(rows.mapped("amount_residual")), 2)

        manual_in = self.bank.inbound_payment_method_line_ids.filtered(
            lambda m: m.code == "manual"
        )[:1]
        self._pay(invoice, 300.0, date(2025, 6, 5), self.bank, manual_in)
        self.assertEqual(invoice.payment_state, "partial")
        self.assertEqual(outstanding(), 600.0)
        self.assertEqual(aged_today(), 600.0)

        self._pay(invoice, 200.0, date(2025, 6, 20), self.cash)
        self.assertEqual(outstanding(), 400.0)
        self.assertEqual(aged_today(), 400.0)
        # both installments: the first (450) is paid off, 50 of the second too
        self.assertEqual(
            self._receivable(invoice).sorted("date_maturity").mapped("amount_residual"),
            [0.0, 400.0],
        )

        self._pay(invoice, 400.0, date(2025, 7, 2), checks)
        self.assertEqual(invoice.payment_state, "paid")
        self.assertEqual(outstanding(), 0.0)
        self.assertEqual(aged_today(), 0.0)

        history = self.env["agent.billing.payment.history"].search([("partner_id", "=", client.id)])
        self.assertEqual(set(history.mapped("kind")), {"payment"})
        self.assertEqual(round(sum(history.mapped("amount")), 2), 900.0)
        self.assertEqual(history.payment_id.journal_id, self.bank | self.cash | checks)
        # as of the day before the last payment, 400 were still owed on the second installment
        rows = self._aging(date(2025, 7, 1), client)
        self.assertEqual(rows.mapped("amount_residual"), [400.0])
        self.assertEqual(rows.date_maturity, date(2025, 7, 1))
        self.assertEqual(rows.bucket, "current")
