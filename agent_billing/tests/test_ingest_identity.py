import base64
import re
from datetime import date

import psycopg2

from odoo.exceptions import ValidationError
from odoo.tests import tagged
from odoo.tools import SQL, mute_logger

from .common import AgentBillingCommon

UNKNOWN = "unknown client, or no active contract on the event's day"


@tagged("post_install", "-at_install")
class TestIngestIdentity(AgentBillingCommon):
    """Usage names its client by a billing reference that is unique in the company; only
    clients with an active contract of the caller's company are accepted, and every other
    client gets one answer that tells nothing about it."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Usage = cls.env["agent.billing.usage"]
        cls.company = cls.env.company
        cls.company.agent_billing_tz = "UTC"
        cls.company_b = cls.setup_other_company(name="Company B")["company"]
        cls.client_a.agent_billing_ref = "BR-A"
        cls.contract_a = cls._contract(cls.client_a, "usage")
        # the other company's client, with the same kind of reference and a live contract there
        cls.foreign = cls.env["res.partner"].create(
            {
                "name": "Foreign Client",
                "is_company": True,
                "company_id": cls.company_b.id,
                "agent_billing_ref": "BR-B",
            }
        )
        cls.env["agent.billing.contract"].with_company(cls.company_b).create(
            {
                "partner_id": cls.foreign.id,
                "billing_model": "usage",
                "state": "active",
                "date_start": date(2025, 1, 1),
                "company_id": cls.company_b.id,
            }
        )
        # a client of this company whose only contract is a draft
        cls.idle = cls._client("Idle Client", "IDLE", "BR-IDLE")
        cls._contract(cls.idle, "usage", state="draft")

    @classmethod
    def _client(cls, name, ref, billing_ref=False, **vals):
        """A client with a legacy ``ref`` and, separately, a billing reference."""
        return cls.env["res.partner"].create(
            {"name": name, "ref": ref, "is_company": True, "agent_billing_ref": billing_ref, **vals}
        )

    def _event(self, key, client, **kw):
        return {
            "idempotency_key": key,
            "client": client,
            "agent_type": "T-SUP",
            "quantity": 1,
            "timestamp": "2025-03-04T10:00:00Z",
            **kw,
        }

    def _assert_reveals_nothing(self, reason, *clients):
        self.assertEqual(reason, UNKNOWN)
        self.assertIsNone(re.search(r"\d", reason), "no id in the answer")
        for client in clients:
            for word in (client.name, client.ref, client.agent_billing_ref):
                if word:
                    self.assertNotIn(word, reason)

    # --- identity ------------------------------------------------------------------------------
    def test_clients_sharing_a_legacy_ref_no_longer_collide(self):
        twin_1 = self._client("Twin One", "TWIN", "TWIN-1")
        twin_2 = self._client("Twin Two", "TWIN", "TWIN-2")
        self._contract(twin_1, "usage")
        self._contract(twin_2, "usage")
        result = self.Usage._ingest(
            [
                self._event("tw-1", "TWIN-1"),
                self._event("tw-2", "TWIN-2"),
                self._event("tw-3", "TWIN"),  # the legacy reference names nobody any more
            ]
        )
        self.assertEqual(
            [r["status"] for r in result["results"]], ["accepted", "accepted", "rejected"]
        )
        self._assert_reveals_nothing(result["results"][2]["reason"], twin_1, twin_2)
        stored = self.Usage.search([("idempotency_key", "like", "tw-%")], order="idempotency_key")
        self.assertEqual(stored.mapped("partner_id"), twin_1 | twin_2)
        self.assertEqual(stored[0].partner_id, twin_1)
        self.assertEqual(stored[1].partner_id, twin_2)

    def test_duplicate_billing_reference_in_a_company_is_refused(self):
        other = self._client("Other Client", "OTH")
        with self.assertRaisesRegex(
            ValidationError, r"BR-A of Other Client is already used by Client A"
        ):
            other.agent_billing_ref = "BR-A"
        with self.assertRaisesRegex(ValidationError, r"Newcomer is already used by Client A"):
            self.env["res.partner"].create(
                {"name": "Newcomer", "is_company": True, "agent_billing_ref": " BR-A "}
            )
        # a partner shared by all companies is seen by this one too
        with self.assertRaisesRegex(ValidationError, r"is already used by Client A"):
            self.env["res.partner"].create(
                {
                    "name": "Shared",
                    "is_company": True,
                    "company_id": False,
                    "agent_billing_ref": "BR-A",
                }
            )
        # a company's own client: another company may use its reference, this one may not
        own = self.env["res.partner"].create(
            {
                "name": "Own Client",
                "is_company": True,
                "company_id": self.company.id,
                "agent_billing_ref": "BR-OWN",
            }
        )
        twin_b = self.env["res.partner"].create(
            {
                "name": "Twin B",
                "is_company": True,
                "company_id": self.company_b.id,
                "agent_billing_ref": "BR-OWN",
            }
        )
        self.assertEqual((own | twin_b).mapped("agent_billing_ref"), ["BR-OWN", "BR-OWN"])
        with self.assertRaisesRegex(
            ValidationError,
            r"BR-OWN of Shared Too is already used by "
            r"(Own Client|Twin B)",
        ):
            self.env["res.partner"].create(
                {"name": "Shared Too", "is_company": True, "agent_billing_ref": "BR-OWN"}
            )
        # the database refuses a duplicate that bypasses the check (a concurrent write)
        with self.assertRaises(psycopg2.errors.UniqueViolation), mute_logger("odoo.sql_db"):
            self.env.cr.execute(
                SQL("UPDATE res_partner SET agent_billing_ref = 'BR-A' WHERE id = %s", other.id)
            )

    def test_billing_reference_is_the_commercial_partner_s(self):
        contact = self.env["res.partner"].create({"name": "Jane", "parent_id": self.client_a.id})
        with self.assertRaisesRegex(
            ValidationError, r"Jane is a contact of Client A: set the billing reference"
        ):
            contact.agent_billing_ref = "JANE"
        blank = self._client("Blank Client", "BLK")
        blank.agent_billing_ref = "   "
        self.assertFalse(blank.agent_billing_ref)

    def test_unknown_foreign_and_contractless_clients_get_the_same_answer(self):
        shared = self.env["res.partner"].create(
            {
                "name": "Shared Elsewhere",
                "is_company": True,
                "company_id": False,
                "agent_billing_ref": "BR-SHARED",
            }
        )
        self.env["agent.billing.contract"].with_company(self.company_b).create(
            {
                "partner_id": shared.id,
                "billing_model": "usage",
                "state": "active",
                "date_start": date(2025, 1, 1),
                "company_id": self.company_b.id,
            }
        )
        ended = self._client("Ended Client", "END", "BR-END")
        self._contract(ended, "usage", start=date(2025, 1, 1), date_end=date(2025, 2, 28))
        events = [
            self._event("u-1", "NO-SUCH-REF"),
            self._event("u-2", "BR-B"),  # another company's client
            self._event("u-3", self.foreign.id),
            self._event("u-4", "BR-IDLE"),  # no active contract
            self._event("u-5", self.idle.id),
            self._event("u-6", "BR-SHARED"),  # visible, but its contract is another company's
            self._event("u-7", "BR-END"),  # its contract ended before the event
            self._event("u-8", 2_000_000_000),
            self._event("u-9", "BR-A"),
        ]
        result = self.Usage._ingest(events)
        statuses = [r["status"] for r in result["results"]]
        self.assertEqual(statuses, ["rejected"] * 8 + ["accepted"])
        for res in result["results"][:8]:
            self.assertEqual(set(res), {"index", "status", "reason"})
            self._assert_reveals_nothing(
                res["reason"], self.foreign, self.idle, shared, ended, self.client_a
            )
        self.assertFalse(
            self.Usage.search(
                [("partner_id", "in", (self.foreign | self.idle | shared | ended).ids)]
            )
        )

    def test_contract_reference_and_partner_id_name_the_client(self):
        result = self.Usage._ingest(
            [
                self._event("c-1", self.contract_a.name),
                self._event("c-2", self.client_a.id),
            ]
        )
        self.assertEqual(result["accepted"], 2, result)
        stored = self.Usage.search([("idempotency_key", "in", ["c-1", "c-2"])])
        self.assertEqual(stored.partner_id, self.client_a)
        # a closed contract's reference no longer names anybody
        closed = self._contract(self.idle, "usage", state="closed")
        result = self.Usage._ingest([self._event("c-3", closed.name)])
        self._assert_reveals_nothing(result["results"][0]["reason"], self.idle)

    def test_the_contract_must_cover_the_event_s_day(self):
        late = self._client("Late Starter", "LATE", "BR-LATE")
        self._contract(late, "usage", start=date(2025, 3, 10), date_end=date(2025, 3, 20))
        result = self.Usage._ingest(
            [
                self._event("d-1", "BR-LATE", timestamp="2025-03-09T23:59:59Z"),
                self._event("d-2", "BR-LATE", timestamp="2025-03-10T00:00:00Z"),
                self._event("d-3", "BR-LATE", timestamp="2025-03-20T23:00:00Z"),
                self._event("d-4", "BR-LATE", timestamp="2025-03-21T00:00:00Z"),
            ]
        )
        self.assertEqual(
            [r["status"] for r in result["results"]],
            ["rejected", "accepted", "accepted", "rejected"],
        )

    def test_legacy_references_become_billing_references_where_unambiguous(self):
        solo = self._client("Solo", "SOLO")
        twin_1 = self._client("Twin One", "TWIN")
        twin_2 = self._client("Twin Two", "TWIN")
        taken = self._client("Taken", "BR-A")  # Client A's billing reference
        done = self.env["res.partner"]._agent_billing_ref_from_legacy()
        self.assertIn(solo, done)
        self.assertEqual(solo.agent_billing_ref, "SOLO")
        self.assertFalse((twin_1 | twin_2 | taken) & done)
        self.assertEqual(
            (twin_1 | twin_2 | taken).mapped("agent_billing_ref"), [False, False, False]
        )
        self.assertEqual(self.client_a.agent_billing_ref, "BR-A")

    # --- the import wizard -----------------------------------------------------------------------
    def test_import_wizard_follows_the_same_rules(self):
        twin = self._client("Twin", "CLA")  # Client A's legacy reference
        self._contract(twin, "usage")
        content = (
            "idempotency_key,client,agent_type,quantity,timestamp\n"
            "w-1,BR-A,T-SUP,1,2025-03-04 10:00:00\n"
            f"w-2,{self.contract_a.name},T-SUP,1,2025-03-04 10:00:00\n"
            "w-3,CLA,T-SUP,1,2025-03-04 10:00:00\n"
            "w-4,BR-B,T-SUP,1,2025-03-04 10:00:00\n"
            "w-5,BR-IDLE,T-SUP,1,2025-03-04 10:00:00\n"
            "w-6,NO-SUCH-REF,T-SUP,1,2025-03-04 10:00:00\n"
        )
        wizard = self.env["agent.billing.usage.import"].create(
            {
                "file": base64.b64encode(content.encode()),
                "file_name": "usage.csv",
                "mode": "valid_rows",
            }
        )
        wizard.action_import()
        lines = wizard.line_ids.sorted("row")
        self.assertEqual(lines.mapped("status"), ["ok", "ok"] + ["error"] * 4)
        for line in lines[2:]:
            self._assert_reveals_nothing(line.reason, self.client_a, twin, self.foreign, self.idle)
        stored = self.Usage.search([("idempotency_key", "like", "w-%")])
        self.assertEqual(sorted(stored.mapped("idempotency_key")), ["w-1", "w-2"])
        self.assertEqual(stored.partner_id, self.client_a)
        self.assertIn("Billing Reference", wizard._fields["file"].help)
