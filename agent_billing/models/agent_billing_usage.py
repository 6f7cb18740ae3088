import logging
import uuid
from collections import Counter
from datetime import UTC, datetime

import pytz

from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import SQL, float_compare, float_round

_logger = logging.getLogger(__name__)

MAX_BATCH = 1000


def billing_day(timestamp, tz_name):
    """Calendar day of ``timestamp`` (naive, UTC) in the time zone ``tz_name`` (empty or
    unknown: UTC): the day, and so the billing period, a usage event belongs to."""
    try:
        zone = pytz.timezone(tz_name or "UTC")
    except pytz.UnknownTimeZoneError:
        zone = pytz.utc
    return pytz.utc.localize(timestamp).astimezone(zone).date()


class AgentBillingUsage(models.Model):
    _name = "agent.billing.usage"
    _inherit = ["agent.billing.client.mixin"]
    _description = "Usage record (tasks, executions, ...) reported for a client"
    _order = "timestamp desc, id desc"
    _check_company_auto = True
    _rec_name = "idempotency_key"

    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company, index=True
    )
    partner_id = fields.Many2one(
        "res.partner", "Client", required=True, check_company=True, index=True
    )
    deployment_id = fields.Many2one(
        "agent.billing.deployment",
        check_company=True,
        index="btree_not_null",
        domain="[('partner_id', '=', partner_id)]",
    )
    product_id = fields.Many2one(
        "product.product",
        "Agent Type",
        check_company=True,
        compute="_compute_product_id",
        store=True,
        readonly=False,
        precompute=True,
        domain=[("is_agent_type", "=", True)],
    )
    metric_id = fields.Many2one(
        "agent.billing.metric",
        required=True,
        check_company=True,
        compute="_compute_metric_id",
        store=True,
        readonly=False,
        precompute=True,
    )
    quantity = fields.Float(required=True, digits="Agent Billing Quantity", default=1.0)
    timestamp = fields.Datetime(required=True, default=fields.Datetime.now, index=True)
    date = fields.Date(
        compute="_compute_date",
        store=True,
        index=True,
        precompute=True,
        help="Day of the event in the client's billing time zone (its own, else the "
        "company's), which decides the billing period. Set when the event is recorded: a later "
        "change of time zone does not move it.",
    )
    source = fields.Char(help="System that reported the event, e.g. the agent platform's name.")
    invoice_line_id = fields.Many2one(
        "account.move.line",
        "Billed By",
        copy=False,
        readonly=True,
        ondelete="set null",
        index="btree_not_null",
        help="The invoice line that bills this usage. Empty: not billed yet (a cancelled draft "
        "releases its usage).",
    )
    invoice_id = fields.Many2one(related="invoice_line_id.move_id", string="Invoice")
    billed = fields.Boolean(compute="_compute_billed", search="_search_billed")
    idempotency_key = fields.Char(
        required=True,
        copy=False,
        default=lambda self: str(uuid.uuid4()),
        help="Unique per company: a second event with the same key is a duplicate and is ignored.",
    )

    _sql_constraints = [
        (
            "idempotency_key_company_uniq",
            "unique(company_id, idempotency_key)",
            "A usage record with this idempotency key already exists in this company.",
        ),
        ("quantity_positive", "CHECK(quantity >= 0)", "A usage quantity cannot be negative."),
    ]

    @api.depends("deployment_id")
    def _compute_product_id(self):
        for usage in self:
            if usage.deployment_id:
                usage.product_id = usage.deployment_id.product_id
            else:
                usage.product_id = usage.product_id

    @api.depends("product_id")
    def _compute_metric_id(self):
        for usage in self:
            usage.metric_id = usage.metric_id or usage.product_id.agent_usage_metric_id

    @api.depends("invoice_line_id")
    def _compute_billed(self):
        for usage in self:
            usage.billed = bool(usage.invoice_line_id)

    def _search_billed(self, operator, value):
        if operator not in ("=", "!="):
            raise UserError(_("Unsupported search on Billed."))
        billed = (operator == "=") == bool(value)
        return [("invoice_line_id", "!=" if billed else "=", False)]

    # the time zones are read when the event is recorded (precompute) and are on purpose no
    # dependency: changing a zone must not move the days, and periods, of recorded usage
    @api.depends("timestamp", "partner_id", "company_id")
    def _compute_date(self):
        for usage in self:
            usage.date = (
                usage._billing_day(
                    usage.timestamp, usage.partner_id, usage.company_id or self.env.company
                )
                if usage.timestamp
                else False
            )

    @api.model
    def _billing_day(self, timestamp, partner, company):
        """The ``date`` of a usage event of ``partner`` in ``company`` at ``timestamp`` (UTC):
        its calendar day in the client's billing time zone, else the company's. The one rule of
        the ORM (``_compute_date``) and of the SQL ingestion (``_ingest_row``)."""
        tz_name = partner._agent_billing_tz(company) if partner else company._agent_billing_tz()
        return billing_day(timestamp, tz_name)

    @api.depends("idempotency_key", "metric_id", "quantity")
    def _compute_display_name(self):
        for usage in self:
            unit = usage.metric_id.unit_name or ""
            usage.display_name = f"{usage.idempotency_key or ''}: {usage.quantity} {unit}"

    @api.constrains("quantity")
    def _check_quantity(self):
        for usage in self:
            if float_compare(usage.quantity, 0.0, precision_digits=6) < 0:
                raise ValidationError(
                    _(
                        "Usage %(key)s: the quantity %(qty)s is negative; report corrections as a "
                        "credit note, not as negative usage.",
                        key=usage.idempotency_key,
                        qty=usage.quantity,
                    )
                )

    @api.constrains("partner_id", "deployment_id", "product_id")
    def _check_deployment(self):
        for usage in self:
            dep = usage.deployment_id
            if dep and dep.partner_id != usage.partner_id:
                raise ValidationError(
                    _(
                        "Usage %(key)s: deployment %(dep)s belongs to %(owner)s, not to %(client)s.",
                        key=usage.idempotency_key,
                        dep=dep.display_name,
                        owner=dep.partner_id.display_name,
                        client=usage.partner_id.display_name,
                    )
                )
            if dep and usage.product_id and dep.product_id != usage.product_id:
                raise ValidationError(
                    _(
                        "Usage %(key)s: deployment %(dep)s runs %(type)s, not %(other)s.",
                        key=usage.idempotency_key,
                        dep=dep.display_name,
                        type=dep.product_id.display_name,
                        other=usage.product_id.display_name,
                    )
                )

    @api.model_create_multi
    def create(self, vals_list):
        """Refuse a duplicate key by name, before the database constraint does it anonymously."""
        keys = Counter()
        for vals in vals_list:
            if not vals.get("idempotency_key"):
                vals["idempotency_key"] = str(uuid.uuid4())
            if (vals.get("quantity") or 0) < 0:
                raise ValidationError(
                    _(
                        "Usage %(key)s: the quantity %(qty)s is negative; report corrections as a "
                        "credit note, not as negative usage.",
                        key=vals["idempotency_key"],
                        qty=vals["quantity"],
                    )
                )
            company_id = vals.get("company_id") or self.env.company.id
            keys[(company_id, vals["idempotency_key"])] += 1
        repeated = [key for (_company, key), count in keys.items() if count > 1]
        if repeated:
            raise ValidationError(
                _(
                    "The idempotency key %(key)s appears more than once in this batch.",
                    key=repeated[0],
                )
            )
        by_company = {}
        for company_id, key in keys:
            by_company.setdefault(company_id, []).append(key)
        for company_id, company_keys in by_company.items():
            existing = self.search_read(
                [("company_id", "=", company_id), ("idempotency_key", "in", company_keys)],
                ["idempotency_key"],
                limit=1,
            )
            if existing:
                raise ValidationError(
                    _(
                        "Usage with idempotency key %(key)s already exists (record %(id)s); the "
                        "original is kept and this duplicate is refused.",
                        key=existing[0]["idempotency_key"],
                        id=existing[0]["id"],
                    )
                )
        return super().create(vals_list)

    _BILLING_FIELDS = (
        "partner_id",
        "deployment_id",
        "product_id",
        "metric_id",
        "quantity",
        "timestamp",
        "company_id",
    )

    def write(self, vals):
        if any(f in vals for f in self._BILLING_FIELDS) and self.filtered("invoice_line_id"):
            billed = self.filtered("invoice_line_id")[:1]
            raise UserError(
                _(
                    "Usage %(key)s is billed by %(move)s and cannot be changed. Cancel that draft, or "
                    "issue a credit note, first.",
                    key=billed.idempotency_key,
                    move=billed.invoice_id.display_name,
                )
            )
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_except_billed(self):
        billed = self.filtered("invoice_line_id")[:1]
        if billed:
            raise UserError(
                _(
                    "Usage %(key)s is billed by %(move)s and cannot be deleted.",
                    key=billed.idempotency_key,
                    move=billed.invoice_id.display_name,
                )
            )

    # --- Batch ingestion -------------------------------------------------------------------------
    def init(self):
        # per-key request counters of the ingestion API (one row per key and minute)
        self.env.cr.execute(
            SQL(
                """CREATE TABLE IF NOT EXISTS agent_billing_rate_window (
                   key varchar NOT NULL,
                   window_start timestamp NOT NULL,
                   hits integer NOT NULL DEFAULT 0,
                   PRIMARY KEY (key, window_start))"""
            )
        )

    @api.model
    def _check_ingest_access(self):
        """Who may report usage: billing users, ingestion keys, the superuser."""
        if self.env.su:
            return
        user = self.env.user
        if not (
            user.has_group("agent_billing.group_agent_billing_user")
            or user.has_group("agent_billing.group_agent_billing_ingest")
        ):
            raise AccessError(_("Only billing users and usage ingestion keys can report usage."))
        self.check_access("create")

    @api.model
    def _ingest(self, events, source=None):
        """Validate and store a batch of usage events; account for every one of them.

        ``events`` is a list of dicts with keys ``idempotency_key``, ``client`` (billing
        reference, contract reference or partner id, see ``_ingest_resolve_clients``),
        ``deployment`` (deployment id or reference) or ``agent_type`` (product id or
        internal reference), ``metric`` (code), ``quantity`` and ``timestamp`` (ISO 8601).
        Returns ``{"accepted": n, "duplicate": n, "rejected": n, "results": [...]}`` where
        ``results[i]`` is ``{"index": i, "status": ..., "reason"?: ..., "id"?: ...}`` and
        accepted + duplicate + rejected == len(events). An event's ``date`` (its billing day)
        is the day of its timestamp in the client's billing time zone (``_billing_day``).

        Built for volume: references are resolved with one query per kind for the whole batch,
        and the events are inserted with one ``INSERT ... ON CONFLICT DO NOTHING``, so that the
        unique index on (company, key) decides duplicates atomically, also between concurrent
        requests. The caller's rights are checked first (``_check_ingest_access``); the lookups
        then run as superuser but only within the current company, since an ingestion key may
        read nothing.
        """
        self._check_ingest_access()
        if not isinstance(events, list):
            raise ValidationError(_("Send a list of usage events."))
        if len(events) > MAX_BATCH:
            raise ValidationError(
                _(
                    "A batch holds at most %(max)s events; this one has %(n)s. Split it.",
                    max=MAX_BATCH,
                    n=len(events),
                )
            )
        company = self.env.company
        usage = self.sudo().with_company(company)
        results = [None] * len(events)
        parsed = []
        for index, event in enumerate(events):
            values, reason = usage._ingest_parse(event, source)
            if reason:
                results[index] = {"index": index, "status": "rejected", "reason": reason}
            else:
                parsed.append((index, values))
        refs = usage._ingest_resolve([values for _i, values in parsed])
        valid = []
        for index, values in parsed:
            row, reason = usage._ingest_row(values, refs)
            if reason:
                results[index] = {"index": index, "status": "rejected", "reason": reason}
            else:
                valid.append((index, row))
        policy = company.sudo().agent_billing_late_usage  # access checked above
        billed = (
            usage._ingest_billed_periods({row["partner_id"] for _i, row in valid})
            if policy == "refuse"
            else {}
        )
        seen = {}
        rows = []
        for index, row in valid:
            reason = None
            if billed:
                for start, end, move_name in billed.get(row["partner_id"], ()):
                    if start <= row["date"] <= end:
                        reason = _(
                            "%(day)s is already billed by %(move)s", day=row["date"], move=move_name
                        )
                        break
            if reason:
                results[index] = {"index": index, "status": "rejected", "reason": reason}
                continue
            key = row["idempotency_key"]
            if key in seen:
                results[index] = {
                    "index": index,
                    "status": "duplicate",
                    "reason": _("same idempotency key as event %(i)s of this batch", i=seen[key]),
                }
                continue
            seen[key] = index
            rows.append((index, row))
        usage._ingest_insert(rows, results)
        counts = Counter(r["status"] for r in results)
        return {
            "accepted": counts["accepted"],
            "duplicate": counts["duplicate"],
            "rejected": counts["rejected"],
            "results": results,
        }

    def _ingest_parse(self, event, source):
        """Check an event's own fields. Returns (values, None) or (None, reason)."""
        if not isinstance(event, dict):
            return None, _("event is not an object")
        for name, value in event.items():
            if isinstance(value, str) and "\x00" in value:
                return None, _("%(name)s contains a NUL character", name=name)
        key = event.get("idempotency_key")
        if not isinstance(key, str) or not key.strip() or len(key) > 255:
            return None, _("idempotency_key is missing or not a string of 1 to 255 characters")
        quantity = event.get("quantity")
        if isinstance(quantity, bool) or not isinstance(quantity, int | float | str):
            return None, _("quantity is missing or not a number")
        try:
            quantity = float(quantity)
        except (ValueError, OverflowError):
            return None, _("quantity %(q)r is not a number", q=event.get("quantity"))
        if quantity != quantity or quantity in (float("inf"), float("-inf")):
            return None, _("quantity is not a finite number")
        if quantity < 0:
            return None, _("quantity %(q)s is negative", q=quantity)
        if quantity >= 1e12:
            return None, _("quantity %(q)s is implausibly large", q=quantity)
        timestamp = self._ingest_timestamp(event.get("timestamp"))
        if not timestamp:
            return None, _("timestamp is missing or not an ISO 8601 date-time")
        refs = {}
        for name in ("client", "deployment", "agent_type", "metric"):
            ref = event.get(name)
            if ref in (None, ""):
                refs[name] = None
            elif (
                isinstance(ref, bool)
                or not isinstance(ref, int | str)
                or (isinstance(ref, str) and len(ref) > 255)
            ):
                return None, _("%(name)s must be an id or a reference", name=name)
            else:
                refs[name] = ref.strip() if isinstance(ref, str) else ref
        if refs["client"] is None:
            return None, _("client is missing")
        event_source = event.get("source")
        if event_source is not None and not isinstance(event_source, str):
            return None, _("source must be a string")
        return {
            "idempotency_key": key.strip(),
            "quantity": float_round(quantity, precision_digits=4),
            "timestamp": timestamp,
            "source": (event_source or source or "")[:255] or None,
            **refs,
        }, None

    @api.model
    def _ingest_timestamp(self, value):
        if not isinstance(value, str) or not 10 <= len(value) <= 40:
            return None
        text = value.strip().replace("T", " ")
        if text.endswith("Z"):
            text = text[:-1]
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            return None
        if moment.tzinfo:
            moment = moment.astimezone(UTC).replace(tzinfo=None)
        if not 2000 <= moment.year <= 2999:
            return None
        return moment.replace(microsecond=0)

    def _ingest_resolve(self, parsed):
        """{kind: {ref: record}} for every reference of the batch, one query per kind; for
        ``client``, see ``_ingest_resolve_clients``."""
        company = self.env.company
        company_domain = [("company_id", "in", [False, company.id])]
        specs = {
            "deployment": ("agent.billing.deployment", "name", [("company_id", "=", company.id)]),
            "agent_type": ("product.product", "default_code", [("is_agent_type", "=", True)]),
            "metric": ("agent.billing.metric", "code", []),
        }
        resolved = {}
        for kind, (model, ref_field, domain) in specs.items():
            wanted = {values[kind] for values in parsed if values[kind] is not None}
            ids = [ref for ref in wanted if isinstance(ref, int)]
            names = [ref for ref in wanted if isinstance(ref, str)]
            found = {}
            if ids or names:
                extra = company_domain if kind != "deployment" else []
                records = self.env[model].search(
                    domain + extra + ["|", ("id", "in", ids), (ref_field, "in", names)]
                )
                for record in records:
                    if record.id in wanted:
                        found[record.id] = record
                    name = record[ref_field]
                    if name in wanted and (name not in found or record.company_id):
                        found[name] = record  # a company's own record beats a shared one
            resolved[kind] = found
        resolved["client"], resolved["contracts"] = self._ingest_resolve_clients(
            {values["client"] for values in parsed}
        )
        return resolved

    def _ingest_resolve_clients(self, wanted):
        """Who the ``client`` values of a batch may name: ({value: [(client, contract)]},
        {client id: its active contracts in this company}).

        A string is a client's billing reference (``res.partner.agent_billing_ref``, unique
        among the partners this company sees) or the reference of one of its contracts in this
        company (then ``contract`` is that contract, else None); an integer is a partner id (of
        the client or one of its contacts), the API's first form. Only partners of this company
        or shared ones count; each candidate comes with its active contracts of this company,
        and whether one covers the event's day is ``_ingest_client``'s to decide. A value that
        names two clients names none.
        """
        company = self.env.company
        Partner = self.env["res.partner"].with_context(active_test=False)
        Contract = self.env["agent.billing.contract"]
        ids = [ref for ref in wanted if isinstance(ref, int)]
        names = [ref for ref in wanted if isinstance(ref, str)]
        visible = [("company_id", "in", [False, company.id])]
        found = {}
        if ids:
            for partner in Partner.search(visible + [("id", "in", ids)]):
                found.setdefault(partner.id, []).append((partner.commercial_partner_id, None))
        if names:
            for partner in Partner.search(visible + [("agent_billing_ref", "in", names)]):
                found.setdefault(partner.agent_billing_ref, []).append(
                    (partner.commercial_partner_id, None)
                )
            for contract in Contract.search(
                [("company_id", "=", company.id), ("state", "=", "active"), ("name", "in", names)]
            ):
                found.setdefault(contract.name, []).append((contract.partner_id, contract))
        clients = Partner.browse({client.id for pairs in found.values() for client, _c in pairs})
        contracts = {}
        if clients:
            for contract in Contract.search(
                [
                    ("company_id", "=", company.id),
                    ("state", "=", "active"),
                    ("partner_id", "in", clients.ids),
                ]
            ):
                contracts.setdefault(contract.partner_id.id, []).append(contract)
        return found, contracts

    def _ingest_client(self, values, refs):
        """(client, billing day) of a parsed event, or (None, None) if its ``client`` names no
        client with a contract of this company active on that day. Nothing tells the caller
        why: the reason is the same whether the reference does not exist, is another
        company's or has no active contract, so that the answer reveals no other client."""
        candidates = refs["client"].get(values["client"], ())
        clients = {client for client, _contract in candidates}
        if len(clients) != 1:
            return None, None
        client = clients.pop()
        if any(contract is None for _client, contract in candidates):
            contracts = refs["contracts"].get(client.id, ())
        else:  # named by a contract reference: that contract
            contracts = [contract for _client, contract in candidates]
        day = self._billing_day(values["timestamp"], client, self.env.company)
        if not any(
            c.date_start <= day and (not c.date_end or c.date_end >= day) for c in contracts
        ):
            return None, None
        return client, day

    def _ingest_row(self, values, refs):
        """Database row of a parsed event. Returns (row, None) or (None, reason)."""
        partner, day = self._ingest_client(values, refs)
        if not partner:
            return None, _("unknown client, or no active contract on the event's day")
        deployment = self.env["agent.billing.deployment"]
        if values["deployment"] is not None:
            deployment = refs["deployment"].get(values["deployment"], deployment)
            if not deployment or deployment.partner_id != partner:
                return None, _("unknown deployment %(d)r for this client", d=values["deployment"])
        product = deployment.product_id
        if not product and values["agent_type"] is not None:
            product = refs["agent_type"].get(values["agent_type"])
            if not product:
                return None, _("unknown agent type %(a)r", a=values["agent_type"])
        metric = self.env["agent.billing.metric"]
        if values["metric"] is not None:
            metric = refs["metric"].get(values["metric"])
            if not metric:
                return None, _("unknown metric %(m)r", m=values["metric"])
        metric = metric or (product.agent_usage_metric_id if product else metric)
        if not metric:
            return None, _("no metric given and the agent type has no default metric")
        return {
            "idempotency_key": values["idempotency_key"],
            "partner_id": partner.id,
            "deployment_id": deployment.id or None,
            "product_id": product.id if product else None,
            "metric_id": metric.id,
            "quantity": values["quantity"],
            "timestamp": values["timestamp"],
            "date": day,
            "source": values["source"],
        }, None

    def _ingest_billed_periods(self, partner_ids):
        """{partner id: [(start, end, invoice name)]} of the live invoices of these clients."""
        if not partner_ids:
            return {}
        moves = self.env["account.move"].search(
            [
                ("agent_contract_id.partner_id", "in", list(partner_ids)),
                ("company_id", "=", self.env.company.id),
                *self.env["account.move"]._agent_live_domain(),
            ]
        )
        periods = {}
        for move in moves:
            periods.setdefault(move.agent_contract_id.partner_id.id, []).append(
                (move.agent_period_start, move.agent_period_end, move.name or "/")
            )
        return periods

    def _ingest_insert(self, rows, results):
        """Insert the rows; a key that exists already (or was inserted meanwhile by another
        transaction) comes back as a duplicate with the original's id."""
        if not rows:
            return
        company_id = self.env.company.id
        uid = self.env.uid
        inserted = {}
        for start in range(0, len(rows), 500):
            chunk = rows[start : start + 500]
            values = SQL(", ").join(
                SQL(
                    "(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, now() at time zone 'utc', "
                    "now() at time zone 'utc')",
                    company_id,
                    row["partner_id"],
                    row["deployment_id"],
                    row["product_id"],
                    row["metric_id"],
                    row["quantity"],
                    row["timestamp"],
                    row["date"],
                    row["source"],
                    row["idempotency_key"],
                    uid,
                    uid,
                )
                for _index, row in chunk
            )
            self.env.cr.execute(
                SQL(
                    """INSERT INTO agent_billing_usage
                       (company_id, partner_id, deployment_id, product_id, metric_id, quantity,
                        timestamp, date, source, idempotency_key, create_uid, write_uid,
                        create_date, write_date)
                   VALUES %s
                   ON CONFLICT (company_id, idempotency_key) DO NOTHING
                   RETURNING id, idempotency_key""",
                    values,
                )
            )
            inserted.update({key: id_ for id_, key in self.env.cr.fetchall()})
        missing = [
            row["idempotency_key"] for _index, row in rows if row["idempotency_key"] not in inserted
        ]
        originals = {}
        if missing:
            self.env.cr.execute(
                SQL(
                    "SELECT idempotency_key, id FROM agent_billing_usage "
                    "WHERE company_id = %s AND idempotency_key IN %s",
                    company_id,
                    tuple(missing),
                )
            )
            originals = dict(self.env.cr.fetchall())
        for index, row in rows:
            key = row["idempotency_key"]
            if key in inserted:
                results[index] = {"index": index, "status": "accepted", "id": inserted[key]}
            else:
                results[index] = {
                    "index": index,
                    "status": "duplicate",
                    "id": originals.get(key),
                    "reason": _("already recorded; the original is kept"),
                }
        self.env["agent.billing.usage"].invalidate_model()
