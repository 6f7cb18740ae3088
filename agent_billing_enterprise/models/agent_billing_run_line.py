import logging
from collections import defaultdict

from psycopg2 import errors as pg_errors

from odoo import _, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import float_compare
from odoo.tools.misc import format_amount

from odoo.addons.agent_billing.rating import to_decimal

from ..core import split_amount

_logger = logging.getLogger(__name__)


class AgentBillingRunLine(models.Model):
    """Billing runs with client organisations: consolidated invoices (a section per entity),
    department accounting on the invoice lines, budgets and approvals before and after the
    invoices are created."""

    _inherit = "agent.billing.run.line"

    def _create_invoices(self):
        rows = self.filtered(
            lambda line: line.included and line.state == "rated" and not line.move_id
        )
        if not rows:
            return super()._create_invoices()
        rows = rows.with_context(agent_allocation_rules=rows._agent_allocation_rules())
        groups, single = rows._agent_split_consolidated()
        grouped = rows.browse([row.id for members in groups.values() for row in members])
        ledger, budgets = (single | grouped)._agent_budget_ledger()
        overspends = {}
        if budgets:
            single = single._agent_apply_budgets(ledger, budgets, overspends)
        super(AgentBillingRunLine, single)._create_invoices()
        rows._agent_create_consolidated(list(groups.values()), ledger, budgets, overspends)
        billed = (single | grouped).filtered("move_id")
        if billed:
            billed._agent_after_invoices(billed.move_id, overspends)

    # --- Department accounting on the invoice lines --------------------------------------------
    def _agent_allocation_rules(self):
        if not self.env["agent.billing.department"].search_count(
            [("company_id", "in", self.company_id.ids)], limit=1
        ):
            return False  # no departments at all: nothing to do per line
        rules = {}
        for company in self.company_id:
            rules.update(
                self.env["agent.billing.allocation"]._rules_by_partner(self.partner_id, company)
            )
        return rules

    def _prepare_invoice(self):
        vals = super()._prepare_invoice()
        self._agent_line_accounting([command[2] for command in vals["invoice_line_ids"]])
        return vals

    def _agent_line_vals(self):
        """Invoice line values of this row's details (as ``_prepare_invoice`` makes them)."""
        self.ensure_one()
        lines = [detail._prepare_invoice_line() for detail in self.detail_ids.sorted("sequence")]
        self._agent_line_accounting(lines)
        return lines

    def _agent_line_accounting(self, line_vals_list):
        """Our income account and analytic distribution per line, from the client
        departments its charge goes to (in place; in the order of the row's details)."""
        self.ensure_one()
        rules = self.env.context.get("agent_allocation_rules")
        if rules is None:
            rules = self._agent_allocation_rules()
        if rules is False:
            return
        Allocation = self.env["agent.billing.allocation"]
        Distribution = self.env["account.analytic.distribution.model"]
        details = self.detail_ids.sorted("sequence")
        for line_vals, detail in zip(line_vals_list, details, strict=True):
            weights = Allocation._weights(
                detail.usage_ids, detail.deployment_id, rules.get(self.partner_id.id, {})
            )
            fallback = (
                Distribution._get_distribution(
                    {
                        "product_id": detail.product_id.id,
                        "product_categ_id": detail.product_id.categ_id.id,
                        "partner_id": self.partner_id.id,
                        "company_id": self.company_id.id,
                    }
                )
                if detail.product_id
                else {}
            )
            account, distribution = Allocation._line_accounting(weights, fallback)
            if account:
                line_vals["account_id"] = account.id
            if distribution:
                line_vals["analytic_distribution"] = distribution

    # --- Budgets -------------------------------------------------------------------------------
    def _agent_budget_ledger(self):
        """The budgets these rows charge, loaded once for the batch."""
        Budget = self.env["agent.billing.budget"]
        if not self:
            return None, Budget
        budgets = Budget._budgets_for(
            self._agent_budget_partners(),
            self.company_id[:1],
            min(self.mapped("period_start")),
            max(self.mapped("period_start")),
        )
        if not budgets:
            return None, budgets
        return budgets._ledger(), budgets

    def _agent_budget_partners(self):
        return self.partner_id

    def _agent_budget_charges(self, budgets):
        """``{budget id: amount}`` (company currency, Decimal) this row would charge."""
        self.ensure_one()
        company = self.company_id
        mine = budgets.filtered(
            lambda b: (
                b.partner_id == self.partner_id and b.date_from <= self.period_start <= b.date_to
            )
        )
        if not mine:
            return {}
        rounding = to_decimal(company.currency_id.rounding)

        def to_company(amount):
            if self.currency_id == company.currency_id:
                return to_decimal(amount).quantize(rounding)
            date = self.run_id.invoice_date or fields.Date.add(self.period_end, days=1)
            return to_decimal(self.currency_id._convert(amount, company.currency_id, company, date))

        charges = {budget.id: to_company(self.total) for budget in mine if not budget.department_id}
        department_budgets = mine.filtered("department_id")
        if department_budgets:
            rules = self.env.context.get("agent_allocation_rules") or {}
            Allocation = self.env["agent.billing.allocation"]
            per_department = defaultdict(lambda: to_decimal(0))
            for detail in self.detail_ids:
                amount = to_company(detail.amount)
                if not amount:
                    continue
                weights = Allocation._weights(
                    detail.usage_ids, detail.deployment_id, rules.get(self.partner_id.id, {})
                )
                for (dept, _source), part in split_amount(amount, weights, rounding).items():
                    per_department[dept] += part
            for budget in department_budgets:
                charges[budget.id] = per_department.get(budget.department_id.id, to_decimal(0))
        return charges

    def _agent_budget_decision(self, ledger, budgets):
        """(worst status, {budget: Decision}, charges) of this row against its budgets."""
        self.ensure_one()
        charges = self._agent_budget_charges(budgets)
        if not charges:
            return "ok", {}, charges
        status, decisions = ledger.check_many(charges)
        return status, decisions, charges

    def _agent_budget_block_message(self, decisions, budgets):
        parts = []
        for budget_id, decision in decisions.items():
            if decision.status != "block":
                continue
            budget = budgets.browse(budget_id)
            parts.append(
                _(
                    "budget %(budget)s has %(available)s left, this invoice needs %(need)s more",
                    budget=budget.name,
                    available=format_amount(
                        self.env, float(max(decision.available_before, 0)), budget.currency_id
                    ),
                    need=format_amount(self.env, float(decision.overspend), budget.currency_id),
                )
            )
        return _(
            "Not invoiced: %(reasons)s. Raise the budget or change its overspend policy, "
            "then create the invoices again.",
            reasons="; ".join(parts),
        )

    def _agent_apply_budgets(self, ledger, budgets, overspends):
        """Rows a blocking budget refuses get an error; the others are charged to the ledger
        (so that the next rows see them) and their overspend is noted for approval. Returns
        the rows to invoice."""
        to_invoice = self.browse()
        for row in self:
            status, decisions, charges = row._agent_budget_decision(ledger, budgets)
            if status == "block":
                row.write(
                    {
                        "state": "error",
                        "included": False,
                        "message": row._agent_budget_block_message(decisions, budgets),
                    }
                )
                continue
            if charges:
                ledger.charge(charges)
            overspends[row.id] = {
                budget_id: decision.overspend
                for budget_id, decision in decisions.items()
                if decision.status == "approval"
            }
            to_invoice |= row
        return to_invoice

    def _agent_after_invoices(self, moves, overspends):
        """Allocation, approvals (rules and budget overspend) and budget alerts of the new
        invoices."""
        self.env["agent.billing.allocation"]._allocate(moves)
        Budget = self.env["agent.billing.budget"]
        for row in self:
            for budget_id, overspend in (overspends.get(row.id) or {}).items():
                Budget.browse(budget_id)._request_overspend_approval(row.move_id, float(overspend))
        moves._agent_request_needed_approvals()
        Budget._check_alerts_for_moves(moves)

    # --- Consolidated invoices -------------------------------------------------------------
    def _agent_split_consolidated(self):
        """({(run, organisation, period): rows of its entities}, rows billed on their own).

        A group is billed all at once, with its rows of other batches of the run, once every
        entity contract the run bills has its row.
        """
        roots = {}

        def root_of(partner):
            if partner.id not in roots:
                roots[partner.id] = partner._agent_consolidation_root()
            return roots[partner.id]

        single = self.browse()
        wanted = set()
        for row in self:
            root = root_of(row.partner_id)
            if not root:
                single |= row
            else:
                wanted.add((row.run_id, root, row.period_start, row.period_end))
        if not wanted:
            return {}, single
        result = {}
        for run in {key[0] for key in wanted}:
            by_key = defaultdict(list)
            for line in run.line_ids:
                root = root_of(line.partner_id)
                if root:
                    by_key[run, root, line.period_start, line.period_end].append(line.id)
            expected = run._agent_group_contracts({key[1] for key in wanted if key[0] == run})
            for key, line_ids in by_key.items():
                if key not in wanted:
                    continue
                members = self.browse(line_ids)
                todo = members.filtered(
                    lambda line: line.included and line.state == "rated" and not line.move_id
                )
                if not todo:
                    continue  # nothing left
                missing = expected.get(key, set()) - set(members.contract_id.ids)
                if missing:
                    continue  # entities not rated yet (a later batch): the group waits
                result[key] = members
        return result, single

    def _agent_consolidation_ready(self, ledger, budgets, overspends):
        """(rows to bill, anchor row) of this organisation's group when its consolidated
        invoice can be made now, else None (the reason is written on the rows). All or
        nothing: an entity in error holds the group, a blocking budget refuses it."""
        members = self
        root = members[:1].partner_id._agent_consolidation_root()
        todo = members.filtered(
            lambda line: line.included and line.state == "rated" and not line.move_id
        )
        if not todo:
            return None
        anchor = members.filtered(lambda line: line.partner_id == root).sorted(
            lambda line: line.contract_id.id
        )[:1]
        period = _("%(start)s - %(end)s", start=todo[0].period_start, end=todo[0].period_end)
        if not anchor:
            todo.write(
                {
                    "state": "error",
                    "included": False,
                    "message": _(
                        "%(org)s consolidates the invoices of its entities but has no contract billed "
                        "for %(period)s in this run: give it an active contract with the same billing "
                        "cycle, or switch it to one invoice per entity.",
                        org=root.display_name,
                        period=period,
                    ),
                }
            )
            return None
        if anchor.move_id or anchor.state == "skipped":
            todo.write(
                {
                    "state": "error",
                    "included": False,
                    "message": _(
                        "The consolidated invoice of %(org)s for %(period)s exists already "
                        "(%(move)s): add these charges to it by hand, or credit it and bill again.",
                        org=root.display_name,
                        period=period,
                        move=anchor.move_id.display_name or anchor.message or "",
                    ),
                }
            )
            return None
        waiting = members.filtered(lambda line: line.state == "error")
        if waiting:
            todo.write(
                {
                    "message": _(
                        "Waiting for the consolidated invoice of %(org)s: %(clients)s could not be "
                        "rated. Fix it and compute the run again.",
                        org=root.display_name,
                        clients=", ".join(waiting.partner_id.mapped("display_name")),
                    )
                }
            )
            return None
        other_currency = todo.filtered(lambda line: line.currency_id != anchor.currency_id)
        if other_currency:
            todo.write(
                {
                    "state": "error",
                    "included": False,
                    "message": _(
                        "The consolidated invoice of %(org)s is in %(currency)s but %(clients)s bill "
                        "in another currency: align their contracts' currencies, or switch %(org)s to "
                        "one invoice per entity.",
                        org=root.display_name,
                        currency=anchor.currency_id.name,
                        clients=", ".join(other_currency.partner_id.mapped("display_name")),
                    ),
                }
            )
            return None
        if budgets:
            decided = [(row, *row._agent_budget_decision(ledger, budgets)) for row in todo]
            for row, status, decisions, _charges in decided:
                if status == "block":
                    todo.write(
                        {
                            "state": "error",
                            "included": False,
                            "message": _(
                                "Consolidated invoice of %(org)s not created: %(client)s: %(why)s",
                                org=root.display_name,
                                client=row.partner_id.display_name,
                                why=row._agent_budget_block_message(decisions, budgets),
                            ),
                        }
                    )
                    return None
            for row, _status, decisions, charges in decided:
                ledger.charge(charges)
                overspends[row.id] = {
                    b: d.overspend for b, d in decisions.items() if d.status == "approval"
                }
        return todo, anchor

    def _agent_create_consolidated(self, groups, ledger, budgets, overspends):
        """One invoice per organisation and period, on the organisation's contract, a section
        per entity with that entity's lines: created in one batch, and on a failure group by
        group so that one bad organisation is reported and the others are invoiced."""
        ready = []
        for members in groups:
            item = members._agent_consolidation_ready(ledger, budgets, overspends)
            if item:
                todo, anchor = item
                ready.append((todo, anchor, anchor._agent_prepare_consolidated(todo)))
        if not ready:
            return
        Move = self.env["account.move"].with_context(default_move_type="out_invoice")
        try:
            with self.env.cr.savepoint():
                moves = Move.create([vals for _todo, _anchor, vals in ready])
                for (todo, anchor, _vals), move in zip(ready, moves, strict=True):
                    todo._agent_link_consolidated(move, anchor)
            return
        except (UserError, ValidationError, pg_errors.IntegrityError) as exc:
            _logger.info("Batch of consolidated invoices failed (%s); retrying one by one", exc)
        for todo, anchor, vals in ready:
            root = anchor.partner_id
            try:
                with self.env.cr.savepoint():
                    todo._agent_link_consolidated(Move.create([vals]), anchor)
            except pg_errors.UniqueViolation:
                _logger.info(
                    "Consolidated invoice of %s: created meanwhile by another process",
                    root.display_name,
                )
            except (UserError, ValidationError, pg_errors.IntegrityError) as exc:
                todo.write(
                    {
                        "state": "error",
                        "included": False,
                        "message": _(
                            "Consolidated invoice of %(org)s not created: %(error)s",
                            org=root.display_name,
                            error=str(exc),
                        ),
                    }
                )

    def _agent_section_name(self):
        self.ensure_one()
        partner = self.partner_id
        name = partner.name
        if partner.vat:
            name = _("%(name)s (Tax ID %(vat)s)", name=name, vat=partner.vat)
        return _("%(entity)s - contract %(contract)s", entity=name, contract=self.contract_id.name)

    def _agent_prepare_consolidated(self, rows):
        """Invoice values of the consolidated invoice anchored on this (organisation's) row:
        its contract, invoice contact and terms; a section per entity row of ``rows``."""
        self.ensure_one()
        vals = self._prepare_invoice()
        vals["agent_consolidated"] = True
        lines = []
        sequence = 0
        ordered = rows.sorted(
            lambda r: (r.partner_id != self.partner_id, r.partner_id.name or "", r.contract_id.id)
        )
        for row in ordered:
            sequence += 1
            lines.append(
                fields.Command.create(
                    {
                        "display_type": "line_section",
                        "name": row._agent_section_name(),
                        "sequence": sequence,
                        "agent_entity_partner_id": row.partner_id.id,
                        "agent_entity_contract_id": row.contract_id.id,
                    }
                )
            )
            row_lines = (
                [command[2] for command in vals["invoice_line_ids"]]
                if row == self
                else row._agent_line_vals()
            )
            for line_vals in row_lines:
                sequence += 1
                lines.append(
                    fields.Command.create(
                        {
                            **line_vals,
                            "sequence": sequence,
                            "agent_entity_partner_id": row.partner_id.id,
                            "agent_entity_contract_id": row.contract_id.id,
                        }
                    )
                )
        vals["invoice_line_ids"] = lines
        return vals

    def _agent_link_consolidated(self, move, anchor):
        """Link each entity row with its section of ``move``: usage, prepaid, totals; the
        organisation's row too when it had nothing of its own to bill."""
        product_lines = move.invoice_line_ids.filtered(lambda x: x.display_type == "product")
        for row in self:
            lines = product_lines.filtered(
                lambda x, r=row: x.agent_entity_contract_id == r.contract_id
            ).sorted("sequence")
            for detail, move_line in zip(row.detail_ids.sorted("sequence"), lines, strict=True):
                detail.usage_ids.write({"invoice_line_id": move_line.id})
            section_total = sum(lines.mapped("price_subtotal"))
            if float_compare(section_total, row.total, precision_rounding=row.currency_id.rounding):
                raise ValidationError(
                    _(
                        "The section of %(client)s totals %(section)s but the rating gave "
                        "%(rated)s; the consolidated invoice was not created.",
                        client=row.partner_id.display_name,
                        section=section_total,
                        rated=row.total,
                    )
                )
        product_lines._agent_consume_prepaid()
        expected = sum(self.mapped("total"))
        if float_compare(
            move.amount_untaxed, expected, precision_rounding=move.currency_id.rounding
        ):
            raise ValidationError(
                _(
                    "Consolidated invoice %(move)s totals %(inv)s but its entities were rated "
                    "%(rated)s in all.",
                    move=move.display_name,
                    inv=move.amount_untaxed,
                    rated=expected,
                )
            )
        self.write({"move_id": move.id, "state": "invoiced"})
        if anchor not in self:
            anchor.write(
                {
                    "move_id": move.id,
                    "message": _(
                        "Its entities are billed on consolidated invoice %(move)s.",
                        move=move.display_name,
                    ),
                }
            )
