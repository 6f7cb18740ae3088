# pylint: disable=consider-merging-classes-inherited
# (credit notes, payments and audit in their own file)
from markupsafe import Markup

from odoo import _, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL, format_date
from odoo.tools.misc import format_amount

CREDIT_TYPES = [
    ("refund", "Refund"),
    ("adjustment", "Adjustment"),
    ("write_off", "Write-off"),
    ("discount", "Discount"),
    ("error", "Error Correction"),
    ("overpayment", "Overpayment"),
    ("goodwill", "Goodwill"),
]


class AccountMove(models.Model):
    _inherit = "account.move"

    # --- Internal notes: staff only, never printed nor sent ---
    agent_internal_note = fields.Html(
        "Internal Notes",
        groups="account.group_account_invoice",
        copy=False,
        help="Visible to invoicing staff only: never printed on the invoice nor sent to the "
        "client.",
    )

    # --- Credit notes ---
    agent_credit_type = fields.Selection(
        CREDIT_TYPES,
        "Credit Type",
        copy=False,
        tracking=True,
        index="btree_not_null",
        help="Why this credit note was issued.",
    )
    agent_release_usage = fields.Boolean(
        "Release Usage for Rebilling",
        copy=False,
        tracking=True,
        help="On posting, the usage billed by the credited invoice is released and the "
        "invoice no longer counts as its contract's invoice for the period: a billing run may "
        "bill the period again. Only for a credit note of the full invoice.",
    )

    # --- Helpers ---------------------------------------------------------------------------
    def _agent_amount(self, currency):
        """Total of this document in ``currency`` (its own, or else the company's)."""
        self.ensure_one()
        if self.currency_id == currency:
            return self.amount_total
        return abs(self.amount_total_signed)

    def _agent_posted_credit_notes(self):
        """Posted customer credit notes reversing this invoice."""
        self.ensure_one()
        return self.reversal_move_ids.filtered(
            lambda m: m.move_type == "out_refund" and m.state == "posted"
        )

    def _agent_credit_currency(self, credit_notes):
        self.ensure_one()
        if all(note.currency_id == self.currency_id for note in credit_notes):
            return self.currency_id
        return self.company_id.currency_id

    def _agent_creditable_untaxed(self):
        """Untaxed amount of this invoice not credited yet by posted credit notes (invoice
        currency)."""
        self.ensure_one()
        currency = self.currency_id
        rate = self.invoice_currency_rate or 1.0  # company currency -> invoice currency
        credited = currency.round(
            sum(
                note.amount_untaxed
                if note.currency_id == currency
                else currency.round(abs(note.amount_untaxed_signed) * rate)
                for note in self._agent_posted_credit_notes()
            )
        )
        return currency.round(self.amount_untaxed - credited)

    # --- Posting ---------------------------------------------------------------------------
    def _post(self, soft=True):
        credit_notes = self.filtered(
            lambda m: m.move_type == "out_refund" and m.reversed_entry_id.move_type == "out_invoice"
        )
        if credit_notes:
            credit_notes._agent_check_credit_total()
        posted = super()._post(soft=soft)
        to_release = posted.filtered(
            lambda m: (
                m.move_type == "out_refund"
                and m.agent_release_usage
                and m.reversed_entry_id
                and m.state == "posted"
            )
        )
        if to_release:
            to_release._agent_release_usage()
        return posted

    def _agent_check_credit_total(self):
        """Refuse credit notes that would credit an invoice for more than its total."""
        invoices = self.reversed_entry_id
        # two users posting credit notes of the same invoice at once: one waits for the other
        self.env.cr.execute(
            SQL(
                "SELECT id FROM account_move WHERE id IN %s FOR NO KEY UPDATE",
                tuple(invoices.ids),
            )
        )
        for invoice in invoices:
            new_notes = self.filtered(lambda m, inv=invoice: m.reversed_entry_id == inv)
            earlier = invoice._agent_posted_credit_notes() - new_notes
            currency = invoice._agent_credit_currency(earlier | new_notes)
            total = invoice._agent_amount(currency)
            credited = currency.round(sum(note._agent_amount(currency) for note in earlier))
            for note in new_notes:
                amount = note._agent_amount(currency)
                if currency.compare_amounts(credited + amount, total) > 0:
                    raise UserError(
                        _(
                            "Credit note %(credit)s (%(amount)s) cannot be posted: with the credit "
                            "notes already posted for %(invoice)s (%(credited)s), it would credit "
                            "more than the invoice total of %(total)s. At most %(left)s can still "
                            "be credited.",
                            credit=note.display_name,
                            amount=format_amount(self.env, amount, currency),
                            invoice=invoice.name,
                            credited=format_amount(self.env, credited, currency),
                            total=format_amount(self.env, total, currency),
                            left=format_amount(self.env, max(total - credited, 0.0), currency),
                        )
                    )
                credited = currency.round(credited + amount)

    def _agent_release_usage(self):
        """After a full credit note: the usage billed by the credited invoice becomes unbilled
        and the invoice stops counting for its contract's period."""
        for note in self:
            invoice = note.reversed_entry_id
            notes = invoice._agent_posted_credit_notes()
            currency = invoice._agent_credit_currency(notes)
            credited = currency.round(sum(n._agent_amount(currency) for n in notes))
            total = invoice._agent_amount(currency)
            if currency.compare_amounts(credited, total) < 0:
                raise UserError(
                    _(
                        "Credit note %(credit)s releases the usage of %(invoice)s for rebilling, but "
                        "the invoice is credited for %(credited)s of %(total)s only. Credit the full "
                        'invoice, or untick "Release Usage for Rebilling" on the credit note.',
                        credit=note.name,
                        invoice=invoice.name,
                        credited=format_amount(self.env, credited, currency),
                        total=format_amount(self.env, total, currency),
                    )
                )
            if invoice.agent_period_released:
                continue  # released by an earlier credit note: nothing to do twice
            invoice.check_access("write")
            usages = invoice.invoice_line_ids.agent_usage_ids
            # the user may credit this invoice (checked just above): releasing its usage is part
            # of that, even for an accountant without agent billing rights on usage records
            usages.sudo().write({"invoice_line_id": False})
            # the units prepaid blocks gave to the credited lines go back to them as well
            invoice.invoice_line_ids.sudo()._agent_return_prepaid(
                _("credited by %(credit)s", credit=note.name)
            )
            invoice.agent_period_released = True
            invoice._message_log(
                body=_(
                    "Fully credited by %(credit)s: %(n)s usage record(s) released, the period "
                    "%(start)s - %(end)s may be billed again.",
                    credit=note._get_html_link(),
                    n=len(usages),
                    start=format_date(self.env, invoice.agent_period_start) or "-",
                    end=format_date(self.env, invoice.agent_period_end) or "-",
                )
            )

    def button_draft(self):
        for move in self:
            if (
                move.move_type == "out_refund"
                and move.agent_release_usage
                and move.state == "posted"
                and move.reversed_entry_id.agent_period_released
            ):
                raise UserError(
                    _(
                        "%(credit)s released the usage of %(invoice)s for rebilling; the period may "
                        "have been billed again since. Issue a new invoice instead of reopening the "
                        "credit note.",
                        credit=move.name,
                        invoice=move.reversed_entry_id.name,
                    )
                )
            if move.move_type == "out_invoice" and move.agent_period_released:
                raise UserError(
                    _(
                        "%(invoice)s was fully credited and its usage released for rebilling: it "
                        "cannot be reopened.",
                        invoice=move.name,
                    )
                )
        return super().button_draft()


class AccountPayment(models.Model):
    _inherit = "account.payment"

    # Odoo tracks the date, partner, method and signed amount; the audit trail needs the
    # amount and the status too
    amount = fields.Monetary(tracking=True)
    state = fields.Selection(tracking=True)


class AccountPartialReconcile(models.Model):
    _inherit = "account.partial.reconcile"

    @api.model_create_multi
    def create(self, vals_list):
        partials = super().create(vals_list)
        partials._agent_log_on_invoices(matched=True)
        return partials

    def unlink(self):
        self._agent_log_on_invoices(matched=False)
        return super().unlink()

    def _agent_log_on_invoices(self, matched):
        """One chatter line on each customer invoice per payment / credit note matched with it
        or unmatched from it (Odoo itself only tracks the invoice's payment status)."""
        bodies = {}
        for partial in self:
            for line, counterpart, amount in (
                (partial.debit_move_id, partial.credit_move_id, partial.debit_amount_currency),
                (partial.credit_move_id, partial.debit_move_id, partial.credit_amount_currency),
            ):
                invoice = line.move_id
                if invoice.move_type != "out_invoice":
                    continue
                source = counterpart.move_id
                if source.origin_payment_id:
                    doc = source.origin_payment_id._get_html_link()
                    kind = _("Payment")
                elif source.move_type == "out_refund":
                    doc, kind = source._get_html_link(), _("Credit note")
                else:
                    doc, kind = source._get_html_link(), _("Journal entry")
                amount = format_amount(self.env, amount, line.currency_id)
                if matched:
                    body = _(
                        "%(kind)s %(doc)s matched with this invoice: %(amount)s.",
                        kind=kind,
                        doc=doc,
                        amount=amount,
                    )
                else:
                    body = _(
                        "%(kind)s %(doc)s unmatched from this invoice: %(amount)s.",
                        kind=kind,
                        doc=doc,
                        amount=amount,
                    )
                bodies.setdefault(invoice.id, []).append(body)
        if bodies:
            # logged as the user who reconciles (author, date): no access beyond the
            # reconciliation they are already allowed to make
            self.env["account.move"].browse(list(bodies))._message_log_batch(
                bodies={move_id: Markup("<br/>").join(lines) for move_id, lines in bodies.items()}
            )
