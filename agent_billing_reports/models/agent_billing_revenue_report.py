from odoo import fields, models
from odoo.tools import SQL

from .agent_billing_report_mixin import SETTLED_PAYMENT_STATES

BILLING_MODELS = [
    ("per_agent", "Monthly per agent"),
    ("usage", "Usage-based"),
    ("contract", "Contract tier"),
    ("none", "Without contract"),
]
PAYMENT_STATUSES = [("paid", "Paid"), ("pending", "Pending"), ("overdue", "Overdue")]


class AgentBillingRevenueReport(models.Model):
    """Revenue analysis: one row per line of a posted customer invoice or credit note.

    The amount is the line's untaxed amount in company currency, negative on credit notes, so
    that any grouping adds up to the invoices' untaxed totals. The date is the invoice date;
    the service month is the start of the billing period the invoice bills (its invoice date
    when it bills no period)."""

    _name = "agent.billing.revenue.report"
    _description = "Agent billing revenue analysis"
    _auto = False
    _order = "date desc, id desc"
    _rec_name = "move_id"

    date = fields.Date("Invoice Date", readonly=True)
    service_date = fields.Date(
        "Service Month", readonly=True, help="Start of the billing period the invoice bills."
    )
    company_id = fields.Many2one("res.company", readonly=True)
    currency_id = fields.Many2one("res.currency", "Company Currency", readonly=True)
    partner_id = fields.Many2one("res.partner", "Client", readonly=True)
    move_id = fields.Many2one("account.move", "Invoice", readonly=True)
    move_type = fields.Selection(
        [("out_invoice", "Invoice"), ("out_refund", "Credit Note")], "Type", readonly=True
    )
    contract_id = fields.Many2one("agent.billing.contract", readonly=True)
    billing_model = fields.Selection(BILLING_MODELS, readonly=True)
    product_id = fields.Many2one("product.product", readonly=True)
    agent_type_id = fields.Many2one("product.product", readonly=True)
    kind = fields.Selection(
        [
            ("agents", "Agents"),
            ("usage", "Usage"),
            ("minimum", "Minimum commitment"),
            ("prepaid", "Prepaid block"),
            ("other", "Other"),
        ],
        "Line Kind",
        readonly=True,
    )
    metric_id = fields.Many2one("agent.billing.metric", readonly=True)
    quantity = fields.Float(readonly=True, digits="Product Unit of Measure")
    agent_count = fields.Integer("Agents", readonly=True, aggregator="sum")
    amount = fields.Monetary("Revenue", readonly=True, currency_field="currency_id")
    payment_status = fields.Selection(
        PAYMENT_STATUSES, readonly=True, help="Of the invoice, on today's date."
    )

    # what is flushed to the database before the view is read
    _depends = {
        "account.move": [
            "move_type",
            "state",
            "invoice_date",
            "invoice_date_due",
            "commercial_partner_id",
            "payment_state",
            "agent_contract_id",
            "agent_period_start",
        ],
        "account.move.line": [
            "move_id",
            "company_id",
            "display_type",
            "product_id",
            "quantity",
            "balance",
            "agent_kind",
            "agent_metric_id",
            "agent_count",
        ],
        "agent.billing.contract": ["billing_model"],
        "product.product": ["product_tmpl_id"],
        "product.template": ["is_agent_type"],
        "res.company": ["currency_id"],
    }

    @property
    def _table_query(self):
        # the day the statuses and ages are computed for (a context key lets tests fix it)
        today = self.env.context.get("agent_billing_today") or fields.Date.context_today(self)
        return SQL(
            """SELECT line.id AS id,
                      move.invoice_date AS date,
                      date_trunc('month', COALESCE(move.agent_period_start, move.invoice_date))
                          ::date AS service_date,
                      line.company_id AS company_id,
                      company.currency_id AS currency_id,
                      move.commercial_partner_id AS partner_id,
                      move.id AS move_id,
                      move.move_type AS move_type,
                      move.agent_contract_id AS contract_id,
                      COALESCE(contract.billing_model, 'none') AS billing_model,
                      line.product_id AS product_id,
                      CASE WHEN template.is_agent_type THEN line.product_id END AS agent_type_id,
                      COALESCE(line.agent_kind, 'other') AS kind,
                      line.agent_metric_id AS metric_id,
                      CASE WHEN move.move_type = 'out_refund' THEN -line.quantity
                           ELSE line.quantity END AS quantity,
                      line.agent_count AS agent_count,
                      -line.balance AS amount,
                      CASE WHEN move.payment_state IN %(settled)s THEN 'paid'
                           WHEN move.invoice_date_due < %(today)s THEN 'overdue'
                           ELSE 'pending' END AS payment_status
                 FROM account_move_line line
                 JOIN account_move move ON move.id = line.move_id
                 JOIN res_company company ON company.id = line.company_id
                 LEFT JOIN agent_billing_contract contract ON contract.id = move.agent_contract_id
                 LEFT JOIN product_product product ON product.id = line.product_id
                 LEFT JOIN product_template template ON template.id = product.product_tmpl_id
                WHERE move.move_type IN ('out_invoice', 'out_refund')
                  AND move.state = 'posted'
                  AND line.display_type IN ('product', 'rounding')""",
            settled=SETTLED_PAYMENT_STATES,
            today=today,
        )
