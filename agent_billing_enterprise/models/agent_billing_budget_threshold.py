from odoo import _, api, fields, models
from odoo.exceptions import ValidationError


class AgentBillingBudgetThreshold(models.Model):
    """A consumption percentage of a budget that raises an alert once reached."""

    _name = "agent.billing.budget.threshold"
    _description = "Budget alert threshold"
    _order = "budget_id, percent"

    budget_id = fields.Many2one(
        "agent.billing.budget", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(related="budget_id.company_id", store=True, index=True)
    percent = fields.Float("Threshold (%)", required=True, digits=(5, 1))
    reached_on = fields.Datetime(
        readonly=True, copy=False, help="When the alert was raised; empty: not reached."
    )
    reached_amount = fields.Float(readonly=True, copy=False)

    _sql_constraints = [
        (
            "budget_percent_uniq",
            "unique(budget_id, percent)",
            "A budget has each alert threshold once.",
        ),
    ]

    @api.constrains("percent")
    def _check_percent(self):
        for threshold in self:
            if not 0 < threshold.percent <= 1000:
                raise ValidationError(
                    _(
                        "Budget %(name)s: an alert threshold is a percentage above 0 and at most "
                        "1000 (got %(pct)s).",
                        name=threshold.budget_id.name,
                        pct=threshold.percent,
                    )
                )
