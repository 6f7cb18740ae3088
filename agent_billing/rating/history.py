"""Date-effective prices: the value a price had on a day, from its change history.

A price is stored with its current value; each applied change keeps the date it took effect,
the value it replaced and the new one. A day before a change is priced at the value that
change replaced, so a price change never re-prices a period before its effective date.
"""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from .money import to_decimal

_ONE_DAY = timedelta(days=1)


@dataclass(frozen=True, order=True)
class PriceChange:
    """A change of one price that took effect on ``effective`` (from ``old`` to ``new``)."""

    effective: date
    old: Decimal
    new: Decimal

    def __post_init__(self):
        object.__setattr__(self, "old", to_decimal(self.old))
        object.__setattr__(self, "new", to_decimal(self.new))


def value_on(current, changes, day):
    """The value on ``day`` of a price now worth ``current``: the value replaced by the first
    change that took effect after ``day``, else ``current``."""
    later = sorted(change for change in changes if change.effective > day)
    return later[0].old if later else to_decimal(current)


def price_pieces(start, end, current, changes):
    """[(piece start, piece end, value)] of [start, end] cut where the price changed."""
    bounds = sorted({c.effective for c in changes if start < c.effective <= end})
    pieces = []
    cursor = start
    for bound in bounds:
        pieces.append((cursor, bound - _ONE_DAY, value_on(current, changes, cursor)))
        cursor = bound
    pieces.append((cursor, end, value_on(current, changes, cursor)))
    return pieces
