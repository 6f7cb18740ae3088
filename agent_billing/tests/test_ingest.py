from datetime import date

from odoo.exceptions import ValidationError
from odoo.tests import tagged

from .common import AgentBillingCommon


@tagged("post_install", "-at_install")
class TestIngest(AgentBillingCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.client_a.agent_billing_ref = "CLA"
        cls._contract(cls.client_a, "per_agent")
        cls.deployment = cls._deploy(cls.client_a, cls.agent_support, 2, date(2025, 1, 1))

    def _event(self, key, **kw):
        event = {
            "idempotency_key": key,
            "client": "CLA",
            "agent_type": "T-SUP",
            "metric": "t_task",
            "quantity": 3,
            "timestamp": "2025-03-04T10:00:00Z",
        }
        event.update(kw)
        return event

    def test_every_event_accounted_for(self):
        Usage = self.env["agent.billing.usage"]
        Usage._ingest([self._event("k-0")])
        events = [
            self._event("k-1"),
            self._event("k-0"),  # already stored
            self._event("k-1"),  # repeated in this batch
            self._event("k-2", client="NOPE"),
            self._event("k-3", quantity=-1),
            self._event("k-4", quantity="abc"),
            self._event("k-5", timestamp="yesterday"),
            self._event("k-6", metric="unknown"),
            self._event("", quantity=1),
            "not an object",
            self._event("k-7", deployment=self.deployment.name, agent_type=None),
            self._event("k-8", client=self.client_a.id, quantity="2.5"),
        ]
        result = Usage._ingest(events)
        self.assertEqual((result["accepted"], result["duplicate"], result["rejected"]), (3, 2, 7))
        self.assertEqual(len(result["results"]), len(events))
        statuses = [r["status"] for r in result["results"]]
        self.assertEqual(
            statuses,
            [
                "accepted",
                "duplicate",
                "duplicate",
                "rejected",
                "rejected",
                "rejected",
                "rejected",
                "rejected",
                "rejected",
                "rejected",
                "accepted",
                "accepted",
            ],
        )
        reasons = {r["index"]: r.get("reason", "") for r in result["results"]}
        self.assertEqual(reasons[3], "unknown client, or no active contract on the event's day")
        self.assertIn("negative", reasons[4])
        self.assertIn("not a number", reasons[5])
        self.assertIn("timestamp", reasons[6])
        self.assertIn("unknown metric", reasons[7])
        stored = Usage.search([("idempotency_key", "like", "k-%")])
        self.assertEqual(sorted(stored.mapped("idempotency_key")), ["k-0", "k-1", "k-7", "k-8"])
        k7 = stored.filtered(lambda u: u.idempotency_key == "k-7")
        self.assertEqual(k7.deployment_id, self.deployment)
        self.assertEqual(k7.product_id, self.agent_support)
        self.assertEqual(k7.metric_id, self.metric_task)  # the agent type's default metric
        k8 = stored.filtered(lambda u: u.idempotency_key == "k-8")
        self.assertEqual(k8.quantity, 2.5)

    def test_resending_a_batch_is_harmless(self):
        Usage = self.env["agent.billing.usage"]
        batch = [self._event(f"r-{i}", quantity=i + 1) for i in range(20)]
        first = Usage._ingest(batch)
        second = Usage._ingest(batch)
        self.assertEqual((first["accepted"], first["duplicate"]), (20, 0))
        self.assertEqual((second["accepted"], second["duplicate"]), (0, 20))
        stored = Usage.search([("idempotency_key", "like", "r-%")])
        self.assertEqual(len(stored), 20)
        self.assertEqual(sum(stored.mapped("quantity")), sum(range(1, 21)))

    def test_batch_size_limit(self):
        with self.assertRaisesRegex(ValidationError, r"at most 1000 events"):
            self.env["agent.billing.usage"]._ingest([self._event(f"b-{i}") for i in range(1001)])

    def test_nul_characters_are_rejected_not_crashing(self):
        result = self.env["agent.billing.usage"]._ingest(
            [
                self._event("nul-\x00-key"),
                self._event("nul-ok", source="a\x00b"),
                self._event("fine"),
            ]
        )
        self.assertEqual((result["accepted"], result["rejected"]), (1, 2))
        self.assertIn("NUL character", result["results"][0]["reason"])
        self.assertIn("source contains a NUL", result["results"][1]["reason"])
