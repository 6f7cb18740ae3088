import json
import xmlrpc.client
from datetime import date, datetime, timedelta

from odoo import Command, fields
from odoo.tests import HttpCase, new_test_user, tagged
from odoo.tools import mute_logger

API = "/agent_billing/api/v1/usage"


@tagged("post_install", "-at_install")
class TestUsageApi(HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.env.company
        cls.company.agent_billing_rate_limit = 0
        cls.metric = cls.env["agent.billing.metric"].create(
            {
                "name": "API tasks",
                "code": "api_task",
                "unit_price": 0.1,
                "company_id": cls.company.id,
            }
        )
        cls.agent = cls.env["product.product"].create(
            {
                "name": "API Agent",
                "default_code": "API-AGT",
                "type": "service",
                "is_agent_type": True,
                "agent_monthly_rate": 100.0,
                "agent_usage_metric_id": cls.metric.id,
            }
        )
        cls.client = cls.env["res.partner"].create(
            {
                "name": "API Client",
                "ref": "LEGACY",
                "agent_billing_ref": "APICL",
                "is_company": True,
            }
        )
        cls.contract = cls.env["agent.billing.contract"].create(
            {
                "partner_id": cls.client.id,
                "billing_model": "usage",
                "date_start": date(2025, 1, 1),
                "state": "active",
            }
        )
        cls.ingest_user = new_test_user(
            cls.env,
            login="ingest_bot",
            groups="agent_billing.group_agent_billing_ingest",
            company_id=cls.company.id,
        )
        cls.key = (
            cls.env["res.users.apikeys"]
            .with_user(cls.ingest_user)
            .sudo()
            ._generate(None, "platform", fields.Date.today() + timedelta(days=30))
        )
        cls.plain_user = new_test_user(cls.env, login="plain_api", groups="base.group_user")
        cls.plain_key = (
            cls.env["res.users.apikeys"]
            .with_user(cls.plain_user)
            .sudo()
            ._generate(None, "nope", fields.Date.today() + timedelta(days=30))
        )

    def _post(self, payload, key=None, raw=None):
        headers = {"Content-Type": "application/json"}
        if key is not False:
            headers["Authorization"] = f"Bearer {key or self.key}"
        body = raw if raw is not None else json.dumps(payload)
        return self.url_open(API, data=body, headers=headers)

    def _events(self, n, prefix="api", **overrides):
        return [
            {
                "idempotency_key": f"{prefix}-{i}",
                "client": "APICL",
                "agent_type": "API-AGT",
                "quantity": i + 1,
                "timestamp": "2025-03-05T10:00:00Z",
                **overrides,
            }
            for i in range(n)
        ]

    def test_batch_accounted_for_and_resend_is_harmless(self):
        events = self._events(5) + [
            {
                "idempotency_key": "api-bad",
                "client": "NOPE",
                "quantity": 1,
                "timestamp": "2025-03-05T10:00:00Z",
            }
        ]
        response = self._post({"events": events, "source": "platform-x"})
        self.assertEqual(response.status_code, 200, response.text)
        body = response.json()
        self.assertEqual((body["accepted"], body["duplicate"], body["rejected"]), (5, 0, 1))
        self.assertEqual(
            body["results"][5]["reason"], "unknown client, or no active contract on the event's day"
        )
        stored = self.env["agent.billing.usage"].search([("idempotency_key", "like", "api-%")])
        self.assertEqual(len(stored), 5)
        self.assertEqual(set(stored.mapped("source")), {"platform-x"})
        self.assertEqual(set(stored.mapped("metric_id")), {self.metric})
        self.assertEqual(stored.create_uid, self.ingest_user)
        again = self._post(events).json()  # a plain list is accepted too
        self.assertEqual((again["accepted"], again["duplicate"], again["rejected"]), (0, 5, 1))
        self.assertEqual({r["id"] for r in again["results"][:5]}, set(stored.ids))

    def test_authentication_and_rights(self):
        with mute_logger("odoo.http"):
            self.assertEqual(self._post(self._events(1), key=False).status_code, 401)
            self.assertEqual(self._post(self._events(1), key="not-a-key").status_code, 401)
        response = self._post(self._events(1), key=self.plain_key)
        self.assertEqual(response.status_code, 403)
        self.assertIn("Only billing users and usage ingestion keys", response.json()["error"])

    def test_malformed_requests(self):
        cases = [
            (b"{not json", 400, "not valid JSON"),
            (b'"a string"', 400, "Send a JSON object"),
            (b'{"events": 3}', 400, "Send a JSON object"),
            (json.dumps({"events": [], "source": 7}).encode(), 400, "source must be a string"),
            (json.dumps(self._events(1001)).encode(), 413, "at most 1000 events"),
        ]
        for raw, status, message in cases:
            response = self._post(None, raw=raw)
            self.assertEqual(response.status_code, status, raw[:40])
            self.assertIn(message, response.json()["error"])
        empty = self._post([]).json()
        self.assertEqual((empty["accepted"], empty["duplicate"], empty["rejected"]), (0, 0, 0))

    def test_rate_limit_answers_429_with_retry_after(self):
        self.company.agent_billing_rate_limit = 2
        self.assertEqual(self._post(self._events(1, "rl-a")).status_code, 200)
        self.assertEqual(self._post(self._events(1, "rl-b")).status_code, 200)
        response = self._post(self._events(1, "rl-c"))
        self.assertEqual(response.status_code, 429)
        self.assertTrue(1 <= int(response.headers["Retry-After"]) <= 60)
        self.assertFalse(
            self.env["agent.billing.usage"].search([("idempotency_key", "=", "rl-c-0")])
        )
        # another key has its own budget
        other = (
            self.env["res.users.apikeys"]
            .with_user(self.ingest_user)
            .sudo()
            ._generate(None, "second", fields.Date.today() + timedelta(days=30))
        )
        self.assertEqual(self._post(self._events(1, "rl-d"), key=other).status_code, 200)

    def _billed_march(self):
        contract = self.contract
        self.metric.product_id = self.env["product.product"].create(
            {"name": "API usage", "type": "service"}
        )
        run = self.env["agent.billing.run"].create(
            {"period_start": date(2025, 3, 1), "period_end": date(2025, 3, 31)}
        )
        self._post(self._events(2, "march"))
        run.action_compute()
        run.action_create_invoices()
        return contract, run

    def test_late_usage_refused_per_company_setting(self):
        _contract, run = self._billed_march()
        self.company.agent_billing_late_usage = "refuse"
        body = self._post(self._events(1, "late", timestamp="2025-03-20T08:00:00Z")).json()
        self.assertEqual(body["rejected"], 1)
        self.assertIn("2025-03-20 is already billed by", body["results"][0]["reason"])
        body = self._post(self._events(1, "april", timestamp="2025-04-02T08:00:00Z")).json()
        self.assertEqual(body["accepted"], 1)

    def test_late_usage_carried_to_next_run(self):
        contract, march = self._billed_march()
        self.company.agent_billing_late_usage = "carry"
        body = self._post(
            self._events(1, "late", timestamp="2025-03-20T08:00:00Z", quantity=50)
        ).json()
        self.assertEqual(body["accepted"], 1)
        april = self.env["agent.billing.run"].create(
            {"period_start": date(2025, 4, 1), "period_end": date(2025, 4, 30)}
        )
        april.action_compute()
        april.action_create_invoices()
        late = self.env["agent.billing.usage"].search([("idempotency_key", "=", "late-0")])
        self.assertEqual(late.invoice_id.agent_period_start, date(2025, 4, 1))
        self.assertEqual(late.invoice_id.agent_contract_id, contract)
        self.assertEqual(late.invoice_id.amount_untaxed, 5.0)  # 50 tasks at 0.10
        self.assertNotEqual(late.invoice_id, march.move_ids)

    def test_ingestion_key_reads_nothing_over_rpc(self):
        self.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": self.client.id,
                "invoice_line_ids": [Command.create({"name": "x", "price_unit": 10.0})],
            }
        )
        uid = self.ingest_user.id
        for model in (
            "account.move",
            "agent.billing.usage",
            "agent.billing.contract",
            "res.partner",
        ):
            with (
                self.assertRaises(xmlrpc.client.Fault, msg=model) as caught,
                mute_logger("odoo.http"),
            ):
                self.xmlrpc_object.execute_kw(
                    self.env.cr.dbname, uid, self.key, model, "search_read", [[]], {"limit": 1}
                )
            self.assertIn("You are not allowed to access", caught.exception.faultString)

    def test_openapi_description(self):
        response = self.url_open("/agent_billing/api/v1/openapi.json")
        self.assertEqual(response.status_code, 200)
        spec = response.json()
        self.assertEqual(spec["openapi"], "3.0.3")
        post = spec["paths"][API]["post"]
        self.assertEqual(set(post["responses"]), {"200", "400", "401", "403", "413", "429"})
        self.assertIn("Retry-After", post["responses"]["429"]["headers"])
        event = post["requestBody"]["content"]["application/json"]["schema"]["oneOf"][1]["items"]
        client = event["properties"]["client"]["description"]
        self.assertIn("billing reference", client)
        self.assertIn("active on the event's billing day", client)
        self.assertIn("unknown client, or no active contract on the event's day", client)
        timestamp = event["properties"]["timestamp"]["description"]
        self.assertIn("calendar day in the client's billing time zone", timestamp)
        self.assertIn(
            "23:30 local time on the last day of a month belongs to that month", timestamp
        )
        self.assertIn(timestamp, spec["info"]["description"])

    def test_timestamps_with_offsets_are_stored_in_utc(self):
        self.company.agent_billing_tz = "UTC"
        body = self._post(self._events(1, "tz", timestamp="2025-03-05T23:30:00-02:00")).json()
        self.assertEqual(body["accepted"], 1)
        usage = self.env["agent.billing.usage"].browse(body["results"][0]["id"])
        self.assertEqual(usage.timestamp, datetime(2025, 3, 6, 1, 30))
        self.assertEqual(usage.date, date(2025, 3, 6))
