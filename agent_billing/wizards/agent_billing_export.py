"""Billing exports for accountants: invoices, invoice lines with their usage, payments and aging
as CSV or XLSX, and invoices as one merged PDF or a zip of PDFs.

Records are read in chunks and the record cache is emptied after each chunk; XLSX is written
by openpyxl in write-only mode, so that an export of 100,000 lines keeps a small memory.

Texts go through ``tools/spreadsheet.py``: one that a spreadsheet could run as a formula (a
client named ``=HYPERLINK(...)``) is written as text; numbers stay numbers and our totals stay
formulas.
"""

import base64
import csv
import io
import zipfile
from dataclasses import dataclass, field
from datetime import date

from odoo import _, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import float_repr, pdf, split_every

from ..models.account_move import BILLING_STATUSES
from ..tools.spreadsheet import csv_text, xlsx_protect, xlsx_value

CHUNK_SIZE = 1000
XLSX_MAX_ROWS = 1_048_576
DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm:ss"
NUMBER_FORMAT = "#,##0.00##"


# --- Spreadsheet writing (plain values in, file bytes out) -------------------------------------
@dataclass
class Column:
    """One column: ``kind`` is text, currency (the ISO code money is summed by), date,
    datetime, int, number or money (in the row's currency)."""

    label: str
    kind: str = "text"
    width: int = 14
    digits: int = 4


@dataclass
class Sheet:
    """A table to write: ``rows`` yields ``(values, currency)``, ``currency`` being the
    res.currency of the row's money columns."""

    title: str
    columns: list
    rows: object
    currency_column: int = field(default=None)

    def __post_init__(self):
        kinds = [column.kind for column in self.columns]
        self.currency_column = kinds.index("currency") if "currency" in kinds else None


def currency_number_format(currency):
    """An Excel number format for amounts of ``currency``: its symbol on its side, its
    decimal places, thousands grouped."""
    number = "#,##0" + ("." + "0" * currency.decimal_places if currency.decimal_places else "")
    symbol = (currency.symbol or currency.name).replace('"', "")
    if currency.position == "before":
        return f'"{symbol} "{number}'
    return f'{number}" {symbol}"'


def plain_number(value, digits):
    """``value`` with a dot and no trailing zeros, e.g. 6000 or 12.5 (never 1e-05)."""
    text = float_repr(value, digits)
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def write_csv(sheet):
    """UTF-8 CSV with a header row: ISO dates, plain decimals with a dot, quoted by csv; a
    text that could run as a formula starts with ``'`` (see tools/spreadsheet.py)."""
    buffer = io.BytesIO()
    text = io.TextIOWrapper(buffer, encoding="utf-8", newline="")
    writer = csv.writer(text)
    writer.writerow([csv_text(column.label) for column in sheet.columns])
    for values, currency in sheet.rows:
        row = []
        for column, value in zip(sheet.columns, values, strict=True):
            if value is None or value is False:
                row.append("")
            elif column.kind == "date":
                row.append(value.isoformat())
            elif column.kind == "datetime":
                row.append(value.isoformat(sep=" "))
            elif column.kind == "money":
                row.append(float_repr(currency.round(value), currency.decimal_places))
            elif column.kind == "number":
                row.append(plain_number(value, column.digits))
            elif column.kind == "int":
                row.append(str(value))
            else:
                row.append(csv_text(str(value)))
        writer.writerow(row)
    text.flush()
    content = buffer.getvalue()
    text.close()
    return content


def write_xlsx(sheets, total_label="Total"):
    """An XLSX workbook, a sheet per :class:`Sheet`: typed cells, bold header, frozen header
    row, auto filter, column widths and a totals row (one per currency when they are mixed,
    labelled ``total_label`` and the currency code) with SUM formulas over the money columns.
    Texts that could run as formulas are text cells (see tools/spreadsheet.py); the SUM
    formulas are the only formulas.

    Raises OverflowError (with the sheet's title) beyond the rows a worksheet holds."""
    import openpyxl  # noqa: PLC0415  (imported only when exporting)
    from openpyxl.cell import WriteOnlyCell  # noqa: PLC0415
    from openpyxl.styles import Font  # noqa: PLC0415
    from openpyxl.utils import get_column_letter  # noqa: PLC0415

    book = openpyxl.Workbook(write_only=True)
    bold = Font(bold=True)
    for sheet in sheets:
        worksheet = book.create_sheet(sheet.title[:31])
        worksheet.freeze_panes = "A2"
        letters = [get_column_letter(index) for index in range(1, len(sheet.columns) + 1)]
        for letter, column in zip(letters, sheet.columns, strict=True):
            worksheet.column_dimensions[letter].width = column.width

        def cell(value, number_format=None, font=None, formula=False, worksheet=worksheet):
            """A styled cell: a text stays text unless it is one of our ``formula`` cells."""
            result = WriteOnlyCell(worksheet, value=value)
            if not formula:
                xlsx_protect(result)
            if number_format:
                result.number_format = number_format
            if font:
                result.font = font
            return result

        worksheet.append([cell(column.label, font=bold) for column in sheet.columns])
        formats = {}
        currencies = {}
        count = 0
        for values, currency in sheet.rows:
            count += 1
            if count >= XLSX_MAX_ROWS - len(formats) - 2:
                raise OverflowError(sheet.title)
            if currency and currency.id not in formats:
                formats[currency.id] = currency_number_format(currency)
                currencies[currency.name] = currency
            row = []
            for column, value in zip(sheet.columns, values, strict=True):
                if value is None or value is False:
                    row.append(None)
                elif column.kind == "date":
                    row.append(cell(value, DATE_FORMAT))
                elif column.kind == "datetime":
                    row.append(cell(value, DATETIME_FORMAT))
                elif column.kind == "money":
                    row.append(cell(currency.round(value), formats[currency.id]))
                elif column.kind == "number":
                    row.append(cell(value, NUMBER_FORMAT))
                else:
                    row.append(xlsx_value(worksheet, value))
            worksheet.append(row)
        last = count + 1
        worksheet.auto_filter.ref = f"A1:{letters[-1]}{last}"
        money = [index for index, column in enumerate(sheet.columns) if column.kind == "money"]
        if not count or not money:
            continue
        if len(currencies) == 1 or sheet.currency_column is None:
            totals = [(total_label, None, next(iter(currencies.values())))]
        else:
            code_range = "${col}$2:${col}${last}".format(
                col=letters[sheet.currency_column], last=last
            )
            totals = [
                (f"{total_label} {code}", code, currencies[code]) for code in sorted(currencies)
            ]
        for label, code, currency in totals:
            row = [None] * len(sheet.columns)
            row[0] = cell(label, font=bold)
            for index in money:
                letter = letters[index]
                total = (
                    f"=SUM({letter}2:{letter}{last})"
                    if code is None
                    else f'=SUMIF({code_range},"{code}",{letter}2:{letter}{last})'
                )
                row[index] = cell(total, formats[currency.id], bold, formula=True)
            worksheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


class AgentBillingExport(models.TransientModel):
    _name = "agent.billing.export"
    _description = "Billing export"

    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company
    )
    dataset = fields.Selection(
        [
            ("invoices", "Invoices"),
            ("lines", "Invoice Lines with Usage"),
            ("payments", "Payments"),
            ("aging", "Receivables Aging"),
        ],
        "Export",
        required=True,
        default="invoices",
    )
    file_format = fields.Selection(
        [("xlsx", "Excel (XLSX)"), ("csv", "CSV"), ("pdf", "PDF (invoices)")],
        "Format",
        required=True,
        default="xlsx",
    )
    pdf_layout = fields.Selection(
        [("merged", "One merged PDF"), ("zip", "A zip of one PDF per invoice")],
        "PDF Files",
        required=True,
        default="merged",
    )
    with_lines = fields.Boolean(
        "Add Lines and Usage Sheets",
        help="With invoices as XLSX: also a sheet of their lines and one of their usage by day.",
    )
    date_from = fields.Date(
        "From", help="Invoice date (payment date for payments); empty: no lower limit."
    )
    date_to = fields.Date(
        "To", help="Invoice date (payment date for payments); empty: no upper limit."
    )
    aging_date = fields.Date("As of", default=fields.Date.context_today)
    partner_ids = fields.Many2many(
        "res.partner", string="Clients", help="Empty: every client. Their contacts are included."
    )
    billing_status = fields.Selection(
        BILLING_STATUSES,
        help="Only invoices in this status (invoices and invoice lines). Empty: all.",
    )
    move_ids = fields.Many2many(
        "account.move",
        string="Selected Invoices",
        help="The invoices selected in the list: the export is limited to them.",
    )
    payment_ids = fields.Many2many(
        "account.payment",
        string="Selected Payments",
        help="The payments selected in the list: the export is limited to them.",
    )
    file_data = fields.Binary("File", readonly=True)
    file_name = fields.Char(readonly=True)

    @api.onchange("dataset")
    def _onchange_dataset(self):
        if self.dataset != "invoices" and self.file_format == "pdf":
            self.file_format = "xlsx"

    # --- Action ----------------------------------------------------------------------------
    def action_export(self):
        """Writes the file and downloads it."""
        self.ensure_one()
        self._check_options()
        if self.file_format == "pdf":
            content, extension = self._export_pdf()
        elif self.file_format == "csv":
            content, extension = write_csv(self._sheets()[0]), "csv"
        else:
            try:
                content, extension = write_xlsx(self._sheets(), _("Total")), "xlsx"
            except OverflowError as error:
                raise UserError(
                    _(
                        "%(sheet)s has more rows than a spreadsheet holds: export a shorter period "
                        "or as CSV.",
                        sheet=error.args[0],
                    )
                ) from None
        name = f"{self._file_base_name()}.{extension}"
        self.write({"file_data": base64.b64encode(content), "file_name": name})
        return {
            "type": "ir.actions.act_url",
            "url": f"/web/content/{self._name}/{self.id}/file_data/{name}?download=true",
            "target": "self",
        }

    def _check_options(self):
        if self.date_from and self.date_to and self.date_from > self.date_to:
            raise UserError(
                _(
                    "The export period starts on %(start)s, after its end %(end)s: swap the dates.",
                    start=self.date_from,
                    end=self.date_to,
                )
            )
        if self.file_format == "pdf" and self.dataset != "invoices":
            raise UserError(
                _(
                    "Only invoices print as PDF: export %(dataset)s as CSV or XLSX.",
                    dataset=self._dataset_label(),
                )
            )
        if self.dataset == "aging" and not self.aging_date:
            raise UserError(_("Set the date the aging is computed as of."))
        others = (self.move_ids.company_id | self.payment_ids.company_id) - self.company_id
        if others:
            raise UserError(
                _(
                    "Export the records of one company at a time: %(companies)s selected while "
                    "exporting for %(company)s.",
                    companies=", ".join(others.mapped("name")),
                    company=self.company_id.name,
                )
            )

    def _dataset_label(self):
        return dict(self._fields["dataset"]._description_selection(self.env))[self.dataset]

    def _file_base_name(self):
        parts = ["billing", self.dataset if self.file_format != "pdf" else "invoices"]
        if self.dataset == "aging":
            parts.append(self.aging_date.isoformat())
        else:
            parts += [day.isoformat() for day in (self.date_from, self.date_to) if day]
        return "-".join(parts)

    # --- Selection of records --------------------------------------------------------------
    def _partner_domain(self, field_name):
        return [(field_name, "child_of", self.partner_ids.ids)] if self.partner_ids else []

    def _invoice_domain(self):
        domain = [
            ("company_id", "=", self.company_id.id),
            ("move_type", "in", ("out_invoice", "out_refund")),
        ]
        if self.move_ids:
            domain.append(("id", "in", self.move_ids.ids))
        if self.date_from:
            domain.append(("invoice_date", ">=", self.date_from))
        if self.date_to:
            domain.append(("invoice_date", "<=", self.date_to))
        if self.billing_status:
            domain.append(("agent_billing_status", "=", self.billing_status))
        return domain + self._partner_domain("partner_id")

    def _line_domain(self):
        return [("display_type", "=", "product"), ("move_id", "any", self._invoice_domain())]

    def _search_ids(self, model, domain, order):
        ids = self.env[model].search(domain, order=order).ids
        if not ids:
            raise UserError(
                _("No %(dataset)s match these filters.", dataset=self._dataset_label().lower())
            )
        return ids

    def _chunks(self, model, ids):
        """The records of ``ids`` chunk by chunk, the cache emptied after each chunk."""
        for chunk in split_every(CHUNK_SIZE, ids):
            yield self.env[model].browse(chunk)
            self.env.invalidate_all()

    def _selection_labels(self, model, field_name):
        return dict(self.env[model]._fields[field_name]._description_selection(self.env))

    # --- Datasets --------------------------------------------------------------------------
    def _sheets(self):
        if self.dataset == "invoices":
            sheets = [self._sheet_invoices()]
            if self.with_lines and self.file_format == "xlsx":
                sheets += [self._sheet_lines(), self._sheet_usage()]
            return sheets
        if self.dataset == "lines":
            sheets = [self._sheet_lines()]
            return sheets + [self._sheet_usage()] if self.file_format == "xlsx" else sheets
        if self.dataset == "payments":
            return [self._sheet_payments()]
        return [self._sheet_aging()]

    def _sheet_invoices(self):
        ids = self._search_ids("account.move", self._invoice_domain(), "invoice_date, name, id")
        statuses = self._selection_labels("account.move", "agent_billing_status")
        payment_states = self._selection_labels("account.move", "payment_state")
        types = self._selection_labels("account.move", "move_type")
        columns = [
            Column(_("Number"), width=20),
            Column(_("Type"), width=16),
            Column(_("Client"), width=30),
            Column(_("Client Reference")),
            Column(_("Invoice Date"), "date", 12),
            Column(_("Due Date"), "date", 12),
            Column(_("Period Start"), "date", 12),
            Column(_("Period End"), "date", 12),
            Column(_("Contract"), width=16),
            Column(_("Billing Status")),
            Column(_("Payment Status")),
            Column(_("Currency"), "currency", 9),
            Column(_("Untaxed"), "money"),
            Column(_("Tax"), "money"),
            Column(_("Total"), "money"),
            Column(_("Amount Due"), "money"),
        ]

        def rows():
            for moves in self._chunks("account.move", ids):
                for move in moves:
                    sign = -1 if move.move_type == "out_refund" else 1
                    yield (
                        [
                            move.name,
                            types.get(move.move_type),
                            move.partner_id.display_name,
                            move.partner_id.commercial_partner_id.ref,
                            move.invoice_date,
                            move.invoice_date_due,
                            move.agent_period_start,
                            move.agent_period_end,
                            move.agent_contract_id.name,
                            statuses.get(move.agent_billing_status),
                            payment_states.get(move.payment_state),
                            move.currency_id.name,
                            sign * move.amount_untaxed,
                            sign * move.amount_tax,
                            sign * move.amount_total,
                            sign * move.amount_residual,
                        ],
                        move.currency_id,
                    )

        return Sheet(_("Invoices"), columns, rows())

    def _sheet_lines(self):
        ids = self._search_ids("account.move.line", self._line_domain(), "move_id, sequence, id")
        kinds = self._selection_labels("account.move.line", "agent_kind")
        sources = self._selection_labels("account.move.line", "agent_price_source")
        quantity_digits = self.env["decimal.precision"].precision_get("Agent Billing Quantity")
        price_digits = self.env["decimal.precision"].precision_get("Product Price")
        columns = [
            Column(_("Invoice"), width=20),
            Column(_("Client"), width=30),
            Column(_("Invoice Date"), "date", 12),
            Column(_("Period Start"), "date", 12),
            Column(_("Period End"), "date", 12),
            Column(_("Currency"), "currency", 9),
            Column(_("Charge"), width=18),
            Column(_("Description"), width=60),
            Column(_("Product"), width=24),
            Column(_("Deployment"), width=18),
            Column(_("Metric"), width=18),
            Column(_("Agents"), "int", 8),
            Column(_("Days"), "int", 7),
            Column(_("Days in Period"), "int", 9),
            Column(_("Rate"), "number", 12, price_digits),
            Column(_("Usage Quantity"), "number", 14, quantity_digits),
            Column(_("Included Units"), "number", 14, quantity_digits),
            Column(_("Billed Units"), "number", 14, quantity_digits),
            Column(_("Tier Bands"), width=40),
            Column(_("Quantity"), "number", 12, quantity_digits),
            Column(_("Unit Price"), "number", 12, price_digits),
            Column(_("Discount %"), "number", 9, 2),
            Column(_("Subtotal"), "money"),
            Column(_("Total"), "money"),
            Column(_("Prepaid Block"), width=16),
            Column(_("Prepaid Left"), "number", 14, quantity_digits),
            Column(_("Usage Records"), "int", 9),
            Column(_("Price From"), width=16),
        ]

        def rows():
            for lines in self._chunks("account.move.line", ids):
                for line in lines:
                    move = line.move_id
                    sign = -1 if move.move_type == "out_refund" else 1
                    usage = line.agent_kind == "usage"
                    yield (
                        [
                            move.name,
                            move.partner_id.display_name,
                            move.invoice_date,
                            move.agent_period_start,
                            move.agent_period_end,
                            move.currency_id.name,
                            kinds.get(line.agent_kind),
                            line.name,
                            line.product_id.display_name,
                            line.agent_deployment_id.display_name,
                            line.agent_metric_id.name,
                            line.agent_count or None,
                            line.agent_days or None,
                            line.agent_days_in_period or None,
                            line.agent_rate or None,
                            line.agent_usage_quantity
                            if line.agent_kind in ("usage", "prepaid")
                            else None,
                            line.agent_included_units if usage else None,
                            max(line.agent_usage_quantity - line.agent_included_units, 0.0)
                            if usage
                            else None,
                            line.agent_band_summary,
                            line.quantity,
                            line.price_unit,
                            line.discount or None,
                            sign * line.price_subtotal,
                            sign * line.price_total,
                            line.agent_prepaid_block_id.name,
                            line.agent_prepaid_remaining if line.agent_prepaid_block_id else None,
                            len(line.agent_usage_ids) or None,
                            sources.get(line.agent_price_source),
                        ],
                        move.currency_id,
                    )

        return Sheet(_("Invoice Lines"), columns, rows())

    def _sheet_usage(self):
        """The usage the lines bill, by line, day and deployment (events can be millions)."""
        line_ids = (
            self.env["account.move.line"]
            .search(
                self._line_domain() + [("agent_usage_ids", "!=", False)],
                order="move_id, sequence, id",
            )
            .ids
        )
        quantity_digits = self.env["decimal.precision"].precision_get("Agent Billing Quantity")
        columns = [
            Column(_("Invoice"), width=20),
            Column(_("Client"), width=30),
            Column(_("Invoice Line"), width=50),
            Column(_("Metric"), width=18),
            Column(_("Day"), "date", 12),
            Column(_("Deployment"), width=18),
            Column(_("Quantity"), "number", 14, quantity_digits),
            Column(_("Usage Records"), "int", 9),
        ]

        def rows():
            for lines in self._chunks("account.move.line", line_ids):
                position = {line_id: index for index, line_id in enumerate(lines.ids)}
                groups = self.env["agent.billing.usage"]._read_group(
                    [("invoice_line_id", "in", lines.ids)],
                    ["invoice_line_id", "date:day", "deployment_id"],
                    ["quantity:sum", "__count"],
                )
                groups.sort(
                    key=lambda g: (position[g[0].id], g[1] or date.min, g[2].display_name or "")
                )
                for line, day, deployment, quantity, count in groups:
                    move = line.move_id
                    yield (
                        [
                            move.name,
                            move.partner_id.display_name,
                            line.name,
                            line.agent_metric_id.name,
                            day,
                            deployment.display_name,
                            quantity,
                            count,
                        ],
                        None,
                    )

        return Sheet(_("Usage by Day"), columns, rows())

    def _sheet_payments(self):
        domain = [("company_id", "=", self.company_id.id), ("partner_type", "=", "customer")]
        if self.move_ids:
            domain.append(("id", "in", self.move_ids._get_reconciled_payments().ids))
        if self.payment_ids:
            domain.append(("id", "in", self.payment_ids.ids))
        if self.date_from:
            domain.append(("date", ">=", self.date_from))
        if self.date_to:
            domain.append(("date", "<=", self.date_to))
        ids = self._search_ids(
            "account.payment", domain + self._partner_domain("partner_id"), "date, name, id"
        )
        states = self._selection_labels("account.payment", "state")
        directions = self._selection_labels("account.payment", "payment_type")
        columns = [
            Column(_("Number"), width=20),
            Column(_("Date"), "date", 12),
            Column(_("Client"), width=30),
            Column(_("Journal"), width=18),
            Column(_("Method"), width=16),
            Column(_("Direction"), width=12),
            Column(_("Status"), width=12),
            Column(_("Memo"), width=24),
            Column(_("Invoices"), width=30),
            Column(_("Currency"), "currency", 9),
            Column(_("Amount"), "money"),
        ]

        def rows():
            for payments in self._chunks("account.payment", ids):
                for payment in payments:
                    sign = -1 if payment.payment_type == "outbound" else 1
                    yield (
                        [
                            payment.name,
                            payment.date,
                            payment.partner_id.display_name,
                            payment.journal_id.name,
                            payment.payment_method_line_id.name,
                            directions.get(payment.payment_type),
                            states.get(payment.state),
                            payment.memo,
                            ", ".join(payment.reconciled_invoice_ids.mapped("name")),
                            payment.currency_id.name,
                            sign * payment.amount,
                        ],
                        payment.currency_id,
                    )

        return Sheet(_("Payments"), columns, rows())

    def _sheet_aging(self):
        """The receivables aging as of a date, read from the aging report through the ORM;
        columns the installed report lacks are left out."""
        if "agent.billing.aging" not in self.env:
            raise UserError(_("The receivables aging report is not available in this database."))
        aging = self.env["agent.billing.aging"].with_context(agent_aging_date=self.aging_date)
        wanted = [
            ("move_name", Column(_("Number"), width=20)),
            ("partner_id", Column(_("Client"), width=30)),
            ("kind", Column(_("Kind"), width=12)),
            ("invoice_date", Column(_("Invoice Date"), "date", 12)),
            ("date_maturity", Column(_("Due Date"), "date", 12)),
            ("days_overdue", Column(_("Days Overdue"), "int", 9)),
            ("bucket", Column(_("Bucket"), width=10)),
            ("currency_id", Column(_("Currency"), "currency", 9)),
            ("amount_residual", Column(_("Open Amount"), "money")),
            ("amount_current", Column(_("Current"), "money")),
            ("amount_1_30", Column(_("1-30"), "money")),
            ("amount_31_60", Column(_("31-60"), "money")),
            ("amount_61_90", Column(_("61-90"), "money")),
            ("amount_90_plus", Column(_("90+"), "money")),
        ]
        wanted = [(name, column) for name, column in wanted if name in aging._fields]
        names = [name for name, _column in wanted]
        domain = self._partner_domain("partner_id")
        if "company_id" in aging._fields:
            domain.append(("company_id", "=", self.company_id.id))
        if self.move_ids and "move_id" in aging._fields:
            domain.append(("move_id", "in", self.move_ids.ids))
        count = aging.search_count(domain)
        if not count:
            raise UserError(
                _("No %(dataset)s match these filters.", dataset=self._dataset_label().lower())
            )
        currency = self.company_id.currency_id
        selections = {
            name: self._selection_labels(aging._name, name)
            for name in names
            if aging._fields[name].type == "selection"
        }

        def value(record, name):
            raw = record[name]
            if name in selections:
                return selections[name].get(raw)
            if isinstance(raw, tuple):  # many2one from search_read: (id, display name)
                return raw[1]
            return raw

        def rows():
            for offset in range(0, count, CHUNK_SIZE):
                records = aging.search_read(
                    domain,
                    names,
                    offset=offset,
                    limit=CHUNK_SIZE,
                    order="partner_id, date_maturity, id",
                )
                for record in records:
                    yield [value(record, name) for name in names], currency
                self.env.invalidate_all()

        return Sheet(
            _("Aging %(date)s", date=self.aging_date.isoformat()),
            [column for _name, column in wanted],
            rows(),
        )

    # --- PDF -------------------------------------------------------------------------------
    def _export_pdf(self):
        """The invoices through Odoo's invoice report, merged into one PDF or zipped.

        One wkhtmltopdf run per invoice: builds without patched Qt (Debian's) refuse several
        documents in one run."""
        moves = self.env["account.move"].browse(
            self._search_ids("account.move", self._invoice_domain(), "invoice_date, name, id")
        )
        report = self.env["ir.actions.report"]
        documents = []
        for move in moves:
            content, _type = report._render_qweb_pdf("account.account_invoices", move.ids)
            documents.append((move, content))
        if self.pdf_layout == "merged":
            return pdf.merge_pdf([content for _move, content in documents]), "pdf"
        buffer = io.BytesIO()
        used = set()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for move, content in documents:
                name = move._get_invoice_report_filename()
                if name in used:  # drafts share "/" as their number
                    name = f"{name[:-4]}-{move.id}.pdf"
                used.add(name)
                archive.writestr(name, content)
        return buffer.getvalue(), "zip"
