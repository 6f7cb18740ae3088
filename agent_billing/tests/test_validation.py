from datetime import date, datetime

from psycopg2 import IntegrityError

from odoo.exceptions import ValidationError
from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import AgentBillingCommon


@tagged("post_install", "-at_install")
class TestValidation(AgentBillingCommon):
    def test_negative_usage_quantity_refused(self):
        with self.assertRaisesRegex(ValidationError, r"neg-1.*negative"):
            self._usage(self.client_a, self.metric_task, -5, datetime(2025, 3, 1), "neg-1")
        self.assertFalse(
            self.env["agent.billing.usage"].search([("idempotency_key", "=", "neg-1")])
        )

    def test_deployment_end_before_start_refused(self):
        with self.assertRaisesRegex(ValidationError, r"end 2025-02-01 is before the start"):
            self._deploy(self.client_a, self.agent_support, 2, date(2025, 3, 1), date(2025, 2, 1))

    def test_deployment_needs_agents(self):
        with self.assertRaisesRegex(ValidationError, r"at least 1"):
            self._deploy(self.client_a, self.agent_support, 0, date(2025, 3, 1))

    def test_contract_end_before_start_refused(self):
        with self.assertRaisesRegex(ValidationError, r"Contract .* end .* is before the start"):
            self._contract(
                self.client_a, "per_agent", start=date(2025, 5, 1), date_end=date(2025, 4, 30)
            )

    def test_contract_tier_required_for_tier_billing(self):
        with self.assertRaisesRegex(ValidationError, r"billed by contract tier but has no tier"):
            self._contract(self.client_a, "contract")

    def test_overlapping_overrides_refused(self):
        Override = self.env["agent.billing.price.override"]
        first = Override.create(
            {
                "partner_id": self.client_a.id,
                "product_id": self.agent_support.id,
                "monthly_rate": 80.0,
                "date_from": date(2025, 1, 1),
                "date_to": date(2025, 6, 30),
            }
        )
        with self.assertRaisesRegex(ValidationError, r"overlaps override valid 2025-01-01"):
            Override.create(
                {
                    "partner_id": self.client_a.id,
                    "product_id": self.agent_support.id,
                    "monthly_rate": 70.0,
                    "date_from": date(2025, 6, 1),
                }
            )
        # adjacent periods and another client are fine
        Override.create(
            {
                "partner_id": self.client_a.id,
                "product_id": self.agent_support.id,
                "monthly_rate": 70.0,
                "date_from": date(2025, 7, 1),
            }
        )
        Override.create(
            {
                "partner_id": self.client_b.id,
                "product_id": self.agent_support.id,
                "monthly_rate": 70.0,
                "date_from": date(2025, 6, 1),
            }
        )
        self.assertEqual(first.monthly_rate, 80.0)

    def test_override_needs_exactly_one_target(self):
        with self.assertRaisesRegex(ValidationError, r"either an agent type or a metric"):
            self.env["agent.billing.price.override"].create(
                {
                    "partner_id": self.client_a.id,
                    "product_id": self.agent_support.id,
                    "metric_id": self.metric_task.id,
                    "date_from": date(2025, 1, 1),
                }
            )

    def test_duplicate_idempotency_key_keeps_original(self):
        original = self._usage(self.client_a, self.metric_task, 10, datetime(2025, 3, 1), "dup-1")
        with self.assertRaisesRegex(ValidationError, r"dup-1 already exists .*original is kept"):
            self._usage(self.client_b, self.metric_task, 99, datetime(2025, 3, 2), "dup-1")
        stored = self.env["agent.billing.usage"].search([("idempotency_key", "=", "dup-1")])
        self.assertEqual(stored, original)
        self.assertEqual((stored.quantity, stored.partner_id), (10.0, self.client_a))

    def test_duplicate_key_database_constraint(self):
        """The unique index is the last line of defence, e.g. for concurrent inserts."""
        self._usage(self.client_a, self.metric_task, 1, datetime(2025, 3, 1), "dup-db")
        with mute_logger("odoo.sql_db"), self.assertRaises(IntegrityError), self.env.cr.savepoint():
            self.env.cr.execute(
                """INSERT INTO agent_billing_usage
                   (company_id, partner_id, metric_id, quantity, timestamp, idempotency_key)
                   VALUES (%s, %s, %s, 1, now(), 'dup-db')""",
                (self.env.company.id, self.client_b.id, self.metric_task.id),
            )

    def test_same_key_allowed_in_another_company(self):
        self._usage(self.client_a, self.metric_task, 1, datetime(2025, 3, 1), "shared-key")
        other = self.setup_other_company()["company"]
        metric = self.metric_task.copy(
            {"code": "t_task_b", "company_id": other.id, "product_id": False}
        )
        usage = (
            self.env["agent.billing.usage"]
            .with_company(other)
            .create(
                {
                    "partner_id": self.client_a.id,
                    "metric_id": metric.id,
                    "quantity": 2,
                    "timestamp": datetime(2025, 3, 1),
                    "idempotency_key": "shared-key",
                    "company_id": other.id,
                }
            )
        )
        self.assertEqual(usage.company_id, other)

    def test_usage_deployment_of_other_client_refused(self):
        dep = self._deploy(self.client_b, self.agent_support, 1, date(2025, 1, 1))
        with self.assertRaisesRegex(ValidationError, r"belongs to Client B, not to Client A"):
            self._usage(self.client_a, self.metric_task, 1, datetime(2025, 3, 1), "x-1", dep)

    def test_agent_type_must_be_service(self):
        with self.assertRaisesRegex(ValidationError, r"must be a service"):
            self.env["product.template"].create(
                {
                    "name": "Boxed agent",
                    "type": "consu",
                    "is_agent_type": True,
                }
            )

    def test_records_use_commercial_partner(self):
        contact = self.env["res.partner"].create({"name": "Jane", "parent_id": self.client_a.id})
        dep = self._deploy(contact, self.agent_support, 1, date(2025, 1, 1))
        usage = self._usage(contact, self.metric_task, 1, datetime(2025, 3, 1), "cp-1")
        contract = self._contract(contact, "per_agent")
        override = self.env["agent.billing.price.override"].create(
            {
                "partner_id": contact.id,
                "product_id": self.agent_support.id,
                "monthly_rate": 1.0,
                "date_from": date(2025, 1, 1),
            }
        )
        for record in (dep, usage, contract, override):
            self.assertEqual(record.partner_id, self.client_a, record._name)
        contact_b = self.env["res.partner"].create({"name": "Kim", "parent_id": self.client_b.id})
        for record in (contract, override):
            record.partner_id = contact_b  # also when changed later
            self.assertEqual(record.partner_id, self.client_b, record._name)
        self.assertTrue(contract.name.startswith("AGC/"))
        self.assertTrue(dep.name.startswith("DEP/"))

    def test_graduated_bands_must_increase(self):
        bands = self.tier.usage_rate_ids.band_ids.sorted("up_to")
        with self.assertRaisesRegex(ValidationError, r"Tier Growth, metric Test tasks"):
            bands.filtered(lambda b: b.up_to == 5000).up_to = 1000  # same bound twice
        with self.assertRaisesRegex(ValidationError, r"Tier Growth, metric Test tasks"):
            bands.filtered(lambda b: b.up_to == 5000).up_to = 0  # two open-ended bands
