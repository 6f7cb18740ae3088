from odoo import _, api, fields, models
from odoo.exceptions import UserError
from odoo.tools.misc import format_amount


class AccountPaymentRegister(models.TransientModel):
    """A customer payment above the open balance of its invoices is refused, unless the user
    chooses to keep the excess as client credit."""

    _inherit = "account.payment.register"

    agent_allow_overpayment = fields.Boolean(
        "Keep the excess as client credit",
        help="Register the payment although it exceeds the open balance of the invoices: the "
        "excess stays on the client's account as an outstanding credit.",
    )
    agent_overpayment = fields.Monetary(
        "Excess Amount",
        compute="_compute_agent_overpayment",
        currency_field="currency_id",
    )
    agent_overpayment_warning = fields.Char(compute="_compute_agent_overpayment")

    @api.depends(
        "amount",
        "currency_id",
        "payment_date",
        "line_ids",
        "can_edit_wizard",
        "partner_type",
        "payment_type",
        "group_payment",
    )
    def _compute_agent_overpayment(self):
        for wizard in self:
            excess = wizard._agent_excess()
            wizard.agent_overpayment = excess
            wizard.agent_overpayment_warning = (
                _(
                    "This payment is %(excess)s above the open balance of %(balance)s of the "
                    "selected invoices.",
                    excess=format_amount(self.env, excess, wizard.currency_id),
                    balance=format_amount(self.env, wizard.amount - excess, wizard.currency_id),
                )
                if excess
                else False
            )

    def _agent_is_customer_invoice_payment(self):
        self.ensure_one()
        lines = self.line_ids
        # as Odoo's _create_payments: the amount typed in is used for one payment only
        edit_mode = (
            self.can_edit_wizard and (len(self.batches[0]["lines"]) == 1 or self.group_payment)
            if self.batches
            else False
        )
        return bool(
            edit_mode
            and self.currency_id
            and self.payment_date
            and self.partner_type == "customer"
            and self.payment_type == "inbound"
            and lines
            and all(move.move_type == "out_invoice" for move in lines.move_id)
        )

    def _agent_excess(self):
        """How much the amount exceeds the open balance of the invoices (wizard currency), or
        0.0; only customer payments of customer invoices are checked."""
        self.ensure_one()
        if not self._agent_is_customer_invoice_payment():
            return 0.0
        lines = self.env["account.move.line"].union(*(b["lines"] for b in self.batches))
        balance = abs(
            self._convert_to_wizard_currency(
                [
                    {
                        "line": line,
                        "amount_residual": line.amount_residual,
                        "amount_residual_currency": line.amount_residual_currency,
                    }
                    for line in lines
                ]
            )
        )
        currency = self.currency_id
        if currency.compare_amounts(self.amount, balance) <= 0:
            return 0.0
        return currency.round(self.amount - balance)

    def _create_payments(self):
        for wizard in self:
            excess = wizard._agent_excess()
            if (
                excess
                and wizard.payment_difference_handling == "open"
                and not wizard.agent_allow_overpayment
            ):
                invoices = wizard.line_ids.move_id
                raise UserError(
                    _(
                        "The payment of %(amount)s is %(excess)s above the open balance of "
                        '%(invoices)s. Lower the amount, or tick "Keep the excess as client credit" '
                        "to leave the excess on %(partner)s's account.",
                        amount=format_amount(self.env, wizard.amount, wizard.currency_id),
                        excess=format_amount(self.env, excess, wizard.currency_id),
                        invoices=", ".join(invoices.mapped("name")),
                        partner=wizard.partner_id.display_name,
                    )
                )
        return super()._create_payments()
