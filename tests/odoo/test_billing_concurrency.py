"""Real concurrency: two threads, two database transactions, at the same moment.

Plain pytest functions on real registry cursors (pytest-odoo loads the registry; Odoo's
TransactionCase would put it in test mode, where every cursor is the test's own). Fixtures are
committed and deleted again.
"""

import threading
import uuid
from contextlib import contextmanager
from datetime import date

import pytest

import odoo
from odoo import SUPERUSER_ID, api
from odoo.service.model import retrying
from odoo.tools import mute_logger

PERIOD = {"period_start": date(2032, 3, 1), "period_end": date(2032, 3, 31)}


@contextmanager
def environment(commit=True):
    registry = odoo.modules.registry.Registry(odoo.tools.config["db_name"])
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {"tracking_disable": True})
        yield env
        if commit:
            cr.commit()
        else:
            cr.rollback()


def run_together(*targets):
    """Start the targets at the same moment; return the exceptions they raised."""
    barrier = threading.Barrier(len(targets), timeout=30)
    errors = []

    def wrap(target):
        try:
            barrier.wait()
            target()
        except Exception as exc:  # noqa: BLE001 - returned to the test
            errors.append(exc)

    threads = [threading.Thread(target=wrap, args=(t,)) for t in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
        assert not thread.is_alive(), "a concurrent transaction hung"
    return errors


@pytest.fixture
def client():
    tag = uuid.uuid4().hex[:8]
    with environment() as env:
        company = env.ref("base.main_company")
        product = env["product.product"].create(
            {
                "name": f"Concurrency agent {tag}",
                "default_code": f"CC-{tag}",
                "type": "service",
                "is_agent_type": True,
                "agent_monthly_rate": 100.0,
                "company_id": company.id,
                "agent_usage_metric_id": env.ref("agent_billing.metric_task").id,
            }
        )
        partner = env["res.partner"].create(
            {
                "name": f"Concurrency client {tag}",
                "ref": f"CC-{tag}",
                "agent_billing_ref": f"CC-{tag}",
                "is_company": True,
            }
        )
        contract = env["agent.billing.contract"].create(
            {
                "partner_id": partner.id,
                "billing_model": "per_agent",
                "date_start": date(2032, 3, 1),
                "state": "active",
                "company_id": company.id,
            }
        )
        env["agent.billing.deployment"].create(
            {
                "partner_id": partner.id,
                "product_id": product.id,
                "agent_count": 2,
                "date_start": date(2032, 3, 1),
                "state": "active",
                "company_id": company.id,
            }
        )
        ids = {
            "company": company.id,
            "product": product.id,
            "partner": partner.id,
            "contract": contract.id,
            "tag": tag,
        }
    yield ids
    with environment() as env:
        moves = env["account.move"].search([("agent_contract_id", "=", ids["contract"])])
        moves.with_context(force_delete=True).unlink()
        env["agent.billing.run"].search([("period_start", "=", PERIOD["period_start"])]).unlink()
        env["agent.billing.usage"].search([("partner_id", "=", ids["partner"])]).unlink()
        env["agent.billing.deployment"].search([("partner_id", "=", ids["partner"])]).unlink()
        env["agent.billing.contract"].browse(ids["contract"]).unlink()
        env["product.product"].browse(ids["product"]).product_tmpl_id.unlink()
        env["res.partner"].browse(ids["partner"]).unlink()


def test_concurrent_invoicing_of_one_contract_makes_one_invoice(client):
    """Two rows for the same contract and period are invoiced by two transactions at once: the
    unique index lets one through; the other row is reported as invoiced meanwhile."""
    with environment() as env:
        run = env["agent.billing.run"].create(PERIOD)
        run.action_compute()
        row = run.line_ids.filtered(lambda r: r.contract_id.id == client["contract"])
        details = [
            {k: v for k, v in vals.items() if k != "line_id"} for vals in row.detail_ids.copy_data()
        ]
        twin = row.copy({"run_id": run.id, "detail_ids": [(0, 0, v) for v in details]})
        row_ids = [row.id, twin.id]

    def invoice(row_id):
        def target():
            with environment() as env:
                env["agent.billing.run.line"].browse(row_id)._create_invoices()

        return target

    with mute_logger("odoo.sql_db", "odoo.addons.agent_billing.models.agent_billing_run_line"):
        errors = run_together(invoice(row_ids[0]), invoice(row_ids[1]))
    assert errors == []
    with environment(commit=False) as env:
        moves = env["account.move"].search([("agent_contract_id", "=", client["contract"])])
        assert len(moves) == 1
        assert moves.amount_untaxed == 200.0
        rows = env["agent.billing.run.line"].browse(row_ids)
        assert sorted(rows.mapped("state")) == ["invoiced", "skipped"]
        assert "created meanwhile" in rows.filtered(lambda r: r.state == "skipped").message


def test_same_usage_batch_posted_twice_at_once(client):
    """Both transactions see no duplicates before inserting; the unique index settles it and
    every event is accounted for exactly once as accepted overall."""
    events = [
        {
            "idempotency_key": f"cc-{client['tag']}-{i}",
            "client": f"CC-{client['tag']}",
            "agent_type": f"CC-{client['tag']}",
            "quantity": i + 1,
            "timestamp": "2032-03-05T10:00:00Z",
        }
        for i in range(200)
    ]
    results = []

    def ingest():
        # as an HTTP or RPC request does: Odoo retries a transaction that lost a race
        # (REPEATABLE READ serialization failure) on a fresh snapshot
        with environment() as env:
            results.append(retrying(lambda: env["agent.billing.usage"]._ingest(events), env))

    with mute_logger("odoo.sql_db"):
        errors = run_together(ingest, ingest)
    assert errors == []
    assert len(results) == 2
    for result in results:
        assert result["accepted"] + result["duplicate"] + result["rejected"] == len(events)
        assert result["rejected"] == 0
    assert sum(r["accepted"] for r in results) == len(events)
    assert sum(r["duplicate"] for r in results) == len(events)
    with environment(commit=False) as env:
        stored = env["agent.billing.usage"].search([("partner_id", "=", client["partner"])])
        assert len(stored) == len(events)
        assert sum(stored.mapped("quantity")) == sum(range(1, 201))


@pytest.fixture
def many_clients():
    """Six committed clients on a monthly per-agent contract each."""
    tag = uuid.uuid4().hex[:8]
    with environment() as env:
        company = env.ref("base.main_company")
        product = env["product.product"].create(
            {
                "name": f"Worker agent {tag}",
                "type": "service",
                "is_agent_type": True,
                "agent_monthly_rate": 100.0,
                "company_id": company.id,
            }
        )
        partners = env["res.partner"].create(
            [{"name": f"Worker client {tag} {i}", "is_company": True} for i in range(6)]
        )
        contracts = env["agent.billing.contract"].create(
            [
                {
                    "partner_id": p.id,
                    "billing_model": "per_agent",
                    "date_start": date(2032, 3, 1),
                    "state": "active",
                    "company_id": company.id,
                }
                for p in partners
            ]
        )
        env["agent.billing.deployment"].create(
            [
                {
                    "partner_id": p.id,
                    "product_id": product.id,
                    "agent_count": i + 1,
                    "date_start": date(2032, 3, 1),
                    "state": "active",
                    "company_id": company.id,
                }
                for i, p in enumerate(partners)
            ]
        )
        ids = {"product": product.id, "partners": partners.ids, "contracts": contracts.ids}
    yield ids
    with environment() as env:
        moves = env["account.move"].search([("agent_contract_id", "in", ids["contracts"])])
        moves.with_context(force_delete=True).unlink()
        env["agent.billing.run.line"].search([("contract_id", "in", ids["contracts"])]).unlink()
        env["agent.billing.run"].search([("period_start", "=", PERIOD["period_start"])]).unlink()
        env["agent.billing.deployment"].search([("partner_id", "in", ids["partners"])]).unlink()
        env["agent.billing.contract"].browse(ids["contracts"]).unlink()
        env["product.product"].browse(ids["product"]).product_tmpl_id.unlink()
        env["res.partner"].browse(ids["partners"]).unlink()


def _bill_scheduled(monkeypatch, batch_size=2):
    """A scheduled run's billing in committed batches (as the cron does, outside test mode)."""
    monkeypatch.setattr(threading.current_thread(), "testing", False)
    with environment() as env:
        run = env["agent.billing.run"].create(PERIOD)
        env.cr.commit()
        handed_to_jobs = run._bill_batches(commit=True, batch_size=batch_size)
        return run.id, handed_to_jobs


def _our_moves(env, ids):
    return env["account.move"].search([("agent_contract_id", "in", ids["contracts"])])


def test_scheduled_run_bills_every_client_once_in_committed_batches(many_clients, monkeypatch):
    run_id, handed_to_jobs = _bill_scheduled(monkeypatch)
    assert handed_to_jobs is False, "six clients are not worth background jobs"
    with environment(commit=False) as env:
        run = env["agent.billing.run"].browse(run_id)
        ours = run.line_ids.filtered(lambda r: r.contract_id.id in many_clients["contracts"])
        assert len(ours) == 6
        assert set(ours.mapped("state")) == {"invoiced"}
        moves = _our_moves(env, many_clients)
        assert len(moves) == 6
        assert sorted(moves.mapped("amount_untaxed")) == [100.0, 200.0, 300.0, 400.0, 500.0, 600.0]
        assert run.state == "invoiced"


def test_interrupted_scheduled_run_resumes_and_bills_nothing_twice(many_clients, monkeypatch):
    """The server dies after the first committed batch of invoices: the next scheduled run
    goes on from there."""
    from odoo.addons.agent_billing.models.agent_billing_run_line import AgentBillingRunLine

    original = AgentBillingRunLine._create_invoices
    calls = []

    def dies_on_second_batch(self):
        calls.append(len(self))
        if len(calls) == 2:
            raise KeyboardInterrupt("server stopped")
        return original(self)

    monkeypatch.setattr(AgentBillingRunLine, "_create_invoices", dies_on_second_batch)
    with pytest.raises(KeyboardInterrupt):
        _bill_scheduled(monkeypatch)
    with environment(commit=False) as env:
        committed = _our_moves(env, many_clients)
        assert 0 < len(committed) < 6, "the first batch was committed, not the rest"
    monkeypatch.setattr(AgentBillingRunLine, "_create_invoices", original)
    with environment() as env:
        run = env["agent.billing.run"].search([("period_start", "=", PERIOD["period_start"])])
        run._cron_process(commit=True)
    with environment(commit=False) as env:
        moves = _our_moves(env, many_clients)
        assert len(moves) == 6
        assert len(set(moves.mapped("agent_contract_id"))) == 6
