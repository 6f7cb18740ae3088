import base64
import csv
import io
import zipfile
from datetime import date, datetime
from decimal import Decimal
from unittest.mock import patch

from odoo import Command
from odoo.exceptions import UserError
from odoo.tests import HttpCase, tagged

from ..wizards import agent_billing_export
from .test_invoice_report import AgentBillingInvoiceCommon


class ExportCase(AgentBillingInvoiceCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # a client whose name needs quoting in CSV, paid in part
        cls.inv["MID"].partner_id.name = 'Mid-month, "Ltd"'
        cls.payment = (
            cls.env["account.payment.register"]
            .with_context(
                active_model="account.move",
                active_ids=cls.inv["MID"].ids,
            )
            .create({"payment_date": date(2025, 4, 10), "amount": 100.0})
            ._create_payments()
        )

    def _export(self, **vals):
        wizard = self.env["agent.billing.export"].create(
            {"date_from": date(2025, 4, 1), "date_to": date(2025, 4, 30), **vals}
        )
        action = wizard.action_export()
        self.assertEqual(action["type"], "ir.actions.act_url")
        self.assertIn(f"/web/content/agent.billing.export/{wizard.id}/file_data/", action["url"])
        self.assertTrue(action["url"].endswith(f"{wizard.file_name}?download=true"))
        return wizard, base64.b64decode(wizard.file_data)

    @staticmethod
    def _book(content):
        import openpyxl  # noqa: PLC0415

        return openpyxl.load_workbook(io.BytesIO(content))

    @staticmethod
    def _csv(content):
        return list(csv.DictReader(io.StringIO(content.decode("utf-8"), newline="")))

    @staticmethod
    def _sheet_rows(sheet):
        """Rows as dicts by header, the totals rows left out."""
        header = [cell.value for cell in sheet[1]]
        rows = []
        for row in sheet.iter_rows(min_row=2):
            values = dict(zip(header, row, strict=True))
            if str(values[header[0]].value or "").startswith("Total"):
                continue
            rows.append(values)
        return rows


@tagged("post_install", "-at_install")
class TestExport(ExportCase):
    def test_invoices_xlsx(self):
        wizard, content = self._export(dataset="invoices", file_format="xlsx")
        self.assertEqual(wizard.file_name, "billing-invoices-2025-04-01-2025-04-30.xlsx")
        book = self._book(content)
        self.assertEqual(book.sheetnames, ["Invoices"])
        sheet = book["Invoices"]
        header = [cell.value for cell in sheet[1]]
        self.assertEqual(header[:4], ["Number", "Type", "Client", "Client Reference"])
        self.assertTrue(all(cell.font.b for cell in sheet[1]))
        self.assertEqual(sheet.freeze_panes, "A2")
        self.assertEqual(sheet.auto_filter.ref, "A1:P6")
        self.assertGreater(sheet.column_dimensions["C"].width, 20)
        rows = self._sheet_rows(sheet)
        self.assertEqual(len(rows), 5)
        by_number = {row["Number"].value: row for row in rows}
        mid = by_number[self.inv["MID"].name]
        self.assertEqual(mid["Client"].value, 'Mid-month, "Ltd"')
        self.assertEqual(mid["Invoice Date"].value, datetime(2025, 4, 1))  # a real date cell
        self.assertTrue(mid["Invoice Date"].is_date)
        self.assertEqual(mid["Invoice Date"].number_format, "yyyy-mm-dd")
        self.assertEqual(mid["Period End"].value, datetime(2025, 3, 31))
        self.assertEqual(mid["Untaxed"].value, 154.84)
        self.assertEqual(mid["Total"].value, 178.07)
        self.assertEqual(mid["Amount Due"].value, 78.07, "178.07 less the 100.00 paid")
        self.assertEqual(mid["Total"].data_type, "n")
        self.assertEqual(mid["Total"].number_format, '"$ "#,##0.00')
        # no payment terms: due on its invoice date, long past, so overdue though partly paid
        self.assertEqual(mid["Billing Status"].value, "Overdue")
        # one totals row (one currency), summing the money columns
        self.assertEqual(sheet["A7"].value, "Total")
        self.assertEqual(sheet["M7"].value, "=SUM(M2:M6)")
        self.assertEqual(sheet["O7"].value, "=SUM(O2:O6)")
        self.assertEqual(sheet["O7"].number_format, '"$ "#,##0.00')
        untaxed = sum(Decimal(str(row["Untaxed"].value)) for row in rows)
        self.assertEqual(untaxed, Decimal("1905.96"), "154.84 + 470 + 1000 + 266.12 + 15")

    def test_lines_xlsx_with_usage(self):
        _wizard, content = self._export(dataset="lines", file_format="xlsx")
        book = self._book(content)
        self.assertEqual(book.sheetnames, ["Invoice Lines", "Usage by Day"])
        lines = self._sheet_rows(book["Invoice Lines"])
        grad = [row for row in lines if row["Invoice"].value == self.inv["GRAD"].name]
        self.assertEqual(len(grad), 1)
        grad = grad[0]
        self.assertEqual(
            (
                grad["Charge"].value,
                grad["Usage Quantity"].value,
                grad["Included Units"].value,
                grad["Billed Units"].value,
            ),
            ("Usage", 6000, 0, 6000),
        )
        self.assertEqual(
            grad["Tier Bands"].value, "1,000 at 0.1000; 4,000 at 0.0800; 1,000 at 0.0500"
        )
        self.assertEqual(grad["Subtotal"].value, 470.0)
        self.assertEqual(grad["Usage Records"].value, 2)
        self.assertEqual(grad["Price From"].value, "Contract tier")
        mid = [row for row in lines if row["Invoice"].value == self.inv["MID"].name][0]
        self.assertEqual(
            (
                mid["Agents"].value,
                mid["Days"].value,
                mid["Days in Period"].value,
                mid["Rate"].value,
                mid["Deployment"].value,
            ),
            (3, 16, 31, 100.0, "Helpdesk EU"),
        )
        prepaid = [row for row in lines if row["Charge"].value == "Prepaid block"][0]
        block = self.inv["RET"].invoice_line_ids.agent_prepaid_block_id
        self.assertEqual(
            (
                prepaid["Prepaid Block"].value,
                prepaid["Prepaid Left"].value,
                prepaid["Usage Quantity"].value,
            ),
            (block.name, 0, 1000),
        )
        self.assertEqual(prepaid["Subtotal"].value, 0)
        usage = self._sheet_rows(book["Usage by Day"])
        grad_usage = [
            (row["Day"].value, row["Quantity"].value, row["Usage Records"].value)
            for row in usage
            if row["Invoice"].value == self.inv["GRAD"].name
        ]
        self.assertEqual(
            grad_usage, [(datetime(2025, 3, 2), 2500, 1), (datetime(2025, 3, 20), 3500, 1)]
        )
        self.assertTrue(all(row["Day"].is_date for row in usage))

    def test_csv(self):
        wizard, content = self._export(dataset="invoices", file_format="csv")
        self.assertEqual(wizard.file_name, "billing-invoices-2025-04-01-2025-04-30.csv")
        self.assertTrue(content.startswith(b"Number,Type,Client,"))
        self.assertIn(b'"Mid-month, ""Ltd"""', content, "quoted by the csv module")
        rows = {row["Number"]: row for row in self._csv(content)}
        self.assertEqual(len(rows), 5)
        mid = rows[self.inv["MID"].name]
        self.assertEqual(
            (
                mid["Client"],
                mid["Invoice Date"],
                mid["Period Start"],
                mid["Untaxed"],
                mid["Total"],
                mid["Amount Due"],
            ),
            ('Mid-month, "Ltd"', "2025-04-01", "2025-03-01", "154.84", "178.07", "78.07"),
        )
        self.assertEqual(rows[self.inv["GRAD"].name]["Untaxed"], "470.00")
        _wizard, content = self._export(dataset="lines", file_format="csv")
        lines = self._csv(content)
        grad = [row for row in lines if row["Invoice"] == self.inv["GRAD"].name][0]
        self.assertEqual(
            (grad["Usage Quantity"], grad["Billed Units"], grad["Subtotal"], grad["Rate"]),
            ("6000", "6000", "470.00", ""),
        )
        ret = [
            row
            for row in lines
            if row["Invoice"] == self.inv["RET"].name and row["Charge"] == "Usage"
        ][0]
        self.assertEqual((ret["Rate"], ret["Quantity"]), ("0.05", "300"))

    def test_filters(self):
        _wizard, content = self._export(
            dataset="invoices",
            file_format="csv",
            partner_ids=[Command.set((self.c_min | self.c_ovr).ids)],
        )
        self.assertEqual(
            {row["Client"] for row in self._csv(content)}, {"Minimum SA", "Override GmbH"}
        )
        self.env["account.payment.register"].with_context(
            active_model="account.move",
            active_ids=self.inv["GRAD"].ids,
        ).create({"payment_date": date(2025, 4, 12)})._create_payments()
        self.assertEqual(self.inv["GRAD"].agent_billing_status, "paid")
        _wizard, content = self._export(
            dataset="invoices", file_format="csv", billing_status="paid"
        )
        self.assertEqual([row["Number"] for row in self._csv(content)], [self.inv["GRAD"].name])
        # the invoices of a client's contacts are the client's
        contact = self.env["res.partner"].create({"name": "Ann", "parent_id": self.c_min.id})
        extra = self.init_invoice(
            "out_invoice",
            partner=contact,
            amounts=[10.0],
            invoice_date=date(2025, 4, 20),
            post=True,
        )
        _wizard, content = self._export(
            dataset="invoices", file_format="csv", partner_ids=[Command.set(self.c_min.ids)]
        )
        self.assertEqual(
            {row["Number"] for row in self._csv(content)}, {self.inv["MIN"].name, extra.name}
        )
        with self.assertRaisesRegex(UserError, "No invoices match"):
            self._export(dataset="invoices", date_from=date(2025, 5, 1), date_to=date(2025, 5, 31))
        with self.assertRaisesRegex(UserError, "swap the dates"):
            self._export(dataset="invoices", date_from=date(2025, 5, 1), date_to=date(2025, 4, 1))
        with self.assertRaisesRegex(UserError, "Only invoices print as PDF"):
            self._export(dataset="payments", file_format="pdf")

    def test_payments(self):
        _wizard, content = self._export(dataset="payments", file_format="xlsx")
        sheet = self._book(content)["Payments"]
        rows = self._sheet_rows(sheet)
        self.assertEqual(len(rows), 1)
        self.assertEqual(
            (
                rows[0]["Date"].value,
                rows[0]["Amount"].value,
                rows[0]["Invoices"].value,
                rows[0]["Client"].value,
            ),
            (datetime(2025, 4, 10), 100.0, self.inv["MID"].name, 'Mid-month, "Ltd"'),
        )
        self.assertEqual(sheet["K3"].value, "=SUM(K2:K2)")
        with self.assertRaisesRegex(UserError, "No payments match"):
            self._export(dataset="payments", file_format="csv", date_from=date(2025, 4, 11))
        # from the payment list
        server_action = self.env.ref("agent_billing.action_server_agent_export_payments_xlsx")
        action = server_action.with_context(
            active_model="account.payment", active_ids=self.payment.ids
        ).run()
        wizard = self.env["agent.billing.export"].browse(int(action["url"].split("/")[4]))
        self.assertEqual((wizard.dataset, wizard.payment_ids), ("payments", self.payment))
        rows = self._sheet_rows(self._book(base64.b64decode(wizard.file_data))["Payments"])
        self.assertEqual([row["Number"].value for row in rows], [self.payment.name])

    def test_aging(self):
        if "agent.billing.aging" not in self.env:
            self.skipTest("the aging report is not installed")
        wizard, content = self._export(
            dataset="aging", file_format="xlsx", aging_date=date(2025, 6, 30)
        )
        self.assertEqual(wizard.file_name, "billing-aging-2025-06-30.xlsx")
        sheet = self._book(content).active
        self.assertEqual(sheet.freeze_panes, "A2")
        rows = self._sheet_rows(sheet)
        open_amounts = {row["Number"].value: row["Open Amount"].value for row in rows}
        for ref in ("MID", "GRAD", "MIN", "OVR", "RET"):
            move = self.inv[ref]
            self.assertEqual(open_amounts[move.name], move.amount_residual)
        self.assertEqual(open_amounts[self.inv["MID"].name], 78.07, "after the April payment")
        mid = [row for row in rows if row["Number"].value == self.inv["MID"].name][0]
        self.assertTrue(mid["Invoice Date"].is_date)
        self.assertEqual(mid["Client"].value, 'Mid-month, "Ltd"')
        header = [cell.value for cell in sheet[1]]
        column = chr(ord("A") + header.index("Open Amount"))
        self.assertEqual(
            sheet[f"{column}{sheet.max_row}"].value, f"=SUM({column}2:{column}{sheet.max_row - 1})"
        )
        # as of a date before the payment, the whole invoice was open
        _wizard, content = self._export(
            dataset="aging", file_format="csv", aging_date=date(2025, 4, 5)
        )
        rows = {row["Number"]: row for row in self._csv(content)}
        self.assertEqual(rows[self.inv["MID"].name]["Open Amount"], "178.07")

    def test_several_currencies_get_one_total_each(self):
        other = self.setup_other_currency("EUR", rounding=0.01)
        invoice = self.init_invoice(
            "out_invoice",
            partner=self.c_grad,
            amounts=[50.0],
            invoice_date=date(2025, 4, 5),
            currency=other,
            post=True,
        )
        _wizard, content = self._export(dataset="invoices", file_format="xlsx")
        sheet = self._book(content)["Invoices"]
        last = sheet.max_row
        self.assertEqual(
            [sheet.cell(row, 1).value for row in (last - 1, last)], ["Total EUR", "Total USD"]
        )
        self.assertEqual(sheet.cell(last - 1, 13).value, '=SUMIF($L$2:$L$7,"EUR",M2:M7)')
        self.assertEqual(
            sheet.cell(last - 1, 13).number_format,
            f'#,##0.00" {other.symbol}"'
            if other.position == "after"
            else f'"{other.symbol} "#,##0.00',
        )
        row = [r for r in self._sheet_rows(sheet) if r["Number"].value == invoice.name][0]
        self.assertEqual((row["Currency"].value, row["Untaxed"].value), ("EUR", 50.0))

    def test_chunked_reading_gives_the_same_file(self):
        _wizard, whole = self._export(dataset="lines", file_format="csv")
        with patch.object(agent_billing_export, "CHUNK_SIZE", 2):
            _wizard, chunked = self._export(dataset="lines", file_format="csv")
        self.assertEqual(chunked, whole)
        self.assertEqual(len(self._csv(whole)), 9, "1 + 1 + 3 + 2 + 2 lines")

    def test_list_action_xlsx(self):
        moves = self.inv["GRAD"] | self.inv["MIN"]
        action = (
            self.env.ref("agent_billing.action_server_agent_export_xlsx")
            .with_context(active_model="account.move", active_ids=moves.ids)
            .run()
        )
        wizard = self.env["agent.billing.export"].browse(int(action["url"].split("/")[4]))
        self.assertEqual(wizard.move_ids, moves)
        book = self._book(base64.b64decode(wizard.file_data))
        self.assertEqual(book.sheetnames, ["Invoices", "Invoice Lines", "Usage by Day"])
        self.assertEqual(
            {row["Number"].value for row in self._sheet_rows(book["Invoices"])},
            set(moves.mapped("name")),
        )
        self.assertEqual(len(self._sheet_rows(book["Invoice Lines"])), 4)
        bill = self.init_invoice(
            "in_invoice", partner=self.c_grad, amounts=[10.0], invoice_date=date(2025, 4, 5)
        )
        with self.assertRaisesRegex(UserError, "Select customer invoices"):
            bill.action_agent_export_xlsx()
        other = self.env["res.company"].create({"name": "Other Agents Co"})
        wizard = self.env["agent.billing.export"].create(
            {"company_id": other.id, "move_ids": [Command.set(moves.ids)]}
        )
        with self.assertRaisesRegex(UserError, "one company at a time"):
            wizard.action_export()


@tagged("post_install", "-at_install")
class TestExportPdf(ExportCase, HttpCase):
    """Batch PDF of selected invoices (real PDFs by wkhtmltopdf)."""

    def test_batch_pdf_merged_and_zip(self):
        import PyPDF2  # noqa: PLC0415

        moves = self.inv["MID"] | self.inv["GRAD"]
        action = moves.action_agent_batch_pdf()
        wizard = self.env["agent.billing.export"].browse(action["res_id"])
        self.assertEqual((action["res_model"], action["target"]), ("agent.billing.export", "new"))
        self.assertEqual((wizard.file_format, wizard.move_ids), ("pdf", moves))
        wizard = wizard.with_context(force_report_rendering=True)
        wizard.action_export()
        self.assertEqual(wizard.file_name, "billing-invoices.pdf")
        merged = base64.b64decode(wizard.file_data)
        pages = PyPDF2.PdfReader(io.BytesIO(merged)).pages
        self.assertEqual(len(pages), 2, "one page per invoice")
        text = "\n".join(" ".join(page.extract_text().split()) for page in pages)
        self.assertIn(self.inv["MID"].name, text)
        self.assertIn(self.inv["GRAD"].name, text)
        wizard.pdf_layout = "zip"
        wizard.action_export()
        self.assertEqual(wizard.file_name, "billing-invoices.zip")
        with zipfile.ZipFile(io.BytesIO(base64.b64decode(wizard.file_data))) as archive:
            names = sorted(archive.namelist())
            self.assertEqual(names, sorted(m._get_invoice_report_filename() for m in moves))
            for name in names:
                self.assertTrue(archive.read(name).startswith(b"%PDF"))
