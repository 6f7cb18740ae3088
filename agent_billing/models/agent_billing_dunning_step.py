from odoo import _, api, fields, models
from odoo.exceptions import UserError, ValidationError


class AgentBillingDunningStep(models.Model):
    """One payment reminder of a company's dunning schedule.

    A step is due on the invoice's due date plus ``days`` (negative: before the due date). It
    sends a mail template to the client, schedules an activity for a person (e.g. a call), or
    both. Each company has its own schedule: the default one is created for the main company at
    installation; another company loads it with "Load default schedule".
    """

    _name = "agent.billing.dunning.step"
    _description = "Dunning step"
    _order = "company_id, days, id"

    name = fields.Char(required=True, translate=True)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    days = fields.Integer(
        required=True,
        help="When the reminder is due, in days from the invoice's due date: -3 is three days "
        "before, 0 on the due date, 30 thirty days after.",
    )
    label = fields.Char("When", compute="_compute_label")
    mail_template_id = fields.Many2one(
        "mail.template",
        domain=[("model", "=", "account.move")],
        ondelete="restrict",
        help="Sent to the invoice's client, in the client's language, with the invoice PDF.",
    )
    create_activity = fields.Boolean(help="Also schedule an activity (e.g. a call) on the invoice.")
    activity_type_id = fields.Many2one(
        "mail.activity.type",
        ondelete="restrict",
        default=lambda self: self.env.ref("mail.mail_activity_data_call", raise_if_not_found=False),
    )
    activity_user_id = fields.Many2one(
        "res.users",
        "Assigned To",
        domain=[("share", "=", False)],
        help="Who gets the activity. Empty: the invoice's salesperson (or whoever created the "
        "invoice if it has none).",
    )
    activity_summary = fields.Char(translate=True)

    _sql_constraints = [
        (
            "company_days_uniq",
            "unique(company_id, days)",
            "A company's dunning schedule has only one step per day offset.",
        ),
    ]

    @api.depends("days")
    def _compute_label(self):
        for step in self:
            step.label = step._label_for(step.days)

    @api.model
    def _label_for(self, days):
        if days < 0:
            if days == -1:
                return _("1 day before due")
            return _("%(days)s days before due", days=-days)
        if days == 0:
            return _("On the due date")
        if days == 1:
            return _("1 day after due")
        return _("%(days)s days after due", days=days)

    @api.depends("name", "days")
    def _compute_display_name(self):
        for step in self:
            step.display_name = _("%(name)s (%(when)s)", name=step.name, when=step.label)

    @api.constrains("mail_template_id", "create_activity", "activity_type_id")
    def _check_does_something(self):
        for step in self:
            if not step.mail_template_id and not step.create_activity:
                raise ValidationError(
                    _(
                        "The dunning step %(step)s does nothing: choose a mail template, tick "
                        "Create Activity, or both.",
                        step=step.display_name,
                    )
                )
            if step.create_activity and not step.activity_type_id:
                raise ValidationError(
                    _(
                        "The dunning step %(step)s creates an activity: choose its activity type.",
                        step=step.display_name,
                    )
                )
            if step.mail_template_id and step.mail_template_id.model != "account.move":
                raise ValidationError(
                    _(
                        "The dunning step %(step)s must use a mail template for invoices "
                        "(Journal Entry), not %(template)s.",
                        step=step.display_name,
                        template=step.mail_template_id.display_name,
                    )
                )

    def _activity_user(self, move):
        """Who gets this step's activity on ``move``."""
        self.ensure_one()
        for user in (self.activity_user_id, move.invoice_user_id, move.create_uid):
            if user and user.active and not user.share:
                return user
        return self.env.user

    @api.model
    def action_load_default_schedule(self):
        """Give the current company the default schedule (the steps this module installed for
        the main company, as they are now), e.g. for a company created after installation."""
        company = self.env.company
        if self.with_context(active_test=False).search_count([("company_id", "=", company.id)]):
            raise UserError(
                _(
                    "%(company)s already has a dunning schedule: edit its steps instead.",
                    company=company.name,
                )
            )
        defaults = self.env["ir.model.data"].search(
            [
                ("module", "=", "agent_billing"),
                ("model", "=", self._name),
            ]
        )
        self.check_access("create")
        # sudo: the module's own data steps belong to the main company, which the user may not
        # see; the user may create steps (checked above) and the copies go to their company
        templates = self.sudo().browse(defaults.mapped("res_id")).exists().filtered("active")
        if not templates:
            raise UserError(
                _(
                    "The default dunning schedule was deleted: create the steps of %(company)s "
                    "by hand.",
                    company=company.name,
                )
            )
        for template in templates.sorted("days"):
            template.copy({"company_id": company.id, "activity_user_id": False})
        return {"type": "ir.actions.client", "tag": "reload"}
