from odoo import fields, models


class AgentBillingApprovalDecision(models.TransientModel):
    """Approve or refuse an approval request, with a comment (required to refuse)."""

    _name = "agent.billing.approval.decision"
    _description = "Approval decision"

    request_id = fields.Many2one(
        "agent.billing.approval.request", required=True, ondelete="cascade"
    )
    decision = fields.Selection(
        [("approved", "Approve"), ("refused", "Refuse")], required=True, default="approved"
    )
    comment = fields.Text()

    def action_confirm(self):
        self.ensure_one()
        self.request_id._decide(self.decision, self.comment)
        return {"type": "ir.actions.act_window_close"}
