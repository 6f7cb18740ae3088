from datetime import timedelta

from odoo import _, api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import format_date
from odoo.tools.misc import format_amount


class AgentBillingContract(models.Model):
    """Contract lifecycle: draft -> pending approval -> active -> expired or renewed; amendments
    with effective dates; automatic renewal with a notice before the end."""

    _name = "agent.billing.contract"
    _inherit = ["agent.billing.contract", "agent.billing.approval.mixin"]

    state = fields.Selection(
        selection_add=[
            ("pending", "Pending Approval"),
            ("active",),
            ("expired", "Expired"),
            ("renewed", "Renewed"),
        ],
        ondelete={"pending": "set default", "expired": "set closed", "renewed": "set closed"},
    )
    user_id = fields.Many2one(
        "res.users",
        "Responsible",
        default=lambda self: self.env.user,
        tracking=True,
        help="Gets the renewal reminders.",
    )
    contract_value = fields.Monetary(
        "Annual Value",
        tracking=True,
        compute="_compute_contract_value",
        store=True,
        readonly=False,
        precompute=True,
        help="Committed value per year; what a contract approval rule looks at. Defaults to "
        "twelve months of the tier's minimum commitment.",
    )
    # --- Renewal ---
    auto_renew = fields.Boolean("Renew Automatically", tracking=True)
    renewal_notice_days = fields.Integer(
        "Renewal Notice (days)",
        default=30,
        tracking=True,
        help="The client is notified this many days before the end of a contract that renews "
        "automatically.",
    )
    renewal_months = fields.Integer("Renewal Term (months)", default=12, tracking=True)
    renewal_notice_sent = fields.Date(readonly=True, copy=False)
    renewed_from_id = fields.Many2one(
        "agent.billing.contract", "Renewal Of", readonly=True, copy=False, index="btree_not_null"
    )
    renewal_id = fields.Many2one("agent.billing.contract", "Renewed By", readonly=True, copy=False)
    # --- Amendments ---
    amendment_ids = fields.One2many("agent.billing.contract.amendment", "contract_id", "Amendments")
    amendment_count = fields.Integer(compute="_compute_amendment_count")

    @api.depends("tier_id")
    def _compute_contract_value(self):
        for contract in self:
            contract.contract_value = contract.contract_value or (
                contract.tier_id.minimum_commitment * 12
            )

    @api.depends("amendment_ids")
    def _compute_amendment_count(self):
        for contract in self:
            contract.amendment_count = len(contract.amendment_ids)

    @api.depends("tier_id", "company_id", "partner_id")
    def _compute_currency_id(self):
        for contract in self:
            contract.currency_id = (
                contract.tier_id.currency_id
                or contract.currency_id
                or contract.partner_id.agent_billing_currency_id
                or contract.company_id.currency_id
                or self.env.company.currency_id
            )

    @api.constrains("renewal_notice_days", "renewal_months", "auto_renew", "date_end")
    def _check_renewal(self):
        for contract in self:
            if contract.renewal_notice_days < 0:
                raise ValidationError(
                    _(
                        "Contract %(name)s: the renewal notice cannot be negative.",
                        name=contract.display_name,
                    )
                )
            if contract.auto_renew and contract.renewal_months < 1:
                raise ValidationError(
                    _(
                        "Contract %(name)s renews automatically: give a "
                        "renewal term of at least one month.",
                        name=contract.display_name,
                    )
                )
            if contract.auto_renew and not contract.date_end:
                raise ValidationError(
                    _(
                        "Contract %(name)s renews automatically but has no end "
                        "date: set the end of its term.",
                        name=contract.display_name,
                    )
                )

    # --- Approval of the activation ------------------------------------------------------------
    def _agent_value_company(self):
        self.ensure_one()
        company_currency = self.company_id.currency_id
        if self.currency_id == company_currency:
            return self.contract_value
        return self.currency_id._convert(
            self.contract_value, company_currency, self.company_id, fields.Date.context_today(self)
        )

    def action_activate(self):
        """A draft needing approval (a contract rule applies to its value) waits for it."""
        pending = self.browse()
        for contract in self.filtered(lambda c: c.state == "draft"):
            value = contract._agent_value_company()
            request = contract._agent_request_approval(
                "contract",
                value,
                _(
                    "Activate %(contract)s for %(client)s, %(value)s a year",
                    contract=contract.name,
                    client=contract.partner_id.name,
                    value=format_amount(self.env, value, contract.company_id.currency_id),
                ),
            )
            if request:
                pending |= contract
        if pending:
            pending.write({"state": "pending"})
        rest = self - pending
        return super(AgentBillingContract, rest).action_activate() if rest else True

    def _agent_approval_decided(self, request):
        if request.request_type != "contract" or self.state != "pending":
            return
        if request.state == "approved":
            self.write({"state": "active"})
            self.message_post(
                body=_("Approved by %(request)s: the contract is active.", request=request.name)
            )
        else:
            self.write({"state": "draft"})

    def action_draft(self):
        pending = self.filtered(lambda c: c.state == "pending")
        pending.agent_approval_request_ids.filtered(lambda r: r.state == "pending")._withdraw()
        return super().action_draft()

    # --- Billing ledger ------------------------------------------------------------------------
    def _agent_billed_lines_domain(self):
        """An entity's lines may sit on its organisation's consolidated invoice."""
        self.ensure_one()
        return [
            "|",
            "&",
            ("move_id.agent_contract_id", "=", self.id),
            ("agent_entity_contract_id", "in", [False, self.id]),
            ("agent_entity_contract_id", "=", self.id),
        ]

    # --- Rating --------------------------------------------------------------------------------
    def _agent_predecessors(self):
        self.ensure_one()
        contracts = self.browse()
        previous = self.renewed_from_id
        while previous and previous not in contracts:
            contracts |= previous
            previous = previous.renewed_from_id
        return contracts

    def _rating_deployments(self, period_start, period_end, candidates=None):
        """A renewed contract also bills the deployments assigned to the contract it renews,
        for its own days."""
        predecessors = self._agent_predecessors()
        if not predecessors:
            return super()._rating_deployments(period_start, period_end, candidates=candidates)
        Deployment = self.env["agent.billing.deployment"]
        return self._select(
            "agent.billing.deployment",
            Deployment._billable_domain(period_start, period_end)
            + [
                ("partner_id", "=", self.partner_id.id),
                ("company_id", "=", self.company_id.id),
                ("contract_id", "in", [*(self | predecessors).ids, False]),
            ],
            candidates,
        )

    def _rating_overrides(self, period_start, period_end, candidates=None):
        """Overrides still waiting for approval (or refused) do not price anything."""
        overrides = super()._rating_overrides(period_start, period_end, candidates=candidates)
        return overrides.filtered(lambda o: o.agent_approval_state not in ("pending", "refused"))

    # --- Renewal -------------------------------------------------------------------------------
    @api.model
    def _cron_lifecycle(self, today=None):
        """Daily: amendments that take effect, renewal notices, then contracts that ended
        (renewed or expired). Running it twice a day changes nothing more."""
        today = today or fields.Date.context_today(self)
        self.env["agent.billing.contract.amendment"]._apply_due(today)
        notice = self.search(
            [
                ("state", "=", "active"),
                ("auto_renew", "=", True),
                ("date_end", ">=", today),
                ("renewal_notice_sent", "=", False),
            ]
        )
        for contract in notice:
            if contract.date_end - timedelta(days=contract.renewal_notice_days) <= today:
                contract._send_renewal_notice(today)
        ended = self.search([("state", "=", "active"), ("date_end", "<", today)])
        for contract in ended:
            if contract.auto_renew:
                contract._renew()
            else:
                contract.write({"state": "expired"})
                contract.message_post(
                    body=_(
                        "Expired on %(date)s (no automatic renewal).",
                        date=format_date(self.env, contract.date_end),
                    )
                )
        return notice, ended

    def _renewal_dates(self):
        self.ensure_one()
        start = self.date_end + timedelta(days=1)
        return start, fields.Date.add(start, months=self.renewal_months) - timedelta(days=1)

    def _send_renewal_notice(self, today):
        self.ensure_one()
        start, end = self._renewal_dates()
        body = _(
            "Contract %(name)s ends on %(end)s and renews automatically for %(months)s "
            "month(s), from %(start)s to %(new_end)s. Let us know before %(end)s if you do "
            "not wish to renew.",
            name=self.name,
            end=format_date(self.env, self.date_end),
            months=self.renewal_months,
            start=format_date(self.env, start),
            new_end=format_date(self.env, end),
        )
        recipient = self.partner_invoice_id or self.partner_id
        self.message_post(
            body=body,
            partner_ids=recipient.ids,
            message_type="comment",
            subtype_xmlid="mail.mt_comment",
        )
        if self.user_id:
            self.activity_schedule(
                "mail.mail_activity_data_todo",
                date_deadline=self.date_end,
                user_id=self.user_id.id,
                summary=_(
                    "Renewal of %(name)s on %(date)s",
                    name=self.name,
                    date=format_date(self.env, start),
                ),
                note=body,
            )
        self.renewal_notice_sent = today

    def _renew(self):
        self.ensure_one()
        if self.renewal_id:
            return self.renewal_id
        start, end = self._renewal_dates()
        successor = self.copy(
            {
                "date_start": start,
                "date_end": end,
                "renewed_from_id": self.id,
                "state": "active",
                "partner_invoice_id": self.partner_invoice_id.id,
                "payment_term_id": self.payment_term_id.id,
                "currency_id": self.currency_id.id,
                "contract_value": self.contract_value,
            }
        )
        self.write({"state": "renewed", "renewal_id": successor.id})
        self.message_post(
            body=_(
                "Renewed by %(contract)s, %(start)s - %(end)s.",
                contract=successor._get_html_link(),
                start=format_date(self.env, start),
                end=format_date(self.env, end),
            )
        )
        successor.message_post(body=_("Renewal of %(contract)s.", contract=self._get_html_link()))
        return successor

    def action_view_amendments(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "agent_billing_enterprise.action_agent_billing_contract_amendment"
        )
        action["domain"] = [("contract_id", "=", self.id)]
        action["context"] = {"default_contract_id": self.id}
        return action
