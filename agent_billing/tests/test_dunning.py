from datetime import date, timedelta
from unittest.mock import patch

from psycopg2 import IntegrityError

from odoo.exceptions import UserError, ValidationError
from odoo.tools import format_amount, format_date, mute_logger

from .common import AgentBillingCommon, tagged

DAY0 = date(2026, 1, 1)  # invoice date; the invoices below fall due on day 10


def day(n):
    return DAY0 + timedelta(days=n)


@tagged("post_install", "-at_install")
class TestDunning(AgentBillingCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Step = cls.env["agent.billing.dunning.step"]
        cls.Log = cls.env["agent.billing.dunning.log"]
        # the test company is created after installation: it loads the default schedule
        cls.Step.action_load_default_schedule()
        cls.steps = cls.Step.search([("company_id", "=", cls.env.company.id)])
        cls.step = {step.days: step for step in cls.steps}

    # --- helpers -------------------------------------------------------------------------------
    def _invoice(self, partner=None, amount=1000.0, due=None):
        move = self.init_invoice(
            "out_invoice",
            partner=partner or self.client_a,
            invoice_date=DAY0,
            amounts=[amount],
            taxes=self.env["account.tax"],
        )
        move.invoice_payment_term_id = False
        move.invoice_date_due = due or day(10)
        move.action_post()
        self.assertEqual(move.invoice_date_due, due or day(10))
        return move

    def _run(self, today):
        # as the scheduler: the timeline is written by the scheduled action only
        self.env["account.move"].sudo()._cron_send_dunning(today=today)

    def _logs(self, move):
        return self.Log.search([("move_id", "=", move.id)], order="id")

    def _timeline(self, move):
        """(day, step offset, state, skip code) of every log, oldest first."""
        return [
            ((log.date - DAY0).days, log.step_id.days, log.state, log.skip_code)
            for log in self._logs(move)
        ]

    def _pause(self, move, reason, until, today):
        action = move.action_agent_dunning_pause()
        wizard = (
            self.env[action["res_model"]]
            .with_context(
                agent_billing_today=today,
                **action["context"],
            )
            .create({"reason": reason, "until": until})
        )
        self.assertEqual(wizard.move_ids, move)
        wizard.action_pause()

    def _pay(self, move, amount):
        self.env["account.payment.register"].with_context(
            active_model="account.move",
            active_ids=move.ids,
        ).create({"amount": amount, "payment_date": day(5)})._create_payments()

    def _tracked_fields(self, record):
        self.env.flush_all()
        self.env.cr.flush()  # tracking values are written on flush
        return set(
            self.env["mail.tracking.value"]
            .sudo()
            .search(
                [
                    ("mail_message_id.model", "=", record._name),
                    ("mail_message_id.res_id", "=", record.id),
                ]
            )
            .field_id.mapped("name")
        )

    @staticmethod
    def _text(body):
        return str(body).replace("&nbsp;", "\N{NO-BREAK SPACE}")

    # --- schedule ------------------------------------------------------------------------------
    def test_default_schedule(self):
        self.assertEqual(self.steps.mapped("days"), [-3, 0, 7, 14, 30])
        self.assertEqual(
            self.steps.mapped("label"),
            [
                "3 days before due",
                "On the due date",
                "7 days after due",
                "14 days after due",
                "30 days after due",
            ],
        )
        self.assertTrue(all(self.steps.mapped("mail_template_id")))
        for template in self.steps.mapped("mail_template_id"):
            self.assertEqual(template.model, "account.move")
            self.assertEqual(template.lang, "{{ object.partner_id.lang }}")
            self.assertEqual(template.report_template_ids, self.env.ref("account.account_invoices"))
        self.assertEqual(self.steps.filtered("create_activity"), self.step[30])
        self.assertEqual(
            self.step[30].activity_type_id, self.env.ref("mail.mail_activity_data_call")
        )
        # the main company has its own (installed) schedule, the copies are independent
        main_steps = self.Step.sudo().search(
            [("company_id", "=", self.env.ref("base.main_company").id)]
        )
        self.assertEqual(main_steps.mapped("days"), [-3, 0, 7, 14, 30])
        self.assertFalse(main_steps & self.steps)
        with self.assertRaisesRegex(UserError, "already has a dunning schedule"):
            self.Step.action_load_default_schedule()

    def test_step_constraints(self):
        with self.assertRaisesRegex(ValidationError, "does nothing"):
            self.Step.create({"name": "Nothing", "days": 45})
        with self.assertRaisesRegex(ValidationError, "mail template for invoices"):
            self.Step.create(
                {
                    "name": "Wrong model",
                    "days": 45,
                    "mail_template_id": self.env["mail.template"]
                    .create(
                        {
                            "name": "Partner template",
                            "model_id": self.env.ref("base.model_res_partner").id,
                        }
                    )
                    .id,
                }
            )
        call = self.Step.create({"name": "Call only", "days": 45, "create_activity": True})
        self.assertEqual(call.label, "45 days after due")
        self.assertEqual(call.activity_type_id, self.env.ref("mail.mail_activity_data_call"))
        with (
            mute_logger("odoo.sql_db"),
            self.assertRaisesRegex(IntegrityError, "company_days_uniq"),
        ):
            self.Step.create({"name": "Twice", "days": 45, "create_activity": True})

    # --- the 45-day simulation -----------------------------------------------------------------
    def test_45_days_with_pause_and_dispute(self):
        """Due on day 10. Paused on day 15 until day 19 (the 7-day step falls on day 17),
        disputed from day 22 to day 28 (the 14-day step falls on day 24)."""
        move = self._invoice()
        other = self._invoice(partner=self.client_b, amount=500.0)  # a quiet neighbour
        messages = self.env["mail.message"]
        for n in range(45):
            today = day(n)
            if n == 15:
                self._pause(move, "Client on holiday", day(19), today)
                self.assertTrue(move.agent_dunning_paused)
            if n == 22:
                move.agent_disputed = True
            if n == 28:
                move.agent_disputed = False
            self._run(today)
            timeline = self._timeline(move)
            self.env.flush_all()
            self.env.cr.flush()  # tracking messages of the day's changes
            before = self.env["mail.message"].search_count([])
            self._run(today)  # the same day again: nothing new
            self.assertEqual(self._timeline(move), timeline, f"day {n} ran twice")
            self.assertEqual(self.env["mail.message"].search_count([]), before)
            if n == 19:
                self.assertTrue(move.agent_dunning_paused, "the until-date is included")
            if n == 20:
                self.assertFalse(move.agent_dunning_paused, "the cron lifts the pause")

        self.assertEqual(
            self._timeline(move),
            [
                (7, -3, "sent", False),
                (10, 0, "sent", False),
                (17, 7, "skipped", "paused"),
                (20, 7, "sent", False),  # the pause ended on day 19, still the current step
                (24, 14, "skipped", "disputed"),
                (28, 14, "sent", False),  # dispute cleared, still the current step
                (40, 30, "sent", False),
                (40, 30, "activity", False),
            ],
        )
        self.assertEqual(
            [(d, s, st) for d, s, st, _c in self._timeline(other)],
            [
                (7, -3, "sent"),
                (10, 0, "sent"),
                (17, 7, "sent"),
                (24, 14, "sent"),
                (40, 30, "sent"),
                (40, 30, "activity"),
            ],
        )
        logs = self._logs(move)
        paused = logs.filtered(lambda log: log.skip_code == "paused")
        self.assertEqual(
            paused.reason, f"Paused: Client on holiday until {format_date(self.env, day(19))}"
        )
        self.assertEqual(logs.filtered(lambda log: log.skip_code == "disputed").reason, "Disputed")

        # the mails: in the invoice's chatter, to the client, with the invoice attached
        sent = logs.filtered(lambda log: log.state == "sent")
        messages = sent.mail_message_id
        self.assertEqual(len(messages), 5)
        for log in sent:
            message = log.mail_message_id
            self.assertEqual((message.model, message.res_id), ("account.move", move.id))
            self.assertEqual(message.message_type, "comment")
            self.assertIn(move.name, message.subject)
            self.assertEqual(message.partner_ids, self.client_a)
            self.assertEqual(log.partner_id, self.client_a)
            self.assertEqual(len(message.attachment_ids), 1)
            self.assertTrue(message.attachment_ids.name.startswith(move.name))
            self.assertIn(
                format_amount(self.env, 1000.0, move.currency_id), self._text(message.body)
            )
        self.assertEqual(
            [m.subject for m in sent.sorted("id").mail_message_id][-1],
            f"Final reminder: invoice {move.name} is overdue",
        )
        self.assertTrue(
            self.env["mail.mail"].sudo().search([("mail_message_id", "in", messages.ids)]),
            "queued for the mail queue",
        )

        # the call at 30 days, for the salesperson
        activity = move.activity_ids
        self.assertEqual(len(activity), 1)
        self.assertEqual(activity.activity_type_id, self.env.ref("mail.mail_activity_data_call"))
        self.assertEqual(activity.user_id, move.invoice_user_id)
        self.assertEqual(activity.date_deadline, day(40))
        self.assertEqual(
            logs.filtered(lambda log: log.state == "activity").user_id, move.invoice_user_id
        )

        # everything about the pause is in the chatter
        self.assertLessEqual(
            {
                "agent_dunning_paused",
                "agent_dunning_pause_reason",
                "agent_dunning_pause_until",
                "agent_disputed",
            },
            self._tracked_fields(move),
        )
        self.assertTrue(
            move.message_ids.filtered(lambda m: "the dunning pause ended on" in (m.body or ""))
        )
        self.assertEqual(
            move.with_context(agent_billing_today=day(44)).agent_dunning_next,
            "None: every reminder of the schedule has been processed.",
        )

    def test_late_start_supersedes_old_steps(self):
        """A cron that starts late sends only the current step, never a burst of old ones."""
        move = self._invoice()
        self._run(day(25))  # 15 days after due: the 14-day step is the current one
        self.assertEqual(
            self._timeline(move),
            [
                (25, -3, "skipped", "superseded"),
                (25, 0, "skipped", "superseded"),
                (25, 7, "skipped", "superseded"),
                (25, 14, "sent", False),
            ],
        )
        self.assertEqual(
            set(self._logs(move).filtered("skip_code").mapped("reason")),
            {f"Superseded by {self.step[14].display_name}"},
        )
        # sent once, whoever would try again: the database refuses a second one
        with (
            mute_logger("odoo.sql_db"),
            self.assertRaisesRegex(IntegrityError, "agent_billing_dunning_log_done_uniq"),
        ):
            self.Log.sudo().create(
                {"move_id": move.id, "step_id": self.step[14].id, "date": day(25), "state": "sent"}
            )
        self._run(day(26))
        self._run(day(41))
        self.assertEqual(
            self._timeline(move)[4:], [(41, 30, "sent", False), (41, 30, "activity", False)]
        )

    def test_held_step_is_superseded_when_the_next_one_comes(self):
        move = self._invoice()
        move.agent_disputed = True
        self._run(day(17))
        self._run(day(24))
        self.assertEqual(
            self._timeline(move),
            [
                (17, -3, "skipped", "superseded"),
                (17, 0, "skipped", "superseded"),
                (17, 7, "skipped", "disputed"),
                (24, 7, "skipped", "superseded"),
                (24, 14, "skipped", "disputed"),
            ],
        )

    # --- suppressions --------------------------------------------------------------------------
    def test_paid_and_cancelled_invoices_get_nothing(self):
        paid = self._invoice()
        self._pay(paid, 1000.0)
        self.assertIn(paid.payment_state, ("paid", "in_payment"))
        cancelled = self._invoice()
        cancelled.button_draft()
        cancelled.button_cancel()
        partial = self._invoice()
        self._pay(partial, 400.0)
        self._run(day(10))
        self.assertFalse(self._logs(paid))
        self.assertFalse(self._logs(cancelled))
        self.assertEqual(
            paid.agent_dunning_next, "None: the invoice is paid, reversed or cancelled."
        )
        # a partly paid invoice is reminded of what is left
        self.assertEqual(
            self._timeline(partial), [(10, -3, "skipped", "superseded"), (10, 0, "sent", False)]
        )
        body = self._text(self._logs(partial)[-1].mail_message_id.body)
        self.assertIn(format_amount(self.env, 600.0, partial.currency_id), body)
        self.assertNotIn(format_amount(self.env, 1000.0, partial.currency_id), body)

    def test_client_opt_out(self):
        contact = self.env["res.partner"].create(
            {
                "name": "Accounts Payable B",
                "parent_id": self.client_b.id,
                "email": "ap@clb.example.com",
            }
        )
        self.env.flush_all()
        self.env.cr.flush()  # no tracking for a record created in the same transaction
        self.client_b.agent_dunning_opt_out = True
        self.assertTrue(contact.agent_dunning_opt_out, "shared by the client's contacts")
        self.assertIn("agent_dunning_opt_out", self._tracked_fields(self.client_b))
        move = self._invoice(partner=contact)
        self._run(day(7))
        self._run(day(8))
        self.assertEqual(self._timeline(move), [(7, -3, "skipped", "opt_out")])
        self.assertEqual(
            self._logs(move).reason, f"Client {self.client_b.name} opted out of payment reminders"
        )
        self.assertFalse(move.message_ids.filtered(lambda m: m.message_type == "comment"))
        self.client_b.agent_dunning_opt_out = False
        self._run(day(9))
        self.assertEqual(self._timeline(move)[-1], (9, -3, "sent", False))

    def test_no_email_is_a_logged_skip(self):
        self.client_b.email = False
        move = self._invoice(partner=self.client_b)
        self._run(day(10))
        self._run(day(11))
        self.assertEqual(
            self._timeline(move),
            [(10, -3, "skipped", "superseded"), (10, 0, "skipped", "no_email")],
        )
        self.assertEqual(self._logs(move)[-1].reason, "No email address for Client B")
        self.assertIn(
            "No email address for Client B",
            move.with_context(agent_billing_today=day(11)).agent_dunning_next,
        )
        self.client_b.email = "billing@clb.example.com"
        self._run(day(12))
        self.assertEqual(self._timeline(move)[-1], (12, 0, "sent", False))

    def test_pause_validation(self):
        move = self._invoice()
        with self.assertRaisesRegex(ValidationError, r"cannot end on .* already past"):
            self._pause(move, "Client on holiday", day(9), today=day(10))
        with self.assertRaisesRegex(ValidationError, r"already past"):
            move.write(
                {
                    "agent_dunning_paused": True,
                    "agent_dunning_pause_reason": "Holiday",
                    "agent_dunning_pause_until": date.today() - timedelta(days=1),
                }
            )
        with self.assertRaisesRegex(ValidationError, "without a reason"):
            move.write({"agent_dunning_paused": True, "agent_dunning_pause_reason": "  "})
        self.assertFalse(move.agent_dunning_paused)
        # today itself is fine (included), and no until-date pauses until resumed by hand
        self._pause(move, "Checking with the client", day(10), today=day(10))
        self.assertEqual(move.agent_dunning_pause_until, day(10))
        move.action_agent_dunning_resume()
        self.assertFalse(move.agent_dunning_paused or move.agent_dunning_pause_reason)
        self._pause(move, "Waiting for a purchase order", False, today=day(10))
        self._run(day(10))
        self._run(day(60))
        self.assertTrue(move.agent_dunning_paused)
        self.assertEqual(
            [(d, s, c) for d, s, _st, c in self._timeline(move)],
            [
                (10, -3, "superseded"),
                (10, 0, "paused"),
                (60, 0, "superseded"),
                (60, 7, "superseded"),
                (60, 14, "superseded"),
                (60, 30, "paused"),
            ],
        )
        draft = self.init_invoice("out_invoice", partner=self.client_a, amounts=[10.0])
        with self.assertRaisesRegex(UserError, "Only posted customer invoices"):
            draft.action_agent_dunning_pause()

    def test_reminder_in_the_client_language(self):
        self.env["res.lang"]._activate_lang("fr_FR")
        template = self.step[0].mail_template_id
        template.with_context(
            lang="fr_FR"
        ).subject = "Rappel : la facture {{ object.name }} est due aujourd'hui"
        self.client_b.lang = "fr_FR"
        move_fr = self._invoice(partner=self.client_b)
        move_en = self._invoice()
        self._run(day(10))
        self.assertEqual(
            self._logs(move_fr)[-1].mail_message_id.subject,
            f"Rappel : la facture {move_fr.name} est due aujourd'hui",
        )
        self.assertEqual(
            self._logs(move_en)[-1].mail_message_id.subject,
            f"{move_en.company_id.name}: invoice {move_en.name} is due today",
        )

    def test_one_failing_invoice_does_not_stop_the_others(self):
        bad = self._invoice()
        good = self._invoice(partner=self.client_b)
        model = type(self.env["account.move"])
        original = model._agent_dunning_send

        def send(move, step):
            if move == bad:
                raise OSError("The mail server is down")
            return original(move, step)

        with (
            patch.object(model, "_agent_dunning_send", send),
            mute_logger("odoo.addons.agent_billing.models.account_move_dunning"),
        ):
            self._run(day(7))
            self._run(day(8))
        self.assertEqual(self._timeline(bad), [(7, -3, "skipped", "error")])
        self.assertIn("The mail server is down", self._logs(bad).reason)
        self.assertEqual(self._timeline(good), [(7, -3, "sent", False)])
        self._run(day(9))
        self.assertEqual(self._timeline(bad)[-1], (9, -3, "sent", False))

    def test_next_reminder_text(self):
        move = self._invoice()
        at = move.with_context(agent_billing_today=day(1))
        self.assertEqual(
            at.agent_dunning_next,
            f"{self.step[-3].display_name} on {format_date(self.env, day(7))}",
        )
        at = move.with_context(agent_billing_today=day(7))
        self.assertEqual(
            at.agent_dunning_next, f"{self.step[-3].display_name}: due now, at the next daily run"
        )
        move.agent_disputed = True
        self.assertEqual(
            move.with_context(agent_billing_today=day(8)).agent_dunning_next,
            f"On hold (Disputed), then {self.step[-3].display_name}: due now, "
            "at the next daily run",
        )

    def test_company_without_schedule_sends_nothing(self):
        self.steps.active = False
        move = self._invoice()
        self._run(day(20))
        self.assertFalse(self._logs(move))
        self.assertIn("has no dunning schedule", move.agent_dunning_next)
