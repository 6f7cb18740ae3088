from odoo import _, api, fields, models
from odoo.exceptions import ValidationError


class AgentBillingPriceOverride(models.Model):
    _name = "agent.billing.price.override"
    _description = "Client-specific price for an agent type or a usage metric"
    _inherit = ["agent.billing.client.mixin", "mail.thread", "mail.activity.mixin"]
    _order = "partner_id, date_from desc, id desc"
    _check_company_auto = True

    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company
    )
    currency_id = fields.Many2one(
        "res.currency",
        required=True,
        default=lambda self: self.env.company.currency_id,
        tracking=True,
    )
    partner_id = fields.Many2one(
        "res.partner", "Client", required=True, tracking=True, check_company=True, index=True
    )
    product_id = fields.Many2one(
        "product.product",
        "Agent Type",
        tracking=True,
        check_company=True,
        domain=[("is_agent_type", "=", True)],
    )
    metric_id = fields.Many2one("agent.billing.metric", tracking=True, check_company=True)
    monthly_rate = fields.Monetary("Monthly Rate per Agent", tracking=True)
    unit_price = fields.Float("Price per Unit", digits="Agent Billing Unit Price", tracking=True)
    date_from = fields.Date(
        "Valid From", required=True, default=fields.Date.context_today, tracking=True
    )
    date_to = fields.Date("Valid To", tracking=True, help="Inclusive. Empty: until further notice.")
    note = fields.Char()

    @api.depends("partner_id", "product_id", "metric_id")
    def _compute_display_name(self):
        for ov in self:
            item = (ov.product_id or ov.metric_id).display_name or ""
            ov.display_name = f"{ov.partner_id.display_name or ''} / {item}"

    @api.constrains("product_id", "metric_id", "monthly_rate", "unit_price", "date_from", "date_to")
    def _check_override(self):
        for ov in self:
            if bool(ov.product_id) == bool(ov.metric_id):
                raise ValidationError(
                    _(
                        "Override %(name)s must name either an agent type or a metric, not both "
                        "and not neither.",
                        name=ov.display_name,
                    )
                )
            if ov.monthly_rate < 0 or ov.unit_price < 0:
                raise ValidationError(
                    _("Override %(name)s: prices cannot be negative.", name=ov.display_name)
                )
            if ov.date_to and ov.date_to < ov.date_from:
                raise ValidationError(
                    _(
                        "Override %(name)s: it ends (%(end)s) before it starts (%(start)s).",
                        name=ov.display_name,
                        end=ov.date_to,
                        start=ov.date_from,
                    )
                )
            domain = [
                ("id", "!=", ov.id),
                ("company_id", "=", ov.company_id.id),
                ("partner_id", "=", ov.partner_id.id),
                ("product_id", "=", ov.product_id.id),
                ("metric_id", "=", ov.metric_id.id),
                "|",
                ("date_to", "=", False),
                ("date_to", ">=", ov.date_from),
            ]
            if ov.date_to:
                domain.append(("date_from", "<=", ov.date_to))
            clash = self.search(domain, limit=1)
            if clash:
                raise ValidationError(
                    _(
                        "Override %(name)s (%(start)s to %(end)s) overlaps override valid "
                        "%(cstart)s to %(cend)s for the same client and item. End one before the "
                        "other starts.",
                        name=ov.display_name,
                        start=ov.date_from,
                        end=ov.date_to or _("open"),
                        cstart=clash.date_from,
                        cend=clash.date_to or _("open"),
                    )
                )
