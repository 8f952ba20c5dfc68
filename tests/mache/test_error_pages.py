"""403, 404 and 500 are French pages of the site with a way back (JSON under /api/)."""

from django.test import RequestFactory
from django.urls import get_resolver

from mache import errors


def logged_in(client, user):
    client.force_login(user)
    return client


def test_an_unknown_page_is_a_french_page_with_a_way_back(client, shopkeeper):
    response = logged_in(client, shopkeeper).get("/cette-page-n-existe-pas/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "Page introuvable" in html and 'href="/"' in html
    assert 'lang="fr"' in html and "app.css" in html
    assert "Page not found" not in html and "Using the URLconf" not in html


def test_a_page_of_another_role_is_a_french_403(client, shopkeeper):
    response = logged_in(client, shopkeeper).get("/coordination/")
    assert response.status_code == 403
    html = response.content.decode()
    assert "Accès refusé" in html and 'href="/"' in html
    assert "403 Forbidden" not in html


def test_the_api_keeps_answering_json(api, shopkeeper):
    response = api.as_user(shopkeeper).get("/api/pas-une-route/")
    assert response.status_code == 404 and response.json() == {"detail": "Introuvable."}


def test_the_server_error_handler_is_ours_and_french():
    assert get_resolver().resolve_error_handler(500) is errors.server_error
    assert get_resolver().resolve_error_handler(403) is errors.permission_denied
    page = errors.server_error(RequestFactory().get("/commerce/"))
    assert page.status_code == 500
    html = page.content.decode()
    assert "Erreur du serveur" in html and 'href="/"' in html and 'lang="fr"' in html
    api = errors.server_error(RequestFactory().get("/api/orders/"))
    assert api.status_code == 500 and api["Content-Type"] == "application/json"


def test_pages_carry_the_favicon(client, shopkeeper):
    html = logged_in(client, shopkeeper).get("/commerce/").content.decode()
    assert 'rel="icon"' in html and "favicon.svg" in html
    assert "favicon.svg" in errors.server_error(RequestFactory().get("/")).content.decode()
