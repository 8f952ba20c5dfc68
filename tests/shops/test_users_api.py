import pytest

from shops.models import User


def payload(shop, **changes):
    return {
        "username": "nouvelle",
        "password": "un-mot-de-passe-long-9",
        "role": "shopkeeper",
        "shops": [shop.id],
        **changes,
    }


def test_a_coordinator_creates_a_user_with_a_role_and_shops(api, coordinator, shop):
    response = api.as_user(coordinator).post("/api/users/", payload(shop), format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["role"] == "shopkeeper"
    assert "password" not in response.json()
    user = User.objects.get(username="nouvelle")
    assert user.check_password("un-mot-de-passe-long-9")
    assert list(user.shops.all()) == [shop]
    assert not user.is_staff


def test_a_new_coordinator_may_use_the_admin(api, coordinator, shop):
    api.as_user(coordinator).post(
        "/api/users/", payload(shop, role="coordinator", shops=[]), format="json"
    )
    assert User.objects.get(username="nouvelle").is_staff


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"role": "admin"}, "role"),
        ({"username": "coord"}, "username"),  # taken
        ({"password": "123"}, "password"),  # too short, numeric
        ({"shops": [999999]}, "shops"),
        ({"shops": []}, "shops"),  # a shopkeeper needs a shop
        ({"username": ""}, "username"),
    ],
)
def test_bad_user_input_is_400_naming_the_field(api, coordinator, shop, changes, field):
    before = User.objects.count()
    response = api.as_user(coordinator).post("/api/users/", payload(shop, **changes), format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert User.objects.count() == before


@pytest.mark.parametrize("missing", ["username", "password", "role"])
def test_missing_user_fields_are_named(api, coordinator, shop, missing):
    data = payload(shop)
    del data[missing]
    response = api.as_user(coordinator).post("/api/users/", data, format="json")
    assert response.status_code == 400
    assert missing in response.json()


@pytest.mark.parametrize("role_fixture", ["shopkeeper", "accountant"])
def test_only_coordinators_manage_users(api, request, shop, role_fixture):
    client = api.as_user(request.getfixturevalue(role_fixture))
    assert client.get("/api/users/").status_code == 403
    assert client.post("/api/users/", payload(shop), format="json").status_code == 403
    assert not User.objects.filter(username="nouvelle").exists()


def test_a_coordinator_changes_a_users_shops_and_role(api, coordinator, shopkeeper, other_shop):
    response = api.as_user(coordinator).patch(
        f"/api/users/{shopkeeper.id}/",
        {"shops": [other_shop.id], "role": "accountant"},
        format="json",
    )
    assert response.status_code == 200
    shopkeeper.refresh_from_db()
    assert shopkeeper.role == "accountant"
    assert list(shopkeeper.shops.all()) == [other_shop]


def test_a_superuser_is_a_coordinator(api, db):
    root = User.objects.create_superuser("root", password="x" * 12, role="shopkeeper")
    assert api.as_user(root).get("/api/me/").json()["role"] == "coordinator"
    assert api.get("/api/users/").status_code == 200


def test_the_user_list_makes_a_fixed_number_of_queries(
    api, coordinator, shop, other_shop, django_assert_num_queries
):
    from tests.factories import UserFactory

    UserFactory.create_batch(10, shops=[shop, other_shop])
    client = api.as_user(coordinator)
    # token, count, page, shops prefetch
    with django_assert_num_queries(4):
        assert client.get("/api/users/").status_code == 200


def test_a_users_phone_is_read_and_written_as_the_other_contact_fields(
    api, coordinator, shopkeeper, shop
):
    """User.phone (docs/personal-data.md: name, e-mail and phone are what an
    anonymisation erases) is set through the API, at creation and later."""
    client = api.as_user(coordinator)
    response = client.post("/api/users/", payload(shop, phone="06 12 34 56 78"), format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["phone"] == "06 12 34 56 78"
    assert User.objects.get(username="nouvelle").phone == "06 12 34 56 78"

    response = client.patch(f"/api/users/{shopkeeper.pk}/", {"phone": "02 99 00 11 22"})
    assert response.status_code == 200, response.json()
    assert response.json()["phone"] == "02 99 00 11 22"
    shopkeeper.refresh_from_db()
    assert shopkeeper.phone == "02 99 00 11 22"
    assert client.get(f"/api/users/{shopkeeper.pk}/").json()["phone"] == "02 99 00 11 22"
    response = client.patch(f"/api/users/{shopkeeper.pk}/", {"phone": ""}, format="json")
    assert response.status_code == 200
    shopkeeper.refresh_from_db()
    assert shopkeeper.phone == ""


def test_a_phone_too_long_is_400_on_its_field_and_nothing_written(api, coordinator, shopkeeper):
    client = api.as_user(coordinator)
    response = client.patch(f"/api/users/{shopkeeper.pk}/", {"phone": "0" * 31}, format="json")
    assert response.status_code == 400
    assert list(response.json()) == ["phone"]
    shopkeeper.refresh_from_db()
    assert shopkeeper.phone == ""
