"""Rate one client for one billing period: invoice lines from deployments and usage."""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal
from fractions import Fraction

from .charges import UsagePrice, package_count, usage_charge
from .errors import PricingError
from .money import (
    calc_context,
    digits_to_rounding,
    fraction_to_decimal,
    is_multiple_of,
    round_money,
    to_decimal,
)
from .prepaid import PrepaidBalance, PrepaidPool
from .proration import active_days, proration_fraction

BILLING_MODELS = ("per_agent", "usage", "contract")
PRICE_SOURCES = ("override", "tier", "catalog")
_ZERO = Decimal(0)
_ONE = Decimal(1)
_HUNDRED = Decimal(100)


def _set(obj, name, value):
    object.__setattr__(obj, name, value)


def _decimal_field(obj, name, *, optional=False, non_negative=True):
    value = getattr(obj, name)
    if value is None and optional:
        return None
    try:
        value = to_decimal(value)
    except (TypeError, ValueError) as exc:
        raise PricingError(f"{name}: {exc}") from None
    if non_negative and value < 0:
        raise PricingError(f"{name} must not be negative, got {value}")
    _set(obj, name, value)
    return value


def resolve_price(catalog, tier=None, override=None):
    """Pick override, else tier, else catalog; return (price, source)."""
    if override is not None:
        return to_decimal(override), "override"
    if tier is not None:
        return to_decimal(tier), "tier"
    return to_decimal(catalog), "catalog"


@dataclass(frozen=True)
class DeploymentInput:
    """``agents`` agents of ``agent_type`` deployed from ``start`` to ``end`` (inclusive)."""

    ref: object
    agent_type: object
    agents: int
    start: date
    end: date | None

    def __post_init__(self):
        for name in ("start", "end"):
            value = getattr(self, name)
            if isinstance(value, datetime):
                _set(self, name, value.date())
        if isinstance(self.agents, bool) or not isinstance(self.agents, int) or self.agents <= 0:
            raise PricingError(
                f"deployment {self.ref!r}: agents must be a positive integer, got {self.agents!r}"
            )
        if not isinstance(self.start, date):
            raise PricingError(f"deployment {self.ref!r}: start must be a date")
        if self.end is not None:
            if not isinstance(self.end, date):
                raise PricingError(f"deployment {self.ref!r}: end must be a date or None")
            if self.end < self.start:
                raise PricingError(
                    f"deployment {self.ref!r}: end {self.end} is before start {self.start}"
                )


@dataclass(frozen=True)
class UsageInput:
    """A usage quantity of ``metric`` (negative quantities are corrections)."""

    ref: object
    metric: object
    quantity: Decimal
    agent_type: object = None
    day: date | None = None
    prepaid_metric: object = None  # what prepaid blocks cover (default: ``metric``)

    def __post_init__(self):
        _decimal_field(self, "quantity", non_negative=False)
        if isinstance(self.day, datetime):
            _set(self, "day", self.day.date())


@dataclass(frozen=True)
class AgentRate:
    """Monthly price of one agent: catalog, optional tier and client override."""

    catalog: Decimal
    tier: Decimal | None = None
    override: Decimal | None = None

    def __post_init__(self):
        _decimal_field(self, "catalog")
        _decimal_field(self, "tier", optional=True)
        _decimal_field(self, "override", optional=True)


@dataclass(frozen=True)
class MetricPrice:
    """Price of a metric; ``override`` is a plain per-unit price."""

    catalog: UsagePrice
    tier: UsagePrice | None = None
    override: Decimal | None = None

    def __post_init__(self):
        if not isinstance(self.catalog, UsagePrice):
            raise PricingError(f"catalog must be a UsagePrice, got {self.catalog!r}")
        if self.tier is not None and not isinstance(self.tier, UsagePrice):
            raise PricingError(f"tier must be a UsagePrice or None, got {self.tier!r}")
        _decimal_field(self, "override", optional=True)

    def resolve(self):
        """Return (UsagePrice, source) following override > tier > catalog."""
        base = self.catalog if self.tier is None else self.tier
        if self.override is not None:
            price = UsagePrice(unit_price=self.override, included_units=base.included_units)
            return price, "override"
        return base, "catalog" if self.tier is None else "tier"


@dataclass(frozen=True)
class ClientTerms:
    """Commercial terms of a client; ``minimum_commitment`` is per month.

    ``price_digits`` and ``quantity_digits`` are the Odoo precisions of the invoice line's
    price_unit ("Product Price") and quantity ("Product Unit of Measure").
    """

    billing_model: str
    agent_rates: Mapping = field(default_factory=dict)
    metric_prices: Mapping = field(default_factory=dict)
    minimum_commitment: Decimal = _ZERO
    discount_percent: Decimal = _ZERO
    contract_start: date | None = None
    contract_end: date | None = None
    rounding: Decimal = Decimal("0.01")
    price_digits: int = 2
    quantity_digits: int = 2

    def __post_init__(self):
        if self.billing_model not in BILLING_MODELS:
            raise PricingError(
                f"unknown billing model {self.billing_model!r}; "
                f"expected one of {', '.join(BILLING_MODELS)}"
            )
        _decimal_field(self, "minimum_commitment")
        discount = _decimal_field(self, "discount_percent", non_negative=False)
        if not 0 <= discount <= 100:
            raise PricingError(f"discount percent must be between 0 and 100, got {discount}")
        if _decimal_field(self, "rounding") <= 0:
            raise PricingError(f"rounding must be positive, got {self.rounding}")
        for name in ("price_digits", "quantity_digits"):
            digits = getattr(self, name)
            if isinstance(digits, bool) or not isinstance(digits, int) or digits < 0:
                raise PricingError(f"{name} must be a non-negative integer, got {digits!r}")
        start, end = self.contract_start, self.contract_end
        if start is not None and end is not None and end < start:
            raise PricingError(f"contract end {end} is before contract start {start}")


@dataclass(frozen=True)
class Line:
    """One invoice line; ``amount`` is what Odoo computes for quantity x price with discount."""

    kind: str
    key: object
    refs: tuple
    description_data: dict
    quantity: Decimal
    unit_price: Decimal
    discount_percent: Decimal
    amount: Decimal
    price_source: str


@dataclass(frozen=True)
class Rating:
    """Lines of one client for one period; ``total`` is the sum of line amounts."""

    lines: tuple[Line, ...]
    total: Decimal


def invoice_total(lines):
    """Sum of line amounts."""
    with calc_context():
        return sum((line.amount for line in lines), _ZERO)


def _sort_key(value):
    """Deterministic ordering for keys that may not be mutually comparable."""
    kind = type(value)
    if isinstance(value, int | Decimal | float | str | date) and not isinstance(value, bool):
        return (kind.__module__, kind.__qualname__, value)
    return (kind.__module__, kind.__qualname__, repr(value))


def _present(quantity, natural_price, exact, discount, terms):
    """Return (quantity, unit_price, amount) as an Odoo invoice line would compute them."""
    price_step = digits_to_rounding(terms.price_digits)
    quantity_step = digits_to_rounding(terms.quantity_digits)
    if is_multiple_of(natural_price, price_step) and is_multiple_of(quantity, quantity_step):
        unit_price = fraction_to_decimal(Fraction(natural_price)).quantize(price_step)
    else:
        quantity, unit_price = _ONE, round_money(exact, price_step)
    with calc_context():
        gross = quantity * unit_price * (_ONE - discount / _HUNDRED)
    return quantity, unit_price, round_money(gross, terms.rounding)


def _agent_lines(terms, deployments, period_start, period_end, discount):
    active = []
    for dep in deployments:
        days = active_days(dep.start, dep.end, period_start, period_end)
        if days:
            active.append((dep, days))
    active.sort(key=lambda item: (_sort_key(item[0].agent_type), item[0].start))
    period_days = (period_end - period_start).days + 1
    lines = []
    for dep, days in active:
        try:
            rate = terms.agent_rates[dep.agent_type]
        except KeyError:
            raise PricingError(f"no rate for agent type {dep.agent_type!r}") from None
        price, source = resolve_price(rate.catalog, rate.tier, rate.override)
        factor = proration_fraction(dep.start, dep.end, period_start, period_end)
        unit = Fraction(price) * factor
        exact = fraction_to_decimal(unit * dep.agents)
        quantity, unit_price, amount = _present(Decimal(dep.agents), unit, exact, discount, terms)
        data = {
            "agent_type": dep.agent_type,
            "agents": dep.agents,
            "days": days,
            "days_in_period": period_days,
            "monthly_rate": price,
            "factor": fraction_to_decimal(factor),
            "start": max(dep.start, period_start),
            "end": period_end if dep.end is None else min(dep.end, period_end),
            "exact_amount": exact,
            "source": source,
        }
        lines.append(
            Line(
                kind="agents",
                key=dep.agent_type,
                refs=(dep.ref,),
                description_data=data,
                quantity=quantity,
                unit_price=unit_price,
                discount_percent=discount,
                amount=amount,
                price_source=source,
            )
        )
    return lines


def included_shares(usages, totals, group_of, included):
    """Included units per usage key, granted once per group (the metric) and period whatever
    price slices (client overrides valid for part of the period) the usage falls in: to the
    earliest usage first, never more than a key's own (net) quantity.

    ``totals`` {key: net quantity}; ``group_of`` {key: group}; ``included`` {key: the included
    units its price grants} (a group grants the largest of its keys')."""
    granted = {}
    for key, units in included.items():
        granted[group_of[key]] = max(granted.get(group_of[key], _ZERO), units)
    shares = dict.fromkeys(totals, _ZERO)
    room = {key: max(total, _ZERO) for key, total in totals.items()}
    ordered = sorted(
        (u for u in usages if u.quantity > 0), key=lambda u: (u.day is not None, u.day or date.min)
    )
    with calc_context():
        for usage in ordered:
            group = group_of[usage.metric]
            take = min(granted[group], usage.quantity, room[usage.metric] - shares[usage.metric])
            if take > 0:
                shares[usage.metric] += take
                granted[group] -= take
        # what corrections left unused goes to the group's other keys that have room
        for key in sorted(totals, key=_sort_key):
            take = min(granted[group_of[key]], room[key] - shares[key])
            if take > 0:
                shares[key] += take
                granted[group_of[key]] -= take
    return shares


def _usage_lines(terms, usages, discount, pools):
    totals = {}
    refs = {}
    events = {}
    with calc_context():
        for usage in usages:
            totals[usage.metric] = totals.get(usage.metric, _ZERO) + usage.quantity
            refs.setdefault(usage.metric, []).append(usage.ref)
            events.setdefault(usage.metric, []).append((usage.day, usage.quantity))
    prepaid_metric = {
        usage.metric: usage.metric if usage.prepaid_metric is None else usage.prepaid_metric
        for usage in usages
    }
    resolved = {}
    for metric in totals:
        try:
            resolved[metric] = terms.metric_prices[metric].resolve()
        except KeyError:
            raise PricingError(f"no price for metric {metric!r}") from None
    shares = included_shares(
        usages,
        totals,
        prepaid_metric,
        {key: price.included_units for key, (price, _s) in resolved.items()},
    )
    lines = []
    for metric in sorted(totals, key=_sort_key):
        price, source = resolved[metric]
        price = replace(price, included_units=shares[metric])
        total = totals[metric]
        if total < 0:
            raise PricingError(f"usage of metric {metric!r} is negative ({total})")
        pool = pools.get(prepaid_metric[metric])
        consumed = pool.allocate(events[metric], price.included_units) if pool else []
        prepaid_lines = [
            Line(
                kind="prepaid",
                key=(metric, block.ref),
                refs=(),
                description_data={
                    "metric": metric,
                    "block": block.ref,
                    "covered": covered,
                    "remaining": remaining,
                    "expiry": block.end,
                },
                quantity=covered,
                unit_price=_ZERO,
                discount_percent=_ZERO,
                amount=_ZERO,
                price_source="prepaid",
            )
            for block, covered, remaining in consumed
        ]
        with calc_context():
            total -= sum((covered for _b, covered, _r in consumed), _ZERO)
        if prepaid_lines and total == 0:
            # all of it prepaid: the usage records belong to the (first) prepaid line
            first = prepaid_lines[0]
            prepaid_lines[0] = replace(first, refs=tuple(refs[metric]))
            lines += prepaid_lines
            continue
        charge = usage_charge(price, total)
        data = {
            "metric": metric,
            "quantity": charge.quantity,
            "included": charge.included,
            "billable": charge.billable,
            "bands": charge.bands,
            "model": price.model,
            "tariff_unit_price": price.unit_price,
            "charge": charge,
            "source": source,
        }
        if charge.billable == 0:
            quantity, unit_price, amount = charge.quantity, _ZERO, _ZERO
        else:
            if price.model == "standard":
                natural = (charge.billable, price.unit_price)
            elif price.model == "package":
                packages = package_count(charge.billable, price.package_size)
                data["packages"] = packages
                data["package_size"] = price.package_size
                natural = (packages, price.unit_price)
            else:
                natural = (charge.billable, Fraction(charge.amount) / Fraction(charge.billable))
            quantity, unit_price, amount = _present(*natural, charge.amount, discount, terms)
        lines.append(
            Line(
                kind="usage",
                key=metric,
                refs=tuple(refs[metric]),
                description_data=data,
                quantity=quantity,
                unit_price=unit_price,
                discount_percent=discount,
                amount=amount,
                price_source=source,
            )
        )
        lines += prepaid_lines
    return lines


def _minimum_line(terms, lines, period_start, period_end):
    start = terms.contract_start or period_start
    if terms.contract_end is not None and terms.contract_end < start:
        return None
    factor = proration_fraction(start, terms.contract_end, period_start, period_end)
    exact = fraction_to_decimal(Fraction(terms.minimum_commitment) * factor)
    minimum = round_money(exact, terms.rounding)
    subtotal = invoice_total(lines)
    if subtotal >= minimum:
        return None
    with calc_context():
        difference = minimum - subtotal
    _quantity, unit_price, amount = _present(_ONE, difference, difference, _ZERO, terms)
    data = {
        "minimum_commitment": terms.minimum_commitment,
        "factor": fraction_to_decimal(factor),
        "minimum_for_period": minimum,
        "subtotal": subtotal,
        "contract_start": terms.contract_start,
        "contract_end": terms.contract_end,
    }
    return Line(
        kind="minimum",
        key=None,
        refs=(),
        description_data=data,
        quantity=_ONE,
        unit_price=unit_price,
        discount_percent=_ZERO,
        amount=amount,
        price_source="contract",
    )


def rate_client(
    terms: ClientTerms,
    deployments: Iterable[DeploymentInput],
    usages: Iterable[UsageInput],
    period_start: date,
    period_end: date,
    prepaid: Iterable[PrepaidBalance] = (),
) -> Rating:
    """Rate a client's deployments and usage for [period_start, period_end].

    ``prepaid`` blocks cover usage (after included units) before it is charged: a usage line
    is charged for what they leave, and each block used adds a zero-amount "prepaid" line
    with the units it covered and its remaining balance.
    """
    if not isinstance(terms, ClientTerms):
        raise PricingError(f"terms must be ClientTerms, got {terms!r}")
    if period_end < period_start:
        raise PricingError(f"period end {period_end} is before period start {period_start}")
    model = terms.billing_model
    discount = terms.discount_percent if model == "contract" else _ZERO
    lines = []
    if model in ("per_agent", "contract"):
        lines += _agent_lines(terms, list(deployments), period_start, period_end, discount)
    if model in ("usage", "contract"):
        by_metric = {}
        for balance in prepaid:
            if not isinstance(balance, PrepaidBalance):
                raise PricingError(f"prepaid must hold PrepaidBalance, got {balance!r}")
            by_metric.setdefault(balance.metric, []).append(balance)
        pools = {metric: PrepaidPool(blocks) for metric, blocks in by_metric.items()}
        lines += _usage_lines(terms, list(usages), discount, pools)
    if model == "contract" and terms.minimum_commitment > 0:
        minimum = _minimum_line(terms, lines, period_start, period_end)
        if minimum is not None:
            lines.append(minimum)
    return Rating(tuple(lines), invoice_total(lines))
