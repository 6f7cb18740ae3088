"""The rating package must stay free of Odoo and importable on its own."""

import ast
import subprocess
import sys
import textwrap
from pathlib import Path

import agent_billing_rating

PACKAGE_DIR = Path(agent_billing_rating.__file__).resolve().parent
ALLOWED_MODULES = {
    "calendar",
    "collections",
    "dataclasses",
    "datetime",
    "decimal",
    "fractions",
    "typing",
}


def _imports(path):
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield 0, alias.name
        elif isinstance(node, ast.ImportFrom):
            yield node.level, node.module or ""


def test_only_stdlib_and_relative_imports():
    sources = sorted(PACKAGE_DIR.glob("*.py"))
    assert {p.name for p in sources} >= {"__init__.py", "money.py", "pricing.py"}
    for path in sources:
        for level, module in _imports(path):
            if level:
                continue
            assert module.split(".")[0] in ALLOWED_MODULES, f"{path.name} imports {module}"


def test_public_api_is_exported():
    for name in agent_billing_rating.__all__:
        assert hasattr(agent_billing_rating, name), name
    assert "rate_client" in agent_billing_rating.__all__


def test_importable_as_agent_billing_rating_without_odoo():
    script = textwrap.dedent(
        f"""
        import sys, types
        parent = types.ModuleType("agent_billing")
        parent.__path__ = [{str(PACKAGE_DIR.parent)!r}]
        sys.modules["agent_billing"] = parent
        from agent_billing.rating import rate_client, PricingError
        from agent_billing.rating.money import round_money
        assert rate_client.__module__ == "agent_billing.rating.pricing"
        assert not any(m == "odoo" or m.startswith("odoo.") for m in sys.modules)
        print(round_money("1.005"))
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=False, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "1.01"
