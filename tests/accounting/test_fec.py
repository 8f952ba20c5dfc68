"""The FEC export (accounting.fec.fec_export), its formatting rules and its API.

The export of a year of books passes our own validator (fec_violations) and reads the
books in a fixed number of queries; a small file is compared whole, CR LF included.
"""

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from accounting.fec import (
    FIELDS,
    fec_amount,
    fec_date,
    fec_export,
    fec_filename,
    fec_text,
    fec_violations,
    opening_rows,
)
from accounting.models import Ledger
from accounting.services import EntryIn, LineIn, entries_post, entry_post, entry_reverse
from shops.models import User
from tests.factories import CooperativeFactory, ShopFactory, UserFactory, make_siret

D = Decimal
COOP_AUX = ("COOP", "Coopérative MACHE")


def post(ledger, journal, day, piece, *lines, label=None, piece_date=None):
    return entry_post(
        ledger=ledger,
        journal=journal,
        date=day,
        label=label or piece,
        piece_ref=piece,
        piece_date=piece_date,
        lines=list(lines),
    )


def rows_of(content: bytes) -> list[list[str]]:
    return [line.split("\t") for line in content.decode("utf-8").split("\r\n")[1:-1]]


def paris_day(moment) -> str:
    return moment.astimezone(ZoneInfo("Europe/Paris")).strftime("%Y%m%d")


# --- Formatting (pure) ----------------------------------------------------------------


def test_amounts_dates_texts_and_the_file_name():
    assert fec_amount(D("120")) == "120,00"
    assert fec_amount(D("0.00")) == "0,00"
    assert fec_amount(D("1234567.5")) == "1234567,50"
    with pytest.raises(ValueError):
        fec_amount(D("-1.00"))
    assert fec_date(dt.date(2026, 1, 5)) == "20260105"
    assert fec_text("Facture\tF-1|2\r\nsuite") == "Facture F-1 2  suite"
    assert fec_text(None) == ""
    assert (
        fec_filename(siren="123456789", closing=dt.date(2026, 12, 31)) == "123456789FEC20261231.txt"
    )


def test_opening_rows_carry_classes_1_to_5_and_the_result_to_class_1():
    balances = [
        ("401000", "Fournisseurs", "COOP", "Coopérative", D("-80.00")),
        ("401000", "Fournisseurs", "COOP", "Coopérative", D("-20.00")),  # same account
        ("401000", "Fournisseurs", "SUP2", "Fournisseur 2", D("0.00")),  # settled
        ("512000", "Banque", None, None, D("350.00")),
        ("607000", "Achats de marchandises", None, None, D("300.00")),
        ("707000", "Ventes de marchandises", None, None, D("-50.00")),
        ("101300", "Capital", None, None, D("-500.00")),
        ("801000", "Engagements donnés", None, None, D("10.00")),
    ]
    rows = opening_rows(balances, year=2026, valid_date=dt.date(2026, 1, 1))
    assert [(r[4], r[5], r[6], r[7], r[11], r[12]) for r in rows] == [
        ("101300", "Capital", "", "", "0,00", "500,00"),
        ("129000", "Résultat de l'exercice (perte)", "", "", "250,00", "0,00"),
        ("401000", "Fournisseurs", "COOP", "Coopérative", "0,00", "100,00"),
        ("512000", "Banque", "", "", "350,00", "0,00"),
    ]
    assert {tuple(r[:4]) for r in rows} == {("AN", "À-nouveaux", "AN-2026-000001", "20260101")}
    assert {(r[8], r[9], r[10], r[15]) for r in rows} == {
        ("AN-2026", "20260101", "À-nouveaux", "20260101")
    }
    assert opening_rows([], year=2026, valid_date=dt.date(2026, 1, 1)) == []


# --- The export ------------------------------------------------------------------------


def books_of_a_year(ledger):
    """2025: capital, a purchase, a sale (a profit of 100.00); 2026: purchase, sales,
    stock variations, a payment, a reversal, a manual entry; one entry in 2027."""
    post(
        ledger,
        "BQ",
        dt.date(2025, 3, 1),
        "Statuts",
        LineIn("512000", debit=D("1000.00")),
        LineIn("101300", credit=D("1000.00")),
        label="Apport en capital",
    )
    post(
        ledger,
        "ACH",
        dt.date(2025, 6, 10),
        "F-2025-001",
        LineIn("607000", debit=D("100.00")),
        LineIn("445660", debit=D("5.50")),
        LineIn("401000", credit=D("105.50"), auxiliary=COOP_AUX),
    )
    post(
        ledger,
        "CAI",
        dt.date(2025, 6, 11),
        "Z-20250611",
        LineIn("530000", debit=D("211.00")),
        LineIn("707000", credit=D("200.00")),
        LineIn("445710", credit=D("11.00")),
    )
    invoice = post(
        ledger,
        "ACH",
        dt.date(2026, 1, 15),
        "F-2026-001",
        LineIn("607000", debit=D("200.00")),
        LineIn("624100", debit=D("10.00")),
        LineIn("622800", debit=D("4.00")),
        LineIn("445660", debit=D("13.80")),
        LineIn("401000", credit=D("227.80"), auxiliary=COOP_AUX),
    )
    post(
        ledger,
        "VTE",
        dt.date(2026, 1, 31),
        "Z-20260131",
        LineIn("530000", debit=D("150.00")),
        LineIn("512000", debit=D("61.00")),
        LineIn("707000", credit=D("200.00")),
        LineIn("445710", credit=D("11.00")),
    )
    post(
        ledger,
        "OD",
        dt.date(2026, 1, 31),
        "Stock 2026-01",
        LineIn("370000", debit=D("50.00")),
        LineIn("603700", credit=D("50.00")),
        label="Variation de stock de janvier",
    )
    post(
        ledger,
        "OD",
        dt.date(2026, 2, 28),
        "Stock 2026-02",
        LineIn("603700", debit=D("20.00")),
        LineIn("370000", credit=D("20.00")),
        label="Variation de stock de février",
    )
    post(
        ledger,
        "BQ",
        dt.date(2026, 2, 10),
        "VIR-0210",
        LineIn("401000", debit=D("105.50"), auxiliary=COOP_AUX),
        LineIn("512000", credit=D("105.50")),
        label="Règlement\tF-2025-001 | virement",
    )
    entry_reverse(entry=invoice, date=dt.date(2026, 2, 3))
    post(
        ledger,
        "OD",
        dt.date(2026, 3, 1),
        "Note-1",
        LineIn("658000", debit=D("3.00")),
        LineIn("530000", credit=D("3.00")),
        label="Frais divers",
    )
    post(
        ledger,
        "OD",
        dt.date(2027, 1, 4),
        "Note-2027",
        LineIn("658000", debit=D("1.00")),
        LineIn("530000", credit=D("1.00")),
    )


def test_the_export_of_a_year_passes_the_check(db):
    shop = ShopFactory()
    books_of_a_year(shop.ledger)
    other = ShopFactory()
    post(
        other.ledger,
        "OD",
        dt.date(2026, 5, 1),
        "Ailleurs",
        LineIn("658000", debit=D("9.00")),
        LineIn("530000", credit=D("9.00")),
    )

    filename, content = fec_export(ledger=shop.ledger, year=2026)

    assert filename == f"{shop.siret[:9]}FEC20261231.txt"
    assert fec_violations(content, filename) == []
    text = content.decode("utf-8")
    assert text.startswith("\t".join(FIELDS) + "\r\n")
    assert text.count("\n") == text.count("\r\n") == 1 + 7 + 22
    rows = rows_of(content)
    numbers = list(dict.fromkeys(row[2] for row in rows))
    assert numbers == [
        "AN-2026-000001",
        "ACH-2026-000001",
        "VTE-2026-000001",
        "OD-2026-000001",
        "OD-2026-000002",
        "BQ-2026-000001",
        "ACH-2026-000002",
        "OD-2026-000003",
    ]  # the order of validation
    assert [(r[4], r[6], r[11], r[12]) for r in rows if r[0] == "AN"] == [
        ("101300", "", "0,00", "1000,00"),
        ("120000", "", "0,00", "100,00"),  # 2025: sales 200.00 - purchases 100.00
        ("401000", "COOP", "0,00", "105,50"),
        ("445660", "", "5,50", "0,00"),
        ("445710", "", "0,00", "11,00"),
        ("512000", "", "1000,00", "0,00"),
        ("530000", "", "211,00", "0,00"),
    ]
    payment = [row for row in rows if row[2] == "BQ-2026-000001"]
    assert [row[10] for row in payment] == ["Règlement F-2025-001   virement"] * 2
    assert [(row[6], row[7]) for row in payment] == [COOP_AUX, ("", "")]
    reversal = [row for row in rows if row[2] == "ACH-2026-000002"]
    # Issue 13, point 4: the reversal's own piece names the entry it reverses.
    assert {(row[3], row[8], row[9]) for row in reversal} == {
        ("20260203", "EXT-ACH-2026-000001", "20260203")
    }
    assert [(row[4], row[11], row[12]) for row in reversal][-1] == ("401000", "227,80", "0,00")
    assert "Ailleurs" not in text and "Note-2027" not in text


def test_a_small_file_whole(db):
    shop = ShopFactory(siret=make_siret("12345678"))
    purchase = post(
        shop.ledger,
        "ACH",
        dt.date(2026, 3, 2),
        "F-2026-0042",
        LineIn("607000", debit=D("120.00"), label="Marchandises"),
        LineIn("445660", debit=D("6.60"), label="TVA 5,5 %"),
        LineIn("401000", credit=D("126.60"), auxiliary=COOP_AUX),
        label="Facture F-2026-0042",
        piece_date=dt.date(2026, 2, 27),
    )
    sales = post(
        shop.ledger,
        "CAI",
        dt.date(2026, 3, 3),
        "Z-20260303",
        LineIn("530000", debit=D("52.75")),
        LineIn("707000", credit=D("50.00")),
        LineIn("445710", credit=D("2.75")),
        label="Ventes du 03/03/2026",
    )
    v1, v2 = paris_day(purchase.posted_at), paris_day(sales.posted_at)

    filename, content = fec_export(ledger=shop.ledger, year=2026)

    assert filename == "123456782FEC20261231.txt"
    assert content.decode("utf-8") == (
        "JournalCode\tJournalLib\tEcritureNum\tEcritureDate\tCompteNum\tCompteLib\t"
        "CompAuxNum\tCompAuxLib\tPieceRef\tPieceDate\tEcritureLib\tDebit\tCredit\t"
        "EcritureLet\tDateLet\tValidDate\tMontantdevise\tIdevise\r\n"
        "ACH\tAchats\tACH-2026-000001\t20260302\t607000\tAchats de marchandises\t\t\t"
        f"F-2026-0042\t20260227\tMarchandises\t120,00\t0,00\t\t\t{v1}\t\t\r\n"
        "ACH\tAchats\tACH-2026-000001\t20260302\t445660\t"
        "TVA déductible sur autres biens et services\t\t\t"
        f"F-2026-0042\t20260227\tTVA 5,5 %\t6,60\t0,00\t\t\t{v1}\t\t\r\n"
        "ACH\tAchats\tACH-2026-000001\t20260302\t401000\tFournisseurs\t"
        "COOP\tCoopérative MACHE\t"
        f"F-2026-0042\t20260227\tFacture F-2026-0042\t0,00\t126,60\t\t\t{v1}\t\t\r\n"
        "CAI\tCaisse\tCAI-2026-000001\t20260303\t530000\tCaisse\t\t\t"
        f"Z-20260303\t20260303\tVentes du 03/03/2026\t52,75\t0,00\t\t\t{v2}\t\t\r\n"
        "CAI\tCaisse\tCAI-2026-000001\t20260303\t707000\tVentes de marchandises\t\t\t"
        f"Z-20260303\t20260303\tVentes du 03/03/2026\t0,00\t50,00\t\t\t{v2}\t\t\r\n"
        "CAI\tCaisse\tCAI-2026-000001\t20260303\t445710\tTVA collectée\t\t\t"
        f"Z-20260303\t20260303\tVentes du 03/03/2026\t0,00\t2,75\t\t\t{v2}\t\t\r\n"
    )
    assert fec_violations(content, filename) == []


def test_a_year_without_entries_is_its_header_alone(db):
    shop = ShopFactory()
    filename, content = fec_export(ledger=shop.ledger, year=2026)
    assert content == ("\t".join(FIELDS) + "\r\n").encode()
    assert fec_violations(content, filename) == []


def test_entries_posted_ahead_of_their_year_keep_the_file_in_order_of_validation(db):
    # Given a 2027 entry posted now (2026): the AN entry cannot be validated after it.
    shop = ShopFactory()
    post(
        shop.ledger,
        "BQ",
        dt.date(2026, 6, 1),
        "Statuts",
        LineIn("512000", debit=D("500.00")),
        LineIn("101300", credit=D("500.00")),
    )
    ahead = post(
        shop.ledger,
        "OD",
        dt.date(2027, 1, 4),
        "Note",
        LineIn("658000", debit=D("1.00")),
        LineIn("512000", credit=D("1.00")),
    )

    filename, content = fec_export(ledger=shop.ledger, year=2027)

    rows = rows_of(content)
    assert [(row[2], row[15]) for row in rows] == [
        ("AN-2027-000001", paris_day(ahead.posted_at))
    ] * 2 + [("OD-2027-000001", paris_day(ahead.posted_at))] * 2
    assert fec_violations(content, filename) == []


def test_the_cooperative_s_file_is_named_after_its_siren(db):
    coop = CooperativeFactory()
    ledger = Ledger.objects.get(kind=Ledger.Kind.COOPERATIVE)
    post(
        ledger,
        "VTE",
        dt.date(2026, 4, 2),
        "FAC-1",
        LineIn("411000", debit=D("24.00"), auxiliary=("S1", "Épicerie | Rimou")),
        LineIn("707000", credit=D("20.00")),
        LineIn("445710", credit=D("4.00")),
    )
    filename, content = fec_export(ledger=ledger, year=2026)
    assert filename == f"{coop.siret[:9]}FEC20261231.txt"
    assert rows_of(content)[0][6:8] == ["S1", "Épicerie   Rimou"]
    assert fec_violations(content, filename) == []


def test_the_export_reads_the_books_in_four_queries(db, django_assert_num_queries):
    CooperativeFactory()
    small, big = ShopFactory(), ShopFactory()
    post(
        small.ledger,
        "OD",
        dt.date(2026, 5, 1),
        "N-1",
        LineIn("658000", debit=D("1.00")),
        LineIn("530000", credit=D("1.00")),
    )
    books_of_a_year(big.ledger)
    entries_post(
        entries=[
            EntryIn(
                ledger=big.ledger,
                journal=journal,
                date=dt.date(2026, month, 1),
                label=f"Note {month}",
                piece_ref=f"N-{month}",
                lines=[
                    LineIn("658000", debit=D("2.00")),
                    LineIn("401000", credit=D("2.00"), auxiliary=(f"S{month}", "Autre")),
                ],
            )
            for month in range(1, 13)
            for journal in ("OD", "BQ")
        ]
    )
    ledgers = [
        Ledger.objects.get(shop=small),
        Ledger.objects.get(shop=big),
        Ledger.objects.get(kind=Ledger.Kind.COOPERATIVE),
    ]
    sizes = []
    for ledger in ledgers:
        # The SIRET (shop or cooperative), the fiscal years, the year's lines, the
        # balances before the year.
        with django_assert_num_queries(4):
            filename, content = fec_export(ledger=ledger, year=2026)
        assert fec_violations(content, filename) == []
        sizes.append(len(rows_of(content)))
    assert sizes == [2, 7 + 22 + 48, 0]


# --- The API ---------------------------------------------------------------------------

URL = "/api/exports/fec/"


@pytest.fixture
def books(coop, shop):
    post(
        shop.ledger,
        "CAI",
        dt.date(2026, 3, 3),
        "Z-20260303",
        LineIn("530000", debit=D("12.00")),
        LineIn("707000", credit=D("12.00")),
    )
    post(
        Ledger.objects.get(kind=Ledger.Kind.COOPERATIVE),
        "VTE",
        dt.date(2026, 4, 2),
        "FAC-1",
        LineIn("411000", debit=D("24.00"), auxiliary=("S1", "Épicerie")),
        LineIn("707000", credit=D("24.00")),
    )


def content_of(response) -> bytes:
    assert response.streaming
    return b"".join(response.streaming_content)


def test_the_shop_s_people_download_its_file(api, books, shop, shopkeeper, accountant):
    for user in (shopkeeper, accountant):
        response = api.as_user(user).get(URL, {"shop": shop.pk, "year": 2026})
        assert response.status_code == 200
        content = content_of(response)
        assert response["Content-Type"] == "text/plain; charset=utf-8"
        assert (
            response["Content-Disposition"]
            == f'attachment; filename="{shop.siret[:9]}FEC20261231.txt"'
        )
        assert fec_violations(content, f"{shop.siret[:9]}FEC20261231.txt") == []
        assert "Z-20260303" in content.decode()


def test_another_shop_s_file_is_not_found(api, books, shop, other_shop):
    stranger = UserFactory(role=User.Role.SHOPKEEPER, shops=[other_shop])
    response = api.as_user(stranger).get(URL, {"shop": shop.pk, "year": 2026})
    assert response.status_code == 404
    accountant = UserFactory(role=User.Role.ACCOUNTANT, shops=[shop])
    assert api.as_user(accountant).get(URL, {"shop": "coop", "year": 2026}).status_code == 404


def test_a_coordinator_downloads_the_cooperative_s_file(api, books, coop, coordinator):
    response = api.as_user(coordinator).get(
        URL, {"shop": "coop", "year": 2026}, HTTP_ACCEPT="text/plain"
    )
    assert response.status_code == 200
    content = content_of(response)
    filename = f"{coop.siret[:9]}FEC20261231.txt"
    assert response["Content-Disposition"] == f'attachment; filename="{filename}"'
    assert fec_violations(content, filename) == []
    assert "FAC-1" in content.decode() and "Z-20260303" not in content.decode()


# An int is a number of years after the current one, read as the test runs.
@pytest.mark.parametrize(
    "year", [None, "deux-mille", "1999", "2026-01", pytest.param(2, id="in-two-years")]
)
def test_a_bad_year_is_400_naming_year(api, shop, coordinator, year, today):
    if isinstance(year, int):
        year = str(today.year + year)
    query = {"shop": shop.pk} if year is None else {"shop": shop.pk, "year": year}
    response = api.as_user(coordinator).get(URL, query)
    assert response.status_code == 400
    assert list(response.json()) == ["year"]


def test_the_ledger_must_be_named(api, coordinator):
    response = api.as_user(coordinator).get(URL, {"year": 2026})
    assert response.status_code == 400
    assert list(response.json()) == ["shop"]


def test_the_cooperatives_fec_needs_its_siret_first(api, db):
    from accounting.services import cooperative_ledger
    from shops.models import User
    from tests.factories import UserFactory

    cooperative_ledger()  # books exist, the cooperative itself is not recorded yet
    coordinator = UserFactory(role=User.Role.COORDINATOR)
    response = api.as_user(coordinator).get("/api/exports/fec/?shop=coop&year=2026")
    assert response.status_code == 409
    assert response.json()["code"] == "cooperative_missing"


# --- Streaming (docs/fec.md, "The export") ---------------------------------------------


def test_the_file_streams_from_a_server_side_cursor(db, django_assert_num_queries):
    from django.db import connection

    from accounting.fec import fec_chunks, fec_stream

    shop = ShopFactory()
    books_of_a_year(shop.ledger)
    _, whole = fec_export(ledger=shop.ledger, year=2026)
    # The SIRET comes with the shop: fec_stream reads only the fiscal years (the file is
    # named by the closing day) before the first chunk.
    with django_assert_num_queries(1):
        filename, chunks = fec_stream(ledger=shop.ledger, year=2026)
    chunks = fec_chunks(ledger=shop.ledger, year=2026, start=dt.date(2026, 1, 1), lines=1)
    first = next(chunks)
    assert first.decode() == "\t".join(FIELDS) + "\r\n"
    second = next(chunks)  # a line: the cursor over the year's lines is open meanwhile
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement, is_holdable FROM pg_cursors")
        [(statement, holdable)] = cursor.fetchall()
    assert "accounting_entryline" in statement and not holdable
    assert first + second + b"".join(chunks) == whole
    assert filename == f"{shop.siret[:9]}FEC20261231.txt"


def test_the_api_streams(api, books, shop, db):
    coordinator = UserFactory(role=User.Role.COORDINATOR)
    response = api.as_user(coordinator).get(URL, {"shop": shop.pk, "year": 2026})
    assert response.streaming
    assert b"".join(response.streaming_content).count(b"\r\n") == 1 + 2


def test_a_big_ledger_streams_in_the_same_number_of_queries(db, django_assert_num_queries):
    shop = ShopFactory()
    entries_post(
        entries=[
            EntryIn(
                ledger=shop.ledger,
                journal="OD",
                date=dt.date(2026, 1 + n % 12, 1),
                label=f"Note {n}",
                piece_ref=f"N-{n}",
                lines=[LineIn("658000", debit=D("2.00")), LineIn("530000", credit=D("2.00"))],
            )
            for n in range(2500)  # more than a fetch of the cursor (CURSOR_ROWS lines)
        ]
    )
    from accounting.fec import fec_chunks

    with django_assert_num_queries(2):  # the year's lines (one cursor), earlier balances
        chunks = list(
            fec_chunks(ledger=shop.ledger, year=2026, start=dt.date(2026, 1, 1), lines=700)
        )
    assert len(chunks) == 1 + 5000 // 700
    assert b"".join(chunks).count(b"\r\n") == 1 + 5000


# --- The description -------------------------------------------------------------------

DESCRIPTION_URL = "/api/exports/fec-description/"


def test_the_description_tells_the_file_s_journals_accounts_and_numbering(
    api, books, shop, shopkeeper, accountant
):
    books_of_a_year(shop.ledger)
    for user in (shopkeeper, accountant):
        response = api.as_user(user).get(DESCRIPTION_URL, {"shop": shop.pk, "year": 2026})
        assert response.status_code == 200
        assert response["Content-Type"] == "text/plain; charset=utf-8"
        assert (
            response["Content-Disposition"]
            == f'inline; filename="{shop.siret[:9]}FEC20261231_description.txt"'
        )
    text = response.content.decode()
    _, content = fec_export(ledger=shop.ledger, year=2026)
    rows = rows_of(content)
    assert f"SIRET {shop.siret} (SIREN {shop.siret[:9]})" in text
    assert "Exercice : du 01/01/2026 au 31/12/2026" in text
    assert f"Fichier : {shop.siret[:9]}FEC20261231.txt" in text
    assert f"Contenu : {len(rows)} lignes d'écriture" in text
    for position, name in enumerate(FIELDS, 1):
        assert f"{position:>2}. {name} : " in text
    assert "- AN : À-nouveaux (1 écriture, AN-2026-000001 ; pièce par exemple « AN-2026 »)" in text
    assert "- ACH : Achats (2 écritures, de ACH-2026-000001 à ACH-2026-000002 ;" in text
    assert "- CAI : " in text and "Z-20260303" in text
    for account, label in {(row[4], row[5]) for row in rows}:
        assert f"- {account} : {label}\r\n" in text
    assert "- COOP : Coopérative MACHE" in text
    assert "Aucune ligne n'est lettrée" in text
    assert "tabulation" in text and "UTF-8" in text and "CR LF" in text


def test_the_description_is_scoped_and_refused_like_the_file(api, books, shop, other_shop, db):
    stranger = UserFactory(role=User.Role.SHOPKEEPER, shops=[other_shop])
    query = {"shop": shop.pk, "year": 2026}
    assert api.as_user(stranger).get(DESCRIPTION_URL, query).status_code == 404
    accountant = UserFactory(role=User.Role.ACCOUNTANT, shops=[shop])
    response = api.as_user(accountant).get(DESCRIPTION_URL, {"shop": "coop", "year": 2026})
    assert response.status_code == 404
    response = api.as_user(accountant).get(DESCRIPTION_URL, {"shop": shop.pk, "year": 1999})
    assert response.status_code == 400 and list(response.json()) == ["year"]


def test_the_description_needs_the_cooperative_s_siret(api, db):
    from accounting.services import cooperative_ledger

    cooperative_ledger()
    coordinator = UserFactory(role=User.Role.COORDINATOR)
    response = api.as_user(coordinator).get(DESCRIPTION_URL, {"shop": "coop", "year": 2026})
    assert response.status_code == 409
    assert response.json()["code"] == "cooperative_missing"
