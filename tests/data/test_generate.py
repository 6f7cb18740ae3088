"""Tests of the plain sample of data/generate.py (no Odoo needed).

python3 -m pytest tests/data -q -p no:odoo
"""

import importlib.util
import json
import os
import re
import subprocess
import sys
from collections import Counter, defaultdict
from datetime import date, timedelta
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "data" / "generate.py"
TODAY = date(2026, 3, 18)


def _import_generator():
    spec = importlib.util.spec_from_file_location("agent_billing_sample_generate", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


gen = _import_generator()


def d(value):
    return date.fromisoformat(value[:10]) if value else None


@pytest.fixture(scope="module")
def sample():
    return gen.generate(300, seed=42, today=TODAY)


@pytest.fixture(scope="module")
def big():
    return gen.generate(1000, seed=5, today=TODAY)


# --- Determinism and size -----------------------------------------------------------------------


def test_same_seed_same_sample():
    assert gen.generate(40, seed=7, today=TODAY) == gen.generate(40, seed=7, today="2026-03-18")


def test_other_seed_other_sample():
    a = gen.generate(40, seed=7, today=TODAY)
    b = gen.generate(40, seed=8, today=TODAY)
    assert [c["name"] for c in a["clients"]] != [c["name"] for c in b["clients"]]
    assert a["usage"] != b["usage"]
    assert not {u["key"] for u in a["usage"]} & {u["key"] for u in b["usage"]}
    assert not {c["ref"] for c in a["clients"]} & {c["ref"] for c in b["clients"]}


def test_prefix_stable():
    """The first clients of a bigger sample are the clients of the smaller one."""
    small = gen.generate(20, seed=3, today=TODAY)
    large = gen.generate(50, seed=3, today=TODAY)
    assert large["clients"][:20] == small["clients"]
    assert large["usage"][: len(small["usage"])] == small["usage"]


def test_sizes_scale_with_n():
    sizes = {}
    for n in (0, 50, 100, 400):
        data = gen.generate(n, seed=11, today=TODAY)
        assert len(data["clients"]) == n
        assert data["meta"]["n_clients"] == n
        sizes[n] = (
            sum(len(c["deployments"]) for c in data["clients"]),
            len(data["usage"]),
        )
    assert sizes[0] == (0, 0)
    for n in (50, 100, 400):
        deployments, usage = sizes[n]
        assert n <= deployments <= 4 * n
        # one record per client, metric and week: ~52 to ~200 per client-year
        assert 40 * n <= usage <= 220 * n
    ratio = sizes[400][1] / sizes[100][1]
    assert 3.0 <= ratio <= 5.0


def test_rejects_bad_client_count():
    with pytest.raises(ValueError):
        gen.generate(-1)


# --- Catalog ------------------------------------------------------------------------------------


def test_catalog(sample):
    catalog = sample["catalog"]
    assert 4 <= len(catalog["agent_types"]) <= 6
    codes = {m["code"] for m in catalog["metrics"]}
    assert codes == {"task", "execution", "hour"}
    for agent_type in catalog["agent_types"]:
        assert 200 <= agent_type["monthly_rate"] <= 1500
        assert agent_type["metric"] in codes
        assert agent_type["code"]
    assert [t["name"] for t in catalog["tiers"]] == ["Starter", "Growth", "Enterprise"]
    models = Counter(r["charge_model"] for t in catalog["tiers"] for r in t["usage_rates"])
    assert set(models) == {"standard", "graduated", "volume", "package"}
    type_codes = {t["code"] for t in catalog["agent_types"]}
    for tier in catalog["tiers"]:
        assert tier["minimum_commitment"] > 0
        assert 0 <= tier["discount_percent"] < 100
        assert {r["agent_type"] for r in tier["agent_rates"]} <= type_codes
        assert {r["metric"] for r in tier["usage_rates"]} <= codes
        for rate in tier["usage_rates"]:
            if rate["charge_model"] in ("graduated", "volume"):
                limits = [b["up_to"] for b in rate["bands"]]
                assert limits[-1] == 0  # open-ended last band
                assert limits[:-1] == sorted(limits[:-1]) and all(x > 0 for x in limits[:-1])
            if rate["charge_model"] == "package":
                assert rate["package_size"] > 1 and rate["unit_price"] > 0
    assert any(r["included_units"] for t in catalog["tiers"] for r in t["usage_rates"])
    assert any(t["discount_percent"] for t in catalog["tiers"])


# --- Clients and contracts ----------------------------------------------------------------------


def test_client_identity(sample):
    refs = [c["ref"] for c in sample["clients"]]
    assert len(set(refs)) == len(refs)
    assert refs[0] == "GEN-000001" and refs[122] == "GEN-000123"
    assert all(re.fullmatch(r"GEN-\d{6}", ref) for ref in refs)
    names = [c["name"] for c in sample["clients"]]
    assert len(set(names)) == len(names)
    for client in sample["clients"]:
        assert re.fullmatch(r"[^@\s]+@[^@\s]+\.example\.com", client["email"])
        assert re.fullmatch(r"[A-Z]{2}", client["country"])
        if client["invoice_contact"]:
            assert "@" in client["invoice_contact"]["email"]
    with_contact = sum(1 for c in sample["clients"] if c["invoice_contact"])
    assert 0.2 * len(refs) <= with_contact <= 0.5 * len(refs)
    assert len({c["country"] for c in sample["clients"]}) >= 6


def test_other_seed_refs():
    assert gen.client_ref(42, 123) == "GEN-000123"
    assert gen.client_ref(7, 123) == "GEN-S7-000123"


def test_billing_model_mix(big):
    models = Counter(c["contract"]["billing_model"] for c in big["clients"])
    assert models == {"per_agent": 400, "usage": 300, "contract": 300}  # exact per 10 clients
    small = Counter(
        c["contract"]["billing_model"] for c in gen.generate(20, seed=9, today=TODAY)["clients"]
    )
    assert small == {"per_agent": 8, "usage": 6, "contract": 6}


def test_contracts(big):
    cycles = Counter(c["contract"]["billing_cycle"] for c in big["clients"])
    assert cycles["monthly"] > 0.6 * len(big["clients"])
    assert cycles["quarterly"] > 0 and cycles["annual"] > 0
    states = Counter(c["contract"]["state"] for c in big["clients"])
    assert states["active"] > 0.75 * len(big["clients"]) and states["closed"] > 0
    terms = Counter(c["contract"]["payment_term"] for c in big["clients"])
    assert all(t.startswith("account.account_payment_term_") for t in terms)
    assert len(terms) >= 4
    tiers = Counter(c["contract"]["tier"] for c in big["clients"])
    assert set(tiers) == {None, "Starter", "Growth", "Enterprise"}
    for client in big["clients"]:
        contract = client["contract"]
        start, end = d(contract["date_start"]), d(contract["date_end"])
        assert TODAY - timedelta(days=731) <= start <= TODAY - timedelta(days=365)
        assert end is None or end >= start
        assert (contract["tier"] is not None) == (contract["billing_model"] == "contract")
        assert contract["state"] == ("closed" if end and end < TODAY else "active")


def test_deployments(big):
    for client in big["clients"]:
        contract = client["contract"]
        c_start, c_end = d(contract["date_start"]), d(contract["date_end"])
        assert 1 <= len(client["deployments"]) <= 4
        for dep in client["deployments"]:
            start, end = d(dep["date_start"]), d(dep["date_end"])
            assert 1 <= dep["agents"] <= 20
            assert end is None or end >= start
            assert c_start <= start <= TODAY
            if c_end:
                assert end is not None and end <= c_end
            assert dep["state"] == ("ended" if end and end < TODAY else "active")
    deps = [dep for c in big["clients"] for dep in c["deployments"]]
    assert any(d(x["date_start"]).day not in (1,) for x in deps)  # mid-month starts
    assert any(x["state"] == "ended" and d(x["date_end"]).day != 1 for x in deps)
    assert Counter(x["state"] for x in deps)["ended"] > 0.05 * len(deps)


def test_overrides_never_overlap(big):
    with_overrides = [c for c in big["clients"] if c["overrides"]]
    assert 0.05 * len(big["clients"]) <= len(with_overrides) <= 0.15 * len(big["clients"])
    assert any(len(c["overrides"]) > 1 for c in with_overrides)
    for client in with_overrides:
        by_item = defaultdict(list)
        types = {dep["agent_type"] for dep in client["deployments"]}
        for ov in client["overrides"]:
            assert (ov["agent_type"] is None) != (ov["metric"] is None)
            assert ov["agent_type"] is None or ov["agent_type"] in types
            assert ov["monthly_rate"] >= 0 and ov["unit_price"] >= 0
            start, end = d(ov["date_from"]), d(ov["date_to"])
            assert end is None or end >= start
            by_item[(ov["agent_type"], ov["metric"])].append((start, end or date.max))
        for spans in by_item.values():
            spans.sort()
            for (_s1, e1), (s2, _e2) in zip(spans, spans[1:], strict=False):
                assert s2 > e1, f"{client['ref']}: overrides overlap"


# --- Usage --------------------------------------------------------------------------------------


def test_usage_keys_unique(big):
    keys = [u["key"] for u in big["usage"]]
    assert len(set(keys)) == len(keys)
    assert all(re.fullmatch(r"gen-5-\d+", key) for key in keys)


def test_usage_consistent(sample):
    meta = sample["meta"]
    start, end = d(meta["usage_start"]), d(meta["usage_end"])
    assert start == date(2025, 3, 1) and end == TODAY - timedelta(days=1)
    clients = {c["ref"]: c for c in sample["clients"]}
    metric_of = {t["code"]: t["metric"] for t in sample["catalog"]["agent_types"]}
    per_client_metric_week = Counter()
    for u in sample["usage"]:
        client = clients[u["client"]]
        day = d(u["timestamp"])
        assert start <= day <= end
        assert u["quantity"] >= 0
        assert u["metric"] in metric_of.values()
        if u["deployment"] is not None:
            dep = client["deployments"][u["deployment"]]
            assert d(dep["date_start"]) <= day
            assert dep["date_end"] is None or day <= d(dep["date_end"])
            assert u["agent_type"] == dep["agent_type"]
        if u["agent_type"]:
            assert metric_of[u["agent_type"]] == u["metric"]
        c_end = d(client["contract"]["date_end"])
        assert c_end is None or day <= c_end
        assert u["timestamp"][:7] not in client["zero_usage_months"]
        per_client_metric_week[(u["client"], u["metric"], day.isocalendar()[:2])] += 1
    assert max(per_client_metric_week.values()) == 1  # one record per client, metric and week


def test_usage_volume_and_trends(big):
    """About 50 records per metric per client-year, with growing and declining clients."""
    clients = {c["ref"]: c for c in big["clients"]}
    per_client_metric = Counter((u["client"], u["metric"]) for u in big["usage"])
    full_year = [
        n
        for (ref, _m), n in per_client_metric.items()
        if clients[ref]["contract"]["state"] == "active"
    ]
    assert 45 <= sorted(full_year)[len(full_year) // 2] <= 58

    start = d(big["meta"]["usage_start"])
    first, last = Counter(), Counter()
    for u in big["usage"]:
        day = d(u["timestamp"])
        if day < start + timedelta(days=90):
            first[u["client"]] += u["quantity"]
        elif day >= start + timedelta(days=270) and day < start + timedelta(days=360):
            last[u["client"]] += u["quantity"]
    trend_ratio = defaultdict(list)
    for ref, client in clients.items():
        deps = client["deployments"]
        steady = all(x["date_end"] is None and d(x["date_start"]) < start for x in deps)
        if steady and first[ref] and last[ref] and not client["zero_usage_months"]:
            trend_ratio[client["trend"]].append(last[ref] / first[ref])
    mean = {t: sum(v) / len(v) for t, v in trend_ratio.items()}
    assert mean["growing"] > 1.25 > mean["flat"] > 0.85 > mean["declining"]


def test_zero_usage_months(sample):
    clients_with_gaps = [c for c in sample["clients"] if c["zero_usage_months"]]
    assert clients_with_gaps
    months = Counter((u["client"], u["timestamp"][:7]) for u in sample["usage"])
    for client in clients_with_gaps:
        for month in client["zero_usage_months"]:
            assert months[(client["ref"], month)] == 0


# --- History periods ----------------------------------------------------------------------------


def test_history_periods():
    window = (date(2025, 3, 1), date(2026, 2, 28))
    monthly = gen.history_periods("monthly", date(2024, 1, 1), None, *window)
    assert len(monthly) == 12
    assert monthly[0] == (date(2025, 3, 1), date(2025, 3, 31))
    assert monthly[-1] == (date(2026, 2, 1), date(2026, 2, 28))
    # clipped to the contract; nothing after its end
    clipped = gen.history_periods("monthly", date(2025, 6, 15), date(2025, 9, 10), *window)
    assert clipped[0] == (date(2025, 6, 15), date(2025, 6, 30))
    assert clipped[-1] == (date(2025, 9, 1), date(2025, 9, 10))
    assert len(clipped) == 4
    quarterly = gen.history_periods("quarterly", date(2024, 1, 1), None, *window)
    # periods that end inside the window: Q1 2025 (ends 31 March) is in, Q1 2026 is not
    assert quarterly == [
        (date(2025, 1, 1), date(2025, 3, 31)),
        (date(2025, 4, 1), date(2025, 6, 30)),
        (date(2025, 7, 1), date(2025, 9, 30)),
        (date(2025, 10, 1), date(2025, 12, 31)),
    ]
    annual = gen.history_periods("annual", date(2024, 5, 1), None, *window)
    assert annual == [(date(2025, 1, 1), date(2025, 12, 31))]
    assert gen.history_periods("monthly", date(2026, 3, 1), None, *window) == []


# --- JSON files ---------------------------------------------------------------------------------


def test_json_round_trip(tmp_path):
    data = gen.generate(25, seed=4, today=TODAY)
    gen.write_out(data, tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "catalog.json",
        "clients.json",
        "meta.json",
        "usage.json",
    ]
    assert gen.read_out(tmp_path) == data
    assert json.loads(json.dumps(data)) == data  # JSON types only


def test_cli_out_without_odoo(tmp_path):
    """--out works where Odoo cannot be imported, and writes the same sample as generate()."""
    code = (
        "import runpy, sys; sys.modules['odoo'] = None; "
        f"sys.argv = [{str(SCRIPT)!r}] + sys.argv[1:]; "
        f"runpy.run_path({str(SCRIPT)!r}, run_name='__main__')"
    )
    out = tmp_path / "sample"
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            code,
            "--clients",
            "12",
            "--seed",
            "42",
            "--today",
            "2026-03-18",
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": ""},
    )
    assert proc.returncode == 0, proc.stderr
    assert "generated 12 clients" in proc.stdout
    assert gen.read_out(out) == gen.generate(12, seed=42, today=TODAY)


def test_cli_needs_a_target():
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), "--clients", "3"], capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 2
    assert "--out" in proc.stderr
