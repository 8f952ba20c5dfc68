"""The purchase order and invoice PDFs, read back as text with poppler's pdftotext."""

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from mache.formats import format_date, format_eur, format_rate
from purchasing import selectors
from purchasing.models import Invoice, Round, SupplierOrder
from purchasing.pdf import invoice_pdf, purchase_order_pdf
from purchasing.services.consolidation import round_consolidate
from purchasing.services.lifecycle import round_cancel
from purchasing.services.receipt import supplier_order_receive
from tests.factories import (
    CooperativeFactory,
    ProductFactory,
    RoundFactory,
    ShopFactory,
    SupplierFactory,
    add_tiers,
    make_order,
)
from tests.helpers import page_count, pdf_text, plain, save_first_page_png

# --- The data: a real round, consolidated and received ------------------------------------


@pytest.fixture
def coop(db):
    return CooperativeFactory(
        name="MACHE Haute-Bretagne",
        legal_name="SCIC MACHE HAUTE-BRETAGNE",
        siret="12345678900012",
        address="2 rue de la Mairie",
        postcode="35560",
        commune="Bazouges-la-Pérouse",
    )


@pytest.fixture
def supplier(db):
    # "&" in the name: paragraphs must escape it, not read it as markup.
    return SupplierFactory(
        name="Laiterie Saint-Malo & Fils",
        siret="98765432100017",
        email="commandes@laiterie.example",
        address="ZA de la Gare, 35400 Saint-Malo",
        shipping_fee=Decimal("25.00"),
        free_shipping_threshold=Decimal("300.00"),
        min_order_amount=Decimal("0.00"),
    )


@pytest.fixture
def products(supplier):
    butter = ProductFactory(
        supplier=supplier,
        sku="BEU-250",
        name="Beurre demi-sel 250 g",
        case_size=12,
        unit_price=Decimal("2.0750"),
        vat_rate=Decimal("5.50"),
    )
    yogurt = ProductFactory(
        supplier=supplier,
        sku="YAO-NAT",
        name="Yaourt nature × 4",
        case_size=6,
        unit_price=Decimal("1.6600"),
        vat_rate=Decimal("5.50"),
    )
    add_tiers(yogurt, (2, "1.5000"))  # two cases together: the pooling saving
    cider = ProductFactory(
        supplier=supplier,
        sku="CID-75",
        name="Cidre brut 75 cl",
        case_size=6,
        unit_price=Decimal("3.9000"),
        vat_rate=Decimal("20.00"),
    )
    return butter, yogurt, cider


def past_round(supplier):
    return RoundFactory(
        supplier=supplier,
        opens_at=timezone.now() - dt.timedelta(days=3),
        closes_at=timezone.now() - dt.timedelta(minutes=1),
        delivery_date=dt.date(2026, 11, 26),
    )


@pytest.fixture
def consolidated(coop, supplier, products, shop, other_shop):
    butter, yogurt, cider = products
    round_ = past_round(supplier)
    make_order(round_, shop, (butter, 12, 0), (yogurt, 6, 0), (cider, 6, 0))
    make_order(round_, other_shop, (butter, 12, 0), (yogurt, 6, 0), (cider, 6, 0))
    return round_consolidate(round_id=round_.pk)


@pytest.fixture
def invoices(consolidated, shop, other_shop):
    issued = supplier_order_receive(supplier_order_id=consolidated.pk, received={})
    return {invoice.shop_id: invoice for invoice in issued}


def big_round(coop, n_products: int):
    """A received round of one shop with `n_products` lines."""
    supplier = SupplierFactory()
    shop = ShopFactory()
    round_ = past_round(supplier)
    lines = [
        (
            ProductFactory(
                supplier=supplier,
                name=f"Article de test numéro {i}",
                case_size=1,
                unit_price=Decimal("1.2345"),
            ),
            2,
            0,
        )
        for i in range(n_products)
    ]
    make_order(round_, shop, *lines)
    supplier_order = round_consolidate(round_id=round_.pk)
    [invoice] = supplier_order_receive(supplier_order_id=supplier_order.pk, received={})
    return supplier_order, invoice


# --- Purchase order -----------------------------------------------------------------------


def test_the_purchase_order_shows_the_parties_the_lines_and_the_totals(consolidated, tmp_path):
    supplier_order = SupplierOrder.objects.get(pk=consolidated.pk)

    data = purchase_order_pdf(supplier_order)

    assert data.startswith(b"%PDF")
    save_first_page_png(data, tmp_path, "purchase-order")
    text = pdf_text(data, tmp_path)
    assert f"Bon de commande n° {supplier_order.pk}" in text
    for identity in (
        "MACHE Haute-Bretagne",
        "SCIC MACHE HAUTE-BRETAGNE",
        "SIRET 123 456 789 00012",
        "2 rue de la Mairie",
        "35560 Bazouges-la-Pérouse",
        "Laiterie Saint-Malo & Fils",
        "SIRET 987 654 321 00017",
        "commandes@laiterie.example",
        "ZA de la Gare, 35400 Saint-Malo",
    ):
        assert identity in text
    assert "Date de livraison souhaitée : 26/11/2026" in text
    assert "Livraison à la plateforme : 2 rue de la Mairie, 35560 Bazouges-la-Pérouse" in text
    assert "Date de commande : " + format_date(timezone.localdate()) in text

    rows = {
        line.split()[0]: line.split()
        for line in text.splitlines()
        if line.strip().startswith(("BEU-", "YAO-", "CID-"))
    }
    # SKU, name..., cases, units, unit price €, amount €
    assert rows["BEU-250"][-6:] == ["2", "24", "2,0750", "€", "49,80", "€"]
    assert rows["YAO-NAT"][-6:] == ["2", "12", "1,5000", "€", "18,00", "€"]
    assert rows["CID-75"][-6:] == ["2", "12", "3,9000", "€", "46,80", "€"]
    assert list(rows) == ["BEU-250", "CID-75", "YAO-NAT"]  # in the supplier's reference order
    assert "Beurre demi-sel 250 g" in text

    assert supplier_order.total_excl_vat == Decimal("114.60")
    assert re.search(r"Total HT\s+114,60 €", text)
    assert re.search(r"Frais de port HT\s+25,00 €", text)
    assert re.search(r"Total HT port compris\s+" + plain(format_eur(Decimal("139.60"))), text)
    assert "À valider" not in text and "annulée" not in text
    assert "Page 1 / 1" in text


def test_free_shipping_reads_offerts(coop, supplier, products, shop, tmp_path):
    supplier.free_shipping_threshold = Decimal("100.00")
    supplier.save()
    butter, yogurt, cider = products
    round_ = past_round(supplier)
    make_order(round_, shop, (butter, 48, 0), (cider, 6, 0))
    supplier_order = round_consolidate(round_id=round_.pk)
    assert supplier_order.shipping == Decimal("0.00")

    text = pdf_text(purchase_order_pdf(supplier_order), tmp_path)

    assert re.search(r"Frais de port HT\s+offerts", text)
    assert re.search(
        r"Total HT port compris\s+" + plain(format_eur(supplier_order.total_excl_vat)), text
    )


def test_an_order_under_the_minimum_says_it_awaits_validation(
    coop, supplier, products, shop, tmp_path
):
    supplier.min_order_amount = Decimal("500.00")
    supplier.save()
    round_ = past_round(supplier)
    make_order(round_, shop, (products[0], 12, 0))
    supplier_order = round_consolidate(round_id=round_.pk)
    assert supplier_order.status == SupplierOrder.Status.NEEDS_REVIEW

    text = pdf_text(purchase_order_pdf(supplier_order), tmp_path)

    assert "À valider : sous le minimum de commande (500,00 € HT)" in text


def test_a_cancelled_order_says_so(consolidated, tmp_path):
    round_cancel(round_id=consolidated.round_id)
    supplier_order = SupplierOrder.objects.get(pk=consolidated.pk)
    assert supplier_order.status == SupplierOrder.Status.CANCELLED

    text = pdf_text(purchase_order_pdf(supplier_order), tmp_path)

    assert "Commande annulée" in text


def test_an_order_left_without_lines_says_so(coop, supplier, products, shop, tmp_path):
    round_ = past_round(supplier)
    make_order(round_, shop, (products[0], 5, 0))  # 5 of a case of 12: dropped
    supplier_order = round_consolidate(round_id=round_.pk)
    assert not supplier_order.lines.exists()

    text = pdf_text(purchase_order_pdf(supplier_order), tmp_path)

    assert "Aucun article : aucun produit n'a atteint un colis complet." in text
    assert re.search(r"Total HT\s+0,00 €", text)


# --- Invoice ------------------------------------------------------------------------------


def test_the_invoice_shows_the_parties_the_lines_the_vat_and_the_legal_mentions(
    invoices, shop, other_shop, tmp_path
):
    invoice = Invoice.objects.get(pk=invoices[shop.pk].pk)

    data = invoice_pdf(invoice)

    assert data.startswith(b"%PDF")
    save_first_page_png(data, tmp_path, "invoice")
    text = pdf_text(data, tmp_path)
    assert re.fullmatch(r"MACHE-\d{4}-\d{6}", invoice.number)
    assert f"Facture n° {invoice.number}" in text
    assert f"Date d'émission : {format_date(invoice.issued_on)}" in text
    for identity in (
        "MACHE Haute-Bretagne",
        "SCIC MACHE HAUTE-BRETAGNE",
        "SIRET 123 456 789 00012",
        shop.legal_name,
        shop.name,
        shop.address,
        f"{shop.postcode} {shop.commune}",
        "SIRET " + " ".join([shop.siret[:3], shop.siret[3:6], shop.siret[6:9], shop.siret[9:]]),
        "Laiterie Saint-Malo & Fils",
        "26/11/2026",
    ):
        assert identity in text, identity
    assert other_shop.name not in text

    lines = list(invoice.lines.order_by("position"))
    assert [ln.label for ln in lines[:3]] == [
        "Beurre demi-sel 250 g",
        "Yaourt nature × 4",
        "Cidre brut 75 cl",
    ]
    for line in lines:
        row = next(r for r in text.splitlines() if plain(line.label) in r)
        assert plain(format_eur(line.amount)) in row
        assert plain(format_rate(line.vat_rate)) in row
    assert re.search(r"Beurre demi-sel 250 g\s+12\s+unité\s+2,0750 €\s+24,90 €\s+5,5 %", text)

    for vat in invoice.vat_lines.all():
        assert re.search(
            re.escape(plain(format_rate(vat.rate)))
            + r"\s+"
            + re.escape(plain(format_eur(vat.base)))
            + r"\s+"
            + re.escape(plain(format_eur(vat.amount))),
            text,
        )
    assert re.search(r"Total HT\s+" + plain(format_eur(invoice.total_excl_vat)), text)
    assert re.search(r"Total TVA\s+" + plain(format_eur(invoice.total_vat)), text)
    assert re.search(
        r"Total TTC — net à payer\s+" + plain(format_eur(invoice.total_incl_vat)), text
    )
    assert invoice.savings == Decimal("0.96")  # 6 yogurts at 1.66 - 1.50
    assert "Économie réalisée grâce aux achats groupés : 0,96 €" in text

    due = format_date(invoice.issued_on + dt.timedelta(days=30))
    assert f"Paiement à 30 jours, au plus tard le {due}." in text
    assert "Pas d'escompte pour paiement anticipé." in text
    assert (
        "Pénalités de retard : trois fois le taux d'intérêt légal ; indemnité forfaitaire "
        "pour frais de recouvrement : 40 €."
    ) in text


def test_an_invoice_without_saving_does_not_mention_one(coop, supplier, products, shop, tmp_path):
    round_ = past_round(supplier)
    make_order(round_, shop, (products[0], 12, 0))
    supplier_order = round_consolidate(round_id=round_.pk)
    [invoice] = supplier_order_receive(supplier_order_id=supplier_order.pk, received={})
    assert invoice.savings == Decimal("0.00")

    text = pdf_text(invoice_pdf(invoice), tmp_path)

    assert "Économie" not in text
    assert re.search(
        r"Total TTC — net à payer\s+" + plain(format_eur(invoice.total_incl_vat)), text
    )


# --- Many lines: pages and queries --------------------------------------------------------


def test_long_documents_run_over_pages_with_the_header_row_repeated(coop, tmp_path):
    supplier_order, invoice = big_round(coop, 120)

    for data, header in (
        (purchase_order_pdf(supplier_order), ("Référence", "Désignation", "Montant HT")),
        (invoice_pdf(invoice), ("Désignation", "Quantité", "Montant HT")),
    ):
        pages = page_count(data, tmp_path)
        assert pages > 1
        second = pdf_text(data, tmp_path, page=2)
        assert all(title in second for title in header), second[:500]
        assert f"Page 2 / {pages}" in second
        # The last line of the document is there, and only once.
        full = pdf_text(data, tmp_path)
        assert full.count("Article de test numéro 119") == 1
        assert f"Page {pages} / {pages}" in full


def captured_queries(render) -> int:
    with CaptureQueriesContext(connection) as captured:
        render()
    return len(captured)


def test_the_query_count_does_not_grow_with_the_lines(coop, django_assert_num_queries):
    small_order, small_invoice = big_round(coop, 3)
    large_order, large_invoice = big_round(coop, 60)

    def order_queries(supplier_order):
        return captured_queries(
            lambda: purchase_order_pdf(SupplierOrder.objects.get(pk=supplier_order.pk))
        )

    def invoice_queries(invoice):
        return captured_queries(lambda: invoice_pdf(Invoice.objects.get(pk=invoice.pk)))

    assert order_queries(small_order) == order_queries(large_order)
    assert invoice_queries(small_invoice) == invoice_queries(large_invoice)

    supplier_order = SupplierOrder.objects.get(pk=large_order.pk)
    # cooperative, round, supplier, lines, products
    with django_assert_num_queries(5):
        purchase_order_pdf(supplier_order)
    invoice = Invoice.objects.get(pk=large_invoice.pk)
    # round, supplier, lines, their products (the e-invoice's unit codes), VAT lines (both
    # parties are on the invoice as issued)
    with django_assert_num_queries(5):
        invoice_pdf(invoice)


def test_instances_from_the_selectors_cost_only_the_cooperative(
    coop, coordinator, django_assert_num_queries
):
    supplier_order, invoice = big_round(coop, 20)
    supplier_order = selectors.supplier_order_list(user=coordinator).get(pk=supplier_order.pk)
    invoice = selectors.invoice_list(user=coordinator).get(pk=invoice.pk)

    with django_assert_num_queries(1):
        purchase_order_pdf(supplier_order)
    # The parties as issued are on the invoice; the lines' products (the e-invoice's unit
    # codes) are the one read.
    with django_assert_num_queries(1):
        invoice_pdf(invoice)


# --- API ----------------------------------------------------------------------------------


def test_a_coordinator_downloads_the_purchase_order(api, coordinator, consolidated):
    response = api.as_user(coordinator).get(f"/api/supplier-orders/{consolidated.pk}/pdf/")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")


def test_a_shopkeeper_may_not_download_the_purchase_order(api, shopkeeper, consolidated):
    response = api.as_user(shopkeeper).get(f"/api/supplier-orders/{consolidated.pk}/pdf/")

    assert response.status_code == 403


def test_a_shopkeeper_downloads_their_own_invoice_only(api, shopkeeper, shop, other_shop, invoices):
    client = api.as_user(shopkeeper)

    own = client.get(f"/api/invoices/{invoices[shop.pk].pk}/pdf/")
    foreign = client.get(f"/api/invoices/{invoices[other_shop.pk].pk}/pdf/")

    assert own.status_code == 200
    assert own["Content-Type"] == "application/pdf"
    assert own.content.startswith(b"%PDF")
    assert foreign.status_code == 404


def test_the_purchase_order_prints_before_the_cooperative_is_recorded_no_invoice_issues(db):
    # An invoice is a valid e-invoice or is not issued (docs/e-invoicing.md): without the
    # cooperative's record, the seller has no SIREN and the receipt is refused, naming
    # the rule; the purchase order still prints.
    from purchasing.facturx.validation import FacturXInvalid
    from shops.models import Cooperative
    from tests.factories import ProductFactory, RoundFactory, ShopFactory, make_order

    product = ProductFactory(case_size=1)
    round_ = RoundFactory(supplier=product.supplier)
    Cooperative.objects.all().delete()
    make_order(round_, ShopFactory(), (product, 3, 0))
    Round.objects.filter(pk=round_.pk).update(closes_at=timezone.now() - dt.timedelta(minutes=1))
    supplier_order = round_consolidate(round_id=round_.pk)
    assert purchase_order_pdf(supplier_order).startswith(b"%PDF")
    with pytest.raises(FacturXInvalid) as refused:
        supplier_order_receive(supplier_order_id=supplier_order.pk, received={})
    assert "BR-FR-10_BT-30" in refused.value.extra["rules"]
