import base64
import io
import logging
import threading
from datetime import timedelta

from psycopg2 import errors as pg_errors

from odoo import _, api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import SQL, format_date, mute_logger

from ..rating import AnomalyInput, PricingError, score_anomalies, to_decimal
from ..tools.spreadsheet import xlsx_row

_logger = logging.getLogger(__name__)

RUN_STATES = [
    ("draft", "Draft"),
    ("computed", "Computed"),
    ("invoiced", "Invoices Created"),
    ("posted", "Posted"),
    ("cancelled", "Cancelled"),
]


def _in_test_mode():
    return getattr(threading.current_thread(), "testing", False)


class AgentBillingRun(models.Model):
    """Every invoice of a period, in one click or by the scheduled action.

    draft -> computed (pre-flight rows, one per client contract) -> invoices created (drafts)
    -> posted (and sent), or cancelled. Each step works in batches that may commit as they go
    (scheduled runs), is isolated per client (one failing client is reported, the others go on),
    and can be resumed: rows already rated or invoiced are skipped.
    """

    _name = "agent.billing.run"
    _description = "Billing run"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "period_start desc, id desc"
    _check_company_auto = True

    name = fields.Char(compute="_compute_name", store=True)
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company, readonly=True
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    period_start = fields.Date(
        required=True, default=lambda self: self._default_period()[0], tracking=True
    )
    period_end = fields.Date(
        required=True, default=lambda self: self._default_period()[1], tracking=True
    )
    invoice_date = fields.Date(
        default=fields.Date.context_today,
        tracking=True,
        help="Date of the invoices this run creates. Empty: the day after the period.",
    )
    state = fields.Selection(RUN_STATES, default="draft", required=True, tracking=True, copy=False)
    line_ids = fields.One2many("agent.billing.run.line", "run_id", "Pre-flight", copy=False)
    move_ids = fields.One2many("account.move", "agent_run_id", "Invoices", copy=False)
    user_id = fields.Many2one("res.users", "Responsible", default=lambda self: self.env.user)
    origin = fields.Selection(
        [("manual", "Manual"), ("cron", "Scheduled")], default="manual", readonly=True
    )
    change_threshold = fields.Float(
        "Change Threshold (%)",
        default=lambda self: self.env.company.agent_billing_change_threshold,
    )
    # --- Counters ---
    line_count = fields.Integer("Clients", compute="_compute_counts")
    included_count = fields.Integer("Included", compute="_compute_counts")
    anomaly_count = fields.Integer("With Anomalies", compute="_compute_counts")
    error_count = fields.Integer("Errors", compute="_compute_counts")
    invoice_count = fields.Integer(compute="_compute_counts")
    total_amount = fields.Monetary("Total (company currency lines)", compute="_compute_counts")

    @api.model
    def _default_period(self):
        first = fields.Date.context_today(self).replace(day=1)
        previous_end = first - timedelta(days=1)
        return previous_end.replace(day=1), previous_end

    @api.depends("period_start", "period_end")
    def _compute_name(self):
        for run in self:
            if not (run.period_start and run.period_end):
                run.name = _("New billing run")
            elif (
                run.period_start.day == 1
                and (run.period_end + timedelta(days=1)).day == 1
                and run.period_start.month == run.period_end.month
            ):
                run.name = _(
                    "Billing run %(period)s",
                    period=format_date(self.env, run.period_start, date_format="MMMM y"),
                )
            else:
                run.name = _(
                    "Billing run %(start)s - %(end)s",
                    start=format_date(self.env, run.period_start),
                    end=format_date(self.env, run.period_end),
                )

    @api.depends("line_ids.state", "line_ids.included", "line_ids.anomaly_score", "move_ids")
    def _compute_counts(self):
        for run in self:
            lines = run.line_ids
            run.line_count = len(lines)
            run.included_count = len(
                lines.filtered(lambda line: line.included and line.state != "error")
            )
            run.anomaly_count = len(lines.filtered(lambda line: line.anomaly_score > 0))
            run.error_count = len(lines.filtered(lambda line: line.state == "error"))
            run.invoice_count = len(run.move_ids)
            currency = run.currency_id
            run.total_amount = sum(
                lines.filtered(
                    lambda line, cur=currency: line.included and line.currency_id == cur
                ).mapped("total")
            )

    @api.constrains("period_start", "period_end")
    def _check_period(self):
        for run in self:
            if run.period_end < run.period_start:
                raise ValidationError(
                    _("Billing run %(name)s: the period ends before it starts.", name=run.name)
                )

    def init(self):
        # one live run per company and period (a cancelled one can be redone)
        self.env.cr.execute(
            SQL(
                """CREATE UNIQUE INDEX IF NOT EXISTS agent_billing_run_period_uniq
               ON agent_billing_run (company_id, period_start, period_end)
               WHERE state != 'cancelled'"""
            )
        )

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            company_id = vals.get("company_id") or self.env.company.id
            existing = self.search(
                [
                    ("company_id", "=", company_id),
                    ("period_start", "=", vals.get("period_start") or self._default_period()[0]),
                    ("period_end", "=", vals.get("period_end") or self._default_period()[1]),
                    ("state", "!=", "cancelled"),
                ],
                limit=1,
            )
            if existing:
                raise UserError(
                    _(
                        "%(run)s already exists for this period (state: %(state)s). Open it "
                        "instead of creating a second one.",
                        run=existing.name,
                        state=dict(RUN_STATES)[existing.state],
                    )
                )
        try:
            with self.env.cr.savepoint():
                return super().create(vals_list)
        except pg_errors.UniqueViolation:
            raise UserError(
                _(
                    "Another user has just created a billing run for this period. Open it from "
                    "the list instead of creating a second one."
                )
            ) from None

    # --- Locking -----------------------------------------------------------------------------
    def _lock(self):
        """Row-lock the runs, or tell the user in words that someone else is processing them."""
        names = ", ".join(self.mapped("name"))
        try:
            with self.env.cr.savepoint(flush=False), mute_logger("odoo.sql_db"):
                self.env.cr.execute(
                    SQL(
                        # NO KEY UPDATE: exclusive between users, yet lets jobs insert rows that
                        # reference the run
                        "SELECT id FROM agent_billing_run WHERE id IN %s FOR NO KEY UPDATE NOWAIT",
                        tuple(self.ids),
                    )
                )
        except pg_errors.LockNotAvailable:
            raise UserError(
                _(
                    "%(run)s is being processed right now (by another user or the scheduled "
                    "action). Wait until it finishes, then reload the page.",
                    run=names,
                )
            ) from None
        self.invalidate_recordset(["state"])

    def _check_state(self, allowed, action):
        for run in self:
            if run.state not in allowed:
                raise UserError(
                    _(
                        "%(run)s is %(state)s: you cannot %(action)s it.",
                        run=run.name,
                        state=dict(RUN_STATES)[run.state],
                        action=action,
                    )
                )

    # --- Step 1: compute the pre-flight ------------------------------------------------------
    def _contracts_to_bill(self):
        self.ensure_one()
        contracts = self.env["agent.billing.contract"].search(
            [
                ("company_id", "=", self.company_id.id),
                ("state", "in", ("active", "closed")),
                ("date_start", "<=", self.period_end + timedelta(days=366)),
            ],
            order="id",
        )
        plans = ((c, c._billing_plan(self.period_start, self.period_end)) for c in contracts)
        return [(contract, plan) for contract, plan in plans if plan]

    def action_compute(self):
        self._lock()
        self._check_state(("draft", "computed"), _("compute"))
        for run in self:
            run.line_ids.filtered(lambda line: not line.move_id).unlink()
            run._compute_batches(commit=False)
        return True

    def _compute_batches(self, commit, batch_size=None):
        """Rate every contract of the period not rated yet; returns the number rated."""
        self.ensure_one()
        batch_size = batch_size or self.company_id.agent_billing_batch_size or 50
        done_contracts = set(self.line_ids.contract_id.ids)
        todo = [(c, plan) for c, plan in self._contracts_to_bill() if c.id not in done_contracts]
        total = len(todo) + len(done_contracts)
        for start in range(0, len(todo), batch_size):
            self._rate_batch(todo[start : start + batch_size])
            self._notify(done=len(done_contracts) + start + batch_size, total=total)
            if commit:
                self.env.cr.commit()  # pylint: disable=invalid-commit
                self.env.invalidate_all()
        self.state = "computed"
        return len(todo)

    def _rate_batch(self, batch):
        """Pre-flight rows of a batch of (contract, plan): a few queries for the whole batch,
        then the pure rating per contract; a contract that fails is reported on its row."""
        if not batch:
            return self.env["agent.billing.run.line"]
        contracts = self.env["agent.billing.contract"].browse([c.id for c, _plan in batch])
        partners = contracts.partner_id
        first = min(min(plan[0], plan[2], c.date_start) for c, plan in batch)
        last = max(max(plan[1], plan[3]) for _c, plan in batch)
        existing = {
            (m.agent_contract_id.id, m.agent_period_start, m.agent_period_end): m
            for m in self.env["account.move"].search(
                [
                    ("agent_contract_id", "in", contracts.ids),
                    *self.env["account.move"]._agent_live_domain(),
                ]
            )
        }
        Deployment = self.env["agent.billing.deployment"]
        deployments = Deployment.search(
            Deployment._billable_domain(first, last)
            + [("partner_id", "in", partners.ids), ("company_id", "=", self.company_id.id)]
        )
        usages = self.env["agent.billing.usage"].search(
            [
                ("partner_id", "in", partners.ids),
                ("company_id", "=", self.company_id.id),
                ("date", "<=", last),
                ("invoice_line_id", "=", False),
            ]
        )
        overrides = self.env["agent.billing.price.override"].search(
            [
                ("partner_id", "in", partners.ids),
                ("company_id", "=", self.company_id.id),
                ("date_from", "<=", last),
                "|",
                ("date_to", "=", False),
                ("date_to", ">=", first),
            ]
        )
        prepaid = (
            self.env["agent.billing.prepaid.block"]._rating_balances(
                partners, self.company_id, first, last
            )
            if usages
            else None
        )
        billed = self.env["agent.billing.contract"]._agent_billed_candidates(contracts)
        by_partner = {}
        for name, records in (
            ("deployments", deployments),
            ("usages", usages),
            ("overrides", overrides),
        ):
            for record in records:
                by_partner.setdefault((name, record.partner_id.id), []).append(record.id)
        previous = self._previous_totals(list(contracts))
        vals_list = []
        for contract, plan in batch:
            partner_id = contract.partner_id.id
            candidates = {
                name: self.env[model].browse(by_partner.get((name, partner_id), []))
                for name, model in (
                    ("deployments", "agent.billing.deployment"),
                    ("usages", "agent.billing.usage"),
                    ("overrides", "agent.billing.price.override"),
                )
            }
            candidates["prepaid"] = prepaid
            candidates["billed"] = billed
            vals_list.append(
                self._rating_row(contract, plan, previous.get(contract.id), existing, candidates)
            )
        return self.env["agent.billing.run.line"].create(vals_list)

    def _rating_row(self, contract, plan, previous_total, existing, candidates):
        """Values of the pre-flight row of one contract (no database write)."""
        period_start, period_end, usage_start, usage_end = plan
        base_vals = {
            "run_id": self.id,
            "contract_id": contract.id,
            "partner_id": contract.partner_id.id,
            "currency_id": contract.currency_id.id,
            "period_start": period_start,
            "period_end": period_end,
            "usage_start": usage_start,
            "usage_end": usage_end,
        }
        move = existing.get((contract.id, period_start, period_end))
        if move:
            return {
                **base_vals,
                "state": "skipped",
                "included": False,
                "message": _("Already invoiced by %(move)s.", move=move.display_name),
            }
        try:
            values = self._rating_values(contract, plan, previous_total, candidates)
        except (PricingError, UserError, ValidationError) as exc:
            _logger.info("Billing run %s: %s not rated: %s", self.id, contract.name, exc)
            return {**base_vals, "state": "error", "included": False, "message": str(exc)}
        return {**base_vals, **values}

    def _rate_contract(self, contract, plan, previous_total):
        """Pre-flight row of a single contract."""
        return self._rate_batch([(contract, plan)])

    def _bill_batches(self, commit, batch_size=None):
        """Rate and create the drafts (scheduled runs), in batches that commit as they go.

        Returns True when the work was handed to jobs (see ``_fan_out``) that finish the run
        themselves, False when it was all done here."""
        self.ensure_one()
        batch_size = batch_size or self.company_id.agent_billing_batch_size or 50
        done_contracts = set(self.line_ids.contract_id.ids)
        todo = [c.id for c, _plan in self._contracts_to_bill() if c.id not in done_contracts]
        if commit and self._fan_out("bill", todo, batch_size):
            return True
        self._compute_batches(commit=commit, batch_size=batch_size)
        self._invoice_batches(commit=commit, batch_size=batch_size)
        return False

    # --- Scale-out ---------------------------------------------------------------------------
    def _fan_out(self, step, ids, batch_size):
        """Hand ``step`` over ``ids`` to jobs that other Odoo servers may run; True if done.

        The base addon does all the work in the scheduled action's own committed batches,
        with ``_notify_progress``. The optional ``agent_billing_queue`` addon (with OCA
        ``queue_job``) overrides this hook to split big runs into jobs."""
        return False

    def _fan_out_step(self, step, ids, batch_size):
        """One job's share of a step: ``bill`` rates and invoices these contracts, in batches
        inside the job's transaction (the job commits once, at its end)."""
        self.ensure_one()
        if step != "bill":
            raise UserError(
                _("Billing run %(run)s: unknown step %(step)s.", run=self.name, step=step)
            )
        contracts = set(ids)
        done = set(self.line_ids.contract_id.ids)
        todo = [
            (c, plan)
            for c, plan in self._contracts_to_bill()
            if c.id in contracts and c.id not in done
        ]
        for start in range(0, len(todo), batch_size):
            rows = self._rate_batch(todo[start : start + batch_size])
            rows._create_invoices()
        return len(todo)

    def _notify(self, done, total):
        self.env["ir.cron"]._notify_progress(done=done, remaining=max(total - done, 0))

    def _previous_totals(self, contracts):
        """Untaxed total of each contract's last invoice before this period."""
        if not contracts:
            return {}
        self.env["account.move"].flush_model(
            ["agent_contract_id", "agent_period_end", "amount_untaxed", "state", "move_type"]
        )
        rows = self.env.execute_query_dict(
            SQL(
                """SELECT DISTINCT ON (agent_contract_id) agent_contract_id, amount_untaxed
                 FROM account_move
                WHERE agent_contract_id IN %s AND move_type = 'out_invoice'
                  AND state != 'cancel' AND agent_period_end < %s
             ORDER BY agent_contract_id, agent_period_end DESC, id DESC""",
                tuple(c.id for c in contracts),
                self.period_start,
            )
        )
        return {row["agent_contract_id"]: row["amount_untaxed"] for row in rows}

    def _rating_values(self, contract, plan, previous_total, candidates=None):
        period_start, period_end, usage_start, usage_end = plan
        candidates = candidates or {}
        deployments = contract._rating_deployments(
            period_start, period_end, candidates=candidates.get("deployments")
        )
        usages = contract._rating_usages(
            usage_start, usage_end, unbilled_only=True, candidates=candidates.get("usages")
        )
        rating = contract._rate_period(
            period_start,
            period_end,
            deployments=deployments,
            usages=usages,
            overrides=candidates.get("overrides"),
            prepaid_blocks=candidates.get("prepaid"),
        )
        detail_vals, amounts = self._ledger_details(contract, plan, rating, candidates)
        details = [fields.Command.create(vals) for vals in detail_vals]
        journal = self._journal()
        products = [cmd[2]["product_id"] for cmd in details if cmd[2].get("product_id")]
        products = self.env["product.product"].browse(products)
        missing_tax = sum(
            1
            for cmd in details
            if not cmd[2].get("product_id")
            or not products.browse(cmd[2]["product_id"]).taxes_id.filtered(
                lambda t, c=contract: t.company_id in (c.company_id | c.company_id.parent_ids)
            )
        )
        missing_account = (
            0
            if journal.default_account_id
            else sum(
                1
                for cmd in details
                if not cmd[2].get("product_id")
                or not products.browse(cmd[2]["product_id"])._get_product_accounts()["income"]
            )
        )
        active_deployments = len(
            deployments.filtered(
                lambda d, ps=period_start, pe=period_end: (
                    d.date_start <= pe and (not d.date_end or d.date_end >= ps)
                )
            )
        )
        total = sum(amounts, to_decimal(0))
        result = score_anomalies(
            AnomalyInput(
                total=total,
                previous_total=to_decimal(previous_total) if previous_total is not None else None,
                # lines covered by a prepaid block are zero by design
                line_amounts=tuple(
                    amount
                    for amount, vals in zip(amounts, detail_vals, strict=True)
                    if vals["kind"] != "prepaid"
                ),
                active_deployments=active_deployments,
                usage_events=len(usages),
                billing_model=contract.billing_model,
                lines_missing_tax=missing_tax,
                lines_missing_account=missing_account,
                change_threshold_pct=to_decimal(self.change_threshold or 50.0),
            )
        )
        nothing = not detail_vals
        return {
            "state": "rated",
            # a client with nothing at all to bill stays visible but gets no (empty) invoice
            "included": not nothing,
            "message": _("Nothing to bill for this period.") if nothing else False,
            "total": float(total),
            "previous_total": float(previous_total) if previous_total is not None else 0.0,
            "has_previous": previous_total is not None,
            "change_pct": float(result.change_pct) if result.change_pct is not None else 0.0,
            "anomaly_score": result.score,
            "anomaly_codes": ",".join(a.code for a in result.anomalies),
            "anomaly_reasons": "\n".join(a.message for a in result.anomalies),
            "active_deployments": active_deployments,
            "usage_events": len(usages),
            "detail_ids": details,
        }

    def _ledger_details(self, contract, plan, rating, candidates=None):
        """The row's detail values and exact amounts: the agent lines from the billing ledger
        (what is due up to the end of the agent period of the plan, less what live invoices
        cover), then the usage, prepaid and minimum lines of the rating."""
        Detail = self.env["agent.billing.run.detail"]
        candidates = candidates or {}
        agent_vals, agent_amounts = contract._agent_ledger_details(
            until=plan[1],
            candidates={
                "deployments": candidates.get("deployments"),
                "overrides": candidates.get("overrides"),
                "billed": candidates.get("billed"),
            },
        )
        others = [
            (vals, line.amount)
            for vals, line in zip(Detail._from_rating(contract, rating), rating.lines, strict=True)
            if vals["kind"] != "agents"
        ]
        detail_vals = agent_vals + [vals for vals, _amount in others]
        amounts = agent_amounts + [amount for _vals, amount in others]
        for sequence, vals in enumerate(detail_vals, start=1):
            vals["sequence"] = sequence * 10
        return detail_vals, amounts

    def _journal(self):
        self.ensure_one()
        return self.company_id.agent_billing_journal_id or self.env["account.journal"].search(
            [("type", "=", "sale"), ("company_id", "=", self.company_id.id)], limit=1
        )

    # --- Step 2: create the draft invoices ---------------------------------------------------
    def action_create_invoices(self):
        self._lock()
        self._check_state(("computed", "invoiced"), _("create invoices for"))
        for run in self:
            run._invoice_batches(commit=False)
        return True

    def _invoice_batches(self, commit, batch_size=None):
        self.ensure_one()
        batch_size = batch_size or self.company_id.agent_billing_batch_size or 50
        todo = self.line_ids.filtered(
            lambda line: line.included and line.state == "rated" and not line.move_id
        )
        total = len(todo)
        for start in range(0, total, batch_size):
            batch = todo[start : start + batch_size]
            # a fresh cache per batch keeps memory flat over big runs
            self.env.flush_all()
            self.env.invalidate_all()
            batch = batch.with_prefetch(batch._ids)
            batch._create_invoices()
            self._notify(done=start + len(batch), total=total)
            if commit:
                self.env.cr.commit()  # pylint: disable=invalid-commit
        self.state = "invoiced"
        return total

    # --- Step 3: post, send ------------------------------------------------------------------
    def action_post(self):
        self._lock()
        self._check_state(("invoiced", "posted"), _("post invoices of"))
        for run in self:
            drafts = run.move_ids.filtered(lambda m: m.state == "draft")
            drafts.action_post()
            run.state = "posted"
        return True

    def action_post_and_send(self):
        self.action_post()
        moves = self.move_ids.filtered(lambda m: m.state == "posted" and not m.is_move_sent)
        if moves:
            # Odoo's own asynchronous sending: mail template with the PDF, per partner settings
            moves.sending_data = {
                "author_user_id": self.env.user.id,
                "author_partner_id": self.env.user.partner_id.id,
            }
            self.env.ref("account.ir_cron_account_move_send")._trigger()
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "info",
                "title": _("Sending invoices"),
                "message": _(
                    "%(n)s invoice(s) posted; they are being sent in the background.", n=len(moves)
                ),
                "next": {"type": "ir.actions.act_window_close"},
            },
        }

    def action_cancel(self):
        self._lock()
        for run in self:
            if run.move_ids.filtered(lambda m: m.state == "posted"):
                raise UserError(
                    _(
                        "%(run)s has posted invoices. Reverse them with credit notes; a run with "
                        "posted invoices cannot be cancelled.",
                        run=run.name,
                    )
                )
            drafts = run.move_ids.filtered(lambda m: m.state == "draft")
            drafts.button_cancel()  # releases the usage they billed
            run.state = "cancelled"
        return True

    def action_reset_to_draft(self):
        self._check_state(("computed",), _("reset"))
        self.line_ids.unlink()
        self.state = "draft"

    # --- Views ---------------------------------------------------------------------------------
    def action_view_invoices(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "account.action_move_out_invoice_type"
        )
        action["domain"] = [("agent_run_id", "=", self.id)]
        action["context"] = {"default_move_type": "out_invoice", "create": False}
        return action

    def action_export_xlsx(self):
        """The pre-flight as an XLSX sheet, typed cells and a totals row."""
        self.ensure_one()
        import openpyxl  # noqa: PLC0415  (imported only when exporting)
        from openpyxl.styles import Font

        workbook = openpyxl.Workbook()
        sheet = workbook.active
        sheet.title = _("Pre-flight")
        headers = [
            _("Client"),
            _("Contract"),
            _("Billing Model"),
            _("Period Start"),
            _("Period End"),
            _("Currency"),
            _("Total"),
            _("Previous Total"),
            _("Change %"),
            _("Anomaly Score"),
            _("Anomalies"),
            _("Included"),
            _("Status"),
        ]
        sheet.append(headers)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        models_sel = dict(
            self.env["agent.billing.contract"]
            ._fields["billing_model"]
            ._description_selection(self.env)
        )
        states = dict(
            self.env["agent.billing.run.line"]._fields["state"]._description_selection(self.env)
        )
        lines = self.line_ids.sorted(lambda line: (-line.anomaly_score, line.partner_id.name))
        for line in lines:
            # texts a spreadsheet could run as formulas (a client named "=..."): text cells
            sheet.append(
                xlsx_row(
                    sheet,
                    [
                        line.partner_id.display_name,
                        line.contract_id.name,
                        models_sel.get(line.contract_id.billing_model),
                        line.period_start,
                        line.period_end,
                        line.currency_id.name,
                        line.total,
                        line.previous_total if line.has_previous else None,
                        line.change_pct if line.has_previous else None,
                        line.anomaly_score,
                        line.anomaly_reasons or "",
                        line.included,
                        states.get(line.state),
                    ],
                )
            )
        last = sheet.max_row
        sheet.append([_("Total"), None, None, None, None, None, f"=SUM(G2:G{last})"])
        sheet[f"A{last + 1}"].font = Font(bold=True)
        for row in sheet.iter_rows(min_row=2, max_row=last + 1):
            row[3].number_format = row[4].number_format = "yyyy-mm-dd"
            row[6].number_format = row[7].number_format = "#,##0.00"
            row[8].number_format = "0.0"
        sheet.freeze_panes = "A2"
        for column, width in zip(
            "ABCDEFGHIJKLM", (32, 16, 18, 12, 12, 9, 14, 14, 10, 9, 60, 9, 12), strict=True
        ):
            sheet.column_dimensions[column].width = width
        buffer = io.BytesIO()
        workbook.save(buffer)
        attachment = self.env["ir.attachment"].create(
            {
                "name": f"{self.name} - pre-flight.xlsx",
                "datas": base64.b64encode(buffer.getvalue()),
                "res_model": self._name,
                "res_id": self.id,
                "mimetype": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            }
        )
        return {
            "type": "ir.actions.act_url",
            "url": f"/web/content/{attachment.id}?download=true",
            "target": "self",
        }

    # --- Scheduled action ----------------------------------------------------------------------
    @api.model
    def _cron_run_billing(self, today=None):
        """On each company's run day (or later, if a day was missed), bill the previous month.

        Resumable: a run left half-way by a crash is continued where it stopped.
        """
        today = today or fields.Date.context_today(self)
        period_end = today.replace(day=1) - timedelta(days=1)
        period_start = period_end.replace(day=1)
        commit = not _in_test_mode()
        # the scheduler runs as superuser and bills every company; a user, only theirs
        companies = self.env["res.company"].search([]) if self.env.su else self.env.companies
        failed = self.env["res.company"]
        for company in companies:
            if today.day < company.agent_billing_run_day:
                continue
            # one company's failure is logged and the others are billed: in a scheduled run
            # its committed batches stay (the run resumes there next time), in test mode a
            # savepoint stands for the rollback
            try:
                if commit:
                    self._cron_run_company(company, period_start, period_end, today, commit)
                else:
                    with self.env.cr.savepoint():
                        self._cron_run_company(company, period_start, period_end, today, commit)
            except Exception:
                if commit:
                    self.env.cr.rollback()
                _logger.exception(
                    "Billing run of %s for %s - %s failed; the other companies are billed.",
                    company.name,
                    period_start,
                    period_end,
                )
                failed |= company
        return failed

    def _cron_run_company(self, company, period_start, period_end, today, commit):
        """Create or resume one company's run of the period, and process it."""
        run_model = self.with_company(company).with_context(allowed_company_ids=[company.id])
        run = run_model.search(
            [
                ("company_id", "=", company.id),
                ("period_start", "=", period_start),
                ("period_end", "=", period_end),
                ("state", "!=", "cancelled"),
            ],
            limit=1,
        )
        if not run:
            run = run_model.create(
                {
                    "company_id": company.id,
                    "period_start": period_start,
                    "period_end": period_end,
                    "origin": "cron",
                    "invoice_date": today,
                }
            )
            if commit:
                self.env.cr.commit()  # pylint: disable=invalid-commit
        elif run.origin != "cron" or run.state in ("posted",):
            return run  # a person runs this period by hand, or it is done
        run._cron_process(commit)
        return run

    def _cron_process(self, commit):
        self.ensure_one()
        self._lock()
        if self.state == "draft" and self._bill_batches(commit=commit):
            return  # jobs bill the run and finish it
        self._cron_finish(commit)

    def _cron_finish(self, commit):
        """After the rating and invoicing of a scheduled run: resume what is left, post the
        clean drafts when the company says so, and report the errors."""
        self.ensure_one()
        if self.state in ("computed", "invoiced"):
            # resume also after a crash between batches: rows without invoice are done now
            self._invoice_batches(commit=commit)
        if self.state == "invoiced" and self.company_id.agent_billing_auto_post:
            clean = self.line_ids.filtered(lambda line: line.anomaly_score == 0).move_id
            clean.filtered(lambda m: m.state == "draft").action_post()
            if not self.move_ids.filtered(lambda m: m.state == "draft"):
                self.state = "posted"
        if self.error_count:
            self.message_post(
                body=_(
                    "%(n)s client(s) could not be billed; see the rows marked Error.",
                    n=self.error_count,
                )
            )
        if commit:
            self.env.cr.commit()  # pylint: disable=invalid-commit
