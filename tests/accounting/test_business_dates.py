"""Business dates of the books (issue 10, point 8): a manual entry, a reversal and a Z
ticket lie between the day the shop joined (the cooperative's founding for its own
books) and today in Paris, both days included; otherwise 400 on the date, in French."""

import datetime as dt
from decimal import Decimal

import pytest

from accounting.models import Entry, SalesDay
from mache.periods import paris_today
from shops.dates import EARLIEST_DATE, Bounds, date_bounds_error
from tests.factories import CooperativeFactory, ShopFactory, UserFactory

JOINED = dt.date(2019, 3, 1)
FOUNDED = dt.date(2018, 6, 12)
OUT_OF_BOUNDS = (
    "La date doit être comprise entre le 01/03/2019 (adhésion du commerce) et aujourd'hui."
)


@pytest.fixture
def member(db):
    CooperativeFactory(founded_on=FOUNDED)
    return ShopFactory(joined_on=JOINED)


@pytest.fixture
def books_keeper(member):
    return UserFactory(role="accountant", shops=[member])


@pytest.fixture
def coordinator_(db):
    return UserFactory(role="coordinator")


def manual(shop_param, day):
    return {
        "shop": shop_param,
        "journal": "OD",
        "date": str(day),
        "label": "Régularisation",
        "piece_ref": "NOTE-12",
        "lines": [
            {"account": "658000", "debit": "12.30"},
            {"account": "512000", "credit": "12.30"},
        ],
    }


def z_ticket(shop, day):
    return {
        "shop": shop.pk,
        "date": str(day),
        "lines": [{"vat_rate": "5.50", "amount_incl_vat": "100.00"}],
        "payments": {"card": "100.00"},
    }


# --- The rule, on its own -------------------------------------------------------------


def test_the_rule_keeps_both_bounds_and_says_them_in_french():
    today = dt.date(2026, 11, 30)
    bounds = Bounds(JOINED, "adhésion du commerce", today)
    assert date_bounds_error(JOINED, bounds, today=today) is None
    assert date_bounds_error(today, bounds, today=today) is None
    assert date_bounds_error(JOINED - dt.timedelta(days=1), bounds, today=today) == OUT_OF_BOUNDS
    assert date_bounds_error(today + dt.timedelta(days=1), bounds, today=today) == OUT_OF_BOUNDS
    ahead = Bounds(JOINED, "adhésion du commerce", dt.date(2027, 12, 1))
    assert date_bounds_error(dt.date(9999, 12, 31), ahead, today=today) == (
        "La date doit être comprise entre le 01/03/2019 (adhésion du commerce) et le 01/12/2027."
    )


# --- Manual entries ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "day", [dt.date(1, 1, 1), JOINED - dt.timedelta(days=1), "tomorrow", dt.date(9999, 12, 31)]
)
def test_a_manual_entry_out_of_the_shops_dates_is_400_on_date(api, books_keeper, member, day):
    if day == "tomorrow":
        day = paris_today() + dt.timedelta(days=1)
    response = api.as_user(books_keeper).post(
        "/api/entries/", manual(member.pk, day), format="json"
    )
    assert response.status_code == 400, response.json()
    assert response.json() == {"date": [OUT_OF_BOUNDS]}
    assert not Entry.objects.exists()


@pytest.mark.parametrize("day", [JOINED, "today"])
def test_a_manual_entry_on_either_bound_is_posted(api, books_keeper, member, day):
    day = paris_today() if day == "today" else day
    response = api.as_user(books_keeper).post(
        "/api/entries/", manual(member.pk, day), format="json"
    )
    assert response.status_code == 201, response.json()
    assert response.json()["date"] == str(day)


def test_the_cooperatives_books_start_when_it_was_founded(api, coordinator_, member):
    api.as_user(coordinator_)
    before = api.post(
        "/api/entries/", manual("coop", FOUNDED - dt.timedelta(days=1)), format="json"
    )
    assert before.status_code == 400
    assert before.json()["date"] == [
        "La date doit être comprise entre le 12/06/2018 (création de la coopérative) et "
        "aujourd'hui."
    ]
    assert api.post("/api/entries/", manual("coop", FOUNDED), format="json").status_code == 201


def test_a_cooperative_without_a_founding_date_starts_at_the_earliest_date(api, db):
    CooperativeFactory(founded_on=None)
    coordinator = UserFactory(role="coordinator")
    api.as_user(coordinator)
    assert (
        api.post(
            "/api/entries/", manual("coop", EARLIEST_DATE - dt.timedelta(days=1)), format="json"
        ).status_code
        == 400
    )
    assert (
        api.post("/api/entries/", manual("coop", EARLIEST_DATE), format="json").status_code == 201
    )


# --- Reversals ----------------------------------------------------------------------------


@pytest.fixture
def posted(api, books_keeper, member):
    day = paris_today() - dt.timedelta(days=3)
    response = api.as_user(books_keeper).post(
        "/api/entries/", manual(member.pk, day), format="json"
    )
    assert response.status_code == 201
    return response.json()


@pytest.mark.parametrize(
    "day",
    [
        dt.date(1, 1, 1),  # such a reversal vanished from every FEC
        JOINED,  # after the shop joined, but before the entry it reverses
        "tomorrow",
        dt.date(9999, 12, 31),
    ],
)
def test_a_reversal_out_of_its_dates_is_400_on_date(api, books_keeper, posted, day):
    if day == "tomorrow":
        day = paris_today() + dt.timedelta(days=1)
    response = api.post(f"/api/entries/{posted['id']}/reverse/", {"date": str(day)}, format="json")
    assert response.status_code == 400, response.json()
    assert response.json() == {
        "date": [
            f"La date doit être comprise entre le {dt.date.fromisoformat(posted['date']):%d/%m/%Y} "
            "(date de l'écriture extournée) et aujourd'hui."
        ]
    }
    assert Entry.objects.count() == 1


@pytest.mark.parametrize("day", ["entry", "today"])
def test_a_reversal_on_either_bound_is_posted(api, books_keeper, posted, day):
    day = posted["date"] if day == "entry" else str(paris_today())
    response = api.post(f"/api/entries/{posted['id']}/reverse/", {"date": day}, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["date"] == day


# --- Z tickets ----------------------------------------------------------------------------


@pytest.fixture
def till_keeper(member):
    return UserFactory(role="shopkeeper", shops=[member])


@pytest.mark.parametrize("day", [dt.date(1, 1, 1), JOINED - dt.timedelta(days=1)])
def test_a_z_ticket_before_the_shop_joined_is_400_on_date(api, till_keeper, member, day):
    response = api.as_user(till_keeper).post("/api/sales/", z_ticket(member, day), format="json")
    assert response.status_code == 400, response.json()
    assert response.json() == {"date": [OUT_OF_BOUNDS]}
    assert not SalesDay.objects.exists() and not Entry.objects.exists()


def test_a_z_ticket_in_the_future_is_400_on_date(api, till_keeper, member):
    for day in (paris_today() + dt.timedelta(days=1), dt.date(9999, 12, 31)):
        response = api.as_user(till_keeper).post(
            "/api/sales/", z_ticket(member, day), format="json"
        )
        assert response.status_code == 400
        assert list(response.json()) == ["date"]
    assert not SalesDay.objects.exists()


@pytest.mark.parametrize("day", [JOINED, "today"])
def test_a_z_ticket_on_either_bound_is_recorded(api, till_keeper, member, day):
    day = paris_today() if day == "today" else day
    response = api.as_user(till_keeper).post("/api/sales/", z_ticket(member, day), format="json")
    assert response.status_code == 201, response.json()
    assert SalesDay.objects.get().total_incl_vat == Decimal("100.00")


def test_an_imported_day_before_the_shop_joined_is_refused_with_its_line(api, till_keeper, member):
    from django.core.files.uploadedfile import SimpleUploadedFile

    text = (
        "date;ttc_0;ttc_2_1;ttc_5_5;ttc_10;ttc_20;cash;card;other\n"
        f"{JOINED:%Y-%m-%d};0;0;10,00;0;0;10,00;0;0\n"
        f"{JOINED - dt.timedelta(days=1):%d/%m/%Y};0;0;10,00;0;0;10,00;0;0\n"
        "0001-01-01;0;0;10,00;0;0;10,00;0;0\n"
    )
    upload = SimpleUploadedFile("z.csv", text.encode(), content_type="text/csv")
    response = api.as_user(till_keeper).post(
        "/api/sales/import/", {"shop": member.pk, "file": upload}
    )
    assert response.status_code == 400, response.json()
    assert response.json() == {
        "file": [
            "Ligne 3 : la date doit être comprise entre le 01/03/2019 (adhésion du commerce) et "
            "aujourd'hui.",
            "Ligne 4 : la date doit être comprise entre le 01/03/2019 (adhésion du commerce) et "
            "aujourd'hui.",
        ]
    }
    assert not SalesDay.objects.exists()
