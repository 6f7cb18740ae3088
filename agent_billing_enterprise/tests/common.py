from datetime import date

from odoo import Command
from odoo.tests import new_test_user

from odoo.addons.agent_billing.tests.common import AgentBillingCommon

MARCH = {
    "period_start": date(2025, 3, 1),
    "period_end": date(2025, 3, 31),
    "invoice_date": date(2025, 4, 1),
}


class EnterpriseCommon(AgentBillingCommon):
    """Agent Billing's test data, plus helpers for organisations, runs, invoices and users."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.revenue = cls.company_data["default_account_revenue"]
        cls.manager_group = cls.env.ref("agent_billing.group_agent_billing_manager")

    @classmethod
    def _user(cls, login, groups="base.group_user,account.group_account_invoice"):
        return new_test_user(
            cls.env,
            login=login,
            groups=groups,
            context={"mail_create_nolog": True, "mail_notrack": True},
        )

    @classmethod
    def _entity(cls, name, parent=None, **vals):
        return cls.env["res.partner"].create(
            {
                "name": name,
                "is_company": True,
                "parent_id": parent.id if parent else False,
                "email": f"{name.split()[0].lower()}@example.com",
                **vals,
            }
        )

    def _run(self, **vals):
        return self.env["agent.billing.run"].create({**MARCH, **vals})

    def _billed_run(self, **vals):
        run = self._run(**vals)
        run.action_compute()
        run.action_create_invoices()
        return run

    @classmethod
    def _invoice(cls, partner, amount, invoice_date=date(2025, 3, 15), post=False, **vals):
        move = cls.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": partner.id,
                "invoice_date": invoice_date,
                "invoice_line_ids": [
                    Command.create(
                        {
                            "name": "Agents",
                            "quantity": 1.0,
                            "price_unit": amount,
                            "account_id": cls.revenue.id,
                            "tax_ids": [Command.clear()],
                        }
                    )
                ],
                **vals,
            }
        )
        if post:
            move.action_post()
        return move
