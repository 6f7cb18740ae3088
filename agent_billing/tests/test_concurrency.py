"""Two real database transactions at once: no duplicate run, invoice or charge.

The test registry hands out the test's own cursor, so these tests open independent cursors with
``db_connect`` and commit their fixtures, then delete them again. Tests with threads live in the
pytest-odoo layer (tests/odoo/test_billing_concurrency.py), outside Odoo's test mode.
"""

import uuid
from contextlib import contextmanager
from datetime import date

from odoo import SUPERUSER_ID, api
from odoo.exceptions import UserError
from odoo.sql_db import db_connect
from odoo.tests import TransactionCase, get_db_name, tagged


@tagged("post_install", "-at_install")
class TestBillingConcurrency(TransactionCase):
    @contextmanager
    def _env(self, commit=False):
        cr = db_connect(get_db_name()).cursor()
        try:
            env = api.Environment(cr, SUPERUSER_ID, {"tracking_disable": True})
            yield env
            if commit:
                cr.commit()  # pylint: disable=invalid-commit
            else:
                cr.rollback()
        finally:
            cr.close()

    def setUp(self):
        super().setUp()
        tag = uuid.uuid4().hex[:8]
        self.period = {"period_start": date(2031, 3, 1), "period_end": date(2031, 3, 31)}
        with self._env(commit=True) as env:
            company = env.ref("base.main_company")
            product = env["product.product"].create(
                {
                    "name": f"Concurrency agent {tag}",
                    "type": "service",
                    "is_agent_type": True,
                    "agent_monthly_rate": 100.0,
                    "company_id": company.id,
                }
            )
            partner = env["res.partner"].create(
                {"name": f"Concurrency client {tag}", "is_company": True}
            )
            contract = env["agent.billing.contract"].create(
                {
                    "partner_id": partner.id,
                    "billing_model": "per_agent",
                    "date_start": date(2031, 1, 1),
                    "state": "active",
                    "company_id": company.id,
                }
            )
            env["agent.billing.deployment"].create(
                {
                    "partner_id": partner.id,
                    "product_id": product.id,
                    "agent_count": 2,
                    "date_start": date(2031, 1, 1),
                    "state": "active",
                    "company_id": company.id,
                }
            )
            self.ids = {
                "company": company.id,
                "product": product.id,
                "partner": partner.id,
                "contract": contract.id,
            }
        self.addCleanup(self._cleanup)

    def _cleanup(self):
        with self._env(commit=True) as env:
            contract = env["agent.billing.contract"].browse(self.ids["contract"])
            moves = env["account.move"].search([("agent_contract_id", "=", contract.id)])
            moves.filtered(lambda m: m.state == "posted").button_draft()
            moves.with_context(force_delete=True).unlink()
            env["agent.billing.run"].search(
                [
                    ("period_start", "=", self.period["period_start"]),
                    ("company_id", "=", self.ids["company"]),
                ]
            ).unlink()
            env["agent.billing.deployment"].search(
                [("contract_id", "=", False), ("partner_id", "=", self.ids["partner"])]
            ).unlink()
            contract.unlink()
            env["product.product"].browse(self.ids["product"]).product_tmpl_id.unlink()
            env["res.partner"].browse(self.ids["partner"]).unlink()

    def _our_invoices(self, env):
        return env["account.move"].search([("agent_contract_id", "=", self.ids["contract"])])

    def test_second_user_is_told_a_run_is_in_progress(self):
        with self._env(commit=True) as env:
            run_id = env["agent.billing.run"].create(self.period).id
        with self._env() as env_a, self._env() as env_b:
            env_a["agent.billing.run"].browse(run_id)._lock()  # user A is computing
            with self.assertRaises(UserError) as caught:
                env_b["agent.billing.run"].browse(run_id).action_compute()
            self.assertIn("is being processed right now", str(caught.exception))

    def test_two_runs_for_one_period_cannot_both_exist(self):
        with self._env() as env_a, self._env() as env_b:
            env_a["agent.billing.run"].create(self.period)
            env_a.cr.commit()
            with self.assertRaises(UserError) as caught:
                env_b["agent.billing.run"].create(self.period)
            self.assertIn("already exists for this period", str(caught.exception))
