from odoo import _, api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import float_compare


class AgentBillingAllocationRule(models.Model):
    """Share of a client entity's charges that goes to one of its departments, for charges
    that no usage record or deployment assigns to a department. Below 100 % in all, the rest
    stays unallocated."""

    _name = "agent.billing.allocation.rule"
    _description = "Cost allocation rule (percentage per department)"
    _inherit = ["agent.billing.client.mixin"]
    _order = "partner_id, percent desc, id"
    _check_company_auto = True

    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    partner_id = fields.Many2one(
        "res.partner", "Client Entity", required=True, index=True, check_company=True
    )
    department_id = fields.Many2one(
        "agent.billing.department",
        required=True,
        check_company=True,
        ondelete="cascade",
        domain="[('partner_id', '=', partner_id)]",
    )
    percent = fields.Float("Share (%)", required=True, digits=(5, 2))

    @api.constrains("partner_id", "department_id", "percent")
    def _check_rule(self):
        for rule in self:
            if rule.department_id.partner_id != rule.partner_id:
                raise ValidationError(
                    _(
                        "Allocation rule: department %(dept)s belongs to %(owner)s, not to "
                        "%(client)s.",
                        dept=rule.department_id.display_name,
                        owner=rule.department_id.partner_id.display_name,
                        client=rule.partner_id.display_name,
                    )
                )
            if float_compare(rule.percent, 0.0, precision_digits=2) <= 0:
                raise ValidationError(
                    _(
                        "Allocation rule of %(dept)s: the share must be above 0 %%.",
                        dept=rule.department_id.display_name,
                    )
                )
        for partner in self.partner_id:
            rules = self.search(
                [("partner_id", "=", partner.id), ("company_id", "in", self.company_id.ids)]
            )
            total = sum(rules.mapped("percent"))
            if float_compare(total, 100.0, precision_digits=2) > 0:
                raise ValidationError(
                    _(
                        "The allocation rules of %(client)s total %(total)s %%: at most 100 %%.",
                        client=partner.display_name,
                        total=round(total, 2),
                    )
                )
