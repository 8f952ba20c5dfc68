"""Statements of a shop's month, figure by figure; their query counts; the API's answers,
tenancy and refusals. The files (CSV, XLSX, PDF) are in test_statement_formats.py."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounting.models import Account, Entry
from accounting.statements import (
    general_ledger,
    income_statement,
    journal_statement,
    rate_of_vat_account,
    trial_balance,
    vat_statement,
)
from mache.errors import InvalidInput
from shops.models import User
from tests.factories import CooperativeFactory, ShopFactory, UserFactory, credit, debit
from tests.factories import post_entry as post

MARCH = {"date_from": dt.date(2026, 3, 1), "date_to": dt.date(2026, 3, 31)}
MARCH_QUERY = {"from": "2026-03-01", "to": "2026-03-31"}
COOP = ("COOP", "Coopérative")


# --- The books of a month -------------------------------------------------------------

RATE_55, RATE_20 = Decimal("5.50"), Decimal("20.00")


def post_month(ledger) -> dict:
    """March 2026 of a village shop, with what comes before and after it:

    before: sales of December 2025 (another fiscal year) and February, the capital paid in;
    March: two days of sales (5.5 % and 20 %), the cooperative's invoice (goods, shipping,
    fee, VAT at two rates), its payment, a cash deposit, sundry income and charges, the
    month-end stock variation; after: a sale in April.
    """
    entries = {}
    entries["december"] = post(
        ledger,
        "VTE",
        dt.date(2025, 12, 20),
        "Ventes du 20/12",
        "Z-2025-12-20",
        debit("530000", "105.50"),
        credit("707000", "100.00", vat_rate=RATE_55),
        credit("445710", "5.50", vat_rate=RATE_55),
    )
    entries["capital"] = post(
        ledger,
        "BQ",
        dt.date(2026, 2, 10),
        "Capital versé",
        "STATUTS",
        debit("512000", "1000.00"),
        credit("101300", "1000.00"),
    )
    entries["february"] = post(
        ledger,
        "VTE",
        dt.date(2026, 2, 27),
        "Ventes du 27/02",
        "Z-2026-02-27",
        debit("530000", "211.00"),
        credit("707000", "200.00", vat_rate=RATE_55),
        credit("445710", "11.00", vat_rate=RATE_55),
    )
    entries["sales_5"] = post(
        ledger,
        "VTE",
        dt.date(2026, 3, 5),
        "Ventes du 05/03",
        "Z-2026-03-05",
        debit("530000", "236.50"),
        debit("512000", "200.00"),
        credit("707000", "300.00", vat_rate=RATE_55),
        credit("445710", "16.50", vat_rate=RATE_55),
        credit("707000", "100.00", vat_rate=RATE_20),
        credit("445710", "20.00", vat_rate=RATE_20),
    )
    entries["sales_20"] = post(
        ledger,
        "VTE",
        dt.date(2026, 3, 20),
        "Ventes du 20/03",
        "Z-2026-03-20",
        debit("530000", "422.00"),
        credit("707000", "400.00", vat_rate=RATE_55),
        credit("445710", "22.00", vat_rate=RATE_55),
    )
    entries["invoice"] = post(
        ledger,
        "ACH",
        dt.date(2026, 3, 10),
        "Facture MACHE-2026-000042",
        "MACHE-2026-000042",
        debit("607000", "500.00", vat_rate=RATE_55),
        debit("624100", "20.00", vat_rate=RATE_20),
        debit("622800", "10.00", vat_rate=RATE_20),
        debit("445660", "27.50", vat_rate=RATE_55),
        debit("445660", "6.00", vat_rate=RATE_20),
        credit("401000", "563.50", auxiliary=COOP),
    )
    entries["stock"] = post(
        ledger,
        "OD",
        dt.date(2026, 3, 31),
        "Variation de stock de mars",
        "INV-2026-03",
        debit("603700", "63.00"),
        credit("370000", "63.00"),
    )
    entries["payment"] = post(
        ledger,
        "BQ",
        dt.date(2026, 3, 25),
        "Règlement de la coopérative",
        "VIR-0325",
        debit("401000", "563.50", auxiliary=COOP),
        credit("512000", "563.50"),
    )
    entries["deposit"] = post(
        ledger,
        "CAI",
        dt.date(2026, 3, 28),
        "Remise d'espèces",
        "BORD-17",
        debit("512000", "500.00"),
        credit("530000", "500.00"),
    )
    entries["sundry"] = post(
        ledger,
        "OD",
        dt.date(2026, 3, 15),
        "Dépôt de pain, commission",
        "NOTE-03",
        debit("512000", "10.00"),
        debit("658000", "5.00"),
        credit("758000", "15.00"),
    )
    entries["april"] = post(
        ledger,
        "VTE",
        dt.date(2026, 4, 2),
        "Ventes du 02/04",
        "Z-2026-04-02",
        debit("530000", "105.50"),
        credit("707000", "100.00", vat_rate=RATE_55),
        credit("445710", "5.50", vat_rate=RATE_55),
    )
    return entries


@pytest.fixture
def books(shop):
    """The shop's ledger with its month posted."""
    post_month(shop.ledger)
    return shop.ledger


def grow(ledger, *, entries: int, accounts: int) -> None:
    """More of everything: `accounts` new sales sub-accounts, `entries` sales in March."""
    numbers = [f"7070{n:02d}" for n in range(1, accounts + 1)]
    Account.objects.bulk_create(
        Account(ledger=ledger, number=number, label=f"Ventes rayon {n}", kind="income")
        for n, number in enumerate(numbers)
    )
    for n in range(entries):
        post(
            ledger,
            "VTE",
            dt.date(2026, 3, 1 + n % 28),
            f"Ventes {n}",
            f"Z-{n}",
            debit("530000", "21.10"),
            credit(numbers[n % accounts], "20.00", vat_rate=RATE_55),
            credit("445710", "1.10", vat_rate=RATE_55),
        )


def money(value) -> str:
    return f"{Decimal(value):.2f}"


# --- Trial balance --------------------------------------------------------------------


def test_the_trial_balance_sums_each_account_over_the_month(books):
    balance = trial_balance(ledger=books, **MARCH)

    rows = [(a.account, a.debit, a.credit, a.balance) for a in balance.accounts]
    assert rows == [
        ("370000", Decimal("0.00"), Decimal("63.00"), Decimal("-63.00")),
        ("401000", Decimal("563.50"), Decimal("563.50"), Decimal("0.00")),
        ("445660", Decimal("33.50"), Decimal("0.00"), Decimal("33.50")),
        ("445710", Decimal("0.00"), Decimal("58.50"), Decimal("-58.50")),
        ("512000", Decimal("710.00"), Decimal("563.50"), Decimal("146.50")),
        ("530000", Decimal("658.50"), Decimal("500.00"), Decimal("158.50")),
        ("603700", Decimal("63.00"), Decimal("0.00"), Decimal("63.00")),
        ("607000", Decimal("500.00"), Decimal("0.00"), Decimal("500.00")),
        ("622800", Decimal("10.00"), Decimal("0.00"), Decimal("10.00")),
        ("624100", Decimal("20.00"), Decimal("0.00"), Decimal("20.00")),
        ("658000", Decimal("5.00"), Decimal("0.00"), Decimal("5.00")),
        ("707000", Decimal("0.00"), Decimal("800.00"), Decimal("-800.00")),
        ("758000", Decimal("0.00"), Decimal("15.00"), Decimal("-15.00")),
    ]  # 101300 (February only) and the untouched accounts are left out
    assert balance.accounts[0].label == "Stocks de marchandises"
    assert balance.total_debit == balance.total_credit == Decimal("2563.50")


def test_the_trial_balance_json_is_the_contract(api, shopkeeper, books, shop):
    response = api.as_user(shopkeeper).get(
        "/api/statements/trial-balance/", {"shop": shop.id, **MARCH_QUERY}
    )

    assert response.status_code == 200
    body = response.json()
    assert body["accounts"][2] == {
        "account": "445660",
        "label": "TVA déductible sur autres biens et services",
        "debit": "33.50",
        "credit": "0.00",
        "balance": "33.50",
    }
    assert body["accounts"][-1] == {
        "account": "758000",
        "label": "Produits divers de gestion courante",
        "debit": "0.00",
        "credit": "15.00",
        "balance": "-15.00",
    }
    assert [a["account"] for a in body["accounts"]] == sorted(
        a["account"] for a in body["accounts"]
    )
    assert body["total_debit"] == body["total_credit"] == "2563.50"
    assert (body["shop"], body["from"], body["to"]) == (shop.id, "2026-03-01", "2026-03-31")


def test_a_day_at_each_end_of_the_period_counts(books):
    only_the_fifth = trial_balance(
        ledger=books, date_from=dt.date(2026, 3, 5), date_to=dt.date(2026, 3, 5)
    )
    assert only_the_fifth.total_debit == Decimal("436.50")
    assert (
        trial_balance(
            ledger=books, date_from=dt.date(2026, 4, 3), date_to=dt.date(2026, 4, 30)
        ).accounts
        == []
    )


def test_the_trial_balance_takes_one_query_whatever_the_lines(books, django_assert_max_num_queries):
    with CaptureQueriesContext(connection) as small:
        trial_balance(ledger=books, **MARCH)
    grow(books, entries=40, accounts=12)

    with django_assert_max_num_queries(2), CaptureQueriesContext(connection) as large:
        balance = trial_balance(ledger=books, **MARCH)

    assert len(large) == len(small) == 1
    assert len(balance.accounts) == 13 + 12
    assert "GROUP BY" in large[0]["sql"]


# --- General ledger -------------------------------------------------------------------


def test_the_general_ledger_runs_each_account_from_its_opening_balance(books):
    ledger = general_ledger(ledger=books, **MARCH)
    accounts = {account.account: account for account in ledger.accounts}

    bank = accounts["512000"]
    assert bank.opening_balance == Decimal("1000.00")  # the capital paid in February
    assert [
        (line.date, line.journal, line.debit, line.credit, line.balance) for line in bank.lines
    ] == [
        (dt.date(2026, 3, 5), "VTE", Decimal("200.00"), Decimal("0.00"), Decimal("1200.00")),
        (dt.date(2026, 3, 15), "OD", Decimal("10.00"), Decimal("0.00"), Decimal("1210.00")),
        (dt.date(2026, 3, 25), "BQ", Decimal("0.00"), Decimal("563.50"), Decimal("646.50")),
        (dt.date(2026, 3, 28), "CAI", Decimal("500.00"), Decimal("0.00"), Decimal("1146.50")),
    ]
    assert (bank.total_debit, bank.total_credit, bank.closing_balance) == (
        Decimal("710.00"),
        Decimal("563.50"),
        Decimal("1146.50"),
    )
    # A balance-sheet account carries every earlier year; an income account only the
    # current fiscal year (December 2025's sales went to the 2025 result).
    assert accounts["530000"].opening_balance == Decimal("316.50")
    assert accounts["445710"].opening_balance == Decimal("-16.50")
    assert accounts["707000"].opening_balance == Decimal("-200.00")
    assert accounts["707000"].closing_balance == Decimal("-1000.00")
    # An account with a balance but no line in the period is there, unchanged.
    assert accounts["101300"].lines == []
    assert accounts["101300"].closing_balance == Decimal("-1000.00")
    assert list(accounts) == sorted(accounts)
    assert ledger.total_debit == ledger.total_credit == Decimal("2563.50")


def test_general_ledger_lines_name_their_entry_and_piece(books):
    ledger = general_ledger(ledger=books, **MARCH)
    supplier = next(a for a in ledger.accounts if a.account == "401000")

    invoice, payment = supplier.lines
    assert (invoice.entry, invoice.piece_ref, invoice.label, invoice.auxiliary) == (
        "ACH-2026-000001",
        "MACHE-2026-000042",
        "Facture MACHE-2026-000042",
        "COOP",
    )
    assert invoice.entry == Entry.objects.get(piece_ref="MACHE-2026-000042").reference
    assert (payment.entry, payment.balance) == ("BQ-2026-000002", Decimal("0.00"))


def test_the_general_ledger_json(api, accountant, books, shop):
    body = (
        api.as_user(accountant)
        .get("/api/statements/general-ledger/", {"shop": shop.id, **MARCH_QUERY})
        .json()
    )

    cash = next(a for a in body["accounts"] if a["account"] == "530000")
    assert cash["opening_balance"] == "316.50"
    assert cash["lines"][0] == {
        "date": "2026-03-05",
        "journal": "VTE",
        "entry": "VTE-2026-000002",
        "piece_ref": "Z-2026-03-05",
        "label": "Ventes du 05/03",
        "auxiliary": None,
        "debit": "236.50",
        "credit": "0.00",
        "balance": "553.00",
        "letter": "",
    }
    assert (cash["total_debit"], cash["total_credit"], cash["closing_balance"]) == (
        "658.50",
        "500.00",
        "475.00",
    )
    assert body["total_debit"] == body["total_credit"] == "2563.50"


# --- Journal --------------------------------------------------------------------------


def test_the_journal_lists_entries_per_journal_in_number_order(books):
    journal = journal_statement(ledger=books, **MARCH)

    assert [
        (j.journal, j.label, [e.entry for e in j.entries], j.total_debit) for j in journal.journals
    ] == [
        ("ACH", "Achats", ["ACH-2026-000001"], Decimal("563.50")),
        ("BQ", "Banque", ["BQ-2026-000002"], Decimal("563.50")),
        ("CAI", "Caisse", ["CAI-2026-000001"], Decimal("500.00")),
        # Number order, not date order: the stock entry was posted first.
        ("OD", "Opérations diverses", ["OD-2026-000001", "OD-2026-000002"], Decimal("78.00")),
        ("VTE", "Ventes", ["VTE-2026-000002", "VTE-2026-000003"], Decimal("858.50")),
    ]
    invoice = journal.journals[0].entries[0]
    assert (invoice.date, invoice.piece_ref, invoice.number) == (
        dt.date(2026, 3, 10),
        "MACHE-2026-000042",
        1,
    )
    assert [(line.account, line.auxiliary, line.debit, line.credit) for line in invoice.lines] == [
        ("607000", None, Decimal("500.00"), Decimal("0.00")),
        ("624100", None, Decimal("20.00"), Decimal("0.00")),
        ("622800", None, Decimal("10.00"), Decimal("0.00")),
        ("445660", None, Decimal("27.50"), Decimal("0.00")),
        ("445660", None, Decimal("6.00"), Decimal("0.00")),
        ("401000", "COOP", Decimal("0.00"), Decimal("563.50")),
    ]
    assert all(j.total_debit == j.total_credit for j in journal.journals)
    assert journal.total_debit == journal.total_credit == Decimal("2563.50")


def test_the_journal_of_one_journal(api, shopkeeper, books, shop):
    response = api.as_user(shopkeeper).get(
        "/api/statements/journal/", {"shop": shop.id, "journal": "VTE", **MARCH_QUERY}
    )

    body = response.json()
    assert [j["journal"] for j in body["journals"]] == ["VTE"]
    sales = body["journals"][0]["entries"][0]
    assert (sales["entry"], sales["number"], sales["date"], sales["label"]) == (
        "VTE-2026-000002",
        2,
        "2026-03-05",
        "Ventes du 05/03",
    )
    assert sales["lines"][2] == {
        "account": "707000",
        "auxiliary": None,
        "label": "Ventes du 05/03",
        "debit": "0.00",
        "credit": "300.00",
    }
    assert body["total_debit"] == body["total_credit"] == "858.50"


def test_an_unknown_journal_is_refused_on_its_field(books):
    with pytest.raises(InvalidInput) as refused:
        journal_statement(ledger=books, journal="XYZ", **MARCH)
    assert list(refused.value.errors) == ["journal"]


# --- Income statement -----------------------------------------------------------------


def test_the_income_statement_gives_margin_and_result(books):
    statement = income_statement(ledger=books, **MARCH)

    assert statement.amounts == {
        "sales_of_goods": Decimal("800.00"),
        "other_sales": Decimal("0.00"),
        "other_income": Decimal("15.00"),
        "miscellaneous_income": Decimal("0.00"),
        "purchases_of_goods": Decimal("500.00"),
        "stock_variation": Decimal("63.00"),
        "external_charges": Decimal("30.00"),
        "other_charges": Decimal("5.00"),
        "miscellaneous_charges": Decimal("0.00"),
    }
    assert statement.gross_margin == Decimal("237.00")  # 800 - (500 + 63)
    assert statement.margin_rate == Decimal("29.63")  # 29.625 %, rounded half up
    assert statement.total_income == Decimal("815.00")
    assert statement.total_charges == Decimal("598.00")
    assert statement.result == Decimal("217.00")


def test_the_income_statement_json(api, coordinator, books, shop):
    body = (
        api.as_user(coordinator)
        .get("/api/statements/income-statement/", {"shop": shop.id, **MARCH_QUERY})
        .json()
    )

    assert {
        key: body[key]
        for key in (
            "sales_of_goods",
            "other_sales",
            "purchases_of_goods",
            "stock_variation",
            "gross_margin",
            "margin_rate",
            "external_charges",
            "other_charges",
            "other_income",
            "total_income",
            "total_charges",
            "result",
        )
    } == {
        "sales_of_goods": "800.00",
        "other_sales": "0.00",
        "purchases_of_goods": "500.00",
        "stock_variation": "63.00",
        "gross_margin": "237.00",
        "margin_rate": "29.63",
        "external_charges": "30.00",
        "other_charges": "5.00",
        "other_income": "15.00",
        "total_income": "815.00",
        "total_charges": "598.00",
        "result": "217.00",
    }
    external = next(g for g in body["charges"] if g["key"] == "external_charges")
    assert external["accounts"] == [
        {"account": "622800", "label": "Rémunérations d'intermédiaires divers", "amount": "10.00"},
        {"account": "624100", "label": "Transports sur achats", "amount": "20.00"},
    ]


def test_without_sales_there_is_no_margin_rate(shop):
    post(
        shop.ledger,
        "ACH",
        dt.date(2026, 3, 2),
        "Achat",
        "F-1",
        debit("607000", "100.00"),
        credit("401000", "100.00"),
    )

    statement = income_statement(ledger=shop.ledger, **MARCH)

    assert statement.margin_rate is None
    assert statement.gross_margin == Decimal("-100.00")
    assert statement.result == Decimal("-100.00")


def test_a_stock_increase_lowers_the_cost_of_goods_sold(shop):
    post(
        shop.ledger,
        "VTE",
        dt.date(2026, 3, 2),
        "Ventes",
        "Z-1",
        debit("530000", "200.00"),
        credit("707000", "200.00"),
    )
    post(
        shop.ledger,
        "ACH",
        dt.date(2026, 3, 3),
        "Achat",
        "F-1",
        debit("607000", "150.00"),
        credit("401000", "150.00"),
    )
    post(
        shop.ledger,
        "OD",
        dt.date(2026, 3, 31),
        "Stock en hausse",
        "INV-1",
        debit("370000", "30.00"),
        credit("603700", "30.00"),
    )

    statement = income_statement(ledger=shop.ledger, **MARCH)

    assert statement.amounts["stock_variation"] == Decimal("-30.00")
    assert statement.gross_margin == Decimal("80.00")  # 200 - (150 - 30)
    assert statement.margin_rate == Decimal("40.00")


def test_the_cooperative_income_shows_fees_and_reinvoiced_shipping(api, coordinator):
    CooperativeFactory()
    from accounting.services import cooperative_ledger

    post(
        cooperative_ledger(),
        "VTE",
        dt.date(2026, 3, 12),
        "Facture MACHE-2026-000042",
        "MACHE-2026-000042",
        debit("411000", "115.90", auxiliary=("S12", "Épicerie")),
        credit("707000", "100.00", vat_rate=RATE_55),
        credit("708000", "5.00", vat_rate=RATE_20),
        credit("706000", "2.00", vat_rate=RATE_20),
        credit("445710", "5.50", vat_rate=RATE_55),
        credit("445710", "1.40", vat_rate=RATE_20),
        credit("758000", "2.00"),
    )

    body = (
        api.as_user(coordinator)
        .get("/api/statements/income-statement/", {"shop": "coop", **MARCH_QUERY})
        .json()
    )

    assert (
        body["shop"],
        body["sales_of_goods"],
        body["other_sales"],
        body["other_income"],
        body["total_income"],
        body["margin_rate"],
    ) == ("coop", "100.00", "7.00", "2.00", "109.00", "100.00")
    other = next(g for g in body["income"] if g["key"] == "other_sales")
    assert [a["account"] for a in other["accounts"]] == ["706000", "708000"]


# --- VAT ------------------------------------------------------------------------------


def test_the_vat_statement_gives_base_and_tax_per_rate(books):
    vat = vat_statement(ledger=books, **MARCH)

    assert [(line.rate, line.base, line.amount) for line in vat.collected] == [
        (RATE_55, Decimal("700.00"), Decimal("38.50")),
        (RATE_20, Decimal("100.00"), Decimal("20.00")),
    ]
    assert [(line.rate, line.base, line.amount) for line in vat.deductible] == [
        (RATE_55, Decimal("500.00"), Decimal("27.50")),
        (RATE_20, Decimal("30.00"), Decimal("6.00")),
    ]
    assert (vat.total_collected, vat.total_deductible, vat.net_due) == (
        Decimal("58.50"),
        Decimal("33.50"),
        Decimal("25.00"),
    )


def test_the_vat_json_and_a_credit_of_vat(api, shopkeeper, shop):
    post(
        shop.ledger,
        "ACH",
        dt.date(2026, 3, 3),
        "Gros achat",
        "F-9",
        debit("607000", "1000.00", vat_rate=RATE_55),
        debit("445660", "55.00", vat_rate=RATE_55),
        credit("401000", "1055.00", auxiliary=COOP),
    )
    post(
        shop.ledger,
        "VTE",
        dt.date(2026, 3, 4),
        "Ventes",
        "Z-1",
        debit("530000", "120.00"),
        credit("707000", "100.00", vat_rate=RATE_20),
        credit("445710", "20.00", vat_rate=RATE_20),
    )

    body = (
        api.as_user(shopkeeper).get("/api/statements/vat/", {"shop": shop.id, **MARCH_QUERY}).json()
    )

    assert body["collected"] == [{"rate": "20.00", "base": "100.00", "amount": "20.00"}]
    assert body["deductible"] == [{"rate": "5.50", "base": "1000.00", "amount": "55.00"}]
    assert (
        body["total_collected_base"],
        body["total_collected"],
        body["total_deductible_base"],
        body["total_deductible"],
    ) == ("100.00", "20.00", "1000.00", "55.00")
    assert body["net_due"] == "-35.00"  # a credit of VAT


def test_vat_sub_accounts_name_their_rate(shop):
    Account.objects.create(
        ledger=shop.ledger, number="44571200", label="TVA collectée 20 %", kind="liability"
    )
    post(
        shop.ledger,
        "VTE",
        dt.date(2026, 3, 4),
        "Ventes",
        "Z-1",
        debit("530000", "126.00"),
        credit("707000", "100.00", vat_rate=RATE_20),
        credit("44571200", "20.00"),
        credit("445710", "6.00"),
    )  # no rate anywhere: shown apart, still counted

    vat = vat_statement(ledger=shop.ledger, **MARCH)

    assert [(line.rate, line.base, line.amount) for line in vat.collected] == [
        (RATE_20, Decimal("100.00"), Decimal("20.00")),
        (None, Decimal("0.00"), Decimal("6.00")),
    ]
    assert vat.total_collected == Decimal("26.00")


def test_rates_of_vat_sub_accounts():
    assert rate_of_vat_account("44571055") == Decimal("5.50")
    assert rate_of_vat_account("44566100") == Decimal("10.00")
    assert rate_of_vat_account("44571021") == Decimal("2.10")
    assert rate_of_vat_account("44571200") == Decimal("20.00")
    assert rate_of_vat_account("445710") is None
    assert rate_of_vat_account("44571999") is None  # 99.9 % is no rate
    assert rate_of_vat_account("70710055") is None


# --- Query counts ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "compute, queries",
    [
        (trial_balance, 1),
        (general_ledger, 2),
        (journal_statement, 2),
        (income_statement, 1),
        (vat_statement, 1),
    ],
)
def test_every_statement_takes_a_fixed_number_of_queries(books, compute, queries):
    with CaptureQueriesContext(connection) as small:
        compute(ledger=books, **MARCH)
    grow(books, entries=30, accounts=8)

    with CaptureQueriesContext(connection) as large:
        compute(ledger=books, **MARCH)

    assert len(small) == len(large) == queries


@pytest.mark.parametrize(
    "statement", ["trial-balance", "general-ledger", "journal", "income-statement", "vat"]
)
@pytest.mark.parametrize("file_format", ["json", "csv", "xlsx", "pdf"])
def test_the_api_answers_in_a_fixed_number_of_queries(
    api, coordinator, books, shop, statement, file_format
):
    client = api.as_user(coordinator)
    url = f"/api/statements/{statement}/"
    query = {"shop": shop.id, "format": file_format, **MARCH_QUERY}
    client.get(url, query)  # the token and the session settle first
    with CaptureQueriesContext(connection) as small:
        assert client.get(url, query).status_code == 200
    grow(books, entries=30, accounts=8)

    with CaptureQueriesContext(connection) as large:
        assert client.get(url, query).status_code == 200

    assert len(small) == len(large) <= 6


# --- Tenancy and refusals -------------------------------------------------------------

URLS = [
    "/api/statements/trial-balance/",
    "/api/statements/general-ledger/",
    "/api/statements/journal/",
    "/api/statements/income-statement/",
    "/api/statements/vat/",
]


@pytest.mark.parametrize("url", URLS)
def test_a_shopkeeper_sees_no_other_books(api, shopkeeper, books, url):
    CooperativeFactory()
    other = ShopFactory(name="Boucherie Voisine")
    client = api.as_user(shopkeeper)

    assert client.get(url, {"shop": other.id, **MARCH_QUERY}).status_code == 404
    assert client.get(url, {"shop": "coop", **MARCH_QUERY}).status_code == 404
    assert client.get(url, {"shop": 987654, **MARCH_QUERY}).status_code == 404
    assert client.get(url, {"shop": other.id, "format": "pdf", **MARCH_QUERY}).status_code == 404


@pytest.mark.parametrize("url", URLS)
def test_each_role_reads_the_books_it_sees(api, books, shop, url):
    CooperativeFactory()
    accountant = UserFactory(role=User.Role.ACCOUNTANT, shops=[shop])
    coordinator = UserFactory(role=User.Role.COORDINATOR)
    shopkeeper = UserFactory(role=User.Role.SHOPKEEPER, shops=[shop])

    for user in (accountant, coordinator, shopkeeper):
        assert api.as_user(user).get(url, {"shop": shop.id, **MARCH_QUERY}).status_code == 200
    assert api.as_user(coordinator).get(url, {"shop": "coop", **MARCH_QUERY}).status_code == 200
    assert api.as_user(accountant).get(url, {"shop": "coop", **MARCH_QUERY}).status_code == 404


def test_an_accountant_of_another_shop_gets_404(api, books, shop):
    stranger = UserFactory(role=User.Role.ACCOUNTANT, shops=[ShopFactory()])

    response = api.as_user(stranger).get(URLS[0], {"shop": shop.id, **MARCH_QUERY})

    assert response.status_code == 404


def test_nobody_logged_in_gets_401(client, books, shop):
    assert client.get(URLS[0], {"shop": shop.id, **MARCH_QUERY}).status_code == 401


@pytest.mark.parametrize(
    "query, field",
    [
        ({"from": "2026-03-31", "to": "2026-03-01"}, "from"),
        ({"from": "2026-02-30", "to": "2026-03-31"}, "from"),
        ({"from": "01/03/2026", "to": "2026-03-31"}, "from"),
        ({"from": "2026-03-01", "to": "demain"}, "to"),
        ({"to": "2026-03-31"}, "from"),
        ({"from": "2026-03-01"}, "to"),
        ({"from": "2026-03-01", "to": "2026-03-31", "format": "docx"}, "format"),
    ],
)
def test_bad_parameters_are_400_naming_the_field(api, shopkeeper, shop, query, field):
    response = api.as_user(shopkeeper).get(URLS[0], {"shop": shop.id, **query})

    assert response.status_code == 400
    assert list(response.json()) == [field]


def test_the_shop_is_required(api, coordinator, books):
    response = api.as_user(coordinator).get(URLS[0], MARCH_QUERY)

    assert response.status_code == 400
    assert list(response.json()) == ["shop"]


def test_an_unknown_journal_is_400(api, shopkeeper, books, shop):
    response = api.as_user(shopkeeper).get(
        "/api/statements/journal/", {"shop": shop.id, "journal": "ZZZ", **MARCH_QUERY}
    )

    assert response.status_code == 400
    assert list(response.json()) == ["journal"]
