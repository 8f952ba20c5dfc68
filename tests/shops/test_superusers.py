"""Issue 10, point 1: coordinators neither see nor change superusers, nor make anyone one."""

import pytest

from shops.models import User
from tests.factories import UserFactory


@pytest.fixture
def root(db, shop):
    user = User.objects.create_superuser(
        "root", password="racine-tres-longue-1", role=User.Role.SHOPKEEPER
    )
    user.shops.set([shop])
    return user


def test_a_coordinator_does_not_list_superusers(api, coordinator, root):
    response = api.as_user(coordinator).get("/api/users/")
    assert response.status_code == 200
    assert "root" not in [row["username"] for row in response.json()["results"]]


def test_a_superuser_is_a_foreign_object_to_a_coordinator(api, coordinator, root):
    client = api.as_user(coordinator)
    assert client.get(f"/api/users/{root.pk}/").status_code == 404
    response = client.patch(
        f"/api/users/{root.pk}/", {"password": "piratage-du-root-42"}, format="json"
    )
    assert response.status_code == 404
    root.refresh_from_db()
    assert root.check_password("racine-tres-longue-1")


def test_a_superuser_still_sees_and_manages_everyone(api, root, coordinator):
    other = User.objects.create_superuser("root2", password="racine-tres-longue-2")
    client = api.as_user(root)
    names = [row["username"] for row in client.get("/api/users/").json()["results"]]
    assert {"root", "root2", "coord"} <= set(names)
    assert client.get(f"/api/users/{other.pk}/").status_code == 200


@pytest.mark.parametrize("flag", ["is_superuser", "is_staff"])
def test_no_one_gets_django_rights_through_the_api(api, coordinator, shopkeeper, shop, flag):
    client = api.as_user(coordinator)
    response = client.patch(f"/api/users/{shopkeeper.pk}/", {flag: True}, format="json")
    assert response.status_code == 400
    assert flag in response.json()
    created = client.post(
        "/api/users/",
        {
            "username": "nouvelle",
            "password": "un-mot-de-passe-long-9",
            "role": "shopkeeper",
            "shops": [shop.pk],
            flag: True,
        },
        format="json",
    )
    assert created.status_code == 400
    shopkeeper.refresh_from_db()
    assert not shopkeeper.is_superuser and not shopkeeper.is_staff
    assert not User.objects.filter(username="nouvelle").exists()


def test_staff_follows_the_role_for_people_only(api, root, shopkeeper):
    response = api.as_user(root).patch(
        f"/api/users/{root.pk}/", {"role": "accountant"}, format="json"
    )
    assert response.status_code == 200
    root.refresh_from_db()
    assert root.is_staff and root.is_superuser  # a superuser keeps the admin whatever the role


def test_the_member_page_does_not_show_superusers_to_a_coordinator(client, coordinator, shop, root):
    UserFactory(username="visible-epicier", role=User.Role.SHOPKEEPER, shops=[shop])
    client.force_login(coordinator)
    page = client.get(f"/coordination/membres/{shop.pk}/").content.decode()
    assert "visible-epicier" in page
    assert "root" not in page
