from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from odoo import _, fields, models
from odoo.exceptions import AccessError
from odoo.tools import SQL

from odoo.addons.agent_billing.rating import round_money, to_decimal

ONE = Decimal(1)
ZERO = Decimal(0)
CENT = Decimal("0.01")

# posted customer invoices not settled yet (the client's "Outstanding" of agent_billing)
SETTLED_PAYMENT_STATES = ("paid", "in_payment", "reversed")


@dataclass(frozen=True)
class Scope:
    """What a report covers: the user's allowed companies, shown in one currency, on one day."""

    companies: object  # res.company recordset
    currency: object  # res.currency: the current company's
    today: date
    # rates to ``currency``: company id -> from that company's currency; (currency id, company
    # id) -> from another currency (a contract's), filled on demand
    factors: dict
    rounding: Decimal = field(default=None)
    currency_id: int = field(default=None)

    def __post_init__(self):
        if self.rounding is None:
            object.__setattr__(self, "rounding", to_decimal(self.currency.rounding))
        object.__setattr__(self, "currency_id", self.currency.id)

    def money(self, amount, company_id=None):
        """A SQL sum (company currency of ``company_id``) in the report currency, rounded."""
        value = amount if isinstance(amount, Decimal) else to_decimal(amount or 0)
        if company_id is not None:
            factor = self.factors.get(company_id, ONE)
            if factor != ONE:
                value *= factor
        rounding = self.rounding
        if rounding == CENT:  # the usual case, without a new Decimal context
            value = value.quantize(rounding, rounding=ROUND_HALF_UP)
            return value.copy_abs() if value.is_zero() else value
        return round_money(value, rounding)


class AgentBillingReportMixin(models.AbstractModel):
    """Shared plumbing of the reports: scope (companies, currency, day), access checks, queries
    that keep the user's record rules, currency conversion."""

    _name = "agent.billing.report.mixin"
    _description = "Agent billing reports: shared helpers"

    def _report_scope(self, today=None):
        today = (
            today or self.env.context.get("agent_billing_today") or fields.Date.context_today(self)
        )
        today = fields.Date.to_date(today)
        companies = self.env.companies
        currency = self.env.company.currency_id
        factors = {}
        for company in companies:
            if company.currency_id == currency:
                factors[company.id] = ONE
            else:
                factors[company.id] = to_decimal(
                    self.env["res.currency"]._get_conversion_rate(
                        company.currency_id, currency, company, today
                    )
                )
        return Scope(companies, currency, today, factors)

    def _check_report_access(self, *model_names):
        """The user reads the figures only of what they may read: the models' access rights are
        checked here, their record rules go into every query (see :meth:`_where`)."""
        for name in model_names:
            try:
                self.env[name].check_access("read")
            except AccessError as error:
                raise AccessError(
                    _(
                        "The billing reports sum up %(model)s, which you may not read.",
                        model=self.env[name]._description,
                    )
                ) from error

    def _where(self, model_name, domain, scope):
        """(FROM, WHERE) of ``domain`` on ``model_name`` in the scope's companies, with the
        user's record rules, for set-based SQL. The table's alias is its name."""
        query = self.env[model_name]._search(
            list(domain) + [("company_id", "in", scope.companies.ids)]
        )
        return query.from_clause, query.where_clause

    def _query(self, model_name, domain, scope, select, joins=None, tail=None):
        """Rows of ``SELECT select FROM <model> joins WHERE <domain, rules> tail``."""
        from_clause, where_clause = self._where(model_name, domain, scope)
        joins = SQL() if joins is None else joins
        tail = SQL() if tail is None else tail
        return self.env.execute_query_dict(
            SQL("SELECT %s FROM %s %s WHERE %s %s", select, from_clause, joins, where_clause, tail)
        )

    def _currency_factor(self, scope, currency, company):
        """Rate from ``currency`` (e.g. a contract's) to the report currency."""
        if currency == scope.currency:
            return ONE
        key = (currency.id, company.id)
        if key not in scope.factors:
            scope.factors[key] = to_decimal(
                self.env["res.currency"]._get_conversion_rate(
                    currency, scope.currency, company, scope.today
                )
            )
        return scope.factors[key]
