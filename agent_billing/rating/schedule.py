"""What a contract's true history owes, as :class:`~.ledger.Due` items (the "proposed" side).

Three kinds of charge key, each with the units it covers:

- agents: ``("agents", deployment, period_start, agents, monthly_rate, price_ref)`` covering
  deployment-days (:class:`~.ledger.DaySet`) of one billing period. A change of agent count or
  price makes another key, so what was billed at the old terms is credited whole and billed again
  at the new ones; an early end or a later start only removes or adds days.
- usage: ``("usage", metric, period_start)`` covering usage records; included units and bands
  apply once per metric and period, across price slices (overrides valid for part of it).
- minimum: ``("minimum", contract, period_start)``: the true-up of a minimum commitment,
  computed from what the period's other keys are due.

Amounts are rounded once per key, so a key billed in pieces (days 1-15, then 16-30; usage
reported late) nets to the same amount as when billed at once.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction

from .charges import UsagePrice, usage_charge
from .errors import PricingError
from .ledger import DaySet, Due
from .money import calc_context, fraction_to_decimal, round_money, to_decimal
from .proration import period_bounds, proration_fraction

_ZERO = Decimal(0)
_HUNDRED = Decimal(100)
_ONE_DAY = timedelta(days=1)


@dataclass(frozen=True)
class AgentSpan:
    """``agents`` agents of deployment ``ref`` from ``start`` to ``end`` (inclusive; None: open)
    at ``monthly_rate`` per agent and month, the price already resolved (override > tier >
    catalog); ``price_ref`` names where it came from and is part of the key."""

    ref: object
    start: date
    end: date | None
    agents: int
    monthly_rate: Decimal
    price_ref: object = None
    data: dict = field(default_factory=dict, compare=False)

    def __post_init__(self):
        object.__setattr__(self, "monthly_rate", to_decimal(self.monthly_rate))
        if isinstance(self.agents, bool) or not isinstance(self.agents, int) or self.agents <= 0:
            raise PricingError(f"deployment {self.ref!r}: agents must be a positive integer")
        if self.end is not None and self.end < self.start:
            raise PricingError(f"deployment {self.ref!r}: ends {self.end} before {self.start}")
        if self.monthly_rate < 0:
            raise PricingError(f"deployment {self.ref!r}: negative rate {self.monthly_rate}")


@dataclass(frozen=True)
class UsageRecord:
    """One usage record: ``quantity`` of ``metric`` on ``day``; ``slice`` is the price slice
    (e.g. the override valid that day; None: the contract's own price)."""

    ref: object
    metric: object
    day: date
    quantity: Decimal
    slice: object = None

    def __post_init__(self):
        object.__setattr__(self, "quantity", to_decimal(self.quantity))


def periods(first, last, cycle):
    """The billing periods [(start, end)] of ``cycle`` that meet [first, last]."""
    result = []
    cursor = first
    while cursor <= last:
        start, end = period_bounds(cursor, cycle)
        result.append((start, end))
        cursor = end + _ONE_DAY
    return result


def days_fraction(days):
    """Months (exact) that ``days`` (a DaySet) make: each day weighs 1 / days of its month."""
    total = Fraction(0)
    for start, end in days.ranges:
        total += proration_fraction(start, end, start, end)
    return total


def agent_price(monthly_rate, agents, discount_percent, rounding):
    """Amount of any set of days of one agent key: rate x agents x months, less the discount,
    rounded once."""
    factor = (
        Fraction(to_decimal(monthly_rate))
        * agents
        * (1 - Fraction(to_decimal(discount_percent)) / 100)
    )
    rounding = to_decimal(rounding)

    def price(days):
        if not days:
            return _ZERO
        return round_money(fraction_to_decimal(factor * days_fraction(days)), rounding)

    return price


def present_agents(
    monthly_rate,
    agents,
    days,
    discount_percent,
    *,
    price_digits=2,
    quantity_digits=2,
    rounding=Decimal("0.01"),
):
    """(quantity, unit price, discount, amount) of an invoice line billing ``agents`` agents
    for ``days`` at ``monthly_rate``, as Odoo computes it: ``agents`` x the prorated price when
    that price is a whole number of price steps, else 1 x the exact amount; the discount on
    top, the amount rounded once."""
    from .pricing import _present  # noqa: PLC0415  (one presentation rule for both engines)

    discount = to_decimal(discount_percent)
    unit = Fraction(to_decimal(monthly_rate)) * days_fraction(days)
    exact = fraction_to_decimal(unit * agents)
    terms = _Presentation(price_digits, quantity_digits, to_decimal(rounding))
    quantity, unit_price, amount = _present(Decimal(agents), unit, exact, discount, terms)
    return quantity, unit_price, discount, amount


@dataclass(frozen=True)
class _Presentation:
    price_digits: int
    quantity_digits: int
    rounding: Decimal


def presented_agent_price(monthly_rate, agents, discount_percent, **presentation):
    """Price function of an agent key: the amount of its invoice line for any set of days."""

    def price(days):
        if not days:
            return _ZERO
        return present_agents(monthly_rate, agents, days, discount_percent, **presentation)[3]

    return price


def agent_dues(
    spans: Iterable[AgentSpan],
    cycle,
    until,
    *,
    contract_start=None,
    contract_end=None,
    discount_percent=_ZERO,
    rounding=Decimal("0.01"),
    price=None,
):
    """Due items of deployments, per billing period, for days up to ``until`` (inclusive)
    and inside the contract. ``price(monthly_rate, agents)`` makes a key's price function
    (default: exact proration less the discount, rounded once)."""
    by_key = {}
    for span in spans:
        start = max(span.start, contract_start) if contract_start else span.start
        ends = [d for d in (span.end, contract_end, until) if d is not None]
        end = min(ends)
        if end < start:
            continue
        for period_start, period_end in periods(start, end, cycle):
            days = DaySet.span(max(start, period_start), min(end, period_end))
            key = ("agents", span.ref, period_start, span.agents, span.monthly_rate, span.price_ref)
            if key in by_key:
                days = by_key[key][0] | days
            by_key[key] = (days, span, period_end)
    if price is None:

        def price(monthly_rate, agents):
            return agent_price(monthly_rate, agents, discount_percent, rounding)

    return [
        Due(
            key,
            days,
            price(span.monthly_rate, span.agents),
            {"kind": "agents", "span": span, "period": (key[2], period_end)},
        )
        for key, (days, span, period_end) in by_key.items()
    ]


def usage_amount(records, base_price: UsagePrice, slice_prices, discount_percent=_ZERO):
    """Exact amount of some usage records of one metric and period.

    Included units of ``base_price`` are used once, by the earliest records; units in a slice
    with its own price (``slice_prices[slice]``, a per-unit price) are charged at it, the rest
    by ``base_price``'s model over their cumulated quantity, so bands count the period once."""
    ordered = sorted(records, key=lambda r: (r.day, repr(r.ref)))
    with calc_context():
        total = sum((r.quantity for r in ordered), _ZERO)
        if total < 0:
            raise PricingError(f"usage is negative ({total})")
        included = min(total, base_price.included_units)
        left = included
        own = _ZERO
        flat = _ZERO
        for record in ordered:
            quantity = record.quantity
            take = min(left, quantity) if quantity > 0 else _ZERO
            left -= take
            billable = quantity - take
            if record.slice is not None and record.slice in slice_prices:
                flat += billable * to_decimal(slice_prices[record.slice])
            else:
                own += billable
        own = max(own, _ZERO)
        amount = (
            usage_charge(
                UsagePrice(
                    model=base_price.model,
                    unit_price=base_price.unit_price,
                    bands=base_price.bands,
                    package_size=base_price.package_size,
                ),
                own,
            ).amount
            + flat
        )
        return amount * (1 - to_decimal(discount_percent) / _HUNDRED)


def usage_dues(
    records: Iterable[UsageRecord],
    cycle,
    until,
    *,
    price_for: Callable,
    slice_prices=None,
    discount_percent=_ZERO,
    rounding=Decimal("0.01"),
):
    """Due items of usage records dated up to ``until``, per metric and billing period.

    ``price_for(metric, period_start)`` gives the metric's UsagePrice for that period (the tier
    rate effective then); ``slice_prices`` maps a slice to its per-unit price."""
    slice_prices = slice_prices or {}
    rounding = to_decimal(rounding)
    groups = {}
    for record in records:
        if record.day > until:
            continue
        period_start, period_end = period_bounds(record.day, cycle)
        groups.setdefault(("usage", record.metric, period_start), (period_end, {}))[1][
            record.ref
        ] = record
    dues = []
    for key, (period_end, by_ref) in groups.items():
        base = price_for(key[1], key[2])

        def price(units, by_ref=by_ref, base=base):
            if not units:
                return _ZERO
            try:
                chosen = [by_ref[ref] for ref in units]
            except KeyError as exc:
                raise PricingError(f"usage record {exc.args[0]!r} is not due") from None
            return round_money(usage_amount(chosen, base, slice_prices, discount_percent), rounding)

        dues.append(
            Due(
                key,
                frozenset(by_ref),
                price,
                {"kind": "usage", "period": (key[2], period_end), "price": base},
            )
        )
    return dues


def minimum_dues(
    contract,
    minimum_per_month,
    dues,
    cycle,
    *,
    contract_start,
    contract_end,
    until,
    rounding=Decimal("0.01"),
):
    """True-up items of a monthly minimum commitment, per billing period fully past ``until``:
    what the period's other dues leave below the (prorated) minimum."""
    minimum_per_month = to_decimal(minimum_per_month)
    if minimum_per_month <= 0:
        return []
    by_period = {}
    for item in dues:
        period = item.data.get("period")
        if period:
            with calc_context():
                by_period[period[0]] = by_period.get(period[0], _ZERO) + item.amount
    result = []
    last = min(d for d in (contract_end, until) if d is not None)
    if last < contract_start:
        return []
    for period_start, period_end in periods(contract_start, last, cycle):
        if period_end > until and (contract_end is None or contract_end > until):
            continue  # the period is not over: its usage is not all in yet
        factor = proration_fraction(contract_start, contract_end, period_start, period_end)
        minimum = round_money(fraction_to_decimal(Fraction(minimum_per_month) * factor), rounding)
        with calc_context():
            gap = minimum - by_period.get(period_start, _ZERO)
        if gap <= 0:
            continue
        result.append(
            Due(
                ("minimum", contract, period_start),
                frozenset([period_start]),
                lambda units, gap=gap: gap if units else _ZERO,
                {"kind": "minimum", "period": (period_start, period_end), "minimum": minimum},
            )
        )
    return result
