from odoo import _, api, fields, models

from ..rating import PricingError
from .agent_billing_contract import BILLING_MODELS


class ResPartner(models.Model):
    _inherit = "res.partner"

    # --- Agent billing (held by the commercial partner) ---
    agent_contract_ids = fields.One2many("agent.billing.contract", "partner_id", "Agent Contracts")
    agent_deployment_ids = fields.One2many(
        "agent.billing.deployment", "partner_id", "Agent Deployments"
    )
    agent_override_ids = fields.One2many(
        "agent.billing.price.override", "partner_id", "Price Overrides"
    )
    agent_prepaid_block_ids = fields.One2many(
        "agent.billing.prepaid.block", "partner_id", "Prepaid Blocks",
        domain=[("state", "=", "active")],
    )
    agent_prepaid_remaining = fields.Float(
        "Prepaid Balance", digits="Agent Billing Quantity", compute="_compute_agent_prepaid",
        help="Units left on the client's active prepaid blocks (all metrics).",
    )
    agent_contract_id = fields.Many2one(
        "agent.billing.contract", "Current Contract", compute="_compute_agent_billing",
        help="The client's active contract today (the most recent one if several).",
    )
    agent_billing_model = fields.Selection(
        BILLING_MODELS, string="Billing Model", compute="_compute_agent_billing"
    )
    agent_tier_id = fields.Many2one(
        "agent.billing.tier", string="Contract Tier", compute="_compute_agent_billing"
    )
    agent_invoice_contact_id = fields.Many2one(
        "res.partner", string="Invoice Contact", compute="_compute_agent_billing"
    )
    agent_active_deployment_ids = fields.Many2many(
        "agent.billing.deployment", compute="_compute_agent_billing", string="Active Deployments"
    )
    agent_active_agent_count = fields.Integer("Active Agents", compute="_compute_agent_billing")
    agent_usage_month_count = fields.Integer("Usage Events This Month",
                                             compute="_compute_agent_usage_month")
    agent_usage_month_quantity = fields.Float(
        "Usage Quantity This Month", digits="Agent Billing Quantity",
        compute="_compute_agent_usage_month",
    )
    agent_month_estimate = fields.Monetary(
        "Charges So Far This Month", compute="_compute_agent_month_estimate",
        currency_field="agent_estimate_currency_id",
        help="What the current contract would bill for this month up to today.",
    )
    agent_estimate_currency_id = fields.Many2one(
        "res.currency", compute="_compute_agent_month_estimate"
    )

    agent_outstanding = fields.Monetary(
        "Outstanding", compute="_compute_agent_receivables",
        currency_field="agent_receivable_currency_id",
        help="Unpaid amount of the client's posted customer invoices (company currency).",
    )
    agent_overdue = fields.Monetary(
        "Overdue", compute="_compute_agent_receivables",
        currency_field="agent_receivable_currency_id",
        help="Part of the outstanding amount that is past its due date.",
    )
    agent_receivable_currency_id = fields.Many2one(
        "res.currency", compute="_compute_agent_receivables"
    )

    @api.depends_context("company")
    def _compute_agent_receivables(self):
        today = fields.Date.context_today(self)
        domain = [("partner_id.commercial_partner_id", "in", self.commercial_partner_id.ids),
                  ("move_type", "=", "out_invoice"), ("state", "=", "posted"),
                  ("payment_state", "not in", ("paid", "in_payment", "reversed")),
                  ("company_id", "in", self.env.companies.ids)]
        Move = self.env["account.move"]
        outstanding = dict(Move._read_group(domain, ["commercial_partner_id"],
                                            ["amount_residual_signed:sum"]))
        overdue = dict(Move._read_group(domain + [("invoice_date_due", "<", today)],
                                        ["commercial_partner_id"],
                                        ["amount_residual_signed:sum"]))
        for partner in self:
            cp = partner.commercial_partner_id
            partner.agent_receivable_currency_id = self.env.company.currency_id
            partner.agent_outstanding = outstanding.get(cp, 0.0)
            partner.agent_overdue = overdue.get(cp, 0.0)

    def _agent_month_bounds(self):
        today = fields.Date.context_today(self)
        return today.replace(day=1), today

    @api.depends_context("company", "tz")
    @api.depends("agent_contract_ids.state", "agent_deployment_ids.state")
    def _compute_agent_billing(self):
        today = fields.Date.context_today(self)
        Contract = self.env["agent.billing.contract"]
        Deployment = self.env["agent.billing.deployment"]
        commercial = self.commercial_partner_id
        contracts = Contract.search(
            [("partner_id", "in", commercial.ids), ("state", "=", "active"),
             ("date_start", "<=", today),
             "|", ("date_end", "=", False), ("date_end", ">=", today)],
            order="date_start desc, id desc",
        )
        deployments = Deployment.search(
            Deployment._billable_domain(today, today) + [("partner_id", "in", commercial.ids)]
        )
        for partner in self:
            cp = partner.commercial_partner_id
            contract = contracts.filtered(lambda c, cp=cp: c.partner_id == cp)[:1]
            partner.agent_contract_id = contract
            partner.agent_billing_model = contract.billing_model
            partner.agent_tier_id = contract.tier_id
            partner.agent_invoice_contact_id = contract.partner_invoice_id
            active = deployments.filtered(lambda d, cp=cp: d.partner_id == cp)
            partner.agent_active_deployment_ids = active
            partner.agent_active_agent_count = sum(active.mapped("agent_count"))

    @api.depends_context("company", "tz")
    def _compute_agent_usage_month(self):
        start, end = self._agent_month_bounds()
        groups = dict(
            (partner, (count, qty))
            for partner, count, qty in self.env["agent.billing.usage"]._read_group(
                [("partner_id", "in", self.commercial_partner_id.ids),
                 ("date", ">=", start), ("date", "<=", end)],
                ["partner_id"], ["__count", "quantity:sum"],
            )
        )
        for partner in self:
            count, qty = groups.get(partner.commercial_partner_id, (0, 0.0))
            partner.agent_usage_month_count = count
            partner.agent_usage_month_quantity = qty

    @api.depends_context("company", "tz")
    def _compute_agent_month_estimate(self):
        start, end = self._agent_month_bounds()
        for partner in self:
            contract = partner.agent_contract_id
            partner.agent_estimate_currency_id = (
                contract.currency_id or self.env.company.currency_id
            )
            if not contract:
                partner.agent_month_estimate = 0.0
                continue
            try:
                rating = contract._rate_period(max(start, contract.date_start), end)
            except PricingError:
                partner.agent_month_estimate = 0.0
                continue
            partner.agent_month_estimate = float(rating.total)

    def action_view_agent_usage(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "agent_billing.action_agent_billing_usage"
        )
        action["domain"] = [("partner_id", "=", self.commercial_partner_id.id)]
        action["context"] = {
            "default_partner_id": self.commercial_partner_id.id,
            "search_default_this_month": 1,
        }
        return action

    @api.depends("agent_prepaid_block_ids.units_remaining")
    def _compute_agent_prepaid(self):
        for partner in self:
            partner.agent_prepaid_remaining = sum(
                partner.agent_prepaid_block_ids.mapped("units_remaining"))

    def action_view_agent_prepaid(self):
        return self._agent_client_action(
            "agent_billing.action_agent_billing_prepaid_block", _("Prepaid blocks of %(client)s"),
            context={"search_default_active": 1})

    def _agent_client_action(self, xmlid, title, context=None):
        """The window action ``xmlid`` on the records of this client (its commercial partner);
        ``title`` has a %(client)s placeholder."""
        self.ensure_one()
        partner = self.commercial_partner_id
        action = self.env["ir.actions.act_window"]._for_xml_id(xmlid)
        action["name"] = title % {"client": partner.display_name}
        action["domain"] = [("partner_id", "=", partner.id)]
        action["context"] = context or {}
        return action
