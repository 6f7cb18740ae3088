from odoo import _, api, fields, models
from odoo.tools.misc import formatLang


class AgentBillingTierBand(models.Model):
    _name = "agent.billing.tier.band"
    _description = "Quantity band of a graduated or volume usage rate"
    _inherit = ["agent.billing.tracked.line"]
    _order = "usage_rate_id, up_to_sort, up_to"
    _tracked_parent = "tier_id"
    _tracked_fields = ("up_to", "unit_price", "flat_fee")

    usage_rate_id = fields.Many2one(
        "agent.billing.tier.usage.rate", required=True, ondelete="cascade", index=True
    )
    tier_id = fields.Many2one(related="usage_rate_id.tier_id", store=True)
    company_id = fields.Many2one(related="usage_rate_id.company_id", store=True, index=True)
    currency_id = fields.Many2one(related="usage_rate_id.currency_id")
    up_to = fields.Float(
        "Up To (units)",
        digits="Agent Billing Quantity",
        help="Upper bound of the band, inclusive. Leave 0 on the last band for 'and above'.",
    )
    up_to_sort = fields.Boolean(compute="_compute_up_to_sort", store=True)
    unit_price = fields.Float("Price per Unit", digits="Agent Billing Unit Price")
    flat_fee = fields.Float(
        digits="Agent Billing Unit Price", help="Added once when the band is used."
    )

    @api.depends("up_to")
    def _compute_up_to_sort(self):
        for band in self:
            band.up_to_sort = not band.up_to  # open-ended band last

    def _tracked_label(self):
        if self.up_to:
            return _(
                "%(metric)s band up to %(up_to)s",
                metric=self.usage_rate_id.metric_id.name,
                up_to=formatLang(self.env, self.up_to, digits=0),
            )
        return _("%(metric)s band and above", metric=self.usage_rate_id.metric_id.name)

    @api.constrains("up_to", "unit_price", "flat_fee")
    def _check_band(self):
        self.usage_rate_id._check_pricing()
