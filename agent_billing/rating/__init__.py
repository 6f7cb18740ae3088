"""Pure-Python pricing core of agent_billing (no Odoo imports)."""

from .anomaly import Anomaly, AnomalyInput, AnomalyResult, score_anomalies
from .charges import (
    CHARGE_MODELS,
    Band,
    BandApplied,
    UsageCharge,
    UsagePrice,
    package_count,
    usage_charge,
)
from .errors import PricingError
from .money import digits_to_rounding, round_money, to_decimal
from .pricing import (
    BILLING_MODELS,
    AgentRate,
    ClientTerms,
    DeploymentInput,
    Line,
    MetricPrice,
    Rating,
    UsageInput,
    invoice_total,
    rate_client,
    resolve_price,
)
from .prepaid import PrepaidBalance, PrepaidPool
from .proration import (
    CYCLE_MONTHS,
    active_days,
    month_slices,
    months_in_period,
    period_bounds,
    previous_period,
    proration_factor,
    proration_fraction,
)

__all__ = [
    "BILLING_MODELS",
    "CHARGE_MODELS",
    "CYCLE_MONTHS",
    "AgentRate",
    "Anomaly",
    "AnomalyInput",
    "AnomalyResult",
    "Band",
    "BandApplied",
    "ClientTerms",
    "DeploymentInput",
    "Line",
    "MetricPrice",
    "PrepaidBalance",
    "PrepaidPool",
    "PricingError",
    "Rating",
    "UsageCharge",
    "UsageInput",
    "UsagePrice",
    "active_days",
    "digits_to_rounding",
    "invoice_total",
    "month_slices",
    "months_in_period",
    "package_count",
    "period_bounds",
    "previous_period",
    "proration_factor",
    "proration_fraction",
    "rate_client",
    "resolve_price",
    "round_money",
    "score_anomalies",
    "to_decimal",
    "usage_charge",
]
