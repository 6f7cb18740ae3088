from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

REQUEST_TYPES = [
    ("invoice", "Invoice above an amount"),
    ("credit_note", "Credit note"),
    ("price_override", "Price override"),
    ("budget_increase", "Budget increase"),
    ("contract", "Contract activation"),
]
APPROVAL_MODES = [("sequential", "Sequential"), ("parallel", "Parallel")]


class AgentBillingApprovalRule(models.Model):
    """Who must approve what: a request type, an amount range and a company, approvers (users
    and groups, one decision per group), in sequence or in parallel, with a required count and
    an escalation after some hours."""

    _name = "agent.billing.approval.rule"
    _description = "Approval rule"
    _inherit = ["mail.thread"]
    _order = "request_type, sequence, amount_min desc, id"
    _check_company_auto = True

    name = fields.Char(required=True, tracking=True)
    active = fields.Boolean(default=True, tracking=True)
    sequence = fields.Integer(default=10, help="The first matching rule applies.")
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company, index=True
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    request_type = fields.Selection(REQUEST_TYPES, required=True, tracking=True)
    amount_min = fields.Monetary(
        "From Amount",
        tracking=True,
        help="In the company currency. Invoices and credit notes: total with taxes. Price "
        "overrides: reduction per unit against the catalog price. Budget increases: the "
        "increase. Contracts: the annual contract value.",
    )
    amount_max = fields.Monetary("Up To Amount", tracking=True, help="Inclusive. 0: no limit.")
    # --- Approvers ---
    user_ids = fields.Many2many(
        "res.users",
        "agent_billing_approval_rule_user_rel",
        "rule_id",
        "user_id",
        "Approvers",
        domain=[("share", "=", False)],
    )
    group_ids = fields.Many2many(
        "res.groups",
        "agent_billing_approval_rule_group_rel",
        "rule_id",
        "group_id",
        "Approver Groups",
        help="One decision per group, by any of its members.",
    )
    mode = fields.Selection(
        APPROVAL_MODES,
        required=True,
        default="sequential",
        tracking=True,
        help="Sequential: approvers decide one after the other, in order. Parallel: all at once.",
    )
    required_count = fields.Integer(
        "Approvals Required",
        default=1,
        required=True,
        tracking=True,
        help="Approvals needed; the request is refused as soon as it cannot get them anymore.",
    )
    escalation_hours = fields.Integer(
        "Escalate After (hours)",
        tracking=True,
        help="A request still undecided after this many hours is escalated by the scheduled "
        "action. 0: never.",
    )
    escalation_user_ids = fields.Many2many(
        "res.users",
        "agent_billing_approval_rule_escalation_rel",
        "rule_id",
        "user_id",
        "Escalate To",
        domain=[("share", "=", False)],
        help="Each of them may then decide the request alone. Empty: the billing managers.",
    )

    @api.constrains(
        "amount_min", "amount_max", "required_count", "user_ids", "group_ids", "escalation_hours"
    )
    def _check_rule(self):
        for rule in self:
            if rule.amount_min < 0 or rule.amount_max < 0:
                raise ValidationError(
                    _("Approval rule %(name)s: amounts cannot be negative.", name=rule.name)
                )
            if rule.amount_max and rule.amount_max < rule.amount_min:
                raise ValidationError(
                    _(
                        "Approval rule %(name)s: the range ends (%(max)s) below its start (%(min)s).",
                        name=rule.name,
                        max=rule.amount_max,
                        min=rule.amount_min,
                    )
                )
            approvers = len(rule.user_ids) + len(rule.group_ids)
            if not approvers:
                raise ValidationError(
                    _(
                        "Approval rule %(name)s has no approver: add users or groups.",
                        name=rule.name,
                    )
                )
            if not 1 <= rule.required_count <= approvers:
                raise ValidationError(
                    _(
                        "Approval rule %(name)s requires %(n)s approval(s) but has %(approvers)s "
                        "approver(s).",
                        name=rule.name,
                        n=rule.required_count,
                        approvers=approvers,
                    )
                )
            if rule.escalation_hours < 0:
                raise ValidationError(
                    _(
                        "Approval rule %(name)s: the escalation delay cannot be negative.",
                        name=rule.name,
                    )
                )

    @api.model
    def _match(self, request_type, amount, company):
        """The rule that applies to a request of ``request_type`` for ``amount`` (company
        currency) in ``company``, or an empty recordset."""
        currency = company.currency_id
        for rule in self.search(
            [("request_type", "=", request_type), ("company_id", "=", company.id)]
        ):
            if currency.compare_amounts(amount, rule.amount_min) < 0:
                continue
            if rule.amount_max and currency.compare_amounts(amount, rule.amount_max) > 0:
                continue
            return rule
        return self

    @api.model
    def _has_rules(self, request_types, company):
        return bool(
            self.search_count(
                [("request_type", "in", list(request_types)), ("company_id", "=", company.id)],
                limit=1,
            )
        )
