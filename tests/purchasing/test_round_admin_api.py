"""Rounds run by the coordinator through the API (docs/rounds.md): PATCH of an open
round's deadline and delivery, clone, who has not ordered; per role."""

import datetime as dt

import pytest
from django.utils import timezone

from mache.periods import paris_date
from purchasing.models import Round
from purchasing.services.consolidation import round_consolidate
from shops.models import Shop, User
from tests.factories import (
    RoundFactory,
    ShopFactory,
    SupplierFactory,
    UserFactory,
    close_round,
    make_order,
)


def iso(moment: dt.datetime) -> str:
    return moment.isoformat()


@pytest.fixture
def open_round(db):
    now = timezone.now()
    return RoundFactory(
        opens_at=now - dt.timedelta(days=1),
        closes_at=now + dt.timedelta(days=2),
        delivery_date=paris_date(now) + dt.timedelta(days=4),
    )


# --- POST /api/rounds/ ------------------------------------------------------------------


def test_a_round_whose_deadline_is_past_is_refused_on_closes_at(api, coordinator):
    now = timezone.now()
    response = api.as_user(coordinator).post(
        "/api/rounds/",
        {
            "supplier": SupplierFactory().pk,
            "opens_at": iso(now - dt.timedelta(days=2)),
            "closes_at": iso(now - dt.timedelta(minutes=5)),
            "delivery_date": str(paris_date(now) + dt.timedelta(days=2)),
        },
        format="json",
    )
    assert response.status_code == 400
    assert response.json() == {
        "closes_at": ["La date limite est déjà passée : choisissez une date à venir."]
    }
    assert not Round.objects.exists()


# --- PATCH /api/rounds/{id}/ ------------------------------------------------------------


def test_the_coordinator_extends_an_open_round_and_moves_its_delivery(api, coordinator, open_round):
    new_deadline = open_round.closes_at + dt.timedelta(days=1, hours=3)
    new_delivery = open_round.delivery_date + dt.timedelta(days=2)
    response = api.as_user(coordinator).patch(
        f"/api/rounds/{open_round.pk}/",
        {"closes_at": iso(new_deadline), "delivery_date": str(new_delivery)},
        format="json",
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["id"] == open_round.pk and body["status"] == "open"
    assert body["delivery_date"] == str(new_delivery)
    open_round.refresh_from_db()
    assert open_round.closes_at == new_deadline
    assert open_round.delivery_date == new_delivery
    assert open_round.opens_at == open_round.opens_at  # untouched


def test_a_patch_with_only_the_delivery_keeps_the_deadline(api, coordinator, open_round):
    deadline = open_round.closes_at
    new_delivery = open_round.delivery_date + dt.timedelta(days=1)
    response = api.as_user(coordinator).patch(
        f"/api/rounds/{open_round.pk}/", {"delivery_date": str(new_delivery)}, format="json"
    )
    assert response.status_code == 200, response.json()
    open_round.refresh_from_db()
    assert (open_round.closes_at, open_round.delivery_date) == (deadline, new_delivery)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"closes_at": "PAST"}, "closes_at"),
        ({"closes_at": "demain"}, "closes_at"),
        ({"delivery_date": "2020-01-01"}, "delivery_date"),
        ({"opens_at": "2026-01-01T00:00:00+01:00"}, "opens_at"),
        ({"supplier": 1}, "supplier"),
        ({}, "closes_at"),
    ],
)
def test_a_bad_patch_is_400_on_its_field_and_changes_nothing(
    api, coordinator, open_round, body, field
):
    if body.get("closes_at") == "PAST":
        body = {"closes_at": iso(timezone.now() - dt.timedelta(minutes=1))}
    before = Round.objects.values().get(pk=open_round.pk)
    response = api.as_user(coordinator).patch(f"/api/rounds/{open_round.pk}/", body, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert Round.objects.values().get(pk=open_round.pk) == before


def test_a_deadline_after_the_delivery_is_refused_on_the_delivery(api, coordinator, open_round):
    response = api.as_user(coordinator).patch(
        f"/api/rounds/{open_round.pk}/",
        {"closes_at": iso(timezone.now() + dt.timedelta(days=10))},
        format="json",
    )
    assert response.status_code == 400
    assert response.json() == {"delivery_date": ["La livraison ne peut précéder la date limite."]}


def test_a_consolidated_round_cannot_be_changed(api, coordinator, open_round):
    close_round(open_round)
    round_consolidate(round_id=open_round.pk)
    before = Round.objects.values().get(pk=open_round.pk)
    response = api.as_user(coordinator).patch(
        f"/api/rounds/{open_round.pk}/",
        {"closes_at": iso(timezone.now() + dt.timedelta(days=1))},
        format="json",
    )
    assert response.status_code == 409
    assert response.json()["code"] == "round_closed"
    assert Round.objects.values().get(pk=open_round.pk) == before


@pytest.mark.parametrize("role", [User.Role.SHOPKEEPER, User.Role.ACCOUNTANT])
def test_other_roles_may_not_change_a_round(api, shop, open_round, role):
    user = UserFactory(role=role, shops=[shop])
    response = api.as_user(user).patch(
        f"/api/rounds/{open_round.pk}/",
        {"closes_at": iso(timezone.now() + dt.timedelta(days=3))},
        format="json",
    )
    assert response.status_code == 403
    assert Round.objects.get(pk=open_round.pk).closes_at == open_round.closes_at


def test_put_is_not_offered(api, coordinator, open_round):
    response = api.as_user(coordinator).put(f"/api/rounds/{open_round.pk}/", {}, format="json")
    assert response.status_code == 405


# --- POST /api/rounds/{id}/clone/ -------------------------------------------------------


def test_a_past_round_is_cloned_into_a_new_open_round_of_its_supplier(api, coordinator, open_round):
    close_round(open_round)
    round_consolidate(round_id=open_round.pk)
    now = timezone.now()
    body = {
        "opens_at": iso(now),
        "closes_at": iso(now + dt.timedelta(days=7)),
        "delivery_date": str(paris_date(now) + dt.timedelta(days=9)),
    }
    response = api.as_user(coordinator).post(
        f"/api/rounds/{open_round.pk}/clone/", body, format="json"
    )
    assert response.status_code == 201, response.json()
    clone = Round.objects.get(pk=response.json()["id"])
    assert clone.pk != open_round.pk
    assert clone.supplier_id == open_round.supplier_id
    assert clone.status == Round.Status.OPEN
    assert clone.created_by == coordinator
    assert response.json()["supplier"] == open_round.supplier_id
    assert response.json()["delivery_date"] == body["delivery_date"]
    assert not clone.orders.exists()


def test_a_clone_with_a_past_deadline_is_400_and_opens_nothing(api, coordinator, open_round):
    now = timezone.now()
    response = api.as_user(coordinator).post(
        f"/api/rounds/{open_round.pk}/clone/",
        {
            "opens_at": iso(now - dt.timedelta(days=3)),
            "closes_at": iso(now - dt.timedelta(days=1)),
            "delivery_date": str(paris_date(now)),
        },
        format="json",
    )
    assert response.status_code == 400
    assert "closes_at" in response.json()
    assert Round.objects.count() == 1


def test_a_clone_needs_every_date(api, coordinator, open_round):
    response = api.as_user(coordinator).post(
        f"/api/rounds/{open_round.pk}/clone/", {}, format="json"
    )
    assert response.status_code == 400
    assert set(response.json()) == {"opens_at", "closes_at", "delivery_date"}


def test_shopkeepers_do_not_clone_and_unknown_rounds_are_404(api, shopkeeper, coordinator):
    round_ = RoundFactory()
    now = timezone.now()
    body = {
        "opens_at": iso(now),
        "closes_at": iso(now + dt.timedelta(days=7)),
        "delivery_date": str(paris_date(now) + dt.timedelta(days=9)),
    }
    assert (
        api.as_user(shopkeeper)
        .post(f"/api/rounds/{round_.pk}/clone/", body, format="json")
        .status_code
        == 403
    )
    assert (
        api.as_user(coordinator).post("/api/rounds/999999/clone/", body, format="json").status_code
        == 404
    )
    assert Round.objects.count() == 1


# --- GET /api/rounds/{id}/missing-shops/ ------------------------------------------------


def test_missing_shops_are_the_active_shops_without_an_order(api, coordinator, open_round):
    ordered = ShopFactory(name="A déjà commandé")
    make_order(open_round, ordered)
    waiting = ShopFactory(name="Boulangerie en attente", email="boulangerie@example.org")
    also = ShopFactory(name="Alimentation en attente")
    ShopFactory(name="Candidat", status=Shop.Status.CANDIDATE)
    ShopFactory(name="Suspendu", status=Shop.Status.SUSPENDED)
    response = api.as_user(coordinator).get(f"/api/rounds/{open_round.pk}/missing-shops/")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    assert [row["id"] for row in body["results"]] == [also.pk, waiting.pk]  # by name
    assert body["results"][1] == {
        "id": waiting.pk,
        "name": "Boulangerie en attente",
        "commune": waiting.commune,
        "email": "boulangerie@example.org",
        "phone": "",
    }


@pytest.mark.parametrize("role", [User.Role.SHOPKEEPER, User.Role.ACCOUNTANT])
def test_only_the_coordinator_sees_who_has_not_ordered(api, shop, open_round, role):
    user = UserFactory(role=role, shops=[shop])
    response = api.as_user(user).get(f"/api/rounds/{open_round.pk}/missing-shops/")
    assert response.status_code == 403
    assert "results" not in response.json()


def test_the_missing_shops_list_has_a_fixed_query_count(
    api, coordinator, open_round, django_assert_max_num_queries
):
    for n in range(5):
        ShopFactory(name=f"Commerce {n}")
    client = api.as_user(coordinator)
    with django_assert_max_num_queries(8):
        response = client.get(f"/api/rounds/{open_round.pk}/missing-shops/")
    assert response.json()["count"] == 5
