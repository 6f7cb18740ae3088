"""Anomaly scoring of a client's draft invoice before a billing run reaches clients.

Finance reviews one row per client, sorted by score; each anomaly carries a stable code, the
weight it adds to the score and a one-sentence message with the numbers behind it.
"""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from .errors import PricingError
from .money import calc_context, round_money, to_decimal
from .pricing import BILLING_MODELS

# Weight each anomaly adds to the score; tune here (read at call time). For ``change`` this is
# the weight just beyond the threshold: it grows linearly up to CHANGE_MAX_WEIGHT, reached when
# the change is CHANGE_MAX_RATIO times the threshold.
WEIGHTS = {
    "zero_invoice": 40,
    "negative_line": 40,
    "zero_line": 15,
    "no_usage": 30,
    "change": 20,
    "first_charge": 10,
    "missing_tax": 25,
    "missing_account": 35,
}
CHANGE_MAX_WEIGHT = 40
CHANGE_MAX_RATIO = 3
MAX_SCORE = 100
USAGE_MODELS = ("usage", "contract")

_ZERO = Decimal(0)
_HUNDRED = Decimal(100)
_PCT_STEP = Decimal("0.1")
_COUNTS = (
    "active_deployments",
    "usage_events",
    "lines_missing_tax",
    "lines_missing_account",
)


def _set(obj, name, value):
    object.__setattr__(obj, name, value)


def _decimal(name, value):
    try:
        return to_decimal(value)
    except (TypeError, ValueError) as exc:
        raise PricingError(f"{name}: {exc}") from None


def _money(amount):
    """2,400.00 (half-up to cents, thousands separators)."""
    return f"{round_money(amount):,.2f}"


def _percent(value):
    """140.0 (half-up to one decimal)."""
    return f"{round_money(value, _PCT_STEP):,.1f}"


def _threshold(value):
    """The configured threshold as entered: 50, 12.5."""
    return f"{value.normalize():,f}"


def _lines(count, verb_one="", verb_many=""):
    """'1 line has' / '3 lines have' (or just '1 line' / '3 lines' without verbs)."""
    text = f"{count} line" if count == 1 else f"{count} lines"
    verb = verb_one if count == 1 else verb_many
    return f"{text} {verb}" if verb else text


@dataclass(frozen=True)
class AnomalyInput:
    """One client's draft invoice for one period; amounts are untaxed.

    Amounts accept anything ``to_decimal`` does (int, str, float, Decimal) and are stored as
    Decimal; ``line_amounts`` is stored as a tuple.
    """

    total: Decimal
    previous_total: Decimal | None
    line_amounts: tuple[Decimal, ...]
    active_deployments: int
    usage_events: int
    billing_model: str
    lines_missing_tax: int = 0
    lines_missing_account: int = 0
    change_threshold_pct: Decimal = Decimal(50)

    def __post_init__(self):
        _set(self, "total", _decimal("total", self.total))
        if self.previous_total is not None:
            _set(self, "previous_total", _decimal("previous_total", self.previous_total))
        if isinstance(self.line_amounts, str | bytes | Decimal | int | float | None):
            raise PricingError(
                f"line_amounts must be a sequence of amounts, got {self.line_amounts!r}"
            )
        amounts = tuple(
            _decimal(f"line_amounts[{index}]", amount)
            for index, amount in enumerate(self.line_amounts)
        )
        _set(self, "line_amounts", amounts)
        for name in _COUNTS:
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int):
                raise PricingError(f"{name} must be an integer, got {value!r}")
            if value < 0:
                raise PricingError(f"{name} must not be negative, got {value}")
        if self.billing_model not in BILLING_MODELS:
            raise PricingError(
                f"unknown billing model {self.billing_model!r}; "
                f"expected one of {', '.join(BILLING_MODELS)}"
            )
        threshold = _decimal("change_threshold_pct", self.change_threshold_pct)
        if threshold <= 0:
            raise PricingError(f"change threshold must be a positive percentage, got {threshold}")
        _set(self, "change_threshold_pct", threshold)


@dataclass(frozen=True)
class Anomaly:
    """One finding: stable machine ``code``, its ``weight`` in the score, a user message."""

    code: str
    weight: int
    message: str


@dataclass(frozen=True)
class AnomalyResult:
    """``score`` is the sum of weights capped at 100; anomalies by weight desc, then code."""

    score: int
    anomalies: tuple[Anomaly, ...]
    change_pct: Decimal | None


def change_percent(total, previous):
    """Change from ``previous`` to ``total`` in %, half-up to 0.1; None without a base.

    A negative ``previous`` (a credit last period) is divided by its absolute value so that the
    sign still tells the direction of the change.
    """
    if previous is None or previous == 0:
        return None
    with calc_context():
        exact = (total - previous) / abs(previous) * _HUNDRED
    return round_money(exact, _PCT_STEP)


def change_weight(change_pct, threshold):
    """Weight of a change beyond ``threshold``: WEIGHTS["change"] just beyond it, growing
    linearly to CHANGE_MAX_WEIGHT at CHANGE_MAX_RATIO x threshold, and capped there."""
    low, high = WEIGHTS["change"], CHANGE_MAX_WEIGHT
    with calc_context():
        ratio = abs(change_pct) / threshold
        exact = low + (high - low) * (ratio - 1) / (Decimal(CHANGE_MAX_RATIO) - 1)
    weight = int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP))
    return max(low, min(high, weight))


def _change_anomaly(data, change_pct):
    previous, total = data.previous_total, data.total
    if previous is None:
        return None
    if previous == 0:
        if total == 0:
            return None
        return Anomaly(
            "first_charge",
            WEIGHTS["first_charge"],
            f"Billed {_money(previous)} last period, {_money(total)} this period.",
        )
    threshold = data.change_threshold_pct
    if abs(change_pct) <= threshold:
        return None
    direction = "above" if change_pct > 0 else "below"
    return Anomaly(
        "change",
        change_weight(change_pct, threshold),
        f"Total {_money(total)} is {_percent(abs(change_pct))} % {direction} last period's "
        f"{_money(previous)} (threshold {_threshold(threshold)} %).",
    )


def _find(data, change_pct):
    amounts = data.line_amounts
    if data.total == 0:
        yield Anomaly(
            "zero_invoice",
            WEIGHTS["zero_invoice"],
            f"Invoice total is {_money(data.total)} ({_lines(len(amounts))}).",
        )
    negative = [amount for amount in amounts if amount < 0]
    if negative:
        with calc_context():
            negative_sum = sum(negative, _ZERO)
        yield Anomaly(
            "negative_line",
            WEIGHTS["negative_line"],
            f"{_lines(len(negative), 'has', 'have')} a negative amount, "
            f"{_money(negative_sum)} in total.",
        )
    zero = sum(1 for amount in amounts if amount == 0)
    if zero and data.total != 0:
        yield Anomaly(
            "zero_line",
            WEIGHTS["zero_line"],
            f"{_lines(zero, 'has', 'have')} a zero amount "
            f"on an invoice totalling {_money(data.total)}.",
        )
    if (
        data.active_deployments > 0
        and data.usage_events == 0
        and data.billing_model in USAGE_MODELS
    ):
        deployments = data.active_deployments
        noun = "deployment was" if deployments == 1 else "deployments were"
        yield Anomaly(
            "no_usage",
            WEIGHTS["no_usage"],
            f"No usage recorded although {deployments} {noun} active "
            f"(billing model {data.billing_model}).",
        )
    change = _change_anomaly(data, change_pct)
    if change is not None:
        yield change
    if data.lines_missing_tax:
        yield Anomaly(
            "missing_tax",
            WEIGHTS["missing_tax"],
            f"{_lines(data.lines_missing_tax, 'has', 'have')} a product without sales tax.",
        )
    if data.lines_missing_account:
        yield Anomaly(
            "missing_account",
            WEIGHTS["missing_account"],
            f"{_lines(data.lines_missing_account, 'has', 'have')} no income account.",
        )


def score_anomalies(data: AnomalyInput) -> AnomalyResult:
    """Score one client's draft invoice: 0 (nothing to check) to 100 (look first)."""
    if not isinstance(data, AnomalyInput):
        raise PricingError(f"data must be an AnomalyInput, got {data!r}")
    change_pct = change_percent(data.total, data.previous_total)
    anomalies = tuple(sorted(_find(data, change_pct), key=lambda a: (-a.weight, a.code)))
    score = min(MAX_SCORE, sum(anomaly.weight for anomaly in anomalies))
    return AnomalyResult(score, anomalies, change_pct)
