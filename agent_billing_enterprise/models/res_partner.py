from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

INVOICING_MODES = [
    ("per_entity", "One invoice per entity"),
    ("consolidated", "One consolidated invoice"),
]


class ResPartner(models.Model):
    """Client organisations as Odoo's commercial hierarchy: a parent company and its child
    companies (entities), each its own commercial partner with its own tax ID, payment terms,
    invoice contact and billing currency."""

    _inherit = "res.partner"

    agent_invoicing_mode = fields.Selection(
        INVOICING_MODES,
        "Group Invoicing",
        default="per_entity",
        required=True,
        tracking=True,
        help="For a parent organisation: bill its child entities one invoice each, or one "
        "invoice per period with a section per entity, on the parent's contract.",
    )
    agent_billing_currency_id = fields.Many2one(
        "res.currency",
        "Billing Currency",
        help="Currency of this entity's new contracts (unless their tier prices in another).",
    )
    agent_entity_ids = fields.One2many(
        "res.partner",
        "parent_id",
        "Billing Entities",
        domain=[("is_company", "=", True)],
        help="Child companies of this organisation, billed under their own contracts.",
    )
    agent_department_ids = fields.One2many("agent.billing.department", "partner_id", "Departments")
    agent_budget_count = fields.Integer("Budgets", compute="_compute_agent_enterprise_counts")
    agent_dispute_count = fields.Integer("Disputes", compute="_compute_agent_enterprise_counts")

    def _compute_agent_enterprise_counts(self):
        budgets = dict(
            self.env["agent.billing.budget"]._read_group(
                [("partner_id", "in", self.ids)], ["partner_id"], ["__count"]
            )
        )
        disputes = dict(
            self.env["agent.billing.dispute"]._read_group(
                [("partner_id", "in", self.ids)], ["partner_id"], ["__count"]
            )
        )
        for partner in self:
            partner.agent_budget_count = budgets.get(partner, 0)
            partner.agent_dispute_count = disputes.get(partner, 0)

    @api.constrains("agent_invoicing_mode", "parent_id", "is_company")
    def _check_agent_invoicing_mode(self):
        for partner in self.filtered(lambda p: p.agent_invoicing_mode == "consolidated"):
            if not partner.is_company:
                raise ValidationError(
                    _(
                        "%(name)s is a contact, not a company: only a parent organisation can get "
                        "one consolidated invoice.",
                        name=partner.display_name,
                    )
                )
            if partner.parent_id.commercial_partner_id.agent_invoicing_mode == "consolidated":
                raise ValidationError(
                    _(
                        "%(name)s is an entity of %(parent)s, which already consolidates its "
                        "entities' invoices: consolidation has one level.",
                        name=partner.display_name,
                        parent=partner.parent_id.display_name,
                    )
                )

    def _agent_consolidation_root(self):
        """The organisation whose consolidated invoice bills this entity, or an empty
        recordset (billed on its own)."""
        self.ensure_one()
        if self.agent_invoicing_mode == "consolidated":
            return self
        parent = self.parent_id.commercial_partner_id
        if self.is_company and parent and parent.agent_invoicing_mode == "consolidated":
            return parent
        return self.browse()

    def action_agent_view_budgets(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "agent_billing_enterprise.action_agent_billing_budget"
        )
        action["domain"] = [("partner_id", "=", self.id)]
        action["context"] = {"default_partner_id": self.id}
        return action

    def action_agent_view_disputes(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "agent_billing_enterprise.action_agent_billing_dispute"
        )
        action["domain"] = [("partner_id", "=", self.id)]
        action["context"] = {"create": False}
        return action
