"""Load agent_billing/rating standalone, without running agent_billing/__init__.py (Odoo)."""

import importlib.util
import os
import sys
import tempfile
from pathlib import Path

import pytest
from hypothesis.configuration import set_hypothesis_home_dir

PACKAGE_NAME = "agent_billing_rating"
PACKAGE_DIR = Path(__file__).resolve().parents[2] / "agent_billing" / "rating"


def _load_rating_package():
    if PACKAGE_NAME in sys.modules:
        return sys.modules[PACKAGE_NAME]
    spec = importlib.util.spec_from_file_location(
        PACKAGE_NAME,
        PACKAGE_DIR / "__init__.py",
        submodule_search_locations=[str(PACKAGE_DIR)],
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules[PACKAGE_NAME] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[PACKAGE_NAME]
        raise
    return module


_load_rating_package()

# Keep Hypothesis' caches out of the repository unless the caller chose a place.
if not os.environ.get("HYPOTHESIS_STORAGE_DIRECTORY"):
    set_hypothesis_home_dir(Path(tempfile.gettempdir()) / "agent_billing_rating_hypothesis")


@pytest.fixture(scope="session", autouse=True)
def load_registry():
    """Override pytest-odoo's registry fixture: the rating tests need no Odoo database."""
    yield
