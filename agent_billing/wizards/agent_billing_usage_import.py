import base64
import binascii
import csv
import io
import logging
import re
from datetime import date, datetime, time, timedelta
from urllib.parse import quote as url_quote

from odoo import Command, _, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from ..models.agent_billing_usage import MAX_BATCH
from ..tools.spreadsheet import csv_row

_logger = logging.getLogger(__name__)

MAX_ROWS = 100_000
EVENT_COLUMNS = (
    "idempotency_key",
    "client",
    "deployment",
    "agent_type",
    "metric",
    "quantity",
    "timestamp",
    "source",
)
REQUIRED_COLUMNS = ("idempotency_key", "client", "quantity", "timestamp")
ID_COLUMNS = ("deployment", "agent_type")
# a client is named by a reference, also when a spreadsheet stores it as a number: 1002 is the
# billing reference "1002", never the partner id 1002 (which the API accepts as a JSON integer)
TEXT_COLUMNS = ("idempotency_key", "client", "metric", "source")
DECIMAL_COMMA = re.compile(r"^[+-]?\d+,\d+$")


def _column_key(name):
    """'Idempotency Key', 'idempotency_key' and 'IDEMPOTENCYKEY' all name the same column."""
    return re.sub(r"[\s_\-]+", "", str(name or "")).lower()


COLUMN_BY_KEY = {_column_key(column): column for column in EVENT_COLUMNS}


class AgentBillingUsageImport(models.TransientModel):
    """Import usage events from a CSV or XLSX file, through the same validation as the API.

    Every row of the file ends up in the report as ok, duplicate or error; "Check" runs the whole
    validation (``agent.billing.usage._ingest``) in a savepoint that is rolled back, "Import"
    stores the rows for real.
    """

    _name = "agent.billing.usage.import"
    _description = "Usage import from a file"
    _check_company_auto = True

    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company
    )
    file = fields.Binary(
        attachment=False,
        help="CSV (comma or semicolon separated, UTF-8) or XLSX (first sheet) with a header row. "
        "Columns: idempotency_key, client, quantity, timestamp (required); deployment, "
        "agent_type, metric, source (optional). client: the client's Billing Reference (Billing "
        "tab) or its contract's reference, a number being read as text; only clients with "
        "a contract of this company active on the event's day are accepted. timestamp: UTC "
        "unless it has an offset; the event is billed on its calendar day in the client's "
        "billing time zone (else the company's), "
        "e.g. 23:30 on the 31st in that zone belongs to that month.",
    )
    file_name = fields.Char()
    source = fields.Char(
        help="Source of the rows that have no source column value. Empty: the file name.",
    )
    mode = fields.Selection(
        [("all_or_nothing", "All or nothing"), ("valid_rows", "Valid rows only")],
        required=True,
        default="all_or_nothing",
        help="All or nothing: import only if every row is valid (duplicates are fine). "
        "Valid rows only: import the valid rows and report the others.",
    )
    state = fields.Selection(
        [("draft", "Draft"), ("checked", "Checked"), ("done", "Imported")],
        required=True,
        default="draft",
    )
    line_ids = fields.One2many(
        "agent.billing.usage.import.line", "wizard_id", "Report", readonly=True
    )
    row_count = fields.Integer("Rows", readonly=True)
    ok_count = fields.Integer("Valid", readonly=True)
    duplicate_count = fields.Integer("Duplicates", readonly=True)
    error_count = fields.Integer("Errors", readonly=True)
    imported_count = fields.Integer("Imported", readonly=True)
    report_file = fields.Binary(attachment=False, readonly=True)
    report_name = fields.Char(readonly=True)

    @api.onchange("file")
    def _onchange_file(self):
        self.update(
            {
                "state": "draft",
                "row_count": 0,
                "ok_count": 0,
                "duplicate_count": 0,
                "error_count": 0,
                "imported_count": 0,
                "report_file": False,
                "report_name": False,
                "line_ids": [Command.clear()],
            }
        )

    # --- Actions ---------------------------------------------------------------------------------
    def action_check(self):
        """Validate every row, store nothing."""
        self.ensure_one()
        rows = self._read_rows()
        with self.env.cr.savepoint() as savepoint:
            report = self._run(rows)
            savepoint.rollback()
        self._write_report(report, "checked")
        return self._reopen()

    def action_import(self):
        self.ensure_one()
        rows = self._read_rows()
        if self.mode == "all_or_nothing":
            with self.env.cr.savepoint():
                report = self._run(rows, final=True)
                errors = sum(1 for line in report if line["status"] == "error")
                if errors:  # leaving the block by the exception rolls the savepoint back
                    raise UserError(
                        _(
                            "%(n)s of %(total)s rows are wrong, so nothing was imported. Fix them (use "
                            'Check to see which and why), or switch to "Valid rows only" to import '
                            "the others.",
                            n=errors,
                            total=len(report),
                        )
                    )
        else:
            report = self._run(rows, final=True)
        self._write_report(report, "done")
        return self._reopen()

    def action_download_report(self):
        self.ensure_one()
        if not self.report_file:
            raise UserError(_("Check or import a file first."))
        return {
            "type": "ir.actions.act_url",
            "url": f"/web/content/{self._name}/{self.id}/report_file/"
            f"{url_quote(self.report_name or 'report.csv')}?download=true",
            "target": "self",
        }

    def _reopen(self):
        return {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "target": "new",
            "name": _("Import Usage"),
        }

    # --- Validation and import -------------------------------------------------------------------
    def _run(self, rows, final=False):
        """Ingest ``rows`` (see ``_read_rows``) in batches; one report line per row, in order.

        The batches of a file build on each other, so that a key repeated across batches is a
        duplicate of the file's earlier row, as within a batch. ``final``: the rows stay stored
        (otherwise the caller rolls back, and the new records' ids must not be shown).
        """
        Usage = self.env["agent.billing.usage"].with_company(self.company_id)
        source = self.source or self.file_name or None
        report = [None] * len(rows)
        to_ingest = []
        for position, (row_number, event, error) in enumerate(rows):
            key = event.get("idempotency_key") if event else None
            if error:
                report[position] = self._line(row_number, key, "error", error)
            else:
                to_ingest.append((position, row_number, event))
        first_row = {}  # key -> (row number, record id) of its first ok or duplicate row
        for start in range(0, len(to_ingest), MAX_BATCH):
            chunk = to_ingest[start : start + MAX_BATCH]
            result = Usage._ingest([event for _p, _r, event in chunk], source=source)
            for (position, row_number, event), res in zip(chunk, result["results"], strict=True):
                key = event.get("idempotency_key")
                key = key.strip() if isinstance(key, str) else key
                status = res["status"]
                if status == "rejected":
                    report[position] = self._line(row_number, key, "error", res.get("reason"))
                    continue
                if status == "accepted":
                    first_row[key] = (row_number, res["id"])
                    report[position] = self._line(
                        row_number, key, "ok", "", res["id"] if final else False
                    )
                    continue
                if key in first_row:
                    earlier, record_id = first_row[key]
                    reason = _("same idempotency key as row %(row)s of this file", row=earlier)
                    report[position] = self._line(
                        row_number, key, "duplicate", reason, record_id if final else False
                    )
                else:
                    record_id = res.get("id") or False
                    first_row[key] = (row_number, record_id)
                    report[position] = self._line(
                        row_number,
                        key,
                        "duplicate",
                        res.get("reason") or _("already recorded; the original is kept"),
                        record_id,
                    )
        return report

    @api.model
    def _line(self, row, key, status, reason, usage_id=False):
        if key is not None and not isinstance(key, str):
            key = str(key)
        return {
            "row": row,
            "idempotency_key": key or False,
            "status": status,
            "reason": reason or False,
            "usage_id": usage_id or False,
        }

    def _write_report(self, report, state):
        counts = {"ok": 0, "duplicate": 0, "error": 0}
        for line in report:
            counts[line["status"]] += 1
        if self.line_ids:  # the previous check's report; plain SQL, no log line per row
            self.env.cr.execute(
                SQL("DELETE FROM agent_billing_usage_import_line WHERE wizard_id = %s", self.id)
            )
            self.env["agent.billing.usage.import.line"].invalidate_model()
            self.invalidate_recordset(["line_ids"])
        self.env["agent.billing.usage.import.line"].create(
            [{"wizard_id": self.id, **line} for line in report]
        )
        stem = (self.file_name or "usage").rsplit(".", 1)[0]
        self.write(
            {
                "state": state,
                "row_count": len(report),
                "ok_count": counts["ok"],
                "duplicate_count": counts["duplicate"],
                "error_count": counts["error"],
                "imported_count": counts["ok"] if state == "done" else 0,
                "report_file": base64.b64encode(self._report_csv(report)),
                "report_name": f"{stem}_report.csv",
            }
        )

    @api.model
    def _report_csv(self, report):
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(["row", "status", "idempotency_key", "reason", "usage_id"])
        for line in report:
            # the keys come from the uploaded file: no text may run as a formula
            writer.writerow(
                csv_row(
                    [
                        line["row"],
                        line["status"],
                        line["idempotency_key"] or "",
                        line["reason"] or "",
                        line["usage_id"] or "",
                    ]
                )
            )
        return out.getvalue().encode("utf-8-sig")

    # --- Reading the file ------------------------------------------------------------------------
    def _read_rows(self):
        """[(row number in the file, event dict or None, error or None)] for every non-blank
        data row; the header is row 1."""
        if not self.file:
            if self.file_name:  # an empty upload keeps its name but has no content
                raise UserError(_("The file %(name)s is empty.", name=self.file_name))
            raise UserError(_("Choose a CSV or XLSX file to import."))
        try:
            data = base64.b64decode(self.file, validate=False)
        except (binascii.Error, ValueError):
            raise UserError(_("The file %(name)s cannot be read.", name=self.file_name or ""))
        name = (self.file_name or "").lower()
        if data.startswith(b"PK\x03\x04") or name.endswith((".xlsx", ".xlsm")):
            table, decimal_comma = self._xlsx_rows(data), False
        elif data.startswith(b"\xd0\xcf\x11\xe0") or name.endswith(".xls"):
            raise UserError(
                _(
                    "%(name)s is an old Excel (.xls) file. Save it as .xlsx or .csv and try again.",
                    name=self.file_name or "",
                )
            )
        else:
            table, decimal_comma = self._csv_rows(data)
        return self._rows_to_events(table, decimal_comma)

    def _csv_rows(self, data):
        """(iterator of rows, whether "2,5" means 2.5) of a CSV file."""
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise UserError(
                _(
                    "The file %(name)s cannot be read: it is neither an XLSX file nor UTF-8 text. "
                    "Save it as CSV UTF-8 or as XLSX.",
                    name=self.file_name or "",
                )
            )
        if "\x00" in text:
            raise UserError(
                _(
                    "The file %(name)s cannot be read: it is not a text (CSV) file.",
                    name=self.file_name or "",
                )
            )
        header = text.lstrip("\r\n").split("\n", 1)[0]
        delimiter = ";" if header.count(";") > header.count(",") else ","
        return self._csv_iter(text, delimiter), delimiter == ";"

    def _csv_iter(self, text, delimiter):
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        try:
            yield from reader
        except csv.Error as exc:
            raise UserError(
                _(
                    "The file %(name)s cannot be read as CSV (near line %(line)s): %(error)s",
                    name=self.file_name or "",
                    line=reader.line_num,
                    error=exc,
                )
            )

    def _xlsx_rows(self, data):
        try:
            from openpyxl import load_workbook
        except ImportError:
            raise UserError(_("Reading XLSX files needs the Python library openpyxl."))
        try:
            workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except Exception as exc:  # openpyxl/zipfile raise many kinds on a damaged file
            _logger.info("Unreadable usage import file %s: %s", self.file_name, exc)
            raise UserError(
                _(
                    "The file %(name)s cannot be read as an XLSX workbook. Save it again as .xlsx "
                    "or .csv.",
                    name=self.file_name or "",
                )
            )
        return self._xlsx_iter(workbook)

    def _xlsx_iter(self, workbook):
        try:
            if not workbook.worksheets:
                return
            sheet = workbook.worksheets[0]
            sheet.reset_dimensions()  # do not trust the file's own (often wrong) dimension
            yield from sheet.iter_rows(values_only=True)
        except UserError:
            raise
        except Exception as exc:
            _logger.info("Unreadable usage import file %s: %s", self.file_name, exc)
            raise UserError(
                _(
                    "The file %(name)s cannot be read as an XLSX workbook. Save it again as .xlsx "
                    "or .csv.",
                    name=self.file_name or "",
                )
            )
        finally:
            workbook.close()

    def _rows_to_events(self, table, decimal_comma):
        table = iter(table)
        header = next(table, None)
        if header is None or not any(self._is_filled(cell) for cell in header):
            if not any(self._is_filled(cell) for cells in table for cell in cells):
                raise UserError(_("The file %(name)s is empty.", name=self.file_name or ""))
            raise UserError(
                _(
                    "The first row of %(name)s must hold the column names (%(columns)s).",
                    name=self.file_name or "",
                    columns=", ".join(EVENT_COLUMNS),
                )
            )
        columns = {}  # position -> event key
        for position, cell in enumerate(header):
            column = COLUMN_BY_KEY.get(_column_key(cell))
            if not column:
                continue
            if column in columns.values():
                raise UserError(
                    _("The column %(column)s appears twice in the header.", column=column)
                )
            columns[position] = column
        missing = [column for column in REQUIRED_COLUMNS if column not in columns.values()]
        if missing:
            raise UserError(
                _(
                    "The file %(name)s lacks the required column(s) %(missing)s. Found: %(found)s.",
                    name=self.file_name or "",
                    missing=", ".join(missing),
                    found=", ".join(str(c).strip() for c in header if self._is_filled(c)) or "-",
                )
            )
        width = len(header)
        rows = []
        for row_number, cells in enumerate(table, start=2):
            if not any(self._is_filled(cell) for cell in cells):
                continue  # a blank line holds no event
            if len(rows) >= MAX_ROWS:
                raise UserError(
                    _(
                        "The file %(name)s has more than %(max)s rows. Split it into smaller files.",
                        name=self.file_name or "",
                        max=f"{MAX_ROWS:,}",
                    )
                )
            event = {
                column: self._cell_value(column, cells[position], decimal_comma)
                for position, column in columns.items()
                if position < len(cells)
            }
            extra = sum(1 for cell in cells[width:] if self._is_filled(cell))
            error = False
            if extra:
                error = _("the row has %(n)s value(s) more than the header has columns", n=extra)
            rows.append((row_number, event, error))
        if not rows:
            raise UserError(
                _("The file %(name)s has a header but no data rows.", name=self.file_name or "")
            )
        return rows

    @staticmethod
    def _is_filled(cell):
        return cell is not None and not (isinstance(cell, str) and not cell.strip())

    @staticmethod
    def _cell_value(column, value, decimal_comma=False):
        """A file cell as ``_ingest`` expects the event value."""
        if value is None:
            return None
        if isinstance(value, str):
            value = value.strip()
            if decimal_comma and column == "quantity" and DECIMAL_COMMA.match(value):
                value = value.replace(",", ".")
            return value or None
        if isinstance(value, datetime | date):
            if column != "timestamp":
                return value.isoformat()
            if not isinstance(value, datetime):
                value = datetime.combine(value, time.min)
            if value.microsecond >= 500_000:  # spreadsheet times are floats: 09:59:59.9999
                value += timedelta(seconds=1)
            return value.replace(microsecond=0).isoformat(sep=" ")
        if isinstance(value, time | timedelta):
            return str(value)
        if (
            isinstance(value, float)
            and not isinstance(value, bool)
            and value.is_integer()
            and (column in ID_COLUMNS or column in TEXT_COLUMNS)
        ):
            value = int(value)
        if (
            column in TEXT_COLUMNS
            and isinstance(value, int | float)
            and not isinstance(value, bool)
        ):
            return str(value)
        return value


class AgentBillingUsageImportLine(models.TransientModel):
    _name = "agent.billing.usage.import.line"
    _description = "Usage import report line"
    _order = "row, id"

    wizard_id = fields.Many2one("agent.billing.usage.import", required=True, ondelete="cascade")
    row = fields.Integer(help="Row number in the file; the header is row 1.")
    idempotency_key = fields.Char()
    status = fields.Selection(
        [("ok", "OK"), ("duplicate", "Duplicate"), ("error", "Error")],
        required=True,
    )
    reason = fields.Char()
    usage_id = fields.Many2one("agent.billing.usage", "Usage Record", ondelete="set null")
