from datetime import date, datetime, timedelta

from odoo import fields
from odoo.tests import tagged

from .common import AgentBillingCommon


@tagged("post_install", "-at_install")
class TestPartnerBillingTab(AgentBillingCommon):
    def test_billing_tab_figures(self):
        today = fields.Date.today()
        contract = self._contract(self.client_a, "per_agent", start=date(2024, 1, 1))
        self._deploy(self.client_a, self.agent_support, 3, date(2024, 1, 1))
        self._deploy(self.client_a, self.agent_sales, 2, date(2024, 1, 1))
        self._deploy(self.client_a, self.agent_sales, 7, date(2024, 1, 1), date(2024, 2, 1))
        now = datetime.combine(today, datetime.min.time())
        self._usage(self.client_a, self.metric_task, 40, now, "p-1")
        self._usage(self.client_a, self.metric_task, 2, now, "p-2")
        self._usage(
            self.client_a, self.metric_task, 1000, now.replace(day=1) - timedelta(days=1), "p-old"
        )
        contact = self.env["res.partner"].create({"name": "Bob", "parent_id": self.client_a.id})
        for partner in (self.client_a, contact):
            self.assertEqual(partner.agent_contract_id, contract)
            self.assertEqual(partner.agent_billing_model, "per_agent")
            self.assertEqual(partner.agent_active_agent_count, 5)
            self.assertEqual(len(partner.agent_active_deployment_ids), 2)
            self.assertEqual(partner.agent_usage_month_count, 2)
            self.assertEqual(partner.agent_usage_month_quantity, 42.0)
        expected = float(contract._rate_period(today.replace(day=1), today).total)
        self.assertGreater(expected, 0)
        self.assertAlmostEqual(self.client_a.agent_month_estimate, expected, places=2)
        self.assertEqual(self.client_b.agent_active_agent_count, 0)
        self.assertFalse(self.client_b.agent_contract_id)
        action = self.client_a.action_view_agent_usage()
        self.assertEqual(action["domain"], [("partner_id", "=", self.client_a.id)])
