from . import agent_billing_run
