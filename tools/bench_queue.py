#!/usr/bin/env python3
"""A scheduled billing run fanned out over OCA queue_job (called by tools/bench_odoo.py).

On a copy of a bench database: installs agent_billing_queue (with queue_job), starts Odoo with
two HTTP workers and the job runner (channel ``root.agent_billing`` of capacity 2), splits the
previous month's run into two jobs as the scheduled action does, and waits until the last job
has finished the run.

    billing_run_queue_invoices_per_s   draft invoices per second, from the split to the end
"""

import os
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tools"))
import odoo_env  # noqa: E402
from bench_ingest import free_port, odoo_shell  # noqa: E402

PY = sys.executable

ENQUEUE = """
import json, time
from datetime import date, timedelta
first = date.today().replace(day=1)
end = first - timedelta(days=1)
env.company.agent_billing_workers = 2
run = env["agent.billing.run"].create({"period_start": end.replace(day=1), "period_end": end,
                                       "invoice_date": first})
env.cr.commit()
started = time.time()
handed = run._bill_batches(commit=True)
env.cr.commit()
print("BENCH" + json.dumps({"run": run.id, "started": started, "jobs": handed}))
"""


def _psql(db, sql):
    out = subprocess.run(
        ["psql", "-X", "-At", "-d", db, "-c", sql], capture_output=True, text=True, check=True
    )
    return out.stdout.strip()


def run(db, timeout=1800):
    subprocess.run(
        [
            PY,
            "-m",
            "odoo",
            "-d",
            db,
            f"--addons-path={odoo_env.addons_path()}",
            "-i",
            "agent_billing_queue",
            "--stop-after-init",
            "--no-http",
            "--log-level=warn",
        ],
        check=True,
        capture_output=True,
    )
    port = free_port()
    env = dict(
        os.environ,
        ODOO_QUEUE_JOB_CHANNELS="root:2,root.agent_billing:2",
        ODOO_QUEUE_JOB_HOST="127.0.0.1",
        ODOO_QUEUE_JOB_PORT=str(port),
    )
    server = subprocess.Popen(
        [
            PY,
            "-m",
            "odoo",
            "-d",
            db,
            f"--addons-path={odoo_env.addons_path()}",
            "--load=base,web,queue_job",
            "--http-interface=127.0.0.1",
            f"--http-port={port}",
            "--workers=2",
            "--max-cron-threads=0",
            "--log-level=warn",
            "--limit-time-real=3600",
            "--limit-time-cpu=3600",
            f"--db-filter=^{db}$",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    try:
        time.sleep(3)  # the job runner connects to the database and listens
        started = odoo_shell(db, ENQUEUE)
        if not started["jobs"]:
            raise SystemExit("the run was not split into jobs")
        deadline = time.time() + timeout
        while time.time() < deadline:
            pending = _psql(
                db,
                f"SELECT agent_jobs_pending FROM agent_billing_run "
                f"WHERE id = {int(started['run'])}",
            )
            failed = _psql(db, "SELECT count(*) FROM queue_job WHERE state = 'failed'")
            if failed != "0":
                raise SystemExit(f"{failed} billing job(s) failed")
            if pending == "f":
                break
            time.sleep(0.2)
        else:
            raise SystemExit("the billing jobs did not finish in time")
        seconds = time.time() - started["started"]
        invoices = int(
            _psql(
                db, f"SELECT count(*) FROM account_move WHERE agent_run_id = {int(started['run'])}"
            )
        )
    finally:
        server.terminate()
        server.wait(timeout=60)
    return {
        "billing_run_queue_invoices_per_s": round(invoices / seconds, 1),
        "billing_run_queue_invoices": invoices,
    }


if __name__ == "__main__":
    for name, value in run(sys.argv[1]).items():
        print(f"{name}: {value}", flush=True)
