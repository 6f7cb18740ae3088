from odoo import _, api, fields, models
from odoo.exceptions import ValidationError


class ProductTemplate(models.Model):
    _inherit = "product.template"

    # --- Agent billing ---
    is_agent_type = fields.Boolean(
        "Agent Type", tracking=True,
        help="This service is a kind of AI agent that is deployed to clients and billed.",
    )
    agent_monthly_rate = fields.Monetary(
        "Monthly Rate per Agent", currency_field="currency_id", tracking=True,
        help="Catalog price of one agent for one month, before tiers and client overrides.",
    )
    agent_usage_metric_id = fields.Many2one(
        "agent.billing.metric", "Default Usage Metric",
        help="Metric assumed for usage reported against this agent type without a metric.",
    )

    @api.onchange("is_agent_type")
    def _onchange_is_agent_type(self):
        if self.is_agent_type:
            self.type = "service"

    @api.constrains("is_agent_type", "type", "agent_monthly_rate")
    def _check_agent_type(self):
        for product in self.filtered("is_agent_type"):
            if product.type != "service":
                raise ValidationError(
                    _("Agent type %(name)s must be a service product.", name=product.display_name)
                )
            if product.agent_monthly_rate < 0:
                raise ValidationError(
                    _("Agent type %(name)s: the monthly rate per agent cannot be negative.",
                      name=product.display_name)
                )
