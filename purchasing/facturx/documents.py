"""An invoice or a credit note as an e-invoice: plain dataclasses read once from the ORM,
everything the CII XML (`cii.py`) and the PDF need (docs/e-invoicing.md, "The CII XML and
its validation").

The parties are those of the invoice's snapshot (a credit note uses its invoice's): the
seller as the cooperative was at issue, the buyer as the shop was. A snapshot field that
does not exist on the model falls back to the cooperative as it is now; once it exists,
the snapshot is what counts, blank or not.
"""

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import prefetch_related_objects
from stdnum.fr import siren as siren_numbers

from mache.money import ZERO
from shops.models import Cooperative

INVOICE = "380"
CREDIT_NOTE = "381"
TRANSFER = "transfer"
DIRECT_DEBIT = "direct_debit"

# catalogue.Product.unit_label is free text: these words mean the product is sold by the
# kilogram (UN/ECE Recommendation 20 code KGM); anything else counts in units (C62).
KILOGRAM_LABELS = frozenset({"kg", "kgs", "kilo", "kilos", "kilogramme", "kilogrammes"})


def unit_code(unit_label: str | None) -> str:
    """`KGM` for a product sold by the kilogram, `C62` (one) otherwise."""
    word = (unit_label or "").strip().lower().removeprefix("le ").removeprefix("1 ").strip(". ")
    return "KGM" if word in KILOGRAM_LABELS else "C62"


def siren_of(siret: str) -> str:
    """The SIREN (9 digits) a SIRET starts with, or "" without one."""
    digits = "".join(ch for ch in siret or "" if ch.isdigit())
    return digits[:9] if len(digits) >= 9 else ""


def vat_number_of(siren: str) -> str:
    """The French intra-community VAT number derived from a SIREN (FR + key + SIREN)."""
    # Any 9 digits (La Poste's SIREN fails the Luhn key yet has a VAT number).
    if len(siren) != 9 or not siren.isdigit():
        return ""
    return f"FR{siren_numbers.to_tva(siren)}"


@dataclass(frozen=True)
class Party:
    name: str
    legal_name: str
    siret: str
    address: str
    postcode: str
    commune: str
    vat_number: str = ""
    legal_form: str = ""
    share_capital: Decimal | None = None
    rcs: str = ""

    @property
    def siren(self) -> str:
        return siren_of(self.siret)

    @property
    def registered_name(self) -> str:
        return self.legal_name or self.name


@dataclass(frozen=True)
class Line:
    position: int
    kind: str  # purchasing.InvoiceLine.Kind: goods, shipping, fee
    label: str
    quantity: Decimal
    unit_code: str
    unit_price: Decimal
    amount: Decimal
    vat_rate: Decimal


@dataclass(frozen=True)
class Vat:
    rate: Decimal
    base: Decimal
    amount: Decimal


@dataclass(frozen=True)
class Payment:
    means: str  # TRANSFER | DIRECT_DEBIT
    iban: str = ""
    bic: str = ""
    creditor_id: str = ""
    mandate_reference: str = ""
    debtor_iban: str = ""


@dataclass(frozen=True)
class FacturXDoc:
    type_code: str  # INVOICE | CREDIT_NOTE
    number: str
    issued_on: dt.date
    seller: Party
    buyer: Party
    delivery_date: dt.date | None
    lines: list[Line]
    vat: list[Vat]
    total_excl_vat: Decimal
    total_vat: Decimal
    total_incl_vat: Decimal
    due_on: dt.date | None
    payment_terms: str
    payment: Payment | None
    vat_on_debits: bool
    late_penalty_rate: str
    # The invoice a credit note corrects, or a supplementary invoice adds to (BT-25,
    # BT-26).
    corrected_number: str = ""
    corrected_issued_on: dt.date | None = None
    reason: str = ""
    notes: list[tuple[str, str]] = field(default_factory=list)  # extra (subject, text)

    @property
    def is_credit_note(self) -> bool:
        return self.type_code == CREDIT_NOTE

    @property
    def prepaid(self) -> Decimal:
        # The document as issued: nothing is paid yet (later payments are settlements
        # in the books, not changes of the document).
        return ZERO

    @property
    def due_payable(self) -> Decimal:
        return self.total_incl_vat - self.prepaid


# Late-payment penalties (Code de commerce L441-10): three times the legal interest rate
# unless the terms say otherwise; printed as such on every document.
LATE_PENALTY_RATE = "trois fois le taux d'intérêt légal"

_MISSING = object()


def _snapshot(invoice, name: str, current):
    """The invoice's snapshot field `name`, or `current()` while the model has none."""
    value = getattr(invoice, name, _MISSING)
    return current() if value is _MISSING else value


class _Lazy:
    """The current cooperative, read once, only if a snapshot field is missing."""

    def __init__(self, coop=None):
        self._coop = coop

    def __call__(self):
        if self._coop is None:
            self._coop = Cooperative.current()
        return self._coop


def _seller(invoice, coop: _Lazy) -> Party:
    def snap(name, default=""):
        return _snapshot(invoice, f"seller_{name}", lambda: getattr(coop(), name, default))

    siret = invoice.seller_siret
    # The VAT number of a French company is derived from its SIREN (docs/e-invoicing.md).
    vat_number = snap("vat_number") or vat_number_of(siren_of(siret))
    return Party(
        name=invoice.seller_name,
        legal_name=invoice.seller_legal_name,
        siret=siret,
        address=invoice.seller_address,
        postcode=invoice.seller_postcode,
        commune=invoice.seller_commune,
        vat_number=vat_number,
        legal_form=snap("legal_form"),
        share_capital=snap("share_capital", default=None),
        rcs=snap("rcs"),
    )


def _buyer(invoice) -> Party:
    return Party(
        name=invoice.buyer_name,
        legal_name=invoice.buyer_legal_name,
        siret=invoice.buyer_siret,
        address=invoice.buyer_address,
        postcode=invoice.buyer_postcode,
        commune=invoice.buyer_commune,
        vat_number=getattr(invoice, "buyer_vat_number", "") or "",
    )


def _payment(invoice, coop: _Lazy) -> Payment:
    means = getattr(invoice, "payment_means", "") or TRANSFER
    return Payment(
        means=means,
        iban=_snapshot(invoice, "seller_iban", lambda: coop().iban) or "",
        bic=_snapshot(invoice, "seller_bic", lambda: coop().bic) or "",
        creditor_id=_snapshot(invoice, "seller_creditor_id", lambda: coop().sepa_creditor_id) or "",
        mandate_reference=getattr(invoice, "mandate_reference", "") or "",
        debtor_iban=getattr(invoice, "mandate_iban", "") or "",
    )


def _line(position, line) -> Line:
    product = line.product if line.product_id else None
    return Line(
        position=position,
        kind=line.kind,
        label=line.label,
        quantity=Decimal(line.quantity) if line.quantity is not None else Decimal(1),
        unit_code=unit_code(product.unit_label if product else None),
        unit_price=line.unit_price if line.unit_price is not None else line.amount,
        amount=line.amount,
        vat_rate=line.vat_rate,
    )


def invoice_document(
    invoice, *, lines=None, vat_lines=None, delivery_date=None, cooperative=None
) -> FacturXDoc:
    """The e-invoice of `invoice`. A draft not saved yet passes its `lines` (InvoiceLine
    with their product objects set), its `vat_lines` (InvoiceVat) and the round's
    `delivery_date`; a saved invoice reads them (prefetch `lines__product`, `vat_lines`
    and select `round` to spare the queries). `cooperative`: the cooperative as read by
    the caller, for the snapshot fields the model lacks (module doc)."""
    coop = _Lazy(cooperative)
    if lines is None:
        # What the caller prefetched is used (the PDF, the selectors); the rest is read
        # in one query per relation.
        prefetch_related_objects([invoice], "lines__product", "vat_lines")
        lines = sorted(invoice.lines.all(), key=lambda line: line.position)
    if vat_lines is None:
        vat_lines = sorted(invoice.vat_lines.all(), key=lambda vat: vat.rate)
    if delivery_date is None:
        delivery_date = invoice.round.delivery_date
    payment = _payment(invoice, coop)
    terms = f"Paiement à réception, au plus tard le {invoice.due_on:%d/%m/%Y}."
    if payment.means == DIRECT_DEBIT:
        terms = (
            f"Prélèvement SEPA à l'échéance du {invoice.due_on:%d/%m/%Y} "
            f"(mandat {payment.mandate_reference})."
        )
    # A supplementary invoice names the round's invoice it adds to
    # (docs/supplier-differences.md); a draft carries that invoice, a saved one reads it.
    supplemented = invoice.supplements if invoice.supplements_id else None
    return FacturXDoc(
        type_code=INVOICE,
        number=invoice.number,
        issued_on=invoice.issued_on,
        seller=_seller(invoice, coop),
        buyer=_buyer(invoice),
        delivery_date=delivery_date,
        lines=[_line(position, line) for position, line in enumerate(lines, start=1)],
        vat=[Vat(rate=v.rate, base=v.base, amount=v.amount) for v in vat_lines],
        total_excl_vat=invoice.total_excl_vat,
        total_vat=invoice.total_vat,
        total_incl_vat=invoice.total_incl_vat,
        due_on=invoice.due_on,
        payment_terms=terms,
        payment=payment,
        vat_on_debits=bool(
            _snapshot(invoice, "seller_vat_on_debits", lambda: coop().vat_on_debits)
        ),
        late_penalty_rate=LATE_PENALTY_RATE,
        corrected_number=supplemented.number if supplemented else "",
        corrected_issued_on=supplemented.issued_on if supplemented else None,
        notes=[("ACB", supplement_note(supplemented))] if supplemented else [],
    )


def supplement_note(invoice) -> str:
    """What a supplementary invoice says of the invoice it adds to (BT-22, on the PDF
    too)."""
    return (
        f"Facture complémentaire de la facture {invoice.number} du "
        f"{invoice.issued_on:%d/%m/%Y} : ce que le fournisseur a facturé de plus que les "
        "montants de cette facture."
    )


def credit_note_document(
    credit_note, *, invoice=None, lines=None, vat_lines=None, number=None
) -> FacturXDoc:
    """The e-invoice (type 381) of `credit_note`, with the parties of its invoice. A
    draft passes its `lines`, `vat_lines` and a provisional `number`."""
    coop = _Lazy()
    invoice = invoice or credit_note.invoice
    if lines is None:
        prefetch_related_objects([credit_note], "lines__product", "vat_lines")
        lines = sorted(credit_note.lines.all(), key=lambda line: line.position)
    if vat_lines is None:
        vat_lines = sorted(credit_note.vat_lines.all(), key=lambda vat: vat.rate)
    return FacturXDoc(
        type_code=CREDIT_NOTE,
        number=number or credit_note.number,
        issued_on=credit_note.issued_on,
        seller=_seller(invoice, coop),
        buyer=_buyer(invoice),
        delivery_date=invoice.round.delivery_date,
        lines=[_line(position, line) for position, line in enumerate(lines, start=1)],
        vat=[Vat(rate=v.rate, base=v.base, amount=v.amount) for v in vat_lines],
        total_excl_vat=credit_note.total_excl_vat,
        total_vat=credit_note.total_vat,
        total_incl_vat=credit_note.total_incl_vat,
        due_on=None,
        payment_terms=(
            f"Avoir imputé sur la facture {invoice.number} ; ce qui excède son solde reste "
            "au crédit du commerce et règle ses factures suivantes."
        ),
        payment=None,
        vat_on_debits=bool(
            _snapshot(invoice, "seller_vat_on_debits", lambda: coop().vat_on_debits)
        ),
        late_penalty_rate=LATE_PENALTY_RATE,
        corrected_number=invoice.number,
        corrected_issued_on=invoice.issued_on,
        reason=credit_note.reason,
    )
