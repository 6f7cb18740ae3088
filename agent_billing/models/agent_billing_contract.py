import logging
from collections import defaultdict

from odoo import _, api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.osv import expression
from odoo.tools import SQL, format_date
from odoo.tools.misc import formatLang

from ..rating import (
    AgentRate,
    AgentSpan,
    Billed,
    ClientTerms,
    DaySet,
    DeploymentInput,
    MetricPrice,
    PrepaidBalance,
    PriceChange,
    UsageInput,
    UsagePrice,
    agent_dues,
    digits_to_rounding,
    period_bounds,
    price_pieces,
    rate_client,
    reconcile,
    resolve_price,
    round_money,
    to_decimal,
    value_on,
)
from ..rating.schedule import periods, present_agents, presented_agent_price

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
        "res.partner",
        "Invoice Contact",
        tracking=True,
        check_company=True,
        compute="_compute_partner_invoice_id",
        store=True,
        readonly=False,
        precompute=True,
        domain="[('commercial_partner_id', '=', partner_id)]",
        help="Address the invoices are sent to; defaults to the client's invoice address.",
    )
    tier_id = fields.Many2one(
        "agent.billing.tier", "Contract Tier", tracking=True, check_company=True
    )
    billing_model = fields.Selection(
        BILLING_MODELS,
        required=True,
        default="per_agent",
        tracking=True,
        help="Monthly per agent: deployments only. Usage-based: usage only. "
        "Contract tier: both, with the tier's discount and minimum commitment.",
    )
    billing_cycle = fields.Selection(
        BILLING_CYCLES, required=True, default="monthly", tracking=True
    )
    billing_timing = fields.Selection(
        [("advance", "In advance"), ("arrears", "In arrears")],
        required=True,
        default="arrears",
        tracking=True,
        help="In advance: agents are billed for the coming period. In arrears: for the past one. "
        "Usage is always billed in arrears.",
    )
    date_start = fields.Date(
        "Start", required=True, default=fields.Date.context_today, tracking=True
    )
    date_end = fields.Date("End", tracking=True)
    payment_term_id = fields.Many2one(
        "account.payment.term",
        "Payment Terms",
        tracking=True,
        check_company=True,
        compute="_compute_payment_term_id",
        store=True,
        readonly=False,
        precompute=True,
    )
    currency_id = fields.Many2one(
        "res.currency",
        required=True,
        tracking=True,
        compute="_compute_currency_id",
        store=True,
        readonly=False,
        precompute=True,
    )
    state = fields.Selection(
        [
            ("draft", "Draft"),
            ("active", "Active"),
            ("closed", "Closed"),
            ("cancelled", "Cancelled"),
        ],
        default="draft",
        required=True,
        tracking=True,
        copy=False,
    )
    deployment_ids = fields.One2many("agent.billing.deployment", "contract_id", "Deployments")
    note = fields.Html()
    # --- Billing ledger ---
    agent_ledger_start = fields.Date(
        "Ledger From",
        readonly=True,
        copy=False,
        help="Agent days before this date were billed before the billing ledger existed: they "
        "are taken as they were invoiced and never re-rated.",
    )
    agent_ledger_version = fields.Integer(
        readonly=True,
        copy=False,
        default=0,
        help="Bumped by every invoice that bills this contract, in the same transaction: two "
        "transactions cannot both bill it from the same picture of what was billed.",
    )

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
                    _(
                        "Contract %(name)s: the end %(end)s is before the start %(start)s.",
                        name=contract.display_name,
                        end=contract.date_end,
                        start=contract.date_start,
                    )
                )

    @api.constrains("billing_model", "tier_id", "currency_id")
    def _check_tier(self):
        for contract in self:
            if contract.billing_model == "contract" and not contract.tier_id:
                raise ValidationError(
                    _(
                        "Contract %(name)s is billed by contract tier but has no tier.",
                        name=contract.display_name,
                    )
                )
            if contract.tier_id and contract.tier_id.currency_id != contract.currency_id:
                raise ValidationError(
                    _(
                        "Contract %(name)s is in %(cur)s but its tier %(tier)s prices in %(tcur)s.",
                        name=contract.display_name,
                        cur=contract.currency_id.name,
                        tier=contract.tier_id.name,
                        tcur=contract.tier_id.currency_id.name,
                    )
                )

    def _scopes(self):
        """The scopes this contract bills (agents, usage, or both)."""
        self.ensure_one()
        return [
            scope
            for scope, billing_models in SCOPES.items()
            if self.billing_model in billing_models
        ]

    @api.constrains("state", "partner_id", "company_id", "billing_model", "date_start", "date_end")
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
                    "|",
                    ("date_end", "=", False),
                    ("date_end", ">=", contract.date_start),
                ]
                if contract.date_end:
                    domain.append(("date_start", "<=", contract.date_end))
                # sudo: the rule holds whoever may read the other contract (same company and
                # client, which the user writing this one works with); only its reference is
                # named
                other = self.sudo().search(domain, limit=1, order="date_start, id")
                if other:
                    raise ValidationError(
                        _(
                            "Contracts %(contract)s and %(other)s of %(client)s would both bill its "
                            "%(scope)s from %(start)s: a client's %(scope)s are billed by one live "
                            "contract at a time. End %(other)s the day before, or change the dates "
                            "or the billing model of %(contract)s.",
                            contract=contract.display_name,
                            other=other.display_name,
                            client=contract.partner_id.display_name,
                            scope=_("agents") if scope == "agents" else _("usage"),
                            start=max(contract.date_start, other.date_start),
                        )
                    )

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
            _logger.warning(
                "btree_gist is not available (%s): overlapping contracts are "
                "refused by the ORM check only",
                exc,
            )
            return
        for scope, billing_models in SCOPES.items():
            name = f"agent_billing_contract_{scope}_scope"
            cr.execute(SQL("SELECT 1 FROM pg_constraint WHERE conname = %s", name))
            if cr.fetchone():
                continue
            # a contract ending before it starts is refused by _check_dates, never here
            predicate = SQL(
                "state IN %s AND billing_model IN %s AND (date_end IS NULL OR date_end >= "
                "date_start)",
                LIVE_STATES,
                billing_models,
            )
            cr.execute(
                SQL(
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
                    LIMIT 1""",
                    states=LIVE_STATES,
                    models=billing_models,
                )
            )
            clash = cr.fetchone()
            if clash:
                _logger.warning(
                    "Contracts %s and %s overlap for the same client and %s: end one of them; "
                    "until then the database cannot enforce one live contract per scope.",
                    clash[0],
                    clash[1],
                    scope,
                )
                continue
            cr.execute(
                SQL(
                    """ALTER TABLE agent_billing_contract ADD CONSTRAINT %s
                   EXCLUDE USING gist (company_id WITH =, partner_id WITH =,
                                       daterange(date_start, date_end, '[]') WITH &&)
                   WHERE (%s) DEFERRABLE INITIALLY DEFERRED""",
                    SQL.identifier(name),
                    predicate,
                )
            )
        return super().init()

    # --- Actions ---
    def action_activate(self):
        for contract in self:
            if contract.state != "draft":
                raise UserError(
                    _(
                        "Contract %(name)s is not a draft; only drafts can be activated.",
                        name=contract.display_name,
                    )
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
        return self._select(
            "agent.billing.deployment",
            Deployment._billable_domain(period_start, period_end)
            + [
                ("partner_id", "=", self.partner_id.id),
                ("company_id", "=", self.company_id.id),
                "|",
                ("contract_id", "=", self.id),
                ("contract_id", "=", False),
            ],
            candidates,
        )

    def _rating_usages(self, period_start, period_end, unbilled_only=False, candidates=None):
        """Usage of the period; with ``unbilled_only``, also earlier usage of this contract that
        no invoice billed yet (e.g. reported late, or released from a cancelled draft)."""
        self.ensure_one()
        domain = [
            ("partner_id", "=", self.partner_id.id),
            ("company_id", "=", self.company_id.id),
            ("date", "<=", period_end),
        ]
        if unbilled_only:
            domain += [
                ("date", ">=", min(self.date_start, period_start)),
                ("invoice_line_id", "=", False),
            ]
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
        return self._select(
            "agent.billing.price.override",
            [
                ("partner_id", "=", self.partner_id.id),
                ("company_id", "=", self.company_id.id),
                ("date_from", "<=", period_end),
                "|",
                ("date_to", "=", False),
                ("date_to", ">=", period_start),
            ],
            candidates,
        )

    def _rate_period(
        self,
        period_start,
        period_end,
        deployments=None,
        usages=None,
        overrides=None,
        prepaid_blocks=None,
    ):
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
            first_day,
        )

        agent_rates = {}
        dep_inputs = []
        for dep in deployments:
            product = dep.product_id
            # pieces of the deployment: inside each override's validity, and outside all of them
            pieces = self._override_pieces(dep, agent_overrides[product])
            tier_rate = tier_agent.get(product)
            rate_changes = changes.get((tier_rate, "monthly_rate"), []) if tier_rate else []
            if rate_changes:
                pieces = self._cut_at_price_changes(
                    pieces, tier_rate, rate_changes, period_start, period_end
                )
            for start, end, ov, *version in pieces:
                # a piece at an earlier tier price is keyed by that price
                key = (product, ov if not version else ("tier", version[0]))
                if key not in agent_rates:
                    tier_price = (
                        version[0]
                        if version
                        else (to_decimal(tier_rate.monthly_rate) if tier_rate else None)
                    )
                    agent_rates[key] = AgentRate(
                        catalog=self._to_currency(
                            product.agent_monthly_rate, product.currency_id, period_end
                        ),
                        tier=tier_price,
                        override=self._override_price(
                            ov, "monthly_rate", max(period_start, ov.date_from)
                        )
                        if ov and not version
                        else None,
                    )
                dep_inputs.append(
                    DeploymentInput(
                        ref=dep, agent_type=key, agents=dep.agent_count, start=start, end=end
                    )
                )

        metric_prices = {}
        usage_inputs = []
        for usage in usages:
            metric = usage.metric_id
            ov = next(
                (
                    o
                    for o in metric_overrides[metric]
                    if o.date_from <= usage.date and (not o.date_to or o.date_to >= usage.date)
                ),
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
                for change in changes.get((record, field_name), ())
            )
            key = (metric, ov) if not historic else (metric, (ov, priced_on))
            if key not in metric_prices:
                metric_prices[key] = MetricPrice(
                    catalog=UsagePrice(
                        unit_price=self._to_currency(
                            metric.unit_price, metric.currency_id, period_end, digits=6
                        )
                    ),
                    tier=tier_rate._to_usage_price(price_on=self._price_on(changes, priced_on))
                    if tier_rate
                    else None,
                    override=self._override_price(
                        ov, "unit_price", max(period_start, ov.date_from), digits=6
                    )
                    if ov
                    else None,
                )
            usage_inputs.append(
                UsageInput(
                    ref=usage,
                    metric=key,
                    quantity=to_decimal(usage.quantity),
                    agent_type=usage.product_id,
                    day=usage.date,
                    prepaid_metric=metric,
                )
            )
        prepaid = []
        if usage_inputs:
            if prepaid_blocks is None:
                days = [u.date for u in usages]
                prepaid_blocks = self.env["agent.billing.prepaid.block"]._rating_balances(
                    self.partner_id, self.company_id, min(days), max(days)
                )
            prepaid = [
                PrepaidBalance(
                    ref=block,
                    metric=block.metric_id,
                    balance=to_decimal(block._claimable()),
                    start=block.date_start,
                    end=block.date_expiry or None,
                )
                for block in prepaid_blocks.filtered(
                    lambda b, p=self.partner_id: b.partner_id == p and b._claimable() > 0
                )
            ]

        terms = ClientTerms(
            billing_model=self.billing_model,
            agent_rates=agent_rates,
            metric_prices=metric_prices,
            minimum_commitment=self._price_on(changes, period_start)(tier, "minimum_commitment")
            if tier
            else to_decimal(0),
            discount_percent=to_decimal(tier.discount_percent) if tier else to_decimal(0),
            contract_start=self.date_start,
            contract_end=self.date_end or None,
            rounding=to_decimal(currency.rounding),
            price_digits=self.env["decimal.precision"].precision_get("Product Price"),
            quantity_digits=self.env["decimal.precision"].precision_get("Product Unit of Measure"),
        )
        return rate_client(
            terms, dep_inputs, usage_inputs, period_start, period_end, prepaid=prepaid
        )

    # --- Billing ledger: agent days ----------------------------------------------------------
    def _agent_ledger_details(self, until, window=None, candidates=None):
        """Detail values of the agent lines that bring what live invoices of this contract
        cover to what its true history owes, for every deployment-day up to ``until``.

        Missed or late days (a contract or agents added after a run, the first partial
        period in advance) are charged; days no longer due (an early end, agents removed or
        changed, a back-dated price) are credited, each credit saying why. ``window`` (a
        DaySet) limits the days charged now (a manual invoice for part of a period). Returns
        (values, amounts): the detail values and their exact amounts. ``candidates``
        ({"deployments", "overrides", "billed"}: recordsets a run batch prefetched for all its
        contracts) are filtered in memory instead of searched.
        """
        candidates = candidates or {}
        self.ensure_one()
        if self.billing_model not in ("per_agent", "contract"):
            return [], []
        first = max(self.date_start, self.agent_ledger_start or self.date_start)
        until = min(until, self.date_end) if self.date_end else until
        dues = []
        if until >= first:
            dues = self._agent_dues(first, until, candidates)
        billed = self._agent_billed(candidates.get("billed"))
        ledger_start = self.agent_ledger_start

        def keys(key):
            return key[2] <= until and (not ledger_start or key[2] >= ledger_start)

        charges = reconcile(
            dues,
            billed,
            keys=keys,
            window=((lambda key, units: units & window) if window is not None else None),
        )
        # the client reads these lines: in its language, with its date and number formats
        return self.with_context(lang=self.partner_id.lang or self.env.lang)._agent_charge_details(
            charges, dues
        )

    def _agent_dues(self, first, until, candidates=None):
        """Due items of this contract's deployments for the days [first, until]."""
        tier = self.tier_id
        precision = self.env["decimal.precision"]
        presentation = {
            "price_digits": precision.precision_get("Product Price"),
            "quantity_digits": precision.precision_get("Product Unit of Measure"),
            "rounding": to_decimal(self.currency_id.rounding),
        }
        discount = (
            to_decimal(tier.discount_percent)
            if (tier and self.billing_model == "contract")
            else to_decimal(0)
        )
        spans = self._agent_spans(first, until, candidates or {})

        def price(monthly_rate, agents):
            return presented_agent_price(monthly_rate, agents, discount, **presentation)

        dues = agent_dues(
            spans,
            self.billing_cycle,
            until,
            contract_start=self.date_start,
            contract_end=self.date_end or None,
            price=price,
        )
        for due in dues:
            due.data.update(discount=discount, presentation=presentation)
        return dues

    def _agent_spans(self, first, until, candidates):
        """The deployments' days in [first, until], cut where the price changes (client
        override, date-effective tier price) and at billing periods, each at its price."""
        deployments = self._rating_deployments(
            first, until, candidates=candidates.get("deployments")
        ).sorted(lambda dep: (dep.date_start, dep.id))
        overrides = defaultdict(list)
        for ov in self._rating_overrides(first, until, candidates=candidates.get("overrides")):
            if ov.product_id:
                overrides[ov.product_id].append(ov)
        tier_agent = {r.product_id: r for r in self.tier_id.agent_rate_ids}
        changes = self._price_changes([self.tier_id.agent_rate_ids], first)
        spans = []
        for dep in deployments:
            product = dep.product_id
            tier_rate = tier_agent.get(product)
            pieces = self._override_pieces(dep, overrides[product])
            rate_changes = changes.get((tier_rate, "monthly_rate"), []) if tier_rate else []
            if rate_changes:
                pieces = self._cut_at_price_changes(pieces, tier_rate, rate_changes, first, until)
            for start, end, ov, *version in pieces:
                low = max(start, first)
                high = min(end, until) if end else until
                for period_start, period_end in (
                    periods(low, high, self.billing_cycle) if low <= high else ()
                ):
                    piece_start, piece_end = max(low, period_start), min(high, period_end)
                    tier_price = (
                        version[0]
                        if version
                        else (to_decimal(tier_rate.monthly_rate) if tier_rate else None)
                    )
                    price, source = resolve_price(
                        self._to_currency(
                            product.agent_monthly_rate, product.currency_id, period_end
                        ),
                        tier_price,
                        self._override_price(ov, "monthly_rate", max(period_start, ov.date_from))
                        if ov and not version
                        else None,
                    )
                    spans.append(
                        AgentSpan(
                            dep,
                            piece_start,
                            piece_end,
                            dep.agent_count,
                            price,
                            data={"source": source, "product": product},
                        )
                    )
        return spans

    @api.model
    def _override_pieces(self, dep, overrides):
        """[(start, end, override or None)] of a deployment: inside each override's validity,
        and outside all of them."""
        dep_end = dep.date_end or None
        pieces = []
        cursor_start = dep.date_start
        for ov in sorted(overrides, key=lambda o: o.date_from):
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
        return pieces

    def _agent_billed(self, candidates=None):
        """What live invoices of this contract hold for agent days, as core Billed items
        (lines billed before the ledger existed carry no service days: not counted)."""
        lines = self._select(
            "account.move.line",
            self._agent_billed_lines_domain() + self._agent_billed_live_domain(),
            candidates,
        ).sorted("id")
        return [
            Billed(
                self._agent_line_key(line),
                DaySet.span(line.agent_service_start, line.agent_service_end),
                to_decimal(line.price_subtotal)
                * (-1 if line.move_id.move_type == "out_refund" else 1),
                credit=line.agent_is_credit,
                ref=line,
            )
            for line in lines
        ]

    @api.model
    def _agent_billed_live_domain(self):
        """Agent lines that cover days: on live customer invoices and credit notes."""
        return [
            ("agent_kind", "=", "agents"),
            ("agent_service_start", "!=", False),
            ("move_id.move_type", "in", ("out_invoice", "out_refund")),
            ("move_id.state", "!=", "cancel"),
            ("move_id.agent_period_released", "=", False),
        ]

    @api.model
    def _agent_billed_candidates(self, contracts):
        """The billed agent lines of all these contracts, in one search (a run batch)."""
        if not contracts:
            return self.env["account.move.line"]
        return self.env["account.move.line"].search(
            expression.OR([contract._agent_billed_lines_domain() for contract in contracts])
            + self._agent_billed_live_domain()
        )

    def _agent_billed_lines_domain(self):
        """Invoice lines that bill this contract (a hook: consolidated invoices put an
        entity's lines on its organisation's invoice)."""
        self.ensure_one()
        return [("move_id.agent_contract_id", "=", self.id)]

    @api.model
    def _agent_line_key(self, line):
        return (
            "agents",
            line.agent_deployment_id,
            line.agent_service_period,
            line.agent_count,
            to_decimal(line.agent_rate),
            None,
        )

    def _agent_charge_details(self, charges, dues):
        """Detail values (and exact amounts) of the ledger's agent charges and credits."""
        by_dep_period = defaultdict(list)
        for due in dues:
            by_dep_period[due.key[1], due.key[2]].append(due)
        vals_list, amounts = [], []
        currency = self.currency_id
        for charge in charges:
            _kind, dep, period_start, agents, rate, _ref = charge.key
            period_end = period_bounds(period_start, self.billing_cycle)[1]
            due = charge.due
            product = (due.data["span"].data["product"] if due else dep.product_id).with_env(
                self.env
            )
            source = due.data["span"].data["source"] if due else False
            for (start, end), amount in zip(
                charge.units.ranges, self._split_charge(charge), strict=True
            ):
                days = DaySet.span(start, end)
                vals = {
                    "kind": "agents",
                    "product_id": product.id,
                    "deployment_id": dep.id,
                    "agent_count": agents,
                    "rate": float(rate),
                    "days": len(days),
                    "days_in_period": (period_end - period_start).days + 1,
                    "service_start": start,
                    "service_end": end,
                    "service_period": period_start,
                    "is_credit": charge.credit,
                    "price_source": source,
                }
                natural = (
                    not charge.credit and due and days == due.units and charge.amount == due.amount
                )
                if natural:
                    quantity, unit_price, discount, amount = present_agents(
                        rate, agents, days, due.data["discount"], **due.data["presentation"]
                    )
                else:
                    quantity, unit_price, discount = 1, amount, 0
                vals.update(
                    quantity=float(quantity),
                    price_unit=float(unit_price),
                    discount=float(discount),
                    amount=float(amount),
                )
                label = {
                    "type": product.name,
                    "agents": agents,
                    "start": format_date(self.env, start),
                    "end": format_date(self.env, end),
                    "days": len(days),
                    "total": vals["days_in_period"],
                    "rate": formatLang(self.env, float(rate), currency_obj=currency),
                }
                if charge.credit:
                    reason = self._agent_credit_reason(
                        charge, dep, period_start, start, by_dep_period
                    )
                    vals["credit_reason"] = reason
                    vals["name"] = _(
                        "%(type)s\nCredit: %(agents)s agent(s), %(start)s - %(end)s (%(days)s "
                        "days) at %(rate)s per agent per month, no longer due: %(reason)s",
                        reason=reason,
                        **label,
                    )
                else:
                    vals["name"] = _(
                        "%(type)s\n%(agents)s agent(s), %(start)s - %(end)s (%(days)s of "
                        "%(total)s days) at %(rate)s per agent per month",
                        **label,
                    )
                vals_list.append(vals)
                amounts.append(to_decimal(amount))
        return vals_list, amounts

    def _split_charge(self, charge):
        """The amount of each day range of a charge (one invoice line each), adding up to the
        charge exactly: a charge's share by its key's own price rule, a credit's by days."""
        ranges = charge.units.ranges
        if len(ranges) <= 1:
            return [charge.amount]
        rounding = to_decimal(self.currency_id.rounding)
        shares, done = [], DaySet()
        base = charge.due.units - charge.units if charge.due else DaySet()
        total_days = len(charge.units)
        for start, end in ranges[:-1]:
            days = DaySet.span(start, end)
            if charge.due and not charge.credit:
                share = charge.due.price(base | done | days) - charge.due.price(base | done)
            else:
                share = round_money(charge.amount * len(days) / total_days, rounding)
            shares.append(share)
            done |= days
        shares.append(charge.amount - sum(shares, to_decimal(0)))
        return shares

    def _agent_credit_reason(self, charge, dep, period_start, start, by_dep_period):
        """Why days billed before are no longer due, in words."""
        _kind, _dep, _period, agents, rate, _ref = charge.key
        if self.date_end and start > self.date_end:
            return _("the contract ended on %(date)s", date=format_date(self.env, self.date_end))
        if dep.date_end and start > dep.date_end:
            return _("the deployment ended on %(date)s", date=format_date(self.env, dep.date_end))
        if dep.date_start > start:
            return _(
                "the deployment starts on %(date)s", date=format_date(self.env, dep.date_start)
            )
        for due in by_dep_period.get((dep, period_start), []):
            if due.key[3] != agents:
                return _("the agent count is now %(n)s", n=due.key[3])
            if due.key[4] != rate:
                return _(
                    "the price is now %(rate)s per agent per month",
                    rate=formatLang(self.env, float(due.key[4]), currency_obj=self.currency_id),
                )
        if dep.state not in ("active", "ended"):
            return _(
                "the deployment is %(state)s",
                state=dict(dep._fields["state"]._description_selection(self.env))[dep.state],
            )
        return _("the deployment no longer bills these days on this contract")

    def _ledger_bump(self):
        """Claim this contract for the invoice being made, atomically: a transaction that
        bills it at the same moment, from the same picture of what was billed, fails with a
        serialization error instead of billing the same days or usage twice."""
        self.ensure_one()
        self.env.cr.execute(
            SQL(
                "UPDATE agent_billing_contract SET agent_ledger_version = "
                "COALESCE(agent_ledger_version, 0) + 1 WHERE id = %s",
                self.id,
            )
        )
        self.invalidate_recordset(["agent_ledger_version"])

    def _price_changes(self, recordsets, since):
        """{(record, field): [PriceChange]} of the bulk price changes applied to the records
        of ``recordsets`` that took effect after ``since`` (what rating an earlier day must
        undo)."""
        wanted = {(record._name, record.id): record for records in recordsets for record in records}
        if not wanted:
            return {}
        lines = (
            self.env["agent.billing.price.change.line"]
            .sudo()
            .search(
                [
                    ("change_id.state", "=", "applied"),
                    ("change_id.effective_date", ">", since),
                    ("res_model", "in", list({model for model, _id in wanted})),
                    ("res_id", "in", list({id_ for _model, id_ in wanted})),
                ]
            )
        )  # sudo: a price's history is part of reading the price, which the user may
        result = {}
        for line in lines:
            record = wanted.get((line.res_model, line.res_id))
            if record is not None:
                result.setdefault((record, line.field_name), []).append(
                    PriceChange(
                        line.change_id.effective_date,
                        to_decimal(line.old_value),
                        to_decimal(line.new_value),
                    )
                )
        return result

    @api.model
    def _price_on(self, changes, day):
        """``price_on(record, field)``: a price as it was on ``day``."""

        def price_on(record, field_name):
            return value_on(
                to_decimal(record[field_name]), changes.get((record, field_name), ()), day
            )

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
        return self._to_currency(override[field_name], override.currency_id, date, digits=digits)

    def _to_currency(self, amount, from_currency, date, digits=None):
        """A catalog price in the contract's currency, as an exact Decimal."""
        if from_currency and from_currency != self.currency_id:
            amount = from_currency._convert(
                amount, self.currency_id, self.company_id, date, round=False
            )
        value = to_decimal(amount)
        if digits is not None:
            return value.quantize(digits_to_rounding(digits))
        return value.quantize(to_decimal(self.currency_id.rounding))
