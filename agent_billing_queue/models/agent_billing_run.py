from odoo import _, fields, models
from odoo.exceptions import UserError

from odoo.addons.queue_job.delay import chain, group

# fewer contracts than this in a job are not worth its overhead
MIN_CONTRACTS_PER_JOB = 100


class AgentBillingRun(models.Model):
    """A big scheduled run becomes a group of queue_job jobs, one share of the contracts each,
    followed by one job that finishes the run (what a failed share left, posting, report).
    Any number of Odoo servers running the job runner share them."""

    _inherit = "agent.billing.run"

    agent_jobs_pending = fields.Boolean(
        "Jobs Running",
        readonly=True,
        copy=False,
        help="The run is being billed by background jobs; it cannot be changed until they end.",
    )

    def _fan_out(self, step, ids, batch_size):
        self.ensure_one()
        chunks = self._fan_out_chunks(ids)
        if len(chunks) < 2:
            return super()._fan_out(step, ids, batch_size)
        shares = [
            self.delayable(
                description=_(
                    "%(run)s: part %(n)s of %(total)s", run=self.name, n=index, total=len(chunks)
                )
            )._fan_out_step(step, chunk, batch_size)
            for index, chunk in enumerate(chunks, start=1)
        ]
        finish = self.delayable(description=_("%(run)s: finish", run=self.name))._fan_out_done()
        chain(group(*shares), finish).delay()
        self.agent_jobs_pending = True
        self.message_post(
            body=_(
                "Billing %(n)s contracts in %(jobs)s background jobs.", n=len(ids), jobs=len(chunks)
            )
        )
        return True

    def _fan_out_chunks(self, ids):
        """The contracts of each job: as many jobs as the company asks (default 2), with at
        least MIN_CONTRACTS_PER_JOB contracts each."""
        wanted = self.company_id.agent_billing_workers or 2
        count = min(wanted, len(ids) // MIN_CONTRACTS_PER_JOB)
        if count < 2:
            return [list(ids)]
        return [list(ids[index::count]) for index in range(count)]

    def _fan_out_done(self):
        """Last job of a fanned-out run: bill what no share did (a share may have been
        cancelled), then post and report as the scheduled action would."""
        self.ensure_one()
        self.agent_jobs_pending = False
        if self.state == "draft":
            self._compute_batches(commit=False)
        self._cron_finish(commit=False)
        return True

    def _check_state(self, allowed, action):
        pending = self.filtered("agent_jobs_pending")
        if pending:
            raise UserError(
                _(
                    "%(run)s is being billed by background jobs right now: wait until "
                    "they finish, then reload the page.",
                    run=", ".join(pending.mapped("name")),
                )
            )
        return super()._check_state(allowed, action)
