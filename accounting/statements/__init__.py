"""The statements of a ledger over a period (docs/postings.md, Statements): trial balance,
general ledger, journal, income statement, VAT statement.

Each computation reads a fixed number of queries, whatever the number of lines, and
returns a typed result; the API serializes it to JSON (docs/api.md) and `result.table()`
gives the neutral StatementTable that accounting.renderers writes as CSV, XLSX or PDF.
"""

from .general_ledger import GeneralLedger, general_ledger
from .income import IncomeStatement, income_from_movements, income_statement
from .journal import JournalStatement, journal_statement
from .table import Column, ColumnKind, Percent, Row, RowKind, StatementTable
from .trial_balance import TrialBalance, account_movements, trial_balance
from .vat import VatStatement, rate_of_vat_account, vat_statement

__all__ = [
    "Column",
    "ColumnKind",
    "GeneralLedger",
    "IncomeStatement",
    "JournalStatement",
    "Percent",
    "Row",
    "RowKind",
    "StatementTable",
    "TrialBalance",
    "VatStatement",
    "account_movements",
    "general_ledger",
    "income_from_movements",
    "income_statement",
    "journal_statement",
    "rate_of_vat_account",
    "trial_balance",
    "vat_statement",
]
