from odoo import _, api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.osv import expression
from odoo.tools import SQL
from odoo.tools.misc import format_amount

from ..core import sla_deadlines, sla_status

DISPUTE_STATES = [
    ("open", "Open"),
    ("in_progress", "Under Review"),
    ("resolved", "Resolved"),
    ("cancelled", "Withdrawn"),
]
OPEN_STATES = ("open", "in_progress")
RESOLUTIONS = [
    ("credit", "Credit note"),
    ("refund", "Refund"),
    ("adjustment", "Adjustment"),
    ("no_action", "No action"),
]
SLA_STATUSES = [
    ("on_time", "On Time"),
    ("response_overdue", "Response Overdue"),
    ("resolution_overdue", "Resolution Overdue"),
    ("met", "Met"),
    ("breached", "Resolved Late"),
]


class AgentBillingDispute(models.Model):
    """A client disputes an invoice: the invoice shows as disputed and gets no payment
    reminders until the dispute is resolved, by a credit note, a refund, an adjustment or no
    action, within the service levels of its category."""

    _name = "agent.billing.dispute"
    _description = "Invoice dispute"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "date_opened desc, id desc"
    _check_company_auto = True

    name = fields.Char(
        "Reference", required=True, readonly=True, copy=False, default=lambda self: _("New")
    )
    move_id = fields.Many2one(
        "account.move",
        "Invoice",
        required=True,
        index=True,
        check_company=True,
        tracking=True,
        domain="[('move_type', '=', 'out_invoice'), ('state', '=', 'posted')]",
    )
    company_id = fields.Many2one(
        "res.company",
        required=True,
        index=True,
        readonly=True,
        compute="_compute_company_id",
        store=True,
        precompute=True,
    )
    partner_id = fields.Many2one(
        related="move_id.commercial_partner_id", store=True, string="Client", index=True
    )
    currency_id = fields.Many2one(related="move_id.currency_id")
    invoice_amount = fields.Monetary(related="move_id.amount_untaxed", string="Invoice Untaxed")
    category_id = fields.Many2one(
        "agent.billing.dispute.category", required=True, check_company=True, tracking=True
    )
    user_id = fields.Many2one(
        "res.users", "Responsible", default=lambda self: self.env.user, tracking=True
    )
    description = fields.Text("Client's Claim", required=True)
    amount_disputed = fields.Monetary(
        "Disputed Amount (untaxed)",
        tracking=True,
        compute="_compute_amount_disputed",
        store=True,
        readonly=False,
        precompute=True,
        help="Defaults to the invoice's untaxed amount.",
    )
    state = fields.Selection(
        DISPUTE_STATES, default="open", required=True, tracking=True, copy=False, index=True
    )
    # --- Service levels ---
    date_opened = fields.Datetime("Opened", default=fields.Datetime.now, readonly=True)
    response_deadline = fields.Datetime(readonly=True)
    resolution_deadline = fields.Datetime(readonly=True)
    date_responded = fields.Datetime("First Response", readonly=True)
    date_resolved = fields.Datetime("Resolved", readonly=True)
    sla_status = fields.Selection(
        SLA_STATUSES, "Service Level", compute="_compute_sla_status", search="_search_sla_status"
    )
    is_overdue = fields.Boolean(
        "Overdue", compute="_compute_sla_status", search="_search_is_overdue"
    )
    # --- Resolution ---
    resolution_type = fields.Selection(RESOLUTIONS, readonly=True, tracking=True)
    resolution_note = fields.Text(readonly=True)
    credit_note_id = fields.Many2one("account.move", readonly=True, copy=False)
    comment_ids = fields.One2many("agent.billing.dispute.comment", "dispute_id", "Comments")
    paused_dunning = fields.Boolean(
        readonly=True, copy=False, help="Opening this dispute paused the invoice's reminders."
    )

    @api.depends("move_id")
    def _compute_company_id(self):
        for dispute in self:
            dispute.company_id = (
                dispute.move_id.company_id or dispute.company_id or self.env.company
            )

    @api.depends("move_id")
    def _compute_amount_disputed(self):
        for dispute in self:
            dispute.amount_disputed = dispute.amount_disputed or dispute.move_id.amount_untaxed

    @api.model
    def _now(self):
        return self.env.context.get("agent_billing_now") or fields.Datetime.now()

    @api.depends(
        "state", "response_deadline", "resolution_deadline", "date_responded", "date_resolved"
    )
    @api.depends_context("agent_billing_now")
    def _compute_sla_status(self):
        now = self._now()
        for dispute in self:
            resolved = dispute.date_resolved if dispute.state in ("resolved", "cancelled") else None
            status = sla_status(
                now,
                dispute.response_deadline or None,
                dispute.resolution_deadline or None,
                dispute.date_responded or None,
                resolved,
            )
            dispute.sla_status = status
            dispute.is_overdue = status in ("response_overdue", "resolution_overdue")

    def _overdue_domains(self):
        now = self._now()
        resolution = [
            ("state", "in", OPEN_STATES),
            ("resolution_deadline", "!=", False),
            ("resolution_deadline", "<", now),
        ]
        response = [
            ("state", "in", OPEN_STATES),
            ("date_responded", "=", False),
            ("response_deadline", "!=", False),
            ("response_deadline", "<", now),
            "|",
            ("resolution_deadline", "=", False),
            ("resolution_deadline", ">=", now),
        ]
        return response, resolution

    def _search_is_overdue(self, operator, value):
        if operator not in ("=", "!="):
            raise UserError(_("Unsupported search on Overdue."))
        overdue = expression.OR(list(self._overdue_domains()))
        if (operator == "=") == bool(value):
            return overdue
        return ["!", *expression.normalize_domain(overdue)]

    def _search_sla_status(self, operator, value):
        values = [value] if operator == "=" else value
        if operator not in ("=", "in") or not set(values) <= {
            "response_overdue",
            "resolution_overdue",
        }:
            raise UserError(
                _("Search the service level by Response Overdue or Resolution Overdue.")
            )
        response, resolution = self._overdue_domains()
        domains = []
        if "response_overdue" in values:
            domains.append(response)
        if "resolution_overdue" in values:
            domains.append(resolution)
        return expression.OR(domains)

    def init(self):
        # one open dispute per invoice, whoever opens it
        self.env.cr.execute(
            SQL(
                """CREATE UNIQUE INDEX IF NOT EXISTS agent_billing_dispute_open_move_uniq
               ON agent_billing_dispute (move_id) WHERE state IN ('open', 'in_progress')"""
            )
        )

    # --- Opening -------------------------------------------------------------------------------
    @api.model_create_multi
    def create(self, vals_list):
        Move = self.env["account.move"]
        Category = self.env["agent.billing.dispute.category"]
        for vals in vals_list:
            move = Move.browse(vals.get("move_id"))
            if move.move_type != "out_invoice" or move.state != "posted":
                raise UserError(
                    _(
                        "Only posted customer invoices can be disputed; %(move)s is not one.",
                        move=move.display_name or "-",
                    )
                )
            if self.search_count([("move_id", "=", move.id), ("state", "in", OPEN_STATES)]):
                raise UserError(
                    _(
                        "%(move)s is already disputed: add to the open dispute "
                        "instead of opening a second one.",
                        move=move.display_name,
                    )
                )
            if vals.get("name", _("New")) == _("New"):
                vals["name"] = self.env["ir.sequence"].next_by_code(self._name) or _("New")
            opened = fields.Datetime.to_datetime(vals.get("date_opened")) or self._now()
            vals["date_opened"] = opened
            category = Category.browse(vals.get("category_id"))
            response, resolution = sla_deadlines(
                opened, category.response_hours, category.resolution_days
            )
            vals["response_deadline"] = response or False
            vals["resolution_deadline"] = resolution or False
        disputes = super().create(vals_list)
        for dispute in disputes:
            dispute._flag_invoice()
        return disputes

    @api.constrains("amount_disputed")
    def _check_amount(self):
        for dispute in self:
            currency = dispute.currency_id
            if (
                currency.compare_amounts(dispute.amount_disputed, 0.0) < 0
                or currency.compare_amounts(dispute.amount_disputed, dispute.move_id.amount_untaxed)
                > 0
            ):
                raise ValidationError(
                    _(
                        "Dispute %(name)s: the disputed amount must be between 0 and the invoice's "
                        "untaxed %(total)s.",
                        name=dispute.name,
                        total=format_amount(self.env, dispute.move_id.amount_untaxed, currency),
                    )
                )

    def _flag_invoice(self):
        """The invoice shows as disputed and its payment reminders pause."""
        self.ensure_one()
        move = self.move_id
        vals = {"agent_disputed": True}
        if "agent_dunning_paused" in move._fields and not move.agent_dunning_paused:
            vals.update(
                {
                    "agent_dunning_paused": True,
                    "agent_dunning_pause_reason": _("Disputed: %(dispute)s", dispute=self.name),
                }
            )
            self.paused_dunning = True
        move.write(vals)
        move.message_post(
            body=_(
                "Dispute %(dispute)s opened (%(category)s): %(claim)s",
                dispute=self._get_html_link(),
                category=self.category_id.name,
                claim=self.description,
            )
        )

    def _unflag_invoice(self):
        """No open dispute left: the flag clears and the reminders we paused resume."""
        self.ensure_one()
        move = self.move_id
        if self.search_count(
            [("move_id", "=", move.id), ("state", "in", OPEN_STATES), ("id", "!=", self.id)]
        ):
            return
        vals = {"agent_disputed": False}
        if (
            self.paused_dunning
            and "agent_dunning_paused" in move._fields
            and move.agent_dunning_paused
            and self.name in (move.agent_dunning_pause_reason or "")
        ):
            vals.update({"agent_dunning_paused": False, "agent_dunning_pause_reason": False})
        move.write(vals)

    # --- Comments ------------------------------------------------------------------------------
    def _post_comment(self, comment):
        self.ensure_one()
        if comment.internal:
            return self.message_post(body=comment.body, subtype_xmlid="mail.mt_note")
        client = self.move_id.partner_id
        message = self.message_post(
            body=comment.body,
            partner_ids=client.ids,
            message_type="comment",
            subtype_xmlid="mail.mt_comment",
        )
        if not self.date_responded and not comment.author_id.share:
            self.write(
                {
                    "date_responded": comment.date or self._now(),
                    "state": "in_progress" if self.state == "open" else self.state,
                }
            )
        return message

    def action_start_review(self):
        self.filtered(lambda d: d.state == "open").write({"state": "in_progress"})

    # --- Resolution ----------------------------------------------------------------------------
    def action_resolve(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": _("Resolve %(dispute)s", dispute=self.name),
            "res_model": "agent.billing.dispute.resolve",
            "view_mode": "form",
            "target": "new",
            "context": {"default_dispute_id": self.id},
        }

    def action_withdraw(self):
        for dispute in self:
            if dispute.state not in OPEN_STATES:
                raise UserError(_("Dispute %(name)s is not open.", name=dispute.name))
            dispute.write({"state": "cancelled", "date_resolved": self._now()})
            dispute._unflag_invoice()

    def _resolve(self, resolution, note, amount=None, credit_type=None):
        """Resolve: a credit note of ``amount`` (untaxed) for a credit, a refund or an
        adjustment, nothing for no action; the invoice's flag clears."""
        self.ensure_one()
        if self.state not in OPEN_STATES:
            raise UserError(
                _(
                    "Dispute %(name)s is already %(state)s.",
                    name=self.name,
                    state=dict(DISPUTE_STATES)[self.state].lower(),
                )
            )
        if not (note or "").strip():
            raise UserError(
                _(
                    "Say how dispute %(name)s was resolved: the note is kept with it.",
                    name=self.name,
                )
            )
        credit_note = self.env["account.move"]
        if resolution != "no_action":
            credit_note = self._create_credit_note(resolution, note, amount, credit_type)
        self.write(
            {
                "state": "resolved",
                "date_resolved": self._now(),
                "resolution_type": resolution,
                "resolution_note": note,
                "credit_note_id": credit_note.id,
            }
        )
        self._unflag_invoice()
        label = dict(RESOLUTIONS)[resolution]
        body = _(
            "Dispute %(dispute)s resolved: %(resolution)s. %(note)s",
            dispute=self.name,
            resolution=label,
            note=note,
        )
        if credit_note:
            body = _(
                "%(body)s Credit note %(credit)s (%(state)s).",
                body=body,
                credit=credit_note.display_name,
                state=dict(credit_note._fields["state"]._description_selection(self.env))[
                    credit_note.state
                ],
            )
        self.message_post(
            body=body,
            partner_ids=self.move_id.partner_id.ids,
            message_type="comment",
            subtype_xmlid="mail.mt_comment",
        )
        self.move_id.message_post(body=body)
        return credit_note

    def _create_credit_note(self, resolution, note, amount, credit_type):
        """Through Odoo's reversal wizard, typed and partial when the credit notes of
        agent_billing are there; posted (and matched with the invoice) unless an approval rule
        holds it."""
        move = self.move_id
        currency = move.currency_id
        amount = currency.round(self.amount_disputed if amount is None else amount)
        if currency.compare_amounts(amount, 0.0) <= 0:
            raise UserError(
                _("Dispute %(name)s: enter the untaxed amount to credit.", name=self.name)
            )
        Reversal = self.env["account.move.reversal"].with_context(
            active_model="account.move", active_ids=move.ids
        )
        partial = currency.compare_amounts(amount, move.amount_untaxed) < 0
        vals = {
            "reason": _("Dispute %(dispute)s: %(note)s", dispute=self.name, note=note),
            "journal_id": move.journal_id.id,
            "date": fields.Date.context_today(self),
        }
        if "agent_credit_type" in Reversal._fields:
            default_type = {"refund": "refund", "adjustment": "adjustment"}.get(resolution, "error")
            vals["agent_credit_type"] = credit_type or default_type
        if "agent_credit_mode" in Reversal._fields:
            vals["agent_credit_mode"] = "partial" if partial else "full"
            if partial:
                vals["agent_credit_amount"] = amount
        elif partial:
            raise UserError(
                _(
                    "Dispute %(name)s: a partial credit note needs the credit notes of "
                    "Agent Billing; credit the full invoice instead.",
                    name=self.name,
                )
            )
        wizard = Reversal.create(vals)
        wizard.refund_moves()
        credit_note = wizard.new_move_ids.filtered(lambda m: m.move_type == "out_refund")
        credit_note.message_post(
            body=_("Resolves dispute %(dispute)s.", dispute=self._get_html_link())
        )
        if credit_note._agent_posting_blocks():
            credit_note._agent_request_needed_approvals()
            return credit_note
        credit_note.action_post()
        if currency.compare_amounts(move.amount_residual, 0.0) > 0:
            (move | credit_note).line_ids.filtered(
                lambda line: (
                    line.account_id.account_type == "asset_receivable" and not line.reconciled
                )
            ).reconcile()
        return credit_note
