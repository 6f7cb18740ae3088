from decimal import Decimal

from odoo import _, api, fields, models
from odoo.exceptions import UserError, ValidationError

from ..rating import round_money, to_decimal


class AgentBillingPriceChangeWizard(models.TransientModel):
    _name = "agent.billing.price.change.wizard"
    _description = "Bulk price change"
    _check_company_auto = True

    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company
    )
    apply_to_tiers = fields.Boolean("Contract Tiers", default=True)
    apply_to_overrides = fields.Boolean("Client Overrides")
    tier_ids = fields.Many2many(
        "agent.billing.tier",
        string="Only These Tiers",
        check_company=True,
        help="Empty: every active tier of the company.",
    )
    partner_ids = fields.Many2many(
        "res.partner", string="Only These Clients", help="Empty: every client's overrides."
    )
    product_ids = fields.Many2many(
        "product.product",
        string="Only These Agent Types",
        domain=[("is_agent_type", "=", True)],
        help="Empty: all agent types. Restricts agent rates and agent-type overrides.",
    )
    metric_ids = fields.Many2many(
        "agent.billing.metric",
        string="Only These Metrics",
        help="Empty: all metrics. Restricts usage rates, bands and metric overrides.",
    )
    include_agent_rates = fields.Boolean("Agent Rates", default=True)
    include_usage_rates = fields.Boolean("Usage Rates and Bands", default=True)
    include_minimums = fields.Boolean("Minimum Commitments")
    mode = fields.Selection(
        [("percent", "Percentage"), ("fixed", "Fixed amount")], required=True, default="percent"
    )
    value = fields.Float(
        required=True,
        digits=(16, 4),
        help="+5 raises prices by 5 % (or by 5.00 in fixed mode); -5 lowers them.",
    )
    effective_date = fields.Date(required=True, default=fields.Date.context_today)
    name = fields.Char("Description", required=True, default=lambda self: _("Price change"))
    line_ids = fields.One2many("agent.billing.price.change.wizard.line", "wizard_id", "Preview")
    previewed = fields.Boolean(readonly=True)

    # --- Selection of what changes -------------------------------------------------------------
    def _targets(self):
        """Yield (record, field_name, description, digits) for every price in scope."""
        self.ensure_one()
        if self.apply_to_tiers:
            tiers = self.tier_ids or self.env["agent.billing.tier"].search(
                [("company_id", "=", self.company_id.id)]
            )
            for tier in tiers:
                cur_digits = tier.currency_id.decimal_places
                if self.include_minimums and tier.minimum_commitment:
                    yield (
                        tier,
                        "minimum_commitment",
                        _("%(tier)s: minimum commitment", tier=tier.name),
                        cur_digits,
                    )
                if self.include_agent_rates:
                    for rate in tier.agent_rate_ids:
                        if self.product_ids and rate.product_id not in self.product_ids:
                            continue
                        yield (
                            rate,
                            "monthly_rate",
                            _(
                                "%(tier)s: %(type)s monthly rate",
                                tier=tier.name,
                                type=rate.product_id.display_name,
                            ),
                            cur_digits,
                        )
                if self.include_usage_rates:
                    for rate in tier.usage_rate_ids:
                        if self.metric_ids and rate.metric_id not in self.metric_ids:
                            continue
                        if rate.charge_model in ("standard", "package"):
                            yield (
                                rate,
                                "unit_price",
                                _(
                                    "%(tier)s: %(metric)s price",
                                    tier=tier.name,
                                    metric=rate.metric_id.name,
                                ),
                                6,
                            )
                        for band in rate.band_ids:
                            yield (
                                band,
                                "unit_price",
                                _(
                                    "%(tier)s: %(band)s price",
                                    tier=tier.name,
                                    band=band._tracked_label(),
                                ),
                                6,
                            )
                            if band.flat_fee:
                                yield (
                                    band,
                                    "flat_fee",
                                    _(
                                        "%(tier)s: %(band)s flat fee",
                                        tier=tier.name,
                                        band=band._tracked_label(),
                                    ),
                                    6,
                                )
        if self.apply_to_overrides:
            domain = [
                ("company_id", "=", self.company_id.id),
                "|",
                ("date_to", "=", False),
                ("date_to", ">=", self.effective_date),
            ]
            if self.partner_ids:
                domain.append(("partner_id", "in", self.partner_ids.commercial_partner_id.ids))
            for ov in self.env["agent.billing.price.override"].search(domain):
                if (
                    ov.product_id
                    and self.include_agent_rates
                    and (not self.product_ids or ov.product_id in self.product_ids)
                ):
                    yield (
                        ov,
                        "monthly_rate",
                        _("Override %(name)s: monthly rate", name=ov.display_name),
                        ov.currency_id.decimal_places,
                    )
                if (
                    ov.metric_id
                    and self.include_usage_rates
                    and (not self.metric_ids or ov.metric_id in self.metric_ids)
                ):
                    yield (
                        ov,
                        "unit_price",
                        _("Override %(name)s: price per unit", name=ov.display_name),
                        6,
                    )

    def _new_price(self, old, digits):
        old = to_decimal(old)
        value = to_decimal(self.value)
        if self.mode == "percent":
            new = old * (Decimal(100) + value) / Decimal(100)
        else:
            new = old + value
        return round_money(new, Decimal(1).scaleb(-digits))

    # --- Actions -------------------------------------------------------------------------------
    def _check_input(self):
        if not (self.apply_to_tiers or self.apply_to_overrides):
            raise UserError(_("Choose tiers, overrides or both."))
        if not self.value:
            raise UserError(_("Enter a non-zero change."))
        if self.mode == "percent" and self.value <= -100:
            raise UserError(_("A decrease of 100 % or more would make prices zero or negative."))

    def action_preview(self):
        self.ensure_one()
        self._check_input()
        lines = []
        for record, fname, description, digits in self._targets():
            old = record[fname]
            new = self._new_price(old, digits)
            lines.append(
                fields.Command.create(
                    {
                        "res_model": record._name,
                        "res_id": record.id,
                        "field_name": fname,
                        "description": description,
                        "old_value": old,
                        "new_value": float(new),
                    }
                )
            )
        if not lines:
            raise UserError(_("No price matches these filters; widen them and preview again."))
        self.write({"line_ids": [fields.Command.clear()] + lines, "previewed": True})
        return self._reopen()

    def action_apply(self):
        self.ensure_one()
        if not self.previewed or not self.line_ids:
            self.action_preview()
        negatives = self.line_ids.filtered(lambda line: line.new_value < 0)
        if negatives:
            raise ValidationError(
                _(
                    "This change would make %(n)s price(s) negative, e.g. %(desc)s. Nothing was "
                    "changed.",
                    n=len(negatives),
                    desc=negatives[0].description,
                )
            )
        change = self.env["agent.billing.price.change"].create(
            {
                "name": self.name,
                "company_id": self.company_id.id,
                "effective_date": self.effective_date,
                "mode": self.mode,
                "value": self.value,
                "line_ids": [
                    fields.Command.create(
                        {
                            "res_model": line.res_model,
                            "res_id": line.res_id,
                            "field_name": line.field_name,
                            "description": line.description,
                            "old_value": line.old_value,
                            "new_value": line.new_value,
                        }
                    )
                    for line in self.line_ids
                ],
            }
        )
        if self.effective_date <= fields.Date.context_today(self):
            change.action_apply()
        return {
            "type": "ir.actions.act_window",
            "res_model": "agent.billing.price.change",
            "res_id": change.id,
            "view_mode": "form",
            "target": "current",
        }

    def _reopen(self):
        return {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "target": "new",
            "name": _("Bulk Price Change"),
        }

    @api.onchange(
        "mode",
        "value",
        "effective_date",
        "apply_to_tiers",
        "apply_to_overrides",
        "tier_ids",
        "partner_ids",
        "product_ids",
        "metric_ids",
        "include_agent_rates",
        "include_usage_rates",
        "include_minimums",
    )
    def _onchange_invalidate_preview(self):
        self.previewed = False
        self.line_ids = [fields.Command.clear()]


class AgentBillingPriceChangeWizardLine(models.TransientModel):
    _name = "agent.billing.price.change.wizard.line"
    _description = "Bulk price change preview line"

    wizard_id = fields.Many2one(
        "agent.billing.price.change.wizard", required=True, ondelete="cascade"
    )
    res_model = fields.Char(required=True)
    res_id = fields.Many2oneReference(model_field="res_model", required=True)
    field_name = fields.Char(required=True)
    description = fields.Char()
    old_value = fields.Float("Current", digits="Agent Billing Unit Price")
    new_value = fields.Float("New", digits="Agent Billing Unit Price")
