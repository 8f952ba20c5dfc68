"""What a supplier's e-invoice must be beyond adding up (docs/supplier-invoices.md,
"What is checked"): an invoice, not a credit note; dated no later than today; its
values within the columns that keep them; each rate's base its lines and charges; its
document-level charges shipping only. Each refused with the reason in French (400),
before anything is stored."""

import dataclasses
import datetime as dt
from decimal import Decimal

import pytest

from mache.money import money
from mache.periods import paris_today
from purchasing.supplier_invoices import checks
from purchasing.supplier_invoices.document import ReceivedCharge
from purchasing.supplier_invoices.reading import read_einvoice
from tests.factories.supplier_einvoices import InvoiceSpec, Line, ubl_xml

from .test_supplier_einvoice_reading import WRITERS, a_spec, refusal

D = Decimal


# --- Credit notes and other document types ---------------------------------------------


@pytest.mark.parametrize("fmt", list(WRITERS))
def test_a_supplier_credit_note_is_refused(fmt):
    reason = refusal(WRITERS[fmt](a_spec(type_code="381")))
    assert reason.startswith("Les avoirs fournisseurs ne sont pas encore pris en charge")
    assert "381" in reason


@pytest.mark.parametrize("fmt", ["cii", "ubl"])
def test_another_document_type_is_refused(fmt):
    reason = refusal(WRITERS[fmt](a_spec(type_code="386")))  # a prepayment invoice
    assert reason.startswith("Type de document non pris en charge (type 386, BT-3)")


@pytest.mark.parametrize("fmt", ["cii", "ubl"])
@pytest.mark.parametrize("code", ["384", "389"])
def test_corrected_and_self_billed_invoices_are_taken(fmt, code):
    assert read_einvoice(WRITERS[fmt](a_spec(type_code=code))).type_code == code


def test_an_invoice_with_a_negative_total_is_a_credit_note():
    spec = a_spec(lines=(Line("GAL", "Galettes", D("-12"), D("2.20"), D("5.50")),), shipping=())
    reason = refusal(WRITERS["ubl"](spec))
    assert reason.startswith("Les avoirs fournisseurs ne sont pas encore pris en charge")
    assert "BT-112 : -27,85" in reason


# --- The issue date ----------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["cii", "ubl"])
def test_an_issue_date_after_today_is_refused(fmt):
    tomorrow = paris_today() + dt.timedelta(days=1)
    reason = refusal(WRITERS[fmt](a_spec(issued_on=tomorrow, due_on=None)))
    assert "est postérieure à aujourd'hui" in reason
    assert f"BT-2 : {tomorrow:%d/%m/%Y}" in reason
    assert read_einvoice(WRITERS[fmt](a_spec(issued_on=paris_today()))).issued_on == (paris_today())


# --- Values the columns cannot keep ------------------------------------------------------


@pytest.mark.parametrize("fmt", ["cii", "ubl"])
def test_a_number_longer_than_its_column_is_refused(fmt):
    reason = refusal(WRITERS[fmt](a_spec(number="N" * 150)))
    assert reason == ("Valeurs hors limites : le numéro de facture (BT-1) dépasse 100 caractères.")


@pytest.mark.parametrize("fmt", ["cii", "ubl"])
def test_a_price_beyond_its_column_is_refused(fmt):
    spec = a_spec(
        lines=(Line("GAL", "Galettes", D("1"), D("123456789012345.00"), D("5.50")),),
        shipping=(),
    )
    reason = refusal(WRITERS[fmt](spec))
    assert reason.startswith("Valeurs hors limites : ")
    assert "ligne 1 : le prix net (BT-146) dépasse 10 chiffres avant la virgule" in reason
    assert "ligne 1 : le montant (BT-131) dépasse 10 chiffres avant la virgule" in reason


@pytest.mark.parametrize("fmt", ["cii", "ubl"])
def test_a_rate_outside_0_to_100_is_refused(fmt):
    spec = a_spec(lines=(Line("GAL", "Galettes", D("1"), D("10.00"), D("1000")),), shipping=())
    reason = refusal(WRITERS[fmt](spec))
    assert "ligne 1 : le taux de TVA (BT-152) n'est pas entre 0 et 100 % (1000.00)" in reason


def test_amounts_with_more_than_two_decimals_are_refused():
    xml = ubl_xml(a_spec()).replace(b">86.50<", b">86.504<")
    reason = refusal(xml)
    assert reason == (
        "Valeurs hors limites : le total TTC (BT-112) a plus de 2 décimales (86.504) ; "
        "le montant dû (BT-115) a plus de 2 décimales (86.504)."
    )


def test_a_quantity_with_more_than_four_decimals_is_refused():
    xml = ubl_xml(a_spec()).replace(b'unitCode="C62">12<', b'unitCode="C62">12.00001<')
    assert "ligne 1 : la quantité (BT-129) a plus de 4 décimales (12.00001)" in refusal(xml)


def test_trailing_zeros_are_not_decimals():
    xml = ubl_xml(a_spec()).replace(b">86.50<", b">86.500<")
    assert read_einvoice(xml).total_incl_vat == D("86.50")


def test_a_price_per_base_quantity_is_kept_to_six_decimals():
    xml = ubl_xml(
        a_spec(lines=(Line("GAL", "Galettes", D("3"), D("1.0000"), D("5.50")),), shipping=())
    ).replace(
        b'<cbc:PriceAmount currencyID="EUR">1.0000</cbc:PriceAmount>',
        b'<cbc:PriceAmount currencyID="EUR">1.0000</cbc:PriceAmount>'
        b'<cbc:BaseQuantity unitCode="C62">3</cbc:BaseQuantity>',
    )
    xml = xml.replace(b">3.00<", b">1.00<").replace(b">3.17<", b">1.06<")
    xml = xml.replace(b">0.17<", b">0.06<")
    (line,) = read_einvoice(xml).lines
    assert line.net_unit_price == D("0.333333")


# --- The VAT breakdown per rate ----------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class MovedBase(InvoiceSpec):
    """20.00 of base moved from the 5.5 % rate to the 20 % one, the VAT and the totals
    computed on the moved bases (the reviewer's invoice)."""

    def vat(self):
        (low, low_base, _), (high, high_base, _) = super().vat()
        low_base, high_base = low_base - 20, high_base + 20
        return [
            (low, low_base, money(low_base * low / 100)),
            (high, high_base, money(high_base * high / 100)),
        ]


def moved(spec: InvoiceSpec) -> MovedBase:
    return MovedBase(**{f.name: getattr(spec, f.name) for f in dataclasses.fields(spec)})


@pytest.mark.parametrize("fmt", list(WRITERS))
def test_a_rate_whose_base_is_not_its_lines_and_charges_is_refused(fmt):
    reason = refusal(WRITERS[fmt](moved(a_spec())))
    assert reason.startswith("Les totaux ne s'additionnent pas : ")
    # Galettes 12 × 2.20 + 10.00 of shipping at 5.5 %; cider 24 × 1.045 + 15.00 at 20 %.
    assert (
        "base de TVA à 5,5 % (BT-116 : 16,40) ≠ lignes + frais − remises à ce taux "
        "(26,40 + 10,00 − 0,00 = 36,40)"
    ) in reason
    assert "base de TVA à 20 % (BT-116 : 60,08)" in reason


def test_a_rate_missing_from_the_breakdown_is_refused():
    invoice = read_einvoice(ubl_xml(a_spec()))
    broken = dataclasses.replace(invoice, vat=invoice.vat[1:])
    assert (
        "le taux 5,5 % des lignes ou des frais n'a pas de ligne dans le détail de la TVA (BG-23)"
    ) in " ".join(checks.problems(broken))


# --- Charges and allowances --------------------------------------------------------------


def with_charges(*charges: ReceivedCharge):
    """The example invoice read, its charges replaced (its totals kept: the charge
    rule is what is looked at)."""
    return dataclasses.replace(read_einvoice(ubl_xml(a_spec())), charges=charges)


def charge(amount, reason="", code="", *, is_charge=True, rate="20.00"):
    return ReceivedCharge(is_charge, D(amount), reason, code, "S", D(rate))


@pytest.mark.parametrize(
    "shipping",
    [
        charge("15.00", "Transport", "FC"),
        charge("15.00", "", "DL"),
        charge("15.00", "Frais de port", ""),
        charge("15.00", "Livraison Chronopost", "ZZZ"),
    ],
    ids=["FC", "DL", "port", "livraison"],
)
def test_shipping_charges_are_taken(shipping):
    invoice = with_charges(charge("10.00", "Transport", "FC", rate="5.50"), shipping)
    assert checks.charges_problem(invoice) is None
    assert checks.problems(invoice) == []


def test_allowances_and_other_charges_are_refused():
    invoice = with_charges(
        charge("10.00", "Transport", "FC", rate="5.50"),
        charge("15.00", "Consigne", "ABL"),
        charge("2.00", "Remise fidélité", "95", is_charge=False),
        charge("0.00", "Remise nulle", "95", is_charge=False),
    )
    assert checks.charges_problem(invoice) == (
        "Remises et frais de pied de facture non pris en charge : frais « Consigne » "
        "(code ABL) de 15,00 ; remise « Remise fidélité » (code 95) de 2,00. Seul le "
        "transport est accepté en pied de facture (code FC ou DL, ou un motif qui le "
        "dit) ; une remise doit être portée sur les lignes, dans leur prix net."
    )
    assert checks.charges_problem(invoice) in checks.problems(invoice)
