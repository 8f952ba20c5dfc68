"""The FEC, Fichier des Écritures Comptables (article A47 A-1 du LPF; docs/fec.md).

The rules come first, as pure functions with no ORM: formatting (dates AAAAMMJJ,
amounts "1234,50", text cleaned of separators and line breaks, the file name), the
opening entry built from balances, and the validator `fec_violations`, which checks a
file against every rule of docs/fec.md; the `fec_check` command and the export's tests both
run it. Then the export, `fec_export`, which reads the books in four queries at most whatever
their size.

The package: `format` (pure formatting), `check` (pure validation, used by
`manage.py fec_check` and by the export's tests), `export` (the ORM reads, streamed:
`fec_stream`) and `description` (the text that accompanies the file).
"""

from .check import (
    FecReport,
    amount_problem,
    fec_inspect,
    fec_violations,
    filename_problems,
    format_violation,
    format_warning,
    line_problems,
    parse_fec_date,
    split_part,
    year_start,
)
from .description import fec_description
from .export import (
    fec_chunks,
    fec_export,
    fec_lines,
    fec_stream,
)
from .format import (
    BALANCE_SHEET_CLASSES,
    COLUMN,
    EOL,
    FIELDS,
    LOSS_ACCOUNT,
    OPENING_JOURNAL,
    OPENING_LABEL,
    PROFIT_ACCOUNT,
    RESULT_CLASSES,
    SEPARATOR,
    ZERO,
    entry_number,
    fec_amount,
    fec_date,
    fec_filename,
    fec_row,
    fec_text,
    opening_rows,
)

__all__ = [
    "BALANCE_SHEET_CLASSES",
    "COLUMN",
    "EOL",
    "FIELDS",
    "FecReport",
    "LOSS_ACCOUNT",
    "OPENING_JOURNAL",
    "OPENING_LABEL",
    "PROFIT_ACCOUNT",
    "RESULT_CLASSES",
    "SEPARATOR",
    "ZERO",
    "amount_problem",
    "entry_number",
    "fec_amount",
    "fec_chunks",
    "fec_date",
    "fec_description",
    "fec_export",
    "fec_filename",
    "fec_inspect",
    "fec_lines",
    "fec_row",
    "fec_stream",
    "fec_text",
    "fec_violations",
    "filename_problems",
    "format_violation",
    "format_warning",
    "line_problems",
    "opening_rows",
    "parse_fec_date",
    "split_part",
    "year_start",
]
