from odoo import _, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

BILLING_STATUSES = [
    ("draft", "Draft"),
    ("posted", "Posted"),
    ("sent", "Sent"),
    ("partial", "Partially Paid"),
    ("paid", "Paid"),
    ("overdue", "Overdue"),
    ("disputed", "Disputed"),
    ("void", "Void"),
]


class AccountMove(models.Model):
    _inherit = "account.move"

    # --- Billing status (customer invoices) ---
    agent_billing_status = fields.Selection(
        BILLING_STATUSES, "Billing Status", compute="_compute_agent_billing_status",
        store=True, index=True, tracking=True, copy=False,
        help="Where a customer invoice stands for collection. Overdue is kept current by a "
        "daily scheduled action.",
    )
    agent_disputed = fields.Boolean(
        "Disputed", tracking=True, copy=False,
        help="The client disputes this invoice: it is shown as disputed until the flag is "
        "cleared.",
    )

    # --- Agent billing ---
    agent_contract_id = fields.Many2one(
        "agent.billing.contract", copy=False, index="btree_not_null",
        check_company=True, readonly=True,
    )
    agent_period_start = fields.Date("Billing Period Start", copy=False, readonly=True)
    agent_period_end = fields.Date("Billing Period End", copy=False, readonly=True)
    agent_run_id = fields.Many2one(
        "agent.billing.run", "Billing Run", copy=False, readonly=True, index="btree_not_null",
        check_company=True,
    )

    @api.depends("move_type", "state", "payment_state", "is_move_sent", "invoice_date_due",
                 "agent_disputed")
    def _compute_agent_billing_status(self):
        today = self.env.context.get("agent_billing_today") or fields.Date.context_today(self)
        for move in self:
            move.agent_billing_status = move._agent_billing_status(today)

    def _agent_billing_status(self, today):
        """The status of one customer invoice on ``today`` (False for other moves)."""
        self.ensure_one()
        if self.move_type != "out_invoice":
            return False
        if self.state == "draft":
            return "draft"
        if self.state == "cancel" or self.payment_state == "reversed":
            return "void"
        if self.payment_state in ("paid", "in_payment"):
            return "paid"
        if self.agent_disputed:
            return "disputed"
        if self.invoice_date_due and self.invoice_date_due < today:
            return "overdue"
        if self.payment_state == "partial":
            return "partial"
        return "sent" if self.is_move_sent else "posted"

    @api.model
    def _cron_update_billing_status(self, today=None):
        """Invoices whose due date has passed become overdue (a date is no field dependency)."""
        today = today or fields.Date.context_today(self)
        moves = self.search([
            ("move_type", "=", "out_invoice"),
            ("agent_billing_status", "in", ("posted", "sent", "partial")),
            ("invoice_date_due", "<", today),
        ])
        moves.with_context(agent_billing_today=today)._compute_agent_billing_status()
        return moves

    def init(self):
        # never two live invoices for the same contract and period, whoever creates them
        self.env.cr.execute(SQL(
            """CREATE UNIQUE INDEX IF NOT EXISTS account_move_agent_contract_period_uniq
               ON account_move (agent_contract_id, agent_period_start, agent_period_end)
               WHERE agent_contract_id IS NOT NULL AND move_type = 'out_invoice'
                 AND state != 'cancel'"""
        ))
        return super().init()

    def button_cancel(self):
        """A cancelled invoice no longer bills its usage: release it for a later run."""
        usages = self.filtered(lambda m: m.state == "draft").invoice_line_ids.agent_usage_ids
        result = super().button_cancel()
        usages.write({"invoice_line_id": False})
        return result

    def button_draft(self):
        for move in self:
            if move.state == "cancel" and move.agent_contract_id:
                raise UserError(_(
                    "%(move)s was a billing-run invoice: its usage may have been billed again "
                    "since it was cancelled. Create a new billing run instead of reopening it.",
                    move=move.display_name))
        return super().button_draft()


class AccountMoveLine(models.Model):
    _inherit = "account.move.line"

    # --- Agent billing: where the line comes from ---
    agent_kind = fields.Selection(
        [("agents", "Agents"), ("usage", "Usage"), ("minimum", "Minimum commitment")],
        "Agent Billing Line", copy=False,
    )
    agent_deployment_id = fields.Many2one("agent.billing.deployment", "Deployment", copy=False,
                                          index="btree_not_null")
    agent_usage_ids = fields.One2many("agent.billing.usage", "invoice_line_id", "Usage Records")
    agent_metric_id = fields.Many2one("agent.billing.metric", "Metric", copy=False)
    agent_count = fields.Integer("Agents", copy=False)
    agent_days = fields.Integer("Days", copy=False)
    agent_days_in_period = fields.Integer("Days in Period", copy=False)
    agent_included_units = fields.Float("Included Units", digits="Agent Billing Quantity",
                                        copy=False)
    agent_band_summary = fields.Char("Tier Bands", copy=False)
    agent_price_source = fields.Selection(
        [("override", "Client override"), ("tier", "Contract tier"), ("catalog", "Catalog"),
         ("contract", "Contract")], "Price From", copy=False,
    )

    @api.ondelete(at_uninstall=False)
    def _unlink_release_usage(self):
        self.agent_usage_ids.write({"invoice_line_id": False})
