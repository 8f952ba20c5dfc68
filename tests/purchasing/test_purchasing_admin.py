"""The purchasing admin, as a coordinator uses it: catalogue editable, the rest shown only."""

from decimal import Decimal

import pytest

from catalogue.models import Product, Supplier
from purchasing.models import Invoice, SupplierOrder
from shops.models import User
from tests.factories import ProductFactory, UserFactory, add_tiers, build_shop_world

MODELS = ["supplier", "product", "round", "order", "supplierorder", "invoice"]
READ_ONLY = ["round", "order", "supplierorder", "invoice"]
CATALOGUE = {"supplier", "product"}  # the catalogue app's own admin


def admin_base(model_name: str) -> str:
    app = "catalogue" if model_name in CATALOGUE else "purchasing"
    return f"/admin/{app}/{model_name}/"


@pytest.fixture
def coordinator(db):
    """The Django admin is for a superuser's maintenance (docs/security.md): its tests
    log in as one, who acts as a coordinator everywhere else."""
    return UserFactory(
        username="maintenance", role=User.Role.COORDINATOR, is_superuser=True, is_staff=True
    )


@pytest.fixture
def world(coop, shop):
    world = build_shop_world(shop)
    [world["invoice"]] = world["invoices"]
    return world


@pytest.fixture
def coordinator_admin(client, coordinator):
    client.force_login(coordinator)
    return client


def object_of(model_name, world):
    return {
        "supplier": Supplier.objects.first,
        "product": Product.objects.first,
        "round": lambda: world["supplier_order"].round,
        "order": lambda: world["order"],
        "supplierorder": lambda: world["supplier_order"],
        "invoice": lambda: world["invoice"],
    }[model_name]()


@pytest.mark.parametrize("model_name", MODELS)
def test_a_coordinator_opens_each_changelist_and_change_page(coordinator_admin, world, model_name):
    base = admin_base(model_name)
    assert coordinator_admin.get(base).status_code == 200
    assert coordinator_admin.get(base, {"q": "a"}).status_code == 200
    obj = object_of(model_name, world)
    assert coordinator_admin.get(f"{base}{obj.pk}/change/").status_code == 200


@pytest.mark.parametrize(
    ("model_name", "query"),
    [
        ("product", {"vat_rate": "5.50", "active__exact": "1"}),
        ("round", {"status__exact": "received"}),
        ("supplierorder", {"status__exact": "received"}),
        ("invoice", {"year__exact": "2025"}),
        ("order", {"round__status__exact": "open"}),
    ],
)
def test_the_changelist_filters_answer(coordinator_admin, world, model_name, query):
    # An unknown lookup would redirect to "?e=1": a 200 means the filter exists.
    response = coordinator_admin.get(admin_base(model_name), query)
    assert response.status_code == 200


def test_filters_and_search_find_the_right_rows(coordinator_admin, world):
    supplier = world["supplier_order"].round.supplier
    product = Product.objects.get(supplier=supplier)
    response = coordinator_admin.get(
        "/admin/catalogue/product/", {"supplier__id__exact": supplier.pk, "q": product.sku}
    )
    assert list(response.context["cl"].result_list) == [product]

    invoice = world["invoice"]
    response = coordinator_admin.get(
        "/admin/purchasing/invoice/",
        {"q": "Romazy", "shop__id__exact": invoice.shop_id, "year__exact": invoice.year},
    )
    assert list(response.context["cl"].result_list) == [invoice]
    response = coordinator_admin.get("/admin/purchasing/invoice/", {"q": invoice.number})
    assert list(response.context["cl"].result_list) == [invoice]
    response = coordinator_admin.get("/admin/purchasing/invoice/", {"q": "Nulle part"})
    assert list(response.context["cl"].result_list) == []


def test_a_supplier_lists_its_products_with_links_to_them(coordinator_admin, world):
    product = Product.objects.first()
    response = coordinator_admin.get(f"/admin/catalogue/supplier/{product.supplier_id}/change/")
    page = response.content.decode()
    assert product.sku in page
    assert f"/admin/catalogue/product/{product.pk}/change/" in page


def test_a_product_page_shows_its_rate_and_tiers(coordinator_admin, coop):
    product = ProductFactory(vat_rate=Decimal("5.50"), unit_price=Decimal("2.5000"))
    add_tiers(product, (5, "2.2000"))
    response = coordinator_admin.get(f"/admin/catalogue/product/{product.pk}/change/")
    form = response.context["adminform"].form
    assert form["vat_rate"].value() == Decimal("5.50")
    assert '<option value="5.50" selected>' in response.content.decode()
    assert 'value="2.2000"' in response.content.decode()


def test_a_round_shows_its_orders_and_dates(coordinator_admin, world):
    round_ = world["order"].round
    response = coordinator_admin.get(f"/admin/purchasing/round/{round_.pk}/change/")
    assert world["shop"].name in response.content.decode()
    closes = round_.closes_at
    response = coordinator_admin.get(
        "/admin/purchasing/round/",
        {"closes_at__year": closes.year, "closes_at__month": closes.month},
    )
    assert response.status_code == 200


@pytest.mark.parametrize("model_name", READ_ONLY)
def test_shown_only_data_has_no_add_save_or_delete(coordinator_admin, world, model_name):
    base = admin_base(model_name)
    obj = object_of(model_name, world)
    changelist = coordinator_admin.get(base).content.decode()
    assert f"{base}add/" not in changelist
    assert "delete_selected" not in changelist
    page = coordinator_admin.get(f"{base}{obj.pk}/change/").content.decode()
    assert f"{base}{obj.pk}/delete/" not in page
    assert 'name="_save"' not in page
    assert coordinator_admin.get(f"{base}add/").status_code == 403
    assert coordinator_admin.get(f"{base}{obj.pk}/delete/").status_code == 403


def test_posting_to_an_invoice_changes_nothing(coordinator_admin, world):
    invoice = world["invoice"]
    before = (invoice.number, invoice.total_incl_vat, invoice.shop_id)
    response = coordinator_admin.post(
        f"/admin/purchasing/invoice/{invoice.pk}/change/",
        {"number": "F-FAUX-1", "total_incl_vat": "0.00"},
    )
    assert response.status_code == 403
    invoice.refresh_from_db()
    assert (invoice.number, invoice.total_incl_vat, invoice.shop_id) == before
    response = coordinator_admin.post(
        f"/admin/purchasing/invoice/{invoice.pk}/delete/", {"post": "yes"}
    )
    assert response.status_code == 403
    assert Invoice.objects.filter(pk=invoice.pk).exists()


def test_bulk_deleting_supplier_orders_is_not_offered(coordinator_admin, world):
    supplier_order = world["supplier_order"]
    response = coordinator_admin.post(
        "/admin/purchasing/supplierorder/",
        {"action": "delete_selected", "_selected_action": [supplier_order.pk], "post": "yes"},
    )
    assert response.status_code in (200, 302)
    assert SupplierOrder.objects.filter(pk=supplier_order.pk).exists()


@pytest.mark.parametrize("role_fixture", ["shopkeeper", "accountant"])
def test_other_roles_are_sent_to_the_login(client, request, role_fixture):
    client.force_login(request.getfixturevalue(role_fixture))
    for model_name in MODELS:
        response = client.get(admin_base(model_name))
        assert response.status_code == 302
        assert response.url.startswith("/admin/login/")


def product_form(product, **changes):
    tiers = list(product.price_tiers.order_by("min_cases"))
    data = {
        "supplier": product.supplier_id,
        "sku": product.sku,
        "name": product.name,
        "unit_label": product.unit_label,
        "case_size": product.case_size,
        "unit_price": str(product.unit_price),
        "vat_rate": str(product.vat_rate),
        "active": "on",
        "price_tiers-TOTAL_FORMS": len(tiers),
        "price_tiers-INITIAL_FORMS": len(tiers),
        "price_tiers-MIN_NUM_FORMS": 0,
        "price_tiers-MAX_NUM_FORMS": 1000,
    }
    for index, tier in enumerate(tiers):
        data |= {
            f"price_tiers-{index}-id": tier.pk,
            f"price_tiers-{index}-product": product.pk,
            f"price_tiers-{index}-min_cases": tier.min_cases,
            f"price_tiers-{index}-unit_price": str(tier.unit_price),
        }
    return data | changes


def test_a_coordinator_edits_a_product_and_its_tiers(coordinator_admin, coop):
    product = ProductFactory(unit_price=Decimal("2.5000"))
    add_tiers(product, (5, "2.2000"))
    response = coordinator_admin.post(
        f"/admin/catalogue/product/{product.pk}/change/",
        product_form(product, name="Farine T80", **{"price_tiers-0-unit_price": "2.1000"}),
    )
    assert response.status_code == 302, response.context["errors"]
    product.refresh_from_db()
    assert product.name == "Farine T80"
    assert list(product.price_tiers.values_list("unit_price", flat=True)) == [Decimal("2.1000")]


def test_the_admin_refuses_a_base_price_below_a_tier(coordinator_admin, coop):
    product = ProductFactory(unit_price=Decimal("2.5000"))
    add_tiers(product, (5, "2.2000"))
    response = coordinator_admin.post(
        f"/admin/catalogue/product/{product.pk}/change/", product_form(product, unit_price="2.0000")
    )
    assert response.status_code == 200
    assert "dépasse le prix de base" in response.content.decode()
    product.refresh_from_db()
    assert product.unit_price == Decimal("2.5000")


def test_the_admin_refuses_a_sku_taken_at_the_same_supplier(coordinator_admin, coop):
    product = ProductFactory(sku="A")
    ProductFactory(supplier=product.supplier, sku="B")
    response = coordinator_admin.post(
        f"/admin/catalogue/product/{product.pk}/change/", product_form(product, sku="B")
    )
    assert response.status_code == 200
    assert "Cette référence existe déjà chez ce fournisseur." in response.content.decode()
    assert Product.objects.get(pk=product.pk).sku == "A"
