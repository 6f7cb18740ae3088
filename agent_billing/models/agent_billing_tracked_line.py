from odoo import _, api, models
from odoo.tools.misc import formatLang


class AgentBillingTrackedLine(models.AbstractModel):
    """Price lines of a tracked parent: changes of their prices are posted in the parent's chatter.

    Tier agent rates, tier usage rates and their bands are plain lines (no chatter of their own); a
    finance auditor still needs who changed which price, from what to what, and when.
    """

    _name = "agent.billing.tracked.line"
    _description = "Agent billing line whose price changes are logged on its parent"

    # Name of the many2one to the parent (a mail.thread), and the fields whose changes are logged.
    _tracked_parent = None
    _tracked_fields = ()

    def _tracked_parent_record(self):
        self.ensure_one()
        return self[self._tracked_parent]

    def _tracked_label(self):
        self.ensure_one()
        return self.display_name

    def _format_tracked_value(self, fname, value):
        field = self._fields[fname]
        if field.type == "many2one":
            return value.display_name if value else ""
        if field.type == "selection":
            return dict(field._description_selection(self.env)).get(value, value)
        if field.type == "monetary":
            return formatLang(self.env, value, currency_obj=self[field.get_currency_field(self)])
        if field.type == "float":
            digits = field.get_digits(self.env)
            return formatLang(self.env, value, digits=digits[1] if digits else 2)
        return str(value)

    @api.model_create_multi
    def create(self, vals_list):
        records = super().create(vals_list)
        for record in records:
            parent = record._tracked_parent_record()
            if parent:
                parent.message_post(body=_("Added %(line)s", line=record._tracked_label()))
        return records

    def write(self, vals):
        tracked = [f for f in self._tracked_fields if f in vals]
        before = {rec.id: {f: rec[f] for f in tracked} for rec in self} if tracked else {}
        result = super().write(vals)
        for rec in self:
            changes = []
            for fname in tracked:
                old, new = before[rec.id][fname], rec[fname]
                if old != new:
                    changes.append(
                        _(
                            "%(field)s: %(old)s → %(new)s",
                            field=self._fields[fname].string,
                            old=rec._format_tracked_value(fname, old),
                            new=rec._format_tracked_value(fname, new),
                        )
                    )
            parent = rec._tracked_parent_record()
            if changes and parent:
                parent.message_post(
                    body=_(
                        "%(line)s changed: %(changes)s",
                        line=rec._tracked_label(),
                        changes="; ".join(changes),
                    )
                )
        return result

    def unlink(self):
        for rec in self:
            parent = rec._tracked_parent_record()
            if parent:
                parent.message_post(body=_("Removed %(line)s", line=rec._tracked_label()))
        return super().unlink()
