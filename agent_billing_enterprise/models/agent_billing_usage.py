from odoo import _, api, fields, models
from odoo.exceptions import ValidationError


class AgentBillingUsage(models.Model):
    _inherit = "agent.billing.usage"

    department_id = fields.Many2one(
        "agent.billing.department",
        index="btree_not_null",
        check_company=True,
        domain="[('partner_id', '=', partner_id)]",
        help="The client department this usage is charged to. Empty: the deployment's "
        "department, else the client's percentage rules.",
    )

    @api.constrains("department_id", "partner_id")
    def _check_department(self):
        for usage in self.filtered("department_id"):
            if usage.department_id.partner_id != usage.partner_id:
                raise ValidationError(
                    _(
                        "Usage %(key)s: department %(dept)s belongs to %(owner)s, not to "
                        "%(client)s.",
                        key=usage.idempotency_key,
                        dept=usage.department_id.display_name,
                        owner=usage.department_id.partner_id.display_name,
                        client=usage.partner_id.display_name,
                    )
                )
