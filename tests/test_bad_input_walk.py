"""Issue 10, point 7: bad input answers 400 (or 404/405...), never 500, on every endpoint.

Each class of bad input is sent to every route and method of the API (found by the URL
walk, tests/helpers.py) and to every page: JSON nested 100,000 deep, NUL bytes in query
values and paths, lone surrogates in bodies, ids in other digits than 0-9 ("²", "٣"),
absurd months and years.
"""

import json

import pytest
from rest_framework.exceptions import ErrorDetail, ValidationError
from rest_framework.test import APIClient

from mache.errors import exception_handler
from mache.renderers import JSONRenderer
from shops.models import User

from .factories import CooperativeFactory, ShopFactory, UserFactory, build_shop_world
from .helpers import (
    GROUP_RE,
    PAGE_GROUP_RE,
    api_routes,
    methods_of,
    page_routes,
    target_of,
    view_class_of,
)

# Every query parameter the API and the pages read.
QUERY_PARAMS = [
    "shop",
    "month",
    "year",
    "from",
    "to",
    "date",
    "journal",
    "format",
    "status",
    "zone",
    "kind",
    "supplier",
    "product",
    "round",
    "active",
    "page",
    "q",
    "mois",
    "suivi",
    "tache",
    "exercice",
    "du",
    "au",
    "side",
    "at",
    "lot",
]
ID_PARAMS = ["shop", "supplier", "product", "round", "page", "year", "suivi"]
# What the pages read from their query: ids, and dates or months.
PAGE_PARAMS = {
    "shop": ["²", "٣"],
    "page": ["²"],
    "suivi": ["²"],
    "tache": ["²"],
    "year": ["٣", "9999"],
    "mois": ["0001-01", "9999-12"],
    "start": ["0001-01-01"],
    "end": ["9999-12-31"],
}
UNICODE_DIGITS = ["²", "٣", "１２", "߁"]
ABSURD_DATES = {
    "month": ["0001-01", "9999-12", "0000-00", "2026-1\n"],
    "mois": ["0001-01", "9999-12"],
    "year": ["0", "1", "9999", "99999999999999999999"],
    "from": ["0001-01-01", "9999-12-31"],
    "to": ["0001-01-01", "9999-12-31"],
    "date": ["0001-01-01", "9999-12-31"],
}
DEEP_JSON = b"[" * 100_000 + b"]" * 100_000
# A body naming every field any endpoint takes.
BODY_FIELDS = [
    "shop",
    "month",
    "date",
    "counted_on",
    "occurred_on",
    "expires_on",
    "username",
    "password",
    "name",
    "label",
    "journal",
    "piece_ref",
    "lot",
    "sku",
    "email",
    "address",
    "round",
    "product",
    "supplier",
    "role",
    "kind",
    "reason",
]


def body_of(value, *, lines=True) -> dict:
    body = dict.fromkeys(BODY_FIELDS, value)
    body["shops"] = [value]
    if lines:
        body["lines"] = [
            {
                "product": value,
                "account": value,
                "label": value,
                "quantity": 1,
                "vat_rate": value,
                "amount_incl_vat": value,
            }
        ]
    return body


@pytest.fixture
def world(db):
    CooperativeFactory()
    return build_shop_world(ShopFactory(name="Épicerie du fuzz"))


@pytest.fixture
def coordinator_api(world):
    client = APIClient()
    client.force_authenticate(UserFactory(role=User.Role.COORDINATOR))
    return client


def endpoints(world, *, id_value=None):
    """(method, url) of every route and method of the API, the login included; ids are
    those of the world's objects unless `id_value` is given."""
    for route, callback in api_routes(skipped={"api/schema/", "api/docs/"}):
        view_class = view_class_of(callback)
        if id_value is not None:
            url = "/" + GROUP_RE.sub(id_value, route)
        elif GROUP_RE.search(route):
            model = getattr(view_class, "scoped_model", None)
            target = target_of(model, None, world) if model else None
            url = "/" + GROUP_RE.sub(str(target.pk) if target else "anything", route)
        else:
            url = "/" + route
        for method in methods_of(callback):
            yield method, url


def walk(client, requests, *, allowed=(200, 201, 202, 204, 400, 404, 405, 409, 415)):
    """Send every (method, url, kwargs); the answers that are not `allowed`."""
    problems, answers = [], []
    for method, url, kwargs in requests:
        response = getattr(client, method)(url, **kwargs)
        answers.append(response.status_code)
        if response.status_code not in allowed:
            problems.append(
                f"{method.upper()} {url} {kwargs.get('data', '')!r:.80}: {response.status_code}"
            )
    return problems, answers


# --- JSON nested 100,000 deep ------------------------------------------------------


def test_deeply_nested_json_is_400_on_every_endpoint(world, coordinator_api):
    requests = [
        (method, url, {"data": DEEP_JSON, "content_type": "application/json"})
        for method, url in endpoints(world)
        if method != "get"
    ]
    problems, answers = walk(coordinator_api, requests)
    assert problems == []
    assert answers.count(400) >= 15  # the walk did reach the parser


def test_deeply_nested_json_on_the_login_is_a_french_400(api, db):
    response = api.post("/api/auth/token/", DEEP_JSON, content_type="application/json")
    assert response.status_code == 400
    assert response.json() == {"detail": "JSON trop imbriqué (64 niveaux au plus)."}


def test_json_is_limited_to_64_levels(api, db):
    nested = "[" * 65 + "]" * 65
    response = api.post("/api/auth/token/", nested, content_type="application/json")
    assert response.status_code == 400
    shallow = {"username": "x", "password": "y", "extra": [[[[[[1]]]]]]}
    assert api.post("/api/auth/token/", shallow, format="json").status_code == 400
    assert "JSON" not in str(api.post("/api/auth/token/", shallow, format="json").json())


# --- NUL and control characters in the query and the path --------------------------


def test_a_nul_in_any_query_value_or_path_is_400_on_every_endpoint(world, coordinator_api):
    requests = []
    for method, url in endpoints(world):
        if method == "get":
            requests += [(method, url, {"data": {name: "a\x00b"}}) for name in QUERY_PARAMS]
    requests += [
        (method, url, {}) for method, url in endpoints(world, id_value="%00") if "%00" in url
    ]
    problems, answers = walk(coordinator_api, requests, allowed=(400,))
    assert problems == []
    assert len(answers) > 100


def test_the_nul_answer_names_the_parameter_in_french(api, coordinator, world):
    response = api.as_user(coordinator).get("/api/entries/", {"journal": "\x00"})
    assert response.status_code == 400
    assert response.json() == {"journal": ["Caractère de contrôle interdit."]}
    response = api.as_user(coordinator).get("/api/tasks/%00/")
    assert response.status_code == 400
    assert response.json() == {"detail": "Caractère de contrôle interdit dans l'adresse."}


# --- Lone surrogates in bodies ---------------------------------------------------


def test_lone_surrogates_in_bodies_are_400_on_every_endpoint(world, coordinator_api):
    body = json.dumps(body_of("\ud800"))  # ASCII: the surrogate travels as \ud800
    requests = [
        (method, url, {"data": body, "content_type": "application/json"})
        for method, url in endpoints(world)
        if method != "get"
    ]
    problems, answers = walk(coordinator_api, requests)
    assert problems == []
    assert answers.count(400) >= 15


def test_a_lone_surrogate_echoed_in_an_error_is_a_french_400(api, coordinator):
    body = json.dumps({"name": "Fournisseur", "vat_rate": "\ud800"})
    response = api.as_user(coordinator).post(
        "/api/products/", body, content_type="application/json"
    )
    assert response.status_code == 400
    assert "substitut" in response.json()["detail"]


def test_the_error_renderer_survives_a_lone_surrogate():
    response = exception_handler(ValidationError({"vat_rate": ["« \ud800 » invalide."]}), {})
    assert response.data == {"vat_rate": [ErrorDetail("« \ufffd » invalide.", code="invalid")]}
    rendered = JSONRenderer().render({"detail": "a\ud800b"})
    assert json.loads(rendered) == {"detail": "a\ud800b"}


# --- Ids in other digits than 0-9 ----------------------------------------------------


def test_unicode_digits_never_crash_any_endpoint(world, coordinator_api):
    requests = []
    for method, url in endpoints(world):
        if method == "get":
            requests += [
                (method, url, {"data": {name: digit}})
                for name in ID_PARAMS
                for digit in UNICODE_DIGITS
            ]
        else:
            requests += [
                (method, url, {"data": body_of(digit), "format": "json"})
                for digit in UNICODE_DIGITS[:2]
            ]
    for digit in UNICODE_DIGITS[:2]:
        requests += [
            (method, url, {}) for method, url in endpoints(world, id_value=digit) if digit in url
        ]
    problems, _ = walk(coordinator_api, requests)
    assert problems == []


@pytest.mark.parametrize("digit", UNICODE_DIGITS)
def test_a_shop_in_unicode_digits_is_400(api, coordinator, world, digit):
    client = api.as_user(coordinator)
    response = client.get("/api/reports/", {"shop": digit})
    assert response.status_code == 400
    assert list(response.json()) == ["shop"]
    response = client.post("/api/stock/counts/", {"shop": digit, "lines": []}, format="json")
    assert response.status_code == 400
    assert "shop" in response.json()


def test_an_id_in_arabic_indic_digits_names_no_shop(api, world):
    client = api.as_user(world["shopkeeper"])
    digits = str(world["shop"].pk).translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))
    assert client.get("/api/stock/", {"shop": digits}).status_code == 404
    assert client.get("/api/stock/", {"shop": world["shop"].pk}).status_code == 200


# --- Absurd months and years ------------------------------------------------------


def test_absurd_months_and_years_never_crash_any_endpoint(world, coordinator_api):
    requests = []
    for method, url in endpoints(world):
        if method == "get":
            requests += [
                (method, url, {"data": {name: value}})
                for name, values in ABSURD_DATES.items()
                for value in values
            ]
        else:
            requests += [
                (method, url, {"data": body_of(value, lines=False), "format": "json"})
                for value in ("0001-01", "9999-12", "0001-01-01", "9999-12-31")
            ]
    problems, _ = walk(coordinator_api, requests)
    assert problems == []


@pytest.mark.parametrize("month", ["0001-01", "9999-12", "1999-12", "2101-01"])
def test_a_month_out_of_the_sane_years_is_400_on_month(api, coordinator, world, month):
    client = api.as_user(coordinator)
    response = client.get("/api/reports/", {"month": month})
    assert response.status_code == 400
    assert list(response.json()) == ["month"]
    response = client.post("/api/reports/generate/", {"month": month}, format="json")
    assert response.status_code == 400
    assert list(response.json()) == ["month"]
    response = client.post("/api/periods/close/", {"shop": "coop", "month": month}, format="json")
    assert response.status_code == 400
    assert list(response.json()) == ["month"]


# --- The pages ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "role", [User.Role.SHOPKEEPER, User.Role.COORDINATOR, User.Role.ACCOUNTANT]
)
def test_pages_answer_400_to_nul_and_never_fail_on_unicode_digits(client, world, role):
    client.force_login(world.get(role) or UserFactory(role=role))
    problems = []
    for route, _pattern in page_routes():
        if PAGE_GROUP_RE.search(route):
            continue
        url = "/" + route
        response = client.get(url, dict.fromkeys(PAGE_PARAMS, "a\x00"))
        if response.status_code != 400:
            problems.append(f"{url} with NUL: {response.status_code}")
        for name, values in PAGE_PARAMS.items():
            for value in values:
                response = client.get(url, {name: value})
                if response.status_code >= 500:
                    problems.append(f"{url}?{name}={value}: {response.status_code}")
    assert problems == []


def test_a_nul_in_a_page_query_is_a_french_400_page(client, world):
    client.force_login(world["shopkeeper"])
    response = client.get("/stock/", {"shop": "\x00"})
    assert response.status_code == 400
    assert "caractère de contrôle" in response.content.decode()
