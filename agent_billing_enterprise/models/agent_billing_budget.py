from datetime import timedelta

from odoo import _, api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import SQL, format_date
from odoo.tools.misc import format_amount

from odoo.addons.agent_billing.rating import to_decimal

from ..core import DEFAULT_THRESHOLDS, BudgetLedger, period_bounds, reached_thresholds

PERIOD_TYPES = [
    ("monthly", "Monthly"),
    ("quarterly", "Quarterly"),
    ("annual", "Annual"),
    ("custom", "Custom"),
]
OVERSPEND_POLICIES = [
    ("allow", "Allow"),
    ("approval", "Require approval"),
    ("block", "Block"),
]


class AgentBillingBudget(models.Model):
    """What a client entity (or one of its departments) may be charged over a period.

    Spent: untaxed amount of its posted invoices (net of posted credit notes); committed: its
    draft invoices, those waiting for approval among them; available: the rest. Charges count in
    the period they bill (an invoice's billing period start, else its date). Amounts in the
    company currency. Billing runs apply the overspend policy before creating an invoice.
    """

    _name = "agent.billing.budget"
    _description = "Client budget"
    _inherit = [
        "agent.billing.client.mixin",
        "agent.billing.approval.mixin",
        "mail.thread",
        "mail.activity.mixin",
    ]
    _order = "date_from desc, partner_id, id"
    _check_company_auto = True

    name = fields.Char(
        compute="_compute_name", store=True, readonly=False, precompute=True, required=True
    )
    active = fields.Boolean(default=True, tracking=True)
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    partner_id = fields.Many2one(
        "res.partner",
        "Client Entity",
        required=True,
        index=True,
        check_company=True,
        tracking=True,
        domain=[("is_company", "=", True)],
    )
    department_id = fields.Many2one(
        "agent.billing.department",
        index="btree_not_null",
        check_company=True,
        tracking=True,
        domain="[('partner_id', '=', partner_id)]",
        help="Empty: the whole entity.",
    )
    user_id = fields.Many2one(
        "res.users",
        "Responsible",
        default=lambda self: self.env.user,
        tracking=True,
        help="Gets the threshold alerts as activities.",
    )
    period_type = fields.Selection(
        PERIOD_TYPES, "Period", required=True, default="monthly", tracking=True
    )
    date_from = fields.Date(
        "From",
        required=True,
        tracking=True,
        default=lambda self: fields.Date.context_today(self).replace(day=1),
    )
    date_to = fields.Date(
        "To",
        required=True,
        tracking=True,
        compute="_compute_date_to",
        store=True,
        readonly=False,
        precompute=True,
    )
    amount = fields.Monetary("Budget", required=True, tracking=True)
    overspend_policy = fields.Selection(
        OVERSPEND_POLICIES,
        required=True,
        default="allow",
        tracking=True,
        help="What a billing run does with an invoice that would exceed the budget: create it "
        "anyway, create it on hold until a budget increase is approved, or leave the client "
        "out of the run with an error.",
    )
    threshold_ids = fields.One2many(
        "agent.billing.budget.threshold",
        "budget_id",
        "Alert Thresholds",
        copy=True,
        default=lambda self: [
            fields.Command.create({"percent": float(p)}) for p in DEFAULT_THRESHOLDS
        ],
    )
    # --- Consumption (one query for all budgets shown) ---
    spent = fields.Monetary(compute="_compute_consumption")
    committed = fields.Monetary(compute="_compute_consumption")
    available = fields.Monetary(compute="_compute_consumption")
    consumed_percent = fields.Float("Consumed (%)", compute="_compute_consumption", digits=(16, 1))
    # --- Increase ---
    requested_amount = fields.Monetary(
        "Requested Budget",
        copy=False,
        help="New budget to request; approved by the budget increase approval rule, if any.",
    )

    @api.depends("partner_id", "department_id", "period_type", "date_from", "date_to")
    def _compute_name(self):
        for budget in self:
            if not budget.partner_id or not budget.date_from:
                budget.name = budget.name or _("New budget")
                continue
            if budget.period_type == "monthly":
                period = format_date(self.env, budget.date_from, date_format="MMMM y")
            elif budget.period_type == "annual":
                period = str(budget.date_from.year)
            elif budget.period_type == "quarterly":
                period = f"Q{(budget.date_from.month - 1) // 3 + 1} {budget.date_from.year}"
            else:
                period = (
                    f"{format_date(self.env, budget.date_from)} - "
                    f"{format_date(self.env, budget.date_to)}"
                )
            parts = [budget.partner_id.name, budget.department_id.name, period]
            budget.name = " / ".join(p for p in parts if p)

    @api.depends("period_type", "date_from")
    def _compute_date_to(self):
        for budget in self:
            if budget.period_type != "custom" and budget.date_from:
                budget.date_to = period_bounds(budget.date_from, budget.period_type)[1]
            else:
                budget.date_to = budget.date_to or budget.date_from

    @api.onchange("period_type", "date_from")
    def _onchange_align_period(self):
        if self.period_type != "custom" and self.date_from:
            self.date_from = period_bounds(self.date_from, self.period_type)[0]

    @api.constrains("amount", "date_from", "date_to", "department_id", "partner_id", "period_type")
    def _check_budget_values(self):
        for budget in self:
            if budget.currency_id.compare_amounts(budget.amount, 0.0) < 0:
                raise ValidationError(_("Budget %(name)s cannot be negative.", name=budget.name))
            if budget.date_to < budget.date_from:
                raise ValidationError(
                    _(
                        "Budget %(name)s ends (%(end)s) before it starts (%(start)s).",
                        name=budget.name,
                        end=budget.date_to,
                        start=budget.date_from,
                    )
                )
            if budget.period_type != "custom":
                bounds = period_bounds(budget.date_from, budget.period_type)
                if bounds != (budget.date_from, budget.date_to):
                    raise ValidationError(
                        _(
                            "Budget %(name)s is %(period)s but runs %(start)s - %(end)s: choose the "
                            "custom period for other dates.",
                            name=budget.name,
                            period=budget.period_type,
                            start=budget.date_from,
                            end=budget.date_to,
                        )
                    )
            if budget.department_id and budget.department_id.partner_id != budget.partner_id:
                raise ValidationError(
                    _(
                        "Budget %(name)s: department %(dept)s belongs to %(owner)s.",
                        name=budget.name,
                        dept=budget.department_id.display_name,
                        owner=budget.department_id.partner_id.display_name,
                    )
                )

    # --- Consumption -----------------------------------------------------------------------
    def _usage(self):
        """``{budget id: (spent, committed)}`` as exact Decimals, in one query."""
        if not self.ids:
            return {}
        for model in ("account.move", "account.move.line", "agent.billing.allocation", self._name):
            self.env[model].flush_model()
        rows = self.env.execute_query(
            SQL(
                """
            WITH budget AS (
                SELECT id, company_id, partner_id, department_id, date_from, date_to
                  FROM agent_billing_budget WHERE id IN %(ids)s
            ), charge AS (
                -- entity budgets: invoice lines of the entity (its own invoices, or its section
                -- of a consolidated one)
                SELECT b.id AS budget_id, m.state, -l.balance AS amount
                  FROM budget b
                  JOIN account_move_line l
                    ON l.partner_id = b.partner_id AND l.agent_entity_partner_id IS NULL
                  JOIN account_move m ON m.id = l.move_id
                  LEFT JOIN account_move r ON r.id = m.reversed_entry_id
                 WHERE b.department_id IS NULL AND l.display_type = 'product'
                   AND m.company_id = b.company_id
                   AND m.move_type IN ('out_invoice', 'out_refund')
                   AND m.state IN ('draft', 'posted')
                   AND COALESCE(m.agent_period_start, r.agent_period_start, r.invoice_date,
                                m.invoice_date,
                                m.date) BETWEEN b.date_from AND b.date_to
                UNION ALL
                SELECT b.id, m.state, -l.balance
                  FROM budget b
                  JOIN account_move_line l ON l.agent_entity_partner_id = b.partner_id
                  JOIN account_move m ON m.id = l.move_id
                  LEFT JOIN account_move r ON r.id = m.reversed_entry_id
                 WHERE b.department_id IS NULL AND l.display_type = 'product'
                   AND m.company_id = b.company_id
                   AND m.move_type IN ('out_invoice', 'out_refund')
                   AND m.state IN ('draft', 'posted')
                   AND COALESCE(m.agent_period_start, r.agent_period_start, r.invoice_date,
                                m.invoice_date,
                                m.date) BETWEEN b.date_from AND b.date_to
                UNION ALL
                -- department budgets: the department's cost allocations
                SELECT b.id, m.state, a.amount_company
                  FROM budget b
                  JOIN agent_billing_allocation a
                    ON a.department_id = b.department_id AND a.partner_id = b.partner_id
                  JOIN account_move m ON m.id = a.move_id
                 WHERE a.company_id = b.company_id AND m.state IN ('draft', 'posted')
                   AND a.date BETWEEN b.date_from AND b.date_to
            )
            SELECT budget_id,
                   COALESCE(SUM(amount) FILTER (WHERE state = 'posted'), 0),
                   COALESCE(SUM(amount) FILTER (WHERE state = 'draft'), 0)
              FROM charge GROUP BY budget_id
            """,
                ids=tuple(self.ids),
            )
        )
        usage = {budget_id: (to_decimal(0), to_decimal(0)) for budget_id in self.ids}
        for budget_id, spent, committed in rows:
            usage[budget_id] = (to_decimal(spent), to_decimal(committed))
        return usage

    def _compute_consumption(self):
        usage = self.filtered("id")._usage()
        for budget in self:
            spent, committed = usage.get(budget.id, (to_decimal(0), to_decimal(0)))
            budget.spent = float(spent)
            budget.committed = float(committed)
            budget.available = float(to_decimal(budget.amount) - spent - committed)
            budget.consumed_percent = (
                float((spent + committed) * 100 / to_decimal(budget.amount))
                if budget.amount
                else 0.0
            )

    def _ledger(self):
        """These budgets in a :class:`BudgetLedger` (one query), to check many charges fast."""
        ledger = BudgetLedger()
        usage = self._usage()
        for budget in self:
            spent, committed = usage[budget.id]
            ledger.add(
                budget.id, to_decimal(budget.amount), spent, committed, budget.overspend_policy
            )
        return ledger

    def _check_budget(self, amount, ledger=None):
        """Decision of the overspend policy of each budget for a further charge of ``amount``
        (company currency): ``{budget: Decision}``. Pass a ``ledger`` to check many charges
        against budgets loaded once."""
        ledger = ledger or self._ledger()
        return {budget: ledger.check(budget.id, amount) for budget in self}

    @api.model
    def _budgets_for(self, partners, company, date_from, date_to):
        """Active budgets of these entities whose period overlaps [date_from, date_to]."""
        return self.search(
            [
                ("partner_id", "in", partners.ids),
                ("company_id", "=", company.id),
                ("date_from", "<=", date_to),
                ("date_to", ">=", date_from),
            ]
        )

    # --- Alerts ----------------------------------------------------------------------------
    def _check_alerts(self):
        """Alert (chatter message and activity) at each threshold newly reached; a threshold
        no longer reached (e.g. after a credit note) is re-armed. Never alerts twice."""
        usage = self._usage()
        now = fields.Datetime.now()
        alerted = self.env["agent.billing.budget.threshold"]
        for budget in self:
            spent, committed = usage[budget.id]
            consumed = spent + committed
            reached = set(
                reached_thresholds(
                    to_decimal(budget.amount),
                    consumed,
                    [to_decimal(t.percent) for t in budget.threshold_ids],
                )
            )
            for threshold in budget.threshold_ids.sorted("percent"):
                is_reached = to_decimal(threshold.percent) in reached
                if is_reached and not threshold.reached_on:
                    threshold.write({"reached_on": now, "reached_amount": float(consumed)})
                    budget._alert(threshold, spent, committed)
                    alerted |= threshold
                elif not is_reached and threshold.reached_on:
                    threshold.write({"reached_on": False, "reached_amount": 0.0})
        return alerted

    def _alert(self, threshold, spent, committed):
        self.ensure_one()
        currency = self.currency_id
        body = _(
            "Budget %(name)s reached %(pct)s %%: %(consumed)s of %(amount)s used (%(spent)s "
            "spent, %(committed)s committed).",
            name=self.name,
            pct=f"{threshold.percent:g}",
            consumed=format_amount(self.env, float(spent + committed), currency),
            amount=format_amount(self.env, self.amount, currency),
            spent=format_amount(self.env, float(spent), currency),
            committed=format_amount(self.env, float(committed), currency),
        )
        self.message_post(body=body, subtype_xmlid="mail.mt_comment")
        if self.user_id:
            self.activity_schedule(
                "mail.mail_activity_data_warning",
                user_id=self.user_id.id,
                summary=_("Budget %(pct)s %% reached", pct=f"{threshold.percent:g}"),
                note=body,
            )

    @api.model
    def _check_alerts_for_moves(self, moves):
        """Check the alerts of the budgets these customer documents charge."""
        entities = moves.invoice_line_ids.agent_entity_partner_id | moves.commercial_partner_id
        dates = [
            d
            for m in moves
            for d in (
                m.agent_period_start,
                m.invoice_date,
                m.date,
                m.reversed_entry_id.agent_period_start,
                m.reversed_entry_id.invoice_date,
            )
            if d
        ]
        if not entities or not dates:
            return self.env["agent.billing.budget.threshold"]
        alerted = self.env["agent.billing.budget.threshold"]
        # the user posted (or created) these invoices, which the caller checked; the alerts
        # they raise on budgets are notifications that an invoicing user may not write
        moves.check_access("read")
        Budget = self.sudo()
        for company in moves.company_id:
            budgets = Budget._budgets_for(entities, company, min(dates), max(dates))
            alerted |= budgets._check_alerts()
        return alerted.with_env(self.env)

    @api.model
    def _cron_check_alerts(self, today=None):
        today = today or fields.Date.context_today(self)
        return self.search(
            [("date_to", ">=", today - timedelta(days=62)), ("date_from", "<=", today)]
        )._check_alerts()

    # --- Increase --------------------------------------------------------------------------
    def action_request_increase(self):
        for budget in self:
            currency = budget.currency_id
            if currency.compare_amounts(budget.requested_amount, budget.amount) <= 0:
                raise UserError(
                    _(
                        "Enter a requested budget above the current %(amount)s for %(name)s.",
                        name=budget.name,
                        amount=format_amount(self.env, budget.amount, currency),
                    )
                )
            increase = currency.round(budget.requested_amount - budget.amount)
            request = budget._agent_request_approval(
                "budget_increase",
                increase,
                _(
                    "Raise budget %(name)s from %(old)s to %(new)s",
                    name=budget.name,
                    old=format_amount(self.env, budget.amount, currency),
                    new=format_amount(self.env, budget.requested_amount, currency),
                ),
            )
            if not request:  # no rule asks for approval
                budget._apply_increase(increase)
        return True

    def _apply_increase(self, increase):
        self.ensure_one()
        old = self.amount
        self.write(
            {"amount": self.currency_id.round(self.amount + increase), "requested_amount": 0.0}
        )
        self.message_post(
            body=_(
                "Budget raised from %(old)s to %(new)s.",
                old=format_amount(self.env, old, self.currency_id),
                new=format_amount(self.env, self.amount, self.currency_id),
            )
        )
        self._check_alerts()

    def _agent_approval_decided(self, request):
        if request.request_type == "budget_increase" and request.state == "approved":
            self._apply_increase(request.amount)

    def _request_overspend_approval(self, move, overspend):
        """Hold ``move`` until the budget is raised by (at least) ``overspend``: one pending
        increase request per budget gathers the invoices and their overspend."""
        self.ensure_one()
        Request = self.env["agent.billing.approval.request"]
        existing = Request.search(
            [
                ("res_model", "=", self._name),
                ("res_id", "=", self.id),
                ("request_type", "=", "budget_increase"),
                ("state", "=", "pending"),
            ],
            limit=1,
        )
        if existing:
            existing.write(
                {
                    "amount": self.currency_id.round(existing.amount + overspend),
                    "move_ids": [fields.Command.link(move.id)],
                }
            )
            existing._sync_targets()
            return existing
        return Request._request(
            self,
            "budget_increase",
            overspend,
            _(
                "%(move)s would exceed budget %(name)s by %(over)s",
                move=move.display_name,
                name=self.name,
                over=format_amount(self.env, overspend, self.currency_id),
            ),
            moves=move,
            fallback=True,
        )
