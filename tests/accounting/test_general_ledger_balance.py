"""The running balance of the general ledger (docs/statements.md, "General ledger"):
each account starts at its balance at `from`, each line adds debit - credit; an opening
entry (journal AN) is the start of the books, counted once."""

import csv
import datetime as dt
import io
from decimal import Decimal

from accounting.models import Account, Journal
from accounting.statements import general_ledger
from tests.factories import credit, debit
from tests.factories import post_entry as post

D = Decimal


def bank_of(ledger, **period):
    return next(
        a for a in general_ledger(ledger=ledger, **period).accounts if a.account == "512000"
    )


def test_each_line_carries_the_accounts_balance_after_it(shop):
    ledger = shop.ledger
    post(
        ledger,
        "BQ",
        dt.date(2026, 2, 10),
        "Capital",
        "STATUTS",
        debit("512000", "1000.00"),
        credit("101300", "1000.00"),
    )
    post(
        ledger,
        "BQ",
        dt.date(2026, 3, 2),
        "Frais",
        "B-1",
        debit("658000", "12.30"),
        credit("512000", "12.30"),
    )
    post(
        ledger,
        "BQ",
        dt.date(2026, 3, 5),
        "Remise",
        "B-2",
        debit("512000", "200.00"),
        credit("530000", "200.00"),
    )
    post(
        ledger,
        "BQ",
        dt.date(2026, 3, 9),
        "Achat",
        "B-3",
        debit("607000", "1500.00"),
        credit("512000", "1500.00"),
    )

    bank = bank_of(ledger, date_from=dt.date(2026, 3, 1), date_to=dt.date(2026, 3, 31))

    assert bank.opening_balance == D("1000.00")
    assert [(line.piece_ref, line.balance) for line in bank.lines] == [
        ("B-1", D("987.70")),
        ("B-2", D("1187.70")),
        ("B-3", D("-312.30")),  # overdrawn
    ]
    assert bank.closing_balance == bank.lines[-1].balance


def test_the_json_and_csv_show_the_running_balance(api, accountant, shop):
    post(
        shop.ledger,
        "BQ",
        dt.date(2026, 2, 10),
        "Capital",
        "STATUTS",
        debit("512000", "1000.00"),
        credit("101300", "1000.00"),
    )
    post(
        shop.ledger,
        "BQ",
        dt.date(2026, 3, 2),
        "Frais",
        "B-1",
        debit("658000", "12.30"),
        credit("512000", "12.30"),
    )
    client = api.as_user(accountant)
    query = {"shop": shop.id, "from": "2026-03-01", "to": "2026-03-31"}

    body = client.get("/api/statements/general-ledger/", query).json()
    rows = list(
        csv.reader(
            io.StringIO(
                client.get(
                    "/api/statements/general-ledger/", {**query, "format": "csv"}
                ).content.decode("utf-8-sig")
            ),
            delimiter=";",
        )
    )

    bank = next(a for a in body["accounts"] if a["account"] == "512000")
    assert bank["opening_balance"] == "1000.00"
    assert [line["balance"] for line in bank["lines"]] == ["987.70"]
    assert rows[0][-2:] == ["Solde", "Lettre"]
    assert ["01/03/2026", "", "", "Solde d'ouverture", "", "", "1000,00", ""] in rows
    assert ["02/03/2026", "BQ-2026-000002", "B-1", "Frais", "", "12,30", "987,70", ""] in rows


def test_an_opening_entry_is_counted_once(shop):
    ledger = shop.ledger
    Journal.objects.get_or_create(ledger=ledger, code="AN", defaults={"label": "À-nouveaux"})
    Account.objects.get_or_create(
        ledger=ledger, number="120000", defaults={"label": "Résultat (bénéfice)", "kind": "equity"}
    )
    post(
        ledger,
        "BQ",
        dt.date(2025, 2, 1),
        "Capital",
        "STATUTS",
        debit("512000", "1000.00"),
        credit("101300", "1000.00"),
    )
    post(
        ledger,
        "VTE",
        dt.date(2025, 6, 1),
        "Ventes",
        "Z-1",
        debit("512000", "60.00"),
        credit("707000", "60.00"),
    )
    post(
        ledger,
        "AN",
        dt.date(2026, 1, 1),
        "À-nouveaux",
        "AN-2026",
        debit("512000", "1060.00"),
        credit("101300", "1000.00"),
        credit("120000", "60.00"),
    )
    post(
        ledger,
        "BQ",
        dt.date(2026, 1, 20),
        "Frais",
        "B-1",
        debit("658000", "10.00"),
        credit("512000", "10.00"),
    )

    # From the opening entry's day: it is the period's first line.
    year = bank_of(ledger, date_from=dt.date(2026, 1, 1), date_to=dt.date(2026, 1, 31))
    # Later: the opening entry and what followed, not 2025 once more.
    february = bank_of(ledger, date_from=dt.date(2026, 2, 1), date_to=dt.date(2026, 2, 28))
    # Before it, 2025's own lines.
    december = bank_of(ledger, date_from=dt.date(2025, 12, 1), date_to=dt.date(2025, 12, 31))

    assert year.opening_balance == D("0")
    assert [(line.journal, line.balance) for line in year.lines] == [
        ("AN", D("1060.00")),
        ("BQ", D("1050.00")),
    ]
    assert february.opening_balance == D("1050.00")
    assert december.opening_balance == D("1060.00")
