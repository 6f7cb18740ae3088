from odoo import _, api, fields, models
from odoo.exceptions import ValidationError


class ProductTemplate(models.Model):
    _inherit = "product.template"

    # --- Agent billing ---
    is_agent_type = fields.Boolean(
        "Agent Type",
        tracking=True,
        help="This service is a kind of AI agent that is deployed to clients and billed.",
    )
    agent_monthly_rate = fields.Monetary(
        "Monthly Rate per Agent",
        currency_field="currency_id",
        tracking=True,
        help="Catalog price of one agent for one month, before tiers and client overrides.",
    )
    agent_usage_metric_id = fields.Many2one(
        "agent.billing.metric",
        "Default Usage Metric",
        help="Metric assumed for usage reported against this agent type without a metric.",
    )

    agent_prepaid_metric_id = fields.Many2one(
        "agent.billing.metric",
        "Prepaid Block Of",
        tracking=True,
        help="Selling this product on a customer invoice gives the client a prepaid block of "
        "this metric (hours, tasks...), which their usage then draws on before it is charged.",
    )
    agent_prepaid_units = fields.Float(
        "Units per Product",
        digits="Agent Billing Quantity",
        tracking=True,
        help="Units of the metric in the block, per unit of this product sold.",
    )
    agent_prepaid_validity_months = fields.Integer(
        "Valid for (months)",
        tracking=True,
        help="0: the block does not expire.",
    )

    @api.constrains(
        "agent_prepaid_metric_id", "agent_prepaid_units", "agent_prepaid_validity_months"
    )
    def _check_prepaid(self):
        for product in self.filtered("agent_prepaid_metric_id"):
            if product.agent_prepaid_units <= 0 or product.agent_prepaid_validity_months < 0:
                raise ValidationError(
                    _(
                        "%(name)s sells prepaid blocks: the units per product must be positive and "
                        "the validity cannot be negative.",
                        name=product.display_name,
                    )
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
                    _(
                        "Agent type %(name)s: the monthly rate per agent cannot be negative.",
                        name=product.display_name,
                    )
                )
