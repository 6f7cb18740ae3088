"""Data of the client billing breakdown (OWL client action
``agent_billing_reports.client_breakdown``): one client's revenue by period and billing model,
contracts, current deployments, usage trend, invoices, payment history with days to pay,
forecast and profitability."""

from decimal import Decimal

from odoo import _, api, models
from odoo.tools import SQL, format_date

from odoo.addons.agent_billing.rating import to_decimal
from odoo.addons.agent_billing.rating.forecast import add_months, month_end, month_start

from .agent_billing_dashboard import CUSTOMER_MOVES, PERIODS
from .agent_billing_report_mixin import SETTLED_PAYMENT_STATES, ZERO

LAST_ROWS = 24


class AgentBillingClientBreakdown(models.AbstractModel):
    _name = "agent.billing.client.breakdown"
    _inherit = ["agent.billing.report.mixin"]
    _description = "Client billing breakdown"

    @api.model
    def get_client_data(self, partner_id, period="monthly", forecast_months=6):
        if period not in PERIODS:
            period = "monthly"
        self._check_report_access(
            "account.move",
            "agent.billing.contract",
            "agent.billing.deployment",
            "agent.billing.usage",
        )
        partner = self.env["res.partner"].browse(partner_id).commercial_partner_id
        partner.check_access("read")
        self.env.flush_all()
        scope = self._report_scope()
        dashboard = self.env["agent.billing.dashboard"]
        forecast = self.env["agent.billing.forecast"]
        buckets = dashboard._period_buckets(period, scope.today)
        data = forecast._forecast_data(scope, partner_ids=[partner.id])
        profitability = forecast._profitability(data, partner_ids=[partner.id])["rows"]
        return {
            "currency_id": scope.currency.id,
            "period": period,
            "partner": {"id": partner.id, "name": partner.display_name, "ref": partner.ref or ""},
            "receivables": self._receivables(scope, partner, dashboard),
            "contracts": self._contracts(partner),
            "revenue": self._revenue(scope, partner, buckets, period, dashboard),
            "deployments": self._deployments(scope, data),
            "usage": self._usage(scope, partner),
            "invoices": self._invoices(scope, partner, dashboard),
            "payments": self._payments(scope, partner),
            "forecast": forecast._partner_forecast(data, partner.id, forecast_months),
            "profitability": profitability[0] if profitability else None,
        }

    def _receivables(self, scope, partner, dashboard):
        rows = self._query(
            "account.move",
            [
                ("move_type", "=", "out_invoice"),
                ("state", "=", "posted"),
                ("commercial_partner_id", "=", partner.id),
            ],
            scope,
            SQL(
                """account_move.company_id AS company_id,
                   SUM(account_move.amount_residual_signed) AS outstanding,
                   SUM(account_move.amount_residual_signed) FILTER (
                       WHERE account_move.invoice_date_due < %s) AS overdue""",
                scope.today,
            ),
            tail=SQL("AND account_move.payment_state NOT IN %s GROUP BY 1", SETTLED_PAYMENT_STATES),
        )
        outstanding = sum((scope.money(r["outstanding"], r["company_id"]) for r in rows), ZERO)
        overdue = sum((scope.money(r["overdue"], r["company_id"]) for r in rows), ZERO)
        domain = dashboard._open_domain() + [("commercial_partner_id", "=", partner.id)]
        return {
            "outstanding": float(outstanding),
            "overdue": float(overdue),
            "outstanding_action": dashboard._invoice_action(
                _("Outstanding invoices of %(client)s", client=partner.display_name), domain, scope
            ),
            "overdue_action": dashboard._invoice_action(
                _("Overdue invoices of %(client)s", client=partner.display_name),
                domain + [("invoice_date_due", "<", scope.today)],
                scope,
            ),
        }

    def _contracts(self, partner):
        Contract = self.env["agent.billing.contract"]
        contracts = Contract.search([("partner_id", "=", partner.id), ("state", "!=", "cancelled")])
        models_ = dict(Contract._fields["billing_model"]._description_selection(self.env))
        cycles = dict(Contract._fields["billing_cycle"]._description_selection(self.env))
        states = dict(Contract._fields["state"]._description_selection(self.env))
        return [
            {
                "id": c.id,
                "name": c.name,
                "billing_model": models_.get(c.billing_model),
                "cycle": cycles.get(c.billing_cycle),
                "tier": c.tier_id.display_name or "",
                "date_start": format_date(self.env, c.date_start),
                "date_end": format_date(self.env, c.date_end) if c.date_end else "",
                "state": c.state,
                "state_label": states.get(c.state),
                "renewal_expected": c.renewal_expected,
            }
            for c in contracts
        ]

    def _revenue(self, scope, partner, buckets, period, dashboard):
        """Revenue per period (invoice date) and billing model."""
        start, end = buckets[0][0], buckets[-1][1]
        rows = self._query(
            "account.move",
            dashboard._posted_domain(start, end) + [("commercial_partner_id", "=", partner.id)],
            scope,
            SQL(
                """account_move.company_id AS company_id,
                   date_trunc(%s, account_move.invoice_date)::date AS bucket,
                   COALESCE(contract.billing_model, 'none') AS billing_model,
                   SUM(account_move.amount_untaxed_signed) AS revenue""",
                PERIODS[period][0],
            ),
            joins=SQL(
                "LEFT JOIN agent_billing_contract contract "
                "ON contract.id = account_move.agent_contract_id"
            ),
            tail=SQL("GROUP BY 1, 2, 3"),
        )
        index = {b[0]: i for i, b in enumerate(buckets)}
        labels = dict(
            self.env["agent.billing.revenue.report"]
            ._fields["billing_model"]
            ._description_selection(self.env)
        )
        series = {}
        for row in rows:
            values = series.setdefault(row["billing_model"], [ZERO] * len(buckets))
            values[index[row["bucket"]]] += scope.money(row["revenue"], row["company_id"])
        return {
            "labels": [b[2] for b in buckets],
            "series": [
                {"key": key, "label": labels.get(key, key), "values": [float(v) for v in values]}
                for key, values in sorted(series.items())
            ],
            "total": float(sum((sum(v, ZERO) for v in series.values()), ZERO)),
            "action": dashboard._invoice_action(
                _("Invoices of %(client)s", client=partner.display_name),
                [("move_type", "in", CUSTOMER_MOVES), ("commercial_partner_id", "=", partner.id)],
                scope,
            ),
        }

    def _deployments(self, scope, data):
        """Deployments running today or later, with their monthly value (what they bill)."""
        today = scope.today
        current = [d for d in data.deployments if not d["date_end"] or d["date_end"] >= today]
        records = self.env["agent.billing.deployment"].browse([d["id"] for d in current])
        by_id = {r.id: r for r in records}
        rows = []
        for dep in sorted(current, key=lambda d: (d["date_start"], d["id"])):
            record = by_id[dep["id"]]
            rows.append(
                {
                    "id": dep["id"],
                    "name": record.name,
                    "agent_type": record.product_id.display_name,
                    "agents": dep["agent_count"],
                    "date_start": format_date(self.env, dep["date_start"]),
                    "date_end": format_date(self.env, dep["date_end"]) if dep["date_end"] else "",
                    "running": dep["date_start"] <= today,
                    "monthly_value": float(scope.money(dep["monthly_amount"])),
                    "monthly_cost": float(scope.money(dep["monthly_cost"])),
                    "contract": record.contract_id.name or "",
                }
            )
        return rows

    def _usage(self, scope, partner):
        """Usage quantity per month and metric, the last 12 months (this one included)."""
        first = add_months(month_start(scope.today), -11)
        rows = self._query(
            "agent.billing.usage",
            [
                ("partner_id", "=", partner.id),
                ("date", ">=", first),
                ("date", "<=", month_end(month_start(scope.today))),
            ],
            scope,
            SQL("""date_trunc('month', agent_billing_usage.date)::date AS month,
                   agent_billing_usage.metric_id AS metric_id,
                   SUM(agent_billing_usage.quantity) AS quantity"""),
            tail=SQL("GROUP BY 1, 2"),
        )
        months = [add_months(first, k) for k in range(12)]
        index = {m: i for i, m in enumerate(months)}
        metrics = self.env["agent.billing.metric"].browse({r["metric_id"] for r in rows})
        names = {
            m.id: f"{m.name} ({m.unit_name})" if m.unit_name else m.name
            for m in metrics.with_context(active_test=False)
        }
        series = {}
        for row in rows:
            values = series.setdefault(row["metric_id"], [0.0] * 12)
            values[index[row["month"]]] += float(to_decimal(row["quantity"] or 0))
        return {
            "labels": [format_date(self.env, m, date_format="MMM y") for m in months],
            "series": [
                {"label": names.get(mid, ""), "values": vals}
                for mid, vals in sorted(series.items())
            ],
        }

    def _invoices(self, scope, partner, dashboard):
        Move = self.env["account.move"]
        moves = Move.search(
            [
                ("move_type", "in", CUSTOMER_MOVES),
                ("commercial_partner_id", "=", partner.id),
                ("company_id", "in", scope.companies.ids),
                ("state", "!=", "cancel"),
            ],
            order="invoice_date desc, id desc",
            limit=LAST_ROWS,
        )
        statuses = dict(Move._fields["agent_billing_status"]._description_selection(self.env))
        today = scope.today
        rows = []
        for move in moves:
            if move.state == "draft":
                colour = "draft"
            elif move.payment_state in SETTLED_PAYMENT_STATES:
                colour = "paid"
            elif move.invoice_date_due and move.invoice_date_due < today:
                colour = "overdue"
            else:
                colour = "pending"
            factor = scope.factors.get(move.company_id.id, Decimal(1))
            rows.append(
                {
                    "id": move.id,
                    "name": move.name or _("Draft"),
                    "type": move.move_type,
                    "date": format_date(self.env, move.invoice_date) if move.invoice_date else "",
                    "due": format_date(self.env, move.invoice_date_due)
                    if move.invoice_date_due
                    else "",
                    "period": (
                        f"{format_date(self.env, move.agent_period_start)} - "
                        f"{format_date(self.env, move.agent_period_end)}"
                    )
                    if move.agent_period_start
                    else "",
                    "total": float(scope.money(to_decimal(move.amount_total_signed) * factor)),
                    "residual": float(
                        scope.money(to_decimal(move.amount_residual_signed) * factor)
                    ),
                    "status": statuses.get(move.agent_billing_status) or "",
                    "colour": colour,
                }
            )
        return rows

    def _payments(self, scope, partner):
        """Invoices with payments (reconciliations of their receivable items): when they were
        paid, in how many days; the average days to pay weighted by the amount paid."""
        from_clause, where_clause = self._where(
            "account.move",
            [
                ("move_type", "=", "out_invoice"),
                ("state", "=", "posted"),
                ("commercial_partner_id", "=", partner.id),
            ],
            scope,
        )
        rows = self.env.execute_query_dict(
            SQL(
                """SELECT account_move.id AS id, account_move.name AS name,
                      account_move.company_id AS company_id,
                      account_move.invoice_date AS invoice_date,
                      account_move.invoice_date_due AS due,
                      account_move.payment_state AS payment_state,
                      account_move.amount_total_signed AS total,
                      MAX(apr.max_date) AS paid_date,
                      SUM(apr.amount) AS paid,
                      SUM((apr.max_date - account_move.invoice_date) * apr.amount) AS weighted
                 FROM %s
                 JOIN account_move_line line ON line.move_id = account_move.id
                                            AND line.display_type = 'payment_term'
                 JOIN account_partial_reconcile apr ON apr.debit_move_id = line.id
                WHERE %s
                GROUP BY account_move.id
                ORDER BY paid_date DESC, account_move.id DESC""",
                from_clause,
                where_clause,
            )
        )
        total_paid = sum((to_decimal(r["paid"] or 0) for r in rows), ZERO)
        weighted = sum((to_decimal(r["weighted"] or 0) for r in rows), ZERO)
        average = float(round(weighted / total_paid, 1)) if total_paid else None
        return {
            "average_days": average,
            "count": len(rows),
            "rows": [
                {
                    "id": r["id"],
                    "name": r["name"],
                    "invoice_date": format_date(self.env, r["invoice_date"]),
                    "paid_date": format_date(self.env, r["paid_date"]),
                    "days_to_pay": (r["paid_date"] - r["invoice_date"]).days,
                    "days_late": (r["paid_date"] - r["due"]).days if r["due"] else None,
                    "paid": float(scope.money(r["paid"], r["company_id"])),
                    "total": float(scope.money(r["total"], r["company_id"])),
                    "fully_paid": r["payment_state"] in SETTLED_PAYMENT_STATES,
                }
                for r in rows[:LAST_ROWS]
            ],
        }

    @api.model
    def action_open(self, partner_id):
        partner = self.env["res.partner"].browse(partner_id).commercial_partner_id
        return {
            "type": "ir.actions.client",
            "tag": "agent_billing_reports.client_breakdown",
            "name": _("Billing breakdown: %(client)s", client=partner.display_name),
            "params": {"partner_id": partner.id},
            "context": {"active_id": partner.id},
        }
