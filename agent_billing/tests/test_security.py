from datetime import date, datetime

from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged

from .common import AgentBillingCommon

OUR_MODELS = [
    "agent.billing.metric",
    "agent.billing.deployment",
    "agent.billing.usage",
    "agent.billing.tier",
    "agent.billing.tier.agent.rate",
    "agent.billing.tier.usage.rate",
    "agent.billing.tier.band",
    "agent.billing.contract",
    "agent.billing.price.override",
    "agent.billing.price.change",
    "agent.billing.price.change.line",
    "agent.billing.run",
    "agent.billing.run.line",
    "agent.billing.run.detail",
]


@tagged("post_install", "-at_install")
class TestSecurity(AgentBillingCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company_a = cls.env.company
        cls.client_a.agent_billing_ref = "CLA"  # what the ingestion API knows the client by
        cls.company_b = cls.setup_other_company(name="Company B")["company"]
        cls.contract_a = cls._contract(cls.client_a, "contract", tier=cls.tier)
        cls.deployment_a = cls._deploy(cls.client_a, cls.agent_support, 1, date(2025, 1, 1))
        cls.usage_a = cls._usage(cls.client_a, cls.metric_task, 1, datetime(2025, 3, 1), "sec-1")
        cls.override_a = cls.env["agent.billing.price.override"].create(
            {
                "partner_id": cls.client_a.id,
                "product_id": cls.agent_support.id,
                "monthly_rate": 1.0,
                "date_from": date(2025, 1, 1),
            }
        )
        cls.user_b = new_test_user(
            cls.env,
            login="billing_b",
            groups="agent_billing.group_agent_billing_user",
            company_id=cls.company_b.id,
            company_ids=[(6, 0, cls.company_b.ids)],
        )
        cls.user_a = new_test_user(
            cls.env,
            login="billing_a",
            groups="agent_billing.group_agent_billing_user",
            company_id=cls.company_a.id,
            company_ids=[(6, 0, cls.company_a.ids)],
        )

    def test_every_model_has_access_rows_and_company_rule(self):
        for model in OUR_MODELS:
            ir_model = self.env["ir.model"]._get(model)
            groups = (
                self.env["ir.model.access"]
                .search([("model_id", "=", ir_model.id)])
                .mapped("group_id")
            )
            self.assertIn(self.env.ref("agent_billing.group_agent_billing_user"), groups, model)
            self.assertIn(self.env.ref("agent_billing.group_agent_billing_manager"), groups, model)
            rules = self.env["ir.rule"].search([("model_id", "=", ir_model.id)])
            self.assertTrue(
                any("company_ids" in (rule.domain_force or "") for rule in rules),
                f"{model} has no multi-company rule",
            )

    def test_other_company_user_sees_nothing_of_company_a(self):
        for record in (
            self.contract_a,
            self.deployment_a,
            self.usage_a,
            self.override_a,
            self.tier,
            self.tier.agent_rate_ids,
            self.tier.usage_rate_ids.band_ids,
        ):
            model = record.with_user(self.user_b)
            self.assertFalse(model.search([("id", "in", record.ids)]), record._name)
            with self.assertRaises(AccessError, msg=record._name):
                model.read(["id"])

    def test_same_company_user_can_read_and_record_usage(self):
        Usage = self.env["agent.billing.usage"].with_user(self.user_a)
        self.assertEqual(Usage.search([("id", "=", self.usage_a.id)]), self.usage_a)
        result = Usage._ingest(
            [
                {
                    "idempotency_key": "sec-2",
                    "client": "CLA",
                    "metric": "t_task",
                    "quantity": 1,
                    "timestamp": "2025-03-02 10:00:00",
                }
            ]
        )
        self.assertEqual(result["accepted"], 1)

    def test_billing_user_cannot_change_tiers(self):
        with self.assertRaises(AccessError):
            self.tier.with_user(self.user_a).write({"minimum_commitment": 1.0})
        with self.assertRaises(AccessError):
            self.tier.agent_rate_ids.with_user(self.user_a).write({"monthly_rate": 1.0})
        with self.assertRaises(AccessError):
            self.env["agent.billing.price.change.wizard"].with_user(self.user_a).create(
                {"value": 1.0}
            )

    def test_user_without_billing_group_cannot_ingest(self):
        plain = new_test_user(self.env, login="plain_user", groups="base.group_user")
        with self.assertRaises(AccessError):
            self.env["agent.billing.usage"].with_user(plain)._ingest([])
