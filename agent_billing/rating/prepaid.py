"""Prepaid blocks (retainers): usage consumes a client's prepaid units before it is charged."""

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from .errors import PricingError
from .money import calc_context, to_decimal

_ZERO = Decimal(0)


@dataclass(frozen=True)
class PrepaidBalance:
    """``balance`` units of ``metric`` left on block ``ref``, usable from ``start`` to ``end``
    (inclusive; None: no bound)."""

    ref: object
    metric: object
    balance: Decimal
    start: date | None = None
    end: date | None = None

    def __post_init__(self):
        try:
            balance = to_decimal(self.balance)
        except (TypeError, ValueError) as exc:
            raise PricingError(f"prepaid block {self.ref!r}: balance: {exc}") from None
        if balance < 0:
            raise PricingError(f"prepaid block {self.ref!r}: negative balance {balance}")
        object.__setattr__(self, "balance", balance)
        for name in ("start", "end"):
            value = getattr(self, name)
            if isinstance(value, datetime):
                object.__setattr__(self, name, value.date())
        if self.start and self.end and self.end < self.start:
            raise PricingError(f"prepaid block {self.ref!r}: expires before it starts")

    def covers(self, day):
        if day is None:
            return True
        return (self.start is None or self.start <= day) and (self.end is None or day <= self.end)


class PrepaidPool:
    """The blocks of one metric, consumed earliest expiry first, as rating goes."""

    def __init__(self, balances):
        self.entries = [[b, b.balance] for b in sorted(balances, key=_pool_order)]

    def allocate(self, events, included):
        """Cover ``events`` [(date or None, quantity)] of one priced metric.

        Included units are used first (in date order), then each positive event takes units
        from the first block valid on its day; corrections (negative quantities) reduce what
        is left to charge, and units no longer needed go back to the blocks last used.
        Returns [(PrepaidBalance, covered, remaining after)] in consumption order.
        """
        covered = {}
        included_left = to_decimal(included)
        with calc_context():
            total = sum((q for _d, q in events), _ZERO)
            for day, quantity in sorted(
                (e for e in events if e[1] > 0), key=lambda e: (e[0] is not None, e[0] or date.min)
            ):
                take = min(included_left, quantity)
                included_left -= take
                rest = quantity - take
                for index, entry in enumerate(self.entries):
                    if rest <= 0:
                        break
                    block, left = entry
                    if left > 0 and block.covers(day):
                        use = min(rest, left)
                        entry[1] = left - use
                        rest -= use
                        covered[index] = covered.get(index, _ZERO) + use
            # never cover more than what is billable after corrections and included units
            excess = sum(covered.values(), _ZERO) - max(total - to_decimal(included), _ZERO)
            for index in sorted(covered, reverse=True):
                if excess <= 0:
                    break
                back = min(excess, covered[index])
                covered[index] -= back
                self.entries[index][1] += back
                excess -= back
        return [
            (self.entries[i][0], covered[i], self.entries[i][1])
            for i in sorted(covered)
            if covered[i] > 0
        ]


def _pool_order(balance):
    return (
        balance.end is None,
        balance.end or date.max,
        balance.start or date.min,
        repr(balance.ref),
    )
