"""Exact splits of money and analytic percentages (plain Python, no Odoo)."""

from decimal import ROUND_DOWN, Decimal

HUNDRED = Decimal(100)


def _dec(value):
    return value if isinstance(value, Decimal) else Decimal(str(value))


def split_amount(total, weights, rounding=Decimal("0.01")):
    """Split ``total`` over the keys of ``weights`` in proportion, to multiples of ``rounding``.

    Largest remainder: every part is rounded down to the rounding step, then the units left
    go one by one to the parts that lost the most, ties to the first key. The parts always sum
    to ``total`` exactly. Weights are non-negative; keys with a zero weight get zero. Negative
    totals (credit notes) split like their opposite.
    """
    total, rounding = _dec(total), _dec(rounding)
    if rounding <= 0:
        raise ValueError(f"rounding must be positive, got {rounding}")
    weights = {key: _dec(weight) for key, weight in weights.items()}
    if any(weight < 0 for weight in weights.values()):
        raise ValueError("weights cannot be negative")
    weight_sum = sum(weights.values(), Decimal(0))
    if not weights or weight_sum == 0:
        raise ValueError("nothing to split over: no positive weight")
    sign = -1 if total < 0 else 1
    units = (abs(total) / rounding).to_integral_value(rounding=ROUND_DOWN)
    if units * rounding != abs(total):
        raise ValueError(f"{total} is not a multiple of {rounding}")
    parts, remainders = {}, []
    for index, (key, weight) in enumerate(weights.items()):
        exact = units * weight / weight_sum
        whole = exact.to_integral_value(rounding=ROUND_DOWN)
        parts[key] = whole
        remainders.append((-(exact - whole), index, key))
    left = int(units - sum(parts.values(), Decimal(0)))
    for _remainder, _index, key in sorted(remainders)[:left]:
        parts[key] += 1
    return {key: sign * part * rounding for key, part in parts.items()}


def percentages(weights, digits=2):
    """Weights as percentages that sum to exactly 100 (largest remainder at ``digits``)."""
    step = Decimal(1).scaleb(-digits)
    return split_amount(HUNDRED, weights, step)


def rule_weights(rules):
    """Weights of percentage rules ``{department: percent}``; the part below 100 % stays
    unallocated (key None). Refuses a total above 100 %."""
    rules = {key: _dec(percent) for key, percent in rules.items() if _dec(percent) > 0}
    total = sum(rules.values(), Decimal(0))
    if total > HUNDRED:
        raise ValueError(f"allocation rules total {total} %, more than 100 %")
    if total < HUNDRED:
        rules[None] = HUNDRED - total
    return rules


def merge_distributions(parts, digits=2):
    """One analytic distribution from weighted ones.

    ``parts`` is a list of ``(weight, distribution)``, a distribution being ``{account_key:
    percent}`` (Odoo's ``analytic_distribution``) or empty. Each account gets the weighted sum of
    its percentages, rounded to ``digits``; rounding differences go to the largest accounts so
    that the total is the weighted total of the inputs (100 when each input sums to 100).
    """
    parts = [(_dec(weight), dist or {}) for weight, dist in parts]
    weight_sum = sum((weight for weight, _dist in parts), Decimal(0))
    if weight_sum <= 0:
        return {}
    exact = {}
    for weight, dist in parts:
        for key, percent in dist.items():
            exact[key] = exact.get(key, Decimal(0)) + weight * _dec(percent) / weight_sum
    exact = {key: value for key, value in exact.items() if value > 0}
    if not exact:
        return {}
    step = Decimal(1).scaleb(-digits)
    total = sum(exact.values(), Decimal(0)).quantize(step)
    merged = split_amount(total, exact, step)
    return {key: float(value) for key, value in merged.items() if value}


def assign_unallocated(weights, rules):
    """Give the unassigned weight (key ``None``) to departments by percentage ``rules``.

    ``weights``: ``{(department, source): weight}`` with ``(None, source)`` for what no usage
    record or deployment assigned; ``rules``: ``{department: percent}``. The unassigned weight is
    split by the rules, the part below 100 % staying unassigned (``(None, "none")``).
    """
    result = {}
    for (department, source), weight in weights.items():
        weight = _dec(weight)
        if weight <= 0:
            continue
        if department is not None:
            result[department, source] = result.get((department, source), Decimal(0)) + weight
            continue
        for rule_department, percent in rule_weights(rules).items():
            key = (rule_department, "rule") if rule_department is not None else (None, "none")
            result[key] = result.get(key, Decimal(0)) + weight * percent / HUNDRED
    return result
