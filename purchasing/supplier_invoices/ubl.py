"""A supplier's UBL 2.1 XML (Invoice or CreditNote, the EN 16931 syntax binding) read
into a ReceivedInvoice (docs/supplier-invoices.md, "Reading").

Checked against the OASIS UBL 2.1 XSD (copied unchanged in `ubl-xsd/`, see its
SOURCES.md), then by our business checks (`checks.py`). The EN 16931 schematron for UBL
is not run: neither the factur-x package nor any other package this project can install
ships it, so the checks stand in for its arithmetic rules (BR-CO-10 to BR-CO-15, BR-S-09...).
"""

import datetime as dt
import functools
from decimal import Decimal
from pathlib import Path

from lxml import etree

from purchasing.facturx.validation import Failure

from .document import ReceivedCharge, ReceivedInvoice, ReceivedLine, ReceivedParty, ReceivedVat
from .reading import EInvoiceUnreadable, checked, decimal_of, legal_ids, refused

XSD_DIR = Path(__file__).resolve().parent / "ubl-xsd"
CAC = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
NS = {"cac": CAC, "cbc": CBC}
ZERO = Decimal("0")


@functools.cache
def _schema(document: str) -> etree.XMLSchema:
    """The UBL 2.1 schema of `document` ("Invoice" or "CreditNote"), loaded once."""
    path = XSD_DIR / "maindoc" / f"UBL-{document}-2.1.xsd"
    return etree.XMLSchema(etree.parse(str(path)))


def xsd_failures(root) -> list[Failure]:
    schema = _schema(etree.QName(root).localname)
    if schema.validate(root):
        return []
    return [
        Failure("xsd", "XSD", "fatal", error.message, f"ligne {error.line}")
        for error in schema.error_log
    ]


def _text(node, path: str) -> str:
    found = node.find(path, NS) if node is not None else None
    return " ".join((found.text or "").split()) if found is not None else ""


def _decimal(node, path: str, what: str, *, default=ZERO):
    value = decimal_of(_text(node, path), what)
    return default if value is None else value


def _date(node, path: str, what: str) -> dt.date | None:
    text = _text(node, path)
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise EInvoiceUnreadable(
            f"{what} n'est pas une date AAAA-MM-JJ : « {text[:20]} »."
        ) from exc


def _party(node) -> ReceivedParty:
    if node is None:
        return ReceivedParty(name="", siret="", siren="", vat_number="")
    ids = [
        (i.get("schemeID", ""), i.text)
        for path in ("cac:PartyIdentification/cbc:ID", "cac:PartyLegalEntity/cbc:CompanyID")
        for i in node.findall(path, NS)
    ]
    siret, siren = legal_ids(ids)
    vat = ""
    for scheme in node.findall("cac:PartyTaxScheme", NS):
        if _text(scheme, "cac:TaxScheme/cbc:ID").upper() == "VAT":
            vat = _text(scheme, "cbc:CompanyID")
            break
    name = _text(node, "cac:PartyLegalEntity/cbc:RegistrationName") or _text(
        node, "cac:PartyName/cbc:Name"
    )
    return ReceivedParty(name=name, siret=siret, siren=siren, vat_number=vat)


def _line(node, quantity_tag: str) -> ReceivedLine:
    line_id = _text(node, "cbc:ID")
    where = f"Ligne {line_id or '?'}"
    quantity = node.find(quantity_tag, NS)
    net = _decimal(node, "cac:Price/cbc:PriceAmount", f"{where} : le prix net")
    base = _decimal(
        node, "cac:Price/cbc:BaseQuantity", f"{where} : la quantité de base", default=None
    )
    tax = node.find("cac:Item/cac:ClassifiedTaxCategory", NS)
    return ReceivedLine(
        line_id=line_id,
        name=_text(node, "cac:Item/cbc:Name"),
        seller_item_id=_text(node, "cac:Item/cac:SellersItemIdentification/cbc:ID"),
        buyer_item_id=_text(node, "cac:Item/cac:BuyersItemIdentification/cbc:ID"),
        quantity=decimal_of(
            quantity.text if quantity is not None else None, f"{where} : la quantité"
        )
        or ZERO,
        unit_code=quantity.get("unitCode", "") if quantity is not None else "",
        net_unit_price=net / base if base else net,
        amount=_decimal(node, "cbc:LineExtensionAmount", f"{where} : le montant"),
        vat_category=_text(tax, "cbc:ID"),
        vat_rate=_decimal(tax, "cbc:Percent", f"{where} : le taux"),
    )


def _charge(node) -> ReceivedCharge:
    return ReceivedCharge(
        is_charge=_text(node, "cbc:ChargeIndicator").lower() == "true",
        amount=_decimal(node, "cbc:Amount", "Le montant d'un frais ou d'une remise"),
        reason=_text(node, "cbc:AllowanceChargeReason"),
        reason_code=_text(node, "cbc:AllowanceChargeReasonCode"),
        vat_category=_text(node, "cac:TaxCategory/cbc:ID"),
        vat_rate=_decimal(node, "cac:TaxCategory/cbc:Percent", "Le taux d'un frais"),
    )


def _vat(node) -> ReceivedVat:
    return ReceivedVat(
        category=_text(node, "cac:TaxCategory/cbc:ID"),
        rate=_decimal(node, "cac:TaxCategory/cbc:Percent", "Un taux de TVA"),
        base=_decimal(node, "cbc:TaxableAmount", "Une base de TVA"),
        amount=_decimal(node, "cbc:TaxAmount", "Un montant de TVA"),
    )


def parse(root, xml: bytes, *, format: str = "ubl") -> ReceivedInvoice:
    """The fields of a UBL Invoice or CreditNote (no check here: `read` checks)."""
    credit_note = etree.QName(root).localname == "CreditNote"
    currency = _text(root, "cbc:DocumentCurrencyCode")
    totals = root.find("cac:LegalMonetaryTotal", NS)
    # BT-110 is the TaxTotal in the invoice's currency (another may give BT-111, the VAT
    # in the accounting currency, without a breakdown).
    tax_totals = root.findall("cac:TaxTotal", NS)
    tax_total = next(
        (
            t
            for t in tax_totals
            if (t.find("cbc:TaxAmount", NS) is not None)
            and t.find("cbc:TaxAmount", NS).get("currencyID") in (None, currency)
        ),
        tax_totals[0] if tax_totals else None,
    )
    due_on = _date(
        root,
        "cac:PaymentMeans/cbc:PaymentDueDate" if credit_note else "cbc:DueDate",
        "La date d'échéance (BT-9)",
    )
    return ReceivedInvoice(
        format=format,
        type_code=_text(root, "cbc:CreditNoteTypeCode" if credit_note else "cbc:InvoiceTypeCode"),
        number=_text(root, "cbc:ID"),
        issued_on=_date(root, "cbc:IssueDate", "La date de facture (BT-2)"),
        currency=currency,
        seller=_party(root.find("cac:AccountingSupplierParty/cac:Party", NS)),
        buyer=_party(root.find("cac:AccountingCustomerParty/cac:Party", NS)),
        order_reference=_text(root, "cac:OrderReference/cbc:ID"),
        delivery_date=_date(
            root, "cac:Delivery/cbc:ActualDeliveryDate", "La date de livraison (BT-72)"
        ),
        due_on=due_on,
        lines=tuple(
            _line(node, "cbc:CreditedQuantity" if credit_note else "cbc:InvoicedQuantity")
            for node in root.findall("cac:CreditNoteLine" if credit_note else "cac:InvoiceLine", NS)
        ),
        charges=tuple(_charge(node) for node in root.findall("cac:AllowanceCharge", NS)),
        vat=tuple(_vat(node) for node in tax_total.findall("cac:TaxSubtotal", NS))
        if tax_total is not None
        else (),
        total_lines=_decimal(totals, "cbc:LineExtensionAmount", "Le total des lignes (BT-106)"),
        total_allowances=_decimal(
            totals, "cbc:AllowanceTotalAmount", "Le total des remises (BT-107)"
        ),
        total_charges=_decimal(totals, "cbc:ChargeTotalAmount", "Le total des frais (BT-108)"),
        total_excl_vat=_decimal(totals, "cbc:TaxExclusiveAmount", "Le total HT (BT-109)"),
        total_vat=_decimal(tax_total, "cbc:TaxAmount", "Le total de TVA (BT-110)"),
        total_incl_vat=_decimal(totals, "cbc:TaxInclusiveAmount", "Le total TTC (BT-112)"),
        amount_due=_decimal(totals, "cbc:PayableAmount", "Le montant dû (BT-115)"),
        xml=xml,
    )


def read(root, xml: bytes, *, format: str = "ubl") -> ReceivedInvoice:
    """`root` (the parsed `xml`) read and checked (module doc); EInvoiceUnreadable (400)
    naming what fails."""
    kind = "Le XML UBL de ce PDF" if format == "facturx" else "Cette facture UBL"
    if failures := xsd_failures(root):
        raise refused(f"{kind} ne respecte pas le schéma XSD UBL 2.1 et", failures)
    return checked(parse(root, xml, format=format))
