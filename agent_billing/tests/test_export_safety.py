"""Spreadsheet safety of the exports: client, line and memo texts that a spreadsheet could run
as formulas (``=``, ``+``, ``-``, ``@``, tab, carriage return) are written as text, in XLSX
and CSV; numbers stay numbers and the exports' own totals stay formulas."""

import base64
import csv
import io
from datetime import date

from odoo.tests import tagged

from .test_export import ExportCase

HYPERLINK = '=HYPERLINK("http://x","y")'


@tagged("post_install", "-at_install")
class TestExportSafety(ExportCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.c_mid.name = HYPERLINK
        cls.c_grad.name = "+1+1"
        cls.c_min.name = "@SUM(A1)"
        cls.c_ovr.name = "-2+3"
        # a partner's display name is stripped, so the tab and carriage return go in texts
        # that are not: the client reference and line labels
        cls.c_pre.name = "=1+1"
        cls.c_mid.ref = "\rx"  # the Client Reference column
        cls.inv["RET"].invoice_line_ids.filtered(
            lambda line: line.agent_kind == "usage"
        ).name = "\tx"
        cls.grad_line = cls.inv["GRAD"].invoice_line_ids.filtered(
            lambda line: line.agent_kind == "usage"
        )
        cls.grad_line.name = HYPERLINK
        cls.payment.memo = "@SUM(A1)"
        # a credit note: its amounts are negative numbers, which must stay numbers
        cls.refund = cls.init_invoice(
            "out_refund",
            partner=cls.c_ovr,
            amounts=[50.0],
            invoice_date=date(2025, 4, 5),
            post=True,
        )

    # --- Assertions ---------------------------------------------------------------------------
    def assertTextCell(self, cell, text):
        """``cell`` is a text cell showing ``text`` exactly (no formula, no apostrophe)."""
        self.assertEqual((cell.data_type, cell.value), ("s", text), cell.coordinate)
        self.assertTrue(cell.quotePrefix, f"{cell.coordinate}: quote prefix, kept text on edit")

    def assertTotalsAreFormulas(self, sheet, letters):
        last = sheet.max_row
        self.assertTrue(str(sheet[f"A{last}"].value).startswith("Total"))
        for letter in letters:
            cell = sheet[f"{letter}{last}"]
            self.assertEqual(
                (cell.data_type, cell.value), ("f", f"=SUM({letter}2:{letter}{last - 1})")
            )

    def _by(self, rows, column, value):
        found = [row for row in rows if row[column].value == value]
        self.assertEqual(len(found), 1, f"one row with {column} {value!r}")
        return found[0]

    # --- XLSX ---------------------------------------------------------------------------------
    def test_invoices_xlsx_clients_are_text(self):
        _wizard, content = self._export(dataset="invoices", file_format="xlsx")
        sheet = self._book(content)["Invoices"]
        rows = self._sheet_rows(sheet)
        clients = {row["Number"].value: row["Client"] for row in rows}
        for ref, name in (
            ("MID", HYPERLINK),
            ("GRAD", "+1+1"),
            ("MIN", "@SUM(A1)"),
            ("OVR", "-2+3"),
            ("RET", "=1+1"),
        ):
            self.assertTextCell(clients[self.inv[ref].name], name)
        self.assertTextCell(
            self._by(rows, "Number", self.inv["MID"].name)["Client Reference"], "\rx"
        )
        refund = self._by(rows, "Number", self.refund.name)
        self.assertTextCell(refund["Client"], "-2+3")
        self.assertEqual((refund["Total"].data_type, refund["Total"].value), ("n", -50.0))
        ordinary = self._by(rows, "Number", self.inv["GRAD"].name)["Currency"]
        self.assertEqual((ordinary.data_type, ordinary.value), ("s", "USD"))
        self.assertFalse(ordinary.quotePrefix, "ordinary texts are left as they were")
        self.assertTotalsAreFormulas(sheet, "MNOP")

    def test_lines_xlsx_descriptions_are_text(self):
        _wizard, content = self._export(dataset="lines", file_format="xlsx")
        book = self._book(content)
        lines = self._sheet_rows(book["Invoice Lines"])
        grad = self._by(lines, "Invoice", self.inv["GRAD"].name)
        self.assertTextCell(grad["Description"], HYPERLINK)
        self.assertTextCell(grad["Client"], "+1+1")
        ret = [
            row
            for row in lines
            if row["Invoice"].value == self.inv["RET"].name and row["Charge"].value == "Usage"
        ]
        self.assertEqual(len(ret), 1)
        self.assertTextCell(ret[0]["Description"], "\tx")
        refund = self._by(lines, "Invoice", self.refund.name)
        self.assertEqual((refund["Subtotal"].data_type, refund["Subtotal"].value), ("n", -50.0))
        header = [cell.value for cell in book["Invoice Lines"][1]]
        letters = [chr(ord("A") + header.index(name)) for name in ("Subtotal", "Total")]
        self.assertTotalsAreFormulas(book["Invoice Lines"], letters)
        usage = [
            row
            for row in self._sheet_rows(book["Usage by Day"])
            if row["Invoice"].value == self.inv["GRAD"].name
        ]
        self.assertEqual(len(usage), 2)
        for row in usage:
            self.assertTextCell(row["Invoice Line"], HYPERLINK)
            self.assertTextCell(row["Client"], "+1+1")

    def test_list_action_xlsx_is_safe(self):
        action = (
            self.env.ref("agent_billing.action_server_agent_export_xlsx")
            .with_context(active_model="account.move", active_ids=self.inv["MID"].ids)
            .run()
        )
        wizard = self.env["agent.billing.export"].browse(int(action["url"].split("/")[4]))
        book = self._book(base64.b64decode(wizard.file_data))
        (row,) = self._sheet_rows(book["Invoices"])
        self.assertTextCell(row["Client"], HYPERLINK)
        self.assertTotalsAreFormulas(book["Invoices"], "MNOP")

    def test_payments_xlsx_memo_and_client_are_text(self):
        _wizard, content = self._export(dataset="payments", file_format="xlsx")
        sheet = self._book(content)["Payments"]
        (row,) = self._sheet_rows(sheet)
        self.assertTextCell(row["Client"], HYPERLINK)
        self.assertTextCell(row["Memo"], "@SUM(A1)")
        self.assertEqual((row["Amount"].data_type, row["Amount"].value), ("n", 100.0))
        self.assertTotalsAreFormulas(sheet, "K")

    def test_aging_xlsx_clients_are_text(self):
        if "agent.billing.aging" not in self.env:
            self.skipTest("the aging report is not installed")
        _wizard, content = self._export(
            dataset="aging", file_format="xlsx", aging_date=date(2025, 6, 30)
        )
        sheet = self._book(content).active
        rows = self._sheet_rows(sheet)
        for ref, name in (
            ("MID", HYPERLINK),
            ("GRAD", "+1+1"),
            ("MIN", "@SUM(A1)"),
            ("OVR", "-2+3"),
            ("RET", "=1+1"),
        ):
            self.assertTextCell(self._by(rows, "Number", self.inv[ref].name)["Client"], name)
        refund = self._by(rows, "Number", self.refund.name)
        self.assertEqual(refund["Open Amount"].data_type, "n")
        self.assertLess(refund["Open Amount"].value, 0)
        header = [cell.value for cell in sheet[1]]
        self.assertTotalsAreFormulas(sheet, [chr(ord("A") + header.index("Open Amount"))])

    # --- CSV ----------------------------------------------------------------------------------
    def _csv_rows(self, content):
        """The records of a CSV export, and its raw text."""
        text = content.decode("utf-8")
        return list(csv.DictReader(io.StringIO(text, newline=""))), text

    def test_invoices_csv_prefixes_formula_like_text(self):
        _wizard, content = self._export(dataset="invoices", file_format="csv")
        rows, text = self._csv_rows(content)
        by_number = {row["Number"]: row for row in rows}
        for ref, name in (
            ("MID", HYPERLINK),
            ("GRAD", "+1+1"),
            ("MIN", "@SUM(A1)"),
            ("OVR", "-2+3"),
            ("RET", "=1+1"),
        ):
            self.assertEqual(by_number[self.inv[ref].name]["Client"], "'" + name)
        self.assertEqual(by_number[self.inv["MID"].name]["Client Reference"], "'\rx")
        refund = by_number[self.refund.name]
        self.assertEqual(
            (refund["Client"], refund["Total"]),
            ("'-2+3", "-50.00"),
            "a negative amount stays a plain number",
        )
        self.assertEqual(by_number[self.inv["GRAD"].name]["Currency"], "USD")
        # as OWASP writes it: quote prefix, the field quoted, its double quotes doubled
        self.assertIn('"\'=HYPERLINK(""http://x"",""y"")"', text)

    def test_lines_csv_prefixes_formula_like_text(self):
        _wizard, content = self._export(dataset="lines", file_format="csv")
        rows, _text = self._csv_rows(content)
        grad = [row for row in rows if row["Invoice"] == self.inv["GRAD"].name]
        self.assertEqual(
            [(row["Client"], row["Description"]) for row in grad], [("'+1+1", "'" + HYPERLINK)]
        )
        ret = [
            row["Description"]
            for row in rows
            if row["Invoice"] == self.inv["RET"].name and row["Charge"] == "Usage"
        ]
        self.assertEqual(ret, ["'\tx"])
        refund = [row for row in rows if row["Invoice"] == self.refund.name]
        self.assertEqual([row["Subtotal"] for row in refund], ["-50.00"])

    def test_payments_csv_prefixes_formula_like_text(self):
        _wizard, content = self._export(dataset="payments", file_format="csv")
        rows, _text = self._csv_rows(content)
        self.assertEqual(
            [(row["Client"], row["Memo"], row["Amount"]) for row in rows],
            [("'" + HYPERLINK, "'@SUM(A1)", "100.00")],
        )

    def test_aging_csv_prefixes_formula_like_text(self):
        if "agent.billing.aging" not in self.env:
            self.skipTest("the aging report is not installed")
        _wizard, content = self._export(
            dataset="aging", file_format="csv", aging_date=date(2025, 6, 30)
        )
        rows, _text = self._csv_rows(content)
        by_number = {row["Number"]: row for row in rows}
        self.assertEqual(by_number[self.inv["RET"].name]["Client"], "'=1+1")
        self.assertEqual(by_number[self.inv["MID"].name]["Client"], "'" + HYPERLINK)
        refund = by_number[self.refund.name]
        self.assertEqual(refund["Client"], "'-2+3")
        self.assertLess(float(refund["Open Amount"]), 0, "a negative amount, not text")
        self.assertFalse(refund["Open Amount"].startswith("'"))

    def test_usage_import_report_csv_prefixes_formula_like_keys(self):
        content = (
            "idempotency_key,client,quantity,timestamp\n"
            '"=HYPERLINK(""http://x"",""y"")",NOPE,1,2025-03-04T10:00:00Z\n'
            "@SUM(A1),NOPE,-1,2025-03-04T10:00:00Z\n"
        )
        wizard = self.env["agent.billing.usage.import"].create(
            {"file": base64.b64encode(content.encode()), "file_name": "usage.csv"}
        )
        wizard.action_check()
        report = list(
            csv.reader(
                io.StringIO(base64.b64decode(wizard.report_file).decode("utf-8-sig"), newline="")
            )
        )
        self.assertEqual(report[0], ["row", "status", "idempotency_key", "reason", "usage_id"])
        self.assertEqual(
            [(row[0], row[1], row[2]) for row in report[1:]],
            [("2", "error", "'" + HYPERLINK), ("3", "error", "'@SUM(A1)")],
        )
        # the import lines themselves keep the original keys
        self.assertEqual(
            wizard.line_ids.sorted("row").mapped("idempotency_key"), [HYPERLINK, "@SUM(A1)"]
        )
