"""The rules of a credit note (avoir), as pure functions (docs/credit-notes.md): what
its lines come to, its VAT, and what remains of the invoice it corrects.

No ORM: `purchasing.services.credit_notes` reads the invoice, its lines and what
earlier credit notes took, gives them here as plain values and writes what comes back.
Errors are InvalidInput shaped as DRF answers a list of objects: `{"lines": [{},
{"quantity": [...]}]}` (one dict per line asked, empty when the line is fine), or
`{"lines": [...]}` (messages) for the credit note as a whole.
"""

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from mache.errors import InvalidInput
from mache.formats import format_eur, format_rate, plural
from mache.money import ZERO

from .rules import line_amount, vat_amount

KINDS = ("goods", "shipping", "fee")
KIND_LABELS = {"goods": "marchandises", "shipping": "port", "fee": "frais de service"}
# An amount line with no kind given: the usual case is a share of the shipping given back.
DEFAULT_AMOUNT_KIND = "shipping"


@dataclass(frozen=True)
class InvoicedLine:
    """What the rules need of one line of the invoice."""

    id: int
    kind: str
    label: str
    product: object  # its id, None for shipping and fee lines
    quantity: int
    unit_price: Decimal
    amount: Decimal
    vat_rate: Decimal


@dataclass(frozen=True)
class UnitsBack:
    """Take back `quantity` units of an invoice line, at its unit price and VAT rate."""

    invoice_line: int
    quantity: int
    return_to_supplier: bool = False


@dataclass(frozen=True)
class AmountBack:
    """Credit an amount excl. VAT at a VAT rate, posted as `kind` (goods, shipping, fee)."""

    label: str
    amount_excl_vat: Decimal
    vat_rate: Decimal
    kind: str = DEFAULT_AMOUNT_KIND


@dataclass(frozen=True)
class Credited:
    """What the invoice's earlier credit notes took: units per invoice line, amounts
    excl. VAT per (kind, VAT rate), and their total incl. VAT."""

    units: Mapping[int, int] = field(default_factory=dict)
    amounts: Mapping[tuple[str, Decimal], Decimal] = field(default_factory=dict)
    total_incl_vat: Decimal = ZERO


@dataclass(frozen=True)
class CreditLineDraft:
    kind: str
    label: str
    invoice_line: int | None
    product: object
    quantity: int | None
    unit_price: Decimal | None
    amount: Decimal
    vat_rate: Decimal
    return_to_supplier: bool = False


@dataclass
class CreditNoteDraft:
    lines: list[CreditLineDraft]
    vat: list[tuple[Decimal, Decimal, Decimal]]  # (rate, base, VAT), by rate
    total_excl_vat: Decimal
    total_vat: Decimal
    total_incl_vat: Decimal


def units_amount(*, before: int, units: int, unit_price: Decimal) -> Decimal:
    """The amount of `units` more units of a line of which `before` were already taken
    back: rounded per line as the invoice's (rules.line_amount), counted from the start
    of the line so that taking back every unit, in any number of credit notes, gives
    back exactly the line's amount and never a cent more."""
    return line_amount(before + units, unit_price) - line_amount(before, unit_price)


def credit_totals(lines: Sequence[CreditLineDraft]) -> tuple[list, Decimal, Decimal, Decimal]:
    """VAT per rate on the credit note's own bases, round(base x rate / 100, 2), as for
    an invoice; then the totals."""
    bases: dict[Decimal, Decimal] = defaultdict(lambda: ZERO)
    for line in lines:
        bases[line.vat_rate] += line.amount
    vat = [(rate, bases[rate], vat_amount(bases[rate], rate)) for rate in sorted(bases)]
    excl = sum((base for _, base, _ in vat), ZERO)
    tax = sum((amount for _, _, amount in vat), ZERO)
    return vat, excl, tax, excl + tax


def credit_note_draft(
    *,
    invoice_lines: Sequence[InvoicedLine],
    invoice_total_incl_vat: Decimal,
    credited: Credited,
    asked: Sequence[UnitsBack | AmountBack],
) -> CreditNoteDraft:
    """The credit note `asked` comes to, within what remains of the invoice: per invoice
    line (units taken back so far + now <= units invoiced), per (kind, VAT rate)
    (amounts credited so far + now <= invoiced), and in total incl. VAT. Raises
    InvalidInput naming the line and the field otherwise (module doc)."""
    if not asked:
        raise InvalidInput({"lines": ["Un avoir compte au moins une ligne."]})
    by_id = {line.id: line for line in invoice_lines}
    invoiced: dict[tuple[str, Decimal], Decimal] = defaultdict(lambda: ZERO)
    for line in invoice_lines:
        invoiced[(line.kind, line.vat_rate)] += line.amount

    errors: list[dict[str, list[str]]] = [{} for _ in asked]
    drafts: list[tuple[int, CreditLineDraft]] = []
    seen: set[int] = set()
    for index, item in enumerate(asked):
        if isinstance(item, UnitsBack):
            line = by_id.get(item.invoice_line)
            if line is None:
                errors[index] = {"invoice_line": ["Cette ligne n'est pas une ligne de la facture."]}
                continue
            if line.id in seen:
                errors[index] = {"invoice_line": ["Cette ligne de facture figure deux fois."]}
                continue
            seen.add(line.id)
            if item.quantity < 1:
                errors[index] = {"quantity": ["Reprenez au moins une unité."]}
                continue
            before = credited.units.get(line.id, 0)
            left = line.quantity - before
            if item.quantity > left:
                errors[index] = {
                    "quantity": [
                        f"« {line.label} » : {plural(left, 'unité reste', 'unités restent')} "
                        f"à reprendre (sur {plural(line.quantity, 'facturée', 'facturées')}), "
                        f"{plural(item.quantity, 'demandée', 'demandées')}."
                    ]
                }
                continue
            drafts.append(
                (
                    index,
                    CreditLineDraft(
                        kind=line.kind,
                        label=line.label,
                        invoice_line=line.id,
                        product=line.product,
                        quantity=item.quantity,
                        unit_price=line.unit_price,
                        amount=units_amount(
                            before=before, units=item.quantity, unit_price=line.unit_price
                        ),
                        vat_rate=line.vat_rate,
                        return_to_supplier=item.return_to_supplier,
                    ),
                )
            )
        else:
            if item.kind not in KINDS:
                errors[index] = {"kind": ["Choisissez marchandises, port ou frais de service."]}
                continue
            if item.amount_excl_vat <= 0:
                errors[index] = {"amount_excl_vat": ["Le montant doit être positif."]}
                continue
            if item.amount_excl_vat != item.amount_excl_vat.quantize(Decimal("0.01")):
                errors[index] = {"amount_excl_vat": ["Deux décimales au plus."]}
                continue
            if not item.label.strip():
                errors[index] = {"label": ["Donnez un libellé à cette ligne."]}
                continue
            drafts.append(
                (
                    index,
                    CreditLineDraft(
                        kind=item.kind,
                        label=item.label.strip(),
                        invoice_line=None,
                        product=None,
                        quantity=None,
                        unit_price=None,
                        amount=item.amount_excl_vat,
                        vat_rate=item.vat_rate,
                    ),
                )
            )

    # Per (kind, rate): every line of that kind and rate counts, units or amount.
    asked_amounts: dict[tuple[str, Decimal], Decimal] = defaultdict(lambda: ZERO)
    for _, draft in drafts:
        asked_amounts[(draft.kind, draft.vat_rate)] += draft.amount
    for index, draft in drafts:
        group = (draft.kind, draft.vat_rate)
        left = invoiced.get(group, ZERO) - credited.amounts.get(group, ZERO)
        if asked_amounts[group] > left and not errors[index]:
            where = "amount_excl_vat" if draft.invoice_line is None else "quantity"
            errors[index] = {
                where: [
                    f"Reste à créditer en {KIND_LABELS[draft.kind]} à "
                    f"{format_rate(draft.vat_rate)} : {format_eur(max(left, ZERO))} HT ; "
                    f"cet avoir en demande {format_eur(asked_amounts[group])} HT."
                ]
            }
    if any(errors):
        raise InvalidInput({"lines": errors})

    lines = [draft for _, draft in drafts]
    vat, excl, tax, incl = credit_totals(lines)
    left = invoice_total_incl_vat - credited.total_incl_vat
    if incl > left:
        raise InvalidInput(
            {
                "lines": [
                    f"Cet avoir ({format_eur(incl)} TTC) dépasse ce qui reste à créditer de "
                    f"la facture ({format_eur(max(left, ZERO))} TTC)."
                ]
            }
        )
    return CreditNoteDraft(lines, vat, excl, tax, incl)


def credit_applied(*, total_incl_vat: Decimal, amount_due: Decimal) -> Decimal:
    """What a credit note takes off its invoice: all of it while the invoice owes that
    much, else what it still owes; the rest is a credit of the shop (419100)."""
    return max(ZERO, min(total_incl_vat, amount_due))
