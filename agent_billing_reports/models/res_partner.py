from odoo import models


class ResPartner(models.Model):
    _inherit = "res.partner"

    def action_open_billing_breakdown(self):
        """The client billing breakdown of this client (its commercial entity)."""
        self.ensure_one()
        return self.env["agent.billing.client.breakdown"].action_open(self.id)
