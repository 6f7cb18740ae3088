"""Tests of agent_billing/tools/spreadsheet.py, the spreadsheet safety of the exports (no Odoo
needed).

    python3 -m pytest tests/tools -q -p no:odoo
"""

import csv
import importlib.util
import io
import os
import tempfile
from pathlib import Path

import openpyxl
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.configuration import set_hypothesis_home_dir

MODULE = Path(__file__).resolve().parents[2] / "agent_billing" / "tools" / "spreadsheet.py"

if not os.environ.get("HYPOTHESIS_STORAGE_DIRECTORY"):
    set_hypothesis_home_dir(Path(tempfile.gettempdir()) / "agent_billing_tools_hypothesis")


def _load():
    # by path: importing the agent_billing package would import Odoo
    spec = importlib.util.spec_from_file_location("agent_billing_tools_spreadsheet", MODULE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


sheet = _load()

DANGEROUS = [
    '=HYPERLINK("http://x","y")',
    "+1+1",
    "@SUM(A1)",
    "-2+3",
    "\tx",
    "\rx",
    '=1+2";=1+2',
    "-",
    "=cmd|' /C calc'!A0",
]
HARMLESS = ["Acme Ltd", "a=b", " x", "1+1", "", 'Mid-month, "Ltd"', "'quoted"]
# texts openpyxl can store (it refuses other control characters)
texts = st.text(
    st.characters(
        blacklist_categories=("Cs",),
        blacklist_characters="".join(chr(c) for c in range(32) if chr(c) not in "\t\n\r"),
    ),
    max_size=40,
)


def test_module_imports_nothing_from_odoo():
    source = MODULE.read_text()
    assert "import odoo" not in source and "from odoo" not in source


@pytest.mark.parametrize("value", DANGEROUS)
def test_csv_text_prefixes_formula_like_text(value):
    assert sheet.csv_text(value) == "'" + value


@pytest.mark.parametrize("value", HARMLESS)
def test_csv_text_keeps_other_text(value):
    assert sheet.csv_text(value) == value


def test_csv_row_keeps_numbers_and_none():
    assert sheet.csv_row([-5, -2.5, None, "-5", "x"]) == [-5, -2.5, None, "'-5", "x"]


@given(texts)
def test_csv_text_never_starts_with_a_trigger_and_keeps_the_text(value):
    result = sheet.csv_text(value)
    assert not result.startswith(sheet.FORMULA_TRIGGERS)
    assert result in (value, "'" + value)


def _csv_text(rows):
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    for row in rows:
        writer.writerow(sheet.csv_row(row))
    return out.getvalue()


def test_csv_rows_read_back():
    text = _csv_text([["Client", "Amount"], ['=1+2";=1+2', -12.5], ["a,=1+2", 3]])
    # OWASP's example: =1+2";=1+2 is written "'=1+2"";=1+2"
    assert text.splitlines() == ["Client,Amount", '"\'=1+2"";=1+2",-12.5', '"a,=1+2",3']
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert rows == [["Client", "Amount"], ["'=1+2\";=1+2", "-12.5"], ["a,=1+2", "3"]]


@given(st.lists(texts, min_size=1, max_size=5))
def test_csv_round_trip_fields_are_safe(values):
    (row,) = list(csv.reader(io.StringIO(_csv_text([values]), newline="")))
    assert len(row) == len(values)
    for read, value in zip(row, values, strict=True):
        assert not read.startswith(sheet.FORMULA_TRIGGERS)
        assert read == sheet.csv_text(value)


def _reopen(book):
    buffer = io.BytesIO()
    book.save(buffer)
    return openpyxl.load_workbook(io.BytesIO(buffer.getvalue())).worksheets[0]


@pytest.mark.parametrize("write_only", [True, False])
def test_xlsx_row_writes_text_cells_numbers_and_our_formulas(write_only):
    book = openpyxl.Workbook(write_only=write_only)
    worksheet = book.create_sheet("S") if write_only else book.active
    values = DANGEROUS + ["#N/A", "Acme", -5, -2.5, None]
    worksheet.append(sheet.xlsx_row(worksheet, values))
    worksheet.append(["=SUM(A1:B1)"])  # our own formula: appended as it is
    read = _reopen(book)
    first = [read.cell(row=1, column=index) for index in range(1, len(values) + 1)]
    second = [read.cell(row=2, column=1)]
    for cell, value in zip(first, values, strict=True):
        if isinstance(value, str):
            assert (cell.data_type, cell.value) == ("s", value), value
        elif value is None:
            assert cell.value is None
        else:
            assert (cell.data_type, cell.value) == ("n", value)
    assert all(cell.quotePrefix for cell in first[: len(DANGEROUS) + 1])
    assert not first[len(DANGEROUS) + 1].quotePrefix, "an ordinary text keeps its style"
    assert (second[0].data_type, second[0].value) == ("f", "=SUM(A1:B1)")


def test_xlsx_value_leaves_ordinary_values_unwrapped():
    worksheet = openpyxl.Workbook().active
    for value in ("Acme", "a=b", -5, 2.5, None):
        assert sheet.xlsx_value(worksheet, value) is value


def test_xlsx_protect_keeps_the_cell_style():
    from openpyxl.styles import Font

    book = openpyxl.Workbook(write_only=True)
    worksheet = book.create_sheet("S")
    cell = openpyxl.cell.WriteOnlyCell(worksheet, value="=label")
    cell.font = Font(bold=True)
    worksheet.append([sheet.xlsx_protect(cell)])
    (read,) = next(_reopen(book).iter_rows())
    assert (read.data_type, read.value, read.font.b, read.quotePrefix) == (
        "s",
        "=label",
        True,
        True,
    )


@given(texts)
def test_xlsx_any_text_reads_back_as_the_same_text(value):
    book = openpyxl.Workbook(write_only=True)
    worksheet = book.create_sheet("S")
    worksheet.append(sheet.xlsx_row(worksheet, [value or "x"]))
    (read,) = next(_reopen(book).iter_rows())
    assert read.data_type == "s"
    assert read.value == (value or "x")
