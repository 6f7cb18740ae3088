#!/usr/bin/env python3
"""Benchmarks of Agent Billing; each prints one line ``name: value`` (stdlib only).

    rating_core_clients_per_s   clients rated per second by the plain-Python core
                                (agent_billing/rating, ``rate_client``), over generated clients

then, where Odoo 18 and PostgreSQL are available, the billing-run figures of tools/bench_odoo.py
(raw_create_invoices_per_s, billing_run_invoices_per_s,
billing_run_ratio_one_process_vs_raw_create,
queries_per_invoice, rss_growth_mb_10k_clients), of tools/bench_reports.py
(dashboard_ms_100k_invoices, aging_ms_100k_open) and of tools/bench_enterprise.py
(budget_checks_per_s, consolidated_invoices_per_min).

Options: ``--clients N`` (default 3000), ``--seed S``, ``--json PATH`` to also write the
results as a JSON object (e.g. under .bench/, which git ignores).
"""

import argparse
import importlib.util
import json
import os
import random
import subprocess
import sys
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
RATING_DIR = REPO / "agent_billing" / "rating"
PACKAGE_NAME = "agent_billing_rating"


def load_rating():
    """Import agent_billing/rating standalone, as tests/rating/conftest.py does (no Odoo)."""
    if PACKAGE_NAME in sys.modules:
        return sys.modules[PACKAGE_NAME]
    spec = importlib.util.spec_from_file_location(
        PACKAGE_NAME, RATING_DIR / "__init__.py", submodule_search_locations=[str(RATING_DIR)]
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules[PACKAGE_NAME] = module
    spec.loader.exec_module(module)
    return module


def make_clients(r, n, seed):
    """n (terms, deployments, usages) triples with a mix of billing and charge models."""
    rnd = random.Random(seed)
    agent_types = ["tier1", "tier2", "sre", "noc"]
    metrics = ["tickets", "calls", "minutes", "storage_gb"]

    def money(lo, hi):
        return Decimal(rnd.randint(lo * 100, hi * 100)) / 100

    def usage_price():
        model = rnd.choice(r.CHARGE_MODELS)
        included = Decimal(rnd.choice([0, 0, 10, 100]))
        if model in ("graduated", "volume"):
            limits = sorted(rnd.sample(range(10, 5000), 2))
            bands = (
                r.Band(up_to=Decimal(limits[0]), unit_price=money(1, 5)),
                r.Band(up_to=Decimal(limits[1]), unit_price=money(0, 3), flat_fee=money(0, 20)),
                r.Band(up_to=None, unit_price=money(0, 1)),
            )
            return r.UsagePrice(model=model, bands=bands, included_units=included)
        if model == "package":
            return r.UsagePrice(
                model=model,
                unit_price=money(5, 50),
                package_size=Decimal(rnd.choice([10, 50, 100])),
                included_units=included,
            )
        return r.UsagePrice(model=model, unit_price=money(0, 3), included_units=included)

    period_start = date(2025, 3, 1)
    clients = []
    for _ in range(n):
        model = rnd.choice(r.BILLING_MODELS)
        agent_rates = {
            t: r.AgentRate(
                catalog=money(50, 400),
                tier=money(40, 350) if rnd.random() < 0.3 else None,
                override=money(30, 300) if rnd.random() < 0.1 else None,
            )
            for t in agent_types
        }
        metric_prices = {
            m: r.MetricPrice(
                catalog=usage_price(),
                override=money(0, 2) if rnd.random() < 0.1 else None,
            )
            for m in metrics
        }
        terms = r.ClientTerms(
            billing_model=model,
            agent_rates=agent_rates,
            metric_prices=metric_prices,
            minimum_commitment=money(0, 3000) if model == "contract" else Decimal(0),
            discount_percent=Decimal(rnd.choice([0, 0, 5, 10])),
            contract_start=date(2024, 1, 1),
        )
        deployments = []
        for k in range(rnd.randint(1, 5)):
            start = period_start + timedelta(days=rnd.randint(-60, 25))
            end = start + timedelta(days=rnd.randint(5, 90)) if rnd.random() < 0.3 else None
            deployments.append(
                r.DeploymentInput(
                    ref=k,
                    agent_type=rnd.choice(agent_types),
                    agents=rnd.randint(1, 40),
                    start=start,
                    end=end,
                )
            )
        usages = [
            r.UsageInput(ref=k, metric=rnd.choice(metrics), quantity=Decimal(rnd.randint(0, 3000)))
            for k in range(rnd.randint(0, 12))
        ]
        clients.append((terms, deployments, usages))
    return clients, period_start, date(2025, 3, 31)


def bench_rating_core(n, seed):
    r = load_rating()
    clients, start, end = make_clients(r, n, seed)
    for terms, deps, usages in clients[: min(200, n)]:  # warm-up
        r.rate_client(terms, deps, usages, start, end)
    best = None
    for _ in range(3):
        t0 = time.perf_counter()
        for terms, deps, usages in clients:
            r.rate_client(terms, deps, usages, start, end)
        elapsed = time.perf_counter() - t0
        best = elapsed if best is None else min(best, elapsed)
    return n / best


def bench_odoo(extra_args, script="bench_odoo.py"):
    """The figures of an Odoo benchmark script (tools/bench_odoo.py: billing runs;
    bench_reports.py: dashboard and aging; bench_enterprise.py: budgets and consolidated
    invoices), when Odoo 18 and PostgreSQL are here."""
    probe = subprocess.run(
        [sys.executable, "-c", "import odoo.release as r; assert r.version_info[0] == 18"],
        capture_output=True,
    )
    if probe.returncode:
        print("# skipped the Odoo benchmarks: python3 cannot import Odoo 18", flush=True)
        return {}
    if subprocess.run(
        ["psql", "-X", "-At", "-d", "postgres", "-c", "SELECT 1"], capture_output=True
    ).returncode:
        print("# skipped the Odoo benchmarks: PostgreSQL does not answer", flush=True)
        return {}
    results = {}
    with subprocess.Popen(
        [sys.executable, str(REPO / "tools" / script), *extra_args],
        stdout=subprocess.PIPE,
        text=True,
    ) as proc:
        for line in proc.stdout:
            print(line, end="", flush=True)
            if ": " in line and not line.startswith("#"):
                key, value = line.strip().split(": ", 1)
                results[key] = value
    if proc.returncode:
        raise SystemExit(f"the Odoo benchmarks of tools/{script} failed")
    return results


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=20250301)
    parser.add_argument("--json", help="also write the results to this JSON file")
    parser.add_argument(
        "odoo_args", nargs="*", help="passed to tools/bench_odoo.py, e.g. -- --skip-big"
    )
    args = parser.parse_args(argv)

    results = {"rating_core_clients_per_s": round(bench_rating_core(args.clients, args.seed))}
    for name, value in results.items():
        print(f"{name}: {value}", flush=True)
    results.update(bench_odoo(args.odoo_args))
    if results.get("billing_run_invoices_per_s"):  # Odoo is here: the addons' own figures
        results.update(bench_odoo([], "bench_reports.py"))
        results.update(bench_odoo([], "bench_enterprise.py"))
    if args.json:
        os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(results, f, indent=2, sort_keys=True)
            f.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
