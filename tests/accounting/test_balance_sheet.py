"""The balance sheet (docs/statements.md, "Balance sheet"): a month's books figure by
figure, balances of the "wrong" sign on the other side, the books' start at an opening
entry, its totals equal for any balanced books (a property), its four formats, tenancy."""

import csv
import datetime as dt
import io
from decimal import Decimal

import openpyxl
import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounting.models import Account, Journal
from accounting.statements import balance_sheet
from accounting.statements.balance_sheet import place
from shops.models import User
from tests.accounting.test_statements import post_month
from tests.factories import ShopFactory, UserFactory, credit, debit
from tests.factories import post_entry as post
from tests.helpers import pdf_text, squeezed

D = Decimal
YEAR = {"date_from": dt.date(2026, 1, 1), "date_to": dt.date(2026, 3, 31)}
MARCH = {"date_from": dt.date(2026, 3, 1), "date_to": dt.date(2026, 3, 31)}


def amounts(lines) -> dict[str, Decimal]:
    return {line.key: line.amount for line in lines}


@pytest.fixture
def books(shop):
    post_month(shop.ledger)
    return shop.ledger


# --- A month of a village shop --------------------------------------------------------


def test_the_balance_sheet_of_the_shops_books_at_the_end_of_march(books):
    # post_month: capital 1000 paid in, sales in December 2025, February and March,
    # the cooperative's invoice paid, a cash deposit, the stock variation.
    sheet = balance_sheet(ledger=books, **YEAR)

    assert amounts(sheet.assets) == {
        "tangible_assets": D("0.00"),
        "stocks": D("-63.00"),  # no opening stock in this example, a fall of 63
        "trade_receivables": D("0.00"),
        "other_receivables": D("33.50"),  # deductible VAT 27.50 + 6.00
        "cash": D("1621.50"),  # cash 475.00 + bank 1146.50
    }
    assert amounts(sheet.equity_and_liabilities) == {
        "capital": D("1000.00"),
        "reserves": D("0.00"),
        "retained_earnings": D("0.00"),
        "result": D("417.00"),  # 2026: sales 1000 + sundry 15 - charges 598
        "pending_result": D("100.00"),  # December 2025's sales, a year not closed
        "borrowings": D("0.00"),
        "trade_payables": D("0.00"),  # the cooperative's invoice is paid
        "tax_and_social": D("75.00"),  # collected VAT
        "other_debts": D("0.00"),
    }
    assert sheet.total_assets == sheet.total_equity_and_liabilities == D("1592.00")


def test_the_result_is_the_periods_and_what_came_before_awaits_allocation(books):
    sheet = balance_sheet(ledger=books, **MARCH)

    lines = amounts(sheet.equity_and_liabilities)
    assert lines["result"] == D("217.00")  # the income statement's March result
    assert lines["pending_result"] == D("300.00")  # December and February
    assert sheet.total_assets == sheet.total_equity_and_liabilities == D("1592.00")


def test_balances_of_the_wrong_sign_move_to_the_other_side_per_third_party(shop):
    ledger = shop.ledger
    day = dt.date(2026, 3, 10)
    # A customer pays before being invoiced; another owes 80: not netted to 30.
    post(
        ledger,
        "BQ",
        day,
        "Acompte",
        "A-1",
        debit("512000", "50.00"),
        credit("411000", "50.00", auxiliary=("C1", "Client Un")),
    )
    post(
        ledger,
        "VTE",
        day,
        "Facture",
        "F-1",
        debit("411000", "80.00", auxiliary=("C2", "Client Deux")),
        credit("707000", "80.00"),
    )
    # The bank pays more than it holds: an overdraft.
    post(ledger, "ACH", day, "Achat", "F-2", debit("607000", "300.00"), credit("512000", "300.00"))
    # A supplier's credit note: the supplier owes the shop.
    post(
        ledger,
        "ACH",
        day,
        "Avoir",
        "AV-1",
        debit("401000", "40.00", auxiliary=("S1", "Fournisseur")),
        credit("758000", "40.00"),
    )

    sheet = balance_sheet(ledger=ledger, **MARCH)

    assets = amounts(sheet.assets)
    liabilities = amounts(sheet.equity_and_liabilities)
    assert assets["trade_receivables"] == D("80.00")
    assert assets["other_receivables"] == D("40.00")
    assert assets["cash"] == D("0.00")
    assert liabilities["other_debts"] == D("50.00")  # the customer in credit
    assert liabilities["borrowings"] == D("250.00")  # the overdraft
    assert liabilities["trade_payables"] == D("0.00")
    assert liabilities["result"] == D("-180.00")  # 120 of income, 300 of purchases
    assert sheet.total_assets == sheet.total_equity_and_liabilities == D("120.00")


@pytest.mark.parametrize(
    "number, balance, expected",
    [
        ("281300", D("-40"), ("assets", "tangible_assets", D("-40"))),  # depreciation
        ("280500", D("-5"), ("assets", "intangible_assets", D("-5"))),
        ("397000", D("-7"), ("assets", "stocks", D("-7"))),
        ("491000", D("-9"), ("assets", "trade_receivables", D("-9"))),
        ("411000", D("-9"), ("equity_and_liabilities", "other_debts", D("9"))),
        ("445660", D("12"), ("assets", "other_receivables", D("12"))),
        ("445710", D("-12"), ("equity_and_liabilities", "tax_and_social", D("12"))),
        ("519000", D("-70"), ("equity_and_liabilities", "borrowings", D("70"))),
        ("119000", D("30"), ("equity_and_liabilities", "retained_earnings", D("-30"))),
        ("129000", D("30"), ("equity_and_liabilities", "pending_result", D("-30"))),
        ("106100", D("-30"), ("equity_and_liabilities", "reserves", D("30"))),
        ("164000", D("-500"), ("equity_and_liabilities", "borrowings", D("500"))),
    ],
)
def test_each_account_finds_its_line(number, balance, expected):
    assert place(number, balance) == expected


def test_the_books_start_at_the_latest_opening_entry(shop):
    """An opening entry (journal AN) restates what came before it: counted once."""
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
        debit("530000", "60.00"),
        credit("707000", "60.00"),
    )
    post(
        ledger,
        "AN",
        dt.date(2026, 1, 1),
        "À-nouveaux",
        "AN-2026",
        debit("512000", "1000.00"),
        debit("530000", "60.00"),
        credit("101300", "1000.00"),
        credit("120000", "60.00"),
    )
    post(
        ledger,
        "VTE",
        dt.date(2026, 2, 1),
        "Ventes",
        "Z-2",
        debit("530000", "10.00"),
        credit("707000", "10.00"),
    )

    sheet = balance_sheet(ledger=ledger, **YEAR)

    assert amounts(sheet.assets)["cash"] == D("1070.00")
    liabilities = amounts(sheet.equity_and_liabilities)
    assert liabilities["capital"] == D("1000.00")
    assert liabilities["pending_result"] == D("60.00")  # 2025's result, on 120000
    assert liabilities["result"] == D("10.00")
    assert sheet.total_assets == sheet.total_equity_and_liabilities == D("1070.00")
    # Before the opening entry the books are 2025's own.
    before = balance_sheet(
        ledger=ledger, date_from=dt.date(2025, 1, 1), date_to=dt.date(2025, 12, 31)
    )
    assert amounts(before.equity_and_liabilities)["result"] == D("60.00")
    assert before.total_assets == D("1060.00")


# --- Any balanced books balance -------------------------------------------------------

# Accounts of classes 1 to 7, each side of the layout, with and without third parties.
POOL = [
    ("101300", None),
    ("106100", None),
    ("110000", None),
    ("119000", None),
    ("120000", None),
    ("129000", None),
    ("164000", None),
    ("205000", None),
    ("218300", None),
    ("281830", None),
    ("370000", None),
    ("397000", None),
    ("401000", ("S1", "Fournisseur 1")),
    ("401000", ("S2", "Fournisseur 2")),
    ("411000", ("C1", "Client 1")),
    ("411000", ("C2", "Client 2")),
    ("411000", None),
    ("421000", None),
    ("445660", None),
    ("445620", None),
    ("445710", None),
    ("467000", None),
    ("491000", None),
    ("512000", None),
    ("519000", None),
    ("530000", None),
    ("580000", None),
    ("607000", None),
    ("603700", None),
    ("658000", None),
    ("707000", None),
    ("758000", None),
]
JOURNALS = ["ACH", "VTE", "BQ", "CAI", "OD"]

cents = st.integers(min_value=1, max_value=10**8)
entry_st = st.tuples(
    st.dates(min_value=dt.date(2025, 1, 1), max_value=dt.date(2026, 12, 31)),
    st.sampled_from(JOURNALS),
    st.lists(
        st.tuples(st.integers(0, len(POOL) - 1), cents, st.booleans()), min_size=1, max_size=5
    ),
    st.integers(0, len(POOL) - 1),
)


@pytest.fixture
def pool_ledger(shop):
    ledger = shop.ledger
    for number, _ in POOL:
        Account.objects.get_or_create(
            ledger=ledger, number=number, defaults={"label": f"Compte {number}", "kind": "asset"}
        )
    return ledger


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    entries=st.lists(entry_st, min_size=1, max_size=12),
    period=st.tuples(
        st.dates(min_value=dt.date(2025, 1, 1), max_value=dt.date(2026, 12, 31)),
        st.dates(min_value=dt.date(2025, 1, 1), max_value=dt.date(2026, 12, 31)),
    ),
)
def test_the_totals_are_equal_for_any_balanced_books(pool_ledger, entries, period):
    date_from, date_to = sorted(period)
    with transaction.atomic():
        for n, (day, journal, lines, closing) in enumerate(entries):
            posted, balance = [], 0
            for index, amount, is_debit in lines:
                number, aux = POOL[index]
                side = debit if is_debit else credit
                posted.append(side(number, D(amount) / 100, auxiliary=aux))
                balance += amount if is_debit else -amount
            if balance == 0:  # already balanced: a second line of the same amounts
                number, aux = POOL[closing]
                posted.append(debit(number, D(lines[0][1]) / 100, auxiliary=aux))
                posted.append(credit(number, D(lines[0][1]) / 100, auxiliary=aux))
            else:
                number, aux = POOL[closing]
                side = credit if balance > 0 else debit
                posted.append(side(number, D(abs(balance)) / 100, auxiliary=aux))
            post(pool_ledger, journal, day, f"Écriture {n}", f"P-{n}", *posted)

        sheet = balance_sheet(ledger=pool_ledger, date_from=date_from, date_to=date_to)

        assert sheet.total_assets == sheet.total_equity_and_liabilities
        lines = {**amounts(sheet.assets), **amounts(sheet.equity_and_liabilities)}
        # Headings fed by the sign of a balance only are never negative.
        for key in ("cash", "trade_payables", "tax_and_social"):
            assert lines[key] >= 0
        transaction.set_rollback(True)


# --- The API and its files ------------------------------------------------------------

QUERY = {"from": "2026-01-01", "to": "2026-03-31"}


@pytest.fixture
def get(api, coordinator, shop, books):
    client = api.as_user(coordinator)

    def get(file_format="json"):
        return client.get(
            "/api/statements/balance-sheet/", {"shop": shop.id, "format": file_format, **QUERY}
        )

    return get


def test_the_json_follows_the_contract(get, shop):
    body = get().json()

    assert body["shop"] == shop.id and (body["from"], body["to"]) == ("2026-01-01", "2026-03-31")
    assert body["total_assets"] == body["total_equity_and_liabilities"] == "1592.00"
    assert {"key": "cash", "label": "Disponibilités", "amount": "1621.50"} in body["assets"]
    assert {line["key"] for line in body["equity_and_liabilities"]} >= {"capital", "result"}
    for line in (*body["assets"], *body["equity_and_liabilities"]):
        assert set(line) == {"key", "label", "amount"}


def test_the_csv_xlsx_and_pdf_show_the_jsons_figures(get, shop, tmp_path):
    body = get().json()
    name = f'attachment; filename="bilan-{shop.id}-2026-01-01-2026-03-31.'

    response = get("csv")
    assert response["Content-Disposition"] == name + 'csv"'
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == ["Rubrique", "Montant"]
    assert rows[1] == ["Actif", ""]
    assert ["Disponibilités", "1621,50"] in rows
    assert ["Total de l'actif", "1592,00"] in rows
    assert rows[-1] == ["Total du passif", "1592,00"]
    labels = [row[0] for row in rows]
    for line in (*body["assets"], *body["equity_and_liabilities"]):
        assert line["label"] in labels

    response = get("xlsx")
    assert response["Content-Disposition"] == name + 'xlsx"'
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    assert sheet["A1"].value == "Bilan — Épicerie de Romazy"
    values = {row[0]: row[1] for row in sheet.iter_rows(min_row=5, values_only=True)}
    assert Decimal(str(values["Disponibilités"])) == D("1621.50")
    assert Decimal(str(values["Total du passif"])) == D("1592.00")

    response = get("pdf")
    assert response["Content-Disposition"] == name + 'pdf"'
    text = squeezed(pdf_text(response.content, tmp_path))
    assert "Bilan" in text and "Du 01/01/2026 au 31/03/2026" in text
    assert "Total de l'actif 1 592,00" in text and "Total du passif 1 592,00" in text
    assert "Disponibilités 1 621,50" in text


def test_a_shopkeeper_of_another_shop_gets_404(api, books, shop):
    stranger = UserFactory(role=User.Role.SHOPKEEPER, shops=[ShopFactory()])

    response = api.as_user(stranger).get(
        "/api/statements/balance-sheet/", {"shop": shop.id, **QUERY}
    )
    pdf = api.as_user(stranger).get(
        "/api/statements/balance-sheet/", {"shop": shop.id, "format": "pdf", **QUERY}
    )

    assert response.status_code == pdf.status_code == 404


def test_one_query_whatever_the_number_of_lines(books, django_assert_num_queries):
    for n in range(20):
        post(
            books,
            "VTE",
            dt.date(2026, 3, 1 + n),
            "Vente",
            f"Z-{n}",
            debit("411000", "5.00", auxiliary=(f"C{n:02d}", f"Client {n}")),
            credit("707000", "5.00"),
        )

    with django_assert_num_queries(1):
        sheet = balance_sheet(ledger=books, **YEAR)

    assert amounts(sheet.assets)["trade_receivables"] == D("100.00")
