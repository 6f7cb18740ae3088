"""Plain-Python core of agent_billing_enterprise (imports nothing from Odoo): exact money and
analytic splits, budget decisions and thresholds, approval outcomes, dispute deadlines."""

from .allocation import (
    assign_unallocated,
    merge_distributions,
    percentages,
    rule_weights,
    split_amount,
)
from .approval import MODES, open_steps, outcome
from .budget import (
    DEFAULT_THRESHOLDS,
    PERIOD_MONTHS,
    POLICIES,
    BudgetLedger,
    Decision,
    consumed_percent,
    evaluate,
    next_period,
    period_bounds,
    reached_thresholds,
)
from .sla import sla_deadlines, sla_status

__all__ = [
    "DEFAULT_THRESHOLDS",
    "MODES",
    "assign_unallocated",
    "PERIOD_MONTHS",
    "POLICIES",
    "BudgetLedger",
    "Decision",
    "consumed_percent",
    "evaluate",
    "merge_distributions",
    "next_period",
    "open_steps",
    "outcome",
    "percentages",
    "period_bounds",
    "reached_thresholds",
    "rule_weights",
    "sla_deadlines",
    "sla_status",
    "split_amount",
]
