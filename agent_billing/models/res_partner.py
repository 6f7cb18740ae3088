import logging

from odoo import _, api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import SQL

from odoo.addons.base.models.res_partner import _tz_get

from ..rating import PricingError
from .agent_billing_contract import BILLING_MODELS

_logger = logging.getLogger(__name__)


class ResPartner(models.Model):
    _inherit = "res.partner"

    # --- Usage ingestion: identity and billing day (held by the commercial partner) ---
    agent_billing_ref = fields.Char(
        "Billing Reference",
        copy=False,
        help="How the agent platforms name this client when they report usage (API and import "
        "file). Unique among the clients a company sees; set it on the company, not on its "
        "contacts. Only clients with an active contract can report usage.",
    )
    agent_billing_tz = fields.Selection(
        _tz_get,
        "Billing Time Zone",
        help="Usage is billed on the calendar day of its timestamp in this time zone (an event "
        "at 23:30 on the 31st is billed on the 31st). Empty: the company's billing time zone. "
        "A change applies to usage recorded afterwards; recorded usage keeps its day.",
    )

    # --- Agent billing (held by the commercial partner) ---
    agent_contract_ids = fields.One2many("agent.billing.contract", "partner_id", "Agent Contracts")
    agent_deployment_ids = fields.One2many(
        "agent.billing.deployment", "partner_id", "Agent Deployments"
    )
    agent_override_ids = fields.One2many(
        "agent.billing.price.override", "partner_id", "Price Overrides"
    )
    agent_prepaid_block_ids = fields.One2many(
        "agent.billing.prepaid.block",
        "partner_id",
        "Prepaid Blocks",
        domain=[("state", "=", "active")],
    )
    agent_prepaid_remaining = fields.Float(
        "Prepaid Balance",
        digits="Agent Billing Quantity",
        compute="_compute_agent_prepaid",
        help="Units left on the client's active prepaid blocks (all metrics).",
    )
    agent_contract_id = fields.Many2one(
        "agent.billing.contract",
        "Current Contract",
        compute="_compute_agent_billing",
        help="The client's active contract today (the most recent one if several).",
    )
    agent_billing_model = fields.Selection(
        BILLING_MODELS, string="Billing Model", compute="_compute_agent_billing"
    )
    agent_tier_id = fields.Many2one(
        "agent.billing.tier", string="Contract Tier", compute="_compute_agent_billing"
    )
    agent_invoice_contact_id = fields.Many2one(
        "res.partner", string="Invoice Contact", compute="_compute_agent_billing"
    )
    agent_active_deployment_ids = fields.Many2many(
        "agent.billing.deployment", compute="_compute_agent_billing", string="Active Deployments"
    )
    agent_active_agent_count = fields.Integer("Active Agents", compute="_compute_agent_billing")
    agent_usage_month_count = fields.Integer(
        "Usage Events This Month", compute="_compute_agent_usage_month"
    )
    agent_usage_month_quantity = fields.Float(
        "Usage Quantity This Month",
        digits="Agent Billing Quantity",
        compute="_compute_agent_usage_month",
    )
    agent_month_estimate = fields.Monetary(
        "Charges So Far This Month",
        compute="_compute_agent_month_estimate",
        currency_field="agent_estimate_currency_id",
        help="What the current contract would bill for this month up to today.",
    )
    agent_estimate_currency_id = fields.Many2one(
        "res.currency", compute="_compute_agent_month_estimate"
    )

    agent_outstanding = fields.Monetary(
        "Outstanding",
        compute="_compute_agent_receivables",
        currency_field="agent_receivable_currency_id",
        help="Unpaid amount of the client's posted customer invoices (company currency).",
    )
    agent_overdue = fields.Monetary(
        "Overdue",
        compute="_compute_agent_receivables",
        currency_field="agent_receivable_currency_id",
        help="Part of the outstanding amount that is past its due date.",
    )
    agent_receivable_currency_id = fields.Many2one(
        "res.currency", compute="_compute_agent_receivables"
    )

    def init(self):
        res = super().init()
        # a billing reference names one client per company even under concurrent writes; a
        # partner shared by all companies (no company) has its own key 0 here, and the check
        # below keeps it apart from every company's references
        self.env.cr.execute(
            SQL(
                """CREATE UNIQUE INDEX IF NOT EXISTS res_partner_agent_billing_ref_company_uniq
               ON res_partner (COALESCE(company_id, 0), agent_billing_ref)
               WHERE agent_billing_ref IS NOT NULL"""
            )
        )
        return res

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            self._agent_normalize_billing_ref(vals)
        self._agent_check_billing_refs(
            [
                (None, vals.get("name") or "", vals["agent_billing_ref"], vals.get("company_id"))
                for vals in vals_list
                if vals.get("agent_billing_ref")
            ]
        )
        return super().create(vals_list)

    def write(self, vals):
        vals = self._agent_normalize_billing_ref(vals)
        if "agent_billing_ref" in vals or "company_id" in vals:
            self._agent_check_billing_refs(
                [
                    (
                        partner,
                        partner.display_name,
                        vals["agent_billing_ref"]
                        if "agent_billing_ref" in vals
                        else partner.agent_billing_ref,
                        vals["company_id"] if "company_id" in vals else partner.company_id.id,
                    )
                    for partner in self
                ],
                exclude=self.ids,
            )
        return super().write(vals)

    @api.model
    def _agent_normalize_billing_ref(self, vals):
        """Billing references are compared exactly, without surrounding blanks; blank is none."""
        if "agent_billing_ref" in vals:
            ref = vals["agent_billing_ref"]
            vals["agent_billing_ref"] = (ref.strip() or False) if isinstance(ref, str) else ref
        return vals

    @api.model
    def _agent_check_billing_refs(self, items, exclude=()):
        """Refuse, by name, billing references that a company would see twice.

        ``items``: (partner or None, name, reference, company id) as they are about to be
        stored; ``exclude``: ids whose stored values they replace. Checked against every
        partner, archived or of another company (two partners clash if they have one company or
        one of them has none), before the database's unique index would refuse it anonymously.
        The other client is named only to whom may read it.
        """
        items = [item for item in items if item[2]]
        if not items:
            return
        self.flush_model(["agent_billing_ref", "company_id"])
        self.env.cr.execute(
            SQL(
                "SELECT id, agent_billing_ref, company_id FROM res_partner "
                "WHERE agent_billing_ref IN %s AND id NOT IN %s",
                tuple({ref for _p, _n, ref, _c in items}),
                tuple(exclude) or (0,),
            )
        )
        taken = [
            (self.browse(id_), None, ref, company_id)
            for id_, ref, company_id in self.env.cr.fetchall()
        ]
        for position, (_partner, name, ref, company_id) in enumerate(items):
            for other, other_name, other_ref, other_company_id in taken + items[:position]:
                if other_ref != ref or (
                    company_id and other_company_id and company_id != other_company_id
                ):
                    continue
                if other_name is None:
                    readable = other._filtered_access("read")
                    other_name = (
                        readable.display_name if readable else _("a client of another company")
                    )
                raise ValidationError(
                    _(
                        "The billing reference %(ref)s of %(client)s is already used by %(other)s. "
                        "A billing reference names one client: choose another one.",
                        ref=ref,
                        client=name,
                        other=other_name,
                    )
                )

    @api.constrains("agent_billing_ref", "parent_id", "is_company")
    def _check_agent_billing_ref(self):
        for partner in self.filtered("agent_billing_ref"):
            if partner.commercial_partner_id != partner:
                raise ValidationError(
                    _(
                        "%(contact)s is a contact of %(client)s: set the billing reference "
                        "%(ref)s on %(client)s instead.",
                        contact=partner.display_name,
                        client=partner.commercial_partner_id.display_name,
                        ref=partner.agent_billing_ref,
                    )
                )

    def _agent_billing_tz(self, company):
        """Time zone of this client's billing day in ``company``: its own, else the company's."""
        self.ensure_one()
        return self.commercial_partner_id.agent_billing_tz or company._agent_billing_tz()

    @api.model
    def _agent_billing_ref_from_legacy(self):
        """Give clients without a billing reference their partner reference (``ref``) where no
        other client the same company sees has that ``ref`` or billing reference; the others are
        logged and left empty. For the upgrade of a database whose integrations sent ``ref``:
        they keep working for the unambiguous clients, and a person decides on the rest.
        Returns the partners that got a reference."""
        clients = (
            self.sudo()
            .with_context(active_test=False)
            .search(["|", ("ref", "!=", False), ("agent_billing_ref", "!=", False)])
            .filtered(lambda p: p.commercial_partner_id == p)
        )
        by_ref = {}  # reference -> clients that have it as ref or billing reference
        for client in clients:
            for ref in {(client.ref or "").strip(), client.agent_billing_ref or ""} - {""}:
                by_ref.setdefault(ref, []).append(client)
        done = self.browse()
        for client in clients.filtered(lambda p: not p.agent_billing_ref):
            ref = (client.ref or "").strip()
            if not ref:
                continue
            rivals = [
                other
                for other in by_ref[ref]
                if other != client
                and (
                    not other.company_id
                    or not client.company_id
                    or other.company_id == client.company_id
                )
            ]
            if rivals:
                _logger.warning(
                    "Billing reference: %s (id %s) gets none, its reference %r is also that of %s",
                    client.display_name,
                    client.id,
                    ref,
                    ", ".join(f"{r.display_name} (id {r.id})" for r in rivals),
                )
                continue
            done |= client
        for client in done:
            client.agent_billing_ref = (client.ref or "").strip()
        return done

    @api.depends_context("company")
    def _compute_agent_receivables(self):
        today = fields.Date.context_today(self)
        domain = [
            ("partner_id.commercial_partner_id", "in", self.commercial_partner_id.ids),
            ("move_type", "=", "out_invoice"),
            ("state", "=", "posted"),
            ("payment_state", "not in", ("paid", "in_payment", "reversed")),
            ("company_id", "in", self.env.companies.ids),
        ]
        Move = self.env["account.move"]
        outstanding = dict(
            Move._read_group(domain, ["commercial_partner_id"], ["amount_residual_signed:sum"])
        )
        overdue = dict(
            Move._read_group(
                domain + [("invoice_date_due", "<", today)],
                ["commercial_partner_id"],
                ["amount_residual_signed:sum"],
            )
        )
        for partner in self:
            cp = partner.commercial_partner_id
            partner.agent_receivable_currency_id = self.env.company.currency_id
            partner.agent_outstanding = outstanding.get(cp, 0.0)
            partner.agent_overdue = overdue.get(cp, 0.0)

    def _agent_month_bounds(self):
        today = fields.Date.context_today(self)
        return today.replace(day=1), today

    @api.depends_context("company", "tz")
    @api.depends("agent_contract_ids.state", "agent_deployment_ids.state")
    def _compute_agent_billing(self):
        today = fields.Date.context_today(self)
        Contract = self.env["agent.billing.contract"]
        Deployment = self.env["agent.billing.deployment"]
        commercial = self.commercial_partner_id
        contracts = Contract.search(
            [
                ("partner_id", "in", commercial.ids),
                ("state", "=", "active"),
                ("date_start", "<=", today),
                "|",
                ("date_end", "=", False),
                ("date_end", ">=", today),
            ],
            order="date_start desc, id desc",
        )
        deployments = Deployment.search(
            Deployment._billable_domain(today, today) + [("partner_id", "in", commercial.ids)]
        )
        for partner in self:
            cp = partner.commercial_partner_id
            contract = contracts.filtered(lambda c, cp=cp: c.partner_id == cp)[:1]
            partner.agent_contract_id = contract
            partner.agent_billing_model = contract.billing_model
            partner.agent_tier_id = contract.tier_id
            partner.agent_invoice_contact_id = contract.partner_invoice_id
            active = deployments.filtered(lambda d, cp=cp: d.partner_id == cp)
            partner.agent_active_deployment_ids = active
            partner.agent_active_agent_count = sum(active.mapped("agent_count"))

    @api.depends_context("company", "tz")
    def _compute_agent_usage_month(self):
        start, end = self._agent_month_bounds()
        groups = dict(
            (partner, (count, qty))
            for partner, count, qty in self.env["agent.billing.usage"]._read_group(
                [
                    ("partner_id", "in", self.commercial_partner_id.ids),
                    ("date", ">=", start),
                    ("date", "<=", end),
                ],
                ["partner_id"],
                ["__count", "quantity:sum"],
            )
        )
        for partner in self:
            count, qty = groups.get(partner.commercial_partner_id, (0, 0.0))
            partner.agent_usage_month_count = count
            partner.agent_usage_month_quantity = qty

    @api.depends_context("company", "tz")
    def _compute_agent_month_estimate(self):
        start, end = self._agent_month_bounds()
        for partner in self:
            contract = partner.agent_contract_id
            partner.agent_estimate_currency_id = (
                contract.currency_id or self.env.company.currency_id
            )
            if not contract:
                partner.agent_month_estimate = 0.0
                continue
            try:
                rating = contract._rate_period(max(start, contract.date_start), end)
            except PricingError:
                partner.agent_month_estimate = 0.0
                continue
            partner.agent_month_estimate = float(rating.total)

    def action_view_agent_usage(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "agent_billing.action_agent_billing_usage"
        )
        action["domain"] = [("partner_id", "=", self.commercial_partner_id.id)]
        action["context"] = {
            "default_partner_id": self.commercial_partner_id.id,
            "search_default_this_month": 1,
        }
        return action

    @api.depends("agent_prepaid_block_ids.units_remaining")
    def _compute_agent_prepaid(self):
        for partner in self:
            partner.agent_prepaid_remaining = sum(
                partner.agent_prepaid_block_ids.mapped("units_remaining")
            )

    def action_view_agent_prepaid(self):
        return self._agent_client_action(
            "agent_billing.action_agent_billing_prepaid_block",
            _("Prepaid blocks of %(client)s"),
            context={"search_default_active": 1},
        )

    def _agent_client_action(self, xmlid, title, context=None):
        """The window action ``xmlid`` on the records of this client (its commercial partner);
        ``title`` has a %(client)s placeholder."""
        self.ensure_one()
        partner = self.commercial_partner_id
        action = self.env["ir.actions.act_window"]._for_xml_id(xmlid)
        action["name"] = title % {"client": partner.display_name}
        action["domain"] = [("partner_id", "=", partner.id)]
        action["context"] = context or {}
        return action
