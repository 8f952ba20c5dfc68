"""A supplier's CII XML (UN/CEFACT Cross Industry Invoice D16B: a Factur-X/ZUGFeRD PDF's
XML or a bare CII file) read into a ReceivedInvoice (docs/supplier-invoices.md,
"Reading").

Checked in three steps: the Factur-X EN 16931 XSD, then our business checks
(`checks.py`: French reasons naming the amounts), then the EN 16931 schematron, with the
validation engine of our own invoices (purchasing.facturx.validation). The French CTC
rules (BR-FR-*) are not applied: they are what the cooperative's own invoices must
meet, not what a supplier's must.
"""

import datetime as dt
from decimal import Decimal

from lxml import etree

from purchasing.facturx import validation

from .document import ReceivedCharge, ReceivedInvoice, ReceivedLine, ReceivedParty, ReceivedVat
from .reading import EInvoiceUnreadable, checked, decimal_of, legal_ids, refused

RSM = "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
RAM = "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
UDT = "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100"
NS = {"rsm": RSM, "ram": RAM, "udt": UDT}
ZERO = Decimal("0")
KIND = "Cette facture CII"


def _text(node, path: str) -> str:
    found = node.find(path, NS) if node is not None else None
    return " ".join((found.text or "").split()) if found is not None else ""


def _decimal(node, path: str, what: str, *, default=None):
    value = decimal_of(_text(node, path), what)
    return default if value is None else value


def _date(node, path: str, what: str) -> dt.date | None:
    holder = node.find(path, NS) if node is not None else None
    if holder is None:
        return None
    string = holder.find("udt:DateTimeString", NS)
    text = (string.text or "").strip() if string is not None else ""
    if not text:
        return None
    # Format 102 (CCYYMMDD) is the one EN 16931 allows for a date.
    try:
        if len(text) != 8 or not text.isdigit():
            raise ValueError(text)
        return dt.date(int(text[:4]), int(text[4:6]), int(text[6:]))
    except ValueError as exc:
        raise EInvoiceUnreadable(f"{what} n'est pas une date AAAAMMJJ : « {text[:20]} ».") from exc


def _party(node) -> ReceivedParty:
    ids = (
        [(i.get("schemeID", ""), i.text) for i in node.findall("ram:GlobalID", NS)]
        if (node is not None)
        else []
    )
    ids += [
        (i.get("schemeID", ""), i.text)
        for i in (
            node.findall("ram:SpecifiedLegalOrganization/ram:ID", NS) if node is not None else []
        )
    ]
    siret, siren = legal_ids(ids)
    vat = ""
    for registration in (
        node.findall("ram:SpecifiedTaxRegistration/ram:ID", NS) if (node is not None) else []
    ):
        if registration.get("schemeID") == "VA":
            vat = (registration.text or "").strip()
    return ReceivedParty(name=_text(node, "ram:Name"), siret=siret, siren=siren, vat_number=vat)


def _line(item) -> ReceivedLine:
    line_id = _text(item, "ram:AssociatedDocumentLineDocument/ram:LineID")
    where = f"Ligne {line_id or '?'}"
    price = item.find("ram:SpecifiedLineTradeAgreement/ram:NetPriceProductTradePrice", NS)
    net = _decimal(price, "ram:ChargeAmount", f"{where} : le prix net", default=ZERO)
    base = _decimal(price, "ram:BasisQuantity", f"{where} : la quantité de base", default=None)
    quantity_node = item.find("ram:SpecifiedLineTradeDelivery/ram:BilledQuantity", NS)
    tax = item.find("ram:SpecifiedLineTradeSettlement/ram:ApplicableTradeTax", NS)
    return ReceivedLine(
        line_id=line_id,
        name=_text(item, "ram:SpecifiedTradeProduct/ram:Name"),
        seller_item_id=_text(item, "ram:SpecifiedTradeProduct/ram:SellerAssignedID"),
        buyer_item_id=_text(item, "ram:SpecifiedTradeProduct/ram:BuyerAssignedID"),
        quantity=decimal_of(
            quantity_node.text if quantity_node is not None else None, f"{where} : la quantité"
        )
        or ZERO,
        unit_code=quantity_node.get("unitCode", "") if quantity_node is not None else "",
        net_unit_price=net / base if base else net,
        amount=_decimal(
            item,
            "ram:SpecifiedLineTradeSettlement/ram:SpecifiedTradeSettlementLineMonetarySummation"
            "/ram:LineTotalAmount",
            f"{where} : le montant",
            default=ZERO,
        ),
        vat_category=_text(tax, "ram:CategoryCode"),
        vat_rate=_decimal(tax, "ram:RateApplicablePercent", f"{where} : le taux", default=ZERO),
    )


def _charge(node) -> ReceivedCharge:
    indicator = _text(node, "ram:ChargeIndicator/udt:Indicator").lower()
    return ReceivedCharge(
        is_charge=indicator == "true",
        amount=_decimal(
            node, "ram:ActualAmount", "Le montant d'un frais ou d'une remise", default=ZERO
        ),
        reason=_text(node, "ram:Reason"),
        reason_code=_text(node, "ram:ReasonCode"),
        vat_category=_text(node, "ram:CategoryTradeTax/ram:CategoryCode"),
        vat_rate=_decimal(
            node,
            "ram:CategoryTradeTax/ram:RateApplicablePercent",
            "Le taux d'un frais",
            default=ZERO,
        ),
    )


def _vat(node) -> ReceivedVat:
    return ReceivedVat(
        category=_text(node, "ram:CategoryCode"),
        rate=_decimal(node, "ram:RateApplicablePercent", "Un taux de TVA", default=ZERO),
        base=_decimal(node, "ram:BasisAmount", "Une base de TVA", default=ZERO),
        amount=_decimal(node, "ram:CalculatedAmount", "Un montant de TVA", default=ZERO),
    )


def parse(root, xml: bytes, *, format: str = "cii") -> ReceivedInvoice:
    """The fields of a CII document (no check here: `read` checks)."""
    header = root.find("rsm:ExchangedDocument", NS)
    transaction = root.find("rsm:SupplyChainTradeTransaction", NS)
    agreement = transaction.find("ram:ApplicableHeaderTradeAgreement", NS)
    delivery = transaction.find("ram:ApplicableHeaderTradeDelivery", NS)
    settlement = transaction.find("ram:ApplicableHeaderTradeSettlement", NS)
    totals = settlement.find("ram:SpecifiedTradeSettlementHeaderMonetarySummation", NS)
    currency = _text(settlement, "ram:InvoiceCurrencyCode")
    # BT-110 may be given twice (in the invoice's and in the VAT accounting currency):
    # the one in the invoice's currency counts.
    tax_totals = totals.findall("ram:TaxTotalAmount", NS)
    tax_total = next(
        (t for t in tax_totals if t.get("currencyID") in (None, currency)),
        tax_totals[0] if tax_totals else None,
    )
    return ReceivedInvoice(
        format=format,
        type_code=_text(header, "ram:TypeCode"),
        number=_text(header, "ram:ID"),
        issued_on=_date(header, "ram:IssueDateTime", "La date de facture (BT-2)"),
        currency=currency,
        seller=_party(agreement.find("ram:SellerTradeParty", NS)),
        buyer=_party(agreement.find("ram:BuyerTradeParty", NS)),
        order_reference=_text(agreement, "ram:BuyerOrderReferencedDocument/ram:IssuerAssignedID"),
        delivery_date=_date(
            delivery,
            "ram:ActualDeliverySupplyChainEvent/ram:OccurrenceDateTime",
            "La date de livraison (BT-72)",
        ),
        due_on=_date(
            settlement,
            "ram:SpecifiedTradePaymentTerms/ram:DueDateDateTime",
            "La date d'échéance (BT-9)",
        ),
        lines=tuple(
            _line(item) for item in transaction.findall("ram:IncludedSupplyChainTradeLineItem", NS)
        ),
        charges=tuple(
            _charge(node) for node in settlement.findall("ram:SpecifiedTradeAllowanceCharge", NS)
        ),
        vat=tuple(_vat(node) for node in settlement.findall("ram:ApplicableTradeTax", NS)),
        total_lines=_decimal(
            totals, "ram:LineTotalAmount", "Le total des lignes (BT-106)", default=ZERO
        ),
        total_allowances=_decimal(
            totals, "ram:AllowanceTotalAmount", "Le total des remises (BT-107)", default=ZERO
        ),
        total_charges=_decimal(
            totals, "ram:ChargeTotalAmount", "Le total des frais (BT-108)", default=ZERO
        ),
        total_excl_vat=_decimal(
            totals, "ram:TaxBasisTotalAmount", "Le total HT (BT-109)", default=ZERO
        ),
        total_vat=decimal_of(
            tax_total.text if tax_total is not None else None, "Le total de TVA (BT-110)"
        )
        or ZERO,
        total_incl_vat=_decimal(
            totals, "ram:GrandTotalAmount", "Le total TTC (BT-112)", default=ZERO
        ),
        amount_due=_decimal(totals, "ram:DuePayableAmount", "Le montant dû (BT-115)", default=ZERO),
        xml=xml,
    )


def read(root, xml: bytes, *, format: str = "cii") -> ReceivedInvoice:
    """`root` (the parsed `xml`) read and checked (module doc); EInvoiceUnreadable (400)
    naming what fails."""
    kind = "Le XML Factur-X de ce PDF" if format == "facturx" else KIND
    if failures := validation.xsd_failures(xml):
        raise refused(f"{kind} ne respecte pas le schéma XSD Factur-X EN 16931 et", failures)
    invoice = checked(parse(root, xml, format=format))
    # Saxon reads text: the document as UTF-8, whatever encoding the file declared.
    utf8 = etree.tostring(root.getroottree(), encoding="UTF-8", xml_declaration=True)
    failures = [
        failure
        for failure in validation.schematron_failures(utf8, rule_sets=("en16931",))
        if failure.blocking
    ]
    if failures:
        raise refused(f"{kind} enfreint les règles EN 16931 et", failures)
    return invoice
