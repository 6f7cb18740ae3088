"""Money rules of the billing engine, each with hand-computed figures."""

from datetime import date, datetime

from odoo import Command

from .common import AgentBillingCommon, tagged

MARCH = {
    "period_start": date(2025, 3, 1),
    "period_end": date(2025, 3, 31),
    "invoice_date": date(2025, 4, 1),
}


@tagged("post_install", "-at_install")
class TestEngineMoney(AgentBillingCommon):
    def _bill_march(self):
        run = self.env["agent.billing.run"].create(MARCH)
        run.action_compute()
        run.action_create_invoices()
        return run

    def test_override_in_another_currency_is_converted(self):
        # symptom: an override entered in EUR was billed as the same number of USD
        eur = self.setup_other_currency("EUR", rates=[("2025-01-01", 2.0)])  # 1 USD = 2 EUR
        self.assertNotEqual(eur, self.env.company.currency_id)
        contract = self._contract(self.client_a, "per_agent")
        self._deploy(self.client_a, self.agent_sales, 1, date(2025, 1, 1))
        self.env["agent.billing.price.override"].create(
            {
                "partner_id": self.client_a.id,
                "product_id": self.agent_sales.id,
                "currency_id": eur.id,
                "monthly_rate": 200.0,
                "date_from": date(2025, 1, 1),
            }
        )
        run = self._bill_march()
        row = run.line_ids.filtered(lambda r: r.contract_id == contract)
        self.assertEqual(row.state, "invoiced", row.message)
        self.assertEqual(row.total, 100.0)  # 200 EUR at 2 EUR per USD, a full month
        self.assertEqual(row.move_id.currency_id, self.env.company.currency_id)
        self.assertEqual(row.move_id.amount_untaxed, 100.0)

    def test_price_included_tax_invoices(self):
        # symptom: a price-included tax made the row fail, so no invoice was created
        tax = self.env["account.tax"].create(
            {
                "name": "VAT 15% incl.",
                "amount": 15.0,
                "type_tax_use": "sale",
                "price_include_override": "tax_included",
            }
        )
        self.agent_sales.taxes_id = [Command.set(tax.ids)]
        contract = self._contract(self.client_a, "per_agent")
        self._deploy(self.client_a, self.agent_sales, 2, date(2025, 1, 1))
        run = self._bill_march()
        row = run.line_ids.filtered(lambda r: r.contract_id == contract)
        self.assertEqual(row.state, "invoiced", row.message)
        move = row.move_id
        # 2 agents x 300.00, taxes included: 600.00 in all, of which 600 / 1.15 = 521.74 net
        self.assertEqual(row.total, 600.0)
        self.assertEqual(move.amount_total, 600.0)
        self.assertEqual(move.amount_untaxed, 521.74)
        self.assertEqual(move.amount_tax, 78.26)

    def _tier_change(self, tier_rate, new_rate, effective):
        change = self.env["agent.billing.price.change"].create(
            {
                "name": f"Tier rate to {new_rate}",
                "effective_date": effective,
                "mode": "fixed",
                "value": new_rate,
                "line_ids": [
                    Command.create(
                        {
                            "res_model": tier_rate._name,
                            "res_id": tier_rate.id,
                            "field_name": "monthly_rate",
                            "description": "Support agent rate",
                            "old_value": tier_rate.monthly_rate,
                            "new_value": new_rate,
                        }
                    )
                ],
            }
        )
        change.action_apply()
        self.assertEqual(tier_rate.monthly_rate, new_rate)
        return change

    def _plain_tier(self):
        return self.env["agent.billing.tier"].create(
            {
                "name": "Plain",
                "minimum_commitment": 0.0,
                "agent_rate_ids": [
                    Command.create({"product_id": self.agent_support.id, "monthly_rate": 90.0})
                ],
            }
        )

    def test_tier_price_change_on_the_first_does_not_price_the_month_before(self):
        # symptom: a tier price change effective on the 1st could price the month before it
        tier = self._plain_tier()
        contract = self._contract(self.client_a, "contract", tier=tier)
        self._deploy(self.client_a, self.agent_support, 2, date(2025, 1, 1))
        self._tier_change(tier.agent_rate_ids, 120.0, date(2025, 4, 1))
        run = self._bill_march()
        row = run.line_ids.filtered(lambda r: r.contract_id == contract)
        self.assertEqual(row.total, 180.0)  # 2 x 90, March is before the change

    def test_tier_price_change_mid_month_prorates_both_prices(self):
        tier = self._plain_tier()
        contract = self._contract(self.client_a, "contract", tier=tier)
        self._deploy(self.client_a, self.agent_support, 2, date(2025, 1, 1))
        self._tier_change(tier.agent_rate_ids, 120.0, date(2025, 3, 16))
        run = self._bill_march()
        row = run.line_ids.filtered(lambda r: r.contract_id == contract)
        # 2 x 90 x 15/31 = 87.10 (to the 15th) + 2 x 120 x 16/31 = 123.87 (from the 16th)
        self.assertEqual(sorted(row.detail_ids.mapped("amount")), [87.10, 123.87])
        self.assertEqual(row.total, 210.97)
        self.assertEqual(row.move_id.amount_untaxed, 210.97)

    def test_override_from_the_16th_grants_included_units_once(self):
        # symptom: with an override from the 16th, a tier's included units were granted twice
        tier = self.env["agent.billing.tier"].create(
            {
                "name": "Included 1,000",
                "minimum_commitment": 0.0,
                "usage_rate_ids": [
                    Command.create(
                        {
                            "metric_id": self.metric_task.id,
                            "charge_model": "standard",
                            "unit_price": 0.05,
                            "included_units": 1000,
                        }
                    )
                ],
            }
        )
        contract = self._contract(self.client_a, "usage", tier=tier)
        self.env["agent.billing.price.override"].create(
            {
                "partner_id": self.client_a.id,
                "metric_id": self.metric_task.id,
                "unit_price": 0.04,
                "date_from": date(2025, 3, 16),
            }
        )
        self._usage(self.client_a, self.metric_task, 800, datetime(2025, 3, 5), "inc-1")
        self._usage(self.client_a, self.metric_task, 800, datetime(2025, 3, 20), "inc-2")
        run = self._bill_march()
        row = run.line_ids.filtered(lambda r: r.contract_id == contract)
        # 1,000 included once: the 800 of the 5th and 200 of the 20th; 600 x 0.04 = 24.00
        self.assertEqual(row.total, 24.0)
        self.assertEqual(sorted(row.detail_ids.mapped("included_units")), [200.0, 800.0])
        self.assertEqual(row.move_id.amount_untaxed, 24.0)
