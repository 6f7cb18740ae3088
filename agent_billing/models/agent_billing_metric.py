from odoo import _, api, fields, models
from odoo.exceptions import ValidationError


class AgentBillingMetric(models.Model):
    _name = "agent.billing.metric"
    _description = "Usage metric (tasks, executions, hours, ...)"
    _inherit = ["mail.thread"]
    _order = "sequence, name"
    _check_company_auto = True

    name = fields.Char(required=True, translate=True, tracking=True)
    code = fields.Char(
        required=True,
        tracking=True,
        help="Stable identifier used by usage feeds and imports, e.g. 'task'.",
    )
    unit_name = fields.Char("Unit", translate=True, help="Shown on invoices, e.g. 'task'.")
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company", help="Leave empty to share the metric between companies."
    )
    currency_id = fields.Many2one(
        "res.currency",
        compute="_compute_currency_id",
        help="Currency of the catalog unit price: the company's, or the current one's.",
    )
    unit_price = fields.Float(
        "Catalog Price per Unit",
        digits="Agent Billing Unit Price",
        tracking=True,
        help="Catalog price of one unit, used when neither the client's tier nor an override "
        "prices this metric.",
    )
    product_id = fields.Many2one(
        "product.product",
        "Invoice Product",
        check_company=True,
        domain=[("type", "=", "service")],
        help="Service product whose taxes and income account apply to usage invoice lines.",
    )

    _sql_constraints = [
        (
            "code_company_uniq",
            "unique(code, company_id)",
            "A metric code must be unique per company.",
        ),
    ]

    @api.depends("company_id")
    def _compute_currency_id(self):
        for metric in self:
            metric.currency_id = (metric.company_id or self.env.company).currency_id

    @api.constrains("unit_price")
    def _check_unit_price(self):
        for metric in self:
            if metric.unit_price < 0:
                raise ValidationError(
                    _(
                        "Metric %(name)s: the catalog price per unit cannot be negative.",
                        name=metric.display_name,
                    )
                )
