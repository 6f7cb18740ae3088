from odoo import _, api, fields, models
from odoo.exceptions import ValidationError


class AgentBillingDisputeCategory(models.Model):
    """What a dispute is about, and its service levels: first answer to the client within some
    hours, resolution within some days."""

    _name = "agent.billing.dispute.category"
    _description = "Dispute category"
    _order = "sequence, name"
    _check_company_auto = True

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    response_hours = fields.Integer(
        "Response Within (hours)", default=24, help="First answer to the client. 0: no deadline."
    )
    resolution_days = fields.Integer("Resolution Within (days)", default=10, help="0: no deadline.")

    @api.constrains("response_hours", "resolution_days")
    def _check_sla(self):
        for category in self:
            if category.response_hours < 0 or category.resolution_days < 0:
                raise ValidationError(
                    _(
                        "Dispute category %(name)s: deadlines cannot be negative.",
                        name=category.name,
                    )
                )
