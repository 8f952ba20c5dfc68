"""The demo's suppliers say who they are and where (docs/local-producers.md): organic
producers within the radius of the hub, a wholesaler far away, a producer without
coordinates, products with labels of their own; loaded twice, the same."""

import json

import pytest

from accounting.services import cooperative_ledger
from catalogue import local
from catalogue.models import Product, Supplier
from purchasing.demo import demo_catalogue_load
from shops.demo import demo_members_load
from shops.models import Cooperative
from wiring.management.commands.load_demo import DEMO_FILE

pytestmark = pytest.mark.django_db


def load():
    data = json.loads(DEMO_FILE.read_text(encoding="utf-8"))
    cooperative_ledger()
    demo_members_load(data)
    demo_catalogue_load(data)


def places():
    cooperative = local.local_settings()
    return {
        supplier.name: local.supplier_place(supplier, cooperative)
        for supplier in Supplier.objects.order_by("name")
    }


def test_the_demo_suppliers_are_placed_around_the_hub():
    load()
    places_ = places()
    local_organic = [
        name
        for name, place in places_.items()
        if place.local and place.organic and place.kind == "producer"
    ]
    assert local_organic == ["Maraîchers du Pays de Fougères"]
    wholesaler = places_["Biocoop Grossiste Ouest"]
    assert wholesaler.kind == "wholesaler" and not wholesaler.local
    assert wholesaler.distance_km > 80
    unplaced = places_["Brasserie des Marches de Bretagne"]
    assert unplaced.kind == "producer" and unplaced.distance_km is None and not unplaced.local
    assert sum(place.local for place in places_.values()) == 3
    # Products with their own origin and labels; the rest take their supplier's.
    chocolate = Product.objects.select_related("supplier").get(sku="BG-CHOCO100")
    assert (chocolate.origin, chocolate.labels) == ("Pérou", ["AB", "COMMERCE_EQUITABLE"])
    assert local.product_is_organic(chocolate) and not local.product_is_local(
        chocolate, local.local_settings()
    )
    carrots = Product.objects.select_related("supplier").get(sku="MF-CAROT")
    assert carrots.labels == [] and local.product_labels(carrots) == ["AB"]


def test_loading_twice_changes_nothing_and_keeps_a_hub_typed_by_the_coordinator():
    load()
    before = (
        list(Supplier.objects.order_by("pk").values_list()),
        list(Product.objects.order_by("pk").values_list()),
    )
    Cooperative.objects.update(hub_latitude="48.11130", hub_longitude="-1.68000")
    load()
    after = (
        list(Supplier.objects.order_by("pk").values_list()),
        list(Product.objects.order_by("pk").values_list()),
    )
    assert after == before
    cooperative = Cooperative.objects.get()
    assert (str(cooperative.hub_latitude), str(cooperative.hub_longitude)) == (
        "48.11130",
        "-1.68000",
    )
