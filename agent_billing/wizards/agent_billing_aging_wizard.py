from odoo import _, fields, models


class AgentBillingAgingWizard(models.TransientModel):
    _name = "agent.billing.aging.wizard"
    _description = "Receivables aging as of a date"

    date = fields.Date(
        "As of",
        required=True,
        default=fields.Date.context_today,
        help="Receivables open on this date, with the payments and credit notes dated up to "
        "this date deducted.",
    )

    def action_open_aging(self):
        """The aging list as of the chosen date, grouped by client, oldest debts first."""
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "agent_billing.action_agent_billing_aging"
        )
        action["name"] = _("Aging as of %(date)s", date=fields.Date.to_string(self.date))
        action["context"] = {
            "agent_aging_date": fields.Date.to_string(self.date),
            "search_default_group_by_partner": 1,
        }
        return action
