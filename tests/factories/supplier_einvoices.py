"""Supplier e-invoices as our tests receive them (issue 16, docs/supplier-invoices.md):
a pure spec (`InvoiceSpec`) and three writers, `cii_xml`, `ubl_xml` and `facturx_pdf`
(a ReportLab page made a Factur-X EN 16931 by the factur-x package), whose output passes
purchasing.supplier_invoices.reading.read_einvoice. `spec_for_supplier_order` writes the
spec of the invoice a supplier would send for a received supplier order, changed as a
scenario needs:

    spec = spec_for_supplier_order(so, number="F-1", unit_prices={"GAL": Decimal("2.10")})
    spec = spec_for_supplier_order(so, number="F-2", without={"CID"}, shipping="30.00")
    read_einvoice(ubl_xml(spec))

Amounts are computed as a supplier's software would: each line half-up to the cent, the
shipping a document-level charge ("Transport", reason code FC) per VAT rate, the VAT per
rate on its base. `overrides` writes other totals than the computed ones (by BT number),
for the tests of invoices that do not add up.
"""

import dataclasses
import datetime as dt
import io
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from lxml import etree

from mache.identifiers import vat_number_for
from mache.money import ZERO, money

GUIDELINE = "urn:cen.eu:en16931:2017"
SHIPPING_REASON = "Transport"
SHIPPING_REASON_CODE = "FC"  # UNTDID 7161: freight service


@dataclass(frozen=True)
class Party:
    name: str
    siret: str = ""
    vat_number: str = ""
    address: str = ""
    postcode: str = ""
    city: str = ""

    @property
    def siren(self) -> str:
        return self.siret[:9]


@dataclass(frozen=True)
class Line:
    sku: str
    name: str
    quantity: Decimal
    unit_price: Decimal
    vat_rate: Decimal
    buyer_item_id: str = ""
    unit_code: str = "C62"
    amount_override: Decimal | None = None  # a line that does not compute

    @property
    def amount(self) -> Decimal:
        if self.amount_override is not None:
            return self.amount_override
        return money(self.quantity * self.unit_price)


@dataclass(frozen=True)
class Shipping:
    """The supplier's shipping at one VAT rate: a document-level charge."""

    amount: Decimal
    vat_rate: Decimal


@dataclass(frozen=True)
class InvoiceSpec:
    number: str
    issued_on: dt.date
    seller: Party
    buyer: Party
    lines: tuple[Line, ...]
    shipping: tuple[Shipping, ...] = ()
    order_reference: str = ""
    delivery_date: dt.date | None = None
    due_on: dt.date | None = None
    currency: str = "EUR"
    type_code: str = "380"
    # Totals written instead of the computed ones: {"BT-112": Decimal(...)}; keys BT-106,
    # BT-108, BT-109, BT-110, BT-112, BT-115.
    overrides: dict = field(default_factory=dict)

    def replace(self, **changes) -> "InvoiceSpec":
        return dataclasses.replace(self, **changes)

    # What the writers write.

    def vat(self) -> list[tuple[Decimal, Decimal, Decimal]]:
        """(rate, base, VAT) per rate, rates in increasing order."""
        bases = defaultdict(lambda: ZERO)
        for line in self.lines:
            bases[line.vat_rate] += line.amount
        for charge in self.shipping:
            bases[charge.vat_rate] += charge.amount
        return [(rate, bases[rate], money(bases[rate] * rate / 100)) for rate in sorted(bases)]

    def totals(self) -> dict[str, Decimal]:
        lines = sum((line.amount for line in self.lines), ZERO)
        charges = sum((charge.amount for charge in self.shipping), ZERO)
        vat = sum((amount for _rate, _base, amount in self.vat()), ZERO)
        computed = {
            "BT-106": lines,
            "BT-108": charges,
            "BT-109": lines + charges,
            "BT-110": vat,
            "BT-112": lines + charges + vat,
        }
        computed["BT-115"] = computed["BT-112"]
        return {**computed, **self.overrides}


def category(rate: Decimal) -> str:
    """S, standard rated (any positive French rate), or Z, zero rated."""
    return "S" if rate else "Z"


def _amount(value: Decimal) -> str:
    return f"{value:.2f}"


def _rate(value: Decimal) -> str:
    return f"{value:.2f}"


def _quantity(value: Decimal) -> str:
    return f"{value.normalize():f}"


def _price(value: Decimal) -> str:
    return f"{value:.4f}"


# CII (UN/CEFACT D16B, Factur-X profile EN 16931).

RSM = "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
RAM = "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
QDT = "urn:un:unece:uncefact:data:standard:QualifiedDataType:100"
UDT = "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100"
CII_NS = {"rsm": RSM, "qdt": QDT, "ram": RAM, "udt": UDT}


def _el(parent, tag: str, text=None, nsmap=None, **attrs):
    prefix, name = tag.split(":")
    node = etree.SubElement(parent, f"{{{(nsmap or CII_NS)[prefix]}}}{name}", **attrs)
    if text is not None:
        node.text = str(text)
    return node


def _cii_date(parent, tag: str, value: dt.date):
    holder = _el(parent, tag)
    _el(holder, "udt:DateTimeString", f"{value:%Y%m%d}", format="102")


def _cii_party(parent, tag: str, party: Party):
    node = _el(parent, tag)
    if party.siret:
        _el(node, "ram:GlobalID", party.siret, schemeID="0009")  # BT-29 / BT-46
    _el(node, "ram:Name", party.name)  # BT-27 / BT-44
    if party.siren:
        legal = _el(node, "ram:SpecifiedLegalOrganization")
        _el(legal, "ram:ID", party.siren, schemeID="0002")  # BT-30 / BT-47
    address = _el(node, "ram:PostalTradeAddress")
    if party.postcode:
        _el(address, "ram:PostcodeCode", party.postcode)
    if party.address:
        _el(address, "ram:LineOne", party.address)
    if party.city:
        _el(address, "ram:CityName", party.city)
    _el(address, "ram:CountryID", "FR")
    if party.vat_number:
        registration = _el(node, "ram:SpecifiedTaxRegistration")
        _el(registration, "ram:ID", party.vat_number, schemeID="VA")  # BT-31 / BT-48


def cii_xml(spec: InvoiceSpec) -> bytes:
    """The CII XML of `spec`, UTF-8 with its declaration."""
    totals = spec.totals()
    root = etree.Element(f"{{{RSM}}}CrossIndustryInvoice", nsmap=CII_NS)
    context = _el(root, "rsm:ExchangedDocumentContext")
    _el(_el(context, "ram:GuidelineSpecifiedDocumentContextParameter"), "ram:ID", GUIDELINE)
    header = _el(root, "rsm:ExchangedDocument")
    _el(header, "ram:ID", spec.number)
    _el(header, "ram:TypeCode", spec.type_code)
    _cii_date(header, "ram:IssueDateTime", spec.issued_on)

    transaction = _el(root, "rsm:SupplyChainTradeTransaction")
    for position, line in enumerate(spec.lines, start=1):
        item = _el(transaction, "ram:IncludedSupplyChainTradeLineItem")
        _el(_el(item, "ram:AssociatedDocumentLineDocument"), "ram:LineID", position)
        product = _el(item, "ram:SpecifiedTradeProduct")
        if line.sku:
            _el(product, "ram:SellerAssignedID", line.sku)  # BT-155
        if line.buyer_item_id:
            _el(product, "ram:BuyerAssignedID", line.buyer_item_id)  # BT-156
        _el(product, "ram:Name", line.name)
        agreement = _el(item, "ram:SpecifiedLineTradeAgreement")
        price = _el(agreement, "ram:NetPriceProductTradePrice")
        _el(price, "ram:ChargeAmount", _price(line.unit_price))  # BT-146
        delivery = _el(item, "ram:SpecifiedLineTradeDelivery")
        _el(delivery, "ram:BilledQuantity", _quantity(line.quantity), unitCode=line.unit_code)
        settlement = _el(item, "ram:SpecifiedLineTradeSettlement")
        tax = _el(settlement, "ram:ApplicableTradeTax")
        _el(tax, "ram:TypeCode", "VAT")
        _el(tax, "ram:CategoryCode", category(line.vat_rate))
        _el(tax, "ram:RateApplicablePercent", _rate(line.vat_rate))
        summation = _el(settlement, "ram:SpecifiedTradeSettlementLineMonetarySummation")
        _el(summation, "ram:LineTotalAmount", _amount(line.amount))  # BT-131

    agreement = _el(transaction, "ram:ApplicableHeaderTradeAgreement")
    _cii_party(agreement, "ram:SellerTradeParty", spec.seller)
    _cii_party(agreement, "ram:BuyerTradeParty", spec.buyer)
    if spec.order_reference:
        order = _el(agreement, "ram:BuyerOrderReferencedDocument")
        _el(order, "ram:IssuerAssignedID", spec.order_reference)  # BT-13

    delivery = _el(transaction, "ram:ApplicableHeaderTradeDelivery")
    if spec.delivery_date:
        event = _el(delivery, "ram:ActualDeliverySupplyChainEvent")
        _cii_date(event, "ram:OccurrenceDateTime", spec.delivery_date)  # BT-72

    settlement = _el(transaction, "ram:ApplicableHeaderTradeSettlement")
    _el(settlement, "ram:InvoiceCurrencyCode", spec.currency)
    for rate, base, amount in spec.vat():
        tax = _el(settlement, "ram:ApplicableTradeTax")
        _el(tax, "ram:CalculatedAmount", _amount(amount))
        _el(tax, "ram:TypeCode", "VAT")
        _el(tax, "ram:BasisAmount", _amount(base))
        _el(tax, "ram:CategoryCode", category(rate))
        _el(tax, "ram:RateApplicablePercent", _rate(rate))
    for charge in spec.shipping:
        node = _el(settlement, "ram:SpecifiedTradeAllowanceCharge")
        _el(_el(node, "ram:ChargeIndicator"), "udt:Indicator", "true")
        _el(node, "ram:ActualAmount", _amount(charge.amount))  # BT-99
        _el(node, "ram:ReasonCode", SHIPPING_REASON_CODE)  # BT-105
        _el(node, "ram:Reason", SHIPPING_REASON)  # BT-104
        tax = _el(node, "ram:CategoryTradeTax")
        _el(tax, "ram:TypeCode", "VAT")
        _el(tax, "ram:CategoryCode", category(charge.vat_rate))
        _el(tax, "ram:RateApplicablePercent", _rate(charge.vat_rate))
    terms = _el(settlement, "ram:SpecifiedTradePaymentTerms")
    _el(terms, "ram:Description", "Paiement à 30 jours")
    if spec.due_on:
        _cii_date(terms, "ram:DueDateDateTime", spec.due_on)
    summation = _el(settlement, "ram:SpecifiedTradeSettlementHeaderMonetarySummation")
    _el(summation, "ram:LineTotalAmount", _amount(totals["BT-106"]))
    if spec.shipping or "BT-108" in spec.overrides:
        _el(summation, "ram:ChargeTotalAmount", _amount(totals["BT-108"]))
    _el(summation, "ram:TaxBasisTotalAmount", _amount(totals["BT-109"]))
    _el(summation, "ram:TaxTotalAmount", _amount(totals["BT-110"]), currencyID=spec.currency)
    _el(summation, "ram:GrandTotalAmount", _amount(totals["BT-112"]))
    _el(summation, "ram:DuePayableAmount", _amount(totals["BT-115"]))
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


# UBL 2.1 (the EN 16931 syntax binding), elements in the schema's order.

UBL_INVOICE = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
CAC = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
UBL_NS = {None: UBL_INVOICE, "cac": CAC, "cbc": CBC}
_UBL = {"cac": CAC, "cbc": CBC}


def _u(parent, tag: str, text=None, **attrs):
    return _el(parent, tag, text, nsmap=_UBL, **attrs)


def _ubl_money(parent, tag: str, value: Decimal, currency: str):
    return _u(parent, tag, _amount(value), currencyID=currency)


def _ubl_tax_category(parent, tag: str, rate: Decimal):
    node = _u(parent, tag)
    _u(node, "cbc:ID", category(rate))
    _u(node, "cbc:Percent", _rate(rate))
    _u(_u(node, "cac:TaxScheme"), "cbc:ID", "VAT")


def _ubl_party(parent, tag: str, party: Party):
    node = _u(_u(parent, tag), "cac:Party")
    if party.siren:
        _u(node, "cbc:EndpointID", party.siren, schemeID="0225")  # BT-34 / BT-49
    if party.siret:
        identification = _u(node, "cac:PartyIdentification")
        _u(identification, "cbc:ID", party.siret, schemeID="0009")  # BT-29 / BT-46
    address = _u(node, "cac:PostalAddress")
    if party.address:
        _u(address, "cbc:StreetName", party.address)
    if party.city:
        _u(address, "cbc:CityName", party.city)
    if party.postcode:
        _u(address, "cbc:PostalZone", party.postcode)
    _u(_u(address, "cac:Country"), "cbc:IdentificationCode", "FR")
    if party.vat_number:
        scheme = _u(node, "cac:PartyTaxScheme")
        _u(scheme, "cbc:CompanyID", party.vat_number)  # BT-31 / BT-48
        _u(_u(scheme, "cac:TaxScheme"), "cbc:ID", "VAT")
    legal = _u(node, "cac:PartyLegalEntity")
    _u(legal, "cbc:RegistrationName", party.name)  # BT-27 / BT-44
    if party.siren:
        _u(legal, "cbc:CompanyID", party.siren, schemeID="0002")  # BT-30 / BT-47


def ubl_xml(spec: InvoiceSpec) -> bytes:
    """The UBL 2.1 Invoice of `spec`, UTF-8 with its declaration."""
    totals = spec.totals()
    cur = spec.currency
    root = etree.Element(f"{{{UBL_INVOICE}}}Invoice", nsmap=UBL_NS)
    _u(root, "cbc:CustomizationID", GUIDELINE)  # BT-24
    _u(root, "cbc:ID", spec.number)
    _u(root, "cbc:IssueDate", spec.issued_on.isoformat())
    if spec.due_on:
        _u(root, "cbc:DueDate", spec.due_on.isoformat())
    _u(root, "cbc:InvoiceTypeCode", spec.type_code)
    _u(root, "cbc:DocumentCurrencyCode", cur)
    if spec.order_reference:
        _u(_u(root, "cac:OrderReference"), "cbc:ID", spec.order_reference)  # BT-13
    _ubl_party(root, "cac:AccountingSupplierParty", spec.seller)
    _ubl_party(root, "cac:AccountingCustomerParty", spec.buyer)
    if spec.delivery_date:
        _u(_u(root, "cac:Delivery"), "cbc:ActualDeliveryDate", spec.delivery_date.isoformat())
    _u(_u(root, "cac:PaymentTerms"), "cbc:Note", "Paiement à 30 jours")
    for charge in spec.shipping:
        node = _u(root, "cac:AllowanceCharge")
        _u(node, "cbc:ChargeIndicator", "true")
        _u(node, "cbc:AllowanceChargeReasonCode", SHIPPING_REASON_CODE)
        _u(node, "cbc:AllowanceChargeReason", SHIPPING_REASON)
        _ubl_money(node, "cbc:Amount", charge.amount, cur)
        _ubl_tax_category(node, "cac:TaxCategory", charge.vat_rate)
    tax_total = _u(root, "cac:TaxTotal")
    _ubl_money(tax_total, "cbc:TaxAmount", totals["BT-110"], cur)
    for rate, base, amount in spec.vat():
        subtotal = _u(tax_total, "cac:TaxSubtotal")
        _ubl_money(subtotal, "cbc:TaxableAmount", base, cur)
        _ubl_money(subtotal, "cbc:TaxAmount", amount, cur)
        _ubl_tax_category(subtotal, "cac:TaxCategory", rate)
    monetary = _u(root, "cac:LegalMonetaryTotal")
    _ubl_money(monetary, "cbc:LineExtensionAmount", totals["BT-106"], cur)
    _ubl_money(monetary, "cbc:TaxExclusiveAmount", totals["BT-109"], cur)
    _ubl_money(monetary, "cbc:TaxInclusiveAmount", totals["BT-112"], cur)
    if spec.shipping or "BT-108" in spec.overrides:
        _ubl_money(monetary, "cbc:ChargeTotalAmount", totals["BT-108"], cur)
    _ubl_money(monetary, "cbc:PayableAmount", totals["BT-115"], cur)
    for position, line in enumerate(spec.lines, start=1):
        node = _u(root, "cac:InvoiceLine")
        _u(node, "cbc:ID", position)
        _u(node, "cbc:InvoicedQuantity", _quantity(line.quantity), unitCode=line.unit_code)
        _ubl_money(node, "cbc:LineExtensionAmount", line.amount, cur)
        item = _u(node, "cac:Item")
        _u(item, "cbc:Name", line.name)
        if line.buyer_item_id:
            _u(_u(item, "cac:BuyersItemIdentification"), "cbc:ID", line.buyer_item_id)
        if line.sku:
            _u(_u(item, "cac:SellersItemIdentification"), "cbc:ID", line.sku)
        _ubl_tax_category(item, "cac:ClassifiedTaxCategory", line.vat_rate)
        price = _u(node, "cac:Price")
        _u(price, "cbc:PriceAmount", _price(line.unit_price), currencyID=cur)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


# Factur-X: a ReportLab page with the CII embedded by the factur-x package.


def facturx_pdf(spec: InvoiceSpec) -> bytes:
    """A Factur-X EN 16931 PDF of `spec`: a one-page ReportLab invoice made a PDF/A-3 with
    its CII (`cii_xml`) embedded as factur-x.xml by factur-x's generate_from_binary."""
    import facturx
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    out = io.BytesIO()
    page = canvas.Canvas(out, pagesize=A4)
    y = 800
    for text in [
        f"{spec.seller.name} - Facture {spec.number} du {spec.issued_on:%d/%m/%Y}",
        f"Client : {spec.buyer.name} - Commande {spec.order_reference}",
        *(
            f"{ln.sku} {ln.name} : {ln.quantity} x {ln.unit_price} = {ln.amount}"
            for ln in spec.lines
        ),
        *(f"Transport : {c.amount} (TVA {c.vat_rate} %)" for c in spec.shipping),
        f"Total TTC : {spec.totals()['BT-112']} {spec.currency}",
    ]:
        page.drawString(50, y, text)
        y -= 16
    page.showPage()
    page.save()
    return facturx.generate_from_binary(
        out.getvalue(),
        cii_xml(spec),
        flavor="factur-x",
        level="en16931",
        check_xsd=True,
        pdf_metadata={
            "author": spec.seller.name,
            "keywords": "Factur-X",
            "title": f"{spec.seller.name}: facture {spec.number}",
            "subject": f"Facture {spec.number}",
        },
        lang="fr-FR",
    )


# The supplier order's invoice.


def party_of_supplier(supplier) -> Party:
    return Party(
        name=supplier.name,
        siret=supplier.siret,
        vat_number=supplier.vat_number or vat_number_for(supplier.siret),
        address=supplier.address,
    )


def party_of_cooperative(cooperative) -> Party:
    return Party(
        name=cooperative.legal_name or cooperative.name,
        siret=cooperative.siret,
        vat_number=getattr(cooperative, "vat_number", "") or vat_number_for(cooperative.siret),
        address=cooperative.address,
        postcode=cooperative.postcode,
        city=cooperative.commune,
    )


def order_reference(supplier_order) -> str:
    return f"CF-{supplier_order.pk:06d}"


def spec_for_supplier_order(
    supplier_order,
    *,
    number: str = "F-0001",
    issued_on: dt.date | None = None,
    unit_prices: dict | None = None,
    units: dict | None = None,
    without=(),
    shipping=None,
    **changes,
) -> InvoiceSpec:
    """The invoice the supplier sends for `supplier_order` (received: its lines'
    received units; not received yet: the units ordered), as the cooperative expects it:
    each product at its received units and the order's unit price, its SKU as the
    seller's item id and its id as the buyer's, the order's shipping split over the
    goods' rates as the receipt splits it (purchasing.rules.split_by_rate), BT-13
    "CF-000123", delivered on the round's delivery date.

    A scenario changes it: `unit_prices` / `units` {sku: value} on some lines, `without`
    the SKUs not billed, `shipping` another total shipping (split the same way), and any
    other InvoiceSpec field by keyword (`due_on=...`, `overrides={...}`)."""
    from purchasing import rules
    from purchasing.facturx.documents import unit_code
    from shops.models import Cooperative

    unit_prices = {sku: Decimal(str(v)) for sku, v in (unit_prices or {}).items()}
    units = {sku: Decimal(str(v)) for sku, v in (units or {}).items()}
    round_ = supplier_order.round
    lines = []
    expected_goods = defaultdict(lambda: ZERO)
    for order_line in supplier_order.lines.select_related("product").order_by("product_id"):
        product = order_line.product
        received = (
            order_line.received_units if order_line.received_units is not None else order_line.units
        )
        if not received:
            continue
        expected_goods[product.vat_rate] += rules.line_amount(received, order_line.unit_price)
        if product.sku in without:
            continue
        lines.append(
            Line(
                sku=product.sku,
                name=product.name,
                quantity=units.get(product.sku, Decimal(received)),
                unit_price=unit_prices.get(product.sku, order_line.unit_price),
                vat_rate=product.vat_rate,
                buyer_item_id=str(product.pk),
                unit_code=unit_code(product.unit_label),
            )
        )
    total_shipping = supplier_order.shipping if shipping is None else Decimal(str(shipping))
    charges = tuple(
        Shipping(amount=amount, vat_rate=rate)
        for rate, amount in sorted(
            rules.split_by_rate(total_shipping, dict(expected_goods)).items()
        )
    )
    issued = issued_on or round_.delivery_date
    spec = InvoiceSpec(
        number=number,
        issued_on=issued,
        seller=party_of_supplier(round_.supplier),
        buyer=party_of_cooperative(Cooperative.objects.get()),
        lines=tuple(lines),
        shipping=charges,
        order_reference=order_reference(supplier_order),
        delivery_date=round_.delivery_date,
        due_on=issued + dt.timedelta(days=30),
    )
    return spec.replace(**changes) if changes else spec
