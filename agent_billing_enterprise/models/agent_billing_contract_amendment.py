from odoo import _, api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import format_date
from odoo.tools.misc import formatLang

AMENDMENT_KINDS = [
    ("rate", "Rate change"),
    ("end_date", "End date"),
    ("payment_terms", "Payment terms"),
    ("other", "Other"),
]
AMENDMENT_STATES = [
    ("draft", "Draft"),
    ("scheduled", "Scheduled"),
    ("applied", "Applied"),
    ("cancelled", "Cancelled"),
]


class AgentBillingContractAmendment(models.Model):
    """A change of an active contract with its effective date, kept as its history.

    A rate change is a client price override from the effective date (the current override, if
    any, ends the day before, as bulk price changes do), so rating prices each day at the rate in
    force that day. End date and payment terms changes take effect on their date (the daily
    scheduled action applies those dated later).
    """

    _name = "agent.billing.contract.amendment"
    _description = "Contract amendment"
    _inherit = ["mail.thread"]
    _order = "contract_id, effective_date desc, id desc"
    _check_company_auto = True

    name = fields.Char("Description", required=True, tracking=True)
    contract_id = fields.Many2one(
        "agent.billing.contract", required=True, ondelete="cascade", index=True, check_company=True
    )
    company_id = fields.Many2one(related="contract_id.company_id", store=True, index=True)
    partner_id = fields.Many2one(related="contract_id.partner_id", store=True)
    currency_id = fields.Many2one(related="contract_id.currency_id")
    kind = fields.Selection(AMENDMENT_KINDS, required=True, default="rate", tracking=True)
    effective_date = fields.Date(required=True, default=fields.Date.context_today, tracking=True)
    state = fields.Selection(
        AMENDMENT_STATES, default="draft", required=True, tracking=True, copy=False
    )
    # --- Rate change ---
    product_id = fields.Many2one(
        "product.product", "Agent Type", check_company=True, domain=[("is_agent_type", "=", True)]
    )
    metric_id = fields.Many2one("agent.billing.metric", check_company=True)
    new_rate = fields.Float(
        "New Price",
        digits="Agent Billing Unit Price",
        help="Monthly rate per agent (agent type) or price per unit (metric).",
    )
    override_id = fields.Many2one(
        "agent.billing.price.override", "Price Override", readonly=True, copy=False
    )
    # --- Other changes ---
    new_date_end = fields.Date("New End Date")
    new_payment_term_id = fields.Many2one(
        "account.payment.term", "New Payment Terms", check_company=True
    )
    # --- History ---
    old_value = fields.Char("Before", readonly=True, copy=False)
    new_value = fields.Char("After", readonly=True, copy=False)
    applied_on = fields.Datetime(readonly=True, copy=False)
    applied_by_id = fields.Many2one("res.users", readonly=True, copy=False)
    note = fields.Text()

    @api.constrains(
        "kind", "product_id", "metric_id", "new_rate", "new_date_end", "new_payment_term_id"
    )
    def _check_amendment(self):
        for amendment in self:
            if amendment.kind == "rate":
                if bool(amendment.product_id) == bool(amendment.metric_id):
                    raise ValidationError(
                        _(
                            "Amendment %(name)s changes a rate: name either an agent type or a "
                            "metric.",
                            name=amendment.name,
                        )
                    )
                if amendment.new_rate < 0:
                    raise ValidationError(
                        _("Amendment %(name)s: a price cannot be negative.", name=amendment.name)
                    )
            if amendment.kind == "end_date" and not amendment.new_date_end:
                raise ValidationError(
                    _(
                        "Amendment %(name)s changes the end date: give the new end date.",
                        name=amendment.name,
                    )
                )
            if amendment.kind == "payment_terms" and not amendment.new_payment_term_id:
                raise ValidationError(
                    _(
                        "Amendment %(name)s changes the payment terms: choose them.",
                        name=amendment.name,
                    )
                )

    # --- Actions ---------------------------------------------------------------------------
    def action_confirm(self):
        """Apply now what is effective (and every rate change, dated by its override); schedule
        the rest for its effective date."""
        today = fields.Date.context_today(self)
        for amendment in self:
            if amendment.state != "draft":
                raise UserError(_("Amendment %(name)s is not a draft.", name=amendment.name))
            if amendment.contract_id.state not in ("active", "pending", "draft"):
                raise UserError(
                    _(
                        "Contract %(contract)s is %(state)s: only draft, pending or active contracts "
                        "can be amended.",
                        contract=amendment.contract_id.name,
                        state=amendment.contract_id.state,
                    )
                )
            if amendment.kind == "rate" or amendment.effective_date <= today:
                amendment._apply()
            else:
                amendment.state = "scheduled"
        return True

    def action_cancel(self):
        if self.filtered(lambda a: a.state == "applied"):
            raise UserError(
                _(
                    "An applied amendment is history: amend the contract again "
                    "instead of cancelling it."
                )
            )
        self.write({"state": "cancelled"})

    @api.model
    def _apply_due(self, today):
        due = self.search([("state", "=", "scheduled"), ("effective_date", "<=", today)])
        for amendment in due:
            amendment._apply()
        return due

    def _apply(self):
        self.ensure_one()
        contract = self.contract_id
        if self.kind == "rate":
            old, new = self._apply_rate()
        elif self.kind == "end_date":
            if self.new_date_end < contract.date_start:
                raise UserError(
                    _(
                        "Amendment %(name)s: the new end %(end)s is before the start "
                        "of %(contract)s.",
                        name=self.name,
                        end=self.new_date_end,
                        contract=contract.name,
                    )
                )
            old = format_date(self.env, contract.date_end) if contract.date_end else _("open")
            contract.date_end = self.new_date_end
            new = format_date(self.env, self.new_date_end)
        elif self.kind == "payment_terms":
            old = contract.payment_term_id.display_name or "-"
            contract.payment_term_id = self.new_payment_term_id
            new = self.new_payment_term_id.display_name
        else:
            old = new = False
        self.write(
            {
                "state": "applied",
                "applied_on": fields.Datetime.now(),
                "applied_by_id": self.env.user.id,
                "old_value": old,
                "new_value": new,
            }
        )
        body = _(
            "Amendment %(name)s applied, effective %(date)s",
            name=self.name,
            date=format_date(self.env, self.effective_date),
        )
        if old or new:
            body = _("%(body)s: %(old)s → %(new)s", body=body, old=old, new=new)
        contract.message_post(body=body)

    def _apply_rate(self):
        """A client override at the new price from the effective date; an override in force
        that day ends the day before (through a logged price change)."""
        if not self.env.user.has_group("agent_billing.group_agent_billing_manager"):
            raise UserError(
                _(
                    "Rate changes are made by billing managers: ask one to apply "
                    "amendment %(name)s.",
                    name=self.name,
                )
            )
        contract = self.contract_id
        Override = self.env["agent.billing.price.override"]
        item = [("product_id", "=", self.product_id.id), ("metric_id", "=", self.metric_id.id)]
        base = [
            ("partner_id", "=", contract.partner_id.id),
            ("company_id", "=", contract.company_id.id),
            *item,
        ]
        later = Override.search(base + [("date_from", ">", self.effective_date)], limit=1)
        if later:
            raise UserError(
                _(
                    "Amendment %(name)s: a price override of %(client)s for this item starts later "
                    "(%(start)s). Amend from that date, or end that override first.",
                    name=self.name,
                    client=contract.partner_id.display_name,
                    start=format_date(self.env, later.date_from),
                )
            )
        field = "monthly_rate" if self.product_id else "unit_price"
        current = Override.search(
            base
            + [
                ("date_from", "<=", self.effective_date),
                "|",
                ("date_to", "=", False),
                ("date_to", ">=", self.effective_date),
            ],
            limit=1,
        )
        digits = 2 if self.product_id else 6
        if current:
            old_price = current[field]
            old = formatLang(self.env, old_price, digits=digits)
            if current.date_from == self.effective_date:
                current[field] = self.new_rate
                override = current
            else:
                change = self.env["agent.billing.price.change"].create(
                    {
                        "name": _(
                            "Contract amendment %(name)s (%(contract)s)",
                            name=self.name,
                            contract=contract.name,
                        ),
                        "effective_date": self.effective_date,
                        "mode": "fixed",
                        "value": self.new_rate - old_price,
                        "line_ids": [
                            fields.Command.create(
                                {
                                    "res_model": Override._name,
                                    "res_id": current.id,
                                    "field_name": field,
                                    "description": current.display_name,
                                    "old_value": old_price,
                                    "new_value": self.new_rate,
                                }
                            )
                        ],
                    }
                )
                change.action_apply()
                override = Override.browse(change.line_ids.result_res_id)
        else:
            old = _("catalog or tier price")
            override = Override.create(
                {
                    "partner_id": contract.partner_id.id,
                    "company_id": contract.company_id.id,
                    "currency_id": contract.currency_id.id,
                    "product_id": self.product_id.id,
                    "metric_id": self.metric_id.id,
                    field: self.new_rate,
                    "date_from": self.effective_date,
                    "note": _("Contract amendment %(name)s", name=self.name),
                }
            )
        self.override_id = override
        return old, formatLang(self.env, self.new_rate, digits=digits)
