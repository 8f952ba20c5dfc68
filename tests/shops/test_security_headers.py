"""Issue 10, point 5: every response carries a Content-Security-Policy, and the API docs
serve Swagger UI from our own static files, with no inline or third-party script."""

import re

import pytest


def policy(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in header.split(";") if part.strip()}


@pytest.mark.parametrize(
    "url",
    [
        "/connexion/",
        "/commerce/",
        "/api/me/",
        "/api/docs/",
        "/api/schema/",
        "/admin/login/",
        "/connexion/mot-de-passe/oublie/",
    ],
)
def test_every_response_sends_the_policy(client, shopkeeper, url):
    if not url.startswith(("/connexion/", "/admin/")):
        client.force_login(shopkeeper)
    response = client.get(url)
    assert response.status_code == 200
    directives = policy(response)
    assert directives["default-src"] == ["'self'"]
    assert directives["script-src"] == ["'self'"]
    assert directives["frame-ancestors"] == ["'none'"]


def test_errors_send_the_policy_too(api, db):
    assert "Content-Security-Policy" in api.get("/api/me/")  # 401
    assert "Content-Security-Policy" in api.get("/nulle-part/")  # 404


def test_the_api_docs_use_only_this_sites_files(client, db):
    html = client.get("/api/docs/").content.decode()
    assert "<style" not in html
    assert re.findall(r"<script(?![^>]*\bsrc=)", html) == []  # no inline script
    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert sources and all(
        source.startswith("/") and not source.startswith("//") for source in sources
    ), sources
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in sources
    script = client.get("/api/docs/?script=")
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")
    assert "/api/schema/" in script.content.decode()


def test_the_pages_have_no_inline_script(client, shopkeeper):
    client.force_login(shopkeeper)
    html = client.get("/commerce/").content.decode()
    assert re.findall(r"<script(?![^>]*\bsrc=)", html) == []
    assert "<style" not in html
