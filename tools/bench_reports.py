#!/usr/bin/env python3
"""Reports benchmarks on real Odoo + PostgreSQL: the billing dashboard and the aging query.

    python3 tools/bench_reports.py [--clients 2000] [--months 50] [--runs 7] [--rebuild]

Prepares (once, then reuses) a database keyed on a hash of agent_billing, agent_billing_reports
and this script: Odoo's ``account`` without demo data (tools/bench_odoo.py's base database),
the two addons, and ``--clients`` clients billed monthly for ``--months`` months:

* clients, contracts (per agent, or contract tier with a minimum commitment) and two
  deployments each are created through the ORM;
* the first client's invoices (3 product lines + tax + receivable = 5 journal items each) are
  created, posted and partly paid through the ORM: full payments of the invoices of 2 and 6
  months ago (the first one today), half of the one of 4 months ago;
* then they are copied for every other client by SQL bulk inserts (``INSERT ... SELECT``):
  the invoices, their journal items, the payments, their journal entries and reconciliations,
  with ids shifted per copy, the client's partner, contract and deployments, and amounts
  scaled by 1 to 4. Tax relations (many2many tables) are not copied: no measured query reads
  them. With the defaults: 100,000 invoices, about 512,000 journal items, 96,000 open
  receivables.

Measured, each as the median of ``--runs`` runs after 2 warm-up runs, as the admin user (record
rules apply), with Odoo's record cache emptied before each run as for a new request:

    dashboard_ms_100k_invoices   agent.billing.dashboard.get_dashboard_data("monthly")
    aging_ms_100k_open           the receivables analysis grouped by client and aging bucket
                                 (agent.billing.receivable.report, the pivot's query)

Each figure is printed as ``name: value``; lines starting with ``#`` are comments.
"""

import argparse
import hashlib
import statistics
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tools"))
import bench_odoo  # noqa: E402
import odoo_env  # noqa: E402

PY = sys.executable
PREFIX = "ab_bench_reports"

# money columns scaled per copy (all of them, so that every entry stays balanced)
MONEY = {
    "account_move": [
        "amount_untaxed",
        "amount_tax",
        "amount_total",
        "amount_residual",
        "amount_untaxed_signed",
        "amount_untaxed_in_currency_signed",
        "amount_tax_signed",
        "amount_total_signed",
        "amount_total_in_currency_signed",
        "amount_residual_signed",
    ],
    "account_move_line": [
        "debit",
        "credit",
        "balance",
        "amount_currency",
        "amount_residual",
        "amount_residual_currency",
        "price_unit",
        "price_subtotal",
        "price_total",
        "tax_base_amount",
    ],
    "account_payment": ["amount", "amount_company_currency_signed"],
    "account_partial_reconcile": ["amount", "debit_amount_currency", "credit_amount_currency"],
    "account_full_reconcile": [],
}
# insert order: a reference to a table copied later is filled in afterwards (see _clone)
CLONED = [
    "account_full_reconcile",
    "account_move",
    "account_payment",
    "account_move_line",
    "account_partial_reconcile",
]


def code_hash():
    digest = hashlib.sha1()
    for addon in ("agent_billing", "agent_billing_reports"):
        for path in sorted((REPO / addon).rglob("*")):
            if (
                path.is_file()
                and "/tests/" not in str(path)
                and path.suffix in (".py", ".xml", ".csv")
            ):
                digest.update(path.read_bytes())
    digest.update(Path(__file__).read_bytes())
    return digest.hexdigest()[:8]


def _createdb_from(template, name):
    """createdb -T, retried while another process is connected to the template."""
    for attempt in range(30):
        done = subprocess.run(["createdb", "-T", template, name], capture_output=True, text=True)
        if done.returncode == 0:
            return
        if "is being accessed by other users" not in done.stderr or attempt == 29:
            raise SystemExit(f"createdb {name} failed: {done.stderr.strip()}")
        time.sleep(10)


def prepare(clients, months, rebuild=False):
    name = f"{PREFIX}_{clients}x{months}_{code_hash()}"
    if bench_odoo.db_exists(name) and not rebuild:
        return name
    base = bench_odoo.BASE_DB
    if not bench_odoo.db_exists(base):
        print(f"# building {base} (account, no demo)", file=sys.stderr, flush=True)
        bench_odoo.odoo(base + "_tmp", "-i", "account", "--without-demo=all")
        bench_odoo.psql(f'ALTER DATABASE "{base}_tmp" RENAME TO "{base}"')
    for stale in bench_odoo.psql(
        f"SELECT datname FROM pg_database WHERE datname LIKE '{PREFIX}\\_{clients}x{months}\\_%'"
    ).split():
        bench_odoo.drop(stale)
    build = name + "_tmp"
    bench_odoo.drop(build)
    t0 = time.time()
    _createdb_from(base, build)
    print(f"# building {name}: agent_billing_reports", file=sys.stderr, flush=True)
    bench_odoo.odoo(build, "-i", "agent_billing_reports", "--without-demo=all")
    out = subprocess.run(
        [PY, __file__, "--seed", build, "--clients", str(clients), "--months", str(months)],
        capture_output=True,
        text=True,
    )
    if out.returncode:
        sys.stderr.write(out.stdout + out.stderr)
        raise SystemExit("building the reports bench database failed")
    sys.stderr.write(out.stdout)
    bench_odoo.psql(f'ALTER DATABASE "{build}" RENAME TO "{name}"')
    print(f"# built {name} in {time.time() - t0:.0f}s", file=sys.stderr, flush=True)
    return name


# --- Seeding (runs in its own process, inside Odoo) ---------------------------------------------
def _registry(db):
    import odoo
    from odoo.modules.registry import Registry

    odoo.tools.config.parse_config([f"--addons-path={odoo_env.addons_path()}", "--log-level=warn"])
    return Registry(db)


def _add_months(day, count):
    index = day.year * 12 + day.month - 1 + count
    return date(index // 12, index % 12 + 1, 1)


def seed(db, clients, months):
    from odoo import SUPERUSER_ID, Command, api

    t0 = time.time()
    with _registry(db).cursor() as cr:
        env = api.Environment(
            cr,
            SUPERUSER_ID,
            {"tracking_disable": True, "mail_create_nolog": True, "mail_notrack": True},
        )
        company = env.company
        today = date.today()
        first_month = _add_months(today.replace(day=1), -months)
        metric = env.ref("agent_billing.metric_task")
        tax = company.account_sale_tax_id
        types = env["product.product"].create(
            [
                {
                    "name": name,
                    "default_code": code,
                    "type": "service",
                    "is_agent_type": True,
                    "agent_monthly_rate": rate,
                    "agent_monthly_cost": cost,
                    "agent_usage_metric_id": metric.id,
                    "taxes_id": [Command.set(tax.ids)],
                }
                for name, code, rate, cost in (
                    ("Bench Support Agent", "B-SUP", 100.0, 35.0),
                    ("Bench Sales Agent", "B-SDR", 300.0, 110.0),
                )
            ]
        )
        usage_product = env["product.product"].create(
            {"name": "Bench Usage", "type": "service", "taxes_id": [Command.set(tax.ids)]}
        )
        tier = env["agent.billing.tier"].create(
            {
                "name": "Bench Growth",
                "minimum_commitment": 1500.0,
                "discount_percent": 5.0,
                "agent_rate_ids": [
                    Command.create({"product_id": types[0].id, "monthly_rate": 90.0})
                ],
            }
        )
        partners = env["res.partner"].create(
            [
                {
                    "name": f"Bench Client {i:05d}",
                    "is_company": True,
                    "ref": f"BENCH{i:05d}",
                }
                for i in range(clients)
            ]
        )
        term = env.ref("account.account_payment_term_30days")
        contracts = env["agent.billing.contract"].create(
            [
                {
                    "partner_id": p.id,
                    "billing_model": "contract" if i % 3 == 2 else "per_agent",
                    "tier_id": tier.id if i % 3 == 2 else False,
                    "date_start": first_month,
                    "payment_term_id": term.id,
                    "state": "active",
                }
                for i, p in enumerate(partners)
            ]
        )
        deployments = env["agent.billing.deployment"].create(
            [
                {
                    "partner_id": c.partner_id.id,
                    "contract_id": c.id,
                    "product_id": types[k].id,
                    "agent_count": 2 + (i % 5) if k == 0 else 1 + (i % 3),
                    "date_start": first_month if k == 0 else _add_months(first_month, months // 2),
                    "state": "active",
                }
                for i, c in enumerate(contracts)
                for k in (0, 1)
            ]
        )
        env.flush_all()
        print(f"# {clients} clients, contracts, deployments ({time.time() - t0:.0f}s)", flush=True)

        # the first client's invoices, through the ORM
        contract, dep1, dep2 = contracts[0], deployments[0], deployments[1]
        vals_list = []
        for k in range(months):
            start = _add_months(first_month, k)
            end = _add_months(start, 1) - timedelta(days=1)
            lines = [
                Command.create(
                    {
                        "product_id": dep1.product_id.id,
                        "quantity": dep1.agent_count,
                        "price_unit": 100.0,
                        "agent_kind": "agents",
                        "agent_deployment_id": dep1.id,
                        "agent_count": dep1.agent_count,
                    }
                ),
                Command.create(
                    {
                        "product_id": dep2.product_id.id,
                        "quantity": dep2.agent_count,
                        "price_unit": 300.0,
                        "agent_kind": "agents",
                        "agent_deployment_id": dep2.id,
                        "agent_count": dep2.agent_count,
                    }
                ),
                Command.create(
                    {
                        "product_id": usage_product.id,
                        "quantity": 1000 + 37 * k,
                        "price_unit": 0.05,
                        "agent_kind": "usage",
                        "agent_metric_id": metric.id,
                    }
                ),
            ]
            vals_list.append(
                {
                    "move_type": "out_invoice",
                    "partner_id": contract.partner_id.id,
                    "invoice_date": end + timedelta(days=1),
                    "invoice_payment_term_id": term.id,
                    "agent_contract_id": contract.id,
                    "agent_period_start": start,
                    "agent_period_end": end,
                    "invoice_line_ids": lines,
                }
            )
        moves = env["account.move"].create(vals_list)
        moves.action_post()
        Register = env["account.payment.register"]
        paid = {}
        for back, days, share in ((2, None, 1.0), (4, 20, 0.5), (6, 25, 1.0)):
            move = moves[months - back]
            when = today if days is None else move.invoice_date + timedelta(days=days)
            vals = {"payment_date": when}
            if share < 1:
                vals.update(amount=move.amount_total * share, payment_difference_handling="open")
            Register.with_context(active_model="account.move", active_ids=move.ids).create(
                vals
            )._create_payments()
            paid[move.id] = when
        env.flush_all()
        payments = env["account.payment"].search([("partner_id", "=", contract.partner_id.id)])
        template = {
            "account_move": sorted(set(moves.ids) | set(payments.move_id.ids)),
            "account_move_line": sorted((moves | payments.move_id).line_ids.ids),
            "account_payment": sorted(payments.ids),
            "account_partial_reconcile": sorted(
                (moves | payments.move_id).line_ids.matched_debit_ids.ids
                + (moves | payments.move_id).line_ids.matched_credit_ids.ids
            ),
            "account_full_reconcile": sorted(
                (moves | payments.move_id).line_ids.full_reconcile_id.ids
            ),
        }
        template["account_partial_reconcile"] = sorted(set(template["account_partial_reconcile"]))
        print(
            f"# template client: {len(moves)} invoices, {len(payments)} payments, "
            f"{len(template['account_move_line'])} journal items ({time.time() - t0:.0f}s)",
            flush=True,
        )
        _clone(env, template, partners, contracts, deployments, dep1, dep2)
        cr.commit()
        print(f"# copied for {clients - 1} clients ({time.time() - t0:.0f}s)", flush=True)
    db_conn = ["psql", "-X", "-q", "-d", db, "-c", "VACUUM ANALYZE"]
    subprocess.run(db_conn, check=True)
    print(f"# vacuum analyze done ({time.time() - t0:.0f}s)", flush=True)


def _columns(cr, table):
    cr.execute(
        "SELECT column_name FROM information_schema.columns "
        "WHERE table_schema = 'public' AND table_name = %s AND column_name != 'id' "
        "ORDER BY ordinal_position",
        [table],
    )
    return [row[0] for row in cr.fetchall()]


def _foreign_keys(cr, table):
    """{column: referenced table} of ``table``'s foreign keys."""
    cr.execute(
        """SELECT a.attname, c.confrelid::regclass::text
                    FROM pg_constraint c
                    JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = ANY(c.conkey)
                   WHERE c.contype = 'f' AND c.conrelid = %s::regclass""",
        [table],
    )
    return dict(cr.fetchall())


def _clone(env, template, partners, contracts, deployments, dep1, dep2):
    """Copy the template rows once per other client, in one INSERT ... SELECT per table.

    Copy k (1..n-1) of template row number r (rank among the table's template rows, 1-based)
    gets the id base + (k - 1) * count + r, where base is the table's largest id before the
    copies: references between copied tables are shifted the same way."""
    cr = env.cr
    copies = len(partners) - 1
    cr.execute(
        "CREATE TEMP TABLE bench_copy (k int PRIMARY KEY, partner_id int, "
        "contract_id int, dep1_id int, dep2_id int, factor numeric)"
    )
    rows = [
        (
            k,
            partners[k].id,
            contracts[k].id,
            deployments[2 * k].id,
            deployments[2 * k + 1].id,
            1 + k % 4,
        )
        for k in range(1, copies + 1)
    ]
    for start in range(0, len(rows), 1000):
        chunk = rows[start : start + 1000]
        cr.execute("INSERT INTO bench_copy VALUES " + ",".join(["%s"] * len(chunk)), chunk)
    bases, counts = {}, {}
    for table, ids in template.items():
        cr.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table}")
        bases[table] = cr.fetchone()[0]
        counts[table] = len(ids)
        cr.execute(f"CREATE TEMP TABLE bench_rank_{table} (old_id int PRIMARY KEY, r int)")
        cr.execute(
            f"INSERT INTO bench_rank_{table} "
            "SELECT old_id, r FROM unnest(%s::int[]) WITH ORDINALITY AS t(old_id, r)",
            [ids],
        )
    later = []  # (table, column, target): references to rows copied after this table's
    for table in CLONED:
        if not template[table]:
            continue
        columns = _columns(cr, table)
        fks = _foreign_keys(cr, table)
        select, joins = [], []
        for column in columns:
            target = fks.get(column)
            if target in template and CLONED.index(target) > CLONED.index(table):
                select.append("NULL")
                later.append((table, column, target))
            elif target in template:
                alias = f"m_{column}"
                joins.append(
                    f"LEFT JOIN bench_rank_{target} {alias} ON {alias}.old_id = src.{column}"
                )
                select.append(
                    f"CASE WHEN {alias}.r IS NULL THEN NULL ELSE "
                    f"{bases[target]} + (c.k - 1) * {counts[target]} + {alias}.r END"
                )
            elif target == "res_partner":
                select.append(f"CASE WHEN src.{column} IS NULL THEN NULL ELSE c.partner_id END")
            elif column == "agent_contract_id":
                select.append(
                    "CASE WHEN src.agent_contract_id IS NULL THEN NULL ELSE c.contract_id END"
                )
            elif column == "agent_deployment_id":
                select.append(
                    f"CASE src.agent_deployment_id WHEN {dep1.id} THEN c.dep1_id "
                    f"WHEN {dep2.id} THEN c.dep2_id END"
                )
            elif column in MONEY[table]:
                select.append(f"src.{column} * c.factor")
            elif table == "account_move" and column in ("name", "payment_reference"):
                select.append(
                    f"CASE WHEN src.{column} IS NULL OR src.{column} = '/' THEN "
                    f"src.{column} ELSE src.{column} || '-' || c.k END"
                )
            else:
                select.append(f"src.{column}")
        rank = f"bench_rank_{table}"
        sql = (
            f"INSERT INTO {table} (id, {', '.join(columns)}) "
            f"SELECT {bases[table]} + (c.k - 1) * {counts[table]} + own.r, "
            f"{', '.join(select)} "
            f"FROM {table} src JOIN {rank} own ON own.old_id = src.id "
            f"CROSS JOIN bench_copy c {' '.join(joins)}"
        )
        t0 = time.time()
        cr.execute(sql)
        print(f"# {table}: {cr.rowcount} rows copied ({time.time() - t0:.0f}s)", flush=True)
        cr.execute(f"SELECT setval('{table}_id_seq', (SELECT MAX(id) FROM {table}))")
    for table, column, target in later:
        base, count = bases[table], counts[table]
        cr.execute(f"""UPDATE {table} dst
                          SET {column} = {bases[target]}
                              + ((dst.id - {base} - 1) / {count}) * {counts[target]} + m.r
                         FROM bench_rank_{table} own
                         JOIN {table} src ON src.id = own.old_id
                         JOIN bench_rank_{target} m ON m.old_id = src.{column}
                        WHERE dst.id > {base}
                          AND own.r = (dst.id - {base} - 1) % {count} + 1""")
        print(f"# {table}.{column}: {cr.rowcount} references set", flush=True)


# --- Measures -------------------------------------------------------------------------------------
def _median_ms(func, runs, env):
    for _ in range(2):  # warm-up
        func()
        env.invalidate_all()
    times = []
    for _ in range(runs):
        env.invalidate_all()
        t0 = time.perf_counter()
        func()
        times.append((time.perf_counter() - t0) * 1000)
    return round(statistics.median(times))


def measure(db, runs):
    from odoo import api

    with _registry(db).cursor() as cr:
        admin = api.Environment(cr, 1, {})["res.users"].search([("login", "=", "admin")])
        env = api.Environment(cr, admin.id, {"allowed_company_ids": admin.company_id.ids})
        Move = env["account.move"].sudo()
        invoices = Move.search_count([("move_type", "=", "out_invoice")])
        lines = env["account.move.line"].sudo().search_count([])
        open_items = Move.search_count(
            [
                ("move_type", "=", "out_invoice"),
                ("state", "=", "posted"),
                ("payment_state", "not in", ("paid", "in_payment", "reversed")),
            ]
        )
        print(f"# {db}: {invoices} invoices, {lines} journal items, {open_items} open", flush=True)
        dashboard = env["agent.billing.dashboard"]
        data = dashboard.get_dashboard_data("monthly")
        print(
            f"# dashboard: outstanding {data['kpis'][2]['value']}, MRR "
            f"{data['kpis'][1]['value']}, forecast MAPE {data['forecast']['mape']}",
            flush=True,
        )
        dashboard_ms = _median_ms(lambda: dashboard.get_dashboard_data("monthly"), runs, env)
        Aging = env["agent.billing.receivable.report"]
        aging_ms = _median_ms(
            lambda: Aging._read_group([], ["partner_id", "aging_bucket"], ["amount_residual:sum"]),
            runs,
            env,
        )
        cr.rollback()
    print(f"dashboard_ms_100k_invoices: {dashboard_ms}", flush=True)
    print(f"aging_ms_100k_open: {aging_ms}", flush=True)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=2000)
    parser.add_argument("--months", type=int, default=50)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--rebuild", action="store_true", help="build the database again")
    parser.add_argument("--seed", metavar="DB", help=argparse.SUPPRESS)
    parser.add_argument("--measure", metavar="DB", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.seed:
        seed(args.seed, args.clients, args.months)
        return 0
    if args.measure:
        measure(args.measure, args.runs)
        return 0
    db = prepare(args.clients, args.months, args.rebuild)
    out = subprocess.run(
        [PY, __file__, "--measure", db, "--runs", str(args.runs)], capture_output=True, text=True
    )
    if out.returncode:
        sys.stderr.write(out.stdout + out.stderr)
        raise SystemExit(f"bench on {db} failed")
    sys.stdout.write(out.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
