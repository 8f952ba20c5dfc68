"""Local producers on the coordinator's pages (docs/local-producers.md): the supplier's
kind, commune, coordinates and labels, its distance and « Local »; the product's origin
and labels; the cooperative's hub and radius. Bad input is said beside its field,
what was typed is kept, nothing is written."""

from decimal import Decimal

import pytest

from catalogue.models import PriceTier, Product, Supplier
from shops.models import Cooperative
from tests.factories import CooperativeFactory, ProductFactory, SupplierFactory
from tests.helpers import page_text, rows_of, text_of

from .test_pages import field_block, input_value

SUPPLIER = {
    "name": "Ferme du Clos",
    "email": "ferme@clos.example",
    "min_order_amount": "0",
    "shipping_fee": "0",
    "kind": "producer",
    "commune": "Saint-Malo",
    "latitude": "48,6493",
    "longitude": "-2,0257",
    "labels": ["AB", "HVE"],
}


@pytest.fixture
def hub(db):
    cooperative = CooperativeFactory()
    Cooperative.objects.filter(pk=cooperative.pk).update(
        hub_latitude=Decimal("48.1113"), hub_longitude=Decimal("-1.6800")
    )
    return Cooperative.objects.get()


def catalogue_rows():
    return rows_of(Supplier, Product, PriceTier)


def test_the_coordinator_records_a_local_producer(client, coordinator, hub):
    client.force_login(coordinator)
    response = client.post("/coordination/fournisseurs/nouveau/", SUPPLIER, follow=True)
    assert response.status_code == 200
    supplier = Supplier.objects.get()
    assert (supplier.kind, supplier.commune, supplier.latitude, supplier.longitude) == (
        "producer",
        "Saint-Malo",
        Decimal("48.64930"),
        Decimal("-2.02570"),
    )
    assert supplier.labels == ["AB", "HVE"]
    text = page_text(response)
    # The page says the distance to the hub (mache.geo: 65.0 km) and « Local ».
    assert "Producteur · Saint-Malo · à\u00a065\u00a0km" in text
    assert '<span class="badge ok">Local</span>' in text
    assert input_value(response, "latitude") == "48,64930"
    assert 'value="AB" checked' in text_of(response).replace(' id="id_labels_0"', "")


def test_the_suppliers_list_shows_kind_distance_local_and_no_coordinates(
    client, coordinator, hub, django_assert_max_num_queries
):
    SupplierFactory(
        name="Ferme du Clos",
        kind="producer",
        commune="Saint-Malo",
        latitude=Decimal("48.6493"),
        longitude=Decimal("-2.0257"),
        labels=["AB"],
    )
    SupplierFactory(
        name="Grossiste Lyonnais", latitude=Decimal("45.764"), longitude=Decimal("4.8357")
    )
    SupplierFactory(name="Maraîcher sans GPS", kind="producer")
    client.force_login(coordinator)
    response = client.get("/coordination/fournisseurs/")
    text = page_text(response)
    assert "Producteur · Saint-Malo · à\u00a065\u00a0km Local Agriculture biologique (AB)" in (
        page_text(response)
        .replace('<span class="badge ok">', "")
        .replace('<span class="badge">', "")
        .replace("</span>", "")
    )
    assert "Grossiste · " in text and text.count("badge ok") == 1
    assert "sans coordonnées" in text
    # Rows do not add queries (the cooperative is read once).
    SupplierFactory.create_batch(10, latitude=Decimal("48.2"), longitude=Decimal("-1.5"))
    with django_assert_max_num_queries(8) as few:
        client.get("/coordination/fournisseurs/")
    count = len(few.captured_queries)
    SupplierFactory.create_batch(10, latitude=Decimal("48.3"), longitude=Decimal("-1.4"))
    with django_assert_max_num_queries(count):
        client.get("/coordination/fournisseurs/")


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"latitude": "40,0", "longitude": "-1,68"}, "latitude", "hors de France"),
        ({"latitude": "-1,68", "longitude": "48,11"}, "latitude", "hors de France"),
        ({"longitude": ""}, "latitude", "ou aucune des deux"),
        ({"latitude": "", "longitude": "-1,68"}, "latitude", "ou aucune des deux"),
        ({"latitude": "quarante-huit"}, "latitude", "degrés décimaux"),
        ({"latitude": "48,123456"}, "latitude", "Cinq décimales au plus."),
        ({"latitude": "95"}, "latitude", "entre -90 et 90"),
        ({"kind": "artisan"}, "kind", "Choisissez un type de la liste."),
        ({"labels": ["AB", "BIO_LOCAL"]}, "labels", "Choisissez des labels de la liste."),
    ],
)
def test_a_bad_place_or_label_is_said_beside_its_field_and_writes_nothing(
    client, coordinator, hub, changes, field, message
):
    client.force_login(coordinator)
    before = catalogue_rows()
    response = client.post("/coordination/fournisseurs/nouveau/", {**SUPPLIER, **changes})
    assert response.status_code == 200
    if field == "labels":
        block = text_of(response).split("<legend>Labels</legend>")[1].split("</fieldset>")[0]
    else:
        block = field_block(response, field)
    assert 'class="errorlist"' in block and message in block
    assert input_value(response, "commune") == "Saint-Malo"
    assert catalogue_rows() == before


def test_moving_a_supplier_out_of_the_radius_drops_local(client, coordinator, hub):
    supplier = SupplierFactory(
        name="Ferme du Clos", latitude=Decimal("48.6493"), longitude=Decimal("-2.0257")
    )
    client.force_login(coordinator)
    assert '<span class="badge ok">Local</span>' in text_of(
        client.get(f"/coordination/fournisseurs/{supplier.pk}/")
    )
    response = client.post(
        f"/coordination/fournisseurs/{supplier.pk}/",
        {**SUPPLIER, "latitude": "45,764", "longitude": "4,8357", "commune": "Lyon"},
        follow=True,
    )
    assert "badge ok" not in text_of(response)
    assert "Lyon · à\u00a0" in page_text(response)


def test_a_supplier_page_says_when_the_hub_has_no_coordinates(client, coordinator, coop):
    supplier = SupplierFactory(latitude=Decimal("48.6493"), longitude=Decimal("-2.0257"))
    client.force_login(coordinator)
    text = page_text(client.get(f"/coordination/fournisseurs/{supplier.pk}/"))
    assert "distance inconnue" in text and "La plateforme n'a pas de coordonnées" in text


def test_the_product_form_takes_its_origin_and_labels(client, coordinator, hub):
    from .test_pages import product_form

    supplier = SupplierFactory(labels=["AB"])
    client.force_login(coordinator)
    response = client.post(
        "/coordination/produits/nouveau/",
        product_form(supplier, origin="Vergers de Guichen", labels=["LABEL_ROUGE", "AOP"]),
    )
    assert response.status_code == 302, page_text(response)
    product = Product.objects.get()
    assert product.origin == "Vergers de Guichen"
    # In the labels' own order, whatever the order ticked.
    assert product.labels == ["LABEL_ROUGE", "AOP"]
    page = client.get(f"/coordination/produits/{product.pk}/")
    assert input_value(page, "origin") == "Vergers de Guichen"
    # Unticking every label: its supplier's apply again.
    client.post(
        f"/coordination/produits/{product.pk}/", product_form(supplier, origin="", labels=None)
    )
    product.refresh_from_db()
    assert (product.labels, product.origin) == ([], "")


def test_a_bad_product_label_writes_nothing(client, coordinator, hub):
    from .test_pages import product_form

    product = ProductFactory(labels=["AB"])
    client.force_login(coordinator)
    before = catalogue_rows()
    response = client.post(
        f"/coordination/produits/{product.pk}/",
        product_form(product.supplier, labels=["AB", "NOPE"]),
    )
    assert response.status_code == 200
    assert "Choisissez des labels de la liste." in text_of(response)
    assert catalogue_rows() == before


# --- The cooperative's page: the hub and the radius ------------------------------------


def cooperative_form(cooperative, **changes):
    data = {
        "name": cooperative.name,
        "legal_name": cooperative.legal_name,
        "siret": cooperative.siret,
        "share_value": "50,00",
        "hub_latitude": "48,1113",
        "hub_longitude": "-1,68",
        "local_radius_km": "80",
    }
    data.update(changes)
    return data


def test_the_coordinator_sets_the_radius_and_a_supplier_stops_being_local(client, coordinator, hub):
    supplier = SupplierFactory(latitude=Decimal("48.6493"), longitude=Decimal("-2.0257"))
    client.force_login(coordinator)
    response = client.post(
        "/coordination/cooperative/", cooperative_form(hub, local_radius_km="50")
    )
    assert response.status_code == 302, page_text(response)
    assert Cooperative.objects.get().local_radius_km == 50
    assert "badge ok" not in text_of(client.get(f"/coordination/fournisseurs/{supplier.pk}/"))


def test_an_empty_radius_keeps_the_saved_one(client, coordinator, hub):
    client.force_login(coordinator)
    response = client.post("/coordination/cooperative/", cooperative_form(hub, local_radius_km=""))
    assert response.status_code == 302
    assert Cooperative.objects.get().local_radius_km == 80


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"local_radius_km": "0"}, "local_radius_km", "au moins 1 km"),
        ({"local_radius_km": "-1"}, "local_radius_km", "au moins 1 km"),
        ({"local_radius_km": "1001"}, "local_radius_km", "1000 km au plus"),
        ({"hub_latitude": "40"}, "hub_latitude", "hors de France"),
        ({"hub_longitude": ""}, "hub_latitude", "ou aucune des deux"),
    ],
)
def test_a_bad_radius_or_hub_is_said_beside_its_field_and_writes_nothing(
    client, coordinator, hub, changes, field, message
):
    client.force_login(coordinator)
    before = list(Cooperative.objects.values_list())
    response = client.post("/coordination/cooperative/", cooperative_form(hub, **changes))
    assert response.status_code == 400
    block = field_block(response, field)
    assert 'class="errorlist"' in block and message in block
    # One message, not the form's and the model's both.
    assert block.count("<li>") == 1
    assert list(Cooperative.objects.values_list()) == before
