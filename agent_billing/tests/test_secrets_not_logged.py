"""No secret in a log or a table: the usage ingestion API's bearer key (good or wrong) appears
in no log record, even at debug level, and the rate limiter keeps only the key's public index
(the 8 characters Odoo itself stores in clear), never the key."""

import json
import logging
from contextlib import contextmanager
from datetime import date, timedelta

from odoo import fields
from odoo.tests import HttpCase, new_test_user, tagged
from odoo.tools import SQL

API = "/agent_billing/api/v1/usage"
LOGGERS = ("odoo", "werkzeug")


@tagged("post_install", "-at_install")
class TestSecretsNotLogged(HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["agent.billing.metric"].create(
            {
                "name": "Log tasks",
                "code": "log_task",
                "unit_price": 0.1,
                "company_id": cls.env.company.id,
            }
        )
        client = cls.env["res.partner"].create(
            {"name": "Log Client", "is_company": True, "agent_billing_ref": "LOGCL"}
        )
        cls.env["agent.billing.contract"].create(
            {
                "partner_id": client.id,
                "billing_model": "usage",
                "date_start": date(2025, 1, 1),
                "state": "active",
            }
        )
        user = new_test_user(
            cls.env, login="ingest_log_bot", groups="agent_billing.group_agent_billing_ingest"
        )
        cls.key = (
            cls.env["res.users.apikeys"]
            .with_user(user)
            .sudo()
            ._generate(None, "platform", fields.Date.today() + timedelta(days=30))
        )

    @contextmanager
    def _all_log_records(self):
        """Every record of Odoo's and werkzeug's loggers, down to debug, kept out of the test
        log."""
        records = []
        handler = logging.Handler(logging.DEBUG)
        handler.emit = records.append
        saved = []
        for name in LOGGERS:
            logger = logging.getLogger(name)
            saved.append((logger, logger.level, logger.propagate))
            logger.setLevel(logging.DEBUG)
            logger.propagate = False
            logger.addHandler(handler)
        try:
            yield records
        finally:
            for logger, level, propagate in saved:
                logger.removeHandler(handler)
                logger.setLevel(level)
                logger.propagate = propagate

    def _post(self, body, key):
        return self.url_open(
            API,
            data=body,
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {key}"},
        )

    def _assert_not_in(self, records, secret):
        self.assertTrue(records, "the requests were logged at all")
        formatter = logging.Formatter()
        for record in records:
            text = formatter.format(record)  # the message, its arguments and any traceback
            # not assertNotIn: its failure message would print the key into the test log
            where = f"{record.name} at {record.pathname}:{record.lineno}"
            self.assertFalse(secret[8:] in text, f"{where} logged the API key")

    def test_bearer_key_is_not_logged(self):
        event = {
            "idempotency_key": "log-1",
            "client": "LOGCL",
            "quantity": 1,
            "timestamp": "2025-03-05T10:00:00Z",
        }
        wrong = "0123abcd" + self.key[8:][::-1]
        with self._all_log_records() as records:
            ok = self._post(json.dumps({"events": [event]}), self.key)
            bad_json = self._post("{not json", self.key)
            refused = self._post(json.dumps({"events": [event]}), wrong)
        self.assertEqual((ok.status_code, bad_json.status_code), (200, 400))
        self.assertIn(refused.status_code, (401, 403))
        self._assert_not_in(records, self.key)
        self._assert_not_in(records, wrong)

    def test_rate_limiter_keeps_only_the_key_index(self):
        self.env.company.agent_billing_rate_limit = 1000
        response = self._post(json.dumps({"events": []}), self.key)
        self.assertEqual(response.status_code, 200)
        self.env.cr.execute(SQL("SELECT key FROM agent_billing_rate_window"))
        keys = [key for (key,) in self.env.cr.fetchall()]
        self.assertIn(f"key:{self.key[:8]}", keys)
        self.assertFalse([key for key in keys if self.key[8:] in key or len(key) > 12], keys)
