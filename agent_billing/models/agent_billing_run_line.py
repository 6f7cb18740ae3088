import logging

from psycopg2 import errors as pg_errors

from odoo import _, api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import float_compare

_logger = logging.getLogger(__name__)


class AgentBillingRunLine(models.Model):
    """Pre-flight row: what one client contract is about to be billed in a run, and why it may
    be wrong."""

    _name = "agent.billing.run.line"
    _description = "Billing run pre-flight row"
    _order = "anomaly_score desc, partner_id, id"
    _check_company_auto = True

    run_id = fields.Many2one("agent.billing.run", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="run_id.company_id", store=True, index=True)
    contract_id = fields.Many2one(
        "agent.billing.contract", required=True, index=True, check_company=True
    )
    partner_id = fields.Many2one("res.partner", "Client", required=True, index=True)
    billing_model = fields.Selection(related="contract_id.billing_model")
    currency_id = fields.Many2one("res.currency", required=True)
    period_start = fields.Date(required=True)
    period_end = fields.Date(required=True)
    usage_start = fields.Date()
    usage_end = fields.Date()
    state = fields.Selection(
        [
            ("rated", "Ready"),
            ("invoiced", "Invoiced"),
            ("skipped", "Already Invoiced"),
            ("error", "Error"),
        ],
        required=True,
        default="rated",
    )
    included = fields.Boolean(default=True, help="Untick to leave this client out of the run.")
    message = fields.Text(help="Why the client was skipped or could not be rated.")
    total = fields.Monetary()
    previous_total = fields.Monetary()
    has_previous = fields.Boolean()
    change_pct = fields.Float("Change (%)", digits=(16, 1))
    anomaly_score = fields.Integer(index=True)
    anomaly_codes = fields.Char()
    anomaly_reasons = fields.Text("Anomalies")
    active_deployments = fields.Integer()
    usage_events = fields.Integer()
    detail_ids = fields.One2many("agent.billing.run.detail", "line_id", "Lines")
    move_id = fields.Many2one("account.move", "Invoice", readonly=True, index="btree_not_null")
    move_state = fields.Selection(related="move_id.state", string="Invoice Status")

    @api.depends("partner_id", "run_id")
    def _compute_display_name(self):
        for line in self:
            line.display_name = f"{line.partner_id.display_name} - {line.run_id.name}"

    def action_include(self):
        self._check_editable()
        self.filtered(lambda line: line.state == "rated").included = True

    def action_exclude(self):
        self._check_editable()
        self.included = False

    def _check_editable(self):
        if self.filtered("move_id"):
            raise UserError(
                _(
                    "These clients already have their invoice; delete or cancel the "
                    "draft invoice instead."
                )
            )

    def write(self, vals):
        if "included" in vals:
            self._check_editable()
            if vals["included"] and self.filtered(lambda line: line.state != "rated"):
                raise UserError(_("Only clients that were rated without error can be included."))
        return super().write(vals)

    def action_open(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "target": "current",
        }

    # --- Invoice preparation (each step overridable on its own) ------------------------------
    def _prepare_invoice(self):
        self.ensure_one()
        run, contract = self.run_id, self.contract_id
        invoice_date = run.invoice_date or fields.Date.add(self.period_end, days=1)
        # what the ledger credits more than it charges goes on a credit note: a customer
        # invoice cannot be negative
        refund = self.currency_id.compare_amounts(self.total, 0.0) < 0
        lines = [detail._prepare_invoice_line() for detail in self.detail_ids.sorted("sequence")]
        if refund:
            for line in lines:
                line["price_unit"] = -line["price_unit"]
        vals = {
            "move_type": "out_refund" if refund else "out_invoice",
            "company_id": run.company_id.id,
            "partner_id": (contract.partner_invoice_id or contract.partner_id).id,
            "currency_id": self.currency_id.id,
            "invoice_date": invoice_date,
            "invoice_origin": contract.name,
            "agent_contract_id": contract.id,
            "agent_period_start": self.period_start,
            "agent_period_end": self.period_end,
            "agent_run_id": run.id,
            "invoice_line_ids": [fields.Command.create(line) for line in lines],
        }
        journal = run._journal()
        if journal:
            vals["journal_id"] = journal.id
        if contract.payment_term_id:
            vals["invoice_payment_term_id"] = contract.payment_term_id.id
        else:  # no terms: due on the invoice date (Odoo would take the day it is created)
            vals["invoice_date_due"] = invoice_date
        return vals

    def _create_invoices(self):
        """One batched create for these rows; on a failure, one savepoint per row so that a
        single bad client is reported and the others still get their invoice."""
        Move = self.env["account.move"].with_context(default_move_type="out_invoice")
        rows = self.filtered(
            lambda line: line.included and line.state == "rated" and not line.move_id
        )
        if not rows:
            return
        try:
            with self.env.cr.savepoint():
                moves = Move.create([row._prepare_invoice() for row in rows])
                for row, move in zip(rows, moves, strict=True):
                    row._link_invoice(move)
            return
        except (
            UserError,
            ValidationError,
            pg_errors.IntegrityError,
            pg_errors.SerializationFailure,
        ) as exc:
            _logger.info("Batch invoice creation failed (%s); retrying client by client", exc)
        for row in rows:
            try:
                with self.env.cr.savepoint():
                    row._link_invoice(Move.create([row._prepare_invoice()]))
            except pg_errors.UniqueViolation:
                row.write(
                    {
                        "state": "skipped",
                        "included": False,
                        "message": _(
                            "Another invoice for this contract and period was created meanwhile."
                        ),
                    }
                )
            except pg_errors.SerializationFailure:
                row.write(
                    {
                        "state": "error",
                        "included": False,
                        "message": _(
                            "%(contract)s was billed by another run or a manual invoice at the same "
                            "moment: nothing was created for it. Compute the run again.",
                            contract=row.contract_id.display_name,
                        ),
                    }
                )
            except (UserError, ValidationError, pg_errors.IntegrityError) as exc:
                row.write({"state": "error", "included": False, "message": str(exc)})

    def _link_invoice(self, move):
        self.ensure_one()
        self.contract_id._ledger_bump()
        if move.invoice_payment_term_id:
            # a draft created with its lines gets its due date before its payment-term line
            # exists (Odoo takes today); compute it again from the terms now
            move._compute_invoice_date_due()
        for detail, move_line in zip(
            self.detail_ids.sorted("sequence"),
            move.invoice_line_ids.sorted("sequence"),
            strict=True,
        ):
            detail.usage_ids.write({"invoice_line_id": move_line.id})
        move.invoice_line_ids._agent_consume_prepaid()
        invoiced = move._agent_rated_amount()
        if move.move_type == "out_refund":
            invoiced = -invoiced
        if float_compare(invoiced, self.total, precision_rounding=self.currency_id.rounding):
            raise ValidationError(
                _(
                    "Invoice of %(client)s totals %(inv)s but the rating gave %(rated)s; nothing was "
                    "created for this client.",
                    client=self.partner_id.display_name,
                    inv=invoiced,
                    rated=self.total,
                )
            )
        self.write({"move_id": move.id, "state": "invoiced"})
