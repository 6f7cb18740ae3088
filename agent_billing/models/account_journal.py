# pylint: disable=consider-merging-classes-inherited
"""Invoice numbering per sales journal: prefix, year, month and number width.

The numbers stay Odoo's own (``sequence.mixin``): the journal's format only decides the first
number of a period (``_get_starting_sequence``) and which earlier numbers continue the chain
(``_get_last_sequence``, restricted to the format's prefix for the move's date). Odoo then
increments, checks the date against the year and month in the number, and starts again at 1
in each new year or month by itself.
"""

import re

from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

# letters, words joined by / . _ or -: never a digit, which Odoo's sequence parsing would read
# as a year, a month or the number itself
PREFIX_PATTERN = re.compile(r"^[A-Za-z]+(?:[/._-][A-Za-z]+)*$")
PREFIX_MAX_LENGTH = 20
# sequence.mixin splits the number with \d{0,9}: a tenth digit would leak into the prefix
MAX_PADDING = 9

SEQUENCE_RESETS = [
    ("never", "Never (PREFIX/0001)"),
    ("year", "Every year (PREFIX/2025/0001)"),
    ("month", "Every month (PREFIX/2025/03/0001)"),
]


def sequence_prefix(prefix, reset, on_date):
    """Everything before the number, e.g. ``AB/2025/03/``, for a move dated ``on_date``."""
    parts = [prefix]
    if reset in ("year", "month"):
        parts.append(f"{on_date.year:04d}")
    if reset == "month":
        parts.append(f"{on_date.month:02d}")
    return "/".join(parts) + "/"


class AccountJournal(models.Model):
    _inherit = "account.journal"

    # --- Invoice numbering ---
    agent_sequence_prefix = fields.Char(
        "Invoice Number Prefix",
        help="Letters only, optionally joined by / . _ or -, e.g. AB or AB-INV. Empty: Odoo's "
        "default numbering from the journal's short code. Applies from the next number given; "
        "credit notes with their own numbering get an R in front.",
    )
    agent_sequence_reset = fields.Selection(
        SEQUENCE_RESETS,
        "Year and Month in Number",
        default="year",
        required=True,
        help="Which date parts the number carries; the counter starts again at 1 when they change.",
    )
    agent_sequence_padding = fields.Integer(
        "Number Digits",
        default=4,
        help="Width of the counter, padded with zeros (1-9).",
    )
    agent_sequence_example = fields.Char(
        "Next Period's First Number",
        compute="_compute_agent_sequence_example",
    )

    @api.depends("agent_sequence_prefix", "agent_sequence_reset", "agent_sequence_padding")
    def _compute_agent_sequence_example(self):
        today = fields.Date.context_today(self)
        for journal in self:
            if journal.agent_sequence_prefix and 1 <= journal.agent_sequence_padding <= 9:
                journal.agent_sequence_example = journal._agent_sequence_name(today, 1)
            else:
                journal.agent_sequence_example = False

    @api.constrains("agent_sequence_prefix", "agent_sequence_padding")
    def _check_agent_sequence_format(self):
        for journal in self:
            prefix = journal.agent_sequence_prefix
            if not prefix:
                continue
            if len(prefix) > PREFIX_MAX_LENGTH or not PREFIX_PATTERN.match(prefix):
                raise ValidationError(
                    _(
                        "Journal %(journal)s: the invoice number prefix %(prefix)s may only hold "
                        "letters, joined by / . _ or - (at most %(max)s characters, no digits: "
                        "Odoo reads digits as the year, month or number).",
                        journal=journal.display_name,
                        prefix=repr(prefix),
                        max=PREFIX_MAX_LENGTH,
                    )
                )
            if not 1 <= journal.agent_sequence_padding <= MAX_PADDING:
                raise ValidationError(
                    _(
                        "Journal %(journal)s: the invoice number needs between 1 and %(max)s "
                        "digits, not %(digits)s.",
                        journal=journal.display_name,
                        max=MAX_PADDING,
                        digits=journal.agent_sequence_padding,
                    )
                )

    def _agent_sequence_name(self, on_date, number, refund=False):
        """The invoice number ``number`` of the period of ``on_date`` in this journal's format."""
        self.ensure_one()
        prefix = ("R" if refund else "") + self.agent_sequence_prefix
        start = sequence_prefix(prefix, self.agent_sequence_reset, on_date)
        return f"{start}{number:0{self.agent_sequence_padding}d}"


class AccountMove(models.Model):
    _inherit = "account.move"

    def _agent_sequence_prefix(self):
        """The number prefix the journal's format gives this move, or None (Odoo's default)."""
        self.ensure_one()
        journal = self.journal_id
        if not journal.agent_sequence_prefix or not self.date:
            return None
        if journal.payment_sequence and (
            self.origin_payment_id or self.env.context.get("is_payment")
        ):
            return None
        refund = journal.refund_sequence and self.move_type in ("out_refund", "in_refund")
        prefix = ("R" if refund else "") + journal.agent_sequence_prefix
        return sequence_prefix(prefix, journal.agent_sequence_reset, self.date)

    def _get_starting_sequence(self):
        # EXTENDS account: the first number of a period in the journal's format ("number 0",
        # which Odoo increments)
        prefix = self._agent_sequence_prefix()
        if prefix is None:
            return super()._get_starting_sequence()
        return prefix + "0" * self.journal_id.agent_sequence_padding

    def _get_last_sequence(self, relaxed=False, with_prefix=None):
        # EXTENDS sequence.mixin: with a journal format, the chain is the numbers carrying this
        # period's prefix (which holds the year and month), whatever the journal used before
        if with_prefix is None:
            prefix = self._agent_sequence_prefix()
            if prefix is not None:
                return super()._get_last_sequence(relaxed=True, with_prefix=prefix)
        return super()._get_last_sequence(relaxed=relaxed, with_prefix=with_prefix)
