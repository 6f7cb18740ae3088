import io
import os
import subprocess
from datetime import date, datetime

from lxml import html as lxml_html

from odoo import Command
from odoo.exceptions import ValidationError
from odoo.tests import HttpCase, tagged
from odoo.tools import format_date

from .common import AgentBillingCommon

MARCH = {
    "period_start": date(2025, 3, 1),
    "period_end": date(2025, 3, 31),
    "invoice_date": date(2025, 4, 1),
}
REPORT = "account.account_invoices"


class AgentBillingInvoiceCommon(AgentBillingCommon):
    """The hand-checked March scenario of test_billing_run (posted), plus a prepaid client."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.commitment = cls._create_product(name="Commitment true-up", type="service")
        cls.tier.commitment_product_id = cls.commitment
        # per agent, deployment from March 16: 3 x 100 x 16/31 = 154.84
        cls.c_mid = cls._create_client("Mid-month Ltd", "MID")
        cls._contract(cls.c_mid, "per_agent")
        cls.d_mid = cls._deploy(cls.c_mid, cls.agent_support, 3, date(2025, 3, 16))
        cls.d_mid.name = "Helpdesk EU"
        # usage on the tier: 6,000 tasks graduated = 470.00
        cls.c_grad = cls._create_client("Graduated Inc", "GRAD")
        cls._contract(cls.c_grad, "usage", tier=cls.tier)
        cls._usage(cls.c_grad, cls.metric_task, 2500, datetime(2025, 3, 2), "g1")
        cls._usage(cls.c_grad, cls.metric_task, 3500, datetime(2025, 3, 20), "g2")
        # minimum commitment: 2 x 90 + 500 x 0.10 = 230 -> true-up 770
        cls.c_min = cls._create_client("Minimum SA", "MIN")
        cls._contract(cls.c_min, "contract", tier=cls.tier)
        cls._deploy(cls.c_min, cls.agent_support, 2, date(2024, 6, 1))
        cls._usage(cls.c_min, cls.metric_task, 500, datetime(2025, 3, 10), "m1")
        # override from March 11: 300 x 10/31 = 96.77 ; 250 x 21/31 = 169.35
        cls.c_ovr = cls._create_client("Override GmbH", "OVR")
        cls._contract(cls.c_ovr, "per_agent")
        cls._deploy(cls.c_ovr, cls.agent_sales, 1, date(2025, 1, 1))
        cls.env["agent.billing.price.override"].create(
            {
                "partner_id": cls.c_ovr.id,
                "product_id": cls.agent_sales.id,
                "monthly_rate": 250.0,
                "date_from": date(2025, 3, 11),
            }
        )
        # prepaid: 1,000 task credits bought in January; 1,300 tasks in March
        # -> 1,000 from the block (0 left) and 300 at the catalog 0.05 = 15.00
        credits = (
            cls.env["product.template"]
            .create(
                {
                    "name": "1,000 task credits",
                    "type": "service",
                    "list_price": 40.0,
                    "agent_prepaid_metric_id": cls.metric_task.id,
                    "agent_prepaid_units": 1000.0,
                    "agent_prepaid_validity_months": 12,
                    "property_account_income_id": cls.company_data["default_account_revenue"].id,
                }
            )
            .product_variant_id
        )
        cls.c_pre = cls._create_client("Retainer Ltd", "RET")
        cls._contract(cls.c_pre, "usage")
        cls.credit_sale = cls.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": cls.c_pre.id,
                "invoice_date": date(2025, 1, 15),
                "invoice_line_ids": [
                    Command.create({"product_id": credits.id, "quantity": 1, "price_unit": 40.0})
                ],
            }
        )
        cls.credit_sale.action_post()
        cls._usage(cls.c_pre, cls.metric_task, 1300, datetime(2025, 3, 12), "p1")

        cls.billing_run = cls.env["agent.billing.run"].create(MARCH)
        cls.billing_run.action_compute()
        cls.billing_run.action_create_invoices()
        cls.billing_run.action_post()
        moves = cls.billing_run.move_ids
        cls.inv = {
            partner.ref: moves.filtered(lambda m, p=partner: m.partner_id == p)
            for partner in (cls.c_mid, cls.c_grad, cls.c_min, cls.c_ovr, cls.c_pre)
        }

    def _html(self, moves):
        return self.env["ir.actions.report"]._render_qweb_html(REPORT, moves.ids)[0].decode()

    def _keep(self, name, content):
        """Set AGENT_BILLING_KEEP_PDF to a folder to look at the rendered documents."""
        folder = os.environ.get("AGENT_BILLING_KEEP_PDF")
        if folder:
            with open(os.path.join(folder, name), "wb") as file:
                file.write(content)

    @staticmethod
    def _pdf_text(pdf_bytes):
        """The text of a PDF, by poppler's pdftotext (layout kept)."""
        result = subprocess.run(
            ["pdftotext", "-layout", "-", "-"], input=pdf_bytes, capture_output=True, check=True
        )
        return result.stdout.decode()


def _table_rows(document, name):
    """The cell texts, row by row, of the report table ``name`` (whitespace collapsed)."""
    rows = []
    for row in document.xpath(f"//table[@name='{name}']/tbody/tr"):
        rows.append([" ".join(cell.text_content().split()) for cell in row.xpath("./td")])
    return rows


@tagged("post_install", "-at_install")
class TestInvoiceReport(AgentBillingInvoiceCommon):
    def test_scenario_invoices_are_billing_documents(self):
        self.assertEqual(len(self.billing_run.move_ids), 5)
        self.assertEqual(set(self.billing_run.move_ids.mapped("state")), {"posted"})
        self.assertEqual(self.inv["RET"].amount_untaxed, 15.0)

    def test_breakdown_in_html(self):
        mid = lxml_html.fromstring(self._html(self.inv["MID"]))
        text = " ".join(mid.text_content().split())
        self.assertIn("Billing Period", text)
        self.assertIn("03/01/2025 - 03/31/2025", text)
        self.assertIn("Usage Breakdown", text)
        self.assertEqual(
            _table_rows(mid, "agent_breakdown_agents"),
            [
                ["Support Agent"],
                ["Helpdesk EU", "3", "16 / 31", "$ 100.00", "$ 154.84"],
            ],
        )
        self.assertFalse(mid.xpath("//table[@name='agent_breakdown_usage']"))
        due = " ".join(mid.get_element_by_id("agent_amount_due").text_content().split())
        self.assertIn("Amount Due", due)
        self.assertIn("$ 178.07", due, "154.84 + 15% tax, nothing paid yet")
        self.assertIn(format_date(self.env, self.inv["MID"].invoice_date_due), due)

        grad = lxml_html.fromstring(self._html(self.inv["GRAD"]))
        self.assertEqual(
            _table_rows(grad, "agent_breakdown_usage"),
            [
                [
                    "Test tasks (task)",
                    "6,000",
                    "0",
                    "6,000",
                    "1,000 at 0.1000; 4,000 at 0.0800; 1,000 at 0.0500",
                    "$ 470.00",
                ]
            ],
        )

        mini = lxml_html.fromstring(self._html(self.inv["MIN"]))
        self.assertEqual(
            _table_rows(mini, "agent_breakdown_minimum"), [["$ 1,000.00", "$ 230.00", "$ 770.00"]]
        )
        self.assertEqual(len(_table_rows(mini, "agent_breakdown_agents")), 2)
        self.assertEqual(len(_table_rows(mini, "agent_breakdown_usage")), 1)

        pre = lxml_html.fromstring(self._html(self.inv["RET"]))
        block = self.inv["RET"].invoice_line_ids.agent_prepaid_block_id
        self.assertEqual(
            _table_rows(pre, "agent_breakdown_prepaid"),
            [
                [
                    block.name,
                    "Test tasks (task)",
                    "1,000",
                    "0",
                    "01/14/2026",
                ]
            ],
        )
        self.assertEqual(
            _table_rows(pre, "agent_breakdown_usage"),
            [
                [
                    "Test tasks (task)",
                    "300",
                    "0",
                    "300",
                    "$ 0.05 per task",
                    "$ 15.00",
                ]
            ],
        )

    def test_nothing_internal_is_printed(self):
        ovr = self.inv["OVR"]
        self.assertEqual(
            sorted(ovr.invoice_line_ids.mapped("agent_price_source")), ["catalog", "override"]
        )
        body = self._html(ovr)
        self.assertIn("Usage Breakdown", body)
        for label in ("Client override", "Catalog", "Price From", "anomal"):
            self.assertNotIn(label, body)

    def test_ordinary_invoice_prints_as_in_odoo(self):
        invoice = self.init_invoice(
            "out_invoice",
            partner=self.partner_a,
            amounts=[100.0],
            invoice_date=date(2025, 3, 3),
            post=True,
        )
        self.env.company.agent_invoice_footer = "<p>Thank you for choosing agents</p>"
        with_billing = self._html(invoice)
        self.assertNotIn("agent_", with_billing)
        self.assertNotIn("Thank you for choosing agents", with_billing)
        self.env.ref("agent_billing.report_invoice_document_agent_billing").active = False
        # the same document, up to the blank lines left by the inheritance
        self.assertEqual(self._html(invoice).split(), with_billing.split())

    def test_settings_and_client_language(self):
        company = self.env.company
        company.write(
            {
                "agent_invoice_show_breakdown": False,
                "agent_invoice_payment_instructions": "<p>Pay to IBAN BE71 0961 2345 6769</p>",
                "agent_invoice_terms": "<p>Late payments bear interest</p>",
                "agent_invoice_footer": "<p>Thank you for your business</p>",
            }
        )
        body = self._html(self.inv["MID"])
        self.assertNotIn("Usage Breakdown", body)
        for text in (
            "Billing Period",
            "Pay to IBAN BE71 0961 2345 6769",
            "Late payments bear interest",
            "Thank you for your business",
        ):
            self.assertIn(text, body)
        # the client reads French: French texts, French number and date format
        self.env["res.lang"]._activate_lang("fr_FR")
        company.with_context(lang="fr_FR").agent_invoice_terms = "<p>Intérêts de retard</p>"
        company.agent_invoice_show_breakdown = True
        self.c_mid.lang = "fr_FR"
        document = lxml_html.fromstring(self._html(self.inv["MID"]))
        text = " ".join(document.text_content().split())
        self.assertIn("Intérêts de retard", text)
        self.assertNotIn("Late payments bear interest", text)
        self.assertIn("01/03/2025 - 31/03/2025", text)
        rows = _table_rows(document, "agent_breakdown_agents")
        self.assertEqual(rows[1][3:], ["$ 100,00", "$ 154,84"])


@tagged("post_install", "-at_install")
class TestInvoicePdf(AgentBillingInvoiceCommon, HttpCase):
    """Real PDFs by wkhtmltopdf, which loads the report's assets from the test server."""

    def test_real_pdf_of_the_scenario(self):
        """wkhtmltopdf renders each scenario invoice; its text holds the breakdown figures."""
        self.env.company.write(
            {
                "primary_color": "#1F6E8C",
                "secondary_color": "#84A7A1",
                "agent_invoice_payment_instructions": "<p>IBAN BE71 0961 2345 6769</p>",
                "agent_invoice_terms": "<p>Late payments bear interest.</p>",
                "agent_invoice_footer": "<p>Thank you for your business.</p>",
                "report_footer": "<p>Agents Inc. - billing@example.com</p>",
            }
        )
        expected = {
            "MID": ["Helpdesk EU", "16 / 31", "$ 100.00", "$ 154.84"],
            "GRAD": ["1,000 at 0.1000; 4,000 at 0.0800; 1,000 at 0.0500", "6,000", "$ 470.00"],
            "MIN": ["Contract Minimum", "$ 1,000.00", "$ 230.00", "$ 770.00"],
            "OVR": ["Sales Agent", "10 / 31", "21 / 31", "$ 96.77", "$ 169.35"],
            "RET": ["Prepaid Blocks", "1,000", "$ 0.05 per task", "$ 15.00"],
        }
        report = self.env["ir.actions.report"].with_context(force_report_rendering=True)
        for ref, figures in expected.items():
            move = self.inv[ref]
            pdf, kind = report._render_qweb_pdf(REPORT, move.ids)
            self.assertEqual(kind, "pdf")
            self.assertTrue(pdf.startswith(b"%PDF"))
            self._keep(f"{ref}.pdf", pdf)
            text = " ".join(self._pdf_text(pdf).split())
            for figure in [
                move.name,
                move.partner_id.name,
                self.env.company.name,
                "Billing Period",
                "Usage Breakdown",
                "Amount Due",
                "IBAN BE71 0961 2345 6769",
                "Late payments bear interest.",
                "Thank you for your business.",
                "billing@example.com",
                *figures,
            ]:
                self.assertIn(figure, text, f"{ref}: {figure!r} is printed")

    def test_hundreds_of_lines_paginate(self):
        """An invoice of 300 agent lines: several pages, and no row cut in two by a page
        break (a cut row is drawn, clipped, on both pages: its text would be there twice)."""
        invoice = self.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": self.c_mid.id,
                "invoice_date": date(2025, 4, 1),
                "agent_period_start": date(2025, 3, 1),
                "agent_period_end": date(2025, 3, 31),
                "invoice_line_ids": [
                    Command.create(
                        {
                            "product_id": self.agent_support.id,
                            "name": f"Deployment D{n:03d}",
                            "quantity": 1,
                            "price_unit": 100.0,
                            "agent_kind": "agents",
                            "agent_count": 1,
                            "agent_days": 31,
                            "agent_days_in_period": 31,
                            "agent_rate": 100.0,
                        }
                    )
                    for n in range(1, 301)
                ],
            }
        )
        invoice.action_post()
        pdf, _kind = (
            self.env["ir.actions.report"]
            .with_context(force_report_rendering=True)
            ._render_qweb_pdf(REPORT, invoice.ids)
        )
        self._keep("300-lines.pdf", pdf)
        import PyPDF2  # noqa: PLC0415

        self.assertGreater(len(PyPDF2.PdfReader(io.BytesIO(pdf)).pages), 10)
        text = self._pdf_text(pdf)
        for n in range(1, 301):
            self.assertEqual(text.count(f"Deployment D{n:03d}"), 1)
        self.assertEqual(text.count("31 / 31"), 300, "each breakdown row printed once, whole")
        self.assertEqual(text.count("Untaxed Amount"), 1)
        # the breakdown's column headers open each of its pages (repeated table header, or
        # one table per page-sized chunk where wkhtmltopdf cannot repeat it)
        self.assertGreaterEqual(text.count("Days of Period"), 8)
        self.assertIn("$ 30,000.00", " ".join(text.split()))


@tagged("post_install", "-at_install")
class TestInvoiceNumbering(AgentBillingCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.journal = cls.company_data["default_journal_sale"]

    def _post(self, day, move_type="out_invoice"):
        return self.init_invoice(
            move_type,
            partner=self.client_a,
            amounts=[100.0],
            invoice_date=day,
            post=True,
            journal=self.journal,
        )

    def test_monthly_format_takes_over_and_resets(self):
        before = self._post(date(2025, 3, 2))
        self.assertFalse(before.name.startswith("AB"), "Odoo's numbering until configured")
        self.journal.write(
            {
                "agent_sequence_prefix": "AB",
                "agent_sequence_reset": "month",
                "agent_sequence_padding": 4,
            }
        )
        names = [
            self._post(day).name
            for day in (date(2025, 3, 5), date(2025, 3, 20), date(2025, 4, 2), date(2025, 4, 3))
        ]
        self.assertEqual(
            names, ["AB/2025/03/0001", "AB/2025/03/0002", "AB/2025/04/0001", "AB/2025/04/0002"]
        )
        refund = self._post(date(2025, 3, 21), "out_refund")
        self.assertEqual(refund.name, "RAB/2025/03/0001")
        self.assertEqual(self._post(date(2025, 3, 25)).name, "AB/2025/03/0003")

    def test_yearly_and_plain_formats(self):
        self.journal.write(
            {
                "agent_sequence_prefix": "AGT-INV",
                "agent_sequence_reset": "year",
                "agent_sequence_padding": 6,
            }
        )
        self.assertEqual(
            [self._post(date(2025, 12, 30)).name, self._post(date(2026, 1, 2)).name],
            ["AGT-INV/2025/000001", "AGT-INV/2026/000001"],
        )
        self.journal.write(
            {
                "agent_sequence_prefix": "X",
                "agent_sequence_reset": "never",
                "agent_sequence_padding": 3,
            }
        )
        self.assertEqual(
            [self._post(date(2026, 1, 3)).name, self._post(date(2027, 2, 1)).name],
            ["X/001", "X/002"],
        )

    def test_format_is_validated(self):
        for prefix in ("AB1", "AB/", "A B", "/AB", "É", "A" * 21):
            with self.assertRaisesRegex(ValidationError, "may only hold letters"):
                self.journal.agent_sequence_prefix = prefix
        for padding in (0, 10):
            with self.assertRaisesRegex(ValidationError, r"between 1 and 9 digits"):
                self.journal.write(
                    {"agent_sequence_prefix": "AB", "agent_sequence_padding": padding}
                )
        self.journal.write(
            {
                "agent_sequence_prefix": "AB",
                "agent_sequence_reset": "month",
                "agent_sequence_padding": 5,
            }
        )
        today = date.today()
        self.assertEqual(
            self.journal.agent_sequence_example, f"AB/{today.year}/{today.month:02d}/00001"
        )

    def test_payment_terms(self):
        net60 = self.env.ref("agent_billing.account_payment_term_60days")
        terms = {"15days": 15, "30days": 30}
        for xmlid, days in terms.items():
            self.assertEqual(
                self.env.ref(f"account.account_payment_term_{xmlid}").line_ids.nb_days, days
            )
        invoice = self.init_invoice(
            "out_invoice", partner=self.client_a, amounts=[100.0], invoice_date=date(2025, 3, 1)
        )
        invoice.invoice_payment_term_id = net60
        self.assertEqual(invoice.invoice_date_due, date(2025, 4, 30))
