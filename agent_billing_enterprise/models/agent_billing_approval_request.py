from datetime import timedelta

from markupsafe import Markup

from odoo import _, api, fields, models
from odoo.exceptions import UserError

from ..core import open_steps, outcome
from .agent_billing_approval_rule import APPROVAL_MODES, REQUEST_TYPES

REQUEST_STATES = [
    ("pending", "Pending"),
    ("approved", "Approved"),
    ("refused", "Refused"),
    ("cancelled", "Cancelled"),
]
ACTIVITY_TYPE = "mail.mail_activity_data_todo"


class AgentBillingApprovalRequest(models.Model):
    """One approval of one record (invoice, credit note, price override, budget, contract),
    with its steps, decisions and comments: the approval history of that record."""

    _name = "agent.billing.approval.request"
    _description = "Approval request"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "id desc"
    _check_company_auto = True

    name = fields.Char(required=True, readonly=True, copy=False, default=lambda self: _("New"))
    company_id = fields.Many2one(
        "res.company",
        required=True,
        readonly=True,
        index=True,
        default=lambda self: self.env.company,
    )
    request_type = fields.Selection(REQUEST_TYPES, required=True, readonly=True)
    rule_id = fields.Many2one(
        "agent.billing.approval.rule", readonly=True, ondelete="restrict", check_company=True
    )
    res_model = fields.Char("Document Model", required=True, readonly=True, index=True)
    res_id = fields.Many2oneReference(
        "Document ID", model_field="res_model", required=True, readonly=True, index=True
    )
    record_name = fields.Char("Document", compute="_compute_record_name")
    amount = fields.Monetary(readonly=True)
    currency_id = fields.Many2one("res.currency", required=True, readonly=True)
    reason = fields.Text(readonly=True)
    state = fields.Selection(
        REQUEST_STATES, default="pending", required=True, readonly=True, tracking=True, index=True
    )
    requested_by_id = fields.Many2one(
        "res.users", readonly=True, default=lambda self: self.env.user
    )
    requested_on = fields.Datetime(readonly=True, default=fields.Datetime.now)
    deadline = fields.Datetime("Escalation Due", readonly=True)
    escalated = fields.Boolean(readonly=True, tracking=True)
    mode = fields.Selection(APPROVAL_MODES, required=True, readonly=True, default="sequential")
    required_count = fields.Integer("Approvals Required", readonly=True, default=1)
    step_ids = fields.One2many(
        "agent.billing.approval.step", "request_id", "Approvers", readonly=True
    )
    decided_on = fields.Datetime(readonly=True)
    move_ids = fields.Many2many(
        "account.move",
        "agent_billing_approval_request_move_rel",
        "request_id",
        "move_id",
        "Invoices on Hold",
        readonly=True,
        help="Invoices that cannot be posted until this request is approved (besides the "
        "document itself), e.g. the invoices that would overspend a budget.",
    )
    can_decide = fields.Boolean(compute="_compute_can_decide")

    @api.depends("res_model", "res_id")
    def _compute_record_name(self):
        for request in self:
            # an approver must see what they decide on, even without access to its model: only
            # the name of the document is read
            target = request.sudo()._target()
            request.record_name = target.display_name if target else False

    @api.depends_context("uid")
    @api.depends("state", "step_ids.state")
    def _compute_can_decide(self):
        for request in self:
            request.can_decide = bool(
                request.state == "pending" and request._open_step_for(self.env.user)
            )

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if vals.get("name", _("New")) == _("New"):
                vals["name"] = self.env["ir.sequence"].next_by_code(self._name) or _("New")
        return super().create(vals_list)

    # --- Creation ----------------------------------------------------------------------------
    @api.model
    def _request(
        self,
        record,
        request_type,
        amount,
        reason,
        company=None,
        currency=None,
        moves=None,
        fallback=False,
    ):
        """The pending approval of ``record`` for ``request_type``, created if a rule applies to
        ``amount`` (company currency); with ``fallback``, also without a rule (the billing
        managers decide). Returns an empty recordset when no approval is needed. ``moves`` are
        invoices held until the request is approved."""
        company = company or record.company_id
        rule = self.env["agent.billing.approval.rule"]._match(request_type, amount, company)
        if not rule and not fallback:
            return self.browse()
        existing = self.search(
            [
                ("res_model", "=", record._name),
                ("res_id", "=", record.id),
                ("request_type", "=", request_type),
                ("state", "=", "pending"),
            ],
            limit=1,
        )
        if existing:  # asked again (a second click, a rerun): the same request
            if moves:
                existing.move_ids |= moves
                existing._sync_targets()
            return existing
        now = fields.Datetime.now()
        steps = []
        if rule:
            steps += [{"user_id": user.id} for user in rule.user_ids]
            steps += [{"group_id": group.id} for group in rule.group_ids]
        else:
            steps.append({"group_id": self.env.ref("agent_billing.group_agent_billing_manager").id})
        request = self.create(
            {
                "company_id": company.id,
                "request_type": request_type,
                "rule_id": rule.id,
                "res_model": record._name,
                "res_id": record.id,
                "amount": amount,
                "currency_id": (currency or company.currency_id).id,
                "reason": reason,
                "requested_on": now,
                "deadline": now + timedelta(hours=rule.escalation_hours)
                if rule.escalation_hours
                else False,
                "mode": rule.mode or "sequential",
                "required_count": rule.required_count or 1,
                "move_ids": [fields.Command.set(moves.ids)] if moves else [],
                "step_ids": [
                    fields.Command.create({"sequence": index, **vals})
                    for index, vals in enumerate(steps, start=1)
                ],
            }
        )
        request._open_steps()
        request._sync_targets()
        request._log_on_targets(
            _(
                "Approval requested: %(request)s (%(reason)s).",
                request=request._get_html_link(),
                reason=reason,
            )
        )
        return request

    def _target(self):
        self.ensure_one()
        if not self.res_model or self.res_model not in self.env or not self.res_id:
            return None
        return self.env[self.res_model].browse(self.res_id).exists() or None

    def _targets(self):
        """The records this request decides on: its document and the invoices it holds."""
        self.ensure_one()
        target = self._target()
        return [record for record in (target, *self.move_ids) if record]

    def _sync_targets(self):
        for request in self:
            for record in request._targets():
                # the user was allowed to decide this request (see _decide); the state it puts
                # on the document is the outcome of that decision, not an edit of the document
                record.sudo()._agent_sync_approval_state()

    def _log_on_targets(self, body):
        for request in self:
            for record in request._targets():
                if hasattr(record, "message_post"):
                    record.sudo().message_post(body=body, subtype_xmlid="mail.mt_note")

    # --- Steps -------------------------------------------------------------------------------
    def _regular_steps(self):
        return self.step_ids.filtered(lambda s: not s.escalation).sorted("sequence")

    def _open_steps(self):
        """Open the steps that may decide now (all in parallel, the next one in sequence)."""
        for request in self:
            steps = request._regular_steps()
            for index in open_steps(request.mode, steps.mapped("state")):
                step = steps[index]
                if step.state == "waiting":
                    step.state = "pending"
                    request._notify_step(step)

    def _notify_step(self, step):
        self.ensure_one()
        users = step.user_id or step.group_id.users.filtered(lambda u: not u.share)
        for user in users:
            self.activity_schedule(
                ACTIVITY_TYPE,
                user_id=user.id,
                summary=_("Approve %(request)s", request=self.name),
                note=_(
                    "%(document)s: %(reason)s",
                    document=self.record_name or "",
                    reason=self.reason or "",
                ),
            )

    def _open_step_for(self, user):
        self.ensure_one()
        return self.step_ids.filtered(
            lambda s: (
                s.state == "pending"
                and (s.user_id == user or (s.group_id and user in s.group_id.users))
            )
        )[:1]

    # --- Decisions ---------------------------------------------------------------------------
    def action_approve(self):
        return self._open_decision("approved")

    def action_refuse(self):
        return self._open_decision("refused")

    def _open_decision(self, decision):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": _("Approve") if decision == "approved" else _("Refuse"),
            "res_model": "agent.billing.approval.decision",
            "view_mode": "form",
            "target": "new",
            "context": {"default_request_id": self.id, "default_decision": decision},
        }

    def _decide(self, decision, comment=False):
        """The current user approves or refuses at their open step."""
        self.ensure_one()
        user = self.env.user
        if self.state != "pending":
            raise UserError(
                _(
                    "%(request)s is %(state)s: it cannot be decided anymore.",
                    request=self.name,
                    state=dict(REQUEST_STATES)[self.state].lower(),
                )
            )
        if self.requested_by_id == user and not self.env.su:
            raise UserError(
                _("You requested %(request)s: another approver must decide it.", request=self.name)
            )
        step = self._open_step_for(user)
        if not step:
            waiting = ", ".join(
                s.user_id.name or s.group_id.full_name
                for s in self.step_ids.filtered(lambda s: s.state == "pending")
            )
            raise UserError(
                _(
                    "%(request)s is not waiting for your decision; it waits for: %(who)s.",
                    request=self.name,
                    who=waiting or "-",
                )
            )
        if decision == "refused" and not (comment or "").strip():
            raise UserError(
                _("Say why you refuse %(request)s: the requester reads it.", request=self.name)
            )
        step.write(
            {
                "state": decision,
                "decided_by_id": user.id,
                "decided_on": fields.Datetime.now(),
                "comment": comment,
            }
        )
        self._close_activities(user, decision, comment)
        if step.escalation:
            result = decision  # an escalation approver decides alone
        else:
            result = outcome(self.required_count, self._regular_steps().mapped("state"))
        label = _("approved") if decision == "approved" else _("refused")
        body = _(
            "%(request)s %(decision)s by %(user)s",
            request=self.name,
            decision=label,
            user=user.name,
        )
        if comment:
            body = Markup("%s: %s") % (body, comment)
        self.message_post(body=body, subtype_xmlid="mail.mt_note")
        self._log_on_targets(body)
        if result == "pending":
            self._open_steps()
        else:
            self._finish(result)
        return True

    def _close_activities(self, user, decision, comment):
        feedback = _("%(decision)s. %(comment)s", decision=decision, comment=comment or "")
        mine = self.activity_ids.filtered(lambda a: a.user_id == user)
        mine.action_feedback(feedback=feedback)
        # a group decided: its other members have nothing left to do
        step_users = self.step_ids.filtered(lambda s: s.state == "pending").mapped(
            lambda s: s.user_id | s.group_id.users
        )
        self.activity_ids.filtered(lambda a: a.user_id not in step_users).unlink()

    def _finish(self, state):
        self.ensure_one()
        self.write({"state": state, "decided_on": fields.Datetime.now()})
        self.step_ids.filtered(lambda s: s.state in ("waiting", "pending")).state = "skipped"
        self.activity_ids.unlink()
        self._sync_targets()
        for record in self._targets():
            if hasattr(record, "_agent_approval_decided"):
                # see _sync_targets: the decision was the user's to make
                record.sudo()._agent_approval_decided(self)

    def action_cancel(self):
        """Withdraw a pending request, or lift a refusal (by the requester or a manager)."""
        manager = self.env.user.has_group("agent_billing.group_agent_billing_manager")
        for request in self:
            if request.state not in ("pending", "refused"):
                raise UserError(
                    _(
                        "%(request)s is %(state)s: only pending or refused requests "
                        "can be cancelled.",
                        request=request.name,
                        state=dict(REQUEST_STATES)[request.state].lower(),
                    )
                )
            if not manager and request.requested_by_id != self.env.user:
                raise UserError(
                    _(
                        "Only the requester or a billing manager can cancel %(request)s.",
                        request=request.name,
                    )
                )
        self._withdraw()
        return True

    def _withdraw(self):
        """Cancel these requests (no access check: the document itself was withdrawn)."""
        for request in self:
            request.step_ids.filtered(lambda s: s.state in ("waiting", "pending")).state = "skipped"
            request.activity_ids.unlink()
            request.write({"state": "cancelled", "decided_on": fields.Datetime.now()})
            request._sync_targets()
            request._log_on_targets(
                _(
                    "Approval %(request)s cancelled by %(user)s.",
                    request=request.name,
                    user=self.env.user.name,
                )
            )

    def action_open_document(self):
        self.ensure_one()
        target = self._target()
        if not target:
            raise UserError(_("The document of %(request)s no longer exists.", request=self.name))
        return {
            "type": "ir.actions.act_window",
            "res_model": target._name,
            "res_id": target.id,
            "view_mode": "form",
            "target": "current",
        }

    # --- Escalation --------------------------------------------------------------------------
    @api.model
    def _cron_escalate(self, now=None):
        """Requests still pending at their escalation deadline go to the escalation approvers
        (once: a rerun escalates nothing twice)."""
        now = now or fields.Datetime.now()
        due = self.search(
            [
                ("state", "=", "pending"),
                ("escalated", "=", False),
                ("deadline", "!=", False),
                ("deadline", "<=", now),
            ]
        )
        for request in due:
            request._escalate()
        return due

    def _escalate(self):
        self.ensure_one()
        users = self.rule_id.escalation_user_ids or self.env.ref(
            "agent_billing.group_agent_billing_manager"
        ).users.filtered(lambda u: not u.share)
        users -= self.requested_by_id
        last = max(self.step_ids.mapped("sequence") or [0])
        steps = self.env["agent.billing.approval.step"].create(
            [
                {
                    "request_id": self.id,
                    "sequence": last + index,
                    "user_id": user.id,
                    "escalation": True,
                    "state": "pending",
                }
                for index, user in enumerate(users, start=1)
            ]
        )
        for step in steps:
            self._notify_step(step)
        self.escalated = True
        body = _(
            "%(request)s escalated: undecided after %(hours)s hour(s); now also waiting for "
            "%(users)s.",
            request=self.name,
            hours=self.rule_id.escalation_hours,
            users=", ".join(users.mapped("name")) or "-",
        )
        self.message_post(body=body, subtype_xmlid="mail.mt_note")
        self._log_on_targets(body)
