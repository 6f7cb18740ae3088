from . import agent_billing_price_change_wizard
