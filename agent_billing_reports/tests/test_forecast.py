from datetime import date

from odoo.tests import tagged

from .common import ReportsCommon, month_bounds


@tagged("post_install", "-at_install")
class TestRevenueForecast(ReportsCommon):
    """The forecast from deployments, end dates, contract end and renewal, minimum commitment
    and each client's usage trend; its back-test against actual revenue."""

    def _forecast(self, months=6):
        return self._dashboard(forecast_months=months)["forecast"]

    def test_actuals_are_service_month_revenue(self):
        forecast = self._forecast()
        self.assertEqual(forecast["last_actual_month"], "May 2025")
        history = forecast["labels"][:12]
        self.assertEqual(history[0], "Jun 2024")
        for index in range(12):
            year, month = (2024, index + 6) if index < 7 else (2025, index - 6)
            self.assertAlmostEqual(
                forecast["actual"][index],
                self._service_month_revenue(*month_bounds(year, month)),
                msg=history[index],
            )

    def test_backtest_and_mape(self):
        forecast = self._forecast()
        rows = forecast["rows"]
        self.assertEqual(
            [r["month"] for r in rows],
            ["Dec 2024", "Jan 2025", "Feb 2025", "Mar 2025", "Apr 2025", "May 2025"],
        )
        for row, month in zip(rows, [(2024, 12)] + [(2025, m) for m in range(1, 6)], strict=True):
            self.assertAlmostEqual(
                row["actual"], self._service_month_revenue(*month_bounds(*month))
            )
        # December 2024: no revenue yet, it cannot be scored and is said to be skipped
        self.assertIsNone(rows[0]["error_pct"])
        self.assertEqual(forecast["skipped_months"], ["Dec 2024"])
        # January to April: the deployments running when the month began bill exactly that
        for row in rows[1:5]:
            self.assertAlmostEqual(row["forecast"], row["actual"])
            self.assertEqual(row["error_pct"], 0.0)
        # May: the credit note of 100 was not foreseen: 1700 forecast for 1600 billed
        self.assertAlmostEqual(rows[5]["forecast"], 200 + 1500)
        self.assertAlmostEqual(rows[5]["actual"], 200 + 1400)
        self.assertAlmostEqual(rows[5]["error_pct"], 6.2, places=1)
        scored = [r["error_pct"] for r in rows if r["error_pct"] is not None]
        self.assertAlmostEqual(forecast["mape"], round(sum(scored) / len(scored), 1))
        self.assertEqual(forecast["scored_months"], [r["month"] for r in rows[1:]])

    def test_forecast_from_deployments_end_dates_minimum_and_trend(self):
        forecast = self._forecast(12)
        self.assertEqual(forecast["labels"][12:14], ["Jun 2025", "Jul 2025"])
        ahead = forecast["forecast"][12:]
        self.assertEqual(len(ahead), 12)
        # client A: 2 x 100, plus the sales agent (300) in June and July only
        a = [500.0, 500.0] + [200.0] * 4
        # client B: 5 x 300 plus its usage trend: its revenue beyond its agents was 0, 0, 0,
        # 0, -100 (the credit note), a least-squares line of slope -20 read on from there
        b = [1500 - 80.0, 1500 - 100.0, 1500 - 120.0, 1500 - 140.0, 1500 - 160.0, 1500 - 180.0]
        for index in range(6):
            self.assertAlmostEqual(
                ahead[index], a[index] + b[index], msg=forecast["labels"][12 + index]
            )
        # December: B still runs; January: B's contract has ended
        self.assertAlmostEqual(ahead[6], 200 + 1500 - 200.0)
        self.assertAlmostEqual(ahead[7], 200.0)
        self.assertAlmostEqual(forecast["total"], sum(ahead), places=2)

        # renewal expected: B goes on after its end date, never below its minimum
        self.contract_b.renewal_expected = True
        renewed = self._forecast(12)["forecast"][12:]
        self.assertAlmostEqual(renewed[7], 200 + 1500 - 220.0)
        self.assertAlmostEqual(renewed[11], 200 + max(1500 - 300.0, 1000.0))

    def test_minimum_commitment_floor(self):
        """A new contract tier client: 3 support agents at the tier's 90 = 270 a month, below
        its 1000 minimum; no history, so no usage trend."""
        before = self._forecast()["forecast"][12:14]
        client_c = self._create_client("Client C", "CLC")
        contract = self._contract(client_c, "contract", tier=self.tier, start=date(2025, 6, 1))
        self._deploy(client_c, self.agent_support, 3, date(2025, 6, 1), contract=contract)
        after = self._forecast()["forecast"][12:14]
        self.assertAlmostEqual(after[0] - before[0], self.tier.minimum_commitment)
        self._deploy(client_c, self.agent_support, 10, date(2025, 7, 1), contract=contract)
        july = self._forecast()["forecast"][13]
        self.assertAlmostEqual(july - before[1], 13 * 90.0)  # 1170, above the minimum

    def test_client_forecast_and_months_choice(self):
        for months in (3, 12):
            self.assertEqual(len(self._forecast(months)["forecast"]), 12 + months)
        breakdown = self.env["agent.billing.client.breakdown"].get_client_data(self.client_a.id)
        self.assertEqual(breakdown["forecast"]["values"], [500.0, 500.0] + [200.0] * 4)

    def test_last_month_not_billed_yet(self):
        """Seen on 3 July, before June's billing run: the forecast starts from May's actuals."""
        data = (
            self.env["agent.billing.dashboard"]
            .with_context(agent_billing_today=date(2025, 7, 3))
            .get_dashboard_data()
        )
        self.assertEqual(data["forecast"]["last_actual_month"], "May 2025")
        self.assertEqual(data["forecast"]["labels"][12], "Jun 2025")
