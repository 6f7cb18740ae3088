import base64
from datetime import date, datetime

from odoo.tests import tagged
from odoo.tools import SQL

from ..models import agent_billing_usage
from .common import AgentBillingCommon

LA = "America/Los_Angeles"
# 23:30 on the last day of March in Los Angeles (PDT, UTC-7) is 06:30 on 1 April in UTC
LAST_EVENING = "2025-03-31T23:30:00-07:00"
LAST_EVENING_UTC = datetime(2025, 4, 1, 6, 30)


@tagged("post_install", "-at_install")
class TestUsageTimezone(AgentBillingCommon):
    """A usage event belongs to its calendar day in the client's billing time zone (its own,
    else the company's), in the ORM and in the SQL ingestion alike."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Usage = cls.env["agent.billing.usage"]
        cls.company = cls.env.company
        cls.company.partner_id.tz = False
        cls.company.agent_billing_tz = False
        cls.client_a.agent_billing_ref = "TZ-A"
        cls.client_b.agent_billing_ref = "TZ-B"
        cls._contract(cls.client_a, "usage")
        cls._contract(cls.client_b, "usage")

    def _ingest(self, key, client="TZ-A", timestamp=LAST_EVENING):
        result = self.Usage._ingest(
            [
                {
                    "idempotency_key": key,
                    "client": client,
                    "agent_type": "T-SUP",
                    "quantity": 1,
                    "timestamp": timestamp,
                }
            ]
        )
        self.assertEqual(result["accepted"], 1, result)
        return self.Usage.browse(result["results"][0]["id"])

    def _stored_date(self, usage):
        """The date column as stored, not as cached."""
        self.env.flush_all()
        self.env.cr.execute(
            SQL("SELECT date, timestamp FROM agent_billing_usage WHERE id = %s", usage.id)
        )
        return self.env.cr.fetchone()

    def _march(self, partner):
        return self.Usage.search(
            [
                ("partner_id", "=", partner.id),
                ("date", ">=", date(2025, 3, 1)),
                ("date", "<=", date(2025, 3, 31)),
            ]
        )

    def test_last_evening_of_the_month_in_the_company_zone(self):
        self.company.agent_billing_tz = LA
        usage = self._ingest("tz-1")
        self.assertEqual(self._stored_date(usage), (date(2025, 3, 31), LAST_EVENING_UTC))
        self.assertEqual(self._march(self.client_a), usage)  # billed with March
        # the same moment written in UTC is the same day; an hour later is April
        same = self._ingest("tz-2", timestamp="2025-04-01T06:30:00Z")
        later = self._ingest("tz-3", timestamp="2025-04-01T07:30:00Z")
        self.assertEqual(self._stored_date(same)[0], date(2025, 3, 31))
        self.assertEqual(self._stored_date(later)[0], date(2025, 4, 1))
        # a record entered by hand follows the same rule
        manual = self._usage(self.client_a, self.metric_task, 1, LAST_EVENING_UTC, "tz-4")
        self.assertEqual(self._stored_date(manual)[0], date(2025, 3, 31))

    def test_client_zone_overrides_the_company_zone(self):
        self.company.agent_billing_tz = "Asia/Tokyo"  # UTC+9: 15:30 on 1 April
        self.client_a.agent_billing_tz = LA
        own = self._ingest("tz-own")
        company = self._ingest("tz-company", client="TZ-B")
        self.assertEqual(self._stored_date(own)[0], date(2025, 3, 31))
        self.assertEqual(self._stored_date(company)[0], date(2025, 4, 1))
        self.assertEqual(self._march(self.client_a), own)
        self.assertFalse(self._march(self.client_b))
        manual = self._usage(self.client_a, self.metric_task, 1, LAST_EVENING_UTC, "tz-manual")
        self.assertEqual(self._stored_date(manual)[0], date(2025, 3, 31))
        # a contact's usage is its company's, in its company's zone
        contact = self.env["res.partner"].create({"name": "Ops", "parent_id": self.client_a.id})
        by_contact = self._usage(contact, self.metric_task, 1, LAST_EVENING_UTC, "tz-contact")
        self.assertEqual(
            (by_contact.partner_id, self._stored_date(by_contact)[0]),
            (self.client_a, date(2025, 3, 31)),
        )

    def test_company_address_zone_then_utc_by_default(self):
        self.assertEqual(self._stored_date(self._ingest("tz-utc"))[0], date(2025, 4, 1))
        self.company.partner_id.tz = LA
        self.assertEqual(self.company._agent_billing_tz(), LA)
        self.assertEqual(self._stored_date(self._ingest("tz-address"))[0], date(2025, 3, 31))

    def test_recorded_usage_keeps_its_day(self):
        self.company.agent_billing_tz = "UTC"
        before = self._ingest("tz-before")
        manual = self._usage(self.client_a, self.metric_task, 1, LAST_EVENING_UTC, "tz-orm")
        self.company.agent_billing_tz = LA
        self.client_a.agent_billing_tz = LA
        (before | manual).write({"source": "edited", "quantity": 2})
        self.assertEqual(self._stored_date(before)[0], date(2025, 4, 1))
        self.assertEqual(self._stored_date(manual)[0], date(2025, 4, 1))
        self.assertEqual(self._stored_date(self._ingest("tz-after"))[0], date(2025, 3, 31))

    def test_import_wizard_uses_the_client_zone(self):
        self.client_a.agent_billing_tz = LA
        content = (
            "idempotency_key,client,agent_type,quantity,timestamp\n"
            f"tzw-1,TZ-A,T-SUP,1,{LAST_EVENING}\n"
            "tzw-2,TZ-B,T-SUP,1,2025-04-01 06:30:00\n"
        )
        wizard = self.env["agent.billing.usage.import"].create(
            {"file": base64.b64encode(content.encode()), "file_name": "usage.csv"}
        )
        wizard.action_import()
        self.assertEqual(wizard.imported_count, 2)
        own, utc = wizard.line_ids.sorted("row").usage_id
        self.assertEqual(self._stored_date(own), (date(2025, 3, 31), LAST_EVENING_UTC))
        self.assertEqual(self._stored_date(utc), (date(2025, 4, 1), LAST_EVENING_UTC))
        self.assertIn(
            "23:30 on the 31st in that zone belongs to that month", wizard._fields["file"].help
        )

    def test_billing_day_function(self):
        billing_day = agent_billing_usage.billing_day
        self.assertEqual(billing_day(LAST_EVENING_UTC, LA), date(2025, 3, 31))
        self.assertEqual(billing_day(LAST_EVENING_UTC, "UTC"), date(2025, 4, 1))
        self.assertEqual(billing_day(LAST_EVENING_UTC, False), date(2025, 4, 1))
        self.assertEqual(billing_day(LAST_EVENING_UTC, "Not/AZone"), date(2025, 4, 1))
        # winter time: 23:30 PST on 31 January is 07:30 UTC on 1 February
        self.assertEqual(billing_day(datetime(2025, 2, 1, 7, 30), LA), date(2025, 1, 31))
        self.assertEqual(billing_day(datetime(2025, 2, 1, 8, 0), LA), date(2025, 2, 1))
