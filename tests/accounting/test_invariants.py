"""The invariants of docs/postings.md held by PostgreSQL itself: written around the
services, through the ORM and raw SQL, each violation is refused."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from accounting.models import Account, ClosedPeriod, Entry, EntryLine, Journal
from accounting.services import LineIn, entry_post
from tests.factories import ShopFactory

DAY = dt.date(2026, 10, 15)


@pytest.fixture
def ledger(db):
    return ShopFactory().ledger


def bare_entry(ledger, number=900):
    """An entry row written straight to the table (no service)."""
    journal = Journal.objects.get(ledger=ledger, code="OD")
    return Entry.objects.create(
        ledger=ledger,
        journal=journal,
        fiscal_year=2026,
        number=number,
        date=DAY,
        label="à la main",
        piece_ref="X",
        piece_date=DAY,
        posted_at=timezone.now(),
    )


def line(entry, account, debit="0", credit="0"):
    return EntryLine(
        entry=entry,
        ledger=entry.ledger,
        date=entry.date,
        label="l",
        account=Account.objects.get(ledger=entry.ledger, number=account),
        debit=Decimal(debit),
        credit=Decimal(credit),
    )


def at_commit():
    """Run the deferred constraint triggers now, as COMMIT would."""
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


def refused(action):
    with pytest.raises(IntegrityError), transaction.atomic():
        action()


def test_an_unbalanced_entry_is_refused_at_commit_through_the_orm(ledger):
    def write():
        entry = bare_entry(ledger)
        EntryLine.objects.bulk_create(
            [line(entry, "658000", debit="10.00"), line(entry, "512000", credit="9.99")]
        )
        at_commit()

    refused(write)
    assert not Entry.objects.exists()


def test_an_entry_with_one_line_or_none_is_refused(ledger):
    def one_line():
        entry = bare_entry(ledger)
        line(entry, "658000", debit="10.00").save()
        at_commit()

    def no_line():
        bare_entry(ledger, number=901)
        at_commit()

    refused(one_line)
    refused(no_line)


def test_an_unbalanced_entry_is_refused_through_raw_sql(ledger):
    journal = Journal.objects.get(ledger=ledger, code="OD")
    accounts = dict(Account.objects.filter(ledger=ledger).values_list("number", "id"))

    def write():
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO accounting_entry (ledger_id, journal_id, fiscal_year, number, date,"
                " label, piece_ref, piece_date, posted_at) VALUES (%s, %s, 2026, 950, %s, 'sql',"
                " 'S', %s, now()) RETURNING id",
                [ledger.pk, journal.pk, DAY, DAY],
            )
            entry_id = cursor.fetchone()[0]
            for account, debit, credit in (("658000", "5.00", "0"), ("530000", "0", "4.00")):
                cursor.execute(
                    "INSERT INTO accounting_entryline (entry_id, ledger_id, date, account_id,"
                    " label, debit, credit) VALUES (%s, %s, %s, %s, 'l', %s, %s)",
                    [entry_id, ledger.pk, DAY, accounts[account], debit, credit],
                )
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")

    refused(write)


@pytest.mark.parametrize(
    ("debit", "credit"), [("5.00", "5.00"), ("-5.00", "0"), ("0", "0"), ("0", "-1.00")]
)
def test_a_line_with_both_sides_none_or_a_negative_amount_is_refused(ledger, debit, credit):
    def write():
        entry = bare_entry(ledger)
        line(entry, "658000", debit=debit, credit=credit).save()

    refused(write)
    assert not Entry.objects.exists()


def posted(ledger):
    return entry_post(
        ledger=ledger,
        journal="OD",
        date=DAY,
        label="Correction",
        piece_ref="P1",
        lines=[LineIn("658000", debit=Decimal("12.00")), LineIn("512000", credit=Decimal("12.00"))],
    )


def test_posted_lines_and_entries_cannot_be_updated_or_deleted(ledger):
    entry = posted(ledger)
    first = entry.lines.first()
    refused(lambda: EntryLine.objects.filter(pk=first.pk).update(debit=Decimal("13.00")))
    refused(lambda: EntryLine.objects.filter(pk=first.pk).delete())
    refused(lambda: Entry.objects.filter(pk=entry.pk).update(label="autre"))

    def raw_update():
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE accounting_entryline SET credit = 1 WHERE entry_id = %s", [entry.pk]
            )

    def raw_delete():
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM accounting_entry WHERE id = %s", [entry.pk])

    refused(raw_update)
    refused(raw_delete)
    assert entry.lines.get(pk=first.pk).debit == Decimal("12.00")


def test_the_database_refuses_an_entry_in_a_closed_month(ledger):
    ClosedPeriod.objects.create(ledger=ledger, month=DAY.replace(day=1))
    refused(lambda: bare_entry(ledger))


def test_a_balanced_entry_passes_every_check(ledger):
    entry = posted(ledger)
    at_commit()
    assert entry.lines.count() == 2
