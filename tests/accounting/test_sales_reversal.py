"""A reversed Z ticket frees its day (issue 10, point 10): once the accountant has
reversed a ticket's entry, the day takes a new ticket; the till and the monthly report
show only the tickets that stand."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from accounting.models import Entry, SalesDay
from mache.periods import paris_today
from shops.models import User
from tests.factories import UserFactory
from worker.reports.figures import shop_report_data
from worker.reports.figures.common import shops_figures, window


def ticket_day() -> dt.date:
    """Two days ago: the reversal may be dated the ticket's day, so ticket, reversal and
    new ticket all fall in one month whatever today is. Read when the test runs, never at
    import (a run may cross midnight in Paris)."""
    return paris_today() - dt.timedelta(days=2)


@pytest.fixture
def day():
    return ticket_day()


def z_ticket(shop, amount):
    return {
        "shop": shop.pk,
        "date": str(ticket_day()),
        "lines": [{"vat_rate": "20.00", "amount_incl_vat": amount}],
        "payments": {"card": amount},
    }


@pytest.fixture
def books_keeper(shop):
    return UserFactory(role=User.Role.ACCOUNTANT, shops=[shop])


@pytest.fixture
def reversed_ticket(api, shopkeeper, books_keeper, shop, day):
    """A ticket of 120.00 recorded, then its entry reversed by the accountant."""
    first = api.as_user(shopkeeper).post("/api/sales/", z_ticket(shop, "120.00"), format="json")
    assert first.status_code == 201, first.json()
    reversal = api.as_user(books_keeper).post(
        f"/api/entries/{first.json()['entry']['id']}/reverse/", {"date": str(day)}, format="json"
    )
    assert reversal.status_code == 201, reversal.json()
    return first.json()


def test_a_reversed_ticket_frees_its_day(api, shopkeeper, shop, reversed_ticket, day):
    # given a ticket whose entry the accountant reversed
    reversed_day = SalesDay.objects.get(pk=reversed_ticket["id"])
    assert reversed_day.reversed_by is not None and not reversed_day.stands

    # when the shopkeeper enters the day again, with the right amount
    again = api.as_user(shopkeeper).post("/api/sales/", z_ticket(shop, "60.00"), format="json")

    # then it is recorded and posted under a source of its own (not taken for the first)
    assert again.status_code == 201, again.json()
    new = SalesDay.objects.get(pk=again.json()["id"])
    assert new.stands and new.entry_id != reversed_day.entry_id
    assert new.entry.source == f"z:{shop.pk}:{day.isoformat()}/1"
    assert Entry.objects.filter(ledger=shop.ledger).count() == 3  # first, reversal, new
    # and the day has its ticket again: a third one is refused
    third = api.as_user(shopkeeper).post("/api/sales/", z_ticket(shop, "60.00"), format="json")
    assert third.status_code == 409 and third.json()["code"] == "sales_exist"


def test_a_day_reversed_twice_takes_a_third_ticket(
    api, shopkeeper, books_keeper, shop, reversed_ticket, day
):
    second = (
        api.as_user(shopkeeper).post("/api/sales/", z_ticket(shop, "70.00"), format="json").json()
    )
    assert (
        api.as_user(books_keeper)
        .post(f"/api/entries/{second['entry']['id']}/reverse/", {"date": str(day)}, format="json")
        .status_code
        == 201
    )
    third = api.as_user(shopkeeper).post("/api/sales/", z_ticket(shop, "60.00"), format="json")
    assert third.status_code == 201, third.json()
    assert SalesDay.objects.get(pk=third.json()["id"]).entry.source.endswith("/2")
    assert SalesDay.objects.filter(shop=shop, date=day, reversed_by__isnull=True).count() == 1


def test_the_till_lists_only_the_tickets_that_stand(
    api, client, shopkeeper, shop, reversed_ticket, day
):
    api.as_user(shopkeeper).post("/api/sales/", z_ticket(shop, "60.00"), format="json")
    client.force_login(shopkeeper)
    tickets = list(client.get("/caisse/").context["tickets"])
    assert [(t.date, t.total_incl_vat) for t in tickets] == [(day, Decimal("60.00"))]


def test_the_api_lists_only_the_tickets_that_stand(
    api, shopkeeper, shop, reversed_ticket, django_assert_num_queries, day
):
    api.as_user(shopkeeper).post("/api/sales/", z_ticket(shop, "60.00"), format="json")
    other_day = api.as_user(shopkeeper).post(
        "/api/sales/",
        {**z_ticket(shop, "30.00"), "date": str(day - dt.timedelta(days=1))},
        format="json",
    )
    assert other_day.status_code == 201, other_day.json()

    # token, user, count, page, lines (prefetched): whatever the number of tickets
    with django_assert_num_queries(5):
        body = api.get(f"/api/sales/?shop={shop.pk}").json()

    assert body["count"] == 2
    assert [(t["date"], t["total_incl_vat"]) for t in body["results"]] == [
        (str(day), "60.00"),
        (str(day - dt.timedelta(days=1)), "30.00"),
    ]
    assert api.get(f"/api/sales/?shop={shop.pk}&date={day}").json()["count"] == 1


def test_the_report_counts_one_day_and_the_new_amount(api, shopkeeper, shop, reversed_ticket, day):
    api.as_user(shopkeeper).post("/api/sales/", z_ticket(shop, "60.00"), format="json")
    month = day.replace(day=1)

    data = shop_report_data(shop=shop, month=month)

    assert data.days_open == 1
    assert data.figures.sales_of_goods == Decimal("50.00")  # 60.00 incl. 20 % VAT
    assert data.sales_per_day_open == Decimal("50.00")
    shop.refresh_from_db()
    figures = shops_figures(shops=[shop], win=window(month))[shop.pk]
    assert (figures.days_open, figures.sales_of_goods) == (1, Decimal("50.00"))


def test_only_one_standing_ticket_per_day_in_the_database(api, shopkeeper, shop, reversed_ticket):
    api.as_user(shopkeeper).post("/api/sales/", z_ticket(shop, "60.00"), format="json")
    # the reversed ticket made to stand again beside the new one: PostgreSQL refuses it
    with pytest.raises(IntegrityError), transaction.atomic():
        SalesDay.objects.filter(pk=reversed_ticket["id"]).update(reversed_by=None)
