from odoo import _, api, models


class AgentBillingClientMixin(models.AbstractModel):
    """A record held by a client's commercial entity, optionally numbered by a sequence.

    Contracts, deployments, overrides and usage always point at the commercial partner, whoever
    (a contact, an import, the API) names the client; ``_sequence_code`` numbers ``name``.
    """

    _name = "agent.billing.client.mixin"
    _description = "Agent billing record of a client"

    _sequence_code = None

    def _normalize_client(self, vals):
        if vals.get("partner_id"):
            partner = self.env["res.partner"].browse(vals["partner_id"])
            vals["partner_id"] = partner.commercial_partner_id.id
        return vals

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            self._normalize_client(vals)
            if self._sequence_code and vals.get("name", _("New")) == _("New"):
                sequence = self.env["ir.sequence"].next_by_code(self._sequence_code)
                vals["name"] = sequence or _("New")
        return super().create(vals_list)

    def write(self, vals):
        return super().write(self._normalize_client(vals))
