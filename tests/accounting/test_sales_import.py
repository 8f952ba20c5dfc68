"""CSV import of Z tickets: POST /api/sales/import/ (multipart: shop, file)."""

import datetime as dt
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounting.closing import period_close
from accounting.models import Entry, EntryLine, SalesDay, SalesDayLine
from accounting.sales.csv_import import MAX_ROWS
from accounting.services import ledger_for_shop
from mache.formats import format_eur
from mache.periods import paris_today

URL = "/api/sales/import/"
D = Decimal
HEADER = "date;ttc_0;ttc_2_1;ttc_5_5;ttc_10;ttc_20;cash;card;other"


def upload(text: str | bytes, *, bom: bool = False):
    data = text if isinstance(text, bytes) else text.encode()
    return SimpleUploadedFile(
        "tickets-z.csv", (b"\xef\xbb\xbf" if bom else b"") + data, content_type="text/csv"
    )


def post(api, user, shop, text, **kwargs):
    return api.as_user(user).post(
        URL, {"shop": shop.pk, "file": upload(text, **kwargs)}, format="multipart"
    )


def csv_of(*rows, header=HEADER):
    return "\r\n".join([header, *rows]) + "\r\n"


def written():
    return (
        SalesDay.objects.count(),
        SalesDayLine.objects.count(),
        Entry.objects.count(),
        EntryLine.objects.count(),
    )


def test_a_french_spreadsheet_export_records_and_posts_every_day(api, shopkeeper, shop):
    # given three days as a French spreadsheet saves them: `;`, decimal commas, a BOM,
    # both date formats, empty cells, a blank line and a spaced thousand
    text = csv_of(
        "2026-03-12;;;412,50;;87,30;120,00;359,80;20,00",
        "13/03/2026;;1,05;1 204,10;33;;;1 238,15;",
        ";;;;;;;;",
        "",
        "14/03/2026;2,00;;;;12,00 €;14,00;;",
    )

    # when the shopkeeper imports it
    response = post(api, shopkeeper, shop, text, bom=True)

    # then every day is recorded with its rates, and posted in the shop's books
    assert response.status_code == 201, response.json()
    assert response.json() == {"days": 3, "total_incl_vat": "1751.95"}
    days = {day.date: day for day in SalesDay.objects.prefetch_related("lines")}
    assert sorted(days) == [dt.date(2026, 3, 12), dt.date(2026, 3, 13), dt.date(2026, 3, 14)]
    assert [
        (line.vat_rate, line.amount_incl_vat) for line in days[dt.date(2026, 3, 13)].lines.all()
    ] == [(D("2.10"), D("1.05")), (D("5.50"), D("1204.10")), (D("10.00"), D("33.00"))]
    assert (
        days[dt.date(2026, 3, 12)].cash,
        days[dt.date(2026, 3, 12)].card,
        days[dt.date(2026, 3, 12)].other,
    ) == (D("120.00"), D("359.80"), D("20.00"))
    assert all(day.created_by == shopkeeper for day in days.values())
    entries = list(Entry.objects.select_related("journal").order_by("date"))
    assert [(e.reference, e.date, e.piece_ref, e.source, e.ledger_id) for e in entries] == [
        (
            "VTE-2026-000001",
            dt.date(2026, 3, 12),
            "Z-20260312",
            f"z:{shop.pk}:2026-03-12",
            ledger_for_shop(shop).pk,
        ),
        (
            "VTE-2026-000002",
            dt.date(2026, 3, 13),
            "Z-20260313",
            f"z:{shop.pk}:2026-03-13",
            ledger_for_shop(shop).pk,
        ),
        (
            "VTE-2026-000003",
            dt.date(2026, 3, 14),
            "Z-20260314",
            f"z:{shop.pk}:2026-03-14",
            ledger_for_shop(shop).pk,
        ),
    ]
    assert [day.entry_id for day in sorted(days.values(), key=lambda d: d.date)] == [
        e.pk for e in entries
    ]
    # 14/03: 2.00 at 0 % (no VAT line), 12.00 at 20 % (VAT 2.00), all in cash
    assert [
        (line.account.number, line.debit, line.credit, line.vat_rate)
        for line in entries[2].lines.select_related("account").order_by("id")
    ] == [
        ("530000", D("14.00"), D("0.00"), None),
        ("707000", D("0.00"), D("2.00"), D("0.00")),
        ("707000", D("0.00"), D("10.00"), D("20.00")),
        ("445710", D("0.00"), D("2.00"), D("20.00")),
    ]


def test_a_comma_separated_file_with_decimal_points(api, coordinator, shop):
    text = csv_of(
        "2026-03-12,,,10.55,,120,,130.55,",
        header="Date,TTC_0,ttc_2_1,ttc_5_5,ttc_10,ttc_20,cash,card,other",
    )

    response = post(api, coordinator, shop, text)

    assert response.status_code == 201, response.json()
    assert response.json() == {"days": 1, "total_incl_vat": "130.55"}
    assert sorted(
        (line.account.number, line.credit)
        for line in EntryLine.objects.filter(credit__gt=0).select_related("account")
    ) == [
        ("445710", D("0.55")),
        ("445710", D("20.00")),
        ("707000", D("10.00")),
        ("707000", D("100.00")),
    ]


def test_a_decimal_comma_with_the_comma_delimiter_is_explained(api, shopkeeper, shop):
    text = csv_of(
        "2026-03-12,,,10,55,,,,10,55,",
        header="date,ttc_0,ttc_2_1,ttc_5_5,ttc_10,ttc_20,cash,card,other",
    )

    response = post(api, shopkeeper, shop, text)

    assert response.status_code == 400
    [message] = response.json()["file"]
    assert message.startswith("Ligne 2 : 11 colonnes au lieu de 9")
    assert "entre guillemets" in message


def test_every_bad_line_is_listed_and_nothing_is_written(api, shopkeeper, shop):
    # given a day already recorded
    assert post(api, shopkeeper, shop, csv_of("2026-03-10;;;;;50,00;50,00;;")).status_code == 201
    before = written()
    tomorrow = paris_today() + dt.timedelta(days=1)
    text = csv_of(
        "2026-03-11;;;100,00;;;100,00;;",  # 2: fine
        "2026-02-30;;;100,00;;;100,00;;",  # 3: no such day
        "hier;;;100,00;;;100,00;;",  # 4: not a date
        "2026-03-12;;;1O0,00;;;100,00;;",  # 5: a letter O
        "2026-03-13;;;-5,00;;;;;",  # 6: negative
        "2026-03-14;;;10,005;;;10,01;;",  # 7: three decimals
        "2026-03-15;;;100,00;;20,00;100,00;;",  # 8: payments 100 for sales 120
        "2026-03-11;;;100,00;;;100,00;;",  # 9: the 11th again
        "2026-03-10;;;50,00;;;50,00;;",  # 10: the 10th has its ticket
        f"{tomorrow:%d/%m/%Y};;;1,00;;;1,00;;",  # 11: future
        "2026-03-16;;;;;;;;5,00",  # 12: no sales
        "2026-03-17;;;1,00",  # 13: too few columns
    )

    # when the file is imported
    response = post(api, shopkeeper, shop, text)

    # then every bad line is named, by its number, and nothing is written
    assert response.status_code == 400
    errors = response.json()["file"]
    assert [message.split(" : ", 1)[0] for message in errors] == [
        f"Ligne {n}" for n in (3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13)
    ]
    by_line = {message.split(" : ", 1)[0]: message for message in errors}
    assert by_line["Ligne 3"] == "Ligne 3 : date « 2026-02-30 » invalide."
    assert "« hier »" in by_line["Ligne 4"]
    assert by_line["Ligne 5"].startswith("Ligne 5 : ttc_5_5 : montant « 1O0,00 » invalide")
    assert by_line["Ligne 6"] == "Ligne 6 : ttc_5_5 : montant « -5,00 » négatif."
    assert "« 10,005 »" in by_line["Ligne 7"]
    assert format_eur(D("100.00")) in by_line["Ligne 8"]
    assert format_eur(D("120.00")) in by_line["Ligne 8"]
    assert by_line["Ligne 9"] == "Ligne 9 : le 11/03/2026 figure déjà ligne 2."
    assert by_line["Ligne 10"] == (
        "Ligne 10 : le ticket Z du 10/03/2026 est déjà enregistré (VTE-2026-000001)."
    )
    assert "dans le futur" in by_line["Ligne 11"]
    assert by_line["Ligne 12"] == (
        "Ligne 12 : le total des ventes est nul : il n'y a rien à comptabiliser."
    )
    assert by_line["Ligne 13"] == "Ligne 13 : 4 colonnes au lieu de 9."
    assert written() == before


def test_a_header_with_missing_or_unknown_columns_is_refused(api, shopkeeper, shop):
    text = csv_of("2026-03-12;10,00;10,00;;", header="date;ttc_5,5;cash;card;other")

    response = post(api, shopkeeper, shop, text)

    assert response.status_code == 400
    assert response.json() == {
        "file": [
            "Ligne 1 : colonnes manquantes : ttc_0, ttc_2_1, ttc_5_5, ttc_10, ttc_20.",
            "Ligne 1 : colonnes inconnues : ttc_5,5.",
            f"L'en-tête attendu est : {HEADER} (colonne facultative : transactions).",
        ]
    }


def test_a_file_without_days_is_refused(api, shopkeeper, shop):
    response = post(api, shopkeeper, shop, csv_of(";;;;;;;;"))

    assert response.status_code == 400
    assert response.json() == {"file": ["Le fichier ne contient aucun ticket Z."]}


def test_the_file_is_capped_in_days_and_in_size(api, shopkeeper, shop):
    first = dt.date(2010, 1, 1)
    rows = [f"{first + dt.timedelta(days=n)};;;;;1,00;1,00;;" for n in range(MAX_ROWS + 1)]
    too_long = post(api, shopkeeper, shop, csv_of(*rows))
    too_big = post(
        api, shopkeeper, shop, csv_of("2026-03-12;;;;;1,00;1,00;;") + " " * (2 * 1024 * 1024)
    )

    assert too_long.status_code == 400
    assert too_long.json() == {"file": ["Le fichier compte plus de 3 000 jours : découpez-le."]}
    assert too_big.status_code == 400
    assert too_big.json() == {"file": ["Le fichier dépasse 2 Mo."]}
    assert written() == (0, 0, 0, 0)


def test_a_day_in_a_closed_month_refuses_the_whole_file(api, shopkeeper, shop):
    period_close(ledger=ledger_for_shop(shop), month=dt.date(2026, 2, 1))
    text = csv_of("2026-02-28;;;;;10,00;10,00;;", "2026-03-01;;;;;10,00;10,00;;")

    response = post(api, shopkeeper, shop, text)

    assert response.status_code == 409
    assert response.json()["code"] == "period_closed"
    assert written() == (0, 0, 0, 0)


def test_an_accountant_may_not_import_tickets(api, accountant, shop):
    response = post(api, accountant, shop, csv_of("2026-03-12;;;;;10,00;10,00;;"))

    assert response.status_code == 403
    assert written() == (0, 0, 0, 0)


def test_a_shop_of_someone_else_is_refused_on_shop(api, shopkeeper, other_shop):
    response = post(api, shopkeeper, other_shop, csv_of("2026-03-12;;;;;10,00;10,00;;"))

    assert response.status_code == 400
    assert list(response.json()) == ["shop"]
    assert written() == (0, 0, 0, 0)


def test_the_query_count_does_not_depend_on_the_number_of_days(api, shopkeeper, shop):
    def days(first, count):
        return csv_of(
            *[
                f"{first + dt.timedelta(days=n)};1,00;;5,50;11,00;12,00;20,00;9,50;"
                for n in range(count)
            ]
        )

    post(api, shopkeeper, shop, days(dt.date(2025, 1, 1), 1))  # warm the caches
    counts = []
    for text in (days(dt.date(2025, 2, 1), 5), days(dt.date(2025, 3, 1), 40)):
        with CaptureQueriesContext(connection) as queries:
            assert post(api, shopkeeper, shop, text).status_code == 201
        counts.append(len(queries))

    assert counts[0] == counts[1]
    assert SalesDay.objects.count() == 46
    assert Entry.objects.count() == 46
