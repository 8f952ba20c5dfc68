"""The statements as spreadsheets: CSV and XLSX, from a StatementTable.

- CSV for spreadsheets set to French: semicolons, a decimal comma, dates as
  dd/mm/yyyy, UTF-8 with a byte order mark (without it Excel reads the accents as
  Latin-1), a header line with the column titles.
- XLSX: amounts are numbers (the Decimal's own digits, shown as #,##0.00), dates are
  dates, rates are percentages; a title row, the period, then the table.
"""

import csv
import datetime as dt
import io
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

from mache.formats import format_date
from mache.money import money

from ..statements.table import Percent, RowKind, StatementTable

# A text cell that starts with one of these is a formula to a spreadsheet: a label
# typed by a user ("=HYPERLINK(...)") must stay text (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


# --- CSV ------------------------------------------------------------------------------


def _csv_cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, Percent):
        return f"{value.value:.2f}".replace(".", ",")
    if isinstance(value, Decimal):
        return f"{money(value)}".replace(".", ",")
    if isinstance(value, dt.date):
        return format_date(value)
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def to_csv(table: StatementTable) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow([column.title for column in table.columns])
    writer.writerows(
        [_csv_cell(value) for value in row.cells] for row in (*table.rows, *table.totals)
    )
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


# --- XLSX -----------------------------------------------------------------------------

MONEY_FORMAT = "#,##0.00"
DATE_FORMAT = "DD/MM/YYYY"
PERCENT_FORMAT = "0.00%"
_BOLD = Font(bold=True)
_TITLE = Font(bold=True, size=14)
_HEADER_FILL = PatternFill("solid", fgColor="E4E7EB")
_TOTAL_FILL = PatternFill("solid", fgColor="F5F7FA")
_HEADER_BORDER = Border(bottom=Side(style="thin", color="616E7C"))
_RIGHT = Alignment(horizontal="right")


def _xlsx_cell(sheet, value, *, bold: bool = False, fill=None) -> WriteOnlyCell:
    if isinstance(value, Percent):
        # Excel shows 0.2345 as 23,45 %; a Decimal divided by 100 keeps every digit.
        cell = _exact_number(sheet, value.value / 100)
        cell.number_format = PERCENT_FORMAT
    elif isinstance(value, Decimal):
        cell = _exact_number(sheet, value)
        cell.number_format = MONEY_FORMAT
    elif isinstance(value, dt.date):
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = DATE_FORMAT
    elif value is None:
        cell = WriteOnlyCell(sheet, value=None)
    else:
        cell = WriteOnlyCell(sheet, value=str(value))
        cell.data_type = "s"  # text, even when it starts with "=" (no formula)
    if bold:
        cell.font = _BOLD
    if fill is not None:
        cell.fill = fill
    return cell


def _exact_number(sheet, value: Decimal) -> WriteOnlyCell:
    """A number cell holding the Decimal's own digits. Given a Decimal, openpyxl writes
    it through a float ("%.16g": 9.95 becomes 9.949999999999999); given its text and
    the numeric type, it writes the text as it is."""
    cell = WriteOnlyCell(sheet, value=f"{value:f}")
    cell.data_type = "n"
    return cell


def to_xlsx(table: StatementTable) -> bytes:
    # Write-only: rows stream to the file, so a general ledger of 100,000 lines does not
    # hold 100,000 cell objects at once.
    book = Workbook(write_only=True)
    sheet = book.create_sheet(table.title[:31])  # Excel's limit for a sheet name
    for index, column in enumerate(table.columns):
        sheet.column_dimensions[get_column_letter(index + 1)].width = column.width + 2
    header_row = 4
    sheet.freeze_panes = f"A{header_row + 1}"
    sheet.print_title_rows = f"{header_row}:{header_row}"

    title = WriteOnlyCell(sheet, value=f"{table.title} — {table.ledger_name}")
    title.font = _TITLE
    sheet.append([title])
    sheet.append([table.period_label])
    sheet.append([])
    header = []
    for column in table.columns:
        cell = WriteOnlyCell(sheet, value=column.title)
        cell.font, cell.fill, cell.border = _BOLD, _HEADER_FILL, _HEADER_BORDER
        if column.numeric:
            cell.alignment = _RIGHT
        header.append(cell)
    sheet.append(header)
    for row in (*table.rows, *table.totals):
        bold = row.kind in (RowKind.HEADING, RowKind.SUBTOTAL, RowKind.TOTAL)
        fill = _TOTAL_FILL if row.kind == RowKind.TOTAL else None
        sheet.append([_xlsx_cell(sheet, value, bold=bold, fill=fill) for value in row.cells])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
