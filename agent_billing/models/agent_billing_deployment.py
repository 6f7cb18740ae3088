from odoo import _, api, fields, models
from odoo.exceptions import UserError, ValidationError


class AgentBillingDeployment(models.Model):
    _name = "agent.billing.deployment"
    _description = "Deployment of agents to a client"
    _inherit = ["agent.billing.client.mixin", "mail.thread", "mail.activity.mixin"]
    _order = "date_start desc, id desc"
    _check_company_auto = True
    _sequence_code = "agent.billing.deployment"

    name = fields.Char(
        "Reference", required=True, copy=False, readonly=True, default=lambda self: _("New")
    )
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company, tracking=True
    )
    partner_id = fields.Many2one(
        "res.partner",
        "Client",
        required=True,
        tracking=True,
        check_company=True,
        index=True,
        help="The commercial entity billed for these agents.",
    )
    product_id = fields.Many2one(
        "product.product",
        "Agent Type",
        required=True,
        tracking=True,
        check_company=True,
        domain=[("is_agent_type", "=", True)],
    )
    contract_id = fields.Many2one(
        "agent.billing.contract",
        tracking=True,
        check_company=True,
        domain="[('partner_id', '=', partner_id)]",
    )
    agent_count = fields.Integer("Agents", required=True, default=1, tracking=True)
    date_start = fields.Date(
        "Start", required=True, default=fields.Date.context_today, tracking=True
    )
    date_end = fields.Date("End", tracking=True, help="Last day billed. Empty: open-ended.")
    state = fields.Selection(
        [("draft", "Draft"), ("active", "Active"), ("ended", "Ended"), ("cancelled", "Cancelled")],
        default="draft",
        required=True,
        tracking=True,
        copy=False,
        help="Only active and ended deployments are billed, for the days they ran.",
    )
    note = fields.Text()

    @api.constrains("agent_count")
    def _check_agent_count(self):
        for dep in self:
            if dep.agent_count <= 0:
                raise ValidationError(
                    _(
                        "Deployment %(name)s: the number of agents must be at least 1 (got %(n)s).",
                        name=dep.display_name,
                        n=dep.agent_count,
                    )
                )

    @api.constrains("date_start", "date_end")
    def _check_dates(self):
        for dep in self:
            if dep.date_end and dep.date_end < dep.date_start:
                raise ValidationError(
                    _(
                        "Deployment %(name)s: the end %(end)s is before the start %(start)s.",
                        name=dep.display_name,
                        end=dep.date_end,
                        start=dep.date_start,
                    )
                )

    @api.constrains("partner_id", "contract_id", "product_id")
    def _check_consistency(self):
        for dep in self:
            if dep.contract_id and dep.contract_id.partner_id != dep.partner_id:
                raise ValidationError(
                    _(
                        "Deployment %(name)s: contract %(contract)s belongs to another client.",
                        name=dep.display_name,
                        contract=dep.contract_id.display_name,
                    )
                )
            if not dep.product_id.is_agent_type:
                raise ValidationError(
                    _(
                        "Deployment %(name)s: %(product)s is not an agent type.",
                        name=dep.display_name,
                        product=dep.product_id.display_name,
                    )
                )

    # --- Actions ---
    def action_activate(self):
        for dep in self:
            if dep.state not in ("draft", "ended"):
                raise UserError(
                    _(
                        "Deployment %(name)s is %(state)s; only draft or ended deployments can be "
                        "activated.",
                        name=dep.display_name,
                        state=dep.state,
                    )
                )
        self.write({"state": "active"})

    def action_end(self):
        today = fields.Date.context_today(self)
        for dep in self:
            if dep.state != "active":
                raise UserError(_("Deployment %(name)s is not active.", name=dep.display_name))
            vals = {"state": "ended"}
            if not dep.date_end or dep.date_end > today:
                vals["date_end"] = max(today, dep.date_start)
            dep.write(vals)

    def action_cancel(self):
        self.write({"state": "cancelled"})

    def action_draft(self):
        self.write({"state": "draft"})

    @api.model
    def _billable_domain(self, period_start, period_end):
        """Deployments that ran at least one day inside the period."""
        return [
            ("state", "in", ("active", "ended")),
            ("date_start", "<=", period_end),
            "|",
            ("date_end", "=", False),
            ("date_end", ">=", period_start),
        ]
