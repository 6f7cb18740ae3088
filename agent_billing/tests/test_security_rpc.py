import xmlrpc.client
from datetime import date, datetime

from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests import HttpCase, new_test_user, tagged
from odoo.tools import mute_logger


@tagged("post_install", "-at_install")
class TestSecurityRpc(HttpCase):
    """The wrong user gets nothing: another company's billing user, through the ORM and over
    RPC; a portal user, through the portal."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company_a = cls.env.company
        cls.company_b = cls.env["res.company"].create({"name": "Company B"})
        cls.client = cls.env["res.partner"].create(
            {
                "name": "Client of A",
                "ref": "SECA",
                "is_company": True,
                "company_id": cls.company_a.id,
            }
        )
        metric = cls.env["agent.billing.metric"].create(
            {
                "name": "Sec tasks",
                "code": "sec_task",
                "company_id": cls.company_a.id,
                "product_id": cls.env["product.product"]
                .create({"name": "Sec usage", "type": "service"})
                .id,
            }
        )
        agent = cls.env["product.product"].create(
            {
                "name": "Sec Agent",
                "type": "service",
                "is_agent_type": True,
                "agent_monthly_rate": 100.0,
                "agent_usage_metric_id": metric.id,
                "company_id": cls.company_a.id,
            }
        )
        cls.contract = cls.env["agent.billing.contract"].create(
            {
                "partner_id": cls.client.id,
                "billing_model": "contract",
                "tier_id": cls.env["agent.billing.tier"].create({"name": "Sec tier"}).id,
                "date_start": date(2025, 1, 1),
                "state": "active",
            }
        )
        cls.deployment = cls.env["agent.billing.deployment"].create(
            {
                "partner_id": cls.client.id,
                "product_id": agent.id,
                "agent_count": 1,
                "date_start": date(2025, 1, 1),
                "state": "active",
            }
        )
        cls.usage = cls.env["agent.billing.usage"].create(
            {
                "partner_id": cls.client.id,
                "metric_id": metric.id,
                "quantity": 5,
                "timestamp": datetime(2025, 3, 3),
                "idempotency_key": "sec-1",
            }
        )
        cls.billing_run = cls.env["agent.billing.run"].create(
            {"period_start": date(2025, 3, 1), "period_end": date(2025, 3, 31)}
        )
        cls.billing_run.action_compute()
        cls.billing_run.action_create_invoices()
        cls.invoice = cls.billing_run.move_ids
        cls.user_b = new_test_user(
            cls.env,
            login="billing_b_rpc",
            password="billing_b_rpc_pw",
            groups="agent_billing.group_agent_billing_manager,account.group_account_manager",
            company_id=cls.company_b.id,
            company_ids=[Command.set(cls.company_b.ids)],
        )
        cls.records = {
            "agent.billing.contract": cls.contract,
            "agent.billing.deployment": cls.deployment,
            "agent.billing.usage": cls.usage,
            "agent.billing.run": cls.billing_run,
            "agent.billing.run.line": cls.billing_run.line_ids,
            "account.move": cls.invoice,
        }

    def test_fixture_is_real(self):
        self.assertEqual(len(self.invoice), 1)
        self.assertEqual(self.invoice.company_id, self.company_a)

    def test_other_company_user_through_the_orm(self):
        for model, record in self.records.items():
            as_b = self.env[model].with_user(self.user_b)
            self.assertFalse(as_b.search([("id", "in", record.ids)]), model)
            with self.assertRaises(AccessError, msg=model):
                as_b.browse(record.ids).read(["id"])

    def test_other_company_user_over_rpc(self):
        db = self.env.cr.dbname
        uid = self.xmlrpc_common.authenticate(db, "billing_b_rpc", "billing_b_rpc_pw", {})
        self.assertEqual(uid, self.user_b.id)
        for model, record in self.records.items():
            found = self.xmlrpc_object.execute_kw(
                db,
                uid,
                "billing_b_rpc_pw",
                model,
                "search_read",
                [[("id", "in", record.ids)]],
                {"fields": ["id"]},
            )
            self.assertEqual(found, [], model)
            with (
                self.assertRaises(xmlrpc.client.Fault, msg=model) as caught,
                mute_logger("odoo.http"),
            ):
                self.xmlrpc_object.execute_kw(
                    db, uid, "billing_b_rpc_pw", model, "read", [record.ids], {"fields": ["id"]}
                )
            # refused by the record rule (or the access rights), never answered
            self.assertRegex(
                caught.exception.faultString, r"doesn't have 'read' access|not allowed to access"
            )

    def test_portal_user_sees_only_own_invoices(self):
        self.invoice.action_post()
        other_client = self.env["res.partner"].create({"name": "Other client", "is_company": True})
        other_invoice = self.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": other_client.id,
                "invoice_line_ids": [Command.create({"name": "x", "price_unit": 10.0})],
            }
        )
        other_invoice.action_post()
        portal = new_test_user(
            self.env,
            login="sec_portal",
            password="sec_portal_pw",
            groups="base.group_portal",
            partner_id=self.client.id,
        )
        self.assertEqual(portal.partner_id, self.client)
        self.authenticate("sec_portal", "sec_portal_pw")
        own = self.url_open(f"/my/invoices/{self.invoice.id}")
        self.assertEqual(own.status_code, 200)
        self.assertIn(self.invoice.name, own.text)
        foreign = self.url_open(f"/my/invoices/{other_invoice.id}")
        self.assertNotIn(other_invoice.name, foreign.text)
        self.assertTrue(foreign.url.endswith("/my"), foreign.url)  # sent back to the portal
        listing = self.url_open("/my/invoices")
        self.assertIn(self.invoice.name, listing.text)
        self.assertNotIn(other_invoice.name, listing.text)
