#!/usr/bin/env python3
"""Ingestion throughput over HTTP on loopback (called by tools/bench_odoo.py).

Starts an Odoo server (2 worker processes) on a copy of a bench database, creates a usage
ingestion user and API key, and POSTs 100,000 events in batches of 1,000 from two client threads:
90,000 new events and 10,000 re-sent ones (every tenth batch is a re-send of an earlier batch).

    ingest_events_per_s             events sent / wall time
    ingest_duplicates_detected_pct  duplicates reported / events re-sent x 100
"""

import json
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tools"))
import odoo_env  # noqa: E402

PY = sys.executable
BATCH = 1000
TOTAL = 100_000


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def setup_key(db):
    """An ingestion user with an API key, and the client/agent type refs to report against."""
    code = """
import json
from datetime import timedelta
from odoo import fields
env.company.agent_billing_rate_limit = 0
user = env["res.users"].create({"name": "Bench ingestion", "login": "bench_ingest",
    "groups_id": [(6, 0, [env.ref("agent_billing.group_agent_billing_ingest").id])]})
key = env["res.users.apikeys"].with_user(user).sudo()._generate(
    None, "bench", fields.Date.today() + timedelta(days=1))
deployments = env["agent.billing.deployment"].search([("state", "=", "active")], limit=200)
refs = [[d.partner_id.agent_billing_ref, d.product_id.default_code] for d in deployments
        if d.partner_id.agent_billing_ref and d.product_id.default_code]
env.cr.commit()
print("BENCH" + json.dumps({"key": key, "refs": refs}))
"""
    return odoo_shell(db, code)


def odoo_shell(db, code):
    """Run ``code`` in ``odoo shell`` on ``db``; the JSON it prints after "BENCH"."""
    out = subprocess.run(
        [
            PY,
            "-m",
            "odoo",
            "shell",
            "-d",
            db,
            f"--addons-path={odoo_env.addons_path()}",
            "--no-http",
            "--log-level=warn",
        ],
        input=code,
        capture_output=True,
        text=True,
        check=True,
    )
    line = next(ln for ln in out.stdout.splitlines() if ln.startswith("BENCH"))
    return json.loads(line[5:])


def run(db):
    setup = setup_key(db)
    port = free_port()
    server = subprocess.Popen(
        [
            PY,
            "-m",
            "odoo",
            "-d",
            db,
            f"--addons-path={odoo_env.addons_path()}",
            "--http-interface=127.0.0.1",
            f"--http-port={port}",
            "--workers=2",
            "--max-cron-threads=0",
            "--log-level=warn",
            "--limit-time-real=600",
            f"--db-filter=^{db}$",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}/agent_billing/api/v1/usage"
    try:
        for _ in range(120):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/web/health", timeout=2)
                break
            except OSError:
                time.sleep(0.5)
        refs = setup["refs"]
        batches = []
        fresh = 0
        for number in range(TOTAL // BATCH):
            if number % 10 == 9:  # every tenth batch re-sends an earlier one
                batches.append(("resent", batches[number - 5][1]))
                continue
            events = []
            for _i in range(BATCH):
                client, agent_type = refs[fresh % len(refs)]
                events.append(
                    {
                        "idempotency_key": f"bench-{fresh}",
                        "client": client,
                        "agent_type": agent_type,
                        "quantity": 1 + fresh % 7,
                        "timestamp": "2026-11-02T10:00:00Z",
                    }
                )
                fresh += 1
            batches.append(("new", json.dumps({"events": events}).encode()))
        headers = {"Authorization": f"Bearer {setup['key']}", "Content-Type": "application/json"}
        totals = {"accepted": 0, "duplicate": 0, "rejected": 0, "resent_duplicates": 0}
        lock = threading.Lock()

        def post(item):
            kind, body = item
            request = urllib.request.Request(url, data=body, headers=headers)
            with urllib.request.urlopen(request, timeout=300) as response:
                result = json.loads(response.read())
            with lock:
                for name in ("accepted", "duplicate", "rejected"):
                    totals[name] += result[name]
                if kind == "resent":
                    totals["resent_duplicates"] += result["duplicate"]

        # warm both workers up with one small request each (loading the registry)
        for _ in range(2):
            post(("warm", json.dumps({"events": []}).encode()))
        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=2) as pool:
            list(pool.map(post, batches))
        seconds = time.perf_counter() - started
    finally:
        server.terminate()
        server.wait(timeout=30)
    resent = sum(1 for kind, _body in batches if kind == "resent") * BATCH
    sent = len(batches) * BATCH
    return {
        "ingest_events_per_s": round(sent / seconds),
        "ingest_duplicates_detected_pct": round(100 * totals["resent_duplicates"] / resent, 1),
        "ingest_accepted": totals["accepted"],
        "ingest_rejected": totals["rejected"],
    }


if __name__ == "__main__":
    for name, value in run(sys.argv[1]).items():
        print(f"{name}: {value}", flush=True)
