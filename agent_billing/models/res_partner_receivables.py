"""Client payment behaviour on the partner: payment history, average days to pay, last payment.

A second ``res.partner`` extension on purpose (res_partner.py holds the contract side), hence
the pylint exception below.
"""

# pylint: disable=consider-merging-classes-inherited
from dateutil.relativedelta import relativedelta

from odoo import _, api, fields, models
from odoo.tools import float_round

RECEIVABLE_GROUPS = "agent_billing.group_agent_billing_user,account.group_account_invoice"


class ResPartner(models.Model):
    _inherit = "res.partner"

    agent_payment_count = fields.Integer(
        "Payments",
        compute="_compute_agent_payment_stats",
        groups=RECEIVABLE_GROUPS,
        help="Reconciliations of the client's customer invoices (payments and credit notes).",
    )
    agent_avg_days_to_pay = fields.Float(
        "Average Days to Pay",
        digits=(16, 1),
        compute="_compute_agent_payment_stats",
        groups=RECEIVABLE_GROUPS,
        help="Average number of days between invoice date and payment date over the payments "
        "of the last 12 months, weighted by the amount paid (a large invoice paid late weighs "
        "more than a small one). Credit notes are not payments and do not count.",
    )
    agent_last_payment_date = fields.Date(
        "Last Payment",
        compute="_compute_agent_payment_stats",
        groups=RECEIVABLE_GROUPS,
        help="Date of the client's latest payment applied to a customer invoice.",
    )

    @api.depends_context("company", "allowed_company_ids", "tz")
    def _compute_agent_payment_stats(self):
        History = self.env["agent.billing.payment.history"]
        commercial_ids = self.commercial_partner_id.ids
        since = fields.Date.context_today(self) - relativedelta(months=12)
        counts = dict(
            History._read_group(
                [("partner_id", "in", commercial_ids)],
                ["partner_id"],
                ["__count"],
            )
        )
        last_dates = dict(
            History._read_group(
                [("partner_id", "in", commercial_ids), ("kind", "=", "payment")],
                ["partner_id"],
                ["date:max"],
            )
        )
        averages = {
            partner: (amount, weighted)
            for partner, amount, weighted in History._read_group(
                [
                    ("partner_id", "in", commercial_ids),
                    ("kind", "=", "payment"),
                    ("date", ">", since),
                ],
                ["partner_id"],
                ["amount:sum", "days_to_pay_amount:sum"],
            )
        }
        for partner in self:
            cp = partner.commercial_partner_id
            amount, weighted = averages.get(cp, (0.0, 0.0))
            partner.agent_payment_count = counts.get(cp, 0)
            partner.agent_last_payment_date = last_dates.get(cp, False)
            partner.agent_avg_days_to_pay = (
                float_round(weighted / amount, precision_digits=1) if amount else 0.0
            )

    def action_view_agent_payment_history(self):
        """The payment history of the client (its commercial partner)."""
        return self._agent_client_action(
            "agent_billing.action_agent_billing_payment_history", _("Payments of %(client)s")
        )

    def action_view_agent_aging(self):
        """The client's open receivables as of today, oldest first."""
        return self._agent_client_action(
            "agent_billing.action_agent_billing_aging", _("Aging of %(client)s")
        )
