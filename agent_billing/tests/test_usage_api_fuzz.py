import json
import logging
import os
import time
from datetime import date, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from odoo import fields
from odoo.tests import HttpCase, new_test_user, tagged

_logger = logging.getLogger(__name__)

API = "/agent_billing/api/v1/usage"
# ``AB_FUZZ_EXAMPLES`` lowers the count for a quick local run; the suite runs 10,000.
EXAMPLES = int(os.environ.get("AB_FUZZ_EXAMPLES", "10000"))

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
    st.sampled_from(
        [
            "FUZZ",
            "NOPE",
            "",
            "2025-03-05T10:00:00Z",
            "fz_task",
            "FZ-AGT",
            "2025-13-45T99:99:99",
            "1e400",
            "-1",
            "NaN",
            "0x10",
        ]
    ),
)
json_values = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=12,
)
field_values = st.one_of(scalars, json_values)
events = st.fixed_dictionaries(
    {},
    optional={
        "idempotency_key": st.one_of(st.text(max_size=300), field_values),
        "client": st.one_of(st.sampled_from(["FUZZ", "NOPE"]), field_values),
        "agent_type": st.one_of(st.just("FZ-AGT"), field_values),
        "deployment": field_values,
        "metric": st.one_of(st.just("fz_task"), field_values),
        "quantity": st.one_of(st.floats(min_value=-10, max_value=1e13), field_values),
        "timestamp": st.one_of(
            st.just("2025-03-05T10:00:00Z"),
            st.datetimes().map(lambda d: d.isoformat()),
            field_values,
        ),
        "source": field_values,
    },
)
# valid events from a small key space (so that re-sends and in-batch repeats happen), some with
# one field replaced by anything
valid_events = st.builds(
    lambda key, qty, ts: {
        "idempotency_key": key,
        "client": "FUZZ",
        "agent_type": "FZ-AGT",
        "quantity": qty,
        "timestamp": ts,
    },
    st.text(alphabet="abcdef", min_size=1, max_size=3),
    st.one_of(
        st.integers(min_value=0, max_value=10**6),
        st.floats(min_value=0, max_value=1e6, allow_nan=False),
    ),
    st.sampled_from(
        [
            "2025-03-05T10:00:00Z",
            "2025-03-05 10:00:00",
            "2025-03-05T10:00:00+02:00",
            "2025-03-05T10:00:00.123456",
        ]
    ),
)
mutated_events = st.builds(
    lambda event, name, value: {**event, name: value},
    valid_events,
    st.sampled_from(
        [
            "idempotency_key",
            "client",
            "agent_type",
            "metric",
            "quantity",
            "timestamp",
            "deployment",
            "source",
        ]
    ),
    field_values,
)
any_event = st.one_of(valid_events, mutated_events, events, json_values)
bodies = st.one_of(
    st.lists(any_event, max_size=8).map(lambda e: json.dumps(e)),
    st.builds(
        lambda e, s: json.dumps({"events": e, "source": s}),
        st.lists(any_event, max_size=8),
        field_values,
    ),
    json_values.map(json.dumps),
    st.binary(max_size=64).map(lambda b: b.decode("latin-1")),
)


@tagged("post_install", "-at_install")
class TestUsageApiFuzz(HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env.company.agent_billing_rate_limit = 0
        metric = cls.env["agent.billing.metric"].create({"name": "Fuzz", "code": "fz_task"})
        cls.env["product.product"].create(
            {
                "name": "Fuzz Agent",
                "default_code": "FZ-AGT",
                "type": "service",
                "is_agent_type": True,
                "agent_usage_metric_id": metric.id,
            }
        )
        client = cls.env["res.partner"].create(
            {"name": "Fuzz Client", "agent_billing_ref": "FUZZ", "is_company": True}
        )
        cls.env["agent.billing.contract"].create(
            {
                "partner_id": client.id,
                "billing_model": "usage",
                "date_start": date(2000, 1, 1),
                "state": "active",
            }
        )
        user = new_test_user(
            cls.env, login="fuzz_bot", groups="agent_billing.group_agent_billing_ingest"
        )
        cls.key = (
            cls.env["res.users.apikeys"]
            .with_user(user)
            .sudo()
            ._generate(None, "fuzz", fields.Date.today() + timedelta(days=1))
        )
        cls.stats = {
            "requests": 0,
            "events": 0,
            "accepted": 0,
            "duplicate": 0,
            "rejected": 0,
            "4xx": 0,
        }

    def test_no_server_error_and_every_event_accounted_for(self):
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        )
        @given(bodies)
        def check(body):
            # a POST even for an empty body (url_open would send a GET)
            response = self.opener.post(
                self.base_url() + API,
                data=body.encode("utf-8", "surrogatepass"),
                headers={"Authorization": f"Bearer {self.key}", "Content-Type": "application/json"},
                timeout=30,
            )
            self.stats["requests"] += 1
            self.assertIn(response.status_code, (200, 400, 413), response.text[:300])
            payload = response.json()
            if response.status_code != 200:
                self.assertIsInstance(payload["error"], str)
                self.stats["4xx"] += 1
                return
            sent = json.loads(body)
            sent = sent["events"] if isinstance(sent, dict) else sent
            counts = (payload["accepted"], payload["duplicate"], payload["rejected"])
            self.assertEqual(sum(counts), len(sent))
            self.assertEqual([r["index"] for r in payload["results"]], list(range(len(sent))))
            for result in payload["results"]:
                if result["status"] == "rejected":
                    self.assertTrue(result["reason"])
            self.stats["events"] += len(sent)
            for name, value in zip(("accepted", "duplicate", "rejected"), counts, strict=True):
                self.stats[name] += value

        started = time.time()
        check()
        self.assertEqual(self.stats["requests"], EXAMPLES)
        _logger.info("fuzz: %s in %.0fs", self.stats, time.time() - started)
