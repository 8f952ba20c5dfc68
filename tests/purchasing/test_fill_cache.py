"""The live fill's cached copy (docs/consolidation.md, "The live fill under load"): a
copy of the round's current version costs no query beyond the token; a write makes
the next reader compute it again, at most once a second; without Redis, computed."""

import datetime as dt

import pytest
import redis.exceptions
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from purchasing import selectors

from .conftest import lines_payload


def fill_url(ex):
    return f"/api/rounds/{ex['round'].pk}/fill/"


def p1_ordered(body, ex):
    return next(row for row in body["products"] if row["product"] == ex["p1"].pk)["ordered"]


def place(client, ex, shop_number, lines):
    return client.post(
        "/api/orders/",
        {"round": ex["round"].pk, "shop": shop_number, "lines": lines_payload(lines)},
        format="json",
    )


def test_a_copy_costs_no_query_beyond_the_token(api, example):
    client = api.as_user(example["keepers"][101])
    first = client.get(fill_url(example))
    assert first.status_code == 200
    with CaptureQueriesContext(connection) as queries:
        again = client.get(fill_url(example))
    assert again.json() == first.json()
    # The token's query only: no round, no order line, no product.
    assert len(queries) == 1, [q["sql"] for q in queries]
    assert "authtoken" in queries[0]["sql"]


def test_a_write_makes_the_next_reader_compute(
    api, example, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(selectors, "FILL_COMPUTE_EVERY", 0)  # as if a second had passed
    client = api.as_user(example["keepers"][101])
    assert p1_ordered(client.get(fill_url(example)).json(), example) == 0
    with django_capture_on_commit_callbacks(execute=True):
        assert place(client, example, 101, [(example["p1"], 7, 0)]).status_code == 201
    with CaptureQueriesContext(connection) as queries:
        body = client.get(fill_url(example)).json()
    assert p1_ordered(body, example) == 7
    assert len(queries) == 5  # token, round, aggregate, products, tiers: computed

    # A change of the order, then its withdrawal, each show at the next read.
    order_id = client.get("/api/orders/").json()["results"][0]["id"]
    with django_capture_on_commit_callbacks(execute=True):
        response = client.put(
            f"/api/orders/{order_id}/",
            {"lines": lines_payload([(example["p1"], 4, 0)])},
            format="json",
        )
        assert response.status_code == 200, response.json()
    assert p1_ordered(client.get(fill_url(example)).json(), example) == 4
    with django_capture_on_commit_callbacks(execute=True):
        assert client.delete(f"/api/orders/{order_id}/").status_code == 204
    assert p1_ordered(client.get(fill_url(example)).json(), example) == 0


def test_a_new_deadline_shows_at_the_next_read(
    api, example, coordinator, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(selectors, "FILL_COMPUTE_EVERY", 0)
    client = api.as_user(coordinator)
    client.get(fill_url(example))
    closes_at = timezone.now() + dt.timedelta(days=3)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.patch(
            f"/api/rounds/{example['round'].pk}/",
            {"closes_at": closes_at.isoformat()},
            format="json",
        )
        assert response.status_code == 200, response.json()
    body = client.get(fill_url(example)).json()
    assert dt.datetime.fromisoformat(body["closes_at"]) == closes_at


def test_computed_at_most_once_a_second(api, example, django_capture_on_commit_callbacks):
    client = api.as_user(example["keepers"][101])
    client.get(fill_url(example))  # computed: the second's slot is taken
    with django_capture_on_commit_callbacks(execute=True):
        assert place(client, example, 101, [(example["p1"], 7, 0)]).status_code == 201
    with CaptureQueriesContext(connection) as queries:
        body = client.get(fill_url(example)).json()
    # Within the same second: the copy made before the write, no computation.
    assert len(queries) == 1
    assert p1_ordered(body, example) == 0
    # The second over (its slot expired), the next reader computes the new version.
    cache.delete(f"fill:{example['round'].pk}:computing")
    assert p1_ordered(client.get(fill_url(example)).json(), example) == 7


def test_without_the_cache_the_fill_is_computed(api, example, monkeypatch):
    def down(*args, **kwargs):
        raise redis.exceptions.ConnectionError("Redis is down")

    monkeypatch.setattr(cache, "get_many", down)
    client = api.as_user(example["keepers"][101])
    with CaptureQueriesContext(connection) as queries:
        response = client.get(fill_url(example))
    assert response.status_code == 200
    assert len(queries) == 5
    # A write still goes through when the version cannot be bumped.
    monkeypatch.setattr(cache, "set", down)
    selectors.round_fill_changed(example["round"].pk)


@pytest.mark.parametrize("pk", ["424242", "abc"])
def test_an_unknown_round_is_404_and_not_cached(api, shopkeeper, pk):
    client = api.as_user(shopkeeper)
    assert client.get(f"/api/rounds/{pk}/fill/").status_code == 404
    if pk.isdigit():
        assert cache.get(selectors._fill_keys(int(pk))[1]) is None
    assert cache.get(f"fill:{pk}") is None and cache.get(f"fill:{pk}:json") is None


def test_a_copy_left_by_the_code_before_is_not_served(api, example):
    # Before issue 18 the copy was the serialised dict, under "fill:<round>", tagged with
    # the round's version: after a deploy it must not be sent as the answer's bytes.
    client = api.as_user(example["keepers"][101])
    first = client.get(fill_url(example))
    version_key = selectors._fill_keys(example["round"].pk)[0]
    cache.set(f"fill:{example['round'].pk}", (cache.get(version_key), {"stale": True}))
    again = client.get(fill_url(example))
    assert again.status_code == 200 and again["Content-Type"] == "application/json"
    assert again.json() == first.json() and "stale" not in again.json()
