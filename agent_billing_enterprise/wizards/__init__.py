from . import agent_billing_approval_decision
from . import agent_billing_dispute_resolve
