from datetime import date, datetime
from decimal import Decimal

from odoo.tests import tagged

from .common import AgentBillingCommon

MARCH = (date(2025, 3, 1), date(2025, 3, 31))


@tagged("post_install", "-at_install")
class TestRating(AgentBillingCommon):
    """Hand-checked scenarios, rated from Odoo records through the plain-Python core."""

    def _amounts(self, rating):
        return [(line.kind, line.quantity, line.unit_price, line.amount) for line in rating.lines]

    def test_per_agent_mid_month_start(self):
        contract = self._contract(self.client_a, "per_agent")
        self._deploy(self.client_a, self.agent_support, 3, date(2025, 3, 16))  # 16 of 31 days
        self._deploy(self.client_a, self.agent_sales, 2, date(2025, 1, 1))  # whole month
        # usage is not billed on the per-agent model
        self._usage(self.client_a, self.metric_task, 500, datetime(2025, 3, 3), "pa-1")
        rating = contract._rate_period(*MARCH)
        # 3 x 100 x 16/31 = 154.8387 -> one line of 154.84; 2 x 300 = 600 exactly
        self.assertEqual(
            sorted(self._amounts(rating), key=lambda r: r[3]),
            [
                ("agents", Decimal(1), Decimal("154.84"), Decimal("154.84")),
                ("agents", Decimal(2), Decimal("300.00"), Decimal("600.00")),
            ],
        )
        self.assertEqual(rating.total, Decimal("754.84"))
        sources = {line.description_data["agents"]: line.price_source for line in rating.lines}
        self.assertEqual(sources, {3: "catalog", 2: "catalog"})

    def test_deployment_ending_outside_period_is_ignored(self):
        contract = self._contract(self.client_a, "per_agent")
        dep = self._deploy(
            self.client_a, self.agent_support, 1, date(2025, 1, 1), date(2025, 2, 28)
        )
        self.assertFalse(contract._rating_deployments(*MARCH) & dep)
        self.assertEqual(contract._rate_period(*MARCH).total, Decimal(0))

    def test_usage_graduated_on_tier(self):
        contract = self._contract(self.client_a, "usage", tier=self.tier)
        self._usage(self.client_a, self.metric_task, 2500, datetime(2025, 3, 2), "g-1")
        self._usage(self.client_a, self.metric_task, 3500, datetime(2025, 3, 30), "g-2")
        self._usage(self.client_a, self.metric_task, 9999, datetime(2025, 4, 1), "g-april")
        self._usage(self.client_a, self.metric_exec, 1234, datetime(2025, 3, 5), "e-1")
        rating = contract._rate_period(*MARCH)
        lines = {line.key[0]: line for line in rating.lines}
        # 1000 x 0.10 + 4000 x 0.08 + 1000 x 0.05 = 470
        self.assertEqual(lines[self.metric_task].amount, Decimal("470.00"))
        self.assertEqual(lines[self.metric_task].description_data["quantity"], Decimal(6000))
        self.assertEqual(len(lines[self.metric_task].description_data["bands"]), 3)
        self.assertEqual(lines[self.metric_task].price_source, "tier")
        # executions are not in the tier: catalog 0.01 x 1234, shown as quantity x unit price
        self.assertEqual(
            (
                lines[self.metric_exec].quantity,
                lines[self.metric_exec].unit_price,
                lines[self.metric_exec].amount,
                lines[self.metric_exec].price_source,
            ),
            (Decimal(1234), Decimal("0.01"), Decimal("12.34"), "catalog"),
        )
        self.assertEqual(rating.total, Decimal("482.34"))
        self.assertEqual(len(lines[self.metric_task].refs), 2)  # the April event is not in March

    def test_contract_tier_minimum_true_up(self):
        contract = self._contract(self.client_b, "contract", tier=self.tier)
        self._deploy(self.client_b, self.agent_support, 2, date(2024, 6, 1))
        self._usage(self.client_b, self.metric_task, 500, datetime(2025, 3, 10), "m-1")
        rating = contract._rate_period(*MARCH)
        # tier rate 90 x 2 = 180; 500 tasks x 0.10 = 50; minimum 1000 -> true-up 770
        self.assertEqual(
            [(line.kind, line.amount) for line in rating.lines],
            [
                ("agents", Decimal("180.00")),
                ("usage", Decimal("50.00")),
                ("minimum", Decimal("770.00")),
            ],
        )
        self.assertEqual(rating.total, Decimal("1000.00"))

    def test_minimum_prorated_for_contract_starting_mid_month(self):
        contract = self._contract(
            self.client_b, "contract", tier=self.tier, start=date(2025, 3, 17)
        )  # 15 of 31 days
        rating = contract._rate_period(*MARCH)
        self.assertEqual(rating.total, Decimal("483.87"))  # 1000 x 15/31

    def test_tier_discount(self):
        self.tier.discount_percent = 10.0
        self.tier.minimum_commitment = 0.0
        contract = self._contract(self.client_b, "contract", tier=self.tier)
        self._deploy(self.client_b, self.agent_support, 2, date(2024, 6, 1))
        rating = contract._rate_period(*MARCH)
        line = rating.lines[0]
        self.assertEqual(
            (line.quantity, line.unit_price, line.discount_percent, line.amount),
            (Decimal(2), Decimal("90.00"), Decimal(10), Decimal("162.00")),
        )

    def test_override_beats_tier_beats_catalog(self):
        contract = self._contract(self.client_a, "contract", tier=self.tier)
        self.tier.minimum_commitment = 0.0
        self._deploy(self.client_a, self.agent_support, 1, date(2025, 1, 1))  # tier: 90
        self._deploy(self.client_a, self.agent_sales, 1, date(2025, 1, 1))  # catalog: 300
        self.env["agent.billing.price.override"].create(
            {
                "partner_id": self.client_a.id,
                "product_id": self.agent_support.id,
                "monthly_rate": 80.0,
                "date_from": date(2025, 3, 11),
            }
        )
        rating = contract._rate_period(*MARCH)
        got = sorted((line.price_source, line.amount) for line in rating.lines)
        # support: days 1-10 at the tier's 90 (29.03), days 11-31 at the override's 80 (54.19)
        self.assertEqual(
            got,
            [
                ("catalog", Decimal("300.00")),
                ("override", Decimal("54.19")),
                ("tier", Decimal("29.03")),
            ],
        )
        self.assertEqual(rating.total, Decimal("383.22"))

    def test_metric_override_prices_only_events_in_its_validity(self):
        contract = self._contract(self.client_a, "usage", tier=self.tier)
        self.env["agent.billing.price.override"].create(
            {
                "partner_id": self.client_a.id,
                "metric_id": self.metric_task.id,
                "unit_price": 0.02,
                "date_from": date(2025, 3, 15),
                "date_to": date(2025, 3, 20),
            }
        )
        self._usage(self.client_a, self.metric_task, 100, datetime(2025, 3, 14), "o-1")
        self._usage(self.client_a, self.metric_task, 1000, datetime(2025, 3, 15), "o-2")
        rating = contract._rate_period(*MARCH)
        got = sorted((line.price_source, line.amount) for line in rating.lines)
        self.assertEqual(got, [("override", Decimal("20.00")), ("tier", Decimal("10.00"))])

    def test_total_equals_sum_of_lines_on_every_model(self):
        for billing_model in ("per_agent", "usage", "contract"):
            # drafts: rating does not look at the state, and one client has one live contract
            contract = self._contract(self.client_b, billing_model, tier=self.tier, state="draft")
            self._deploy(self.client_b, self.agent_support, 3, date(2025, 3, 7), contract=contract)
            self._usage(
                self.client_b, self.metric_task, 7777, datetime(2025, 3, 9), f"s-{billing_model}"
            )
            rating = contract._rate_period(*MARCH)
            self.assertTrue(rating.lines)
            self.assertEqual(rating.total, sum(line.amount for line in rating.lines))
