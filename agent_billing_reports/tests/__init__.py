from . import test_dashboard
from . import test_forecast
from . import test_reports
from . import test_client_breakdown
from . import test_tours
