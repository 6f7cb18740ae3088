from odoo import _, api, fields, models
from odoo.exceptions import ValidationError


class AgentBillingMetric(models.Model):
    _inherit = "agent.billing.metric"

    # --- Profitability ---
    cost_per_unit = fields.Float(
        "Cost per Unit",
        digits="Agent Billing Unit Price",
        tracking=True,
        help="What one unit of this metric costs you (model tokens, telephony, a person's "
        "hour...), in the company currency. Usage x cost per unit is the usage cost of the "
        "profitability reports.",
    )
    hours_per_unit = fields.Float(
        "Hours per Unit",
        digits=(16, 4),
        tracking=True,
        help="Logged hours one unit stands for: 1 for a metric counted in hours, 1/60 for "
        "minutes, 0 when the metric is not time. Gives the hours of the effective hourly rate.",
    )

    @api.constrains("cost_per_unit", "hours_per_unit")
    def _check_profitability_figures(self):
        for metric in self:
            if metric.cost_per_unit < 0 or metric.hours_per_unit < 0:
                raise ValidationError(
                    _(
                        "Metric %(name)s: the cost per unit and the hours per unit cannot be "
                        "negative.",
                        name=metric.display_name,
                    )
                )
