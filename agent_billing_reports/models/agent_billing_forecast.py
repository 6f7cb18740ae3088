"""Gathers what the revenue forecast, MRR and profitability need, in a few set-based queries, and
hands it to the plain-Python core (agent_billing/rating/forecast.py), which computes.

Definitions (also in the dashboard's help texts):

* Actual revenue of a service month: untaxed amount of posted customer invoices and credit notes
  (company currency), each spread over the months of the billing period it bills (an invoice
  without a billing period counts in the month of its invoice date).
* Recurring revenue: deployments (active or ended, for the days they run) x their monthly rate:
  the client's price override valid today, else the contract tier's rate, else the agent type's
  catalog rate; less the tier discount on contract-tier contracts. Only contracts billed per
  agent or by contract tier bill agents. A deployment without a contract is billed on its
  client's latest contract.
* Costs: deployed agents x the agent type's monthly cost, and usage x the metric's cost per unit;
  hours: usage x the metric's hours per unit.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from odoo import _, models
from odoo.tools import SQL, format_date

from odoo.addons.agent_billing.rating import to_decimal
from odoo.addons.agent_billing.rating.forecast import (
    DEFAULT_WINDOW,
    ClientHistory,
    Recurring,
    add_months,
    forecast,
    forecast_and_backtest,
    month_end,
    month_range,
    month_start,
    recurring_between,
    spread_by_month,
)

from .agent_billing_report_mixin import ONE, ZERO

BACKTEST_MONTHS = 6
FORECAST_MONTHS = (3, 6, 12)
BILLS_AGENTS = ("per_agent", "contract")


@dataclass
class ForecastData:
    """The forecast's inputs, gathered once per request, as plain values (the core's
    ClientHistory objects are made one at a time by :meth:`clients`).

    A client of the forecast is a contract, or a client billed without a (live, readable)
    contract, keyed ("partner", partner id)."""

    scope: object
    last_month: date  # the last service month with actual revenue (L)
    window_start: date  # first month of the actuals read (L - 11)
    contracts: dict  # contract id -> row, with its "minimum" (Decimal, report currency)
    actuals: dict  # client key -> {service month: amount}
    recurring: dict  # contract id -> [(monthly amount, start, end)] of its deployments
    client_partner: dict  # client key -> partner id
    deployments: list  # rows, with "monthly_amount" (Decimal, 0 if not billed), "monthly_cost"
    usage_costs: dict = field(default_factory=dict)  # partner id -> (usage cost, hours)

    @property
    def history_months(self):
        """The 12 complete months up to L."""
        return month_range(self.window_start, 12)

    def clients(self, partner_id=None):
        """ClientHistory of every client (of one partner), made one at a time."""
        empty = {}
        for key, partner in self.client_partner.items():
            if partner_id is not None and partner != partner_id:
                continue
            contract = self.contracts.get(key) if not isinstance(key, tuple) else None
            if contract is None:
                yield ClientHistory(key, actuals=self.actuals.get(key, empty))
                continue
            yield ClientHistory(
                key,
                recurring=[Recurring(*item) for item in self.recurring.get(key, ())],
                actuals=self.actuals.get(key, empty),
                minimum=contract["minimum"],
                start=contract["date_start"],
                end=contract["date_end"] or None,
                renews=bool(contract["renewal_expected"]) and contract["state"] == "active",
            )


class AgentBillingForecast(models.AbstractModel):
    _name = "agent.billing.forecast"
    _inherit = ["agent.billing.report.mixin"]
    _description = "Agent billing revenue forecast, MRR and profitability"

    # --- Gathering ------------------------------------------------------------------------------
    def _forecast_data(self, scope, partner_ids=None):
        """Read contracts, deployments, rates, actual revenue and usage costs (see module doc)."""
        self._check_report_access(
            "account.move",
            "agent.billing.contract",
            "agent.billing.deployment",
            "agent.billing.usage",
            "agent.billing.price.override",
        )
        self.env.flush_all()
        previous = add_months(month_start(scope.today), -1)
        # one month more than needed, in case last month is not invoiced yet
        window_start = add_months(previous, -(BACKTEST_MONTHS + DEFAULT_WINDOW))
        partner_domain = [("partner_id", "in", partner_ids)] if partner_ids is not None else []

        contracts = {
            row["id"]: row
            for row in self._query(
                "agent.billing.contract",
                [
                    ("state", "in", ("active", "closed")),
                    "|",
                    ("date_end", "=", False),
                    ("date_end", ">=", window_start),
                    *partner_domain,
                ],
                scope,
                SQL("""agent_billing_contract.id, agent_billing_contract.partner_id,
                   agent_billing_contract.company_id, agent_billing_contract.currency_id,
                   agent_billing_contract.billing_model, agent_billing_contract.date_start,
                   agent_billing_contract.date_end, agent_billing_contract.state,
                   agent_billing_contract.renewal_expected, agent_billing_contract.tier_id,
                   tier.minimum_commitment, tier.discount_percent"""),
                joins=SQL(
                    "LEFT JOIN agent_billing_tier tier ON tier.id = agent_billing_contract.tier_id"
                ),
            )
        }
        deployments = self._query(
            "agent.billing.deployment",
            [
                ("state", "in", ("active", "ended")),
                "|",
                ("date_end", "=", False),
                ("date_end", ">=", window_start),
                *partner_domain,
            ],
            scope,
            SQL("""agent_billing_deployment.id, agent_billing_deployment.partner_id,
                   agent_billing_deployment.contract_id, agent_billing_deployment.company_id,
                   agent_billing_deployment.product_id, agent_billing_deployment.agent_count,
                   agent_billing_deployment.date_start, agent_billing_deployment.date_end,
                   template.agent_monthly_rate::text AS catalog_rate,
                   template.agent_monthly_cost::text AS monthly_cost"""),
            joins=SQL("""JOIN product_product product
                                ON product.id = agent_billing_deployment.product_id
                         JOIN product_template template
                                ON template.id = product.product_tmpl_id"""),
        )
        # the client's price override of an agent type valid today (the latest one)
        overrides = {}
        for row in self._query(
            "agent.billing.price.override",
            [
                ("product_id", "!=", False),
                ("date_from", "<=", scope.today),
                "|",
                ("date_to", "=", False),
                ("date_to", ">=", scope.today),
                *partner_domain,
            ],
            scope,
            SQL("""agent_billing_price_override.partner_id,
                   agent_billing_price_override.product_id,
                   agent_billing_price_override.company_id,
                   agent_billing_price_override.monthly_rate::text AS rate"""),
            tail=SQL(
                "ORDER BY agent_billing_price_override.date_from, agent_billing_price_override.id"
            ),
        ):
            overrides[row["partner_id"], row["product_id"], row["company_id"]] = row["rate"]
        tier_rates = {}
        tier_ids = list({row["tier_id"] for row in contracts.values() if row["tier_id"]})
        if tier_ids:
            for row in self.env.execute_query_dict(
                SQL(
                    "SELECT tier_id, product_id, monthly_rate FROM agent_billing_tier_agent_rate "
                    "WHERE tier_id = ANY(%s)",
                    tier_ids,
                )
            ):
                tier_rates[row["tier_id"], row["product_id"]] = row["monthly_rate"]

        # the contract that bills each deployment: its own, else the client's latest one
        latest = {}
        for contract in sorted(
            contracts.values(), key=lambda c: (c["state"] == "active", c["date_start"], c["id"])
        ):
            latest[contract["partner_id"], contract["company_id"]] = contract
        recurring = defaultdict(list)
        for dep in deployments:
            contract = (
                contracts.get(dep["contract_id"])
                if dep["contract_id"]
                else latest.get((dep["partner_id"], dep["company_id"]))
            )
            dep["billed_contract_id"] = contract["id"] if contract else None
            dep["monthly_amount"] = ZERO
            factor = scope.factors.get(dep["company_id"], ONE)
            # plain values only: this list lives through the request (see _models in the core)
            dep["monthly_cost"] = (
                Decimal(dep["agent_count"]) * to_decimal(dep["monthly_cost"] or 0) * factor
            )
            if not contract or contract["billing_model"] not in BILLS_AGENTS:
                continue
            contract_factor = self._contract_factor(scope, contract)
            override = overrides.get((dep["partner_id"], dep["product_id"], dep["company_id"]))
            tier_rate = tier_rates.get((contract["tier_id"], dep["product_id"]))
            if override is not None:
                rate = to_decimal(override) * contract_factor
            elif tier_rate is not None:
                rate = to_decimal(tier_rate) * contract_factor
            else:
                rate = to_decimal(dep["catalog_rate"] or 0) * factor
            if contract["billing_model"] == "contract" and contract["discount_percent"]:
                rate *= ONE - to_decimal(contract["discount_percent"]) / 100
            dep["monthly_amount"] = Decimal(dep["agent_count"]) * rate
            recurring[contract["id"]].append(
                (dep["monthly_amount"], dep["date_start"], dep["date_end"] or None)
            )

        actuals = self._actual_revenue(scope, window_start, previous, contracts, partner_ids)
        # L: last month, unless it has no revenue yet (its billing run still to come)
        last_month = previous
        totals = defaultdict(Decimal)
        for months in actuals.values():
            for month, amount in months.items():
                totals[month] += amount
        if not totals.get(previous) and totals.get(add_months(previous, -1)):
            last_month = add_months(previous, -1)

        client_partner = {}
        for contract in contracts.values():
            contract["minimum"] = ZERO
            if contract["billing_model"] == "contract" and contract["minimum_commitment"]:
                contract["minimum"] = to_decimal(
                    contract["minimum_commitment"]
                ) * self._contract_factor(scope, contract)
            client_partner[contract["id"]] = contract["partner_id"]
        for key in actuals:  # revenue without a (readable, live) contract
            if key not in client_partner:
                client_partner[key] = key[1]
        data = ForecastData(
            scope,
            last_month,
            add_months(last_month, -11),
            contracts,
            actuals,
            dict(recurring),
            client_partner,
            deployments,
        )
        data.usage_costs = self._usage_costs(scope, data, partner_ids)
        return data

    def _contract_factor(self, scope, contract):
        if contract["currency_id"] == scope.currency_id:
            return ONE
        currency = self.env["res.currency"].browse(contract["currency_id"])
        company = self.env["res.company"].browse(contract["company_id"])
        return self._currency_factor(scope, currency, company)

    def _actual_revenue(self, scope, window_start, last_month, contracts, partner_ids=None):
        """{client key: {service month: amount}} of the months window_start..last_month."""
        domain = [("move_type", "in", ("out_invoice", "out_refund")), ("state", "=", "posted")]
        if partner_ids is not None:
            domain.append(("commercial_partner_id", "in", partner_ids))
        from_clause, where_clause = self._where("account.move", domain, scope)
        # One row per invoice (grouping would hardly merge any), as tuples: the month (year *
        # 12 + month - 1) of an invoice of one month (the usual case); the dates of an invoice
        # billing several months, to be spread over them (core's spread_by_month). The
        # service dates' index (account_move.py) answers "date_to >= window start".
        rows = self.env.execute_query(
            SQL(
                """SELECT account_move.agent_contract_id, account_move.commercial_partner_id,
                      account_move.company_id,
                      date_part('year', service.date_from)::int * 12
                      + date_part('month', service.date_from)::int - 1,
                      CASE WHEN date_trunc('month', service.date_from)
                                < date_trunc('month', service.date_to)
                           THEN service.date_from END,
                      CASE WHEN date_trunc('month', service.date_from)
                                < date_trunc('month', service.date_to)
                           THEN service.date_to END,
                      account_move.amount_untaxed_signed::text
                 FROM %s
                CROSS JOIN LATERAL (SELECT
                      COALESCE(account_move.agent_period_start, account_move.invoice_date)
                          AS date_from,
                      COALESCE(account_move.agent_period_end, account_move.invoice_date)
                          AS date_to) AS service
                WHERE %s
                  AND COALESCE(account_move.agent_period_end, account_move.invoice_date) >= %s
                  AND COALESCE(account_move.agent_period_start, account_move.invoice_date)
                      <= %s""",
                from_clause,
                where_clause,
                window_start,
                month_end(last_month),
            )
        )
        days = {}  # month number -> first day
        actuals = {}
        factors = scope.factors
        for contract_id, partner_id, company_id, month, date_from, date_to, amount in rows:
            key = contract_id if contract_id in contracts else ("partner", partner_id)
            per_month = actuals.get(key)
            if per_month is None:
                per_month = actuals[key] = {}
            amount = Decimal(amount)
            factor = factors.get(company_id, ONE)
            if factor != ONE:
                amount *= factor
            if date_from is None:
                day = days.get(month)
                if day is None:
                    day = days[month] = date(month // 12, month % 12 + 1, 1)
                per_month[day] = per_month.get(day, ZERO) + amount
                continue
            for day, part in spread_by_month(amount, date_from, date_to, scope.rounding):
                if window_start <= day <= last_month:
                    per_month[day] = per_month.get(day, ZERO) + part
        return actuals

    def _usage_costs(self, scope, data, partner_ids=None):
        """{partner id: (usage cost, hours)} of the usage of the 12 months up to L."""
        domain = [("date", ">=", data.window_start), ("date", "<=", month_end(data.last_month))]
        if partner_ids is not None:
            domain.append(("partner_id", "in", partner_ids))
        rows = self._query(
            "agent.billing.usage",
            domain,
            scope,
            SQL("""agent_billing_usage.partner_id, agent_billing_usage.company_id,
                   SUM(agent_billing_usage.quantity * metric.cost_per_unit) AS usage_cost,
                   SUM(agent_billing_usage.quantity * metric.hours_per_unit) AS hours"""),
            joins=SQL(
                "JOIN agent_billing_metric metric ON metric.id = agent_billing_usage.metric_id"
            ),
            tail=SQL("AND (metric.cost_per_unit != 0 OR metric.hours_per_unit != 0) GROUP BY 1, 2"),
        )
        costs = defaultdict(lambda: [ZERO, ZERO])
        for row in rows:
            costs[row["partner_id"]][0] += scope.money(row["usage_cost"], row["company_id"])
            costs[row["partner_id"]][1] += to_decimal(row["hours"] or 0)
        return costs

    # --- Figures ----------------------------------------------------------------------------
    def _month_label(self, month):
        return format_date(self.env, month, date_format="MMM y")

    def _forecast_chart(self, data, months_ahead=6):
        """Actual revenue of the 12 months up to L, the back-test of the last 6 of them and the
        forecast of the ``months_ahead`` months after L, with the back-test's MAPE."""
        if months_ahead not in FORECAST_MONTHS:
            months_ahead = 6
        scope = data.scope
        history = data.history_months
        ahead = month_range(add_months(data.last_month, 1), months_ahead)
        result, test = forecast_and_backtest(
            data.clients(), ahead, history[-BACKTEST_MONTHS:], rounding=scope.rounding
        )
        actual = {month: ZERO for month in history}
        for months in data.actuals.values():
            for month, amount in months.items():
                if month in actual:
                    actual[month] += amount
        tested = {row.month: row for row in test.months}
        return {
            "labels": [self._month_label(m) for m in history + ahead],
            "actual": [float(scope.money(actual[m])) for m in history] + [None] * len(ahead),
            "backtest": [float(tested[m].forecast) if m in tested else None for m in history]
            + [None] * len(ahead),
            "forecast": [None] * (len(history) - 1)
            + [float(scope.money(actual[history[-1]]))]
            + [float(v) for v in result.totals],
            "months_ahead": months_ahead,
            "total": float(sum(result.totals, ZERO)),
            "mape": None if test.mape is None else float(round(test.mape, 1)),
            "scored_months": [
                self._month_label(row.month) for row in test.months if row.error_pct is not None
            ],
            "skipped_months": [self._month_label(m) for m in test.skipped],
            "last_actual_month": self._month_label(data.last_month),
            "rows": [
                {
                    "month": self._month_label(row.month),
                    "forecast": float(row.forecast),
                    "actual": float(row.actual),
                    "error_pct": None if row.error_pct is None else float(round(row.error_pct, 1)),
                }
                for row in test.months
            ],
        }

    def _partner_forecast(self, data, partner_id, months_ahead=6):
        """Forecast of one client's contracts for the months after L."""
        ahead = month_range(add_months(data.last_month, 1), months_ahead)
        result = forecast(data.clients(partner_id), ahead, rounding=data.scope.rounding)
        return {
            "labels": [self._month_label(m) for m in ahead],
            "values": [float(v) for v in result.totals],
        }

    def _billable_today(self, dep, today):
        return dep["date_start"] <= today and (not dep["date_end"] or dep["date_end"] >= today)

    def _mrr(self, data):
        """Monthly recurring revenue today: every contract running today, its deployments
        running today at their full monthly rate, lifted to its monthly minimum commitment."""
        today = data.scope.today
        per_contract = defaultdict(Decimal)
        for dep in data.deployments:
            if dep["billed_contract_id"] and self._billable_today(dep, today):
                per_contract[dep["billed_contract_id"]] += dep["monthly_amount"]
        total = ZERO
        for contract in data.contracts.values():
            if (
                contract["state"] != "active"
                or contract["date_start"] > today
                or (contract["date_end"] and contract["date_end"] < today)
            ):
                continue
            total += max(per_contract.get(contract["id"], ZERO), contract["minimum"])
        return data.scope.money(total)

    def _active_agents(self, data):
        today = data.scope.today
        return sum(
            dep["agent_count"] for dep in data.deployments if self._billable_today(dep, today)
        )

    def _profitability(self, data, partner_ids=None, limit=None):
        """Per client, over the 12 months up to L: revenue, agent and usage costs, gross margin,
        margin %, hours and effective hourly rate (revenue / hours). Clients without any cost
        recorded have no margin (None): it would only repeat their revenue."""
        months = data.history_months
        scope = data.scope
        revenue = defaultdict(Decimal)
        window = set(months)
        for key, per_month in data.actuals.items():
            revenue[data.client_partner[key]] += sum(
                (amount for month, amount in per_month.items() if month in window), ZERO
            )
        agent_cost = defaultdict(Decimal)
        for dep in data.deployments:
            if dep["monthly_cost"]:
                item = Recurring(dep["monthly_cost"], dep["date_start"], dep["date_end"] or None)
                agent_cost[dep["partner_id"]] += recurring_between((item,), months[0], months[-1])
        partners = set(revenue) | set(agent_cost) | set(data.usage_costs)
        if partner_ids is not None:
            partners &= set(partner_ids)
        # sorted on the unrounded revenue, figures rounded only for the rows returned
        ordered = sorted(partners, key=lambda p: (-revenue[p], p))
        if limit:
            ordered = ordered[:limit]
        names = {p.id: p.display_name for p in self.env["res.partner"].browse(ordered)}
        rows = []
        for partner in ordered:
            usage_cost, hours = data.usage_costs.get(partner, (ZERO, ZERO))
            income = scope.money(revenue[partner])
            costs = scope.money(agent_cost[partner])
            cost = costs + usage_cost
            # no cost recorded: a margin would only repeat the revenue
            recorded = bool(cost)
            margin = income - cost if recorded else None
            rows.append(
                {
                    "partner_id": partner,
                    "name": names[partner],
                    "revenue": float(income),
                    "agent_cost": float(costs),
                    "usage_cost": float(usage_cost),
                    "cost": float(cost),
                    "margin": None if margin is None else float(margin),
                    "margin_pct": float(round(margin / income * 100, 1))
                    if margin is not None and income
                    else None,
                    "hours": float(round(hours, 2)),
                    "hourly_rate": float(scope.money(income / hours)) if hours else None,
                    "recorded": recorded,
                }
            )
        return {
            "period": _(
                "%(start)s - %(end)s",
                start=self._month_label(months[0]),
                end=self._month_label(months[-1]),
            ),
            "rows": rows,
        }
