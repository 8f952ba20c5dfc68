"""Issue 10, point 3: after login, only same-site paths are followed."""

import pytest

from tests.factories import DEFAULT_PASSWORD


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example/",
        "http://evil.example/stock/",
        "///evil.example/",
        "https:evil.example",
        "\\\\evil.example/",
        "javascript:alert(1)",
    ],
)
def test_login_does_not_redirect_off_site(client, shopkeeper, target):
    response = client.post(
        "/connexion/",
        {"username": "epicier", "password": DEFAULT_PASSWORD},
        query_params={"next": target},
    )
    assert response.status_code == 302
    assert response["Location"] == "/"


@pytest.mark.parametrize("target", ["/stock/", "/commandes/?page=2", "http://testserver/stock/"])
def test_login_follows_a_same_site_next(client, shopkeeper, target):
    response = client.post(
        f"/connexion/?next={target}", {"username": "epicier", "password": DEFAULT_PASSWORD}
    )
    assert response.status_code == 302
    assert response["Location"] == target


def test_the_login_link_keeps_the_whole_path_encoded(client, db):
    response = client.get("/stock/?shop=1&date=2026-01-01")
    assert response.status_code == 302
    assert response["Location"] == "/connexion/?next=/stock/%3Fshop%3D1%26date%3D2026-01-01"
