from odoo import _, api, fields, models
from odoo.exceptions import ValidationError


class AgentBillingTier(models.Model):
    _name = "agent.billing.tier"
    _description = "Contract tier: agent rates, usage pricing, commitment and discount"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "sequence, name"
    _check_company_auto = True

    name = fields.Char(required=True, translate=True, tracking=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True, tracking=True)
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company
    )
    currency_id = fields.Many2one(
        "res.currency",
        required=True,
        tracking=True,
        default=lambda self: self.env.company.currency_id,
    )
    agent_rate_ids = fields.One2many(
        "agent.billing.tier.agent.rate", "tier_id", "Agent Rates", copy=True
    )
    usage_rate_ids = fields.One2many(
        "agent.billing.tier.usage.rate", "tier_id", "Usage Rates", copy=True
    )
    minimum_commitment = fields.Monetary(
        "Minimum Monthly Commitment",
        tracking=True,
        help="If a month's charges stay below this amount, the difference is billed as a true-up.",
    )
    discount_percent = fields.Float(
        "Discount (%)",
        digits="Discount",
        tracking=True,
        help="Discount on every agent and usage line of clients on this tier.",
    )
    commitment_product_id = fields.Many2one(
        "product.product",
        check_company=True,
        domain=[("type", "=", "service")],
        help="Service product of the minimum commitment true-up line (taxes, income account).",
    )
    contract_ids = fields.One2many("agent.billing.contract", "tier_id", "Contracts")
    contract_count = fields.Integer(compute="_compute_contract_count")
    note = fields.Html()

    @api.depends("contract_ids")
    def _compute_contract_count(self):
        counts = dict(
            self.env["agent.billing.contract"]._read_group(
                [("tier_id", "in", self.ids)], ["tier_id"], ["__count"]
            )
        )
        for tier in self:
            tier.contract_count = counts.get(tier, 0)

    @api.constrains("minimum_commitment", "discount_percent")
    def _check_amounts(self):
        for tier in self:
            if tier.minimum_commitment < 0:
                raise ValidationError(
                    _("Tier %(name)s: the minimum commitment cannot be negative.", name=tier.name)
                )
            if not 0 <= tier.discount_percent <= 100:
                raise ValidationError(
                    _("Tier %(name)s: the discount must be between 0 and 100 %%.", name=tier.name)
                )

    def action_view_contracts(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "agent_billing.action_agent_billing_contract"
        )
        action["domain"] = [("tier_id", "=", self.id)]
        action["context"] = {"default_tier_id": self.id}
        return action
