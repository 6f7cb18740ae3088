from . import test_validation
from . import test_ingest
from . import test_rating
from . import test_price_change
from . import test_partner
from . import test_security
from . import test_tracking
from . import test_billing_run
