"""The aged balance of customers and of suppliers (docs/statements.md, "Aged balance"):
the buckets at their boundaries, settlements first in first out, a reversal settling the
entry it reverses, payments in advance, its four formats and the books page, tenancy."""

import csv
import datetime as dt
import io
from decimal import Decimal

import openpyxl
import pytest

from accounting.services import cooperative_ledger
from accounting.statements import aged_balance
from accounting.statements.aged_balance import PAYMENT_TERM_DAYS, bucket_of
from mache.periods import paris_today
from shops.models import User
from tests.factories import CooperativeFactory, ShopFactory, UserFactory, credit, debit
from tests.factories import post_entry as post
from tests.helpers import pdf_text, squeezed

D = Decimal
AT = dt.date(2026, 6, 30)


def invoice(ledger, day, amount, aux=("C1", "Client Un"), **more):
    return post(
        ledger,
        "VTE",
        day,
        f"Facture du {day}",
        f"F-{day}-{amount}",
        debit("411000", amount, auxiliary=aux),
        credit("707000", amount),
        **more,
    )


def payment(ledger, day, amount, aux=("C1", "Client Un"), **more):
    return post(
        ledger,
        "BQ",
        day,
        f"Règlement du {day}",
        f"R-{day}-{amount}",
        debit("512000", amount),
        credit("411000", amount, auxiliary=aux),
        **more,
    )


def buckets(account) -> dict[str, Decimal]:
    return {key: value for key, value in account.amounts.items() if value}


# --- Ages -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "late, bucket",
    [
        (-1, "not_due"),
        (0, "days_0_30"),
        (30, "days_0_30"),
        (31, "days_31_60"),
        (60, "days_31_60"),
        (61, "days_61_90"),
        (90, "days_61_90"),
        (91, "over_90"),
    ],
)
def test_an_amount_ages_by_the_days_past_its_due_date(late, bucket):
    assert bucket_of(due=AT - dt.timedelta(days=late), at=AT) == bucket


def test_invoices_fall_due_thirty_days_after_their_date_and_age_at_the_boundaries(shop):
    # One customer per boundary, each with one invoice that many days late at AT.
    cases = {
        -1: "not_due",
        0: "days_0_30",
        30: "days_0_30",
        31: "days_31_60",
        60: "days_31_60",
        61: "days_61_90",
        90: "days_61_90",
        91: "over_90",
    }
    for late in cases:
        day = AT - dt.timedelta(days=PAYMENT_TERM_DAYS + late)
        invoice(shop.ledger, day, "10.00", aux=(f"C{late + 1:03d}", f"Client {late}"))

    balance = aged_balance(ledger=shop.ledger, side="customers", at=AT)

    found = {account.aux: buckets(account) for account in balance.accounts}
    assert found == {f"C{late + 1:03d}": {bucket: D("10.00")} for late, bucket in cases.items()}
    assert balance.totals == {
        "not_due": D("10.00"),
        "days_0_30": D("20.00"),
        "days_31_60": D("20.00"),
        "days_61_90": D("20.00"),
        "over_90": D("10.00"),
        "total": D("80.00"),
    }


def test_the_due_date_follows_the_documents_date_and_lines_after_the_date_wait(shop):
    # Dated in June, its document (piece_date) of April: due in May.
    invoice(shop.ledger, dt.date(2026, 6, 1), "25.00", piece_date=dt.date(2026, 4, 1))
    invoice(shop.ledger, dt.date(2026, 7, 1), "99.00")  # after AT: not yet in the books

    [account] = aged_balance(ledger=shop.ledger, side="customers", at=AT).accounts

    assert buckets(account) == {"days_31_60": D("25.00")}  # due 01/05, 60 days late


# --- Settlements ----------------------------------------------------------------------


def test_payments_settle_the_oldest_invoices_first(shop):
    invoice(shop.ledger, dt.date(2026, 1, 1), "100.00")
    invoice(shop.ledger, dt.date(2026, 3, 1), "50.00")
    payment(shop.ledger, dt.date(2026, 3, 15), "120.00")

    [account] = aged_balance(ledger=shop.ledger, side="customers", at=dt.date(2026, 4, 15)).accounts

    # 100 settled, 30 of the second left, due 31/03: 15 days late.
    assert (account.aux, account.label) == ("C1", "Client Un")
    assert buckets(account) == {"days_0_30": D("30.00")}
    assert account.total == D("30.00")


def test_a_reversal_settles_the_entry_it_reverses_not_the_oldest(shop):
    invoice(shop.ledger, dt.date(2026, 1, 1), "100.00")
    wrong = invoice(shop.ledger, dt.date(2026, 2, 1), "70.00")
    post(
        shop.ledger,
        "VTE",
        dt.date(2026, 2, 5),
        "Extourne",
        "EXT-1",
        debit("707000", "70.00"),
        credit("411000", "70.00", auxiliary=("C1", "Client Un")),
        reversal_of=wrong,
    )

    [account] = aged_balance(ledger=shop.ledger, side="customers", at=dt.date(2026, 2, 15)).accounts

    assert buckets(account) == {"days_0_30": D("100.00")}  # the first one, due 31/01


def test_a_payment_in_advance_stays_open_negative_and_settled_parties_are_left_out(shop):
    payment(shop.ledger, dt.date(2026, 4, 10), "40.00", aux=("C2", "Client Deux"))
    invoice(shop.ledger, dt.date(2026, 3, 1), "15.00")
    payment(shop.ledger, dt.date(2026, 3, 20), "15.00")

    balance = aged_balance(ledger=shop.ledger, side="customers", at=dt.date(2026, 4, 15))

    [account] = balance.accounts
    assert account.aux == "C2"
    assert buckets(account) == {"days_0_30": D("-40.00")}
    assert balance.totals["total"] == D("-40.00")


def test_lines_without_a_third_party_are_one_row_per_account(shop):
    post(
        shop.ledger,
        "VTE",
        dt.date(2026, 6, 20),
        "Vente",
        "F-9",
        debit("411000", "12.00"),
        credit("707000", "12.00"),
    )

    [account] = aged_balance(ledger=shop.ledger, side="customers", at=AT).accounts

    assert (account.aux, account.label) == ("", "Compte 411000 sans compte auxiliaire")
    assert buckets(account) == {"not_due": D("12.00")}


def test_suppliers_are_what_the_shop_owes(shop):
    coop = ("COOP", "Coopérative")
    for day, amount in ((dt.date(2026, 3, 10), "563.50"), (dt.date(2026, 3, 20), "200.00")):
        post(
            shop.ledger,
            "ACH",
            day,
            "Facture",
            f"MACHE-{amount}",
            debit("607000", amount),
            credit("401000", amount, auxiliary=coop),
        )
    post(
        shop.ledger,
        "BQ",
        dt.date(2026, 3, 25),
        "Règlement",
        "VIR-1",
        debit("401000", "563.50", auxiliary=coop),
        credit("512000", "563.50"),
    )

    balance = aged_balance(ledger=shop.ledger, side="suppliers", at=dt.date(2026, 4, 30))

    [account] = balance.accounts
    assert (account.aux, account.label) == ("COOP", "Coopérative")
    assert buckets(account) == {"days_0_30": D("200.00")}  # due 19/04
    assert aged_balance(ledger=shop.ledger, side="customers", at=AT).accounts == []


def test_the_cooperatives_customers_are_its_shops(db):
    CooperativeFactory()
    ledger = cooperative_ledger()
    invoice(ledger, dt.date(2026, 6, 10), "80.00", aux=("S0101", "Épicerie de Romazy"))
    invoice(ledger, dt.date(2026, 3, 1), "20.00", aux=("S0102", "Fromagerie"))

    balance = aged_balance(ledger=ledger, side="customers", at=AT)

    assert [(a.aux, a.label, buckets(a)) for a in balance.accounts] == [
        ("S0101", "Épicerie de Romazy", {"not_due": D("80.00")}),
        ("S0102", "Fromagerie", {"over_90": D("20.00")}),  # due 31/03: 91 days late
    ]


# --- The API, its files, the books page -----------------------------------------------

URL = "/api/statements/aged-balance/"
AT_QUERY = {"side": "customers", "at": "2026-04-15"}


@pytest.fixture
def books(shop):
    invoice(shop.ledger, dt.date(2026, 1, 1), "100.00")
    invoice(shop.ledger, dt.date(2026, 3, 1), "50.00")
    payment(shop.ledger, dt.date(2026, 3, 15), "120.00")
    invoice(shop.ledger, dt.date(2026, 4, 1), "1234.56", aux=("C2", "Client Deux"))
    return shop.ledger


def test_the_json_follows_the_contract(api, accountant, shop, books):
    response = api.as_user(accountant).get(URL, {"shop": shop.id, **AT_QUERY})

    assert response.status_code == 200
    body = response.json()
    assert (body["shop"], body["side"], body["at"]) == (shop.id, "customers", "2026-04-15")
    assert body["accounts"] == [
        {
            "aux": "C1",
            "label": "Client Un",
            "not_due": "0.00",
            "days_0_30": "30.00",
            "days_31_60": "0.00",
            "days_61_90": "0.00",
            "over_90": "0.00",
            "total": "30.00",
        },
        {
            "aux": "C2",
            "label": "Client Deux",
            "not_due": "1234.56",
            "days_0_30": "0.00",
            "days_31_60": "0.00",
            "days_61_90": "0.00",
            "over_90": "0.00",
            "total": "1234.56",
        },
    ]
    assert body["totals"]["total"] == "1264.56"


def test_the_date_defaults_to_today_and_the_side_is_required(api, accountant, shop, books):
    client = api.as_user(accountant)

    today = client.get(URL, {"shop": shop.id, "side": "suppliers"})
    no_side = client.get(URL, {"shop": shop.id})
    bad_side = client.get(URL, {"shop": shop.id, "side": "clients"})

    assert today.status_code == 200 and today.json()["at"] == paris_today().isoformat()
    assert no_side.status_code == bad_side.status_code == 400
    assert "side" in no_side.content.decode() and "side" in bad_side.content.decode()


def test_the_csv_xlsx_and_pdf_show_the_jsons_figures(api, accountant, shop, books, tmp_path):
    client = api.as_user(accountant)

    def get(file_format):
        return client.get(URL, {"shop": shop.id, "format": file_format, **AT_QUERY})

    name = f'attachment; filename="balance-agee-clients-{shop.id}-2026-04-15-2026-04-15.'
    response = get("csv")
    assert response["Content-Disposition"] == name + 'csv"'
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert rows == [
        [
            "Compte",
            "Tiers",
            "Non échu",
            "0 à 30 j",
            "31 à 60 j",
            "61 à 90 j",
            "Plus de 90 j",
            "Total",
        ],
        ["C1", "Client Un", "0,00", "30,00", "0,00", "0,00", "0,00", "30,00"],
        ["C2", "Client Deux", "1234,56", "0,00", "0,00", "0,00", "0,00", "1234,56"],
        ["", "Total", "1234,56", "30,00", "0,00", "0,00", "0,00", "1264,56"],
    ]

    response = get("xlsx")
    assert response["Content-Disposition"] == name + 'xlsx"'
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    assert sheet["A1"].value == "Balance âgée des clients — Épicerie de Romazy"
    assert sheet["A2"].value == "Au 15/04/2026"
    row = [cell.value for cell in sheet[6]]
    assert row[:2] == ["C2", "Client Deux"]
    assert Decimal(str(row[2])) == D("1234.56") and sheet[6][2].data_type == "n"

    response = get("pdf")
    assert response["Content-Disposition"] == name + 'pdf"'
    text = squeezed(pdf_text(response.content, tmp_path))
    assert "Balance âgée des clients" in text and "Au 15/04/2026" in text
    assert "C2 Client Deux 1 234,56" in text
    assert "Total 1 234,56 30,00 0,00 0,00 0,00 1 264,56" in text


def test_the_books_page_offers_both_aged_balances_at_the_periods_end(
    client, accountant, shop, books
):
    client.force_login(accountant)
    period = {"start": "2026-04-01", "end": "2026-04-15"}

    page = client.get(f"/comptable/{shop.pk}/", period).content.decode()
    response = client.get(f"/comptable/{shop.pk}/releves/balance-agee-clients.csv", period)
    suppliers = client.get(f"/comptable/{shop.pk}/releves/balance-agee-fournisseurs.pdf", period)

    for slug in ("bilan", "balance-agee-clients", "balance-agee-fournisseurs"):
        for extension in ("csv", "xlsx", "pdf"):
            assert f"/comptable/{shop.pk}/releves/{slug}.{extension}?" in page
    assert response.status_code == 200
    assert "1264,56" in response.content.decode("utf-8-sig")
    assert suppliers.status_code == 200 and suppliers.content.startswith(b"%PDF")


def test_a_shopkeeper_of_another_shop_gets_404(api, shop, books):
    stranger = UserFactory(role=User.Role.SHOPKEEPER, shops=[ShopFactory()])
    client = api.as_user(stranger)

    for file_format in ("json", "csv", "pdf"):
        response = client.get(URL, {"shop": shop.id, "format": file_format, **AT_QUERY})
        assert response.status_code == 404
    assert client.get(URL, {"shop": "coop", **AT_QUERY}).status_code == 404


def test_one_query_whatever_the_number_of_lines(shop, books, django_assert_num_queries):
    for n in range(20):
        invoice(shop.ledger, dt.date(2026, 2, 1 + n), "5.00", aux=(f"X{n:02d}", f"Client {n}"))

    with django_assert_num_queries(1):
        balance = aged_balance(ledger=shop.ledger, side="customers", at=dt.date(2026, 4, 15))

    assert len(balance.accounts) == 22
