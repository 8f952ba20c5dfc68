"""Who supplies, on the shopkeepers' pages (docs/local-producers.md): the open rounds and
the order form say the supplier's kind, commune, distance to the hub, « Local » and
labels; each product's row its own origin and labels; the order form filters local and
organic products (`?local=1&bio=1` without JavaScript; order_form.js reads the rows' and
their sections' classes), hiding products without dropping what was typed for them."""

import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from catalogue.services import supplier_update
from purchasing.models import OrderLine
from shops.models import Cooperative, User
from shops.services import cooperative_update
from tests.factories import (
    ProductFactory,
    ShopFactory,
    UserFactory,
    biscuit_round,
    close_round,
)
from tests.helpers import page_text as text

from .order_form_helpers import row

NBSP = "\u00a0"
RENNES = {"hub_latitude": Decimal("48.11130"), "hub_longitude": Decimal("-1.68000")}
SAINT_MALO = {"latitude": Decimal("48.64930"), "longitude": Decimal("-2.02570")}


@pytest.fixture
def world(db, django_capture_on_commit_callbacks):
    """The biscuit round (tests/factories/purchasing.py) from an organic producer of
    Saint-Malo, 65 km from the hub at Rennes; the cider has labels of its own (not
    organic) and an origin."""
    world = biscuit_round(cidre={"labels": ["IGP"], "origin": "Pays d'Auge"})
    Cooperative.objects.update(**RENNES)
    supplier = world["supplier"]
    with django_capture_on_commit_callbacks(execute=True):
        supplier_update(
            supplier=supplier,
            data={"kind": "producer", "commune": "Saint-Malo", "labels": ["AB"], **SAINT_MALO},
        )
    shop = ShopFactory(name="Épicerie de Romazy")
    keeper = UserFactory(role=User.Role.SHOPKEEPER, shops=[shop])
    return {**world, "shop": shop, "keeper": keeper}


def form_url(world, query=""):
    return f"/commandes/{world['round'].pk}/{query}"


def flags(response, product) -> set[str]:
    """What the local and organic filters read of the product: its row's class (bio)
    and its section's (local)."""
    return row(response, product).flags


def is_hidden(response, product) -> bool:
    """Out of sight without JavaScript: its row hidden, or its whole section."""
    return not row(response, product).visible


def test_the_open_rounds_say_who_supplies_from_where(client, world):
    client.force_login(world["keeper"])
    body = text(client.get("/commandes/"))
    assert f"Producteur · Saint-Malo · à{NBSP}65{NBSP}km" in body
    assert '<span class="badge ok">Local</span>' in body
    assert '<span class="badge">Agriculture biologique (AB)</span>' in body


def test_the_order_form_says_the_supplier_once_and_each_products_own_origin(client, world):
    client.force_login(world["keeper"])
    response = client.get(form_url(world))
    body = text(response)
    assert body.count(f"Saint-Malo · à{NBSP}65{NBSP}km") == 1
    # The cider's own origin and labels; the galettes carry their supplier's (AB).
    assert "<em class=tags>Pays d&#x27;Auge · IGP</em>" in row(response, world["cidre"]).html
    assert "tags" not in row(response, world["galettes"]).html
    assert flags(response, world["galettes"]) == {"local", "bio"}
    assert "bio" not in flags(response, world["cidre"])
    assert "local" in flags(response, world["cidre"])
    # The same in whole sentences (?detail=1).
    response = client.get(form_url(world, "?detail=1"))
    assert "<em class=tags>Pays d&#x27;Auge · IGP</em>" in row(response, world["cidre"]).html
    assert "tags" not in row(response, world["galettes"]).html
    assert flags(response, world["galettes"]) == {"local", "bio"}


def test_a_supplier_without_coordinates_is_said_so_and_nothing_is_local(
    client, world, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        supplier_update(supplier=world["supplier"], data={"latitude": None, "longitude": None})
    client.force_login(world["keeper"])
    response = client.get(form_url(world))
    assert 'Producteur · Saint-Malo · <span class="muted">sans coordonnées</span>' in text(response)
    assert "badge ok" not in response.content.decode().split('id="supplier-place"')[1][:400]
    assert "local" not in flags(response, world["galettes"])


@pytest.mark.parametrize(
    ("query", "hidden"),
    [
        ("", set()),
        ("?bio=1", {"cidre"}),
        ("?local=1", set()),
        ("?local=1&bio=1", {"cidre"}),
        ("?bio=on", {"cidre"}),  # what a browser sends from an unticked box's default
    ],
)
def test_the_filters_work_without_javascript(client, world, query, hidden):
    client.force_login(world["keeper"])
    response = client.get(form_url(world, query))
    assert response.status_code == 200
    assert {name for name in ("galettes", "cidre") if is_hidden(response, world[name])} == hidden
    # The boxes stay ticked as asked.
    html = response.content.decode()
    for name in ("local", "bio"):
        box = re.search(rf'<input type="checkbox" name="{name}"[^>]*>', html).group(0)
        assert (" checked" in box) == (f"{name}=" in query)


def test_local_only_hides_everything_of_a_supplier_out_of_the_radius(client, world):
    Cooperative.objects.update(local_radius_km=50)
    client.force_login(world["keeper"])
    response = client.get(form_url(world, "?local=1"))
    assert is_hidden(response, world["galettes"]) and is_hidden(response, world["cidre"])
    # Their section too, left empty.
    assert row(response, world["galettes"]).section_hidden
    no_match = re.search(r'<p class="muted" id="no-match"[^>]*>', response.content.decode())
    assert " hidden" not in no_match.group(0)  # « Aucun produit ne correspond »


def test_a_new_radius_shows_at_once_despite_the_cached_rows(client, world):
    client.force_login(world["keeper"])
    assert "local" in flags(client.get(form_url(world)), world["galettes"])
    # Changed by the service (as the page and the API do): no catalogue version changes.
    cooperative_update(data={"local_radius_km": 60})
    response = client.get(form_url(world))
    assert "local" not in flags(response, world["galettes"])
    assert "badge ok" not in text(response).split('id="supplier-place"')[1][:400]
    cooperative_update(data={"local_radius_km": 80})
    assert "local" in flags(client.get(form_url(world)), world["galettes"])


def test_a_suppliers_labels_changed_show_at_once(client, world, django_capture_on_commit_callbacks):
    client.force_login(world["keeper"])
    assert "bio" in flags(client.get(form_url(world)), world["galettes"])
    with django_capture_on_commit_callbacks(execute=True):
        supplier_update(supplier=world["supplier"], data={"labels": ["HVE"]})
    response = client.get(form_url(world, "?bio=1"))
    assert "bio" not in flags(response, world["galettes"])
    assert is_hidden(response, world["galettes"])


def test_a_hidden_product_keeps_what_was_typed_and_is_saved(client, world):
    client.force_login(world["keeper"])
    galettes, cidre = world["galettes"], world["cidre"]
    data = {f"q{galettes.pk}": "6", f"t{galettes.pk}": "", f"q{cidre.pk}": "12", f"t{cidre.pk}": ""}
    response = client.post(form_url(world, "?bio=1"), data)
    assert response.status_code == 302
    saved = dict(
        OrderLine.objects.filter(order__shop=world["shop"]).values_list("product_id", "quantity")
    )
    assert saved == {galettes.pk: 6, cidre.pk: 12}


def test_an_error_on_a_filtered_out_product_keeps_it_in_sight(client, world):
    client.force_login(world["keeper"])
    cidre = world["cidre"]
    response = client.post(form_url(world, "?bio=1"), {f"q{cidre.pk}": "-3"})
    assert response.status_code == 400
    assert not is_hidden(response, cidre)


def test_the_filters_add_no_query_per_product(client, world, django_capture_on_commit_callbacks):
    client.force_login(world["keeper"])

    def count():
        client.get(form_url(world, "?local=1&bio=1"))  # the rows in the cache
        with CaptureQueriesContext(connection) as queries:
            assert client.get(form_url(world, "?local=1&bio=1")).status_code == 200
        return len(queries)

    few = count()
    with django_capture_on_commit_callbacks(execute=True):
        for n in range(20):
            ProductFactory(
                supplier=world["supplier"], name=f"Produit {n}", labels=["HVE"] * (n % 2)
            )
    assert count() == few


def test_the_flags_cost_a_few_bytes_a_product(client, world, django_capture_on_commit_callbacks):
    """Issue 18 keeps the order page light: the organic flag of a product without an
    origin or labels of its own adds its row's class, nothing else, and the local flag
    its section's class, once for all the section's products."""
    client.force_login(world["keeper"])
    galettes = world["galettes"]
    flagged = row(client.get(form_url(world)), galettes)
    with django_capture_on_commit_callbacks(execute=True):
        supplier_update(
            supplier=world["supplier"], data={"labels": [], "latitude": None, "longitude": None}
        )
    plain = row(client.get(form_url(world)), galettes)
    assert len(flagged.html) - len(plain.html) == len(" class=bio")
    assert flagged.html.replace(" class=bio", "", 1) == plain.html
    assert len(flagged.section) - len(plain.section) == len(" local")


def test_the_form_of_a_closed_round_says_who_supplied(client, world):
    close_round(world["round"])
    client.force_login(world["keeper"])
    body = text(client.get(form_url(world)))
    assert f"Producteur · Saint-Malo · à{NBSP}65{NBSP}km" in body
