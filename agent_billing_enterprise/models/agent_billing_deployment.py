from odoo import _, api, fields, models
from odoo.exceptions import ValidationError


class AgentBillingDeployment(models.Model):
    _inherit = "agent.billing.deployment"

    department_id = fields.Many2one(
        "agent.billing.department",
        index="btree_not_null",
        check_company=True,
        tracking=True,
        domain="[('partner_id', '=', partner_id)]",
        help="The client department these agents work for: their charges, and the usage they "
        "report without a department of its own, go to it.",
    )

    @api.constrains("department_id", "partner_id")
    def _check_department(self):
        for deployment in self.filtered("department_id"):
            if deployment.department_id.partner_id != deployment.partner_id:
                raise ValidationError(
                    _(
                        "Deployment %(name)s: department %(dept)s belongs to %(owner)s, not to "
                        "%(client)s.",
                        name=deployment.display_name,
                        dept=deployment.department_id.display_name,
                        owner=deployment.department_id.partner_id.display_name,
                        client=deployment.partner_id.display_name,
                    )
                )
