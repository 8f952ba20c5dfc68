"""A shop's year through the services, then its closing (docs/fiscal-years.md): each month
a round ordered, consolidated and received (the invoices posted to both ledgers), sales
and Z tickets, a loss, a count; manual entries and a reversal; each event under the
demo's clock (`wiring.demo.history.clock_at`), so the services judge the dates as they
would have then. Then the twelve months are closed (the stock variations posted), the
trial balance taken, the year closed: the stored AN entry agrees with the trial balance
account by account, the result is classes 7 minus 6, the next year's FEC passes
`fec_check`, and a backdated entry is refused.

The balance sheet balances at the year's end, and again on the next year's first day,
drawn from the stored opening entry."""

import datetime as dt
from collections import defaultdict
from decimal import Decimal

import pytest
from django.core.management import call_command

from accounting.closing import period_close
from accounting.fec import fec_export
from accounting.models import Entry
from accounting.services import (
    FiscalYearClosed,
    ManualLineIn,
    entry_reverse,
    manual_entry_post,
)
from accounting.statements.balance_sheet import balance_sheet
from accounting.statements.trial_balance import account_movements
from accounting.years import fiscal_year_close
from inventory.services import movement_create, stock_count_record
from mache.money import ZERO
from mache.periods import PARIS
from purchasing.services.consolidation import round_consolidate
from purchasing.services.receipt import supplier_order_receive
from shops.models import User
from tests.factories import (
    CooperativeFactory,
    ProductFactory,
    ShopFactory,
    SupplierFactory,
    UserFactory,
)
from tests.factories.accounting import record_sales_day
from tests.factories.purchasing import RoundFactory, make_order
from wiring.demo.history import clock_at

D = Decimal
YEAR = 2025


def at(day: dt.date, hour: int) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=PARIS)


def a_month(shop, products, month: int, accountant) -> None:
    first = dt.date(YEAR, month, 1)
    with clock_at(at(first.replace(day=2), 9)):
        round_ = RoundFactory(
            supplier=products[0].supplier,
            opens_at=at(first.replace(day=1), 9),
            closes_at=at(first.replace(day=4), 18),
            delivery_date=first.replace(day=7),
        )
        make_order(round_, shop, (products[0], 12, 0), (products[1], 6 + month, 0))
    with clock_at(at(first.replace(day=4), 19)):
        supplier_order = round_consolidate(round_id=round_.pk)
    with clock_at(at(first.replace(day=7), 10)):
        supplier_order_receive(supplier_order_id=supplier_order.pk, received={})
    for day, quantity in ((12, 4), (19, 5)):
        sold = first.replace(day=day)
        with clock_at(at(sold, 19)):
            movement_create(
                shop=shop,
                product=products[0],
                kind="sale",
                quantity=quantity,
                occurred_on=sold,
            )
            record_sales_day(shop, date=sold, amount=f"{quantity * 3}.{month:02d}")
    if month % 3 == 0:
        with clock_at(at(first.replace(day=15), 11)):
            movement_create(
                shop=shop,
                product=products[1],
                kind="loss",
                quantity=1,
                reason="damaged",
                occurred_on=first.replace(day=15),
            )
    counted = first.replace(day=26)
    with clock_at(at(counted, 20)):
        stock_count_record(
            shop=shop,
            counted_on=counted,
            lines=[{"product": products[1], "quantity": max(0, month - 1)}],
            user=accountant,
        )
    if month in (4, 10):
        with clock_at(at(first.replace(day=28), 10)):
            manual_entry_post(
                ledger=shop.ledger,
                journal="BQ",
                date=first.replace(day=28),
                label="Frais bancaires",
                piece_ref=f"RB-{month:02d}",
                lines=[
                    ManualLineIn("658000", debit=D("18.40")),
                    ManualLineIn("512000", credit=D("18.40")),
                ],
                user=accountant,
            )


@pytest.fixture
def year_of_books(db):
    CooperativeFactory()
    shop = ShopFactory(joined_on=dt.date(2024, 11, 1))
    accountant = UserFactory(role=User.Role.ACCOUNTANT, shops=[shop])
    supplier = SupplierFactory(min_order_amount=D("0"), shipping_fee=D("0"))
    products = [
        ProductFactory(supplier=supplier, case_size=1, unit_price=D("2.10")),
        ProductFactory(supplier=supplier, case_size=1, unit_price=D("4.35"), vat_rate=D("20.00")),
    ]
    for month in range(1, 13):
        a_month(shop, products, month, accountant)
    # A fee booked twice in October, reversed in November.
    twice = Entry.objects.get(ledger=shop.ledger, piece_ref="RB-10")
    with clock_at(at(dt.date(YEAR, 11, 3), 10)):
        entry_reverse(entry=twice, date=dt.date(YEAR, 11, 3), user=accountant)
    return shop


def test_a_year_closes_into_an_opening_entry_that_agrees_with_its_balance(
    year_of_books, coordinator, tmp_path
):
    shop = year_of_books
    ledger = shop.ledger
    assert Entry.objects.filter(ledger=ledger, journal__code="ACH").count() == 12
    assert Entry.objects.filter(ledger=ledger, reversal_of__isnull=False).count() == 1
    for month in range(1, 13):
        period_close(ledger=ledger, month=dt.date(YEAR, month, 1), user=coordinator)
    assert Entry.objects.filter(ledger=ledger, source__startswith="stock:").exists()
    balance = account_movements(
        ledger=ledger, date_from=dt.date(YEAR, 1, 1), date_to=dt.date(YEAR, 12, 31)
    )
    result = -sum((a.balance for a in balance if a.account[0] in "67"), ZERO)
    assert result != ZERO
    sheet = balance_sheet(
        ledger=ledger, date_from=dt.date(YEAR, 1, 1), date_to=dt.date(YEAR, 12, 31)
    )
    assert sheet.total_assets == sheet.total_equity_and_liabilities > ZERO

    year = fiscal_year_close(ledger=ledger, end=dt.date(YEAR, 12, 31), user=coordinator)

    assert year.result == result
    carried = defaultdict(lambda: ZERO)
    for line in year.opening_entry.lines.select_related("account"):
        carried[line.account.number] += line.debit - line.credit
    expected = {a.account: a.balance for a in balance if a.account[0] in "12345" and a.balance}
    expected["120000" if result > 0 else "129000"] = -result
    assert dict(carried) == expected
    # The next year opens on the same balance sheet, read from the stored AN entry.
    opening = dt.date(YEAR + 1, 1, 1)
    reopened = balance_sheet(ledger=ledger, date_from=opening, date_to=opening)
    assert reopened.total_assets == reopened.total_equity_and_liabilities
    assert reopened.total_assets == sheet.total_assets
    # Per auxiliary account too: the cooperative's balance as the supplier.
    coop = year.opening_entry.lines.get(account__number="401000")
    assert coop.auxiliary is not None and coop.credit == -expected["401000"]

    filename, content = fec_export(ledger=ledger, year=YEAR + 1)
    path = tmp_path / filename
    path.write_bytes(content)
    call_command("fec_check", str(path))  # raises (exit 1) on any breach
    assert content.decode().split("\r\n")[1].split("\t")[2] == f"AN-{YEAR + 1}-000001"

    with pytest.raises(FiscalYearClosed):
        manual_entry_post(
            ledger=ledger,
            journal="OD",
            date=dt.date(YEAR, 12, 15),
            label="Oubli",
            piece_ref="OUBLI",
            lines=[ManualLineIn("658000", debit=D("250")), ManualLineIn("512000", credit=D("250"))],
            user=coordinator,
        )
    assert fec_export(ledger=ledger, year=YEAR + 1)[1] == content
