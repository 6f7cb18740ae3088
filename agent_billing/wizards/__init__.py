from . import agent_billing_price_change_wizard
from . import agent_billing_manual_invoice
from . import agent_billing_usage_import
from . import agent_billing_aging_wizard
from . import account_move_reversal
from . import agent_billing_export
