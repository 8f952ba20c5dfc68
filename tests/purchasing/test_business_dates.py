"""Dates of purchasing (issue 10): a round's dates are business dates of the cooperative
up to a year ahead and its deadline is not past (points 8 and 9); a receipt is dated
(`received_on`, point 14): invoices, stock and entries take that day, which lies between
the round's close (and every shop's joining) and today."""

import datetime as dt

import pytest
from django.utils import timezone

from accounting.models import Entry
from inventory.models import StockMovement
from mache.periods import PARIS, paris_today
from purchasing.models import Invoice, Round, SupplierOrder
from purchasing.services.consolidation import round_consolidate
from shops.dates import YEAR_AHEAD_DAYS
from tests.factories import CooperativeFactory, SupplierFactory

from .test_consolidation import place_example

FOUNDED = dt.date(2018, 6, 12)


def paris(day: dt.date, hour=12) -> str:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=PARIS).isoformat()


def read_today(change: dict) -> dict:
    """A change of the parameters with its days read as the test runs, not at collection
    (a run may cross midnight in Paris): a callable value is given today's date."""
    today = paris_today()
    return {key: value(today) if callable(value) else value for key, value in change.items()}


def round_payload(supplier, **changes):
    now = timezone.now()
    return {
        "supplier": supplier.pk,
        "opens_at": now.isoformat(),
        "closes_at": (now + dt.timedelta(days=2)).isoformat(),
        "delivery_date": (paris_today() + dt.timedelta(days=4)).isoformat(),
        **changes,
    }


@pytest.fixture
def create_round(api, coordinator):
    CooperativeFactory(founded_on=FOUNDED)
    supplier = SupplierFactory()
    api.as_user(coordinator)

    def post(**changes):
        return api.post("/api/rounds/", round_payload(supplier, **changes), format="json")

    return post


# --- Rounds: points 8 and 9 -------------------------------------------------------------------


def test_a_deadline_already_past_is_400_on_closes_at(create_round, today):
    response = create_round(
        opens_at=(timezone.now() - dt.timedelta(days=2)).isoformat(),
        closes_at=(timezone.now() - dt.timedelta(minutes=1)).isoformat(),
        delivery_date=str(today + dt.timedelta(days=1)),
    )
    assert response.status_code == 400, response.json()
    assert response.json() == {
        "closes_at": ["La date limite est déjà passée : choisissez une date à venir."]
    }
    assert not Round.objects.exists()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"opens_at": "0001-01-01T12:00:00+00:00"}, "opens_at"),
        ({"opens_at": paris(FOUNDED - dt.timedelta(days=1))}, "opens_at"),
        ({"closes_at": "9999-12-31T12:00:00+01:00"}, "closes_at"),
        ({"delivery_date": "9999-12-31"}, "delivery_date"),
        (
            {"delivery_date": lambda today: str(today + dt.timedelta(days=YEAR_AHEAD_DAYS + 1))},
            "delivery_date",
        ),
    ],
)
def test_round_dates_out_of_bounds_are_400_on_their_field(create_round, change, field):
    response = create_round(**read_today(change))
    assert response.status_code == 400, response.json()
    assert list(response.json()) == [field]
    assert response.json()[field][0].startswith(
        "La date doit être comprise entre le 12/06/2018 (création de la coopérative) et le "
    )
    assert not Round.objects.exists()


def test_round_dates_on_their_bounds_are_accepted(create_round, today):
    last = today + dt.timedelta(days=YEAR_AHEAD_DAYS)
    response = create_round(
        opens_at=paris(FOUNDED, hour=9), closes_at=paris(last, hour=10), delivery_date=str(last)
    )
    assert response.status_code == 201, response.json()


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        (
            {
                "opens_at": lambda today: paris(today + dt.timedelta(days=5)),
                "closes_at": lambda today: paris(today + dt.timedelta(days=4)),
            },
            "closes_at",
            "La date limite doit suivre l'ouverture.",
        ),
        (
            {
                "closes_at": lambda today: paris(today + dt.timedelta(days=5)),
                "delivery_date": lambda today: str(today + dt.timedelta(days=4)),
            },
            "delivery_date",
            "La livraison ne peut précéder la date limite.",
        ),
    ],
)
def test_the_deadline_follows_the_opening_and_precedes_the_delivery(
    create_round, change, field, message
):
    response = create_round(**read_today(change))
    assert response.status_code == 400
    assert response.json() == {field: [message]}


# --- Receipt: point 14 ------------------------------------------------------------------------


@pytest.fixture
def closed_days_ago(example):
    """The worked example's round, closed and consolidated three days ago."""
    place_example(example)
    three_days_ago = timezone.now() - dt.timedelta(days=3)
    Round.objects.filter(pk=example["round"].pk).update(
        opens_at=three_days_ago - dt.timedelta(days=1), closes_at=three_days_ago
    )
    supplier_order = round_consolidate(round_id=example["round"].pk)
    SupplierOrder.objects.filter(pk=supplier_order.pk).update(created_at=three_days_ago)
    example["supplier_order"] = supplier_order
    return example


def receive(api, coordinator, ex, **body):
    return api.as_user(coordinator).post(
        f"/api/supplier-orders/{ex['supplier_order'].pk}/receipt/",
        {"lines": [], **body},
        format="json",
    )


def test_a_receipt_dated_yesterday_dates_invoices_stock_and_entries_yesterday(
    api, coordinator, closed_days_ago, today
):
    yesterday = today - dt.timedelta(days=1)

    response = receive(api, coordinator, closed_days_ago, received_on=str(yesterday))

    assert response.status_code == 201, response.json()
    invoices = response.json()["invoices"]
    assert {invoice["issued_on"] for invoice in invoices} == {str(yesterday)}
    assert {invoice["number"][:10] for invoice in invoices} == {f"MACHE-{yesterday.year}"}
    assert set(Invoice.objects.values_list("year", flat=True)) == {yesterday.year}
    entries = Entry.objects.all()
    assert entries.count() == 1 + 2 * len(invoices)  # the supplier's, two per invoice
    assert set(entries.values_list("date", flat=True)) == {yesterday}
    assert {
        moment.astimezone(PARIS).date()
        for moment in StockMovement.objects.values_list("occurred_at", flat=True)
    } == {yesterday}


def test_a_receipt_without_a_date_is_dated_today(api, coordinator, closed_days_ago, today):
    response = receive(api, coordinator, closed_days_ago)
    assert response.status_code == 201, response.json()
    assert {invoice["issued_on"] for invoice in response.json()["invoices"]} == {str(today)}
    assert set(Entry.objects.values_list("date", flat=True)) == {today}


@pytest.mark.parametrize("days", [1, 400])
def test_a_receipt_in_the_future_is_400_on_received_on(
    api, coordinator, closed_days_ago, days, today
):
    response = receive(
        api, coordinator, closed_days_ago, received_on=str(today + dt.timedelta(days=days))
    )
    assert response.status_code == 400, response.json()
    assert list(response.json()) == ["received_on"]
    assert not Invoice.objects.exists() and not Entry.objects.exists()
    assert SupplierOrder.objects.get().status == "confirmed"


def test_a_receipt_before_the_round_closed_is_400_on_received_on(
    api, coordinator, closed_days_ago, today
):
    closed = today - dt.timedelta(days=3)
    before = receive(
        api, coordinator, closed_days_ago, received_on=str(closed - dt.timedelta(days=1))
    )
    assert before.status_code == 400, before.json()
    assert before.json() == {
        "received_on": [
            f"La date doit être comprise entre le {closed:%d/%m/%Y} (clôture de la tournée) et "
            "aujourd'hui."
        ]
    }
    assert not Invoice.objects.exists() and not StockMovement.objects.exists()
    # the day the round closed is the first day a delivery may come
    assert receive(api, coordinator, closed_days_ago, received_on=str(closed)).status_code == 201


def test_a_receipt_before_a_served_shop_joined_is_400_naming_it(
    api, coordinator, closed_days_ago, today
):
    shop = closed_days_ago["shops"][102]
    shop.joined_on = today - dt.timedelta(days=1)
    shop.save(update_fields=["joined_on"])
    response = receive(
        api, coordinator, closed_days_ago, received_on=str(today - dt.timedelta(days=2))
    )
    assert response.status_code == 400
    assert response.json()["received_on"] == [
        f"La date doit être comprise entre le {shop.joined_on:%d/%m/%Y} (adhésion de "
        f"{shop.name}) et aujourd'hui."
    ]


def test_the_receipt_page_takes_the_date(client, coordinator, closed_days_ago, today):
    yesterday = today - dt.timedelta(days=1)
    client.force_login(coordinator)
    url = f"/coordination/tournees/{closed_days_ago['round'].pk}/reception/"
    page = client.get(url)
    assert page.status_code == 200, url
    assert 'name="received_on"' in page.content.decode()
    units = {
        f"r{line.product_id}": line.units for line in closed_days_ago["supplier_order"].lines.all()
    }
    future = client.post(
        url, {**units, "received_on": (today + dt.timedelta(days=1)).strftime("%d/%m/%Y")}
    )
    assert future.status_code == 400
    assert "La date doit être comprise entre" in future.content.decode()
    done = client.post(url, {**units, "received_on": yesterday.strftime("%d/%m/%Y")})
    assert done.status_code == 302
    assert set(Invoice.objects.values_list("issued_on", flat=True)) == {yesterday}
