"""FEC export of a ledger's fiscal year (ORM reads, a fixed number of queries), streamed
from a server-side cursor in constant memory (docs/fec.md, "The export")."""

import datetime as dt
from collections.abc import Iterator

from django.db import transaction
from django.db.models import Case, IntegerField, Value, When

from mache.errors import BusinessRuleError
from mache.identifiers import siren_of
from mache.periods import paris_date
from shops.models import Cooperative

from ..models import EntryLine
from ..years import balances_before, fiscal_year_named
from .format import (
    FIELDS,
    OPENING_JOURNAL,
    entry_number,
    fec_amount,
    fec_date,
    fec_filename,
    fec_row,
    fec_text,
    opening_rows,
)

# Lines per chunk handed to the web server: about 150 bytes a line, 100 kB a chunk.
STREAM_LINES = 700
# Rows fetched at a time from the server-side cursor.
CURSOR_ROWS = 2000


_LINE_FIELDS = (
    "entry__journal__code",
    "entry__journal__label",
    "entry__number",
    "entry__date",
    "account__number",
    "account__label",
    "auxiliary__code",
    "auxiliary__label",
    "entry__piece_ref",
    "entry__piece_date",
    "label",
    "debit",
    "credit",
    # The line's letter (accounting.lettering), joined in the one query: a line has at
    # most one LetteredLine (one-to-one), so the join adds no row.
    "lettered__lettering__code",
    "lettered__lettering__date",
    "entry__posted_at",  # last: fec_lines reads it as line[-1]
)


def _entry_line_row(line: tuple, year: int, valid_date: dt.date | None = None) -> list[str]:
    (
        journal,
        journal_label,
        number,
        date,
        account,
        account_label,
        aux_code,
        aux_label,
        piece_ref,
        piece_date,
        label,
        debit,
        credit,
        letter,
        lettered_on,
        posted_at,
    ) = line
    journal = fec_text(journal)
    return [
        journal,
        fec_text(journal_label),
        entry_number(journal, year, number),
        fec_date(date),
        account,
        fec_text(account_label),
        fec_text(aux_code),
        fec_text(aux_label),
        fec_text(piece_ref),
        fec_date(piece_date),
        fec_text(label),
        fec_amount(debit),
        fec_amount(credit),
        fec_text(letter),
        fec_date(lettered_on) if lettered_on else "",
        fec_date(valid_date or paris_date(posted_at)),
        "",
        "",
    ]


def fec_lines(*, ledger, year: int, start: dt.date | None = None) -> Iterator[str]:
    """The lines of the FEC of `ledger`'s fiscal year `year` (named by its closing year,
    docs/fiscal-years.md; `start`: its first day), header first, CR LF ended.

    The AN entry first: the one stored by the previous year's closing or the opening
    balances when there is one (docs/fiscal-years.md), else computed from the balances
    before the year (see `opening_rows`). Then every entry of the fiscal year in order
    of validation: posted_at, then journal code, then number (the posting engine hands
    out a journal's numbers under a lock, with posted_at taken after it, so numbers rise
    with posted_at). The year's lines streamed; one more query when the AN is computed.
    """
    yield fec_row(FIELDS)
    if start is None:
        start = fiscal_year_named(ledger=ledger, name=year).start
    lines = iter(
        EntryLine.objects.filter(ledger=ledger, entry__fiscal_year=year)
        .alias(
            opening=Case(
                When(entry__journal__code=OPENING_JOURNAL, then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            )
        )
        .order_by("opening", "entry__posted_at", "entry__journal__code", "entry__number", "pk")
        .values_list(*_LINE_FIELDS)
        .iterator(chunk_size=CURSOR_ROWS)
    )
    first = next(lines, None)
    stored = []
    while first is not None and first[0] == OPENING_JOURNAL:
        stored.append(first)
        first = next(lines, None)
    first_valid = None if first is None else paris_date(first[-1])
    # The file runs in order of validation and the AN entry opens it: it counts as
    # validated on the year's first day (a stored one: on its closing), or with the
    # year's first other entry if that one was posted earlier.
    if stored:
        valid_date = min(filter(None, [paris_date(stored[0][-1]), first_valid]))
        for line in stored:
            yield fec_row(_entry_line_row(line, year, valid_date))
    else:
        valid_date = min(filter(None, [start, first_valid]))
        balances = balances_before(ledger=ledger, day=start)
        for row in opening_rows(balances, year=year, valid_date=valid_date, day=start):
            yield fec_row(row)
    if first is not None:
        yield fec_row(_entry_line_row(first, year))
    for line in lines:
        yield fec_row(_entry_line_row(line, year))


def _siret_of(ledger) -> str:
    siret = ledger.shop.siret if ledger.shop_id else Cooperative.current().siret
    if not siret:
        # The file is named after the SIREN: no lawful FEC without it.
        raise BusinessRuleError(
            "Renseignez d'abord la coopérative et son SIRET (administration)"
            " : le FEC porte son SIREN.",
            code="cooperative_missing",
        )
    return siret


def fec_chunks(*, ledger, year: int, start: dt.date, lines: int = STREAM_LINES) -> Iterator[bytes]:
    """The FEC's bytes (UTF-8) in chunks of `lines` lines, read in one transaction.

    `fec_lines` reads the year's lines through `.iterator()`: on PostgreSQL a named
    (server-side) cursor. Inside the transaction it is an ordinary cursor that lives as
    long as the transaction; outside one, Django would declare it WITH HOLD, which
    PostgreSQL materialises whole at the implicit commit, and which a pooler in
    transaction mode (pgbouncer) cannot keep. DISABLE_SERVER_SIDE_CURSORS must stay off
    (docs/fec.md). Closing the generator (a client gone) ends the transaction.
    savepoint=False: nothing is written, a nested call needs no savepoint.
    """
    with transaction.atomic(savepoint=False):
        batch: list[str] = []
        for line in fec_lines(ledger=ledger, year=year, start=start):
            batch.append(line)
            if len(batch) >= lines:
                yield "".join(batch).encode("utf-8")
                batch.clear()
        if batch:
            yield "".join(batch).encode("utf-8")


def fec_stream(*, ledger, year: int) -> tuple[str, Iterator[bytes]]:
    """(file name, chunks) of the FEC of `ledger`'s fiscal year `year` (named by the year
    of its closing date, which names the file: docs/fiscal-years.md).

    What can refuse the file (no SIRET: 409 `cooperative_missing`) is checked here,
    before the first byte, so that a view answers a real error rather than a broken
    stream; the chunks (`fec_chunks`) are read only when iterated. Four queries at most
    whatever the size of the books: the SIRET (none when the ledger comes with its
    shop), the fiscal years, the year's lines (one server-side cursor), the balances
    before the year (none when its AN entry is stored)."""
    siren = siren_of(_siret_of(ledger))
    span = fiscal_year_named(ledger=ledger, name=year)
    filename = fec_filename(siren=siren, closing=span.end)
    return filename, fec_chunks(ledger=ledger, year=year, start=span.start)


def fec_export(*, ledger, year: int) -> tuple[str, bytes]:
    """(file name, whole content in UTF-8) of the FEC: `fec_stream` joined, for the
    tests and small files; the download views stream (`fec_stream`)."""
    filename, chunks = fec_stream(ledger=ledger, year=year)
    return filename, b"".join(chunks)
