"""Bill the difference: what the true history owes against what live invoices already cover.

This is Kill Bill's invoice-generator idea (``SubscriptionItemTree``) over plain values:

- A **due** item (:class:`Due`) says what one *charge key* owes according to the contract's true
  history up to the run's cut-off: the *units* it covers (deployment-days, usage records, the
  period of a minimum true-up) and a *price* function giving the amount of any subset of them.
- A **billed** item (:class:`Billed`) is what live invoices already hold for a key: a charge that
  covered units (positive) or a credit that took units back (negative), with its amount.
- :func:`reconcile` returns the :class:`Charge` items to invoice now, so that per key the amount
  billed net of credits equals the price of the due units, and every unit is covered at most
  once. A key no longer due, or units no longer due, are credited; missed or new units are
  charged; a changed price is adjusted. Posted items are never touched: the difference is always
  a new item.

Units are set-like values (``frozenset`` of usage ids, or :class:`DaySet` of deployment-days):
anything with ``|``, ``&``, ``-`` and truthiness. Prices are functions so that a subset (the
days kept after an early end, the usage reported so far) is priced by the same rule as the
whole: included units and bands apply once per key, rounding happens once per key.
"""

from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from .errors import PricingError
from .money import calc_context, to_decimal

_ZERO = Decimal(0)
_ONE_DAY = timedelta(days=1)

# why an item exists
NEW = "new"  # units due and not billed yet (first bill, catch-up, late usage, added agents)
REMOVED = "removed"  # units billed that are no longer due (early end, agents removed)
NOT_DUE = "not_due"  # the whole key is no longer due (price or agent count changed, deleted)
REPRICED = "repriced"  # same units, another amount (e.g. a minimum true-up recomputed)
REASONS = (NEW, REMOVED, NOT_DUE, REPRICED)


class LedgerError(PricingError):
    """Coverage that must never exist: a unit covered twice, or credited while not covered."""


class DaySet:
    """An immutable set of dates stored as sorted, disjoint, non-adjacent inclusive ranges.

    A deployment billed for a year is one range, not 365 dates; set operations cost the number
    of ranges."""

    __slots__ = ("ranges",)

    def __init__(self, ranges=()):
        spans = []
        for start, end in sorted((s, e) for s, e in ranges):
            if not isinstance(start, date) or not isinstance(end, date):
                raise PricingError(f"day ranges need dates, got {start!r} - {end!r}")
            if end < start:
                raise PricingError(f"day range ends {end} before it starts {start}")
            if spans and start <= spans[-1][1] + _ONE_DAY:
                if end > spans[-1][1]:
                    spans[-1] = (spans[-1][0], end)
            else:
                spans.append((start, end))
        self.ranges = tuple(spans)

    @classmethod
    def span(cls, start, end):
        """The days of [start, end] (empty if end < start)."""
        return cls([(start, end)]) if end >= start else cls()

    def __bool__(self):
        return bool(self.ranges)

    def __len__(self):
        return sum((end - start).days + 1 for start, end in self.ranges)

    def __iter__(self):
        for start, end in self.ranges:
            day = start
            while day <= end:
                yield day
                day += _ONE_DAY

    def __contains__(self, day):
        return any(start <= day <= end for start, end in self.ranges)

    def __eq__(self, other):
        return isinstance(other, DaySet) and self.ranges == other.ranges

    def __hash__(self):
        return hash(self.ranges)

    def __repr__(self):
        spans = ", ".join(f"{start.isoformat()}..{end.isoformat()}" for start, end in self.ranges)
        return f"DaySet({spans})"

    def __or__(self, other):
        return DaySet(self.ranges + other.ranges)

    def __and__(self, other):
        result = []
        for start, end in self.ranges:
            for o_start, o_end in other.ranges:
                low, high = max(start, o_start), min(end, o_end)
                if low <= high:
                    result.append((low, high))
        return DaySet(result)

    def __sub__(self, other):
        result = []
        for start, end in self.ranges:
            pieces = [(start, end)]
            for o_start, o_end in other.ranges:
                next_pieces = []
                for p_start, p_end in pieces:
                    if o_end < p_start or o_start > p_end:
                        next_pieces.append((p_start, p_end))
                        continue
                    if o_start > p_start:
                        next_pieces.append((p_start, o_start - _ONE_DAY))
                    if o_end < p_end:
                        next_pieces.append((o_end + _ONE_DAY, p_end))
                pieces = next_pieces
            result += pieces
        return DaySet(result)

    @property
    def first(self):
        return self.ranges[0][0] if self.ranges else None

    @property
    def last(self):
        return self.ranges[-1][1] if self.ranges else None


def _empty_like(units):
    return DaySet() if isinstance(units, DaySet) else frozenset()


def _nothing(units):
    if units:
        raise LedgerError(f"units {units!r} are not due and cannot be priced")
    return _ZERO


@dataclass(frozen=True)
class Due:
    """What key ``key`` owes by the true history: ``units``, priced by ``price(units)``.

    ``price`` must price any subset of ``units`` (rounded to the currency); ``data`` is carried
    to the caller untouched (what it needs to present the line)."""

    key: Hashable
    units: object
    price: Callable
    data: dict = field(default_factory=dict, compare=False)

    @property
    def amount(self):
        return to_decimal(self.price(self.units))


@dataclass(frozen=True)
class Billed:
    """An item on a live invoice: a charge that covered ``units`` (``credit=False``) or a credit
    that took ``units`` back (``credit=True``), of signed ``amount``; ``ref`` is the caller's
    (an invoice line)."""

    key: Hashable
    units: object
    amount: Decimal
    credit: bool = False
    ref: object = None

    def __post_init__(self):
        object.__setattr__(self, "amount", to_decimal(self.amount))


@dataclass(frozen=True)
class Covered:
    """What live items hold for one key: the units covered now and the net amount."""

    units: object
    amount: Decimal
    refs: tuple = ()


@dataclass(frozen=True)
class Charge:
    """An item to invoice now. ``credit`` items take ``units`` back (a negative amount as a rule);
    the others cover ``units``. ``repairs`` are the refs of the billed items a credit corrects;
    ``due`` is the key's :class:`Due` (None when the key is no longer due)."""

    key: Hashable
    units: object
    amount: Decimal
    credit: bool
    reason: str
    due: Due | None = None
    repairs: tuple = ()


def unit_space(key):
    """Where a unit must be unique across keys: a deployment-day once per deployment whatever
    the agent count or price of the key, a usage record once per metric, a true-up once per
    contract and period. Keys are tuples whose first two items name that space."""
    return key[:2] if isinstance(key, tuple) else key


def coverage(billed: Iterable[Billed], space=unit_space):
    """Fold billed items into what each key covers; refuses a unit covered twice (in one key,
    or in two keys of one space) or credited while not covered: what the database refuses."""
    result = {}
    spaces = {}
    for item in billed:
        if not isinstance(item, Billed):
            raise LedgerError(f"billed items must be Billed, got {item!r}")
        current = result.get(item.key)
        units = current.units if current else _empty_like(item.units)
        where = space(item.key)
        taken = spaces.get(where, _empty_like(item.units))
        with calc_context():
            amount = (current.amount if current else _ZERO) + item.amount
        if item.credit:
            missing = item.units - units
            if missing:
                raise LedgerError(
                    f"{item.key!r}: credit {item.ref!r} takes back {missing!r}, which is not "
                    "covered"
                )
            units = units - item.units
            spaces[where] = taken - item.units
        else:
            twice = taken & item.units
            if twice:
                raise LedgerError(
                    f"{item.key!r}: {item.ref!r} covers {twice!r}, which is covered already"
                )
            units = units | item.units
            spaces[where] = taken | item.units
        refs = (current.refs if current else ()) + ((item.ref,) if item.ref is not None else ())
        result[item.key] = Covered(units, amount, refs)
    return result


def reconcile(due: Iterable[Due], billed: Iterable[Billed], window=None, keys=None):
    """The items that make what is billed equal what is due; see the module docstring.

    ``window(key, units) -> units`` limits what may be *added* now: a manual invoice for days
    1-15 bills only those days and leaves the rest of the key to later runs. What is billed and
    no longer due is always credited whole, window or not, so that what a key keeps is always
    priced by its own rule. ``keys`` (a predicate on the key) limits the keys looked at.
    Returns a list of :class:`Charge`, all credits first: a day freed by one key (old agent
    count) can then be covered by another (new count) on the same invoice.
    """
    due_by_key = {}
    for item in due:
        if not isinstance(item, Due):
            raise LedgerError(f"due items must be Due, got {item!r}")
        if item.key in due_by_key:
            raise LedgerError(f"{item.key!r} is due twice")
        due_by_key[item.key] = item
    covered = coverage(billed)
    ordered = list(due_by_key) + [key for key in covered if key not in due_by_key]
    charges = []
    for key in ordered:
        if keys is not None and not keys(key):
            continue
        item = due_by_key.get(key)
        held = covered.get(key)
        held_units = held.units if held else _empty_like(item.units)
        net = held.amount if held else _ZERO
        wanted = item.units if item else _empty_like(held_units)
        price = item.price if item else _nothing
        removed = held_units - wanted
        added = wanted - held_units
        if window is not None and added:
            added = window(key, added) & added
        kept = held_units - removed
        if removed or (not item and net):
            kept_amount = to_decimal(price(kept))
            with calc_context():
                amount = kept_amount - net
            charges.append(
                Charge(
                    key,
                    removed,
                    amount,
                    True,
                    REMOVED if item else NOT_DUE,
                    item,
                    repairs=held.refs if held else (),
                )
            )
            net = kept_amount
        if not item:
            continue
        target = kept | added
        with calc_context():
            difference = to_decimal(price(target)) - net
        if added:
            charges.append(Charge(key, added, difference, False, NEW, item))
        elif difference and kept and window is None:
            # same units, another amount: only a run reprices, a manual invoice leaves it
            charges.append(Charge(key, added, difference, False, REPRICED, item))
    charges.sort(key=lambda charge: not charge.credit)  # stable: key order kept
    return charges
