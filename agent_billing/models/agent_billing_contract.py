from collections import defaultdict

from odoo import _, api, fields, models
from odoo.exceptions import UserError, ValidationError

from ..rating import (
    AgentRate,
    ClientTerms,
    DeploymentInput,
    MetricPrice,
    PrepaidBalance,
    UsageInput,
    UsagePrice,
    digits_to_rounding,
    period_bounds,
    rate_client,
    to_decimal,
)

BILLING_MODELS = [
    ("per_agent", "Monthly per agent"),
    ("usage", "Usage-based"),
    ("contract", "Contract tier"),
]
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
            for start, end, ov in pieces:
                key = (product, ov)
                if key not in agent_rates:
                    tier_rate = tier_agent.get(product)
                    agent_rates[key] = AgentRate(
                        catalog=self._to_currency(product.agent_monthly_rate,
                                                  product.currency_id, period_end),
                        tier=to_decimal(tier_rate.monthly_rate) if tier_rate else None,
                        override=to_decimal(ov.monthly_rate) if ov else None,
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
            key = (metric, ov)
            if key not in metric_prices:
                tier_rate = tier_usage.get(metric)
                metric_prices[key] = MetricPrice(
                    catalog=UsagePrice(
                        unit_price=self._to_currency(metric.unit_price, metric.currency_id,
                                                     period_end, digits=6)
                    ),
                    tier=tier_rate._to_usage_price() if tier_rate else None,
                    override=to_decimal(ov.unit_price) if ov else None,
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
                               balance=to_decimal(block.units_remaining),
                               start=block.date_start, end=block.date_expiry or None)
                for block in prepaid_blocks.filtered(
                    lambda b, p=self.partner_id: b.partner_id == p and b.units_remaining > 0)
            ]

        terms = ClientTerms(
            billing_model=self.billing_model,
            agent_rates=agent_rates,
            metric_prices=metric_prices,
            minimum_commitment=to_decimal(tier.minimum_commitment) if tier else to_decimal(0),
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

    def _to_currency(self, amount, from_currency, date, digits=None):
        """A catalog price in the contract's currency, as an exact Decimal."""
        if from_currency and from_currency != self.currency_id:
            amount = from_currency._convert(amount, self.currency_id, self.company_id, date,
                                            round=False)
        value = to_decimal(amount)
        if digits is not None:
            return value.quantize(digits_to_rounding(digits))
        return value.quantize(to_decimal(self.currency_id.rounding))
