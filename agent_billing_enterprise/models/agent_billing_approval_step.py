from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

STEP_STATES = [
    ("waiting", "Waiting"),
    ("pending", "To Decide"),
    ("approved", "Approved"),
    ("refused", "Refused"),
    ("skipped", "Not Needed"),
]


class AgentBillingApprovalStep(models.Model):
    """One approver (a user, or any member of a group) of a request, and their decision."""

    _name = "agent.billing.approval.step"
    _description = "Approval step"
    _order = "request_id, sequence, id"

    request_id = fields.Many2one(
        "agent.billing.approval.request", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(related="request_id.company_id", store=True, index=True)
    sequence = fields.Integer()
    user_id = fields.Many2one("res.users", "Approver")
    group_id = fields.Many2one("res.groups", "Approver Group")
    escalation = fields.Boolean(help="Added by the escalation; decides the request alone.")
    state = fields.Selection(STEP_STATES, default="waiting", required=True)
    decided_by_id = fields.Many2one("res.users")
    decided_on = fields.Datetime()
    comment = fields.Text()

    @api.depends("user_id", "group_id")
    def _compute_display_name(self):
        for step in self:
            step.display_name = step.user_id.name or step.group_id.full_name or ""

    @api.constrains("user_id", "group_id")
    def _check_approver(self):
        for step in self:
            if bool(step.user_id) == bool(step.group_id):
                raise ValidationError(
                    _(
                        "An approval step of %(request)s names either a user or a group.",
                        request=step.request_id.name,
                    )
                )
