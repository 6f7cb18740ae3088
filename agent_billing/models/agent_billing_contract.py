import logging
from collections import defaultdict

from odoo import _, api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import SQL

from ..rating import (
    AgentRate,
    ClientTerms,
    DeploymentInput,
    MetricPrice,
    PrepaidBalance,
    PriceChange,
    UsageInput,
    UsagePrice,
    digits_to_rounding,
    period_bounds,
    price_pieces,
    rate_client,
    to_decimal,
    value_on,
)

BILLING_MODELS = [
    ("per_agent", "Monthly per agent"),
    ("usage", "Usage-based"),
    ("contract", "Contract tier"),
]
_logger = logging.getLogger(__name__)

# states in which a contract bills (a closed contract still bills up to its end)
LIVE_STATES = ("active", "closed")
# what a client is billed for, and the billing models that bill it: at any date one live
# contract per client and scope
SCOPES = {
    "agents": ("per_agent", "contract"),
    "usage": ("usage", "contract"),
}

BILLING_CYCLES = [
    ("monthly", "Monthly"),
    ("quarterly", "Quarterly"),
    ("semiannual", "Semi-annual"),
    ("annual", "Annual"),
]


class AgentBillingContract(models.Model):
    _name = "agent.billing.contract"
    _description = "Client billing contract"
    _inherit = ["agent.billing.client.mixin", "mail.thread", "mail.activity.mixin"]
    _order = "date_start desc, id desc"
    _check_company_auto = True
    _sequence_code = "agent.billing.contract"

    name = fields.Char(
        "Reference", required=True, copy=False, readonly=True, default=lambda self: _("New")
    )
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company, tracking=True
    )
    partner_id = fields.Many2one(
        "res.partner", "Client", required=True, tracking=True, check_company=True, index=True
    )
    partner_invoice_id = fields.Many2one(
        "res.partner", "Invoice Contact", tracking=True, check_company=True,
        compute="_compute_partner_invoice_id", store=True, readonly=False, precompute=True,
        domain="[('commercial_partner_id', '=', partner_id)]",
        help="Address the invoices are sent to; defaults to the client's invoice address.",
    )
    tier_id = fields.Many2one(
        "agent.billing.tier", "Contract Tier", tracking=True, check_company=True
    )
    billing_model = fields.Selection(
        BILLING_MODELS, required=True, default="per_agent", tracking=True,
        help="Monthly per agent: deployments only. Usage-based: usage only. "
        "Contract tier: both, with the tier's discount and minimum commitment.",
    )
    billing_cycle = fields.Selection(
        BILLING_CYCLES, required=True, default="monthly", tracking=True
    )
    billing_timing = fields.Selection(
        [("advance", "In advance"), ("arrears", "In arrears")], required=True, default="arrears",
        tracking=True,
        help="In advance: agents are billed for the coming period. In arrears: for the past one. "
        "Usage is always billed in arrears.",
    )
    date_start = fields.Date("Start", required=True, default=fields.Date.context_today,
                             tracking=True)
    date_end = fields.Date("End", tracking=True)
    payment_term_id = fields.Many2one(
        "account.payment.term", "Payment Terms", tracking=True, check_company=True,
        compute="_compute_payment_term_id", store=True, readonly=False, precompute=True,
    )
    currency_id = fields.Many2one(
        "res.currency", required=True, tracking=True,
        compute="_compute_currency_id", store=True, readonly=False, precompute=True,
    )
    state = fields.Selection(
        [("draft", "Draft"), ("active", "Active"), ("closed", "Closed"),
         ("cancelled", "Cancelled")],
        default="draft", required=True, tracking=True, copy=False,
    )
    deployment_ids = fields.One2many("agent.billing.deployment", "contract_id", "Deployments")
    note = fields.Html()

    # --- Computes ---
    @api.depends("partner_id")
    def _compute_partner_invoice_id(self):
        for contract in self:
            if contract.partner_id and (
                not contract.partner_invoice_id
                or contract.partner_invoice_id.commercial_partner_id != contract.partner_id
            ):
                contract.partner_invoice_id = contract.partner_id.address_get(["invoice"])[
                    "invoice"
                ]
            else:
                contract.partner_invoice_id = contract.partner_invoice_id

    @api.depends("partner_id")
    def _compute_payment_term_id(self):
        for contract in self:
            contract.payment_term_id = (
                contract.payment_term_id or contract.partner_id.property_payment_term_id
            )

    @api.depends("tier_id", "company_id")
    def _compute_currency_id(self):
        for contract in self:
            contract.currency_id = (
                contract.tier_id.currency_id
                or contract.currency_id
                or contract.company_id.currency_id
                or self.env.company.currency_id
            )

    # --- Constraints ---
    @api.constrains("date_start", "date_end")
    def _check_dates(self):
        for contract in self:
            if contract.date_end and contract.date_end < contract.date_start:
                raise ValidationError(
                    _("Contract %(name)s: the end %(end)s is before the start %(start)s.",
                      name=contract.display_name, end=contract.date_end,
                      start=contract.date_start)
                )

    @api.constrains("billing_model", "tier_id", "currency_id")
    def _check_tier(self):
        for contract in self:
            if contract.billing_model == "contract" and not contract.tier_id:
                raise ValidationError(
                    _("Contract %(name)s is billed by contract tier but has no tier.",
                      name=contract.display_name)
                )
            if contract.tier_id and contract.tier_id.currency_id != contract.currency_id:
                raise ValidationError(
                    _("Contract %(name)s is in %(cur)s but its tier %(tier)s prices in %(tcur)s.",
                      name=contract.display_name, cur=contract.currency_id.name,
                      tier=contract.tier_id.name, tcur=contract.tier_id.currency_id.name)
                )

    def _scopes(self):
        """The scopes this contract bills (agents, usage, or both)."""
        self.ensure_one()
        return [scope for scope, billing_models in SCOPES.items()
                if self.billing_model in billing_models]

    @api.constrains("state", "partner_id", "company_id", "billing_model", "date_start",
                    "date_end")
    def _check_single_scope(self):
        """At any date a client's agents, and its usage, are billed by one live contract."""
        for contract in self.filtered(lambda c: c.state in LIVE_STATES):
            for scope in contract._scopes():
                domain = [
                    ("id", "!=", contract.id),
                    ("company_id", "=", contract.company_id.id),
                    ("partner_id", "=", contract.partner_id.id),
                    ("state", "in", LIVE_STATES),
                    ("billing_model", "in", SCOPES[scope]),
                    "|", ("date_end", "=", False), ("date_end", ">=", contract.date_start),
                ]
                if contract.date_end:
                    domain.append(("date_start", "<=", contract.date_end))
                other = self.sudo().search(domain, limit=1, order="date_start, id")
                if other:
                    raise ValidationError(_(
                        "Contracts %(contract)s and %(other)s of %(client)s would both bill its "
                        "%(scope)s from %(start)s: a client's %(scope)s are billed by one live "
                        "contract at a time. End %(other)s the day before, or change the dates "
                        "or the billing model of %(contract)s.",
                        contract=contract.display_name, other=other.display_name,
                        client=contract.partner_id.display_name,
                        scope=_("agents") if scope == "agents" else _("usage"),
                        start=max(contract.date_start, other.date_start)))

    def init(self):
        """The same rule in the database, also between two transactions: an exclusion
        constraint per scope over (company, client, dates) of live contracts. It is checked at
        commit, so that within a transaction the ORM check above answers first, in words (and
        a contract may be ended and its successor started in one go)."""
        cr = self.env.cr
        try:
            with cr.savepoint(flush=False):
                cr.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
        except Exception as exc:  # noqa: BLE001  (no right to add it: the ORM check remains)
            _logger.warning("btree_gist is not available (%s): overlapping contracts are "
                            "refused by the ORM check only", exc)
            return
        for scope, billing_models in SCOPES.items():
            name = f"agent_billing_contract_{scope}_scope"
            cr.execute(SQL("SELECT 1 FROM pg_constraint WHERE conname = %s", name))
            if cr.fetchone():
                continue
            # a contract ending before it starts is refused by _check_dates, never here
            predicate = SQL(
                "state IN %s AND billing_model IN %s AND (date_end IS NULL OR date_end >= "
                "date_start)", LIVE_STATES, billing_models)
            cr.execute(SQL(
                """SELECT a.name, b.name FROM agent_billing_contract a
                     JOIN agent_billing_contract b
                       ON a.id < b.id AND a.company_id = b.company_id
                      AND a.partner_id = b.partner_id
                      AND daterange(a.date_start, a.date_end, '[]')
                          && daterange(b.date_start, b.date_end, '[]')
                    WHERE a.state IN %(states)s AND a.billing_model IN %(models)s
                      AND b.state IN %(states)s AND b.billing_model IN %(models)s
                      AND (a.date_end IS NULL OR a.date_end >= a.date_start)
                      AND (b.date_end IS NULL OR b.date_end >= b.date_start)
                    LIMIT 1""", states=LIVE_STATES, models=billing_models))
            clash = cr.fetchone()
            if clash:
                _logger.warning(
                    "Contracts %s and %s overlap for the same client and %s: end one of them; "
                    "until then the database cannot enforce one live contract per scope.",
                    clash[0], clash[1], scope)
                continue
            cr.execute(SQL(
                """ALTER TABLE agent_billing_contract ADD CONSTRAINT %s
                   EXCLUDE USING gist (company_id WITH =, partner_id WITH =,
                                       daterange(date_start, date_end, '[]') WITH &&)
                   WHERE (%s) DEFERRABLE INITIALLY DEFERRED""", SQL.identifier(name), predicate))
        return super().init()

    # --- Actions ---
    def action_activate(self):
        for contract in self:
            if contract.state != "draft":
                raise UserError(
                    _("Contract %(name)s is not a draft; only drafts can be activated.",
                      name=contract.display_name)
                )
        self.write({"state": "active"})

    def action_close(self):
        today = fields.Date.context_today(self)
        for contract in self:
            vals = {"state": "closed"}
            if not contract.date_end or contract.date_end > today:
                vals["date_end"] = max(today, contract.date_start)
            contract.write(vals)

    def action_cancel(self):
        self.write({"state": "cancelled"})

    def action_draft(self):
        self.write({"state": "draft"})

    # --- Rating -------------------------------------------------------------------------------
    def _select(self, model, domain, candidates):
        """Records of ``model`` matching ``domain``: searched, or, when a batch prefetched
        ``candidates``, filtered from them in memory with the very same domain."""
        if candidates is not None:
            return candidates.filtered_domain(domain)
        return self.env[model].search(domain)

    def _rating_deployments(self, period_start, period_end, candidates=None):
        """Deployments billed on this contract: its own, plus the client's unassigned ones."""
        self.ensure_one()
        Deployment = self.env["agent.billing.deployment"]
        return self._select("agent.billing.deployment", Deployment._billable_domain(
            period_start, period_end) + [
            ("partner_id", "=", self.partner_id.id), ("company_id", "=", self.company_id.id),
            "|", ("contract_id", "=", self.id), ("contract_id", "=", False),
        ], candidates)

    def _rating_usages(self, period_start, period_end, unbilled_only=False, candidates=None):
        """Usage of the period; with ``unbilled_only``, also earlier usage of this contract that
        no invoice billed yet (e.g. reported late, or released from a cancelled draft)."""
        self.ensure_one()
        domain = [("partner_id", "=", self.partner_id.id), ("company_id", "=", self.company_id.id),
                  ("date", "<=", period_end)]
        if unbilled_only:
            domain += [("date", ">=", min(self.date_start, period_start)),
                       ("invoice_line_id", "=", False)]
        else:
            domain += [("date", ">=", period_start)]
        return self._select("agent.billing.usage", domain, candidates)

    def _billing_plan(self, run_start, run_end):
        """What this contract bills in a run covering [run_start, run_end], or None.

        In arrears, a contract bills the cycle period (month, quarter, ...) that ends with the run.
        In advance, it bills agents for the cycle period that starts the day after the run, and
        the usage of the period that ends with the run (usage is always billed in arrears).
        Returns (period_start, period_end, usage_start, usage_end), clipped to the contract.
        """
        self.ensure_one()
        cycle_start, cycle_end = period_bounds(run_end, self.billing_cycle)
        if cycle_end != run_end:
            return None
        contract_end = self.date_end or None
        if self.billing_timing == "advance":
            next_start = fields.Date.add(run_end, days=1)
            period_start, period_end = period_bounds(next_start, self.billing_cycle)
        else:
            period_start, period_end = cycle_start, cycle_end
        usage_start, usage_end = cycle_start, cycle_end
        # clip to the contract; nothing to bill when it does not overlap
        period_start = max(period_start, self.date_start)
        usage_start = max(usage_start, self.date_start)
        if contract_end:
            period_end = min(period_end, contract_end)
            usage_end = min(usage_end, contract_end)
        if period_end < period_start and usage_end < usage_start:
            return None
        if period_end < period_start:  # in advance, contract over: only the last usage remains
            period_start, period_end = usage_start, usage_end
        return period_start, period_end, usage_start, usage_end

    def _rating_overrides(self, period_start, period_end, candidates=None):
        self.ensure_one()
        return self._select("agent.billing.price.override", [
            ("partner_id", "=", self.partner_id.id), ("company_id", "=", self.company_id.id),
            ("date_from", "<=", period_end),
            "|", ("date_to", "=", False), ("date_to", ">=", period_start),
        ], candidates)

    def _rate_period(self, period_start, period_end, deployments=None, usages=None,
                     overrides=None, prepaid_blocks=None):
        """Rate this contract for a period with the plain-Python core.

        Override > tier > catalog. An override valid for only part of the period prices only the
        days (deployments) or events (usage) inside its validity: each deployment is cut at the
        override's bounds and each usage event is priced by the override valid on its day.
        Returns the core's ``Rating``; line keys are ``(product, override)`` for agent lines,
        ``(metric, override)`` for usage lines and ``((metric, override), block)`` for prepaid
        lines; refs are deployment or usage records. ``prepaid_blocks`` (default: the client's
        active blocks) cover usage before it is charged, at their current balance.
        """
        self.ensure_one()
        if deployments is None:
            deployments = self._rating_deployments(period_start, period_end)
        if usages is None:
            usages = self._rating_usages(period_start, period_end)
        overrides = self._rating_overrides(period_start, period_end, candidates=overrides)
        tier = self.tier_id
        agent_overrides = defaultdict(list)
        metric_overrides = defaultdict(list)
        for ov in overrides:
            if ov.product_id:
                agent_overrides[ov.product_id].append(ov)
            else:
                metric_overrides[ov.metric_id].append(ov)
        tier_agent = {r.product_id: r for r in tier.agent_rate_ids}
        tier_usage = {r.metric_id: r for r in tier.usage_rate_ids}
        currency = self.currency_id
        # tier prices are date-effective: a change never re-prices a day before it took effect
        first_day = min([period_start] + [u.date for u in usages])
        changes = self._price_changes(
            [tier, tier.agent_rate_ids, tier.usage_rate_ids, tier.usage_rate_ids.band_ids],
            first_day)

        agent_rates = {}
        dep_inputs = []
        for dep in deployments:
            product = dep.product_id
            dep_end = dep.date_end or None
            # pieces of the deployment: inside each override's validity, and outside all of them
            pieces = []
            cursor_start = dep.date_start
            for ov in sorted(agent_overrides[product], key=lambda o: o.date_from):
                ov_end = ov.date_to or None
                start = max(cursor_start, ov.date_from)
                end = min(d for d in (dep_end, ov_end) if d) if (dep_end or ov_end) else None
                if end is not None and end < start:
                    continue
                if start > cursor_start:
                    pieces.append((cursor_start, fields.Date.subtract(start, days=1), None))
                pieces.append((start, end, ov))
                if end is None:
                    cursor_start = None
                    break
                cursor_start = fields.Date.add(end, days=1)
            if cursor_start is not None and (dep_end is None or cursor_start <= dep_end):
                pieces.append((cursor_start, dep_end, None))
            tier_rate = tier_agent.get(product)
            rate_changes = changes.get((tier_rate, "monthly_rate"), []) if tier_rate else []
            if rate_changes:
                pieces = self._cut_at_price_changes(pieces, tier_rate, rate_changes,
                                                    period_start, period_end)
            for start, end, ov, *version in pieces:
                # a piece at an earlier tier price is keyed by that price
                key = (product, ov if not version else ("tier", version[0]))
                if key not in agent_rates:
                    tier_price = version[0] if version else (
                        to_decimal(tier_rate.monthly_rate) if tier_rate else None)
                    agent_rates[key] = AgentRate(
                        catalog=self._to_currency(product.agent_monthly_rate,
                                                  product.currency_id, period_end),
                        tier=tier_price,
                        override=self._override_price(ov, "monthly_rate",
                                                      max(period_start, ov.date_from))
                        if ov and not version else None,
                    )
                dep_inputs.append(
                    DeploymentInput(ref=dep, agent_type=key, agents=dep.agent_count,
                                    start=start, end=end)
                )

        metric_prices = {}
        usage_inputs = []
        for usage in usages:
            metric = usage.metric_id
            ov = next(
                (o for o in metric_overrides[metric]
                 if o.date_from <= usage.date and (not o.date_to or o.date_to >= usage.date)),
                None,
            )
            tier_rate = tier_usage.get(metric)
            # usage is priced at the tier prices in force at the start of its billing period:
            # included units and bands apply to the period as a whole
            priced_on = period_bounds(usage.date, self.billing_cycle)[0]
            historic = tier_rate and any(
                change.effective > priced_on
                for record in (tier_rate, *tier_rate.band_ids)
                for field_name in ("unit_price", "flat_fee")
                for change in changes.get((record, field_name), ()))
            key = (metric, ov) if not historic else (metric, (ov, priced_on))
            if key not in metric_prices:
                metric_prices[key] = MetricPrice(
                    catalog=UsagePrice(
                        unit_price=self._to_currency(metric.unit_price, metric.currency_id,
                                                     period_end, digits=6)
                    ),
                    tier=tier_rate._to_usage_price(
                        price_on=self._price_on(changes, priced_on)) if tier_rate else None,
                    override=self._override_price(ov, "unit_price",
                                                  max(period_start, ov.date_from), digits=6)
                    if ov else None,
                )
            usage_inputs.append(
                UsageInput(ref=usage, metric=key, quantity=to_decimal(usage.quantity),
                           agent_type=usage.product_id, day=usage.date, prepaid_metric=metric)
            )
        prepaid = []
        if usage_inputs:
            if prepaid_blocks is None:
                days = [u.date for u in usages]
                prepaid_blocks = self.env["agent.billing.prepaid.block"]._rating_balances(
                    self.partner_id, self.company_id, min(days), max(days))
            prepaid = [
                PrepaidBalance(ref=block, metric=block.metric_id,
                               balance=to_decimal(block._claimable()),
                               start=block.date_start, end=block.date_expiry or None)
                for block in prepaid_blocks.filtered(
                    lambda b, p=self.partner_id: b.partner_id == p and b._claimable() > 0)
            ]

        terms = ClientTerms(
            billing_model=self.billing_model,
            agent_rates=agent_rates,
            metric_prices=metric_prices,
            minimum_commitment=self._price_on(changes, period_start)(
                tier, "minimum_commitment") if tier else to_decimal(0),
            discount_percent=to_decimal(tier.discount_percent) if tier else to_decimal(0),
            contract_start=self.date_start,
            contract_end=self.date_end or None,
            rounding=to_decimal(currency.rounding),
            price_digits=self.env["decimal.precision"].precision_get("Product Price"),
            quantity_digits=self.env["decimal.precision"].precision_get(
                "Product Unit of Measure"
            ),
        )
        return rate_client(terms, dep_inputs, usage_inputs, period_start, period_end,
                           prepaid=prepaid)

    def _price_changes(self, recordsets, since):
        """{(record, field): [PriceChange]} of the bulk price changes applied to the records
        of ``recordsets`` that took effect after ``since`` (what rating an earlier day must
        undo)."""
        wanted = {(record._name, record.id): record for records in recordsets
                  for record in records}
        if not wanted:
            return {}
        lines = self.env["agent.billing.price.change.line"].sudo().search([
            ("change_id.state", "=", "applied"), ("change_id.effective_date", ">", since),
            ("res_model", "in", list({model for model, _id in wanted})),
            ("res_id", "in", list({id_ for _model, id_ in wanted})),
        ])  # sudo: a price's history is part of reading the price, which the user may
        result = {}
        for line in lines:
            record = wanted.get((line.res_model, line.res_id))
            if record is not None:
                result.setdefault((record, line.field_name), []).append(PriceChange(
                    line.change_id.effective_date, to_decimal(line.old_value),
                    to_decimal(line.new_value)))
        return result

    @api.model
    def _price_on(self, changes, day):
        """``price_on(record, field)``: a price as it was on ``day``."""
        def price_on(record, field_name):
            return value_on(to_decimal(record[field_name]),
                            changes.get((record, field_name), ()), day)
        return price_on

    @api.model
    def _cut_at_price_changes(self, pieces, tier_rate, rate_changes, period_start, period_end):
        """Cut the tier-priced pieces (no override) of a deployment where the tier rate
        changed inside the period; a piece before the current price carries its price."""
        current = to_decimal(tier_rate.monthly_rate)
        result = []
        for start, end, ov in pieces:
            if ov:
                result.append((start, end, ov))
                continue
            low = max(start, period_start)
            high = min(end, period_end) if end else period_end
            if high < low:
                result.append((start, end, ov))
                continue
            for piece_start, piece_end, value in price_pieces(low, high, current, rate_changes):
                if value == current:
                    result.append((piece_start, piece_end, None))
                else:
                    result.append((piece_start, piece_end, None, value))
        return result

    def _override_price(self, override, field_name, date, digits=None):
        """A client override's price in the contract's currency: an override entered in
        another currency is converted at the rate of ``date`` (the first day it prices in the
        period), never taken as the same number in the contract's currency."""
        return self._to_currency(override[field_name], override.currency_id, date,
                                 digits=digits)

    def _to_currency(self, amount, from_currency, date, digits=None):
        """A catalog price in the contract's currency, as an exact Decimal."""
        if from_currency and from_currency != self.currency_id:
            amount = from_currency._convert(amount, self.currency_id, self.company_id, date,
                                            round=False)
        value = to_decimal(amount)
        if digits is not None:
            return value.quantize(digits_to_rounding(digits))
        return value.quantize(to_decimal(self.currency_id.rounding))
