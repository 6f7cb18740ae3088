"""Receivables aging as of any date: one row per open receivable journal item.

The residual of a journal item *as of* a date is rebuilt from today's residual by adding back
the reconciliations dated after that date (``account_partial_reconcile.max_date`` is the later
of the two matched items' dates, so a payment dated after the as-of date is not deducted).
Only items that are open today, or that have a reconciliation after the as-of date, can be open
on that date: both sets come from indexes (Odoo's partial index on unreconciled items, and the
``max_date`` index created in :meth:`init`), so the query cost follows the number of open items,
not the size of the ledger.

Decisions:

* Every posted item on a receivable account counts, not only invoices: open credit notes and
  customer payments not yet matched to an invoice (``kind`` credit note / payment) are negative
  rows, so the client's total is the balance the client really owes.
* A negative (credit) row is never overdue: it sits in the *current* bucket with 0 days, so that
  unapplied credits reduce the client's total without making the client look late.
* Each installment of a payment term is its own receivable item, with its own due date.
* Amounts are in company currency (``amount_residual``); ``amount_residual_currency`` is the same
  residual in the item's own currency.
* The client is the commercial partner of the item's partner; the billing status and the
  salesperson are the invoice's current ones (they are not rebuilt as of the date).
* The aging follows the ledger: a payment counts from the date of its journal entry once it is
  reconciled with the invoice (Odoo's register-payment wizard does both at once).
"""

from datetime import date

from odoo import _, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from .account_move import BILLING_STATUSES

AGING_BUCKETS = [
    ("current", "Current"),
    ("1_30", "1-30"),
    ("31_60", "31-60"),
    ("61_90", "61-90"),
    ("90_plus", "90+"),
]

# the same row (journal item) has other values on another as-of date: the record cache must keep
# them apart, as for any context-dependent field
AS_OF = ("agent_aging_date",)

AGING_KINDS = [
    ("invoice", "Invoice"),
    ("credit_note", "Credit Note"),
    ("payment", "Payment"),
    ("other", "Other Entry"),
]


class AgentBillingAging(models.Model):
    _name = "agent.billing.aging"
    _description = "Receivables aging"
    _auto = False
    _rec_name = "move_name"
    _order = "days_overdue desc, date_maturity, id"

    company_id = fields.Many2one("res.company", readonly=True)
    currency_id = fields.Many2one("res.currency", "Company Currency", readonly=True)
    partner_id = fields.Many2one("res.partner", "Client", readonly=True)
    move_id = fields.Many2one("account.move", "Journal Entry", readonly=True)
    move_name = fields.Char("Number", readonly=True)
    kind = fields.Selection(AGING_KINDS, readonly=True)
    invoice_date = fields.Date(readonly=True)
    date_maturity = fields.Date("Due Date", readonly=True)
    days_overdue = fields.Integer(
        readonly=True,
        aggregator="max",
        depends_context=AS_OF,
        help="Days between the due date and the as-of date (0 when not yet due). Grouped, the "
        "largest one: the client's oldest debt.",
    )
    # group_expand: grouped lists show the buckets in their order (current first), not sorted
    # by their keys
    bucket = fields.Selection(
        AGING_BUCKETS, readonly=True, depends_context=AS_OF, group_expand=True
    )
    amount_residual = fields.Monetary(
        "Open Amount", readonly=True, currency_field="currency_id", depends_context=AS_OF
    )
    amount_current = fields.Monetary(
        "Current", readonly=True, currency_field="currency_id", depends_context=AS_OF
    )
    amount_1_30 = fields.Monetary(
        "1-30", readonly=True, currency_field="currency_id", depends_context=AS_OF
    )
    amount_31_60 = fields.Monetary(
        "31-60", readonly=True, currency_field="currency_id", depends_context=AS_OF
    )
    amount_61_90 = fields.Monetary(
        "61-90", readonly=True, currency_field="currency_id", depends_context=AS_OF
    )
    amount_90_plus = fields.Monetary(
        "90+", readonly=True, currency_field="currency_id", depends_context=AS_OF
    )
    invoice_currency_id = fields.Many2one("res.currency", "Currency", readonly=True)
    amount_residual_currency = fields.Monetary(
        "Open Amount in Currency",
        readonly=True,
        currency_field="invoice_currency_id",
        aggregator=None,
        depends_context=AS_OF,
    )
    agent_billing_status = fields.Selection(BILLING_STATUSES, "Billing Status", readonly=True)
    invoice_user_id = fields.Many2one("res.users", "Salesperson", readonly=True)
    as_of_date = fields.Date("As of", readonly=True, depends_context=AS_OF)

    _depends = {
        "account.move.line": [
            "move_id",
            "company_id",
            "partner_id",
            "account_id",
            "date",
            "date_maturity",
            "parent_state",
            "reconciled",
            "amount_residual",
            "amount_residual_currency",
            "currency_id",
        ],
        "account.move": [
            "name",
            "move_type",
            "invoice_date",
            "invoice_user_id",
            "agent_billing_status",
            "origin_payment_id",
            "statement_line_id",
            "commercial_partner_id",
        ],
        "account.partial.reconcile": [
            "debit_move_id",
            "credit_move_id",
            "amount",
            "debit_amount_currency",
            "credit_amount_currency",
            "max_date",
        ],
        "account.account": ["account_type"],
        "res.partner": ["commercial_partner_id"],
        "res.company": ["currency_id"],
    }

    @api.model
    def _aging_date(self):
        """The as-of date from the context (``agent_aging_date``), today by default."""
        value = self.env.context.get("agent_aging_date")
        if not value:
            return fields.Date.context_today(self)
        if isinstance(value, date):
            return value
        try:
            return fields.Date.to_date(value)
        except (TypeError, ValueError):
            raise UserError(
                _(
                    "Receivables aging: %(value)s is not a valid as-of date (expected YYYY-MM-DD).",
                    value=value,
                )
            ) from None

    @property
    def _table_query(self):
        return self._aging_query(self._aging_date())

    @api.model
    def _receivable_account_ids(self):
        # given as literals, so that the planner estimates them from the column statistics
        # and picks the partial index below (an ARRAY(subquery) is estimated blindly)
        self.env["account.account"].flush_model(["account_type"])
        rows = self.env.execute_query(
            SQL("SELECT id FROM account_account WHERE account_type = 'asset_receivable'")
        )
        return tuple(row[0] for row in rows) or (0,)

    @api.model
    def _aging_query(self, as_of):
        """Open receivable items as of ``as_of``, in two disjoint sets:

        * items open today (Odoo's partial index account_move_line__unreconciled_index: the
          WHERE clause repeats its predicate so that the planner uses it);
        * items fully reconciled today, but by reconciliations dated after the date (found
          from account_partial_reconcile by max_date, see :meth:`init`).

        Both get back what was reconciled with them after the date (``later``, empty for today).
        The client is joined inside each set, so that a filter on one client reaches the
        indexes on partner ids; the move and the company are LEFT JOINs on their primary key,
        so that PostgreSQL drops them from queries that use none of their columns (sorting,
        counting, sums by client or bucket).
        """
        return SQL(
            """
            WITH later AS MATERIALIZED (
                -- what was reconciled after the date, per journal item (+ on the debit side)
                SELECT line_id, SUM(amount) AS amount, SUM(amount_currency) AS amount_currency
                  FROM (
                        SELECT debit_move_id AS line_id, amount,
                               debit_amount_currency AS amount_currency
                          FROM account_partial_reconcile
                         WHERE max_date > %(as_of)s
                     UNION ALL
                        SELECT credit_move_id, -amount, -credit_amount_currency
                          FROM account_partial_reconcile
                         WHERE max_date > %(as_of)s
                       ) partial
                 GROUP BY line_id
            ), open_line AS (
                SELECT aml.id, aml.move_id, aml.company_id,
                       partner.commercial_partner_id AS partner_id, aml.date,
                       aml.date_maturity, aml.currency_id,
                       aml.amount_residual + COALESCE(later.amount, 0) AS residual,
                       aml.amount_residual_currency + COALESCE(later.amount_currency, 0)
                           AS residual_currency
                  FROM account_move_line aml
                  LEFT JOIN res_partner partner ON partner.id = aml.partner_id
                  LEFT JOIN later ON later.line_id = aml.id
                 WHERE (aml.reconciled IS NULL OR aml.reconciled = false
                        OR aml.reconciled IS NOT true)
                   AND aml.parent_state = 'posted'
                   AND aml.account_id IN %(receivable)s
                   AND aml.date <= %(as_of)s
             UNION ALL
                SELECT later.line_id, aml.move_id, aml.company_id,
                       partner.commercial_partner_id, aml.date,
                       aml.date_maturity, aml.currency_id,
                       aml.amount_residual + later.amount,
                       aml.amount_residual_currency + later.amount_currency
                  FROM later
                  -- one primary-key lookup per item reconciled after the date (OFFSET 0 keeps
                  -- the planner from scanning every reconciled receivable item instead)
                  JOIN LATERAL (
                        SELECT * FROM account_move_line line WHERE line.id = later.line_id OFFSET 0
                       ) aml ON TRUE
                  LEFT JOIN res_partner partner ON partner.id = aml.partner_id
                 WHERE aml.reconciled IS TRUE
                   AND aml.parent_state = 'posted'
                   AND aml.account_id IN %(receivable)s
                   AND aml.date <= %(as_of)s
            )
            SELECT aged.id AS id,
                   aged.company_id AS company_id,
                   company.currency_id AS currency_id,
                   aged.partner_id AS partner_id,
                   aged.move_id AS move_id,
                   move.name AS move_name,
                   CASE WHEN move.move_type IN ('out_invoice', 'out_receipt') THEN 'invoice'
                        WHEN move.move_type = 'out_refund' THEN 'credit_note'
                        WHEN move.origin_payment_id IS NOT NULL
                             OR move.statement_line_id IS NOT NULL THEN 'payment'
                        ELSE 'other' END AS kind,
                   move.invoice_date AS invoice_date,
                   aged.due AS date_maturity,
                   aged.days AS days_overdue,
                   CASE WHEN aged.days = 0 THEN 'current'
                        WHEN aged.days <= 30 THEN '1_30'
                        WHEN aged.days <= 60 THEN '31_60'
                        WHEN aged.days <= 90 THEN '61_90'
                        ELSE '90_plus' END AS bucket,
                   aged.residual AS amount_residual,
                   CASE WHEN aged.days = 0 THEN aged.residual ELSE 0 END AS amount_current,
                   CASE WHEN aged.days BETWEEN 1 AND 30 THEN aged.residual ELSE 0 END
                       AS amount_1_30,
                   CASE WHEN aged.days BETWEEN 31 AND 60 THEN aged.residual ELSE 0 END
                       AS amount_31_60,
                   CASE WHEN aged.days BETWEEN 61 AND 90 THEN aged.residual ELSE 0 END
                       AS amount_61_90,
                   CASE WHEN aged.days > 90 THEN aged.residual ELSE 0 END AS amount_90_plus,
                   COALESCE(aged.currency_id, company.currency_id) AS invoice_currency_id,
                   aged.residual_currency AS amount_residual_currency,
                   move.agent_billing_status AS agent_billing_status,
                   move.invoice_user_id AS invoice_user_id,
                   %(as_of)s AS as_of_date
              FROM (
                    SELECT ol.*,
                           COALESCE(ol.date_maturity, ol.date) AS due,
                           CASE WHEN ol.residual > 0
                                     AND COALESCE(ol.date_maturity, ol.date) < %(as_of)s
                                THEN %(as_of)s - COALESCE(ol.date_maturity, ol.date)
                                ELSE 0 END AS days
                      FROM open_line ol
                     WHERE ol.residual != 0
                   ) aged
              LEFT JOIN account_move move ON move.id = aged.move_id
              LEFT JOIN res_company company ON company.id = aged.company_id
            """,
            as_of=SQL("%s::date", as_of),
            receivable=self._receivable_account_ids(),
        )

    def init(self):
        # "reconciled after the as-of date" is a range on max_date: Odoo has no index on it
        self.env.cr.execute(
            SQL(
                """CREATE INDEX IF NOT EXISTS account_partial_reconcile_agent_max_date_idx
               ON account_partial_reconcile (max_date)"""
            )
        )
        return super().init()

    @api.model
    def search_fetch(self, domain, field_names, offset=0, limit=None, order=None):
        """A page of the list in two steps: the ids of the page first (sorting the open items
        needs no invoice columns, so PostgreSQL skips the join to account_move), then the
        fields of these rows only (primary-key lookups), instead of joining the invoice of
        every open item before keeping a page of them."""
        records = super().search_fetch(domain, [], offset=offset, limit=limit, order=order)
        if records and field_names:
            records.fetch(field_names)
        return records

    def action_open_move(self):
        """Drill-down: the invoice (or credit note / payment entry) of this aging row."""
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": "account.move",
            "res_id": self.move_id.id,
            "views": [(False, "form")],
            "target": "current",
        }
