"""Local producers (docs/local-producers.md): distances, the local flag, effective labels,
computed by catalogue.local from mache.geo and catalogue.labels."""

from decimal import Decimal

import pytest

from catalogue import local
from catalogue.models import Product
from shops.models import Cooperative
from tests.factories import CooperativeFactory, ProductFactory, SupplierFactory

RENNES = (Decimal("48.11130"), Decimal("-1.68000"))
SAINT_MALO = (Decimal("48.64930"), Decimal("-2.02570"))
# Rennes to Saint-Malo by mache.geo's great circle, to one decimal (half up).
RENNES_SAINT_MALO_KM = Decimal("65.0")


def hub_at(place, radius=80):
    cooperative = CooperativeFactory()
    cooperative.hub_latitude, cooperative.hub_longitude = place
    cooperative.local_radius_km = radius
    cooperative.save()
    return local.local_settings()


@pytest.mark.django_db
def test_distance_to_the_hub_is_the_great_circle_to_one_decimal():
    cooperative = hub_at(RENNES)
    supplier = SupplierFactory(latitude=SAINT_MALO[0], longitude=SAINT_MALO[1])

    assert local.supplier_distance_km(supplier, cooperative) == RENNES_SAINT_MALO_KM
    assert local.supplier_is_local(supplier, cooperative)


@pytest.mark.django_db
def test_the_local_flag_follows_the_radius():
    hub_at(RENNES, radius=65)
    supplier = SupplierFactory(latitude=SAINT_MALO[0], longitude=SAINT_MALO[1])
    # 65.0 km within a radius of 65: the radius itself is local.
    assert local.supplier_is_local(supplier, local.local_settings())

    Cooperative.objects.update(local_radius_km=64)
    assert not local.supplier_is_local(supplier, local.local_settings())


@pytest.mark.django_db
def test_a_supplier_moved_out_of_the_radius_is_no_longer_local():
    cooperative = hub_at(RENNES)
    supplier = SupplierFactory(latitude=SAINT_MALO[0], longitude=SAINT_MALO[1])
    assert local.supplier_is_local(supplier, cooperative)

    supplier.latitude, supplier.longitude = Decimal("45.76400"), Decimal("4.83570")  # Lyon
    supplier.save()
    supplier.refresh_from_db()

    assert local.supplier_distance_km(supplier, cooperative) > 500
    assert not local.supplier_is_local(supplier, cooperative)


@pytest.mark.django_db
def test_a_producer_without_coordinates_is_not_local():
    cooperative = hub_at(RENNES)
    producer = SupplierFactory(kind="producer")

    assert local.supplier_distance_km(producer, cooperative) is None
    assert not local.supplier_is_local(producer, cooperative)
    assert local.supplier_place(producer, cooperative).distance_text == "sans coordonnées"


@pytest.mark.django_db
def test_a_hub_without_coordinates_gives_no_distance():
    CooperativeFactory()
    cooperative = local.local_settings()
    supplier = SupplierFactory(latitude=SAINT_MALO[0], longitude=SAINT_MALO[1])

    assert local.supplier_distance_km(supplier, cooperative) is None
    assert not local.supplier_is_local(supplier, cooperative)
    # No cooperative at all: the same.
    assert local.supplier_distance_km(supplier, None) is None


@pytest.mark.django_db
def test_no_cooperative_recorded_reads_a_stand_in_with_the_default_radius():
    cooperative = local.local_settings()
    assert cooperative.local_radius_km == 80
    assert cooperative.hub_latitude is None


@pytest.mark.django_db
def test_a_products_labels_are_its_own_else_its_suppliers():
    supplier = SupplierFactory(labels=["AB", "HVE"])
    inherits = ProductFactory(supplier=supplier)
    own = ProductFactory(supplier=supplier, labels=["LABEL_ROUGE"])

    assert local.product_labels(inherits) == ["AB", "HVE"]
    assert local.product_is_organic(inherits)
    assert local.product_labels(own) == ["LABEL_ROUGE"]
    assert not local.product_is_organic(own)


@pytest.mark.django_db
def test_organic_q_selects_the_same_products_as_product_is_organic():
    organic_supplier = SupplierFactory(labels=["AB"])
    plain_supplier = SupplierFactory(labels=[])
    products = [
        ProductFactory(supplier=organic_supplier),
        ProductFactory(supplier=organic_supplier, labels=["HVE"]),
        ProductFactory(supplier=plain_supplier, labels=["DEMETER"]),
        ProductFactory(supplier=plain_supplier),
    ]

    selected = set(Product.objects.filter(local.organic_q()).values_list("pk", flat=True))

    assert selected == {p.pk for p in products if local.product_is_organic(p)}
    assert selected == {products[0].pk, products[2].pk}


@pytest.mark.django_db
def test_a_product_is_local_when_its_supplier_is():
    cooperative = hub_at(RENNES)
    near = ProductFactory(supplier=SupplierFactory(latitude=RENNES[0], longitude=RENNES[1]))
    far = ProductFactory(supplier=SupplierFactory())

    assert local.product_is_local(near, cooperative)
    assert not local.product_is_local(far, cooperative)
    assert local.local_supplier_ids([near.supplier, far.supplier], cooperative) == {
        near.supplier_id
    }


def test_the_distance_in_french():
    assert local.distance_text(Decimal("12.0")) == "à\u00a012\u00a0km"
    assert local.distance_text(Decimal("65.4")) == "à\u00a065,4\u00a0km"
    assert local.distance_text(None) == "sans coordonnées"
    assert local.kind_name("producer") == "Producteur"
    assert local.label_names(["AB", "LABEL_ROUGE"]) == [
        "Agriculture biologique (AB)",
        "Label Rouge",
    ]
