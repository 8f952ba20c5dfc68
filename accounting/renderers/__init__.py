"""The files of the statements: CSV, XLSX and PDF, written from a StatementTable
(accounting.statements.table) whatever the statement. A statement has no file code of
its own: a new one gets its three files by returning a table.
"""

from collections.abc import Callable
from dataclasses import dataclass

from ..statements.table import StatementTable
from .pdf import to_pdf
from .spreadsheets import to_csv, to_xlsx


@dataclass(frozen=True)
class FileFormat:
    extension: str
    content_type: str
    render: Callable[[StatementTable], bytes]


FORMATS = {
    "csv": FileFormat("csv", "text/csv; charset=utf-8", to_csv),
    "xlsx": FileFormat(
        "xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", to_xlsx
    ),
    "pdf": FileFormat("pdf", "application/pdf", to_pdf),
}
