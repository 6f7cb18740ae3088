from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

from ..rating import Band, PricingError, UsagePrice, to_decimal

CHARGE_MODEL_SELECTION = [
    ("standard", "Standard (price per unit)"),
    ("graduated", "Graduated bands (each band at its own price)"),
    ("volume", "Volume bands (all units at the reached band's price)"),
    ("package", "Package (price per started package)"),
]


class AgentBillingTierUsageRate(models.Model):
    _name = "agent.billing.tier.usage.rate"
    _description = "Usage pricing of one metric in a contract tier"
    _inherit = ["agent.billing.tracked.line"]
    _order = "tier_id, metric_id"
    _check_company_auto = True
    _tracked_parent = "tier_id"
    _tracked_fields = ("charge_model", "unit_price", "package_size", "included_units")

    tier_id = fields.Many2one("agent.billing.tier", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="tier_id.company_id", store=True, index=True)
    currency_id = fields.Many2one(related="tier_id.currency_id")
    metric_id = fields.Many2one("agent.billing.metric", required=True, check_company=True)
    charge_model = fields.Selection(CHARGE_MODEL_SELECTION, required=True, default="standard")
    unit_price = fields.Float(
        "Price per Unit / Package",
        digits="Agent Billing Unit Price",
        help="Standard: price of one unit. Package: price of one package. Unused for bands.",
    )
    package_size = fields.Float(digits="Agent Billing Quantity", default=1.0)
    included_units = fields.Float(
        digits="Agent Billing Quantity", help="Units per billing period included at no charge."
    )
    band_ids = fields.One2many("agent.billing.tier.band", "usage_rate_id", "Bands", copy=True)

    _sql_constraints = [
        (
            "tier_metric_uniq",
            "unique(tier_id, metric_id)",
            "A metric can have only one usage rate per tier.",
        ),
    ]

    def _tracked_label(self):
        return _("usage rate %(metric)s", metric=self.metric_id.display_name)

    @api.depends("tier_id", "metric_id")
    def _compute_display_name(self):
        for rate in self:
            rate.display_name = f"{rate.tier_id.name} / {rate.metric_id.display_name}"

    def _to_usage_price(self, price_on=None):
        """The rating core's view of this rate (raises PricingError when inconsistent).

        ``price_on(record, field)`` gives a price as it was on the day rated (date-effective
        prices); by default the current values."""
        self.ensure_one()
        if price_on is None:

            def price_on(record, field_name):
                return to_decimal(record[field_name])

        bands = tuple(
            Band(
                up_to=to_decimal(band.up_to) if band.up_to else None,
                unit_price=price_on(band, "unit_price"),
                flat_fee=price_on(band, "flat_fee"),
            )
            for band in self.band_ids.sorted(lambda b: (not b.up_to, b.up_to))
        )
        return UsagePrice(
            model=self.charge_model,
            unit_price=price_on(self, "unit_price"),
            bands=bands,
            package_size=to_decimal(self.package_size),
            included_units=to_decimal(self.included_units),
        )

    @api.constrains("charge_model", "unit_price", "package_size", "included_units", "band_ids")
    def _check_pricing(self):
        for rate in self:
            try:
                rate._to_usage_price()
            except PricingError as exc:
                raise ValidationError(
                    _(
                        "Tier %(tier)s, metric %(metric)s: %(reason)s",
                        tier=rate.tier_id.name,
                        metric=rate.metric_id.display_name,
                        reason=str(exc),
                    )
                ) from exc
