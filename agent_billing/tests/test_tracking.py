from datetime import date

from odoo.tests import tagged

from .common import AgentBillingCommon


@tagged("post_install", "-at_install")
class TestTracking(AgentBillingCommon):
    def _flush_tracking(self):
        """Odoo writes tracking at commit time, and tracks nothing for a record created in the
        same transaction: flush between creating and changing, as Odoo's mail tests do."""
        self.env.flush_all()
        self.env.cr.precommit.run()

    def _messages(self, record):
        self._flush_tracking()
        return record.sudo().message_ids  # tracking values are readable by admins only

    def test_contract_state_and_price_fields_are_tracked(self):
        contract = self._contract(self.client_a, "per_agent")
        self._flush_tracking()
        contract.write({"billing_model": "contract", "tier_id": self.tier.id})
        contract.action_close()
        tracked = self._messages(contract).tracking_value_ids.mapped("field_id.name")
        for fname in ("billing_model", "tier_id", "state", "date_end"):
            self.assertIn(fname, tracked)

    def test_tier_line_price_change_is_logged_on_the_tier(self):
        self.tier.agent_rate_ids.monthly_rate = 95.0
        self.tier.usage_rate_ids.band_ids[0].unit_price = 0.09
        bodies = " ".join(self._messages(self.tier).mapped("body"))
        self.assertIn("agent rate [T-SUP] Support Agent changed", bodies)
        self.assertRegex(bodies, r"90\.00 → \$(&nbsp;|\s)95\.00")
        self.assertIn("band up to 1,000 changed", bodies)

    def test_override_and_catalog_rates_are_tracked(self):
        override = self.env["agent.billing.price.override"].create(
            {
                "partner_id": self.client_a.id,
                "product_id": self.agent_support.id,
                "monthly_rate": 80.0,
                "date_from": date(2025, 1, 1),
            }
        )
        self._flush_tracking()
        override.monthly_rate = 75.0
        self.assertIn(
            "monthly_rate", self._messages(override).tracking_value_ids.mapped("field_id.name")
        )
        template = self.agent_support.product_tmpl_id
        template.agent_monthly_rate = 120.0
        self.assertIn(
            "agent_monthly_rate",
            self._messages(template).tracking_value_ids.mapped("field_id.name"),
        )

    def test_deployment_tracking(self):
        dep = self._deploy(self.client_a, self.agent_support, 2, date(2025, 1, 1))
        self._flush_tracking()
        dep.agent_count = 4
        self.assertIn("agent_count", self._messages(dep).tracking_value_ids.mapped("field_id.name"))
