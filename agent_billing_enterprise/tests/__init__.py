from . import test_core
from . import test_consolidation
from . import test_cost_centers
from . import test_budgets
from . import test_approvals
from . import test_disputes
from . import test_contract_lifecycle
