import base64
import csv
import io
from datetime import date, datetime

from openpyxl import Workbook

from odoo.exceptions import UserError
from odoo.tests import Form, new_test_user, tagged

from .common import AgentBillingCommon

UNKNOWN_CLIENT = "unknown client, or no active contract on the event's day"
MIXED_CSV = """idempotency_key,client,agent_type,metric,quantity,timestamp,source
imp-1,CLA,T-SUP,t_task,3,2025-03-04T10:00:00Z,
imp-2,CLB,T-SUP,t_task,2.5,2025-03-05 11:00:00,crm
existing-1,CLA,T-SUP,t_task,1,2025-03-04T10:00:00Z,
imp-1,CLA,T-SUP,t_task,3,2025-03-04T10:00:00Z,
imp-3,NOPE,T-SUP,t_task,1,2025-03-04T10:00:00Z,
imp-4,CLA,T-SUP,t_task,-1,2025-03-04T10:00:00Z,
imp-5,CLA,T-SUP,t_task,1,yesterday,
imp-6,CLA,,t_task,4,2025-03-06T08:00:00+02:00,
"""


@tagged("post_install", "-at_install")
class TestUsageImport(AgentBillingCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Usage = cls.env["agent.billing.usage"]
        cls.client_a.agent_billing_ref = "CLA"
        cls.client_b.agent_billing_ref = "CLB"
        cls._contract(cls.client_a, "usage")
        cls._contract(cls.client_b, "usage")
        cls.existing = cls._usage(
            cls.client_a, cls.metric_task, 7, datetime(2025, 3, 1), "existing-1"
        )
        cls.deployment = cls._deploy(cls.client_a, cls.agent_support, 2, date(2025, 1, 1))

    def _wizard(self, content, name="usage.csv", env=None, **vals):
        if isinstance(content, str):
            content = content.encode()
        return (env or self.env)["agent.billing.usage.import"].create(
            {
                "file": base64.b64encode(content) if content is not None else False,
                "file_name": name,
                **vals,
            }
        )

    def _report(self, wizard):
        return [
            (line.row, line.status, line.idempotency_key, line.reason or "")
            for line in wizard.line_ids.sorted("row")
        ]

    def _stored(self, pattern):
        return self.Usage.search([("idempotency_key", "like", pattern)], order="idempotency_key")

    def _xlsx(self, rows):
        workbook = Workbook()
        sheet = workbook.active
        for row in rows:
            sheet.append(row)
        workbook.create_sheet("Ignored").append(["idempotency_key", "client"])
        out = io.BytesIO()
        workbook.save(out)
        return out.getvalue()

    # --- Check -----------------------------------------------------------------------------------
    def test_check_reports_every_row_and_stores_nothing(self):
        wizard = self._wizard(MIXED_CSV)
        wizard.action_check()
        self.assertEqual(wizard.state, "checked")
        self.assertEqual(
            self._report(wizard),
            [
                (2, "ok", "imp-1", ""),
                (3, "ok", "imp-2", ""),
                (4, "duplicate", "existing-1", "already recorded; the original is kept"),
                (5, "duplicate", "imp-1", "same idempotency key as row 2 of this file"),
                (6, "error", "imp-3", UNKNOWN_CLIENT),
                (7, "error", "imp-4", "quantity -1.0 is negative"),
                (8, "error", "imp-5", "timestamp is missing or not an ISO 8601 date-time"),
                (9, "ok", "imp-6", ""),
            ],
        )
        self.assertEqual(
            (
                wizard.row_count,
                wizard.ok_count,
                wizard.duplicate_count,
                wizard.error_count,
                wizard.imported_count,
            ),
            (8, 3, 2, 3, 0),
        )
        # the duplicate of a stored record points to it; nothing new is linked or stored
        lines = {line.row: line for line in wizard.line_ids}
        self.assertEqual(lines[4].usage_id, self.existing)
        self.assertFalse((lines[2] | lines[3] | lines[5] | lines[9]).usage_id)
        self.assertFalse(self._stored("imp-%"))
        self.assertEqual(self.existing.quantity, 7)
        # the CSV report holds the same lines
        self.assertEqual(wizard.report_name, "usage_report.csv")
        report = list(
            csv.reader(io.StringIO(base64.b64decode(wizard.report_file).decode("utf-8-sig")))
        )
        self.assertEqual(report[0], ["row", "status", "idempotency_key", "reason", "usage_id"])
        self.assertEqual(len(report), 9)
        self.assertEqual(
            report[3],
            [
                "4",
                "duplicate",
                "existing-1",
                "already recorded; the original is kept",
                str(self.existing.id),
            ],
        )
        self.assertEqual(report[5], ["6", "error", "imp-3", UNKNOWN_CLIENT, ""])
        action = wizard.action_download_report()
        self.assertEqual(action["type"], "ir.actions.act_url")
        self.assertIn(
            f"/web/content/agent.billing.usage.import/{wizard.id}/report_file/usage_report.csv",
            action["url"],
        )

    def test_all_or_nothing_refuses_a_file_with_errors(self):
        wizard = self._wizard(MIXED_CSV)
        self.assertEqual(wizard.mode, "all_or_nothing")
        with self.assertRaisesRegex(UserError, r"3 of 8 rows are wrong, so nothing was imported"):
            wizard.action_import()
        self.assertFalse(self._stored("imp-%"))
        self.assertEqual(self.Usage.search_count([("idempotency_key", "=", "existing-1")]), 1)

    def test_valid_rows_imports_exactly_the_good_rows(self):
        wizard = self._wizard(MIXED_CSV, mode="valid_rows")
        wizard.action_check()
        wizard.action_import()
        self.assertEqual(wizard.state, "done")
        self.assertEqual(
            (
                wizard.row_count,
                wizard.ok_count,
                wizard.duplicate_count,
                wizard.error_count,
                wizard.imported_count,
            ),
            (8, 3, 2, 3, 3),
        )
        self.assertEqual(
            [status for _row, status, _key, _reason in self._report(wizard)],
            ["ok", "ok", "duplicate", "duplicate", "error", "error", "error", "ok"],
        )
        stored = self._stored("imp-%")
        self.assertEqual(stored.mapped("idempotency_key"), ["imp-1", "imp-2", "imp-6"])
        imp1, imp2, imp6 = stored
        self.assertEqual(
            (imp1.partner_id, imp1.quantity, imp1.timestamp, imp1.source),
            (self.client_a, 3.0, datetime(2025, 3, 4, 10, 0), "usage.csv"),
        )
        self.assertEqual((imp2.partner_id, imp2.quantity, imp2.source), (self.client_b, 2.5, "crm"))
        self.assertEqual(
            (imp6.timestamp, imp6.product_id, imp6.metric_id),
            (datetime(2025, 3, 6, 6, 0), self.env["product.product"], self.metric_task),
        )
        lines = {line.row: line for line in wizard.line_ids}
        self.assertEqual(lines[2].usage_id, imp1)
        self.assertEqual(lines[5].usage_id, imp1)  # the in-file duplicate points to row 2's record
        self.assertEqual(lines[4].usage_id, self.existing)
        self.assertFalse(lines[6].usage_id)
        self.assertEqual(self.existing.quantity, 7)  # the original is kept
        # importing the same file again stores nothing more: all valid rows are duplicates
        again = self._wizard(MIXED_CSV, mode="valid_rows")
        again.action_import()
        self.assertEqual(
            (again.imported_count, again.duplicate_count, again.error_count), (0, 5, 3)
        )
        self.assertEqual(len(self._stored("imp-%")), 3)

    def test_xlsx_with_datetime_and_numeric_cells(self):
        self.client_b.agent_billing_ref = "2002"
        content = self._xlsx(
            [
                [
                    "Idempotency Key",
                    "CLIENT",
                    "Deployment",
                    "agent type",
                    "Metric",
                    "Quantity",
                    "Time_Stamp",
                    "Notes",
                ],
                [
                    "x-1",
                    "CLA",
                    None,
                    "T-SUP",
                    "t_task",
                    2,
                    datetime(2025, 3, 4, 10, 30, 15),
                    "ignored column",
                ],
                [
                    1001.0,
                    2002.0,
                    None,
                    float(self.agent_sales.id),
                    None,
                    1.5,
                    date(2025, 3, 5),
                    None,
                ],
                [None, None, None, None, None, None, None, None],  # a blank row is no event
                [
                    "x-3",
                    "CLA",
                    float(self.deployment.id),
                    None,
                    None,
                    4,
                    datetime(2025, 3, 6, 8, 0),
                    None,
                ],
                # a number in the client column is a reference, not a partner id
                ["x-4", float(self.client_a.id), None, "T-SUP", None, 1, date(2025, 3, 5), None],
            ]
        )
        wizard = self._wizard(content, name="usage.xlsx", source="sheet", mode="valid_rows")
        wizard.action_check()
        self.assertEqual(
            self._report(wizard),
            [
                (2, "ok", "x-1", ""),
                (3, "ok", "1001", ""),
                (5, "ok", "x-3", ""),
                (6, "error", "x-4", UNKNOWN_CLIENT),
            ],
        )
        self.assertFalse(self._stored("x-%"))
        wizard.action_import()
        self.assertEqual((wizard.state, wizard.imported_count, wizard.error_count), ("done", 3, 1))
        x1 = self.Usage.search([("idempotency_key", "=", "x-1")])
        self.assertEqual(
            (x1.partner_id, x1.product_id, x1.metric_id, x1.quantity, x1.timestamp, x1.source),
            (
                self.client_a,
                self.agent_support,
                self.metric_task,
                2.0,
                datetime(2025, 3, 4, 10, 30, 15),
                "sheet",
            ),
        )
        numeric = self.Usage.search([("idempotency_key", "=", "1001")])
        self.assertEqual(
            (
                numeric.partner_id,
                numeric.product_id,
                numeric.metric_id,
                numeric.quantity,
                numeric.timestamp,
            ),
            (self.client_b, self.agent_sales, self.metric_exec, 1.5, datetime(2025, 3, 5, 0, 0)),
        )
        x3 = self.Usage.search([("idempotency_key", "=", "x-3")])
        self.assertEqual(
            (x3.deployment_id, x3.product_id, x3.quantity),
            (self.deployment, self.agent_support, 4.0),
        )
        self.assertFalse(self._stored("x-4"))

    def test_semicolon_csv_with_bom(self):
        content = (
            "\ufeffIdempotency Key;Client;Agent_Type;Quantity;Timestamp\r\n"
            "sc-1;CLA;T-SUP;2,5;2025-03-04 10:00:00\r\n"
            "\r\n"
            "sc-2;CLB;T-SDR;7;2025-03-05T12:00:00Z\r\n"
        ).encode()
        wizard = self._wizard(content)
        wizard.action_check()
        self.assertEqual(self._report(wizard), [(2, "ok", "sc-1", ""), (4, "ok", "sc-2", "")])
        wizard.action_import()
        sc1, sc2 = self._stored("sc-%")
        self.assertEqual(
            (sc1.partner_id, sc1.quantity, sc1.metric_id, sc1.timestamp),
            (self.client_a, 2.5, self.metric_task, datetime(2025, 3, 4, 10, 0)),
        )
        self.assertEqual(
            (sc2.partner_id, sc2.quantity, sc2.metric_id), (self.client_b, 7.0, self.metric_exec)
        )

    def test_duplicates_across_batches_of_a_large_file(self):
        lines = ["idempotency_key,client,agent_type,quantity,timestamp"]
        lines += [f"big-{i},CLA,T-SUP,1,2025-03-04 10:00:00" for i in range(1001)]
        lines.append("big-0,CLA,T-SUP,1,2025-03-04 10:00:00")  # row 1003, second batch
        wizard = self._wizard("\n".join(lines), mode="valid_rows")
        wizard.action_check()
        self.assertEqual(
            (wizard.row_count, wizard.ok_count, wizard.duplicate_count), (1002, 1001, 1)
        )
        last = wizard.line_ids.filtered(lambda line: line.row == 1003)
        self.assertEqual(
            (last.status, last.reason), ("duplicate", "same idempotency key as row 2 of this file")
        )
        self.assertFalse(self._stored("big-%"))
        wizard.action_import()
        self.assertEqual((wizard.imported_count, wizard.duplicate_count), (1001, 1))
        self.assertEqual(len(self._stored("big-%")), 1001)

    def test_row_with_more_values_than_columns_is_reported(self):
        wizard = self._wizard(
            "idempotency_key,client,agent_type,quantity,timestamp\n"
            "e-1,CLA,T-SUP,1,2025-03-04 10:00:00,surplus\n"
            "e-2,CLA,T-SUP,1,2025-03-04 10:00:00\n",
            mode="valid_rows",
        )
        wizard.action_import()
        self.assertEqual(
            self._report(wizard),
            [
                (2, "error", "e-1", "the row has 1 value(s) more than the header has columns"),
                (3, "ok", "e-2", ""),
            ],
        )
        self.assertEqual(self._stored("e-%").mapped("idempotency_key"), ["e-2"])

    def test_billing_user_can_import(self):
        user = new_test_user(
            self.env,
            login="usage_importer",
            groups="base.group_user,agent_billing.group_agent_billing_user",
            company_id=self.env.company.id,
            company_ids=[(6, 0, self.env.company.ids)],
        )
        wizard = self._wizard(
            "idempotency_key,client,agent_type,quantity,timestamp\n"
            "u-1,CLA,T-SUP,1,2025-03-04 10:00:00\n",
            env=self.env(user=user),
        )
        wizard.action_check()
        wizard.action_import()
        self.assertEqual((wizard.state, wizard.imported_count), ("done", 1))
        self.assertEqual(self._stored("u-%").create_uid, user)

    def test_form_view_flow(self):
        content = (
            b"idempotency_key,client,agent_type,quantity,timestamp\n"
            b"f-1,CLA,T-SUP,1,2025-03-04 10:00:00\n"
            b"f-2,NOPE,T-SUP,1,2025-03-04 10:00:00\n"
        )
        form = Form(self.env["agent.billing.usage.import"])
        form.file = base64.b64encode(content).decode()
        form.mode = "valid_rows"
        wizard = form.save()
        action = wizard.action_check()
        self.assertEqual(
            (action["res_model"], action["res_id"], action["target"]),
            ("agent.billing.usage.import", wizard.id, "new"),
        )
        form = Form(wizard)
        self.assertEqual((form.state, form.ok_count, form.error_count), ("checked", 1, 1))
        self.assertEqual(len(form.line_ids), 2)
        # another file: the previous report no longer applies
        form.file = base64.b64encode(content.replace(b"NOPE", b"CLB")).decode()
        self.assertEqual((form.state, form.error_count, len(form.line_ids)), ("draft", 0, 0))
        wizard = form.save()
        wizard.action_import()
        self.assertEqual((wizard.state, wizard.imported_count, wizard.error_count), ("done", 2, 0))
        self.assertEqual(self._stored("f-%").partner_id, self.client_a | self.client_b)

    # --- File errors -----------------------------------------------------------------------------
    def test_missing_columns_are_named(self):
        wizard = self._wizard("Idempotency Key,client,metric\nm-1,CLA,t_task\n")
        with self.assertRaisesRegex(
            UserError,
            r"lacks the required column\(s\) quantity, timestamp\. "
            r"Found: Idempotency Key, client, metric\.",
        ):
            wizard.action_check()

    def test_file_errors(self):
        with self.assertRaisesRegex(UserError, r"Choose a CSV or XLSX file"):
            self._wizard(None, name=False).action_check()
        with self.assertRaisesRegex(UserError, r"usage\.csv is empty"):
            self._wizard(b"").action_check()
        with self.assertRaisesRegex(UserError, r"usage\.csv is empty"):
            self._wizard(b"\n ,, \n").action_check()
        with self.assertRaisesRegex(UserError, r"has a header but no data rows"):
            self._wizard("idempotency_key,client,quantity,timestamp\n\n").action_import()
        with self.assertRaisesRegex(
            UserError,
            r"cannot be read: it is neither an XLSX file "
            r"nor UTF-8 text",
        ):
            self._wizard("idempotency_key,client\nk,Zürich\n".encode("latin-1")).action_check()
        with self.assertRaisesRegex(UserError, r"broken\.xlsx cannot be read as an XLSX"):
            self._wizard(b"PK\x03\x04 not really a zip", name="broken.xlsx").action_check()
        with self.assertRaisesRegex(UserError, r"old Excel \(\.xls\) file"):
            self._wizard(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", name="old.xls").action_check()
        with self.assertRaisesRegex(UserError, r"appears twice"):
            self._wizard(
                "client,Client,idempotency_key,quantity,timestamp\nCLA,CLA,k,1,2025-03-04\n"
            ).action_check()
        self.assertFalse(self.Usage.search([("idempotency_key", "=", "k")]))

    def test_too_many_rows(self):
        content = "idempotency_key,client,quantity,timestamp\n" + (
            "many,CLA,1,2025-03-04 10:00:00\n" * 100_001
        )
        with self.assertRaisesRegex(UserError, r"more than 100,000 rows"):
            self._wizard(content).action_check()
        self.assertFalse(self._stored("many"))
