"""Business dates of stock (issue 10, point 8): a movement, a count and a till export's
days lie between the day the shop joined and today in Paris, both included; otherwise
400 on the field, in French, and nothing is written."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from inventory.models import StockCount, StockMovement
from mache.periods import PARIS, paris_today

from .conftest import receive

OUT_OF_BOUNDS = (
    "La date doit être comprise entre le 01/03/2019 (adhésion du commerce) et aujourd'hui."
)
JOINED = dt.date(2019, 3, 1)
TOO_EARLY = [dt.date(1, 1, 1), JOINED - dt.timedelta(days=1)]


def day_of(day):
    """A day of the parameters: "today" and "tomorrow" are read as the test runs (not at
    collection: a run may cross midnight in Paris)."""
    today = paris_today()
    return {"today": today, "tomorrow": today + dt.timedelta(days=1)}.get(day, day)


@pytest.fixture
def member(shop, product):
    shop.joined_on = JOINED
    shop.save(update_fields=["joined_on"])
    # stock since the day the shop joined, so that any day after it has some to sell
    receive(shop, product, 50, "2.40", at=dt.datetime(2019, 3, 1, 8, tzinfo=PARIS))
    return shop


def movement(api, user, shop, product, day):
    return api.as_user(user).post(
        "/api/stock/movements/",
        {
            "shop": shop.pk,
            "product": product.pk,
            "kind": "loss",
            "reason": "damaged",
            "quantity": 1,
            "occurred_on": str(day),
        },
        format="json",
    )


def count(api, user, shop, product, day):
    return api.as_user(user).post(
        "/api/stock/counts/",
        {
            "shop": shop.pk,
            "counted_on": str(day),
            "lines": [{"product": product.pk, "quantity": 40}],
        },
        format="json",
    )


@pytest.mark.parametrize("day", TOO_EARLY)
def test_a_movement_before_the_shop_joined_is_400_on_occurred_on(
    api, shopkeeper, member, product, day
):
    response = movement(api, shopkeeper, member, product, day)
    assert response.status_code == 400, response.json()
    assert response.json() == {"occurred_on": [OUT_OF_BOUNDS]}
    assert StockMovement.objects.count() == 1  # the receipt only


def test_a_movement_in_the_future_is_400_on_occurred_on(api, shopkeeper, member, product, today):
    for day in (today + dt.timedelta(days=1), dt.date(9999, 12, 31)):
        response = movement(api, shopkeeper, member, product, day)
        assert response.status_code == 400
        assert response.json() == {"occurred_on": [OUT_OF_BOUNDS]}
    assert StockMovement.objects.count() == 1


@pytest.mark.parametrize("day", [JOINED, "today"])
def test_a_movement_on_either_bound_is_recorded(api, shopkeeper, member, product, day):
    response = movement(api, shopkeeper, member, product, day_of(day))
    assert response.status_code == 201, response.json()


def test_a_shop_not_yet_joined_records_no_movement(api, shopkeeper, member, product, today):
    member.joined_on = today + dt.timedelta(days=10)
    member.save(update_fields=["joined_on"])
    response = movement(api, shopkeeper, member, product, today)
    assert response.status_code == 400
    assert list(response.json()) == ["occurred_on"]


@pytest.mark.parametrize("day", [*TOO_EARLY, "tomorrow", dt.date(9999, 12, 31)])
def test_a_count_out_of_the_shops_dates_is_400_on_counted_on(api, shopkeeper, member, product, day):
    response = count(api, shopkeeper, member, product, day_of(day))
    assert response.status_code == 400, response.json()
    assert response.json() == {"counted_on": [OUT_OF_BOUNDS]}
    assert not StockCount.objects.exists()


@pytest.mark.parametrize("day", [JOINED, "today"])
def test_a_count_on_either_bound_is_recorded(api, shopkeeper, member, product, day):
    response = count(api, shopkeeper, member, product, day_of(day))
    assert response.status_code == 201, response.json()


def test_the_count_page_says_the_bounds_beside_the_date(client, shopkeeper, member, product):
    client.force_login(shopkeeper)
    response = client.post("/stock/inventaire/", {"counted_on": "28/02/2019"})
    assert OUT_OF_BOUNDS.replace("'", "&#x27;") in response.content.decode()
    assert not StockCount.objects.exists()


def test_a_till_export_day_before_the_shop_joined_is_refused_with_its_line(
    api, shopkeeper, member, product
):
    text = (
        f"date;sku;quantity\n{JOINED};{product.sku};1\n"
        f"28/02/2019;{product.sku};1\n0001-01-01;{product.sku};1\n"
    )
    upload = SimpleUploadedFile("caisse.csv", text.encode(), content_type="text/csv")
    response = api.as_user(shopkeeper).post(
        "/api/stock/sales-import/", {"shop": member.pk, "file": upload}
    )
    assert response.status_code == 400, response.json()
    assert response.json() == {
        "file": [
            "Ligne 3 : date « 28/02/2019 » : la date doit être comprise entre le 01/03/2019 "
            "(adhésion du commerce) et aujourd'hui.",
            "Ligne 4 : date « 0001-01-01 » : la date doit être comprise entre le 01/03/2019 "
            "(adhésion du commerce) et aujourd'hui.",
        ]
    }
    assert StockMovement.objects.count() == 1
