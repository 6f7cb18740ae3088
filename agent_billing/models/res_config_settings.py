from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    agent_billing_run_day = fields.Integer(
        related="company_id.agent_billing_run_day", readonly=False
    )
    agent_billing_auto_post = fields.Boolean(
        related="company_id.agent_billing_auto_post", readonly=False
    )
    agent_billing_change_threshold = fields.Float(
        related="company_id.agent_billing_change_threshold", readonly=False
    )
    agent_billing_batch_size = fields.Integer(
        related="company_id.agent_billing_batch_size", readonly=False
    )
    agent_billing_late_usage = fields.Selection(
        related="company_id.agent_billing_late_usage", readonly=False
    )
    agent_billing_rate_limit = fields.Integer(
        related="company_id.agent_billing_rate_limit", readonly=False
    )
    agent_billing_journal_id = fields.Many2one(
        related="company_id.agent_billing_journal_id", readonly=False
    )
    agent_billing_tz = fields.Selection(related="company_id.agent_billing_tz", readonly=False)
