from odoo import _, api, fields, models
from odoo.exceptions import ValidationError


class ProductTemplate(models.Model):
    _inherit = "product.template"

    # --- Profitability ---
    agent_monthly_cost = fields.Monetary(
        "Monthly Cost per Agent",
        currency_field="currency_id",
        tracking=True,
        help="What running one agent of this type for one month costs you (infrastructure, "
        "model usage included in the agent price, supervision), in the company currency. "
        "Deployed agents x this cost is the agent cost of the profitability reports.",
    )

    @api.constrains("agent_monthly_cost")
    def _check_agent_monthly_cost(self):
        for product in self:
            if product.agent_monthly_cost < 0:
                raise ValidationError(
                    _(
                        "Agent type %(name)s: the monthly cost per agent cannot be negative.",
                        name=product.display_name,
                    )
                )
