"""Issue 10, point 4: bounded input. Bodies over MAX_REQUEST_BYTES (2 MB) answer 413,
CSV uploads may reach MAX_UPLOAD_BYTES (10 MB); strings and lists in bodies are bounded
(400 on the field), and an oversized username never reaches the cache."""

import io
import json

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.handlers.exception import convert_exception_to_response
from django.http import HttpResponse
from django.test import RequestFactory
from rest_framework import serializers

from mache.limits import MAX_LIST_ITEMS, RequestSizeLimitMiddleware

from .factories import ProductFactory

MB = 1024 * 1024


@pytest.fixture
def keeper_api(api, shopkeeper):
    return api.as_user(shopkeeper)


def count_body(product, lines: int) -> bytes:
    return json.dumps({"lines": [{"product": product.pk, "quantity": 1}] * lines}).encode()


def test_a_3_mb_json_body_answers_413_in_french(keeper_api, shop):
    body = json.dumps({"shop": shop.pk, "lines": [], "pad": "x" * (3 * MB)})
    response = keeper_api.post("/api/stock/counts/", body, content_type="application/json")
    assert response.status_code == 413
    assert response.json() == {"detail": "Requête trop volumineuse : 2 Mo au plus."}


def test_a_400000_line_count_is_refused_at_the_body_limit(keeper_api, shop):
    product = ProductFactory()
    body = count_body(product, 400_000)
    assert len(body) > 2 * MB
    response = keeper_api.post("/api/stock/counts/", body, content_type="application/json")
    assert response.status_code == 413


def test_5001_lines_are_400_on_lines(keeper_api, shop):
    product = ProductFactory()
    body = json.loads(count_body(product, MAX_LIST_ITEMS + 1))
    response = keeper_api.post("/api/stock/counts/", {"shop": shop.pk, **body}, format="json")
    assert response.status_code == 400
    assert list(response.json()) == ["lines"]
    assert "5000" in str(response.json()["lines"])  # refused on its count, not its items


def test_every_list_of_a_body_is_bounded(api, coordinator, shop):
    client = api.as_user(coordinator)
    too_many = list(range(1, MAX_LIST_ITEMS + 2))
    response = client.post(
        "/api/reports/generate/", {"month": "2025-01", "shops": too_many}, format="json"
    )
    assert response.status_code == 400
    assert list(response.json()) == ["shops"]
    assert "5000" in str(response.json()["shops"])
    response = client.post(
        "/api/users/",
        {"username": "nouveau", "password": "x" * 12, "role": "shopkeeper", "shops": too_many},
        format="json",
    )
    assert response.status_code == 400
    assert list(response.json()) == ["shops"]
    assert "5000" in str(response.json()["shops"])


def upload(size: int) -> SimpleUploadedFile:
    header = b"date;sku;quantity\n"
    return SimpleUploadedFile(
        "ventes.csv", header + b"x" * (size - len(header)), content_type="text/csv"
    )


def test_a_3_mb_csv_upload_is_accepted_size_wise(keeper_api, shop):
    response = keeper_api.post(
        "/api/stock/sales-import/", {"shop": shop.pk, "file": upload(3 * MB)}, format="multipart"
    )
    assert response.status_code != 413
    assert response.status_code < 500


@pytest.mark.parametrize("url", ["/api/stock/sales-import/", "/api/sales/import/"])
def test_an_11_mb_csv_upload_answers_413(keeper_api, shop, url):
    response = keeper_api.post(url, {"shop": shop.pk, "file": upload(11 * MB)}, format="multipart")
    assert response.status_code == 413
    assert response.json() == {"detail": "Requête trop volumineuse : 10 Mo au plus."}


def test_the_catalogue_import_takes_uploads_too(api, coordinator):
    supplier = ProductFactory().supplier
    client = api.as_user(coordinator)
    url = f"/api/suppliers/{supplier.pk}/import/"
    assert client.post(url, {"file": upload(3 * MB)}, format="multipart").status_code != 413
    assert client.post(url, {"file": upload(11 * MB)}, format="multipart").status_code == 413


def test_a_page_answers_413_with_a_french_page(client, shopkeeper):
    client.force_login(shopkeeper)
    response = client.post("/stock/inventaire/", {"pad": "x" * (3 * MB)})
    assert response.status_code == 413
    assert "Requête trop volumineuse" in response.content.decode()


@pytest.mark.parametrize(
    "path, expected",
    [("/api/stock/counts/", "application/json"), ("/stock/inventaire/", "text/html")],
)
def test_a_body_longer_than_announced_is_cut_at_the_limit(path, expected):
    # A body that turns out bigger than its Content-Length says (a chunked one under an
    # ASGI server), read by whatever reads it.
    request = RequestFactory().post(path, data=b"", content_type="application/json")
    request.META["CONTENT_LENGTH"] = "10"
    request._stream = io.BytesIO(b"[" + b"0," * (2 * MB) + b"0]")
    view = convert_exception_to_response(lambda req: HttpResponse(req.body))
    response = RequestSizeLimitMiddleware(view)(request)
    assert response.status_code == 413
    assert response["Content-Type"].startswith(expected)


def test_a_huge_username_is_400_before_any_cache_access(api, db):
    username = "u" * 200_000
    response = api.post("/api/auth/token/", {"username": username, "password": "x"}, format="json")
    assert response.status_code == 400
    assert list(response.json()) == ["username"]
    keys = cache._cache.get_client().keys("*")
    assert all(len(key) < 1000 for key in keys), "the username reached the cache"


def test_the_login_form_bounds_its_fields(client, db):
    from shops.views import LoginForm

    form = LoginForm(data={"username": "u" * 151, "password": "p" * 5000})
    assert not form.is_valid()
    assert set(form.errors) == {"username", "password"}


@pytest.mark.parametrize(
    "url, body, field",
    [
        (
            "/api/suppliers/",
            {"name": "Fournisseur", "email": "a@b.fr", "address": "a" * 301},
            "address",
        ),
        (
            "/api/users/",
            {"username": "nouveau", "password": "p" * 2000, "role": "coordinator"},
            "password",
        ),
        ("/api/periods/close/", {"shop": "1" * 300, "month": "2025-01"}, "shop"),
        ("/api/auth/token/", {"username": "coord", "password": "p" * 5000}, "password"),
    ],
)
def test_long_strings_are_400_on_their_field(api, coordinator, url, body, field):
    response = api.as_user(coordinator).post(url, body, format="json")
    assert response.status_code == 400
    assert field in response.json()


def test_statement_query_strings_are_bounded(api, coordinator, shop):
    response = api.as_user(coordinator).get(
        "/api/statements/journal/",
        {"shop": shop.pk, "from": "2025-01-01", "to": "2025-01-31", "journal": "J" * 300},
    )
    assert response.status_code == 400
    assert list(response.json()) == ["journal"]


def request_serializers():
    """(where, serializer) of every request body and query serializer of the API, found
    the way the OpenAPI schema finds them."""
    from drf_spectacular.generators import SchemaGenerator
    from drf_spectacular.settings import spectacular_settings

    generator = SchemaGenerator()
    generator._initialise_endpoints()
    for path, path_regex, method, view in generator._get_paths_and_endpoints():
        view.request = spectacular_settings.GET_MOCK_REQUEST(method, path, view, None)
        view.schema.get_operation(path, path_regex, "^/api/", method, generator.registry)
        candidates = []
        if method in ("POST", "PUT", "PATCH"):
            found = view.schema.get_request_serializer()
            candidates = list(found.values()) if isinstance(found, dict) else [found]
        candidates += [
            p
            for p in view.schema.get_override_parameters()
            if not isinstance(p, str) and not hasattr(p, "name")
        ]
        for candidate in candidates:
            if isinstance(candidate, type) and issubclass(candidate, serializers.BaseSerializer):
                candidate = candidate()
            if isinstance(candidate, serializers.BaseSerializer):
                yield f"{method} {path}", candidate


def unbounded_fields(serializer, where) -> list[str]:
    if isinstance(serializer, serializers.ListSerializer):
        found = [] if serializer.max_length else [f"{where}: list without max_length"]
        return found + unbounded_fields(serializer.child, f"{where}[]")
    found = []
    for name, field in serializer.fields.items():
        here = f"{where}.{name}"
        if field.read_only:
            continue
        if isinstance(field, serializers.BaseSerializer):
            found += unbounded_fields(field, here)
        elif isinstance(field, serializers.ListField):
            if not field.max_length:
                found.append(f"{here}: list without max_length")
        elif isinstance(field, serializers.ManyRelatedField):
            found.append(f"{here}: many=True relation (unbounded)")
        elif isinstance(field, serializers.CharField) and field.max_length is None:
            found.append(f"{here}: string without max_length")
    return found


def test_every_string_and_list_of_every_input_is_bounded(db):
    problems, seen = [], 0
    for where, serializer in request_serializers():
        seen += 1
        problems += unbounded_fields(serializer, f"{where} {type(serializer).__name__}")
    assert seen >= 15
    assert sorted(set(problems)) == []
