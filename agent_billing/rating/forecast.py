"""Revenue forecast and its back-test: plain functions over plain values (no Odoo imports).

Not imported by the package's ``__init__``: import it as ``...rating.forecast``.

Vocabulary
----------
month
    A ``date`` on the first day of a calendar month.
service month
    The month an amount pays for. An invoice billing a period of several months counts in each
    of them, in proportion to the part of the month the period covers (:func:`spread_by_month`);
    an invoice without a billing period counts in the month of its invoice date.
recurring revenue
    What deployments bill: agents x monthly rate (after discount), prorated by days in a month
    the deployment only partly covers (:func:`recurring_for_month`).
variable revenue
    Everything else a client's invoices bring (usage, minimum-commitment true-ups, prepaid
    blocks, price differences): for a past month, actual revenue minus recurring revenue. It is
    projected by a least-squares line over the last ``window`` months (:func:`trend`).

Forecast of one client (contract) for a month ``m``, from what is known before ``as_of``:
zero when the contract does not run in ``m`` (a contract whose renewal is expected runs on after
its end date); otherwise ``max(recurring + variable, minimum commitment x covered part of the
month, 0)``, rounded to the currency.

Back-test (:func:`backtest`): each of the given past months ``m`` is forecast from what was known
when ``m`` began (deployments started by its first day, actual revenue of the months before
``m``; the deployments' end dates are taken as recorded today) and
compared with the actual revenue of ``m``. MAPE is the mean of ``|actual - forecast| / |actual|``
over the months whose actual revenue is not zero; months with zero actual revenue cannot be
scored and are returned as skipped.
"""

import calendar
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from .money import calc_context, round_money, to_decimal

ZERO = Decimal(0)
ONE = Decimal(1)
HUNDRED = Decimal(100)
CENT = Decimal("0.01")
DEFAULT_WINDOW = 6


# --- Months -------------------------------------------------------------------------------------
def month_start(day):
    """First day of the month of ``day``."""
    return day.replace(day=1)


def month_end(month):
    """Last day of the month of ``month``."""
    return month.replace(day=calendar.monthrange(month.year, month.month)[1])


def add_months(month, count):
    """The month ``count`` months after ``month`` (before it when negative)."""
    index = month.year * 12 + month.month - 1 + count
    return date(index // 12, index % 12 + 1, 1)


def months_between(first, second):
    """Number of months from ``first`` to ``second`` (negative if ``second`` is earlier)."""
    return (second.year - first.year) * 12 + second.month - first.month


def month_range(first, count):
    """``count`` consecutive months starting with the month of ``first``."""
    first = month_start(first)
    return [add_months(first, k) for k in range(count)]


def coverage(start, end, month):
    """Part of ``month`` (0..1, a Decimal) that [start, end] covers; None bounds are open."""
    last = month_end(month)
    low = month if start is None or start < month else start
    high = last if end is None or end > last else end
    if high < low:
        return ZERO
    if low == month and high == last:
        return ONE
    with calc_context():
        return Decimal((high - low).days + 1) / Decimal(last.day)


# --- Values -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Recurring:
    """A deployment: ``monthly_amount`` for every full month of [start, end] (end None: open)."""

    monthly_amount: Decimal
    start: date
    end: date | None = None

    def __post_init__(self):
        if not isinstance(self.monthly_amount, Decimal):
            object.__setattr__(self, "monthly_amount", to_decimal(self.monthly_amount))
        if self.end is not None and self.end < self.start:
            raise ValueError(f"recurring item ends {self.end} before it starts {self.start}")


@dataclass(frozen=True)
class ClientHistory:
    """What the forecast knows of one client contract.

    ``actuals`` maps service months to the revenue actually invoiced for them; ``minimum`` is
    the minimum commitment per full month; ``start``/``end`` bound the contract (None: open);
    ``renews``: the contract is expected to be renewed, so it runs on after ``end``.
    """

    key: object
    recurring: tuple = ()
    actuals: dict = field(default_factory=dict)
    minimum: Decimal = ZERO
    start: date | None = None
    end: date | None = None
    renews: bool = False

    def __post_init__(self):
        object.__setattr__(self, "recurring", tuple(self.recurring))
        if not isinstance(self.minimum, Decimal):
            object.__setattr__(self, "minimum", to_decimal(self.minimum))
        if self.minimum < 0:
            raise ValueError(f"minimum commitment of {self.key!r} is negative: {self.minimum}")
        given = self.actuals
        if all(
            month.day == 1 and isinstance(amount, Decimal) for month, amount in given.items()
        ):  # already clean: the usual case
            actuals = dict(given)
            by_index = {
                month.year * 12 + month.month - 1: amount for month, amount in given.items()
            }
        else:
            actuals, by_index = {}, {}
            for month, amount in given.items():
                month = month_start(month)
                amount = actuals.get(month, ZERO) + to_decimal(amount)
                actuals[month] = amount
                by_index[month.year * 12 + month.month - 1] = amount
        object.__setattr__(self, "actuals", actuals)
        object.__setattr__(self, "_actuals_by_index", by_index)

    @property
    def effective_end(self):
        """Last day the contract runs, for the forecast (None: open-ended)."""
        return None if self.renews else self.end


@dataclass(frozen=True)
class Forecast:
    months: tuple
    totals: tuple  # rounded, one per month
    by_client: dict  # key -> tuple of rounded amounts, one per month


@dataclass(frozen=True)
class BacktestMonth:
    month: date
    forecast: Decimal
    actual: Decimal
    error_pct: Decimal | None  # None: actual revenue is zero, the month is not scored


@dataclass(frozen=True)
class Backtest:
    months: tuple  # BacktestMonth, oldest first
    mape: Decimal | None  # None: no month could be scored

    @property
    def skipped(self):
        """Months left out of the MAPE because their actual revenue is zero."""
        return tuple(row.month for row in self.months if row.error_pct is None)


# --- Building blocks ----------------------------------------------------------------------------
def spread_by_month(amount, start, end, rounding=CENT):
    """Cut ``amount`` over the months of [start, end] in proportion to the part of each month
    the period covers. Returns [(month, amount)], rounded, summing exactly to ``amount``."""
    amount = to_decimal(amount)
    if end is None or end < start:
        raise ValueError(f"period {start} - {end} is not a date range")
    first, last = month_start(start), month_start(end)
    if first == last:
        return [(first, round_money(amount, rounding))]
    months = []
    month = first
    while month <= last:
        months.append((month, coverage(start, end, month)))
        month = add_months(month, 1)
    total_weight = sum(weight for _month, weight in months)
    rounded_total = round_money(amount, rounding)
    result = []
    given = ZERO
    with calc_context():
        for month, weight in months[:-1]:
            part = round_money(amount * weight / total_weight, rounding)
            result.append((month, part))
            given += part
    result.append((months[-1][0], rounded_total - given))
    return result


def recurring_for_month(items, month, started_by=None, end=None):
    """Recurring revenue of ``month`` (unrounded): each item's monthly amount times the part of
    the month it covers, cut at ``end`` (the contract's); with ``started_by``, only the items
    that started on or before that day count."""
    total = ZERO
    last = month_end(month)
    for item in items:
        if started_by is not None and item.start > started_by:
            continue
        if item.start > last:
            continue
        item_end = item.end
        if end is not None and (item_end is None or item_end > end):
            item_end = end
        if item_end is not None and item_end < month:
            continue
        if item.start <= month and (item_end is None or item_end >= last):
            total += item.monthly_amount
        else:
            share = coverage(item.start, item_end, month)
            with calc_context():
                total += item.monthly_amount * share
    return total


def recurring_between(items, first, last):
    """Recurring revenue of the months ``first``..``last`` (unrounded): the sum of
    :func:`recurring_for_month` over them, counting the full months at once."""
    low, high = _index(first), _index(last)
    total = ZERO
    for item in items:
        first_index = _index(item.start)
        last_index = _index(item.end) if item.end is not None else high
        a, b = max(first_index, low), min(last_index, high)
        if a > b:
            continue
        partial = set()
        if item.start.day != 1 and a == first_index:
            partial.add(first_index)
        if (
            item.end is not None
            and b == last_index
            and item.end.day != calendar.monthrange(item.end.year, item.end.month)[1]
        ):
            partial.add(last_index)
        total += item.monthly_amount * (b - a + 1 - len(partial))
        for index in partial:
            with calc_context():
                total += item.monthly_amount * coverage(item.start, item.end, _month_of(index))
    return total


def trend(values, horizon=1, window=DEFAULT_WINDOW):
    """Least-squares line through the last ``window`` values, read ``horizon`` steps after the
    last one (horizon 1 = the next month). No value: 0; one value: that value."""
    values = [to_decimal(v) for v in values][-window:] if window > 0 else []
    n = len(values)
    if n == 0:
        return ZERO
    if n == 1:
        return values[0]
    with calc_context():
        mean_x = Decimal(n - 1) / 2
        mean_y = sum(values) / n
        sxx = sum((Decimal(x) - mean_x) ** 2 for x in range(n))
        slope = sum((Decimal(x) - mean_x) * (y - mean_y) for x, y in enumerate(values)) / sxx
        return mean_y + slope * (Decimal(n - 1 + horizon) - mean_x)


def mape(pairs):
    """Mean absolute percentage error of (forecast, actual) pairs, in percent; pairs whose actual
    is zero are left out. None when no pair is left."""
    errors = [
        abs(to_decimal(actual) - to_decimal(fc)) / abs(to_decimal(actual)) * HUNDRED
        for fc, actual in pairs
        if to_decimal(actual) != 0
    ]
    if not errors:
        return None
    with calc_context():
        return sum(errors) / len(errors)


# --- Forecast -----------------------------------------------------------------------------------
def _index(day):
    """Month number of ``day`` (year * 12 + month - 1)."""
    return day.year * 12 + day.month - 1


def _month_of(index):
    return date(index // 12, index % 12 + 1, 1)


def _rounder(rounding):
    """round_money for ``rounding``, with a fast path for powers of ten (0.01)."""
    rounding = to_decimal(rounding)
    if rounding > 0 and rounding == ONE.scaleb(rounding.as_tuple().exponent):

        def fast(amount):
            result = amount.quantize(rounding, rounding=ROUND_HALF_UP)
            return result.copy_abs() if result.is_zero() else result

        return fast
    return lambda amount: round_money(amount, rounding)


class _ClientModel:
    """One client's figures over the months ``lo``..``hi`` (month numbers), computed once:
    recurring revenue (all deployments, and those started by each month's first day), and the
    variable revenue of the past months with its running sums, so that the least-squares line
    through any window of them costs a few operations (same result as :func:`trend`)."""

    def __init__(self, client, window, lo, hi, last_actual):
        self.client = client
        self.window = window
        self.lo = lo
        end = client.effective_end
        self.start_index = _index(client.start) if client.start else None
        self.end_index = _index(end) if end else None
        size = hi - lo + 1
        # full months through a difference array; partly covered months added on their own
        steps = [ZERO] * (size + 1)
        partial_all = {}
        partial_new = {}  # months in which a deployment starts after the 1st: not known yet
        for item in client.recurring:
            item_end = item.end
            if end is not None and (item_end is None or item_end > end):
                item_end = end
            if item_end is not None and item_end < item.start:
                continue
            first = _index(item.start)
            last = _index(item_end) if item_end is not None else hi
            a, b = max(first, lo), min(last, hi)
            if a > b:
                continue
            amount = item.monthly_amount
            partial = set()
            if item.start.day != 1 and a == first:
                partial.add(first)
            if (
                item_end is not None
                and b == last
                and item_end.day != calendar.monthrange(item_end.year, item_end.month)[1]
            ):
                partial.add(last)
            steps[a - lo] += amount
            steps[b - lo + 1] -= amount
            for index in partial:
                value = amount * coverage(item.start, item_end, _month_of(index)) - amount
                partial_all[index] = partial_all.get(index, ZERO) + value
            if first in partial:
                partial_new[first] = partial_new.get(first, ZERO) + amount * coverage(
                    item.start, item_end, _month_of(first)
                )
        rec_all = []
        running = ZERO
        for x in range(size):
            running += steps[x]
            rec_all.append(running + partial_all[lo + x] if lo + x in partial_all else running)
        rec_known = rec_all
        if partial_new:
            rec_known = list(rec_all)
            for index, value in partial_new.items():
                rec_known[index - lo] -= value
        self.rec_all = rec_all
        self.rec_known = rec_known
        # variable revenue of the months lo..last_actual, and its running sums
        actuals = client._actuals_by_index
        sum_y, sum_xy = [ZERO], [ZERO]
        for x in range(0, min(last_actual, hi) - lo + 1):
            y = actuals.get(lo + x, ZERO) - rec_all[x]
            sum_y.append(sum_y[-1] + y)
            sum_xy.append(sum_xy[-1] + x * y)
        self.sum_y = sum_y
        self.sum_xy = sum_xy
        self._lines = {}

    def _line(self, as_of):
        """(mean, slope / 2, 2 x mean x) of the least-squares line (slope None: a constant).

        slope = (sum xy - mean x sum y) / sxx with sxx = n (n^2 - 1) / 12, written with
        twice the mean x (an integer) so that it takes a single division."""
        low = as_of - self.window
        if self.start_index is not None and self.start_index > low:
            low = self.start_index
        low -= self.lo
        high = as_of - self.lo  # exclusive
        n = high - low
        if n <= 0:
            return ZERO, None, None
        sum_y = self.sum_y[high] - self.sum_y[low]
        if n == 1:
            return sum_y, None, None
        sum_xy = self.sum_xy[high] - self.sum_xy[low]
        twice_mean_x = low + high - 1
        half_slope = (2 * sum_xy - twice_mean_x * sum_y) * 3 / (n * (n * n - 1))
        return sum_y / n, half_slope, twice_mean_x

    def amount(self, index, as_of, known_only):
        """Forecast of month ``index`` from the actuals before month ``as_of``; with
        ``known_only``, from the deployments started by the month's first day."""
        if (self.start_index is not None and self.start_index > index) or (
            self.end_index is not None and self.end_index < index
        ):
            return ZERO
        line = self._lines.get(as_of)
        if line is None:
            line = self._lines[as_of] = self._line(as_of)
        mean_y, half_slope, twice_mean_x = line
        amount = (self.rec_known if known_only else self.rec_all)[index - self.lo] + mean_y
        if half_slope is not None:
            amount += half_slope * (2 * (index - self.lo) - twice_mean_x)
        minimum = self.client.minimum
        if minimum:
            if index == self.start_index or index == self.end_index:
                minimum *= coverage(self.client.start, self.client.effective_end, _month_of(index))
            if minimum > amount:
                amount = minimum
        return amount if amount > 0 else ZERO


def _models(clients, window, lo, hi, last_actual):
    """Each client's model in turn: one at a time, so that their many small objects die young
    (a long-lived heap of them would cost full garbage collections of the whole process)."""
    for client in clients:
        yield _ClientModel(client, window, lo, hi, last_actual)


def forecast(clients, months, as_of=None, window=DEFAULT_WINDOW, rounding=CENT):
    """Forecast every client for ``months`` from the actuals of the months before ``as_of``
    (default: the first forecast month) and every deployment known today (also those starting
    later)."""
    months = tuple(month_start(m) for m in months)
    if not months:
        return Forecast((), (), {})
    as_of = month_start(as_of) if as_of else months[0]
    if months[0] < as_of:
        raise ValueError(f"cannot forecast {months[0]} from data up to {as_of}: it is known")
    as_of_index = _index(as_of)
    indexes = [_index(m) for m in months]
    round_ = _rounder(rounding)
    by_client = {}
    totals = [ZERO] * len(months)
    with calc_context():
        for model in _models(clients, window, as_of_index - window, max(indexes), as_of_index - 1):
            amounts = tuple(round_(model.amount(i, as_of_index, False)) for i in indexes)
            by_client[model.client.key] = amounts
            for k, amount in enumerate(amounts):
                totals[k] += amount
    return Forecast(months, tuple(totals), by_client)


def actual_total(clients, month, rounding=CENT):
    """Actual revenue of ``month`` over all clients."""
    month = month_start(month)
    return round_money(sum((c.actuals.get(month, ZERO) for c in clients), ZERO), rounding)


def backtest(clients, months, window=DEFAULT_WINDOW, rounding=CENT):
    """Forecast each of ``months`` from what was known when it began and compare with its
    actual revenue (see the module's docstring)."""
    return forecast_and_backtest(clients, (), months, window, rounding)[1]


def forecast_and_backtest(clients, ahead, tested, window=DEFAULT_WINDOW, rounding=CENT):
    """(:func:`forecast` of the months ``ahead`` from the actuals before the first of them,
    :func:`backtest` of the months ``tested``), in one pass over ``clients`` (any iterable:
    each client is used once, then can be dropped)."""
    ahead = tuple(month_start(m) for m in ahead)
    tested = sorted({month_start(m) for m in tested})
    indexes = [_index(m) for m in ahead]
    test_indexes = [_index(m) for m in tested]
    as_of = indexes[0] if indexes else None
    starts = test_indexes + ([as_of] if as_of is not None else [])
    if not starts:
        return Forecast((), (), {}), Backtest((), None)
    lo = min(starts) - window
    hi = max(indexes + test_indexes)
    last_actual = max([as_of - 1 if as_of is not None else lo] + test_indexes)
    round_ = _rounder(rounding)
    by_client = {}
    totals = [ZERO] * len(ahead)
    tested_totals = [ZERO] * len(tested)
    actuals = [ZERO] * len(tested)
    with calc_context():
        for model in _models(clients, window, lo, hi, last_actual):
            if indexes:
                amounts = tuple(round_(model.amount(i, as_of, False)) for i in indexes)
                by_client[model.client.key] = amounts
                for k, amount in enumerate(amounts):
                    totals[k] += amount
            by_index = model.client._actuals_by_index
            for k, index in enumerate(test_indexes):
                tested_totals[k] += round_(model.amount(index, index, True))
                actuals[k] += by_index.get(index, ZERO)
        rows = []
        for month, fc, actual in zip(tested, tested_totals, actuals, strict=True):
            actual = round_money(actual, rounding)
            error = abs(actual - fc) / abs(actual) * HUNDRED if actual != 0 else None
            rows.append(BacktestMonth(month, fc, actual, error))
        scored = [row.error_pct for row in rows if row.error_pct is not None]
        score = sum(scored) / len(scored) if scored else None
    return Forecast(ahead, tuple(totals), by_client), Backtest(tuple(rows), score)
