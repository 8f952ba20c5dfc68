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
# An amount line that names no kind (the API's contract has none) is posted to the kinds
# of the invoice at its VAT rate in this order, each taking what remains of it
# (docs/credit-notes.md, "An amount with no kind").
OPEN_AMOUNT_ORDER = ("shipping", "fee", "goods")


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
    """Credit an amount excl. VAT at a VAT rate, posted as `kind` (goods, shipping, fee);
    with no kind, posted to what remains at that rate (OPEN_AMOUNT_ORDER)."""

    label: str
    amount_excl_vat: Decimal
    vat_rate: Decimal
    kind: str | None = None


@dataclass(frozen=True)
class Credited:
    """What the invoice's earlier credit notes took: units per invoice line, amounts
    excl. VAT per (kind, VAT rate), their total incl. VAT and their VAT per rate."""

    units: Mapping[int, int] = field(default_factory=dict)
    amounts: Mapping[tuple[str, Decimal], Decimal] = field(default_factory=dict)
    total_incl_vat: Decimal = ZERO
    vat: Mapping[Decimal, Decimal] = field(default_factory=dict)


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


def credit_totals(
    lines: Sequence[CreditLineDraft], *, closing: Mapping[Decimal, Decimal] | None = None
) -> tuple[list, Decimal, Decimal, Decimal]:
    """VAT per rate on the credit note's own bases, round(base x rate / 100, 2), as for
    an invoice; then the totals. `closing`: {rate: VAT} for the rates of which this
    credit note takes the rest of the invoice's base: their VAT is that, exactly
    (credit_note_draft)."""
    closing = closing or {}
    bases: dict[Decimal, Decimal] = defaultdict(lambda: ZERO)
    for line in lines:
        bases[line.vat_rate] += line.amount
    vat = [
        (rate, bases[rate], closing[rate] if rate in closing else vat_amount(bases[rate], rate))
        for rate in sorted(bases)
    ]
    excl = sum((base for _, base, _ in vat), ZERO)
    tax = sum((amount for _, _, amount in vat), ZERO)
    return vat, excl, tax, excl + tax


def _units_line(item: UnitsBack, line: InvoicedLine, before: int) -> CreditLineDraft:
    return CreditLineDraft(
        kind=line.kind,
        label=line.label,
        invoice_line=line.id,
        product=line.product,
        quantity=item.quantity,
        unit_price=line.unit_price,
        amount=units_amount(before=before, units=item.quantity, unit_price=line.unit_price),
        vat_rate=line.vat_rate,
        return_to_supplier=item.return_to_supplier,
    )


def _amount_line(item: AmountBack, kind: str, amount: Decimal) -> CreditLineDraft:
    return CreditLineDraft(
        kind=kind,
        label=item.label.strip(),
        invoice_line=None,
        product=None,
        quantity=None,
        unit_price=None,
        amount=amount,
        vat_rate=item.vat_rate,
    )


def _units_error(item: UnitsBack, line: InvoicedLine | None, seen: set, before: int):
    if line is None:
        return {"invoice_line": ["Cette ligne n'est pas une ligne de la facture."]}
    if line.id in seen:
        return {"invoice_line": ["Cette ligne de facture figure deux fois."]}
    if item.quantity < 1:
        return {"quantity": ["Reprenez au moins une unité."]}
    left = line.quantity - before
    if item.quantity > left:
        return {
            "quantity": [
                f"« {line.label} » : {plural(left, 'unité reste', 'unités restent')} "
                f"à reprendre (sur {plural(line.quantity, 'facturée', 'facturées')}), "
                f"{plural(item.quantity, 'demandée', 'demandées')}."
            ]
        }
    return {}


def _amount_error(item: AmountBack):
    if item.kind is not None and item.kind not in KINDS:
        return {"kind": ["Choisissez marchandises, port ou frais de service."]}
    if item.amount_excl_vat <= 0:
        return {"amount_excl_vat": ["Le montant doit être positif."]}
    if item.amount_excl_vat != item.amount_excl_vat.quantize(Decimal("0.01")):
        return {"amount_excl_vat": ["Deux décimales au plus."]}
    if not item.label.strip():
        return {"label": ["Donnez un libellé à cette ligne."]}
    return {}


def credit_note_draft(
    *,
    invoice_lines: Sequence[InvoicedLine],
    invoice_vat: Mapping[Decimal, Decimal],
    invoice_total_incl_vat: Decimal,
    credited: Credited,
    asked: Sequence[UnitsBack | AmountBack],
) -> CreditNoteDraft:
    """The credit note `asked` comes to, within what remains of the invoice: per invoice
    line (units taken back so far + now <= units invoiced), per (kind, VAT rate) for the
    lines of a known kind, per VAT rate for the amounts with no kind (split over the
    kinds at that rate, OPEN_AMOUNT_ORDER), and in total incl. VAT. `invoice_vat`: the
    invoice's VAT per rate. Raises InvalidInput naming the line and the field otherwise
    (module doc)."""
    if not asked:
        raise InvalidInput({"lines": ["Un avoir compte au moins une ligne."]})
    by_id = {line.id: line for line in invoice_lines}
    invoiced: dict[tuple[str, Decimal], Decimal] = defaultdict(lambda: ZERO)
    for line in invoice_lines:
        invoiced[(line.kind, line.vat_rate)] += line.amount

    def left_of(group) -> Decimal:
        return invoiced.get(group, ZERO) - credited.amounts.get(group, ZERO)

    errors: list[dict[str, list[str]]] = [{} for _ in asked]
    placed: dict[int, list[CreditLineDraft]] = {}  # by index asked
    open_amounts: list[tuple[int, AmountBack]] = []  # the amounts with no kind
    seen: set[int] = set()
    for index, item in enumerate(asked):
        if isinstance(item, UnitsBack):
            line = by_id.get(item.invoice_line)
            before = credited.units.get(item.invoice_line, 0)
            errors[index] = _units_error(item, line, seen, before)
            if line is not None:
                seen.add(line.id)
            if not errors[index]:
                placed[index] = [_units_line(item, line, before)]
        else:
            errors[index] = _amount_error(item)
            if errors[index]:
                continue
            if item.kind is None:
                open_amounts.append((index, item))
            else:
                placed[index] = [_amount_line(item, item.kind, item.amount_excl_vat)]

    # Per (kind, rate): every line of that kind and rate counts, units or amount.
    asked_amounts: dict[tuple[str, Decimal], Decimal] = defaultdict(lambda: ZERO)
    for lines in placed.values():
        for draft in lines:
            asked_amounts[(draft.kind, draft.vat_rate)] += draft.amount
    for index, [draft] in placed.items():
        group = (draft.kind, draft.vat_rate)
        if asked_amounts[group] > left_of(group) and not errors[index]:
            where = "amount_excl_vat" if draft.invoice_line is None else "quantity"
            errors[index] = {
                where: [
                    f"Reste à créditer en {KIND_LABELS[draft.kind]} à "
                    f"{format_rate(draft.vat_rate)} : {format_eur(max(left_of(group), ZERO))} "
                    f"HT ; cet avoir en demande {format_eur(asked_amounts[group])} HT."
                ]
            }

    # The amounts with no kind: what remains at their rate, of every kind, once this
    # credit note's lines of a known kind took theirs.
    free = {
        (kind, rate): max(left_of((kind, rate)) - asked_amounts[(kind, rate)], ZERO)
        for kind, rate in invoiced
    }
    open_asked: dict[Decimal, Decimal] = defaultdict(lambda: ZERO)
    for _, item in open_amounts:
        open_asked[item.vat_rate] += item.amount_excl_vat
    for index, item in open_amounts:
        rate = item.vat_rate
        if open_asked[rate] > sum(free.get((kind, rate), ZERO) for kind in KINDS):
            left = sum((max(left_of((kind, rate)), ZERO) for kind in KINDS), ZERO)
            asked_at_rate = open_asked[rate] + sum(asked_amounts[(kind, rate)] for kind in KINDS)
            errors[index] = {
                "amount_excl_vat": [
                    f"Reste à créditer à {format_rate(rate)} (marchandises, port et frais de "
                    f"service) : {format_eur(left)} HT ; cet avoir en demande "
                    f"{format_eur(asked_at_rate)} HT."
                ]
            }
    if any(errors):
        raise InvalidInput({"lines": errors})

    for index, item in open_amounts:
        rest = item.amount_excl_vat
        placed[index] = []
        for kind in OPEN_AMOUNT_ORDER:
            take = min(rest, free.get((kind, item.vat_rate), ZERO))
            if take > 0:
                placed[index].append(_amount_line(item, kind, take))
                free[(kind, item.vat_rate)] -= take
                rest -= take
    lines = [draft for index in sorted(placed) for draft in placed[index]]

    # A credit note that takes the rest of the invoice's base at a rate takes the rest of
    # its VAT at that rate: crediting a whole invoice in several notes adds up to it.
    base_left: dict[Decimal, Decimal] = defaultdict(lambda: ZERO)
    for (_, rate), amount in invoiced.items():
        base_left[rate] += amount
    for (_, rate), amount in credited.amounts.items():
        base_left[rate] -= amount
    for line in lines:
        base_left[line.vat_rate] -= line.amount
    closing = {
        rate: invoice_vat.get(rate, ZERO) - credited.vat.get(rate, ZERO)
        for rate in {line.vat_rate for line in lines}
        if base_left[rate] == 0
    }
    vat, excl, tax, incl = credit_totals(lines, closing=closing)
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
    if incl <= 0:
        # Only when earlier credit notes each rounded their VAT up past the invoice's.
        raise InvalidInput(
            {
                "lines": [
                    f"Cet avoir ne crédite rien ({format_eur(incl)} TTC) : les avoirs "
                    f"précédents ont déjà crédité {format_eur(credited.total_incl_vat)} TTC "
                    f"de la facture ({format_eur(invoice_total_incl_vat)} TTC)."
                ]
            }
        )
    return CreditNoteDraft(lines, vat, excl, tax, incl)


def credit_applied(*, total_incl_vat: Decimal, amount_due: Decimal) -> Decimal:
    """What a credit note takes off its invoice: all of it while the invoice owes that
    much, else what it still owes; the rest is a credit of the shop (419100)."""
    return max(ZERO, min(total_incl_vat, amount_due))
