"""Data of the billing dashboard (OWL client action ``agent_billing_reports.dashboard``).

One call, :meth:`AgentBillingDashboard.get_dashboard_data`, runs a few set-based queries over
what the user may read (allowed companies, record rules) and returns figures in the current
company's currency, each with the action that opens the records behind it.

Definitions:

* Revenue: untaxed amount of posted customer invoices less credit notes, by invoice date.
* Outstanding: unpaid amount of posted customer invoices (not paid, in payment or reversed);
  overdue: the part past its due date. Aging buckets cut the outstanding amount by days past
  due (the buckets add up to the outstanding amount).
* Collected: customer payments (in process or paid) by payment date.
* DSO: outstanding / invoiced amount (taxes included) of the last 90 days x 90.
* MRR, active agents, forecast, profitability: see agent_billing_forecast.py.
"""

from datetime import date, timedelta

from odoo import _, api, fields, models
from odoo.tools import SQL, format_date

from odoo.addons.agent_billing.rating.forecast import add_months, month_end, month_start

from .agent_billing_report_mixin import SETTLED_PAYMENT_STATES, ZERO

PERIODS = {
    # period: (SQL date_trunc unit, months per bucket, number of buckets)
    "monthly": ("month", 1, 12),
    "quarterly": ("quarter", 3, 8),
    "yearly": ("year", 12, 5),
}
AGING_BUCKETS = [
    # key, label, first and last day past due (None: open)
    ("current", "Not due", None, 0),
    ("1_30", "1-30 days", 1, 30),
    ("31_60", "31-60 days", 31, 60),
    ("61_90", "61-90 days", 61, 90),
    ("90_plus", "90+ days", 91, None),
]
STATUSES = ("paid", "pending", "overdue")
CUSTOMER_MOVES = ("out_invoice", "out_refund")


class AgentBillingDashboard(models.AbstractModel):
    _name = "agent.billing.dashboard"
    _inherit = ["agent.billing.report.mixin"]
    _description = "Billing dashboard"

    @api.model
    def get_dashboard_data(self, period="monthly", forecast_months=6):
        """Everything the dashboard shows, for ``period`` (monthly, quarterly, yearly)."""
        if period not in PERIODS:
            period = "monthly"
        self._check_report_access(
            "account.move", "account.payment", "agent.billing.contract", "agent.billing.deployment"
        )
        self.env.flush_all()
        scope = self._report_scope()
        buckets = self._period_buckets(period, scope.today)
        data = self.env["agent.billing.forecast"]._forecast_data(scope)
        revenue = self._revenue_figures(scope, buckets, period)
        payments = self._payment_figures(scope, buckets, period)
        receivables = self._receivable_figures(scope)
        to_review = self._to_review(scope)
        forecast = self.env["agent.billing.forecast"]
        profitability = forecast._profitability(data, limit=10)
        payments["trend"]["invoiced"] = [float(v) for v in revenue["invoiced"]]
        return {
            "currency_id": scope.currency.id,
            "today": fields.Date.to_string(scope.today),
            "period": period,
            "companies": scope.companies.mapped("name"),
            "kpis": self._kpis(scope, data, revenue, payments, receivables, to_review),
            "trend": revenue["trend"],
            "billing_models": revenue["billing_models"],
            "top_clients": revenue["top_clients"],
            "payments": payments["trend"],
            "aging": receivables["aging"],
            "forecast": forecast._forecast_chart(data, forecast_months),
            "profitability": profitability,
        }

    # --- Periods ----------------------------------------------------------------------------
    def _period_buckets(self, period, today):
        """[(start, end, label)] of the trend's periods, oldest first, ending with today's."""
        _unit, months, count = PERIODS[period]
        first = month_start(today)
        first = first.replace(month=(first.month - 1) // months * months + 1)
        buckets = []
        for k in range(count - 1, -1, -1):
            start = add_months(first, -k * months)
            end = month_end(add_months(start, months - 1))
            if period == "monthly":
                label = format_date(self.env, start, date_format="MMM y")
            elif period == "quarterly":
                label = _(
                    "Q%(quarter)s %(year)s", quarter=(start.month - 1) // 3 + 1, year=start.year
                )
            else:
                label = str(start.year)
            buckets.append((start, end, label))
        return buckets

    # --- Actions (the records behind a figure) ----------------------------------------------
    def _action(self, name, model, domain, scope):
        domain = [
            (term[0], term[1], fields.Date.to_string(term[2]))
            if isinstance(term, tuple) and isinstance(term[2], date)
            else term
            for term in [*domain, ("company_id", "in", scope.companies.ids)]
        ]
        views = [[False, "list"], [False, "form"]]
        context = {"create": False}
        if model == "account.move":
            xmlid = self.env["ir.model.data"]._xmlid_to_res_id  # cached, unlike env.ref
            views = [
                [xmlid("account.view_invoice_tree"), "list"],
                [xmlid("account.view_move_form"), "form"],
            ]
            context["default_move_type"] = "out_invoice"
        return {
            "type": "ir.actions.act_window",
            "name": name,
            "res_model": model,
            "domain": domain,
            "views": views,
            "context": context,
            "target": "current",
        }

    def _invoice_action(self, name, domain, scope):
        return self._action(name, "account.move", domain, scope)

    def _posted_domain(self, start, end):
        return [
            ("move_type", "in", CUSTOMER_MOVES),
            ("state", "=", "posted"),
            ("invoice_date", ">=", start),
            ("invoice_date", "<=", end),
        ]

    def _open_domain(self):
        return [
            ("move_type", "=", "out_invoice"),
            ("state", "=", "posted"),
            ("payment_state", "not in", SETTLED_PAYMENT_STATES),
        ]

    def _status_domain(self, status, today):
        if status == "paid":
            return [("payment_state", "in", SETTLED_PAYMENT_STATES)]
        if status == "overdue":
            return [
                ("payment_state", "not in", SETTLED_PAYMENT_STATES),
                ("invoice_date_due", "<", today),
            ]
        return [
            ("payment_state", "not in", SETTLED_PAYMENT_STATES),
            "|",
            ("invoice_date_due", "=", False),
            ("invoice_date_due", ">=", today),
        ]

    def _deployment_action(self, name, scope):
        today = scope.today
        return self._action(
            name,
            "agent.billing.deployment",
            [
                ("state", "in", ("active", "ended")),
                ("date_start", "<=", today),
                "|",
                ("date_end", "=", False),
                ("date_end", ">=", today),
            ],
            scope,
        )

    def _payment_domain(self, start, end):
        return [
            ("partner_type", "=", "customer"),
            ("state", "in", ("in_process", "paid")),
            ("date", ">=", start),
            ("date", "<=", end),
        ]

    # --- Queries ----------------------------------------------------------------------------
    def _revenue_figures(self, scope, buckets, period):
        """Revenue of this and last month, sales of the last 90 days, and over the trend's
        window: revenue per period and status, per billing model, per client."""
        today = scope.today
        m0 = month_start(today)
        pm0 = add_months(m0, -1)
        d90 = today - timedelta(days=89)
        window_start, window_end = buckets[0][0], buckets[-1][1]
        unit = PERIODS[period][0]
        first = min(window_start, pm0, d90)
        from_clause, where_clause = self._where(
            "account.move",
            [
                ("move_type", "in", CUSTOMER_MOVES),
                ("state", "=", "posted"),
                ("invoice_date", ">=", first),
                ("invoice_date", "<=", window_end),
            ],
            scope,
        )
        # per period and payment status, with this month, last month and the last 90 days
        by_period = self.env.execute_query_dict(
            SQL(
                """SELECT account_move.company_id AS company_id,
                      date_trunc(%(unit)s, account_move.invoice_date)::date AS bucket,
                      CASE WHEN account_move.payment_state IN %(settled)s THEN 'paid'
                           WHEN account_move.invoice_date_due < %(today)s THEN 'overdue'
                           ELSE 'pending' END AS status,
                      SUM(account_move.amount_untaxed_signed) AS revenue,
                      SUM(account_move.amount_total_signed) AS invoiced,
                      SUM(account_move.amount_untaxed_signed) FILTER (
                          WHERE account_move.invoice_date BETWEEN %(m0)s AND %(m1)s) AS month,
                      SUM(account_move.amount_untaxed_signed) FILTER (
                          WHERE account_move.invoice_date BETWEEN %(pm0)s AND %(pm1)s)
                          AS previous,
                      SUM(account_move.amount_total_signed) FILTER (
                          WHERE account_move.invoice_date BETWEEN %(d90)s AND %(today)s)
                          AS sales_90
                 FROM %(from)s
                WHERE %(where)s
                GROUP BY 1, 2, 3""",
                unit=unit,
                settled=SETTLED_PAYMENT_STATES,
                today=today,
                m0=m0,
                m1=month_end(m0),
                pm0=pm0,
                pm1=month_end(pm0),
                d90=d90,
                **{"from": from_clause, "where": where_clause},
            )
        )
        # per billing model and client, over the trend's window
        by_client = self.env.execute_query_dict(
            SQL(
                """SELECT account_move.company_id AS company_id,
                      COALESCE(contract.billing_model, 'none') AS billing_model,
                      account_move.commercial_partner_id AS partner_id,
                      SUM(account_move.amount_untaxed_signed) AS revenue
                 FROM %(from)s
                 LEFT JOIN agent_billing_contract contract
                        ON contract.id = account_move.agent_contract_id
                WHERE %(where)s AND account_move.invoice_date >= %(ws)s
                GROUP BY 1, 2, 3""",
                ws=window_start,
                **{"from": from_clause, "where": where_clause},
            )
        )
        index = {start: i for i, (start, _end, _label) in enumerate(buckets)}
        trend = {status: [ZERO] * len(buckets) for status in STATUSES}
        invoiced = [ZERO] * len(buckets)
        models_total, clients_total = {}, {}
        month = previous = sales_90 = ZERO
        for row in by_period:
            company = row["company_id"]
            month += scope.money(row["month"], company)
            previous += scope.money(row["previous"], company)
            sales_90 += scope.money(row["sales_90"], company)
            if row["bucket"] in index:
                i = index[row["bucket"]]
                trend[row["status"]][i] += scope.money(row["revenue"], company)
                invoiced[i] += scope.money(row["invoiced"], company)
        for row in by_client:
            amount = scope.money(row["revenue"], row["company_id"])
            key = row["billing_model"]
            models_total[key] = models_total.get(key, ZERO) + amount
            clients_total[row["partner_id"]] = clients_total.get(row["partner_id"], ZERO) + amount

        period_domain = self._posted_domain(window_start, window_end)
        status_labels = {status: self._status_label(status) for status in STATUSES}
        trend_data = {
            "labels": [label for _s, _e, label in buckets],
            "series": {status: [float(v) for v in trend[status]] for status in STATUSES},
            "total": [
                float(sum((trend[s][i] for s in STATUSES), ZERO)) for i in range(len(buckets))
            ],
            "actions": {
                status: [
                    self._invoice_action(
                        _(
                            "Invoices of %(period)s: %(status)s",
                            period=label,
                            status=status_labels[status],
                        ),
                        self._posted_domain(start, end) + self._status_domain(status, today),
                        scope,
                    )
                    for start, end, label in buckets
                ]
                for status in STATUSES
            },
        }
        model_labels = dict(
            self.env["agent.billing.contract"]
            ._fields["billing_model"]
            ._description_selection(self.env)
        )
        model_labels["none"] = _("Without contract")
        ordered_models = sorted(models_total, key=lambda k: -models_total[k])
        billing_models = {
            "keys": ordered_models,
            "labels": [model_labels.get(k, k) for k in ordered_models],
            "values": [float(models_total[k]) for k in ordered_models],
            "actions": [
                self._invoice_action(
                    _("Revenue: %(model)s", model=model_labels.get(k, k)),
                    period_domain
                    + (
                        [("agent_contract_id", "=", False)]
                        if k == "none"
                        else [("agent_contract_id.billing_model", "=", k)]
                    ),
                    scope,
                )
                for k in ordered_models
            ],
        }
        top = sorted(clients_total, key=lambda k: -clients_total[k])[:10]
        names = {p.id: p.display_name for p in self.env["res.partner"].browse(top)}
        top_clients = {
            "ids": top,
            "labels": [names[p] for p in top],
            "values": [float(clients_total[p]) for p in top],
        }
        return {
            "month": month,
            "previous": previous,
            "sales_90": sales_90,
            "invoiced": invoiced,
            "trend": trend_data,
            "billing_models": billing_models,
            "top_clients": top_clients,
        }

    def _status_label(self, status):
        return {"paid": _("paid"), "pending": _("pending"), "overdue": _("overdue")}[status]

    def _payment_figures(self, scope, buckets, period):
        """Customer payments per period of the trend, and this month."""
        today = scope.today
        m0 = month_start(today)
        window_start, window_end = buckets[0][0], buckets[-1][1]
        rows = self._query(
            "account.payment",
            self._payment_domain(window_start, window_end),
            scope,
            SQL(
                """account_payment.company_id AS company_id,
                   date_trunc(%(unit)s, account_payment.date)::date AS bucket,
                   SUM(account_payment.amount_company_currency_signed) AS amount,
                   SUM(account_payment.amount_company_currency_signed) FILTER (
                       WHERE account_payment.date BETWEEN %(m0)s AND %(m1)s) AS month""",
                unit=PERIODS[period][0],
                m0=m0,
                m1=month_end(m0),
            ),
            tail=SQL("GROUP BY 1, 2"),
        )
        index = {start: i for i, (start, _end, _label) in enumerate(buckets)}
        collected = [ZERO] * len(buckets)
        month = ZERO
        for row in rows:
            month += scope.money(row["month"], row["company_id"])
            if row["bucket"] in index:
                collected[index[row["bucket"]]] += scope.money(row["amount"], row["company_id"])
        return {
            "month": month,
            "trend": {
                "labels": [label for _s, _e, label in buckets],
                "collected": [float(v) for v in collected],
                "actions": [
                    self._action(
                        _("Payments of %(period)s", period=label),
                        "account.payment",
                        self._payment_domain(start, end),
                        scope,
                    )
                    for start, end, label in buckets
                ],
            },
        }

    def _receivable_figures(self, scope):
        """Outstanding amount of open customer invoices by aging bucket."""
        today = scope.today
        rows = self._query(
            "account.move",
            [("move_type", "=", "out_invoice"), ("state", "=", "posted")],
            scope,
            SQL("""account_move.company_id AS company_id,
                   account_move.invoice_date_due AS due,
                   SUM(account_move.amount_residual_signed) AS amount,
                   COUNT(*) AS count"""),
            # the partial index's own condition (the domain operator would add "OR IS NULL")
            tail=SQL(
                "AND account_move.payment_state NOT IN %s GROUP BY 1, 2", SETTLED_PAYMENT_STATES
            ),
        )
        amounts = {key: ZERO for key, *_rest in AGING_BUCKETS}
        counts = {key: 0 for key, *_rest in AGING_BUCKETS}
        for row in rows:
            late = (today - row["due"]).days if row["due"] else 0
            key = next(
                key for key, _label, _first, last in AGING_BUCKETS if last is None or late <= last
            )
            amounts[key] += scope.money(row["amount"], row["company_id"])
            counts[key] += row["count"]
        aging = {
            "keys": [key for key, *_rest in AGING_BUCKETS],
            "labels": [self._aging_label(key) for key, *_rest in AGING_BUCKETS],
            "values": [float(amounts[key]) for key, *_rest in AGING_BUCKETS],
            "counts": [counts[key] for key, *_rest in AGING_BUCKETS],
            "actions": [
                self._invoice_action(
                    _("Open invoices: %(bucket)s", bucket=self._aging_label(key)),
                    self._open_domain() + self._due_domain(first, last, today),
                    scope,
                )
                for key, _label, first, last in AGING_BUCKETS
            ],
        }
        outstanding = sum(amounts.values(), ZERO)
        return {
            "outstanding": outstanding,
            "overdue": outstanding - amounts["current"],
            "aging": aging,
        }

    def _aging_label(self, key):
        return {
            "current": _("Not due"),
            "1_30": _("1-30 days"),
            "31_60": _("31-60 days"),
            "61_90": _("61-90 days"),
            "90_plus": _("90+ days"),
        }[key]

    def _due_domain(self, first, last, today):
        """Invoices ``first``..``last`` days past due (None: open bound)."""
        if first is None:  # not due: due today or later, or no due date
            return ["|", ("invoice_date_due", "=", False), ("invoice_date_due", ">=", today)]
        domain = [("invoice_date_due", "<=", today - timedelta(days=first))]
        if last is not None:
            domain.append(("invoice_date_due", ">=", today - timedelta(days=last)))
        return domain

    def _to_review(self, scope):
        rows = self._query(
            "account.move",
            [
                ("move_type", "=", "out_invoice"),
                ("state", "=", "draft"),
                ("agent_run_id", "!=", False),
            ],
            scope,
            SQL("COUNT(*) AS count"),
        )
        return rows[0]["count"] if rows else 0

    # --- KPIs -------------------------------------------------------------------------------
    def _kpis(self, scope, data, revenue, payments, receivables, to_review):
        today = scope.today
        m0 = month_start(today)
        forecast = self.env["agent.billing.forecast"]
        month, previous = revenue["month"], revenue["previous"]
        change = None
        if previous:
            change = float(round((month - previous) / abs(previous) * 100, 1))
        sales_90 = revenue["sales_90"]
        dso = None
        if sales_90 > 0:
            dso = float(round(receivables["outstanding"] / sales_90 * 90, 1))
        open_action = self._invoice_action(_("Outstanding invoices"), self._open_domain(), scope)
        return [
            {
                "key": "revenue_month",
                "label": _("Revenue this month"),
                "format": "monetary",
                "value": float(month),
                "previous": float(previous),
                "change_pct": change,
                "help": _(
                    "Untaxed amount of the customer invoices less credit notes posted this "
                    "month, by invoice date; compared with last month."
                ),
                "action": self._invoice_action(
                    _("Revenue this month"), self._posted_domain(m0, month_end(m0)), scope
                ),
            },
            {
                "key": "mrr",
                "label": _("MRR"),
                "format": "monetary",
                "value": float(forecast._mrr(data)),
                "help": _(
                    "Monthly recurring revenue: the agents deployed today at their monthly "
                    "rate (override, tier or catalog, less the tier discount), at least each "
                    "contract's minimum commitment."
                ),
                "action": self._deployment_action(_("Deployments running today"), scope),
            },
            {
                "key": "outstanding",
                "label": _("Outstanding"),
                "format": "monetary",
                "value": float(receivables["outstanding"]),
                "help": _("Unpaid amount of the posted customer invoices."),
                "action": open_action,
            },
            {
                "key": "overdue",
                "label": _("Overdue"),
                "format": "monetary",
                "status": "overdue",
                "value": float(receivables["overdue"]),
                "help": _("Part of the outstanding amount past its due date."),
                "action": self._invoice_action(
                    _("Overdue invoices"),
                    self._open_domain() + [("invoice_date_due", "<", today)],
                    scope,
                ),
            },
            {
                "key": "collected_month",
                "label": _("Collected this month"),
                "format": "monetary",
                "status": "paid",
                "value": float(payments["month"]),
                "help": _("Customer payments dated this month (in process or paid)."),
                "action": self._action(
                    _("Payments this month"),
                    "account.payment",
                    self._payment_domain(m0, month_end(m0)),
                    scope,
                ),
            },
            {
                "key": "dso",
                "label": _("DSO"),
                "format": "days",
                "value": dso,
                "help": _(
                    "Days sales outstanding: outstanding amount divided by the amount "
                    "invoiced (taxes included) over the last 90 days, times 90."
                ),
                "action": open_action,
            },
            {
                "key": "active_agents",
                "label": _("Active agents"),
                "format": "integer",
                "value": forecast._active_agents(data),
                "help": _("Agents of the deployments running today."),
                "action": self._deployment_action(_("Deployments running today"), scope),
            },
            {
                "key": "to_review",
                "label": _("Invoices to review"),
                "format": "integer",
                "status": "pending" if to_review else None,
                "value": to_review,
                "help": _(
                    "Draft invoices created by billing runs, waiting to be checked and posted."
                ),
                "action": self._invoice_action(
                    _("Invoices to review"),
                    [
                        ("move_type", "=", "out_invoice"),
                        ("state", "=", "draft"),
                        ("agent_run_id", "!=", False),
                    ],
                    scope,
                ),
            },
        ]
