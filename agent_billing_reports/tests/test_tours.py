from datetime import timedelta

from odoo import Command, fields
from odoo.tests import HttpCase, tagged


@tagged("post_install", "-at_install", "agent_billing_tour")
class TestDashboardTour(HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env.ref("base.user_admin").groups_id |= cls.env.ref(
            "agent_billing.group_agent_billing_manager"
        )
        client = cls.env["res.partner"].create({"name": "Tour Client", "is_company": True})
        today = fields.Date.today()
        # an invoice 60 days old, due after 30 days: overdue
        cls.invoice = cls.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": client.id,
                "invoice_date": today - timedelta(days=60),
                "invoice_payment_term_id": cls.env.ref("account.account_payment_term_30days").id,
                "invoice_line_ids": [
                    Command.create({"name": "Agents", "quantity": 1, "price_unit": 1234.0})
                ],
            }
        )
        cls.invoice.action_post()

    def test_dashboard_tour(self):
        self.start_tour(
            "/odoo/action-agent_billing_reports.action_agent_billing_dashboard",
            "agent_billing_reports_dashboard_tour",
            login="admin",
        )
