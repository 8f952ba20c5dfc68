"""Reading a supplier's e-invoice (docs/supplier-invoices.md, "Reading"): the three
formats our factory writes read back to the same fields; the files that are not an
e-invoice the cooperative can take refused with the reason in French."""

import datetime as dt
import io
from decimal import Decimal

import pytest

from mache.identifiers import siret_from, vat_number_for
from purchasing.supplier_invoices.reading import EInvoiceUnreadable, read_einvoice
from tests.factories import ShopFactory
from tests.factories.purchasing import received_round
from tests.factories.supplier_einvoices import (
    InvoiceSpec,
    Line,
    Party,
    Shipping,
    cii_xml,
    facturx_pdf,
    spec_for_supplier_order,
    ubl_xml,
)

SELLER_SIRET = siret_from(12345678)
BUYER_SIRET = siret_from(87654321)


def a_spec(**changes) -> InvoiceSpec:
    spec = InvoiceSpec(
        number="FA-2026-0042",
        issued_on=dt.date(2026, 3, 2),
        seller=Party("Biscuiterie de Rimou", SELLER_SIRET, vat_number_for(SELLER_SIRET)),
        buyer=Party("Coopérative des épiceries", BUYER_SIRET, vat_number_for(BUYER_SIRET)),
        lines=(
            Line("GAL", "Galettes", Decimal("12"), Decimal("2.2000"), Decimal("5.50"), "17"),
            Line("CID", "Cidre", Decimal("24"), Decimal("1.0450"), Decimal("20.00")),
        ),
        shipping=(
            Shipping(Decimal("10.00"), Decimal("5.50")),
            Shipping(Decimal("15.00"), Decimal("20.00")),
        ),
        order_reference="CF-000123",
        delivery_date=dt.date(2026, 3, 1),
        due_on=dt.date(2026, 4, 1),
    )
    return spec.replace(**changes) if changes else spec


WRITERS = {"cii": cii_xml, "ubl": ubl_xml, "facturx": facturx_pdf}


def refusal(data: bytes, filename: str = "") -> str:
    with pytest.raises(EInvoiceUnreadable) as caught:
        read_einvoice(data, filename)
    assert list(caught.value.errors) == ["file"]
    (reason,) = caught.value.errors["file"]
    return reason


@pytest.mark.parametrize("format", list(WRITERS))
def test_each_format_reads_back_to_the_fields_written(format):
    spec = a_spec()
    data = WRITERS[format](spec)

    invoice = read_einvoice(data, f"facture.{format}")

    assert invoice.format == format
    assert (invoice.number, invoice.type_code, invoice.currency) == ("FA-2026-0042", "380", "EUR")
    assert (invoice.issued_on, invoice.delivery_date, invoice.due_on) == (
        dt.date(2026, 3, 2),
        dt.date(2026, 3, 1),
        dt.date(2026, 4, 1),
    )
    assert invoice.order_reference == "CF-000123"
    assert invoice.seller.name == "Biscuiterie de Rimou"
    assert (invoice.seller.siret, invoice.seller.siren) == (SELLER_SIRET, SELLER_SIRET[:9])
    assert invoice.seller.vat_number == vat_number_for(SELLER_SIRET)
    assert invoice.buyer.siret == BUYER_SIRET
    assert [
        (ln.seller_item_id, ln.buyer_item_id, ln.name, ln.quantity, ln.net_unit_price, ln.amount)
        for ln in invoice.lines
    ] == [
        ("GAL", "17", "Galettes", Decimal("12"), Decimal("2.2"), Decimal("26.40")),
        ("CID", "", "Cidre", Decimal("24"), Decimal("1.045"), Decimal("25.08")),
    ]
    assert [(ln.vat_category, ln.vat_rate, ln.unit_code) for ln in invoice.lines] == [
        ("S", Decimal("5.50"), "C62"),
        ("S", Decimal("20.00"), "C62"),
    ]
    assert [(c.is_charge, c.amount, c.reason_code, c.vat_rate) for c in invoice.charges] == [
        (True, Decimal("10.00"), "FC", Decimal("5.50")),
        (True, Decimal("15.00"), "FC", Decimal("20.00")),
    ]
    assert invoice.shipping == Decimal("25.00")
    assert [(v.rate, v.base, v.amount) for v in invoice.vat] == [
        (Decimal("5.50"), Decimal("36.40"), Decimal("2.00")),
        (Decimal("20.00"), Decimal("40.08"), Decimal("8.02")),
    ]
    assert (
        invoice.total_lines,
        invoice.total_charges,
        invoice.total_allowances,
        invoice.total_excl_vat,
        invoice.total_vat,
        invoice.total_incl_vat,
        invoice.amount_due,
    ) == (
        Decimal("51.48"),
        Decimal("25.00"),
        Decimal("0"),
        Decimal("76.48"),
        Decimal("10.02"),
        Decimal("86.50"),
        Decimal("86.50"),
    )


def test_the_spec_of_a_received_supplier_order_is_what_the_cooperative_expects(db):
    shop, other = ShopFactory(), ShopFactory()
    invoices = received_round({shop: 6, other: 12}, unit_price="2.5000", vat_rate="5.50")
    supplier_order = invoices[shop.pk].round.supplier_order
    line = supplier_order.lines.select_related("product").get()

    spec = spec_for_supplier_order(supplier_order, number="F-1")
    invoice = read_einvoice(cii_xml(spec))

    supplier = supplier_order.round.supplier
    assert invoice.order_reference == f"CF-{supplier_order.pk:06d}"
    assert invoice.delivery_date == supplier_order.round.delivery_date
    assert invoice.seller.siret == supplier.siret
    assert [
        (ln.seller_item_id, ln.buyer_item_id, ln.quantity, ln.net_unit_price)
        for ln in invoice.lines
    ] == [(line.product.sku, str(line.product_id), Decimal(line.received_units), line.unit_price)]
    assert invoice.lines[0].amount == line.amount
    assert invoice.shipping == supplier_order.shipping
    assert invoice.total_excl_vat == supplier_order.total_excl_vat + supplier_order.shipping


def test_a_scenario_changes_the_spec_in_one_line(db):
    shop = ShopFactory()
    invoices = received_round({shop: 12})
    supplier_order = invoices[shop.pk].round.supplier_order
    sku = supplier_order.lines.get().product.sku

    lower = spec_for_supplier_order(supplier_order, number="F-2", unit_prices={sku: "2.1000"})
    missing = spec_for_supplier_order(supplier_order, number="F-3", without={sku}, shipping="0")
    shipping = spec_for_supplier_order(supplier_order, number="F-4", shipping="31.50")

    assert lower.lines[0].unit_price == Decimal("2.1000")
    assert lower.lines[0].amount == Decimal("25.20")
    assert missing.lines == () and missing.shipping == ()
    assert sum(c.amount for c in shipping.shipping) == Decimal("31.50")


# Bad input.


def test_a_pdf_without_embedded_xml_is_refused():
    from reportlab.pdfgen import canvas

    out = io.BytesIO()
    page = canvas.Canvas(out)
    page.drawString(72, 720, "Facture FA-1")
    page.save()

    assert refusal(out.getvalue(), "facture.pdf") == (
        "Ce PDF ne contient pas de facture électronique (aucun XML Factur-X ou ZUGFeRD intégré)."
    )


def test_a_broken_pdf_is_refused():
    assert refusal(b"%PDF-1.7\n garbage").startswith("Ce PDF est illisible")


def test_an_xml_that_is_no_invoice_is_refused():
    assert refusal(b"<?xml version='1.0'?><commande><ligne/></commande>") == (
        "Ce fichier XML n'est ni une facture CII ni une facture UBL 2.1."
    )


def test_a_malformed_xml_is_refused():
    assert refusal(cii_xml(a_spec())[:-40]).startswith("Ce fichier XML est mal formé")


def test_an_empty_file_is_refused():
    assert refusal(b"") == "Le fichier est vide."


def test_a_file_too_big_is_refused(settings):
    settings.MAX_UPLOAD_BYTES = 1000
    assert refusal(cii_xml(a_spec())).startswith("Le fichier est trop volumineux")


@pytest.mark.parametrize(
    "doctype",
    [
        # External entity (XXE): the file would be read into the invoice.
        b'<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>',
        # Entity expansion ("billion laughs").
        b'<!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>',
        # An external DTD fetched from the network.
        b'<!DOCTYPE r SYSTEM "http://127.0.0.1:9/evil.dtd">',
    ],
)
def test_a_doctype_is_refused_before_anything_reads_it(doctype):
    xml = (
        cii_xml(a_spec())
        .replace(b"<rsm:CrossIndustryInvoice", doctype + b"\n<rsm:CrossIndustryInvoice", 1)
        .replace(b"<ram:Name>Galettes</ram:Name>", b"<ram:Name>&x;</ram:Name>")
    )

    reason = refusal(xml)

    assert "DTD" in reason or "mal formé" in reason
    assert "root:" not in reason


def test_xxe_is_not_expanded_even_when_well_formed():
    xml = (
        cii_xml(a_spec())
        .replace(
            b"<rsm:CrossIndustryInvoice",
            b'<!DOCTYPE rsm:CrossIndustryInvoice [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n'
            b"<rsm:CrossIndustryInvoice",
            1,
        )
        .replace(b"<ram:Name>Galettes</ram:Name>", b"<ram:Name>&x;</ram:Name>")
    )

    reason = refusal(xml)

    assert "DOCTYPE" in reason
    assert "root" not in reason


@pytest.mark.parametrize("format", list(WRITERS))
def test_totals_that_do_not_add_up_are_refused_naming_them(format):
    spec = a_spec(overrides={"BT-112": Decimal("90.00"), "BT-115": Decimal("90.00")})

    reason = refusal(WRITERS[format](spec))

    assert reason.startswith("Les totaux ne s'additionnent pas : ")
    assert "total TTC (BT-112 : 90,00) ≠ total HT + TVA (76,48 + 10,02 = 86,50)" in reason


@pytest.mark.parametrize("format", list(WRITERS))
def test_a_vat_amount_that_is_not_base_times_rate_is_refused(format):
    spec = a_spec(
        overrides={
            "BT-110": Decimal("11.02"),
            "BT-112": Decimal("87.50"),
            "BT-115": Decimal("87.50"),
        }
    )

    reason = refusal(WRITERS[format](spec))

    assert "total de TVA (BT-110 : 11,02) ≠ somme de la TVA par taux (10,02)" in reason


@pytest.mark.parametrize("format", list(WRITERS))
def test_a_line_that_is_not_quantity_times_price_is_refused(format):
    spec = a_spec()
    galettes = spec.lines[0].__class__(
        **{**spec.lines[0].__dict__, "amount_override": Decimal("26.50")}
    )
    spec = spec.replace(lines=(galettes, spec.lines[1]))

    reason = refusal(WRITERS[format](spec))

    assert "Ligne 1 (Galettes) : le montant 26,50 n'est pas la quantité × le prix net" in reason


@pytest.mark.parametrize("format", list(WRITERS))
def test_an_invoice_in_another_currency_is_refused(format):
    reason = refusal(WRITERS[format](a_spec(currency="USD")))

    assert "La facture est en USD : seules les factures en euros (EUR) sont acceptées." in reason


def test_the_en16931_rules_apply_to_a_cii_invoice():
    # Standard-rated lines from a seller without a VAT number: BR-S-02 (EN 16931), which
    # no business check of ours looks at.
    spec = a_spec(seller=Party("Biscuiterie de Rimou", SELLER_SIRET, ""))

    reason = refusal(cii_xml(spec))

    assert reason.startswith("Cette facture CII enfreint les règles EN 16931")
    assert "BR-S-02" in reason


def test_a_cii_that_breaks_its_xsd_is_refused():
    xml = cii_xml(a_spec()).replace(b"<ram:TypeCode>380</ram:TypeCode>", b"", 1)

    reason = refusal(xml)

    assert reason.startswith("Cette facture CII ne respecte pas le schéma XSD Factur-X EN 16931")


def test_a_ubl_that_breaks_its_xsd_is_refused():
    # The currency before the type code: UBL is an ordered schema.
    xml = ubl_xml(a_spec()).replace(b"<cbc:InvoiceTypeCode>380</cbc:InvoiceTypeCode>", b"", 1)
    xml = xml.replace(
        b"<cbc:DocumentCurrencyCode>EUR</cbc:DocumentCurrencyCode>",
        b"<cbc:DocumentCurrencyCode>EUR</cbc:DocumentCurrencyCode>"
        b"<cbc:InvoiceTypeCode>380</cbc:InvoiceTypeCode>",
        1,
    )

    reason = refusal(xml)

    assert reason.startswith("Cette facture UBL ne respecte pas le schéma XSD UBL 2.1")
    assert "InvoiceTypeCode" in reason


def test_a_ubl_credit_note_is_read_with_its_type_code():
    xml = ubl_xml(a_spec(type_code="381"))
    xml = (
        xml.replace(
            b"urn:oasis:names:specification:ubl:schema:xsd:Invoice-2",
            b"urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2",
        )
        .replace(b"<Invoice ", b"<CreditNote ")
        .replace(b"</Invoice>", b"</CreditNote>")
        .replace(b"InvoiceTypeCode", b"CreditNoteTypeCode")
        .replace(b"InvoiceLine", b"CreditNoteLine")
        .replace(b"InvoicedQuantity", b"CreditedQuantity")
    )
    # A credit note has no DueDate of its own (BT-9 goes in its payment means).
    xml = xml.replace(b"<cbc:DueDate>2026-04-01</cbc:DueDate>", b"", 1)

    invoice = read_einvoice(xml, "avoir.xml")

    assert (invoice.type_code, invoice.number, invoice.total_incl_vat) == (
        "381",
        "FA-2026-0042",
        Decimal("86.50"),
    )
    assert [line.quantity for line in invoice.lines] == [Decimal("12"), Decimal("24")]


def test_a_pdf_whose_embedded_xml_breaks_the_rules_is_refused_as_such():
    spec = a_spec(seller=Party("Biscuiterie de Rimou", SELLER_SIRET, ""))

    reason = refusal(facturx_pdf(spec), "facture.pdf")

    assert reason.startswith("Le XML Factur-X de ce PDF enfreint les règles EN 16931")


@pytest.mark.parametrize(
    "entity",
    [b'<!ENTITY x SYSTEM "file:///etc/hostname">', b'<!ENTITY x "Galettes">'],
    ids=["external", "internal"],
)
def test_a_pdf_embedding_an_xml_with_a_doctype_gives_nothing_away(entity):
    from pypdf import PdfWriter
    from reportlab.pdfgen import canvas

    xml = (
        cii_xml(a_spec())
        .replace(
            b"<rsm:CrossIndustryInvoice",
            b"<!DOCTYPE rsm:CrossIndustryInvoice [" + entity + b"]>\n<rsm:CrossIndustryInvoice",
            1,
        )
        .replace(b"<ram:Name>Galettes</ram:Name>", b"<ram:Name>&x;</ram:Name>")
    )
    page = io.BytesIO()
    drawing = canvas.Canvas(page)
    drawing.drawString(72, 720, "Facture FA-1")
    drawing.save()
    writer = PdfWriter(clone_from=io.BytesIO(page.getvalue()))
    writer.add_attachment("factur-x.xml", xml)
    pdf = io.BytesIO()
    writer.write(pdf)

    reason = refusal(pdf.getvalue(), "facture.pdf")

    # factur-x skips an XML it cannot parse (the external entity is never loaded); one it
    # can is refused by ours for its DOCTYPE.
    assert reason in (
        "Ce PDF ne contient pas de facture électronique (aucun XML Factur-X ou ZUGFeRD intégré).",
        "Le XML intégré à ce PDF déclare une DTD (DOCTYPE) : refusé, une facture "
        "électronique n'en contient pas (protection contre les entités externes).",
    )
