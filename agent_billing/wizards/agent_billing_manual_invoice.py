from psycopg2 import errors as pg_errors

from odoo import _, api, fields, models
from odoo.exceptions import UserError

from ..rating import DaySet, PricingError, period_bounds


class AgentBillingManualInvoice(models.TransientModel):
    """A one-off invoice: a client's contract charges for any period, and/or free lines."""

    _name = "agent.billing.manual.invoice"
    _description = "Manual agent billing invoice"
    _check_company_auto = True

    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company
    )
    partner_id = fields.Many2one(
        "res.partner",
        "Client",
        required=True,
        check_company=True,
        domain=[("is_company", "=", True)],
    )
    contract_id = fields.Many2one(
        "agent.billing.contract",
        check_company=True,
        domain="[('partner_id', '=', partner_id), ('state', 'in', ('active', 'closed'))]",
        help="Rate this contract's deployments and unbilled usage for the period. Empty: only "
        "the free lines below.",
    )
    period_start = fields.Date(required=True)
    period_end = fields.Date(required=True)
    invoice_date = fields.Date(default=fields.Date.context_today, required=True)
    line_ids = fields.One2many("agent.billing.manual.invoice.line", "wizard_id", "Free Lines")
    currency_id = fields.Many2one(
        "res.currency",
        compute="_compute_currency_id",
        store=True,
        readonly=False,
        precompute=True,
        required=True,
    )

    @api.depends("contract_id", "company_id")
    def _compute_currency_id(self):
        for wizard in self:
            wizard.currency_id = wizard.contract_id.currency_id or wizard.company_id.currency_id

    @api.onchange("partner_id")
    def _onchange_partner_id(self):
        partner = self.partner_id.commercial_partner_id
        self.contract_id = partner.agent_contract_id if partner else False

    def action_create_invoice(self):
        self.ensure_one()
        if self.period_end < self.period_start:
            raise UserError(_("The period ends before it starts."))
        if not self.contract_id and not self.line_ids:
            raise UserError(_("Choose a contract to rate, or add free lines, or both."))
        Detail = self.env["agent.billing.run.detail"]
        line_vals, usage_links = [], []
        if self.contract_id:
            contract = self.contract_id
            usages = contract._rating_usages(self.period_start, self.period_end, unbilled_only=True)
            try:
                rating = contract._rate_period(self.period_start, self.period_end, usages=usages)
                # agent days from the billing ledger: only those of the period not billed yet
                # (whole billing periods are due; the window bills the days asked for)
                horizon = period_bounds(self.period_end, contract.billing_cycle)[1]
                details, _amounts = contract._agent_ledger_details(
                    until=horizon, window=DaySet.span(self.period_start, self.period_end)
                )
                details += [
                    vals
                    for vals in Detail._from_rating(contract, rating)
                    if vals["kind"] != "agents"
                ]
            except PricingError as exc:
                raise UserError(
                    _(
                        "%(contract)s cannot be rated: %(reason)s",
                        contract=contract.name,
                        reason=exc,
                    )
                ) from exc
            for detail in details:
                line_vals.append(Detail._invoice_line_vals(detail))
                usage_links.append(detail.get("usage_ids", [(6, 0, [])])[0][2])
        for free in self.line_ids:
            line_vals.append(
                {
                    "name": free.name,
                    "quantity": free.quantity,
                    "price_unit": free.price_unit,
                    **({"product_id": free.product_id.id} if free.product_id else {}),
                }
            )
            usage_links.append([])
        if not line_vals:
            raise UserError(_("Nothing to bill for this client and period."))
        vals = {
            "move_type": "out_invoice",
            "company_id": self.company_id.id,
            "partner_id": (self.contract_id.partner_invoice_id or self.partner_id).id,
            "currency_id": self.currency_id.id,
            "invoice_date": self.invoice_date,
            "invoice_line_ids": [fields.Command.create(v) for v in line_vals],
        }
        if self.contract_id:
            vals.update(
                {
                    "agent_contract_id": self.contract_id.id,
                    "agent_period_start": self.period_start,
                    "agent_period_end": self.period_end,
                    "invoice_origin": self.contract_id.name,
                }
            )
            if self.contract_id.payment_term_id:
                vals["invoice_payment_term_id"] = self.contract_id.payment_term_id.id
        try:
            with self.env.cr.savepoint():
                if self.contract_id:
                    self.contract_id._ledger_bump()
                move = self.env["account.move"].create(vals)
        except pg_errors.SerializationFailure:
            raise UserError(
                _(
                    "%(contract)s is being billed by a billing run or another manual invoice right "
                    "now: nothing was created. Try again in a moment.",
                    contract=self.contract_id.name,
                )
            ) from None
        except pg_errors.UniqueViolation:
            raise UserError(
                _(
                    "%(contract)s already has an invoice for %(start)s - %(end)s. Cancel it first, "
                    "or bill the extra charges as free lines without a contract.",
                    contract=self.contract_id.name,
                    start=self.period_start,
                    end=self.period_end,
                )
            ) from None
        for move_line, usage_ids in zip(
            move.invoice_line_ids.sorted("sequence"), usage_links, strict=True
        ):
            if usage_ids:
                self.env["agent.billing.usage"].browse(usage_ids).write(
                    {"invoice_line_id": move_line.id}
                )
        move.invoice_line_ids._agent_consume_prepaid()
        return {
            "type": "ir.actions.act_window",
            "res_model": "account.move",
            "res_id": move.id,
            "view_mode": "form",
            "target": "current",
        }


class AgentBillingManualInvoiceLine(models.TransientModel):
    _name = "agent.billing.manual.invoice.line"
    _description = "Manual agent billing invoice free line"

    wizard_id = fields.Many2one("agent.billing.manual.invoice", required=True, ondelete="cascade")
    product_id = fields.Many2one("product.product", domain=[("sale_ok", "=", True)])
    name = fields.Char("Description", required=True)
    quantity = fields.Float(default=1.0, digits="Product Unit of Measure")
    price_unit = fields.Float("Unit Price", digits="Product Price")

    @api.onchange("product_id")
    def _onchange_product_id(self):
        if self.product_id:
            self.name = self.product_id.display_name
            self.price_unit = self.product_id.lst_price
