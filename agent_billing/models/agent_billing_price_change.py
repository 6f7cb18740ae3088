import threading

from odoo import _, api, fields, models
from odoo.exceptions import UserError


class AgentBillingPriceChange(models.Model):
    """A bulk price change: what was changed, by whom, from which date, and its state.

    Created by the bulk price change wizard. A change effective today or earlier is applied at
    once; a later one stays scheduled until the daily cron applies it on its effective date.
    """

    _name = "agent.billing.price.change"
    _description = "Bulk price change (log)"
    _inherit = ["mail.thread"]
    _order = "effective_date desc, id desc"
    _check_company_auto = True

    name = fields.Char(required=True, tracking=True)
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company
    )
    user_id = fields.Many2one(
        "res.users", "Requested By", default=lambda self: self.env.user, readonly=True
    )
    effective_date = fields.Date(required=True, tracking=True)
    mode = fields.Selection(
        [("percent", "Percentage"), ("fixed", "Fixed amount")], required=True, readonly=True
    )
    value = fields.Float(required=True, readonly=True, digits="Agent Billing Unit Price")
    state = fields.Selection(
        [("scheduled", "Scheduled"), ("applied", "Applied"), ("cancelled", "Cancelled")],
        default="scheduled",
        required=True,
        tracking=True,
    )
    applied_on = fields.Datetime(readonly=True)
    line_ids = fields.One2many("agent.billing.price.change.line", "change_id", "Changes")
    line_count = fields.Integer(compute="_compute_line_count")

    @api.depends("line_ids")
    def _compute_line_count(self):
        for change in self:
            change.line_count = len(change.line_ids)

    def action_apply(self):
        for change in self:
            if change.state != "scheduled":
                raise UserError(
                    _(
                        "Price change %(name)s is %(state)s; only scheduled changes can be applied.",
                        name=change.name,
                        state=change.state,
                    )
                )
            change.line_ids._apply(change.effective_date)
            change.write({"state": "applied", "applied_on": fields.Datetime.now()})

    def action_cancel(self):
        if self.filtered(lambda c: c.state != "scheduled"):
            raise UserError(_("Only scheduled price changes can be cancelled."))
        self.write({"state": "cancelled"})

    @api.model
    def _cron_apply_due(self):
        due = self.search(
            [
                ("state", "=", "scheduled"),
                ("effective_date", "<=", fields.Date.context_today(self)),
            ]
        )
        auto_commit = not getattr(threading.current_thread(), "testing", False)
        for change in due:
            change.with_company(change.company_id).action_apply()
            if auto_commit:
                # one change at a time: a later failure keeps the earlier ones
                self.env.cr.commit()  # pylint: disable=invalid-commit
