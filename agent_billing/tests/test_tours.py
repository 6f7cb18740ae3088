from datetime import date, timedelta

from odoo import Command
from odoo.tests import HttpCase, tagged


@tagged("post_install", "-at_install", "agent_billing_tour")
class TestAgentBillingTours(HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env.ref("base.user_admin").groups_id |= cls.env.ref(
            "agent_billing.group_agent_billing_manager"
        )
        cls.client = cls.env["res.partner"].create({"name": "Tour Client", "is_company": True})
        cls.agent = cls.env["product.product"].create(
            {
                "name": "Tour Agent",
                "type": "service",
                "is_agent_type": True,
                "agent_monthly_rate": 100.0,
            }
        )
        cls.tier = cls.env["agent.billing.tier"].create(
            {
                "name": "Tour Tier",
                "agent_rate_ids": [
                    Command.create({"product_id": cls.agent.id, "monthly_rate": 80.0})
                ],
            }
        )

    def test_contract_tour(self):
        self.start_tour("/odoo", "agent_billing_contract_tour", login="admin")
        contract = self.env["agent.billing.contract"].search([("partner_id", "=", self.client.id)])
        self.assertEqual(
            (contract.billing_model, contract.tier_id, contract.state),
            ("contract", self.tier, "active"),
        )

    def test_billing_run_tour(self):
        # the tour bills the previous month: the contract starts with it (one that started
        # earlier would have its unbilled months caught up)
        start = (date.today().replace(day=1) - timedelta(days=1)).replace(day=1)
        self.env["agent.billing.contract"].create(
            {
                "partner_id": self.client.id,
                "billing_model": "per_agent",
                "date_start": start,
                "state": "active",
            }
        )
        self.env["agent.billing.deployment"].create(
            {
                "partner_id": self.client.id,
                "product_id": self.agent.id,
                "agent_count": 2,
                "date_start": start,
                "state": "active",
            }
        )
        self.start_tour("/odoo", "agent_billing_run_tour", login="admin")
        run = self.env["agent.billing.run"].search([], order="id desc", limit=1)
        self.assertEqual(run.state, "computed")
        row = run.line_ids.filtered(lambda r: r.partner_id == self.client)
        self.assertEqual(row.total, 200.0)
