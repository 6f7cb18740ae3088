from odoo import fields, models
from odoo.tools import SQL

from .agent_billing_report_mixin import SETTLED_PAYMENT_STATES
from .agent_billing_revenue_report import BILLING_MODELS

AGING_BUCKETS = [
    ("current", "Not due"),
    ("1_30", "1-30 days"),
    ("31_60", "31-60 days"),
    ("61_90", "61-90 days"),
    ("90_plus", "90+ days"),
]


class AgentBillingReceivableReport(models.Model):
    """Receivables analysis: one row per open customer invoice, aged on today's date.

    Open: posted customer invoices not paid, in payment or reversed (the client's Outstanding of
    agent_billing, and the dashboard's). Amounts in company currency. The days past due are
    today minus the due date (negative: not due yet)."""

    _name = "agent.billing.receivable.report"
    _description = "Agent billing receivables analysis"
    _auto = False
    _order = "days_overdue desc, id"
    _rec_name = "move_id"

    company_id = fields.Many2one("res.company", readonly=True)
    currency_id = fields.Many2one("res.currency", "Company Currency", readonly=True)
    partner_id = fields.Many2one("res.partner", "Client", readonly=True)
    move_id = fields.Many2one("account.move", "Invoice", readonly=True)
    invoice_date = fields.Date(readonly=True)
    date_due = fields.Date("Due Date", readonly=True)
    contract_id = fields.Many2one("agent.billing.contract", readonly=True)
    billing_model = fields.Selection(BILLING_MODELS, readonly=True)
    amount_total = fields.Monetary("Invoiced", readonly=True, currency_field="currency_id")
    amount_residual = fields.Monetary("Open Amount", readonly=True, currency_field="currency_id")
    days_overdue = fields.Integer("Days Past Due", readonly=True, aggregator="max")
    aging_bucket = fields.Selection(AGING_BUCKETS, "Aging", readonly=True)
    status = fields.Selection([("pending", "Pending"), ("overdue", "Overdue")], readonly=True)

    # what is flushed to the database before the view is read
    _depends = {
        "account.move": [
            "move_type",
            "state",
            "payment_state",
            "company_id",
            "commercial_partner_id",
            "invoice_date",
            "invoice_date_due",
            "agent_contract_id",
            "amount_total_signed",
            "amount_residual_signed",
        ],
        "agent.billing.contract": ["billing_model"],
        "res.company": ["currency_id"],
    }

    @property
    def _table_query(self):
        # the day the statuses and ages are computed for (a context key lets tests fix it)
        today = self.env.context.get("agent_billing_today") or fields.Date.context_today(self)
        return SQL(
            """SELECT move.id AS id,
                      move.company_id AS company_id,
                      company.currency_id AS currency_id,
                      move.commercial_partner_id AS partner_id,
                      move.id AS move_id,
                      move.invoice_date AS invoice_date,
                      move.invoice_date_due AS date_due,
                      move.agent_contract_id AS contract_id,
                      COALESCE(contract.billing_model, 'none') AS billing_model,
                      move.amount_total_signed AS amount_total,
                      move.amount_residual_signed AS amount_residual,
                      %(today)s - COALESCE(move.invoice_date_due, %(today)s) AS days_overdue,
                      CASE WHEN %(today)s - COALESCE(move.invoice_date_due, %(today)s) <= 0
                               THEN 'current'
                           WHEN %(today)s - move.invoice_date_due <= 30 THEN '1_30'
                           WHEN %(today)s - move.invoice_date_due <= 60 THEN '31_60'
                           WHEN %(today)s - move.invoice_date_due <= 90 THEN '61_90'
                           ELSE '90_plus' END AS aging_bucket,
                      CASE WHEN move.invoice_date_due < %(today)s THEN 'overdue'
                           ELSE 'pending' END AS status
                 FROM account_move move
                 JOIN res_company company ON company.id = move.company_id
                 LEFT JOIN agent_billing_contract contract ON contract.id = move.agent_contract_id
                WHERE move.move_type = 'out_invoice'
                  AND move.state = 'posted'
                  AND move.payment_state NOT IN %(settled)s""",
            today=today,
            settled=SETTLED_PAYMENT_STATES,
        )
