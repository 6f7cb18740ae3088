# pylint: disable=consider-merging-classes-inherited
from odoo import fields, models


class ResCompany(models.Model):
    _inherit = "res.company"

    # --- Agent billing invoice document (logo, colours and font: Odoo's document layout) ---
    agent_invoice_payment_instructions = fields.Html(
        "Payment Instructions",
        translate=True,
        help="Printed next to the amount due on billing invoices, e.g. the bank account and "
        "what to write as the payment reference.",
    )
    agent_invoice_footer = fields.Html(
        "Billing Invoice Footer",
        translate=True,
        help="Closing text at the end of billing invoices.",
    )
    agent_invoice_terms = fields.Html(
        "Billing Terms and Conditions",
        translate=True,
        help="Terms printed at the end of billing invoices.",
    )
    agent_invoice_show_breakdown = fields.Boolean(
        "Show Usage Breakdown",
        default=True,
        help="Billing invoices (and the client portal) detail each charge: agents and days, "
        "usage with included units and tier bands, minimum true-up and prepaid balances.",
    )
