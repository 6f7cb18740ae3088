"""The billing ledger on real invoices: each deployment-day is billed once, whatever runs,
manual invoices, early ends, late starts and back-dated changes happen, each figure computed
by hand (Support Agent 100.00 and Sales Agent 300.00 per agent per month, catalog prices)."""

import importlib.util
import uuid
from datetime import date
from pathlib import Path

from odoo.exceptions import UserError
from odoo.tests import TransactionCase
from odoo.tools import mute_logger

from .common import AgentBillingCommon, independent_env, tagged


def _month(year, month):
    start = date(year, month, 1)
    end = date(year + (month == 12), month % 12 + 1, 1)
    return start, date.fromordinal(end.toordinal() - 1)


@tagged("post_install", "-at_install")
class TestEngineLedger(AgentBillingCommon):
    def _run(self, year, month):
        start, end = _month(year, month)
        run = self.env["agent.billing.run"].create({"period_start": start, "period_end": end})
        run.action_compute()
        run.action_create_invoices()
        return run

    def _row(self, run, contract):
        return run.line_ids.filtered(lambda row: row.contract_id == contract)

    def _agent_lines(self, move):
        return move.invoice_line_ids.filtered(lambda line: line.agent_kind == "agents").sorted(
            lambda line: (line.agent_service_start, line.id)
        )

    def _service(self, move):
        return [
            (
                line.agent_service_start,
                line.agent_service_end,
                line.price_subtotal,
                line.agent_is_credit,
            )
            for line in self._agent_lines(move)
        ]

    def test_manual_invoice_for_the_1st_to_15th_then_the_run_bills_each_day_once(self):
        contract = self._contract(self.client_a, "per_agent", start=date(2025, 11, 1))
        self._deploy(self.client_a, self.agent_support, 2, date(2025, 11, 1))
        wizard = self.env["agent.billing.manual.invoice"].create(
            {
                "partner_id": self.client_a.id,
                "contract_id": contract.id,
                "period_start": date(2025, 11, 1),
                "period_end": date(2025, 11, 15),
            }
        )
        manual = self.env["account.move"].browse(wizard.action_create_invoice()["res_id"])
        # 2 agents x 100.00 x 15/30
        self.assertEqual(
            self._service(manual), [(date(2025, 11, 1), date(2025, 11, 15), 100.0, False)]
        )
        run = self._run(2025, 11)
        row = self._row(run, contract)
        self.assertEqual(row.state, "invoiced", row.message)
        self.assertEqual(
            self._service(row.move_id), [(date(2025, 11, 16), date(2025, 11, 30), 100.0, False)]
        )
        self.assertEqual(manual.amount_untaxed + row.move_id.amount_untaxed, 200.0)

    def test_in_advance_contract_closed_mid_period_is_credited_its_closing_days_once(self):
        contract = self._contract(
            self.client_a, "per_agent", billing_timing="advance", start=date(2025, 9, 1)
        )
        self._deploy(self.client_a, self.agent_sales, 1, date(2025, 9, 1))
        september = self._row(self._run(2025, 9), contract).move_id
        # September was never billed in advance (no run before it): caught up with October
        self.assertEqual(
            self._service(september),
            [
                (date(2025, 9, 1), date(2025, 9, 30), 300.0, False),
                (date(2025, 10, 1), date(2025, 10, 31), 300.0, False),
            ],
        )
        october = self._row(self._run(2025, 10), contract).move_id
        self.assertEqual(
            self._service(october), [(date(2025, 11, 1), date(2025, 11, 30), 300.0, False)]
        )
        contract.write({"date_end": date(2025, 11, 20), "state": "closed"})
        row = self._row(self._run(2025, 11), contract)
        self.assertEqual(row.state, "invoiced", row.message)
        credit = row.move_id
        # the 21st to the 30th were billed in advance: 300.00 - 300 x 20/30 = 100.00 back
        self.assertEqual(credit.move_type, "out_refund")
        self.assertEqual(credit.amount_untaxed, 100.0)
        line = self._agent_lines(credit)
        self.assertEqual(
            (line.agent_service_start, line.agent_service_end, line.agent_is_credit),
            (date(2025, 11, 21), date(2025, 11, 30), True),
        )
        self.assertIn("contract ended", line.agent_credit_reason)
        self.assertIn("Credit", line.name)
        # nothing more: the posted invoices are untouched and a new run bills nothing
        self.assertEqual((september.amount_untaxed, october.amount_untaxed), (600.0, 300.0))
        self.assertFalse(self._row(self._run(2025, 12), contract).move_id)

    def test_in_advance_contract_starting_mid_cycle_bills_its_first_partial_period(self):
        # signed on 20 November, starting on the 15th: November's run bills 15-30 and December
        contract = self._contract(
            self.client_a, "per_agent", billing_timing="advance", start=date(2025, 11, 15)
        )
        self._deploy(self.client_a, self.agent_sales, 1, date(2025, 11, 15))
        row = self._row(self._run(2025, 11), contract)
        self.assertEqual(
            self._service(row.move_id),
            [
                (date(2025, 11, 15), date(2025, 11, 30), 160.0, False),  # 300 x 16/30
                (date(2025, 12, 1), date(2025, 12, 31), 300.0, False),
            ],
        )

    def test_agents_added_mid_period_in_advance_are_billed_by_the_next_run(self):
        contract = self._contract(
            self.client_a, "per_agent", billing_timing="advance", start=date(2025, 10, 1)
        )
        self._deploy(self.client_a, self.agent_sales, 1, date(2025, 10, 1))
        self._run(2025, 10)  # October (caught up) and November, 1 agent
        self._deploy(self.client_a, self.agent_sales, 2, date(2025, 11, 10))
        move = self._row(self._run(2025, 11), contract).move_id
        # December for both, and the 10th to the 30th of November for the new one:
        # 2 x 300 x 21/30 = 420.00
        self.assertEqual(
            sorted(self._service(move)),
            [
                (date(2025, 11, 10), date(2025, 11, 30), 420.0, False),
                (date(2025, 12, 1), date(2025, 12, 31), 300.0, False),
                (date(2025, 12, 1), date(2025, 12, 31), 600.0, False),
            ],
        )

    def test_back_dated_agent_count_is_credited_and_billed_again(self):
        contract = self._contract(self.client_a, "per_agent", start=date(2025, 10, 1))
        deployment = self._deploy(self.client_a, self.agent_support, 2, date(2025, 10, 1))
        self._run(2025, 10)
        deployment.agent_count = 3  # it was three since October
        row = self._row(self._run(2025, 11), contract)
        self.assertEqual(
            sorted(self._service(row.move_id)),
            [
                (date(2025, 10, 1), date(2025, 10, 31), -200.0, True),
                (date(2025, 10, 1), date(2025, 10, 31), 300.0, False),
                (date(2025, 11, 1), date(2025, 11, 30), 300.0, False),
            ],
        )
        credit = self._agent_lines(row.move_id).filtered("agent_is_credit")
        self.assertIn("agent count is now 3", credit.agent_credit_reason)
        self.assertEqual(row.total, 400.0)

    def test_missed_months_are_caught_up_and_a_repeated_run_bills_nothing(self):
        contract = self._contract(self.client_a, "per_agent", start=date(2025, 8, 1))
        self._deploy(self.client_a, self.agent_support, 1, date(2025, 8, 1))
        row = self._row(self._run(2025, 10), contract)  # August and September were missed
        self.assertEqual(
            [line[:2] for line in self._service(row.move_id)],
            [
                (date(2025, 8, 1), date(2025, 8, 31)),
                (date(2025, 9, 1), date(2025, 9, 30)),
                (date(2025, 10, 1), date(2025, 10, 31)),
            ],
        )
        self.assertEqual(row.move_id.amount_untaxed, 300.0)
        # the same period again: a recompute of the run finds nothing left to bill
        self.assertEqual(contract._agent_ledger_details(date(2025, 10, 31)), ([], []))

    def test_upgrade_keeps_invoices_of_the_previous_version_as_they_were(self):
        contract = self._contract(self.client_a, "per_agent", start=date(2025, 9, 1))
        self._deploy(self.client_a, self.agent_support, 1, date(2025, 9, 1))
        september = self._row(self._run(2025, 9), contract).move_id
        # as the previous version wrote it: agent lines without service days
        september.invoice_line_ids.write({"agent_service_start": False, "agent_service_end": False})
        path = Path(__file__).parents[1] / "migrations" / "18.0.1.1.0" / "post-migrate.py"
        spec = importlib.util.spec_from_file_location("ab_post_migrate_1_1", path)
        migration = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(migration)
        self.env.flush_all()
        migration.migrate(self.env.cr, "18.0.1.0.0")
        contract.invalidate_recordset(["agent_ledger_start"])
        self.assertEqual(contract.agent_ledger_start, date(2025, 10, 1))
        move = self._row(self._run(2025, 10), contract).move_id
        self.assertEqual(
            self._service(move), [(date(2025, 10, 1), date(2025, 10, 31), 100.0, False)]
        )


@tagged("post_install", "-at_install")
class TestEngineLedgerConcurrency(TransactionCase):
    """A manual invoice racing a billing run for the same contract, in two transactions."""

    def _env(self):
        return independent_env()

    def setUp(self):
        super().setUp()
        tag = uuid.uuid4().hex[:6]
        with self._env() as env:
            product = env["product.product"].create(
                {
                    "name": f"Ledger agent {tag}",
                    "type": "service",
                    "is_agent_type": True,
                    "agent_monthly_rate": 100.0,
                }
            )
            partner = env["res.partner"].create(
                {"name": f"Ledger client {tag}", "is_company": True}
            )
            contract = env["agent.billing.contract"].create(
                {
                    "partner_id": partner.id,
                    "billing_model": "per_agent",
                    "date_start": date(2033, 1, 1),
                    "state": "active",
                }
            )
            env["agent.billing.deployment"].create(
                {
                    "partner_id": partner.id,
                    "product_id": product.id,
                    "agent_count": 1,
                    "date_start": date(2033, 1, 1),
                    "state": "active",
                }
            )
            env.cr.commit()  # pylint: disable=invalid-commit
            self.ids = {"product": product.id, "partner": partner.id, "contract": contract.id}
        self.addCleanup(self._cleanup)

    def _cleanup(self):
        with self._env() as env:
            moves = env["account.move"].search([("agent_contract_id", "=", self.ids["contract"])])
            moves.with_context(force_delete=True).unlink()
            env["agent.billing.run"].search([("period_start", "=", date(2033, 1, 1))]).unlink()
            env["agent.billing.deployment"].search(
                [("partner_id", "=", self.ids["partner"])]
            ).unlink()
            env["agent.billing.contract"].browse(self.ids["contract"]).unlink()
            env["product.product"].browse(self.ids["product"]).product_tmpl_id.unlink()
            env["res.partner"].browse(self.ids["partner"]).unlink()
            env.cr.commit()  # pylint: disable=invalid-commit

    def test_manual_invoice_racing_a_run_bills_the_days_once(self):
        with self._env() as env_run, self._env() as env_manual:
            env_manual.cr.execute("SELECT 1")  # the manual invoice's picture is taken first
            run = env_run["agent.billing.run"].create(
                {"period_start": date(2033, 1, 1), "period_end": date(2033, 1, 31)}
            )
            run.action_compute()
            run.action_create_invoices()
            ours = run.move_ids.filtered(lambda m: m.agent_contract_id.id == self.ids["contract"])
            self.assertEqual(ours.amount_untaxed, 100.0)
            env_run.cr.commit()  # pylint: disable=invalid-commit
            wizard = env_manual["agent.billing.manual.invoice"].create(
                {
                    "partner_id": self.ids["partner"],
                    "contract_id": self.ids["contract"],
                    "period_start": date(2033, 1, 1),
                    "period_end": date(2033, 1, 15),
                }
            )
            # its picture predates the run's invoice: it would bill January again; the
            # contract's ledger version refuses it
            with self.assertRaisesRegex(UserError, "being billed"), mute_logger("odoo.sql_db"):
                wizard.action_create_invoice()
        with self._env() as env:
            moves = env["account.move"].search([("agent_contract_id", "=", self.ids["contract"])])
            self.assertEqual(len(moves), 1)
            self.assertEqual(moves.amount_untaxed, 100.0)
