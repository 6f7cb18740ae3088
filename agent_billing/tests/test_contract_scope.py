"""One contract scope: at any date a client's agents, and its usage, are billed by exactly one
live contract; an overlapping one is refused with a message naming both, also between two
transactions (the database's exclusion constraint)."""

import uuid
from datetime import date

import psycopg2
from psycopg2 import errors as pg_errors

from odoo.exceptions import ValidationError
from odoo.tests import TransactionCase
from odoo.tools import mute_logger

from .common import AgentBillingCommon, independent_env, tagged


@tagged("post_install", "-at_install")
class TestContractScope(AgentBillingCommon):
    def test_usage_contract_and_tier_contract_overlapping_is_refused(self):
        # symptom: a usage contract and a tier contract both billed the same usage
        usage = self._contract(self.client_a, "usage")
        with self.assertRaisesRegex(
            ValidationError, rf"{usage.name}.*usage|usage.*{usage.name}"
        ) as caught:
            self._contract(self.client_a, "contract", tier=self.tier, start=date(2025, 3, 1))
        message = str(caught.exception)
        self.assertIn("Client A", message)
        self.assertRegex(message, r"AGC/|New|\w+/\d+")  # the second contract is named too
        self.assertEqual(
            self.env["agent.billing.contract"].search_count(
                [("partner_id", "=", self.client_a.id)]
            ),
            1,
        )

    def test_activating_an_overlapping_draft_names_both_contracts(self):
        first = self._contract(self.client_a, "per_agent")
        draft = self._contract(
            self.client_a, "contract", tier=self.tier, start=date(2025, 6, 1), state="draft"
        )
        with self.assertRaisesRegex(ValidationError, "agents") as caught:
            draft.action_activate()
        self.assertIn(first.name, str(caught.exception))
        self.assertIn(draft.name, str(caught.exception))
        self.assertEqual(draft.state, "draft")

    def test_disjoint_scopes_and_consecutive_contracts_are_accepted(self):
        self._contract(self.client_a, "per_agent", date_end=date(2025, 5, 31))
        self._contract(self.client_a, "usage")  # usage only: another scope
        follower = self._contract(self.client_a, "per_agent", start=date(2025, 6, 1))
        self.assertEqual(follower.state, "active")
        # another client may have any contract at the same dates
        self._contract(self.client_b, "contract", tier=self.tier)

    def test_extending_a_closed_contract_over_its_successor_is_refused(self):
        old = self._contract(self.client_a, "per_agent", date_end=date(2025, 5, 31))
        old.state = "closed"
        new = self._contract(self.client_a, "per_agent", start=date(2025, 6, 1))
        with self.assertRaisesRegex(ValidationError, new.name):
            old.date_end = date(2025, 6, 15)

    def test_cancelled_contract_does_not_count(self):
        old = self._contract(self.client_a, "usage")
        old.action_cancel()
        self.assertEqual(self._contract(self.client_a, "usage").state, "active")


@tagged("post_install", "-at_install")
class TestContractScopeConcurrency(TransactionCase):
    """Two transactions each activate a contract of the same client and scope: neither sees the
    other's, so the ORM check passes twice; the database refuses the second."""

    def _env(self):
        return independent_env()

    def setUp(self):
        super().setUp()
        with self._env() as env:
            partner = env["res.partner"].create(
                {"name": f"Scope client {uuid.uuid4().hex[:6]}", "is_company": True}
            )
            env.cr.commit()  # pylint: disable=invalid-commit
            self.partner_id = partner.id
        self.addCleanup(self._cleanup)

    def _cleanup(self):
        with self._env() as env:
            env["agent.billing.contract"].search([("partner_id", "=", self.partner_id)]).unlink()
            env["res.partner"].browse(self.partner_id).unlink()
            env.cr.commit()  # pylint: disable=invalid-commit

    def _contract_vals(self, billing_model, start):
        return {
            "partner_id": self.partner_id,
            "billing_model": billing_model,
            "date_start": start,
            "state": "active",
        }

    def test_two_transactions_cannot_both_create_overlapping_contracts(self):
        with self._env() as env_a, self._env() as env_b:
            env_b.cr.execute("SELECT 1")  # B's snapshot starts before A commits
            env_a["agent.billing.contract"].create(self._contract_vals("usage", date(2030, 1, 1)))
            env_a.cr.commit()  # pylint: disable=invalid-commit
            # B's snapshot does not hold A's contract: its ORM check would pass
            self.assertFalse(
                env_b["agent.billing.contract"].search([("partner_id", "=", self.partner_id)])
            )
            env_b["agent.billing.contract"].create(self._contract_vals("usage", date(2030, 2, 1)))
            env_b.flush_all()
            with self.assertRaises(psycopg2.DatabaseError) as caught, mute_logger("odoo.sql_db"):
                env_b.cr.commit()  # pylint: disable=invalid-commit
            self.assertIsInstance(
                caught.exception, (pg_errors.ExclusionViolation, pg_errors.SerializationFailure)
            )
        with self._env() as env:
            contracts = env["agent.billing.contract"].search([("partner_id", "=", self.partner_id)])
            self.assertEqual(len(contracts), 1)
            self.assertEqual(contracts.date_start, date(2030, 1, 1))
