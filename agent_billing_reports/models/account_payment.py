from odoo import models
from odoo.tools import SQL


class AccountPayment(models.Model):
    _inherit = "account.payment"

    def init(self):
        result = super().init()
        # cash collected from customers, by payment date (dashboard KPI and payment trend)
        self.env.cr.execute(
            SQL(
                """CREATE INDEX IF NOT EXISTS account_payment_agent_reports_collected_idx
               ON account_payment (date) INCLUDE (company_id, amount_company_currency_signed)
               WHERE partner_type = 'customer' AND state IN ('in_process', 'paid')"""
            )
        )
        return result
