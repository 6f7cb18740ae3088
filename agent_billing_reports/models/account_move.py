from odoo import models
from odoo.tools import SQL


class AccountMove(models.Model):
    _inherit = "account.move"

    def init(self):
        result = super().init()
        # The dashboard, the forecast and the analysis views read posted customer invoices by
        # invoice date, and open customer invoices by due date. Both indexes are partial (only
        # customer invoices) and carry the amounts they sum, so that PostgreSQL answers from the
        # index alone instead of visiting the wide account_move rows.
        self.env.cr.execute(
            SQL(
                """CREATE INDEX IF NOT EXISTS account_move_agent_reports_revenue_idx
               ON account_move (invoice_date)
               INCLUDE (company_id, commercial_partner_id, agent_contract_id, agent_period_start,
                        agent_period_end, payment_state, invoice_date_due, amount_untaxed_signed,
                        amount_total_signed)
               WHERE move_type IN ('out_invoice', 'out_refund') AND state = 'posted'"""
            )
        )
        # the forecast reads invoices by the end of the service period they bill
        self.env.cr.execute(
            SQL(
                """CREATE INDEX IF NOT EXISTS account_move_agent_reports_service_idx
               ON account_move ((COALESCE(agent_period_end, invoice_date)))
               INCLUDE (company_id, commercial_partner_id, agent_contract_id, agent_period_start,
                        agent_period_end, invoice_date, amount_untaxed_signed)
               WHERE move_type IN ('out_invoice', 'out_refund') AND state = 'posted'"""
            )
        )
        self.env.cr.execute(
            SQL(
                """CREATE INDEX IF NOT EXISTS account_move_agent_reports_open_idx
               ON account_move (invoice_date_due)
               INCLUDE (company_id, commercial_partner_id, amount_residual_signed)
               WHERE move_type = 'out_invoice' AND state = 'posted'
                 AND payment_state NOT IN ('paid', 'in_payment', 'reversed')"""
            )
        )
        return result
