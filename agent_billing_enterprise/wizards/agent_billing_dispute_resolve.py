from odoo import api, fields, models

from ..models.agent_billing_dispute import RESOLUTIONS

try:  # the credit note types of agent_billing (kept working without them)
    from odoo.addons.agent_billing.models.account_move_credit import CREDIT_TYPES
except ImportError:  # pragma: no cover
    CREDIT_TYPES = [
        ("refund", "Refund"),
        ("adjustment", "Adjustment"),
        ("error", "Error Correction"),
        ("goodwill", "Goodwill"),
    ]


class AgentBillingDisputeResolve(models.TransientModel):
    """How a dispute ends: a credit note (typed, full or partial), a refund, an adjustment, or
    no action; always with a note."""

    _name = "agent.billing.dispute.resolve"
    _description = "Resolve a dispute"

    dispute_id = fields.Many2one("agent.billing.dispute", required=True, ondelete="cascade")
    currency_id = fields.Many2one(related="dispute_id.currency_id")
    resolution = fields.Selection(RESOLUTIONS, required=True, default="credit")
    credit_type = fields.Selection(
        CREDIT_TYPES,
        compute="_compute_credit_type",
        store=True,
        readonly=False,
        precompute=True,
    )
    amount = fields.Monetary(
        "Amount to Credit (untaxed)",
        compute="_compute_amount",
        store=True,
        readonly=False,
        precompute=True,
    )
    note = fields.Text("Resolution Note", required=True)

    @api.depends("resolution")
    def _compute_credit_type(self):
        defaults = {"refund": "refund", "adjustment": "adjustment", "credit": "error"}
        for wizard in self:
            wizard.credit_type = defaults.get(wizard.resolution) or False

    @api.depends("dispute_id")
    def _compute_amount(self):
        for wizard in self:
            wizard.amount = wizard.dispute_id.amount_disputed

    def action_resolve(self):
        self.ensure_one()
        credit_note = self.dispute_id._resolve(
            self.resolution,
            self.note,
            amount=self.amount if self.resolution != "no_action" else None,
            credit_type=self.credit_type,
        )
        if credit_note:
            return {
                "type": "ir.actions.act_window",
                "res_model": "account.move",
                "res_id": credit_note.id,
                "view_mode": "form",
                "target": "current",
            }
        return {"type": "ir.actions.act_window_close"}
