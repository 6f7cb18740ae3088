from contextlib import contextmanager
from datetime import date

from odoo import SUPERUSER_ID, Command, api
from odoo.sql_db import db_connect
from odoo.tests import get_db_name, tagged  # noqa: F401  (tagged: re-exported)

from odoo.addons.account.tests.common import AccountTestInvoicingCommon
from odoo.addons.mail.tests.common import mail_new_test_user  # noqa: F401


class AgentBillingCommon(AccountTestInvoicingCommon):
    """Agent types, metrics, a tier with graduated usage, and clients on each billing model."""

    @classmethod
    def get_default_groups(cls):
        return super().get_default_groups() | cls.env.ref(
            "agent_billing.group_agent_billing_manager"
        )

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=False, mail_notrack=False))
        cls.metric_task = cls.env["agent.billing.metric"].create(
            {
                "name": "Test tasks",
                "code": "t_task",
                "unit_name": "task",
                "unit_price": 0.05,
                "product_id": cls.product_a.id,
                "company_id": cls.env.company.id,
            }
        )
        cls.metric_exec = cls.env["agent.billing.metric"].create(
            {
                "name": "Test executions",
                "code": "t_exec",
                "unit_name": "execution",
                "unit_price": 0.01,
                "company_id": cls.env.company.id,
            }
        )
        cls.agent_support = cls._create_agent_type("Support Agent", "T-SUP", 100.0, cls.metric_task)
        cls.agent_sales = cls._create_agent_type("Sales Agent", "T-SDR", 300.0, cls.metric_exec)
        cls.tier = cls.env["agent.billing.tier"].create(
            {
                "name": "Growth",
                "minimum_commitment": 1000.0,
                "discount_percent": 0.0,
                "agent_rate_ids": [
                    Command.create({"product_id": cls.agent_support.id, "monthly_rate": 90.0})
                ],
                "usage_rate_ids": [
                    Command.create(
                        {
                            "metric_id": cls.metric_task.id,
                            "charge_model": "graduated",
                            "band_ids": [
                                Command.create({"up_to": 1000, "unit_price": 0.10}),
                                Command.create({"up_to": 5000, "unit_price": 0.08}),
                                Command.create({"up_to": 0, "unit_price": 0.05}),
                            ],
                        }
                    )
                ],
            }
        )
        cls.client_a = cls._create_client("Client A", "CLA")
        cls.client_b = cls._create_client("Client B", "CLB")

    @contextmanager
    def assertRaisesRegex(self, exception, regex, msg=None):  # noqa: N802
        """Like unittest's, but inside a savepoint as Odoo's assertRaises, so that a refused
        record does not stay behind for the rest of the test."""
        with self.assertRaises(exception, msg=msg) as context:
            yield context
        self.assertRegex(str(context.exception), regex)

    @classmethod
    def _create_agent_type(cls, name, code, rate, metric):
        template = cls.env["product.template"].create(
            {
                "name": name,
                "default_code": code,
                "type": "service",
                "is_agent_type": True,
                "agent_monthly_rate": rate,
                "agent_usage_metric_id": metric.id,
                "property_account_income_id": cls.company_data["default_account_revenue"].id,
                "taxes_id": [Command.set(cls.tax_sale_a.ids)],
            }
        )
        return template.product_variant_id

    @classmethod
    def _create_client(cls, name, ref):
        return cls.env["res.partner"].create(
            {
                "name": name,
                "ref": ref,
                "is_company": True,
                "email": f"{ref.lower()}@example.com",
            }
        )

    @classmethod
    def _contract(cls, partner, billing_model, tier=None, start=date(2025, 3, 1), **vals):
        # most tests bill March 2025: a contract that started earlier would have its unbilled
        # months caught up by that first run (the billing ledger bills every day once)
        return cls.env["agent.billing.contract"].create(
            {
                "partner_id": partner.id,
                "billing_model": billing_model,
                "tier_id": tier.id if tier else False,
                "date_start": start,
                "state": "active",
                **vals,
            }
        )

    @classmethod
    def _deploy(cls, partner, agent_type, agents, start, end=False, contract=None):
        return cls.env["agent.billing.deployment"].create(
            {
                "partner_id": partner.id,
                "product_id": agent_type.id,
                "agent_count": agents,
                "date_start": start,
                "date_end": end,
                "contract_id": contract.id if contract else False,
                "state": "active",
            }
        )

    @classmethod
    def _usage(cls, partner, metric, quantity, when, key, deployment=None):
        return cls.env["agent.billing.usage"].create(
            {
                "partner_id": partner.id,
                "metric_id": metric.id,
                "quantity": quantity,
                "timestamp": when,
                "idempotency_key": key,
                "deployment_id": deployment.id if deployment else False,
            }
        )


@contextmanager
def independent_env():
    """A superuser environment on a cursor of its own (a second, real transaction beside the
    test's), rolled back and closed at the end: commit explicitly what must be seen."""
    cr = db_connect(get_db_name()).cursor()
    try:
        yield api.Environment(cr, SUPERUSER_ID, {"tracking_disable": True})
    finally:
        cr.rollback()
        cr.close()
