#!/usr/bin/env python3
"""Billing-run benchmarks on real Odoo + PostgreSQL (called by tools/bench.py).

    python3 tools/bench_odoo.py [--clients 2000] [--big-clients 10000] [--skip-big]

Prepares (once, then reuses) a database per client count: Odoo's ``account`` without demo data,
``agent_billing`` and ``data/generate.py --clients N --history-months 0``, keyed on a hash of the
addon and the generator so a code change rebuilds it. Then, for the previous full month:

- raw_create_invoices_per_s: ``account.move.create`` of the very invoice values the run prepares,
  in batches of 100 (rolled back)
- billing_run_invoices_per_s: a billing run from records to draft invoices, as the scheduled
  action runs it without background jobs (one process, batches that commit), on a copy of the
  database
- billing_run_ratio_one_process_vs_raw_create: the two above, divided; queries_per_invoice (SQL
  queries of an in-process run divided by its invoices)
- rss_growth_mb_10k_clients: resident memory growth of a scheduled-style run (batches that commit)
  over the big database, all in one process, on a throwaway copy of it

- ingest_events_per_s, ingest_duplicates_detected_pct: 100,000 usage events over the ingestion
  API on loopback, 10 % re-sent (tools/bench_ingest.py)

Each figure is printed as ``name: value``.
"""

import argparse
import hashlib
import subprocess
import sys
import time
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tools"))
import odoo_env  # noqa: E402

PY = sys.executable
BASE_DB = "ab_bench_base"


def psql(sql, db="postgres"):
    out = subprocess.run(
        ["psql", "-X", "-At", "-d", db, "-c", sql], capture_output=True, text=True, check=True
    )
    return out.stdout.strip()


def db_exists(name):
    return psql(f"SELECT 1 FROM pg_database WHERE datname = '{name}'") == "1"


def drop(name):
    if "odoo.sql_db" in sys.modules:  # this process may still hold pooled connections to it
        sys.modules["odoo.sql_db"].close_db(name)
    subprocess.run(["dropdb", "--if-exists", name], check=True, capture_output=True)


def code_hash():
    digest = hashlib.sha1()
    for path in sorted((REPO / "agent_billing").rglob("*")):
        if path.is_file() and "/tests/" not in str(path) and path.suffix in (".py", ".xml", ".csv"):
            digest.update(path.read_bytes())
    digest.update((REPO / "data" / "generate.py").read_bytes())
    return digest.hexdigest()[:8]


def odoo(db, *args):
    cmd = [
        PY,
        "-m",
        "odoo",
        "-d",
        db,
        f"--addons-path={odoo_env.addons_path()}",
        "--stop-after-init",
        "--no-http",
        "--log-level=warn",
        *args,
    ]
    subprocess.run(cmd, check=True, capture_output=True)


def prepare(clients):
    """The bench database for ``clients`` generated clients (built once)."""
    name = f"ab_bench_{clients}_{code_hash()}"
    if db_exists(name):
        return name
    if not db_exists(BASE_DB):
        print(f"# building {BASE_DB} (account, no demo)", file=sys.stderr, flush=True)
        odoo(BASE_DB + "_tmp", "-i", "account", "--without-demo=all")
        psql(f'ALTER DATABASE "{BASE_DB}_tmp" RENAME TO "{BASE_DB}"')
    for stale in psql(
        f"SELECT datname FROM pg_database WHERE datname LIKE 'ab\\_bench\\_{clients}\\_%'"
    ).split():
        drop(stale)
    build = name + "_tmp"
    drop(build)
    subprocess.run(["createdb", "-T", BASE_DB, build], check=True)
    t0 = time.time()
    print(
        f"# building {name}: agent_billing + {clients} generated clients",
        file=sys.stderr,
        flush=True,
    )
    odoo(build, "-i", "agent_billing", "--without-demo=all")
    subprocess.run(
        [
            PY,
            str(REPO / "data" / "generate.py"),
            "--clients",
            str(clients),
            "--history-months",
            "0",
            "--load",
            build,
        ],
        check=True,
        capture_output=True,
    )
    psql(f'ALTER DATABASE "{build}" RENAME TO "{name}"')
    print(f"# built {name} in {time.time() - t0:.0f}s", file=sys.stderr, flush=True)
    return name


def queue_job_installed():
    """Whether OCA queue_job is in Odoo's addons path (it is imported only inside a registry)."""
    return any(
        (Path(path) / "queue_job" / "__manifest__.py").is_file()
        for path in odoo_env.odoo_addons_dirs()
    )


def previous_month(today=None):
    first = (today or date.today()).replace(day=1)
    end = first - timedelta(days=1)
    return end.replace(day=1), end


def copy_db(db, suffix):
    copy = f"{db}_{suffix}"
    drop(copy)
    subprocess.run(["createdb", "-T", db, copy], check=True)
    return copy


@contextmanager
def throwaway_copy(db, suffix):
    """A copy of ``db`` for one measurement, dropped afterwards whatever happens."""
    copy = copy_db(db, suffix)
    try:
        yield copy
    finally:
        if "odoo.modules.registry" in sys.modules:
            sys.modules["odoo.modules.registry"].Registry.delete(copy)
        drop(copy)


_CONFIGURED = []


@contextmanager
def throwaway_env(db, suffix):
    """A superuser environment on a throwaway copy of ``db``."""
    import odoo as odoo_pkg
    from odoo import SUPERUSER_ID, api
    from odoo.modules.registry import Registry

    if not _CONFIGURED:  # Odoo's configuration can be parsed once per process
        odoo_pkg.tools.config.parse_config(
            [f"--addons-path={odoo_env.addons_path()}", "--log-level=warn"]
        )
        _CONFIGURED.append(True)
    with throwaway_copy(db, suffix) as copy, Registry(copy).cursor() as cr:
        yield api.Environment(cr, SUPERUSER_ID, {"tracking_disable": True})


def measure_raw(db):
    """Raw ``account.move.create`` of the invoice values the run prepares, in batches of 100
    (rolled back), on a throwaway copy of ``db``; invoices per second."""
    period_start, period_end = previous_month()
    period = {
        "period_start": period_start,
        "period_end": period_end,
        "invoice_date": period_end + timedelta(days=1),
    }
    with throwaway_env(db, "raw") as env:
        env.company.agent_billing_workers = 1  # in-process, nothing committed
        run = env["agent.billing.run"].create(period)
        run._compute_batches(commit=False)
        rows = run.line_ids.filtered(lambda r: r.included and r.state == "rated")
        vals_list = [row._prepare_invoice() for row in rows]
        env.flush_all()
        env.invalidate_all()
        Move = env["account.move"].with_context(default_move_type="out_invoice")
        t0 = time.perf_counter()
        for start in range(0, len(vals_list), 100):
            Move.create(vals_list[start : start + 100])
        env.flush_all()
        raw_seconds = time.perf_counter() - t0
        env.cr.rollback()
    return len(vals_list) / raw_seconds


def measure_run(db):
    """Figures of one billing run, each measured on a throwaway copy of ``db``."""
    period_start, period_end = previous_month()
    period = {
        "period_start": period_start,
        "period_end": period_end,
        "invoice_date": period_end + timedelta(days=1),
    }
    raw_per_s = measure_raw(db)
    # our billing run from records to drafts, as the scheduled action does it without
    # background jobs: one process, batches that commit
    with throwaway_env(db, "run") as env:
        t0 = time.perf_counter()
        run = env["agent.billing.run"].create(period)
        run._bill_batches(commit=True)
        env.flush_all()
        env.cr.commit()
        run_seconds = time.perf_counter() - t0
        invoices = len(run.move_ids)
    # queries per invoice, in-process
    with throwaway_env(db, "queries") as env:
        env.company.agent_billing_workers = 1
        q0 = env.cr.sql_log_count
        run = env["agent.billing.run"].create(period)
        run._compute_batches(commit=False)
        run._invoice_batches(commit=False)
        env.flush_all()
        queries = env.cr.sql_log_count - q0
        q_invoices = len(run.move_ids)
        env.cr.rollback()
    return {
        "invoices": invoices,
        "raw_create_invoices_per_s": round(raw_per_s, 1),
        "billing_run_invoices_per_s": round(invoices / run_seconds, 1),
        "billing_run_ratio_one_process_vs_raw_create": round(
            (invoices / run_seconds) / raw_per_s, 2
        ),
        "queries_per_invoice": round(queries / max(q_invoices, 1), 1),
    }


def measure_rss(db):
    """Scheduled-style run (commits per batch) over a copy of ``db``; RSS growth in MB."""
    import psutil

    period_start, period_end = previous_month()
    process = psutil.Process()
    with throwaway_env(db, "rss") as env:
        env.company.agent_billing_workers = 1  # all in this process, to see its memory
        run = env["agent.billing.run"].create(
            {"period_start": period_start, "period_end": period_end}
        )
        env.cr.commit()
        before = process.memory_info().rss
        run._bill_batches(commit=True)
        env.cr.commit()
        after = process.memory_info().rss
        invoices = len(run.move_ids)
    return {
        "rss_growth_mb_10k_clients": round((after - before) / 2**20, 1),
        "rss_run_invoices": invoices,
    }


def measure_queue(db):
    """The run fanned out over queue_job (tools/bench_queue.py), and raw create on the same
    data in this run, for the ratio."""
    import bench_queue

    raw = measure_raw(db)
    with throwaway_copy(db, "queue") as copy:
        figures = bench_queue.run(copy)
    figures["billing_run_ratio_vs_raw_create"] = round(
        figures["billing_run_queue_invoices_per_s"] / raw, 2
    )
    return figures


def measure_ingest(db):
    """Ingestion over HTTP (tools/bench_ingest.py) against a throwaway copy of ``db``."""
    import bench_ingest

    with throwaway_copy(db, "ingest") as copy:
        return bench_ingest.run(copy)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=2000)
    parser.add_argument("--big-clients", type=int, default=10000)
    parser.add_argument("--skip-big", action="store_true")
    parser.add_argument(
        "--measure", choices=["run", "rss", "ingest", "queue"], help=argparse.SUPPRESS
    )
    parser.add_argument("--db", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.measure == "run":
        results = measure_run(args.db)
    elif args.measure == "rss":
        results = measure_rss(args.db)
    elif args.measure == "ingest":
        results = measure_ingest(args.db)
    elif args.measure == "queue":
        results = measure_queue(args.db)
    else:
        results = {}
        todo = [("run", args.clients), ("ingest", args.clients)]
        if queue_job_installed():
            todo.append(("queue", args.clients))
        else:
            print(
                "# skipped billing_run_ratio_vs_raw_create: OCA queue_job is not installed",
                flush=True,
            )
        todo += [] if args.skip_big else [("rss", args.big_clients)]
        for what, clients in todo:
            db = prepare(clients)
            out = subprocess.run(
                [PY, __file__, "--measure", what, "--db", db], capture_output=True, text=True
            )
            if out.returncode:
                sys.stderr.write(out.stderr)
                raise SystemExit(f"bench {what} on {db} failed")
            for line in out.stdout.splitlines():
                if ": " in line:
                    key, value = line.split(": ", 1)
                    results[key] = value
        for key in (
            "raw_create_invoices_per_s",
            "billing_run_invoices_per_s",
            "billing_run_ratio_one_process_vs_raw_create",
            "billing_run_queue_invoices_per_s",
            "billing_run_ratio_vs_raw_create",
            "queries_per_invoice",
            "rss_growth_mb_10k_clients",
            "ingest_events_per_s",
            "ingest_duplicates_detected_pct",
        ):
            if key in results:
                print(f"{key}: {results[key]}", flush=True)
        return 0
    for key, value in results.items():
        print(f"{key}: {value}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
