"""Install checks run by pytest-odoo against the database the odoo layer installed.

Run through ``make test`` (tools/run_tests.py), or by hand::

    python3 -m pytest tests/odoo --odoo-config=<odoo.cfg> --odoo-database=<db with the addons>
"""

from odoo.tests.common import TransactionCase, tagged

OUR_MODULES = ("agent_billing", "agent_billing_reports", "agent_billing_enterprise")


# Outside an addon, Odoo's test classes get no default tags; give them the usual ones.
@tagged("standard", "post_install", "-at_install")
class TestInstall(TransactionCase):
    def test_our_modules_are_installed(self):
        modules = self.env["ir.module.module"].search([("name", "in", OUR_MODULES)])
        states = {m.name: m.state for m in modules}
        self.assertEqual(states, dict.fromkeys(OUR_MODULES, "installed"))

    def test_security_groups_exist(self):
        user = self.env.ref("agent_billing.group_agent_billing_user", raise_if_not_found=False)
        manager = self.env.ref(
            "agent_billing.group_agent_billing_manager", raise_if_not_found=False
        )
        self.assertTrue(user, "agent_billing.group_agent_billing_user is missing")
        self.assertTrue(manager, "agent_billing.group_agent_billing_manager is missing")
        self.assertEqual(user._name, "res.groups")
        self.assertEqual(manager._name, "res.groups")
        self.assertIn(user, manager.implied_ids, "a manager must also be a user")
