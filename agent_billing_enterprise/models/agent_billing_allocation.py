from collections import defaultdict

from odoo import api, fields, models

from odoo.addons.agent_billing.rating import to_decimal

from ..core import assign_unallocated, merge_distributions, split_amount

ALLOCATION_SOURCES = [
    ("usage", "Usage record"),
    ("deployment", "Deployment"),
    ("rule", "Percentage rule"),
    ("none", "Unallocated"),
]


class AgentBillingAllocation(models.Model):
    """The part of an invoice line charged to a client entity's department (or left
    unallocated): exact amounts that sum to the line, the basis of department reports and
    department budgets."""

    _name = "agent.billing.allocation"
    _description = "Cost allocation of an invoice line"
    _order = "move_id, move_line_id, id"
    _check_company_auto = True

    company_id = fields.Many2one("res.company", required=True, index=True, readonly=True)
    move_id = fields.Many2one(
        "account.move", "Invoice", required=True, ondelete="cascade", index=True, readonly=True
    )
    move_line_id = fields.Many2one(
        "account.move.line",
        "Invoice Line",
        required=True,
        ondelete="cascade",
        index=True,
        readonly=True,
    )
    move_type = fields.Selection(related="move_id.move_type")
    move_state = fields.Selection(related="move_id.state", string="Invoice Status", store=True)
    partner_id = fields.Many2one(
        "res.partner", "Client Entity", required=True, index=True, readonly=True
    )
    department_id = fields.Many2one("agent.billing.department", index=True, readonly=True)
    client_gl_code = fields.Char(related="department_id.client_gl_code")
    client_cost_center = fields.Char(related="department_id.client_cost_center")
    source = fields.Selection(ALLOCATION_SOURCES, required=True, readonly=True)
    date = fields.Date(
        "Charge Date",
        required=True,
        index=True,
        readonly=True,
        help="Start of the billed period (else the invoice date).",
    )
    product_id = fields.Many2one(related="move_line_id.product_id")
    currency_id = fields.Many2one("res.currency", required=True, readonly=True)
    amount = fields.Monetary(
        readonly=True, help="Untaxed, in the invoice currency; negative on credit notes."
    )
    company_currency_id = fields.Many2one(
        related="company_id.currency_id", string="Company Currency"
    )
    amount_company = fields.Monetary(
        "Amount (Company Currency)", currency_field="company_currency_id", readonly=True
    )
    percent = fields.Float("Share (%)", digits=(5, 2), readonly=True)

    # --- Department weights (shared by invoice preparation and allocation) -------------------
    @api.model
    def _rules_by_partner(self, partners, company):
        rules = defaultdict(dict)
        for rule in self.env["agent.billing.allocation.rule"].search(
            [("partner_id", "in", partners.ids), ("company_id", "=", company.id)]
        ):
            rules[rule.partner_id.id][rule.department_id.id] = rule.percent
        return rules

    @api.model
    def _weights(self, usages, deployment, rules):
        """``{(department id or None, source): weight}`` of one charge: its usage records'
        departments (weighted by quantity), else its deployment's; what they leave unassigned
        goes by the entity's percentage ``rules`` (``{department id: percent}``)."""
        weights = defaultdict(lambda: to_decimal(0))
        if usages:
            total_quantity = sum(usages.mapped("quantity"))
            for usage in usages:
                department = usage.department_id or usage.deployment_id.department_id
                weight = to_decimal(usage.quantity) if total_quantity else to_decimal(1)
                weights[department.id or None, "usage"] += weight
        elif deployment:
            weights[deployment.department_id.id or None, "deployment"] += to_decimal(1)
        else:
            weights[None, "none"] += to_decimal(1)
        return assign_unallocated(weights, rules)

    @api.model
    def _line_accounting(self, weights, fallback_distribution):
        """(income account, analytic distribution) of a line charged by ``weights``: the
        department's account when one department takes it all; the departments' distributions
        weighted by their shares (the line's own one for the shares without). (None, None):
        nothing to change."""
        departments = self.env["agent.billing.department"].browse(
            {dept for dept, _source in weights if dept}
        )
        if not departments:
            return None, None
        account = None
        if len(weights) == 1 and len(departments) == 1:
            account = departments.income_account_id or None
        distribution = None
        if any(departments.mapped("analytic_distribution")):
            by_id = {dept.id: dept for dept in departments}
            distribution = (
                merge_distributions(
                    [
                        (
                            weight,
                            (by_id[dept].analytic_distribution if dept else None)
                            or fallback_distribution
                            or {},
                        )
                        for (dept, _source), weight in weights.items()
                    ]
                )
                or None
            )
        return account, distribution

    # --- Allocation of invoices --------------------------------------------------------------
    @api.model
    def _allocate(self, moves):
        """(Re)build the allocations of customer invoices and credit notes."""
        moves = moves.filtered(
            lambda m: m.move_type in ("out_invoice", "out_refund") and m.state != "cancel"
        )
        if not moves or not self.env["agent.billing.department"].with_context(
            active_test=False
        ).search_count([("company_id", "in", moves.company_id.ids)], limit=1):
            return self.browse()  # no client departments at all: nothing to allocate
        self.search([("move_id", "in", moves.ids)]).unlink()
        entities = moves.invoice_line_ids.agent_entity_partner_id | moves.commercial_partner_id
        rules = {}
        for company in moves.company_id:
            rules.update(self._rules_by_partner(entities, company))
        origin_weights = self._origin_weights(moves.reversed_entry_id)
        vals_list = []
        for move in moves:
            sign = -1 if move.move_type == "out_refund" else 1
            # a credit note counts in the period of the charge it corrects
            origin = move.reversed_entry_id
            date = (
                move.agent_period_start
                or origin.agent_period_start
                or origin.invoice_date
                or move.invoice_date
                or move.date
            )
            for line in move.invoice_line_ids.filtered(lambda x: x.display_type == "product"):
                if move.reversed_entry_id and origin_weights.get(move.reversed_entry_id.id):
                    weights = origin_weights[move.reversed_entry_id.id]
                else:
                    entity = line.agent_entity_partner_id or move.commercial_partner_id
                    weights = {
                        (entity.id, dept, source): weight
                        for (dept, source), weight in self._weights(
                            line.agent_usage_ids, line.agent_deployment_id, rules.get(entity.id, {})
                        ).items()
                    }
                vals_list += self._line_vals(move, line, weights, sign, date)
        return self.create(vals_list)

    def _line_vals(self, move, line, weights, sign, date):
        amounts = split_amount(
            to_decimal(line.price_subtotal).quantize(to_decimal(move.currency_id.rounding)) * sign,
            weights,
            to_decimal(move.currency_id.rounding),
        )
        company_currency = move.company_id.currency_id
        rounding = to_decimal(company_currency.rounding)
        company_amounts = split_amount(
            to_decimal(-line.balance).quantize(rounding), weights, rounding
        )
        total_weight = sum(weights.values())
        return [
            {
                "company_id": move.company_id.id,
                "move_id": move.id,
                "move_line_id": line.id,
                "partner_id": entity,
                "department_id": dept,
                "source": source,
                "date": date,
                "currency_id": move.currency_id.id,
                "amount": float(amounts[entity, dept, source]),
                "amount_company": float(company_amounts[entity, dept, source]),
                "percent": float(weight * 100 / total_weight),
            }
            for (entity, dept, source), weight in weights.items()
        ]

    @api.model
    def _origin_weights(self, invoices):
        """A credit note is allocated like the invoice it reverses: ``{invoice id: {(entity,
        department, source): amount}}``."""
        result = defaultdict(lambda: defaultdict(lambda: to_decimal(0)))
        if not invoices:
            return result
        for alloc in self.search([("move_id", "in", invoices.ids)]):
            key = (alloc.partner_id.id, alloc.department_id.id or None, alloc.source)
            result[alloc.move_id.id][key] += abs(to_decimal(alloc.amount_company))
        return {
            move_id: {k: v for k, v in weights.items() if v}
            for move_id, weights in result.items()
            if any(weights.values())
        }
