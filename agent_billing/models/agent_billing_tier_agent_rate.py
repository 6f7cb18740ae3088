from odoo import _, api, fields, models
from odoo.exceptions import ValidationError


class AgentBillingTierAgentRate(models.Model):
    _name = "agent.billing.tier.agent.rate"
    _description = "Monthly rate per agent type in a contract tier"
    _inherit = ["agent.billing.tracked.line"]
    _order = "tier_id, product_id"
    _check_company_auto = True
    _tracked_parent = "tier_id"
    _tracked_fields = ("product_id", "monthly_rate")

    tier_id = fields.Many2one("agent.billing.tier", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="tier_id.company_id", store=True, index=True)
    currency_id = fields.Many2one(related="tier_id.currency_id")
    product_id = fields.Many2one(
        "product.product",
        "Agent Type",
        required=True,
        check_company=True,
        domain=[("is_agent_type", "=", True)],
    )
    monthly_rate = fields.Monetary("Monthly Rate per Agent", required=True)

    _sql_constraints = [
        (
            "tier_product_uniq",
            "unique(tier_id, product_id)",
            "An agent type can have only one rate per tier.",
        ),
    ]

    def _tracked_label(self):
        return _("agent rate %(type)s", type=self.product_id.display_name)

    @api.depends("tier_id", "product_id")
    def _compute_display_name(self):
        for rate in self:
            rate.display_name = f"{rate.tier_id.name} / {rate.product_id.display_name}"

    @api.constrains("monthly_rate")
    def _check_rate(self):
        for rate in self:
            if rate.monthly_rate < 0:
                raise ValidationError(
                    _(
                        "Tier %(tier)s: the monthly rate of %(type)s cannot be negative.",
                        tier=rate.tier_id.name,
                        type=rate.product_id.display_name,
                    )
                )
