from odoo import fields, models
from odoo.tools import SQL

LOG_STATES = [
    ("sent", "Sent"),
    ("activity", "Activity Created"),
    ("skipped", "Skipped"),
]

SKIP_CODES = [
    ("paused", "Paused"),
    ("disputed", "Disputed"),
    ("opt_out", "Client opted out"),
    ("no_email", "No email address"),
    ("superseded", "Superseded"),
    ("error", "Error"),
]


class AgentBillingDunningLog(models.Model):
    """The timeline of an invoice's payment reminders: every reminder sent, activity created,
    or reminder skipped, with the reason. Written by the daily dunning action only."""

    _name = "agent.billing.dunning.log"
    _description = "Dunning reminder sent or skipped"
    _order = "date desc, id desc"
    _rec_name = "step_id"

    move_id = fields.Many2one(
        "account.move", "Invoice", required=True, ondelete="cascade", index=True, readonly=True
    )
    company_id = fields.Many2one(related="move_id.company_id", store=True, index=True)
    client_id = fields.Many2one(related="move_id.commercial_partner_id", store=True, index=True)
    step_id = fields.Many2one(
        "agent.billing.dunning.step", ondelete="restrict", readonly=True, index=True
    )
    date = fields.Date(required=True, readonly=True)
    state = fields.Selection(LOG_STATES, required=True, readonly=True)
    skip_code = fields.Selection(SKIP_CODES, "Skipped Because", readonly=True)
    reason = fields.Char(readonly=True)
    partner_id = fields.Many2one("res.partner", "Recipient", readonly=True)
    mail_message_id = fields.Many2one("mail.message", "Message", ondelete="set null", readonly=True)
    user_id = fields.Many2one("res.users", "Assigned To", readonly=True)

    def init(self):
        # a step is sent (or its activity created) at most once per invoice, whoever runs it
        self.env.cr.execute(
            SQL(
                """CREATE UNIQUE INDEX IF NOT EXISTS agent_billing_dunning_log_done_uniq
               ON agent_billing_dunning_log (move_id, step_id, state)
               WHERE state IN ('sent', 'activity')"""
            )
        )
        return super().init()
