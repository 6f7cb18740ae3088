from dateutil.relativedelta import relativedelta

from odoo import _, api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import float_compare, float_is_zero, float_round


class AgentBillingPrepaidBlock(models.Model):
    """A block of hours or task credits a client paid in advance (a retainer).

    Its balance is the sum of its ledger: the top-up from the invoice line that sold it, the
    deductions of the invoices whose usage it covered, and its expiry. Usage consumes blocks
    automatically when it is rated, earliest expiry first.
    """

    _name = "agent.billing.prepaid.block"
    _description = "Prepaid block of hours or task credits"
    _inherit = ["agent.billing.client.mixin", "mail.thread", "mail.activity.mixin"]
    _order = "date_start desc, id desc"
    _check_company_auto = True
    _sequence_code = "agent.billing.prepaid.block"

    name = fields.Char(
        "Reference", required=True, copy=False, readonly=True, default=lambda self: _("New")
    )
    company_id = fields.Many2one(
        "res.company", required=True, readonly=True, default=lambda self: self.env.company
    )
    partner_id = fields.Many2one(
        "res.partner",
        "Client",
        required=True,
        readonly=True,
        index=True,
        check_company=True,
        tracking=True,
    )
    metric_id = fields.Many2one(
        "agent.billing.metric",
        "Covers",
        required=True,
        readonly=True,
        check_company=True,
        tracking=True,
    )
    unit_name = fields.Char(related="metric_id.unit_name")
    date_start = fields.Date("Valid From", required=True, readonly=True, tracking=True)
    date_expiry = fields.Date(
        "Expires On", tracking=True, help="Last day usage can draw on the block; empty: no expiry."
    )
    invoice_line_id = fields.Many2one(
        "account.move.line",
        "Sold On",
        readonly=True,
        copy=False,
        index="btree_not_null",
        ondelete="set null",
    )
    invoice_id = fields.Many2one(related="invoice_line_id.move_id", string="Invoice", store=True)
    user_id = fields.Many2one(
        "res.users",
        "Account Manager",
        tracking=True,
        default=lambda self: self.env.user,
        help="Gets the low-balance activity.",
    )
    low_balance_percent = fields.Float(
        "Low Balance Alert (%)",
        default=20.0,
        tracking=True,
        help="When the remaining units fall to this share of the units bought, the account "
        "manager gets an activity (once per block).",
    )
    low_balance_alerted = fields.Boolean(readonly=True, copy=False)
    move_ids = fields.One2many("agent.billing.prepaid.move", "block_id", "Ledger")
    units_total = fields.Float(
        "Units Bought", compute="_compute_units", store=True, digits="Agent Billing Quantity"
    )
    units_used = fields.Float(compute="_compute_units", store=True, digits="Agent Billing Quantity")
    units_remaining = fields.Float(
        "Remaining",
        compute="_compute_units",
        store=True,
        digits="Agent Billing Quantity",
        tracking=True,
    )
    remaining_percent = fields.Float("Remaining (%)", compute="_compute_units", store=True)
    state = fields.Selection(
        [
            ("active", "Active"),
            ("exhausted", "Used Up"),
            ("expired", "Expired"),
            ("cancelled", "Cancelled"),
        ],
        compute="_compute_units",
        store=True,
        tracking=True,
        index=True,
    )

    _sql_constraints = [
        (
            "invoice_line_uniq",
            "unique(invoice_line_id)",
            "An invoice line sells at most one prepaid block.",
        ),
    ]

    @api.depends("move_ids.quantity", "move_ids.kind")
    def _compute_units(self):
        digits = self.env["decimal.precision"].precision_get("Agent Billing Quantity")
        for block in self:
            by_kind = {}
            for move in block.move_ids:
                by_kind[move.kind] = by_kind.get(move.kind, 0.0) + move.quantity
            total = float_round(
                by_kind.get("topup", 0.0) + by_kind.get("cancel", 0.0), precision_digits=digits
            )
            used = float_round(
                -by_kind.get("deduction", 0.0) - by_kind.get("return", 0.0), precision_digits=digits
            )
            remaining = float_round(sum(by_kind.values()), precision_digits=digits)
            block.units_total = total
            block.units_used = used
            block.units_remaining = remaining
            block.remaining_percent = 100.0 * remaining / total if total > 0 else 0.0
            if by_kind.get("expiry"):
                block.state = "expired"
            elif float_is_zero(total, precision_digits=digits) and "cancel" in by_kind:
                block.state = "cancelled"
            elif float_compare(remaining, 0.0, precision_digits=digits) <= 0:
                block.state = "exhausted"
            else:
                block.state = "active"

    @api.constrains("date_start", "date_expiry")
    def _check_dates(self):
        for block in self:
            if block.date_expiry and block.date_expiry < block.date_start:
                raise ValidationError(
                    _(
                        "Prepaid block %(block)s: it cannot expire (%(end)s) before it starts "
                        "(%(start)s).",
                        block=block.display_name,
                        end=block.date_expiry,
                        start=block.date_start,
                    )
                )

    @api.ondelete(at_uninstall=False)
    def _unlink_never(self):
        if self.move_ids:
            raise UserError(
                _(
                    "Prepaid blocks keep their ledger: %(blocks)s cannot be deleted. "
                    "Cancel the invoice that sold them instead.",
                    blocks=", ".join(self.mapped("display_name")),
                )
            )

    # --- Ledger ------------------------------------------------------------------------------
    def _ledger(self, kind, quantity, invoice_line=None, note=None, date=None):
        """Append one entry to this block's ledger."""
        self.ensure_one()
        return self.env["agent.billing.prepaid.move"].create(
            {
                "block_id": self.id,
                "kind": kind,
                "quantity": quantity,
                "date": date or fields.Date.context_today(self),
                "invoice_line_id": invoice_line.id if invoice_line else False,
                "note": note or False,
            }
        )

    @api.model
    def _create_from_invoice_lines(self, lines):
        """Blocks sold by posted invoice lines (a product with a prepaid metric); a line that
        sold one already (posted, reset, posted again) tops it up again instead."""
        blocks = self.browse()
        for line in lines:
            template = line.product_id.product_tmpl_id
            metric = template.agent_prepaid_metric_id
            if not metric or line.move_id.move_type != "out_invoice":
                continue
            units = line.quantity * template.agent_prepaid_units
            if units <= 0:
                raise UserError(
                    _(
                        "%(move)s: the line %(line)s sells a prepaid block without units: set the "
                        "units per product on %(product)s and a positive quantity.",
                        move=line.move_id.display_name,
                        line=line.name,
                        product=template.display_name,
                    )
                )
            block = self.search([("invoice_line_id", "=", line.id)])
            if not block:
                start = line.move_id.invoice_date or fields.Date.context_today(self)
                months = template.agent_prepaid_validity_months
                block = self.create(
                    {
                        "partner_id": line.move_id.commercial_partner_id.id,
                        "company_id": line.company_id.id,
                        "metric_id": metric.id,
                        "date_start": start,
                        "date_expiry": (
                            start + relativedelta(months=months, days=-1) if months else False
                        ),
                        "invoice_line_id": line.id,
                        "user_id": line.move_id.invoice_user_id.id or self.env.user.id,
                    }
                )
            block._ledger(
                "topup",
                units,
                invoice_line=line,
                date=line.move_id.invoice_date,
                note=_("Bought on %(move)s", move=line.move_id.display_name),
            )
            blocks |= block
        return blocks

    def _cancel_sale(self, move):
        """The invoice that sold these blocks goes back to draft or is cancelled."""
        for block in self:
            if block.units_used > 0 or block.state == "expired":
                raise UserError(
                    _(
                        "%(move)s sold the prepaid block %(block)s, which usage has already drawn "
                        "on (%(used)s %(unit)s). Issue a credit note instead.",
                        move=move.display_name,
                        block=block.display_name,
                        used=block.units_used,
                        unit=block.unit_name or "",
                    )
                )
            if block.units_remaining:
                block._ledger(
                    "cancel",
                    -block.units_remaining,
                    invoice_line=block.invoice_line_id,
                    note=_("%(move)s reset or cancelled", move=move.display_name),
                )

    def _check_low_balance(self):
        activity_type = self.env.ref("mail.mail_activity_data_todo", raise_if_not_found=False)
        for block in self.filtered(
            lambda b: (
                not b.low_balance_alerted
                and b.state not in ("cancelled", "expired")
                and b.units_total > 0
            )
        ):
            if block.remaining_percent > block.low_balance_percent:
                continue
            block.low_balance_alerted = True
            summary = _(
                "Prepaid block %(block)s of %(client)s is low: %(left)s of %(total)s %(unit)s left",
                block=block.name,
                client=block.partner_id.display_name,
                left=block.units_remaining,
                total=block.units_total,
                unit=block.unit_name or "",
            )
            block.message_post(body=summary)
            if activity_type:
                block.activity_schedule(
                    activity_type_id=activity_type.id,
                    summary=summary,
                    user_id=(block.user_id or self.env.user).id,
                )

    @api.model
    def _cron_expire(self, today=None):
        """Blocks past their expiry lose what is left (one ledger entry each)."""
        today = today or fields.Date.context_today(self)
        blocks = self.search(
            [("state", "in", ("active", "exhausted")), ("date_expiry", "<", today)]
        )
        for block in blocks:
            block._ledger(
                "expiry",
                -block.units_remaining,
                date=today,
                note=_("Expired on %(date)s", date=block.date_expiry),
            )
            block.message_post(
                body=_(
                    "Expired with %(left)s %(unit)s unused.",
                    left=block.units_remaining,
                    unit=block.unit_name or "",
                )
            )
        return blocks

    @api.model
    def _rating_balances(self, partners, company, first, last):
        """Blocks of these clients that may cover usage dated between first and last; an
        expired block too, for usage dated before its expiry (the expiry job may have run
        before the period was billed)."""
        return self.search(
            [
                ("partner_id", "in", partners.ids),
                ("company_id", "=", company.id),
                ("state", "in", ("active", "expired")),
                ("date_start", "<=", last),
                "|",
                ("date_expiry", "=", False),
                ("date_expiry", ">=", first),
            ]
        )

    def _forfeited(self):
        """Units the expiry took (what usage dated inside the validity may still reclaim)."""
        self.ensure_one()
        digits = self.env["decimal.precision"].precision_get("Agent Billing Quantity")
        taken = -sum(move.quantity for move in self.move_ids if move.kind == "expiry")
        return max(float_round(taken, precision_digits=digits), 0.0)

    def _claimable(self):
        """Units usage dated inside the validity can draw on: what is left and, after the
        expiry, what it forfeited. Prepaid coverage does not depend on whether the expiry
        job ran before or after the billing run."""
        self.ensure_one()
        return self.units_remaining + self._forfeited()

    def _draw(self, quantity, invoice_line, date, note):
        """Deduct ``quantity`` for usage; what the block no longer holds because it expired
        meanwhile is reclaimed from the expiry first (the usage is dated before it)."""
        self.ensure_one()
        reclaim = min(max(quantity - max(self.units_remaining, 0.0), 0.0), self._forfeited())
        if reclaim > 0:
            self._ledger(
                "expiry",
                reclaim,
                invoice_line=invoice_line,
                date=date,
                note=_(
                    "Reclaimed by usage dated before the expiry (%(date)s)", date=self.date_expiry
                ),
            )
        return self._ledger("deduction", -quantity, invoice_line=invoice_line, date=date, note=note)
