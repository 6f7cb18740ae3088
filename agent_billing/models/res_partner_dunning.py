# pylint: disable=consider-merging-classes-inherited
# (the design keeps dunning in its own files)
from odoo import api, fields, models


class ResPartner(models.Model):
    _inherit = "res.partner"

    agent_dunning_opt_out = fields.Boolean(
        "No Payment Reminders",
        tracking=True,
        help="The client receives no automatic payment reminders: each reminder that would "
        "have gone out is logged as skipped on the invoice's timeline. Held by the client "
        "company and shared by its contacts.",
    )

    @api.model
    def _commercial_fields(self):
        return super()._commercial_fields() + ["agent_dunning_opt_out"]
