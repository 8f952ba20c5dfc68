"""The neutral shape every statement takes for its files: a title, columns, rows and
totals. The CSV, XLSX and PDF renderers (accounting.renderers) read only this shape, so
no statement has file code of its own and the three files of a statement always show
the same figures. JSON is not made from it: it keeps the contract's shape (docs/api.md).

A cell is typed by its Python value, which each renderer turns into its own notation:
`str` text, `datetime.date` a date, `Decimal` an amount of money, `Percent` a rate,
`None` an empty cell.
"""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from mache.formats import format_date
from shops.models import Cooperative

from ..models import Ledger


class ColumnKind(StrEnum):
    TEXT = "text"
    DATE = "date"
    MONEY = "money"
    RATE = "rate"


@dataclass(frozen=True)
class Column:
    title: str  # French: it heads the column in every file
    kind: ColumnKind = ColumnKind.TEXT
    width: int = 12  # in characters: the XLSX column width
    # A free text (a label): on paper it takes the room the other columns leave, and
    # wraps; every other column is as wide as its widest cell.
    wraps: bool = False

    @property
    def numeric(self) -> bool:
        return self.kind in (ColumnKind.MONEY, ColumnKind.RATE)


@dataclass(frozen=True)
class Percent:
    """A percentage as people write it: Percent(Decimal("23.45")) is 23,45 %."""

    value: Decimal


class RowKind(StrEnum):
    LINE = "line"  # a movement: the PDF carries these rows' sums from page to page
    INFO = "info"  # a figure that is not a movement (an opening balance)
    HEADING = "heading"  # an account's or a journal's title
    SUBTOTAL = "subtotal"
    TOTAL = "total"


Cell = str | dt.date | Decimal | Percent | None


@dataclass(frozen=True)
class Row:
    cells: tuple[Cell, ...]
    kind: RowKind = RowKind.LINE
    # Rows of one group (an entry's lines) stay on one page when they can.
    group: str | None = None


@dataclass(frozen=True)
class StatementTable:
    title: str  # "Balance générale"
    slug: str  # "balance": the start of the file name
    ledger_name: str  # whose books: the shop's or the cooperative's name
    date_from: dt.date
    date_to: dt.date
    columns: tuple[Column, ...]
    rows: tuple[Row, ...]
    totals: tuple[Row, ...] = ()  # after the rows, on the last page
    # Money columns whose running sums over LINE rows the PDF carries from the foot of
    # a page ("À reporter") to the head of the next ("Report"), written in label_column.
    carried: tuple[int, ...] = ()
    label_column: int = 0
    # A statement at one date (an aged balance) rather than over a period.
    as_of: bool = False

    def __post_init__(self):
        width = len(self.columns)
        for row in (*self.rows, *self.totals):
            if len(row.cells) != width:
                raise ValueError(
                    f"{self.slug}: a row of {len(row.cells)} cells under "
                    f"{width} columns: {row.cells!r}"
                )
        for index in self.carried:
            if self.columns[index].kind != ColumnKind.MONEY:
                raise ValueError(f"{self.slug}: column {index} is carried but holds no money")

    @property
    def period_label(self) -> str:
        if self.as_of:
            return f"Au {format_date(self.date_to)}"
        return f"Du {format_date(self.date_from)} au {format_date(self.date_to)}"


def ledger_name(ledger: Ledger) -> str:
    """The name the statements print for a ledger: its shop's, or the cooperative's."""
    if ledger.shop_id:
        return ledger.shop.name
    return Cooperative.objects.values_list("name", flat=True).first() or "Coopérative"


def entry_reference(journal: str, fiscal_year: int, number: int) -> str:
    """Entry.reference ("VTE-2026-000012") from the three columns, for statements that
    read lines as tuples: a model instance per line costs ten times more."""
    return f"{journal}-{fiscal_year}-{number:06d}"


def money_or_blank(amount: Decimal) -> Decimal | None:
    """The side of a ledger line that holds nothing prints empty, as on paper."""
    return amount or None
