"""Z tickets recorded and posted to the shop's books at once (the rule of the entry:
`accounting.sales.rules`).

One standing ticket per shop and day: the check runs under the shop's ledger row lock,
and the unique constraint (shop, date) on standing tickets stands behind it (409
`sales_exist` either way). A ticket whose entry the accountant reversed no longer stands
(`SalesDay.reversed_by`, set with the reversal): its day takes a new ticket, posted under
the source `z:<shop id>:<YYYY-MM-DD>/<n>`, n being the number of the day's reversed
tickets, so that the posting engine does not take it for the reversed one.

`sales_days_import` records the days of a CSV file (read by `accounting.sales.csv_import`),
every day or none; all of them are posted by one `entries_post` call: the query count
does not depend on the number of days.
"""

import datetime as dt

from django.db import IntegrityError, transaction

from mache.csvfiles import file_error, read_text
from mache.errors import BusinessRuleError, InvalidInput
from mache.formats import format_date
from mache.periods import paris_today
from shops.dates import business_date_bounds

from ..models import Entry, Ledger, SalesDay, SalesDayLine
from ..services import EntryIn, entries_post, ledger_for_shop
from .csv_import import lower_first, parse_sales_days
from .rules import JOURNAL, ZERO, SalesDayIn, sales_day_errors, sales_entry_lines, source_of

UNIQUE_VIOLATION = "23505"  # PostgreSQL's SQLSTATE


class SalesExist(BusinessRuleError):
    code = "sales_exist"
    default_detail = "Le ticket Z de ce jour est déjà enregistré."


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
    for sales_day in SalesDay.objects.filter(shop=shop, date__in=dates).select_related(
        "entry__journal"
    ):
        if sales_day.reversed_by_id is None:
            posted[sales_day.date] = sales_day.entry
        else:
            reversed_count[sales_day.date] = reversed_count.get(sales_day.date, 0) + 1
    sources = {
        source_of(shop, day, reversed_count.get(day, 0)): day for day in dates if day not in posted
    }
    posted.update(
        {
            sources[entry.source]: entry
            for entry in Entry.objects.filter(ledger=ledger, source__in=sources).select_related(
                "journal"
            )
        }
    )
    return posted, reversed_count


def _sales_days_write(
    *, ledger, shop, days: list[SalesDayIn], user, reissues: dict[dt.date, int]
) -> list[SalesDay]:
    """Post and keep checked tickets of distinct days none of which has a standing
    ticket; `reissues`: the number of reversed tickets of a day (`_posted`).

    Call inside a transaction, under the ledger's lock (`_locked_ledger`).
    """
    entries = entries_post(
        entries=[
            EntryIn(
                ledger=ledger,
                journal=JOURNAL,
                date=day.date,
                label=f"Ventes du {format_date(day.date)}",
                piece_ref=f"Z-{day.date:%Y%m%d}",
                user=user,
                source=source_of(shop, day.date, reissues.get(day.date, 0)),
                lines=sales_entry_lines(
                    lines=day.lines, cash=day.cash, card=day.card, other=day.other
                ),
            )
            for day in days
        ]
    )
    created_by = user if getattr(user, "pk", None) else None
    sales_days = SalesDay.objects.bulk_create(
        [
            SalesDay(
                shop=shop,
                date=day.date,
                cash=day.cash,
                card=day.card,
                other=day.other,
                transactions=day.transactions,
                entry=entry,
                created_by=created_by,
            )
            for day, entry in zip(days, entries, strict=True)
        ]
    )
    SalesDayLine.objects.bulk_create(
        SalesDayLine(sales_day=sales_day, vat_rate=rate, amount_incl_vat=amount)
        for sales_day, day in zip(sales_days, days, strict=True)
        for rate, amount in sorted(day.lines)
        if amount
    )
    return sales_days


def _is_duplicate_day(exc: IntegrityError) -> bool:
    """A unique violation on the tickets' table (shop and day, or the entry); anything
    else (a check of the books failing at commit) is a bug, not a conflict."""
    cause = exc.__cause__
    return (
        getattr(cause, "sqlstate", None) == UNIQUE_VIOLATION
        and getattr(getattr(cause, "diag", None), "table_name", None) == SalesDay._meta.db_table
    )


def _already_recorded(day: dt.date, entry: Entry) -> str:
    return f"Le ticket Z du {format_date(day)} est déjà enregistré ({entry.reference})."


def sales_day_record(
    *,
    shop,
    date: dt.date,
    lines: list[dict],
    payments: dict,
    user,
    transactions: int | None = None,
) -> SalesDay:
    """Record a shop's Z ticket and post it to the shop's books, both or neither.

    `lines`: [{"vat_rate", "amount_incl_vat"}], `payments`: {"cash", "card", "other"}
    (Decimals; a payment left out is 0), `transactions`: the number of sales the till
    counted, if given. Raises InvalidInput (400 on `date`, `lines`, `payments`,
    `transactions`), SalesExist (409: the day has its ticket) or PeriodClosed (409).
    """
    day = SalesDayIn(
        date=date,
        lines=[(line["vat_rate"], line["amount_incl_vat"]) for line in lines],
        **{name: payments.get(name, ZERO) for name in ("cash", "card", "other")},
        transactions=transactions,
    )
    today = paris_today()
    errors = sales_day_errors(day, bounds=business_date_bounds(shop=shop, today=today), today=today)
    if errors:
        raise InvalidInput(errors)
    try:
        with transaction.atomic():
            ledger = _locked_ledger(shop)
            posted, reissues = _posted(ledger=ledger, shop=shop, dates=[date])
            if posted:
                raise SalesExist(_already_recorded(date, posted[date]))
            [sales_day] = _sales_days_write(
                ledger=ledger, shop=shop, days=[day], user=user, reissues=reissues
            )
    except IntegrityError as exc:
        # The day's ticket, written meanwhile by a writer that did not take the lock.
        if _is_duplicate_day(exc):
            raise SalesExist() from exc
        raise
    return sales_day


def sales_days_import(*, shop, file, user) -> list[SalesDay]:
    """Record and post a shop's Z tickets from a CSV file (see the module doc), every
    day or none.

    Raises InvalidInput on `file` listing every bad line (a day that has its ticket
    already among them), or PeriodClosed (409) when a day falls in a closed month.
    """
    today = paris_today()
    rows, errors = parse_sales_days(
        read_text(file), today=today, bounds=business_date_bounds(shop=shop, today=today)
    )
    if not rows and not errors:
        raise file_error("Le fichier ne contient aucun ticket Z.")
    days = [row.day for row in rows if row.day is not None]
    try:
        with transaction.atomic():
            ledger = _locked_ledger(shop)
            posted, reissues = _posted(ledger=ledger, shop=shop, dates=[day.date for day in days])
            errors.extend(
                (row.line, lower_first(_already_recorded(row.day.date, posted[row.day.date])))
                for row in rows
                if row.day is not None and row.day.date in posted
            )
            if errors:
                # Sorted by line only: a line's own messages keep the order they were found in.
                raise InvalidInput(
                    {
                        "file": [
                            f"Ligne {line} : {message}"
                            for line, message in sorted(errors, key=lambda e: e[0])
                        ]
                    }
                )
            sales_days = _sales_days_write(
                ledger=ledger, shop=shop, days=days, user=user, reissues=reissues
            )
    except IntegrityError as exc:
        if not _is_duplicate_day(exc):
            raise
        raise SalesExist(
            "Un des jours du fichier a reçu son ticket Z pendant l'import ; "
            "envoyez le fichier à nouveau."
        ) from exc
    return sales_days
