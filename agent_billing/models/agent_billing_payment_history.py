"""Client payment history: one row per reconciliation of a customer invoice's receivable item.

A row is one ``account.partial.reconcile`` between the receivable item of a posted customer
invoice (debit side) and what settled it (credit side): a payment (its journal entry, or a bank
statement line), a credit note, or another entry (write-off...). Exchange-difference entries
are left out: they settle no debt. The date is the reconciliation's ``max_date`` (the later of
the two dates: a payment received before the invoice counts as paid on the invoice date).
The client is the commercial partner of the invoice's receivable item (Odoo puts the invoice's
commercial partner there), reached through indexes when the history of one client is read.
"""

from odoo import fields, models
from odoo.tools import SQL

HISTORY_KINDS = [
    ("payment", "Payment"),
    ("credit_note", "Credit Note"),
    ("other", "Other Entry"),
]


class AgentBillingPaymentHistory(models.Model):
    _name = "agent.billing.payment.history"
    _description = "Client payment history"
    _auto = False
    _order = "date desc, id desc"
    _rec_name = "move_id"

    company_id = fields.Many2one("res.company", readonly=True)
    currency_id = fields.Many2one("res.currency", "Company Currency", readonly=True)
    partner_id = fields.Many2one("res.partner", "Client", readonly=True)
    move_id = fields.Many2one("account.move", "Invoice", readonly=True)
    payment_move_id = fields.Many2one("account.move", "Paid By", readonly=True)
    payment_id = fields.Many2one("account.payment", readonly=True)
    kind = fields.Selection(HISTORY_KINDS, readonly=True)
    date = fields.Date("Payment Date", readonly=True)
    invoice_date = fields.Date(readonly=True)
    due_date = fields.Date(readonly=True)
    amount = fields.Monetary(readonly=True, currency_field="currency_id")
    days_to_pay = fields.Integer(
        "Days to Pay",
        readonly=True,
        aggregator="avg",
        help="Payment date minus invoice date.",
    )
    days_late = fields.Integer(
        readonly=True,
        aggregator="avg",
        help="Payment date minus due date: negative when paid early.",
    )
    days_to_pay_amount = fields.Float(
        "Days to Pay x Amount",
        readonly=True,
        digits=(16, 2),
        help="Days to pay multiplied by the amount: with the amount, gives the average days to "
        "pay weighted by amount.",
    )

    _depends = {
        "account.partial.reconcile": [
            "debit_move_id",
            "credit_move_id",
            "amount",
            "max_date",
            "exchange_move_id",
        ],
        "account.full.reconcile": ["exchange_move_id"],
        "account.move.line": [
            "move_id",
            "company_id",
            "account_id",
            "date_maturity",
            "parent_state",
            "partner_id",
        ],
        "account.move": [
            "move_type",
            "invoice_date",
            "invoice_date_due",
            "commercial_partner_id",
            "origin_payment_id",
            "statement_line_id",
        ],
        "account.account": ["account_type"],
        "res.company": ["currency_id"],
        "res.partner": ["commercial_partner_id"],
    }

    @property
    def _table_query(self):
        return SQL(
            """
            SELECT apr.id AS id,
                   inv_line.company_id AS company_id,
                   company.currency_id AS currency_id,
                   partner.commercial_partner_id AS partner_id,
                   inv_move.id AS move_id,
                   pay_move.id AS payment_move_id,
                   pay_move.origin_payment_id AS payment_id,
                   CASE WHEN pay_move.move_type = 'out_refund' THEN 'credit_note'
                        WHEN pay_move.origin_payment_id IS NOT NULL
                             OR pay_move.statement_line_id IS NOT NULL THEN 'payment'
                        ELSE 'other' END AS kind,
                   apr.max_date AS date,
                   inv_move.invoice_date AS invoice_date,
                   COALESCE(inv_line.date_maturity, inv_move.invoice_date_due) AS due_date,
                   apr.amount AS amount,
                   apr.max_date - inv_move.invoice_date AS days_to_pay,
                   apr.max_date - COALESCE(inv_line.date_maturity, inv_move.invoice_date_due)
                       AS days_late,
                   (apr.max_date - inv_move.invoice_date) * apr.amount AS days_to_pay_amount
              FROM account_partial_reconcile apr
              JOIN account_move_line inv_line ON inv_line.id = apr.debit_move_id
              JOIN account_move inv_move ON inv_move.id = inv_line.move_id
              JOIN account_account account ON account.id = inv_line.account_id
              JOIN account_move_line pay_line ON pay_line.id = apr.credit_move_id
              JOIN account_move pay_move ON pay_move.id = pay_line.move_id
              JOIN res_company company ON company.id = inv_line.company_id
              JOIN res_partner partner ON partner.id = inv_line.partner_id
             WHERE inv_move.move_type = 'out_invoice'
               AND inv_line.parent_state = 'posted'
               AND account.account_type = 'asset_receivable'
               AND NOT EXISTS (SELECT 1 FROM account_partial_reconcile exchange
                                WHERE exchange.exchange_move_id = pay_move.id)
               AND NOT EXISTS (SELECT 1 FROM account_full_reconcile exchange
                                WHERE exchange.exchange_move_id = pay_move.id)
            """
        )

    def action_open_move(self):
        """The invoice of this history row."""
        self.ensure_one()
        return self._open_form(self.move_id)

    def action_open_payment(self):
        """The payment (or the entry that settled the invoice) of this history row."""
        self.ensure_one()
        if self.payment_id:
            return self._open_form(self.payment_id)
        return self._open_form(self.payment_move_id)

    def _open_form(self, record):
        return {
            "type": "ir.actions.act_window",
            "res_model": record._name,
            "res_id": record.id,
            "views": [(False, "form")],
            "target": "current",
        }
