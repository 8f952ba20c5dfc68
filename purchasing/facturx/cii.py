"""The CII XML (UN/CEFACT Cross Industry Invoice D16B, Factur-X profile EN 16931) of a
FacturXDoc: a pure function, no ORM (docs/e-invoicing.md, "The CII XML and its
validation"). The element order is the schema's; the business terms (BT-n) are named
where each is written.
"""

from decimal import Decimal

from lxml import etree

from mache.identifiers import rcs_mention

from .documents import DIRECT_DEBIT, FacturXDoc, Party

RSM = "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
RAM = "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
QDT = "urn:un:unece:uncefact:data:standard:QualifiedDataType:100"
UDT = "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100"
NSMAP = {"rsm": RSM, "qdt": QDT, "ram": RAM, "udt": UDT}

GUIDELINE = "urn:cen.eu:en16931:2017"
# BT-23, the French "cadre de facturation": M1, an invoice of goods and services (the
# cooperative's fee) to be paid.
BUSINESS_PROCESS = "M1"
CURRENCY = "EUR"
# ISO 6523 schemes: SIRET (0009), SIREN (0002); electronic address: SIREN (0225, the
# French directory's).
SCHEME_SIRET = "0009"
SCHEME_SIREN = "0002"
SCHEME_ADDRESS = "0225"
# UNTDID 4461: 58 SEPA credit transfer, 59 SEPA direct debit.
MEANS_CODE = {"transfer": "58", DIRECT_DEBIT: "59"}


def _el(parent, tag: str, text=None, **attrs):
    prefix, name = tag.split(":")
    node = etree.SubElement(parent, f"{{{NSMAP[prefix]}}}{name}", **attrs)
    if text is not None:
        node.text = str(text)
    return node


def _amount(value: Decimal) -> str:
    return f"{value:.2f}"


def _rate(value: Decimal) -> str:
    return f"{value:.2f}"


def _quantity(value: Decimal) -> str:
    return f"{value.normalize():f}" if value == value.to_integral() else f"{value:.4f}"


def _price(value: Decimal) -> str:
    return f"{value:.4f}"


def _date(parent, tag: str, value, *, qualified=False):
    holder = _el(parent, tag)
    _el(
        holder,
        "qdt:DateTimeString" if qualified else "udt:DateTimeString",
        f"{value:%Y%m%d}",
        format="102",
    )
    return holder


def _category(rate: Decimal) -> str:
    # S: standard (any positive French rate); Z: zero-rated.
    return "S" if rate else "Z"


def _money(value: Decimal) -> str:
    text = f"{value:,.2f}".replace(",", "\u202f").replace(".", ",")
    return f"{text} €"


def legal_mention(seller: Party) -> str:
    """BT-33, the seller's additional legal information: legal form, share capital,
    RCS."""
    form = " ".join(
        part
        for part in (
            seller.legal_form,
            f"au capital de {_money(seller.share_capital)}"
            if seller.share_capital is not None
            else "",
        )
        if part
    )
    rcs = rcs_mention(seller.rcs, seller.siret)
    return ", ".join(part for part in (form, rcs) if part)


def notes(doc: FacturXDoc) -> list[tuple[str, str]]:
    """BT-21/BT-22: the mentions the French rules require (BR-FR-05) and the code
    de commerce's, as (subject code, text)."""
    result = [
        # BAR: the kind of exchange, B2B (both parties are VAT-registered businesses).
        ("BAR", "B2B"),
        (
            "PMD",
            f"Pénalités de retard : {doc.late_penalty_rate}, exigibles dès le "
            "lendemain de l'échéance.",
        ),
        (
            "PMT",
            "Indemnité forfaitaire pour frais de recouvrement en cas de retard de paiement : 40 €.",
        ),
        ("AAB", "Pas d'escompte pour paiement anticipé."),
        (
            "AAI",
            "Nature des opérations : livraison de biens (marchandises et leur port) et "
            "prestation de services (frais de service de la coopérative).",
        ),
    ]
    if doc.vat_on_debits:
        result.append(("TXD", "Option pour le paiement de la taxe d'après les débits."))
    if doc.reason:
        result.append(("ACD", f"Motif de l'avoir : {doc.reason}"))
    if doc.seller.legal_form or doc.seller.share_capital is not None or doc.seller.rcs:
        result.append(("REG", f"{doc.seller.registered_name}, {legal_mention(doc.seller)}."))
    return result + list(doc.notes)


def _party(parent, tag: str, party: Party, *, seller: bool):
    node = _el(parent, tag)
    if party.siret:
        # BT-29/BT-46: the SIRET, the establishment (BR-FR-09 checks it starts with the
        # SIREN below).
        _el(node, "ram:GlobalID", party.siret, schemeID=SCHEME_SIRET)
    _el(node, "ram:Name", party.registered_name)
    if seller and (mention := legal_mention(party)):
        _el(node, "ram:Description", mention)  # BT-33
    legal = _el(node, "ram:SpecifiedLegalOrganization")
    # BT-30/BT-47: the SIREN, the legal registration (scheme 0002).
    _el(legal, "ram:ID", party.siren, schemeID=SCHEME_SIREN)
    if party.name and party.name != party.registered_name:
        _el(legal, "ram:TradingBusinessName", party.name)  # BT-28/BT-45
    _address(node, party)
    # BT-34/BT-49: the electronic address, the SIREN in the French directory.
    communication = _el(node, "ram:URIUniversalCommunication")
    _el(communication, "ram:URIID", party.siren, schemeID=SCHEME_ADDRESS)
    if party.vat_number:
        registration = _el(node, "ram:SpecifiedTaxRegistration")
        _el(registration, "ram:ID", party.vat_number, schemeID="VA")  # BT-31/BT-48
    return node


def _address(parent, party: Party):
    address = _el(parent, "ram:PostalTradeAddress")
    if party.postcode:
        _el(address, "ram:PostcodeCode", party.postcode)
    if party.address:
        _el(address, "ram:LineOne", party.address)
    if party.commune:
        _el(address, "ram:CityName", party.commune)
    _el(address, "ram:CountryID", "FR")


def _line(parent, line):
    item = _el(parent, "ram:IncludedSupplyChainTradeLineItem")
    document = _el(item, "ram:AssociatedDocumentLineDocument")
    _el(document, "ram:LineID", line.position)  # BT-126
    product = _el(item, "ram:SpecifiedTradeProduct")
    _el(product, "ram:Name", line.label)  # BT-153
    agreement = _el(item, "ram:SpecifiedLineTradeAgreement")
    price = _el(agreement, "ram:NetPriceProductTradePrice")
    _el(price, "ram:ChargeAmount", _price(line.unit_price))  # BT-146
    delivery = _el(item, "ram:SpecifiedLineTradeDelivery")
    _el(delivery, "ram:BilledQuantity", _quantity(line.quantity), unitCode=line.unit_code)
    settlement = _el(item, "ram:SpecifiedLineTradeSettlement")
    tax = _el(settlement, "ram:ApplicableTradeTax")
    _el(tax, "ram:TypeCode", "VAT")
    _el(tax, "ram:CategoryCode", _category(line.vat_rate))  # BT-151
    _el(tax, "ram:RateApplicablePercent", _rate(line.vat_rate))  # BT-152
    summation = _el(settlement, "ram:SpecifiedTradeSettlementLineMonetarySummation")
    _el(summation, "ram:LineTotalAmount", _amount(line.amount))  # BT-131


def cii_xml(doc: FacturXDoc) -> bytes:
    """The CII XML of `doc`, UTF-8 with its declaration."""
    root = etree.Element(f"{{{RSM}}}CrossIndustryInvoice", nsmap=NSMAP)
    context = _el(root, "rsm:ExchangedDocumentContext")
    _el(
        _el(context, "ram:BusinessProcessSpecifiedDocumentContextParameter"),
        "ram:ID",
        BUSINESS_PROCESS,
    )
    _el(_el(context, "ram:GuidelineSpecifiedDocumentContextParameter"), "ram:ID", GUIDELINE)

    header = _el(root, "rsm:ExchangedDocument")
    _el(header, "ram:ID", doc.number)  # BT-1
    _el(header, "ram:TypeCode", doc.type_code)  # BT-3
    _date(header, "ram:IssueDateTime", doc.issued_on)  # BT-2
    for subject, text in notes(doc):
        note = _el(header, "ram:IncludedNote")
        _el(note, "ram:Content", text)  # BT-22
        _el(note, "ram:SubjectCode", subject)  # BT-21

    transaction = _el(root, "rsm:SupplyChainTradeTransaction")
    for line in doc.lines:
        _line(transaction, line)

    agreement = _el(transaction, "ram:ApplicableHeaderTradeAgreement")
    _party(agreement, "ram:SellerTradeParty", doc.seller, seller=True)
    _party(agreement, "ram:BuyerTradeParty", doc.buyer, seller=False)

    delivery = _el(transaction, "ram:ApplicableHeaderTradeDelivery")
    ship_to = _el(delivery, "ram:ShipToTradeParty")  # BG-13: the shop, where it is delivered
    _el(ship_to, "ram:Name", doc.buyer.name or doc.buyer.registered_name)  # BT-70
    _address(ship_to, doc.buyer)  # BG-15
    if doc.delivery_date:
        event = _el(delivery, "ram:ActualDeliverySupplyChainEvent")
        _date(event, "ram:OccurrenceDateTime", doc.delivery_date)  # BT-72

    settlement = _el(transaction, "ram:ApplicableHeaderTradeSettlement")
    payment = doc.payment
    if payment and payment.means == DIRECT_DEBIT and payment.creditor_id:
        _el(settlement, "ram:CreditorReferenceID", payment.creditor_id)  # BT-90
    _el(settlement, "ram:PaymentReference", doc.number)  # BT-83
    _el(settlement, "ram:InvoiceCurrencyCode", CURRENCY)  # BT-5
    # BG-16, the payment means: a transfer to the cooperative's account (given only when
    # its IBAN is recorded: the rules refuse a transfer without one), or a direct debit.
    if payment and (payment.means == DIRECT_DEBIT or payment.iban):
        means = _el(settlement, "ram:SpecifiedTradeSettlementPaymentMeans")
        _el(means, "ram:TypeCode", MEANS_CODE[payment.means])  # BT-81
        if payment.means == DIRECT_DEBIT:
            if payment.debtor_iban:
                debtor = _el(means, "ram:PayerPartyDebtorFinancialAccount")
                _el(debtor, "ram:IBANID", payment.debtor_iban)  # BT-91
        else:
            account = _el(means, "ram:PayeePartyCreditorFinancialAccount")
            _el(account, "ram:IBANID", payment.iban)  # BT-84
            if payment.bic:
                bank = _el(means, "ram:PayeeSpecifiedCreditorFinancialInstitution")
                _el(bank, "ram:BICID", payment.bic)  # BT-86
    for vat in doc.vat:
        tax = _el(settlement, "ram:ApplicableTradeTax")
        _el(tax, "ram:CalculatedAmount", _amount(vat.amount))  # BT-117
        _el(tax, "ram:TypeCode", "VAT")
        _el(tax, "ram:BasisAmount", _amount(vat.base))  # BT-116
        _el(tax, "ram:CategoryCode", _category(vat.rate))  # BT-118
        if doc.vat_on_debits:
            # BT-8: VAT on debits is due when the invoice is issued (code 5).
            _el(tax, "ram:DueDateTypeCode", "5")
        _el(tax, "ram:RateApplicablePercent", _rate(vat.rate))  # BT-119
    terms = _el(settlement, "ram:SpecifiedTradePaymentTerms")
    _el(terms, "ram:Description", doc.payment_terms)  # BT-20
    if doc.due_on:
        _date(terms, "ram:DueDateDateTime", doc.due_on)  # BT-9
    if payment and payment.means == DIRECT_DEBIT and payment.mandate_reference:
        _el(terms, "ram:DirectDebitMandateID", payment.mandate_reference)  # BT-89
    totals = _el(settlement, "ram:SpecifiedTradeSettlementHeaderMonetarySummation")
    _el(totals, "ram:LineTotalAmount", _amount(sum((ln.amount for ln in doc.lines), Decimal(0))))
    _el(totals, "ram:TaxBasisTotalAmount", _amount(doc.total_excl_vat))  # BT-109
    _el(totals, "ram:TaxTotalAmount", _amount(doc.total_vat), currencyID=CURRENCY)  # BT-110
    _el(totals, "ram:GrandTotalAmount", _amount(doc.total_incl_vat))  # BT-112
    _el(totals, "ram:TotalPrepaidAmount", _amount(doc.prepaid))  # BT-113
    _el(totals, "ram:DuePayableAmount", _amount(doc.due_payable))  # BT-115
    if doc.corrected_number:
        reference = _el(settlement, "ram:InvoiceReferencedDocument")
        _el(reference, "ram:IssuerAssignedID", doc.corrected_number)  # BT-25
        if doc.corrected_issued_on:
            _date(
                reference, "ram:FormattedIssueDateTime", doc.corrected_issued_on, qualified=True
            )  # BT-26
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
