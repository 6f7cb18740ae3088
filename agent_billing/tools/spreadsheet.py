"""Spreadsheet safety of the exports: text that a spreadsheet could run as a formula is written
as text (CSV and formula injection, OWASP "CSV Injection").

A text cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return may be read
by Excel or LibreOffice as a formula, e.g. a client named ``=HYPERLINK("http://x","y")``. Every
export of the billing addons writes its text through this module; numbers stay numbers (a
negative amount is a number cell, never text) and the exports' own totals (``=SUM(...)``) stay
formulas, because they are written as formulas on purpose and never pass through here.

- XLSX (openpyxl): such a text becomes a string cell (``data_type = "s"``, an inline string),
  never a formula cell (openpyxl makes any string starting with ``=`` a formula), with the
  cell style's *quote prefix* set. The cell holds and shows the original text, with no
  apostrophe added to it: the quote prefix is the flag Excel sets when one types
  ``'=1+1``, and it keeps the cell text when a user edits it and presses Enter (Excel shows
  the apostrophe in the formula bar only). LibreOffice opens it as a text cell. Prefixing the
  value itself with an apostrophe would show that apostrophe in the cell, since an XLSX string
  is shown as stored. Excel's error codes (``#N/A``, ...) written as text stay text too
  (openpyxl would make them error cells).
- CSV: such a text gets a leading single quote (``'=HYPERLINK(...)``), as OWASP recommends;
  a CSV has no cell types, so the quote is the only way to keep the text out of the formula
  parser (spreadsheets show it). The csv module quotes a field holding a comma, a double quote
  or a line break, doubling its double quotes, so a text cannot end its field early.

This module imports nothing from Odoo, and openpyxl only when an XLSX cell is made.
"""

# What a spreadsheet may take for the start of a formula (OWASP's list).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")

# The strings openpyxl writes as error cells rather than text (openpyxl.cell.cell.ERROR_CODES).
XLSX_ERROR_CODES = frozenset(("#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A"))


def is_formula_like(value):
    """Whether ``value`` is a text a spreadsheet could take for a formula."""
    return isinstance(value, str) and value.startswith(FORMULA_TRIGGERS)


# --- CSV ---------------------------------------------------------------------------------------
def csv_text(value):
    """``value`` as a CSV text field: a formula-like text gets a leading ``'``; anything else
    (other texts, numbers, None) is returned unchanged. Use it for text columns only: a number
    formatted as text (``"-12.50"``) would get the quote too."""
    if is_formula_like(value):
        return "'" + value
    return value


def csv_row(values):
    """``values`` with every formula-like text neutralised (see :func:`csv_text`); numbers are
    left as they are, so pass numbers as int, float or Decimal, not as text."""
    return [csv_text(value) for value in values]


# --- XLSX (openpyxl) ---------------------------------------------------------------------------
def xlsx_needs_text_cell(value):
    """Whether openpyxl or a spreadsheet would not keep the text ``value`` as plain text."""
    return isinstance(value, str) and (
        value.startswith(FORMULA_TRIGGERS) or value in XLSX_ERROR_CODES
    )


def xlsx_protect(cell):
    """Makes the openpyxl ``cell`` a text cell with the quote prefix if its value needs it
    (:func:`xlsx_needs_text_cell`); returns the cell. Call it after setting the value, and
    never on a cell that holds one of our own formulas."""
    if xlsx_needs_text_cell(cell.value):
        cell.data_type = "s"
        cell.quotePrefix = True
    return cell


def xlsx_text_cell(worksheet, value):
    """A cell of ``worksheet`` holding ``value`` as text (for ``worksheet.append``; works in
    write-only and normal worksheets)."""
    from openpyxl.cell import WriteOnlyCell  # noqa: PLC0415  (imported only when exporting)

    return xlsx_protect(WriteOnlyCell(worksheet, value=value))


def xlsx_value(worksheet, value):
    """``value`` ready for ``worksheet.append``: a text cell when the text needs it, else
    ``value`` itself (numbers, dates, ordinary texts and None are not wrapped)."""
    if xlsx_needs_text_cell(value):
        return xlsx_text_cell(worksheet, value)
    return value


def xlsx_row(worksheet, values):
    """The row ``values`` ready for ``worksheet.append`` (see :func:`xlsx_value`). Not for a
    row of our own formulas: append those as they are."""
    return [xlsx_value(worksheet, value) for value in values]
