"""Letters in the FEC (EcritureLet, DateLet) and in the general ledger (docs/lettering.md):
read from accounting.lettering in the lines' own query."""

import csv
import io
from decimal import Decimal

import pytest

from accounting import accounts
from accounting.fec import fec_export, fec_violations
from accounting.fec.format import FIELDS
from accounting.lettering import letters_of
from accounting.services import cooperative_ledger
from accounting.statements import general_ledger
from payments.services.payments import payment_cancel, payment_record
from purchasing.services.settlement import invoice_customer_line
from tests.factories import CooperativeFactory, ShopFactory, UserFactory
from tests.factories.purchasing import received_round

pytestmark = pytest.mark.django_db

LET, DATE_LET = FIELDS.index("EcritureLet"), FIELDS.index("DateLet")


def rows_of(content: bytes) -> list[list[str]]:
    return [line.split("\t") for line in content.decode("utf-8").split("\r\n")[1:-1]]


@pytest.fixture
def settled(today):
    """Two shops: one invoice paid in full (lettered), one half paid (not lettered), a
    payment cancelled (its letter removed)."""
    CooperativeFactory()
    paid_shop, open_shop = ShopFactory(), ShopFactory()
    invoices = received_round({paid_shop: 12, open_shop: 12})
    paid, half = invoices[paid_shop.pk], invoices[open_shop.pk]
    payment_record(shop=paid_shop, date=today, amount=paid.total_incl_vat, method="transfer")
    payment_record(shop=open_shop, date=today, amount=Decimal("5.00"), method="cheque")
    third = received_round({open_shop: 6})[open_shop.pk]
    cancelled = payment_record(
        shop=open_shop,
        date=today,
        amount=third.total_incl_vat,
        method="cheque",
        invoices=[third.pk],
    )
    payment_cancel(payment=cancelled, date=today)
    return {"paid": paid, "half": half, "third": third}


def test_the_fec_carries_each_lettered_line_letter_and_date(settled, today):
    filename, content = fec_export(ledger=cooperative_ledger(), year=today.year)
    assert fec_violations(content, filename) == []
    rows = rows_of(content)
    lettered = [row for row in rows if row[LET]]
    paid_line = invoice_customer_line(settled["paid"])
    code, lettered_on = letters_of([paid_line.pk])[paid_line.pk]
    # The invoice's 411000 line and its payment's: one letter, one date, balanced.
    assert len(lettered) == 2
    assert {row[LET] for row in lettered} == {code}
    assert {row[DATE_LET] for row in lettered} == {lettered_on.strftime("%Y%m%d")}
    assert {row[4] for row in lettered} == {accounts.CUSTOMERS}
    debit = sum(Decimal(row[11].replace(",", ".")) for row in lettered)
    credit = sum(Decimal(row[12].replace(",", ".")) for row in lettered)
    assert debit == credit == settled["paid"].total_incl_vat
    # Every other line: both fields empty.
    assert all(row[DATE_LET] == "" for row in rows if not row[LET])


def test_the_fec_still_reads_the_books_in_four_queries(settled, django_assert_num_queries, today):
    ledger = cooperative_ledger()
    # The SIRET, the fiscal years, the year's lines (letters joined), the balances before.
    with django_assert_num_queries(4):
        filename, content = fec_export(ledger=ledger, year=today.year)
    assert fec_violations(content, filename) == []
    assert sum(1 for row in rows_of(content) if row[LET]) == 2


def test_the_general_ledger_shows_the_letters(api, settled, today):
    ledger = cooperative_ledger()
    statement = general_ledger(ledger=ledger, date_from=today, date_to=today)
    [customers] = [a for a in statement.accounts if a.account == accounts.CUSTOMERS]
    paid_line = invoice_customer_line(settled["paid"])
    code, _ = letters_of([paid_line.pk])[paid_line.pk]
    assert sorted(line.letter for line in customers.lines if line.letter) == [code, code]
    half = settled["half"].number
    assert all(line.letter == "" for line in customers.lines if half in line.piece_ref)

    coordinator = UserFactory(role="coordinator")
    client = api.as_user(coordinator)
    query = {"shop": "coop", "from": today.isoformat(), "to": today.isoformat()}
    body = client.get("/api/statements/general-ledger/", query).json()
    [json_customers] = [a for a in body["accounts"] if a["account"] == accounts.CUSTOMERS]
    assert [line["letter"] for line in json_customers["lines"]] == [
        line.letter for line in customers.lines
    ]
    response = client.get("/api/statements/general-ledger/", {**query, "format": "csv"})
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][-1] == "Lettre"
    assert sum(1 for row in rows if row[-1] == code) == 2
