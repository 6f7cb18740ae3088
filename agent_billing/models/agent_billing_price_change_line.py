from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

# Models and price fields a bulk price change may touch.
PRICE_FIELDS = {
    "agent.billing.tier": ("minimum_commitment",),
    "agent.billing.tier.agent.rate": ("monthly_rate",),
    "agent.billing.tier.usage.rate": ("unit_price",),
    "agent.billing.tier.band": ("unit_price", "flat_fee"),
    "agent.billing.price.override": ("monthly_rate", "unit_price"),
}


class AgentBillingPriceChangeLine(models.Model):
    _name = "agent.billing.price.change.line"
    _description = "One price changed by a bulk price change"
    _order = "change_id, id"

    change_id = fields.Many2one(
        "agent.billing.price.change", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(related="change_id.company_id", store=True, index=True)
    res_model = fields.Char("Model", required=True, readonly=True)
    res_id = fields.Many2oneReference(
        "Record", model_field="res_model", required=True, readonly=True
    )
    field_name = fields.Char(required=True, readonly=True)
    description = fields.Char(readonly=True)
    old_value = fields.Float(digits="Agent Billing Unit Price", readonly=True)
    new_value = fields.Float(digits="Agent Billing Unit Price", readonly=True)
    result_res_id = fields.Integer(
        readonly=True, help="For an override cut at the effective date: the new override."
    )

    @api.constrains("res_model", "field_name")
    def _check_target(self):
        for line in self:
            if line.field_name not in PRICE_FIELDS.get(line.res_model, ()):
                raise ValidationError(
                    _(
                        "%(model)s.%(field)s is not a price a bulk change may modify.",
                        model=line.res_model,
                        field=line.field_name,
                    )
                )

    def _apply(self, effective_date):
        """Write the new prices. An override that started before the effective date is ended the
        day before and continued by a new override at the new price, so past periods keep
        rating at the old price."""
        for line in self:
            record = self.env[line.res_model].browse(line.res_id).exists()
            if not record:
                line.change_id.message_post(
                    body=_("Skipped %(desc)s: the record no longer exists.", desc=line.description)
                )
                continue
            if line.res_model == "agent.billing.price.override" and (
                record.date_from < effective_date
            ):
                old_end = record.date_to
                # end the old one first so that the two never overlap
                record.write({"date_to": fields.Date.subtract(effective_date, days=1)})
                new_override = record.copy(
                    {
                        "date_from": effective_date,
                        "date_to": old_end,
                        line.field_name: line.new_value,
                    }
                )
                line.result_res_id = new_override.id
            else:
                record.write({line.field_name: line.new_value})
