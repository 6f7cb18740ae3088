from odoo import _, api, fields, models
from odoo.exceptions import UserError

KINDS = [
    ("topup", "Top-up"),
    ("deduction", "Usage"),
    ("return", "Returned"),
    ("expiry", "Expired"),
    ("cancel", "Sale cancelled"),
]


class AgentBillingPrepaidMove(models.Model):
    """One entry of a prepaid block's ledger; entries are never changed, only added."""

    _name = "agent.billing.prepaid.move"
    _description = "Prepaid block ledger entry"
    _order = "date, id"

    block_id = fields.Many2one(
        "agent.billing.prepaid.block", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(related="block_id.company_id", store=True)
    partner_id = fields.Many2one(related="block_id.partner_id", store=True)
    date = fields.Date(required=True, default=fields.Date.context_today)
    kind = fields.Selection(KINDS, required=True)
    quantity = fields.Float(
        required=True,
        digits="Agent Billing Quantity",
        help="Units added (positive) or taken (negative).",
    )
    invoice_line_id = fields.Many2one(
        "account.move.line", index="btree_not_null", ondelete="set null"
    )
    invoice_id = fields.Many2one(related="invoice_line_id.move_id", string="Invoice")
    note = fields.Char()
    user_id = fields.Many2one("res.users", "By", default=lambda self: self.env.user, readonly=True)

    def write(self, vals):
        if set(vals) - {"invoice_line_id"}:
            raise UserError(
                _("The prepaid ledger is append-only: add an entry instead of changing one.")
            )
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_never(self):
        raise UserError(_("The prepaid ledger is append-only: entries cannot be deleted."))
