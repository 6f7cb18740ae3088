"""How runs are carried out: scheduled runs isolate companies, UI actions never commit."""

from datetime import date
from unittest.mock import patch

from .common import AgentBillingCommon, tagged


@tagged("post_install", "-at_install")
class TestEngineRuns(AgentBillingCommon):
    def test_one_failing_company_is_logged_and_the_others_are_billed(self):
        other = self.env["res.company"].create({"name": "Second Billing Co"})
        self.env.company.agent_billing_run_day = other.agent_billing_run_day = 1
        self._contract(self.client_a, "per_agent")
        self._deploy(self.client_a, self.agent_support, 2, date(2025, 1, 1))
        Run = self.env["agent.billing.run"]
        original = type(Run)._cron_run_company
        failing = other

        def run_company(run_model, company, *args):
            if company == failing:
                raise ValueError("its journal was archived")
            return original(run_model, company, *args)

        with (
            patch.object(type(Run), "_cron_run_company", run_company),
            self.assertLogs(
                "odoo.addons.agent_billing.models.agent_billing_run", level="ERROR"
            ) as logs,
        ):
            failed = Run.sudo()._cron_run_billing(today=date(2025, 4, 2))
        self.assertEqual(failed, other)
        self.assertIn("Second Billing Co", logs.output[0])
        run = Run.search(
            [("company_id", "=", self.env.company.id), ("period_start", "=", date(2025, 3, 1))]
        )
        self.assertEqual(run.origin, "cron")
        self.assertIn(self.client_a, run.line_ids.partner_id)
        self.assertEqual(
            run.move_ids.filtered(lambda m: m.partner_id == self.client_a).amount_untaxed, 200.0
        )
        self.assertFalse(Run.sudo().search([("company_id", "=", other.id)]))

    def test_ui_actions_do_not_commit(self):
        self._contract(self.client_a, "per_agent")
        self._deploy(self.client_a, self.agent_support, 1, date(2025, 1, 1))
        run = self.env["agent.billing.run"].create(
            {"period_start": date(2025, 3, 1), "period_end": date(2025, 3, 31)}
        )
        with patch.object(
            type(self.env.cr), "commit", side_effect=AssertionError("a UI action committed")
        ):
            run.action_compute()
            run.action_create_invoices()
            run.action_post()
        self.assertEqual(run.state, "posted")
