"""The statements of a ledger over a period (docs/postings.md, Statements): trial balance,
general ledger, journal, income statement, VAT statement; balance sheet and aged
balances (docs/statements.md).

Each computation reads a fixed number of queries, whatever the number of lines, and
returns a typed result; the API serializes it to JSON (docs/api.md) and `result.table()`
gives the neutral StatementTable that accounting.renderers writes as CSV, XLSX or PDF.
"""

from .aged_balance import AgedBalance, aged_balance
from .balance_sheet import BalanceSheet, balance_sheet
from .general_ledger import GeneralLedger, general_ledger
from .income import IncomeStatement, income_from_movements, income_statement
from .journal import JournalStatement, journal_statement
from .table import Column, ColumnKind, Percent, Row, RowKind, StatementTable
from .trial_balance import TrialBalance, account_movements, trial_balance
from .vat import VatStatement, rate_of_vat_account, vat_statement

__all__ = [
    "AgedBalance",
    "BalanceSheet",
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
    "aged_balance",
    "balance_sheet",
    "general_ledger",
    "income_from_movements",
    "income_statement",
    "journal_statement",
    "rate_of_vat_account",
    "trial_balance",
    "vat_statement",
]
