from odoo import _, api, fields, models
from odoo.exceptions import ValidationError


class AgentBillingDepartment(models.Model):
    """A department (cost center) of a client entity: the client's own codes, printed on the
    invoice for their accounts payable, and our income account and analytic distribution for
    what it is charged."""

    _name = "agent.billing.department"
    _description = "Client department (cost center)"
    _inherit = ["agent.billing.client.mixin", "analytic.mixin", "mail.thread"]
    _order = "partner_id, code, name"
    _check_company_auto = True

    name = fields.Char(required=True, tracking=True)
    code = fields.Char(
        required=True, tracking=True, help="Short code of the department, unique per client entity."
    )
    active = fields.Boolean(default=True, tracking=True)
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    partner_id = fields.Many2one(
        "res.partner",
        "Client Entity",
        required=True,
        index=True,
        check_company=True,
        tracking=True,
        domain=[("is_company", "=", True)],
    )
    # --- Client side ---
    client_gl_code = fields.Char(
        "Client GL Account",
        tracking=True,
        help="The client's own ledger account for these charges.",
    )
    client_cost_center = fields.Char(tracking=True)
    # --- Our side ---
    income_account_id = fields.Many2one(
        "account.account",
        check_company=True,
        tracking=True,
        domain="[('account_type', 'in', ('income', 'income_other'))]",
        help="Our income account for lines charged wholly to this department. Empty: the "
        "agent type's income account.",
    )

    _sql_constraints = [
        (
            "code_partner_uniq",
            "unique(company_id, partner_id, code)",
            "A department code is unique per client entity.",
        ),
    ]

    @api.depends("name", "code", "partner_id")
    def _compute_display_name(self):
        for department in self:
            department.display_name = (
                f"[{department.code}] {department.name}"
                if department.code
                else department.name or ""
            )

    @api.constrains("analytic_distribution")
    def _check_distribution(self):
        for department in self:
            total = sum((department.analytic_distribution or {}).values())
            if department.analytic_distribution and round(total, 2) > 100:
                raise ValidationError(
                    _(
                        "Department %(name)s: its analytic distribution totals %(total)s %%, more "
                        "than 100 %%.",
                        name=department.display_name,
                        total=round(total, 2),
                    )
                )
