"""The order page at scale (issue 18): its queries do not grow with the products nor the
orders; the catalogue part of its rows is cached per supplier and catalogue version and
follows every change to the catalogue; text responses are gzipped, PDFs are not."""

import gzip
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.http import HttpResponse
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext

from catalogue.csv_import import catalogue_import
from catalogue.models import PriceTier
from catalogue.services import product_save, supplier_update
from mache.compression import TextGZipMiddleware, uncompressed
from purchasing.views import order_rows
from shops.models import User
from tests.factories import (
    ProductFactory,
    ShopFactory,
    UserFactory,
    add_tiers,
    biscuit_round,
    make_order,
)
from tests.helpers import eur
from tests.helpers import page_text as text

from .order_form_helpers import products_part, row, row_ids


@pytest.fixture
def world(db):
    shop = ShopFactory(name="Épicerie de Romazy")
    world = biscuit_round()
    return {**world, "keeper": UserFactory(role=User.Role.SHOPKEEPER, shops=[shop])}


def page(client, world, query=""):
    return client.get(f"/commandes/{world['round'].pk}/{query}")


def queries_of_the_page(client, world, query="") -> int:
    page(client, world, query)  # the catalogue part in the cache
    with CaptureQueriesContext(connection) as queries:
        response = page(client, world, query)
    assert response.status_code == 200
    return len(queries)


def test_the_page_reads_the_same_number_of_queries_for_2_or_40_products(
    client, world, django_capture_on_commit_callbacks
):
    client.force_login(world["keeper"])
    few = queries_of_the_page(client, world)

    supplier, round_ = world["supplier"], world["round"]
    with django_capture_on_commit_callbacks(execute=True):  # a new catalogue version
        products = [
            ProductFactory(supplier=supplier, name=f"Produit {n}", category="Épicerie")
            for n in range(38)
        ]
        for product in products[::3]:
            add_tiers(product, (5, "0.5000"))
    for n in range(5):  # more shops, more lines
        make_order(round_, ShopFactory(), *[(product, n + 1, 1) for product in products[n::5]])
    many = queries_of_the_page(client, world)
    assert len(row_ids(client.get(f"/commandes/{round_.pk}/"))) == 40
    assert queries_of_the_page(client, world, "?detail=1") == many

    assert many == few
    assert many <= 14  # session, user, device, shops, round, order and lines, products and
    # tiers, the round's lines, the cooperative, recalls: none per product


def test_the_catalogue_part_is_rendered_once_then_read_from_the_cache(client, world, monkeypatch):
    client.force_login(world["keeper"])
    rendered = []
    real = order_rows.product_head
    monkeypatch.setattr(
        order_rows,
        "product_head",
        lambda product, tiers: rendered.append(product.pk) or real(product, tiers),
    )
    first = page(client, world)
    assert sorted(rendered) == sorted([world["galettes"].pk, world["cidre"].pk])
    rendered.clear()
    second = page(client, world)
    detail = page(client, world, "?detail=1")  # both forms of the row are in the entry
    assert rendered == []
    assert row(second, world["galettes"]).small == "GAL · par 6 · 2,5000\ndès 2 colis : 2,2000"
    assert eur("dès 2 colis : 2,2000 €") in row(detail, world["galettes"]).small
    # Same rows from the cache as rendered (the fills and inputs are made each time).
    assert products_part(first) == products_part(second)


def changed(client, world, django_capture_on_commit_callbacks, write):
    """The page after `write`, its after-commit callbacks run (the version is forgotten
    once the change is committed)."""
    page(client, world)
    with django_capture_on_commit_callbacks(execute=True):
        write()
    return text(page(client, world))


def test_a_product_saved_by_the_service_shows_at_once(
    client, world, django_capture_on_commit_callbacks
):
    client.force_login(world["keeper"])
    galettes = world["galettes"]
    body = changed(
        client,
        world,
        django_capture_on_commit_callbacks,
        lambda: product_save(
            product=galettes,
            data={
                "name": "Galettes au sarrasin",
                "price_tiers": [{"min_cases": 3, "unit_price": Decimal("2.1000")}],
            },
        ),
    )
    assert "Galettes au sarrasin" in body
    assert "dès 3 colis : 2,1000" in body
    assert "dès 2 colis" not in body


def test_a_tier_or_a_product_saved_through_the_orm_shows_at_once(
    client, world, django_capture_on_commit_callbacks
):
    # The admin and the factories save models: the signals (catalogue/signals.py).
    client.force_login(world["keeper"])
    cidre = world["cidre"]
    body = changed(
        client,
        world,
        django_capture_on_commit_callbacks,
        lambda: PriceTier.objects.create(product=cidre, min_cases=4, unit_price=Decimal("0.9")),
    )
    assert "dès 4 colis : 0,9000" in body

    def rename():
        cidre.name = "Cidre brut"
        cidre.save()

    assert "Cidre brut" in changed(client, world, django_capture_on_commit_callbacks, rename)


def test_a_catalogue_import_or_a_supplier_update_shows_at_once(
    client, world, django_capture_on_commit_callbacks, monkeypatch
):
    client.force_login(world["keeper"])
    csv = (
        "sku;name;unit_label;case_size;unit_price;vat_rate;price_tiers;active\n"
        "GAL;Galettes pur beurre;sachet;6;2,5;5,5;2:2,2;oui\n"
    )
    body = changed(
        client,
        world,
        django_capture_on_commit_callbacks,
        lambda: catalogue_import(
            supplier=world["supplier"],
            file=SimpleUploadedFile("c.csv", csv.encode(), content_type="text/csv"),
        ),
    )
    assert "Galettes pur beurre" in body

    rendered = []
    real = order_rows.product_head
    monkeypatch.setattr(
        order_rows,
        "product_head",
        lambda product, tiers: rendered.append(product) or real(product, tiers),
    )
    page(client, world)
    assert rendered == []
    with django_capture_on_commit_callbacks(execute=True):
        supplier_update(supplier=world["supplier"], data={"name": "Biscuiterie de Rimou SARL"})
    page(client, world)
    assert len(rendered) == 2  # a new version: both rows rendered again


def test_a_change_rolled_back_keeps_the_cached_rows(client, world, monkeypatch):
    client.force_login(world["keeper"])
    page(client, world)
    rendered = []
    real = order_rows.product_head
    monkeypatch.setattr(
        order_rows,
        "product_head",
        lambda product, tiers: rendered.append(product) or real(product, tiers),
    )
    world["cidre"].save()  # in the test's transaction, never committed: no callback runs
    page(client, world)
    assert rendered == []


def test_the_order_page_is_gzipped_and_a_pdf_is_not(client, world):
    client.force_login(world["keeper"])
    response = client.get(f"/commandes/{world['round'].pk}/", HTTP_ACCEPT_ENCODING="gzip")
    assert response["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in response["Vary"]
    assert b"Galettes" in gzip.decompress(response.content)

    request = RequestFactory().get("/", HTTP_ACCEPT_ENCODING="gzip")
    pdf = HttpResponse(b"%PDF-1.7" + b"x" * 1000, content_type="application/pdf")
    middleware = TextGZipMiddleware(lambda request: pdf)
    assert not middleware(request).has_header("Content-Encoding")
    csv = HttpResponse("a;b\n" * 300, content_type="text/csv; charset=utf-8")
    assert TextGZipMiddleware(lambda request: csv)(request)["Content-Encoding"] == "gzip"


def test_a_page_marked_uncompressed_is_sent_as_it_is():
    request = RequestFactory().get("/", HTTP_ACCEPT_ENCODING="gzip")
    secret = uncompressed(lambda request: HttpResponse("clé : JBSWY3DPEHPK3PXP " * 50))
    response = TextGZipMiddleware(secret)(request)
    assert not response.has_header("Content-Encoding")
