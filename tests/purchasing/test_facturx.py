"""Factur-X: the CII XML of invoices and credit notes, its validation against the XSD,
the EN 16931 and the French (BR-FR) rules, validation before the number is taken, and
the /xml/ endpoints (docs/e-invoicing.md, "The CII XML and its validation")."""

import dataclasses
import datetime as dt
from decimal import Decimal

import pytest
from django.db.models import Sum
from lxml import etree

from accounting import accounts
from accounting.models import EntryLine
from inventory.models import StockMovement
from purchasing import credit_note_rules as cn_rules
from purchasing.facturx import credit_note_cii, invoice_cii
from purchasing.facturx.cii import cii_xml
from purchasing.facturx.documents import (
    DIRECT_DEBIT,
    INVOICE,
    LATE_PENALTY_RATE,
    FacturXDoc,
    Line,
    Party,
    Payment,
    Vat,
    unit_code,
    vat_number_of,
)
from purchasing.facturx.validation import (
    FacturXInvalid,
    cii_check,
    cii_failures,
    schematron_failures,
    xsd_failures,
)
from purchasing.models import (
    CreditNote,
    CreditNoteSequence,
    Invoice,
    InvoiceSequence,
    SupplierOrder,
)
from purchasing.services.credit_notes import credit_note_issue
from shops.models import Cooperative, User
from tests.factories import ShopFactory, UserFactory

from .test_receipt import consolidated, receive  # noqa: F401 (the fixture)

D = Decimal
NS = {
    "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
    "udt": "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100",
}


def xpath(xml: bytes, path: str) -> list[str]:
    return [
        node if isinstance(node, str) else node.text
        for node in etree.fromstring(xml).xpath(path, namespaces=NS)
    ]


def one(xml: bytes, path: str) -> str:
    (value,) = xpath(xml, path)
    return value


SUMMATION = "//ram:SpecifiedTradeSettlementHeaderMonetarySummation/"


def blocking(failures):
    return [(f.source, f.rule_id, f.text) for f in failures if f.blocking]


@pytest.fixture
def received(api, coordinator, consolidated):  # noqa: F811
    response = receive(api, coordinator, consolidated)
    assert response.status_code == 201, response.json()
    consolidated["invoices"] = {i.shop_id: i for i in Invoice.objects.order_by("sequence")}
    return consolidated


# The pure parts ----------------------------------------------------------------------


def test_unit_codes_count_units_and_kilograms():
    assert [unit_code(label) for label in ("unité", "bouteille", "", None)] == ["C62"] * 4
    assert [unit_code(label) for label in ("kg", "KG", "kilo", "Kilogramme")] == ["KGM"] * 4


def test_the_vat_number_is_derived_from_the_siren():
    assert vat_number_of("732829320") == "FR44732829320"
    assert vat_number_of("") == ""


def sample_document(**changes) -> FacturXDoc:
    seller = Party(
        name="MACHE",
        legal_name="SCIC MACHE",
        siret="73282932000074",
        address="1 rue de la Coopérative",
        postcode="35000",
        commune="Rennes",
        vat_number="FR44732829320",
        legal_form="SCIC SAS à capital variable",
        share_capital=D("12000.00"),
        rcs="RCS Rennes 732 829 320",
    )
    buyer = Party(
        name="Épicerie de Rimou",
        legal_name="EPICERIE DE RIMOU",
        siret="55208131766522",
        address="1 place de l'Église",
        postcode="35560",
        commune="Rimou",
        vat_number="FR18552081317",
    )
    document = FacturXDoc(
        type_code=INVOICE,
        number="MACHE-2026-000001",
        issued_on=dt.date(2026, 9, 15),
        seller=seller,
        buyer=buyer,
        delivery_date=dt.date(2026, 9, 16),
        lines=[
            Line(1, "goods", "Farine de sarrasin", D(3), "KGM", D("2.2000"), D("6.60"), D("5.50")),
            Line(2, "fee", "Frais de service", D(1), "C62", D("0.13"), D("0.13"), D("20.00")),
        ],
        vat=[Vat(D("5.50"), D("6.60"), D("0.36")), Vat(D("20.00"), D("0.13"), D("0.03"))],
        total_excl_vat=D("6.73"),
        total_vat=D("0.39"),
        total_incl_vat=D("7.12"),
        due_on=dt.date(2026, 10, 15),
        payment_terms="Prélèvement SEPA à l'échéance.",
        payment=Payment(
            means=DIRECT_DEBIT,
            creditor_id="FR72ZZZ123456",
            mandate_reference="MACHE-RUM-0001",
            debtor_iban="FR7630006000011234567890189",
        ),
        vat_on_debits=True,
        late_penalty_rate=LATE_PENALTY_RATE,
    )
    return dataclasses.replace(document, **changes)


def test_a_direct_debit_invoice_on_debits_is_valid_and_says_so():
    xml = cii_xml(sample_document())
    assert blocking(cii_failures(xml, blocking_only=False)) == []
    assert one(xml, "//ram:SpecifiedTradeSettlementPaymentMeans/ram:TypeCode") == "59"
    assert one(xml, "//ram:DirectDebitMandateID") == "MACHE-RUM-0001"  # BT-89
    assert one(xml, "//ram:CreditorReferenceID") == "FR72ZZZ123456"  # BT-90
    assert one(xml, "//ram:PayerPartyDebtorFinancialAccount/ram:IBANID").startswith("FR76")
    notes = dict(
        zip(
            xpath(xml, "//ram:IncludedNote/ram:SubjectCode"),
            xpath(xml, "//ram:IncludedNote/ram:Content"),
            strict=True,
        )
    )
    assert notes["TXD"] == "Option pour le paiement de la taxe d'après les débits."
    assert "40 €" in notes["PMT"] and "intérêt légal" in notes["PMD"]
    assert "prestation de services" in notes["AAI"]
    assert xpath(xml, "//ram:BilledQuantity/@unitCode") == ["KGM", "C62"]
    seller = "//ram:SellerTradeParty/"
    assert one(xml, seller + "ram:GlobalID[@schemeID='0009']") == "73282932000074"
    assert one(xml, seller + "ram:SpecifiedLegalOrganization/ram:ID[@schemeID='0002']") == (
        "732829320"
    )
    assert one(xml, seller + "ram:Description") == (
        "SCIC SAS à capital variable au capital de 12\u202f000,00 €, RCS Rennes 732 829 320"
    )


def test_a_transfer_names_the_cooperatives_account():
    xml = cii_xml(
        sample_document(
            payment=Payment(means="transfer", iban="FR7630006000011234567890189", bic="AGRIFRPP"),
            vat_on_debits=False,
        )
    )
    assert blocking(cii_failures(xml)) == []
    assert one(xml, "//ram:SpecifiedTradeSettlementPaymentMeans/ram:TypeCode") == "58"
    assert one(xml, "//ram:PayeePartyCreditorFinancialAccount/ram:IBANID").startswith("FR76")
    assert one(xml, "//ram:BICID") == "AGRIFRPP"
    assert "TXD" not in xpath(xml, "//ram:IncludedNote/ram:SubjectCode")


def test_the_validator_catches_altered_totals():
    xml = cii_xml(sample_document())
    broken = xml.replace(b"<ram:GrandTotalAmount>7.12<", b"<ram:GrandTotalAmount>7.13<")
    assert broken != xml
    rules = {f.rule_id for f in cii_failures(broken)}
    assert {"BR-CO-15", "BR-CO-16"} <= rules
    with pytest.raises(FacturXInvalid) as refused:
        cii_check(broken)
    assert refused.value.code == "einvoice_invalid"
    assert "BR-CO-15" in refused.value.detail and "BR-CO-15" in refused.value.extra["rules"]


def test_the_xsd_refuses_a_file_out_of_its_structure():
    xml = cii_xml(sample_document())
    broken = xml.replace(b"<ram:TypeCode>380</ram:TypeCode>", b"")
    assert [f.source for f in cii_failures(broken)] == ["xsd"]
    assert cii_failures(b"<pas du xml") != []


def test_the_french_rules_refuse_a_seller_without_siren():
    xml = cii_xml(sample_document(seller=dataclasses.replace(sample_document().seller, siret="")))
    rules = {f.rule_id for f in cii_failures(xml)}
    assert "BR-FR-10_BT-30" in rules


# Every invoice and credit note of the worked example ---------------------------------


def assert_matches_the_books(xml: bytes, invoice: Invoice):
    lines = [
        D(v)
        for v in xpath(
            xml, "//ram:SpecifiedTradeSettlementLineMonetarySummation/ram:LineTotalAmount"
        )
    ]
    assert sum(lines) == invoice.total_excl_vat
    assert lines == [line.amount for line in invoice.lines.all()]
    assert D(one(xml, SUMMATION + "ram:LineTotalAmount")) == invoice.total_excl_vat
    assert D(one(xml, SUMMATION + "ram:TaxBasisTotalAmount")) == invoice.total_excl_vat
    assert D(one(xml, SUMMATION + "ram:TaxTotalAmount")) == invoice.total_vat
    assert D(one(xml, SUMMATION + "ram:GrandTotalAmount")) == invoice.total_incl_vat
    assert D(one(xml, SUMMATION + "ram:TotalPrepaidAmount")) == D("0.00")
    assert D(one(xml, SUMMATION + "ram:DuePayableAmount")) == invoice.total_incl_vat
    breakdown = list(
        zip(
            [
                D(v)
                for v in xpath(
                    xml,
                    "//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax/ram:RateApplicablePercent",
                )
            ],
            [
                D(v)
                for v in xpath(
                    xml,
                    "//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax/ram:BasisAmount",
                )
            ],
            [
                D(v)
                for v in xpath(
                    xml,
                    "//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax/ram:CalculatedAmount",
                )
            ],
            strict=True,
        )
    )
    assert breakdown == [(v.rate, v.base, v.amount) for v in invoice.vat_lines.all()]
    # The cooperative's books: 411000 debited with the total, 445710 credited with the
    # VAT, the sales accounts with the rest, to the cent.
    books = EntryLine.objects.filter(
        entry__source=f"invoice:{invoice.number}", ledger__kind="cooperative"
    )

    def total(account, side):
        return books.filter(account__number=account).aggregate(t=Sum(side))["t"]

    assert total(accounts.CUSTOMERS, "debit") == invoice.total_incl_vat
    assert total(accounts.VAT_COLLECTED, "credit") == invoice.total_vat
    sales = books.filter(
        account__number__in=[accounts.SALES, accounts.ANCILLARY_INCOME, accounts.SERVICES_SOLD]
    ).aggregate(t=Sum("credit"))["t"]
    assert sales == invoice.total_excl_vat


def test_the_worked_examples_invoices_are_valid_einvoices_matching_the_books(received):
    assert len(received["invoices"]) == 3
    for invoice in received["invoices"].values():
        xml = invoice_cii(invoice)
        assert xsd_failures(xml) == []
        assert blocking(schematron_failures(xml)) == []  # EN 16931 and BR-FR, both run
        assert one(xml, "//rsm:ExchangedDocument/ram:ID") == invoice.number
        assert one(xml, "//rsm:ExchangedDocument/ram:TypeCode") == "380"
        assert one(xml, "//ram:GuidelineSpecifiedDocumentContextParameter/ram:ID") == (
            "urn:cen.eu:en16931:2017"
        )
        assert one(xml, "//ram:DueDateDateTime/udt:DateTimeString") == f"{invoice.due_on:%Y%m%d}"
        assert one(xml, "//ram:ActualDeliverySupplyChainEvent//udt:DateTimeString") == (
            f"{received['round'].delivery_date:%Y%m%d}"
        )
        assert one(xml, "//ram:ShipToTradeParty/ram:PostalTradeAddress/ram:CityName") == (
            invoice.buyer_commune
        )
        assert one(xml, "//ram:BuyerTradeParty/ram:GlobalID") == invoice.buyer_siret
        assert_matches_the_books(xml, invoice)


def test_a_credit_note_is_a_valid_einvoice_of_type_381_naming_its_invoice(received):
    invoice = received["invoices"][101]
    goods = invoice.lines.filter(kind="goods").first()
    note = credit_note_issue(
        invoice_id=invoice.pk,
        reason="Casse à la livraison",
        lines=[
            {"invoice_line": goods.pk, "quantity": 1},
            {"label": "Geste commercial", "amount_excl_vat": D("1.00"), "vat_rate": D("20.00")},
        ],
    )
    xml = credit_note_cii(note)
    assert blocking(cii_failures(xml, blocking_only=False)) == []
    assert one(xml, "//rsm:ExchangedDocument/ram:TypeCode") == "381"
    assert one(xml, "//ram:InvoiceReferencedDocument/ram:IssuerAssignedID") == invoice.number
    assert D(one(xml, SUMMATION + "ram:GrandTotalAmount")) == note.total_incl_vat
    assert D(one(xml, SUMMATION + "ram:TaxTotalAmount")) == note.total_vat
    lines = xpath(xml, "//ram:SpecifiedTradeSettlementLineMonetarySummation/ram:LineTotalAmount")
    assert sum(D(v) for v in lines) == note.total_excl_vat


# Validation before the number is taken -----------------------------------------------


def test_a_receipt_whose_invoices_would_not_validate_is_refused_and_writes_nothing(
    api,
    coordinator,
    consolidated,  # noqa: F811
):
    # A cooperative recorded without its SIRET: no SIREN for the seller, which the French
    # rules require.
    Cooperative.objects.update(siret="")
    response = receive(api, coordinator, consolidated)
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "einvoice_invalid"
    assert "BR-FR-10_BT-30" in body["rules"]
    assert "BR-FR-10/BT-30" in body["detail"] and "SIREN" in body["detail"]
    assert not Invoice.objects.exists()
    assert not InvoiceSequence.objects.filter(last_number__gt=0).exists()
    assert not StockMovement.objects.exists()
    assert not EntryLine.objects.exists()
    supplier_order = SupplierOrder.objects.get(pk=consolidated["supplier_order"].pk)
    assert supplier_order.status != SupplierOrder.Status.RECEIVED


def test_a_credit_note_that_would_not_validate_is_refused_before_its_number(
    api, coordinator, received, monkeypatch
):
    # A draft whose total no longer adds up (its VAT plus its base): the validator, not
    # the database, must stop it.
    draft_of = cn_rules.credit_note_draft

    def altered(**kwargs):
        draft = draft_of(**kwargs)
        return dataclasses.replace(draft, total_incl_vat=draft.total_incl_vat + D("0.01"))

    monkeypatch.setattr(cn_rules, "credit_note_draft", altered)
    invoice = received["invoices"][101]
    response = api.as_user(coordinator).post(
        "/api/credit-notes/",
        {
            "invoice": invoice.pk,
            "reason": "Erreur de prix",
            "lines": [{"label": "Remise", "amount_excl_vat": "1.00", "vat_rate": "20.00"}],
        },
        format="json",
    )
    assert response.status_code == 409
    assert response.json()["code"] == "einvoice_invalid"
    assert "BR-CO-15" in response.json()["rules"]
    assert not CreditNote.objects.exists()
    assert not CreditNoteSequence.objects.filter(last_number__gt=0).exists()
    invoice.refresh_from_db()
    assert invoice.amount_credited == 0


# The endpoints -----------------------------------------------------------------------


def test_the_xml_endpoints_give_the_cii_alone_scoped_like_the_pdfs(api, coordinator, received):
    invoice = received["invoices"][101]
    note = credit_note_issue(
        invoice_id=invoice.pk,
        reason="Casse",
        lines=[{"label": "Casse", "amount_excl_vat": D("1.00"), "vat_rate": D("5.50")}],
    )
    client = api.as_user(coordinator)
    for url, expected in (
        (f"/api/invoices/{invoice.pk}/xml/", invoice_cii(invoice)),
        (f"/api/credit-notes/{note.pk}/xml/", credit_note_cii(note)),
    ):
        response = client.get(url)
        assert response.status_code == 200
        assert response["Content-Type"] == "application/xml"
        assert response.content == expected

    keeper = received["keepers"][101]
    client = api.as_user(keeper)
    assert client.get(f"/api/invoices/{invoice.pk}/xml/").status_code == 200
    assert client.get(f"/api/credit-notes/{note.pk}/xml/").status_code == 200
    other = received["invoices"][102]
    assert client.get(f"/api/invoices/{other.pk}/xml/").status_code == 404
    stranger = UserFactory(username="ailleurs", role=User.Role.SHOPKEEPER, shops=[ShopFactory()])
    client = api.as_user(stranger)
    assert client.get(f"/api/credit-notes/{note.pk}/xml/").status_code == 404


def test_the_xml_endpoint_answers_in_a_fixed_number_of_queries(
    api, coordinator, received, django_assert_max_num_queries
):
    invoice = received["invoices"][101]
    client = api.as_user(coordinator)
    with django_assert_max_num_queries(12):
        assert client.get(f"/api/invoices/{invoice.pk}/xml/").status_code == 200
