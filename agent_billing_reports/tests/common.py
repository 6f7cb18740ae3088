from datetime import date, timedelta

from odoo import Command

from odoo.addons.agent_billing.tests.common import AgentBillingCommon

TODAY = date(2025, 6, 15)
SETTLED = ("paid", "in_payment", "reversed")


def month_bounds(year, month):
    start = date(year, month, 1)
    end = (start + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    return start, end


class ReportsCommon(AgentBillingCommon):
    """Two clients billed January to May 2025, seen on 15 June 2025.

    * Client A, per agent: 2 support agents (catalog 100) since 1 January, and 1 sales agent
      (catalog 300) from 1 June to 31 July. Invoices of 200 for January to May (15 % tax),
      dated the 1st of the next month, due 30 days later: January and February paid,
      March partly paid, April overdue, May not due yet.
    * Client B, contract tier (Growth: minimum 1000): 5 sales agents since 1 January, the
      contract ends on 31 December 2025. Invoices of 1500 for January to May: January paid,
      February and April paid in June, March overdue, May not due; a credit note of 100 for May;
      a billing run's draft for June, waiting for review.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, agent_billing_today=TODAY))
        cls.term_30 = cls.env.ref("account.account_payment_term_30days")
        cls.contract_a = cls._contract(cls.client_a, "per_agent", start=date(2025, 1, 1))
        cls.contract_b = cls._contract(
            cls.client_b,
            "contract",
            tier=cls.tier,
            start=date(2025, 1, 1),
            date_end=date(2025, 12, 31),
        )
        cls.dep_a = cls._deploy(
            cls.client_a, cls.agent_support, 2, date(2025, 1, 1), contract=cls.contract_a
        )
        cls.dep_a2 = cls._deploy(
            cls.client_a,
            cls.agent_sales,
            1,
            date(2025, 6, 1),
            end=date(2025, 7, 31),
            contract=cls.contract_a,
        )
        cls.dep_b = cls._deploy(
            cls.client_b, cls.agent_sales, 5, date(2025, 1, 1), contract=cls.contract_b
        )
        cls.inv_a, cls.inv_b = {}, {}
        for month in range(1, 6):
            period = month_bounds(2025, month)
            invoice_date = period[1] + timedelta(days=1)
            cls.inv_a[month] = cls._invoice(cls.contract_a, cls.dep_a, 100.0, invoice_date, period)
            cls.inv_b[month] = cls._invoice(cls.contract_b, cls.dep_b, 300.0, invoice_date, period)
        cls._pay(cls.inv_a[1], None, date(2025, 2, 20))
        cls._pay(cls.inv_a[2], None, date(2025, 3, 25))
        cls._pay(cls.inv_a[3], 100.0, date(2025, 4, 30))
        cls._pay(cls.inv_b[1], None, date(2025, 2, 10))
        cls._pay(cls.inv_b[2], None, date(2025, 6, 5))
        cls._pay(cls.inv_b[4], None, date(2025, 6, 10))
        cls.credit_b = cls.env["account.move"].create(
            {
                "move_type": "out_refund",
                "partner_id": cls.client_b.id,
                "invoice_date": date(2025, 5, 20),
                "agent_contract_id": cls.contract_b.id,
                "agent_period_start": date(2025, 5, 1),
                "agent_period_end": date(2025, 5, 31),
                "invoice_line_ids": [
                    Command.create(
                        {
                            "product_id": cls.agent_sales.id,
                            "quantity": 1,
                            "price_unit": 100.0,
                        }
                    )
                ],
            }
        )
        cls.credit_b.action_post()
        cls.billing_run = cls.env["agent.billing.run"].create(
            {"period_start": date(2025, 6, 1), "period_end": date(2025, 6, 30)}
        )
        cls.draft_b = cls._invoice(
            cls.contract_b, cls.dep_b, 300.0, date(2025, 7, 1), month_bounds(2025, 6), post=False
        )
        cls.draft_b.agent_run_id = cls.billing_run

    @classmethod
    def _invoice(cls, contract, deployment, price, invoice_date, period, post=True):
        move = cls.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": contract.partner_id.id,
                "invoice_date": invoice_date,
                "invoice_payment_term_id": cls.term_30.id,
                "agent_contract_id": contract.id,
                "agent_period_start": period[0],
                "agent_period_end": period[1],
                "invoice_line_ids": [
                    Command.create(
                        {
                            "product_id": deployment.product_id.id,
                            "quantity": deployment.agent_count,
                            "price_unit": price,
                            "agent_kind": "agents",
                            "agent_deployment_id": deployment.id,
                            "agent_count": deployment.agent_count,
                        }
                    )
                ],
            }
        )
        if post:
            move.action_post()
        return move

    @classmethod
    def _pay(cls, move, amount, when):
        vals = {"payment_date": when}
        if amount is not None:
            vals.update(amount=amount, payment_difference_handling="open")
        return (
            cls.env["account.payment.register"]
            .with_context(
                active_model="account.move",
                active_ids=move.ids,
            )
            .create(vals)
            ._create_payments()
        )

    # --- Independent computations (ORM) -------------------------------------------------------
    def _moves(self, domain):
        return self.env["account.move"].search(domain)

    def _sum(self, records, field):
        return round(sum(records.mapped(field)), 2)

    def _posted(self, start, end, extra=()):
        return self._moves(
            [
                ("move_type", "in", ("out_invoice", "out_refund")),
                ("state", "=", "posted"),
                ("invoice_date", ">=", start),
                ("invoice_date", "<=", end),
                *extra,
            ]
        )

    def _open(self, extra=()):
        return self._moves(
            [
                ("move_type", "=", "out_invoice"),
                ("state", "=", "posted"),
                ("payment_state", "not in", SETTLED),
                *extra,
            ]
        )

    def _service_month_revenue(self, start, end, extra=()):
        """Posted revenue of the invoices billing a period starting in [start, end] (all of
        this scenario's billing periods are calendar months)."""
        moves = self._moves(
            [
                ("move_type", "in", ("out_invoice", "out_refund")),
                ("state", "=", "posted"),
                ("agent_period_start", ">=", start),
                ("agent_period_start", "<=", end),
                *extra,
            ]
        )
        return self._sum(moves, "amount_untaxed_signed")

    def _dashboard(self, period="monthly", forecast_months=6, env=None):
        return (env or self.env)["agent.billing.dashboard"].get_dashboard_data(
            period, forecast_months
        )

    def _kpi(self, data, key):
        return next(kpi for kpi in data["kpis"] if kpi["key"] == key)

    def _action_records(self, action):
        return self.env[action["res_model"]].search(action["domain"])
