import logging
import uuid
from collections import Counter

from psycopg2 import errors as pg_errors

from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import float_compare

_logger = logging.getLogger(__name__)

MAX_BATCH = 1000


class AgentBillingUsage(models.Model):
    _name = "agent.billing.usage"
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
        "agent.billing.deployment", check_company=True, index="btree_not_null",
        domain="[('partner_id', '=', partner_id)]",
    )
    product_id = fields.Many2one(
        "product.product", "Agent Type", check_company=True,
        compute="_compute_product_id", store=True, readonly=False, precompute=True,
        domain=[("is_agent_type", "=", True)],
    )
    metric_id = fields.Many2one(
        "agent.billing.metric", required=True, check_company=True,
        compute="_compute_metric_id", store=True, readonly=False, precompute=True,
    )
    quantity = fields.Float(required=True, digits="Agent Billing Quantity", default=1.0)
    timestamp = fields.Datetime(required=True, default=fields.Datetime.now, index=True)
    date = fields.Date(
        compute="_compute_date", store=True, index=True,
        help="Day of the event (UTC), which decides the billing period.",
    )
    source = fields.Char(help="System that reported the event, e.g. the agent platform's name.")
    invoice_line_id = fields.Many2one(
        "account.move.line", "Billed By", copy=False, readonly=True, ondelete="set null",
        index="btree_not_null",
        help="The invoice line that bills this usage. Empty: not billed yet (a cancelled draft "
        "releases its usage).",
    )
    invoice_id = fields.Many2one(related="invoice_line_id.move_id", string="Invoice")
    billed = fields.Boolean(compute="_compute_billed", search="_search_billed")
    idempotency_key = fields.Char(
        required=True, copy=False, default=lambda self: str(uuid.uuid4()),
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

    @api.depends("timestamp")
    def _compute_date(self):
        for usage in self:
            usage.date = usage.timestamp.date() if usage.timestamp else False

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
                    _("Usage %(key)s: the quantity %(qty)s is negative; report corrections as a "
                      "credit note, not as negative usage.", key=usage.idempotency_key,
                      qty=usage.quantity)
                )

    @api.constrains("partner_id", "deployment_id", "product_id")
    def _check_deployment(self):
        for usage in self:
            dep = usage.deployment_id
            if dep and dep.partner_id != usage.partner_id:
                raise ValidationError(
                    _("Usage %(key)s: deployment %(dep)s belongs to %(owner)s, not to %(client)s.",
                      key=usage.idempotency_key, dep=dep.display_name,
                      owner=dep.partner_id.display_name, client=usage.partner_id.display_name)
                )
            if dep and usage.product_id and dep.product_id != usage.product_id:
                raise ValidationError(
                    _("Usage %(key)s: deployment %(dep)s runs %(type)s, not %(other)s.",
                      key=usage.idempotency_key, dep=dep.display_name,
                      type=dep.product_id.display_name, other=usage.product_id.display_name)
                )

    @api.model_create_multi
    def create(self, vals_list):
        """Refuse a duplicate key by name, before the database constraint does it anonymously."""
        partners = self.env["res.partner"]
        keys = Counter()
        for vals in vals_list:
            if vals.get("partner_id"):
                vals["partner_id"] = partners.browse(vals["partner_id"]).commercial_partner_id.id
            if not vals.get("idempotency_key"):
                vals["idempotency_key"] = str(uuid.uuid4())
            if (vals.get("quantity") or 0) < 0:
                raise ValidationError(
                    _("Usage %(key)s: the quantity %(qty)s is negative; report corrections as a "
                      "credit note, not as negative usage.", key=vals["idempotency_key"],
                      qty=vals["quantity"])
                )
            company_id = vals.get("company_id") or self.env.company.id
            keys[(company_id, vals["idempotency_key"])] += 1
        repeated = [key for (_company, key), count in keys.items() if count > 1]
        if repeated:
            raise ValidationError(
                _("The idempotency key %(key)s appears more than once in this batch.",
                  key=repeated[0])
            )
        by_company = {}
        for company_id, key in keys:
            by_company.setdefault(company_id, []).append(key)
        for company_id, company_keys in by_company.items():
            existing = self.search_read(
                [("company_id", "=", company_id), ("idempotency_key", "in", company_keys)],
                ["idempotency_key"], limit=1,
            )
            if existing:
                raise ValidationError(
                    _("Usage with idempotency key %(key)s already exists (record %(id)s); the "
                      "original is kept and this duplicate is refused.",
                      key=existing[0]["idempotency_key"], id=existing[0]["id"])
                )
        return super().create(vals_list)

    _BILLING_FIELDS = ("partner_id", "deployment_id", "product_id", "metric_id", "quantity",
                       "timestamp", "company_id")

    def write(self, vals):
        if any(f in vals for f in self._BILLING_FIELDS) and self.filtered("invoice_line_id"):
            billed = self.filtered("invoice_line_id")[:1]
            raise UserError(_(
                "Usage %(key)s is billed by %(move)s and cannot be changed. Cancel that draft, or "
                "issue a credit note, first.", key=billed.idempotency_key,
                move=billed.invoice_id.display_name))
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_except_billed(self):
        billed = self.filtered("invoice_line_id")[:1]
        if billed:
            raise UserError(_(
                "Usage %(key)s is billed by %(move)s and cannot be deleted.",
                key=billed.idempotency_key, move=billed.invoice_id.display_name))

    # --- Batch ingestion -------------------------------------------------------------------------
    @api.model
    def _ingest(self, events, source=None):
        """Validate and store a batch of usage events; account for every one of them.

        ``events`` is a list of dicts with keys ``idempotency_key``, ``client`` (partner id or
        reference), ``deployment`` (deployment id or reference) or ``agent_type`` (product id or
        internal reference), ``metric`` (code), ``quantity`` and ``timestamp`` (ISO 8601).
        Returns ``{"accepted": n, "duplicate": n, "rejected": n, "results": [...]}`` where
        ``results[i]`` is ``{"index": i, "status": ..., "reason"?: ..., "id"?: ...}`` and
        accepted + duplicate + rejected == len(events).
        """
        if not self.env.user.has_group("agent_billing.group_agent_billing_user") and not (
            self.env.su
        ):
            raise AccessError(_("Only billing users can report usage."))
        if len(events) > MAX_BATCH:
            raise ValidationError(
                _("A batch holds at most %(max)s events; this one has %(n)s. Split it.",
                  max=MAX_BATCH, n=len(events))
            )
        results = [None] * len(events)
        valid = []
        seen = {}
        for index, event in enumerate(events):
            vals, reason = self._ingest_prepare(event, source)
            if reason:
                results[index] = {"index": index, "status": "rejected", "reason": reason}
                continue
            key = vals["idempotency_key"]
            if key in seen:
                results[index] = {
                    "index": index, "status": "duplicate",
                    "reason": _("same idempotency key as event %(i)s of this batch", i=seen[key]),
                }
                continue
            seen[key] = index
            valid.append((index, vals))
        company = self.env.company
        existing = {
            rec["idempotency_key"]: rec["id"]
            for rec in self.search_read(
                [("company_id", "=", company.id),
                 ("idempotency_key", "in", [vals["idempotency_key"] for _i, vals in valid])],
                ["idempotency_key"],
            )
        }
        to_create = []
        for index, vals in valid:
            if vals["idempotency_key"] in existing:
                results[index] = {
                    "index": index, "status": "duplicate",
                    "id": existing[vals["idempotency_key"]],
                    "reason": _("already recorded; the original is kept"),
                }
            else:
                to_create.append((index, vals))
        self._ingest_create(to_create, results)
        counts = Counter(r["status"] for r in results)
        return {
            "accepted": counts["accepted"],
            "duplicate": counts["duplicate"],
            "rejected": counts["rejected"],
            "results": results,
        }

    def _ingest_create(self, to_create, results):
        """Create the new events in one batch; on a race, fall back to one savepoint per event."""
        if not to_create:
            return
        try:
            with self.env.cr.savepoint():
                records = self.create([vals for _i, vals in to_create])
            for (index, _vals), record in zip(to_create, records, strict=True):
                results[index] = {"index": index, "status": "accepted", "id": record.id}
            return
        except (pg_errors.UniqueViolation, ValidationError) as exc:
            # another transaction inserted some of these keys meanwhile: go one by one
            _logger.info("Usage batch hit a concurrent insert (%s); retrying one by one", exc)
        for index, vals in to_create:
            try:
                with self.env.cr.savepoint():
                    record = self.create([vals])
                results[index] = {"index": index, "status": "accepted", "id": record.id}
            except (pg_errors.UniqueViolation, ValidationError) as exc:
                if isinstance(exc, pg_errors.UniqueViolation) or "already exists" in str(exc):
                    results[index] = {
                        "index": index, "status": "duplicate",
                        "reason": _("already recorded; the original is kept"),
                    }
                else:
                    results[index] = {"index": index, "status": "rejected", "reason": str(exc)}

    def _ingest_prepare(self, event, source):
        """Return (vals, None) for a valid event, or (None, reason)."""
        if not isinstance(event, dict):
            return None, _("event is not an object")
        key = event.get("idempotency_key")
        if not isinstance(key, str) or not key.strip() or len(key) > 255:
            return None, _("idempotency_key is missing or not a string of 1 to 255 characters")
        quantity = event.get("quantity")
        if isinstance(quantity, bool) or not isinstance(quantity, int | float | str):
            return None, _("quantity is missing or not a number")
        try:
            quantity = float(quantity)
        except ValueError:
            return None, _("quantity %(q)r is not a number", q=event.get("quantity"))
        if quantity != quantity or quantity in (float("inf"), float("-inf")):
            return None, _("quantity is not a finite number")
        if quantity < 0:
            return None, _("quantity %(q)s is negative", q=quantity)
        try:
            timestamp = fields.Datetime.to_datetime(
                str(event.get("timestamp") or "").replace("T", " ").replace("Z", "")[:19]
            )
        except ValueError:
            timestamp = None
        if not timestamp:
            return None, _("timestamp is missing or not an ISO 8601 date-time")
        partner = self._ingest_find_partner(event.get("client"))
        if not partner:
            return None, _("unknown client %(c)r", c=event.get("client"))
        deployment = self.env["agent.billing.deployment"]
        if event.get("deployment") not in (None, ""):
            deployment = self._ingest_find(
                "agent.billing.deployment", event["deployment"], "name",
                [("partner_id", "=", partner.id)],
            )
            if not deployment:
                return None, _("unknown deployment %(d)r for this client", d=event["deployment"])
        product = deployment.product_id
        if not product and event.get("agent_type") not in (None, ""):
            product = self._ingest_find(
                "product.product", event["agent_type"], "default_code",
                [("is_agent_type", "=", True)],
            )
            if not product:
                return None, _("unknown agent type %(a)r", a=event["agent_type"])
        metric = self.env["agent.billing.metric"]
        if event.get("metric") not in (None, ""):
            metric = self._ingest_find("agent.billing.metric", event["metric"], "code", [])
            if not metric:
                return None, _("unknown metric %(m)r", m=event["metric"])
        metric = metric or product.agent_usage_metric_id
        if not metric:
            return None, _("no metric given and the agent type has no default metric")
        return {
            "idempotency_key": key.strip(),
            "partner_id": partner.id,
            "deployment_id": deployment.id or False,
            "product_id": product.id or False,
            "metric_id": metric.id,
            "quantity": quantity,
            "timestamp": timestamp,
            "source": str(event.get("source") or source or "")[:255] or False,
            "company_id": self.env.company.id,
        }, None

    def _ingest_find_partner(self, ref):
        if ref in (None, "") or isinstance(ref, bool):
            return self.env["res.partner"]
        partner = self._ingest_find("res.partner", ref, "ref", [])
        return partner.commercial_partner_id

    def _ingest_find(self, model, ref, ref_field, domain):
        """Find a record by integer id or by its reference field, within the current company."""
        Model = self.env[model]
        company_domain = [("company_id", "in", [False, self.env.company.id])]
        if isinstance(ref, int) and not isinstance(ref, bool):
            return Model.search(domain + company_domain + [("id", "=", ref)], limit=1)
        if isinstance(ref, str) and ref.strip():
            return Model.search(domain + company_domain + [(ref_field, "=", ref.strip())], limit=1)
        return Model
