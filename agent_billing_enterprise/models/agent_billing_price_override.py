from odoo import _, api, fields, models
from odoo.tools.misc import formatLang


class AgentBillingPriceOverride(models.Model):
    """A price override may need approval (rule on the reduction per unit against the
    catalog); until approved, rating ignores it."""

    _name = "agent.billing.price.override"
    _inherit = ["agent.billing.price.override", "agent.billing.approval.mixin"]

    _APPROVAL_FIELDS = ("monthly_rate", "unit_price", "product_id", "metric_id")

    def _agent_reduction(self):
        """Reduction per unit against the catalog price, in the company currency (>= 0)."""
        self.ensure_one()
        company = self.company_id
        if self.product_id:
            catalog, price = self.product_id.agent_monthly_rate, self.monthly_rate
            catalog_currency = self.product_id.currency_id or company.currency_id
        else:
            catalog, price = self.metric_id.unit_price, self.unit_price
            catalog_currency = self.metric_id.currency_id or company.currency_id
        today = fields.Date.context_today(self)
        catalog = catalog_currency._convert(
            catalog, company.currency_id, company, today, round=False
        )
        price = self.currency_id._convert(price, company.currency_id, company, today, round=False)
        return max(catalog - price, 0.0)

    def _agent_check_approval(self):
        for override in self:
            reduction = override._agent_reduction()
            item = (override.product_id or override.metric_id).display_name
            price = override.monthly_rate if override.product_id else override.unit_price
            override._agent_request_approval(
                "price_override",
                reduction,
                _(
                    "%(client)s: %(item)s at %(price)s, %(reduction)s below the catalog",
                    client=override.partner_id.display_name,
                    item=item,
                    price=formatLang(self.env, price, currency_obj=override.currency_id),
                    reduction=formatLang(
                        self.env, reduction, currency_obj=override.company_id.currency_id
                    ),
                ),
            )

    @api.model_create_multi
    def create(self, vals_list):
        overrides = super().create(vals_list)
        overrides._agent_check_approval()
        return overrides

    def write(self, vals):
        result = super().write(vals)
        if any(field in vals for field in self._APPROVAL_FIELDS):
            # a new price needs a new approval (an approved one covered the old price)
            self.filtered(lambda o: o.agent_approval_state != "pending")._agent_check_approval()
        return result
