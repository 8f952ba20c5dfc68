"""Daily till summaries (Z tickets): recorded and posted to the shop's books at once.

A Z ticket gives the day's sales VAT included, per rate, and how they were paid. It is
posted in the shop's books, in the same transaction as the ticket itself (accounting.md,
"Daily sales"): journal VTE, dated the sales day, piece `Z-<YYYYMMDD>`, source
`z:<shop id>:<YYYY-MM-DD>` (the unique key of the source: the books hold a day once).
The day is a business date of the shop (shops.dates: from its joining, not in the future).

    debit  530000  cash                       credit 707000  sales excl. VAT, per rate
    debit  512000  card ("Carte bancaire")    credit 445710  VAT, per rate
    debit  512000  other ("Autres règlements")

The VAT inside an amount incl. VAT is round(ttc * rate / (100 + rate), 2), half-up; the
amount excl. VAT is the rest, so each rate's two credits add up to its sales exactly and
the entry balances whenever the payments equal the sales. Zero amounts give no line
(the books refuse them); a rate that sold nothing is not kept on the ticket either.

One standing ticket per shop and day: the check runs under the shop's ledger row lock,
and the unique constraint (shop, date) on standing tickets stands behind it (409
`sales_exist` either way). A ticket whose entry the accountant reversed no longer stands
(`SalesDay.reversed_by`, set with the reversal): its day takes a new ticket, posted under
the source `z:<shop id>:<YYYY-MM-DD>/<n>`, n being the number of the day's reversed
tickets, so that the posting engine does not take it for the reversed one.

CSV import (`sales_days_import`): one row per day, every row or none, the header being

    date;ttc_0;ttc_2_1;ttc_5_5;ttc_10;ttc_20;cash;card;other

in any order (names in any case). `ttc_<rate>` is the day's sales VAT included at that
rate (0, 2,1, 5,5, 10 and 20 %); cash, card and other are the payments. Dates are
AAAA-MM-JJ or JJ/MM/AAAA; amounts are >= 0 with two decimals at most, a comma or a dot
before the decimals, optionally with spaces between thousands and a trailing "€"; an
empty cell is 0. The delimiter is `;` (French spreadsheets) or `,` (then decimals take a
dot, or the cell is quoted), read from the header line. UTF-8, with or without BOM;
2 MB and 3,000 days at most. Errors are listed by line (the header is line 1) and
nothing is written while any remains. All the days are posted by one `entries_post`
call: the query count does not depend on the number of days.
"""

import csv
import datetime as dt
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import IntegrityError, transaction

from mache import csvfiles
from mache.csvfiles import file_error, parse_day, parse_decimal, quoted, read_text
from mache.errors import BusinessRuleError, InvalidInput
from mache.fields import VAT_RATES
from mache.formats import format_date, format_eur, format_rate
from mache.money import CENT, ZERO, money
from mache.periods import paris_today
from shops.dates import Bounds, business_date_bounds, date_bounds_error

from .models import Entry, Ledger, SalesDay, SalesDayLine
from .services import EntryIn, LineIn, entries_post, ledger_for_shop

JOURNAL = "VTE"
CASH_ACCOUNT = "530000"
BANK_ACCOUNT = "512000"
SALES_ACCOUNT = "707000"
VAT_ACCOUNT = "445710"
LAWFUL_RATES = frozenset(Decimal(rate) for rate in VAT_RATES)
# Amounts of a day: ten digits before the decimals, as the API's MoneyField.
AMOUNT_INT_DIGITS = 10
UNIQUE_VIOLATION = "23505"  # PostgreSQL's SQLSTATE


class SalesExist(BusinessRuleError):
    code = "sales_exist"
    default_detail = "Le ticket Z de ce jour est déjà enregistré."


@dataclass(frozen=True)
class SalesDayIn:
    """A Z ticket as entered: (rate, amount incl. VAT) lines and the three payments."""

    date: dt.date
    lines: Sequence[tuple[Decimal, Decimal]]
    cash: Decimal = ZERO
    card: Decimal = ZERO
    other: Decimal = ZERO

    @property
    def total(self) -> Decimal:
        return sum((amount for _, amount in self.lines), ZERO)

    @property
    def paid(self) -> Decimal:
        return self.cash + self.card + self.other


# --- The rules: pure functions ------------------------------------------------------

def vat_included(amount_incl_vat: Decimal, rate: Decimal) -> Decimal:
    """The VAT inside an amount incl. VAT: 120.00 at 20 % -> 20.00; 10.55 at 5.5 % -> 0.55."""
    return money(amount_incl_vat * rate / (100 + rate))


def sales_entry_lines(*, lines: Sequence[tuple[Decimal, Decimal]], cash: Decimal,
                      card: Decimal, other: Decimal) -> list[LineIn]:
    """The lines of a Z ticket's entry: payments debited, then per rate (ascending) the
    sales excl. VAT and the VAT credited. No line for a zero amount.

    Balanced whenever cash + card + other equals the lines' total (check that first).
    """
    entry_lines = [LineIn(account, debit=amount, label=label) for account, amount, label in (
        (CASH_ACCOUNT, cash, "Espèces"), (BANK_ACCOUNT, card, "Carte bancaire"),
        (BANK_ACCOUNT, other, "Autres règlements")) if amount]
    for rate, amount in sorted(lines):
        vat = vat_included(amount, rate)
        if amount - vat:
            entry_lines.append(LineIn(SALES_ACCOUNT, credit=amount - vat, vat_rate=rate,
                                      label=f"Ventes TVA {format_rate(rate)}"))
        if vat:
            entry_lines.append(LineIn(VAT_ACCOUNT, credit=vat, vat_rate=rate,
                                      label=f"TVA collectée {format_rate(rate)}"))
    return entry_lines


def sales_day_errors(day: SalesDayIn, *, bounds: Bounds,
                     today: dt.date) -> dict[str, list[str]]:
    """What is wrong with a Z ticket, by field (`date`, `lines`, `payments`); {} if nothing.
    `bounds`: the shop's business dates (shops.dates.business_date_bounds)."""
    errors: dict[str, list[str]] = {}
    if day.date > today:
        errors["date"] = [f"Le {format_date(day.date)} est dans le futur : un ticket Z se "
                          f"saisit le jour même ou après."]
    elif error := date_bounds_error(day.date, bounds, today=today):
        errors["date"] = [error]
    line_errors, seen = [], set()
    if not day.lines:
        line_errors.append("Un ticket Z compte au moins une ligne.")
    for rate, amount in day.lines:
        if rate not in LAWFUL_RATES:
            line_errors.append(f"Taux de TVA {rate} non permis.")
        elif rate in seen:
            line_errors.append(f"Le taux {format_rate(rate)} figure deux fois : une ligne "
                               f"par taux.")
        seen.add(rate)
        if amount < 0 or amount != amount.quantize(CENT):
            line_errors.append(f"Montant {amount} invalide (positif, deux décimales au plus).")
    payment_errors = [f"Règlement {amount} invalide (positif, deux décimales au plus)."
                      for amount in (day.cash, day.card, day.other)
                      if amount < 0 or amount != amount.quantize(CENT)]
    if not line_errors and not payment_errors:
        if not day.total:
            line_errors.append("Le total des ventes est nul : il n'y a rien à comptabiliser.")
        elif day.paid != day.total:
            payment_errors.append(f"Les règlements ({format_eur(day.paid)}) ne correspondent "
                                  f"pas au total des ventes ({format_eur(day.total)}).")
    if line_errors:
        errors["lines"] = line_errors
    if payment_errors:
        errors["payments"] = payment_errors
    return errors


def source_of(shop, day: dt.date, reissue: int = 0) -> str:
    """The posting source of a shop's ticket of `day`, the `reissue`-th after as many
    reversed ones (0: the first ticket of the day)."""
    source = f"z:{shop.pk}:{day.isoformat()}"
    return f"{source}/{reissue}" if reissue else source


# --- Writes ---------------------------------------------------------------------------

def _locked_ledger(shop) -> Ledger:
    """The shop's ledger, its row locked until commit: tickets of a shop are recorded
    one after the other, so "none yet for this day" stays true until we write."""
    return Ledger.objects.select_for_update().get(pk=ledger_for_shop(shop).pk)


def _posted(*, ledger, shop, dates) -> tuple[dict[dt.date, Entry], dict[dt.date, int]]:
    """The entries of the standing tickets of these days, by day, and how many tickets
    of each day were reversed (two queries).

    The books are asked too, not only the tickets: an entry under the source a new
    ticket would take means the books hold that day already."""
    posted, reversed_count = {}, {}
    for sales_day in (SalesDay.objects.filter(shop=shop, date__in=dates)
                      .select_related("entry__journal")):
        if sales_day.reversed_by_id is None:
            posted[sales_day.date] = sales_day.entry
        else:
            reversed_count[sales_day.date] = reversed_count.get(sales_day.date, 0) + 1
    sources = {source_of(shop, day, reversed_count.get(day, 0)): day for day in dates
               if day not in posted}
    posted.update({sources[entry.source]: entry for entry in Entry.objects.filter(
        ledger=ledger, source__in=sources).select_related("journal")})
    return posted, reversed_count


def _sales_days_write(*, ledger, shop, days: list[SalesDayIn], user,
                      reissues: dict[dt.date, int]) -> list[SalesDay]:
    """Post and keep checked tickets of distinct days none of which has a standing
    ticket; `reissues`: the number of reversed tickets of a day (`_posted`).

    Call inside a transaction, under the ledger's lock (`_locked_ledger`).
    """
    entries = entries_post(entries=[EntryIn(
        ledger=ledger, journal=JOURNAL, date=day.date, label=f"Ventes du {format_date(day.date)}",
        piece_ref=f"Z-{day.date:%Y%m%d}", user=user,
        source=source_of(shop, day.date, reissues.get(day.date, 0)),
        lines=sales_entry_lines(lines=day.lines, cash=day.cash, card=day.card,
                                other=day.other)) for day in days])
    created_by = user if getattr(user, "pk", None) else None
    sales_days = SalesDay.objects.bulk_create(
        [SalesDay(shop=shop, date=day.date, cash=day.cash, card=day.card, other=day.other,
                  entry=entry, created_by=created_by)
         for day, entry in zip(days, entries, strict=True)])
    SalesDayLine.objects.bulk_create(
        SalesDayLine(sales_day=sales_day, vat_rate=rate, amount_incl_vat=amount)
        for sales_day, day in zip(sales_days, days, strict=True)
        for rate, amount in sorted(day.lines) if amount)
    return sales_days


def _is_duplicate_day(exc: IntegrityError) -> bool:
    """A unique violation on the tickets' table (shop and day, or the entry); anything
    else (a check of the books failing at commit) is a bug, not a conflict."""
    cause = exc.__cause__
    return (getattr(cause, "sqlstate", None) == UNIQUE_VIOLATION
            and getattr(getattr(cause, "diag", None), "table_name", None)
            == SalesDay._meta.db_table)


def _already_recorded(day: dt.date, entry: Entry) -> str:
    return f"Le ticket Z du {format_date(day)} est déjà enregistré ({entry.reference})."


def sales_day_record(*, shop, date: dt.date, lines: list[dict], payments: dict,
                     user) -> SalesDay:
    """Record a shop's Z ticket and post it to the shop's books, both or neither.

    `lines`: [{"vat_rate", "amount_incl_vat"}], `payments`: {"cash", "card", "other"}
    (Decimals; a payment left out is 0). Raises InvalidInput (400 on `date`, `lines`,
    `payments`), SalesExist (409: the day has its ticket) or PeriodClosed (409).
    """
    day = SalesDayIn(date=date,
                     lines=[(line["vat_rate"], line["amount_incl_vat"]) for line in lines],
                     **{name: payments.get(name, ZERO) for name in ("cash", "card", "other")})
    today = paris_today()
    errors = sales_day_errors(day, bounds=business_date_bounds(shop=shop, today=today),
                              today=today)
    if errors:
        raise InvalidInput(errors)
    try:
        with transaction.atomic():
            ledger = _locked_ledger(shop)
            posted, reissues = _posted(ledger=ledger, shop=shop, dates=[date])
            if posted:
                raise SalesExist(_already_recorded(date, posted[date]))
            [sales_day] = _sales_days_write(ledger=ledger, shop=shop, days=[day], user=user,
                                            reissues=reissues)
    except IntegrityError as exc:
        # The day's ticket, written meanwhile by a writer that did not take the lock.
        if _is_duplicate_day(exc):
            raise SalesExist() from exc
        raise
    return sales_day


# --- CSV import -------------------------------------------------------------------------

RATE_COLUMNS = {"ttc_0": Decimal("0.00"), "ttc_2_1": Decimal("2.10"),
                "ttc_5_5": Decimal("5.50"), "ttc_10": Decimal("10.00"),
                "ttc_20": Decimal("20.00")}
PAYMENT_COLUMNS = ["cash", "card", "other"]
COLUMNS = ["date", *RATE_COLUMNS, *PAYMENT_COLUMNS]
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
    if errors:
        return Row(line=line, day=None, errors=errors)
    # Every rate, zeros included: a day without sales is then "total nul" (zero amounts
    # give neither a ticket line nor an entry line).
    sales_day = SalesDayIn(date=day, lines=[(rate, amounts[name])
                                            for name, rate in RATE_COLUMNS.items()],
                           **{name: amounts[name] for name in PAYMENT_COLUMNS})
    for messages in sales_day_errors(sales_day, bounds=bounds, today=today).values():
        errors.extend(lower_first(message) for message in messages)
    return Row(line=line, day=sales_day, errors=errors)


def read_header(reader) -> dict[str, int]:
    names = csvfiles.read_header(reader, columns=COLUMNS)
    return {name: names.index(name) for name in COLUMNS}

def parse_sales_days(text: str, *, bounds: Bounds,
                     today: dt.date) -> tuple[list[Row], list[tuple[int, str]]]:
    """Every day of the file, and the (line, message) of every error found; `bounds`:
    the shop's business dates."""
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if ";" in first_line else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    positions = read_header(reader)
    width = len(COLUMNS)
    rows: list[Row] = []
    errors: list[tuple[int, str]] = []
    first_line_of_day: dict[dt.date, int] = {}
    last_line = reader.line_num
    try:
        for record in reader:
            # A record may span lines (a quoted newline): it is named by its first one.
            line, last_line = last_line + 1, reader.line_num
            cells = [cell.strip() for cell in record]
            if not any(cells):
                continue  # blank lines, or `;;;;;;;;` left by a spreadsheet
            if len(rows) >= MAX_ROWS:
                raise file_error(f"Le fichier compte plus de {MAX_ROWS:,} jours : "
                                 f"découpez-le.".replace(",", " "))
            if len(cells) < width or any(cells[width:]):
                hint = (" (un nombre à virgule doit être entre guillemets quand le séparateur "
                        "est la virgule)" if delimiter == "," and len(cells) > width else "")
                errors.append((line, f"{len(cells)} colonnes au lieu de {width}{hint}."))
                continue
            row = parse_row(line, {name: cells[index] for name, index in positions.items()},
                            bounds=bounds, today=today)
            if row.day is not None:
                if row.day.date in first_line_of_day:
                    row.errors.append(f"le {format_date(row.day.date)} figure déjà ligne "
                                      f"{first_line_of_day[row.day.date]}.")
                else:
                    first_line_of_day[row.day.date] = line
            rows.append(row)
            errors.extend((line, message) for message in row.errors)
    except csv.Error as exc:
        errors.append((reader.line_num, f"ligne illisible ({exc})."))
    return rows, errors


def sales_days_import(*, shop, file, user) -> list[SalesDay]:
    """Record and post a shop's Z tickets from a CSV file (see the module doc), every
    day or none.

    Raises InvalidInput on `file` listing every bad line (a day that has its ticket
    already among them), or PeriodClosed (409) when a day falls in a closed month.
    """
    today = paris_today()
    rows, errors = parse_sales_days(read_text(file), today=today,
                                    bounds=business_date_bounds(shop=shop, today=today))
    if not rows and not errors:
        raise file_error("Le fichier ne contient aucun ticket Z.")
    days = [row.day for row in rows if row.day is not None]
    try:
        with transaction.atomic():
            ledger = _locked_ledger(shop)
            posted, reissues = _posted(ledger=ledger, shop=shop,
                                       dates=[day.date for day in days])
            errors.extend((row.line, lower_first(_already_recorded(row.day.date,
                                                                   posted[row.day.date])))
                          for row in rows if row.day is not None and row.day.date in posted)
            if errors:
                # Sorted by line only: a line's own messages keep the order they were found in.
                raise InvalidInput({"file": [f"Ligne {line} : {message}" for line, message
                                             in sorted(errors, key=lambda e: e[0])]})
            sales_days = _sales_days_write(ledger=ledger, shop=shop, days=days, user=user,
                                           reissues=reissues)
    except IntegrityError as exc:
        if not _is_duplicate_day(exc):
            raise
        raise SalesExist("Un des jours du fichier a reçu son ticket Z pendant l'import ; "
                         "envoyez le fichier à nouveau.") from exc
    return sales_days
