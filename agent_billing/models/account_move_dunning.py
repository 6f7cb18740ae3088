# pylint: disable=consider-merging-classes-inherited
# (the design keeps dunning in its own files)
import logging
from datetime import timedelta

from odoo import _, api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import format_amount, format_date, split_every

from .agent_billing_run import _in_test_mode

_logger = logging.getLogger(__name__)

DUNNING_BATCH_SIZE = 100
# payment states after which an invoice is no longer reminded
SETTLED_PAYMENT_STATES = ("paid", "in_payment", "reversed")


class AccountMove(models.Model):
    """Dunning: the payment reminders of customer invoices.

    A daily scheduled action (``_cron_send_dunning``) looks, per company, at every open customer
    invoice: its *current* step is the latest step of the company's schedule whose date (due
    date + days) has come. That step is sent once; older steps never done are logged as
    superseded (a late start never sends a burst of old reminders). A pause, a dispute, a
    client's opt-out or a missing email address holds the current step: logged once as skipped
    with the reason, and sent when the hold is lifted while the step is still the current one.
    """

    _inherit = "account.move"

    agent_dunning_paused = fields.Boolean(
        "Dunning Paused",
        tracking=True,
        copy=False,
        help="No payment reminder is sent for this invoice while paused.",
    )
    agent_dunning_pause_reason = fields.Char("Pause Reason", tracking=True, copy=False)
    agent_dunning_pause_until = fields.Date(
        "Paused Until",
        tracking=True,
        copy=False,
        help="Last day of the pause (included): the daily dunning action resumes reminders the "
        "day after. Empty: paused until resumed by hand.",
    )
    agent_dunning_log_ids = fields.One2many(
        "agent.billing.dunning.log",
        "move_id",
        "Reminders",
        readonly=True,
    )
    agent_dunning_next = fields.Char("Next Reminder", compute="_compute_agent_dunning_next")

    # --- Pause ---------------------------------------------------------------------------------
    @api.model
    def _agent_dunning_today(self):
        return self.env.context.get("agent_billing_today") or fields.Date.context_today(self)

    @api.constrains(
        "agent_dunning_paused", "agent_dunning_pause_reason", "agent_dunning_pause_until"
    )
    def _check_agent_dunning_pause(self):
        today = self._agent_dunning_today()
        for move in self.filtered("agent_dunning_paused"):
            if move.move_type != "out_invoice":
                raise ValidationError(
                    _(
                        "%(move)s is not a customer invoice: only customer invoices get payment "
                        "reminders, so there is no dunning to pause.",
                        move=move.display_name,
                    )
                )
            if not (move.agent_dunning_pause_reason or "").strip():
                raise ValidationError(
                    _(
                        "The dunning of %(move)s cannot be paused without a reason: say why "
                        '(e.g. "client on holiday").',
                        move=move.display_name,
                    )
                )
            until = move.agent_dunning_pause_until
            if until and until < today:
                raise ValidationError(
                    _(
                        "The dunning pause of %(move)s cannot end on %(until)s: that date is "
                        "already past (today is %(today)s). Pick today or a later date, or leave "
                        "it empty to pause until resumed by hand.",
                        move=move.display_name,
                        until=format_date(self.env, until),
                        today=format_date(self.env, today),
                    )
                )

    def action_agent_dunning_pause(self):
        not_open = self.filtered(lambda m: m.move_type != "out_invoice" or m.state != "posted")
        if not_open:
            raise UserError(
                _(
                    "Only posted customer invoices get payment reminders; %(moves)s cannot have "
                    "its dunning paused.",
                    moves=", ".join(not_open.mapped("display_name")),
                )
            )
        return {
            "type": "ir.actions.act_window",
            "name": _("Pause dunning"),
            "res_model": "agent.billing.dunning.pause",
            "view_mode": "form",
            "target": "new",
            "context": {"default_move_ids": self.ids},
        }

    def action_agent_dunning_resume(self):
        self.filtered("agent_dunning_paused").write(
            {
                "agent_dunning_paused": False,
                "agent_dunning_pause_reason": False,
                "agent_dunning_pause_until": False,
            }
        )
        return True

    def _agent_dunning_lift_expired_pauses(self, company, today):
        """Pauses whose last day is before ``today`` end (logged in the chatter)."""
        expired = self.search(
            [
                ("company_id", "=", company.id),
                ("agent_dunning_paused", "=", True),
                ("agent_dunning_pause_until", "<", today),
            ]
        )
        for move in expired:
            until = move.agent_dunning_pause_until
            move.action_agent_dunning_resume()
            move.message_post(
                body=_(
                    "Payment reminders resumed: the dunning pause ended on %(until)s.",
                    until=format_date(self.env, until),
                ),
                subtype_xmlid="mail.mt_note",
            )
        return expired

    # --- Timeline ------------------------------------------------------------------------------
    @api.depends_context("agent_billing_today")
    @api.depends(
        "state",
        "payment_state",
        "amount_residual",
        "invoice_date_due",
        "agent_dunning_paused",
        "agent_dunning_pause_reason",
        "agent_dunning_pause_until",
        "agent_disputed",
        "commercial_partner_id.agent_dunning_opt_out",
        "partner_id.email",
        "agent_dunning_log_ids",
    )
    def _compute_agent_dunning_next(self):
        today = self._agent_dunning_today()
        steps_by_company = {}
        for move in self:
            if move.move_type != "out_invoice" or move.state != "posted":
                move.agent_dunning_next = False
                continue
            company = move.company_id
            if company not in steps_by_company:
                steps_by_company[company] = move._agent_dunning_steps(company)
            move.agent_dunning_next = move._agent_dunning_next_text(
                steps_by_company[company], today
            )

    def _agent_dunning_next_text(self, steps, today):
        self.ensure_one()
        if not self._agent_dunning_is_open():
            if not self.invoice_date_due:
                return _("None: the invoice has no due date.")
            return _("None: the invoice is paid, reversed or cancelled.")
        if not steps:
            return _(
                "None: %(company)s has no dunning schedule (Configuration > Dunning Schedule).",
                company=self.company_id.name,
            )
        logs = self.agent_dunning_log_ids
        due_steps = self._agent_dunning_due_steps(steps, today)
        candidates = steps - due_steps
        current_pending = due_steps and self._agent_dunning_pending(due_steps[-1], logs)
        if current_pending:
            candidates = due_steps[-1] | candidates
        if not candidates:
            return _("None: every reminder of the schedule has been processed.")
        step = candidates.sorted("days")[0]
        when = max(self.invoice_date_due + timedelta(days=step.days), today)
        if current_pending and step == due_steps[-1]:
            text = _("%(step)s: due now, at the next daily run", step=step.display_name)
        else:
            text = _(
                "%(step)s on %(date)s", step=step.display_name, date=format_date(self.env, when)
            )
        code, reason = self._agent_dunning_hold()
        if not code and step.mail_template_id and not self.partner_id.email:
            reason = self._agent_dunning_no_email_reason()
        if reason:
            return _("On hold (%(reason)s), then %(next)s", reason=reason, next=text)
        return text

    # --- Scheduled action ----------------------------------------------------------------------
    @api.model
    def _cron_send_dunning(self, today=None, batch_size=DUNNING_BATCH_SIZE):
        """Send the payment reminders due on ``today``, company by company, each with its own
        schedule (a company without steps sends nothing). Re-running it sends nothing twice."""
        today = today or fields.Date.context_today(self)
        commit = not _in_test_mode()
        # the scheduler runs as superuser and reminds every company; a user, only theirs
        companies = self.env["res.company"].search([]) if self.env.su else self.env.companies
        for company in companies:
            moves_model = self.with_company(company).with_context(allowed_company_ids=[company.id])
            moves_model._agent_dunning_lift_expired_pauses(company, today)
            if commit:
                self.env.cr.commit()  # pylint: disable=invalid-commit
            steps = moves_model._agent_dunning_steps(company)
            if not steps:
                _logger.info("Dunning: %s has no dunning schedule, nothing sent", company.name)
                continue
            # an invoice is reminded once its earliest step is due
            latest_due = today - timedelta(days=min(steps.mapped("days")))
            moves = moves_model.search(
                moves_model._agent_dunning_open_domain(company)
                + [("invoice_date_due", "<=", latest_due)],
                order="invoice_date_due, id",
            )
            for batch_ids in split_every(batch_size, moves.ids):
                for move in moves_model.browse(batch_ids):
                    move._agent_dunning_run_one(steps, today)
                if commit:
                    self.env.cr.commit()  # pylint: disable=invalid-commit
                    self.env.invalidate_all()  # keep memory flat over large batches

    @api.model
    def _agent_dunning_steps(self, company):
        return self.env["agent.billing.dunning.step"].search(
            [("company_id", "=", company.id)], order="days, id"
        )

    @api.model
    def _agent_dunning_open_domain(self, company):
        return [
            ("company_id", "=", company.id),
            ("move_type", "=", "out_invoice"),
            ("state", "=", "posted"),
            ("payment_state", "not in", SETTLED_PAYMENT_STATES),
            ("amount_residual", ">", 0),
            ("invoice_date_due", "!=", False),
        ]

    def _agent_dunning_is_open(self):
        self.ensure_one()
        return bool(
            self.move_type == "out_invoice"
            and self.state == "posted"
            and self.payment_state not in SETTLED_PAYMENT_STATES
            and self.currency_id.compare_amounts(self.amount_residual, 0) > 0
            and self.invoice_date_due
        )

    def _agent_dunning_due_steps(self, steps, today):
        """The steps whose date has come, in schedule order (the last one is the current)."""
        due = self.invoice_date_due
        return steps.filtered(lambda step: due + timedelta(days=step.days) <= today)

    @api.model
    def _agent_dunning_pending(self, step, logs):
        """What of ``step`` ('mail', 'activity') is not done yet according to ``logs``."""
        done = set(logs.filtered(lambda log: log.step_id == step).mapped("state"))
        pending = set()
        if step.mail_template_id and "sent" not in done:
            pending.add("mail")
        if step.create_activity and "activity" not in done:
            pending.add("activity")
        return pending

    def _agent_dunning_hold(self):
        """(code, reason) of what holds every reminder of this invoice, or (False, False)."""
        self.ensure_one()
        if self.agent_dunning_paused:
            if self.agent_dunning_pause_until:
                return "paused", _(
                    "Paused: %(reason)s until %(until)s",
                    reason=self.agent_dunning_pause_reason,
                    until=format_date(self.env, self.agent_dunning_pause_until),
                )
            return "paused", _("Paused: %(reason)s", reason=self.agent_dunning_pause_reason)
        if self.agent_disputed:
            return "disputed", _("Disputed")
        client = self.commercial_partner_id
        if client.agent_dunning_opt_out:
            return "opt_out", _(
                "Client %(client)s opted out of payment reminders", client=client.display_name
            )
        return False, False

    def _agent_dunning_no_email_reason(self):
        return _("No email address for %(partner)s", partner=self.partner_id.display_name)

    def _agent_dunning_run_one(self, steps, today):
        """Process one invoice; a failure is logged on its timeline and the others go on."""
        self.ensure_one()
        try:
            with self.env.cr.savepoint():
                self._agent_dunning_process(steps, today)
        except Exception as error:  # noqa: BLE001 - one invoice must not stop the others
            _logger.warning("Dunning: %s could not be processed", self.display_name, exc_info=True)
            step = self._agent_dunning_due_steps(steps, today)[-1:]
            logs = self.agent_dunning_log_ids.filtered(
                lambda log: log.step_id == step and log.skip_code == "error"
            )
            if not logs:
                self.env["agent.billing.dunning.log"].create(
                    self._agent_dunning_log_vals(
                        step,
                        today,
                        "skipped",
                        skip_code="error",
                        reason=_("Could not be processed: %(error)s", error=str(error)[:500]),
                    )
                )

    def _agent_dunning_log_vals(self, step, today, state, **vals):
        return {"move_id": self.id, "step_id": step.id, "date": today, "state": state, **vals}

    def _agent_dunning_process(self, steps, today):
        """Do what the schedule asks of this invoice on ``today`` (see the class docstring)."""
        self.ensure_one()
        due_steps = self._agent_dunning_due_steps(steps, today)
        if not due_steps:
            return
        current = due_steps[-1]
        logs = self.agent_dunning_log_ids
        new_logs = []

        def skipped_once(step, code, reason):
            """One skip per step and reason: no daily repetition of the same skip."""
            if not logs.filtered(lambda log: log.step_id == step and log.skip_code == code):
                new_logs.append(
                    self._agent_dunning_log_vals(
                        step,
                        today,
                        "skipped",
                        skip_code=code,
                        reason=reason,
                        partner_id=self.partner_id.id,
                    )
                )

        for step in due_steps[:-1]:
            if self._agent_dunning_pending(step, logs):
                skipped_once(
                    step, "superseded", _("Superseded by %(step)s", step=current.display_name)
                )
        pending = self._agent_dunning_pending(current, logs)
        if pending:
            code, reason = self._agent_dunning_hold()
            if code:
                skipped_once(current, code, reason)
                pending = set()
        if "mail" in pending:
            if not self.partner_id.email:
                skipped_once(current, "no_email", self._agent_dunning_no_email_reason())
            else:
                message = self._agent_dunning_send(current)
                new_logs.append(
                    self._agent_dunning_log_vals(
                        current,
                        today,
                        "sent",
                        partner_id=self.partner_id.id,
                        mail_message_id=message.id,
                        reason=_("Sent to %(partner)s", partner=self.partner_id.email_formatted),
                    )
                )
        if "activity" in pending:
            user = current._activity_user(self)
            self.activity_schedule(
                activity_type_id=current.activity_type_id.id,
                summary=current.activity_summary or current.name,
                note=_(
                    "%(amount)s still due on %(invoice)s, due since %(due)s.",
                    amount=format_amount(self.env, self.amount_residual, self.currency_id),
                    invoice=self.name,
                    due=format_date(self.env, self.invoice_date_due),
                ),
                user_id=user.id,
                date_deadline=today,
            )
            new_logs.append(
                self._agent_dunning_log_vals(
                    current,
                    today,
                    "activity",
                    user_id=user.id,
                    reason=_(
                        "%(activity)s for %(user)s",
                        activity=current.activity_type_id.name,
                        user=user.name,
                    ),
                )
            )
        if new_logs:
            self.env["agent.billing.dunning.log"].create(new_logs)

    def _agent_dunning_send(self, step):
        """Post ``step``'s mail template on the invoice: a chatter message mailed to the client
        in their language, with the invoice PDF (as Odoo's own invoice sending does)."""
        self.ensure_one()
        # the log is checked first, and a unique index backs it: never sent twice
        if self.env["agent.billing.dunning.log"].search_count(
            [
                ("move_id", "=", self.id),
                ("step_id", "=", step.id),
                ("state", "=", "sent"),
            ]
        ):
            raise UserError(
                _(
                    "%(step)s was already sent for %(move)s.",
                    step=step.display_name,
                    move=self.display_name,
                )
            )
        # no_new_invoice: the attached PDF must not be read back into the (posted) invoice
        messages = self.with_context(no_new_invoice=True).message_post_with_source(
            step.mail_template_id,
            message_type="comment",
            subtype_xmlid="mail.mt_comment",
            email_layout_xmlid="mail.mail_notification_layout_with_responsible_signature",
            force_send=False,  # the mail queue sends it once the batch is committed
        )
        return messages[:1]


class AgentBillingDunningPause(models.TransientModel):
    _name = "agent.billing.dunning.pause"
    _description = "Pause the payment reminders of invoices"

    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company
    )
    move_ids = fields.Many2many("account.move", string="Invoices", required=True)
    reason = fields.Char(required=True, help="Why no reminder is sent, e.g. client on holiday.")
    until = fields.Date(
        help="Last day of the pause (included). Empty: until resumed by hand.",
    )

    def action_pause(self):
        self.ensure_one()
        self.move_ids.write(
            {
                "agent_dunning_paused": True,
                "agent_dunning_pause_reason": self.reason,
                "agent_dunning_pause_until": self.until,
            }
        )
        return {"type": "ir.actions.act_window_close"}
