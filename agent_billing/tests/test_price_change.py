from datetime import date, timedelta

from odoo import fields
from odoo.exceptions import UserError
from odoo.tests import Form, tagged

from .common import AgentBillingCommon


@tagged("post_install", "-at_install")
class TestPriceChange(AgentBillingCommon):
    def _wizard(self, **vals):
        return self.env["agent.billing.price.change.wizard"].create(
            {
                "name": "Test change",
                "mode": "percent",
                "value": 10.0,
                **vals,
            }
        )

    def test_percent_on_tiers_preview_then_apply(self):
        wizard = self._wizard(tier_ids=[fields.Command.set(self.tier.ids)])
        wizard.action_preview()
        preview = {line.description: (line.old_value, line.new_value) for line in wizard.line_ids}
        self.assertEqual(preview["Growth: [T-SUP] Support Agent monthly rate"], (90.0, 99.0))
        self.assertEqual(len(wizard.line_ids), 4)  # agent rate + 3 band prices
        self.assertEqual(self.tier.agent_rate_ids.monthly_rate, 90.0, "a preview changes nothing")
        action = wizard.action_apply()
        change = self.env["agent.billing.price.change"].browse(action["res_id"])
        self.assertEqual(change.state, "applied")
        self.assertEqual(self.tier.agent_rate_ids.monthly_rate, 99.0)
        bands = self.tier.usage_rate_ids.band_ids.sorted(lambda b: (not b.up_to, b.up_to))
        self.assertEqual(bands.mapped("unit_price"), [0.11, 0.088, 0.055])
        self.assertEqual(len(change.line_ids), 4)
        self.assertEqual(change.user_id, self.env.user)

    def test_fixed_amount_with_filters(self):
        wizard = self._wizard(
            mode="fixed",
            value=-5.0,
            include_usage_rates=False,
            product_ids=[fields.Command.set(self.agent_support.ids)],
        )
        wizard.action_apply()  # applying without an explicit preview previews first
        self.assertEqual(self.tier.agent_rate_ids.monthly_rate, 85.0)
        self.assertEqual(self.tier.usage_rate_ids.band_ids.mapped("unit_price"), [0.10, 0.08, 0.05])

    def test_negative_result_refused_and_nothing_changes(self):
        wizard = self._wizard(mode="fixed", value=-95.0, include_usage_rates=False)
        with self.assertRaisesRegex(Exception, r"negative"):
            wizard.action_apply()
        self.assertEqual(self.tier.agent_rate_ids.monthly_rate, 90.0)

    def test_future_change_is_scheduled_then_applied_by_cron(self):
        tomorrow = fields.Date.today() + timedelta(days=1)
        wizard = self._wizard(effective_date=tomorrow, include_usage_rates=False)
        change = self.env["agent.billing.price.change"].browse(wizard.action_apply()["res_id"])
        self.assertEqual(change.state, "scheduled")
        self.assertEqual(self.tier.agent_rate_ids.monthly_rate, 90.0)
        self.env["agent.billing.price.change"]._cron_apply_due()
        self.assertEqual(change.state, "scheduled", "not due yet")
        change.effective_date = fields.Date.today()
        self.env["agent.billing.price.change"]._cron_apply_due()
        self.assertEqual(change.state, "applied")
        self.assertEqual(self.tier.agent_rate_ids.monthly_rate, 99.0)

    def test_override_is_cut_at_the_effective_date(self):
        override = self.env["agent.billing.price.override"].create(
            {
                "partner_id": self.client_a.id,
                "product_id": self.agent_support.id,
                "monthly_rate": 200.0,
                "date_from": date(2024, 1, 1),
            }
        )
        effective = date(2025, 4, 1)
        wizard = self._wizard(
            apply_to_tiers=False, apply_to_overrides=True, effective_date=effective
        )
        change = self.env["agent.billing.price.change"].browse(wizard.action_apply()["res_id"])
        self.assertEqual(change.state, "applied")
        self.assertEqual((override.monthly_rate, override.date_to), (200.0, date(2025, 3, 31)))
        new = self.env["agent.billing.price.override"].browse(change.line_ids.result_res_id)
        self.assertEqual((new.monthly_rate, new.date_from, new.date_to), (220.0, effective, False))

    def test_empty_scope_is_refused(self):
        wizard = self._wizard(apply_to_tiers=False, apply_to_overrides=True)
        with self.assertRaisesRegex(UserError, r"No price matches"):
            wizard.action_preview()

    def test_wizard_form(self):
        with Form(self.env["agent.billing.price.change.wizard"]) as form:
            form.value = 5.0
            form.include_usage_rates = False
        wizard = form.record
        wizard.action_preview()
        self.assertEqual(wizard.line_ids.new_value, 94.5)
