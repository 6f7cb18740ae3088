from odoo import _, api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import SQL, float_compare

from .agent_billing_run_detail import LINE_KINDS, PRICE_SOURCES

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
        BILLING_STATUSES,
        "Billing Status",
        compute="_compute_agent_billing_status",
        store=True,
        index=True,
        tracking=True,
        copy=False,
        help="Where a customer invoice stands for collection. Overdue is kept current by a "
        "daily scheduled action.",
    )
    agent_disputed = fields.Boolean(
        "Disputed",
        tracking=True,
        copy=False,
        help="The client disputes this invoice: it is shown as disputed until the flag is cleared.",
    )

    # --- Agent billing ---
    agent_contract_id = fields.Many2one(
        "agent.billing.contract",
        copy=False,
        index="btree_not_null",
        check_company=True,
        readonly=True,
    )
    agent_period_start = fields.Date("Billing Period Start", copy=False, readonly=True)
    agent_period_end = fields.Date("Billing Period End", copy=False, readonly=True)
    agent_period_released = fields.Boolean(
        "Period Released for Rebilling",
        copy=False,
        readonly=True,
        tracking=True,
        help="Fully credited, and its usage released: it no longer counts as this contract's "
        "invoice for the period, which a billing run may bill again.",
    )
    agent_run_id = fields.Many2one(
        "agent.billing.run",
        "Billing Run",
        copy=False,
        readonly=True,
        index="btree_not_null",
        check_company=True,
    )

    @api.depends(
        "move_type", "state", "payment_state", "is_move_sent", "invoice_date_due", "agent_disputed"
    )
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
        moves = self.search(
            [
                ("move_type", "=", "out_invoice"),
                ("agent_billing_status", "in", ("posted", "sent", "partial")),
                ("invoice_date_due", "<", today),
            ]
        )
        moves.with_context(agent_billing_today=today)._compute_agent_billing_status()
        return moves

    def init(self):
        # never two live invoices for the same contract and period, whoever creates them
        self.env.cr.execute(
            SQL(
                """DROP INDEX IF EXISTS account_move_agent_contract_period_uniq;
               CREATE UNIQUE INDEX IF NOT EXISTS account_move_agent_contract_period_live_uniq
               ON account_move (agent_contract_id, agent_period_start, agent_period_end)
               WHERE agent_contract_id IS NOT NULL AND move_type = 'out_invoice'
                 AND state != 'cancel' AND agent_period_released IS NOT TRUE"""
            )
        )
        return super().init()

    def _agent_rated_amount(self):
        """What the invoice bills in the terms rating used: each line's quantity x price less
        its discount, as entered. With price-excluded taxes this is the untaxed subtotal; with
        a price-included tax it is the line's total, of which Odoo takes the tax out."""
        self.ensure_one()
        currency = self.currency_id
        return currency.round(
            sum(
                currency.round(line.quantity * line.price_unit * (1 - (line.discount or 0.0) / 100))
                for line in self.invoice_line_ids
                if line.display_type == "product"
            )
        )

    @api.model
    def _agent_live_domain(self):
        """Customer invoices that bill their contract's period (not cancelled, not released)."""
        return [
            ("move_type", "=", "out_invoice"),
            ("state", "!=", "cancel"),
            ("agent_period_released", "=", False),
        ]

    def button_cancel(self):
        """A cancelled invoice no longer bills its usage: release it for a later run."""
        drafts = self.filtered(lambda m: m.state == "draft")
        usages = drafts.invoice_line_ids.agent_usage_ids
        self._agent_cancel_prepaid_sales()
        result = super().button_cancel()
        usages.write({"invoice_line_id": False})
        drafts.invoice_line_ids._agent_return_prepaid(_("invoice cancelled"))
        return result

    def _post(self, soft=True):
        posted = super()._post(soft=soft)
        sold = posted.filtered(lambda m: m.move_type == "out_invoice").invoice_line_ids.filtered(
            lambda line: line.product_id.agent_prepaid_metric_id
        )
        if sold:
            # posting the invoice is the permission that matters; blocks and their ledger are
            # billing records the invoicing user may not create directly
            posted.check_access("write")
            self.env["agent.billing.prepaid.block"].sudo()._create_from_invoice_lines(sold)
        return posted

    def _agent_cancel_prepaid_sales(self):
        """Blocks sold by these posted invoices are cancelled with them (if still unused)."""
        posted = self.filtered(lambda m: m.state == "posted")
        if not posted:
            return
        blocks = (
            self.env["agent.billing.prepaid.block"]
            .sudo()
            .search(
                [
                    ("invoice_line_id", "in", posted.invoice_line_ids.ids),
                    ("state", "!=", "cancelled"),
                ]
            )
        )
        for move in posted:
            move.check_access("write")  # as above: the invoice's own right decides
            blocks.filtered(lambda b, m=move: b.invoice_line_id.move_id == m)._cancel_sale(move)

    def button_draft(self):
        self._agent_cancel_prepaid_sales()
        for move in self:
            if move.state == "cancel" and move.agent_contract_id:
                raise UserError(
                    _(
                        "%(move)s was a billing-run invoice: its usage may have been billed again "
                        "since it was cancelled. Create a new billing run instead of reopening it.",
                        move=move.display_name,
                    )
                )
        return super().button_draft()


class AccountMoveLine(models.Model):
    _inherit = "account.move.line"

    # --- Agent billing: where the line comes from ---
    agent_kind = fields.Selection(
        LINE_KINDS,
        "Agent Billing Line",
        copy=False,
    )
    agent_deployment_id = fields.Many2one(
        "agent.billing.deployment", "Deployment", copy=False, index="btree_not_null"
    )
    agent_usage_ids = fields.One2many("agent.billing.usage", "invoice_line_id", "Usage Records")
    agent_metric_id = fields.Many2one("agent.billing.metric", "Metric", copy=False)
    agent_count = fields.Integer("Agents", copy=False)
    agent_days = fields.Integer("Days", copy=False)
    agent_days_in_period = fields.Integer("Days in Period", copy=False)
    agent_included_units = fields.Float(
        "Included Units", digits="Agent Billing Quantity", copy=False
    )
    agent_usage_quantity = fields.Float(
        "Usage Quantity",
        digits="Agent Billing Quantity",
        copy=False,
        help="All the usage of the line, included "
        "units too (the line's quantity may be what is billed).",
    )
    agent_rate = fields.Float(
        "Rate",
        digits="Product Price",
        copy=False,
        help="Monthly rate per agent, or tariff price per unit.",
    )
    agent_band_summary = fields.Char("Tier Bands", copy=False)
    agent_price_source = fields.Selection(PRICE_SOURCES, "Price From", copy=False)
    agent_prepaid_block_id = fields.Many2one(
        "agent.billing.prepaid.block",
        "Prepaid Block",
        copy=False,
        index="btree_not_null",
        help="The prepaid block this line's usage drew on.",
    )
    agent_prepaid_remaining = fields.Float(
        "Prepaid Left", digits="Agent Billing Quantity", copy=False
    )
    # --- Coverage: the deployment-days an agent line bills (or, a credit, takes back) ---
    agent_service_start = fields.Date("Service From", copy=False)
    agent_service_end = fields.Date("Service To", copy=False)
    agent_service_period = fields.Date(
        "Billing Period",
        copy=False,
        help="First day of the contract's billing period the service days belong to.",
    )
    agent_is_credit = fields.Boolean(
        "Coverage Credit",
        copy=False,
        help="Takes back days an earlier line billed that are no longer due.",
    )
    agent_credit_reason = fields.Char("Credit Reason", copy=False)

    @api.ondelete(at_uninstall=False)
    def _unlink_release_usage(self):
        self._agent_return_prepaid(_("line deleted"))
        self.agent_usage_ids.write({"invoice_line_id": False})

    def _agent_consume_prepaid(self):
        """Deduct what these prepaid lines covered from their blocks (once per line).

        Rating used the balance of the moment; the block rows are locked and checked again so
        that two invoices drawing on one block at once cannot take the same units."""
        lines = self.filtered(lambda line: line.agent_prepaid_block_id and line.quantity > 0)
        if not lines:
            return
        blocks = lines.agent_prepaid_block_id
        self.env.cr.execute(
            SQL(
                "SELECT id FROM agent_billing_prepaid_block WHERE id IN %s FOR NO KEY UPDATE",
                tuple(blocks.ids),
            )
        )
        blocks.invalidate_recordset(["units_remaining"])
        done = (
            self.env["agent.billing.prepaid.move"]
            .search([("invoice_line_id", "in", lines.ids), ("kind", "=", "deduction")])
            .invoice_line_id
        )
        for line in lines - done:
            block = line.agent_prepaid_block_id
            if (
                float_compare(
                    line.quantity,
                    block._claimable(),
                    precision_digits=self.env["decimal.precision"].precision_get(
                        "Agent Billing Quantity"
                    ),
                )
                > 0
            ):
                raise ValidationError(
                    _(
                        "Prepaid block %(block)s has %(left)s %(unit)s left but %(move)s draws "
                        "%(qty)s: another invoice used it meanwhile. Compute the run again.",
                        block=block.display_name,
                        left=block._claimable(),
                        unit=block.unit_name or "",
                        move=line.move_id.display_name,
                        qty=line.quantity,
                    )
                )
            block._draw(
                line.quantity,
                line,
                date=line.move_id.agent_period_end or line.move_id.invoice_date,
                note=_("Usage on %(move)s", move=line.move_id.display_name),
            )
            block.invalidate_recordset(["units_remaining"])
        blocks._check_low_balance()

    def _agent_return_prepaid(self, why):
        """Give back to their blocks the units these lines took (cancelled draft, deleted line,
        released credit note)."""
        moves = self.env["agent.billing.prepaid.move"].search(
            [("invoice_line_id", "in", self.ids), ("kind", "in", ("deduction", "return"))]
        )
        taken = {}
        for entry in moves:
            taken[entry.block_id, entry.invoice_line_id] = (
                taken.get((entry.block_id, entry.invoice_line_id), 0.0) + entry.quantity
            )
        for (block, line), quantity in taken.items():
            if quantity < 0:
                block._ledger(
                    "return",
                    -quantity,
                    invoice_line=line,
                    note=_("%(move)s: %(why)s", move=line.move_id.display_name, why=why),
                )
                if block.state == "expired":  # given back after the expiry: forfeited again
                    block._ledger(
                        "expiry",
                        quantity,
                        invoice_line=line,
                        note=_(
                            "%(move)s: returned after the expiry", move=line.move_id.display_name
                        ),
                    )
