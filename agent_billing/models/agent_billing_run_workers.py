"""Both cores for big billing runs: the run's work split over worker processes.

Each worker is a fresh ``python3 -c`` process with its own registry and database transactions,
started with this server's configuration. It rates (or invoices) its share of the run in batches
that commit as they go. The parent keeps the run locked against other users meanwhile with
``FOR NO KEY UPDATE``, which does not block the workers' foreign keys to the run. Whatever a
worker leaves undone (it crashed, or was killed) is finished by the parent's usual resumable
batches afterwards, so the result never depends on the workers succeeding.
"""

import json
import logging
import os
import subprocess
import sys
import threading

from odoo import models, tools

_logger = logging.getLogger(__name__)

# fewer items than this are not worth a worker's start-up (loading a registry takes seconds)
MIN_ITEMS_PER_WORKER = 150

WORKER_BOOT = """
import json, sys
payload = json.loads(sys.argv[1])
import odoo
from odoo import api
from odoo.modules.registry import Registry
odoo.tools.config.parse_config(payload["argv"])
registry = Registry(payload["db"])
with registry.cursor() as cr:
    env = api.Environment(cr, payload["uid"], payload["context"])
    run = env["agent.billing.run"].browse(payload["run_id"])
    run._worker_step(payload["step"], payload["ids"], payload["batch_size"])
"""

CONFIG_OPTIONS = ("addons_path", "data_dir", "db_host", "db_port", "db_user", "db_password",
                  "db_sslmode")


class AgentBillingRun(models.Model):
    _inherit = "agent.billing.run"

    def _worker_count(self, items):
        """How many worker processes a step over ``items`` deserves (0: do it in-process)."""
        if getattr(threading.current_thread(), "testing", False):
            return 0  # tests run in one transaction that workers could not see
        cores = os.cpu_count() or 1
        wanted = self.company_id.agent_billing_workers or cores
        return min(wanted, cores, items // MIN_ITEMS_PER_WORKER) if wanted > 1 else 0

    def _worker_argv(self):
        argv = ["--log-level=warn", "--no-http"]
        for option in CONFIG_OPTIONS:
            value = tools.config.get(option)
            if value:
                flag = option.replace("_", "-") if option in ("addons_path", "data_dir") \
                    else option
                argv.append(f"--{flag}={value}")
        return argv

    def _run_workers(self, step, ids, batch_size):
        """Run ``step`` over ``ids`` in worker processes; returns how many succeeded."""
        self.ensure_one()
        workers = self._worker_count(len(ids))
        if workers < 2:
            return 0
        # the workers must see the run: end this transaction, keep other users out
        self.env.flush_all()
        self.env.cr.commit()  # pylint: disable=invalid-commit
        self._lock()
        chunks = [ids[i::workers] for i in range(workers)]
        processes = []
        for chunk in chunks:
            payload = {
                "argv": self._worker_argv(), "db": self.env.cr.dbname, "uid": self.env.uid,
                "context": {k: v for k, v in self.env.context.items()
                            if isinstance(v, str | int | float | bool | list)},
                "run_id": self.id, "step": step, "ids": chunk, "batch_size": batch_size,
            }
            processes.append(subprocess.Popen(
                [sys.executable, "-c", WORKER_BOOT, json.dumps(payload)],
                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            ))
        succeeded = 0
        for process in processes:
            output, _unused = process.communicate()
            if process.returncode == 0:
                succeeded += 1
            else:
                _logger.warning("Billing run %s: a %s worker failed (exit %s); the rest is "
                                "done in-process:\n%s", self.id, step, process.returncode,
                                output[-4000:])
        # see what the workers committed
        self.env.cr.commit()  # pylint: disable=invalid-commit
        self.env.invalidate_all()
        self._lock()
        return succeeded

    def _worker_step(self, step, ids, batch_size):
        """Entry point of a worker process: its share of a step, committing per batch."""
        if step == "compute":
            contracts = set(ids)
            todo = [(c, plan) for c, plan in self._contracts_to_bill() if c.id in contracts]
            done = set(self.line_ids.contract_id.ids)
            todo = [(c, plan) for c, plan in todo if c.id not in done]
            for start in range(0, len(todo), batch_size):
                self._rate_batch(todo[start:start + batch_size])
                self.env.cr.commit()  # pylint: disable=invalid-commit
                self.env.invalidate_all()
        elif step == "bill":
            contracts = set(ids)
            done = set(self.line_ids.contract_id.ids)
            todo = [(c, plan) for c, plan in self._contracts_to_bill()
                    if c.id in contracts and c.id not in done]
            for start in range(0, len(todo), batch_size):
                rows = self._rate_batch(todo[start:start + batch_size])
                rows._create_invoices()
                self.env.cr.commit()  # pylint: disable=invalid-commit
                self.env.invalidate_all()
        elif step == "invoice":
            lines = self.env["agent.billing.run.line"].browse(ids)
            for start in range(0, len(lines), batch_size):
                batch = lines[start:start + batch_size].exists()
                batch = batch.filtered(lambda line: line.included and line.state == "rated"
                                       and not line.move_id)
                batch._create_invoices()
                self.env.cr.commit()  # pylint: disable=invalid-commit
                self.env.invalidate_all()
