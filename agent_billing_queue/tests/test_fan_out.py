from datetime import date
from unittest.mock import patch

from odoo.exceptions import UserError
from odoo.tests import tagged

from odoo.addons.agent_billing.tests.common import AgentBillingCommon
from odoo.addons.queue_job.tests.common import trap_jobs

from ..models import agent_billing_run as fan_out

MARCH = {
    "period_start": date(2025, 3, 1),
    "period_end": date(2025, 3, 31),
    "invoice_date": date(2025, 4, 1),
}


@tagged("post_install", "-at_install")
class TestFanOut(AgentBillingCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.clients = cls.env["res.partner"]
        for index in range(6):
            client = cls._create_client(f"Job client {index}", f"JOB{index}")
            cls._contract(client, "per_agent")
            cls._deploy(client, cls.agent_support, index + 1, date(2025, 1, 1))
            cls.clients |= client

    def _ours(self, run):
        return run.line_ids.filtered(lambda row: row.partner_id in self.clients)

    def test_a_big_run_is_billed_by_jobs_each_contract_once(self):
        run = self.env["agent.billing.run"].create(MARCH)
        todo = [c.id for c, _plan in run._contracts_to_bill()]
        with patch.object(fan_out, "MIN_CONTRACTS_PER_JOB", 1), trap_jobs() as trap:
            self.env.company.agent_billing_workers = 2
            self.assertTrue(run._fan_out("bill", todo, 2))
            # two shares in the billing channel, then the job that finishes the run
            trap.assert_jobs_count(2, only=run._fan_out_step)
            trap.assert_jobs_count(1, only=run._fan_out_done)
            shares = [
                job.args[1] for job in trap.enqueued_jobs if job.method_name == "_fan_out_step"
            ]
            self.assertEqual(sorted(shares[0] + shares[1]), sorted(todo))
            self.assertFalse(set(shares[0]) & set(shares[1]))
            self.assertTrue(all(job.channel == "root.agent_billing" for job in trap.enqueued_jobs))
            self.assertTrue(run.agent_jobs_pending)
            with self.assertRaisesRegex(UserError, "background jobs"):
                run.action_compute()
            trap.perform_enqueued_jobs()
        self.assertFalse(run.agent_jobs_pending)
        self.assertEqual(run.state, "invoiced")
        ours = self._ours(run)
        self.assertEqual(len(ours), 6)
        self.assertEqual(set(ours.mapped("state")), {"invoiced"})
        self.assertEqual(len(ours.move_id), 6)
        # 1..6 agents x 100.00 for March
        self.assertEqual(
            sorted(ours.move_id.mapped("amount_untaxed")),
            [100.0, 200.0, 300.0, 400.0, 500.0, 600.0],
        )

    def test_what_a_cancelled_share_left_is_billed_by_the_last_job(self):
        run = self.env["agent.billing.run"].create(MARCH)
        todo = [c.id for c, _plan in run._contracts_to_bill()]
        with patch.object(fan_out, "MIN_CONTRACTS_PER_JOB", 1), trap_jobs() as trap:
            run._fan_out("bill", todo, 2)
            # the first share never runs (cancelled by an administrator)
            skipped = next(job for job in trap.enqueued_jobs if job.method_name == "_fan_out_step")
            trap.enqueued_jobs.remove(skipped)
            for job in trap.enqueued_jobs:
                job.depends_on.discard(skipped)
            trap.perform_enqueued_jobs()
        self.assertEqual(run.state, "invoiced")
        self.assertEqual(len(self._ours(run).move_id), 6)

    def test_small_runs_are_not_split(self):
        run = self.env["agent.billing.run"].create(MARCH)
        with trap_jobs() as trap:
            self.assertFalse(run._fan_out("bill", list(range(150)), 50))
            trap.assert_jobs_count(0)
