"""Budget arithmetic: periods, overspend decisions, alert thresholds (plain Python, no Odoo).

A budget has a limit; ``spent`` is what posted invoices charged against it, ``committed`` what
draft invoices (among them those waiting for approval) will charge. ``available`` is the limit
minus both. Before a new charge, :func:`evaluate` applies the overspend policy.
"""

import calendar
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

POLICIES = ("allow", "approval", "block")
PERIOD_MONTHS = {"monthly": 1, "quarterly": 3, "annual": 12}
DEFAULT_THRESHOLDS = (Decimal(75), Decimal(90), Decimal(100))
STATUS_ORDER = {"ok": 0, "approval": 1, "block": 2}


def _dec(value):
    return value if isinstance(value, Decimal) else Decimal(str(value))


def period_bounds(day, period_type):
    """(start, end) of the calendar month, quarter or year containing ``day``."""
    months = PERIOD_MONTHS.get(period_type)
    if months is None:
        raise ValueError(f"unknown budget period {period_type!r}; custom periods have no bounds")
    first_month = (day.month - 1) // months * months + 1
    start = date(day.year, first_month, 1)
    last_month = first_month + months - 1
    end = date(day.year, last_month, calendar.monthrange(day.year, last_month)[1])
    return start, end


def next_period(start, period_type):
    """Bounds of the period after the one starting on ``start``."""
    _start, end = period_bounds(start, period_type)
    return period_bounds(end + timedelta(days=1), period_type)


@dataclass
class Decision:
    status: str  # ok, approval or block
    available_before: Decimal
    available_after: Decimal
    overspend: Decimal  # how much of the charge goes beyond the limit (0 when it fits)


def evaluate(limit, spent, committed, amount, policy):
    """What the overspend ``policy`` says about charging ``amount`` on top of a budget."""
    if policy not in POLICIES:
        raise ValueError(f"unknown overspend policy {policy!r}")
    limit, spent, committed, amount = map(_dec, (limit, spent, committed, amount))
    before = limit - spent - committed
    after = before - amount
    # the part of the charge beyond what was still available (all of it when already over)
    overspend = max(amount - max(before, Decimal(0)), Decimal(0)) if amount > 0 else Decimal(0)
    if overspend <= 0 or policy == "allow":
        return Decision("ok", before, after, overspend)
    return Decision("approval" if policy == "approval" else "block", before, after, overspend)


def consumed_percent(limit, consumed):
    """Consumption as a percentage of the limit (None for a zero limit)."""
    limit = _dec(limit)
    if limit <= 0:
        return None
    return _dec(consumed) * 100 / limit


def reached_thresholds(limit, consumed, thresholds):
    """The thresholds (percent) that ``consumed`` reaches or passes; all of them for a zero
    limit with a positive consumption."""
    limit, consumed = _dec(limit), _dec(consumed)
    if limit <= 0:
        return sorted(_dec(t) for t in thresholds) if consumed > 0 else []
    return sorted(_dec(t) for t in thresholds if consumed * 100 >= _dec(t) * limit)


@dataclass
class LedgerEntry:
    limit: Decimal
    spent: Decimal
    committed: Decimal
    policy: str
    charged: Decimal = field(default_factory=Decimal)  # charged during this ledger's life


class BudgetLedger:
    """Budgets loaded once (one query), checked and charged in memory: a billing run checks
    hundreds of invoices against it without a query per check."""

    def __init__(self):
        self.entries = {}

    def add(self, key, limit, spent, committed, policy):
        self.entries[key] = LedgerEntry(_dec(limit), _dec(spent), _dec(committed), policy)

    def available(self, key):
        entry = self.entries[key]
        return entry.limit - entry.spent - entry.committed - entry.charged

    def check(self, key, amount):
        entry = self.entries[key]
        return evaluate(
            entry.limit, entry.spent, entry.committed + entry.charged, amount, entry.policy
        )

    def check_many(self, charges):
        """Decisions for ``{key: amount}`` charged together, and the worst status."""
        decisions = {key: self.check(key, amount) for key, amount in charges.items()}
        worst = max((d.status for d in decisions.values()), key=STATUS_ORDER.get, default="ok")
        return worst, decisions

    def charge(self, charges):
        for key, amount in charges.items():
            self.entries[key].charged += _dec(amount)
