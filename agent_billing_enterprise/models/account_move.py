from odoo import _, api, fields, models
from odoo.exceptions import UserError
from odoo.tools.misc import format_amount

CUSTOMER_DOCUMENTS = ("out_invoice", "out_refund")


class AccountMove(models.Model):
    _name = "account.move"
    _inherit = ["account.move", "agent.billing.approval.mixin"]

    # --- Multi-entity ---
    agent_consolidated = fields.Boolean(
        "Consolidated Invoice",
        readonly=True,
        copy=False,
        help="One invoice for a client organisation: a section per entity.",
    )
    # --- Cost allocation ---
    agent_allocation_ids = fields.One2many(
        "agent.billing.allocation", "move_id", "Cost Allocation", readonly=True
    )
    # --- Disputes ---
    agent_dispute_ids = fields.One2many(
        "agent.billing.dispute", "move_id", "Disputes", readonly=True
    )
    agent_dispute_count = fields.Integer("Dispute Count", compute="_compute_agent_dispute_count")

    @api.depends("agent_dispute_ids")
    def _compute_agent_dispute_count(self):
        for move in self:
            move.agent_dispute_count = len(move.agent_dispute_ids)

    # --- Approvals -----------------------------------------------------------------------------
    @api.depends("date", "auto_post", "agent_approval_state")
    def _compute_hide_post_button(self):
        result = super()._compute_hide_post_button()
        for move in self.filtered(lambda m: m.agent_approval_state in ("pending", "refused")):
            move.hide_post_button = True
        return result

    def _agent_approval_requests(self):
        """Its own requests, and those that hold it (e.g. a budget increase)."""
        self.ensure_one()
        return self.agent_approval_request_ids | self.env["agent.billing.approval.request"].search(
            [("move_ids", "in", self.ids)]
        )

    def _agent_approval_needed(self):
        """(request type, amount, rule) when a rule wants this customer document approved and
        no approval covers its current amount; else None."""
        self.ensure_one()
        if self.move_type not in CUSTOMER_DOCUMENTS:
            return None
        request_type = "invoice" if self.move_type == "out_invoice" else "credit_note"
        amount = abs(self.amount_total_signed)
        rule = self.env["agent.billing.approval.rule"]._match(request_type, amount, self.company_id)
        if not rule:
            return None
        currency = self.company_id.currency_id
        approved = self.agent_approval_request_ids.filtered(
            lambda r: r.request_type == request_type and r.state == "approved"
        )
        if any(currency.compare_amounts(amount, r.amount) <= 0 for r in approved):
            return None
        return request_type, amount, rule

    def _agent_posting_blocks(self):
        """``{move: reason}`` for the customer documents that cannot be posted yet."""
        blocks = {}
        moves = self.filtered(lambda m: m.move_type in CUSTOMER_DOCUMENTS)
        for move in moves:
            if move.agent_approval_state == "pending":
                pending = move._agent_approval_requests().filtered(lambda r: r.state == "pending")
                blocks[move] = _(
                    "%(move)s is waiting for approval (%(requests)s): it can be posted once "
                    "approved.",
                    move=move.display_name,
                    requests=", ".join(pending.mapped("name")) or "-",
                )
            elif move.agent_approval_state == "refused":
                blocks[move] = _(
                    "The approval of %(move)s was refused: correct it and request approval "
                    "again, or cancel it.",
                    move=move.display_name,
                )
        Rule = self.env["agent.billing.approval.rule"]
        rest = moves.filtered(lambda m: m not in blocks)
        for company in rest.company_id:
            if not Rule._has_rules(("invoice", "credit_note"), company):
                continue
            for move in rest.filtered(lambda m, c=company: m.company_id == c):
                needed = move._agent_approval_needed()
                if needed:
                    _type, amount, rule = needed
                    blocks[move] = _(
                        "%(move)s (%(amount)s) needs approval under the rule %(rule)s: request "
                        "it with the Request Approval button before posting.",
                        move=move.display_name,
                        rule=rule.name,
                        amount=format_amount(self.env, amount, company.currency_id),
                    )
        return blocks

    def _post(self, soft=True):
        blocks = self._agent_posting_blocks()
        to_post = self
        if blocks:
            if not self.env.context.get("agent_skip_blocked"):
                raise UserError("\n".join(blocks.values()))
            # a billing run posts what it may and leaves the rest for the approvers
            to_post = self - self.browse([move.id for move in blocks])
        posted = super(AccountMove, to_post)._post(soft=soft) if to_post else to_post
        customer = posted.filtered(lambda m: m.move_type in CUSTOMER_DOCUMENTS)
        if customer:
            self.env["agent.billing.allocation"]._allocate(customer)
            self.env["agent.billing.budget"]._check_alerts_for_moves(customer)
        return posted

    def _agent_request_needed_approvals(self):
        """Request the approvals that rules want for these customer documents (as a billing
        run does for the invoices it creates)."""
        Rule = self.env["agent.billing.approval.rule"]
        requests = self.env["agent.billing.approval.request"]
        for company in self.company_id:
            if not Rule._has_rules(("invoice", "credit_note"), company):
                continue
            for move in self.filtered(lambda m, c=company: m.company_id == c):
                needed = move._agent_approval_needed()
                if needed:
                    request_type, amount, _rule = needed
                    requests |= move._agent_request_approval(
                        request_type, amount, move._agent_approval_reason(amount)
                    )
        return requests

    def _agent_approval_reason(self, amount):
        return _(
            "%(move)s for %(client)s: %(amount)s",
            move=self.display_name,
            client=self.partner_id.display_name,
            amount=format_amount(self.env, amount, self.company_id.currency_id),
        )

    def action_agent_request_approval(self):
        for move in self:
            if move.state != "draft":
                raise UserError(
                    _(
                        "%(move)s is not a draft: only drafts wait for approval.",
                        move=move.display_name,
                    )
                )
            needed = move._agent_approval_needed()
            if not needed:
                raise UserError(
                    _(
                        "No approval rule applies to %(move)s (%(amount)s): it can be "
                        "posted as it is.",
                        move=move.display_name,
                        amount=format_amount(
                            self.env, abs(move.amount_total_signed), move.company_id.currency_id
                        ),
                    )
                )
            request_type, amount, _rule = needed
            move._agent_request_approval(request_type, amount, move._agent_approval_reason(amount))
        return True

    def button_cancel(self):
        pending = self.env["agent.billing.approval.request"].search(
            [("res_model", "=", self._name), ("res_id", "in", self.ids), ("state", "=", "pending")]
        )
        result = super().button_cancel()
        # nothing left to approve on a cancelled document
        pending.filtered(lambda r: r._target() and r._target().state == "cancel")._withdraw()
        return result

    # --- Cost allocation ---------------------------------------------------------------------
    def _agent_allocation_summary(self):
        """Rows of the printed cost allocation: one per entity and department, in the
        invoice's sign (empty when nothing is allocated to a department)."""
        self.ensure_one()
        if not self.agent_allocation_ids.department_id:
            return []
        totals = {}
        for alloc in self.agent_allocation_ids:
            key = (alloc.partner_id, alloc.department_id)
            totals[key] = totals.get(key, 0.0) + alloc.amount
        sign = -1 if self.move_type == "out_refund" else 1
        rows = []
        for (entity, department), amount in sorted(
            totals.items(), key=lambda item: (item[0][0].name or "", item[0][1].code or "~")
        ):
            rows.append(
                {
                    "entity": entity.name,
                    "department": department.display_name if department else _("Unallocated"),
                    "gl_code": department.client_gl_code or "",
                    "cost_center": department.client_cost_center or "",
                    "amount": self.currency_id.round(amount * sign),
                }
            )
        return rows

    # --- Disputes ------------------------------------------------------------------------------
    def action_agent_open_dispute(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": _("Open a dispute"),
            "res_model": "agent.billing.dispute",
            "view_mode": "form",
            "target": "current",
            "context": {"default_move_id": self.id},
        }

    def action_agent_view_disputes(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "agent_billing_enterprise.action_agent_billing_dispute"
        )
        action["domain"] = [("move_id", "=", self.id)]
        action["context"] = {"default_move_id": self.id}
        return action


class AccountMoveLine(models.Model):
    _inherit = "account.move.line"

    # --- Multi-entity: the entity (and its contract) a line of a consolidated invoice bills ---
    agent_entity_partner_id = fields.Many2one(
        "res.partner", "Billing Entity", index="btree_not_null"
    )
    agent_entity_contract_id = fields.Many2one(
        "agent.billing.contract", "Entity Contract", index="btree_not_null"
    )
    agent_allocation_ids = fields.One2many(
        "agent.billing.allocation", "move_line_id", "Cost Allocation"
    )
    agent_department_summary = fields.Char(
        "Departments", compute="_compute_agent_department_summary"
    )

    @api.depends("agent_allocation_ids")
    def _compute_agent_department_summary(self):
        for line in self:
            parts = [
                f"{alloc.department_id.code or alloc.department_id.name} {alloc.percent:g}%"
                for alloc in line.agent_allocation_ids.sorted(
                    lambda a: (-a.percent, a.department_id.code or "")
                )
                if alloc.department_id
            ]
            line.agent_department_summary = ", ".join(parts) or False
