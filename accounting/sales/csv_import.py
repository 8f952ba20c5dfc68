"""The CSV of Z tickets, read (`accounting.sales.services.sales_days_import` records it):
one row per day, every row or none, the header being

    date;ttc_0;ttc_2_1;ttc_5_5;ttc_10;ttc_20;cash;card;other[;transactions]

in any order (names in any case). `ttc_<rate>` is the day's sales VAT included at that
rate (0, 2,1, 5,5, 10 and 20 %); cash, card and other are the payments. Dates are
AAAA-MM-JJ or JJ/MM/AAAA; amounts are >= 0 with two decimals at most, a comma or a dot
before the decimals, optionally with spaces between thousands and a trailing "€"; an
empty cell is 0. `transactions`, optional, is the number of sales the till counted (a
whole number, docs/e-reporting.md); an empty cell or no such column: not given. The
delimiter is `;` (French spreadsheets) or `,` (then decimals take a dot, or the cell is
quoted), read from the header line. UTF-8, with or without BOM; 2 MB and 3,000 days at
most. Errors are listed by line (the header is line 1) and nothing is written while any
remains.
"""

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal

from mache import csvfiles
from mache.csvfiles import parse_day, parse_decimal, parse_whole, quoted
from mache.formats import format_date, format_quantity
from mache.money import CENT
from shops.dates import Bounds

from .rules import MAX_TRANSACTIONS, ZERO, SalesDayIn, sales_day_errors

# Amounts of a day: ten digits before the decimals, as the API's MoneyField.
AMOUNT_INT_DIGITS = 10
RATE_COLUMNS = {
    "ttc_0": Decimal("0.00"),
    "ttc_2_1": Decimal("2.10"),
    "ttc_5_5": Decimal("5.50"),
    "ttc_10": Decimal("10.00"),
    "ttc_20": Decimal("20.00"),
}
PAYMENT_COLUMNS = ["cash", "card", "other"]
TRANSACTIONS = "transactions"
COLUMNS = ["date", *RATE_COLUMNS, *PAYMENT_COLUMNS, TRANSACTIONS]
EXPECTED_HEADER = ";".join(COLUMNS[:-1]) + f" (colonne facultative : {TRANSACTIONS})"
MAX_ROWS = 3_000
# Spaces a spreadsheet puts between thousands: plain, no-break, narrow no-break.
THOUSANDS_RE = re.compile(r"[ \u00a0\u202f]")


@dataclass
class Row:
    line: int
    day: SalesDayIn | None  # None when a cell did not parse (its error is listed)
    errors: list[str] = field(default_factory=list)


def lower_first(message: str) -> str:
    """A sentence continued after "Ligne 3 : "."""
    return message[:1].lower() + message[1:]


def parse_amount(text: str) -> tuple[Decimal, str | None]:
    """A cell's amount (empty: 0), or the error (without the line nor the column)."""
    cleaned = THOUSANDS_RE.sub("", text).removesuffix("€")
    if not cleaned:
        return ZERO, None
    if cleaned.startswith("-"):
        return ZERO, f"montant {quoted(text)} négatif."
    value = parse_decimal(cleaned, places=2, int_digits=AMOUNT_INT_DIGITS)
    if value is None:
        return ZERO, f"montant {quoted(text)} invalide (deux décimales au plus)."
    return value.quantize(CENT), None


def parse_transactions(text: str) -> tuple[int | None, str | None]:
    """A cell's number of sales (empty: not given), or the error."""
    cleaned = THOUSANDS_RE.sub("", text)
    if not cleaned:
        return None, None
    count = parse_whole(cleaned, low=0, high=MAX_TRANSACTIONS)
    if count is None:
        return None, (
            f"nombre {quoted(text)} invalide (un nombre entier de 0 à "
            f"{format_quantity(MAX_TRANSACTIONS)})."
        )
    return count, None


def parse_row(line: int, cells: dict[str, str], *, bounds: Bounds, today: dt.date) -> Row:
    errors = []
    day, error = parse_day(cells["date"])
    if error:
        errors.append(error)
    amounts = {}
    for name in [*RATE_COLUMNS, *PAYMENT_COLUMNS]:
        amounts[name], error = parse_amount(cells[name])
        if error:
            errors.append(f"{name} : {error}")
    transactions, error = parse_transactions(cells.get(TRANSACTIONS, ""))
    if error:
        errors.append(f"{TRANSACTIONS} : {error}")
    if errors:
        return Row(line=line, day=None, errors=errors)
    # Every rate, zeros included: a day without sales is then "total nul" (zero amounts
    # give neither a ticket line nor an entry line).
    sales_day = SalesDayIn(
        date=day,
        lines=[(rate, amounts[name]) for name, rate in RATE_COLUMNS.items()],
        **{name: amounts[name] for name in PAYMENT_COLUMNS},
        transactions=transactions,
    )
    for messages in sales_day_errors(sales_day, bounds=bounds, today=today).values():
        errors.extend(lower_first(message) for message in messages)
    return Row(line=line, day=sales_day, errors=errors)


def parse_sales_days(
    text: str, *, bounds: Bounds, today: dt.date
) -> tuple[list[Row], list[tuple[int, str]]]:
    """Every day of the file, and the (line, message) of every error found; `bounds`:
    the shop's business dates."""
    records = csvfiles.CsvRecords(
        text,
        columns=COLUMNS,
        optional=frozenset({TRANSACTIONS}),
        max_rows=MAX_ROWS,
        what="jours",
        expected=EXPECTED_HEADER,
    )
    rows: list[Row] = []
    first_line_of_day: dict[dt.date, int] = {}
    for line, cells in records:
        row = parse_row(line, cells, bounds=bounds, today=today)
        if row.day is not None:
            if row.day.date in first_line_of_day:
                row.errors.append(
                    f"le {format_date(row.day.date)} figure déjà ligne "
                    f"{first_line_of_day[row.day.date]}."
                )
            else:
                first_line_of_day[row.day.date] = line
        rows.append(row)
        records.errors.extend((line, message) for message in row.errors)
    return rows, records.errors
