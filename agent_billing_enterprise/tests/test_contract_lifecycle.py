from datetime import date

from odoo import Command
from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import MARCH, EnterpriseCommon


@tagged("post_install", "-at_install")
class TestContractLifecycle(EnterpriseCommon):
    """draft -> pending approval -> active -> expired or renewed; amendments with effective
    dates (rates priced from their date); automatic renewal with a notice."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.approver = cls._user("contract_approver")
        cls.client = cls._entity("Pendant Publishing")

    def _march_total(self, contract):
        return float(contract._rate_period(MARCH["period_start"], MARCH["period_end"]).total)

    def test_activation_waits_for_approval(self):
        self.env["agent.billing.approval.rule"].create(
            {
                "name": "Big contracts",
                "request_type": "contract",
                "amount_min": 10000,
                "user_ids": [Command.set(self.approver.ids)],
            }
        )
        small = self._contract(self.client, "per_agent", state="draft", contract_value=5000)
        small.action_activate()
        self.assertEqual(small.state, "active")
        big = self._contract(self._entity("Big Co"), "contract", tier=self.tier, state="draft")
        self.assertEqual(big.contract_value, 12000.0, "12 months of the tier's commitment")
        big.action_activate()
        self.assertEqual(big.state, "pending")
        request = big.agent_approval_request_ids
        self.assertEqual((request.request_type, request.amount), ("contract", 12000.0))
        request.with_user(self.approver)._decide("approved")
        self.assertEqual(big.state, "active")
        # refused: back to draft
        other = self._contract(self._entity("Other Co"), "contract", tier=self.tier, state="draft")
        other.action_activate()
        other.agent_approval_request_ids.with_user(self.approver)._decide("refused", "too low")
        self.assertEqual((other.state, other.agent_approval_state), ("draft", "refused"))

    def test_rate_amendment_applies_from_its_effective_date(self):
        contract = self._contract(self.client, "per_agent")
        self._deploy(self.client, self.agent_support, 1, date(2025, 1, 1))
        self.assertEqual(self._march_total(contract), 100.0)
        amendment = self.env["agent.billing.contract.amendment"].create(
            {
                "contract_id": contract.id,
                "name": "Renegotiated support rate",
                "kind": "rate",
                "effective_date": date(2025, 3, 16),
                "product_id": self.agent_support.id,
                "new_rate": 69.0,
            }
        )
        amendment.action_confirm()
        self.assertEqual(amendment.state, "applied")
        # 100 x 15/31 + 69 x 16/31 = 48.39 + 35.61
        self.assertEqual(self._march_total(contract), 84.0)
        self.assertEqual(amendment.old_value, "catalog or tier price")
        # a second rate change later cuts the first override at its date, history kept
        second = self.env["agent.billing.contract.amendment"].create(
            {
                "contract_id": contract.id,
                "name": "Second change",
                "kind": "rate",
                "effective_date": date(2025, 4, 1),
                "product_id": self.agent_support.id,
                "new_rate": 50.0,
            }
        )
        second.action_confirm()
        first_override = amendment.override_id
        self.assertEqual(first_override.date_to, date(2025, 3, 31))
        self.assertEqual(second.override_id.date_from, date(2025, 4, 1))
        self.assertEqual(second.old_value, "69.00")
        self.assertEqual(self._march_total(contract), 84.0, "March keeps its rates")
        april = float(contract._rate_period(date(2025, 4, 1), date(2025, 4, 30)).total)
        self.assertEqual(april, 50.0)
        self.assertEqual(contract.amendment_count, 2)
        with self.assertRaisesRegex(UserError, "starts later"):
            self.env["agent.billing.contract.amendment"].create(
                {
                    "contract_id": contract.id,
                    "name": "Backdated",
                    "kind": "rate",
                    "effective_date": date(2025, 3, 20),
                    "product_id": self.agent_support.id,
                    "new_rate": 10.0,
                }
            ).action_confirm()

    def test_dated_amendment_waits_for_its_date(self):
        contract = self._contract(self.client, "per_agent", date_end=date(2025, 12, 31))
        today = date.today()
        amendment = self.env["agent.billing.contract.amendment"].create(
            {
                "contract_id": contract.id,
                "name": "Longer term",
                "kind": "end_date",
                "effective_date": today.replace(year=today.year + 1),
                "new_date_end": date(2026, 12, 31),
            }
        )
        amendment.action_confirm()
        self.assertEqual((amendment.state, contract.date_end), ("scheduled", date(2025, 12, 31)))
        self.env["agent.billing.contract"]._cron_lifecycle(today=today)
        self.assertEqual(amendment.state, "scheduled")
        self.env["agent.billing.contract"]._cron_lifecycle(today=today.replace(year=today.year + 1))
        self.assertEqual((amendment.state, contract.date_end), ("applied", date(2026, 12, 31)))
        self.assertEqual(amendment.old_value, "12/31/2025")

    def test_renewal_notice_then_renewal(self):
        # from March: a first run of a contract bills every month it has not billed yet
        contract = self._contract(
            self.client,
            "per_agent",
            date_start=date(2025, 3, 1),
            date_end=date(2025, 3, 31),
            auto_renew=True,
            renewal_notice_days=30,
            renewal_months=12,
        )
        deployment = self._deploy(
            self.client, self.agent_support, 1, date(2025, 1, 1), contract=contract
        )
        Contract = self.env["agent.billing.contract"]
        Contract._cron_lifecycle(today=date(2025, 2, 28))
        self.assertFalse(contract.renewal_notice_sent, "more than 30 days before the end")
        Contract._cron_lifecycle(today=date(2025, 3, 1))
        self.assertEqual(contract.renewal_notice_sent, date(2025, 3, 1))
        notice = contract.message_ids.filtered(lambda m: "renews automatically" in (m.body or ""))
        self.assertEqual(len(notice), 1)
        self.assertIn(contract.partner_invoice_id, notice.partner_ids)
        self.assertEqual(contract.activity_ids.user_id, contract.user_id)
        Contract._cron_lifecycle(today=date(2025, 3, 2))
        self.assertEqual(
            len(contract.message_ids.filtered(lambda m: "renews automatically" in (m.body or ""))),
            1,
            "one notice",
        )
        Contract._cron_lifecycle(today=date(2025, 4, 1))
        successor = contract.renewal_id
        self.assertEqual(contract.state, "renewed")
        self.assertRecordValues(
            successor,
            [
                {
                    "state": "active",
                    "date_start": date(2025, 4, 1),
                    "date_end": date(2026, 3, 31),
                    "renewed_from_id": contract.id,
                    "billing_model": "per_agent",
                    "auto_renew": True,
                }
            ],
        )
        Contract._cron_lifecycle(today=date(2025, 4, 2))
        self.assertEqual(contract.renewal_id, successor, "renewed once")
        # the ended contract still bills March, its successor April, with the same deployment
        run = self._billed_run()
        self.assertEqual(run.move_ids.agent_contract_id, contract)
        self.assertEqual(run.move_ids.amount_untaxed, 100.0)
        april = self._billed_run(
            period_start=date(2025, 4, 1),
            period_end=date(2025, 4, 30),
            invoice_date=date(2025, 5, 1),
        )
        self.assertEqual(april.move_ids.agent_contract_id, successor)
        self.assertEqual(april.move_ids.invoice_line_ids.agent_deployment_id, deployment)

    def test_expiry_without_renewal(self):
        contract = self._contract(self.client, "per_agent", date_end=date(2025, 3, 31))
        self._deploy(self.client, self.agent_support, 1, date(2025, 1, 1))
        self.env["agent.billing.contract"]._cron_lifecycle(today=date(2025, 4, 1))
        self.assertEqual(contract.state, "expired")
        run = self._billed_run()
        self.assertEqual(run.move_ids.agent_contract_id, contract, "its last month is billed")

    def test_renewal_needs_an_end(self):
        with self.assertRaisesRegex(Exception, "no end date"):
            self._contract(self.client, "per_agent", auto_renew=True)
