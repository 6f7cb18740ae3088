from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

from odoo.addons.base.models.res_partner import _tz_get


class ResCompany(models.Model):
    _inherit = "res.company"

    # --- Agent billing runs ---
    agent_billing_run_day = fields.Integer(
        "Billing Run Day",
        default=1,
        help="Day of the month (1-28) on which the scheduled action bills the previous month.",
    )
    agent_billing_auto_post = fields.Boolean(
        "Post Scheduled Invoices",
        help="The scheduled billing run posts the invoices it creates instead of leaving drafts "
        "for review. Clients with anomalies are always left as drafts.",
    )
    agent_billing_change_threshold = fields.Float(
        "Anomaly Change Threshold (%)",
        default=50.0,
        help="A client whose total changes by more than this percentage against the last billed "
        "period is flagged in the pre-flight review.",
    )
    agent_billing_batch_size = fields.Integer(
        "Billing Batch Size",
        default=50,
        help="Clients rated or invoiced per committed batch in scheduled runs.",
    )
    agent_billing_workers = fields.Integer(
        "Billing Jobs",
        default=0,
        help="With the Agent Billing Job Queue addon (OCA queue_job): how many background "
        "jobs a big scheduled run is split into (at least 100 clients each; 0: two). Without "
        "it, scheduled runs are billed in committed batches in one process.",
    )
    agent_billing_late_usage = fields.Selection(
        [("carry", "Carry to the next billing run"), ("refuse", "Refuse")],
        "Usage for a Billed Period",
        default="carry",
        required=True,
        help="What happens to usage reported for a day that an invoice already billed.",
    )
    agent_billing_rate_limit = fields.Integer(
        "Ingestion Requests per Minute",
        default=600,
        help="Per API key; further requests get HTTP 429 with Retry-After. 0: no limit.",
    )
    agent_billing_tz = fields.Selection(
        _tz_get,
        "Billing Time Zone",
        help="Usage is billed on the calendar day of its timestamp in this time zone, unless "
        "the client has a billing time zone of its own. Empty: the time zone of the company's "
        "address, else UTC. A change applies to usage recorded afterwards; recorded usage keeps "
        "its day.",
    )
    agent_billing_journal_id = fields.Many2one(
        "account.journal",
        domain="[('type', '=', 'sale')]",
        check_company=True,
        help="Sales journal of billing-run invoices. Empty: the default.",
    )

    def _agent_billing_tz(self):
        """The company's time zone of billing days: its setting, its address's, else UTC."""
        self.ensure_one()
        return self.agent_billing_tz or self.partner_id.tz or "UTC"

    @api.constrains(
        "agent_billing_run_day", "agent_billing_change_threshold", "agent_billing_batch_size"
    )
    def _check_agent_billing_settings(self):
        for company in self:
            if not 1 <= company.agent_billing_run_day <= 28:
                raise ValidationError(_("The billing run day must be between 1 and 28."))
            if company.agent_billing_change_threshold <= 0:
                raise ValidationError(_("The anomaly change threshold must be positive."))
            if company.agent_billing_batch_size < 1:
                raise ValidationError(_("The billing batch size must be at least 1."))
