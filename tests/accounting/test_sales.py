"""Z tickets: POST /api/sales/, the posting to the shop's books, and the VAT rule."""

import datetime as dt
import threading
from decimal import Decimal

import pytest
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext
from hypothesis import given
from hypothesis import strategies as st

from accounting.closing import period_close
from accounting.models import Entry, EntryLine, SalesDay, SalesDayLine
from accounting.sales.rules import SalesDayIn, sales_day_errors, sales_entry_lines, vat_included
from accounting.sales.services import SalesExist, sales_day_record
from accounting.services import entry_post, ledger_for_shop
from mache.fields import VAT_RATES
from mache.formats import format_eur
from mache.periods import paris_today
from shops.dates import Bounds
from shops.models import User
from tests.factories import ShopFactory, UserFactory

URL = "/api/sales/"
D = Decimal
DAY = dt.date(2026, 3, 14)


def ticket(shop, **changes):
    """A realistic Saturday: groceries at 5.5 %, drinks and hygiene at 20 %."""
    body = {
        "shop": shop.pk,
        "date": DAY.isoformat(),
        "lines": [
            {"vat_rate": "5.50", "amount_incl_vat": "842.35"},
            {"vat_rate": "20.00", "amount_incl_vat": "310.20"},
        ],
        "payments": {"cash": "212.55", "card": "920.00", "other": "20.00"},
    }
    body.update(changes)
    return body


def written():
    return (
        SalesDay.objects.count(),
        SalesDayLine.objects.count(),
        Entry.objects.count(),
        EntryLine.objects.count(),
    )


def lines_of(entry):
    return [
        (line.account.number, line.debit, line.credit, line.label, line.vat_rate)
        for line in entry.lines.select_related("account").order_by("id")
    ]


# --- The rule, on its own ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "rate", "vat"),
    [
        ("120.00", "20.00", "20.00"),
        ("10.55", "5.50", "0.55"),
        ("110.00", "10.00", "10.00"),
        ("102.10", "2.10", "2.10"),
        ("99.99", "0.00", "0.00"),
        ("0.00", "20.00", "0.00"),
        ("0.03", "20.00", "0.01"),  # 0.005 exactly: half-up, not half-even
        ("0.01", "20.00", "0.00"),
    ],
)
def test_vat_inside_an_amount_incl_vat(amount, rate, vat):
    assert vat_included(D(amount), D(rate)) == D(vat)


def test_the_entry_lines_of_a_ticket_credit_sales_and_vat_per_rate():
    lines = sales_entry_lines(
        lines=[(D("20.00"), D("120.00")), (D("5.50"), D("10.55"))],
        cash=D("30.55"),
        card=D("80.00"),
        other=D("20.00"),
    )
    assert [(line.account, line.debit, line.credit, line.vat_rate) for line in lines] == [
        ("530000", D("30.55"), D("0.00"), None),
        ("512000", D("80.00"), D("0.00"), None),
        ("512000", D("20.00"), D("0.00"), None),
        ("707000", D("0.00"), D("10.00"), D("5.50")),
        ("445710", D("0.00"), D("0.55"), D("5.50")),
        ("707000", D("0.00"), D("100.00"), D("20.00")),
        ("445710", D("0.00"), D("20.00"), D("20.00")),
    ]
    assert [line.label for line in lines[:3]] == ["Espèces", "Carte bancaire", "Autres règlements"]


def test_zero_amounts_give_no_line_and_the_zero_rate_no_vat_line():
    lines = sales_entry_lines(
        lines=[(D("0.00"), D("12.40")), (D("20.00"), D("0.00"))],
        cash=D("0.00"),
        card=D("12.40"),
        other=D("0.00"),
    )
    assert [(line.account, line.debit, line.credit, line.vat_rate) for line in lines] == [
        ("512000", D("12.40"), D("0.00"), None),
        ("707000", D("0.00"), D("12.40"), D("0.00")),
    ]


cents = st.integers(min_value=0, max_value=10**9)


@given(amounts=st.dictionaries(st.sampled_from(VAT_RATES), cents, min_size=1), data=st.data())
def test_a_ticket_whose_payments_equal_its_sales_always_balances(amounts, data):
    lines = [(D(rate), D(value) / 100) for rate, value in amounts.items()]
    total = sum(amounts.values())
    # The payments: the total cut in three at two random points (in whole cents).
    low, high = sorted(data.draw(st.lists(st.integers(0, total), min_size=2, max_size=2)))
    cash, card, other = (D(part) / 100 for part in (low, high - low, total - high))

    entry_lines = sales_entry_lines(lines=lines, cash=cash, card=card, other=other)

    debit = sum(line.debit for line in entry_lines)
    credit = sum(line.credit for line in entry_lines)
    assert debit == credit == D(total) / 100
    for line in entry_lines:
        assert (line.debit > 0) != (line.credit > 0)
        assert max(line.debit, line.credit) == max(line.debit, line.credit).quantize(D("0.01"))
    for rate, amount in lines:  # each rate's two credits give back its sales exactly
        assert sum(line.credit for line in entry_lines if line.vat_rate == rate) == amount


def test_a_ticket_is_judged_before_anything_is_written():
    today = dt.date(2026, 3, 20)
    bounds = Bounds(dt.date(2024, 3, 1), "adhésion du commerce", today)
    ok = SalesDayIn(date=DAY, lines=[(D("20.00"), D("12.00"))], card=D("12.00"))
    assert sales_day_errors(ok, bounds=bounds, today=today) == {}
    assert sales_day_errors(
        SalesDayIn(date=DAY, lines=[(D("20.00"), D("0.00"))]), bounds=bounds, today=today
    ) == {"lines": ["Le total des ventes est nul : il n'y a rien à comptabiliser."]}
    assert set(
        sales_day_errors(
            SalesDayIn(date=today + dt.timedelta(days=1), lines=[], cash=D("-1.00")),
            bounds=bounds,
            today=today,
        )
    ) == {"date", "lines", "payments"}
    assert sales_day_errors(
        SalesDayIn(date=dt.date(2024, 2, 29), lines=ok.lines, card=D("12.00")),
        bounds=bounds,
        today=today,
    ) == {
        "date": [
            "La date doit être comprise entre le 01/03/2024 (adhésion du commerce) et aujourd'hui."
        ]
    }


# --- The API ------------------------------------------------------------------------------


def test_a_z_ticket_is_recorded_and_posted_to_the_shops_books(api, shopkeeper, shop):
    # given a shop's Saturday Z ticket: two rates, paid in cash, by card and by voucher
    # when the shopkeeper records it
    response = api.as_user(shopkeeper).post(URL, ticket(shop), format="json")

    # then the ticket is kept...
    assert response.status_code == 201, response.json()
    sales_day = SalesDay.objects.get()
    entry = Entry.objects.select_related("journal", "ledger").get()
    assert response.json() == {
        "id": sales_day.pk,
        "shop": shop.pk,
        "date": "2026-03-14",
        "lines": [
            {"vat_rate": "5.50", "amount_incl_vat": "842.35"},
            {"vat_rate": "20.00", "amount_incl_vat": "310.20"},
        ],
        "payments": {"cash": "212.55", "card": "920.00", "other": "20.00"},
        "transactions": None,  # not given: docs/e-reporting.md
        "total_incl_vat": "1152.55",
        "entry": {"id": entry.pk, "reference": "VTE-2026-000001"},
    }
    assert sales_day.entry == entry
    assert sales_day.created_by == shopkeeper
    # ...and posted in the shop's books, in the sales journal, dated the sales day
    assert entry.ledger == ledger_for_shop(shop)
    assert (
        entry.journal.code,
        entry.date,
        entry.piece_ref,
        entry.piece_date,
        entry.label,
        entry.source,
        entry.created_by,
    ) == (
        "VTE",
        DAY,
        "Z-20260314",
        DAY,
        "Ventes du 14/03/2026",
        f"z:{shop.pk}:2026-03-14",
        shopkeeper,
    )
    # 842.35 at 5.5 %: VAT 43.91 (43.914...), excl. 798.44; 310.20 at 20 %: VAT 51.70, excl. 258.50
    assert lines_of(entry) == [
        ("530000", D("212.55"), D("0.00"), "Espèces", None),
        ("512000", D("920.00"), D("0.00"), "Carte bancaire", None),
        ("512000", D("20.00"), D("0.00"), "Autres règlements", None),
        ("707000", D("0.00"), D("798.44"), "Ventes TVA 5,5\u00a0%", D("5.50")),
        ("445710", D("0.00"), D("43.91"), "TVA collectée 5,5\u00a0%", D("5.50")),
        ("707000", D("0.00"), D("258.50"), "Ventes TVA 20\u00a0%", D("20.00")),
        ("445710", D("0.00"), D("51.70"), "TVA collectée 20\u00a0%", D("20.00")),
    ]
    assert {line.date for line in entry.lines.all()} == {DAY}


def test_a_coordinator_records_a_ticket_and_a_rate_that_sold_nothing_is_not_kept(
    api, coordinator, shop
):
    body = ticket(
        shop,
        lines=[
            {"vat_rate": "5.5", "amount_incl_vat": "40.00"},
            {"vat_rate": "20.00", "amount_incl_vat": "0.00"},
        ],
        payments={"cash": "40.00"},
    )  # card and other left out: 0

    response = api.as_user(coordinator).post(URL, body, format="json")

    assert response.status_code == 201, response.json()
    assert response.json()["lines"] == [{"vat_rate": "5.50", "amount_incl_vat": "40.00"}]
    assert response.json()["payments"] == {"cash": "40.00", "card": "0.00", "other": "0.00"}
    assert [line[0] for line in lines_of(Entry.objects.get())] == ["530000", "707000", "445710"]


def test_payments_that_do_not_match_the_sales_are_refused_naming_both_totals(api, shopkeeper, shop):
    body = ticket(shop, payments={"cash": "212.55", "card": "900.00", "other": "20.00"})

    response = api.as_user(shopkeeper).post(URL, body, format="json")

    assert response.status_code == 400
    [message] = response.json()["payments"]
    assert format_eur(D("1132.55")) in message  # the payments
    assert format_eur(D("1152.55")) in message  # the sales
    assert written() == (0, 0, 0, 0)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"lines": [{"vat_rate": "20.00", "amount_incl_vat": "-5.00"}]}, "lines"),
        ({"lines": [{"vat_rate": "20.00", "amount_incl_vat": "5.005"}]}, "lines"),
        ({"payments": {"cash": "-1152.55"}}, "payments"),
        (
            {
                "lines": [
                    {"vat_rate": "20.00", "amount_incl_vat": "500.00"},
                    {"vat_rate": "20.0", "amount_incl_vat": "652.55"},
                ]
            },
            "lines",
        ),
        ({"lines": [{"vat_rate": "19.60", "amount_incl_vat": "1152.55"}]}, "lines"),
        ({"lines": []}, "lines"),
        ({"lines": [{"vat_rate": "20.00", "amount_incl_vat": "0.00"}], "payments": {}}, "lines"),
        ({"date": "14/03/2026"}, "date"),
    ],
)
def test_a_malformed_ticket_is_refused_on_its_field(api, shopkeeper, shop, changes, field):
    response = api.as_user(shopkeeper).post(URL, ticket(shop, **changes), format="json")

    assert response.status_code == 400
    assert field in response.json(), response.json()
    assert written() == (0, 0, 0, 0)


def test_a_duplicate_rate_is_named(api, shopkeeper, shop):
    body = ticket(
        shop,
        lines=[
            {"vat_rate": "20.00", "amount_incl_vat": "500.00"},
            {"vat_rate": "20", "amount_incl_vat": "652.55"},
        ],
    )

    response = api.as_user(shopkeeper).post(URL, body, format="json")

    assert response.status_code == 400
    assert response.json() == {
        "lines": ["Le taux 20\u00a0% figure deux fois : une ligne par taux."]
    }


def test_a_ticket_of_tomorrow_is_refused(api, shopkeeper, shop):
    tomorrow = paris_today() + dt.timedelta(days=1)

    response = api.as_user(shopkeeper).post(
        URL, ticket(shop, date=tomorrow.isoformat()), format="json"
    )

    assert response.status_code == 400
    assert list(response.json()) == ["date"]
    assert written() == (0, 0, 0, 0)


def test_todays_ticket_is_accepted(api, shopkeeper, shop):
    response = api.as_user(shopkeeper).post(
        URL, ticket(shop, date=paris_today().isoformat()), format="json"
    )
    assert response.status_code == 201, response.json()


def test_a_shop_of_someone_else_is_refused_on_shop(api, shopkeeper, other_shop):
    response = api.as_user(shopkeeper).post(URL, ticket(other_shop), format="json")

    assert response.status_code == 400
    assert list(response.json()) == ["shop"]
    assert written() == (0, 0, 0, 0)


def test_an_accountant_may_not_record_a_ticket(api, accountant, shop):
    response = api.as_user(accountant).post(URL, ticket(shop), format="json")

    assert response.status_code == 403
    assert written() == (0, 0, 0, 0)


def test_nobody_logged_in_records_nothing(api, shop):
    assert api.post(URL, ticket(shop), format="json").status_code in (401, 403)


def test_a_second_ticket_for_the_same_day_is_a_conflict(api, shopkeeper, shop):
    # given the day's ticket, recorded
    first = api.as_user(shopkeeper).post(URL, ticket(shop), format="json")
    assert first.status_code == 201
    before = written()

    # when a second one comes for the same shop and day, with other amounts
    second = api.as_user(shopkeeper).post(
        URL,
        ticket(
            shop,
            lines=[{"vat_rate": "20.00", "amount_incl_vat": "10.00"}],
            payments={"cash": "10.00"},
        ),
        format="json",
    )

    # then it is refused, naming the entry of the first one, and nothing more is written
    assert second.status_code == 409
    assert second.json() == {
        "code": "sales_exist",
        "detail": "Le ticket Z du 14/03/2026 est déjà enregistré (VTE-2026-000001).",
    }
    assert written() == before


def test_another_shop_may_record_the_same_day(api, coordinator, shop, other_shop):
    assert api.as_user(coordinator).post(URL, ticket(shop), format="json").status_code == 201
    response = api.as_user(coordinator).post(URL, ticket(other_shop), format="json")
    assert response.status_code == 201
    # Numbers are per ledger: each shop's books start at 1.
    assert response.json()["entry"]["reference"] == "VTE-2026-000001"


def test_the_unique_constraint_stands_behind_the_check(shop, shopkeeper):
    # given a ticket row for the day whose entry does not carry the day's source (as a
    # concurrent writer could leave one between our check and our insert)
    entry = entry_post(
        ledger=ledger_for_shop(shop),
        journal="VTE",
        date=DAY,
        label="Ventes",
        piece_ref="Z",
        lines=sales_entry_lines(
            lines=[(D("20.00"), D("12.00"))], cash=D("12.00"), card=D("0"), other=D("0")
        ),
    )
    SalesDay.objects.create(
        shop=shop, date=DAY, cash=D("12.00"), card=D("0"), other=D("0"), entry=entry
    )
    before = written()

    # when the day's ticket is recorded, the insert collides: the same 409, nothing written
    with pytest.raises(SalesExist) as raised:
        sales_day_record(
            shop=shop,
            date=DAY,
            lines=[{"vat_rate": D("20.00"), "amount_incl_vat": D("12.00")}],
            payments={"cash": D("12.00")},
            user=shopkeeper,
        )
    assert raised.value.code == "sales_exist"
    assert written() == before


def test_a_ticket_in_a_closed_month_is_refused_and_nothing_is_written(api, shopkeeper, shop):
    period_close(ledger=ledger_for_shop(shop), month=dt.date(2026, 3, 1))

    response = api.as_user(shopkeeper).post(URL, ticket(shop), format="json")

    assert response.status_code == 409
    assert response.json()["code"] == "period_closed"
    assert written() == (0, 0, 0, 0)


def test_the_query_count_does_not_depend_on_the_ticket(api, shopkeeper, shop):
    client = api.as_user(shopkeeper)
    client.post(URL, ticket(shop, date="2026-03-12"), format="json")  # warm the caches
    one_rate = ticket(
        shop,
        date="2026-03-13",
        payments={"cash": "10.00"},
        lines=[{"vat_rate": "20.00", "amount_incl_vat": "10.00"}],
    )
    every_rate = ticket(
        shop,
        payments={"cash": "50.00"},
        lines=[{"vat_rate": rate, "amount_incl_vat": "10.00"} for rate in VAT_RATES],
    )
    counts = []
    for body in (one_rate, every_rate):
        with CaptureQueriesContext(connection) as queries:
            assert client.post(URL, body, format="json").status_code == 201
        counts.append(len(queries))
    assert counts[0] == counts[1]


# --- Committed for real: the database's own checks run -----------------------------------


@pytest.mark.django_db(transaction=True)
def test_the_posted_entry_passes_the_databases_balance_check_at_commit(api):
    # given a shop and its shopkeeper, committed (no test transaction around this test)
    shop = ShopFactory()
    shopkeeper = UserFactory(role=User.Role.SHOPKEEPER, shops=[shop])

    # when the ticket is recorded: its transaction commits and the deferred trigger
    # checks the entry's balance then
    response = api.as_user(shopkeeper).post(URL, ticket(shop), format="json")

    # then it was accepted at commit, and is there, read back on another transaction
    assert response.status_code == 201, response.json()
    entry = Entry.objects.get(source=f"z:{shop.pk}:2026-03-14")
    assert SalesDay.objects.get(shop=shop).entry_id == entry.pk
    assert entry.lines.count() == 7


@pytest.mark.django_db(transaction=True)
def test_two_tickets_sent_at_once_for_one_day_give_one_posting():
    shop = ShopFactory()
    shopkeeper = UserFactory(role=User.Role.SHOPKEEPER, shops=[shop])
    barrier = threading.Barrier(2)
    outcomes = [None, None]

    def record(index):
        try:
            barrier.wait(5)
            outcomes[index] = sales_day_record(
                shop=shop,
                date=DAY,
                user=shopkeeper,
                lines=[{"vat_rate": D("20.00"), "amount_incl_vat": D(f"{10 + index}.00")}],
                payments={"card": D(f"{10 + index}.00")},
            )
        except Exception as exc:  # inspected below
            outcomes[index] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=record, args=(index,)) for index in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert sorted(type(outcome).__name__ for outcome in outcomes) == ["SalesDay", "SalesExist"]
    assert SalesDay.objects.count() == 1
    assert Entry.objects.count() == 1
