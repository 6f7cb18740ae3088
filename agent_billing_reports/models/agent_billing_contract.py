from odoo import fields, models


class AgentBillingContract(models.Model):
    _inherit = "agent.billing.contract"

    # --- Forecast ---
    renewal_expected = fields.Boolean(
        tracking=True,
        help="The client is expected to renew this contract at its end date: the revenue "
        "forecast goes on after the end date. Unticked, the forecast stops at the end date.",
    )
