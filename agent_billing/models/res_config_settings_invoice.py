# pylint: disable=consider-merging-classes-inherited
from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    agent_invoice_payment_instructions = fields.Html(
        related="company_id.agent_invoice_payment_instructions", readonly=False
    )
    agent_invoice_footer = fields.Html(related="company_id.agent_invoice_footer", readonly=False)
    agent_invoice_terms = fields.Html(related="company_id.agent_invoice_terms", readonly=False)
    agent_invoice_show_breakdown = fields.Boolean(
        related="company_id.agent_invoice_show_breakdown", readonly=False
    )
