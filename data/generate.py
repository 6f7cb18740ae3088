#!/usr/bin/env python3
"""Sample data for Agent Billing: clients, contracts, deployments, usage, overrides, invoices.

Two modes (see data/README.md)::

    python3 data/generate.py --clients 50 --out /tmp/sample          # plain JSON, stdlib only
    python3 data/generate.py --clients 50 --load agent_billing_demo  # into an Odoo database

Importable as well: ``generate(n_clients, seed=42, today=None)`` returns the plain sample (a dict
of JSON types only, deterministic for a seed and a day) and ``load(env, data, history_months=12,
batch_size=500)`` writes it through the ORM and returns the counts of what it created.

Client ``i`` (1-based) of seed ``s`` draws its random numbers from its own generator, so the first
50 clients of ``--clients 100`` are the 50 clients of ``--clients 50``.
"""

import argparse
import calendar
import json
import math
import os
import random
import sys
import time
from datetime import date, datetime, timedelta

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GENERATOR_VERSION = 1
DEFAULT_SEED = 42
SOURCE = "sample-generator"
MARKER_PARAM = "agent_billing.sample_data.seed_%s"
OUT_FILES = ("meta", "catalog", "clients", "usage")

# --- Catalog (the same for every seed) ----------------------------------------------------------

# Metrics exist already (agent_billing/data/agent_billing_metric_data.xml); the sample sets their
# catalog price and invoice product. Task and execution prices equal the module's demo data.
METRICS = [
    {"code": "task", "xmlid": "agent_billing.metric_task", "unit_price": 0.05},
    {"code": "execution", "xmlid": "agent_billing.metric_execution", "unit_price": 0.01},
    {"code": "hour", "xmlid": "agent_billing.metric_hour", "unit_price": 1.5},
]
# Same default code as the demo's "Agent Usage" product, which is then reused.
USAGE_PRODUCT = {"name": "Agent Usage", "default_code": "AGT-USAGE"}
# Support and SDR match the demo products (same code, rate and metric), which are then reused.
# weekly_per_agent: range of the usage one agent reports per week, in the metric's unit.
AGENT_TYPES = [
    {
        "code": "AGT-SUPPORT",
        "name": "Support Agent",
        "monthly_rate": 500.0,
        "metric": "task",
        "weekly_per_agent": [150, 600],
        "weight": 30,
    },
    {
        "code": "AGT-SDR",
        "name": "Sales Development Agent",
        "monthly_rate": 800.0,
        "metric": "execution",
        "weekly_per_agent": [800, 4000],
        "weight": 20,
    },
    {
        "code": "AGT-ANALYST",
        "name": "Data Analyst Agent",
        "monthly_rate": 1200.0,
        "metric": "execution",
        "weekly_per_agent": [300, 1500],
        "weight": 15,
    },
    {
        "code": "AGT-CODEREV",
        "name": "Code Review Agent",
        "monthly_rate": 350.0,
        "metric": "task",
        "weekly_per_agent": [40, 160],
        "weight": 20,
    },
    {
        "code": "AGT-VOICE",
        "name": "Voice Agent",
        "monthly_rate": 950.0,
        "metric": "hour",
        "weekly_per_agent": [15, 45],
        "weight": 15,
    },
]


def _usage_rate(metric, model, unit_price=0.0, package_size=1.0, included=0.0, bands=()):
    return {
        "metric": metric,
        "charge_model": model,
        "unit_price": unit_price,
        "package_size": package_size,
        "included_units": included,
        # up_to 0 is the open-ended last band, as in the tier form
        "bands": [
            {"up_to": up_to, "unit_price": price, "flat_fee": fee} for up_to, price, fee in bands
        ],
    }


# Growth equals the demo's Growth tier (commitment, discount, support rate, graduated tasks) plus
# more rates, so that on a database with demo data the demo tier is reused and completed.
TIERS = [
    {
        "name": "Starter",
        "sequence": 10,
        "minimum_commitment": 500.0,
        "discount_percent": 0.0,
        "agent_rates": [
            {"agent_type": "AGT-SUPPORT", "monthly_rate": 480.0},
            {"agent_type": "AGT-SDR", "monthly_rate": 780.0},
            {"agent_type": "AGT-CODEREV", "monthly_rate": 330.0},
        ],
        "usage_rates": [
            _usage_rate("task", "standard", unit_price=0.045, included=500.0),
            _usage_rate("execution", "package", unit_price=9.0, package_size=1000.0),
            _usage_rate("hour", "standard", unit_price=1.4),
        ],
    },
    {
        "name": "Growth",
        "sequence": 20,
        "minimum_commitment": 2000.0,
        "discount_percent": 5.0,
        "agent_rates": [
            {"agent_type": "AGT-SUPPORT", "monthly_rate": 450.0},
            {"agent_type": "AGT-SDR", "monthly_rate": 760.0},
            {"agent_type": "AGT-ANALYST", "monthly_rate": 1140.0},
            {"agent_type": "AGT-CODEREV", "monthly_rate": 320.0},
            {"agent_type": "AGT-VOICE", "monthly_rate": 900.0},
        ],
        "usage_rates": [
            _usage_rate(
                "task", "graduated", included=1000.0, bands=[(10000.0, 0.04, 0.0), (0.0, 0.03, 0.0)]
            ),
            _usage_rate(
                "execution",
                "volume",
                bands=[(50000.0, 0.009, 0.0), (250000.0, 0.007, 0.0), (0.0, 0.005, 0.0)],
            ),
            _usage_rate("hour", "package", unit_price=13.0, package_size=10.0, included=20.0),
        ],
    },
    {
        "name": "Enterprise",
        "sequence": 30,
        "minimum_commitment": 10000.0,
        "discount_percent": 12.0,
        "agent_rates": [
            {"agent_type": "AGT-SUPPORT", "monthly_rate": 420.0},
            {"agent_type": "AGT-SDR", "monthly_rate": 700.0},
            {"agent_type": "AGT-ANALYST", "monthly_rate": 1050.0},
            {"agent_type": "AGT-CODEREV", "monthly_rate": 290.0},
            {"agent_type": "AGT-VOICE", "monthly_rate": 850.0},
        ],
        "usage_rates": [
            _usage_rate(
                "task",
                "volume",
                included=5000.0,
                bands=[(25000.0, 0.035, 0.0), (100000.0, 0.028, 0.0), (0.0, 0.02, 0.0)],
            ),
            _usage_rate(
                "execution",
                "graduated",
                included=10000.0,
                bands=[(100000.0, 0.008, 0.0), (500000.0, 0.006, 25.0), (0.0, 0.004, 0.0)],
            ),
            _usage_rate("hour", "standard", unit_price=1.1, included=200.0),
        ],
    },
]

# Payment terms of Odoo's account module; each has a single installment, so that a payment of
# the residual settles the invoice.
PAYMENT_TERMS = [
    ("account.account_payment_term_30days", 55),
    ("account.account_payment_term_15days", 15),
    ("account.account_payment_term_45days", 10),
    ("account.account_payment_term_end_following_month", 10),
    ("account.account_payment_term_21days", 5),
    ("account.account_payment_term_immediate", 5),
]

# --- Word lists for names and addresses ---------------------------------------------------------

PREFIXES = [
    "Acorn",
    "Alpine",
    "Amber",
    "Apex",
    "Arbor",
    "Atlas",
    "Aurora",
    "Beacon",
    "Birch",
    "Bluewater",
    "Bright",
    "Cedar",
    "Cobalt",
    "Copper",
    "Coral",
    "Crest",
    "Crystal",
    "Delta",
    "Echo",
    "Ember",
    "Evergreen",
    "Falcon",
    "Fernwood",
    "Granite",
    "Harbor",
    "Horizon",
    "Indigo",
    "Ironclad",
    "Juniper",
    "Keystone",
    "Larkspur",
    "Maple",
    "Meridian",
    "Northwind",
    "Oakridge",
    "Orbit",
    "Pioneer",
    "Quartz",
    "Redwood",
    "Ridgeline",
    "Sagebrush",
    "Silverline",
    "Summit",
    "Tidal",
    "Vertex",
    "Willow",
    "Zenith",
    "Nimbus",
]
CORES = [
    "Analytics",
    "Logistics",
    "Health",
    "Finance",
    "Retail",
    "Foods",
    "Media",
    "Energy",
    "Software",
    "Robotics",
    "Insurance",
    "Travel",
    "Learning",
    "Legal",
    "Mobility",
    "Telecom",
    "Biotech",
    "Capital",
    "Systems",
    "Labs",
    "Outfitters",
    "Freight",
    "Pharma",
    "Security",
    "Realty",
    "Apparel",
    "Motors",
    "Networks",
    "Dynamics",
    "Marine",
    "Aerospace",
    "Consulting",
    "Payments",
    "Studios",
    "Hospitality",
    "Wellness",
    "Agritech",
    "Materials",
    "Devices",
    "Games",
    "Markets",
    "Supply",
    "Clinics",
    "Ventures",
    "Data",
    "Cloud",
    "Home",
    "Print",
]
QUALIFIERS = ["", "Global", "Group", "International", "Partners", "Works", "Solutions", "Holdings"]
FIRST_NAMES = [
    "Maria",
    "James",
    "Aisha",
    "Chen",
    "Lucas",
    "Sofia",
    "Noah",
    "Emma",
    "Yuki",
    "Omar",
    "Priya",
    "Lars",
    "Chloe",
    "Mateo",
    "Hannah",
    "Ravi",
    "Elena",
    "Tom",
    "Fatima",
    "Jonas",
    "Grace",
    "Ivan",
]
LAST_NAMES = [
    "Lopez",
    "Smith",
    "Khan",
    "Wang",
    "Muller",
    "Rossi",
    "Dubois",
    "Johnson",
    "Tanaka",
    "Haddad",
    "Patel",
    "Nilsson",
    "Martin",
    "Garcia",
    "Schmidt",
    "Sharma",
    "Ivanova",
    "Brown",
    "Okafor",
    "Jansen",
    "Kelly",
    "Novak",
]
# code, weight, legal suffixes, (city, zip) pairs, street names, English-style addresses
COUNTRIES = [
    (
        "US",
        35,
        ["Inc.", "LLC", "Corp."],
        [
            ("New York", "10001"),
            ("Austin", "73301"),
            ("Seattle", "98101"),
            ("Chicago", "60601"),
            ("Denver", "80202"),
            ("Boston", "02108"),
        ],
        ["Main", "Oak", "Market", "Mission", "Pine", "Lake"],
        True,
    ),
    (
        "GB",
        12,
        ["Ltd", "PLC"],
        [
            ("London", "EC1A 1BB"),
            ("Manchester", "M1 1AE"),
            ("Bristol", "BS1 4DJ"),
            ("Edinburgh", "EH1 1YZ"),
        ],
        ["High", "Station", "Church", "Victoria"],
        True,
    ),
    (
        "DE",
        10,
        ["GmbH", "AG"],
        [("Berlin", "10115"), ("Munich", "80331"), ("Hamburg", "20095"), ("Cologne", "50667")],
        ["Hauptstraße", "Bahnhofstraße", "Gartenweg", "Lindenallee"],
        False,
    ),
    (
        "FR",
        8,
        ["SAS", "SA"],
        [("Paris", "75002"), ("Lyon", "69002"), ("Toulouse", "31000"), ("Nantes", "44000")],
        ["Rue de la Paix", "Avenue Victor Hugo", "Rue du Commerce", "Boulevard Voltaire"],
        False,
    ),
    (
        "CA",
        7,
        ["Inc.", "Ltd."],
        [("Toronto", "M5H 2N2"), ("Vancouver", "V6B 1A1"), ("Montreal", "H2Y 1C6")],
        ["King", "Queen", "Granville", "Sherbrooke"],
        True,
    ),
    (
        "NL",
        6,
        ["B.V."],
        [("Amsterdam", "1012 AB"), ("Rotterdam", "3011 AA"), ("Utrecht", "3511 AA")],
        ["Keizersgracht", "Coolsingel", "Oudegracht"],
        False,
    ),
    (
        "AU",
        5,
        ["Pty Ltd"],
        [("Sydney", "2000"), ("Melbourne", "3000"), ("Brisbane", "4000")],
        ["George", "Collins", "Queen"],
        True,
    ),
    (
        "ES",
        4,
        ["S.L.", "S.A."],
        [("Madrid", "28013"), ("Barcelona", "08002"), ("Valencia", "46002")],
        ["Calle Mayor", "Gran Via", "Calle de Alcala"],
        False,
    ),
    (
        "SE",
        4,
        ["AB"],
        [("Stockholm", "111 52"), ("Gothenburg", "411 06"), ("Malmo", "211 22")],
        ["Drottninggatan", "Kungsgatan", "Storgatan"],
        False,
    ),
    (
        "IE",
        3,
        ["Ltd", "DAC"],
        [("Dublin", "D02 X285"), ("Cork", "T12 RX6F")],
        ["Grafton", "Dame", "Patrick"],
        True,
    ),
    (
        "BE",
        3,
        ["SRL", "NV"],
        [("Brussels", "1000"), ("Antwerp", "2000"), ("Ghent", "9000")],
        ["Rue Neuve", "Meir", "Veldstraat"],
        False,
    ),
    (
        "IT",
        3,
        ["S.r.l.", "S.p.A."],
        [("Milan", "20121"), ("Rome", "00184"), ("Turin", "10121")],
        ["Via Roma", "Corso Italia", "Via Garibaldi"],
        False,
    ),
]

SIZES = [  # name, weight, deployments (min, max), agents per deployment (min, max)
    ("small", 50, (1, 2), (1, 3)),
    ("medium", 35, (1, 3), (2, 8)),
    ("large", 15, (2, 4), (6, 20)),
]
TRENDS = [  # name, weight, monthly growth range
    ("growing", 35, (0.03, 0.08)),
    ("flat", 40, (-0.01, 0.01)),
    ("declining", 25, (-0.06, -0.02)),
]
BILLING_PLAN = ["per_agent"] * 4 + ["usage"] * 3 + ["contract"] * 3  # per block of 10 clients
PAYER_PROFILES = {  # weight, payment delays (days), P(never paid), P(partially paid)
    "prompt": (50, [3, 5, 7, 10, 12, 14, 20], 0.03, 0.04),
    "normal": (35, [14, 20, 25, 30, 35, 40, 45], 0.08, 0.08),
    "slow": (15, [30, 38, 45, 52, 60], 0.30, 0.15),
}


# --- Small helpers ------------------------------------------------------------------------------


def _as_date(value):
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def _iso(day):
    return day.isoformat() if day else None


def add_months(day, months):
    """``day`` moved by ``months`` calendar months (clamped to the month's last day)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def month_end(day):
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def _weighted(rnd, items, weight_index=1):
    return rnd.choices(items, weights=[item[weight_index] for item in items])[0]


def _rand_day(rnd, start, end):
    """A uniformly random day of [start, end] (start when the range is empty)."""
    span = (end - start).days
    return start + timedelta(days=rnd.randint(0, span)) if span > 0 else start


def client_ref(seed, index):
    """Partner reference of client ``index`` (1-based): GEN-000123 for the default seed."""
    if seed == DEFAULT_SEED:
        return f"GEN-{index:06d}"
    return f"GEN-S{seed}-{index:06d}"


def history_periods(cycle, date_start, date_end, window_start, window_end):
    """Calendar periods of ``cycle`` that end inside [window_start, window_end] and overlap the
    contract [date_start, date_end or open], clipped to the contract; a list of (start, end)."""
    months = {"monthly": 1, "quarterly": 3, "semiannual": 6, "annual": 12}[cycle]
    first = window_start.replace(day=1)
    first = first.replace(month=(first.month - 1) // months * months + 1)
    periods = []
    start = first
    while True:
        end = add_months(start, months) - timedelta(days=1)
        if end > window_end:
            break
        if end >= window_start and date_start <= end and (not date_end or date_end >= start):
            # clipped to the contract, as a billing run bills a contract's first and last period
            periods.append((max(start, date_start), min(end, date_end) if date_end else end))
        start = end + timedelta(days=1)
    return periods


# --- Plain sample -------------------------------------------------------------------------------


def _name_plan(n_clients, seed):
    """A bijection from client index to (prefix, core, qualifier), shuffled by the seed."""
    total = len(PREFIXES) * len(CORES) * len(QUALIFIERS)
    rnd = random.Random(f"agent-billing-sample:{seed}:names")
    stride = rnd.randrange(1, total)
    while math.gcd(stride, total) != 1:
        stride = rnd.randrange(1, total)
    offset = rnd.randrange(total)

    def name_parts(index):
        j = (stride * index + offset) % total
        j, q = divmod(j, len(QUALIFIERS))
        p, c = divmod(j, len(CORES))
        return PREFIXES[p], CORES[c], QUALIFIERS[q], index // total

    return name_parts


def _billing_model(seed, index):
    """40 % per agent, 30 % usage, 30 % contract tier: exact in every block of 10 clients."""
    block, position = divmod(index, len(BILLING_PLAN))
    plan = list(BILLING_PLAN)
    random.Random(f"agent-billing-sample:{seed}:plan:{block}").shuffle(plan)
    return plan[position]


def _client(rnd, seed, index, today, usage_start, name_parts):
    ref = client_ref(seed, index + 1)
    prefix, core, qualifier, lap = name_parts(index)
    country, _w, suffixes, cities, streets, english = _weighted(rnd, COUNTRIES)
    base = " ".join(part for part in (prefix, core, qualifier) if part)
    if lap:
        base = f"{base} {lap + 1}"
    slug = base.lower().replace(" ", "-")
    domain = f"{slug}.example.com"
    city, zip_code = rnd.choice(cities)
    number = rnd.randint(1, 400)
    street = rnd.choice(streets)
    street = f"{number} {street} Street" if english else f"{street} {number}"
    size, _w, dep_range, agent_range = _weighted(rnd, SIZES)
    trend, _w, growth_range = _weighted(rnd, TRENDS)
    growth = round(rnd.uniform(*growth_range), 4)
    payer = _weighted(rnd, [(name, spec[0]) for name, spec in PAYER_PROFILES.items()])[0]

    invoice_contact = None
    if rnd.random() < 0.35:
        first, last = rnd.choice(FIRST_NAMES), rnd.choice(LAST_NAMES)
        invoice_contact = {
            "name": f"{first} {last}",
            "email": f"{first.lower()}.{last.lower()}@{domain}",
        }

    # Contract: started 12 to 24 months ago; some ended, some with a fixed end ahead.
    model = _billing_model(seed, index)
    cycle = rnd.choices(["monthly", "quarterly", "annual"], weights=[75, 15, 10])[0]
    date_start = today - timedelta(days=rnd.randint(365, 730))
    if rnd.random() < 0.5:  # half of them start on the 1st
        date_start = date_start.replace(day=1)
        if date_start < today - timedelta(days=730):
            date_start = add_months(date_start, 1)
    date_end = None
    state = "active"
    ending = rnd.random()
    if ending < 0.12:
        date_end = today - timedelta(days=rnd.randint(10, 200))
        state = "closed"
    elif ending < 0.20:
        date_end = today + timedelta(days=rnd.randint(30, 365))
    if date_end and rnd.random() < 0.6:
        date_end = month_end(date_end)
        if date_end >= today:
            state = "active"
    tier = None
    if model == "contract":
        tier = {
            "small": "Starter",
            "medium": rnd.choices(["Starter", "Growth"], weights=[30, 70])[0],
            "large": rnd.choices(["Growth", "Enterprise"], weights=[30, 70])[0],
        }[size]
    payment_term = _weighted(rnd, PAYMENT_TERMS)[0]
    contract = {
        "billing_model": model,
        "tier": tier,
        "billing_cycle": cycle,
        "billing_timing": "arrears",
        "date_start": _iso(date_start),
        "date_end": _iso(date_end),
        "state": state,
        "payment_term": payment_term,
    }

    # Deployments: the first starts with the contract; later ones start mid-way, some end.
    last_day = min(date_end, today) if date_end else today
    deployments = []
    for k in range(rnd.randint(*dep_range)):
        agent_type = _weighted(rnd, [(t, t["weight"]) for t in AGENT_TYPES])[0]
        start = date_start if k == 0 else _rand_day(rnd, date_start, last_day - timedelta(days=14))
        end = date_end
        # the first deployment runs as long as the contract; later ones may end early
        if k and rnd.random() < 0.25 and start + timedelta(days=30) < last_day:
            end = _rand_day(rnd, start + timedelta(days=30), last_day - timedelta(days=1))
        deployments.append(
            {
                "agent_type": agent_type["code"],
                "agents": rnd.randint(*agent_range),
                "date_start": _iso(start),
                "date_end": _iso(end),
                "state": "ended" if end and end < today else "active",
                "weekly_per_agent": round(rnd.uniform(*agent_type["weekly_per_agent"]), 2),
            }
        )

    # Price overrides (about 10 % of clients): one item, one price or a renewed price.
    overrides = []
    if rnd.random() < 0.10:
        dep = rnd.choice(deployments)
        catalog = next(t for t in AGENT_TYPES if t["code"] == dep["agent_type"])
        on_agent = rnd.random() < 0.6
        metric = next(m for m in METRICS if m["code"] == catalog["metric"])
        latest = max(date_start, last_day - timedelta(days=60))
        valid_from = _rand_day(rnd, date_start, latest)
        pieces = 1 if rnd.random() < 0.5 else 2
        for piece in range(pieces):
            valid_to = None
            if piece < pieces - 1:
                valid_to = _rand_day(
                    rnd,
                    valid_from + timedelta(days=30),
                    max(valid_from + timedelta(days=30), last_day),
                )
            elif date_end and date_end >= valid_from and rnd.random() < 0.5:
                valid_to = date_end
            if on_agent:
                price = {
                    "monthly_rate": round(catalog["monthly_rate"] * rnd.uniform(0.75, 0.95), 2),
                    "unit_price": 0.0,
                }
            else:
                price = {
                    "monthly_rate": 0.0,
                    "unit_price": round(metric["unit_price"] * rnd.uniform(0.6, 0.9), 6),
                }
            overrides.append(
                {
                    "agent_type": dep["agent_type"] if on_agent else None,
                    "metric": None if on_agent else metric["code"],
                    **price,
                    "date_from": _iso(valid_from),
                    "date_to": _iso(valid_to),
                    "note": "Negotiated price" if piece == 0 else "Renewed price",
                }
            )
            if valid_to is None:
                break
            valid_from = valid_to + timedelta(days=1)

    # A few months without any usage (an outage, a paused project).
    zero_months = []
    if rnd.random() < 0.25:
        for _ in range(rnd.randint(1, 2)):
            month = add_months(usage_start, rnd.randint(0, 11))
            zero_months.append(month.strftime("%Y-%m"))
    zero_months = sorted(set(zero_months))

    return {
        "ref": ref,
        "name": f"{base} {rnd.choice(suffixes)}",
        "email": f"billing@{domain}",
        "website": f"https://www.{domain}",
        "street": street,
        "city": city,
        "zip": zip_code,
        "country": country,
        "size": size,
        "trend": trend,
        "monthly_growth": growth,
        "payer": payer,
        "payment_term": payment_term,
        "invoice_contact": invoice_contact,
        "contract": contract,
        "deployments": deployments,
        "overrides": overrides,
        "zero_usage_months": zero_months,
    }


def _client_usage(rnd, client, usage_start, usage_end):
    """Weekly usage per metric of one client: one record per metric and ISO week, dated on the
    last day of that week the client's agents ran (inside [usage_start, usage_end])."""
    metric_of = {t["code"]: t["metric"] for t in AGENT_TYPES}
    deps = [
        (k, dep, _as_date(dep["date_start"]), _as_date(dep["date_end"]))
        for k, dep in enumerate(client["deployments"])
    ]
    zero = set(client["zero_usage_months"])
    growth = 1.0 + client["monthly_growth"]
    records = []
    week = usage_start - timedelta(days=usage_start.weekday())
    while week <= usage_end:
        week_start = max(week, usage_start)
        week_end = min(week + timedelta(days=6), usage_end)
        per_metric = {}
        for k, dep, start, end in deps:
            low = max(start, week_start)
            high = min(end, week_end) if end else week_end
            days = (high - low).days + 1
            if days <= 0:
                continue
            metric = metric_of[dep["agent_type"]]
            months = (low - usage_start).days / 30.44
            quantity = (
                dep["agents"]
                * dep["weekly_per_agent"]
                * days
                / 7.0
                * growth**months
                * rnd.uniform(0.8, 1.2)
            )
            entry = per_metric.setdefault(metric, {"quantity": 0.0, "last": high, "deps": []})
            entry["quantity"] += quantity
            entry["last"] = max(entry["last"], high)
            entry["deps"].append(k)
        for metric in sorted(per_metric):
            entry = per_metric[metric]
            if entry["last"].strftime("%Y-%m") in zero:
                continue
            quantity = entry["quantity"]
            quantity = round(quantity, 2) if metric == "hour" else float(round(quantity))
            dep_index = entry["deps"][0] if len(entry["deps"]) == 1 else None
            types = {client["deployments"][k]["agent_type"] for k in entry["deps"]}
            when = datetime.combine(entry["last"], datetime.min.time()) + timedelta(
                hours=rnd.randint(17, 23), minutes=rnd.randint(0, 59), seconds=rnd.randint(0, 59)
            )
            records.append(
                {
                    "client": client["ref"],
                    "metric": metric,
                    "deployment": dep_index,
                    "agent_type": types.pop() if len(types) == 1 else None,
                    "quantity": quantity,
                    "timestamp": when.strftime("%Y-%m-%d %H:%M:%S"),
                }
            )
        week += timedelta(days=7)
    return records


def generate(n_clients, seed=DEFAULT_SEED, today=None):
    """The plain sample for ``n_clients`` clients, as a dict of JSON types only.

    Deterministic for (n_clients, seed, today); ``today`` (a date or ISO string) defaults to the
    current day. Usage covers the 12 full months before today's month and this month up to
    yesterday.
    """
    if isinstance(n_clients, bool) or not isinstance(n_clients, int) or n_clients < 0:
        raise ValueError(f"n_clients must be a non-negative integer, got {n_clients!r}")
    today = _as_date(today) or date.today()
    usage_start = add_months(today.replace(day=1), -12)
    usage_end = today - timedelta(days=1)
    name_parts = _name_plan(n_clients, seed)
    clients = []
    usage = []
    for index in range(n_clients):
        rnd = random.Random(f"agent-billing-sample:{seed}:client:{index}")
        client = _client(rnd, seed, index, today, usage_start, name_parts)
        clients.append(client)
        for record in _client_usage(rnd, client, usage_start, usage_end):
            record["key"] = f"gen-{seed}-{len(usage) + 1}"
            usage.append(record)
    return {
        "meta": {
            "generator_version": GENERATOR_VERSION,
            "seed": seed,
            "n_clients": n_clients,
            "today": _iso(today),
            "usage_start": _iso(usage_start),
            "usage_end": _iso(usage_end),
            "source": SOURCE,
        },
        "catalog": {
            "metrics": [dict(m) for m in METRICS],
            "usage_product": dict(USAGE_PRODUCT),
            "agent_types": [
                {k: v for k, v in t.items() if k not in ("weekly_per_agent", "weight")}
                for t in AGENT_TYPES
            ],
            "tiers": json.loads(json.dumps(TIERS)),
        },
        "clients": clients,
        "usage": usage,
    }


def write_out(data, out_dir):
    """Write the sample as meta.json, catalog.json, clients.json and usage.json (one usage record
    per line); return the paths."""
    os.makedirs(out_dir, exist_ok=True)
    paths = []
    for name in OUT_FILES:
        path = os.path.join(out_dir, f"{name}.json")
        with open(path, "w", encoding="utf-8") as f:
            if name == "usage":
                f.write("[\n")
                f.write(",\n".join(json.dumps(r, separators=(",", ":")) for r in data[name]))
                f.write("\n]\n")
            else:
                json.dump(data[name], f, indent=1, ensure_ascii=False)
                f.write("\n")
        paths.append(path)
    return paths


def read_out(out_dir):
    """The sample written by ``write_out``."""
    data = {}
    for name in OUT_FILES:
        with open(os.path.join(out_dir, f"{name}.json"), encoding="utf-8") as f:
            data[name] = json.load(f)
    return data


# --- Loading into Odoo --------------------------------------------------------------------------


class IncompleteSampleError(RuntimeError):
    """Some of the sample's clients exist but the load that created them did not finish."""


def _chunks(items, size):
    for start in range(0, len(items), size):
        yield items[start : start + size]


class _Loader:
    def __init__(self, env, data, batch_size, commit, log):
        self.env = env(
            context=dict(
                env.context,
                tracking_disable=True,
                mail_create_nolog=True,
                mail_create_nosubscribe=True,
                mail_notrack=True,
                mail_auto_subscribe_no_notify=True,
            )
        )
        self.data = data
        self.batch_size = max(1, int(batch_size))
        self.do_commit = commit
        self.log = log
        self.counts = {}
        self.started = time.monotonic()
        self.today = _as_date(data["meta"]["today"])
        self.seed = data["meta"]["seed"]

    def add(self, key, n=1):
        self.counts[key] = self.counts.get(key, 0) + n

    def elapsed(self):
        return time.monotonic() - self.started

    def commit(self):
        self.env.flush_all()
        if self.do_commit:
            self.env.cr.commit()
        self.env.invalidate_all()

    # --- Catalog ---
    def load_catalog(self):
        env = self.env
        catalog = self.data["catalog"]
        Product = env["product.product"].with_context(active_test=False)
        usage_product = Product.search(
            [("default_code", "=", catalog["usage_product"]["default_code"])], limit=1
        )
        if not usage_product:
            usage_product = (
                env["product.template"]
                .create(
                    {
                        "name": catalog["usage_product"]["name"],
                        "default_code": catalog["usage_product"]["default_code"],
                        "type": "service",
                        "list_price": 0.0,
                    }
                )
                .product_variant_id
            )
            self.add("products")
        self.metrics = {}
        for spec in catalog["metrics"]:
            metric = env.ref(spec["xmlid"])
            metric.write({"unit_price": spec["unit_price"], "product_id": usage_product.id})
            self.metrics[spec["code"]] = metric
        self.usage_product = usage_product
        self.products = {}
        for spec in catalog["agent_types"]:
            vals = {
                "name": spec["name"],
                "type": "service",
                "is_agent_type": True,
                "agent_monthly_rate": spec["monthly_rate"],
                "list_price": spec["monthly_rate"],
                "agent_usage_metric_id": self.metrics[spec["metric"]].id,
            }
            product = Product.search([("default_code", "=", spec["code"])], limit=1)
            if product:
                product.product_tmpl_id.write(vals)
            else:
                product = (
                    env["product.template"]
                    .create({**vals, "default_code": spec["code"]})
                    .product_variant_id
                )
                self.add("products")
            self.products[spec["code"]] = product
        self.tiers = {}
        Tier = env["agent.billing.tier"].with_context(active_test=False)
        for spec in catalog["tiers"]:
            tier = Tier.search(
                [("name", "=", spec["name"]), ("company_id", "=", env.company.id)], limit=1
            )
            if not tier:
                tier = Tier.create(
                    {
                        "name": spec["name"],
                        "sequence": spec["sequence"],
                        "minimum_commitment": spec["minimum_commitment"],
                        "discount_percent": spec["discount_percent"],
                    }
                )
                self.add("tiers")
            # Add the rates the tier lacks; a reused tier keeps the prices it has.
            have_products = set(tier.agent_rate_ids.product_id.ids)
            agent_rates = [
                {
                    "tier_id": tier.id,
                    "product_id": self.products[r["agent_type"]].id,
                    "monthly_rate": r["monthly_rate"],
                }
                for r in spec["agent_rates"]
                if self.products[r["agent_type"]].id not in have_products
            ]
            env["agent.billing.tier.agent.rate"].create(agent_rates)
            have_metrics = set(tier.usage_rate_ids.metric_id.ids)
            usage_rates = [
                {
                    "tier_id": tier.id,
                    "metric_id": self.metrics[r["metric"]].id,
                    "charge_model": r["charge_model"],
                    "unit_price": r["unit_price"],
                    "package_size": r["package_size"],
                    "included_units": r["included_units"],
                    "band_ids": [(0, 0, band) for band in r["bands"]],
                }
                for r in spec["usage_rates"]
                if self.metrics[r["metric"]].id not in have_metrics
            ]
            env["agent.billing.tier.usage.rate"].create(usage_rates)
            self.add("tier_agent_rates", len(agent_rates))
            self.add("tier_usage_rates", len(usage_rates))
            if "commitment_product_id" in tier._fields and not tier.commitment_product_id:
                tier.commitment_product_id = usage_product  # product of the true-up line
            self.tiers[spec["name"]] = tier
        self.payment_terms = {}
        fallback = env.ref("account.account_payment_term_30days", raise_if_not_found=False)
        for xmlid, _weight in PAYMENT_TERMS:
            term = env.ref(xmlid, raise_if_not_found=False) or fallback
            self.payment_terms[xmlid] = term.id if term else False
        self.countries = {
            c.code: c.id
            for c in env["res.country"].search([("code", "in", [c[0] for c in COUNTRIES])])
        }
        self.commit()
        self.log(
            f"catalog: {len(self.products)} agent types, {len(self.metrics)} metrics, "
            f"{len(self.tiers)} tiers ({self.elapsed():.1f}s)"
        )

    # --- Clients, contracts, deployments, overrides ---
    def load_clients(self):
        env = self.env
        clients = self.data["clients"]
        self.partner_ids = {}
        self.contract_ids = {}
        self.deployment_ids = {}
        done = 0
        for batch in _chunks(clients, self.batch_size):
            partners = env["res.partner"].create(
                [
                    {
                        "name": c["name"],
                        "is_company": True,
                        "ref": c["ref"],
                        "agent_billing_ref": c["ref"],  # what the ingestion API knows the client by
                        "email": c["email"],
                        "website": c["website"],
                        "street": c["street"],
                        "city": c["city"],
                        "zip": c["zip"],
                        "country_id": self.countries.get(c["country"], False),
                        "customer_rank": 1,
                        "property_payment_term_id": self.payment_terms[c["payment_term"]],
                    }
                    for c in batch
                ]
            )
            for c, partner in zip(batch, partners, strict=True):
                self.partner_ids[c["ref"]] = partner.id
            with_contact = [c for c in batch if c["invoice_contact"]]
            contacts = env["res.partner"].create(
                [
                    {
                        "parent_id": self.partner_ids[c["ref"]],
                        "type": "invoice",
                        "name": c["invoice_contact"]["name"],
                        "email": c["invoice_contact"]["email"],
                    }
                    for c in with_contact
                ]
            )
            invoice_contact = {c["ref"]: p.id for c, p in zip(with_contact, contacts, strict=True)}
            self.add("partners", len(partners))
            self.add("invoice_contacts", len(contacts))

            contracts = env["agent.billing.contract"].create(
                [
                    {
                        "partner_id": self.partner_ids[c["ref"]],
                        "partner_invoice_id": invoice_contact.get(
                            c["ref"], self.partner_ids[c["ref"]]
                        ),
                        "billing_model": c["contract"]["billing_model"],
                        "tier_id": self.tiers[c["contract"]["tier"]].id
                        if c["contract"]["tier"]
                        else False,
                        "billing_cycle": c["contract"]["billing_cycle"],
                        "billing_timing": c["contract"]["billing_timing"],
                        "date_start": c["contract"]["date_start"],
                        "date_end": c["contract"]["date_end"] or False,
                        "payment_term_id": self.payment_terms[c["contract"]["payment_term"]],
                        "state": c["contract"]["state"],
                    }
                    for c in batch
                ]
            )
            for c, contract in zip(batch, contracts, strict=True):
                self.contract_ids[c["ref"]] = contract.id
            self.add("contracts", len(contracts))

            dep_vals, dep_keys = [], []
            for c in batch:
                for k, d in enumerate(c["deployments"]):
                    dep_keys.append((c["ref"], k))
                    dep_vals.append(
                        {
                            "partner_id": self.partner_ids[c["ref"]],
                            "product_id": self.products[d["agent_type"]].id,
                            "contract_id": self.contract_ids[c["ref"]],
                            "agent_count": d["agents"],
                            "date_start": d["date_start"],
                            "date_end": d["date_end"] or False,
                            "state": d["state"],
                        }
                    )
            deployments = env["agent.billing.deployment"].create(dep_vals)
            for key, dep in zip(dep_keys, deployments, strict=True):
                self.deployment_ids[key] = dep.id
            self.add("deployments", len(deployments))

            overrides = env["agent.billing.price.override"].create(
                [
                    {
                        "partner_id": self.partner_ids[c["ref"]],
                        "product_id": self.products[o["agent_type"]].id
                        if o["agent_type"]
                        else False,
                        "metric_id": self.metrics[o["metric"]].id if o["metric"] else False,
                        "monthly_rate": o["monthly_rate"],
                        "unit_price": o["unit_price"],
                        "date_from": o["date_from"],
                        "date_to": o["date_to"] or False,
                        "note": o["note"],
                    }
                    for c in batch
                    for o in c["overrides"]
                ]
            )
            self.add("price_overrides", len(overrides))
            self.commit()
            done += len(batch)
            self.log(f"clients: {done}/{len(clients)} ({self.elapsed():.1f}s)")

    # --- Usage ---
    def load_usage(self):
        env = self.env
        usage = self.data["usage"]
        Usage = env["agent.billing.usage"]
        company_id = env.company.id
        # Usage rows are small: a few times the batch size per create keeps memory low and
        # amortises the per-batch queries.
        size = self.batch_size * 4
        done = 0
        next_report = 0
        for batch in _chunks(usage, size):
            Usage.create(
                [
                    {
                        "idempotency_key": u["key"],
                        "partner_id": self.partner_ids[u["client"]],
                        "deployment_id": (
                            self.deployment_ids[(u["client"], u["deployment"])]
                            if u["deployment"] is not None
                            else False
                        ),
                        "product_id": self.products[u["agent_type"]].id
                        if u["agent_type"]
                        else False,
                        "metric_id": self.metrics[u["metric"]].id,
                        "quantity": u["quantity"],
                        "timestamp": u["timestamp"],
                        "source": SOURCE,
                        "company_id": company_id,
                    }
                    for u in batch
                ]
            )
            self.commit()
            done += len(batch)
            self.add("usage_records", len(batch))
            if done >= next_report or done == len(usage):
                self.log(f"usage: {done}/{len(usage)} ({self.elapsed():.1f}s)")
                next_report = done + max(size, len(usage) // 10)

    # --- Invoices and payments ---
    def load_history(self, history_months):
        """The sample's history, billed by the billing engine itself, month by month: a run
        per month, its invoices posted in date order and paid as each client's payer profile
        says. The last month's run is left computed, waiting for review, as a finance team
        finds it on the first working day of the month."""
        env = self.env
        first_of_month = self.today.replace(day=1)
        months = [add_months(first_of_month, -n) for n in range(max(history_months, 1), 0, -1)]
        Contract = env["agent.billing.contract"]
        if "agent_ledger_start" in Contract._fields:
            # nothing before the sample's first month is billed, nor caught up
            Contract.browse(list(self.contract_ids.values())).write(
                {"agent_ledger_start": months[0]}
            )
            self.commit()
        if history_months <= 0:
            return
        Run = env["agent.billing.run"]
        move_ids = []
        for month_start in months[:-1]:
            month_end = add_months(month_start, 1) - timedelta(days=1)
            run = Run.create(
                {
                    "period_start": month_start,
                    "period_end": month_end,
                    "invoice_date": month_end + timedelta(days=1),
                }
            )
            run._compute_batches(commit=False, batch_size=self.batch_size)
            run._invoice_batches(commit=False, batch_size=self.batch_size)
            errors = run.line_ids.filtered(lambda row: row.state == "error")
            for row in errors:
                self.log(f"WARNING: {run.name}: {row.partner_id.display_name}: {row.message}")
            run.action_post()  # in date order, so that invoice numbers follow invoice dates
            self.add("runs")
            self.add("invoices", len(run.move_ids))
            self.add("run_errors", len(errors))
            move_ids += run.move_ids.ids
            self.commit()
            env.invalidate_all()
            self.log(f"history: {run.name}, {len(run.move_ids)} invoices ({self.elapsed():.1f}s)")
        self.pay(move_ids)
        self.log(f"payments: {self.counts.get('payments', 0)} ({self.elapsed():.1f}s)")
        # the month just over: computed, for review in the pre-flight
        month_start = months[-1]
        month_end = add_months(month_start, 1) - timedelta(days=1)
        review = Run.create(
            {
                "period_start": month_start,
                "period_end": month_end,
                "invoice_date": month_end + timedelta(days=1),
            }
        )
        review._compute_batches(commit=False, batch_size=self.batch_size)
        self.counts["review_run_rows"] = len(review.line_ids)
        self.counts["review_run_anomalies"] = review.anomaly_count
        self.commit()

    def pay(self, move_ids):
        env = self.env
        today = self.today
        payer = {c["ref"]: c["payer"] for c in self.data["clients"]}
        full_by_date = {}
        partial = []  # (move id, date, fraction)
        moves = env["account.move"].browse(move_ids)
        for move in moves:
            ref = move.agent_contract_id.partner_id.ref
            _weight, delays, p_unpaid, p_partial = PAYER_PROFILES[payer.get(ref, "normal")]
            rnd = random.Random(
                f"agent-billing-sample:{self.seed}:pay:{ref}:{move.agent_period_start}"
            )
            roll = rnd.random()
            pay_date = move.invoice_date + timedelta(days=rnd.choice(delays))
            fraction = round(rnd.uniform(0.3, 0.7), 2)
            if roll < p_unpaid or pay_date > today:
                continue  # not paid (yet)
            if roll < p_unpaid + p_partial:
                partial.append((move.id, pay_date, fraction))
            else:
                full_by_date.setdefault(pay_date, []).append(move.id)
        env.invalidate_all()
        Register = env["account.payment.register"]
        payments = 0
        for pay_date in sorted(full_by_date):
            for chunk in _chunks(full_by_date[pay_date], self.batch_size):
                wizard = Register.with_context(
                    active_model="account.move", active_ids=chunk
                ).create({"payment_date": pay_date, "group_payment": False})
                payments += len(wizard._create_payments())
                self.commit()
        for move_id, pay_date, fraction in partial:
            move = env["account.move"].browse(move_id)
            amount = move.currency_id.round(move.amount_residual * fraction)
            if not amount:
                continue
            wizard = Register.with_context(
                active_model="account.move", active_ids=[move_id]
            ).create(
                {"payment_date": pay_date, "amount": amount, "payment_difference_handling": "open"}
            )
            payments += len(wizard._create_payments())
        self.commit()
        self.counts["payments"] = payments

    def history_summary(self):
        """Invoices by payment state and unpaid amounts by age (days past due)."""
        env = self.env
        moves = env["account.move"].search(
            [
                ("agent_contract_id", "in", list(self.contract_ids.values())),
                ("move_type", "=", "out_invoice"),
                ("state", "=", "posted"),
            ]
        )
        states = {}
        buckets = {"not due": 0, "1-30": 0, "31-60": 0, "61-90": 0, "90+": 0}
        for move in moves:
            states[move.payment_state] = states.get(move.payment_state, 0) + 1
            if move.amount_residual > 0:
                late = (self.today - move.invoice_date_due).days
                key = (
                    "not due"
                    if late <= 0
                    else "1-30"
                    if late <= 30
                    else "31-60"
                    if late <= 60
                    else "61-90"
                    if late <= 90
                    else "90+"
                )
                buckets[key] += 1
        self.counts["invoices_posted"] = len(moves)
        self.counts["invoices_paid"] = states.get("paid", 0) + states.get("in_payment", 0)
        self.counts["invoices_partial"] = states.get("partial", 0)
        self.counts["invoices_unpaid"] = states.get("not_paid", 0)
        for key, n in buckets.items():
            self.counts[f"open_invoices_{key.replace(' ', '_').replace('+', '_plus')}"] = n


def _print(message):
    print(message, flush=True)


def load(env, data, history_months=12, batch_size=500, commit=True, log=_print):
    """Write the plain sample ``data`` (from ``generate``) into the database of ``env``.

    Commits after every batch unless ``commit`` is false (inside a test). Returns the counts of
    what was created. When the sample's clients exist already, changes nothing and returns
    ``{"already_loaded": 1}``; raises IncompleteSampleError when they exist but the load that
    made them did not finish.
    """
    seed = data["meta"]["seed"]
    refs = [c["ref"] for c in data["clients"]]
    existing = (
        env["res.partner"].with_context(active_test=False).search_count([("ref", "in", refs)])
        if refs
        else 0
    )
    marker = env["ir.config_parameter"].sudo().get_param(MARKER_PARAM % seed)
    if existing:
        if marker:
            log(
                f"The sample of seed {seed} is already loaded ({existing} of its clients found; "
                f"loaded: {marker}). Nothing to do."
            )
            return {"already_loaded": 1}
        raise IncompleteSampleError(
            f"{existing} of the {len(refs)} clients of seed {seed} exist, but no load of this "
            f"sample finished (no {MARKER_PARAM % seed} parameter). Start again from a fresh "
            "database, or use another --seed."
        )
    loader = _Loader(env, data, batch_size, commit, log)
    loader.load_catalog()
    loader.load_clients()
    loader.load_usage()
    loader.load_history(history_months)
    if history_months > 0:
        loader.history_summary()
    env["ir.config_parameter"].sudo().set_param(
        MARKER_PARAM % seed,
        json.dumps(
            {
                "clients": len(refs),
                "today": data["meta"]["today"],
                "history_months": history_months,
                "generator_version": GENERATOR_VERSION,
            }
        ),
    )
    loader.commit()
    loader.counts["seconds"] = round(loader.elapsed(), 1)
    return loader.counts


def _odoo_env_args(args):
    """Odoo's own addons (next to the imported ``odoo`` package) followed by the given ones."""
    import odoo

    package = os.path.dirname(os.path.abspath(odoo.__file__))
    paths = [os.path.join(os.path.dirname(package), "addons"), os.path.join(package, "addons")]
    extra = args.addons_path.split(",") if args.addons_path else [REPO_ROOT]
    addons = []
    for path in paths + [p.strip() for p in extra if p.strip()]:
        path = os.path.abspath(path)
        if os.path.isdir(path) and path not in addons:
            addons.append(path)
    argv = ["--addons-path=" + ",".join(addons), "-d", args.load, "--log-level=warn"]
    # no password option: a password on a command line is visible to every user of the
    # machine; libpq takes it from PGPASSWORD or ~/.pgpass
    for option, value in (
        ("--db_host", args.db_host),
        ("--db_port", args.db_port),
        ("--db_user", args.db_user),
    ):
        if value:
            argv += [option, str(value)]
    return argv


def _load_cli(args, data):
    import odoo
    from odoo.modules.registry import Registry
    from odoo.tools import config

    config.parse_config(_odoo_env_args(args))
    registry = Registry(args.load)
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        if "agent.billing.contract" not in env:
            print(f"Database {args.load} does not have agent_billing installed.", file=sys.stderr)
            return 2
        try:
            counts = load(env, data, history_months=args.history_months, batch_size=args.batch_size)
        except IncompleteSampleError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
    if counts.get("already_loaded"):
        return 0
    print("Summary:")
    for key, value in counts.items():
        print(f"  {key}: {value}")
    return 0


def main(argv=None):
    parser = argparse.ArgumentParser(
        description="Generate Agent Billing sample data as JSON (--out) or into Odoo (--load)."
    )
    parser.add_argument("--clients", type=int, required=True, help="number of client companies")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--today", help="reference day YYYY-MM-DD (default: today)")
    parser.add_argument("--out", help="write the plain sample as JSON files into this directory")
    parser.add_argument("--load", metavar="DBNAME", help="load the sample into this Odoo database")
    parser.add_argument(
        "--history-months",
        type=int,
        default=12,
        help="full months of invoices and payments to create (0: none)",
    )
    parser.add_argument("--batch-size", type=int, default=500)
    parser.add_argument(
        "--addons-path", help="addons directories besides Odoo's own (default: this repository)"
    )
    parser.add_argument("--db-host")
    parser.add_argument("--db-port")
    parser.add_argument(
        "--db-user",
        help="the password, if any, comes from PGPASSWORD or "
        "~/.pgpass (never a command-line option)",
    )
    args = parser.parse_args(argv)
    if not args.out and not args.load:
        parser.error("give --out DIR and/or --load DBNAME")
    if args.clients < 0:
        parser.error("--clients must not be negative")
    try:
        today = _as_date(args.today)
    except ValueError:
        parser.error(f"--today {args.today!r} is not a YYYY-MM-DD date")
    started = time.monotonic()
    data = generate(args.clients, seed=args.seed, today=today)
    print(
        f"generated {len(data['clients'])} clients, "
        f"{sum(len(c['deployments']) for c in data['clients'])} deployments, "
        f"{len(data['usage'])} usage records ({time.monotonic() - started:.1f}s)",
        flush=True,
    )
    if args.out:
        for path in write_out(data, args.out):
            print(f"wrote {path}", flush=True)
    if args.load:
        return _load_cli(args, data)
    return 0


if __name__ == "__main__":
    sys.exit(main())
