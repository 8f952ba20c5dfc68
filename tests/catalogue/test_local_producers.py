"""Local producers (docs/local-producers.md): distances, the local flag, effective labels,
computed by catalogue.local from mache.geo and catalogue.labels."""

from decimal import Decimal

import pytest

from catalogue import local
from catalogue.models import Product, Supplier
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


# --- The API (docs/api.md, "Local producers") ------------------------------------------

SUPPLIER = {
    "name": "Ferme du Clos",
    "min_order_amount": "0.00",
    "shipping_fee": "0.00",
    "kind": "producer",
    "commune": "Saint-Malo",
    "latitude": "48.64930",
    "longitude": "-2.02570",
    "labels": ["ab", "Label Rouge"],
}


def supplier_rows():
    return list(Supplier.objects.order_by("pk").values_list())


@pytest.mark.django_db
def test_a_supplier_gives_its_place_its_labels_its_distance_and_local(api, coordinator):
    hub_at(RENNES)
    response = api.as_user(coordinator).post("/api/suppliers/", SUPPLIER, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert {k: body[k] for k in ("kind", "commune", "latitude", "longitude")} == {
        "kind": "producer",
        "commune": "Saint-Malo",
        "latitude": "48.64930",
        "longitude": "-2.02570",
    }
    # Labels as typed, codes back (catalogue.labels.label_code).
    assert body["labels"] == ["AB", "LABEL_ROUGE"]
    assert body["distance_km"] == "65.0"
    assert body["local"] is True
    assert Supplier.objects.get().labels == ["AB", "LABEL_ROUGE"]


@pytest.mark.django_db
def test_a_supplier_without_coordinates_has_no_distance_and_is_not_local(api, coordinator):
    hub_at(RENNES)
    payload = {**SUPPLIER, "latitude": None, "longitude": None}
    body = api.as_user(coordinator).post("/api/suppliers/", payload, format="json").json()
    assert (body["distance_km"], body["local"]) == (None, False)


@pytest.mark.django_db
def test_without_the_hubs_coordinates_the_distance_is_null(api, coordinator):
    CooperativeFactory()
    body = api.as_user(coordinator).post("/api/suppliers/", SUPPLIER, format="json").json()
    assert (body["distance_km"], body["local"]) == (None, False)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"latitude": "40.00000", "longitude": "-1.68000"}, "latitude"),  # Spain
        ({"latitude": "-1.68000", "longitude": "48.11130"}, "latitude"),  # swapped
        ({"latitude": "48.11130", "longitude": None}, "latitude"),
        ({"latitude": None, "longitude": "-1.68000"}, "latitude"),
        ({"latitude": "95.00000"}, "latitude"),
        ({"labels": ["AB", "BIO_LOCAL"]}, "labels"),
        ({"labels": "AB"}, "labels"),
        ({"kind": "artisan"}, "kind"),
    ],
)
def test_bad_places_and_labels_are_400_naming_the_field_and_write_nothing(
    api, coordinator, change, field
):
    hub_at(RENNES)
    response = api.as_user(coordinator).post(
        "/api/suppliers/", {**SUPPLIER, **change}, format="json"
    )
    assert response.status_code == 400
    assert list(response.json()) == [field]
    assert not Supplier.objects.exists()


@pytest.mark.django_db
def test_outside_france_is_said_in_french(api, coordinator):
    response = api.as_user(coordinator).post(
        "/api/suppliers/", {**SUPPLIER, "latitude": "40.00000"}, format="json"
    )
    assert "hors de France métropolitaine et d'outre-mer" in response.json()["latitude"][0]


@pytest.mark.django_db
def test_an_unknown_label_lists_the_known_codes(api, coordinator):
    response = api.as_user(coordinator).post(
        "/api/suppliers/", {**SUPPLIER, "labels": ["bio local"]}, format="json"
    )
    message = " ".join(response.json()["labels"])
    assert "BIO_LOCAL" in message and "AB" in message and "LABEL_ROUGE" in message


@pytest.mark.django_db
def test_overseas_coordinates_are_in_france(api, coordinator):
    payload = {**SUPPLIER, "latitude": "-21.11500", "longitude": "55.53600"}  # La Réunion
    assert (
        api.as_user(coordinator).post("/api/suppliers/", payload, format="json").status_code == 201
    )


@pytest.mark.django_db
def test_patching_one_coordinate_of_a_supplier_without_any_is_400(api, coordinator):
    supplier = SupplierFactory()
    before = supplier_rows()
    response = api.as_user(coordinator).patch(
        f"/api/suppliers/{supplier.pk}/", {"latitude": "48.11130"}, format="json"
    )
    assert response.status_code == 400
    assert list(response.json()) == ["latitude"]
    assert supplier_rows() == before


@pytest.mark.django_db
def test_a_supplier_moved_out_of_the_radius_over_the_api(api, coordinator):
    hub_at(RENNES)
    client = api.as_user(coordinator)
    supplier = client.post("/api/suppliers/", SUPPLIER, format="json").json()
    moved = client.patch(
        f"/api/suppliers/{supplier['id']}/",
        {"latitude": "45.76400", "longitude": "4.83570", "commune": "Lyon"},
        format="json",
    ).json()
    assert moved["local"] is False
    assert float(moved["distance_km"]) > 500


@pytest.mark.django_db
def test_the_radius_changed_over_the_api_flips_the_local_flag(api, coordinator):
    hub_at(RENNES)
    client = api.as_user(coordinator)
    supplier = client.post("/api/suppliers/", SUPPLIER, format="json").json()
    response = client.patch("/api/cooperative/", {"local_radius_km": 60}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["local_radius_km"] == 60
    assert client.get(f"/api/suppliers/{supplier['id']}/").json()["local"] is False
    client.patch("/api/cooperative/", {"local_radius_km": 66}, format="json")
    assert client.get(f"/api/suppliers/{supplier['id']}/").json()["local"] is True


@pytest.mark.django_db
def test_the_hub_is_read_and_changed_over_the_api(api, coordinator):
    CooperativeFactory()
    client = api.as_user(coordinator)
    assert client.get("/api/cooperative/").json()["local_radius_km"] == 80
    response = client.patch(
        "/api/cooperative/",
        {"hub_latitude": "48.11130", "hub_longitude": "-1.68000"},
        format="json",
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["hub_latitude"], body["hub_longitude"]) == ("48.11130", "-1.68000")
    assert Cooperative.objects.get().hub_latitude == RENNES[0]


def cooperative_row():
    return list(Cooperative.objects.values_list())


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"local_radius_km": 0}, "local_radius_km"),
        ({"local_radius_km": -1}, "local_radius_km"),
        ({"local_radius_km": "loin"}, "local_radius_km"),
        ({"hub_latitude": "40.00000", "hub_longitude": "-1.68000"}, "hub_latitude"),
        ({"hub_latitude": "48.11130"}, "hub_latitude"),
        ({"hub_latitude": "48.11130", "hub_longitude": None}, "hub_latitude"),
    ],
)
def test_bad_hub_or_radius_is_400_naming_the_field_and_writes_nothing(
    api, coordinator, change, field
):
    CooperativeFactory()
    before = cooperative_row()
    response = api.as_user(coordinator).patch("/api/cooperative/", change, format="json")
    assert response.status_code == 400
    assert list(response.json()) == [field]
    assert cooperative_row() == before


@pytest.mark.django_db
def test_only_the_coordinator_changes_the_radius(api, shopkeeper):
    hub_at(RENNES)
    response = api.as_user(shopkeeper).patch(
        "/api/cooperative/", {"local_radius_km": 10}, format="json"
    )
    assert response.status_code == 403
    assert Cooperative.objects.get().local_radius_km == 80


@pytest.mark.django_db
def test_a_products_own_labels_and_origin_over_the_api(api, coordinator):
    hub_at(RENNES)
    supplier = SupplierFactory(labels=["AB"], latitude=RENNES[0], longitude=RENNES[1])
    product = ProductFactory(supplier=supplier)
    client = api.as_user(coordinator)
    body = client.get(f"/api/products/{product.pk}/").json()
    # Its supplier's labels apply: organic; the supplier is at the hub: local.
    assert (body["labels"], body["organic"], body["local"]) == ([], True, True)

    response = client.patch(
        f"/api/products/{product.pk}/",
        {"labels": ["hve"], "origin": "Vergers de Guichen"},
        format="json",
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["labels"], body["origin"], body["organic"]) == (
        ["HVE"],
        "Vergers de Guichen",
        False,
    )


@pytest.mark.django_db
def test_an_unknown_product_label_is_400_and_writes_nothing(api, coordinator):
    product = ProductFactory(labels=["AB"])
    response = api.as_user(coordinator).patch(
        f"/api/products/{product.pk}/", {"labels": ["AB", "Extra"]}, format="json"
    )
    assert response.status_code == 400
    assert list(response.json()) == ["labels"]
    product.refresh_from_db()
    assert product.labels == ["AB"]


@pytest.mark.django_db
def test_the_lists_read_the_cooperative_once_whatever_their_rows(
    api, shopkeeper, django_assert_num_queries
):
    hub_at(RENNES)
    client = api.as_user(shopkeeper)
    for count in (2, 20):
        for supplier in SupplierFactory.create_batch(
            count, latitude=SAINT_MALO[0], longitude=SAINT_MALO[1], labels=["AB"]
        ):
            ProductFactory(supplier=supplier)
        # token lookup, count, page, the cooperative
        with django_assert_num_queries(4):
            suppliers = client.get("/api/suppliers/").json()
        assert all(row["local"] for row in suppliers["results"])
        # token lookup, count, page (with its supplier), tiers, the cooperative
        with django_assert_num_queries(5):
            products = client.get("/api/products/").json()
        assert all(row["local"] and row["organic"] for row in products["results"])


# --- The CSV import: the product's own origin and labels (optional columns) -------------

CSV_HEADER = "sku;name;unit_label;case_size;unit_price;vat_rate;price_tiers;active"


def post_csv(client, supplier, text):
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("catalogue.csv", text.encode(), content_type="text/csv")
    return client.post(
        f"/api/suppliers/{supplier.pk}/import/", {"file": upload}, format="multipart"
    )


@pytest.mark.django_db
def test_the_import_takes_origin_and_labels_when_the_file_has_them(api, coordinator):
    supplier = SupplierFactory(labels=["AB"])
    text = (
        f"{CSV_HEADER};origin;labels\n"
        "CID;Cidre;bouteille;12;1,0000;20;;1;Pays d'Auge;igp|Label Rouge\n"
        "JUS;Jus;bouteille;6;1,5000;5,5;;1;;\n"
    )
    response = post_csv(api.as_user(coordinator), supplier, text)
    assert response.status_code == 200, response.json()
    stored = dict(
        (sku, (origin, labels))
        for sku, origin, labels in Product.objects.values_list("sku", "origin", "labels")
    )
    assert stored == {"CID": ("Pays d'Auge", ["IGP", "LABEL_ROUGE"]), "JUS": ("", [])}


@pytest.mark.django_db
def test_a_file_without_those_columns_keeps_them(api, coordinator):
    supplier = SupplierFactory()
    ProductFactory(supplier=supplier, sku="CID", origin="Pays d'Auge", labels=["IGP"])
    text = f"{CSV_HEADER}\nCID;Cidre brut;bouteille;12;1,0000;20;;1\n"
    assert post_csv(api.as_user(coordinator), supplier, text).status_code == 200
    product = Product.objects.get()
    assert (product.name, product.origin, product.labels) == ("Cidre brut", "Pays d'Auge", ["IGP"])


@pytest.mark.django_db
def test_an_unknown_label_in_the_file_is_a_line_error_and_writes_nothing(api, coordinator):
    supplier = SupplierFactory()
    text = f"{CSV_HEADER};labels\nCID;Cidre;bouteille;12;1,0000;20;;1;AB|Bio local\n"
    response = post_csv(api.as_user(coordinator), supplier, text)
    assert response.status_code == 400
    [message] = response.json()["file"]
    assert message.startswith("Ligne 2 : labels (labels) : label inconnu : BIO_LOCAL")
    assert not Product.objects.exists()
