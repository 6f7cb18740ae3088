#!/usr/bin/env python3
"""Benchmarks of agent_billing_enterprise on real Odoo + PostgreSQL.

    python3 tools/bench_enterprise.py [--parents 50] [--children 20]

Prepares (once, then reuses) a database with Odoo's ``account`` (no demo data),
``agent_billing`` and ``agent_billing_enterprise``, and ``--parents`` client organisations of
``--children`` entities each, every organisation billed on one consolidated invoice; keyed on a
hash of both addons and this script, so a code change rebuilds it. The database helpers come
from tools/bench_odoo.py. Then, on a throwaway copy, for the previous full month:

- consolidated_invoices_per_min: a billing run from records to draft consolidated invoices (a
  section per entity), as the scheduled action runs it (worker processes, batches that commit)
- budget_checks_per_s: budget checks as a billing run makes them, after that run (its drafts
  are the budgets' commitments), over a monthly budget per entity: batches of 50 budgets loaded
  with one query, then a charge checked against each (``_check_budget`` with the batch's
  ledger); the loading is included in the time

Prints exactly ``budget_checks_per_s: <n>`` and ``consolidated_invoices_per_min: <n>``;
progress goes to stderr.
"""

import argparse
import hashlib
import random
import subprocess
import sys
import time
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tools"))
import bench_odoo  # noqa: E402
import odoo_env  # noqa: E402

PY = sys.executable
CHECK_BATCH = 50
ADDONS = ("agent_billing", "agent_billing_enterprise")


def log(message):
    print(f"# {message}", file=sys.stderr, flush=True)


def code_hash(parents, children):
    digest = hashlib.sha1(f"{parents}x{children}".encode())
    for addon in ADDONS:
        for path in sorted((REPO / addon).rglob("*")):
            if (
                path.is_file()
                and "/tests/" not in str(path)
                and path.suffix in (".py", ".xml", ".csv")
            ):
                digest.update(path.read_bytes())
    digest.update(Path(__file__).read_bytes())
    return digest.hexdigest()[:8]


def ensure_base():
    """Odoo's account without demo data: the base database of tools/bench_odoo.py."""
    base = bench_odoo.BASE_DB
    if not bench_odoo.db_exists(base):
        log(f"building {base} (account, no demo)")
        bench_odoo.drop(base + "_tmp")
        bench_odoo.odoo(base + "_tmp", "-i", "account", "--without-demo=all")
        bench_odoo.psql(f'ALTER DATABASE "{base}_tmp" RENAME TO "{base}"')
    return base


@contextmanager
def environment(db):
    """A superuser environment on ``db`` itself; the caller commits."""
    import odoo
    from odoo import SUPERUSER_ID, api
    from odoo.modules.registry import Registry

    if not bench_odoo._CONFIGURED:  # Odoo's configuration is parsed once per process
        odoo.tools.config.parse_config(
            [f"--addons-path={odoo_env.addons_path()}", "--log-level=warn"]
        )
        bench_odoo._CONFIGURED.append(True)
    with Registry(db).cursor() as cr:
        yield api.Environment(cr, SUPERUSER_ID, {"tracking_disable": True})
    Registry.delete(db)


def load_groups(env, parents, children, seed=20250301):
    """Organisations (consolidated) of entities, each on its own contract, with agents and
    usage over the previous month."""
    rnd = random.Random(seed)
    period_start, _period_end = bench_odoo.previous_month()
    contract_start = period_start - timedelta(days=365)
    company = env.company
    tax = env["account.tax"].search(
        [("type_tax_use", "=", "sale"), ("company_id", "=", company.id)], limit=1
    )
    usage_product = (
        env["product.template"]
        .create(
            {
                "name": "Agent Usage",
                "type": "service",
                "taxes_id": [(6, 0, tax.ids)],
            }
        )
        .product_variant_id
    )
    metric = env.ref("agent_billing.metric_task")
    metric.write({"unit_price": 0.05, "product_id": usage_product.id})
    agent_types = [
        env["product.template"]
        .create(
            {
                "name": name,
                "type": "service",
                "is_agent_type": True,
                "agent_monthly_rate": rate,
                "agent_usage_metric_id": metric.id,
                "taxes_id": [(6, 0, tax.ids)],
            }
        )
        .product_variant_id
        for name, rate in (("Support Agent", 500.0), ("Sales Agent", 800.0), ("Voice Agent", 950.0))
    ]
    Partner = env["res.partner"]
    Contract = env["agent.billing.contract"]
    deployments, usages = [], []
    for p in range(parents):
        parent = Partner.create(
            {
                "name": f"Group {p:03d} Holding",
                "is_company": True,
                "agent_invoicing_mode": "consolidated",
                "email": f"ap{p}@group{p}.example.com",
            }
        )
        entities = parent | Partner.create(
            [
                {
                    "name": f"Group {p:03d} Entity {c:02d}",
                    "is_company": True,
                    "parent_id": parent.id,
                    "vat": f"BE0{p:03d}{c:02d}0000"[:12],
                }
                for c in range(children)
            ]
        )
        # running for a year, billed up to the measured month (the ledger starts there)
        contracts = Contract.create(
            [
                {
                    "partner_id": entity.id,
                    "state": "active",
                    "date_start": contract_start,
                    "agent_ledger_start": period_start,
                    "billing_model": "usage" if index % 3 == 2 else "per_agent",
                }
                for index, entity in enumerate(entities)
            ]
        )
        for contract in contracts:
            if contract.billing_model == "per_agent":
                for _ in range(rnd.randint(1, 3)):
                    deployments.append(
                        {
                            "partner_id": contract.partner_id.id,
                            "state": "active",
                            "product_id": rnd.choice(agent_types).id,
                            "agent_count": rnd.randint(1, 8),
                            "date_start": period_start - timedelta(days=rnd.randint(-20, 200)),
                        }
                    )
            else:
                for day in range(0, 28, 4):
                    usages.append(
                        {
                            "partner_id": contract.partner_id.id,
                            "metric_id": metric.id,
                            "quantity": rnd.randint(50, 2000),
                            "timestamp": f"{period_start + timedelta(days=day)} 12:00:00",
                        }
                    )
    env["agent.billing.deployment"].create(deployments)
    env["agent.billing.usage"].create(usages)
    return len(deployments), len(usages)


def prepare(parents, children):
    name = f"ab_bench_ent_{parents}x{children}_{code_hash(parents, children)}"
    if bench_odoo.db_exists(name):
        return name
    base = ensure_base()
    for stale in bench_odoo.psql(
        "SELECT datname FROM pg_database WHERE datname LIKE "
        f"'ab\\_bench\\_ent\\_{parents}x{children}\\_%'"
    ).split():
        bench_odoo.drop(stale)
    build = name + "_tmp"
    bench_odoo.drop(build)
    subprocess.run(["createdb", "-T", base, build], check=True)
    t0 = time.time()
    log(f"building {name}: {' + '.join(ADDONS)}, {parents} x {children} entities")
    bench_odoo.odoo(build, "-i", ",".join(ADDONS), "--without-demo=all")
    out = subprocess.run(
        [
            PY,
            __file__,
            "--load",
            "--db",
            build,
            "--parents",
            str(parents),
            "--children",
            str(children),
        ],
        capture_output=True,
        text=True,
    )
    if out.returncode:
        sys.stderr.write(out.stderr[-4000:])
        raise SystemExit(f"loading the bench data into {build} failed")
    bench_odoo.psql(f'ALTER DATABASE "{build}" RENAME TO "{name}"')
    log(f"built {name} in {time.time() - t0:.0f}s")
    return name


def measure(db):
    period_start, period_end = bench_odoo.previous_month()
    results = {}
    with bench_odoo.throwaway_env(db, "ent") as env:
        # (a) the billing run, as the scheduled action makes it
        t0 = time.perf_counter()
        run = env["agent.billing.run"].create(
            {
                "period_start": period_start,
                "period_end": period_end,
                "invoice_date": period_end + timedelta(days=1),
            }
        )
        run._bill_batches(commit=True)
        env.flush_all()
        env.cr.commit()
        seconds = time.perf_counter() - t0
        env.invalidate_all()
        moves = run.move_ids
        consolidated = moves.filtered("agent_consolidated")
        errors = run.line_ids.filtered(lambda r: r.state == "error")
        if errors or len(consolidated) != len(moves):
            raise SystemExit(
                f"bench run: {len(errors)} error row(s), e.g. "
                f"{errors[:1].message}; {len(moves) - len(consolidated)} "
                "invoice(s) not consolidated"
            )
        sections = sum(
            len(m.invoice_line_ids.filtered(lambda x: x.display_type == "line_section"))
            for m in consolidated
        )
        log(
            f"run: {len(consolidated)} consolidated invoices, {sections} sections, "
            f"{len(run.line_ids)} rows in {seconds:.1f}s"
        )
        results["consolidated_invoices_per_min"] = round(len(consolidated) * 60 / seconds, 1)

        # (b) budget checks against a monthly budget per entity, after that run
        Budget = env["agent.billing.budget"]
        entities = run.line_ids.partner_id
        budgets = Budget.create(
            [
                {
                    "partner_id": entity.id,
                    "period_type": "monthly",
                    "date_from": period_start,
                    "amount": 5000.0,
                    "overspend_policy": "approval",
                }
                for entity in entities
            ]
        )
        env.flush_all()
        env.cr.commit()
        env.invalidate_all()
        budgets = Budget.browse(budgets.ids)
        rnd = random.Random(7)
        charges = [round(rnd.uniform(10, 4000), 2) for _ in range(len(budgets))]
        checks, statuses = 0, {}
        t0 = time.perf_counter()
        for _round in range(3):
            env.invalidate_all()
            for start in range(0, len(budgets), CHECK_BATCH):
                batch = budgets[start : start + CHECK_BATCH]
                ledger = batch._ledger()
                for budget, amount in zip(batch, charges[start : start + CHECK_BATCH], strict=True):
                    decision = budget._check_budget(amount, ledger=ledger)[budget]
                    statuses[decision.status] = statuses.get(decision.status, 0) + 1
                    checks += 1
        seconds = time.perf_counter() - t0
        log(f"budget checks: {checks} in {seconds:.2f}s ({statuses})")
        results["budget_checks_per_s"] = round(checks / seconds)
        # for reference: one query per check, without a ledger
        sample = budgets[:200]
        env.invalidate_all()
        t0 = time.perf_counter()
        for budget, amount in zip(sample, charges, strict=False):
            budget._check_budget(amount)
        log(f"single uncached checks: {len(sample) / (time.perf_counter() - t0):.0f}/s")
        env.cr.rollback()
    return results


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--parents", type=int, default=50)
    parser.add_argument("--children", type=int, default=20)
    parser.add_argument("--load", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.load:
        with environment(args.db) as env:
            deployments, usages = load_groups(env, args.parents, args.children)
            env.cr.commit()
        log(
            f"loaded {args.parents} x {args.children} entities, {deployments} deployments, "
            f"{usages} usage records"
        )
        return 0
    if args.measure:
        for key, value in measure(args.db).items():
            print(f"{key}: {value}", flush=True)
        return 0
    db = prepare(args.parents, args.children)
    out = subprocess.run([PY, __file__, "--measure", "--db", db], capture_output=True, text=True)
    sys.stderr.write(out.stderr)
    if out.returncode:
        raise SystemExit(f"bench on {db} failed")
    results = dict(line.split(": ", 1) for line in out.stdout.splitlines() if ": " in line)
    for key in ("budget_checks_per_s", "consolidated_invoices_per_min"):
        print(f"{key}: {results[key]}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
