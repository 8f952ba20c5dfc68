"""The Factur-X PDFs of invoices and credit notes (docs/e-invoicing.md, "The Factur-X PDF
(PDF/A-3)"): the CII XML embedded, the PDF/A-3 and Factur-X XMP, embedded fonts, the
sRGB output intent, and the mentions French law requires, read back with pdftotext."""

import io
import re
import subprocess
from decimal import Decimal
from pathlib import Path

import facturx
import pytest
from lxml import etree
from PIL import Image, ImageCms
from pypdf import PdfReader

from mache.formats import format_date, format_eur
from mache.pdf import PageFrame, para, render
from purchasing.facturx import credit_note_cii, invoice_cii
from purchasing.facturx.pdf import SRGB_CONDITION, facturx_pdf, srgb_icc_profile
from purchasing.models import CreditNote, Invoice
from purchasing.pdf import credit_note_pdf, invoice_pdf
from purchasing.services.credit_notes import credit_note_issue
from tests.factories import CooperativeFactory
from tests.factories.purchasing import received_round
from tests.helpers import pdf_text, plain, squeezed

SAMPLE_XML = (Path(__file__).parent / "fixtures" / "cii_en16931_sample.xml").read_bytes()
XMP_NS = {
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "pdfaid": "http://www.aiim.org/pdfa/ns/id/",
    "fx": "urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#",
    "dc": "http://purl.org/dc/elements/1.1/",
}


def reading_text(data: bytes, tmp_path: Path) -> str:
    """The PDF's text in reading order (pdftotext without -layout): each block whole, so
    that a mention wrapped within the seller's column is not interleaved with the buyer's,
    spaces squeezed."""
    path = tmp_path / "reading.pdf"
    path.write_bytes(data)
    result = subprocess.run(
        ["pdftotext", str(path), "-"], capture_output=True, check=True, text=True
    )
    return squeezed(plain(result.stdout))


def sample_pdf() -> bytes:
    return render(
        [para("Facture n° MACHE-2026-000001 — 26,27 €")],
        frame=PageFrame("MACHE", "Facture"),
        title="Facture",
        author="MACHE",
    )


def xmp_of(reader: PdfReader):
    metadata = reader.trailer["/Root"]["/Metadata"].get_object()
    return etree.fromstring(metadata.get_data())


def xmp_value(xmp, path: str) -> str:
    [value] = xmp.xpath(f"//{path}/text()", namespaces=XMP_NS)
    return value


def fonts_of(reader: PdfReader) -> dict[str, object]:
    """Every font the pages use, by base font name, with its font descriptor."""
    fonts = {}
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descriptor = font.get("/FontDescriptor")
            fonts[str(font["/BaseFont"])] = descriptor.get_object() if descriptor else None
    return fonts


def assert_pdfa3_facturx(data: bytes, xml: bytes) -> PdfReader:
    """What tests can see of a Factur-X EN 16931 PDF/A-3 without veraPDF."""
    assert data.startswith(b"%PDF-1.7\n%")
    reader = PdfReader(io.BytesIO(data))
    assert not reader.is_encrypted
    root = reader.trailer["/Root"]
    assert reader.trailer.get("/ID")

    # The XML, embedded as factur-x.xml and associated with the document (AF, Data).
    name, embedded = facturx.get_xml_from_pdf(data, check_xsd=False)
    assert (name, embedded) == ("factur-x.xml", xml)
    [filespec] = [spec.get_object() for spec in root["/AF"]]
    assert filespec["/F"] == filespec["/UF"] == "factur-x.xml"
    assert filespec["/AFRelationship"] == "/Data"
    stream = filespec["/EF"]["/F"].get_object()
    assert stream["/Subtype"] == "/text/xml" and "/ModDate" in stream["/Params"]

    # The XMP: PDF/A-3 B, Factur-X EN 16931, uncompressed, saying what the Info says.
    metadata = root["/Metadata"].get_object()
    assert "/Filter" not in metadata
    xmp = xmp_of(reader)
    assert xmp_value(xmp, "pdfaid:part") == "3"
    assert xmp_value(xmp, "pdfaid:conformance") == "B"
    assert xmp_value(xmp, "fx:ConformanceLevel") == "EN 16931"
    assert xmp_value(xmp, "fx:DocumentType") == "INVOICE"
    assert xmp_value(xmp, "fx:DocumentFileName") == "factur-x.xml"
    info = reader.metadata
    assert info.title == xmp_value(xmp, "dc:title/rdf:Alt/rdf:li")
    assert info.author == xmp_value(xmp, "dc:creator/rdf:Seq/rdf:li")
    assert info.subject == xmp_value(xmp, "dc:description/rdf:Alt/rdf:li")
    assert info.producer == reader.xmp_metadata.pdf_producer
    assert info.creator == reader.xmp_metadata.xmp_creator_tool
    assert info.creation_date.replace(tzinfo=None) == reader.xmp_metadata.xmp_create_date
    assert "/Keywords" not in info and "/Trapped" not in info

    # The sRGB output intent, its profile embedded.
    [intent] = [item.get_object() for item in root["/OutputIntents"]]
    assert intent["/S"] == "/GTS_PDFA1"
    assert intent["/OutputConditionIdentifier"] == SRGB_CONDITION
    profile = intent["/DestOutputProfile"].get_object()
    assert profile["/N"] == 3
    assert profile.get_data() == srgb_icc_profile()

    # Every font embedded (TrueType, FontFile2): no built-in Helvetica left.
    fonts = fonts_of(reader)
    assert fonts
    for name, descriptor in fonts.items():
        assert descriptor is not None and "/FontFile2" in descriptor, name
    # Nothing transparent: no soft mask or group, no constant alpha below 1.
    for page in reader.pages:
        assert "/Group" not in page
        for state in (page["/Resources"].get("/ExtGState") or {}).values():
            state = state.get_object()
            assert state.get("/CA", 1) == 1 and state.get("/ca", 1) == 1
            assert state.get("/SMask", "/None") == "/None"
    return reader


# --- The embedding, on a sample ---------------------------------------------------------


def test_a_pdf_and_its_xml_make_a_facturx_pdfa3():
    data = facturx_pdf(
        sample_pdf(), SAMPLE_XML, title="Facture n° 1", author="MACHE", subject="Facture n° 1"
    )

    reader = assert_pdfa3_facturx(data, SAMPLE_XML)
    assert reader.metadata.title == "Facture n° 1"
    assert reader.trailer["/Root"]["/Lang"] == "fr-FR"


def test_an_xml_that_fails_the_facturx_xsd_is_refused():
    broken = SAMPLE_XML.replace(b"<ram:TypeCode>380</ram:TypeCode>", b"")

    with pytest.raises(Exception, match="(?i)xsd|schema|TypeCode"):
        facturx_pdf(sample_pdf(), broken, title="x", author="x", subject="x")


def test_the_srgb_profile_is_read_and_converts_as_little_cms_srgb():
    profile = ImageCms.getOpenProfile(io.BytesIO(srgb_icc_profile()))
    assert profile.profile.version == 2.1
    assert profile.profile.xcolor_space == "RGB "
    assert profile.profile.device_class == "mntr"
    assert srgb_icc_profile()[36:40] == b"acsp"
    assert int.from_bytes(srgb_icc_profile()[:4], "big") == len(srgb_icc_profile())

    colours = [(31, 41, 51), (97, 110, 124), (203, 210, 217), (138, 28, 28), (255, 255, 255)]
    image = Image.new("RGB", (len(colours), 1))
    image.putdata(colours)
    lab = ImageCms.createProfile("LAB")
    ours = ImageCms.profileToProfile(image, profile, lab, outputMode="LAB")
    builtin = ImageCms.profileToProfile(
        image, ImageCms.createProfile("sRGB"), lab, outputMode="LAB"
    )
    for a, b in zip(ours.getdata(), builtin.getdata(), strict=True):
        assert max(abs(x - y) for x, y in zip(a, b, strict=True)) <= 2, (a, b)


# --- Invoices and credit notes ----------------------------------------------------------


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


SELLER = {
    "seller_vat_number": "FR32123456789",
    "seller_legal_form": "SCIC SAS à capital variable",
    "seller_share_capital": Decimal("12000.00"),
    "seller_rcs": "Rennes",
    "seller_iban": "FR7630006000011234567890189",
    "seller_bic": "AGRIFRPP",
    "seller_creditor_id": "FR12ZZZ123456",
    "seller_vat_on_debits": True,
}


def issued(invoice: Invoice, **fields) -> Invoice:
    """The invoice with the e-invoicing snapshot fields (docs/e-invoicing.md) set, as it
    is read back from the database once they are recorded at issue."""
    for name, value in {**SELLER, "buyer_vat_number": "FR45987654321", **fields}.items():
        setattr(invoice, name, value)
    return invoice


@pytest.fixture
def invoice(coop, shop):
    [invoice] = received_round({shop: 12}).values()
    return Invoice.objects.get(pk=invoice.pk)


def test_the_invoice_is_a_facturx_pdfa3_with_its_xml(invoice):
    data = invoice_pdf(invoice)

    assert_pdfa3_facturx(data, invoice_cii(invoice))
    reader = PdfReader(io.BytesIO(data))
    assert reader.metadata.title == f"Facture n°\u00a0{invoice.number}"
    assert reader.metadata.author == "SCIC MACHE HAUTE-BRETAGNE"


def test_the_invoice_carries_every_mention(invoice, shop, tmp_path):
    issued(invoice, payment_means="transfer", mandate_reference="")

    data = invoice_pdf(invoice)
    text, flat = pdf_text(data, tmp_path), reading_text(data, tmp_path)

    for mention in (
        # The seller, as issued.
        "SCIC MACHE HAUTE-BRETAGNE",
        "2 rue de la Mairie",
        "35560 Bazouges-la-Pérouse",
        "SIRET 123 456 789 00012",
        "N° TVA intracommunautaire : FR32123456789",
        "SCIC SAS à capital variable au capital de 12 000,00 €",
        "RCS Rennes 123 456 789",
        # The buyer.
        shop.legal_name,
        shop.address,
        f"{shop.postcode} {shop.commune}",
        "SIRET " + " ".join([shop.siret[:3], shop.siret[3:6], shop.siret[6:9], shop.siret[9:]]),
        "N° TVA intracommunautaire : FR45987654321",
        # The document, the delivery.
        f"Facture n° {invoice.number}",
        f"Date d'émission : {format_date(invoice.issued_on)}",
        f"Date de livraison : {format_date(invoice.round.delivery_date)}",
        f"Adresse de livraison : {shop.address}, {shop.postcode} {shop.commune}",
        # Payment.
        f"au plus tard le {format_date(invoice.due_on)}",
        "Règlement par virement SEPA : IBAN FR76 3000 6000 0112 3456 7890 189 — BIC AGRIFRPP.",
        "Pas d'escompte pour paiement anticipé.",
        "Pénalités de retard : trois fois le taux d'intérêt légal ; indemnité forfaitaire "
        "pour frais de recouvrement : 40 €.",
        "au taux de trois fois le taux d'intérêt légal",
        "indemnité forfaitaire de 40 € pour frais de recouvrement",
        # Nature of the operations, VAT on debits.
        "Nature des opérations : Livraison de biens et prestation de services "
        "(frais de service de la coopérative).",
        "Option pour le paiement de la taxe d'après les débits.",
    ):
        assert squeezed(mention) in flat, mention

    # Lines with their quantity and unit; the VAT per rate; the totals.
    for line in invoice.lines.all():
        unit = "unité" if line.kind == "goods" else "forfait"
        assert re.search(re.escape(plain(line.label)) + rf"\s+{line.quantity}\s+{unit}\s+", text), (
            line.label
        )
    for vat in invoice.vat_lines.all():
        assert plain(format_eur(vat.base)) in text and plain(format_eur(vat.amount)) in text
    assert re.search(
        r"Total TTC — net à payer\s+" + re.escape(plain(format_eur(invoice.total_incl_vat))),
        text,
    )


def test_an_invoice_collected_by_direct_debit_names_the_mandate_and_the_creditor(invoice, tmp_path):
    issued(invoice, payment_means="direct_debit", mandate_reference="MACHE-RUM-0042")

    text = reading_text(invoice_pdf(invoice), tmp_path)

    assert (
        "Règlement par prélèvement SEPA à l'échéance, mandat n° MACHE-RUM-0042, "
        "identifiant créancier SEPA FR12ZZZ123456."
    ) in text
    assert "IBAN" not in text


def test_without_the_option_no_vat_on_debits_mention(invoice, tmp_path):
    issued(invoice, seller_vat_on_debits=False)

    text = pdf_text(invoice_pdf(invoice), tmp_path)

    assert "d'après les débits" not in text


def test_the_credit_note_is_a_facturx_pdfa3_with_the_mentions(invoice, shop, tmp_path):
    fee = invoice.lines.get(kind="fee")
    note = credit_note_issue(
        invoice_id=invoice.pk,
        reason="Frais offerts",
        lines=[{"invoice_line": fee.pk, "quantity": 1}],
    )
    note = CreditNote.objects.get(pk=note.pk)
    issued(note.invoice)

    data = credit_note_pdf(note)

    assert_pdfa3_facturx(data, credit_note_cii(note))
    text, rows = reading_text(data, tmp_path), squeezed(pdf_text(data, tmp_path))
    for mention in (
        f"Avoir n° {note.number}",
        f"sur la facture n° {invoice.number}",
        "N° TVA intracommunautaire : FR32123456789",
        "SCIC SAS à capital variable au capital de 12 000,00 €",
        "RCS Rennes 123 456 789",
        "N° TVA intracommunautaire : FR45987654321",
        f"Date de livraison : {format_date(invoice.round.delivery_date)}",
        "Nature des opérations : Livraison de biens et prestation de services",
        "Option pour le paiement de la taxe d'après les débits.",
    ):
        assert squeezed(mention) in text, mention
    assert squeezed(f"{fee.label} 1 forfait") in rows
    assert "Total TTC de l'avoir " + plain(format_eur(note.total_incl_vat)) in rows
