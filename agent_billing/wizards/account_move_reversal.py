from odoo import Command, _, api, fields, models
from odoo.exceptions import UserError
from odoo.tools.misc import format_amount

from ..models.account_move_credit import CREDIT_TYPES


class AccountMoveReversal(models.TransientModel):
    """Credit notes of customer invoices: a type and a reason, the full invoice or part of it,
    and optionally the release of the credited usage for rebilling."""

    _inherit = "account.move.reversal"

    agent_is_customer_invoice = fields.Boolean(compute="_compute_agent_credit_info")
    agent_credit_type = fields.Selection(CREDIT_TYPES, "Credit Type")
    agent_credit_mode = fields.Selection(
        [("full", "Full invoice"), ("partial", "Partial amount")],
        "Credit",
        default="full",
        required=True,
    )
    agent_credit_amount = fields.Monetary(
        "Amount to Credit (untaxed)",
        currency_field="currency_id",
        help="Untaxed amount of the credit note: one line with the invoice's income account and "
        "taxes.",
    )
    agent_creditable_untaxed = fields.Monetary(
        "Still Creditable (untaxed)",
        compute="_compute_agent_credit_info",
        currency_field="currency_id",
        help="Untaxed amount of the invoice not credited yet by posted credit notes.",
    )
    agent_release_usage = fields.Boolean(
        "Release Usage for Rebilling",
        help="When the credit note is posted, the usage billed by the invoice becomes unbilled "
        "and a billing run may bill the invoice's period again.",
    )

    @api.depends("move_ids")
    def _compute_agent_credit_info(self):
        for wizard in self:
            moves = wizard.move_ids._origin
            wizard.agent_is_customer_invoice = any(m.move_type == "out_invoice" for m in moves)
            wizard.agent_creditable_untaxed = (
                moves._agent_creditable_untaxed()
                if len(moves) == 1 and moves.move_type == "out_invoice"
                else 0.0
            )

    @api.onchange("agent_credit_mode")
    def _onchange_agent_credit_mode(self):
        if self.agent_credit_mode == "partial":
            self.agent_release_usage = False

    # --- Checks ------------------------------------------------------------------------------
    def _agent_check(self, is_modify):
        self.ensure_one()
        invoices = self.move_ids.filtered(lambda m: m.move_type == "out_invoice")
        if not invoices:
            return
        names = ", ".join(invoices.mapped("name"))
        if not self.agent_credit_type:
            raise UserError(
                _("Choose the credit type of the credit note for %(invoices)s.", invoices=names)
            )
        if not (self.reason or "").strip():
            raise UserError(
                _(
                    "Give the reason of the credit note for %(invoices)s: it is shown "
                    "on the credit note.",
                    invoices=names,
                )
            )
        if self.agent_credit_mode == "partial":
            self._agent_check_partial(invoices, is_modify)
        if self.agent_release_usage:
            if self.agent_credit_mode != "full":
                raise UserError(
                    _(
                        "Usage can only be released for rebilling with a credit note "
                        "of the full invoice (%(invoices)s).",
                        invoices=names,
                    )
                )
            not_billed = invoices.filtered(
                lambda m: not m.agent_contract_id and not m.invoice_line_ids.agent_usage_ids
            )
            if not_billed:
                raise UserError(
                    _(
                        "%(invoices)s was not made by agent billing: there is no usage "
                        "or period to release.",
                        invoices=", ".join(not_billed.mapped("name")),
                    )
                )

    def _agent_check_partial(self, invoices, is_modify):
        if is_modify:
            raise UserError(
                _(
                    '"Reverse and Create Invoice" credits the full invoice: choose '
                    'a full credit note, or use "Reverse" for a partial one.'
                )
            )
        if len(self.move_ids) != 1:
            raise UserError(
                _(
                    "A partial credit note is made for one invoice at a time; you "
                    "selected %(invoices)s.",
                    invoices=", ".join(self.move_ids.mapped("name")),
                )
            )
        invoice = invoices
        currency = invoice.currency_id
        amount = self.agent_credit_amount
        if currency.compare_amounts(amount, 0.0) <= 0:
            raise UserError(
                _(
                    "Enter the untaxed amount to credit on %(invoice)s (more than zero).",
                    invoice=invoice.name,
                )
            )
        creditable = invoice._agent_creditable_untaxed()
        if currency.compare_amounts(amount, creditable) > 0:
            raise UserError(
                _(
                    "%(invoice)s can still be credited for %(left)s (untaxed) at most: "
                    "%(amount)s is too much.",
                    invoice=invoice.name,
                    left=format_amount(self.env, creditable, currency),
                    amount=format_amount(self.env, amount, currency),
                )
            )
        self._agent_partial_line_vals(invoice)  # refuses mixed taxes before creating anything

    def _agent_partial_line_vals(self, invoice):
        lines = invoice.invoice_line_ids.filtered(lambda line: line.display_type == "product")
        tax_sets = {tuple(sorted(line.tax_ids.ids)) for line in lines}
        if len(tax_sets) > 1 or len(lines.account_id) > 1:
            raise UserError(
                _(
                    "The lines of %(invoice)s have different taxes or income accounts, so a partial "
                    "amount cannot be split between them. Make a full credit note and edit its lines "
                    "by hand before posting it.",
                    invoice=invoice.name,
                )
            )
        taxes = lines.tax_ids
        price_unit = self.agent_credit_amount
        included = taxes.filtered("price_include")
        if included and included != taxes:
            raise UserError(
                _(
                    "The taxes of %(invoice)s mix tax-included and tax-excluded prices: make a full "
                    "credit note and edit its lines by hand before posting it.",
                    invoice=invoice.name,
                )
            )
        if included:
            price_unit = taxes.compute_all(
                price_unit,
                currency=invoice.currency_id,
                handle_price_include=False,
            )["total_included"]
        type_label = dict(CREDIT_TYPES)[self.agent_credit_type]
        return {
            "display_type": "product",
            "name": _(
                "%(type)s: %(reason)s (partial credit of %(invoice)s)",
                type=type_label,
                reason=self.reason,
                invoice=invoice.name,
            ),
            "quantity": 1.0,
            "price_unit": price_unit,
            "account_id": lines.account_id.id,
            "tax_ids": [Command.set(taxes.ids)],
        }

    # --- Odoo's reversal ---------------------------------------------------------------------
    def _prepare_default_reversal(self, move):
        values = super()._prepare_default_reversal(move)
        if move.move_type != "out_invoice":
            return values
        values["agent_credit_type"] = self.agent_credit_type
        if self.agent_credit_mode == "partial":
            values["line_ids"] = [Command.create(self._agent_partial_line_vals(move))]
        else:
            values["agent_release_usage"] = self.agent_release_usage
        return values

    def reverse_moves(self, is_modify=False):
        self._agent_check(is_modify)
        action = super().reverse_moves(is_modify=is_modify)
        if self.agent_credit_mode == "partial":
            note = self.new_move_ids.filtered(lambda m: m.move_type == "out_refund")
            currency = note.currency_id
            if note and currency.compare_amounts(note.amount_untaxed, self.agent_credit_amount):
                raise UserError(
                    _(
                        "The taxes of %(invoice)s do not allow a credit note of exactly %(amount)s "
                        "untaxed: make a full credit note and edit its lines by hand.",
                        invoice=self.move_ids.name,
                        amount=format_amount(self.env, self.agent_credit_amount, currency),
                    )
                )
        return action
